/* fs/attr.c — reading and changing inode metadata: stat, access, chmod,
 * chown, utimens, truncate, statfs. */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sysinfo.h>
#include <unistd.h>

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
    else if (i->layer == LAYER_PROC)
        proc_stat(i, out);
    else if (i->layer == LAYER_MOUNT)
        mount_stat(i, out);
    else
        mem_stat(i, out);
}

bool vfs_btime(struct vfs *v, struct inode *i, struct timespec *out)
{
    (void)v;
    *out = i->btime;
    return i->layer == LAYER_MEM;
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

void vfs_statfs(struct vfs *v, struct inode *i, struct statfs *out)
{
    (void)v;
    if (layer_on_host(i->layer) && host_statfs(i, out) == 0)
        return;
    memset(out, 0, sizeof *out);
    if (i->layer == LAYER_PROC) {
        out->f_type = PROC_SUPER_MAGIC;
        out->f_bsize = out->f_frsize = 4096;
        out->f_namelen = NAME_MAX;
        return;
    }
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

int vfs_permission(struct vfs *v, struct inode *i, int mask, const struct fs_cred *c)
{
    (void)v;
    return perm_check(i, mask, c);
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
    if (r == 0 && (mode & W_OK) && mount_readonly(i) &&
        (S_ISREG(i->mode) || S_ISDIR(i->mode) || S_ISLNK(i->mode)))
        r = -EROFS;
    inode_put(i);
    return r;
}

/* vfs_lookupat that also learns the entry walked through, for inotify:
 * np->dir is a reference or NULL. */
static int lookup_entry(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                        const struct fs_cred *c, struct inode **out, struct nameparent *np)
{
    struct walker w = WALKER(v, c);
    np->dir = NULL;
    w.last = np;
    int r = namei_walk(&w, start, path, !(flags & VFS_NOFOLLOW), out);
    if (r < 0) {
        inode_put(np->dir);
        np->dir = NULL;
    }
    return r;
}

/* A change to i named by a path: the directory's watches hear it by name,
 * then the file's own, as Linux orders them. Drops np->dir. */
static void notify_change(struct nameparent *np, struct inode *i, uint32_t mask)
{
    if (np->dir)
        notify_entry(np->dir, i, np->name, np->len, mask, 0);
    notify_inode(i, mask);
    inode_put(np->dir);
}

/* What every change of an entry named by a path shares: the walk, the
 * inotify events on success (EVENT, as notify_change orders them) and the
 * references. CHANGE gets the inode and ARG. */
static int change_at(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                     const struct fs_cred *c, uint32_t event,
                     int (*change)(struct inode *, const void *, const struct fs_cred *),
                     const void *arg)
{
    struct inode *i;
    struct nameparent np;
    int r = lookup_entry(v, start, path, flags, c, &i, &np);
    if (r < 0)
        return r;
    r = change(i, arg, c);
    if (r == 0)
        notify_change(&np, i, event);
    else
        inode_put(np.dir);
    inode_put(i);
    return r;
}

static int chmod_inode(struct inode *i, mode_t mode, const struct fs_cred *c)
{
    if (mount_readonly(i))
        return -EROFS;
    if (i->layer == LAYER_PROC || !perm_owner(i, c))
        return -EPERM;
    int r = ovl_copy_up(i, true);
    if (r < 0)
        return r;
    mode &= 07777;
    /* As Linux: a non-root owner outside the file's group cannot make it
     * set-group-id. */
    if (c->uid != 0 && c->gid != i->gid && !S_ISDIR(i->mode))
        mode &= ~(mode_t)S_ISGID;
    if (i->layer == LAYER_MOUNT)
        return mount_chmod(i, mode);
    i->mode = (i->mode & S_IFMT) | mode;
    mem_touch(i, false);
    return 0;
}

int vfs_chmod_inode(struct vfs *v, struct inode *i, mode_t mode, const struct fs_cred *c)
{
    (void)v;
    int r = chmod_inode(i, mode, c);
    if (r == 0)
        notify_inode(i, IN_ATTRIB);
    return r;
}

static int chmod_path(struct inode *i, const void *mode, const struct fs_cred *c)
{
    /* fchmodat(AT_SYMLINK_NOFOLLOW) on a symlink: Linux has no link modes. */
    return S_ISLNK(i->mode) ? -EOPNOTSUPP : chmod_inode(i, *(const mode_t *)mode, c);
}

int vfs_chmodat(struct vfs *v, struct inode *start, const char *path, mode_t mode,
                unsigned flags, const struct fs_cred *c)
{
    return change_at(v, start, path, flags, c, IN_ATTRIB, chmod_path, &mode);
}

static int chown_inode(struct inode *i, uid_t uid, gid_t gid, const struct fs_cred *c)
{
    if (mount_readonly(i))
        return -EROFS;
    if (i->layer == LAYER_PROC)
        return -EPERM;
    bool root = c->uid == 0, owner = c->uid == i->uid;
    if (uid != (uid_t)-1 && !root && !(owner && uid == i->uid))
        return -EPERM;
    if (gid != (gid_t)-1 && !root && !(owner && (gid == i->gid || gid == c->gid)))
        return -EPERM;
    int r = ovl_copy_up(i, true);
    if (r < 0)
        return r;
    if (i->layer == LAYER_MOUNT)
        return mount_chown(i, uid, gid);
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

int vfs_chown_inode(struct vfs *v, struct inode *i, uid_t uid, gid_t gid,
                    const struct fs_cred *c)
{
    (void)v;
    int r = chown_inode(i, uid, gid, c);
    if (r == 0)
        notify_inode(i, IN_ATTRIB);
    return r;
}

struct owner {
    uid_t uid;
    gid_t gid;
};

static int chown_path(struct inode *i, const void *o, const struct fs_cred *c)
{
    return chown_inode(i, ((const struct owner *)o)->uid, ((const struct owner *)o)->gid, c);
}

int vfs_chownat(struct vfs *v, struct inode *start, const char *path, uid_t uid,
                gid_t gid, unsigned flags, const struct fs_cred *c)
{
    return change_at(v, start, path, flags, c, IN_ATTRIB, chown_path, &(struct owner){ uid, gid });
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

/* 1 when there is nothing to change (both times UTIME_OMIT). */
static int utimens_inode(struct inode *i, const struct timespec times[2], const struct fs_cred *c)
{
    if (times && (!nsec_ok(times[0].tv_nsec) || !nsec_ok(times[1].tv_nsec)))
        return -EINVAL;
    if (times && times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT)
        return 1;
    if (mount_readonly(i))
        return -EROFS;
    if (i->layer == LAYER_PROC)
        return -EPERM;
    bool to_now = !times || (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW);
    /* Anyone who may write may touch a file to "now"; only the owner may
     * set chosen times. */
    if (!perm_owner(i, c)) {
        if (!to_now)
            return -EPERM;
        if (perm_check(i, W_OK, c) < 0)
            return -EACCES;
    }
    int r = ovl_copy_up(i, true);
    if (r < 0)
        return r;
    if (i->layer == LAYER_MOUNT) {
        r = mount_utimens(i, times);
        if (r < 0)
            return r;
    } else if (inode_is_memfile(i)) {
        if (futimens(i->memfd, times) < 0)
            return -errno;
    } else {
        struct timespec now;
        time_now(&now);
        set_time(&i->atime, times ? &times[0] : NULL, &now);
        set_time(&i->mtime, times ? &times[1] : NULL, &now);
        i->ctime = now;
    }
    return 0;
}

int vfs_utimens_inode(struct vfs *v, struct inode *i, const struct timespec times[2],
                      const struct fs_cred *c)
{
    (void)v;
    int r = utimens_inode(i, times, c);
    if (r == 0)
        notify_inode(i, IN_ATTRIB);
    return r < 0 ? r : 0;
}

static int utimens_path(struct inode *i, const void *times, const struct fs_cred *c)
{
    int r = utimens_inode(i, times, c);
    return r < 0 ? r : 0;
}

int vfs_utimensat(struct vfs *v, struct inode *start, const char *path,
                  const struct timespec times[2], unsigned flags, const struct fs_cred *c)
{
    return change_at(v, start, path, flags, c, IN_ATTRIB, utimens_path, times);
}

static int truncate_path(struct inode *i, const void *len, const struct fs_cred *c)
{
    off_t n = *(const off_t *)len;
    int r;
    if (S_ISDIR(i->mode))
        r = -EISDIR;
    else if (!S_ISREG(i->mode))
        r = -EINVAL;
    else if (mount_readonly(i))
        r = -EROFS;
    else
        r = perm_check(i, W_OK, c);
    if (r == 0 && i->layer == LAYER_MOUNT)
        r = mount_truncate(i, n);
    else if (r == 0 && (r = ovl_copy_up(i, n > 0)) == 0 && ftruncate(i->memfd, n) < 0)
        r = -errno;
    return r;
}

int vfs_truncateat(struct vfs *v, struct inode *start, const char *path, off_t len,
                   const struct fs_cred *c)
{
    if (len < 0)
        return -EINVAL;
    return change_at(v, start, path, 0, c, IN_MODIFY, truncate_path, &len);
}
