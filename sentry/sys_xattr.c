/* sentry/sys_xattr.c — the xattr(7) calls: get, list, set and remove, on a
 * path (following or not the last symlink) or on an fd. VFS files keep
 * their attributes in the VFS; objects outside it (pipes, sockets, an
 * unlinked memory file still open) are asked natively, through the
 * sentry's copy of the fd, and only for user.* names.
 * Arguments are checked in the kernel's order: flags, name, value size,
 * then the file. */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sentry/args.h"
#include "sentry/syscalls.h"
#include "util/cleanup.h"

/* Values travel through one buffer: handlers run under the session lock. */
static char value_buf[XATTR_SIZE_MAX];

struct xtarget {
    struct inode *inode;   /* borrowed from the VFS, or NULL: use host */
    struct inode *ref;     /* the reference a path lookup took */
    int host;              /* the sentry's copy of the guest fd (fd calls) */
};

static void xtarget_done(struct xtarget *t)
{
    inode_put(t->ref);
    if (t->host >= 0)
        close(t->host);
}

static bool is_fd_call(int nr)
{
    return nr == SYS_fgetxattr || nr == SYS_flistxattr || nr == SYS_fsetxattr ||
           nr == SYS_fremovexattr;
}

static bool is_nofollow_call(int nr)
{
    return nr == SYS_lgetxattr || nr == SYS_llistxattr || nr == SYS_lsetxattr ||
           nr == SYS_lremovexattr;
}

/* The file the call names: args[0] as a path or as an fd. */
static int xattr_target(struct session *s, struct call *c, struct xtarget *t)
{
    if (is_fd_call(c->nr)) {
        t->host = guest_fd_dup(c, arg_int(c, 0));
        if (t->host < 0)
            return t->host;
        struct stat st;
        int fl = fcntl(t->host, F_GETFL);
        /* O_PATH fds carry no attributes calls, as in Linux. */
        if (fl < 0 || (fl & O_PATH) || fstat(t->host, &st) < 0)
            return -EBADF;
        t->inode = vfs_inode_of(s->vfs, &st);
        return 0;
    }
    PATHAT p = { 0 };
    int r = pathat_get(s, c, AT_FDCWD, 0, &p);
    if (r < 0)
        return r;
    r = vfs_lookupat(s->vfs, p.start, p.path, is_nofollow_call(c->nr) ? VFS_NOFOLLOW : 0,
                     &s->cred, &t->ref);
    t->inode = t->ref;
    return r;
}

#define XTARGET __attribute__((cleanup(xtarget_done))) struct xtarget

/* The attribute name at args[1]: ERANGE when empty or longer than
 * XATTR_NAME_MAX, as the kernel's import_xattr_name(). */
static int xattr_name(struct call *c, char name[XATTR_NAME_MAX + 1])
{
    ssize_t n = guest_read_str(call_task(c)->mem, c->args[1], name, XATTR_NAME_MAX + 1);
    if (n == -ENAMETOOLONG || n == 0)
        return -ERANGE;
    if (n < 0)
        return (int)n;
    return call_still_valid(c) ? 0 : -EINTR;
}

static size_t clamp(uint64_t size, size_t max)
{
    return size > max ? max : (size_t)size;
}

long sys_xattr_get(struct session *s, struct call *c)
{
    char name[XATTR_NAME_MAX + 1];
    int r = xattr_name(c, name);
    if (r < 0)
        return r;
    XTARGET t = { .host = -1 };
    r = xattr_target(s, c, &t);
    if (r < 0)
        return r;
    size_t size = clamp(c->args[3], sizeof value_buf);
    ssize_t n;
    if (t.inode)
        n = vfs_getxattr(s->vfs, t.inode, name, value_buf, size, &s->cred);
    else if ((n = vfs_xattr_foreign(name, false)) == 0 &&
             (n = fgetxattr(t.host, name, size ? value_buf : NULL, size)) < 0)
        n = -errno;
    if (n < 0 && n == -ERANGE && size == sizeof value_buf)
        return -E2BIG;
    if (n > 0 && size && put_guest(c, 2, value_buf, (size_t)n) < 0)
        return -EFAULT;
    return n;
}

long sys_xattr_list(struct session *s, struct call *c)
{
    XTARGET t = { .host = -1 };
    int r = xattr_target(s, c, &t);
    if (r < 0)
        return r;
    size_t size = clamp(c->args[2], XATTR_LIST_MAX);
    ssize_t n = t.inode ? vfs_listxattr(s->vfs, t.inode, value_buf, size)
                        : flistxattr(t.host, size ? value_buf : NULL, size);
    if (!t.inode && n < 0)
        n = -errno;
    if (n < 0 && n == -ERANGE && size == XATTR_LIST_MAX)
        return -E2BIG;
    if (n > 0 && size && put_guest(c, 1, value_buf, (size_t)n) < 0)
        return -EFAULT;
    return n;
}

/* setxattr and removexattr (value NULL). */
long sys_xattr_set(struct session *s, struct call *c)
{
    bool remove = c->nr == SYS_removexattr || c->nr == SYS_lremovexattr ||
                  c->nr == SYS_fremovexattr;
    int flags = remove ? 0 : arg_int(c, 4);
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
        return -EINVAL;
    char name[XATTR_NAME_MAX + 1];
    int r = xattr_name(c, name);
    if (r < 0)
        return r;
    size_t size = remove ? 0 : (size_t)c->args[3];
    if (size > sizeof value_buf)
        return -E2BIG;
    if (size && guest_read(call_task(c)->mem, c->args[2], value_buf, size) < 0)
        return -EFAULT;
    XTARGET t = { .host = -1 };
    r = xattr_target(s, c, &t);
    if (r < 0)
        return r;
    const void *value = remove ? NULL : value_buf;
    if (t.inode)
        return vfs_setxattr(s->vfs, t.inode, name, value, size, flags, &s->cred);
    r = vfs_xattr_foreign(name, true);
    if (r < 0)
        return r;
    r = remove ? fremovexattr(t.host, name) : fsetxattr(t.host, name, value, size, flags);
    return r < 0 ? -errno : 0;
}
