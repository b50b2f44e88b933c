/* platform/inject.c — installing a guest fd by running system calls in the
 * stopped guest task.
 *
 * Without SECCOMP_IOCTL_NOTIF_ADDFD a new fd can only reach the guest the
 * way any process receives one: over a unix socket. At the seccomp stop the
 * pending call is turned into socket(); the sentry takes a copy of that
 * socket with pidfd_getfd, connects it to its own listening socket (a path
 * outside the guest's mount namespace: no guest process can reach it) and
 * sends the fd with SCM_RIGHTS. The task then runs recvmsg(), dup3() of the
 * received fd over the socket and close() of the received copy: the file
 * ends up at the socket's number, the lowest free one when the call began,
 * as Linux's own open would have chosen. Each call after the first starts
 * from the previous one's syscall-exit stop by rewinding rip onto the
 * guest's 2-byte `syscall` instruction. All four are native in the filter,
 * so they run without another seccomp stop. With a single free fd the
 * received copy has nowhere to land and the call fails with EMFILE, one fd
 * earlier than Linux would.
 *
 * Signals are blocked in the task meanwhile: a handler must never run on
 * injected registers or see the temporary socket. The few that cannot be
 * blocked (SIGSTOP, a group stop) are held back and raised again at the end.
 */
#include "platform/inject.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/procfs.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define RED_ZONE 128

int fd_channel_open(struct fd_channel *ch, const struct launch_spec *spec, struct err *e)
{
    ch->addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
    /* Next to the exec cache, not in it: that dir is bound into the guest. */
    int n = snprintf(ch->addr.sun_path, sizeof ch->addr.sun_path, "%s.fd", spec->exec_cache);
    if (n < 0 || (size_t)n >= sizeof ch->addr.sun_path)
        return err_set(e, ENAMETOOLONG, "fd channel path %s.fd", spec->exec_cache);
    ch->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ch->listen_fd < 0)
        return err_set(e, errno, "fd channel socket");
    if (bind(ch->listen_fd, (struct sockaddr *)&ch->addr, sizeof ch->addr) < 0) {
        err_set(e, errno, "fd channel %s", ch->addr.sun_path);
        close(ch->listen_fd);   /* the path, if any, is not ours to remove */
        ch->listen_fd = -1;
        return -1;
    }
    if (listen(ch->listen_fd, 4) < 0) {
        err_set(e, errno, "fd channel %s", ch->addr.sun_path);
        fd_channel_close(ch);
        return -1;
    }
    return 0;
}

void fd_channel_close(struct fd_channel *ch)
{
    if (ch->listen_fd < 0)
        return;
    close(ch->listen_fd);
    ch->listen_fd = -1;
    unlink(ch->addr.sun_path);
}

/* What the guest's recvmsg works on, laid out below the red zone of its
 * stack (dead memory to a task stopped in a syscall). */
struct scratch {
    struct msghdr msg;
    struct iovec iov;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    char byte;
};

struct tracee {
    pid_t pid;
    const struct tracee_waiter *w;
    struct user_regs_struct regs;   /* working copy */
    uint64_t call_rip;              /* just past the guest's `syscall` instruction */
    bool in_exit_stop;              /* false: still at the seccomp stop */
    uint64_t held_signals;          /* bit sig-1: raise again at the end */
    bool gone;
};

/* Resumes the task up to its next syscall stop. A signal or group stop on
 * the way is held back rather than delivered. */
static int next_syscall_stop(struct tracee *t)
{
    for (;;) {
        /* ESRCH: killed while stopped; the wait below collects its exit. */
        if (ptrace(PTRACE_SYSCALL, t->pid, 0, 0) < 0 && errno != ESRCH)
            return -errno;
        int st;
        if (t->w->wait(t->w->ctx, t->pid, &st) < 0) {
            t->gone = true;
            return -ESRCH;
        }
        int event = st >> 16, sig = WSTOPSIG(st);
        if (event == 0 && sig == (SIGTRAP | 0x80))
            return 0;
        /* A signal-delivery stop, or a group stop (SIGTRAP there would be
         * a new child's first stop, which cannot come from these calls). */
        bool held = event == 0 || (event == PTRACE_EVENT_STOP && sig != SIGTRAP);
        if (held && sig >= 1 && sig <= 64)
            t->held_signals |= 1ull << (sig - 1);
    }
}

/* Runs nr(a0, a1, a2) in the task; returns its result or -errno. */
static long run_call(struct tracee *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    if (t->gone)
        return -ESRCH;   /* reaped: its pid may already be another task's */
    t->regs.orig_rax = (uint64_t)nr;
    t->regs.rdi = a0;
    t->regs.rsi = a1;
    t->regs.rdx = a2;
    if (t->in_exit_stop) {
        /* Back onto the `syscall` instruction, which takes the number from
         * rax; the registers are written again at the entry stop, so even
         * a guest thread rewriting that instruction cannot change which
         * call runs or where it returns. */
        t->regs.rax = (uint64_t)nr;
        t->regs.rip = t->call_rip - 2;
        if (ptrace(PTRACE_SETREGS, t->pid, 0, &t->regs) < 0)
            return -errno;
        int r = next_syscall_stop(t);
        if (r < 0)
            return r;
        t->regs.rip = t->call_rip;
    }
    /* At the seccomp stop (or an entry stop) the kernel has yet to run the
     * call: orig_rax and the arguments decide which. */
    if (ptrace(PTRACE_SETREGS, t->pid, 0, &t->regs) < 0)
        return -errno;
    t->in_exit_stop = true;
    int r = next_syscall_stop(t);
    if (r < 0)
        return r;
    if (ptrace(PTRACE_GETREGS, t->pid, 0, &t->regs) < 0)
        return -errno;
    return (long)t->regs.rax;
}

/* A pidfd for the process of thread `tid`: pidfd_open takes only
 * thread-group leaders (before Linux 6.9), so a thread's leader is looked
 * up. The task is stopped, so neither id can be reused meanwhile. */
static int process_pidfd(pid_t tid)
{
    int fd = (int)syscall(SYS_pidfd_open, tid, 0);
    if (fd >= 0 || (errno != EINVAL && errno != ENOENT))   /* 6.9+ says ENOENT */
        return fd < 0 ? -errno : fd;
    pid_t tgid;
    int r = proc_ids(tid, &tgid, NULL);
    if (r < 0)
        return r;
    fd = (int)syscall(SYS_pidfd_open, tgid, 0);
    return fd < 0 ? -errno : fd;
}

/* Connects the guest's socket `sock` to the channel from the sentry's side
 * and returns the sentry's end. Only the sentry can reach the channel, and
 * the queue is FIFO: the newest connection waiting is this one. An older
 * one can only be left by an accept that failed (EMFILE in the sentry);
 * it is dropped, never answered. */
static int connect_guest_socket(const struct fd_channel *ch, pid_t tid, int sock)
{
    _cleanup_close_ int pidfd = process_pidfd(tid);
    if (pidfd < 0)
        return pidfd;
    _cleanup_close_ int copy = (int)syscall(SYS_pidfd_getfd, pidfd, sock, 0);
    if (copy < 0)
        return -errno;   /* EBADF: a guest thread closed it already */
    if (connect(copy, (const struct sockaddr *)&ch->addr, sizeof ch->addr) < 0)
        return -errno;
    int conn = -1;
    for (;;) {
        int c = accept4(ch->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            break;
        if (conn >= 0)
            close(conn);
        conn = c;
    }
    return conn >= 0 ? conn : -errno;
}

static int send_fd(int conn, int fd)
{
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(conn, &m, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 0 : -errno;
}

/* The fd the guest's recvmsg left in the scratch area, or -EMFILE: without
 * room in its fd table the kernel drops the fd and sets MSG_CTRUNC. */
static long received_fd(pid_t pid, uint64_t base)
{
    struct scratch sc;
    if (stopped_read(pid, base, &sc, sizeof sc) < 0)
        return -EFAULT;
    if ((sc.msg.msg_flags & MSG_CTRUNC) || sc.msg.msg_controllen < CMSG_LEN(sizeof(int)) ||
        sc.ctl.h.cmsg_level != SOL_SOCKET || sc.ctl.h.cmsg_type != SCM_RIGHTS ||
        sc.ctl.h.cmsg_len != CMSG_LEN(sizeof(int)))
        return -EMFILE;
    int fd;
    memcpy(&fd, CMSG_DATA(&sc.ctl.h), sizeof fd);
    return fd;
}

/* socket .. recvmsg: the received fd, or -errno. The temporary socket's
 * number goes to *sock once it exists. */
static long transfer(const struct fd_channel *ch, struct tracee *t, uint64_t base, int hostfd,
                     long *sock)
{
    *sock = run_call(t, SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*sock < 0)
        return *sock;   /* EMFILE and the like: the call's own errno */
    _cleanup_close_ int conn = connect_guest_socket(ch, t->pid, (int)*sock);
    if (conn < 0)
        return conn;
    long r = send_fd(conn, hostfd);
    if (r < 0)
        return r;
    r = run_call(t, SYS_recvmsg, (uint64_t)*sock, base + offsetof(struct scratch, msg),
                 MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r < 0)
        return r;
    return received_fd(t->pid, base);
}

/* An install hands the CPU between tracer and task eight times. Between
 * two CPUs each hand-off wakes an idle one, which on a VM costs tens of µs
 * (70 µs per round trip measured, 3 µs on one CPU), so both are pinned to
 * the tracer's CPU meanwhile. Only an optimisation: a cpuset that refuses
 * it changes nothing. */
struct pinning {
    cpu_set_t tracer, task;
    bool tracer_pinned, task_pinned;
};

static void pin_together(pid_t pid, struct pinning *p)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    int cpu = sched_getcpu();
    if (cpu < 0)
        return;
    CPU_SET(cpu, &one);
    p->tracer_pinned = sched_getaffinity(0, sizeof p->tracer, &p->tracer) == 0 &&
                       sched_setaffinity(0, sizeof one, &one) == 0;
    p->task_pinned = sched_getaffinity(pid, sizeof p->task, &p->task) == 0 &&
                     sched_setaffinity(pid, sizeof one, &one) == 0;
}

/* Not for a task that is gone: its pid may be another's by now. A restore
 * fails only if the task died since, or if a cpuset took every CPU of the
 * old mask away; either way there is nothing better to restore. */
static void unpin(pid_t pid, bool gone, const struct pinning *p)
{
    if (p->task_pinned && !gone)
        (void)sched_setaffinity(pid, sizeof p->task, &p->task);
    if (p->tracer_pinned)
        (void)sched_setaffinity(0, sizeof p->tracer, &p->tracer);
}

long inject_fd(const struct fd_channel *ch, const struct tracee_waiter *w, pid_t pid,
               const struct user_regs_struct *regs, int hostfd, unsigned newfd_flags,
               bool *gone)
{
    struct tracee t = { .pid = pid, .w = w, .regs = *regs, .call_rip = regs->rip };
    *gone = false;

    uint64_t base = (regs->rsp - RED_ZONE - sizeof(struct scratch)) & ~(uint64_t)15;
    struct scratch sc;
    memset(&sc, 0, sizeof sc);
    sc.msg.msg_iov = (void *)(uintptr_t)(base + offsetof(struct scratch, iov));
    sc.msg.msg_iovlen = 1;
    sc.msg.msg_control = (void *)(uintptr_t)(base + offsetof(struct scratch, ctl));
    sc.msg.msg_controllen = sizeof sc.ctl.buf;
    sc.iov.iov_base = (void *)(uintptr_t)(base + offsetof(struct scratch, byte));
    sc.iov.iov_len = 1;
    /* EFAULT: the stack mapping ends within a few hundred bytes below rsp
     * (remote writes cannot grow it). */
    int r = stopped_write(pid, base, &sc, sizeof sc);
    if (r < 0)
        return r;

    uint64_t mask, all = ~0ull;
    if (ptrace(PTRACE_GETSIGMASK, pid, sizeof mask, &mask) < 0 ||
        ptrace(PTRACE_SETSIGMASK, pid, sizeof all, &all) < 0)
        return -errno;

    struct pinning pin = { 0 };
    pin_together(pid, &pin);
    long sock = -1;
    long received = transfer(ch, &t, base, hostfd, &sock);
    long result = received;
    if (received >= 0)   /* the file takes the socket's place, closing it atomically */
        result = run_call(&t, SYS_dup3, (uint64_t)received, (uint64_t)sock,
                          newfd_flags & O_CLOEXEC);
    /* Left to close: the received copy, and the socket unless dup3 replaced
     * it. Only a guest thread closing them first makes these fail. */
    if (received >= 0)
        (void)run_call(&t, SYS_close, (uint64_t)received, 0, 0);
    if (result < 0 && sock >= 0)
        (void)run_call(&t, SYS_close, (uint64_t)sock, 0, 0);
    unpin(pid, t.gone, &pin);
    if (t.gone) {
        *gone = true;
        return -ESRCH;
    }
    if (ptrace(PTRACE_SETSIGMASK, pid, sizeof mask, &mask) < 0)
        return -errno;
    /* Pending until the task leaves the stop; delivered as any other. */
    for (int sig = 1; sig <= 64; sig++)
        if ((t.held_signals & (1ull << (sig - 1))) && syscall(SYS_tkill, pid, sig) < 0)
            break;   /* the task is dying: nothing left to deliver */
    return result;
}
