#include "util/err.h"

#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
    if (!e || e->msg[0])
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    return -1;
}

void err_print_fd(const struct err *e, int fd)
{
    if (e->code)
        dprintf(fd, "cordon: %s: %s\n", e->msg, strerror(e->code));
    else
        dprintf(fd, "cordon: %s\n", e->msg);
}

void err_print(const struct err *e)
{
    fflush(stderr);
    err_print_fd(e, 2);
}

int err_usage(const char *who, const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", who);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}
