/* sentry/procinfo.c — what the guest's /proc says about its tasks and the
 * machine: the provider behind fs/procfs.h.
 *
 * The sentry knows host tids; the guest knows the pids of its own pid
 * namespace. Every number here is the guest's: a task's guest ids are read
 * once from the host's /proc/<tid>/status (NSpid, NStgid) when /proc first
 * needs them, and a pid the session does not hold is simply not there.
 *
 * Content comes from the host's /proc where it carries nothing of the host
 * but numbers (statm, limits, cpuinfo, ...), and is rewritten where it would
 * leak: ids in status and stat become the guest's (and the tracer vanishes),
 * maps names guest paths (a memory file by its VFS name, the exec cache by
 * the binary's guest path, anything else outside the runtime by nothing),
 * loadavg loses the host's last pid. cmdline and environ are the guest's own
 * memory. Host paths never leave this file: the VFS gives guest names.
 *
 * The guest's pid 1 is cordon's init, a clone of the sentry that never
 * exec'd: its memory, fds, exe, cwd and environment are the sentry's. /proc/1
 * shows its ids and numbers only; the rest is EACCES, what Linux answers
 * for a process the caller may not trace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fs/procfs.h"
#include "sentry/sentry.h"
#include "util/cleanup.h"
#include "util/procfs.h"

static struct session *S(void *ctx) { return ctx; }

#define INIT_PID 1

/* Fills in the guest ids of t; -ESRCH once it is gone. */
static int guest_ids(struct task *t)
{
    if (t->guest_tid && t->proc->guest_tgid)
        return 0;
    struct proc_nsids n;
    if (proc_nsids(t->tid, &n) < 0)
        return -ESRCH;
    t->guest_tid = n.pid;
    t->proc->guest_tgid = n.tgid;
    return 0;
}

int task_guest_ids(struct task *t) { return guest_ids(t); }

#define FOR_EACH_TASK(s, t)                              \
    for (unsigned b_ = 0; b_ < TASK_BUCKETS; b_++)      \
        for (struct task *t = (s)->tasks[b_]; t; t = t->next)

static struct task *by_tid(struct session *s, pid_t tid)
{
    FOR_EACH_TASK(s, t)
        if (guest_ids(t) == 0 && t->guest_tid == tid)
            return t;
    return NULL;
}

/* The thread group's leader, or any of its threads once the leader is gone. */
static struct task *by_tgid(struct session *s, pid_t tgid)
{
    struct task *any = NULL;
    FOR_EACH_TASK(s, t)
        if (guest_ids(t) == 0 && t->proc->guest_tgid == tgid) {
            if (t->guest_tid == tgid)
                return t;
            any = t;
        }
    return any;
}

static int ops_self(void *ctx, pid_t *tgid, pid_t *tid)
{
    struct task *t = S(ctx)->current;
    if (!t || guest_ids(t) < 0)
        return -ESRCH;
    *tgid = t->proc->guest_tgid;
    *tid = t->guest_tid;
    return 0;
}

/* The host pid of the guest tree's init: the parent, in the same pid
 * namespace, whose guest pid is 1 (checked again each time: each exec of a
 * session has its own tree). */
static pid_t init_host(struct session *s)
{
    struct proc_nsids n, p;
    if (s->init_host > 0 && proc_nsids(s->init_host, &p) == 0 && p.pid == INIT_PID) {
        FOR_EACH_TASK(s, t)
            if (proc_nsids(t->tid, &n) == 0)
                return n.depth == p.depth ? s->init_host : -ESRCH;
    }
    s->init_host = 0;
    FOR_EACH_TASK(s, t)
        if (proc_nsids(t->tid, &n) == 0 && proc_nsids(n.host_ppid, &p) == 0 &&
            p.pid == INIT_PID && p.depth == n.depth)
            return s->init_host = n.host_ppid;
    return -ESRCH;
}

static pid_t ops_tgid_of(void *ctx, pid_t tid)
{
    if (tid == INIT_PID)
        return init_host(S(ctx)) > 0 ? INIT_PID : -ESRCH;
    struct task *t = by_tid(S(ctx), tid);
    return t ? t->proc->guest_tgid : -ESRCH;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorts the n numbers collected in buf and drops repeats (threads repeat
 * their process's pid); returns how many are left. When they did not all
 * fit (n > cap), returns n: the caller asks again with that much room. */
static ssize_t finish_list(int *buf, size_t cap, size_t n)
{
    if (n > cap)
        return (ssize_t)n;
    qsort(buf, n, sizeof *buf, cmp_int);
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        if (k == 0 || buf[k - 1] != buf[j])
            buf[k++] = buf[j];
    return (ssize_t)k;
}

static ssize_t list_fds(struct task *t, int *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)t->proc->tgid);
    DIR *d = opendir(path);
    if (!d)
        return -ESRCH;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (n < cap)
            out[n] = atoi(e->d_name);
        n++;
    }
    closedir(d);
    return finish_list(out, cap, n);
}

static ssize_t ops_list(void *ctx, enum proc_list what, pid_t tgid, int *out, size_t cap)
{
    struct session *s = S(ctx);
    if (what == PROC_FDS) {
        struct task *t = tgid == INIT_PID ? NULL : by_tgid(s, tgid);
        return tgid == INIT_PID ? -EACCES : t ? list_fds(t, out, cap) : -ESRCH;
    }
    size_t n = 0;
    if ((what == PROC_PIDS || tgid == INIT_PID) && init_host(s) > 0) {
        if (n < cap)
            out[n] = INIT_PID;
        n++;
    }
    FOR_EACH_TASK(s, t) {
        if (guest_ids(t) < 0 || (what == PROC_TIDS && t->proc->guest_tgid != tgid))
            continue;
        if (n < cap)
            out[n] = what == PROC_PIDS ? t->proc->guest_tgid : t->guest_tid;
        n++;
    }
    return finish_list(out, cap, n);
}

static int ops_fd_get(void *ctx, pid_t tgid, int fd)
{
    if (tgid == INIT_PID)
        return -EACCES;
    struct task *t = by_tgid(S(ctx), tgid);
    if (!t || fd < 0)
        return -ENOENT;
    int h = (int)syscall(SYS_pidfd_getfd, t->proc->pidfd, fd, 0);
    return h < 0 ? -ENOENT : h;
}

static int ops_cwd(void *ctx, pid_t tid, struct inode **out)
{
    if (tid == INIT_PID)
        return -EACCES;
    struct task *t = by_tid(S(ctx), tid);
    if (!t)
        return -ENOENT;
    inode_get(t->fs->cwd);
    *out = t->fs->cwd;
    return 0;
}

static int ops_exe(void *ctx, pid_t tgid, struct inode **out)
{
    if (tgid == INIT_PID)
        return -EACCES;
    struct task *t = by_tgid(S(ctx), tgid);
    if (!t || !t->proc->exe)
        return -ENOENT;
    inode_get(t->proc->exe);
    *out = t->proc->exe;
    return 0;
}

/* ---- content ------------------------------------------------------------- */

/* Copies host file `path` to out. */
static int copy_host(const char *path, FILE *out)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        fwrite(buf, 1, (size_t)n, out);
    }
}

/* Reads a small host file whole, NUL-terminated. */
static int read_host(const char *path, char *buf, size_t size)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = 0;
    for (ssize_t n; len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return 0;
}

/* A host pid as the guest's pid namespace (depth `depth`) sees it; 0 when
 * it lies outside. */
static pid_t guest_pid_of(struct session *s, pid_t host, int depth)
{
    FOR_EACH_TASK(s, t)
        if (t->tid == host && guest_ids(t) == 0)
            return t->guest_tid;
    struct proc_nsids n;
    return host > 0 && proc_nsids(host, &n) == 0 && n.depth == depth ? n.pid : 0;
}

/* The name the process runs under: a binary run through the exec cache
 * would show the cache's hex name, so it shows the guest's name instead
 * (unless the process renamed itself). */
static void task_comm(struct session *s, struct task *t, const char *host_comm, char *out,
                      size_t size)
{
    snprintf(out, size, "%s", host_comm);
    if (!t->proc->exe_cached || !t->proc->exe || strlen(host_comm) != 15 ||
        strspn(host_comm, "0123456789abcdef") != 15)
        return;
    char path[PATH_MAX];
    if (vfs_inode_path(s->vfs, t->proc->exe, path, sizeof path) > 0) {
        const char *base = strrchr(path, '/');
        /* TASK_COMM_LEN: 15 characters. */
        snprintf(out, size < 16 ? size : 16, "%.15s", base ? base + 1 : path);
    }
}

static int show_status(struct session *s, struct task *t, FILE *out)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/status", (int)t->tid);
    struct proc_nsids n;
    if (read_host(path, buf, sizeof buf) < 0 || proc_nsids_parse(buf, &n) < 0)
        return -ESRCH;
    pid_t ppid = guest_pid_of(s, n.host_ppid, n.depth);
    unsigned uid = s->cred.uid, gid = s->cred.gid;
    for (char *line = buf, *next; *line; line = next) {
        next = strchr(line, '\n');
        next = next ? next + 1 : line + strlen(line);
        int len = (int)(next - line);
        char comm[64];
        if (!strncmp(line, "Name:\t", 6) && sscanf(line + 6, "%63[^\n]", comm) == 1) {
            char shown[64];
            task_comm(s, t, comm, shown, sizeof shown);
            fprintf(out, "Name:\t%s\n", shown);
        } else if (!strncmp(line, "Tgid:", 5) || !strncmp(line, "NStgid:", 7))
            fprintf(out, "%.*s\t%d\n", (int)strcspn(line, ":") + 1, line, (int)n.tgid);
        else if (!strncmp(line, "Pid:", 4) || !strncmp(line, "NSpid:", 6))
            fprintf(out, "%.*s\t%d\n", (int)strcspn(line, ":") + 1, line, (int)n.pid);
        else if (!strncmp(line, "NSpgid:", 7))
            fprintf(out, "NSpgid:\t%d\n", (int)n.pgid);
        else if (!strncmp(line, "NSsid:", 6))
            fprintf(out, "NSsid:\t%d\n", (int)n.sid);
        else if (!strncmp(line, "PPid:", 5))
            fprintf(out, "PPid:\t%d\n", (int)ppid);
        else if (!strncmp(line, "TracerPid:", 10) || !strncmp(line, "Ngid:", 5))
            fprintf(out, "%.*s\t0\n", (int)strcspn(line, ":") + 1, line);
        else if (!strncmp(line, "Uid:", 4))
            fprintf(out, "Uid:\t%u\t%u\t%u\t%u\n", uid, uid, uid, uid);
        else if (!strncmp(line, "Gid:", 4))
            fprintf(out, "Gid:\t%u\t%u\t%u\t%u\n", gid, gid, gid, gid);
        else if (!strncmp(line, "Groups:", 7))
            fprintf(out, "Groups:\t%u \n", gid);
        else
            fwrite(line, 1, (size_t)len, out);
    }
    return 0;
}

static int show_stat(struct session *s, struct task *t, FILE *out)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)t->tid);
    struct proc_nsids n;
    if (read_host(path, buf, sizeof buf) < 0 || proc_nsids(t->tid, &n) < 0)
        return -ESRCH;
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    char state;
    int ppid, pgrp, sid, tty, tpgid, used = 0;
    if (!open || !close || close < open ||
        sscanf(close + 1, " %c %d %d %d %d %d%n", &state, &ppid, &pgrp, &sid, &tty, &tpgid,
               &used) != 6)
        return -EIO;
    *close = '\0';
    char comm[64];
    task_comm(s, t, open + 1, comm, sizeof comm);
    /* The terminal's foreground group is the guest's own group or another
     * host pid to translate; -1 means none. */
    pid_t gtpgid = tpgid == pgrp ? n.pgid : tpgid <= 0 ? tpgid : guest_pid_of(s, tpgid, n.depth);
    fprintf(out, "%d (%s) %c %d %d %d %d %d%s", (int)n.pid, comm, state,
            (int)guest_pid_of(s, ppid, n.depth), (int)n.pgid, (int)n.sid, tty, (int)gtpgid,
            close + 1 + used);
    return 0;
}

static bool starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* One line of maps (or a mapping's first line in smaps) with its path and,
 * for a VFS file, its device and inode as the guest knows them; smaps'
 * other lines are numbers and flags, passed as they are. */
static void maps_line(struct session *s, struct task *t, const char *line, FILE *out)
{
    char range[64], perms[8], offset[32], dev[16];
    unsigned long ino;
    int used = 0;
    if (sscanf(line, "%63[0-9a-f-] %7s %31s %15s %lu%n", range, perms, offset, dev, &ino, &used) != 5 ||
        !strchr(range, '-')) {
        fputs(line, out);
        return;
    }
    const char *p = line + used;
    while (*p == ' ')
        p++;
    char host[PATH_MAX];
    snprintf(host, sizeof host, "%.*s", (int)strcspn(p, "\n"), p);
    char guest[PATH_MAX] = "";
    unsigned maj, min;
    struct stat st = { .st_ino = ino };
    struct inode *i = NULL;
    if (ino && sscanf(dev, "%x:%x", &maj, &min) == 2) {
        st.st_dev = makedev(maj, min);
        i = vfs_inode_of(s->vfs, &st);
    }
    /* The exec cache's copy stands for the binary the process runs. */
    if (!i && starts(host, EXEC_CACHE_GUEST_DIR "/") && t->proc->exe_cached)
        i = t->proc->exe;
    if (i) {
        if (vfs_inode_path(s->vfs, i, guest, sizeof guest) < 0)
            snprintf(guest, sizeof guest, "/ (deleted)");
        vfs_stat_inode(s->vfs, i, &st);
        snprintf(dev, sizeof dev, "%02x:%02x", major(st.st_dev), minor(st.st_dev));
        ino = st.st_ino;
    } else if (host[0] == '[' || starts(host, "/memfd:") || starts(host, "/SYSV") ||
               starts(host, "/dev/zero") || exec_in_runtime(s, host)) {
        snprintf(guest, sizeof guest, "%s", host);
    }
    int n = fprintf(out, "%s %s %s %s %lu", range, perms, offset, dev, ino);
    if (guest[0])
        fprintf(out, "%*s%s", n < 73 ? 73 - n : 1, "", guest);
    fputc('\n', out);
}

static int show_maps(struct session *s, struct task *t, const char *what, FILE *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)t->tid, what);
    FILE *in = fopen(path, "re");
    if (!in)
        return -ESRCH;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0)
        maps_line(s, t, line, out);
    free(line);
    fclose(in);
    return 0;
}

/* Position and flags only: mnt_id and ino would be the host's. */
static int show_fdinfo(struct task *t, int fd, FILE *out)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)t->proc->tgid, fd);
    if (read_host(path, buf, sizeof buf) < 0)
        return -ENOENT;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (starts(line, "pos:") || starts(line, "flags:"))
            fprintf(out, "%s\n", line);
    return 0;
}

/* The session's memory limit, when set, is the guest's RAM: no figure is
 * larger, and the host's page cache is not the guest's. */
static int show_meminfo(struct session *s, FILE *out)
{
    static const char *const CACHE[] = {"Buffers", "Cached", "SwapCached", "Shmem",
                                        "KReclaimable", "SReclaimable"};
    char buf[8192];
    if (read_host("/proc/meminfo", buf, sizeof buf) < 0)
        return -EIO;
    unsigned long long limit_kb = s->memory / 1024;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long kb;
        char key[32];
        if (!limit_kb || sscanf(line, "%31[^:]: %llu kB", key, &kb) != 2) {
            fprintf(out, "%s\n", line);
            continue;
        }
        for (size_t k = 0; k < sizeof CACHE / sizeof *CACHE; k++)
            if (!strcmp(key, CACHE[k]))
                kb = 0;
        /* /proc/meminfo's layout: the number right-aligned at column 24. */
        fprintf(out, "%s:%*llu kB\n", key, (int)(15 - strlen(key)) + 8, kb < limit_kb ? kb : limit_kb);
    }
    return 0;
}

static int show_loadavg(struct session *s, FILE *out)
{
    char buf[256];
    double a, b, c;
    if (read_host("/proc/loadavg", buf, sizeof buf) < 0 || sscanf(buf, "%lf %lf %lf", &a, &b, &c) != 3)
        return -EIO;
    int tasks = 0;
    pid_t last = 0;
    FOR_EACH_TASK(s, t) {
        tasks++;
        if (guest_ids(t) == 0 && t->guest_tid > last)
            last = t->guest_tid;
    }
    fprintf(out, "%.2f %.2f %.2f 1/%d %d\n", a, b, c, tasks, (int)last);
    return 0;
}

/* Files of the host's /proc that hold only numbers about the machine. */
static const char *const PASSTHROUGH[] = {
    "cpuinfo", "stat", "uptime", "sys/kernel/pid_max", "sys/kernel/ngroups_max",
    "sys/kernel/cap_last_cap", "sys/kernel/threads-max", "sys/kernel/shmmax",
    "sys/kernel/shmall", "sys/kernel/shmmni", "sys/kernel/sem", "sys/kernel/msgmax",
    "sys/kernel/msgmnb", "sys/kernel/msgmni", "sys/kernel/random/boot_id",
    "sys/kernel/random/uuid", "sys/fs/file-max", "sys/fs/nr_open", "sys/fs/pipe-max-size",
    "sys/fs/inotify/max_user_watches", "sys/fs/inotify/max_user_instances",
    "sys/fs/inotify/max_queued_events", "sys/vm/overcommit_memory", "sys/vm/max_map_count",
    "sys/net/core/somaxconn",
};

/* Files of /proc/<pid> that hold the guest's own memory (cmdline, environ,
 * auxv) or plain numbers. */
static const char *const TASK_PASSTHROUGH[] = {
    "cmdline", "environ", "auxv", "statm", "limits", "io", "oom_score", "oom_score_adj",
};

static int show_global(struct session *s, const char *what, FILE *out)
{
    for (size_t k = 0; k < sizeof PASSTHROUGH / sizeof *PASSTHROUGH; k++)
        if (!strcmp(what, PASSTHROUGH[k])) {
            char path[128];
            snprintf(path, sizeof path, "/proc/%s", what);
            return copy_host(path, out);
        }
    struct utsname u;
    uname(&u);
    if (!strcmp(what, "meminfo"))
        return show_meminfo(s, out);
    if (!strcmp(what, "loadavg"))
        return show_loadavg(s, out);
    if (!strcmp(what, "version"))
        fprintf(out, "%s version %s (cordon) %s\n", u.sysname, u.release, u.version);
    else if (!strcmp(what, "sys/kernel/ostype"))
        fprintf(out, "%s\n", u.sysname);
    else if (!strcmp(what, "sys/kernel/osrelease"))
        fprintf(out, "%s\n", u.release);
    else if (!strcmp(what, "sys/kernel/version"))
        fprintf(out, "%s\n", u.version);
    else if (!strcmp(what, "sys/kernel/hostname"))
        fprintf(out, "%s\n", s->hostname);
    else if (!strcmp(what, "sys/kernel/domainname"))
        fprintf(out, "(none)\n");
    else
        return -ENOENT;
    return 0;
}

/* File `what` of task t (fd: which fdinfo). */
static int show_task(struct session *s, struct task *t, const char *what, int fd, FILE *out)
{
    if (!strcmp(what, "status"))
        return show_status(s, t, out);
    if (!strcmp(what, "stat"))
        return show_stat(s, t, out);
    if (!strcmp(what, "maps") || !strcmp(what, "smaps") || !strcmp(what, "smaps_rollup"))
        return show_maps(s, t, what, out);
    if (!strcmp(what, "fdinfo"))
        return show_fdinfo(t, fd, out);
    if (!strcmp(what, "cgroup")) {
        fprintf(out, "0::/\n");
        return 0;
    }
    if (!strcmp(what, "comm")) {
        char path[64], host[64], shown[64];
        snprintf(path, sizeof path, "/proc/%d/comm", (int)t->tid);
        if (read_host(path, host, sizeof host) < 0)
            return -ESRCH;
        host[strcspn(host, "\n")] = '\0';
        task_comm(s, t, host, shown, sizeof shown);
        fprintf(out, "%s\n", shown);
        return 0;
    }
    for (size_t k = 0; k < sizeof TASK_PASSTHROUGH / sizeof *TASK_PASSTHROUGH; k++)
        if (!strcmp(what, TASK_PASSTHROUGH[k])) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/%s", (int)t->tid, what);
            return copy_host(path, out);
        }
    return -ENOENT;
}

/* What /proc/1 shows: ids and numbers, and a name for its command line. */
static int show_init(struct session *s, const char *what, FILE *out)
{
    static const char *const SHOWN[] = {"status", "stat", "statm", "limits", "comm", "cgroup",
                                        "oom_score", "oom_score_adj"};
    pid_t host = init_host(s);
    if (host <= 0)
        return -ESRCH;
    if (!strcmp(what, "cmdline")) {
        fputs("cordon-init", out);
        fputc('\0', out);
        return 0;
    }
    bool shown = false;
    for (size_t k = 0; k < sizeof SHOWN / sizeof *SHOWN; k++)
        shown |= !strcmp(what, SHOWN[k]);
    if (!shown)
        return -EACCES;
    struct proc p = { .tgid = host, .pidfd = -1 };
    struct task t = { .tid = host, .proc = &p };
    return show_task(s, &t, what, -1, out);
}

static int ops_show(void *ctx, const char *what, pid_t tgid, pid_t tid, int fd, FILE *out)
{
    struct session *s = S(ctx);
    if (tgid == 0)
        return show_global(s, what, out);
    if (tgid == INIT_PID)
        return show_init(s, what, out);
    struct task *t = tid == tgid ? by_tgid(s, tgid) : by_tid(s, tid);
    if (!t)
        return -ESRCH;
    return show_task(s, t, what, fd, out);
}

const struct proc_ops procinfo_ops = {
    .self = ops_self, .tgid_of = ops_tgid_of, .list = ops_list, .fd_get = ops_fd_get,
    .cwd = ops_cwd, .exe = ops_exe, .show = ops_show,
};
