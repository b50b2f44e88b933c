/* fs/overlay.c — the root as an overlay: the read-only host runtime below,
 * the memory layer above, like gVisor's rootfs overlay with a memory upper
 * (and Linux's overlayfs, whose semantics the guest sees).
 *
 * Copy-up converts a host inode into a memory inode *in place*: the same
 * struct inode, so every dentry, cwd, open directory and exec reference that
 * names it stays valid, and no path has to be walked again.
 *   - a file gets its data copied into a memfd (mode, owner, atime and
 *     mtime kept), so later opens, writes and mmaps run natively on memory;
 *   - a directory becomes a *merged* directory: a memory directory that keeps
 *     its host location (graft + relpath) as its lower. Its own entries (in
 *     the slots) come first, then the host's names it does not shadow.
 *     Its children stay host inodes until they are written themselves.
 * Copying up an inode first copies up the directories above it, so every
 * changed object is reachable from the root through memory directories
 * (what export walks).
 *
 * A name removed from a directory with a lower stays in the dentry cache as
 * a whiteout (its child is the vfs's whiteout inode): the walk reports
 * ENOENT for it and the listing skips the host's entry. Creating the name
 * again replaces the whiteout; a directory created there has no lower, so it
 * is opaque.
 *
 * Renaming a directory that has a lower is EXDEV, as overlayfs without
 * redirect_dir: a merged directory's contents are defined by its host path,
 * so moving it would need redirect records that export/import would have to
 * carry too. mv, cp and python's shutil.move fall back to copy + delete on
 * EXDEV. Nothing here ever writes to the host.
 */
#include "fs/internal.h"
#include "util/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

/* Listing positions at or above this walk the lower directory: the number of
 * host entries already consumed, counted from the start of the host
 * directory (host d_off values are hashes that do not fit beside the
 * memory layer's cookies). */
#define LOWER_POS (INT64_C(1) << 62)

bool ovl_lower(const struct inode *i)
{
    return S_ISDIR(i->mode) && i->relpath && i->layer != LAYER_MOUNT;
}

bool ovl_whiteout(const struct dentry *d)
{
    return d->child == d->dir->vfs->whiteout;
}

static int copy_data(struct inode *i, int to)
{
    _cleanup_close_ int from = host_open(i, O_RDONLY);
    if (from < 0)
        return from;
    for (;;) {
        ssize_t n = sendfile(to, from, NULL, 1 << 30);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

static int copy_up_file(struct inode *i, bool data)
{
    int fd = quota_file_new(i->vfs);
    if (fd < 0)
        return fd;
    struct stat st;
    struct timespec times[2] = {i->hst.st_atim, i->hst.st_mtim};
    int r = data ? copy_data(i, fd) : 0;
    if (r == 0 && futimens(fd, times) < 0)
        r = -errno;
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r < 0) {
        close(fd);
        return r;
    }
    /* The guest's fds opened before the copy-up keep the host's bytes and
     * no longer map to this inode: they are what the file was. */
    inode_unregister(&i->obj);
    r = inode_register(i, &i->obj, st.st_dev, st.st_ino);
    if (r < 0) {
        close(fd);
        return r;
    }
    i->memfd = fd;
    return 0;
}

int ovl_copy_up(struct inode *i, bool data)
{
    /* /proc is never made writable, not even for the guest's root (whose
     * permission checks pass): EACCES, what a non-root caller gets first. */
    if (i->layer == LAYER_PROC)
        return -EACCES;
    if (i->layer != LAYER_HOST)
        return 0;
    /* A graft root hangs in a memory directory; any other host inode
     * below the host directory it was first found in. */
    int r = i->parent ? ovl_copy_up(i->parent, true) : 0;
    if (r == 0)
        r = quota_inode_charge(i);
    if (r == 0 && S_ISREG(i->mode))
        r = copy_up_file(i, data);
    if (r < 0)
        return r;
    i->layer = LAYER_MEM;
    /* A memory inode number: host numbers would collide with them. */
    i->ino = i->vfs->next_ino++;
    i->atime = i->hst.st_atim;
    i->mtime = i->hst.st_mtim;
    time_now(&i->ctime);
    i->rdev = S_ISCHR(i->mode) || S_ISBLK(i->mode) ? i->hst.st_rdev : 0;
    return 0;
}

enum layer ovl_upper_layer(const struct inode *i)
{
    return i->layer == LAYER_HOST ? LAYER_MEM : i->layer;
}

int ovl_may_move(struct inode *i)
{
    return ovl_lower(i) ? -EXDEV : ovl_copy_up(i, true);
}

DIR *ovl_lower_open(struct inode *dir, int *err)
{
    int fd = host_open(dir, O_RDONLY | O_DIRECTORY);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        *err = fd < 0 ? fd : -errno;
        if (fd >= 0)
            close(fd);
    }
    return d;
}

static bool dot_or_dotdot(const char *n)
{
    return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]));
}

int ovl_check_empty(struct inode *dir)
{
    if (dir->live)
        return -ENOTEMPTY;
    if (!ovl_lower(dir))
        return 0;
    int r = 0;
    DIR *d = ovl_lower_open(dir, &r);
    if (!d)
        return r;
    struct dirent *e;
    while (r == 0 && (e = readdir(d))) {
        if (dot_or_dotdot(e->d_name))
            continue;
        struct dentry *de = dcache_find(dir, e->d_name, strlen(e->d_name));
        if (!de || !ovl_whiteout(de))
            r = -ENOTEMPTY;
    }
    closedir(d);
    return r;
}

bool ovl_lower_has(struct inode *dir, const char *name)
{
    if (!ovl_lower(dir))
        return false;
    int r = 0;
    DIR *d = ovl_lower_open(dir, &r);
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));)
        found = !strcmp(e->d_name, name);
    closedir(d);
    return found;
}

ssize_t ovl_getdents(struct inode *dir, int64_t *pos, void *buf, size_t len)
{
    size_t off = 0;
    if (*pos < LOWER_POS) {
        ssize_t n = mem_getdents(dir, pos, buf, len);
        if (n < 0 || !mem_listed_all(dir, *pos))
            return n;
        off = (size_t)n;
        *pos = LOWER_POS;
    }
    int r = 0;
    DIR *d = ovl_lower_open(dir, &r);
    if (!d)
        return off ? (ssize_t)off : r;
    int64_t k = LOWER_POS;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (++k <= *pos)
            continue;
        size_t nlen = strlen(e->d_name);
        struct dentry *de = dot_or_dotdot(e->d_name) ? NULL : dcache_find(dir, e->d_name, nlen);
        /* "." and ".." came from the memory layer; names of the upper
         * entries too; whiteouts hide theirs. */
        if (dot_or_dotdot(e->d_name) || (de && (de->cookie || ovl_whiteout(de)))) {
            *pos = k;
            continue;
        }
        uint64_t ino = de ? de->child->ino : e->d_ino;
        mode_t mode = de ? de->child->mode : DTTOIF(e->d_type);
        if (!dirent_put(buf, len, &off, ino, k, mode, e->d_name, nlen))
            break;
        *pos = k;
    }
    closedir(d);
    return off == 0 && e ? -EINVAL : (ssize_t)off;
}
