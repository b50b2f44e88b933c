/* syscall_cost — per-call cost of one operation of each kind, run natively,
 * inside cordon, gVisor and bubblewrap by bench/run.sh, which puts the
 * numbers side by side. Usage: syscall_cost [quick|full].
 * Prints one measure_report line per benchmark (bench/measure.h):
 *
 *   getpid          native class: the filter allows it, no round trip
 *   umask           the cheapest serviced call: a round trip with no work,
 *                   so cordon's number minus the unotify floor is the
 *                   sentry's own dispatch cost
 *   stat            serviced path walk into the read-only runtime layer
 *   stat_memory     the same walk ending in the in-memory layer ($TMPDIR)
 *   read4k_runtime  open+read 4 KiB+close of a runtime-layer file
 *   read4k_memory   the same on a file of the in-memory layer ($TMPDIR)
 *   create4k        create+write 4 KiB+close, then unlink, so every call
 *                   finds the directory as the last one left it
 *   getdents_1000   open+getdents64 to the end+close of a 1000-entry dir
 *   pipe_pingpong   one byte there and back between two processes
 *   fork_wait       fork, the child _exits, the parent waits
 *   fork_exec_wait  fork, the child execs /bin/true, the parent waits
 *   tcp_connect     socket+connect+accept+close of both ends over 127.0.0.1
 *
 * Scratch files go to $TMPDIR (default /tmp): bench/run.sh points native
 * runs at a directory it removes afterwards.
 *
 * Each benchmark runs in its own child process, so one that fails (a call
 * the runner does not support) costs only its own line: the failure is
 * reported on stderr, the rest still run, and the exit status is 1.
 */
#include "bench/measure.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNTIME_FILE "/usr/bin/python3"
#define CHUNK 4096
#define DIR_ENTRIES 1000

static _Noreturn void die(const char *what, const char *path)
{
    fprintf(stderr, "syscall_cost: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void call_getpid(void *ctx)
{
    (void)ctx;
    /* Raw syscall: glibc no longer caches getpid, but a future one might,
     * and then this would time a function call. */
    syscall(SYS_getpid);
}

static void call_umask(void *ctx)
{
    (void)ctx;
    umask(022);
}

static void call_stat(void *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        die("stat", path);
}

static void call_read4k(void *path)
{
    char buf[CHUNK];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
        die("read 4 KiB of", path);
    close(fd);
}

static void write_file(const char *path)
{
    static char buf[CHUNK];
    memset(buf, 'm', sizeof buf);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || close(fd) != 0)
        die("create", path);
}

static void call_create4k(void *path)
{
    write_file(path);
    if (unlink(path) != 0)
        die("unlink", path);
}

/* The count is checked on every call: a runner whose getdents64 came back
 * short would otherwise look fast. */
static void call_getdents(void *path)
{
    char buf[32768];
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    long entries = 0, n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n; off += ((struct dirent *)(buf + off))->d_reclen)
            entries++;
    if (n < 0)
        die("getdents64", path);
    if (entries != DIR_ENTRIES + 2) {
        errno = EIO;
        die("wrong entry count in", path);
    }
    close(fd);
}

struct pingpong {
    int to_child, from_child;
};

static void call_pingpong(void *ctx)
{
    struct pingpong *pp = ctx;
    char byte = 'p';
    if (write(pp->to_child, &byte, 1) != 1 || read(pp->from_child, &byte, 1) != 1)
        die("ping-pong", "pipe");
}

static void wait_ok(pid_t pid, const char *what)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid", what);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        die("child failed:", what);
    }
}

static void call_fork(void *ctx)
{
    (void)ctx;
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0)
        _exit(0);
    wait_ok(pid, "fork");
}

static void call_fork_exec(void *ctx)
{
    (void)ctx;
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    wait_ok(pid, "/bin/true");
}

static void call_tcp(void *listener)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int lfd = *(int *)listener;
    if (getsockname(lfd, (struct sockaddr *)&addr, &len) != 0)
        die("getsockname", "listener");
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect", "127.0.0.1");
    int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0)
        die("accept", "127.0.0.1");
    /* Server end first: the TIME_WAIT stays on the listener's side, so the
     * client's ephemeral ports are free for the next call at once. */
    close(s);
    close(c);
}

static void bench_pingpong(const struct measure_plan *plan)
{
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0)
        die("pipe2", "");
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0) {
        char byte;
        close(down[1]);
        close(up[0]);
        while (read(down[0], &byte, 1) == 1)
            if (write(up[1], &byte, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    struct pingpong pp = {.to_child = down[1], .from_child = up[0]};
    measure_report("pipe_pingpong", measure_run(call_pingpong, &pp, plan));
    close(down[1]); /* EOF ends the child */
    wait_ok(pid, "ping-pong child");
}

static void bench_tcp(const struct measure_plan *plan)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 16) != 0)
        die("listen on", "127.0.0.1");
    measure_report("tcp_connect", measure_run(call_tcp, &lfd, plan));
    close(lfd);
}

struct bench {
    const char *name;
    void (*fn)(void *); /* timed directly with ctx ... */
    void *ctx;
    void (*custom)(const struct measure_plan *); /* ... or one that sets up around the timing */
};

/* Returns 0 if the benchmark printed its line. */
static int run_isolated(const struct bench *b, const struct measure_plan *plan)
{
    fflush(stdout); /* or the child would repeat our buffered output */
    pid_t pid = fork();
    if (pid < 0)
        die("fork", b->name);
    if (pid == 0) {
        if (b->custom)
            b->custom(plan);
        else
            measure_report(b->name, measure_run(b->fn, b->ctx, plan));
        exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fprintf(stderr, "syscall_cost: %s failed (status 0x%x)\n", b->name, status);
    return -1;
}

int main(int argc, char **argv)
{
    struct measure_plan plan;
    if (argc > 2 || measure_plan_parse(argc > 1 ? argv[1] : NULL, &plan) != 0) {
        fprintf(stderr, "usage: syscall_cost [quick|full]\n");
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char memfile[256], newfile[256], dir[256];
    snprintf(memfile, sizeof memfile, "%s/syscall-cost-%d", tmp, (int)getpid());
    snprintf(newfile, sizeof newfile, "%s/syscall-cost-%d.new", tmp, (int)getpid());
    snprintf(dir, sizeof dir, "%s/syscall-cost-%d.d", tmp, (int)getpid());
    write_file(memfile);
    if (mkdir(dir, 0700) != 0)
        die("mkdir", dir);
    for (int i = 0; i < DIR_ENTRIES; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%04d", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            die("create", path);
        close(fd);
    }

    const struct bench benches[] = {
        {"getpid", call_getpid, NULL, NULL},
        {"umask", call_umask, NULL, NULL},
        {"stat", call_stat, RUNTIME_FILE, NULL},
        {"stat_memory", call_stat, memfile, NULL},
        {"read4k_runtime", call_read4k, RUNTIME_FILE, NULL},
        {"read4k_memory", call_read4k, memfile, NULL},
        {"create4k", call_create4k, newfile, NULL},
        {"getdents_1000", call_getdents, dir, NULL},
        {"pipe_pingpong", NULL, NULL, bench_pingpong},
        {"fork_wait", call_fork, NULL, NULL},
        {"fork_exec_wait", call_fork_exec, NULL, NULL},
        {"tcp_connect", NULL, NULL, bench_tcp},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        failed |= run_isolated(&benches[i], &plan) != 0;

    for (int i = 0; i < DIR_ENTRIES; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%04d", dir, i);
        unlink(path);
    }
    rmdir(dir);
    unlink(memfile);
    return failed;
}
