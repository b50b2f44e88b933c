#include "tests/integration/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_S 30.0
#define MAX_ARGS 128
#define MAX_ENV 512

extern char **environ;

struct buf {
    char *data;
    size_t len, cap;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what is there; returns false at EOF. */
static bool buf_read(struct buf *b, int fd)
{
    if (b->cap - b->len < 65536 + 1) {
        b->cap = b->cap ? b->cap * 2 : 131072;
        b->data = realloc(b->data, b->cap);
        cr_assert_not_null(b->data, "out of memory capturing output");
    }
    ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    cr_assert_geq(n, 0, "read from child pipe: %s", strerror(errno));
    b->len += (size_t)n;
    b->data[b->len] = '\0';
    return n > 0;
}

static char *buf_take(struct buf *b, size_t *len)
{
    *len = b->len;
    return b->data ? b->data : strdup("");
}

/* cordon's environment: ours, with o->env entries added or replacing ours. */
static void build_env(const struct run_opts *o, const char *envp[MAX_ENV])
{
    size_t n = 0;
    for (char **e = environ; *e; e++) {
        bool overridden = false;
        for (const char *const *x = o->env; x && *x; x++) {
            size_t name_len = strcspn(*x, "=");
            if (strncmp(*e, *x, name_len) == 0 && (*e)[name_len] == '=')
                overridden = true;
        }
        if (!overridden && n < MAX_ENV - 1)
            envp[n++] = *e;
    }
    for (const char *const *x = o->env; x && *x; x++) {
        cr_assert_lt(n, MAX_ENV - 1, "too many environment variables");
        envp[n++] = *x;
    }
    envp[n] = NULL;
}

static int open_stdin(const struct run_opts *o)
{
    if (o->stdin_path || !o->stdin_data) {
        const char *path = o->stdin_path ? o->stdin_path : "/dev/null";
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0, "open %s: %s (did make build it?)", path, strerror(errno));
        return fd;
    }
    /* A memfd rather than a pipe: the child can read it at its own pace and
     * we need not interleave writing stdin with draining stdout/stderr. */
    int fd = memfd_create("stdin", MFD_CLOEXEC);
    size_t len = strlen(o->stdin_data);
    cr_assert(fd >= 0 && write(fd, o->stdin_data, len) == (ssize_t)len && lseek(fd, 0, SEEK_SET) == 0,
              "staging stdin: %s", strerror(errno));
    return fd;
}

static pid_t spawn(const struct run_opts *o, const char *const argv[], int in, int out, int err)
{
    const char *envp[MAX_ENV];
    build_env(o, envp);
    /* Reports a failed exec, so a missing cordon binary is not mistaken for
     * cordon's own exit status 127. */
    int exec_err[2];
    cr_assert_eq(pipe2(exec_err, O_CLOEXEC), 0);

    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Own process group, so a timeout can kill everything it started. */
        setpgid(0, 0);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execvpe(argv[0], (char *const *)argv, (char *const *)envp);
        int e = errno;
        (void)!write(exec_err[1], &e, sizeof e);
        _exit(127);
    }
    /* Also here: the child may not have run yet when we signal its group. */
    setpgid(pid, pid);
    close(exec_err[1]);
    int e = 0;
    ssize_t n = read(exec_err[0], &e, sizeof e);
    close(exec_err[0]);
    cr_assert_eq(n, 0, "cannot execute %s: %s (set CORDON / CORDON_PROGS, or run make)", argv[0], strerror(e));
    return pid;
}

static int decode_status(int ws)
{
    return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

void run_cmd(struct run *r, const struct run_opts *o, const char *const argv[])
{
    static const struct run_opts defaults;
    if (!o)
        o = &defaults;
    double timeout = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
    int out[2], err[2];
    cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    int in = open_stdin(o);

    double start = now_s();
    pid_t pid = spawn(o, argv, in, out[1], err[1]);
    close(in);
    close(out[1]);
    close(err[1]);

    struct buf bufs[2] = {0};
    struct pollfd pfd[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    bool signalled = false, timed_out = false;
    int status = -1;
    /* Drain both pipes until EOF, then reap; the deadline covers both, so a
     * guest process that outlives cordon while holding stdout open fails the
     * test instead of hanging it. */
    while (status < 0) {
        double left = start + timeout - now_s();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        if (pfd[0].fd < 0 && pfd[1].fd < 0) {
            int ws;
            pid_t w = waitpid(pid, &ws, WNOHANG);
            cr_assert_geq(w, 0, "waitpid: %s", strerror(errno));
            if (w == pid)
                status = decode_status(ws);
            else
                usleep(2000);
            continue;
        }
        int timeout_ms = (int)(left * 1000) + 1;
        if (poll(pfd, 2, timeout_ms) < 0) {
            cr_assert_eq(errno, EINTR, "poll: %s", strerror(errno));
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].fd >= 0 && pfd[i].revents && !buf_read(&bufs[i], pfd[i].fd)) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
            }
        }
        if (o->signal_on && !signalled && bufs[0].data && strstr(bufs[0].data, o->signal_on)) {
            kill(pid, o->signal);
            signalled = true;
        }
    }
    r->secs = now_s() - start;
    for (int i = 0; i < 2; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
    /* Whatever cordon left in its group (nothing, if it works) goes too. */
    kill(-pid, SIGKILL);
    if (timed_out)
        waitpid(pid, NULL, 0);
    r->status = status;
    r->out = buf_take(&bufs[0], &r->out_len);
    r->err = buf_take(&bufs[1], &r->err_len);
    cr_assert(!timed_out, "%s did not finish within %.0f s" RUN_CONTEXT, argv[0], timeout, RUN_CONTEXT_ARGS(r));
}

void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
    *r = (struct run){0};
}

const char *cordon_path(void)
{
    const char *p = getenv("CORDON");
    return p && *p ? p : "build/cordon";
}

const char *progs_path(const char *prog, char *buf, size_t len)
{
    const char *dir = getenv("CORDON_PROGS");
    snprintf(buf, len, "%s/%s", dir && *dir ? dir : "build/progs", prog);
    return buf;
}

/* Concatenates NULL-terminated lists into one argv. */
static void argv_join(const char *argv[MAX_ARGS], const char *const *const lists[], size_t nlists)
{
    size_t n = 0;
    for (size_t l = 0; l < nlists; l++)
        for (const char *const *a = lists[l]; a && *a; a++) {
            cr_assert_lt(n, MAX_ARGS - 1, "too many arguments");
            argv[n++] = *a;
        }
    argv[n] = NULL;
}

void run_cordon_cli(struct run *r, const struct run_opts *o, const char *const args[])
{
    const char *argv[MAX_ARGS];
    argv_join(argv, (const char *const *const[]){ARGV(cordon_path()), args}, 2);
    run_cmd(r, o, argv);
}

const char *platform_under_test(void)
{
    const char *p = getenv("CORDON_PLATFORM");
    return p && *p ? p : NULL;
}

void run_guest(struct run *r, const struct run_opts *o, const char *const guest_argv[])
{
    const char *argv[MAX_ARGS];
    const char *const *extra = o ? o->cordon_opts : NULL;
    /* Before the test's own options, so a test that names a platform wins. */
    const char *platform = platform_under_test();
    const char *const *chosen = platform ? ARGV("--platform", platform) : NULL;
    argv_join(argv, (const char *const *const[]){ARGV(cordon_path(), "run"), chosen, extra, ARGV("--"), guest_argv}, 5);
    run_cmd(r, o, argv);
}

void run_sh(struct run *r, const struct run_opts *o, const char *script)
{
    run_guest(r, o, ARGV("/bin/sh", "-c", script));
}

void run_prog(struct run *r, const struct run_opts *o, const char *prog, const char *const args[])
{
    struct run_opts with_stdin = o ? *o : (struct run_opts){0};
    cr_assert(!with_stdin.stdin_data && !with_stdin.stdin_path, "run_prog: stdin carries the program");
    char path[512], script[256];
    with_stdin.stdin_path = progs_path(prog, path, sizeof path);
    snprintf(script, sizeof script, "cat > /tmp/%s && chmod +x /tmp/%s && exec /tmp/%s \"$@\"", prog, prog, prog);
    const char *argv[MAX_ARGS];
    /* "$@" passes args through untouched: no quoting to get wrong. */
    argv_join(argv, (const char *const *const[]){ARGV("/bin/sh", "-c", script, prog), args}, 2);
    run_guest(r, &with_stdin, argv);
}

bool has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text;; p++) {
        if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
            return true;
        p = strchr(p, '\n');
        if (!p)
            return false;
    }
}

void random_tag(char tag[17])
{
    unsigned char bytes[8];
    cr_assert_eq(getrandom(bytes, sizeof bytes, 0), (ssize_t)sizeof bytes);
    for (int i = 0; i < 8; i++)
        sprintf(tag + 2 * i, "%02x", bytes[i]);
}
