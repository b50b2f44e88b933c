/* platform/cgroup.h — the session cgroup: memory and pids limits.
 * Works with cgroup v2 (unified) or v1 (one hierarchy per controller),
 * whichever the host mounts at /sys/fs/cgroup. */
#ifndef CORDON_PLATFORM_CGROUP_H
#define CORDON_PLATFORM_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* Creates cordon/<name> with the limits (0 = unlimited). */
int  cgroup_create(const char *name, uint64_t memory, uint64_t pids, struct err *e);
int  cgroup_join(const char *name, pid_t pid, struct err *e);
/* Removes the cgroup once its processes are gone; best effort. */
void cgroup_destroy(const char *name);

#endif
