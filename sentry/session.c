/* sentry/session.c — setting a session up, running it, tearing it down. */
#include "sentry/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/procfs.h"
#include "net/net.h"
#include "platform/cgroup.h"
#include "sentry/canary.h"
#include "sentry/sentry.h"
#include "sentry/syscalls.h"
#include "sentry/workspace.h"
#include "util/cleanup.h"

#define GUEST_UID 1000
#define GUEST_GID 1000
/* Root gives each session's guest its own host uid: base + sentry pid, so
 * concurrent sessions never share one, and none is a real account. */
#define HOST_UID_BASE 0x40000000u

static const char *const RUNTIME[] = { "/usr", "/bin", "/sbin", "/lib", "/lib64", NULL };
static const char *const ETC[] = {
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
    "ssl", "ca-certificates", "ca-certificates.conf", "alternatives", "python3",
    "python3.11", "os-release", "debian_version", "mime.types", "protocols", "services",
    "gai.conf", "bash.bashrc", "profile", "inputrc", "locale.alias", "shells", "login.defs",
    NULL,
};

/* Messages about an exec go where its guest writes its errors. */
static int fail(int fd, const char *msg, const char *arg, int code)
{
    dprintf(fd, "cordon: ");
    dprintf(fd, msg, arg);
    dprintf(fd, "\n");
    return code;
}

static const char *env_get(const char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (; *env; env++)
        if (!strncmp(*env, name, n) && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

/* The guest's clean environment: defaults (with what the network layer
 * adds, such as the CA bundle for TLS interception), then --env (which may
 * override). */
static char **build_env(const char *const *extra_env, const char *const *net_env)
{
    static char term[256];
    const char *t = getenv("TERM");
    snprintf(term, sizeof term, "TERM=%s", t && *t ? t : "dumb");
    const char *defaults[16] = {
        "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/user", "USER=user",
        "LOGNAME=user", "LANG=C.UTF-8", term,
    };
    size_t nd = 6, ne = 0;
    for (; *net_env && nd < sizeof defaults / sizeof *defaults; net_env++)
        defaults[nd++] = *net_env;
    while (extra_env && extra_env[ne])
        ne++;
    char **env = calloc(nd + ne + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t d = 0; d < nd; d++) {
        size_t nlen = strcspn(defaults[d], "=") + 1;
        bool overridden = false;
        for (size_t e = 0; e < ne; e++)
            overridden |= !strncmp(extra_env[e], defaults[d], nlen);
        if (!overridden)
            env[k++] = (char *)defaults[d];
    }
    for (size_t e = 0; e < ne; e++)
        env[k++] = (char *)extra_env[e];
    return env;
}

/* Finds PROGRAM the way execvp would, in the guest's VFS, relative names
 * from cwd: 0 with the guest path in out, or the exit status to fail with
 * (126/127, message printed). */
static int find_program(struct session *s, struct inode *cwd, const char *prog,
                        const char *path_env, char *out, size_t size, int errfd)
{
    int best = -ENOENT;
    char cand[PATH_MAX];
    const char *p = path_env ? path_env : "/usr/bin:/bin";
    bool slash = strchr(prog, '/') != NULL;
    while (true) {
        size_t n = slash ? 0 : strcspn(p, ":");
        if (slash)
            snprintf(cand, sizeof cand, "%s", prog);
        else
            snprintf(cand, sizeof cand, "%.*s/%s", (int)n, n ? p : ".", prog);
        struct stat st;
        int r = vfs_statat(s->vfs, cwd, cand, 0, &s->cred, &st);
        if (r == 0) {
            if (S_ISREG(st.st_mode)) {
                struct inode *i;
                if (vfs_lookupat(s->vfs, cwd, cand, 0, &s->cred, &i) == 0) {
                    r = vfs_permission(s->vfs, i, X_OK, &s->cred);
                    inode_put(i);
                }
                if (r == 0) {
                    snprintf(out, size, "%s", cand);
                    return 0;
                }
            } else {
                r = -EACCES;
            }
        }
        if (r != -ENOENT && r != -ENOTDIR)
            best = r;
        if (slash || !p[n])
            break;
        p += n + 1;
    }
    if (best == -ENOENT)
        return fail(errfd, "%s: not found", prog, 127);
    return fail(errfd, "%s: permission denied (not an executable file)", prog, 126);
}

/* Where every session of this user keeps its exec cache (exec-PID). */
static void exec_cache_base(char *base, size_t size)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() == 0)
        snprintf(base, size, "/run/cordon");
    else if (xdg && *xdg)
        snprintf(base, size, "%s/cordon", xdg);
    else
        snprintf(base, size, "/tmp/cordon-%u", (unsigned)getuid());
}

static int make_exec_cache(struct session *s)
{
    char base[200];
    exec_cache_base(base, sizeof base);
    /* 0711: the guest's host uid may reach a cached binary by name, never
     * list what other sessions ran. */
    if (mkdir(base, 0711) < 0 && errno != EEXIST)
        return -errno;
    snprintf(s->exec_cache, sizeof s->exec_cache, "%s/exec-%d", base, (int)getpid());
    if (mkdir(s->exec_cache, 0711) < 0)
        return -errno;
    return 0;
}

static void remove_exec_cache(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

void session_remove_leftovers(pid_t pid)
{
    char base[200], path[300];
    exec_cache_base(base, sizeof base);
    snprintf(path, sizeof path, "%s/exec-%d", base, (int)pid);
    remove_exec_cache(path);
    snprintf(path, sizeof path, "%s/exec-%d.fd", base, (int)pid);
    unlink(path);
    snprintf(path, sizeof path, "%s/net-%d", base, (int)pid);
    remove_exec_cache(path);   /* a plain directory of socket files */
    snprintf(path, sizeof path, "session-%d", (int)pid);
    cgroup_destroy(path);
}

/* The system bundle clients read when no variable points elsewhere (Go,
 * OpenSSL's default, curl built without CURL_CA_BUNDLE): the runtime's
 * file is copied up into the session's memory layer and the session CA
 * appended, so the host's file is never written. A host without the
 * bundle (no ca-certificates) keeps only /etc/cordon's. */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
static int append_system_ca(struct session *s, const char *ca, struct err *e)
{
    static const struct fs_cred root = { 0, 0 };
    int fd, r = vfs_openat(s->vfs, vfs_root(s->vfs), SYSTEM_CA_BUNDLE, O_WRONLY | O_APPEND, 0,
                           &root, &fd);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return err_set(e, -r, "fs: %s", SYSTEM_CA_BUNDLE);
    _cleanup_close_ int out = fd;
    size_t len = strlen(ca);
    if (write(out, ca, len) != (ssize_t)len)
        return err_set(e, errno, "fs: %s", SYSTEM_CA_BUNDLE);
    return 0;
}

/* TLS interception: the guest trusts the host's CAs and the session's,
 * through a bundle of its own that the environment (net_guest_env) points
 * TLS clients at, and through the system bundle (append_system_ca). */
static int write_ca_bundle(struct session *s, const char *ca, struct err *e)
{
    static const struct fs_cred root = { 0, 0 };
    int fd, r = vfs_mkdirat(s->vfs, vfs_root(s->vfs), NET_CA_DIR, 0755, &root);
    if (r == 0)
        r = vfs_openat(s->vfs, vfs_root(s->vfs), NET_CA_BUNDLE, O_CREAT | O_WRONLY | O_EXCL, 0644,
                       &root, &fd);
    if (r < 0)
        return err_set(e, -r, "fs: %s", NET_CA_BUNDLE);
    _cleanup_close_ int out = fd;
    _cleanup_close_ int host = open("/etc/ssl/certs/ca-certificates.crt", O_RDONLY | O_CLOEXEC);
    char buf[65536];
    ssize_t n;
    while (host >= 0 && (n = read(host, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            return err_set(e, errno, "fs: %s", NET_CA_BUNDLE);
    size_t len = strlen(ca);
    if (write(out, ca, len) != (ssize_t)len)
        return err_set(e, errno, "fs: %s", NET_CA_BUNDLE);
    return 0;
}

/* The network layer, with its AF_UNIX socket directory beside the exec
 * cache; fs/rootfs.c's /etc/resolv.conf names its DNS answerer. */
static int start_net(struct session *s, const struct run_options *o, struct err *e)
{
    char base[200], dir[256];
    exec_cache_base(base, sizeof base);
    snprintf(dir, sizeof dir, "%s/net-%d", base, (int)getpid());
    struct net_options no = { .allow = o->allow, .policy = s->policy, .sock_dir = dir,
                              .verbose = o->verbose };
    if (net_create(&no, &s->net, e) < 0)
        return -1;
    const char *ca = net_ca_pem(s->net);
    if (!ca)
        return 0;
    return write_ca_bundle(s, ca, e) < 0 ? -1 : append_system_ca(s, ca, e);
}

unsigned session_clean_stale(void)
{
    char base[200];
    exec_cache_base(base, sizeof base);
    DIR *d = opendir(base);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid;
        char rest[8];
        if (sscanf(e->d_name, "exec-%d%7s", &pid, rest) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) < 0 && errno == ESRCH) {
            session_remove_leftovers(pid);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Every secret the VFS hides from the guest: a file.secret_probe event, and
 * a line under -v. */
static void secret_hidden(void *ctx, const char *guest_path)
{
    struct session *s = ctx;
    event_file(NULL, FILE_SECRET_PROBE, guest_path, NULL, ENOENT);
    if (s->verbose)
        fprintf(stderr, "cordon: audit: secret hidden %s\n", guest_path);
}

struct session *session_create(const struct run_options *o)
{
    /* Every directory and O_PATH target the guest opens keeps a placeholder
     * fd in the sentry for the session's life: take the whole hard limit. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    struct session *s = calloc(1, sizeof *s);
    if (!s) {
        fail(2, "%s", "out of memory", 125);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->verbose = o->verbose;
    /* --root: uid 0 of the guest's own user namespace, without capabilities
     * (launch drops the bounding set), so what it gains is only what the
     * VFS grants root: the runtime under the overlay, others' files. */
    s->cred = o->root ? (struct fs_cred){ 0, 0 } : (struct fs_cred){ GUEST_UID, GUEST_GID };
    s->initial_umask = 022;
    s->runtime = RUNTIME;
    s->memory = o->memory;
    s->pids = o->pids;
    s->cpu_seconds = o->cpu_seconds;

    struct vfs_options vo = {
        .runtime = RUNTIME, .etc = ETC, .guest_uid = s->cred.uid, .guest_gid = s->cred.gid,
        .user_name = "user", .home = "/home/user",
        .hostname = o->hostname ? o->hostname : "cordon",
    };
    struct err e = { 0 };
    if (o->rootfs) {
        if (image_layout(o->rootfs, &s->image, &e) < 0) {
            err_print(&e);
            session_destroy(s);
            return NULL;
        }
        s->runtime = vo.runtime = s->image.runtime;
        vo.etc = s->image.etc;
        s->host_root = vo.host_root = o->rootfs;
    }
    if ((o->policy && policy_load(o->policy, &s->policy, &e) < 0) ||
        vfs_create(&vo, &s->vfs, &e) < 0 ||
        ((o->disk || o->inodes) && vfs_set_quota(s->vfs, o->disk, o->inodes, &e) < 0) ||
        (o->import_fs && vfs_import(s->vfs, o->import_fs, &e) < 0) ||
        canary_setup(s->vfs, o->canaries, s->policy, &s->cred, "/home/user", &e) < 0 ||
        platform_choose(o->platform, &s->platform, &e) < 0) {
        err_print(&e);
        session_destroy(s);
        return NULL;
    }
    s->host_uid = geteuid() == 0 ? HOST_UID_BASE + (uid_t)getpid() : geteuid();
    s->host_gid = geteuid() == 0 ? HOST_UID_BASE + (gid_t)getpid() : getegid();
    vfs_set_host_ids(s->vfs, s->host_uid, s->host_gid);
    s->hostname = vo.hostname;
    vfs_set_proc(s->vfs, &procinfo_ops, s);
    vfs_on_secret(s->vfs, secret_hidden, s);
    if (workspace_apply(s->vfs, s->policy, o->mounts, o->secret_deny, &e) < 0) {
        err_print(&e);
        session_destroy(s);
        return NULL;
    }
    int r = make_exec_cache(s);
    if (r < 0) {
        fprintf(stderr, "cordon: exec cache %s: %s\n", s->exec_cache, strerror(-r));
        s->exec_cache[0] = '\0';
        session_destroy(s);
        return NULL;
    }
    /* The event writer belongs to the session: it outlives each exec's
     * guest tree and reports once, at the session's end. */
    struct events_options eo = { .file = o->events, .endpoint = o->otlp_endpoint,
                                 .summary = o->summary, .verbose = o->verbose };
    if (events_start(&eo, &e) < 0) {
        err_print(&e);
        session_destroy(s);
        return NULL;
    }
    if (start_net(s, o, &e) < 0) {
        err_print(&e);
        session_destroy(s);
        return NULL;
    }
    if (o->verbose)
        fprintf(stderr, "cordon: platform %s (%s), guest uid %u on the host\n",
                platform_name(s->platform),
                s->platform == PLATFORM_SECCOMP ? "user notification + ptrace"
                                                : "every serviced call a ptrace stop",
                (unsigned)s->host_uid);
    return s;
}

void session_destroy(struct session *s)
{
    if (!s)
        return;
    events_stop();
    if (s->exec_cache[0])
        remove_exec_cache(s->exec_cache);
    net_destroy(s->net);
    if (s->initial_cwd)
        inode_put(s->initial_cwd);
    if (s->vfs)
        vfs_destroy(s->vfs);
    if (s->policy)
        policy_free(s->policy);
    image_layout_free(&s->image);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* What a program needs before it can start, for a tree and a spawn alike:
 * its working directory (*dir, a reference), its environment (*env, to
 * free) and its path in the VFS. 0, or cordon's exit status for it. */
static int prepare(struct session *s, const struct exec_request *x, struct inode **dir,
                   char ***env, char *exec_path, size_t size)
{
    int errfd = x->stdio ? x->stdio[2] : 2;
    const char *cwd = x->cwd ? x->cwd : "/home/user";
    int r = vfs_chdirat(s->vfs, vfs_root(s->vfs), cwd, &s->cred, dir);
    if (r < 0) {
        dprintf(errfd, "cordon: --cwd %s: %s\n", cwd, strerror(-r));
        return 125;
    }
    *env = build_env(x->extra_env, net_guest_env(s->net));
    if (!*env)
        r = fail(errfd, "%s", "out of memory", 125);
    else
        r = find_program(s, *dir, x->argv[0], env_get((const char *const *)*env, "PATH"),
                         exec_path, size, errfd);
    if (r) {
        free(*env);
        *env = NULL;
        inode_put(*dir);
    }
    return r;
}

int session_spawn(struct session *s, const struct exec_request *x, int report)
{
    static const int own[3] = { 0, 1, 2 };
    char exec_path[PATH_MAX];
    struct inode *dir;
    char **env;
    /* The tree is running: its calls are serviced meanwhile. */
    pthread_mutex_lock(&s->lock);
    int r = prepare(s, x, &dir, &env, exec_path, sizeof exec_path);
    if (r == 0)
        inode_put(dir);
    pthread_mutex_unlock(&s->lock);
    if (r)
        return r;
    struct spawn_spec spec = {
        .argv = x->argv, .envp = (const char *const *)env, .exec_path = exec_path,
        .cwd = x->cwd ? x->cwd : "/home/user", .stdio = x->stdio ? x->stdio : own,
        .report = report, .tty = x->tty,
    };
    r = platform_spawn(&spec);
    free(env);
    if (r == 0)
        return 0;
    int errfd = x->stdio ? x->stdio[2] : 2;
    return fail(errfd, "%s", r == -ESRCH ? "exec: the container is not running"
                             : r == -E2BIG ? "exec: argument list too long"
                                           : "exec: the container's init did not take the request",
                125);
}

static int run_tree(struct session *s, const struct exec_request *x, struct exec_result *res)
{
    int errfd = x->stdio ? x->stdio[2] : 2;
    static char exec_path[PATH_MAX];
    struct inode *dir;
    _cleanup_free_ char **env = NULL;
    int r = prepare(s, x, &dir, &env, exec_path, sizeof exec_path);
    if (r)
        return r;
    if (s->initial_cwd)
        inode_put(s->initial_cwd);
    s->initial_cwd = dir;

    static struct sys_filter_row rows[SYSCALL_MAX];
    for (unsigned k = 0; k < SYSCALL_MAX; k++)
        rows[k] = syscall_table[k].row;
    char cgname[64];
    snprintf(cgname, sizeof cgname, "session-%d", (int)getpid());
    bool cgroup = s->memory || s->pids;
    struct launch_spec spec = {
        .platform = s->platform, .argv = x->argv, .envp = (const char *const *)env,
        .exec_path = exec_path, .runtime = s->runtime, .host_root = s->host_root,
        .exec_cache = s->exec_cache, .hostname = s->hostname, .guest_uid = s->cred.uid, .guest_gid = s->cred.gid,
        .host_uid = s->host_uid, .host_gid = s->host_gid, .table = rows,
        .table_len = SYSCALL_MAX, .cgroup_name = cgroup ? cgname : NULL,
        .memory_limit = s->memory, .pids_limit = s->pids, .cpu_seconds = s->cpu_seconds,
        .verbose = s->verbose,
        .stdio = x->stdio, .tty = x->tty,
    };
    struct sentry_hooks hooks;
    session_hooks(s, &hooks);
    struct guest_outcome out;
    struct err e = { 0 };
    r = platform_run(&spec, &hooks, x->timeout_ms, &out, &e);
    int status = out.wstatus;
    res->timed_out = out.timed_out;
    task_forget_all(s);
    net_detach(s->net);   /* the next tree gets a network namespace of its own */
    if (r < 0) {
        err_print_fd(&e, errfd);
        return 125;
    }
    if (res->timed_out) {
        dprintf(errfd, "cordon: timeout after %g s\n", x->timeout_ms / 1000.0);
        res->signal = SIGKILL;
        return 124;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    res->signal = WTERMSIG(status);
    /* The tree spent its CPU time (the sampler's SIGKILL), one process did
     * (SIGXCPU), or one handled SIGXCPU and spun on to the hard limit. */
    res->cpu_exceeded = s->cpu_seconds &&
                        (out.cpu_exceeded || res->signal == SIGXCPU ||
                         (res->signal == SIGKILL && out.cpu_us >= s->cpu_seconds * 1000000ull));
    if (res->cpu_exceeded)
        dprintf(errfd, "cordon: CPU time limit of %u s spent (signal %s)\n", s->cpu_seconds,
                sigabbrev_np(res->signal));
    return 128 + res->signal;
}

int session_exec(struct session *s, const struct exec_request *x, struct exec_result *res)
{
    struct exec_result dummy;
    res = res ? res : &dummy;
    *res = (struct exec_result){ .code = -1 };
    int status = run_tree(s, x, res);
    if (!res->signal)
        res->code = status;
    return status;
}

int session_run(const struct run_options *o)
{
    struct session *s = session_create(o);
    if (!s)
        return 125;
    struct exec_request x = {
        .argv = o->argv, .extra_env = o->extra_env, .cwd = o->cwd, .timeout_ms = o->timeout_ms,
    };
    int status = session_exec(s, &x, NULL);
    struct err e = { 0 };
    if (o->export_fs && vfs_export(s->vfs, o->export_fs, &e) < 0) {
        err_print(&e);
        status = 125;
    }
    session_destroy(s);
    return status;
}
