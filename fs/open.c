/* fs/open.c — open(2) in the VFS: which host fd the guest gets for each kind
 * of inode, and O_CREAT's lookup-or-create of the last component. */
#include "fs/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/inotify.h>
#include <unistd.h>

static int access_mask(int flags)
{
    int m = (flags & O_ACCMODE) == O_RDONLY ? R_OK
          : (flags & O_ACCMODE) == O_WRONLY ? W_OK
          : R_OK | W_OK;
    return (flags & O_TRUNC) ? m | W_OK : m;
}

/* An O_PATH open: a handle whose fstat leads back to the inode. seccomp's
 * ADDFD (like pidfd_getfd) refuses O_PATH files, so the guest gets the
 * inode's placeholder opened for neither reading nor writing (access mode
 * 3): read and write on it fail with EBADF, as on an O_PATH fd, and it
 * grants nothing of the file's data. */
static int open_path(struct inode *i)
{
    int ph = inode_placeholder(i);
    return ph < 0 ? ph : fd_reopen(ph, O_ACCMODE);
}

static int open_inode(struct inode *i, int flags, bool created, const struct fs_cred *c,
                      bool *wait)
{
    if (S_ISLNK(i->mode) && !(flags & O_PATH))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && !S_ISDIR(i->mode))
        return -ENOTDIR;
    if (i->layer == LAYER_PROC && !S_ISDIR(i->mode))
        return proc_open(i, flags);
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
    if (i->layer == LAYER_HOST && (mask & W_OK) && S_ISREG(i->mode) &&
        (r = ovl_copy_up(i, !(flags & O_TRUNC))) < 0)
        return r;
    if (S_ISDIR(i->mode)) {
        int ph = inode_placeholder(i);
        return ph < 0 ? ph : fd_reopen(ph, O_RDONLY);
    }
    if (i->layer == LAYER_MOUNT)
        return mount_open(i, flags);
    if (inode_is_memfile(i)) {
        if ((flags & O_TRUNC) && !created) {
            if (ftruncate(i->memfd, 0) < 0)
                return -errno;
            notify_inode(i, IN_MODIFY);
        }
        return fd_reopen(i->memfd, flags & (O_ACCMODE | O_APPEND));
    }
    if (i->layer == LAYER_HOST)
        /* Device nodes and fifos of the host runtime are not the guest's:
         * as on a nodev mount. */
        return S_ISREG(i->mode) ? host_open(i, O_RDONLY) : -EACCES;
    if (i->pty)
        return pty_open(i, flags, c);
    if (i->fifo >= 0)
        return fifo_open(i, wait);
    return i->devpath ? dev_open(i, flags) : -ENXIO;
}

/* open(O_CREAT): the last component is looked up, followed if it is a
 * symlink (a dangling one creates its target), or created. A file created
 * on a mount comes with its host fd in *fd. An existing file's directory
 * and name go to *where (where->dir a reference, else NULL), for inotify's
 * IN_MODIFY of an O_TRUNC. */
static int open_create(struct walker *w, struct inode *start, const char *path, int flags,
                       mode_t mode, struct inode **out, bool *created, int *fd,
                       struct nameparent *where)
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
            if (np.dir->layer == LAYER_MOUNT)
                r = mount_open_create(w, &np, flags, mode, out, fd);
            else
                r = names_create(w, &np, S_IFREG | (mode & 07777), NULL, out);
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
            *where = np;
            return 0;
        }
        if (i->layer == LAYER_PROC) {
            /* A /proc link names what exists (a magic one an inode, not a
             * path): nothing to create. */
            r = namei_follow(w, np.dir, i, out);
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

/* O_TMPFILE: a memory file with no name, made as a create in `dir` would
 * be (the kernel's vfs_tmpfile(): write and search permission on dir). */
static int open_tmpfile(struct walker *w, struct inode *start, const char *path, int flags,
                        mode_t mode, struct inode **out)
{
    struct inode *dir;
    int r = namei_walk(w, start, path, !(flags & O_NOFOLLOW), &dir);
    if (r < 0)
        return r;
    if (!S_ISDIR(dir->mode))
        r = -ENOTDIR;
    else if (mount_readonly(dir))
        r = -EROFS;
    else if (dir->layer == LAYER_MOUNT)
        r = -EOPNOTSUPP;   /* as a file system without O_TMPFILE */
    else
        r = perm_may_create(dir, w->c);
    if (r == 0)
        r = mem_new(w->v, S_IFREG | (mode & 07777), w->c->uid,
                    dir->mode & S_ISGID ? dir->gid : w->c->gid, out);
    inode_put(dir);
    if (r < 0)
        return r;
    /* Once the sentry forgets the inode, the guest's fstat of it shows
     * the memfd itself: give that the owner and permission bits the file
     * has (a memfd's exec bits are sealed off). */
    if (fchown((*out)->memfd, w->v->host_uid, w->v->host_gid) < 0 ||
        fchmod((*out)->memfd, mode & 0666) < 0) {
        r = -errno;
        inode_put(*out);
    }
    return r;
}

int vfs_openat(struct vfs *v, struct inode *start, const char *path, int flags,
               mode_t mode, const struct fs_cred *c, int *hostfd)
{
    return vfs_openat2(v, start, path, flags, mode, 0, c, hostfd);
}

int vfs_openat2(struct vfs *v, struct inode *start, const char *path, int flags,
                mode_t mode, unsigned resolve, const struct fs_cred *c, int *hostfd)
{
    struct walker w = WALKER(v, c);
    w.resolve = resolve;
    if (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
        w.root = start;
    if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
        return -EINVAL;
    struct inode *i;
    bool created = false;
    int fd = -1;
    bool wait = false;
    struct nameparent where = {.dir = NULL};
    bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE && !(flags & O_PATH);
    int r = tmpfile ? open_tmpfile(&w, start, path, flags, mode, &i)
          : (flags & O_CREAT) && !(flags & O_PATH)
                ? open_create(&w, start, path, flags, mode, &i, &created, &fd, &where)
                : namei_walk(&w, start, path, !(flags & O_NOFOLLOW), &i);
    created |= tmpfile;
    if (tmpfile)
        flags &= ~O_DIRECTORY;
    if (r < 0)
        return r;
    r = fd >= 0 ? fd : open_inode(i, flags, created, c, &wait);
    if (r >= 0 && where.dir && (flags & O_TRUNC) && inode_is_memfile(i))
        notify_entry(where.dir, i, where.name, where.len, IN_MODIFY, 0);
    inode_put(where.dir);
    inode_put(i);
    if (r < 0)
        return r;
    *hostfd = r;
    return wait ? VFS_OPEN_WAIT : 0;
}

int vfs_open_data(struct vfs *v, struct inode *i)
{
    (void)v;
    if (inode_is_memfile(i))
        return fd_reopen(i->memfd, O_RDONLY);
    /* O_NONBLOCK: a mount's file may have become a FIFO on the host. */
    if (layer_on_host(i->layer) && S_ISREG(i->mode))
        return host_open(i, O_RDONLY | O_NONBLOCK);
    return -EACCES;
}
