/* util/lazylib.h — shared libraries bound on first use, not at start.
 *
 * Why: every session is a fresh cordon process, and the dynamic loader
 * maps every DT_NEEDED library (and theirs) before main. libcurl (only for
 * --otlp-endpoint and the session client) drags in ~30 libraries (LDAP,
 * Kerberos, ICU, ...) and libarchive (only for --import-fs, --export-fs and
 * images) ~15: together ~7 ms of a ~16 ms `cordon run true`. Those
 * libraries are not linked; the module that needs one declares a table of
 * the functions it calls (typed from the library's own header) and loads
 * it where its feature starts.
 *
 *   #define LIBFOO_FNS(X) X(foo_open) X(foo_close)
 *   struct libfoo { LIBFOO_FNS(LAZYLIB_FIELD) };
 *   static const char *const names[] = { LIBFOO_FNS(LAZYLIB_NAME) };
 *
 * Callers then write libfoo.foo_open(...): the prefix says the function
 * came through the table.
 */
#ifndef CORDON_UTIL_LAZYLIB_H
#define CORDON_UTIL_LAZYLIB_H

#include <stddef.h>

#include "util/err.h"

#define LAZYLIB_FIELD(fn) __typeof__(fn) *fn;
#define LAZYLIB_NAME(fn) #fn,

/* Opens SONAME (its Debian package named in the error) and fills the table
 * of N function pointers at TABLE with NAMES, once per process; later calls
 * return the first result. Thread-safe. Returns 0, or -1 with *e filled. */
int lazylib_load(const char *soname, const char *package, const char *const *names,
                 size_t n, void *table, struct err *e);

#endif
