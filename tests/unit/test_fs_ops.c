/* Files and names in the memory layer, and the read-only host layer. */
#include "tests/unit/test_fs_fixture.h"

#include <sys/statvfs.h>
#include <sys/statfs.h>

TestSuite(fs_ops, .init = fs_setup, .fini = fs_teardown);

Test(fs_ops, create_write_read_stat)
{
    int fd = xopen("/tmp/f", O_CREAT | O_RDWR, 0640, &user);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "hello world", 11), 11);
    struct stat st;
    cr_assert_eq(xstat("/tmp/f", &st), 0);
    cr_assert_eq(st.st_size, 11);
    cr_assert_eq(st.st_mode, S_IFREG | 0640);
    cr_assert_eq(st.st_uid, 1000u);
    cr_assert_eq(st.st_nlink, 1u);
    /* Each open has its own offset. */
    int fd2 = xopen("/tmp/f", O_RDONLY, 0, &user);
    char buf[32] = {0};
    cr_assert_eq(read(fd2, buf, sizeof buf), 11);
    cr_assert_str_eq(buf, "hello world");
    cr_assert_eq(write(fd2, "x", 1), -1, "a read-only open must not write");
    close(fd2);
    close(fd);
    fd = xopen("/tmp/f", O_WRONLY | O_APPEND, 0, &user);
    cr_assert_eq(write(fd, "!", 1), 1);
    close(fd);
    read_file("/tmp/f", buf, sizeof buf);
    cr_assert_str_eq(buf, "hello world!");
    fd = xopen("/tmp/f", O_WRONLY | O_TRUNC, 0, &user);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(xstat("/tmp/f", &st), 0);
    cr_assert_eq(st.st_size, 0);
    /* The creator gets the access it asked for whatever the mode. */
    fd = xopen("/tmp/ro", O_CREAT | O_RDWR, 0444, &user);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(xopen("/tmp/ro", O_RDWR, 0, &user), -EACCES);
}

Test(fs_ops, open_errors)
{
    make_file("/tmp/f", "x", 0600, &user);
    cr_assert_eq(xopen("/tmp/f", O_CREAT | O_EXCL | O_WRONLY, 0644, &user), -EEXIST);
    cr_assert_eq(xopen("/tmp/f", O_RDONLY | O_DIRECTORY, 0, &user), -ENOTDIR);
    cr_assert_eq(xopen("/tmp/f", O_RDONLY, 0, &other), -EACCES);
    cr_assert_eq(xopen("/tmp", O_WRONLY, 0, &user), -EISDIR);
    cr_assert_eq(xopen("/tmp", O_CREAT | O_RDONLY, 0644, &user), -EISDIR);
    cr_assert_eq(xopen("/nope/f", O_CREAT | O_RDONLY, 0644, &user), -ENOENT);
    cr_assert_eq(xopen("/f", O_CREAT | O_RDONLY, 0644, &user), -EACCES);
    cr_assert_eq(xopen("/nope", O_RDWR | O_TMPFILE, 0600, &user), -ENOENT);
    cr_assert_eq(xopen("/etc/passwd", O_RDWR | O_TMPFILE, 0600, &user), -ENOTDIR);
    cr_assert_eq(xopen("/etc", O_RDWR | O_TMPFILE, 0600, &user), -EACCES);
    /* An unnamed file: it works, and leaves no name behind. */
    cr_assert_eq(xmkdir("/tmp/unnamed", 0755, &user), 0);
    int tmp = xopen("/tmp/unnamed", O_RDWR | O_TMPFILE, 0600, &user);
    cr_assert_geq(tmp, 0);
    cr_assert_eq(write(tmp, "x", 1), 1);
    close(tmp);
    cr_assert_eq(xunlink("/tmp/unnamed", VFS_REMOVEDIR, &user), 0);
    /* A dangling symlink creates its target. */
    cr_assert_eq(xsymlink("made", "/tmp/dangling"), 0);
    int fd = xopen("/tmp/dangling", O_CREAT | O_WRONLY, 0644, &user);
    cr_assert_geq(fd, 0);
    close(fd);
    struct stat st;
    cr_assert_eq(xlstat("/tmp/made", &st), 0);
    cr_assert(S_ISREG(st.st_mode));
    cr_assert_eq(xopen("/tmp/dangling", O_CREAT | O_EXCL | O_WRONLY, 0644, &user), -EEXIST);
}

Test(fs_ops, unlink_and_rmdir)
{
    cr_assert_eq(xmkdir("/tmp/d", 0755, &user), 0);
    cr_assert_eq(xmkdir("/tmp/d", 0755, &user), -EEXIST);
    cr_assert_eq(xmkdir("/tmp/.", 0755, &user), -EEXIST);
    make_file("/tmp/d/f", "x", 0644, &user);
    cr_assert_eq(xunlink("/tmp/d", 0, &user), -EISDIR);
    cr_assert_eq(xunlink("/tmp/d", VFS_REMOVEDIR, &user), -ENOTEMPTY);
    cr_assert_eq(xunlink("/tmp/d/f", VFS_REMOVEDIR, &user), -ENOTDIR);
    cr_assert_eq(xunlink("/tmp/d/.", VFS_REMOVEDIR, &user), -EINVAL);
    cr_assert_eq(xunlink("/tmp/d/..", VFS_REMOVEDIR, &user), -ENOTEMPTY);
    cr_assert_eq(xunlink("/", VFS_REMOVEDIR, &root), -EBUSY);
    cr_assert_eq(xunlink("/usr", VFS_REMOVEDIR, &root), -EBUSY);
    cr_assert_eq(xunlink("/tmp/nope", 0, &user), -ENOENT);
    struct stat st;
    cr_assert_eq(xstat("/tmp/d", &st), 0);
    nlink_t tmp_links = st.st_nlink;
    cr_assert_eq(xunlink("/tmp/d/f", 0, &user), 0);
    cr_assert_eq(xstat("/tmp/d/f", &st), -ENOENT);
    cr_assert_eq(xstat("/tmp", &st), 0);
    cr_assert_eq(st.st_nlink, 3u);
    cr_assert_eq(tmp_links, 2u);
    cr_assert_eq(xunlink("/tmp/d", VFS_REMOVEDIR, &user), 0);
    cr_assert_eq(xstat("/tmp", &st), 0);
    cr_assert_eq(st.st_nlink, 2u);
}

Test(fs_ops, sticky_tmp)
{
    make_file("/tmp/mine", "x", 0666, &user);
    cr_assert_eq(xunlink("/tmp/mine", 0, &other), -EPERM);
    cr_assert_eq(xrename("/tmp/mine", "/tmp/theirs", 0, &other), -EPERM);
    make_file("/tmp/theirs", "y", 0666, &other);
    cr_assert_eq(xrename("/tmp/theirs", "/tmp/mine", 0, &user), -EPERM);
    cr_assert_eq(xrename("/tmp/mine", "/tmp/theirs", 0, &user), -EPERM);
    cr_assert_eq(xunlink("/tmp/mine", 0, &root), 0);
    cr_assert_eq(xunlink("/tmp/theirs", 0, &other), 0);
    cr_assert_eq(xmkdir("/tmp/sub", 0777, &user), 0);
    make_file("/tmp/sub/f", "x", 0666, &user);
    /* Not sticky: anyone with write access may remove. */
    cr_assert_eq(xunlink("/tmp/sub/f", 0, &other), 0);
}

Test(fs_ops, rename_semantics)
{
    make_file("/tmp/a", "A", 0644, &user);
    make_file("/tmp/b", "B", 0644, &user);
    cr_assert_eq(xmkdir("/tmp/d", 0755, &user), 0);
    cr_assert_eq(xmkdir("/tmp/e", 0755, &user), 0);
    make_file("/tmp/e/x", "x", 0644, &user);
    struct stat sa, st;
    cr_assert_eq(xstat("/tmp/a", &sa), 0);
    cr_assert_eq(xrename("/tmp/a", "/tmp/b", RENAME_NOREPLACE, &user), -EEXIST);
    cr_assert_eq(xrename("/tmp/a", "/tmp/b", 0, &user), 0);
    cr_assert_eq(xstat("/tmp/a", &st), -ENOENT);
    cr_assert_eq(xstat("/tmp/b", &st), 0);
    cr_assert_eq(st.st_ino, sa.st_ino);
    char buf[8];
    read_file("/tmp/b", buf, sizeof buf);
    cr_assert_str_eq(buf, "A");
    cr_assert_eq(xrename("/tmp/b", "/tmp/d", 0, &user), -EISDIR);
    cr_assert_eq(xrename("/tmp/d", "/tmp/b", 0, &user), -ENOTDIR);
    cr_assert_eq(xrename("/tmp/d", "/tmp/e", 0, &user), -ENOTEMPTY);
    cr_assert_eq(xrename("/tmp/d", "/tmp/d/sub", 0, &user), -EINVAL);
    cr_assert_eq(xrename("/tmp/b", "/tmp/b", 0, &user), 0);
    cr_assert_eq(xrename("/tmp/b/", "/tmp/c", 0, &user), -ENOTDIR);
    cr_assert_eq(xrename("/tmp/nope", "/tmp/c", 0, &user), -ENOENT);
    cr_assert_eq(xrename("/usr/bin", "/usr/b", 0, &root), -EXDEV);
    cr_assert_eq(xrename("/usr", "/usr2", 0, &root), -EBUSY);
    cr_assert_eq(xrename("/tmp/.", "/tmp/x", 0, &user), -EBUSY);
    cr_assert_eq(xrename("/tmp/b", "/tmp/c", 7, &user), -EINVAL);
    cr_assert_eq(xrename("/tmp/b", "/tmp/nope", RENAME_EXCHANGE, &user), -ENOENT);
    /* A directory over an empty one, into another parent. */
    cr_assert_eq(xrename("/tmp/d", "/tmp/e/y", 0, &user), 0);
    cr_assert_eq(xstat("/tmp/e", &st), 0);
    cr_assert_eq(st.st_nlink, 3u);
    cr_assert_eq(xmkdir("/tmp/empty", 0755, &user), 0);
    cr_assert_eq(xrename("/tmp/empty", "/tmp/e/y", 0, &user), 0);
    cr_assert_eq(xstat("/tmp/empty", &st), -ENOENT);
    cr_assert_eq(xstat("/tmp/e", &st), 0);
    cr_assert_eq(st.st_nlink, 3u);
    /* Exchange a file and a directory. */
    cr_assert_eq(xrename("/tmp/b", "/tmp/e", RENAME_EXCHANGE, &user), 0);
    cr_assert_eq(xstat("/tmp/b/x", &st), 0);
    read_file("/tmp/e", buf, sizeof buf);
    cr_assert_str_eq(buf, "A");
}

Test(fs_ops, getcwd_follows_renames)
{
    cr_assert_eq(xmkdir("/tmp/p", 0755, &user), 0);
    cr_assert_eq(xmkdir("/tmp/p/q", 0755, &user), 0);
    struct inode *q;
    cr_assert_eq(vfs_chdirat(v, vfs_root(v), "/tmp/p/q", &user, &q), 0);
    char buf[64];
    cr_assert_gt(vfs_dir_path(v, q, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "/tmp/p/q");
    cr_assert_eq(xrename("/tmp/p", "/home/user/renamed", 0, &user), 0);
    cr_assert_eq(vfs_dir_path(v, q, buf, sizeof buf), (ssize_t)strlen("/home/user/renamed/q") + 1);
    cr_assert_str_eq(buf, "/home/user/renamed/q");
    cr_assert_eq(vfs_dir_path(v, q, buf, 5), -ERANGE);
    cr_assert_eq(vfs_dir_path(v, vfs_root(v), buf, sizeof buf), 2);
    cr_assert_str_eq(buf, "/");
    cr_assert_eq(xunlink("/home/user/renamed/q", VFS_REMOVEDIR, &user), 0);
    cr_assert_eq(vfs_dir_path(v, q, buf, sizeof buf), -ENOENT);
    /* Nothing can be made in, or found from, a removed directory. */
    cr_assert_eq(vfs_mkdirat(v, q, "x", 0755, &user), -ENOENT);
    struct stat st;
    cr_assert_eq(vfs_statat(v, q, "..", 0, &user, &st), -ENOENT);
    cr_assert_eq(vfs_statat(v, q, ".", 0, &user, &st), 0);
    cr_assert_eq(st.st_nlink, 0u);
    inode_put(q);
}

Test(fs_ops, hard_links)
{
    make_file("/tmp/f", "data", 0644, &user);
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/tmp/f", vfs_root(v), "/tmp/g", false, &user), 0);
    struct stat f, g;
    cr_assert_eq(xstat("/tmp/f", &f), 0);
    cr_assert_eq(xstat("/tmp/g", &g), 0);
    cr_assert_eq(f.st_ino, g.st_ino);
    cr_assert_eq(g.st_nlink, 2u);
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/tmp/f", vfs_root(v), "/tmp/g", false, &user), -EEXIST);
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/tmp", vfs_root(v), "/tmp/d", false, &root), -EPERM);
    /* protected_hardlinks: a file one cannot write is not one's to link. */
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/tmp/f", vfs_root(v), "/tmp/h", false, &other), -EPERM);
    cr_assert_eq(xunlink("/tmp/f", 0, &user), 0);
    cr_assert_eq(xstat("/tmp/g", &g), 0);
    cr_assert_eq(g.st_nlink, 1u);
    char buf[8];
    read_file("/tmp/g", buf, sizeof buf);
    cr_assert_str_eq(buf, "data");
}

Test(fs_ops, unlinked_file_stays_readable)
{
    make_file("/tmp/f", "still here", 0644, &user);
    int fd = xopen("/tmp/f", O_RDONLY, 0, &user);
    cr_assert_eq(xunlink("/tmp/f", 0, &user), 0);
    char buf[32] = {0};
    cr_assert_eq(read(fd, buf, sizeof buf), 10);
    cr_assert_str_eq(buf, "still here");
    close(fd);
}

Test(fs_ops, metadata)
{
    make_file("/tmp/f", "abcdef", 0644, &user);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/tmp/f", 0600, 0, &other), -EPERM);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/tmp/f", 0600, 0, &user), 0);
    struct stat st;
    cr_assert_eq(xstat("/tmp/f", &st), 0);
    cr_assert_eq(st.st_mode, S_IFREG | 0600);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/tmp/f", 0, (gid_t)-1, 0, &user), -EPERM);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/tmp/f", 1000, 1000, 0, &user), 0);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/tmp/f", (uid_t)-1, 0, 0, &user), -EPERM);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/tmp/f", 1001, 1001, 0, &root), 0);
    cr_assert_eq(xstat("/tmp/f", &st), 0);
    cr_assert_eq(st.st_uid, 1001u);
    cr_assert_eq(st.st_gid, 1001u);
    cr_assert_eq(vfs_truncateat(v, vfs_root(v), "/tmp/f", 3, &other), 0);
    cr_assert_eq(xstat("/tmp/f", &st), 0);
    cr_assert_eq(st.st_size, 3);
    cr_assert_eq(vfs_truncateat(v, vfs_root(v), "/tmp/f", 3, &user), -EACCES);
    cr_assert_eq(vfs_truncateat(v, vfs_root(v), "/tmp", 3, &user), -EISDIR);
    struct timespec ts[2] = {{1000, 0}, {2000, 5}};
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/tmp/f", ts, 0, &user), -EPERM);
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/tmp/f", NULL, 0, &user), -EACCES);
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/tmp/f", ts, 0, &other), 0);
    cr_assert_eq(xstat("/tmp/f", &st), 0);
    cr_assert_eq(st.st_atim.tv_sec, 1000);
    cr_assert_eq(st.st_mtim.tv_sec, 2000);
    cr_assert_eq(st.st_mtim.tv_nsec, 5);
    struct timespec bad[2] = {{0, 2000000000L}, {0, 0}};
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/tmp/f", bad, 0, &other), -EINVAL);
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/tmp", ts, 0, &root), 0);
    cr_assert_eq(xstat("/tmp", &st), 0);
    cr_assert_eq(st.st_mtim.tv_sec, 2000);
    cr_assert_eq(vfs_accessat(v, vfs_root(v), "/tmp/f", W_OK, 0, &other), 0);
    cr_assert_eq(vfs_accessat(v, vfs_root(v), "/tmp/f", R_OK, 0, &user), -EACCES);
    cr_assert_eq(vfs_accessat(v, vfs_root(v), "/tmp/f", 8, 0, &user), -EINVAL);
}

Test(fs_ops, host_layer_keeps_its_permissions)
{
    /* The overlay makes the runtime writable, but only for whom the host's
     * modes allow it (root in the guest). */
    cr_assert_eq(xopen("/usr/bin/ls", O_WRONLY, 0, &user), -EACCES);
    cr_assert_eq(xopen("/usr/bin/ls", O_RDONLY | O_TRUNC, 0, &user), -EACCES);
    cr_assert_eq(xopen("/usr/newfile", O_CREAT | O_WRONLY, 0644, &user), -EACCES);
    cr_assert_eq(xopen("/usr/bin/ls", O_CREAT | O_EXCL | O_WRONLY, 0644, &user), -EEXIST);
    cr_assert_eq(xmkdir("/usr/newdir", 0755, &user), -EACCES);
    cr_assert_eq(xmkdir("/usr/bin", 0755, &user), -EEXIST);
    cr_assert_eq(xunlink("/usr/bin/ls", 0, &user), -EACCES);
    cr_assert_eq(xsymlink("x", "/usr/lnk"), -EACCES);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/usr/bin/ls", 0777, 0, &user), -EPERM);
    cr_assert_eq(vfs_accessat(v, vfs_root(v), "/usr/bin/ls", W_OK, 0, &user), -EACCES);
    cr_assert_eq(vfs_accessat(v, vfs_root(v), "/usr/bin/ls", R_OK | X_OK, 0, &user), 0);
    /* Reading gives the host's bytes; stat its real identity, ids mapped. */
    struct stat st, hst;
    cr_assert_eq(xstat("/usr/bin/ls", &st), 0);
    cr_assert_eq(stat("/usr/bin/ls", &hst), 0);
    cr_assert_eq(st.st_ino, hst.st_ino);
    cr_assert_eq(st.st_dev, hst.st_dev);
    cr_assert_eq(st.st_size, hst.st_size);
    cr_assert_eq(st.st_uid, 0u);
    int fd = xopen("/bin/ls", O_RDONLY, 0, &user);
    cr_assert_geq(fd, 0);
    char magic[4];
    cr_assert_eq(read(fd, magic, 4), 4);
    cr_assert_eq(memcmp(magic, "\177ELF", 4), 0);
    close(fd);
    struct statfs sf;
    struct inode *i;
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/usr/bin/ls", 0, &user, &i), 0);
    vfs_statfs(v, i, &sf);
    cr_assert(!(sf.f_flags & ST_RDONLY));
    fd = vfs_open_data(v, i);
    cr_assert_geq(fd, 0);
    close(fd);
    inode_put(i);
    vfs_statfs(v, vfs_root(v), &sf);
    cr_assert_eq(sf.f_type, 0x01021994);
}

Test(fs_ops, etc_contents)
{
    char buf[512];
    read_file("/etc/passwd", buf, sizeof buf);
    cr_assert(strstr(buf, "root:x:0:0:root:/root:/bin/sh\n"));
    cr_assert(strstr(buf, "user:x:1000:1000:user:/home/user:/bin/sh\n"));
    cr_assert(strstr(buf, "nobody:x:65534:65534:"));
    read_file("/etc/group", buf, sizeof buf);
    cr_assert(strstr(buf, "user:x:1000:"));
    cr_assert(strstr(buf, "nogroup:x:65534:"));
    read_file("/etc/hosts", buf, sizeof buf);
    cr_assert(strstr(buf, "127.0.0.1\tlocalhost cordon\n"));
    read_file("/etc/os-release", buf, sizeof buf);
    cr_assert(strstr(buf, "Debian"));
    struct stat st;
    cr_assert_eq(xstat("/etc/passwd", &st), 0);
    cr_assert_eq(st.st_mode, S_IFREG | 0644);
    cr_assert_eq(st.st_uid, 0u);
    cr_assert_eq(xopen("/etc/passwd", O_WRONLY, 0, &user), -EACCES);
    cr_assert_eq(xstat("/etc/no-such-file", &st), -ENOENT);
    cr_assert_eq(xstat("/etc/shadow", &st), -ENOENT);
    cr_assert_eq(xstat("/etc/ssl/certs", &st), 0);
    cr_assert_eq(xlstat("/etc/localtime", &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
}

Test(fs_ops, devices)
{
    int fd = xopen("/dev/null", O_WRONLY, 0, &user);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "x", 1), 1);
    struct stat hst, st, real;
    cr_assert_eq(fstat(fd, &hst), 0);
    struct inode *i = vfs_inode_of(v, &hst);
    cr_assert_not_null(i);
    vfs_stat_inode(v, i, &st);
    cr_assert(S_ISCHR(st.st_mode));
    cr_assert_eq(stat("/dev/null", &real), 0);
    cr_assert_eq(st.st_rdev, real.st_rdev);
    cr_assert_eq(st.st_mode, S_IFCHR | 0666);
    close(fd);
    fd = xopen("/dev/zero", O_RDONLY, 0, &user);
    char z[4] = {1, 1, 1, 1};
    cr_assert_eq(read(fd, z, 4), 4);
    cr_assert_eq(z[0] | z[1] | z[2] | z[3], 0);
    close(fd);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/dev/null", 0600, 0, &user), -EPERM);
    cr_assert_eq(xstat("/dev/shm", &st), 0);
    cr_assert_eq(st.st_mode, S_IFDIR | 01777);
    char buf[32];
    cr_assert_eq(vfs_readlinkat(v, vfs_root(v), "/dev/stdout", &user, buf, sizeof buf), 15);
}
