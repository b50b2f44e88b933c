/* sentry/sys_gate.c — denials, and the slow side of gated calls.
 * A gated call reaches these handlers only when the filter's native rules
 * did not match its arguments. */
#include <errno.h>
#include <sys/ioctl.h>

#include "sentry/syscalls.h"

static long deny(struct session *s, struct call *c, int err)
{
    const char *name = (unsigned)c->nr < SYSCALL_MAX && syscall_table[c->nr].name
                           ? syscall_table[c->nr].name : "unknown";
    (void)s;
    event_denied(c, name, err);
    return -err;
}

long sys_denied(struct session *s, struct call *c) { return deny(s, c, EPERM); }
long sys_clone(struct session *s, struct call *c) { return deny(s, c, EPERM); }
long sys_prctl(struct session *s, struct call *c) { return deny(s, c, EPERM); }
long sys_socket(struct session *s, struct call *c) { return deny(s, c, EAFNOSUPPORT); }
long sys_unlisted(struct session *s, struct call *c) { return deny(s, c, ENOSYS); }

long sys_ioctl(struct session *s, struct call *c)
{
    unsigned long req = (unsigned long)c->args[1];
    /* Faking terminal input or redirecting the console reaches outside the
     * sandbox; any other unknown request is simply not supported here. */
    if (req == TIOCSTI || req == TIOCLINUX || req == TIOCCONS || req == TIOCSETD)
        return deny(s, c, EPERM);
    return deny(s, c, ENOTTY);
}
