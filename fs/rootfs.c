/* fs/rootfs.c — builds the session's tree (vfs_create) and tears it down. */
#include "fs/internal.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct fs_cred root_cred = {0, 0};

/* The entry `name` of memory directory dir, created as a directory when
 * absent. Borrowed result. */
static int subdir(struct inode *dir, const char *name, size_t len, mode_t mode, uid_t uid,
                  gid_t gid, struct inode **out)
{
    struct dentry *d = dcache_find(dir, name, len);
    if (d) {
        *out = d->child;
        return S_ISDIR(d->child->mode) && d->child->layer == LAYER_MEM ? 0 : -ENOTDIR;
    }
    struct inode *i;
    struct fs_cred c = {uid, gid};
    int r = mem_create(dir, name, len, S_IFDIR | mode, &c, &i);
    if (r < 0)
        return r;
    inode_put(i);
    *out = i;
    return 0;
}

/* mkdir -p of the memory directories leading to the last component of an
 * absolute path (owned by *owner, 0755); *last is set to that component. */
static int parents_owned(struct vfs *v, const char *path, const struct fs_cred *owner,
                   struct inode **dir, const char **last, struct err *e)
{
    if (path[0] != '/')
        return err_set(e, EINVAL, "fs: %s: not an absolute path", path);
    struct inode *d = v->root;
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        const char *q = p + n;
        while (*q == '/')
            q++;
        if (n == 0 || n > NAME_MAX || (n <= 2 && !strncmp(p, "..", n)))
            return err_set(e, EINVAL, "fs: %s: bad path", path);
        if (!*q) {
            *dir = d;
            *last = p;
            return 0;
        }
        int r = subdir(d, p, n, 0755, owner->uid, owner->gid, &d);
        if (r < 0)
            return err_set(e, -r, "fs: %s: cannot build the directories leading to it", path);
        p = q;
    }
}

int rootfs_parents(struct vfs *v, const char *path, struct inode **dir, const char **last,
                   struct err *e)
{
    return parents_owned(v, path, &root_cred, dir, last, e);
}

static int add_symlink(struct inode *dir, const char *name, const char *target)
{
    struct inode *i;
    int r = mem_new(dir->vfs, S_IFLNK | 0777, 0, 0, &i);
    if (r < 0)
        return r;
    if (!(i->target = strdup(target)))
        r = -ENOMEM;
    if (r == 0)
        r = mem_link(dir, name, strlen(name), i);
    inode_put(i);
    return r;
}

/* A root-owned 0644 file of dir holding `len` bytes, or the content of host
 * file `from` when it is not NULL. */
static int add_file(struct inode *dir, const char *name, const char *data, size_t len,
                    const char *from)
{
    struct inode *i;
    int r = mem_create(dir, name, strlen(name), S_IFREG | 0644, &root_cred, &i);
    if (r < 0)
        return r;
    if (!from) {
        r = write_all(i->memfd, data, len);
    } else {
        _cleanup_close_ int fd = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char buf[65536];
        ssize_t n = 0;
        r = fd < 0 ? -errno : 0;
        while (r == 0 && (n = read(fd, buf, sizeof buf)) != 0)
            r = n < 0 ? (errno == EINTR ? 0 : -errno) : write_all(i->memfd, buf, (size_t)n);
    }
    inode_put(i);
    return r;
}

/* Places host path `host` as entry `name` of dir: a directory is grafted,
 * a symlink copied; missing ones are skipped. */
static int add_host(struct vfs *v, struct inode *dir, const char *name, const char *host,
                    bool copy_files, struct err *e)
{
    struct stat st;
    if (lstat(host, &st) < 0)
        return errno == ENOENT ? 0 : err_set(e, errno, "fs: %s", host);
    int r = 0;
    if (S_ISLNK(st.st_mode)) {
        char t[PATH_MAX];
        ssize_t n = readlink(host, t, sizeof t - 1);
        if (n < 0)
            return err_set(e, errno, "fs: readlink %s", host);
        t[n] = 0;
        r = add_symlink(dir, name, t);
    } else if (S_ISDIR(st.st_mode)) {
        struct inode *g;
        r = host_graft(v, host, &g);
        if (r == 0)
            r = mem_link(dir, name, strlen(name), g);
    } else if (S_ISREG(st.st_mode) && copy_files) {
        r = add_file(dir, name, NULL, 0, host);
    } else {
        return err_set(e, 0, "fs: %s: only directories and symlinks can be shared", host);
    }
    return r < 0 ? err_set(e, -r, "fs: cannot place %s in the session", host) : 0;
}

static bool synthesised(const char *name)
{
    static const char *const names[] = {"passwd", "group", "hostname", "hosts", "resolv.conf",
                                        "nsswitch.conf"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (!strcmp(name, names[k]))
            return true;
    return false;
}

static int build_etc(struct vfs *v, const struct vfs_options *o, struct err *e)
{
    struct inode *etc;
    int r = subdir(v->root, "etc", 3, 0755, 0, 0, &etc);
    if (r < 0)
        return err_set(e, -r, "fs: /etc");
    for (const char *const *n = o->etc; n && *n; n++) {
        if (!**n || strchr(*n, '/') || !strcmp(*n, ".") || !strcmp(*n, "..") ||
            strlen(*n) > NAME_MAX)
            return err_set(e, EINVAL, "fs: etc entry \"%s\" is not a file name", *n);
        if (synthesised(*n))
            continue;
        char host[PATH_MAX];
        snprintf(host, sizeof host, "%s/etc/%s", o->host_root ? o->host_root : "", *n);
        if (add_host(v, etc, *n, host, true, e) < 0)
            return -1;
    }
    char buf[4096];
    int n = snprintf(buf, sizeof buf,
                     "root:x:0:0:root:/root:/bin/sh\n"
                     "%s:x:%u:%u:%s:%s:/bin/sh\n"
                     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                     o->user_name, (unsigned)o->guest_uid, (unsigned)o->guest_gid,
                     o->user_name, o->home);
    r = n < (int)sizeof buf ? add_file(etc, "passwd", buf, (size_t)n, NULL) : -ENAMETOOLONG;
    if (r == 0) {
        n = snprintf(buf, sizeof buf, "root:x:0:\n%s:x:%u:\nnogroup:x:65534:\n", o->user_name,
                     (unsigned)o->guest_gid);
        r = n < (int)sizeof buf ? add_file(etc, "group", buf, (size_t)n, NULL) : -ENAMETOOLONG;
    }
    if (r == 0) {
        n = snprintf(buf, sizeof buf, "%s\n", o->hostname);
        r = n < (int)sizeof buf ? add_file(etc, "hostname", buf, (size_t)n, NULL) : -ENAMETOOLONG;
    }
    if (r == 0) {
        n = snprintf(buf, sizeof buf, "127.0.0.1\tlocalhost %s\n::1\tlocalhost\n", o->hostname);
        r = n < (int)sizeof buf ? add_file(etc, "hosts", buf, (size_t)n, NULL) : -ENAMETOOLONG;
    }
    /* Names resolve from the files above, then from the sandbox's DNS
     * answerer, which the network layer serves at this address inside the
     * guest's namespace (net/dns.c: granted names only, never forwarded). */
    static const char resolv[] = "# cordon: the sandbox's DNS answerer\n"
                                 "nameserver 127.0.0.53\n"
                                 "options edns0\n";
    /* Only the files the session wrote exist: no host daemon (systemd,
     * sss, ldap) is ever asked. */
    static const char nsswitch[] = "passwd:    files\n"
                                   "group:     files\n"
                                   "shadow:    files\n"
                                   "hosts:     files dns\n"
                                   "networks:  files\n"
                                   "protocols: files\n"
                                   "services:  files\n"
                                   "ethers:    files\n"
                                   "rpc:       files\n";
    if (r == 0)
        r = add_file(etc, "resolv.conf", resolv, sizeof resolv - 1, NULL);
    if (r == 0)
        r = add_file(etc, "nsswitch.conf", nsswitch, sizeof nsswitch - 1, NULL);
    return r < 0 ? err_set(e, -r, "fs: synthesising /etc") : 0;
}

static int build_dev(struct vfs *v, struct err *e)
{
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    /* /dev/tty is the opener's controlling terminal: the guest shares the
     * sentry's, when it has one. */
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    size_t nnodes = sizeof nodes / sizeof *nodes - (tty < 0);
    if (tty >= 0)
        close(tty);
    static const char *const links[][2] = {
        {"fd", "/proc/self/fd"},
        {"stdin", "/proc/self/fd/0"},
        {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},
    };
    struct inode *dev, *shm;
    int r = subdir(v->root, "dev", 3, 0755, 0, 0, &dev);
    if (r == 0)
        r = subdir(dev, "shm", 3, 01777, 0, 0, &shm);
    if (r == 0)
        r = pty_create_nodes(dev);
    for (size_t k = 0; r == 0 && k < nnodes; k++) {
        char host[32];
        snprintf(host, sizeof host, "/dev/%s", nodes[k]);
        r = dev_create(dev, nodes[k], host);
        if (r < 0)
            return err_set(e, -r, "fs: device %s", host);
    }
    for (size_t k = 0; r == 0 && k < sizeof links / sizeof *links; k++)
        r = add_symlink(dev, links[k][0], links[k][1]);
    return r < 0 ? err_set(e, -r, "fs: /dev") : 0;
}

static int build(struct vfs *v, const struct vfs_options *o, struct err *e)
{
    struct inode *dir;
    const char *last;
    for (const char *const *p = o->runtime; p && *p; p++) {
        char host[PATH_MAX];
        snprintf(host, sizeof host, "%s%s", o->host_root ? o->host_root : "", *p);
        if (rootfs_parents(v, *p, &dir, &last, e) < 0 || add_host(v, dir, last, host, false, e) < 0)
            return -1;
    }
    if (build_etc(v, o, e) < 0 || build_dev(v, e) < 0)
        return -1;
    struct inode *proc;
    int pr = proc_create(v, &proc);
    if (pr == 0) {
        pr = mem_link(v->root, "proc", 4, proc);
        inode_put(proc);
    }
    if (pr < 0)
        return err_set(e, -pr, "fs: /proc");
    static const char *const tmps[] = {"/tmp", "/var/tmp"};
    for (size_t k = 0; k < 2; k++) {
        /* An image's own /var stays its own (the overlay makes it writable). */
        struct dentry *var = k ? dcache_find(v->root, "var", 3) : NULL;
        if (var && var->child->layer != LAYER_MEM)
            continue;
        int r = rootfs_parents(v, tmps[k], &dir, &last, e);
        if (r == 0 && (r = subdir(dir, last, strlen(last), 01777, 0, 0, &dir)) < 0)
            err_set(e, -r, "fs: %s", tmps[k]);
        if (r < 0)
            return -1;
    }
    if (rootfs_parents(v, o->home, &dir, &last, e) < 0)
        return -1;
    int r = subdir(dir, last, strlen(last), 0700, o->guest_uid, o->guest_gid, &dir);
    return r < 0 ? err_set(e, -r, "fs: %s", o->home) : 0;
}

int vfs_create(const struct vfs_options *o, struct vfs **out, struct err *e)
{
    if (!o->user_name || !o->home || !o->hostname)
        return err_set(e, EINVAL, "fs: user name, home and hostname are required");
    struct vfs *v = calloc(1, sizeof *v);
    if (!v)
        return err_set(e, ENOMEM, "fs: allocating the session tree");
    v->next_ino = 2;
    v->pts_root = -1;
    v->host_uid = getuid();
    v->host_gid = getgid();
    v->guest_uid = o->guest_uid;
    v->guest_gid = o->guest_gid;
    if (o->host_root && !(v->host_root = strdup(o->host_root))) {
        free(v);
        return err_set(e, ENOMEM, "fs: allocating the session tree");
    }
    int r = mem_new(v, S_IFDIR | 0755, 0, 0, &v->root);
    if (r == 0 && !(v->whiteout = inode_alloc(v, LAYER_MEM, S_IFCHR, 0, 0)))
        r = -ENOMEM;
    if (r < 0) {
        vfs_destroy(v);
        return err_set(e, -r, "fs: allocating the root");
    }
    if (build(v, o, e) < 0) {
        vfs_destroy(v);
        return -1;
    }
    v->base_ino = v->next_ino;
    time_now(&v->built);
    *out = v;
    return 0;
}

void vfs_destroy(struct vfs *v)
{
    if (!v)
        return;
    if (v->pts_root >= 0)
        close(v->pts_root);
    notify_free_all(v);
    dentry_free_all(v);
    secrets_free(v->secrets);
    /* The quota goes last: freeing an inode releases its charge. */
    while (v->all)
        inode_free(v->all);
    quota_free(v);
    free(v->host_root);
    free(v->htab);
    free(v);
}

int vfs_place_file(struct vfs *v, const char *path, const void *data, size_t len, mode_t mode,
                   const struct fs_cred *owner, unsigned flags, struct err *e)
{
    struct inode *dir, *i;
    const char *last;
    if (parents_owned(v, path, owner, &dir, &last, e) < 0)
        return -1;
    int r = mem_create(dir, last, strlen(last), S_IFREG | (mode & 07777), owner, &i);
    if (r < 0)
        return err_set(e, -r, "%s", path);
    i->flags = flags;
    r = write_all(i->memfd, data, len);
    inode_put(i);
    return r < 0 ? err_set(e, -r, "%s", path) : 0;
}

unsigned vfs_inode_flags(const struct inode *i)
{
    return i->flags;
}
