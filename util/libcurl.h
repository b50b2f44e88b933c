/* util/libcurl.h — the libcurl functions cordon calls, bound on first use
 * (see lazylib.h for why). Users: the OTLP exporter (sentry/otlp_http.c)
 * and the session client (serve/client.c). */
#ifndef CORDON_UTIL_LIBCURL_H
#define CORDON_UTIL_LIBCURL_H

/* curl's type-checking wrappers are function-like macros named after the
 * functions; they would rewrite libcurl.curl_easy_setopt(...) into a call
 * of the unlinked symbol. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "util/lazylib.h"

#define LIBCURL_FNS(X)                                                                      \
    X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup)       \
    X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror)     \
    X(curl_slist_append) X(curl_slist_free_all)

struct libcurl { LIBCURL_FNS(LAZYLIB_FIELD) };
extern struct libcurl libcurl;

/* Binds the table and runs curl_global_init once; never cleaned up, since
 * another user may start later in the same process. 0, or -1 with *e filled. */
int libcurl_load(struct err *e);

#endif
