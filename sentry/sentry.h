/* sentry/sentry.h — the kernel's state: one session, its tasks, its VFS.
 *
 * Owns: per-task and per-process state (cwd, umask, the pidfd and memory fd
 * through which the sentry reaches a task), the syscall table and dispatch,
 * exec resolution, audit. Knows nothing of how calls are caught (platform/)
 * or how bytes are stored (fs/).
 * Locking: one mutex serialises the notification thread and the tracer
 * thread; every hook takes it, the handlers run under it.
 */
#ifndef CORDON_SENTRY_H
#define CORDON_SENTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/vfs.h"
#include "platform/platform.h"
#include "sentry/image.h"
#include "sentry/events.h"
#include "sentry/policy.h"

/* What CLONE_FS shares: Linux keeps cwd and umask together in fs_struct. */
struct fs_ctx {
    struct inode *cwd;
    mode_t umask;
    int refs;
};

/* One thread group: what CLONE_FILES/CLONE_VM share. */
struct proc {
    pid_t tgid;
    int pidfd;      /* for pidfd_getfd on the guest's fds */
    int refs;
    pid_t guest_tgid;      /* as the guest sees it; 0 until /proc asks */
    struct inode *exe;     /* what it runs (/proc/<pid>/exe); NULL: unknown */
    bool exe_cached;       /* ... run through the exec cache */
};

struct task {
    pid_t tid;
    struct proc *proc;
    struct fs_ctx *fs;
    int mem;        /* /proc/<tid>/mem: pins the address space (see guest_mem_open) */
    pid_t guest_tid;       /* as the guest sees it; 0 until /proc asks */
    struct inode *next_exe;    /* resolved at its exec stop, the exe once the exec is done */
    bool next_exe_cached;
    struct task *next;   /* hash chain */
};

#define TASK_BUCKETS 1024

struct session {
    pthread_mutex_t lock;
    struct vfs *vfs;
    struct fs_cred cred;            /* the guest user */
    struct inode *initial_cwd;
    mode_t initial_umask;
    struct task *tasks[TASK_BUCKETS];
    const char *const *runtime;     /* host dirs bound at the same path natively */
    char exec_cache[256];           /* host dir of the exec cache */
    struct policy *policy;          /* NULL: defaults only */
    enum platform_kind platform;    /* concrete, chosen at creation */
    uid_t host_uid;                 /* what the guest runs as on the host */
    gid_t host_gid;
    uint64_t memory, pids;          /* cgroup limits of each exec's tree; 0: none */
    unsigned cpu_seconds;           /* CPU time of each exec's tree; 0: none */
    struct task *current;           /* whose call is being serviced: /proc/self */
    pid_t init_host;                /* host pid of the guest tree's init, once /proc looked */
    const char *hostname;           /* the guest's */
    struct net *net;                /* the network layer (net/net.h) */
    const char *host_root;          /* OCI rootfs the runtime comes from; NULL: host's / */
    struct image_layout image;      /* its runtime and /etc lists */
    bool verbose;
};

/* The platform's view of the sentry. */
void session_hooks(struct session *s, struct sentry_hooks *h);

/* Tasks (sentry/task.c). task_find adopts a task seen for the first time
 * from /proc (its parent's fork event may still be queued). */
struct task *task_find(struct session *s, pid_t tid);
void task_new(struct session *s, pid_t tid, pid_t parent, unsigned long clone_flags);
bool task_known(struct session *s, pid_t tid);
void task_exec(struct session *s, pid_t tid, pid_t former);
void task_exit(struct session *s, pid_t tid, int wstatus);
/* Drops every task left when a guest tree has ended (killed ones report no
 * exit), so a long-lived session keeps no fds of past execs. */
void task_forget_all(struct session *s);

/* Fills in t's guest ids (guest_tid, proc->guest_tgid) from the host's
 * /proc; -ESRCH once it is gone (sentry/procinfo.c). */
int task_guest_ids(struct task *t);
/* What /proc asks the sentry (sentry/procinfo.c); ctx is the session. */
extern const struct proc_ops procinfo_ops;

/* File events after the VFS answered (sentry/file_audit.c); call only when
 * events_enabled(). r is the call's result; hostfd the new fd or -1. */
void audit_open(struct session *s, const struct call *c, struct inode *start, const char *path,
                int flags, bool existed, int r, int hostfd);
void audit_path(struct session *s, const struct call *c, enum event_file_op op,
                struct inode *start, const char *path, struct inode *start2, const char *path2,
                int r);

/* The exec stop (sentry/exec.c). */
int sentry_exec(struct session *s, struct call *c, struct exec_plan *plan);
/* Whether the guest's native mount namespace has this host file at the
 * same path: it binds exactly the session's runtime directories. */
bool exec_in_runtime(const struct session *s, const char *host_path);


#endif
