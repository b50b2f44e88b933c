/* sentry/sys_dir.c — directories and the task's fs state: getdents64,
 * mkdir, unlink/rmdir, rename, link, symlink, chdir/fchdir, getcwd, umask. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <unistd.h>

#include "sentry/args.h"
#include "sentry/syscalls.h"
#include "util/cleanup.h"

long sys_getdents64(struct session *s, struct call *c)
{
    /* The directory position lives in the guest's own fd offset (the fd is
     * a placeholder whose open file description the copy shares), so
     * dup/fork/lseek need no bookkeeping. */
    static char buf[64 * 1024];   /* under the session lock */
    _cleanup_close_ int h = guest_fd_dup(c, arg_int(c, 0));
    if (h < 0)
        return h;
    /* An O_PATH handle (access mode 3, see fs/open.c) lists nothing: the
     * directory may be one its holder cannot read. */
    int fl = fcntl(h, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_ACCMODE || (fl & O_PATH))
        return -EBADF;
    struct stat st;
    if (fstat(h, &st) < 0)
        return -errno;
    struct inode *dir = vfs_inode_of(s->vfs, &st);
    if (!dir || !inode_is_dir(dir))
        return -ENOTDIR;
    off_t pos = lseek(h, 0, SEEK_CUR);
    if (pos < 0)
        return -errno;
    size_t count = (size_t)(unsigned)c->args[2];
    int64_t p = pos;
    ssize_t n = vfs_getdents(s->vfs, dir, &p, buf, count < sizeof buf ? count : sizeof buf);
    if (n <= 0)
        return n;
    if (put_guest(c, 1, buf, (size_t)n) < 0)
        return -EFAULT;
    if (lseek(h, (off_t)p, SEEK_SET) < 0)
        return -errno;
    return n;
}

static long do_mkdir(struct session *s, struct call *c, int dirfd, int k, mode_t mode)
{
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    r = vfs_mkdirat(s->vfs, p.start, p.path, mode & 01777 & ~call_task(c)->fs->umask, &s->cred);
    if (events_enabled())
        audit_path(s, c, FILE_CREATE, p.start, p.path, NULL, NULL, r);
    return r;
}

long sys_mkdir(struct session *s, struct call *c) { return do_mkdir(s, c, AT_FDCWD, 0, (mode_t)c->args[1]); }
long sys_mkdirat(struct session *s, struct call *c)
{
    return do_mkdir(s, c, arg_int(c, 0), 1, (mode_t)c->args[2]);
}

static long do_unlink(struct session *s, struct call *c, int dirfd, int k, int flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    r = vfs_unlinkat(s->vfs, p.start, p.path, flags & AT_REMOVEDIR ? VFS_REMOVEDIR : 0, &s->cred);
    if (events_enabled())
        audit_path(s, c, FILE_DELETE, p.start, p.path, NULL, NULL, r);
    return r;
}

long sys_unlink(struct session *s, struct call *c) { return do_unlink(s, c, AT_FDCWD, 0, 0); }
long sys_rmdir(struct session *s, struct call *c) { return do_unlink(s, c, AT_FDCWD, 0, AT_REMOVEDIR); }
long sys_unlinkat(struct session *s, struct call *c)
{
    return do_unlink(s, c, arg_int(c, 0), 1, arg_int(c, 2));
}

/* Two-path calls: (odirfd, args[ko]) and (ndirfd, args[kn]). */
static int two_paths(struct session *s, struct call *c, int od, int ko, int nd, int kn,
                     struct pathat *o, struct pathat *n)
{
    int r = pathat_get(s, c, od, ko, o);
    return r < 0 ? r : pathat_get(s, c, nd, kn, n);
}

static long do_rename(struct session *s, struct call *c, int od, int ko, int nd, int kn,
                      unsigned flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL;
    PATHAT o = { 0 };
    PATHAT n = { 0 };
    int r = two_paths(s, c, od, ko, nd, kn, &o, &n);
    if (r < 0)
        return r;
    r = vfs_renameat2(s->vfs, o.start, o.path, n.start, n.path, flags, &s->cred);
    if (events_enabled())
        audit_path(s, c, FILE_RENAME, o.start, o.path, n.start, n.path, r);
    return r;
}

long sys_rename(struct session *s, struct call *c) { return do_rename(s, c, AT_FDCWD, 0, AT_FDCWD, 1, 0); }
long sys_renameat(struct session *s, struct call *c)
{
    return do_rename(s, c, arg_int(c, 0), 1, arg_int(c, 2), 3, 0);
}
long sys_renameat2(struct session *s, struct call *c)
{
    return do_rename(s, c, arg_int(c, 0), 1, arg_int(c, 2), 3, (unsigned)c->args[4]);
}

static long do_link(struct session *s, struct call *c, int od, int ko, int nd, int kn, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    PATHAT o = { 0 };
    PATHAT n = { 0 };
    int r = two_paths(s, c, od, ko, nd, kn, &o, &n);
    return r < 0 ? r : vfs_linkat(s->vfs, o.start, o.path, n.start, n.path,
                                  flags & AT_SYMLINK_FOLLOW, &s->cred);
}

long sys_link(struct session *s, struct call *c) { return do_link(s, c, AT_FDCWD, 0, AT_FDCWD, 1, 0); }
long sys_linkat(struct session *s, struct call *c)
{
    return do_link(s, c, arg_int(c, 0), 1, arg_int(c, 2), 3, arg_int(c, 4));
}

static long do_symlink(struct session *s, struct call *c, int dirfd, int kpath)
{
    char target[PATH_MAX];
    int r = arg_path(c, 0, target);
    if (r < 0)
        return r;
    if (!target[0])
        return -ENOENT;
    PATHAT p = { 0 };
    r = pathat_get(s, c, dirfd, kpath, &p);
    return r < 0 ? r : vfs_symlinkat(s->vfs, target, p.start, p.path, &s->cred);
}

long sys_symlink(struct session *s, struct call *c) { return do_symlink(s, c, AT_FDCWD, 1); }
long sys_symlinkat(struct session *s, struct call *c) { return do_symlink(s, c, arg_int(c, 1), 2); }

static void set_cwd(struct call *c, struct inode *dir)
{
    struct fs_ctx *fs = call_task(c)->fs;
    inode_put(fs->cwd);
    fs->cwd = dir;
}

long sys_chdir(struct session *s, struct call *c)
{
    PATHAT p = { 0 };
    int r = pathat_get(s, c, AT_FDCWD, 0, &p);
    if (r < 0)
        return r;
    struct inode *dir;
    r = vfs_chdirat(s->vfs, p.start, p.path, &s->cred, &dir);
    if (r < 0)
        return r;
    set_cwd(c, dir);
    return 0;
}

long sys_fchdir(struct session *s, struct call *c)
{
    struct inode *i;
    struct stat st;
    int r = guest_fd_stat(s, c, arg_int(c, 0), &st, &i);
    if (r < 0)
        return r;
    if (!i || !inode_is_dir(i))
        return -ENOTDIR;
    r = vfs_permission(s->vfs, i, X_OK, &s->cred);
    if (r < 0)
        return r;
    inode_get(i);
    set_cwd(c, i);
    return 0;
}

long sys_getcwd(struct session *s, struct call *c)
{
    char buf[PATH_MAX];
    ssize_t n = vfs_dir_path(s->vfs, call_task(c)->fs->cwd, buf, sizeof buf);
    if (n < 0)
        return n;
    if ((size_t)n > (size_t)c->args[1])
        return -ERANGE;
    int r = put_guest(c, 0, buf, (size_t)n);
    return r < 0 ? r : n;
}

long sys_umask(struct session *s, struct call *c)
{
    (void)s;
    struct fs_ctx *fs = call_task(c)->fs;
    mode_t old = fs->umask;
    fs->umask = (mode_t)c->args[0] & 0777;
    return old;
}
