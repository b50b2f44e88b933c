/* sentry/oci.c — the runc-compatible command line: spec, features, create,
 * start, run, state, kill, delete, ps.
 *
 * A container is one session sentry process (its pid is the container's
 * pid, its exit status the container's), forked by `create`, which blocks
 * on ROOT/ID/start, a FIFO, until `start` writes to it: the way runc's
 * exec.fifo splits create from start, so podman's conmon can wait on the
 * pid before the program runs. ROOT/ID/state.json holds what does not
 * change; the status is read from the process and the FIFO each time, so
 * no state file can say "running" about a sentry that is gone. Errors go
 * to stderr and to --log, as runc writes them ({"level":"error",...} with
 * --log-format json), since podman and containerd show that file's last
 * error line to the user. */
#include "sentry/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sentry/console.h"
#include "sentry/oci_config.h"
#include "sentry/oci_exec.h"
#include "sentry/session.h"
#include "util/cleanup.h"

#define OCI_VERSION "1.0.2"

static const char OCI_USAGE[] =
    "usage: cordon [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup]\n"
    "              [--platform auto|seccomp|ptrace] COMMAND [OPTIONS] [ID]\n"
    "OCI runtime commands (runc's command line):\n"
    "  spec [--bundle DIR]                        write a default config.json\n"
    "  features                                   what this runtime supports (JSON)\n"
    "  create [--bundle DIR] [--pid-file F] ID    set the container up, program not started\n"
    "  start ID                                   start a created container's program\n"
    "  run [--bundle DIR] [--pid-file F] [--detach] [--keep] ID\n"
    "                                             create + start (+ wait and delete)\n"
    "  state ID                                   the OCI state JSON\n"
    "  kill ID [SIGNAL]                           signal the container (default TERM)\n"
    "  delete [--force] ID                        remove a stopped (or, forced, any) container\n"
    "  ps [--format table|json] ID                host pids of the container's processes\n"
    "  exec [--process FILE] [--detach] [--pid-file F] [--console-socket S] [--tty]\n"
    "       [--env N=V]... [--cwd DIR] [--user 0|1000] ID [ARGS...]\n"
    "                                             run another program in a running container\n"
    "create/run --console-socket S: process.terminal's pty master goes to the AF_UNIX socket S.\n"
    "--root DIR holds the containers' state (default /run/cordon-oci, or\n"
    "$XDG_RUNTIME_DIR/cordon-oci when not root). --bundle defaults to the cwd.\n";

static struct {
    const char *root;
    FILE *log;
    bool json;
    enum platform_kind platform;
} g;

static void timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* Always exit status 1, as runc's errors. */
__attribute__((format(printf, 1, 2))) static int oci_error(const char *fmt, ...)
{
    char msg[1024], when[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "cordon: %s\n", msg);
    if (!g.log)
        return 1;
    timestamp(when, sizeof when);
    if (g.json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "level", json_object_new_string("error"));
        json_object_object_add(o, "msg", json_object_new_string(msg));
        json_object_object_add(o, "time", json_object_new_string(when));
        fprintf(g.log, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        fprintf(g.log, "time=\"%s\" level=error msg=\"%s\"\n", when, msg);
    }
    fflush(g.log);
    return 1;
}

static int valid_id(const char *id)
{
    if (!id || !*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..") ||
        strlen(id) > NAME_MAX - 8)
        return oci_error("invalid container id: %s", id ? id : "(none)");
    return 0;
}

static void state_path(char *buf, size_t size, const char *id, const char *file)
{
    snprintf(buf, size, "%s/%s%s%s", g.root, id, file ? "/" : "", file ? file : "");
}

/* The process's state letter and start time (clock ticks since boot):
 * false when it is gone. */
static bool proc_stat(pid_t pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    /* after "pid (comm) ": state, then 18 fields before starttime */
    return p && sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                              "%*d %*d %*d %llu", state, start) == 2;
}

struct container {
    json_object *json;     /* state.json */
    pid_t pid;
    const char *status;    /* created, running, stopped */
};

static void container_done(struct container *c) { json_object_put(c->json); }

/* Loads ROOT/ID: 0, or 1 after reporting "does not exist" (quiet: silent). */
static int container_load(const char *id, struct container *c, bool quiet)
{
    char path[PATH_MAX];
    state_path(path, sizeof path, id, "state.json");
    *c = (struct container){ .json = json_object_from_file(path) };
    if (!c->json)
        return quiet ? 1 : oci_error("container does not exist: %s", id);
    json_object *pid, *start;
    c->pid = json_object_object_get_ex(c->json, "pid", &pid) ? json_object_get_int(pid) : 0;
    unsigned long long want = json_object_object_get_ex(c->json, "starttime", &start)
                                  ? json_object_get_uint64(start) : 0, got;
    char st;
    /* A reused pid is another process: the container's has stopped. */
    if (c->pid <= 0 || !proc_stat(c->pid, &st, &got) || st == 'Z' || got != want) {
        c->status = "stopped";
        return 0;
    }
    state_path(path, sizeof path, id, "start");
    c->status = access(path, F_OK) == 0 ? "created" : "running";
    return 0;
}

static int write_pid_file(const char *path, pid_t pid)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d", (int)pid) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
        return oci_error("--pid-file %s: %s", path, strerror(errno));
    return 0;
}

static void remove_state(const char *id)
{
    char path[PATH_MAX];
    state_path(path, sizeof path, id, "start");
    unlink(path);
    state_path(path, sizeof path, id, "exec.sock");
    unlink(path);
    state_path(path, sizeof path, id, "state.json");
    unlink(path);
    state_path(path, sizeof path, id, NULL);
    rmdir(path);
}

/* Where the image root is bound in the sentry's own mount namespace. */
static void image_mountpoint(char *buf, size_t size, pid_t pid)
{
    snprintf(buf, size, "%s/image-%d", geteuid() == 0 ? "/run/cordon" : g.root, (int)pid);
}

/* What a sentry killed by a signal leaves: its exec cache, fd channel and
 * cgroup (session.h), and its image mountpoint (the mount itself went with
 * the sentry's namespace). */
static void remove_leftovers(pid_t pid)
{
    char dir[PATH_MAX];
    session_remove_leftovers(pid);
    image_mountpoint(dir, sizeof dir, pid);
    rmdir(dir);
}

/* The guest's init (in its own user namespace) must reach the image's
 * directories to bind them, but a runtime's rootfs usually lies below
 * directories only root may search (/var/lib/containers/storage is
 * 0700). As root, the sentry binds the rootfs at a path all may search,
 * in a mount namespace of its own: nobody else sees the mount and it goes
 * away with the sentry. */
static int reachable_root(struct oci_config *cfg, struct err *e)
{
    static char dir[PATH_MAX];
    if (geteuid() != 0)
        return 0;
    image_mountpoint(dir, sizeof dir, getpid());
    /* An existing one is a dead sentry's of the same pid (killed before it
     * could remove it); its mount went with that sentry's namespace. */
    if ((mkdir("/run/cordon", 0711) < 0 && errno != EEXIST) ||
        (mkdir(dir, 0711) < 0 && errno != EEXIST))
        return err_set(e, errno, "image mountpoint %s", dir);
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount(cfg->rootfs, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
        return err_set(e, errno, "binding the image root %s at %s", cfg->rootfs, dir);
    cfg->run.rootfs = dir;
    return 0;
}

/* The caller's network namespace (podman's netavark or slirp one): the
 * sentry joins it before any thread or socket exists, so the proxy's
 * upstream connections leave through it; the guest still gets its own
 * namespace behind the sentry and reaches nothing ungranted. */
static int join_netns(const char *path, struct err *e)
{
    _cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (path && (fd < 0 || setns(fd, CLONE_NEWNET) < 0))
        return err_set(e, errno, "joining the network namespace %s", path);
    return 0;
}

/* The container's sentry: sets the session up, says so on `ready`, waits
 * for `start`, runs the program (on the terminal `tty`, unless -1) while
 * serving exec requests on exec_sock, and exits with its status. */
static __attribute__((noreturn)) void container_main(struct oci_config *cfg, const char *fifo,
                                                     const char *exec_sock, int tty, int ready)
{
    if (g.log)
        fclose(g.log);
    for (unsigned k = 0; k < cfg->nrlimits; k++) {
        struct rlimit want = cfg->rlimits[k].lim, have;
        /* Without CAP_SYS_RESOURCE a hard limit cannot grow: the caller's
         * is the most the container gets (podman asks 1048576 files). */
        if (setrlimit(cfg->rlimits[k].resource, &want) < 0 && errno == EPERM &&
            getrlimit(cfg->rlimits[k].resource, &have) == 0 && want.rlim_max > have.rlim_max) {
            want.rlim_max = have.rlim_max;
            want.rlim_cur = want.rlim_cur < want.rlim_max ? want.rlim_cur : want.rlim_max;
        }
        if (setrlimit(cfg->rlimits[k].resource, &want) < 0) {
            fprintf(stderr, "cordon: process.rlimits[%u]: %s\n", k, strerror(errno));
            _exit(125);
        }
    }
    if (cfg->has_oom_score_adj) {
        FILE *f = fopen("/proc/self/oom_score_adj", "w");
        if (f) {
            fprintf(f, "%d", cfg->oom_score_adj);
            fclose(f);
        }
    }
    struct err e = { 0 };
    if (join_netns(cfg->netns, &e) < 0 || reachable_root(cfg, &e) < 0) {
        err_print(&e);
        _exit(125);
    }
    struct session *s = session_create(&cfg->run);
    struct oci_exec_server *srv = NULL;
    if (s && oci_exec_serve(s, exec_sock, &srv, &e) < 0) {
        err_print(&e);
        _exit(125);
    }
    /* Read-write, so the FIFO has a reader from now on (start fails with
     * ENXIO only once this process is gone) and the read below blocks
     * until start writes. */
    int fd = s ? open(fifo, O_RDWR | O_CLOEXEC) : -1;
    if (fd < 0 || write(ready, "r", 1) != 1)
        _exit(125);
    close(ready);
    char b;
    if (read(fd, &b, 1) != 1)
        _exit(125);
    close(fd);
    unlink(fifo);
    int pty[3] = { tty, tty, tty };
    struct exec_request x = { .argv = cfg->run.argv, .extra_env = cfg->run.extra_env,
                              .cwd = cfg->run.cwd, .stdio = tty >= 0 ? pty : NULL,
                              .tty = tty >= 0 };
    int status = session_exec(s, &x, NULL);
    oci_exec_serve_stop(srv);
    session_destroy(s);
    char dir[PATH_MAX];
    image_mountpoint(dir, sizeof dir, getpid());
    umount2(dir, MNT_DETACH);
    rmdir(dir);
    _exit(status);
}

static int mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0711) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    return mkdir(buf, 0711) < 0 && errno != EEXIST ? -errno : 0;
}

/* `create`: 0 with *out the container's pid, or 1 (reported). A detached
 * container gets a session of its own: it outlives the command that made
 * it, and its caller's process group may be killed when that ends. */
static int container_create(const char *id, const char *bundle_arg, const char *pid_file,
                            const char *console, bool detached, pid_t *out)
{
    char bundle[PATH_MAX], dir[PATH_MAX], fifo[PATH_MAX], exec_sock[PATH_MAX];
    if (valid_id(id))
        return 1;
    if (!realpath(bundle_arg ? bundle_arg : ".", bundle))
        return oci_error("bundle %s: %s", bundle_arg ? bundle_arg : ".", strerror(errno));
    struct oci_config cfg;
    struct err e = { 0 };
    if (oci_config_load(bundle, &cfg, &e) < 0) {
        oci_config_free(&cfg);
        return oci_error("%s%s%s", e.msg, e.code ? ": " : "", e.code ? strerror(e.code) : "");
    }
    cfg.run.platform = g.platform;
    if (cfg.terminal != (console != NULL)) {
        oci_config_free(&cfg);
        return oci_error(console ? "--console-socket: process.terminal is false, no terminal to send"
                                 : "process.terminal needs --console-socket (where the pty goes)");
    }
    int r = mkdir_p(g.root);
    state_path(dir, sizeof dir, id, NULL);
    if (r < 0 || mkdir(dir, 0700) < 0) {
        oci_config_free(&cfg);
        return errno == EEXIST && r == 0 ? oci_error("container with id exists: %s", id)
                                         : oci_error("state dir %s: %s", dir, strerror(r < 0 ? -r : errno));
    }
    state_path(fifo, sizeof fifo, id, "start");
    state_path(exec_sock, sizeof exec_sock, id, "exec.sock");
    int ready[2];
    if (mkfifo(fifo, 0600) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
        r = oci_error("state dir %s: %s", dir, strerror(errno));
        remove_state(id);
        oci_config_free(&cfg);
        return r;
    }
    int tty = console ? console_send_pty(console, cfg.console_rows, cfg.console_cols, &e) : -1;
    if (console && tty < 0) {
        close(ready[0]);
        close(ready[1]);
        remove_state(id);
        oci_config_free(&cfg);
        return oci_error("%s%s%s", e.msg, e.code ? ": " : "", e.code ? strerror(e.code) : "");
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        if (detached)
            setsid();
        container_main(&cfg, fifo, exec_sock, tty, ready[1]);
    }
    if (tty >= 0)
        close(tty);
    close(ready[1]);
    char b = 0;
    if (pid < 0 || read(ready[0], &b, 1) != 1) {
        int status = 0;
        if (pid > 0)
            waitpid(pid, &status, 0);
        close(ready[0]);
        remove_state(id);
        oci_config_free(&cfg);
        return oci_error("container %s: the sandbox could not be set up (exit %d; its reason "
                         "is on the container's stderr)", id, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    close(ready[0]);
    char st, created[64], path[PATH_MAX];
    unsigned long long start = 0;
    proc_stat(pid, &st, &start);
    timestamp(created, sizeof created);
    json_object *o = json_object_new_object(), *ann;
    json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "pid", json_object_new_int(pid));
    json_object_object_add(o, "bundle", json_object_new_string(bundle));
    json_object_object_add(o, "rootfs", json_object_new_string(cfg.rootfs));
    json_object_object_add(o, "created", json_object_new_string(created));
    json_object_object_add(o, "starttime", json_object_new_uint64(start));
    if (json_object_object_get_ex(cfg.json, "annotations", &ann))
        json_object_object_add(o, "annotations", json_object_get(ann));
    state_path(path, sizeof path, id, "state.json");
    r = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PLAIN) < 0
            ? oci_error("%s: %s", path, json_util_get_last_err())
            : pid_file ? write_pid_file(pid_file, pid) : 0;
    json_object_put(o);
    oci_config_free(&cfg);
    if (r) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        remove_state(id);
        return r;
    }
    *out = pid;
    return 0;
}

static int container_start(const char *id)
{
    struct container c;
    if (valid_id(id) || container_load(id, &c, false))
        return 1;
    const char *status = c.status;
    container_done(&c);
    if (strcmp(status, "created"))
        return oci_error("cannot start a container that is %s: %s", status, id);
    char fifo[PATH_MAX];
    state_path(fifo, sizeof fifo, id, "start");
    _cleanup_close_ int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || write(fd, "s", 1) != 1)
        return oci_error("cannot start container %s: %s", id, strerror(errno));
    return 0;
}

/* Options shared by create and run. */
struct create_opts {
    const char *bundle, *pid_file, *console;
    bool detach, keep;
};

static int parse_create(int argc, char **argv, struct create_opts *o, const char **id)
{
    static const struct option opts[] = {
        { "bundle", required_argument, NULL, 'b' },
        { "pid-file", required_argument, NULL, 'p' },
        { "console-socket", required_argument, NULL, 'c' },
        { "detach", no_argument, NULL, 'd' },
        { "keep", no_argument, NULL, 'k' },
        { "no-pivot", no_argument, NULL, 'N' },
        { "no-new-keyring", no_argument, NULL, 'K' },
        { "preserve-fds", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o->bundle = optarg; break;
        case 'p': o->pid_file = optarg; break;
        case 'd': o->detach = true; break;
        case 'k': o->keep = true; break;
        case 'N': case 'K': break;   /* cordon never pivots into the image nor uses keyrings */
        case 'c': o->console = optarg; break;
        case 'P':
            if (strcmp(optarg, "0"))
                return oci_error("--preserve-fds %s: passing extra fds is not supported", optarg);
            break;
        default:
            return oci_error("%s: unknown option %s", argv[0], argv[optind - 1]);
        }
    }
    *id = optind < argc ? argv[optind] : NULL;
    return optind + 1 == argc ? 0 : oci_error("%s: expected one container id", argv[0]);
}

static int cmd_create(int argc, char **argv)
{
    struct create_opts o = { 0 };
    const char *id;
    pid_t pid;
    return parse_create(argc, argv, &o, &id) ? 1
                                              : container_create(id, o.bundle, o.pid_file,
                                                                 o.console, true, &pid);
}

static int cmd_run(int argc, char **argv)
{
    struct create_opts o = { 0 };
    const char *id;
    pid_t pid;
    if (parse_create(argc, argv, &o, &id) ||
        container_create(id, o.bundle, o.pid_file, o.console, o.detach, &pid))
        return 1;
    if (container_start(id)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        remove_state(id);
        return 1;
    }
    if (o.detach)
        return 0;
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        remove_leftovers(pid);
    if (!o.keep)
        remove_state(id);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Commands taking exactly one id and no options but --force/--format. */
static const char *one_id(int argc, char **argv, int first)
{
    return first + 1 == argc ? argv[first] : NULL;
}

static int cmd_start(int argc, char **argv)
{
    const char *id = one_id(argc, argv, 1);
    return id ? container_start(id) : oci_error("start: expected one container id");
}

static int cmd_state(int argc, char **argv)
{
    const char *id = one_id(argc, argv, 1);
    struct container c;
    if (!id)
        return oci_error("state: expected one container id");
    if (valid_id(id) || container_load(id, &c, false))
        return 1;
    json_object_object_del(c.json, "starttime");
    json_object_object_add(c.json, "status", json_object_new_string(c.status));
    json_object_object_add(c.json, "pid", json_object_new_int(strcmp(c.status, "stopped") ? c.pid : 0));
    if (!json_object_object_get_ex(c.json, "annotations", NULL))
        json_object_object_add(c.json, "annotations", json_object_new_object());
    printf("%s\n", json_object_to_json_string_ext(c.json, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    container_done(&c);
    return 0;
}

static int parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return n > 0 && n < NSIG ? (int)n : -1;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (int k = 1; k < NSIG; k++) {
        const char *name = sigabbrev_np(k);
        if (name && !strcasecmp(name, s))
            return k;
    }
    return -1;
}

static int cmd_kill(int argc, char **argv)
{
    int first = 1;
    if (first < argc && (!strcmp(argv[first], "--all") || !strcmp(argv[first], "-a")))
        first++;   /* the container is one process tree: --all is what kill does */
    if (argc - first < 1 || argc - first > 2)
        return oci_error("kill: expected a container id and an optional signal");
    const char *id = argv[first];
    int sig = argc - first == 2 ? parse_signal(argv[first + 1]) : SIGTERM;
    if (sig < 0)
        return oci_error("kill: unknown signal %s", argv[first + 1]);
    struct container c;
    if (valid_id(id) || container_load(id, &c, false))
        return 1;
    int r = !strcmp(c.status, "stopped") ? oci_error("container not running: %s", id)
            : kill(c.pid, sig) < 0       ? oci_error("kill %s: %s", id, strerror(errno))
                                         : 0;
    container_done(&c);
    return r;
}

static int cmd_delete(int argc, char **argv)
{
    bool force = false;
    int first = 1;
    if (first < argc && (!strcmp(argv[first], "--force") || !strcmp(argv[first], "-f"))) {
        force = true;
        first++;
    }
    const char *id = one_id(argc, argv, first);
    if (!id)
        return oci_error("delete: expected one container id");
    struct container c;
    if (valid_id(id))
        return 1;
    if (container_load(id, &c, force))
        return force ? 0 : 1;
    int r = 0;
    if (!strcmp(c.status, "running") && !force) {
        r = oci_error("cannot delete container %s that is not stopped: running", id);
    } else if (strcmp(c.status, "stopped")) {
        /* A sentry killed with SIGKILL leaves its exec cache and cgroup. */
        kill(c.pid, SIGKILL);
        char st;
        unsigned long long start;
        for (int k = 0; k < 200 && proc_stat(c.pid, &st, &start) && st != 'Z'; k++)
            usleep(10000);
    }
    /* What a sentry killed with SIGKILL left, unless its pid is reused. */
    if (!r && c.pid > 0 && (!strcmp(c.status, "running") || !strcmp(c.status, "created") ||
                            kill(c.pid, 0) < 0))
        remove_leftovers(c.pid);
    if (!r)
        remove_state(id);
    container_done(&c);
    return r;
}

/* The container's host pids: its sentry and every descendant. */
static int cmd_ps(int argc, char **argv)
{
    bool json = false;
    int first = 1;
    if (first + 1 < argc && (!strcmp(argv[first], "--format") || !strcmp(argv[first], "-f"))) {
        if (strcmp(argv[first + 1], "json") && strcmp(argv[first + 1], "table"))
            return oci_error("ps: --format is table or json, not %s", argv[first + 1]);
        json = !strcmp(argv[first + 1], "json");
        first += 2;
    }
    const char *id = one_id(argc, argv, first);
    struct container c;
    if (!id)
        return oci_error("ps: expected one container id");
    if (valid_id(id) || container_load(id, &c, false))
        return 1;
    pid_t tree[4096];
    size_t n = 0;
    if (strcmp(c.status, "stopped"))
        tree[n++] = c.pid;
    container_done(&c);
    /* Children are found by scanning /proc/PID/task/TID/children of each. */
    for (size_t k = 0; k < n; k++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)tree[k], (int)tree[k]);
        FILE *f = fopen(path, "r");
        int child;
        while (f && n < sizeof tree / sizeof *tree && fscanf(f, "%d", &child) == 1)
            tree[n++] = child;
        if (f)
            fclose(f);
    }
    printf(json ? "[" : "PID\n");
    for (size_t k = 0; k < n; k++)
        printf(json ? "%s%d" : "%s%d\n", json ? (k ? "," : "") : "", (int)tree[k]);
    printf(json ? "]\n" : "");
    return 0;
}

static int cmd_spec(int argc, char **argv)
{
    const char *bundle = ".";
    if (argc == 3 && (!strcmp(argv[1], "--bundle") || !strcmp(argv[1], "-b")))
        bundle = argv[2];
    else if (argc != 1)
        return oci_error("spec: usage: cordon spec [--bundle DIR]");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? oci_error("File %s exists. Remove it first", path)
                               : oci_error("%s: %s", path, strerror(errno));
    if (write(fd, OCI_DEFAULT_SPEC, strlen(OCI_DEFAULT_SPEC)) != (ssize_t)strlen(OCI_DEFAULT_SPEC))
        return oci_error("%s: %s", path, strerror(errno));
    return 0;
}

static int cmd_features(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return oci_error("features: takes no arguments");
    fputs("{\n"
          "  \"ociVersionMin\": \"1.0.0\",\n"
          "  \"ociVersionMax\": \"" OCI_VERSION "\",\n"
          "  \"hooks\": [],\n"
          "  \"mountOptions\": [", stdout);
    for (const char *const *o = OCI_BIND_OPTIONS; *o; o++)
        printf("%s\"%s\"", o == OCI_BIND_OPTIONS ? "" : ", ", *o);
    fputs("],\n"
          "  \"linux\": {\n"
          "    \"namespaces\": [\"pid\", \"network\", \"ipc\", \"uts\", \"mount\", \"user\"],\n"
          "    \"capabilities\": [],\n"
          "    \"cgroup\": { \"v1\": true, \"v2\": true, \"systemd\": false },\n"
          "    \"seccomp\": { \"enabled\": false },\n"
          "    \"apparmor\": { \"enabled\": false },\n"
          "    \"selinux\": { \"enabled\": false }\n"
          "  },\n"
          "  \"annotations\": {\n"
          "    \"dev.cordon.policy\": \"path of a cordon policy file (JSON)\",\n"
          "    \"dev.cordon.events\": \"file the session's audit events stream to (OTLP JSON)\"\n"
          "  }\n"
          "}\n", stdout);
    return 0;
}

/* `exec`'s options, runc's names. Without --process the program inherits
 * the container's process (env, cwd, user) with ARGS as its argv. */
struct exec_opts {
    const char *process, *pid_file, *console, *cwd, *user;
    const char *env[OCI_MAX_ENV + 1];
    unsigned nenv;
    bool detach, tty;
};

static int parse_exec(int argc, char **argv, struct exec_opts *o, int *first)
{
    static const struct option opts[] = {
        { "process", required_argument, NULL, 'p' }, { "detach", no_argument, NULL, 'd' },
        { "pid-file", required_argument, NULL, 'P' }, { "console-socket", required_argument, NULL, 'c' },
        { "tty", no_argument, NULL, 't' }, { "env", required_argument, NULL, 'e' },
        { "cwd", required_argument, NULL, 'w' }, { "user", required_argument, NULL, 'u' },
        { "preserve-fds", required_argument, NULL, 'F' }, { "no-new-privs", no_argument, NULL, 'N' },
        { "apparmor", required_argument, NULL, 'A' }, { "process-label", required_argument, NULL, 'A' },
        { "ignore-paused", no_argument, NULL, 'N' }, { "cap", required_argument, NULL, 'C' },
        { "additional-gids", required_argument, NULL, 'g' }, { "cgroup", required_argument, NULL, 'G' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+p:dte:u:g:", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o->process = optarg; break;
        case 'd': o->detach = true; break;
        case 'P': o->pid_file = optarg; break;
        case 'c': o->console = optarg; break;
        case 't': o->tty = true; break;
        case 'w': o->cwd = optarg; break;
        case 'u': o->user = optarg; break;
        case 'e':
            if (o->nenv == OCI_MAX_ENV || !strchr(optarg, '='))
                return oci_error("exec: --env %s: NAME=VALUE, at most %d", optarg, OCI_MAX_ENV);
            o->env[o->nenv++] = optarg;
            break;
        /* the sandbox already gives these: no_new_privs always, the filter for an LSM */
        case 'N': case 'A': break;
        case 'F':
            if (strcmp(optarg, "0"))
                return oci_error("exec: --preserve-fds %s: passing extra fds is not supported", optarg);
            break;
        case 'C': return oci_error("exec: --cap %s: the container's programs have no capabilities", optarg);
        case 'g': return oci_error("exec: --additional-gids: not supported (the guest has one group)");
        case 'G': return oci_error("exec: --cgroup: the program runs in the container's cgroup");
        default: return oci_error("exec: unknown option %s", argv[optind - 1]);
        }
    }
    *first = optind;
    return optind < argc ? 0 : oci_error("exec: expected a container id");
}

/* The process to run: --process FILE, else the container's own with ARGS. */
static int exec_process(const struct exec_opts *o, const char *bundle, int argc, char **argv,
                        struct oci_config *cfg)
{
    struct err e = { 0 };
    if (o->process) {
        *cfg = (struct oci_config){ .json = json_object_from_file(o->process) };
        if (!cfg->json)
            return oci_error("exec: --process %s: %s", o->process, json_util_get_last_err());
        if (oci_process_load(cfg->json, cfg, &e) < 0)
            return oci_error("exec: --process %s: %s", o->process, e.msg);
        return 0;
    }
    if (oci_config_load(bundle, cfg, &e) < 0)
        return oci_error("exec: the container's config: %s", e.msg);
    if (argc == 0 || argc > OCI_MAX_ARGS)
        return oci_error("exec: expected the program's ARGS after the container id");
    for (int k = 0; k <= argc; k++)
        cfg->argv[k] = k < argc ? argv[k] : NULL;
    cfg->terminal = o->tty;
    size_t n = 0;
    while (cfg->env[n])
        n++;
    for (unsigned k = 0; k < o->nenv && n < OCI_MAX_ENV; k++)
        cfg->env[n++] = o->env[k];
    cfg->env[n] = NULL;
    if (o->cwd)
        cfg->run.cwd = o->cwd;
    if (o->user && strcmp(o->user, "0") && strcmp(o->user, "0:0") && strcmp(o->user, "root") &&
        strcmp(o->user, "1000") && strcmp(o->user, "1000:1000"))
        return oci_error("exec: --user %s: the container's programs run as 0:0 or 1000:1000", o->user);
    if (o->user)
        cfg->run.root = o->user[0] != '1';
    return 0;
}

static int cmd_exec(int argc, char **argv)
{
    struct exec_opts o = { 0 };
    int first = 0;
    if (parse_exec(argc, argv, &o, &first))
        return 1;
    const char *id = argv[first];
    struct container c;
    if (valid_id(id) || container_load(id, &c, false))
        return 1;
    json_object *b;
    char bundle[PATH_MAX];
    snprintf(bundle, sizeof bundle, "%s",
             json_object_object_get_ex(c.json, "bundle", &b) ? json_object_get_string(b) : ".");
    bool running = !strcmp(c.status, "running");
    container_done(&c);
    if (!running)
        return oci_error("cannot exec in a container that is not running: %s", id);
    struct oci_config cfg;
    int r = exec_process(&o, bundle, argc - first - 1, argv + first + 1, &cfg);
    bool tty = cfg.terminal || o.tty;
    if (!r && tty != (o.console != NULL))
        r = oci_error(tty ? "exec: a terminal needs --console-socket (where the pty goes)"
                          : "exec: --console-socket without a terminal (process.terminal, --tty)");
    char sock[PATH_MAX];
    state_path(sock, sizeof sock, id, "exec.sock");
    struct oci_exec x = {
        .sock = sock, .argv = cfg.argv, .env = cfg.env, .cwd = cfg.run.cwd, .root = cfg.run.root,
        .console_socket = o.console, .rows = cfg.console_rows, .cols = cfg.console_cols,
        .detach = o.detach,
    };
    /* Attached, this process is the one callers wait for, until it exits
     * with the program's status; detached, the proxy oci_exec_run forks. */
    pid_t proxy = getpid();
    int status = 1;
    struct err e = { 0 };
    if (!r && !o.detach && o.pid_file)
        r = write_pid_file(o.pid_file, proxy);
    if (!r && oci_exec_run(&x, &proxy, &status, &e) < 0) {
        oci_error("%s%s%s", e.msg, e.code ? ": " : "", e.code ? strerror(e.code) : "");
        r = o.detach ? 1 : status;
    }
    else if (!r && o.pid_file)
        r = write_pid_file(o.pid_file, proxy);
    oci_config_free(&cfg);
    return r;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} COMMANDS[] = {
    { "spec", cmd_spec }, { "features", cmd_features }, { "create", cmd_create },
    { "start", cmd_start }, { "run", cmd_run }, { "state", cmd_state }, { "kill", cmd_kill },
    { "delete", cmd_delete }, { "ps", cmd_ps }, { "exec", cmd_exec },
};

static const char *const GLOBAL_ARG[] = { "--root", "--log", "--log-format", "--criu",
                                          "--rootless", "--platform", NULL };
static const char *const GLOBAL_FLAG[] = { "--systemd-cgroup", "--debug", NULL };

/* Whether arg is one of list, as "--name" or "--name=v" (*value: v or NULL). */
static bool is_flag(const char *arg, const char *const *list, const char **value)
{
    for (; *list; list++) {
        size_t n = strlen(*list);
        if (!strncmp(arg, *list, n) && (!arg[n] || arg[n] == '=')) {
            *value = arg[n] == '=' ? arg + n + 1 : NULL;
            return true;
        }
    }
    return false;
}

bool oci_wants(int argc, char **argv)
{
    const char *v;
    if (argc < 2)
        return false;
    if (is_flag(argv[1], GLOBAL_ARG, &v) || is_flag(argv[1], GLOBAL_FLAG, &v))
        return true;
    for (size_t k = 0; k < sizeof COMMANDS / sizeof *COMMANDS; k++)
        if (!strcmp(argv[1], COMMANDS[k].name) && strcmp(argv[1], "run"))
            return true;
    if (strcmp(argv[1], "run"))
        return false;
    for (int k = 2; k < argc && strcmp(argv[k], "--"); k++)
        if (!strcmp(argv[k], "--bundle") || !strncmp(argv[k], "--bundle=", 9) ||
            !strcmp(argv[k], "-b"))
            return true;
    return false;
}

int cmd_oci(int argc, char **argv)
{
    static char root[PATH_MAX];
    const char *xdg = getenv("XDG_RUNTIME_DIR"), *log = NULL;
    if (geteuid() == 0 || !xdg || !*xdg)
        snprintf(root, sizeof root, geteuid() == 0 ? "/run/cordon-oci" : "/tmp/cordon-oci-%u",
                 (unsigned)getuid());
    else
        snprintf(root, sizeof root, "%s/cordon-oci", xdg);
    g.root = root;
    int k = 1;
    const char *v;
    for (; k < argc && argv[k][0] == '-'; k++) {
        const char *name = argv[k];
        bool takes = is_flag(name, GLOBAL_ARG, &v);
        if (!takes && !is_flag(name, GLOBAL_FLAG, &v))
            return oci_error("unknown global option %s\n%s", name, OCI_USAGE);
        if (takes && !v) {
            if (k + 1 == argc)
                return oci_error("%s needs a value", name);
            v = argv[++k];
        }
        if (!strncmp(name, "--root", 6))
            g.root = v;
        else if (!strncmp(name, "--log-format", 12) && strcmp(v, "json") && strcmp(v, "text"))
            return oci_error("--log-format: json or text, not %s", v);
        else if (!strncmp(name, "--log-format", 12))
            g.json = !strcmp(v, "json");
        else if (!strncmp(name, "--log", 5))
            log = v;
        else if (!strncmp(name, "--platform", 10) && platform_parse(v, &g.platform) < 0)
            return oci_error("--platform: auto, seccomp or ptrace, not %s", v);
    }
    if (log && !(g.log = fopen(log, "ae")))
        return oci_error("--log %s: %s", log, strerror(errno));
    if (k == argc)
        return oci_error("no command given\n%s", OCI_USAGE);
    for (size_t c = 0; c < sizeof COMMANDS / sizeof *COMMANDS; c++)
        if (!strcmp(argv[k], COMMANDS[c].name))
            return COMMANDS[c].fn(argc - k, argv + k);
    return oci_error("unknown command %s (list, pause, update and checkpoint are not "
                     "supported)\n%s", argv[k], OCI_USAGE);
}
