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

void err_print(const struct err *e)
{
    if (e->code)
        fprintf(stderr, "cordon: %s: %s\n", e->msg, strerror(e->code));
    else
        fprintf(stderr, "cordon: %s\n", e->msg);
}
