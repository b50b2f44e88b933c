/* The path walk: symlinks, "..", trailing slashes, limits, permissions. */
#include "tests/unit/test_fs_fixture.h"

#include <limits.h>

TestSuite(fs_walk, .init = fs_setup, .fini = fs_teardown);

Test(fs_walk, symlink_loop_is_eloop)
{
    cr_assert_eq(xsymlink("b", "/tmp/a"), 0);
    cr_assert_eq(xsymlink("a", "/tmp/b"), 0);
    struct stat st;
    cr_assert_eq(xstat("/tmp/a", &st), -ELOOP);
    cr_assert_eq(xstat("/tmp/a/x", &st), -ELOOP);
    cr_assert_eq(xlstat("/tmp/a", &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
}

Test(fs_walk, forty_links_and_no_more)
{
    char p[64], t[64];
    make_file("/tmp/f", "x", 0644, &user);
    /* l0 -> l1 -> ... -> l40 -> f: l0 needs 41 follows, l1 needs 40. */
    for (int k = 0; k <= 40; k++) {
        snprintf(p, sizeof p, "/tmp/l%d", k);
        if (k == 40)
            snprintf(t, sizeof t, "f");
        else
            snprintf(t, sizeof t, "l%d", k + 1);
        cr_assert_eq(xsymlink(t, p), 0);
    }
    struct stat st;
    cr_assert_eq(xstat("/tmp/l1", &st), 0);
    cr_assert(S_ISREG(st.st_mode));
    cr_assert_eq(xstat("/tmp/l0", &st), -ELOOP);
}

Test(fs_walk, dotdot_stays_at_root)
{
    struct stat r, st;
    cr_assert_eq(xstat("/", &r), 0);
    cr_assert_eq(xstat("/../../..", &st), 0);
    cr_assert_eq(st.st_ino, r.st_ino);
    cr_assert_eq(xstat("/usr/..", &st), 0);
    cr_assert_eq(st.st_ino, r.st_ino);
    cr_assert_eq(st.st_dev, r.st_dev);
    cr_assert_eq(xstat("/usr/bin/../../tmp/../..", &st), 0);
    cr_assert_eq(st.st_ino, r.st_ino);
}

Test(fs_walk, host_dotdot_goes_back_to_memory_parent)
{
    struct inode *bin, *up;
    cr_assert_eq(vfs_chdirat(v, vfs_root(v), "/usr/bin", &user, &bin), 0);
    cr_assert_eq(vfs_chdirat(v, bin, "../..", &user, &up), 0);
    cr_assert_eq(up, vfs_root(v));
    inode_put(up);
    char buf[64];
    cr_assert_eq(vfs_dir_path(v, bin, buf, sizeof buf), (ssize_t)strlen("/usr/bin") + 1);
    cr_assert_str_eq(buf, "/usr/bin");
    inode_put(bin);
}

Test(fs_walk, trailing_slash)
{
    make_file("/tmp/f", "x", 0644, &user);
    struct stat st;
    cr_assert_eq(xstat("/tmp/f/", &st), -ENOTDIR);
    cr_assert_eq(xstat("/tmp/f/.", &st), -ENOTDIR);
    cr_assert_eq(xstat("/tmp/", &st), 0);
    /* A trailing slash follows a symlink even for lstat. */
    cr_assert_eq(xlstat("/bin/", &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(xlstat("/bin", &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
    cr_assert_eq(xopen("/tmp/g/", O_CREAT | O_WRONLY, 0644, &user), -EISDIR);
    cr_assert_eq(xmkdir("/tmp/d/", 0755, &user), 0);
    cr_assert_eq(xunlink("/tmp/f/", 0, &user), -ENOTDIR);
}

Test(fs_walk, name_and_path_limits)
{
    char name[300], path[PATH_MAX + 16];
    memset(name, 'a', 256);
    name[256] = 0;
    snprintf(path, sizeof path, "/tmp/%s", name);
    struct stat st;
    cr_assert_eq(xstat(path, &st), -ENAMETOOLONG);
    cr_assert_eq(xopen(path, O_CREAT | O_WRONLY, 0644, &user), -ENAMETOOLONG);
    name[255] = 0;
    snprintf(path, sizeof path, "/tmp/%s", name);
    make_file(path, "", 0644, &user);
    cr_assert_eq(xstat(path, &st), 0);
    /* 4096 bytes without a NUL is too long; 4095 is a path. */
    memset(path, '/', PATH_MAX);
    path[PATH_MAX] = 0;
    cr_assert_eq(xstat(path, &st), -ENAMETOOLONG);
    path[PATH_MAX - 1] = 0;
    cr_assert_eq(xstat(path, &st), 0);
    cr_assert_eq(xstat("", &st), -ENOENT);
}

Test(fs_walk, garbage_and_odd_paths)
{
    struct stat a, b;
    cr_assert_eq(xstat("/usr/bin/python3", &a), 0);
    cr_assert_eq(xstat("//usr///bin/./python3", &b), 0);
    cr_assert_eq(a.st_ino, b.st_ino);
    cr_assert_eq(xstat("/\xff\xfe/\x01", &b), -ENOENT);
    cr_assert_eq(xstat("/etc/passwd/x", &b), -ENOTDIR);
    cr_assert_eq(xstat("/root", &b), -ENOENT);
    cr_assert_eq(xstat("/work", &b), -ENOENT);
    cr_assert_eq(xstat("/proc/self", &b), -ENOENT);
    cr_assert_eq(xstat("/usr/..", &b), 0);
    cr_assert_eq(xstat("/usr/../root", &b), -ENOENT);
    cr_assert_eq(xstat("/home/user", &b), 0);
    cr_assert_eq(b.st_uid, 1000u);
    cr_assert_eq(b.st_mode, S_IFDIR | 0700);
}

Test(fs_walk, relative_to_start_and_symlinks_in_guest_tree)
{
    struct inode *usr, *i;
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "usr", 0, &user, &usr), 0);
    cr_assert_eq(vfs_lookupat(v, usr, "bin/../lib", 0, &user, &i), 0);
    struct inode *lib;
    /* /lib -> usr/lib is resolved in the guest's tree to the same inode. */
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/lib/", 0, &user, &lib), 0);
    cr_assert_eq(i, lib);
    inode_put(lib);
    inode_put(i);
    /* An absolute symlink goes to the guest's root, not the host's. */
    cr_assert_eq(xsymlink("/etc/hostname", "/tmp/h"), 0);
    char buf[64];
    read_file("/tmp/h", buf, sizeof buf);
    cr_assert_str_eq(buf, "cordon\n");
    cr_assert_eq(vfs_lookupat(v, usr, "bin/python3", 0, &user, &i), 0);
    cr_assert_eq(vfs_host_path(v, i, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "/usr/bin/python3.11");
    inode_put(i);
    inode_put(usr);
}

Test(fs_walk, nofollow)
{
    cr_assert_eq(xsymlink("/etc/hostname", "/tmp/h"), 0);
    cr_assert_eq(xopen("/tmp/h", O_RDONLY | O_NOFOLLOW, 0, &user), -ELOOP);
    int fd = xopen("/tmp/h", O_PATH | O_NOFOLLOW, 0, &user);
    cr_assert_geq(fd, 0);
    struct stat hst, st;
    cr_assert_eq(fstat(fd, &hst), 0);
    struct inode *i = vfs_inode_of(v, &hst);
    cr_assert_not_null(i);
    vfs_stat_inode(v, i, &st);
    cr_assert(S_ISLNK(st.st_mode));
    close(fd);
    char buf[64];
    ssize_t n = vfs_readlinkat(v, vfs_root(v), "/tmp/h", &user, buf, sizeof buf);
    cr_assert_eq(n, 13);
    cr_assert_eq(memcmp(buf, "/etc/hostname", 13), 0);
    cr_assert_eq(vfs_readlinkat(v, vfs_root(v), "/tmp/h", &user, buf, 4), 4);
    cr_assert_eq(vfs_readlinkat(v, vfs_root(v), "/tmp", &user, buf, 4), -EINVAL);
    n = vfs_readlinkat(v, vfs_root(v), "/etc/localtime", &user, buf, sizeof buf);
    cr_assert_gt(n, 0);
}

Test(fs_walk, search_permission)
{
    cr_assert_eq(xmkdir("/tmp/private", 0700, &user), 0);
    make_file("/tmp/private/f", "x", 0644, &user);
    struct stat st;
    cr_assert_eq(vfs_statat(v, vfs_root(v), "/tmp/private/f", 0, &other, &st), -EACCES);
    cr_assert_eq(vfs_statat(v, vfs_root(v), "/tmp/private", 0, &other, &st), 0);
    cr_assert_eq(vfs_statat(v, vfs_root(v), "/tmp/private/f", 0, &user, &st), 0);
    cr_assert_eq(vfs_statat(v, vfs_root(v), "/tmp/private/f", 0, &root, &st), 0);
    struct inode *i;
    cr_assert_eq(vfs_chdirat(v, vfs_root(v), "/tmp/private", &other, &i), -EACCES);
    cr_assert_eq(vfs_chdirat(v, vfs_root(v), "/tmp/private/f", &user, &i), -ENOTDIR);
}

Test(fs_walk, host_symlinks_resolve_in_the_guest_tree)
{
    /* On the host /usr/share/groff/site-tmac -> /etc/groff exists; the
     * guest's /etc has no groff, so the link must dangle there. */
    struct stat hst, st;
    if (lstat("/usr/share/groff/site-tmac", &hst) < 0 || !S_ISLNK(hst.st_mode) ||
        stat("/etc/groff", &hst) < 0)
        cr_skip_test("this host has no /usr/share/groff/site-tmac -> /etc/groff");
    cr_assert_eq(xlstat("/usr/share/groff/site-tmac", &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
    cr_assert_eq(xstat("/usr/share/groff/site-tmac", &st), -ENOENT);
    cr_assert_eq(xstat("/usr/share/groff/site-tmac/", &st), -ENOENT);
}

Test(fs_walk, setgid_directory_hands_down_its_group)
{
    cr_assert_eq(xmkdir("/tmp/g", 0775, &user), 0);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/tmp/g", (uid_t)-1, 1000, 0, &user), 0);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/tmp/g", 02777, 0, &user), 0);
    make_file("/tmp/g/f", "", 0644, &other);
    cr_assert_eq(xmkdir("/tmp/g/d", 0755, &other), 0);
    struct stat st;
    cr_assert_eq(xstat("/tmp/g/f", &st), 0);
    cr_assert_eq(st.st_gid, 1000u);
    cr_assert_eq(st.st_uid, 1001u);
    cr_assert_eq(xstat("/tmp/g/d", &st), 0);
    cr_assert_eq(st.st_mode, S_IFDIR | 02755);
}
