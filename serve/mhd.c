/* serve/mhd.c — see mhd.h. */
#include "serve/mhd.h"

struct libmhd mhd;

static const char *const names[] = { LIBMHD_FNS(LAZYLIB_NAME) };

int mhd_load(struct err *e)
{
    return lazylib_load("libmicrohttpd.so.12", "libmicrohttpd12", names,
                        sizeof names / sizeof *names, &mhd, e);
}
