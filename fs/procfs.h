/* fs/procfs.h — what the VFS's synthetic /proc asks of whoever knows the
 * guest's tasks.
 *
 * fs/procfs.c owns the shape of /proc (which names exist, their inodes,
 * modes and listings, the magic links and the snapshots files are read
 * from); it knows nothing of tasks. The sentry implements these operations
 * (sentry/procinfo.c) and registers them with vfs_set_proc(). Every pid, tid
 * and fd number crossing this interface is the GUEST's: the provider maps
 * them to host tasks, so no host pid can reach /proc through fs/.
 *
 * All calls run under the sentry's lock, on behalf of "the caller": the task
 * whose system call is being serviced (what /proc/self names).
 */
#ifndef CORDON_FS_PROCFS_H
#define CORDON_FS_PROCFS_H

#include <stdio.h>
#include <sys/types.h>

#include "fs/vfs.h"

enum proc_list {
    PROC_PIDS,   /* thread group ids of the session's processes */
    PROC_TIDS,   /* thread ids of thread group `tgid` */
    PROC_FDS,    /* open fd numbers of thread group `tgid` */
};

struct proc_ops {
    /* The caller's thread group and thread; -ESRCH when no task calls. */
    int (*self)(void *ctx, pid_t *tgid, pid_t *tid);
    /* The thread group of thread `tid`, or -ESRCH. */
    pid_t (*tgid_of)(void *ctx, pid_t tid);
    /* Ascending numbers: fills up to n of them and returns how many exist,
     * or -errno (-ESRCH: no such process). */
    ssize_t (*list)(void *ctx, enum proc_list what, pid_t tgid, int *out, size_t n);
    /* A host copy of fd `fd` of process tgid (the caller closes it), or
     * -errno (-ENOENT: no such fd). */
    int (*fd_get)(void *ctx, pid_t tgid, int fd);
    /* The working directory of tid, the executable of tgid: a reference
     * the caller drops; -ENOENT when unknown. */
    int (*cwd)(void *ctx, pid_t tid, struct inode **out);
    int (*exe)(void *ctx, pid_t tgid, struct inode **out);
    /* Writes the content of file `what` to out: a path below /proc for
     * files that are not per task ("cpuinfo", "sys/kernel/ostype"), the
     * name inside /proc/<pid> ("status", "fdinfo" with fd set) otherwise.
     * 0 or -errno. */
    int (*show)(void *ctx, const char *what, pid_t tgid, pid_t tid, int fd, FILE *out);
};

/* Makes /proc ask `ops`; until then it holds only what needs no task. */
void vfs_set_proc(struct vfs *v, const struct proc_ops *ops, void *ctx);

/* Forgets what /proc cached about a task that has exited: /proc/<tid> and
 * /proc/<tgid>/task/<tid>, and /proc/<tgid> whole when tid == tgid (the
 * process is gone). An inode still in use (a cwd) lives on, removed. */
void vfs_proc_forget(struct vfs *v, pid_t tgid, pid_t tid);

/* The guest path of any inode (a file's is found through one of its
 * names); -ENOENT when it has none left, -ERANGE when buf is too small.
 * Returns the length without the NUL. */
ssize_t vfs_inode_path(struct vfs *v, struct inode *i, char *buf, size_t size);

#endif
