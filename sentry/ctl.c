/* sentry/ctl.c — one message each way on the session control channel. */
#include "sentry/ctl.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct ctl_header {
    uint32_t op;
};

int ctl_send(int sock, enum ctl_op op, const char *json, const int *fds, unsigned nfds)
{
    struct ctl_header h = { (uint32_t)op };
    size_t len = json ? strlen(json) : 0;
    if (len > CTL_MAX_JSON || nfds > CTL_MAX_FDS)
        return -EMSGSIZE;
    struct iovec iov[2] = { { &h, sizeof h }, { (void *)json, len } };
    union {
        char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
    if (nfds) {
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do
        n = sendmsg(sock, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

int ctl_recv(int sock, enum ctl_op *op, char *buf, size_t size, int *fds, unsigned *nfds)
{
    struct ctl_header h;
    struct iovec iov[2] = { { &h, sizeof h }, { buf, size - 1 } };
    union {
        char b[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.b,
                        .msg_controllen = sizeof u.b };
    ssize_t n;
    do
        n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    *nfds = 0;
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int got[CTL_MAX_FDS];
        memcpy(got, CMSG_DATA(c), sizeof(int) * (k < CTL_MAX_FDS ? k : CTL_MAX_FDS));
        for (unsigned j = 0; j < k && j < CTL_MAX_FDS; j++)
            fds[(*nfds)++] = got[j];
    }
    if (n == 0)
        return 0;
    if ((size_t)n < sizeof h || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        for (unsigned j = 0; j < *nfds; j++)
            close(fds[j]);
        *nfds = 0;
        return -EMSGSIZE;
    }
    buf[n - sizeof h] = '\0';
    *op = (enum ctl_op)h.op;
    return 1;
}
