/* util/libcurl.c — see libcurl.h. */
#include "util/libcurl.h"

#include <pthread.h>

struct libcurl libcurl;

static const char *const names[] = { LIBCURL_FNS(LAZYLIB_NAME) };
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void) { global_rc = libcurl.curl_global_init(CURL_GLOBAL_DEFAULT); }

int libcurl_load(struct err *e)
{
    if (lazylib_load("libcurl.so.4", "libcurl4", names, sizeof names / sizeof *names, &libcurl, e))
        return -1;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return err_set(e, 0, "curl_global_init: %s", libcurl.curl_easy_strerror(global_rc));
    return 0;
}
