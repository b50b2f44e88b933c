/* fs/hostfs.c — the read-only host runtime layer.
 *
 * Only a graft root holds a host fd (O_PATH). Every other host inode is its
 * path below the graft, opened on demand with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS): the host kernel never follows a symlink or a ".."
 * for us, so nothing outside the grafted directories is reachable; symlinks
 * are read here and resolved by namei.c in the guest's tree. Holding one fd
 * per host inode instead would exhaust the fd limit on a walk of /usr
 * (150k files here).
 *
 * The host runtime is assumed not to change during a session: host inodes
 * are cached by (st_dev, st_ino) with the stat taken at lookup, which gives
 * them the stable identity getdents' d_ino and vfs_inode_of rely on.
 */
#include "fs/internal.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

uid_t host_map_id(uid_t id)
{
    return id == 0 ? 0 : 65534;
}

int host_open_below(const struct inode *graft, const char *rel, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, graft->graft_fd, rel, &how, sizeof how);
    return fd < 0 ? -errno : fd;
}

/* Takes ownership of rel. */
int host_new(struct vfs *v, struct inode *graft, char *rel, int fd,
                    const struct stat *st, struct inode **out)
{
    /* The graft root's layer may have changed by copy-up; its mount never. */
    enum layer l = graft && graft->mnt ? LAYER_MOUNT : LAYER_HOST;
    struct inode *i = inode_alloc(v, l, st->st_mode, host_map_id(st->st_uid),
                                  host_map_id(st->st_gid));
    if (!i) {
        free(rel);
        return -ENOMEM;
    }
    i->ino = st->st_ino;
    i->nlink = st->st_nlink;
    i->hst = *st;
    i->graft = graft ? graft : i;
    i->relpath = rel;
    int r = 0;
    if (S_ISLNK(st->st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = readlinkat(fd, "", buf, sizeof buf - 1);
        if (n < 0)
            r = -errno;
        else if (!(i->target = strndup(buf, (size_t)n)))
            r = -ENOMEM;
    }
    if (r == 0)
        r = inode_register(i, &i->obj, st->st_dev, st->st_ino);
    if (r < 0) {
        inode_put(i);
        return r;
    }
    *out = i;
    return 0;
}

int host_graft(struct vfs *v, const char *hostpath, struct inode **out)
{
    _cleanup_close_ int fd = open(hostpath, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (inode_by_host(v, st.st_dev, st.st_ino))
        return -EEXIST;
    char proc[32], real[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, real, sizeof real - 1);
    if (n < 0)
        return -errno;
    real[n] = 0;
    char *rel = strdup("."), *root = strdup(real);
    if (!rel || !root) {
        free(rel);
        free(root);
        return -ENOMEM;
    }
    struct inode *i;
    int r = host_new(v, NULL, rel, fd, &st, &i);
    if (r < 0) {
        free(root);
        return r;
    }
    i->graft_fd = TAKE_FD(fd);
    i->hostroot = root;
    *out = i;
    return 0;
}

int host_child_rel(const struct inode *dir, const char *name, size_t len, char buf[PATH_MAX])
{
    bool top = !strcmp(dir->relpath, ".");
    int n = snprintf(buf, PATH_MAX, "%s%s%.*s", top ? "" : dir->relpath, top ? "" : "/",
                     (int)len, name);
    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int host_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    struct dentry *d = dcache_find(dir, name, len);
    if (d) {
        *out = d->child;
        return 0;
    }
    char buf[PATH_MAX];
    int r = host_child_rel(dir, name, len, buf);
    if (r < 0)
        return r;
    char *rel = strdup(buf);
    if (!rel)
        return -ENOMEM;
    _cleanup_close_ int fd = host_open_below(dir->graft, rel, O_PATH);
    struct stat st;
    r = fd < 0 ? fd : fstat(fd, &st) < 0 ? -errno : 0;
    if (r < 0) {
        free(rel);
        return r;
    }
    struct inode *child = inode_by_host(dir->vfs, st.st_dev, st.st_ino);
    if (child && child->layer == LAYER_HOST) {
        free(rel);
    } else {
        r = host_new(dir->vfs, dir->graft, rel, fd, &st, &child);
        if (r < 0)
            return r;
    }
    if (!child->parent) {
        if (S_ISDIR(child->mode) && !(child->name = strndup(name, len)))
            return -ENOMEM;
        child->parent = dir;
    }
    r = dcache_add(dir, name, len, child, &d);
    if (r < 0)
        return r;
    *out = child;
    return 0;
}

int host_open(struct inode *i, int flags)
{
    int fd = host_open_below(i->graft, i->relpath, flags);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_dev != i->hst.st_dev || st.st_ino != i->hst.st_ino) {
        /* The host runtime changed under the session. */
        close(fd);
        return -ESTALE;
    }
    return fd;
}

ssize_t host_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len)
{
    _cleanup_close_ int fd = host_open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fd;
    if (lseek(fd, (off_t)*pos, SEEK_SET) < 0)
        return -errno;
    /* The kernel takes an unsigned int count. */
    ssize_t n = syscall(SYS_getdents64, fd, buf, len < INT_MAX ? len : (size_t)INT_MAX);
    if (n < 0)
        return -errno;
    for (ssize_t off = 0; off < n;) {
        struct linux_dirent64 *de = (struct linux_dirent64 *)((char *)buf + off);
        /* A graft root's ".." is the memory directory it hangs in. */
        if (dir->graft == dir && !strcmp(de->d_name, ".."))
            de->d_ino = dir->parent->ino;
        *pos = de->d_off;
        off += de->d_reclen;
    }
    return n;
}

void host_stat(struct inode *i, struct stat *out)
{
    *out = i->hst;
    out->st_uid = i->uid;
    out->st_gid = i->gid;
}

int host_statfs(struct inode *i, struct statfs *out)
{
    if (fstatfs(i->graft->graft_fd, out) < 0)
        return -errno;
    /* The runtime is writable through the overlay above it; a mount only
     * when granted rw. */
    if (mount_readonly(i))
        out->f_flags |= ST_RDONLY;
    return 0;
}

int host_path(struct inode *i, char *buf, size_t size)
{
    bool top = !strcmp(i->relpath, ".");
    int n = snprintf(buf, size, "%s%s%s", i->graft->hostroot, top ? "" : "/",
                     top ? "" : i->relpath);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
