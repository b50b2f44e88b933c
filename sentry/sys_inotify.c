/* sentry/sys_inotify.c — inotify_init/init1, inotify_add_watch and
 * inotify_rm_watch on the VFS's instances (fs/notify.c says what is seen).
 * Arguments are checked in the kernel's order: mask, fd, path, permission. */
#include <errno.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "sentry/args.h"
#include "sentry/syscalls.h"
#include "util/cleanup.h"

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif
#define IN_ALL_BITS (IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | \
                     IN_MASK_CREATE | IN_MASK_ADD | IN_ONESHOT)

static long do_init(struct session *s, struct call *c, int flags)
{
    if (flags & ~(IN_NONBLOCK | IN_CLOEXEC))
        return -EINVAL;
    int fd;
    int r = vfs_inotify_init(s->vfs, flags & IN_NONBLOCK, &fd);
    return r < 0 ? r : call_install_fd(c, fd, flags & IN_CLOEXEC ? O_CLOEXEC : 0);
}

long sys_inotify_init(struct session *s, struct call *c) { return do_init(s, c, 0); }
long sys_inotify_init1(struct session *s, struct call *c) { return do_init(s, c, arg_int(c, 0)); }

/* The host stat naming the instance behind guest fd: -EBADF, or -EINVAL
 * when the fd is not an inotify instance. */
static int instance(struct session *s, struct call *c, int fd, struct stat *st)
{
    _cleanup_close_ int h = guest_fd_dup(c, fd);
    if (h < 0)
        return h;
    if (fstat(h, st) < 0)
        return -errno;
    return vfs_is_inotify(s->vfs, st) ? 0 : -EINVAL;
}

long sys_inotify_add_watch(struct session *s, struct call *c)
{
    uint32_t mask = (uint32_t)c->args[2];
    if (!(mask & IN_ALL_BITS) || ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)))
        return -EINVAL;
    struct stat st;
    int r = instance(s, c, arg_int(c, 0), &st);
    if (r < 0)
        return r;
    PATHAT p = { 0 };
    r = pathat_get(s, c, AT_FDCWD, 1, &p);
    if (r < 0)
        return r;
    struct inode *i;
    r = vfs_lookupat(s->vfs, p.start, p.path, mask & IN_DONT_FOLLOW ? VFS_NOFOLLOW : 0,
                     &s->cred, &i);
    if (r < 0)
        return r;
    if ((mask & IN_ONLYDIR) && !inode_is_dir(i))
        r = -ENOTDIR;
    else
        r = vfs_permission(s->vfs, i, R_OK, &s->cred);
    if (r == 0)
        r = vfs_inotify_add_watch(s->vfs, &st, i, mask & IN_ALL_BITS);
    inode_put(i);
    return r;
}

long sys_inotify_rm_watch(struct session *s, struct call *c)
{
    struct stat st;
    int r = instance(s, c, arg_int(c, 0), &st);
    return r < 0 ? r : vfs_inotify_rm_watch(s->vfs, &st, arg_int(c, 1));
}
