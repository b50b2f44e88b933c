/* util/procfs.h — facts about a host task read from /proc. */
#ifndef CORDON_UTIL_PROCFS_H
#define CORDON_UTIL_PROCFS_H

#include <sys/types.h>

/* The thread group and the parent of task `tid` (from /proc/<tid>/status);
 * ppid may be NULL. 0 or -errno (-ESRCH once the task is gone). */
int proc_ids(pid_t tid, pid_t *tgid, pid_t *ppid);

#endif
