/* fs/lookup.c — from names to inodes and back: lookups, chdir, readlink,
 * getcwd's path, directory listing, an inode's host path. */
#include "fs/internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct inode *vfs_root(struct vfs *v)
{
    return v->root;
}

int vfs_lookupat(struct vfs *v, struct inode *start, const char *path, unsigned flags,
                 const struct fs_cred *c, struct inode **out)
{
    struct walker w = WALKER(v, c);
    return namei_walk(&w, start, path, !(flags & VFS_NOFOLLOW), out);
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
    if (S_ISLNK(i->mode) && i->layer == LAYER_PROC) {
        n = proc_readlink(i, buf, bufsiz);
    } else if (S_ISLNK(i->mode)) {
        size_t len = strlen(i->target);
        n = (ssize_t)(len < bufsiz ? len : bufsiz);
        memcpy(buf, i->target, (size_t)n);
    }
    inode_put(i);
    return n;
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
    if (dir->layer == LAYER_HOST)
        return host_getdents(dir, pos, buf, len);
    if (dir->layer == LAYER_PROC)
        return proc_getdents(dir, pos, buf, len);
    if (dir->layer == LAYER_MOUNT)
        return mount_getdents(dir, pos, buf, len);
    return ovl_lower(dir) ? ovl_getdents(dir, pos, buf, len) : mem_getdents(dir, pos, buf, len);
}

int vfs_host_path(struct vfs *v, struct inode *i, char *buf, size_t size)
{
    if (!layer_on_host(i->layer))
        return -EXDEV;
    int r = host_path(i, buf, size);
    /* The guest's native root is host_root: its paths lack the prefix. */
    size_t n = v->host_root ? strlen(v->host_root) : 0;
    if (r == 0 && n && !strncmp(buf, v->host_root, n) && buf[n] == '/')
        memmove(buf, buf + n, strlen(buf + n) + 1);
    return r;
}
