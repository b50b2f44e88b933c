/* fs/procfs.c — the guest's /proc: its tree, inodes, listings, links and
 * the snapshots its files are read from.
 *
 * The tree is static tables (which names exist, their modes) plus three
 * kinds of numbered entries asked of the provider (fs/procfs.h): process
 * ids, thread ids and fd numbers, all guest numbers. Inodes are made on
 * lookup and kept in the dentry cache under their directory, like the host
 * layer's, so a directory the guest holds open keeps its identity; each
 * /proc directory also lists its cached entries in its slots, so what was
 * cached about a task is dropped when the task exits (vfs_proc_forget).
 * Inode numbers are a hash of (node, task, fd), so getdents can name
 * entries it never made inodes for.
 *
 * Why files are snapshots: a file's whole content is generated when it is
 * opened, into a memfd the guest gets read-only (as seq_file does), so reads,
 * seeks and mmap then run natively and the sentry is asked once per open.
 *
 * Why magic links jump: fd/N, cwd, root and exe lead the walk straight to an
 * inode (as Linux's nd_jump_link), never through a path text, so they cannot
 * be redirected and "/proc/self/fd/3/.." is the parent of what fd 3 is in
 * the VFS. An fd that is not a VFS file (a pipe, a socket, the terminal,
 * the guest's own memfd) becomes a transient inode holding a host copy of
 * it: opening it reopens that very object, with no more access than the
 * guest's fd has, and stat shows the object.
 */
#include "fs/internal.h"
#include "fs/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xxhash.h>

enum node_kind {
    N_DIR,
    N_FILE,          /* content from the provider's show() */
    N_FS_FILE,       /* content the VFS knows: mounts, mountinfo, filesystems */
    N_LINK,          /* fixed target text */
    N_SELF,
    N_THREAD_SELF,
    N_CWD,
    N_ROOT,
    N_EXE,
    N_FD,            /* fd/N */
    N_FOREIGN,       /* what fd/N leads to when it is not a VFS file */
};

enum dyn { DYN_NONE, DYN_PIDS, DYN_TIDS, DYN_FDS };

struct proc_node {
    const char *name;
    mode_t mode;
    enum node_kind kind;
    const char *what;                 /* show() key or link text */
    const struct proc_node *kids;     /* ends with a NULL name */
    enum dyn dyn;                     /* numbered entries ... */
    const struct proc_node *dyn_node; /* ... and what each one is */
};

#define DIR_(n, m, k, d, dn) { .name = n, .mode = S_IFDIR | (m), .kind = N_DIR, .kids = k, .dyn = d, .dyn_node = dn }
#define FILE_(n, w) { .name = n, .mode = S_IFREG | 0444, .kind = N_FILE, .what = w }
#define FSFILE(n) { .name = n, .mode = S_IFREG | 0444, .kind = N_FS_FILE, .what = n }
#define LINK_(n, k, w) { .name = n, .mode = S_IFLNK | 0777, .kind = k, .what = w }
#define END { .name = NULL }

static const struct proc_node fd_node = { .mode = S_IFLNK | 0700, .kind = N_FD };
static const struct proc_node fdinfo_node = { .mode = S_IFREG | 0444, .kind = N_FILE, .what = "fdinfo" };
static const struct proc_node foreign_node = { .kind = N_FOREIGN };

/* What /proc/<pid>/task/<tid> holds: /proc/<pid> without "task". */
#define TASK_FILES                                                                     \
    FILE_("status", "status"), FILE_("stat", "stat"), FILE_("statm", "statm"),         \
        FILE_("cmdline", "cmdline"), FILE_("comm", "comm"), FILE_("environ", "environ"), \
        FILE_("maps", "maps"), FILE_("smaps", "smaps"), FILE_("smaps_rollup", "smaps_rollup"), \
        FILE_("limits", "limits"), FILE_("cgroup", "cgroup"), FILE_("auxv", "auxv"),   \
        FILE_("io", "io"), FILE_("oom_score", "oom_score"), FILE_("oom_score_adj", "oom_score_adj"), \
        FSFILE("mounts"), FSFILE("mountinfo"), LINK_("exe", N_EXE, NULL),              \
        LINK_("cwd", N_CWD, NULL), LINK_("root", N_ROOT, NULL),                        \
        DIR_("fd", 0500, NULL, DYN_FDS, &fd_node), DIR_("fdinfo", 0500, NULL, DYN_FDS, &fdinfo_node)

static const struct proc_node tid_kids[] = { TASK_FILES, END };
static const struct proc_node tid_node = DIR_(NULL, 0555, tid_kids, DYN_NONE, NULL);
static const struct proc_node pid_kids[] = {
    TASK_FILES, DIR_("task", 0555, NULL, DYN_TIDS, &tid_node), END,
};
static const struct proc_node pid_node = DIR_(NULL, 0555, pid_kids, DYN_NONE, NULL);

static const struct proc_node random_kids[] = {
    FILE_("boot_id", "sys/kernel/random/boot_id"), FILE_("uuid", "sys/kernel/random/uuid"), END,
};
static const struct proc_node kernel_kids[] = {
    FILE_("ostype", "sys/kernel/ostype"), FILE_("osrelease", "sys/kernel/osrelease"),
    FILE_("version", "sys/kernel/version"), FILE_("hostname", "sys/kernel/hostname"),
    FILE_("domainname", "sys/kernel/domainname"), FILE_("pid_max", "sys/kernel/pid_max"),
    FILE_("ngroups_max", "sys/kernel/ngroups_max"), FILE_("cap_last_cap", "sys/kernel/cap_last_cap"),
    FILE_("threads-max", "sys/kernel/threads-max"), FILE_("shmmax", "sys/kernel/shmmax"),
    FILE_("shmall", "sys/kernel/shmall"), FILE_("shmmni", "sys/kernel/shmmni"),
    FILE_("sem", "sys/kernel/sem"), FILE_("msgmax", "sys/kernel/msgmax"),
    FILE_("msgmnb", "sys/kernel/msgmnb"), FILE_("msgmni", "sys/kernel/msgmni"),
    DIR_("random", 0555, random_kids, DYN_NONE, NULL), END,
};
static const struct proc_node inotify_kids[] = {
    FILE_("max_user_watches", "sys/fs/inotify/max_user_watches"),
    FILE_("max_user_instances", "sys/fs/inotify/max_user_instances"),
    FILE_("max_queued_events", "sys/fs/inotify/max_queued_events"), END,
};
static const struct proc_node fs_kids[] = {
    FILE_("file-max", "sys/fs/file-max"), FILE_("nr_open", "sys/fs/nr_open"),
    FILE_("pipe-max-size", "sys/fs/pipe-max-size"),
    DIR_("inotify", 0555, inotify_kids, DYN_NONE, NULL), END,
};
static const struct proc_node vm_kids[] = {
    FILE_("overcommit_memory", "sys/vm/overcommit_memory"),
    FILE_("max_map_count", "sys/vm/max_map_count"), END,
};
static const struct proc_node core_kids[] = { FILE_("somaxconn", "sys/net/core/somaxconn"), END };
static const struct proc_node net_kids[] = { DIR_("core", 0555, core_kids, DYN_NONE, NULL), END };
static const struct proc_node sys_kids[] = {
    DIR_("kernel", 0555, kernel_kids, DYN_NONE, NULL), DIR_("fs", 0555, fs_kids, DYN_NONE, NULL),
    DIR_("vm", 0555, vm_kids, DYN_NONE, NULL), DIR_("net", 0555, net_kids, DYN_NONE, NULL), END,
};
static const struct proc_node root_kids[] = {
    LINK_("self", N_SELF, NULL), LINK_("thread-self", N_THREAD_SELF, NULL),
    LINK_("mounts", N_LINK, "self/mounts"), FILE_("cpuinfo", "cpuinfo"),
    FILE_("meminfo", "meminfo"), FILE_("uptime", "uptime"), FILE_("loadavg", "loadavg"),
    FILE_("stat", "stat"), FILE_("version", "version"), FSFILE("filesystems"),
    DIR_("sys", 0555, sys_kids, DYN_NONE, NULL), END,
};
static const struct proc_node root_node = DIR_("proc", 0555, root_kids, DYN_PIDS, &pid_node);

static ino_t pino(const struct proc_node *n, pid_t tgid, pid_t tid, int fd)
{
    struct { uintptr_t n; int64_t tgid, tid, fd; } key = { (uintptr_t)n, tgid, tid, fd };
    return (ino_t)(XXH3_64bits(&key, sizeof key) | 1);
}

static struct inode *palloc(struct vfs *v, const struct proc_node *n, pid_t tgid, pid_t tid,
                            int fd)
{
    /* A process's entries belong to the guest user, as Linux gives them
     * to the process's owner; the rest of /proc is root's. */
    bool task = tgid > 0;
    struct inode *i = inode_alloc(v, LAYER_PROC, n->mode, task ? v->guest_uid : 0,
                                  task ? v->guest_gid : 0);
    if (!i)
        return NULL;
    i->pnode = n;
    i->ptgid = tgid;
    i->ptid = tid;
    i->pfd = fd;
    i->pobj = -1;
    i->nlink = S_ISDIR(n->mode) ? 2 : 1;
    i->ino = pino(n, tgid, tid, fd);
    i->magic = n->kind == N_CWD || n->kind == N_ROOT || n->kind == N_EXE || n->kind == N_FD;
    return i;
}

int proc_create(struct vfs *v, struct inode **out)
{
    struct inode *i = palloc(v, &root_node, 0, 0, -1);
    if (!i)
        return -ENOMEM;
    *out = i;
    return 0;
}

void vfs_set_proc(struct vfs *v, const struct proc_ops *ops, void *ctx)
{
    v->proc_ops = ops;
    v->proc_ctx = ctx;
}

/* Entry `name` of dir standing for node n of task (tgid, tid) and fd:
 * the cached inode, or a new one. Borrowed, like every lookup result. */
static int entry(struct inode *dir, const char *name, size_t len, const struct proc_node *n,
                 pid_t tgid, pid_t tid, int fd, struct inode **out)
{
    struct dentry *d = dcache_find(dir, name, len);
    if (d) {
        /* A number may name another thread group than when it was cached
         * (a pid reused in the session). */
        d->child->ptgid = tgid;
        *out = d->child;
        return 0;
    }
    struct inode *i = palloc(dir->vfs, n, tgid, tid, fd);
    if (!i)
        return -ENOMEM;
    int r = 0;
    if (S_ISDIR(n->mode)) {
        i->parent = dir;
        if (!(i->name = strndup(name, len)))
            r = -ENOMEM;
    }
    if (r == 0 && dir->nslots == dir->cap) {
        size_t ncap = dir->cap ? dir->cap * 2 : 8;
        struct dslot *ns = realloc(dir->slots, ncap * sizeof *ns);
        if (ns) {
            dir->slots = ns;
            dir->cap = ncap;
        } else {
            r = -ENOMEM;
        }
    }
    if (r == 0)
        r = dcache_add(dir, name, len, i, &d);
    inode_put(i);
    if (r < 0)
        return r;
    dir->slots[dir->nslots++] = (struct dslot){0, d};
    *out = i;
    return 0;
}

/* Drops the cached entry at slot k of dir, and everything cached below it.
 * A directory still in use (a cwd) stays as a removed one: no parent, no
 * entries. */
static void drop_slot(struct inode *dir, size_t k)
{
    struct dentry *d = dir->slots[k].d;
    dir->slots[k] = dir->slots[--dir->nslots];
    struct inode *child = d->child;
    if (S_ISDIR(child->mode)) {
        while (child->nslots)
            drop_slot(child, child->nslots - 1);
        child->parent = NULL;
        child->dead = true;
    }
    dcache_drop(d);
}

/* Forgets entry `name` of dir (NULL: nothing cached there). */
static void forget(struct inode *dir, const char *name)
{
    for (size_t k = 0; dir && k < dir->nslots; k++)
        if (!strcmp(dir->slots[k].d->name, name)) {
            drop_slot(dir, k);
            return;
        }
}

static struct inode *cached(struct inode *dir, const char *name)
{
    struct dentry *d = dir ? dcache_find(dir, name, strlen(name)) : NULL;
    return d ? d->child : NULL;
}

void vfs_proc_forget(struct vfs *v, pid_t tgid, pid_t tid)
{
    struct inode *root = cached(v->root, "proc");
    if (!root || root->layer != LAYER_PROC)
        return;
    char t[16], g[16];
    snprintf(t, sizeof t, "%d", (int)tid);
    snprintf(g, sizeof g, "%d", (int)tgid);
    if (tid != tgid)
        forget(cached(cached(root, g), "task"), t);
    forget(root, t);
}

/* A decimal number as /proc spells it (no sign, no leading zero). */
static long number(const char *name, size_t len)
{
    if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
        return -1;
    long n = 0;
    for (size_t k = 0; k < len; k++) {
        if (name[k] < '0' || name[k] > '9')
            return -1;
        n = n * 10 + (name[k] - '0');
    }
    return n;
}

int proc_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    struct vfs *v = dir->vfs;
    const struct proc_node *dn = dir->pnode;
    if (dir->dead)
        return -ENOENT;
    for (const struct proc_node *k = dn->kids; k && k->name; k++)
        if (strlen(k->name) == len && !memcmp(k->name, name, len))
            return entry(dir, name, len, k, dir->ptgid, dir->ptid, -1, out);
    long num = number(name, len);
    if (dn->dyn == DYN_NONE || num < 0 || !v->proc_ops)
        return -ENOENT;
    const struct proc_ops *ops = v->proc_ops;
    switch (dn->dyn) {
    case DYN_PIDS:
    case DYN_TIDS: {
        pid_t tgid = ops->tgid_of(v->proc_ctx, (pid_t)num);
        if (tgid <= 0 || (dn->dyn == DYN_TIDS && tgid != dir->ptgid))
            return -ENOENT;
        return entry(dir, name, len, dn->dyn_node, tgid, (pid_t)num, -1, out);
    }
    case DYN_FDS: {
        int h = ops->fd_get(v->proc_ctx, dir->ptgid, (int)num);
        if (h < 0)
            return -ENOENT;
        close(h);
        return entry(dir, name, len, dn->dyn_node, dir->ptgid, dir->ptid, (int)num, out);
    }
    default:
        return -ENOENT;
    }
}

/* fd/N: the VFS inode behind the guest's fd, or a transient one holding
 * the host object. */
static int fd_jump(struct inode *link, struct inode **jump)
{
    struct vfs *v = link->vfs;
    if (!v->proc_ops)
        return -ENOENT;
    int h = v->proc_ops->fd_get(v->proc_ctx, link->ptgid, link->pfd);
    if (h < 0)
        return -ENOENT;
    struct stat st;
    if (fstat(h, &st) < 0) {
        int r = -errno;
        close(h);
        return r;
    }
    struct inode *i = vfs_inode_of(v, &st);
    if (i) {
        close(h);
        inode_get(i);
        *jump = i;
        return 1;
    }
    struct stat shown;
    vfs_stat_foreign(v, &st, &shown);
    if (!(i = inode_alloc(v, LAYER_PROC, st.st_mode, shown.st_uid, shown.st_gid))) {
        close(h);
        return -ENOMEM;
    }
    i->pnode = &foreign_node;
    i->pobj = h;
    i->hst = st;
    i->ino = st.st_ino;
    i->nlink = st.st_nlink;
    *jump = i;
    return 1;
}

int proc_link(struct inode *link, struct inode **jump, char *buf, size_t size)
{
    struct vfs *v = link->vfs;
    const struct proc_ops *ops = v->proc_ops;
    pid_t tgid, tid;
    int n;
    switch (link->pnode->kind) {
    case N_LINK:
        n = snprintf(buf, size, "%s", link->pnode->what);
        break;
    case N_SELF:
    case N_THREAD_SELF:
        if (!ops || ops->self(v->proc_ctx, &tgid, &tid) < 0)
            return -ENOENT;
        n = link->pnode->kind == N_SELF ? snprintf(buf, size, "%d", (int)tgid)
                                        : snprintf(buf, size, "%d/task/%d", (int)tgid, (int)tid);
        break;
    case N_ROOT:
        inode_get(v->root);
        *jump = v->root;
        return 1;
    case N_CWD:
    case N_EXE: {
        if (!ops)
            return -ENOENT;
        int r = link->pnode->kind == N_CWD ? ops->cwd(v->proc_ctx, link->ptid, jump)
                                           : ops->exe(v->proc_ctx, link->ptgid, jump);
        return r < 0 ? r : 1;
    }
    case N_FD:
        return fd_jump(link, jump);
    default:
        return -EINVAL;
    }
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* What readlink shows for an object that is not a VFS file: kernel names
 * (pipe:[N], socket:[N], anon_inode:[...], /memfd:...) and terminals as the
 * host names them; never another host path. */
static ssize_t foreign_name(struct inode *f, char *buf, size_t size)
{
    static const char *const shown[] = {"pipe:[", "socket:[", "anon_inode:", "/memfd:",
                                        "/dev/pts/", "/dev/tty"};
    char proc[32], host[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->pobj);
    ssize_t n = readlink(proc, host, sizeof host - 1);
    if (n < 0)
        return -errno;
    host[n] = 0;
    bool ok = false;
    for (size_t k = 0; k < sizeof shown / sizeof *shown; k++)
        ok |= !strncmp(host, shown[k], strlen(shown[k]));
    int len = ok ? snprintf(buf, size, "%s", host)
                 : snprintf(buf, size, "anon_inode:[host %s]",
                            S_ISREG(f->hst.st_mode) ? "file" : S_ISCHR(f->hst.st_mode) ? "device" : "object");
    return len < 0 || (size_t)len >= size ? -ENAMETOOLONG : len;
}

ssize_t proc_readlink(struct inode *link, char *buf, size_t size)
{
    struct inode *to;
    int r = proc_link(link, &to, buf, size);
    if (r <= 0)
        return r < 0 ? r : (ssize_t)strlen(buf);
    ssize_t n = to->layer == LAYER_PROC && to->pobj >= 0 ? foreign_name(to, buf, size)
                                                          : vfs_inode_path(link->vfs, to, buf, size);
    if (n == -ENOENT) {
        /* A file the guest removed while holding it, as Linux says it. */
        int len = snprintf(buf, size, "/ (deleted)");
        n = len < 0 || (size_t)len >= size ? -ENAMETOOLONG : len;
    }
    inode_put(to);
    return n;
}

/* ---- snapshots ----------------------------------------------------------- */

static void show_mounts(struct vfs *v, FILE *out, bool info)
{
    char path[PATH_MAX];
    if (info)
        fprintf(out, "1 1 %u:%u / / rw,nosuid,nodev - tmpfs rootfs rw\n", major(MEMFS_DEV),
                minor(MEMFS_DEV));
    else
        fprintf(out, "rootfs / tmpfs rw,nosuid,nodev 0 0\n");
    struct inode *last = v->all;
    while (last && last->all_next)
        last = last->all_next;
    int id = 2;
    /* Oldest first: the order the tree was built in. */
    for (struct inode *i = last; i; i = i->all_prev) {
        if (!layer_on_host(i->layer) || i->graft != i || !i->parent ||
            vfs_dir_path(v, i, path, sizeof path) < 0)
            continue;
        /* Workspace mounts: rw or ro, noexec as asked. */
        const char *src = i->mnt ? "workspace" : "runtime";
        const char *rw = i->mnt && i->mnt->rw ? "rw" : "ro";
        const char *noexec = i->mnt && !i->mnt->exec ? ",noexec" : "";
        if (info)
            fprintf(out, "%d 1 %u:%u / %s %s,nosuid,nodev%s - hostfs %s %s\n", id++,
                    major(i->hst.st_dev), minor(i->hst.st_dev), path, rw, noexec, src, rw);
        else
            fprintf(out, "%s %s hostfs %s,nosuid,nodev%s 0 0\n", src, path, rw, noexec);
    }
    if (info)
        fprintf(out, "%d 1 %u:%u / /proc rw,nosuid,nodev,noexec - proc proc rw\n", id,
                major(PROCFS_DEV), minor(PROCFS_DEV));
    else
        fprintf(out, "proc /proc proc rw,nosuid,nodev,noexec 0 0\n");
}

static int fill(struct inode *i, FILE *out)
{
    struct vfs *v = i->vfs;
    const struct proc_node *n = i->pnode;
    if (n->kind == N_FS_FILE) {
        if (!strcmp(n->what, "filesystems"))
            fprintf(out, "nodev\ttmpfs\nnodev\tproc\n\thostfs\n");
        else
            show_mounts(v, out, !strcmp(n->what, "mountinfo"));
        return 0;
    }
    if (!v->proc_ops)
        return -ENOENT;
    return v->proc_ops->show(v->proc_ctx, n->what, i->ptgid, i->ptid, i->pfd, out);
}

static int snapshot(struct inode *i, int flags)
{
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
        return -EACCES;
    char *data = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&data, &len);
    if (!out)
        return -ENOMEM;
    int r = fill(i, out);
    if (fclose(out) != 0 && r == 0)
        r = -ENOMEM;
    int m = r < 0 ? r : memfd_new();
    if (m >= 0) {
        r = write_all(m, data, len);
        if (r == 0)
            r = fd_reopen(m, (flags & O_PATH) ? O_PATH : O_RDONLY);
        close(m);
    } else {
        r = m;
    }
    free(data);
    return r;
}

/* The guest may reopen what it holds, never with more access than it has
 * (a read-only fd stays read-only); a socket cannot be opened, as Linux. */
static int reopen_foreign(struct inode *f, int flags)
{
    if (flags & O_PATH)
        return fd_reopen(f->pobj, O_PATH);
    if (S_ISSOCK(f->hst.st_mode))
        return -ENXIO;
    int have = fcntl(f->pobj, F_GETFL);
    if (have < 0)
        return -errno;
    int want = flags & O_ACCMODE;
    have &= O_ACCMODE;
    if (want != have && have != O_RDWR)
        return -EACCES;
    return fd_reopen(f->pobj, (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_TRUNC)) | O_NOCTTY);
}

int proc_open(struct inode *i, int flags)
{
    if (i->pobj >= 0)
        return reopen_foreign(i, flags);
    return snapshot(i, flags);
}

/* ---- listing and stat ---------------------------------------------------- */

ssize_t proc_getdents(struct inode *dir, int64_t *pos, void *vbuf, size_t len)
{
    struct vfs *v = dir->vfs;
    const struct proc_node *dn = dir->pnode;
    char *buf = vbuf;
    size_t off = 0;
    uint64_t p = (uint64_t)*pos;
    struct inode *up = dir->parent ? dir->parent : dir;
    bool fits = true;
    if (dir->dead)
        return -ENOENT;
    if (p < 1 && (fits = dirent_put(buf, len, &off, dir->ino, 1, dir->mode, ".", 1)))
        p = 1;
    if (fits && p < 2 && (fits = dirent_put(buf, len, &off, up->ino, 2, up->mode, "..", 2)))
        p = 2;
    uint64_t nk = 0;
    while (dn->kids && dn->kids[nk].name)
        nk++;
    for (uint64_t k = p - 2; fits && k < nk; k++) {
        const struct proc_node *kid = &dn->kids[k];
        fits = dirent_put(buf, len, &off, pino(kid, dir->ptgid, dir->ptid, -1), (int64_t)(k + 3),
                          kid->mode, kid->name, strlen(kid->name));
        if (fits)
            p = k + 3;
    }
    if (fits && dn->dyn != DYN_NONE && v->proc_ops) {
        /* Numbered entries: the cookie of number n is base + n, so a listing
         * resumes after the last number it gave whatever came and went. */
        uint64_t base = 3 + nk;
        enum proc_list what = dn->dyn == DYN_PIDS ? PROC_PIDS : dn->dyn == DYN_TIDS ? PROC_TIDS : PROC_FDS;
        int small[256], *nums = small;
        ssize_t cnt = v->proc_ops->list(v->proc_ctx, what, dir->ptgid, nums, 256);
        if (cnt > 256) {
            if (!(nums = malloc((size_t)cnt * sizeof *nums)))
                return -ENOMEM;
            cnt = v->proc_ops->list(v->proc_ctx, what, dir->ptgid, nums, (size_t)cnt);
        }
        if (cnt < 0 && nums != small)
            free(nums);
        if (cnt < 0)
            return cnt;
        for (ssize_t k = 0; fits && k < cnt; k++) {
            uint64_t cookie = base + (uint64_t)nums[k];
            if (cookie <= p)
                continue;
            char name[16];
            int nl = snprintf(name, sizeof name, "%d", nums[k]);
            ino_t ino = dn->dyn == DYN_FDS ? pino(dn->dyn_node, dir->ptgid, dir->ptid, nums[k])
                        : dn->dyn == DYN_PIDS ? pino(dn->dyn_node, nums[k], nums[k], -1)
                                              : pino(dn->dyn_node, dir->ptgid, nums[k], -1);
            fits = dirent_put(buf, len, &off, ino, (int64_t)cookie, dn->dyn_node->mode, name,
                              (size_t)nl);
            if (fits)
                p = cookie;
        }
        if (nums != small)
            free(nums);
    }
    if (!fits && off == 0)
        return -EINVAL;
    *pos = (int64_t)p;
    return (ssize_t)off;
}

void proc_stat(struct inode *i, struct stat *out)
{
    struct vfs *v = i->vfs;
    if (i->pobj >= 0) {
        vfs_stat_foreign(v, &i->hst, out);
        return;
    }
    memset(out, 0, sizeof *out);
    out->st_dev = PROCFS_DEV;
    out->st_ino = i->ino;
    out->st_mode = i->mode;
    out->st_nlink = i->nlink;
    out->st_uid = i->uid;
    out->st_gid = i->gid;
    out->st_blksize = 1024;
    out->st_atim = i->atime;
    out->st_mtim = i->mtime;
    out->st_ctim = i->ctime;
    if (i->pnode->kind == N_FD && v->proc_ops) {
        /* As Linux: the link's mode is the fd's access mode. */
        int h = v->proc_ops->fd_get(v->proc_ctx, i->ptgid, i->pfd);
        int fl = h < 0 ? -1 : fcntl(h, F_GETFL);
        if (h >= 0)
            close(h);
        if (fl >= 0)
            out->st_mode = S_IFLNK | ((fl & O_ACCMODE) == O_RDONLY ? 0500
                                      : (fl & O_ACCMODE) == O_WRONLY ? 0300 : 0700);
    }
}

/* ---- paths --------------------------------------------------------------- */

ssize_t vfs_inode_path(struct vfs *v, struct inode *i, char *buf, size_t size)
{
    if (S_ISDIR(i->mode)) {
        ssize_t n = vfs_dir_path(v, i, buf, size);
        return n < 0 ? n : n - 1;
    }
    struct inode *dir = NULL;
    const char *name = NULL;
    if (layer_on_host(i->layer)) {
        /* Below its graft root, whose place in the tree is known. */
        dir = i->graft;
        name = i->relpath;
    } else {
        for (size_t b = 0; b < v->dcap && !dir; b++)
            for (struct dentry *d = v->dtab[b]; d && !dir; d = d->hnext)
                if (d->child == i) {
                    dir = d->dir;
                    name = d->name;
                }
    }
    if (!dir)
        return -ENOENT;
    ssize_t n = vfs_dir_path(v, dir, buf, size);
    if (n < 0)
        return n;
    size_t at = (size_t)n - 1;
    int w = snprintf(buf + at, size - at, "%s%s", at == 1 ? "" : "/", name);
    if (w < 0 || (size_t)w >= size - at)
        return -ERANGE;
    return (ssize_t)(at + (size_t)w);
}
