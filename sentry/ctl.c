/* sentry/ctl.c — one message each way on the session control channel. */
#include "sentry/ctl.h"
#include "util/fdpass.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
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

/* A NULL-terminated array of the strings in a JSON array (borrowed from it);
 * NULL when `a` is not an array of strings. */
const char **ctl_strings(struct json_object *a, size_t max)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return NULL;
    size_t n = json_object_array_length(a);
    if (n > max)
        return NULL;
    const char **v = calloc(n + 1, sizeof *v);
    for (size_t k = 0; v && k < n; k++) {
        struct json_object *s = json_object_array_get_idx(a, k);
        if (!json_object_is_type(s, json_type_string)) {
            free(v);
            return NULL;
        }
        v[k] = json_object_get_string(s);
    }
    return v;
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
