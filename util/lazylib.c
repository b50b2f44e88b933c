/* util/lazylib.c — see lazylib.h. */
#include "util/lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

/* Loads are rare (once per library per process) and may race between the
 * OTLP writer and the main thread, so one lock serves all libraries. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int lazylib_load(const char *soname, const char *package, const char *const *names,
                 size_t n, void *table, struct err *e)
{
    typedef void (*fnptr)(void);
    pthread_mutex_lock(&lock);
    fnptr last;
    memcpy(&last, (char *)table + (n - 1) * sizeof last, sizeof last);
    if (last) {   /* filled by an earlier call: the last slot is set last */
        pthread_mutex_unlock(&lock);
        return 0;
    }
    /* Never closed: the table points into it for the process's life. */
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        pthread_mutex_unlock(&lock);
        return err_set(e, 0, "%s could not be loaded (%s; Debian package %s)", soname, dlerror(),
                       package);
    }
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(h, names[i]);
        if (!sym) {
            pthread_mutex_unlock(&lock);
            return err_set(e, 0, "%s has no %s (Debian package %s too old?)", soname, names[i],
                           package);
        }
        /* POSIX guarantees a data pointer from dlsym converts to a function
         * pointer; memcpy says so without a cast ISO C forbids. */
        fnptr f;
        memcpy(&f, &sym, sizeof f);
        memcpy((char *)table + i * sizeof f, &f, sizeof f);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}
