/* platform/ptrace.c — the tracer: process lifecycle, signals, exec stops,
 * and on the ptrace platform every serviced call.
 *
 * ptrace requests are only valid from the thread that attached, so this
 * loop runs on the main thread while the notification loop (seccomp
 * platform) has its own. It learns every fork/vfork/clone/exec/exit
 * exactly, re-injects signals (traced tasks stop for each one), keeps group
 * stops with PTRACE_LISTEN, forwards SIGINT/TERM/HUP/QUIT/USR1/USR2/ALRM/WINCH
 * given to cordon, and enforces the timeout by killing the guest's init (which takes
 * its pid namespace down). On the ptrace platform a serviced call is a
 * SECCOMP_RET_TRACE stop: the registers become a struct call for the same
 * dispatch hook, and the answer goes into rax with the call skipped.
 * A call that waits for a peer (call_open_later) leaves its task parked in
 * that stop, not resumed, while the loop serves everyone else; when its
 * worker is done (platform/deferred.c) the fd is injected and the task
 * resumed. Interrupted by a signal, it is resumed with EINTR, and at the
 * signal-delivery stop that follows, where the kernel has yet to look at
 * the result, the call is made the interrupted open again with
 * ERESTARTSYS: the kernel then restarts it or fails it with EINTR as the
 * handler's SA_RESTART says (a skipped call, orig_rax -1, is never
 * restarted, and ERESTARTSYS must not reach a task that ends up taking no
 * signal, so it is set only once one is being delivered).
 */
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/cgroup.h"
#include "platform/deferred.h"
#include "platform/filter.h"
#include "platform/inject.h"
#include "platform/launch.h"
#include "platform/seccomp_notify.h"
#include "platform/spawn.h"
#include "util/cleanup.h"
#include "util/cputime.h"
#include "util/procfs.h"
#include "util/seccomp_compat.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define FORK_RACE_MAX 256

struct tracer {
    const struct sentry_hooks *hooks;
    pid_t init_pid;
    pid_t prog_pid;      /* the PROGRAM: init's first child */
    int early_sig;       /* forwarded before the PROGRAM was known: sent once it is */
    bool prog_done;
    int prog_status;
    uint64_t prog_cpu_us;
    int sfd;             /* signalfd: SIGCHLD and the signals cordon forwards */
    int tfd;             /* timerfd of --timeout, or -1 */
    bool timed_out;
    int cfd;             /* timerfd sampling the tree's CPU time for --cpu, or -1 */
    uint64_t cpu_limit_us;
    bool cpu_exceeded;
    bool failed;         /* waiting itself failed: the guest was killed */
    struct err *e;
    const struct fd_channel *channel;   /* ptrace platform: how fds reach the guest */
    struct tracee_waiter waiter;
    /* A new task's first stop and its parent's fork event arrive in either
     * order. The task is held at its first stop until the fork event has
     * given the sentry its state: resumed earlier, it would be adopted from
     * a parent that may already have moved on (tar forks its archive
     * opener, then chdirs for -C: the child opened the archive in the
     * wrong directory). `held`: children stopped before their fork event
     * (0 = a free slot). */
    pid_t held[FORK_RACE_MAX];
    struct deferrals *deferred;  /* calls waiting for a peer, their tasks parked */
    /* Tasks resumed from an interrupted waiting call, until their
     * signal-delivery stop: the call to turn back into ERESTARTSYS. */
    struct { pid_t pid; long nr; } restart[FORK_RACE_MAX];
    unsigned nrestart;   /* entries in use: none on the hot path */
};

/* The call a task is making at its seccomp stop. */
static struct call call_at_stop(pid_t pid, const struct user_regs_struct *regs)
{
    return (struct call){
        .tid = pid, .nr = (int)regs->orig_rax, .addfd = -1, .held = true,
        .args = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9 },
    };
}

/* Lays the plan out just below the red zone of the stopped task's stack:
 * [pointer array][strings], and points the registers at it. The stack of a
 * task that is in execve is dead memory to it. */
static int apply_plan(pid_t pid, struct user_regs_struct *regs, const struct exec_plan *p)
{
    size_t npath = strlen(p->path) + 1;
    size_t nhead = 0;
    for (unsigned k = 0; k < p->n_head; k++)
        nhead += strlen(p->argv_head[k]) + 1;
    size_t nptr = p->n_head ? p->n_head + p->argv_rest + 1 : 0;
    size_t total = nptr * 8 + npath + nhead;
    if (total > 1u << 20)
        return -E2BIG;
    uint64_t base = (regs->rsp - 128 - total) & ~(uint64_t)15;
    _cleanup_free_ char *blk = malloc(total);
    if (!blk)
        return -ENOMEM;
    uint64_t *ptrs = (uint64_t *)blk;
    char *str = blk + nptr * 8;
    memcpy(str, p->path, npath);
    uint64_t path_addr = base + nptr * 8;
    uint64_t at = path_addr + npath;
    str += npath;
    for (unsigned k = 0; k < p->n_head; k++) {
        size_t n = strlen(p->argv_head[k]) + 1;
        memcpy(str, p->argv_head[k], n);
        ptrs[k] = at;
        at += n;
        str += n;
    }
    if (nptr) {
        int r = stopped_read(pid, p->argv_tail, ptrs + p->n_head, p->argv_rest * 8);
        if (r < 0)
            return r;
        ptrs[nptr - 1] = 0;
    }
    int r = stopped_write(pid, base, blk, total);
    if (r < 0)
        return r;
    regs->orig_rax = SYS_execve;
    regs->rdi = path_addr;
    regs->rsi = nptr ? base : p->argv_tail;
    regs->rdx = p->envp;
    return 0;
}

/* Skips the call at a syscall stop and makes r its result. */
static void answer(struct user_regs_struct *regs, long r)
{
    regs->orig_rax = (unsigned long long)-1;
    regs->rax = (unsigned long long)r;
}

static void exec_stop(struct tracer *t, pid_t pid, struct user_regs_struct *regs)
{
    struct call c = call_at_stop(pid, regs);
    struct exec_plan plan;
    int r = t->hooks->exec(t->hooks->ctx, &c, &plan);
    if (r == 0)
        r = apply_plan(pid, regs, &plan);
    if (r < 0)
        answer(regs, r);
}

/* A serviced call (ptrace platform). Returns false when the task must not
 * be resumed: it died while its fd was being installed, or it waits. */
static bool serviced_stop(struct tracer *t, pid_t pid, struct user_regs_struct *regs)
{
    struct call c = call_at_stop(pid, regs);
    long r = t->hooks->dispatch(t->hooks->ctx, &c);
    if (c.reopen) {
        r = deferred_start(t->deferred, &c);
        if (r == 0)
            return false;
        c.addfd = -1;
    }
    if (c.addfd >= 0) {
        bool gone;
        r = inject_fd(t->channel, &t->waiter, pid, regs, c.addfd, c.addfd_flags, &gone);
        close(c.addfd);
        if (gone)
            return false;
    }
    answer(regs, r);
    return true;
}

/* Returns false when the task must not be resumed. */
static bool seccomp_stop(struct tracer *t, pid_t pid)
{
    unsigned long kind;
    struct user_regs_struct regs;
    /* Failing: the task was killed in the stop; its exit comes next. */
    if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &kind) < 0 ||
        ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
        return false;
    if (kind == FILTER_TRACE_SERVICED) {
        if (!serviced_stop(t, pid, &regs))
            return false;
    } else {
        exec_stop(t, pid, &regs);
    }
    return ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0;
}

static unsigned long clone_flags_of(pid_t parent, int event)
{
    if (event == PTRACE_EVENT_FORK)
        return 0;
    if (event == PTRACE_EVENT_VFORK)
        return CLONE_VFORK | CLONE_VM;
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, parent, 0, &regs) < 0)
        return 0;
    /* clone3 is refused by the filter, so clone(2)'s flags are in rdi. */
    return regs.orig_rax == SYS_clone ? regs.rdi : 0;
}

/* A new task's first stop, before it has run anything. The PROGRAM is the
 * one child init ever forks; init's fork event may stay queued behind the
 * PROGRAM's whole life (waitpid picks any stopped tracee), so the PROGRAM
 * is recognised here too, or its exit would go unnoticed. */
/* Replaces `from` by `to` in the held set; false when `from` is absent. */
static bool held_swap(struct tracer *t, pid_t from, pid_t to)
{
    for (size_t k = 0; k < FORK_RACE_MAX; k++)
        if (t->held[k] == from) {
            t->held[k] = to;
            return true;
        }
    return false;
}

/* A caller's `kill` right after `start` may come before init has forked
 * the PROGRAM; it is delivered then, as if the PROGRAM had been there. */
static void prog_found(struct tracer *t, pid_t pid)
{
    t->prog_pid = pid;
    if (t->early_sig)
        kill(pid, t->early_sig);
}

static void new_child(struct tracer *t, pid_t pid)
{
    pid_t tgid, ppid;
    if (t->prog_pid == 0 && proc_ids(pid, &tgid, &ppid) == 0 && tgid == pid &&
        ppid == t->init_pid)
        prog_found(t, pid);
    /* The PROGRAM is never held: init's fork event may stay queued behind
     * it, and init does nothing after the fork that the PROGRAM inherits.
     * With the held set full, adoption from /proc copes as best it can. */
    if (pid != t->prog_pid && !t->hooks->task_known(t->hooks->ctx, pid) &&
        held_swap(t, 0, pid))
        return;
    ptrace(PTRACE_CONT, pid, 0, 0);
}

/* The call task pid was resumed from with EINTR, at its first stop since
 * (-1: none); the entry is forgotten. */
static long restart_take(struct tracer *t, pid_t pid)
{
    for (size_t k = 0; t->nrestart && k < FORK_RACE_MAX; k++)
        if (t->restart[k].pid == pid) {
            t->restart[k].pid = 0;
            t->nrestart--;
            return t->restart[k].nr;
        }
    return -1;
}

/* Answers the calls that waited for a peer, as their workers finish or
 * their tasks take a signal; each task sits in its seccomp stop. */
static void answer_deferred(struct tracer *t)
{
    bool interrupted;
    struct deferred *w;
    while ((w = deferred_next(t->deferred, &interrupted))) {
        pid_t pid = w->call.tid;
        struct user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) {
            deferred_free(w);   /* killed in the stop: its exit comes next */
            continue;
        }
        long r = w->fd;
        bool gone = false;
        if (interrupted) {
            r = -EINTR;   /* stays so only if the table is full */
            for (size_t k = 0; k < FORK_RACE_MAX; k++)
                if (t->restart[k].pid == 0) {
                    t->restart[k].pid = pid;
                    t->restart[k].nr = (long)regs.orig_rax;
                    t->nrestart++;
                    break;
                }
        } else if (w->fd >= 0) {
            r = inject_fd(t->channel, &t->waiter, pid, &regs, w->fd, w->call.addfd_flags, &gone);
        }
        deferred_free(w);
        if (gone)
            continue;
        answer(&regs, r);
        if (ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0)
            ptrace(PTRACE_CONT, pid, 0, 0);
    }
}

static void on_stop(struct tracer *t, pid_t pid, int status)
{
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    unsigned long msg = 0;
    long restart = restart_take(t, pid);
    switch (event) {
    case 0:
        if (restart >= 0) {
            struct user_regs_struct regs;
            if (ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0) {
                regs.orig_rax = (unsigned long long)restart;
                regs.rax = (unsigned long long)-ERESTARTSYS;
                ptrace(PTRACE_SETREGS, pid, 0, &regs);
            }
        }
        /* A signal on its way to the task: deliver it (SIGTRAP|0x80 would be
         * a syscall stop, which cordon never asks for). */
        ptrace(PTRACE_CONT, pid, 0, sig == (SIGTRAP | 0x80) ? 0 : sig);
        return;
    case PTRACE_EVENT_STOP:
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
            ptrace(PTRACE_LISTEN, pid, 0, 0);   /* group stop: stay stopped until SIGCONT */
        else
            new_child(t, pid);
        return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
        if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0) {
            t->hooks->task_new(t->hooks->ctx, (pid_t)msg, pid, clone_flags_of(pid, event));
            if (pid == t->init_pid && t->prog_pid == 0)
                prog_found(t, (pid_t)msg);
            if (held_swap(t, (pid_t)msg, 0))
                ptrace(PTRACE_CONT, (pid_t)msg, 0, 0);
        }
        break;
    case PTRACE_EVENT_EXEC:
        /* A thread's exec took the leader's pid: a call the old leader
         * waited in is gone with it. */
        deferred_forget(t->deferred, pid);
        if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0)
            t->hooks->task_exec(t->hooks->ctx, pid, (pid_t)msg);
        break;
    case PTRACE_EVENT_SECCOMP:
        if (!seccomp_stop(t, pid))
            return;
        break;
    default:
        break;
    }
    ptrace(PTRACE_CONT, pid, 0, 0);
}

static void task_ended(struct tracer *t, pid_t pid, int status, const struct rusage *ru)
{
    held_swap(t, pid, 0);   /* killed while held */
    deferred_forget(t->deferred, pid);
    restart_take(t, pid);
    t->hooks->task_exit(t->hooks->ctx, pid, status);
    if (pid == t->prog_pid && !t->prog_done) {
        t->prog_done = true;
        t->prog_status = status;
        t->prog_cpu_us = (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000u +
                         (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
    }
    /* The session is the PROGRAM's: when it ends, init's death takes
     * every process left in the pid namespace with it. */
    if (t->prog_done || pid == t->init_pid)
        kill(t->init_pid, SIGKILL);
}

/* Returns false once nothing is left to wait for. */
static bool reap(struct tracer *t)
{
    for (;;) {
        int status;
        struct rusage ru;
        pid_t pid = wait4(-1, &status, __WALL | WNOHANG, &ru);
        if (pid == 0)
            return true;
        if (pid < 0)
            return errno != ECHILD;
        if (WIFSTOPPED(status))
            on_stop(t, pid, status);
        else
            task_ended(t, pid, status, &ru);
    }
}

static void forward(struct tracer *t, const struct signalfd_siginfo *si)
{
    /* A terminal's ^C or ^\ already reached the guest, which shares cordon's
     * foreground process group; only signals sent to cordon alone are
     * passed on. */
    if (si->ssi_code == SI_KERNEL)
        return;
    if (t->prog_pid > 0 && !t->prog_done)
        kill(t->prog_pid, (int)si->ssi_signo);
    else if (!t->prog_pid)
        t->early_sig = (int)si->ssi_signo;
}

/* Blocks until a signal (SIGCHLD included) or the timeout comes, and acts
 * on the timeout and on the signals cordon forwards. */
static void await_event(struct tracer *t)
{
    /* poll skips negative fds. */
    struct pollfd pf[4] = { { .fd = t->sfd, .events = POLLIN }, { .fd = t->tfd, .events = POLLIN },
                            { .fd = t->cfd, .events = POLLIN },
                            { .fd = t->deferred->wake, .events = POLLIN } };
    if (poll(pf, 4, deferrals_timeout(t->deferred)) < 0) {
        if (errno != EINTR) {
            err_set(t->e, errno, "poll");
            t->failed = true;
            kill(t->init_pid, SIGKILL);
        }
        return;
    }
    if (pf[1].revents & POLLIN) {
        t->timed_out = true;
        kill(t->init_pid, SIGKILL);
        close(t->tfd);
        t->tfd = -1;
    }
    uint64_t ticks;
    if ((pf[2].revents & POLLIN) && read(t->cfd, &ticks, sizeof ticks) == sizeof ticks &&
        !t->cpu_exceeded && cputime_tree_us(t->init_pid) >= t->cpu_limit_us) {
        t->cpu_exceeded = true;
        kill(t->init_pid, SIGKILL);
    }
    if (pf[0].revents & POLLIN) {
        struct signalfd_siginfo si;
        if (read(t->sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
            forward(t, &si);
    }
}

/* True once `pid` has died. A thread-group leader that dies before its
 * threads is not reported by waitpid(pid) until reap() has collected them,
 * so its death is read from /proc. */
static bool task_dead(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    const char *end = strrchr(buf, ')');   /* after the name, which may hold anything */
    return !end || end[1] != ' ' || end[2] == 'Z' || end[2] == 'X';
}

/* The injector's wait for one task: other tasks' stops stay queued for
 * reap(), but the timeout and cordon's signals are served meanwhile, so a
 * guest cannot hold the session by never reaching its next stop. */
static int wait_task(void *ctx, pid_t pid, int *status)
{
    struct tracer *t = ctx;
    for (bool woken = false;; woken = true) {
        struct rusage ru;
        pid_t w = wait4(pid, status, __WALL | WNOHANG, &ru);
        if (w == pid) {
            int event = *status >> 16;
            if (WIFSTOPPED(*status) && (event == 0 || event == PTRACE_EVENT_STOP))
                return 0;
            /* Any other event is a new image's: another thread's execve
             * killed this one and took over its pid. */
            if (WIFSTOPPED(*status))
                on_stop(t, pid, *status);
            else
                task_ended(t, pid, *status, &ru);
            return -ESRCH;
        }
        /* Something else woke us: if it was this task's death, reap()
         * collects it later. */
        if (w < 0 || t->failed || (woken && task_dead(pid)))
            return -ESRCH;
        await_event(t);
    }
}

int platform_run(const struct launch_spec *spec, const struct sentry_hooks *hooks,
                 unsigned timeout_ms, struct guest_outcome *out, struct err *e)
{
    /* Besides SIGCHLD, the signals a caller means for the program (an
     * OCI runtime's `kill` names any): job control stays cordon's own,
     * faults and SIGPIPE stay what they are for the sentry. */
    static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                                     SIGALRM, SIGWINCH };
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (size_t k = 0; k < sizeof forwarded / sizeof *forwarded; k++)
        sigaddset(&set, forwarded[k]);
    /* Blocked before any thread exists, so every thread inherits it and
     * only the signalfd sees these signals. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return err_set(e, errno, "sigprocmask");
    _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        return err_set(e, errno, "signalfd");
    __attribute__((cleanup(deferrals_fini))) struct deferrals deferred = { .wake = -1 };
    if (deferrals_init(&deferred, e) < 0)
        return -1;
    _cleanup_close_ int tfd = -1;
    if (timeout_ms) {
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        struct itimerspec it = {
            .it_value = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L },
        };
        if (tfd < 0 || timerfd_settime(tfd, 0, &it, NULL) < 0)
            return err_set(e, errno, "timerfd");
    }

    /* --cpu: the tree's CPU time, sampled every 100 ms (a session may
     * overrun by that much per CPU). */
    _cleanup_close_ int cfd = -1;
    if (spec->cpu_seconds) {
        cfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        struct itimerspec it = { .it_value = { 0, 100000000L }, .it_interval = { 0, 100000000L } };
        if (cfd < 0 || timerfd_settime(cfd, 0, &it, NULL) < 0)
            return err_set(e, errno, "timerfd");
    }

    bool ptrace_platform = spec->platform == PLATFORM_PTRACE;
    __attribute__((cleanup(fd_channel_close))) struct fd_channel channel = { .listen_fd = -1 };
    if (ptrace_platform && fd_channel_open(&channel, spec, e) < 0)
        return -1;
    uint32_t serviced = ptrace_platform ? SECCOMP_RET_TRACE | FILTER_TRACE_SERVICED
                                        : SECCOMP_RET_USER_NOTIF;
    struct sock_fprog prog;
    if (filter_build(spec->table, spec->table_len, serviced, &prog, e) < 0)
        return -1;
    if (spec->cgroup_name &&
        cgroup_create(spec->cgroup_name, spec->memory_limit, spec->pids_limit, e) < 0) {
        free(prog.filter);
        return -1;
    }
    struct launched g;
    int r = launch_guest(spec, &prog, &g, e);
    free(prog.filter);
    pthread_t th;
    if (r == 0 && !ptrace_platform && notify_start(g.listener, hooks, &th, e) < 0) {
        kill(g.init_pid, SIGKILL);
        close(g.spawn);
        r = -1;
    }
    if (r < 0) {
        spawn_channel_set(-1);   /* nobody waits for this tree any more */
        if (spec->cgroup_name)
            cgroup_destroy(spec->cgroup_name);
        return -1;
    }
    spawn_channel_set(g.spawn);

    struct tracer t = {
        .hooks = hooks, .init_pid = g.init_pid, .sfd = sfd, .tfd = tfd, .e = e,
        .channel = &channel, .cfd = cfd, .deferred = &deferred,
        /* The tree gets the grace the kernel gives one process past its soft
         * RLIMIT_CPU, so a single spinner still sees SIGXCPU first. */
        .cpu_limit_us = (spec->cpu_seconds + 1) * 1000000ull,
    };
    t.waiter = (struct tracee_waiter){ .ctx = &t, .wait = wait_task };
    bool alive = true;
    while (alive && !t.failed) {
        await_event(&t);
        answer_deferred(&t);
        /* SIGCHLD coalesces: drain every pending state change each time. */
        alive = reap(&t);
    }
    tfd = t.tfd;   /* closed by await_event when it fired */
    spawn_channel_set(-1);
    /* A session runs many trees: the loop ends at POLLHUP once the tree is
     * gone, and its thread and listener must not outlive it. */
    if (!ptrace_platform) {
        pthread_join(th, NULL);
        close(g.listener);
    }
    if (spec->cgroup_name)
        cgroup_destroy(spec->cgroup_name);
    out->timed_out = t.timed_out;
    out->wstatus = t.prog_done ? t.prog_status : (SIGKILL & 0x7f);
    out->cpu_us = t.prog_cpu_us;
    out->cpu_exceeded = t.cpu_exceeded;
    return t.failed ? -1 : 0;
}
