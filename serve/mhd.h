/* serve/mhd.h — the libmicrohttpd functions `cordon serve` calls, bound
 * when the server starts (see util/lazylib.h for why: every session sentry
 * is the same binary, and libmicrohttpd with GnuTLS and its dependencies
 * cost each one's start ~1.5 ms of dynamic loading for a server it never
 * runs). */
#ifndef CORDON_SERVE_MHD_H
#define CORDON_SERVE_MHD_H

#include <microhttpd.h>

#include "util/lazylib.h"

#define LIBMHD_FNS(X) \
    X(MHD_add_response_header) X(MHD_create_response_from_buffer) \
    X(MHD_create_response_from_callback) X(MHD_create_response_from_fd64) X(MHD_destroy_response) \
    X(MHD_lookup_connection_value) X(MHD_queue_response) X(MHD_quiesce_daemon) \
    X(MHD_start_daemon) X(MHD_stop_daemon)

struct libmhd { LIBMHD_FNS(LAZYLIB_FIELD) };
extern struct libmhd mhd;

/* 0, or -1 with *e filled. */
int mhd_load(struct err *e);

#endif
