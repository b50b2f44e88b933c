/* util/procfs.h — facts about a host task read from /proc. */
#ifndef CORDON_UTIL_PROCFS_H
#define CORDON_UTIL_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

/* The thread group and the parent of task `tid` (from /proc/<tid>/status);
 * ppid may be NULL. 0 or -errno (-ESRCH once the task is gone). */
int proc_ids(pid_t tid, pid_t *tgid, pid_t *ppid);

/* Whether task tid has a signal pending that its handler, or a default
 * action other than ignoring it, is waiting for (SigPnd, and ShdPnd when
 * tid is its process's only thread, less
 * SigBlk and the signals that would be ignored): what would interrupt a
 * system call it sleeps in. False once the task is gone. */
bool proc_signal_pending(pid_t tid);

/* Task tid's ids as its own pid namespace sees them (the last field of
 * NStgid, NSpid, NSpgid, NSsid: 0 when the group or session lies outside
 * that namespace), its parent as the host sees it, and how deep its pid
 * namespace is (the number of NSpid fields). */
struct proc_nsids {
    pid_t tgid, pid, pgid, sid;
    pid_t host_ppid;
    int depth;
};
int proc_nsids(pid_t tid, struct proc_nsids *out);
/* The same, from status text already read. */
int proc_nsids_parse(const char *status, struct proc_nsids *out);

#endif
