/* platform/filter.h — the seccomp filter, generated from the sentry's table. */
#ifndef CORDON_PLATFORM_FILTER_H
#define CORDON_PLATFORM_FILTER_H

#include <linux/filter.h>

#include "platform/platform.h"

/* The data of a SECCOMP_RET_TRACE action, read by the tracer with
 * PTRACE_GETEVENTMSG to tell an exec stop from a serviced call. */
#define FILTER_TRACE_EXEC 0
#define FILTER_TRACE_SERVICED 1

/* Builds the BPF program: SYS_NATIVE -> allow, SYS_EXEC -> trace,
 * SYS_ERRNO -> that errno, SYS_SERVICED -> `notify_action` (with native
 * fast paths from its argrules), unlisted numbers -> `notify_action` too (the sentry answers ENOSYS), any other ABI
 * (i386 int 0x80, x32) -> ENOSYS. `notify_action` is SECCOMP_RET_USER_NOTIF
 * for the seccomp platform, SECCOMP_RET_TRACE | FILTER_TRACE_SERVICED for
 * the ptrace platform.
 * The program is malloc'ed into *prog; free prog->filter. The last program
 * per action is kept, so a sentry that launches many trees from one table
 * builds it once. Thread-safe. */
int filter_build(const struct sys_filter_row *table, unsigned n, uint32_t notify_action,
                 struct sock_fprog *prog, struct err *e);

#endif
