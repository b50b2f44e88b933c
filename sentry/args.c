/* sentry/args.c — argument helpers shared by every handler. */
#include "sentry/args.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int arg_path(const struct call *c, int k, char *buf)
{
    ssize_t n = guest_read_str(call_task(c)->mem, c->args[k], buf, PATH_MAX);
    if (n < 0)
        return (int)n;
    return call_still_valid(c) ? 0 : -EINTR;
}

int guest_fd_dup(const struct call *c, int fd)
{
    if (fd < 0)
        return -EBADF;
    int h = (int)syscall(SYS_pidfd_getfd, call_task(c)->proc->pidfd, fd, 0);
    return h < 0 ? -EBADF : h;
}

int guest_fd_stat(struct session *s, const struct call *c, int fd, struct stat *out,
                  struct inode **inode)
{
    _cleanup_close_ int h = guest_fd_dup(c, fd);
    if (h < 0)
        return h;
    struct stat st;
    if (fstat(h, &st) < 0)
        return -errno;
    struct inode *i = vfs_inode_of(s->vfs, &st);
    if (inode)
        *inode = i;
    if (i)
        vfs_stat_inode(s->vfs, i, out);
    else
        vfs_stat_foreign(s->vfs, &st, out);
    return 0;
}

int arg_start(struct session *s, const struct call *c, int dirfd, const char *path,
              struct inode **out)
{
    if (dirfd == AT_FDCWD || path[0] == '/') {
        *out = call_task(c)->fs->cwd;
        inode_get(*out);
        return 0;
    }
    struct inode *i;
    struct stat st;
    int r = guest_fd_stat(s, c, dirfd, &st, &i);
    if (r < 0)
        return r;
    if (!i || !inode_is_dir(i))
        return -ENOTDIR;
    inode_get(i);
    *out = i;
    return 0;
}

int put_guest(const struct call *c, int k, const void *buf, size_t len)
{
    return guest_write(call_task(c)->mem, c->args[k], buf, len);
}

int pathat_get(struct session *s, const struct call *c, int dirfd, int k, struct pathat *p)
{
    p->start = NULL;
    int r = arg_path(c, k, p->path);
    if (r < 0)
        return r;
    if (!p->path[0])
        return -ENOENT;
    return arg_start(s, c, dirfd, p->path, &p->start);
}
