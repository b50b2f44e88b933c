/* util/fdpass.c — see fdpass.h. */
#include "util/fdpass.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union fdpass_ctl {
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
    struct cmsghdr align;
};

int fdpass_send(int sock, const struct iovec *iov, int iovcnt, const int *fds, unsigned nfds)
{
    if (nfds > FDPASS_MAX)
        return -EMSGSIZE;
    union fdpass_ctl u;
    memset(&u, 0, sizeof u);
    struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
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

ssize_t fdpass_recv(int sock, struct iovec *iov, int iovcnt, int *fds, unsigned maxfds,
                    unsigned *nfds)
{
    union fdpass_ctl u;
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt, .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
    ssize_t n;
    do
        n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    *nfds = 0;
    if (n < 0)
        return -errno;
    bool dropped = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t j = 0; j < k; j++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + j * sizeof fd, sizeof fd);
            if (*nfds < maxfds) {
                fds[(*nfds)++] = fd;
            } else {
                close(fd);
                dropped = true;
            }
        }
    }
    if (dropped || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        for (unsigned j = 0; j < *nfds; j++)
            close(fds[j]);
        *nfds = 0;
        return -EMSGSIZE;
    }
    return n;
}

int fdpass_send_result(int sock, int err, int fd)
{
    struct iovec iov = { &err, sizeof err };
    return fdpass_send(sock, &iov, 1, &fd, fd >= 0 && err == 0 ? 1 : 0);
}

int fdpass_recv_result(int sock, int *fd)
{
    int err = EIO;
    struct iovec iov = { &err, sizeof err };
    unsigned n;
    *fd = -1;
    ssize_t got = fdpass_recv(sock, &iov, 1, fd, 1, &n);
    if (got < 0)
        return (int)got;
    if (got != sizeof err) {
        if (n)
            close(*fd);
        *fd = -1;
        return -EIO;
    }
    if (err && n) {
        close(*fd);
        *fd = -1;
    }
    return -err;
}
