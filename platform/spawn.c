/* platform/spawn.c — starting a program inside a running guest tree (what
 * `cordon exec` and `podman exec` need), through the tree's init.
 *
 * Why init forks it, rather than the sentry launching a second tree: a
 * second tree would have namespaces of its own (another pid namespace,
 * hostname, loopback), and the sentry serves one tree at a time. A child
 * of init is in the container's namespaces, under its filter, traced by
 * the same tracer, and the sentry learns of it through init's fork event
 * like any other task: nothing in the sentry runs concurrently for it.
 *
 * The channel is a SOCK_SEQPACKET pair made before init is cloned; one
 * request is one message: struct spawn_head, then exec path, cwd, argv and
 * envp as NUL-terminated strings, with four fds (stdin, stdout, stderr and
 * the requester's report socket). Init runs under the guest's filter, so
 * it uses only calls the filter lets through natively (recvmsg, ppoll,
 * wait4, fork, kill, write); chdir is serviced by the sentry like any
 * guest's.
 */
#include "platform/spawn.h"
#include "util/fdpass.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct spawn_head {
    uint32_t tty;
    uint32_t argc;
    uint32_t envc;
};

#define SPAWN_FDS 4
#define SPAWN_MAX_LIVE 64
#define SPAWN_MAX_STRINGS 4096

/* Init and the sentry both report. sendmsg, not write: no SIGPIPE when the
 * requester has gone (nobody is left to tell then). */
void spawn_tell(int report, enum spawn_report_kind kind, int32_t value)
{
    struct spawn_report r = { kind, value };
    struct iovec iov = { &r, sizeof r };
    fdpass_send(report, &iov, 1, NULL, 0);
}

/* ---- the sentry's side ---------------------------------------------------- */

static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t chan_changed = PTHREAD_COND_INITIALIZER;
static int chan_fd = -1;
static bool chan_ever;   /* a tree has started (or failed to) in this process */

void spawn_channel_set(int fd)
{
    pthread_mutex_lock(&chan_lock);
    if (chan_fd >= 0)
        close(chan_fd);
    chan_fd = fd;
    chan_ever = true;
    pthread_cond_broadcast(&chan_changed);
    pthread_mutex_unlock(&chan_lock);
}

/* A request may come between a container's `start` and its tree's launch
 * (a few ms): it waits for the tree, at most SPAWN_WAIT_S seconds. Once a
 * tree has run and ended, there is nothing to wait for. */
#define SPAWN_WAIT_S 10
static void await_tree(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SPAWN_WAIT_S;
    while (!chan_ever && pthread_cond_timedwait(&chan_changed, &chan_lock, &until) == 0)
        ;
}

static size_t append(char *buf, size_t at, const char *str)
{
    size_t n = strlen(str) + 1;
    if (at + n <= SPAWN_MAX_BYTES)
        memcpy(buf + at, str, n);
    return at + n;
}

int platform_spawn(const struct spawn_spec *s)
{
    static char buf[SPAWN_MAX_BYTES];
    static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
    struct spawn_head h = { .tty = s->tty };
    pthread_mutex_lock(&buf_lock);
    size_t at = append(buf, 0, s->exec_path);
    at = append(buf, at, s->cwd);
    for (; s->argv[h.argc] && h.argc < SPAWN_MAX_STRINGS; h.argc++)
        at = append(buf, at, s->argv[h.argc]);
    for (; s->envp[h.envc] && h.argc + h.envc < SPAWN_MAX_STRINGS; h.envc++)
        at = append(buf, at, s->envp[h.envc]);
    int r = 0;
    if (at > SPAWN_MAX_BYTES || s->argv[h.argc] || s->envp[h.envc])
        r = -E2BIG;
    int fds[SPAWN_FDS] = { s->stdio[0], s->stdio[1], s->stdio[2], s->report };
    struct iovec iov[2] = { { &h, sizeof h }, { buf, at <= SPAWN_MAX_BYTES ? at : 0 } };
    pthread_mutex_lock(&chan_lock);
    await_tree();
    if (r == 0 && chan_fd < 0)
        r = -ESRCH;
    if (r == 0)
        r = fdpass_send(chan_fd, iov, 2, fds, SPAWN_FDS);
    /* Init is gone: the tree is ending. */
    if (r == -EPIPE || r == -ECONNRESET)
        r = -ESRCH;
    pthread_mutex_unlock(&chan_lock);
    pthread_mutex_unlock(&buf_lock);
    return r;
}

/* ---- init's side -----------------------------------------------------------
 * init is a clone of the sentry with an address space of its own: these
 * statics are init's alone. */

static struct {
    pid_t pid;     /* 0: free */
    int report;    /* -1 once the requester has gone */
} live[SPAWN_MAX_LIVE];

static char req[sizeof(struct spawn_head) + SPAWN_MAX_BYTES + 1];
static char *strs[SPAWN_MAX_STRINGS + 4];


static void on_sigchld(int sig)
{
    (void)sig;   /* only to interrupt ppoll */
}

static __attribute__((noreturn)) void child(const struct spawn_head *h, const int *fds,
                                            const sigset_t *mask)
{
    char **argv = strs + 2, **envp = strs + 2 + h->argc + 1;
    sigprocmask(SIG_SETMASK, mask, NULL);
    setsid();
    for (int k = 0; k < 3; k++)
        if (dup2(fds[k], k) < 0)
            _exit(125);
    if (h->tty && ioctl(0, TIOCSCTTY, 0) < 0)
        _exit(125);
    static const char bad_cwd[] = "cordon: exec: cannot change into its cwd\n";
    if (chdir(strs[1]) < 0) {
        if (write(2, bad_cwd, sizeof bad_cwd - 1) < 0) {
            /* stderr closed: the status still tells */
        }
        _exit(125);
    }
    execve(strs[0], argv, envp);
    _exit(errno == ENOENT ? 127 : 126);
}

static char *next(char **p, char *end)
{
    char *z = *p < end ? memchr(*p, '\0', (size_t)(end - *p)) : NULL, *str = *p;
    if (z)
        *p = z + 1;
    return z ? str : NULL;
}

/* Splits the strings after the head into strs (path, cwd, argv, NULL,
 * envp, NULL): false when the message does not hold what the head says. */
static bool split(const struct spawn_head *h, char *p, char *end)
{
    if (h->argc == 0 || (size_t)h->argc + h->envc + 4 > sizeof strs / sizeof *strs)
        return false;
    size_t k = 0;
    for (uint32_t n = 0; n < 2 + h->argc; n++)
        if (!(strs[k++] = next(&p, end)))
            return false;
    strs[k++] = NULL;
    for (uint32_t n = 0; n < h->envc; n++)
        if (!(strs[k++] = next(&p, end)))
            return false;
    strs[k] = NULL;
    return true;
}

/* One request: false when the channel has closed. */
static bool take_request(int chan, const sigset_t *mask)
{
    struct iovec iov = { req, sizeof req - 1 };
    int fds[SPAWN_FDS] = { -1, -1, -1, -1 };
    unsigned nfds;
    ssize_t n = fdpass_recv(chan, &iov, 1, fds, SPAWN_FDS, &nfds);
    if (n == -EMSGSIZE || n == -EAGAIN)
        return true;   /* a malformed request (its fds are closed): skip it */
    if (n <= 0)
        return false;
    if (nfds != SPAWN_FDS) {
        for (unsigned k = 0; k < nfds; k++)
            close(fds[k]);
        return true;
    }
    struct spawn_head h;
    memcpy(&h, req, sizeof h < (size_t)n ? sizeof h : (size_t)n);
    int slot = -1;
    for (int k = 0; k < SPAWN_MAX_LIVE && slot < 0; k++)
        if (!live[k].pid)
            slot = k;
    /* Raw fork: glibc's takes locks other sentry threads may have held at
     * init's clone. With SPAWN_MAX_LIVE programs running, none more. */
    pid_t pid = (size_t)n < sizeof h || !split(&h, req + sizeof h, req + n) || slot < 0
                    ? -1
                    : (pid_t)syscall(SYS_fork);
    if (pid == 0)
        child(&h, fds, mask);
    if (pid < 0) {
        spawn_tell(fds[3], SPAWN_FAILED, 125);
    } else {
        spawn_tell(fds[3], SPAWN_STARTED, pid);
        live[slot].pid = pid;
        live[slot].report = fds[3];
        fds[3] = -1;
    }
    for (int k = 0; k < SPAWN_FDS; k++)
        if (fds[k] >= 0)
            close(fds[k]);
    return true;
}

static void reap(void)
{
    int st;
    pid_t pid;
    while ((pid = wait4(-1, &st, __WALL | WNOHANG, NULL)) > 0)
        for (int k = 0; k < SPAWN_MAX_LIVE; k++)
            if (live[k].pid == pid) {
                if (live[k].report >= 0) {
                    spawn_tell(live[k].report, SPAWN_EXITED, st);
                    close(live[k].report);
                }
                live[k].pid = 0;
            }
}

/* A signal number from the requester, or its hang-up. */
static void from_requester(int k)
{
    int32_t sig;
    ssize_t n = read(live[k].report, &sig, sizeof sig);
    if (n == sizeof sig && sig > 0 && sig < NSIG) {
        kill(live[k].pid, sig);
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (kill(-live[k].pid, SIGKILL) < 0)
        kill(live[k].pid, SIGKILL);   /* not yet a session leader */
    close(live[k].report);
    live[k].report = -1;
}

void spawn_serve(int chan)
{
    sigset_t chld, mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &mask);
    struct sigaction sa = { .sa_handler = on_sigchld };
    sigaction(SIGCHLD, &sa, NULL);
    for (;;) {
        struct pollfd pf[1 + SPAWN_MAX_LIVE];
        int of[1 + SPAWN_MAX_LIVE];
        nfds_t n = 0;
        pf[n++] = (struct pollfd){ .fd = chan, .events = POLLIN };
        for (int k = 0; k < SPAWN_MAX_LIVE; k++)
            if (live[k].pid && live[k].report >= 0) {
                of[n] = k;
                pf[n++] = (struct pollfd){ .fd = live[k].report, .events = POLLIN };
            }
        /* SIGCHLD is let in only while waiting here, so none is missed. */
        int ready = ppoll(pf, n, NULL, &mask);
        reap();
        if (ready <= 0)
            continue;
        if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && !take_request(chan, &mask)) {
            close(chan);
            chan = -1;   /* poll skips it from now on */
        }
        for (nfds_t k = 1; k < n; k++)
            if (pf[k].revents && live[of[k]].pid && live[of[k]].report == pf[k].fd)
                from_requester(of[k]);
    }
}
