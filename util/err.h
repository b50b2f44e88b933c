/* util/err.h — errors that travel as an object filled where they happen.
 *
 * A function that can fail for a reason the user must read takes a
 * `struct err *` and fills it once, at the point of failure, with an errno
 * and a message; callers only pass it up. Syscall-handler paths do not use
 * this: they return -errno to the guest.
 */
#ifndef CORDON_UTIL_ERR_H
#define CORDON_UTIL_ERR_H

#include <stdarg.h>

struct err {
    int code;          /* errno, or 0 when the failure is not a syscall's */
    char msg[512];
};

/* Fills *e (if no earlier error is recorded) and returns -1, so callers can
 * write `return err_set(e, errno, "open %s", path);`. */
int err_set(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A command-line mistake: "WHO: " + fmt (with one string argument), a
 * blank line and the command's usage on stderr; returns 2, the usage-error
 * exit status every cordon command shares. */
int err_usage(const char *who, const char *usage, const char *fmt, const char *arg);

/* Prints "cordon: MSG[: strerror]" to stderr. */
void err_print(const struct err *e);
/* The same, to fd (a session's exec reports to its guest's stderr). */
void err_print_fd(const struct err *e, int fd);

#endif
