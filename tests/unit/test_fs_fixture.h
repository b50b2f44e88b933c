/* tests/unit/test_fs_fixture.h — one session tree per test, built on this
 * machine's real runtime (/usr, and /bin, /lib, /lib64, /sbin as symlinks). */
#ifndef CORDON_TEST_FS_FIXTURE_H
#define CORDON_TEST_FS_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/vfs.h"

static struct vfs *v;
static const struct fs_cred user __attribute__((unused)) = {1000, 1000};
static const struct fs_cred other __attribute__((unused)) = {1001, 1001};
static const struct fs_cred root __attribute__((unused)) = {0, 0};

static inline void fs_setup(void)
{
    static const char *const runtime[] = {"/usr", "/bin", "/lib", "/lib64", "/sbin", NULL};
    static const char *const etc[] = {"ssl", "alternatives", "localtime", "os-release",
                                      "ld.so.conf", "ld.so.conf.d", "nsswitch.conf",
                                      "passwd", "no-such-file", NULL};
    struct vfs_options o = {
        .runtime = runtime,
        .etc = etc,
        .guest_uid = 1000,
        .guest_gid = 1000,
        .user_name = "user",
        .home = "/home/user",
        .hostname = "cordon",
    };
    struct err e = {0};
    if (vfs_create(&o, &v, &e) < 0)
        cr_assert_fail("vfs_create: %s (%s)", e.msg, strerror(e.code));
}

static inline void fs_teardown(void)
{
    vfs_destroy(v);
    v = NULL;
}

/* open(2) in the session: the host fd, or -errno. */
static inline int xopen(const char *path, int flags, mode_t mode, const struct fs_cred *c)
{
    int fd = -1;
    int r = vfs_openat(v, vfs_root(v), path, flags, mode, c, &fd);
    return r < 0 ? r : fd;
}

static inline int xstat(const char *path, struct stat *st)
{
    return vfs_statat(v, vfs_root(v), path, 0, &user, st);
}

static inline int xlstat(const char *path, struct stat *st)
{
    return vfs_statat(v, vfs_root(v), path, VFS_NOFOLLOW, &user, st);
}

static inline int xmkdir(const char *path, mode_t mode, const struct fs_cred *c)
{
    return vfs_mkdirat(v, vfs_root(v), path, mode, c);
}

static inline int xunlink(const char *path, unsigned flags, const struct fs_cred *c)
{
    return vfs_unlinkat(v, vfs_root(v), path, flags, c);
}

static inline int xrename(const char *a, const char *b, unsigned flags, const struct fs_cred *c)
{
    return vfs_renameat2(v, vfs_root(v), a, vfs_root(v), b, flags, c);
}

static inline int xsymlink(const char *target, const char *path)
{
    return vfs_symlinkat(v, target, vfs_root(v), path, &user);
}

/* Creates a file holding `data` as user c. */
static inline void make_file(const char *path, const char *data, mode_t mode, const struct fs_cred *c)
{
    int fd = xopen(path, O_CREAT | O_EXCL | O_WRONLY, mode, c);
    cr_assert_geq(fd, 0, "create %s: %s", path, strerror(-fd));
    size_t len = strlen(data);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static inline void read_file(const char *path, char *buf, size_t size)
{
    int fd = xopen(path, O_RDONLY, 0, &user);
    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(-fd));
    ssize_t n = read(fd, buf, size - 1);
    cr_assert_geq(n, 0);
    buf[n] = 0;
    close(fd);
}

#endif
