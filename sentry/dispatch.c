/* sentry/dispatch.c — the hot path: number -> handler, under the lock.
 * No allocation and no logging here; a task's first call is the one
 * exception (it is adopted into the task table). */
#include <errno.h>

#include "sentry/stats.h"
#include "sentry/syscalls.h"

static long dispatch(void *ctx, struct call *c)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->lock);
    long r;
    struct task *t = task_find(s, c->tid);
    if (!t) {
        r = -ESRCH;   /* gone before it could be looked at */
    } else {
        c->task = t;
        s->current = t;
        stats_call(c->nr);
        sys_handler *fn = (unsigned)c->nr < SYSCALL_MAX ? syscall_table[c->nr].fn : NULL;
        r = fn ? fn(s, c) : sys_unlisted(s, c);
        s->current = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int exec_hook(void *ctx, struct call *c, struct exec_plan *plan)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->lock);
    int r = -ESRCH;
    struct task *t = task_find(s, c->tid);
    if (t) {
        c->task = t;
        s->current = t;
        stats_call(c->nr);
        r = sentry_exec(s, c, plan);
        s->current = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

static void new_hook(void *ctx, pid_t tid, pid_t parent, unsigned long flags)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->lock);
    task_new(s, tid, parent, flags);
    pthread_mutex_unlock(&s->lock);
}

static bool known_hook(void *ctx, pid_t tid)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->lock);
    bool known = task_known(s, tid);
    pthread_mutex_unlock(&s->lock);
    return known;
}

static void exec_done_hook(void *ctx, pid_t tid, pid_t former)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->lock);
    task_exec(s, tid, former);
    pthread_mutex_unlock(&s->lock);
}

static void exit_hook(void *ctx, pid_t tid, int wstatus)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->lock);
    task_exit(s, tid, wstatus);
    pthread_mutex_unlock(&s->lock);
}

void session_hooks(struct session *s, struct sentry_hooks *h)
{
    *h = (struct sentry_hooks){
        .ctx = s, .dispatch = dispatch, .exec = exec_hook, .task_new = new_hook,
        .task_known = known_hook, .task_exec = exec_done_hook, .task_exit = exit_hook,
    };
}
