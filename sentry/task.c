/* sentry/task.c — the guest's tasks as the sentry tracks them.
 *
 * Threads share their fs_ctx and proc; fork copies the fs_ctx. Creation
 * follows the clone flags the tracer saw; a task whose first serviced call
 * overtakes its parent's fork event is adopted from /proc (its parent is
 * still inside fork then, so copying the parent's state is exact), and so
 * is each unknown ancestor of it, up to the nearest known one — also when
 * the tracer reports a child's creation before its parent's.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/procfs.h"
#include "sentry/sentry.h"
#include "util/procfs.h"

static unsigned bucket(pid_t tid) { return (unsigned)tid % TASK_BUCKETS; }

static struct task *lookup(struct session *s, pid_t tid)
{
    for (struct task *t = s->tasks[bucket(tid)]; t; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

static void fs_put(struct fs_ctx *f)
{
    if (--f->refs == 0) {
        inode_put(f->cwd);
        free(f);
    }
}

static struct fs_ctx *fs_new(struct inode *cwd, mode_t umask_)
{
    struct fs_ctx *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    inode_get(cwd);
    f->cwd = cwd;
    f->umask = umask_;
    f->refs = 1;
    return f;
}

static void proc_put(struct proc *p)
{
    if (--p->refs == 0) {
        if (p->pidfd >= 0)
            close(p->pidfd);
        inode_put(p->exe);
        free(p);
    }
}

/* A new process runs what its parent (if known) runs, until it execs. */
static struct proc *proc_new(pid_t tgid, const struct task *parent)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->tgid = tgid;
    p->refs = 1;
    if (parent && parent->proc->exe) {
        p->exe = parent->proc->exe;
        p->exe_cached = parent->proc->exe_cached;
        inode_get(p->exe);
    }
    p->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
    return p;
}

static void unlink_task(struct session *s, struct task *t)
{
    for (struct task **pp = &s->tasks[bucket(t->tid)]; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            return;
        }
}

static void task_free(struct task *t)
{
    if (t->mem >= 0)
        close(t->mem);
    inode_put(t->next_exe);
    fs_put(t->fs);
    proc_put(t->proc);
    free(t);
}

/* Creates tid as a child of `parent` (NULL: a root of the guest tree). */
/* The guest tree's devpts instance, seen through the root of its first
 * task the sentry meets (every task of a tree shares that mount
 * namespace). */
static void pts_attach(struct session *s, pid_t tid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/root" PTS_GUEST_DIR, (int)tid);
    int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        vfs_pts_attach(s->vfs, fd);
}

static struct task *create(struct session *s, pid_t tid, pid_t tgid, struct task *parent,
                           unsigned long flags)
{
    struct task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->tid = tid;
    t->mem = guest_mem_open(tid);
    if (parent && (flags & CLONE_FS)) {
        t->fs = parent->fs;
        t->fs->refs++;
    } else {
        t->fs = parent ? fs_new(parent->fs->cwd, parent->fs->umask)
                       : fs_new(s->initial_cwd, s->initial_umask);
    }
    if (parent && (flags & CLONE_THREAD)) {
        t->proc = parent->proc;
        t->proc->refs++;
    } else {
        struct task *leader = tgid != tid ? lookup(s, tgid) : NULL;
        if (leader) {
            t->proc = leader->proc;
            t->proc->refs++;
        } else {
            t->proc = proc_new(tgid, parent);
        }
    }
    if (!t->fs || !t->proc || t->mem < 0) {
        if (t->mem >= 0)
            close(t->mem);
        if (t->fs)
            fs_put(t->fs);
        if (t->proc)
            proc_put(t->proc);
        free(t);
        return NULL;
    }
    t->next = s->tasks[bucket(tid)];
    s->tasks[bucket(tid)] = t;
    if (events_enabled() && task_guest_ids(t) == 0 && tid == tgid)
        event_spawn(t->proc->guest_tgid, t->guest_tid, parent ? parent->proc->guest_tgid : 0,
                    false);
    if (!vfs_pts_attached(s->vfs))
        pts_attach(s, tid);
    return t;
}

/* Bounds the walk up an unknown ancestry: a fork chain longer than this,
 * all of it unseen, starts from the session's initial state. */
#define ADOPT_DEPTH 64

static struct task *adopt(struct session *s, pid_t tid, int depth);

/* The task that `tid` (of parent `ppid`) copies its state from. An unknown
 * parent is one whose own creation event is pending too, so its parent in
 * turn is stopped in that fork: adopting up the chain copies each state
 * exactly, up to the guest's init (pid 1 of the guest's pid namespace),
 * whose children start from the session's initial state. */
static struct task *parent_of(struct session *s, pid_t tid, pid_t ppid, int depth)
{
    struct task *p = lookup(s, ppid);
    if (p)
        return p;
    struct proc_nsids me, parent;
    if (proc_nsids(tid, &me) < 0 || proc_nsids(ppid, &parent) < 0 ||
        parent.depth != me.depth || parent.pid == 1)
        return NULL;
    return adopt(s, ppid, depth - 1);
}

/* A task whose first serviced call (or exec) overtook the event that
 * created it. */
static struct task *adopt(struct session *s, pid_t tid, int depth)
{
    pid_t tgid, ppid;
    if (depth <= 0 || proc_ids(tid, &tgid, &ppid) < 0)
        return NULL;
    if (tgid != tid) {
        struct task *leader = lookup(s, tgid);
        if (!leader)
            leader = adopt(s, tgid, depth - 1);
        return create(s, tid, tgid, leader, leader ? CLONE_FS | CLONE_THREAD : 0);
    }
    return create(s, tid, tgid, parent_of(s, tid, ppid, depth), 0);
}

struct task *task_find(struct session *s, pid_t tid)
{
    struct task *t = lookup(s, tid);
    return t ? t : adopt(s, tid, ADOPT_DEPTH);
}

bool task_known(struct session *s, pid_t tid)
{
    return lookup(s, tid) != NULL;
}

void task_new(struct session *s, pid_t tid, pid_t parent, unsigned long flags)
{
    if (lookup(s, tid))
        return;   /* already adopted through its first call */
    /* The tracer may see a child's creation before its parent's. */
    struct task *p = parent_of(s, tid, parent, ADOPT_DEPTH);
    pid_t tgid = (flags & CLONE_THREAD) && p ? p->proc->tgid : tid;
    create(s, tid, tgid, p, flags);
}

void task_exec(struct session *s, pid_t tid, pid_t former)
{
    /* A non-leader thread that execs takes over the leader's tid; the old
     * leader is gone and the new image has a new address space. */
    if (former != tid) {
        struct task *old = lookup(s, tid);
        if (old) {
            unlink_task(s, old);
            task_free(old);
        }
        struct task *t = lookup(s, former);
        if (t) {
            unlink_task(s, t);
            t->tid = tid;
            t->next = s->tasks[bucket(tid)];
            s->tasks[bucket(tid)] = t;
        }
    }
    struct task *t = lookup(s, tid);
    if (!t)
        return;
    if (t->mem >= 0)
        close(t->mem);
    t->mem = guest_mem_open(tid);
    t->guest_tid = 0;
    if (t->next_exe) {
        inode_put(t->proc->exe);
        t->proc->exe = t->next_exe;
        t->proc->exe_cached = t->next_exe_cached;
        t->next_exe = NULL;
    }
}

/* /proc forgets a task that is going away, and its process with the last
 * thread. Only a task /proc has looked at (its guest ids known) can have
 * anything cached there. */
static void forget_proc(struct session *s, const struct task *t)
{
    pid_t tgid = t->proc->guest_tgid;
    if (!t->guest_tid || !tgid)
        return;
    if (t->guest_tid != tgid)
        vfs_proc_forget(s->vfs, tgid, t->guest_tid);
    if (t->proc->refs == 1)
        vfs_proc_forget(s->vfs, tgid, tgid);
}

void task_exit(struct session *s, pid_t tid, int wstatus)
{
    struct task *t = lookup(s, tid);
    if (!t)
        return;
    if (tid == t->proc->tgid)
        event_exit(t->proc->guest_tgid, t->proc->guest_tgid, wstatus);
    unlink_task(s, t);
    forget_proc(s, t);
    task_free(t);
}

void task_forget_all(struct session *s)
{
    vfs_pts_detach(s->vfs);
    for (unsigned b = 0; b < TASK_BUCKETS; b++)
        while (s->tasks[b]) {
            struct task *t = s->tasks[b];
            s->tasks[b] = t->next;
            forget_proc(s, t);
            task_free(t);
        }
}
