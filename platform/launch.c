/* platform/launch.c — starting the guest's init inside fresh namespaces.
 *
 * The sentry clones "init" (pid 1 of a new user, pid, mount, net, ipc and
 * uts namespace). The sentry writes its id maps, joins it to the session
 * cgroup and PTRACE_SEIZEs it; init then builds the native mount namespace
 * (read-only, nosuid, nodev binds of the runtime and the exec cache on an
 * empty tmpfs root), drops to the guest ids and every capability, sets
 * no_new_privs and installs the filter. On the seccomp platform the
 * listener fd is taken from it with pidfd_getfd (the ptrace platform has
 * none); init forks the PROGRAM and from then on only reaps orphans.
 * The PROGRAM is never pid 1, so `kill -9 $$` in it behaves as on a host.
 */
#include "platform/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "platform/cgroup.h"
#include "platform/spawn.h"
#include "util/cleanup.h"
#include "util/seccomp_compat.h"


/* What init tells the sentry over the report pipe: the listener fd number
 * (-1 on the ptrace platform), or why setup failed (err != 0). One write,
 * below PIPE_BUF, so it arrives whole. */
struct report {
    int listener;
    int err;
    char what[200];
};

struct init_args {
    const struct launch_spec *spec;
    const struct sock_fprog *prog;
    int go_rd;      /* sentry -> init: 1 byte "maps written", 1 byte "listener taken" */
    int report_wr;  /* init -> sentry: struct report */
    int spawn;      /* init's end of the spawn channel (platform/spawn.c) */
};

/* Only async-signal-safe calls from here on: init is a clone of a
 * multithreaded-capable process, and after the filter it may make no call
 * the sentry would have to service. */
static __attribute__((noreturn)) void init_fail(const struct init_args *a, int err, const char *what)
{
    struct report r = { .listener = -1, .err = err ? err : EINVAL };
    size_t n = strlen(what);
    if (n >= sizeof r.what)
        n = sizeof r.what - 1;
    memcpy(r.what, what, n);
    if (write(a->report_wr, &r, sizeof r) < 0) {
        /* Nothing left to tell it with; the sentry sees the pipe close. */
    }
    _exit(125);
}

static void wait_go(const struct init_args *a)
{
    char c;
    if (read(a->go_rd, &c, 1) != 1)
        _exit(125);   /* the sentry is gone */
}

/* In a user namespace a remount must keep the locked atime flags the
 * source mount has, or the kernel answers EPERM. */
static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    return f;
}

/* Binds the host directory behind `srcfd` read-only at dst. Sources are
 * held open from before the new root is mounted, since that tmpfs may cover
 * them (an unprivileged exec cache lives under the host's /tmp). */
static void bind_ro(const struct init_args *a, int srcfd, const char *dst)
{
    char src[64];
    snprintf(src, sizeof src, "/proc/self/fd/%d", srcfd);
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        init_fail(a, errno, "bind mount of a runtime directory");
    unsigned long fl = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags(dst);
    if (mount(NULL, dst, NULL, fl, NULL) < 0)
        init_fail(a, errno, "read-only remount of a runtime directory");
    close(srcfd);
}

static int open_source(const struct init_args *a, const char *path)
{
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        init_fail(a, errno, "opening a runtime directory");
    return fd;
}

#define NEWROOT "/tmp"
#define MAX_RUNTIME 16

/* The guest's native root: an empty tmpfs with the runtime bound at the
 * same paths. The kernel resolves only exec paths and ELF interpreters
 * here; every other path the guest names is served by the sentry's VFS. */
static void build_root(const struct init_args *a)
{
    char dst[4096];
    struct stat st[MAX_RUNTIME];
    int src[MAX_RUNTIME];
    char target[MAX_RUNTIME][256];
    unsigned n = 0;
    for (const char *const *r = a->spec->runtime; *r && n < MAX_RUNTIME; r++, n++) {
        char host[4096];
        snprintf(host, sizeof host, "%s%s", a->spec->host_root ? a->spec->host_root : "", *r);
        src[n] = -1;
        if (lstat(host, &st[n]) < 0) {
            st[n].st_mode = 0;
        } else if (S_ISLNK(st[n].st_mode)) {
            ssize_t len = readlink(host, target[n], sizeof target[n] - 1);
            if (len < 0)
                init_fail(a, errno, "readlink of a runtime symlink");
            target[n][len] = '\0';
        } else if (S_ISDIR(st[n].st_mode)) {
            src[n] = open_source(a, host);
        }
    }
    int cache = open_source(a, a->spec->exec_cache);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        init_fail(a, errno, "making mounts private");
    if (mount("cordon", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
        init_fail(a, errno, "tmpfs for the guest root");
    for (unsigned k = 0; k < n; k++) {
        snprintf(dst, sizeof dst, NEWROOT "%s", a->spec->runtime[k]);
        if (S_ISLNK(st[k].st_mode)) {
            if (symlink(target[k], dst) < 0)
                init_fail(a, errno, "runtime symlink in the guest root");
        } else if (src[k] >= 0) {
            if (mkdir(dst, 0755) < 0)
                init_fail(a, errno, "runtime mountpoint");
            bind_ro(a, src[k], dst);
        }
    }
    if (mkdir(NEWROOT EXEC_CACHE_GUEST_DIR, 0755) < 0)
        init_fail(a, errno, "exec cache mountpoint");
    bind_ro(a, cache, NEWROOT EXEC_CACHE_GUEST_DIR);
    /* Without it the guest merely has no ptys (the sentry answers ENODEV),
     * so a kernel that refuses the mount does not stop the session. */
    if (mkdir(NEWROOT PTS_GUEST_DIR, 0755) < 0)
        init_fail(a, errno, "devpts mountpoint");
    mount("devpts", NEWROOT PTS_GUEST_DIR, "devpts", MS_NOSUID | MS_NOEXEC,
          "newinstance,ptmxmode=0666,mode=0620");
    if (mkdir(NEWROOT "/.old", 0700) < 0)
        init_fail(a, errno, "old root mountpoint");
    if (syscall(SYS_pivot_root, NEWROOT, NEWROOT "/.old") < 0)
        init_fail(a, errno, "pivot_root");
    if (chdir("/") < 0 || umount2("/.old", MNT_DETACH) < 0 || rmdir("/.old") < 0)
        init_fail(a, errno, "detaching the host root");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) < 0)
        init_fail(a, errno, "read-only guest root");
}

static void loopback_up(const struct init_args *a)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        init_fail(a, errno, "socket for loopback");
    struct ifreq ifr = { 0 };
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        init_fail(a, errno, "bringing up loopback");
    close(s);
}

/* Becomes the guest user while keeping (for now) the capabilities the new
 * user namespace gave: files created during setup must belong to a mapped id
 * or the kernel refuses them (EOVERFLOW). */
static void become_guest(const struct init_args *a)
{
    const struct launch_spec *s = a->spec;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        init_fail(a, errno, "keepcaps");
    /* Raw system calls, not glibc's: its set*id broadcast to every thread
     * it believes the process has, and init inherited that belief from the
     * sentry (whose event writer may already run) without the threads, so
     * it would wait for them forever.
     * setgroups is refused when the map was written unprivileged
     * (setgroups=deny); then there are no groups to drop anyway. */
    if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
        init_fail(a, errno, "setgroups");
    if (syscall(SYS_setresgid, s->guest_gid, s->guest_gid, s->guest_gid) < 0)
        init_fail(a, errno, "setresgid");
    if (syscall(SYS_setresuid, s->guest_uid, s->guest_uid, s->guest_uid) < 0)
        init_fail(a, errno, "setresuid");
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        init_fail(a, errno, "capget");
    d[0].effective = d[0].permitted;
    d[1].effective = d[1].permitted;
    if (syscall(SYS_capset, &h, d) < 0)
        init_fail(a, errno, "capset");
}

static void drop_capabilities(const struct init_args *a)
{
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            init_fail(a, errno, "dropping the capability bounding set");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        init_fail(a, errno, "clearing ambient capabilities");
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2] = { 0 };
    if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        init_fail(a, errno, "dropping capabilities");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        init_fail(a, errno, "no_new_privs");
    struct rlimit core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &core);
}

/* Returns the listener fd, or -1 on the ptrace platform, whose filter
 * asks for no listener: every serviced call is a ptrace stop there. */
static int install_filter(const struct init_args *a)
{
    if (a->spec->platform == PLATFORM_PTRACE) {
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, a->prog) < 0)
            init_fail(a, errno, "installing the seccomp filter");
        return -1;
    }
    unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, a->prog);
    if (fd < 0 && errno == EINVAL) {
        /* Kernels before 5.19: a signal may then interrupt a pending call,
         * which comes back as a new notification. */
        flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, a->prog);
    }
    if (fd < 0)
        init_fail(a, errno, "installing the seccomp filter (seccomp user notification)");
    return fd;
}

static __attribute__((noreturn)) void exec_program(const struct launch_spec *s)
{
    /* SIGXCPU when the CPU time is spent, SIGKILL one second later for a
     * program that handles it; inherited by what it starts, and the guest
     * cannot raise the hard limit (CAP_SYS_RESOURCE of the host's user
     * namespace). */
    struct rlimit cpu = { s->cpu_seconds, (rlim_t)s->cpu_seconds + 1 };
    if (s->cpu_seconds && setrlimit(RLIMIT_CPU, &cpu) < 0)
        _exit(125);
    if (s->tty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0))
        _exit(125);
    execve(s->exec_path, (char *const *)s->argv, (char *const *)s->envp);
    int err = errno;
    /* The sentry checked the program before launch; this is a late failure
     * (for example ENOEXEC). No stdio: it would make serviced calls. */
    const char *m = err == ENOENT ? ": not found\n" : ": cannot execute\n";
    if (write(2, "cordon: ", 8) < 0 || write(2, s->argv[0], strlen(s->argv[0])) < 0 ||
        write(2, m, strlen(m)) < 0) {
        /* stderr closed: the exit status still tells */
    }
    _exit(err == ENOENT ? 127 : 126);
}

/* Not instrumented by ASan: init runs on the stack clone() was given,
 * which ASan does not know, and it warns (on the guest's stderr) at each
 * call of a function that does not return, such as spawn_serve. */
__attribute__((no_sanitize("address"))) static int init_main(void *arg)
{
    const struct init_args *a = arg;
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);   /* the sentry blocks signals it reads via signalfd */
    wait_go(a);                              /* id maps written, cgroup joined, traced */
    for (int k = 0; a->spec->stdio && k < 3; k++)
        if (dup2(a->spec->stdio[k], k) < 0)
            init_fail(a, errno, "the guest's stdio");
    become_guest(a);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  /* after the id change, which clears it */

    if (unshare(CLONE_NEWCGROUP) < 0)
        init_fail(a, errno, "cgroup namespace");
    if (sethostname(a->spec->hostname, strlen(a->spec->hostname)) < 0)
        init_fail(a, errno, "sethostname");
    loopback_up(a);
    build_root(a);
    drop_capabilities(a);

    int listener = install_filter(a);
    struct report r = { .listener = listener };
    if (write(a->report_wr, &r, sizeof r) != sizeof r)
        _exit(125);
    wait_go(a);                              /* the sentry holds the listener now */
    if (listener >= 0)
        close(listener);
    close(a->report_wr);
    close(a->go_rd);

    /* Raw fork for the same reason: glibc's takes locks other sentry threads
     * may have held at the clone. */
    pid_t prog = (pid_t)syscall(SYS_fork);
    if (prog < 0)
        _exit(125);
    if (prog == 0)
        exec_program(a->spec);
    /* pid 1: start what the sentry asks for and reap whatever is orphaned
     * until the sentry ends the session. */
    spawn_serve(a->spawn);
}

static int write_file(const char *path, const char *data, struct err *e)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, errno, "open %s", path);
    if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        return err_set(e, errno, "write %s", path);
    return 0;
}

static int write_id_maps(pid_t pid, const struct launch_spec *s, struct err *e)
{
    char path[64], map[64];
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
    /* An unprivileged sentry may only map its own gid after denying
     * setgroups; root keeps setgroups so init can clear its groups. */
    if (geteuid() != 0 && write_file(path, "deny", e) < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)s->guest_uid, (unsigned)s->host_uid);
    if (write_file(path, map, e) < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)s->guest_gid, (unsigned)s->host_gid);
    return write_file(path, map, e);
}

/* Copies init's seccomp listener into the sentry. */
static int take_listener(pid_t pid, int listener, struct launched *out, struct err *e)
{
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return err_set(e, errno, "pidfd_open (kernel 5.3+ needed)");
    out->listener = (int)syscall(SYS_pidfd_getfd, pidfd, listener, 0);
    if (out->listener < 0)
        return err_set(e, errno, "pidfd_getfd of the seccomp listener (kernel 5.6+ needed)");
    if (fcntl(out->listener, F_SETFD, FD_CLOEXEC) < 0)
        return err_set(e, errno, "fcntl(FD_CLOEXEC) of the seccomp listener");
    return 0;
}

int launch_guest(const struct launch_spec *spec, const struct sock_fprog *prog,
                 struct launched *out, struct err *e)
{
    int go[2], rep[2], spawn[2];
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, spawn) < 0)
        return err_set(e, errno, "pipe");
    struct init_args a = { .spec = spec, .prog = prog, .go_rd = go[0], .report_wr = rep[1],
                           .spawn = spawn[1] };

    size_t stack_size = 256 * 1024;
    char *stack = malloc(stack_size);
    if (!stack)
        return err_set(e, ENOMEM, "init stack");
    int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
                CLONE_NEWUTS | SIGCHLD;
    pid_t pid = clone(init_main, stack + stack_size, flags, &a);
    int clone_err = errno;
    close(go[0]);
    close(rep[1]);
    close(spawn[1]);
    if (pid < 0) {
        free(stack);
        close(go[1]);
        close(rep[0]);
        close(spawn[0]);
        if (clone_err == EPERM || clone_err == EINVAL || clone_err == ENOSPC)
            return err_set(e, clone_err, "cannot create namespaces (user namespaces disabled?)");
        return err_set(e, clone_err, "clone");
    }
    out->init_pid = pid;
    out->listener = -1;
    out->spawn = spawn[0];

    int rc = -1;
    if (write_id_maps(pid, spec, e) < 0)
        goto fail;
    if (spec->cgroup_name && cgroup_join(spec->cgroup_name, pid, e) < 0)
        goto fail;
    long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
                PTRACE_O_TRACESYSGOOD;
    if (ptrace(PTRACE_SEIZE, pid, 0, opts) < 0) {
        err_set(e, errno, "ptrace(PTRACE_SEIZE) of the guest");
        goto fail;
    }
    if (write(go[1], "g", 1) != 1) {
        err_set(e, errno, "starting the guest");
        goto fail;
    }
    struct report r;
    ssize_t n;
    do
        n = read(rep[0], &r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n != sizeof r) {
        err_set(e, 0, "the guest's init died during setup");
        goto fail;
    }
    if (r.err) {
        r.what[sizeof r.what - 1] = '\0';
        err_set(e, r.err, "%s", r.what);
        goto fail;
    }
    if (r.listener >= 0 && take_listener(pid, r.listener, out, e) < 0)
        goto fail;
    if (write(go[1], "g", 1) != 1) {
        err_set(e, errno, "starting the guest");
        goto fail;
    }
    rc = 0;
fail:
    close(go[1]);
    close(rep[0]);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        if (out->listener >= 0)
            close(out->listener);
        close(spawn[0]);
    }
    /* The stack is only the clone's until its exec-free life ends, but init
     * never returns into it from this side: the child has its own copy of
     * the address space, so the parent may free its copy now. */
    free(stack);
    return rc;
}
