/* net/netns.c — sockets made inside the guest's network namespace.
 *
 * socket(2) creates in the caller's namespace and a socket keeps it for
 * life, so the sentry (in the host's namespaces) needs a process inside the
 * guest's to make its proxy listeners, the DNS answerer's socket and the
 * netlink sockets it hands to guests. Joining a user namespace needs a
 * single-threaded caller, which the sentry is not: a helper is forked that
 * joins the guest's user and network namespaces (the sentry owns the user
 * namespace, so no privilege is needed) and answers requests on a
 * SOCK_SEQPACKET pair with the new fd (SCM_RIGHTS). It is forked twice so
 * that it is not the sentry's child: the tracer reaps every child of the
 * sentry and waits for all of them before a session ends. It leaves when
 * the sentry's end of the pair closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/internal.h"
#include "util/fdpass.h"

struct request {
    int domain, type, protocol;
};

/* The helper: async-signal-safe calls only (it was forked from threads). */
static void helper(int chan, int userns, int netns)
{
    if (setns(userns, CLONE_NEWUSER) < 0 || setns(netns, CLONE_NEWNET) < 0) {
        fdpass_send_result(chan, errno, -1);
        _exit(1);
    }
    /* Nothing of the sentry's but the channel stays open here. */
    if (chan > 3)
        close_range(3, (unsigned)chan - 1, 0);
    close_range((unsigned)chan + 1, ~0u, 0);
    fdpass_send_result(chan, 0, -1);   /* ready */
    struct request q;
    while (recv(chan, &q, sizeof q, 0) == sizeof q) {
        int fd = socket(q.domain, q.type | SOCK_CLOEXEC, q.protocol);
        if (fdpass_send_result(chan, fd < 0 ? errno : 0, fd) < 0)
            break;
        if (fd >= 0)
            close(fd);
    }
    _exit(0);
}

int netns_start(int userns, int netns, int *chan)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid_t mid = fork();
    if (mid == 0) {
        close(sv[0]);
        if (fork() == 0)
            helper(sv[1], userns, netns);
        _exit(0);
    }
    close(sv[1]);
    if (mid < 0) {
        int r = -errno;
        close(sv[0]);
        return r;
    }
    /* The tracer may reap it first; either way it is gone. */
    waitpid(mid, NULL, __WALL);
    int fd, r = fdpass_recv_result(sv[0], &fd);
    if (r < 0) {
        close(sv[0]);
        return r;
    }
    *chan = sv[0];
    return 0;
}

int netns_socket(int chan, int domain, int type, int protocol)
{
    struct request q = { domain, type, protocol };
    if (send(chan, &q, sizeof q, MSG_NOSIGNAL) != sizeof q)
        return -EIO;
    int fd, r = fdpass_recv_result(chan, &fd);
    if (r == 0 && fd < 0)
        return -EIO;
    return r < 0 ? r : fd;
}
