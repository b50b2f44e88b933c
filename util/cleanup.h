/* util/cleanup.h — scope-bound release, so every early return is leak-free.
 *   _cleanup_close_ int fd = open(...);   closed at scope exit unless < 0
 *   _cleanup_free_ char *p = malloc(...); freed at scope exit
 * Hand ownership out with TAKE_FD(fd) / TAKE_PTR(p). */
#ifndef CORDON_UTIL_CLEANUP_H
#define CORDON_UTIL_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_close(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void cleanup_free(void *p) { free(*(void **)p); }

#define _cleanup_close_ __attribute__((cleanup(cleanup_close)))
#define _cleanup_free_  __attribute__((cleanup(cleanup_free)))

#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })

#endif
