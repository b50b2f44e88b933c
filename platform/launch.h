/* platform/launch.h — creating the guest's init inside its namespaces. */
#ifndef CORDON_PLATFORM_LAUNCH_H
#define CORDON_PLATFORM_LAUNCH_H

#include <linux/filter.h>

#include "platform/platform.h"

struct launched {
    pid_t init_pid;   /* host pid of the guest's pid 1 (traced) */
    int listener;     /* seccomp user-notification fd; -1 on the ptrace platform */
    int spawn;        /* the sentry's end of the spawn channel (platform/spawn.h) */
};

/* Starts init (spec->platform decides the filter's flags); on return init
 * is traced, filtered and about to fork the PROGRAM, and out->listener is
 * the sentry's. */
int launch_guest(const struct launch_spec *spec, const struct sock_fprog *prog,
                 struct launched *out, struct err *e);

#endif
