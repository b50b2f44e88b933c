/* fs/names.c — the calls that change names: mkdir, symlink, unlink/rmdir,
 * rename and link, each with the kernel's checks in the kernel's order so the
 * guest sees the errno Linux would give. */
#include "fs/internal.h"

#include <errno.h>
#include <sys/inotify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int names_create(struct walker *w, struct nameparent *np, mode_t mode, const char *target,
                 struct inode **out)
{
    int r = perm_may_create(np->dir, w->c);
    if (r == 0)
        r = ovl_copy_up(np->dir, true);
    if (r < 0)
        return r;
    if (np->dir->layer == LAYER_MOUNT)
        return mount_create(w, np, mode, target, out);
    /* A set-group-id directory hands its group down, and the bit to its
     * subdirectories. */
    gid_t gid = w->c->gid;
    if (np->dir->mode & S_ISGID) {
        gid = np->dir->gid;
        if (S_ISDIR(mode))
            mode |= S_ISGID;
    }
    struct inode *i;
    r = mem_new(w->v, mode, w->c->uid, gid, &i);
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
    notify_entry(np->dir, i, np->name, np->len, IN_CREATE, 0);
    *out = i;
    return 0;
}

/* For calls that create a name, in the order of the kernel's
 * filename_create(): EEXIST, then a trailing slash on a non-directory. */
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
    if (mount_readonly(np->dir))
        return -EROFS;
    if (np->dir->layer == LAYER_MOUNT)
        return mount_may_name(np->dir, np->name, np->len);
    return 0;
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
        r = names_create(&w, &np, mode, target, &i);
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

int vfs_mksockat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                 const struct fs_cred *c, ino_t *ino)
{
    int r = create_at(v, start, path, S_IFSOCK | (mode & 07777), NULL, c);
    if (r == -EEXIST)
        return -EADDRINUSE;
    struct stat st;
    if (r == 0 && (r = vfs_statat(v, start, path, VFS_NOFOLLOW, c, &st)) == 0)
        *ino = st.st_ino;
    return r;
}

int vfs_mkfifoat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                 const struct fs_cred *c)
{
    return create_at(v, start, path, S_IFIFO | (mode & 07777), NULL, c);
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
        r = mount_readonly(np.dir) ? -EROFS : namei_child(&w, &np, &victim);
    else if (!rmdir)
        r = -EISDIR;
    else
        r = np.type == LAST_DOT ? -EINVAL : np.type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
    if (r == 0 && !rmdir && np.slash)
        r = S_ISDIR(victim->mode) ? -EISDIR : -ENOTDIR;
    if (r == 0)
        r = perm_may_delete(np.dir, victim, rmdir, c);
    if (r == 0 && rmdir)
        r = ovl_check_empty(victim);
    bool held = r == 0;
    if (held)
        inode_get(victim);
    if (r == 0 && np.dir->layer == LAYER_MOUNT)
        r = mount_unlink(&np, victim, rmdir);
    else if (r == 0 && (r = ovl_copy_up(np.dir, true)) == 0)
        remove_entry(np.dir, &np);
    if (r == 0) {
        notify_removed(victim);
        notify_entry(np.dir, victim, np.name, np.len, IN_DELETE, 0);
    }
    if (held)
        inode_put(victim);
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
    if (r == 0 && !exchange && ndir)
        r = ovl_check_empty(new);
    /* What moves must live in memory. */
    if (r == 0)
        r = ovl_may_move(old);
    if (r == 0 && exchange)
        r = ovl_may_move(new);
    return r;
}

/* inotify's view of a rename: the two names share a cookie. */
static void notify_moved(struct vfs *v, struct nameparent *from, struct nameparent *to,
                         struct inode *i)
{
    uint32_t cookie = notify_cookie(v);
    notify_entry(from->dir, i, from->name, from->len, IN_MOVED_FROM, cookie);
    notify_entry(to->dir, i, to->name, to->len, IN_MOVED_TO, cookie);
    notify_inode(i, IN_MOVE_SELF);
}

static int rename_names(struct walker *w, struct nameparent *op, struct nameparent *np,
                        unsigned flags)
{
    if (mount_crossing(op->dir, np->dir))
        return -EXDEV;
    if (ovl_upper_layer(op->dir) != ovl_upper_layer(np->dir))
        return -EXDEV;
    if (op->type != LAST_NORM)
        return -EBUSY;
    if (np->type != LAST_NORM)
        return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
    if (mount_readonly(op->dir))
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
    if (r == 0)
        r = ovl_copy_up(op->dir, true);
    if (r == 0)
        r = ovl_copy_up(np->dir, true);
    if (r != 0)
        return r < 0 ? r : 0;
    if (op->dir->layer == LAYER_MOUNT) {
        r = mount_rename(op, old, np, new, flags);
        if (r == 0)
            notify_moved(w->v, op, np, old);
        return r;
    }
    struct dentry *od = dcache_find(op->dir, op->name, op->len);
    if (!new) {
        r = mem_link(np->dir, np->name, np->len, old);
        if (r == 0) {
            mem_unlink(od);
            notify_moved(w->v, op, np, old);
        }
        return r;
    }
    /* Swapping first replaces the target without allocating, so a rename
     * over an existing name cannot fail half-way. */
    inode_get(new);
    mem_exchange(od, dcache_find(np->dir, np->name, np->len));
    if (!(flags & RENAME_EXCHANGE))
        remove_entry(op->dir, op);
    notify_moved(w->v, op, np, old);
    if (flags & RENAME_EXCHANGE)
        notify_moved(w->v, np, op, new);
    else
        notify_removed(new);
    inode_put(new);
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
        if (r == 0 && mount_crossing(old, np.dir))
            r = -EXDEV;
        if (r == 0 && ovl_upper_layer(old) != ovl_upper_layer(np.dir))
            r = -EXDEV;
        if (r == 0 && !may_hardlink(old, c))
            r = -EPERM;
        if (r == 0)
            r = perm_may_create(np.dir, c);
        if (r == 0 && S_ISDIR(old->mode))
            r = -EPERM;
        if (r == 0)
            r = ovl_copy_up(np.dir, true);
        if (r == 0)
            r = ovl_copy_up(old, true);
        if (r == 0)
            r = np.dir->layer == LAYER_MOUNT ? mount_link(old, &np)
                                             : mem_link(np.dir, np.name, np.len, old);
        if (r == 0) {
            notify_entry(np.dir, old, np.name, np.len, IN_CREATE, 0);
            notify_inode(old, IN_ATTRIB);
        }
        inode_put(np.dir);
    }
    inode_put(old);
    return r;
}
