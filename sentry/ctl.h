/* sentry/ctl.h — the control channel between `cordon serve` and one session
 * sentry (`cordon session-daemon`).
 *
 * Why a socketpair of SOCK_SEQPACKET: the kernel keeps message boundaries,
 * so a message is one header + one JSON text, with no framing of our own to
 * get wrong, and fds (the guest's stdio pipes, an opened file) ride along
 * with SCM_RIGHTS. Bulk data never crosses the channel: file bodies go
 * through the fd the sentry opened in its VFS, output through the pipes.
 * The channel is strictly request/reply, one request at a time.
 */
#ifndef CORDON_SENTRY_CTL_H
#define CORDON_SENTRY_CTL_H

#include <sys/types.h>

enum ctl_op {
    CTL_EXEC = 1,  /* {"argv":[..],"env":[..],"cwd":..,"timeout_ms":..} + stdin, stdout,
                      stderr -> {"status":..,"code":..,"signal":..,"timed_out":..,
                      "cpu_exceeded":..} at the end */
    CTL_OPEN,      /* {"path":..,"write":bool} -> {"errno":..,"size":..} + the file's fd */
    CTL_SHUTDOWN,  /* -> {} and the sentry ends the session */
    CTL_REPLY,
};

#define CTL_MAX_JSON 65536
#define CTL_MAX_FDS 3

/* 0 or -errno. */
int ctl_send(int sock, enum ctl_op op, const char *json, const int *fds, unsigned nfds);
/* Receives one message into buf (NUL-terminated): 1, 0 at EOF, or -errno.
 * Received fds are close-on-exec; *nfds says how many. */
int ctl_recv(int sock, enum ctl_op *op, char *buf, size_t size, int *fds, unsigned *nfds);

/* A NULL-terminated array of the strings in a JSON array (borrowed from it,
 * the array itself to free); NULL when `a` is not an array of at most max
 * strings. */
struct json_object;
const char **ctl_strings(struct json_object *a, size_t max);

/* The session sentry's loop over its end of the channel (sentry/session_daemon.c):
 * sends {"errno":0} once the session exists, with the memfd of its counters
 * (sentry/stats.h) when it could make one, then serves requests until
 * SHUTDOWN or EOF; returns the process's exit status. */
struct run_options;
int session_daemon(int sock, const struct run_options *o);

#endif
