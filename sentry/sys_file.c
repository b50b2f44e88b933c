/* sentry/sys_file.c — open, stat, access, readlink, metadata changes,
 * statfs and mknod: the file calls, carried out in the VFS.
 * Each legacy form (open, stat, chmod, ...) is its *at form with AT_FDCWD. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "sentry/args.h"
#include "sentry/syscalls.h"
#include "util/cleanup.h"

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif

/* ---- open ---------------------------------------------------------------- */

/* The kernel's VALID_OPEN_FLAGS and what O_PATH may be combined with.
 * glibc's 64-bit O_LARGEFILE is 0 and its __O_TMPFILE includes
 * O_DIRECTORY: the kernel's own bits are needed here. */
#define KERNEL_O_LARGEFILE 0100000
#define KERNEL_O_TMPFILE 020000000
#define VALID_OPEN_FLAGS                                                                      \
    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |  \
     FASYNC | O_DIRECT | KERNEL_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |          \
     O_CLOEXEC | O_PATH | KERNEL_O_TMPFILE | O_SYNC)
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define VALID_RESOLVE_FLAGS                                                              \
    (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | \
     RESOLVE_IN_ROOT | RESOLVE_CACHED)
#ifndef OPEN_HOW_SIZE_VER0
#define OPEN_HOW_SIZE_VER0 24
#endif
#define WILL_CREATE(f) ((f) & (O_CREAT | KERNEL_O_TMPFILE))

/* The kernel's build_open_flags(): the checks open(2) and openat2(2) share,
 * in its order. open(2) has cleaned its arguments before (open_how_of). */
static int open_how_check(const struct open_how *how)
{
    uint64_t f = how->flags & ~(uint64_t)O_CLOEXEC;
    if (f & ~(uint64_t)VALID_OPEN_FLAGS || how->resolve & ~(uint64_t)VALID_RESOLVE_FLAGS)
        return -EINVAL;
    if ((how->resolve & RESOLVE_BENEATH) && (how->resolve & RESOLVE_IN_ROOT))
        return -EINVAL;
    if (WILL_CREATE(f) ? how->mode & ~(uint64_t)07777 : how->mode != 0)
        return -EINVAL;
    if ((f & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT))
        return -EINVAL;
    /* O_TMPFILE needs O_DIRECTORY (old kernels then fail loudly) and a
     * writable open. */
    if ((f & KERNEL_O_TMPFILE) && (!(f & O_DIRECTORY) || (f & O_ACCMODE) == O_RDONLY))
        return -EINVAL;
    if ((f & O_PATH) && (f & ~(uint64_t)O_PATH_FLAGS))
        return -EINVAL;
    /* Everything is in the sentry's memory, so any walk is "cached"; only
     * the calls that would write are refused, as Linux does. */
    if ((how->resolve & RESOLVE_CACHED) && (f & (O_TRUNC | O_CREAT | KERNEL_O_TMPFILE)))
        return -EAGAIN;
    return 0;
}

/* open(2)'s silent clean-up of its arguments (the kernel's build_open_how). */
static struct open_how open_how_of(int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(unsigned)flags & VALID_OPEN_FLAGS,
        .mode = WILL_CREATE(flags) ? mode & 07777 : 0,
    };
    if (how.flags & O_PATH)
        how.flags &= O_PATH_FLAGS;
    return how;
}

static long do_open(struct session *s, struct call *c, int dirfd, int k, const struct open_how *how)
{
    int r = open_how_check(how);
    if (r < 0)
        return r;
    PATHAT p = { 0 };
    r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    /* RESOLVE_IN_ROOT starts at dirfd even when the path is absolute
     * (RESOLVE_BENEATH refuses such a path before looking at dirfd). */
    if ((how->resolve & RESOLVE_IN_ROOT) && p.path[0] == '/') {
        inode_put(p.start);
        p.start = NULL;
        r = arg_start(s, c, dirfd, ".", &p.start);
        if (r < 0)
            return r;
    }
    int flags = (int)how->flags;
    mode_t mode = (mode_t)how->mode;
    if (WILL_CREATE(flags))
        mode &= ~call_task(c)->fs->umask;
    int hostfd = -1;
    bool existed = false;
    struct stat st;
    if (events_enabled() && (flags & O_CREAT))
        existed = vfs_statat(s->vfs, p.start, p.path, 0, &s->cred, &st) == 0;
    r = vfs_openat2(s->vfs, p.start, p.path, flags, mode, (unsigned)how->resolve, &s->cred,
                    &hostfd);
    if (events_enabled())
        audit_open(s, c, p.start, p.path, flags, existed, r, r < 0 ? -1 : hostfd);
    if (r < 0)
        return r;
    if (r == VFS_OPEN_WAIT)
        return call_open_later(c, hostfd, flags & VFS_OPEN_WAIT_FLAGS, flags & O_CLOEXEC);
    return call_install_fd(c, hostfd, flags & O_CLOEXEC);
}

static long do_open_legacy(struct session *s, struct call *c, int dirfd, int k, int flags,
                           mode_t mode)
{
    struct open_how how = open_how_of(flags, mode);
    return do_open(s, c, dirfd, k, &how);
}

long sys_open(struct session *s, struct call *c)
{
    return do_open_legacy(s, c, AT_FDCWD, 0, arg_int(c, 1), (mode_t)c->args[2]);
}

long sys_openat(struct session *s, struct call *c)
{
    return do_open_legacy(s, c, arg_int(c, 0), 1, arg_int(c, 2), (mode_t)c->args[3]);
}

long sys_creat(struct session *s, struct call *c)
{
    return do_open_legacy(s, c, AT_FDCWD, 0, O_CREAT | O_WRONLY | O_TRUNC, (mode_t)c->args[1]);
}

/* openat2(dirfd, path, how, size): a struct that may grow, so a larger one
 * is accepted when the part this sentry does not know is zero. */
long sys_openat2(struct session *s, struct call *c)
{
    size_t size = (size_t)c->args[3];
    if (size < OPEN_HOW_SIZE_VER0)
        return -EINVAL;
    if (size > 4096)
        return -E2BIG;
    struct open_how how = { 0 };
    int mem = call_task(c)->mem;
    if (guest_read(mem, c->args[2], &how, size < sizeof how ? size : sizeof how) < 0)
        return -EFAULT;
    if (size > sizeof how) {
        unsigned char rest[4096 - sizeof how];
        size_t n = size - sizeof how;
        if (guest_read(mem, c->args[2] + sizeof how, rest, n) < 0)
            return -EFAULT;
        for (size_t k = 0; k < n; k++)
            if (rest[k])
                return -E2BIG;
    }
    return do_open(s, c, arg_int(c, 0), 1, &how);
}

/* ---- stat ---------------------------------------------------------------- */

/* The stat of (dirfd, path at args[k]) with AT_* flags; k < 0 or a NULL
 * path with AT_EMPTY_PATH means the fd itself (Linux 6.11 allows NULL).
 * *ip (optional) gets a reference on the VFS inode, or NULL for an object
 * outside the VFS. */
static int do_statat(struct session *s, struct call *c, int dirfd, int k, int flags,
                     struct stat *st, struct inode **ip)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    char path[PATH_MAX] = "";
    if (k >= 0 && !(c->args[k] == 0 && (flags & AT_EMPTY_PATH))) {
        int r = arg_path(c, k, path);
        if (r < 0)
            return r;
    }
    struct inode *i = NULL;
    int r = 0;
    if (!path[0]) {
        if (k >= 0 && !(flags & AT_EMPTY_PATH))
            return -ENOENT;
        if (dirfd == AT_FDCWD) {
            i = call_task(c)->fs->cwd;
            vfs_stat_inode(s->vfs, i, st);
        } else {
            r = guest_fd_stat(s, c, dirfd, st, &i);
        }
        if (r == 0 && i && ip)
            inode_get(i);
    } else {
        struct inode *start;
        r = arg_start(s, c, dirfd, path, &start);
        if (r < 0)
            return r;
        r = vfs_lookupat(s->vfs, start, path, (flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : 0,
                         &s->cred, &i);
        inode_put(start);
        if (r == 0) {
            vfs_stat_inode(s->vfs, i, st);
            if (!ip)
                inode_put(i);
        }
    }
    if (r == 0 && ip)
        *ip = i;
    return r;
}

static long stat_to_guest(struct session *s, struct call *c, int dirfd, int k, int flags, int kbuf)
{
    struct stat st;
    int r = do_statat(s, c, dirfd, k, flags, &st, NULL);
    if (r < 0)
        return r;
    return put_guest(c, kbuf, &st, sizeof st);
}

long sys_stat(struct session *s, struct call *c) { return stat_to_guest(s, c, AT_FDCWD, 0, 0, 1); }
long sys_lstat(struct session *s, struct call *c)
{
    return stat_to_guest(s, c, AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW, 1);
}
long sys_fstat(struct session *s, struct call *c)
{
    return stat_to_guest(s, c, arg_int(c, 0), -1, 0, 1);
}
long sys_newfstatat(struct session *s, struct call *c)
{
    return stat_to_guest(s, c, arg_int(c, 0), 1, arg_int(c, 3), 2);
}

long sys_statx(struct session *s, struct call *c)
{
    int flags = arg_int(c, 2);
    if ((unsigned)c->args[3] & STATX__RESERVED ||
        (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    struct stat st;
    struct inode *i;
    int r = do_statat(s, c, arg_int(c, 0), 1, flags, &st, &i);
    if (r < 0)
        return r;
    struct statx x = {
        .stx_mask = STATX_BASIC_STATS,
        .stx_blksize = (uint32_t)st.st_blksize,
        .stx_nlink = (uint32_t)st.st_nlink,
        .stx_uid = st.st_uid,
        .stx_gid = st.st_gid,
        .stx_mode = (uint16_t)st.st_mode,
        .stx_ino = st.st_ino,
        .stx_size = (uint64_t)st.st_size,
        .stx_blocks = (uint64_t)st.st_blocks,
        .stx_atime = { st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec },
        .stx_mtime = { st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec },
        .stx_ctime = { st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec },
        .stx_rdev_major = major(st.st_rdev),
        .stx_rdev_minor = minor(st.st_rdev),
        .stx_dev_major = major(st.st_dev),
        .stx_dev_minor = minor(st.st_dev),
    };
    struct timespec bt;
    if (i && vfs_btime(s->vfs, i, &bt)) {
        x.stx_mask |= STATX_BTIME;
        x.stx_btime = (struct statx_timestamp){ bt.tv_sec, (uint32_t)bt.tv_nsec };
    }
    inode_put(i);
    return put_guest(c, 4, &x, sizeof x);
}

/* ---- access, readlink ---------------------------------------------------- */

static long do_access(struct session *s, struct call *c, int dirfd, int k, int mode, int flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char path[PATH_MAX];
    int r = arg_path(c, k, path);
    if (r < 0)
        return r;
    if (!path[0]) {
        if (!(flags & AT_EMPTY_PATH))
            return -ENOENT;
        struct inode *i;
        struct stat st;
        r = guest_fd_stat(s, c, dirfd, &st, &i);
        return r < 0 ? r : i ? vfs_permission(s->vfs, i, mode, &s->cred) : 0;
    }
    struct inode *start;
    r = arg_start(s, c, dirfd, path, &start);
    if (r < 0)
        return r;
    r = vfs_accessat(s->vfs, start, path, mode,
                     (flags & AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0) |
                         (flags & AT_EACCESS ? VFS_EACCESS : 0),
                     &s->cred);
    inode_put(start);
    return r;
}

long sys_access(struct session *s, struct call *c)
{
    return do_access(s, c, AT_FDCWD, 0, arg_int(c, 1), 0);
}
long sys_faccessat(struct session *s, struct call *c)
{
    return do_access(s, c, arg_int(c, 0), 1, arg_int(c, 2), 0);
}
long sys_faccessat2(struct session *s, struct call *c)
{
    return do_access(s, c, arg_int(c, 0), 1, arg_int(c, 2), arg_int(c, 3));
}

static long do_readlink(struct session *s, struct call *c, int dirfd, int k, int kbuf, int bufsiz)
{
    if (bufsiz <= 0)
        return -EINVAL;
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    char buf[PATH_MAX];
    ssize_t n = vfs_readlinkat(s->vfs, p.start, p.path, &s->cred, buf,
                               (size_t)bufsiz < sizeof buf ? (size_t)bufsiz : sizeof buf);
    if (n < 0)
        return n;
    r = put_guest(c, kbuf, buf, (size_t)n);
    return r < 0 ? r : n;
}

long sys_readlink(struct session *s, struct call *c)
{
    return do_readlink(s, c, AT_FDCWD, 0, 1, arg_int(c, 2));
}
long sys_readlinkat(struct session *s, struct call *c)
{
    return do_readlink(s, c, arg_int(c, 0), 1, 2, arg_int(c, 3));
}

long sys_truncate(struct session *s, struct call *c)
{
    if ((off_t)c->args[1] < 0)
        return -EINVAL;
    PATHAT p = { 0 };
    int r = pathat_get(s, c, AT_FDCWD, 0, &p);
    return r < 0 ? r : vfs_truncateat(s->vfs, p.start, p.path, (off_t)c->args[1], &s->cred);
}

/* ---- chmod, chown -------------------------------------------------------- */

/* The VFS inode behind guest fd, or NULL with *host set to a host copy when
 * the object is not a VFS file (the caller then acts on the copy). */
static int fd_target(struct session *s, struct call *c, int fd, struct inode **i, int *host)
{
    *host = guest_fd_dup(c, fd);
    if (*host < 0)
        return *host;
    struct stat st;
    if (fstat(*host, &st) < 0)
        return -errno;
    *i = vfs_inode_of(s->vfs, &st);
    return 0;
}

static long do_chmodat(struct session *s, struct call *c, int dirfd, int k, mode_t mode, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    return vfs_chmodat(s->vfs, p.start, p.path, mode & 07777,
                       flags & AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0, &s->cred);
}

long sys_chmod(struct session *s, struct call *c) { return do_chmodat(s, c, AT_FDCWD, 0, (mode_t)c->args[1], 0); }
long sys_fchmodat(struct session *s, struct call *c)
{
    return do_chmodat(s, c, arg_int(c, 0), 1, (mode_t)c->args[2], 0);
}
long sys_fchmodat2(struct session *s, struct call *c)
{
    return do_chmodat(s, c, arg_int(c, 0), 1, (mode_t)c->args[2], arg_int(c, 3));
}

long sys_fchmod(struct session *s, struct call *c)
{
    struct inode *i;
    _cleanup_close_ int host = -1;
    int r = fd_target(s, c, arg_int(c, 0), &i, &host);
    if (r < 0)
        return r;
    mode_t mode = (mode_t)c->args[1] & 07777;
    if (i)
        return vfs_chmod_inode(s->vfs, i, mode, &s->cred);
    return fchmod(host, mode) < 0 ? -errno : 0;
}

static long do_chownat(struct session *s, struct call *c, int dirfd, int k, int ku, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    return vfs_chownat(s->vfs, p.start, p.path, (uid_t)c->args[ku], (gid_t)c->args[ku + 1],
                       flags & AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0, &s->cred);
}

long sys_chown(struct session *s, struct call *c) { return do_chownat(s, c, AT_FDCWD, 0, 1, 0); }
long sys_lchown(struct session *s, struct call *c)
{
    return do_chownat(s, c, AT_FDCWD, 0, 1, AT_SYMLINK_NOFOLLOW);
}
long sys_fchownat(struct session *s, struct call *c)
{
    return do_chownat(s, c, arg_int(c, 0), 1, 2, arg_int(c, 4));
}

long sys_fchown(struct session *s, struct call *c)
{
    struct inode *i;
    _cleanup_close_ int host = -1;
    int r = fd_target(s, c, arg_int(c, 0), &i, &host);
    if (r < 0)
        return r;
    uid_t u = (uid_t)c->args[1];
    gid_t g = (gid_t)c->args[2];
    if (i)
        return vfs_chown_inode(s->vfs, i, u, g, &s->cred);
    return fchown(host, u, g) < 0 ? -errno : 0;
}

/* ---- times --------------------------------------------------------------- */

static bool ts_ok(const struct timespec *t)
{
    return t->tv_nsec == UTIME_NOW || t->tv_nsec == UTIME_OMIT ||
           (t->tv_nsec >= 0 && t->tv_nsec < 1000000000);
}

/* times NULL = now. k < 0: the fd dirfd itself (utimensat with a NULL path). */
static long do_utimens(struct session *s, struct call *c, int dirfd, int k,
                       const struct timespec *times, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (times && (!ts_ok(&times[0]) || !ts_ok(&times[1])))
        return -EINVAL;
    if (k < 0) {
        struct inode *i;
        _cleanup_close_ int host = -1;
        int r = fd_target(s, c, dirfd, &i, &host);
        if (r < 0)
            return r;
        if (i)
            return vfs_utimens_inode(s->vfs, i, times, &s->cred);
        return futimens(host, times) < 0 ? -errno : 0;
    }
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    return vfs_utimensat(s->vfs, p.start, p.path, times,
                         flags & AT_SYMLINK_NOFOLLOW ? VFS_NOFOLLOW : 0, &s->cred);
}

long sys_utimensat(struct session *s, struct call *c)
{
    struct timespec ts[2];
    bool have = c->args[2] != 0;
    if (have && guest_read(call_task(c)->mem, c->args[2], ts, sizeof ts) < 0)
        return -EFAULT;
    return do_utimens(s, c, arg_int(c, 0), c->args[1] ? 1 : -1, have ? ts : NULL, arg_int(c, 3));
}

/* utimes/futimesat take struct timeval[2]. */
static long do_utimes(struct session *s, struct call *c, int dirfd, int k, uint64_t tvaddr)
{
    struct timeval tv[2];
    struct timespec ts[2];
    if (tvaddr) {
        if (guest_read(call_task(c)->mem, tvaddr, tv, sizeof tv) < 0)
            return -EFAULT;
        for (int j = 0; j < 2; j++) {
            if (tv[j].tv_usec < 0 || tv[j].tv_usec >= 1000000)
                return -EINVAL;
            ts[j] = (struct timespec){ tv[j].tv_sec, tv[j].tv_usec * 1000 };
        }
    }
    return do_utimens(s, c, dirfd, k, tvaddr ? ts : NULL, 0);
}

long sys_utimes(struct session *s, struct call *c) { return do_utimes(s, c, AT_FDCWD, 0, c->args[1]); }
long sys_futimesat(struct session *s, struct call *c)
{
    return do_utimes(s, c, arg_int(c, 0), 1, c->args[2]);
}

long sys_utime(struct session *s, struct call *c)
{
    struct utimbuf ub;
    struct timespec ts[2];
    if (c->args[1]) {
        if (guest_read(call_task(c)->mem, c->args[1], &ub, sizeof ub) < 0)
            return -EFAULT;
        ts[0] = (struct timespec){ ub.actime, 0 };
        ts[1] = (struct timespec){ ub.modtime, 0 };
    }
    return do_utimens(s, c, AT_FDCWD, 0, c->args[1] ? ts : NULL, 0);
}

/* ---- statfs, mknod ----------------------------------------------- */

long sys_statfs(struct session *s, struct call *c)
{
    PATHAT p = { 0 };
    int r = pathat_get(s, c, AT_FDCWD, 0, &p);
    if (r < 0)
        return r;
    struct inode *i;
    r = vfs_lookupat(s->vfs, p.start, p.path, 0, &s->cred, &i);
    if (r < 0)
        return r;
    struct statfs sf;
    vfs_statfs(s->vfs, i, &sf);
    inode_put(i);
    return put_guest(c, 1, &sf, sizeof sf);
}

long sys_fstatfs(struct session *s, struct call *c)
{
    struct inode *i;
    _cleanup_close_ int host = -1;
    int r = fd_target(s, c, arg_int(c, 0), &i, &host);
    if (r < 0)
        return r;
    struct statfs sf;
    if (i)
        vfs_statfs(s->vfs, i, &sf);
    else if (fstatfs(host, &sf) < 0)
        return -errno;
    return put_guest(c, 1, &sf, sizeof sf);
}

static long do_mknod(struct session *s, struct call *c, int dirfd, int k, mode_t mode)
{
    switch (mode & S_IFMT) {
    case 0:
    case S_IFREG:
    case S_IFIFO:
        break;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFSOCK:
        /* Devices need privilege; a socket node is not served yet. */
        return -EPERM;
    default:
        return -EINVAL;
    }
    PATHAT p = { 0 };
    int r = pathat_get(s, c, dirfd, k, &p);
    if (r < 0)
        return r;
    mode_t perm = mode & 07777 & ~call_task(c)->fs->umask;
    if (S_ISFIFO(mode)) {
        r = vfs_mkfifoat(s->vfs, p.start, p.path, perm, &s->cred);
        if (events_enabled())
            audit_path(s, c, FILE_CREATE, p.start, p.path, NULL, NULL, r);
        return r;
    }
    int hostfd;
    r = vfs_openat(s->vfs, p.start, p.path, O_CREAT | O_EXCL | O_RDONLY, perm, &s->cred,
                   &hostfd);
    if (r < 0)
        return r;
    close(hostfd);
    return 0;
}

long sys_mknod(struct session *s, struct call *c) { return do_mknod(s, c, AT_FDCWD, 0, (mode_t)c->args[1]); }
long sys_mknodat(struct session *s, struct call *c)
{
    return do_mknod(s, c, arg_int(c, 0), 1, (mode_t)c->args[2]);
}
