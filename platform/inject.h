/* platform/inject.h — installing a guest fd without SECCOMP_IOCTL_NOTIF_ADDFD:
 * system calls run inside a stopped tracee, and the unix socket the fd
 * travels over. Used by the ptrace platform. */
#ifndef CORDON_PLATFORM_INJECT_H
#define CORDON_PLATFORM_INJECT_H

#include <sys/un.h>
#include <sys/user.h>

#include "platform/platform.h"

/* The sentry's listening unix socket that guest sockets are connected to
 * (by the sentry: it is outside the guest's mount namespace). */
struct fd_channel {
    int listen_fd;
    struct sockaddr_un addr;
};

int fd_channel_open(struct fd_channel *ch, const struct launch_spec *spec, struct err *e);
void fd_channel_close(struct fd_channel *ch);

/* How the injector waits for the tracee: the tracer's own wait, which keeps
 * serving the timeout and cordon's signals meanwhile. Returns 0 with the
 * status of a syscall, signal-delivery or group stop in *status, or -ESRCH
 * once the task is gone (the tracer handles its exit, or the exec of the
 * thread that took over its pid). */
struct tracee_waiter {
    void *ctx;
    int (*wait)(void *ctx, pid_t pid, int *status);
};

/* Installs hostfd (not consumed) into task `pid`, stopped at the seccomp
 * stop of a call with registers *regs, and returns the new fd number or
 * -errno: the call's result. The task is left in a syscall stop with
 * scratch registers: the caller writes *regs back, with the result, before
 * resuming it. *gone: the task died meanwhile and must not be touched
 * again. */
long inject_fd(const struct fd_channel *ch, const struct tracee_waiter *w, pid_t pid,
               const struct user_regs_struct *regs, int hostfd, unsigned newfd_flags,
               bool *gone);

#endif
