/* sentry/ctl.c — one message each way on the session control channel. */
#include "sentry/ctl.h"
#include "util/fdpass.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
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
    return fdpass_send(sock, iov, 2, fds, nfds);
}

int ctl_recv(int sock, enum ctl_op *op, char *buf, size_t size, int *fds, unsigned *nfds)
{
    struct ctl_header h;
    struct iovec iov[2] = { { &h, sizeof h }, { buf, size - 1 } };
    ssize_t n = fdpass_recv(sock, iov, 2, fds, CTL_MAX_FDS, nfds);
    if (n <= 0)
        return (int)n;
    if ((size_t)n < sizeof h) {
        for (unsigned j = 0; j < *nfds; j++)
            close(fds[j]);
        *nfds = 0;
        return -EMSGSIZE;
    }
    buf[n - sizeof h] = '\0';
    *op = (enum ctl_op)h.op;
    return 1;
}
