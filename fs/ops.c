/* fs/ops.c — the *at operations of vfs.h: each resolves its path(s) through
 * namei.c and applies Linux's checks in Linux's order (so a guest sees the
 * errno the kernel would give), then hands the change to the layer.
 *
 * The host layer behaves like a read-only bind mount: calls that change a
 * name or metadata fail with EROFS before any permission check (the kernel's
 * mnt_want_write() comes first there), while open() for writing and
 * access(W_OK) check permission first and then report EROFS.
 */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define WALKER(vfs, cred) {.v = (vfs), .c = (cred), .links = 0}

struct inode *vfs_root(struct vfs *v)
{
    return v->root;
}

void vfs_set_host_ids(struct vfs *v, uid_t host_uid, gid_t host_gid)
{
    v->host_uid = host_uid;
    v->host_gid = host_gid;
}

void vfs_stat_foreign(struct vfs *v, const struct stat *host_st, struct stat *out)
{
    *out = *host_st;
    out->st_uid = host_st->st_uid == v->host_uid ? v->guest_uid : host_map_id(host_st->st_uid);
    out->st_gid = host_st->st_gid == v->host_gid ? v->guest_gid : host_map_id(host_st->st_gid);
}

void vfs_stat_inode(struct vfs *v, struct inode *i, struct stat *out)
{
    (void)v;
    if (i->layer == LAYER_HOST)
        host_stat(i, out);
    else
        mem_stat(i, out);
}

int vfs_permission(struct vfs *v, struct inode *i, int mask, const struct fs_cred *c)
{
    (void)v;
    return perm_check(i, mask, c);
}

static int access_mask(int flags)
{
    int m = (flags & O_ACCMODE) == O_RDONLY ? R_OK
          : (flags & O_ACCMODE) == O_WRONLY ? W_OK
          : R_OK | W_OK;
    return (flags & O_TRUNC) ? m | W_OK : m;
}

/* An O_PATH open: a handle whose fstat leads back to the inode. */
static int open_path(struct inode *i)
{
    if (S_ISDIR(i->mode) || S_ISLNK(i->mode)) {
        int ph = inode_placeholder(i);
        return ph < 0 ? ph : fd_reopen(ph, O_PATH);
    }
    if (inode_is_memfile(i))
        return fd_reopen(i->memfd, O_PATH);
    if (i->layer == LAYER_HOST)
        return host_open(i, O_PATH);
    return i->devpath ? dev_open(i, O_PATH) : -ENXIO;
}

static int open_inode(struct inode *i, int flags, bool created, const struct fs_cred *c)
{
    if (S_ISLNK(i->mode) && !(flags & O_PATH))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && !S_ISDIR(i->mode))
        return -ENOTDIR;
    if (flags & O_PATH)
        return open_path(i);
    int mask = access_mask(flags);
    if (S_ISDIR(i->mode) && ((flags & O_CREAT) || (mask & W_OK)))
        return -EISDIR;
    /* The creator of a file gets the access it asked for, whatever mode it
     * gave the file. */
    int r = created ? 0 : perm_check(i, mask, c);
    if (r < 0)
        return r;
    if (i->layer == LAYER_HOST && (mask & W_OK))
        return -EROFS;
    if (S_ISDIR(i->mode)) {
        int ph = inode_placeholder(i);
        return ph < 0 ? ph : fd_reopen(ph, O_RDONLY);
    }
    if (inode_is_memfile(i)) {
        if ((flags & O_TRUNC) && !created && ftruncate(i->memfd, 0) < 0)
            return -errno;
        return fd_reopen(i->memfd, flags & (O_ACCMODE | O_APPEND));
    }
    if (i->layer == LAYER_HOST)
        /* Device nodes and fifos of the host runtime are not the guest's:
         * as on a nodev mount. */
        return S_ISREG(i->mode) ? host_open(i, O_RDONLY) : -EACCES;
    return i->devpath ? dev_open(i, flags) : -ENXIO;
}

static int make_node(struct walker *w, struct nameparent *np, mode_t mode,
                     const char *target, struct inode **out)
{
    int r = perm_may_create(np->dir, w->c);
    if (r < 0)
        return r;
    struct inode *i;
    r = mem_new(w->v, mode, w->c->uid, w->c->gid, &i);
    if (r < 0)
        return r;
    if (target && !(i->target = strdup(target)))
        r = -ENOMEM;
    if (r == 0)
        r = mem_link(np->dir, np->name, np->len, i);
    if (r < 0) {
        inode_put(i);
        return r;
    }
    *out = i;
    return 0;
}

/* open(O_CREAT): the last component is looked up, followed if it is a
 * symlink (a dangling one creates its target), or created. */
static int open_create(struct walker *w, struct inode *start, const char *path, int flags,
                       mode_t mode, struct inode **out, bool *created)
{
    struct nameparent np;
    int r = namei_parent(w, start, path, &np);
    if (r < 0)
        return r;
    for (;;) {
        struct inode *i;
        if (np.type != LAST_NORM || np.slash) {
            r = -EISDIR;
            break;
        }
        r = namei_child(w, &np, &i);
        if (r == -ENOENT) {
            r = np.dir->layer == LAYER_HOST ? -EROFS
                                            : make_node(w, &np, S_IFREG | (mode & 07777), NULL, out);
            *created = r == 0;
            break;
        }
        if (r < 0)
            break;
        if (flags & O_EXCL) {
            r = -EEXIST;
            break;
        }
        if (!S_ISLNK(i->mode) || (flags & O_NOFOLLOW)) {
            inode_get(i);
            *out = i;
            break;
        }
        const char *t;
        struct nameparent next;
        r = namei_link_target(w, i, &t);
        if (r == 0)
            r = namei_parent(w, np.dir, t, &next);
        if (r < 0)
            break;
        inode_put(np.dir);
        np = next;
    }
    inode_put(np.dir);
    return r;
}

int vfs_openat(struct vfs *v, struct inode *start, const char *path, int flags,
               mode_t mode, const struct fs_cred *c, int *hostfd)
{
    struct walker w = WALKER(v, c);
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
        return -EINVAL;
    struct inode *i;
    bool created = false;
    int r = (flags & O_CREAT) && !(flags & O_PATH)
                ? open_create(&w, start, path, flags, mode, &i, &created)
                : namei_walk(&w, start, path, !(flags & O_NOFOLLOW), &i);
    if (r < 0)
        return r;
    r = open_inode(i, flags, created, c);
    inode_put(i);
    if (r < 0)
        return r;
    *hostfd = r;
    return 0;
}

static bool walk_follow(unsigned flags)
{
    return !(flags & VFS_NOFOLLOW);
}

int vfs_lookupat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                 const struct fs_cred *c, struct inode **out)
{
    struct walker w = WALKER(v, c);
    return namei_walk(&w, start, path, walk_follow(flags), out);
}

int vfs_statat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
               const struct fs_cred *c, struct stat *out)
{
    struct inode *i;
    int r = vfs_lookupat(v, start, path, flags, c, &i);
    if (r < 0)
        return r;
    vfs_stat_inode(v, i, out);
    inode_put(i);
    return 0;
}

int vfs_accessat(struct vfs *v, struct inode *start, const char *path, int mode,
                 unsigned flags, const struct fs_cred *c)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    struct inode *i;
    int r = vfs_lookupat(v, start, path, flags, c, &i);
    if (r < 0)
        return r;
    r = perm_check(i, mode, c);
    /* POSIX wants a read-only file system reported, but not for devices. */
    if (r == 0 && (mode & W_OK) && i->layer == LAYER_HOST &&
        (S_ISREG(i->mode) || S_ISDIR(i->mode) || S_ISLNK(i->mode)))
        r = -EROFS;
    inode_put(i);
    return r;
}

ssize_t vfs_readlinkat(struct vfs *v, struct inode *start, const char *path,
                       const struct fs_cred *c, char *buf, size_t bufsiz)
{
    if (bufsiz == 0)
        return -EINVAL;
    struct inode *i;
    int r = vfs_lookupat(v, start, path, VFS_NOFOLLOW, c, &i);
    if (r < 0)
        return r;
    ssize_t n = -EINVAL;
    if (S_ISLNK(i->mode)) {
        size_t len = strlen(i->target);
        n = (ssize_t)(len < bufsiz ? len : bufsiz);
        memcpy(buf, i->target, (size_t)n);
    }
    inode_put(i);
    return n;
}

/* For calls that create a name, in the order of the kernel's
 * filename_create(): EEXIST, then a trailing slash on a non-directory, then
 * the read-only layer. */
static int check_absent(struct walker *w, struct nameparent *np, bool dir)
{
    if (np->type != LAST_NORM)
        return -EEXIST;
    struct inode *i;
    int r = namei_child(w, np, &i);
    if (r == 0)
        return -EEXIST;
    if (r != -ENOENT)
        return r;
    if (np->slash && !dir)
        return -ENOENT;
    return np->dir->layer == LAYER_HOST ? -EROFS : 0;
}

static int create_at(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                     const char *target, const struct fs_cred *c)
{
    struct walker w = WALKER(v, c);
    struct nameparent np;
    int r = namei_parent(&w, start, path, &np);
    if (r < 0)
        return r;
    struct inode *i;
    r = check_absent(&w, &np, S_ISDIR(mode));
    if (r == 0)
        r = make_node(&w, &np, mode, target, &i);
    if (r == 0)
        inode_put(i);
    inode_put(np.dir);
    return r;
}

int vfs_mkdirat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                const struct fs_cred *c)
{
    return create_at(v, start, path, S_IFDIR | (mode & 01777), NULL, c);
}

int vfs_symlinkat(struct vfs *v, const char *target, struct inode *start,
                  const char *path, const struct fs_cred *c)
{
    size_t len = strnlen(target, PATH_MAX);
    if (len == 0)
        return -ENOENT;
    if (len == PATH_MAX)
        return -ENAMETOOLONG;
    return create_at(v, start, path, S_IFLNK | 0777, target, c);
}

/* Unlinks a directory entry; a directory leaves the tree for good. */
static void remove_entry(struct inode *dir, struct nameparent *np)
{
    struct dentry *d = dcache_find(dir, np->name, np->len);
    struct inode *victim = d->child;
    if (S_ISDIR(victim->mode)) {
        victim->dead = true;
        victim->parent = NULL;
        victim->nlink = 0;
    }
    mem_unlink(d);
}

int vfs_unlinkat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                 const struct fs_cred *c)
{
    struct walker w = WALKER(v, c);
    bool rmdir = flags & VFS_REMOVEDIR;
    struct nameparent np;
    int r = namei_parent(&w, start, path, &np);
    if (r < 0)
        return r;
    struct inode *victim;
    if (np.type == LAST_NORM)
        r = np.dir->layer == LAYER_HOST ? -EROFS : namei_child(&w, &np, &victim);
    else if (!rmdir)
        r = -EISDIR;
    else
        r = np.type == LAST_DOT ? -EINVAL : np.type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
    if (r == 0 && !rmdir && np.slash)
        r = S_ISDIR(victim->mode) ? -EISDIR : -ENOTDIR;
    if (r == 0)
        r = perm_may_delete(np.dir, victim, rmdir, c);
    if (r == 0 && rmdir && victim->live)
        r = -ENOTEMPTY;
    if (r == 0)
        remove_entry(np.dir, &np);
    inode_put(np.dir);
    return r;
}

static bool is_ancestor(const struct inode *a, const struct inode *d)
{
    for (; d; d = d->parent)
        if (d == a)
            return true;
    return false;
}

/* The checks of the kernel's vfs_rename() once both names are looked up. */
static int rename_check(struct nameparent *op, struct inode *old, struct nameparent *np,
                        struct inode *new, unsigned flags, const struct fs_cred *c)
{
    bool exchange = flags & RENAME_EXCHANGE;
    bool odir = S_ISDIR(old->mode), ndir = new && S_ISDIR(new->mode);
    if ((flags & RENAME_NOREPLACE) && new)
        return -EEXIST;
    if (exchange && !new)
        return -ENOENT;
    if ((op->slash && !odir) || (np->slash && !(exchange ? ndir : odir)))
        return -ENOTDIR;
    if (odir && is_ancestor(old, np->dir))
        return -EINVAL;
    if (ndir && is_ancestor(new, op->dir))
        return exchange ? -EINVAL : -ENOTEMPTY;
    if (old == new)
        return 1;
    int r = perm_may_delete(op->dir, old, odir, c);
    if (r == 0)
        r = new ? perm_may_delete(np->dir, new, exchange ? ndir : odir, c)
                : perm_may_create(np->dir, c);
    /* Moving a directory rewrites its "..". */
    if (r == 0 && op->dir != np->dir && odir)
        r = perm_check(old, W_OK, c);
    if (r == 0 && op->dir != np->dir && exchange && ndir)
        r = perm_check(new, W_OK, c);
    if (r == 0 && !exchange && ndir && new->live)
        r = -ENOTEMPTY;
    return r;
}

static int rename_names(struct walker *w, struct nameparent *op, struct nameparent *np,
                        unsigned flags)
{
    if (op->dir->layer != np->dir->layer)
        return -EXDEV;
    if (op->type != LAST_NORM)
        return -EBUSY;
    if (np->type != LAST_NORM)
        return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
    if (op->dir->layer == LAYER_HOST)
        return -EROFS;
    struct inode *old, *new;
    int r = namei_child(w, op, &old);
    if (r < 0)
        return r;
    r = namei_child(w, np, &new);
    if (r == -ENOENT)
        new = NULL;
    else if (r < 0)
        return r;
    r = rename_check(op, old, np, new, flags, w->c);
    if (r != 0)
        return r < 0 ? r : 0;
    struct dentry *od = dcache_find(op->dir, op->name, op->len);
    if (!new) {
        r = mem_link(np->dir, np->name, np->len, old);
        if (r == 0)
            mem_unlink(od);
        return r;
    }
    /* Swapping first replaces the target without allocating, so a rename
     * over an existing name cannot fail half-way. */
    mem_exchange(od, dcache_find(np->dir, np->name, np->len));
    if (!(flags & RENAME_EXCHANGE))
        remove_entry(op->dir, op);
    return 0;
}

int vfs_renameat2(struct vfs *v, struct inode *ostart, const char *opath,
                  struct inode *nstart, const char *npath, unsigned flags,
                  const struct fs_cred *c)
{
    if ((flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
        (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
        return -EINVAL;
    struct walker w = WALKER(v, c);
    struct nameparent op, np;
    int r = namei_parent(&w, ostart, opath, &op);
    if (r < 0)
        return r;
    r = namei_parent(&w, nstart, npath, &np);
    if (r == 0) {
        r = rename_names(&w, &op, &np, flags);
        inode_put(np.dir);
    }
    inode_put(op.dir);
    return r;
}

/* fs.protected_hardlinks, on in Debian: only the owner may link a file
 * it could not read and write, or a set-id one. */
static bool may_hardlink(const struct inode *i, const struct fs_cred *c)
{
    if (perm_owner(i, c))
        return true;
    return S_ISREG(i->mode) && !(i->mode & S_ISUID) &&
           (i->mode & (S_ISGID | S_IXGRP)) != (S_ISGID | S_IXGRP) &&
           perm_check(i, R_OK | W_OK, c) == 0;
}

int vfs_linkat(struct vfs *v, struct inode *ostart, const char *opath,
               struct inode *nstart, const char *npath, bool follow,
               const struct fs_cred *c)
{
    struct walker w = WALKER(v, c);
    struct inode *old;
    int r = namei_walk(&w, ostart, opath, follow, &old);
    if (r < 0)
        return r;
    struct walker nw = WALKER(v, c);
    struct nameparent np;
    r = namei_parent(&nw, nstart, npath, &np);
    if (r == 0) {
        r = check_absent(&nw, &np, false);
        if (r == 0 && old->layer != np.dir->layer)
            r = -EXDEV;
        if (r == 0 && !may_hardlink(old, c))
            r = -EPERM;
        if (r == 0)
            r = perm_may_create(np.dir, c);
        if (r == 0 && S_ISDIR(old->mode))
            r = -EPERM;
        if (r == 0)
            r = mem_link(np.dir, np.name, np.len, old);
        inode_put(np.dir);
    }
    inode_put(old);
    return r;
}

int vfs_chmod_inode(struct vfs *v, struct inode *i, mode_t mode, const struct fs_cred *c)
{
    (void)v;
    if (i->layer == LAYER_HOST)
        return -EROFS;
    if (!perm_owner(i, c))
        return -EPERM;
    mode &= 07777;
    /* As Linux: a non-root owner outside the file's group cannot make it
     * set-group-id. */
    if (c->uid != 0 && c->gid != i->gid && !S_ISDIR(i->mode))
        mode &= ~(mode_t)S_ISGID;
    i->mode = (i->mode & S_IFMT) | mode;
    mem_touch(i, false);
    return 0;
}

int vfs_chmodat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                unsigned flags, const struct fs_cred *c)
{
    struct inode *i;
    int r = vfs_lookupat(v, start, path, flags, c, &i);
    if (r < 0)
        return r;
    r = S_ISLNK(i->mode) ? -EOPNOTSUPP : vfs_chmod_inode(v, i, mode, c);
    inode_put(i);
    return r;
}

int vfs_chown_inode(struct vfs *v, struct inode *i, uid_t uid, gid_t gid,
                    const struct fs_cred *c)
{
    (void)v;
    if (i->layer == LAYER_HOST)
        return -EROFS;
    bool root = c->uid == 0, owner = c->uid == i->uid;
    if (uid != (uid_t)-1 && !root && !(owner && uid == i->uid))
        return -EPERM;
    if (gid != (gid_t)-1 && !root && !(owner && (gid == i->gid || gid == c->gid)))
        return -EPERM;
    if (uid != (uid_t)-1)
        i->uid = uid;
    if (gid != (gid_t)-1)
        i->gid = gid;
    if (S_ISREG(i->mode)) {
        i->mode &= ~(mode_t)S_ISUID;
        if (i->mode & S_IXGRP)
            i->mode &= ~(mode_t)S_ISGID;
    }
    mem_touch(i, false);
    return 0;
}

int vfs_chownat(struct vfs *v, struct inode *start, const char *path, uid_t uid,
                gid_t gid, unsigned flags, const struct fs_cred *c)
{
    struct inode *i;
    int r = vfs_lookupat(v, start, path, flags, c, &i);
    if (r < 0)
        return r;
    r = vfs_chown_inode(v, i, uid, gid, c);
    inode_put(i);
    return r;
}

static bool nsec_ok(long ns)
{
    return (ns >= 0 && ns < 1000000000L) || ns == UTIME_NOW || ns == UTIME_OMIT;
}

static void set_time(struct timespec *dst, const struct timespec *t, const struct timespec *now)
{
    if (!t || t->tv_nsec == UTIME_NOW)
        *dst = *now;
    else if (t->tv_nsec != UTIME_OMIT)
        *dst = *t;
}

int vfs_utimens_inode(struct vfs *v, struct inode *i, const struct timespec times[2],
                      const struct fs_cred *c)
{
    (void)v;
    if (times && (!nsec_ok(times[0].tv_nsec) || !nsec_ok(times[1].tv_nsec)))
        return -EINVAL;
    if (times && times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT)
        return 0;
    if (i->layer == LAYER_HOST)
        return -EROFS;
    bool to_now = !times || (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW);
    /* Anyone who may write may touch a file to "now"; only the owner may
     * set chosen times. */
    if (!perm_owner(i, c)) {
        if (!to_now)
            return -EPERM;
        if (perm_check(i, W_OK, c) < 0)
            return -EACCES;
    }
    if (inode_is_memfile(i))
        return futimens(i->memfd, times) < 0 ? -errno : 0;
    struct timespec now;
    time_now(&now);
    set_time(&i->atime, times ? &times[0] : NULL, &now);
    set_time(&i->mtime, times ? &times[1] : NULL, &now);
    i->ctime = now;
    return 0;
}

int vfs_utimensat(struct vfs *v, struct inode *start, const char *path,
                  const struct timespec times[2], unsigned flags, const struct fs_cred *c)
{
    struct inode *i;
    int r = vfs_lookupat(v, start, path, flags, c, &i);
    if (r < 0)
        return r;
    r = vfs_utimens_inode(v, i, times, c);
    inode_put(i);
    return r;
}

int vfs_truncateat(struct vfs *v, struct inode *start, const char *path, off_t len,
                   const struct fs_cred *c)
{
    if (len < 0)
        return -EINVAL;
    struct inode *i;
    int r = vfs_lookupat(v, start, path, 0, c, &i);
    if (r < 0)
        return r;
    if (S_ISDIR(i->mode))
        r = -EISDIR;
    else if (!S_ISREG(i->mode))
        r = -EINVAL;
    else if (i->layer == LAYER_HOST)
        r = -EROFS;
    else
        r = perm_check(i, W_OK, c);
    if (r == 0 && ftruncate(i->memfd, len) < 0)
        r = -errno;
    inode_put(i);
    return r;
}

int vfs_chdirat(struct vfs *v, struct inode *start, const char *path,
                const struct fs_cred *c, struct inode **out)
{
    struct inode *i;
    int r = vfs_lookupat(v, start, path, 0, c, &i);
    if (r < 0)
        return r;
    r = !S_ISDIR(i->mode) ? -ENOTDIR : perm_check(i, X_OK, c);
    if (r < 0) {
        inode_put(i);
        return r;
    }
    *out = i;
    return 0;
}

ssize_t vfs_dir_path(struct vfs *v, struct inode *dir, char *buf, size_t size)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (size == 0)
        return -ERANGE;
    /* Built from the end of buf towards its start, then moved down. */
    size_t pos = size - 1;
    buf[pos] = 0;
    for (struct inode *i = dir; i != v->root; i = i->parent) {
        if (!i->parent)
            return -ENOENT;
        size_t n = strlen(i->name);
        if (pos < n + 1)
            return -ERANGE;
        pos -= n;
        memcpy(buf + pos, i->name, n);
        buf[--pos] = '/';
    }
    if (dir == v->root) {
        if (pos < 1)
            return -ERANGE;
        buf[--pos] = '/';
    }
    size_t len = size - pos;
    memmove(buf, buf + pos, len);
    return (ssize_t)len;
}

ssize_t vfs_getdents(struct vfs *v, struct inode *dir, int64_t *pos, void *buf, size_t len)
{
    (void)v;
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    return dir->layer == LAYER_HOST ? host_getdents(dir, pos, buf, len)
                                    : mem_getdents(dir, pos, buf, len);
}

void vfs_statfs(struct vfs *v, struct inode *i, struct statfs *out)
{
    (void)v;
    if (i->layer == LAYER_HOST && host_statfs(i, out) == 0)
        return;
    memset(out, 0, sizeof *out);
    /* Sized like a tmpfs of half the RAM, its default. */
    struct sysinfo si;
    if (sysinfo(&si) == 0) {
        out->f_blocks = (fsblkcnt_t)((uint64_t)si.totalram * si.mem_unit / 2 / 4096);
        out->f_bfree = out->f_bavail = (fsblkcnt_t)((uint64_t)si.freeram * si.mem_unit / 2 / 4096);
    }
    out->f_type = TMPFS_MAGIC;
    out->f_bsize = out->f_frsize = 4096;
    out->f_namelen = NAME_MAX;
    out->f_files = out->f_ffree = out->f_blocks;
}

int vfs_open_data(struct vfs *v, struct inode *i)
{
    (void)v;
    if (inode_is_memfile(i))
        return fd_reopen(i->memfd, O_RDONLY);
    if (i->layer == LAYER_HOST && S_ISREG(i->mode))
        return host_open(i, O_RDONLY);
    return -EACCES;
}

int vfs_host_path(struct vfs *v, struct inode *i, char *buf, size_t size)
{
    (void)v;
    return i->layer == LAYER_HOST ? host_path(i, buf, size) : -EXDEV;
}
