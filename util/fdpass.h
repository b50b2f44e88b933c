/* util/fdpass.h — one message with file descriptors over an AF_UNIX socket
 * (SCM_RIGHTS).
 *
 * Why one helper: the session control channel, the guest network
 * namespace's socket maker and the quota tmpfs's mounter all hand fds
 * between processes; the cmsg arithmetic, the truncation checks and
 * close-on-exec on receipt are easy to get subtly wrong, so they live here
 * once.
 */
#ifndef CORDON_UTIL_FDPASS_H
#define CORDON_UTIL_FDPASS_H

#include <sys/types.h>
#include <sys/uio.h>

#define FDPASS_MAX 4

/* Sends IOV and NFDS (at most FDPASS_MAX) fds as one message, retrying on
 * EINTR, without SIGPIPE. 0 or -errno. Async-signal-safe, so a child forked
 * from a threaded process may use it. */
int fdpass_send(int sock, const struct iovec *iov, int iovcnt, const int *fds, unsigned nfds);

/* Receives one message into IOV; its fds (close-on-exec) into FDS, at most
 * MAXFDS, with *NFDS set. Returns the bytes received (0 at EOF) or -errno;
 * a message or fd list that did not fit is -EMSGSIZE with its fds closed. */
ssize_t fdpass_recv(int sock, struct iovec *iov, int iovcnt, int *fds, unsigned maxfds,
                    unsigned *nfds);

/* The common reply of a helper process: an errno (0 for success) and,
 * with 0, an fd (or -1 for none). */
int fdpass_send_result(int sock, int err, int fd);
/* -errno, or 0 with *fd the fd received (-1 when none came). */
int fdpass_recv_result(int sock, int *fd);

#endif
