/* The root overlay: copy-up of runtime files and directories into memory,
 * whiteouts, merged listings; the host's files never change. */
#include "tests/unit/test_fs_fixture.h"

#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <archive.h>
#include <archive_entry.h>
#include <sys/syscall.h>

TestSuite(fs_overlay, .init = fs_setup, .fini = fs_teardown);

struct rec {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* How many times `name` appears in the guest's listing of dir, read in
 * small batches so the walk crosses from the memory to the host layer;
 * *total gets the number of records. */
static int listed(const char *dir, const char *name, int *total)
{
    struct inode *d;
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), dir, 0, &user, &d), 0);
    int64_t pos = 0;
    char buf[512];
    ssize_t n;
    int hits = 0;
    *total = 0;
    while ((n = vfs_getdents(v, d, &pos, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            const struct rec *de = (const struct rec *)(buf + off);
            hits += !strcmp(de->d_name, name);
            ++*total;
            off += de->d_reclen;
        }
    }
    cr_assert_eq(n, 0, "getdents %s: %s", dir, strerror((int)-n));
    inode_put(d);
    return hits;
}

/* Entries of a host directory, "." and ".." included. */
static int host_entries(const char *path)
{
    DIR *d = opendir(path);
    cr_assert(d, "opendir %s", path);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

Test(fs_overlay, write_copies_up_and_host_is_untouched)
{
    struct stat host_before, host_after, st, orig;
    cr_assert_eq(stat("/usr/bin/ls", &host_before), 0);
    cr_assert_eq(xstat("/usr/bin/ls", &orig), 0);
    int fd = xopen("/usr/bin/ls", O_WRONLY | O_APPEND, 0, &root);
    cr_assert_geq(fd, 0, "open for write: %s", strerror(-fd));
    cr_assert_eq(xstat("/usr/bin/ls", &st), 0);
    cr_assert_eq(st.st_mtim.tv_sec, orig.st_mtim.tv_sec, "copy-up keeps mtime");
    cr_assert_neq(st.st_ino, orig.st_ino, "still the host's inode");
    cr_assert_eq(write(fd, "TAIL", 4), 4);
    close(fd);
    cr_assert_eq(xstat("/usr/bin/ls", &st), 0);
    cr_assert_eq(st.st_size, host_before.st_size + 4);
    cr_assert_eq(st.st_mode, orig.st_mode);
    cr_assert_eq(st.st_uid, orig.st_uid);
    char magic[4];
    fd = xopen("/usr/bin/ls", O_RDONLY, 0, &user);
    cr_assert_eq(read(fd, magic, 4), 4);
    close(fd);
    cr_assert_eq(memcmp(magic, "\177ELF", 4), 0);
    /* A copied-up file is in memory: exec goes through the exec cache. */
    struct inode *i;
    char hp[PATH_MAX];
    cr_assert_eq(vfs_lookupat(v, vfs_root(v), "/usr/bin/ls", 0, &user, &i), 0);
    cr_assert_eq(vfs_host_path(v, i, hp, sizeof hp), -EXDEV);
    inode_put(i);
    cr_assert_eq(stat("/usr/bin/ls", &host_after), 0);
    cr_assert_eq(host_after.st_size, host_before.st_size);
    cr_assert_eq(host_after.st_mtim.tv_sec, host_before.st_mtim.tv_sec);
    int total;
    cr_assert_eq(listed("/usr/bin", "ls", &total), 1);
    cr_assert_eq(total, host_entries("/usr/bin"));
}

Test(fs_overlay, truncate_and_metadata_copy_up)
{
    cr_assert_eq(vfs_truncateat(v, vfs_root(v), "/usr/bin/cat", 3, &root), 0);
    struct stat st;
    cr_assert_eq(xstat("/usr/bin/cat", &st), 0);
    cr_assert_eq(st.st_size, 3);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/usr/bin/cp", 0700, 0, &root), 0);
    cr_assert_eq(xstat("/usr/bin/cp", &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0700u);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/usr/local", 1000, 1000, 0, &root), 0);
    cr_assert_eq(xmkdir("/usr/local/mine", 0755, &user), 0);
    struct timespec ts[2] = {{1000, 0}, {2000, 0}};
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/usr/bin/env", ts, 0, &root), 0);
    cr_assert_eq(xstat("/usr/bin/env", &st), 0);
    cr_assert_eq(st.st_mtim.tv_sec, 2000);
    struct stat host;
    cr_assert_eq(stat("/usr/bin/cp", &host), 0);
    cr_assert_neq(host.st_mode & 07777, 0700u);
    cr_assert_eq(stat("/usr/local/mine", &host), -1);
}

Test(fs_overlay, create_in_host_dir_merges_listing)
{
    int before;
    listed("/usr/local", "x", &before);
    make_file("/usr/local/new-file", "hello", 0644, &root);
    cr_assert_eq(xmkdir("/usr/local/share/newdir", 0755, &root), 0);
    cr_assert_eq(xsymlink("new-file", "/usr/local/lnk"), -EACCES);
    cr_assert_eq(vfs_symlinkat(v, "new-file", vfs_root(v), "/usr/local/lnk", &root), 0);
    char buf[16];
    read_file("/usr/local/lnk", buf, sizeof buf);
    cr_assert_str_eq(buf, "hello");
    int total;
    cr_assert_eq(listed("/usr/local", "new-file", &total), 1);
    cr_assert_eq(listed("/usr/local", "bin", &total), 1);
    cr_assert_eq(total, before + 2);
    cr_assert_eq(listed("/usr/local/share", "newdir", &total), 1);
    struct stat st;
    cr_assert_eq(stat("/usr/local/new-file", &st), -1, "written to the host");
}

Test(fs_overlay, unlink_leaves_a_whiteout)
{
    int total, before;
    listed("/usr/bin", "x", &before);
    cr_assert_eq(xunlink("/usr/bin/ls", 0, &root), 0);
    struct stat st;
    cr_assert_eq(xstat("/usr/bin/ls", &st), -ENOENT);
    cr_assert_eq(xunlink("/usr/bin/ls", 0, &root), -ENOENT);
    cr_assert_eq(listed("/usr/bin", "ls", &total), 0);
    cr_assert_eq(total, before - 1);
    cr_assert_eq(stat("/usr/bin/ls", &st), 0, "the host's file must stay");
    /* The name can be created again, once. */
    make_file("/usr/bin/ls", "new", 0755, &root);
    cr_assert_eq(listed("/usr/bin", "ls", &total), 1);
    cr_assert_eq(total, before);
    char buf[8];
    read_file("/usr/bin/ls", buf, sizeof buf);
    cr_assert_str_eq(buf, "new");
    /* A copied-up file removed stays removed too. */
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/usr/bin/cat", 0700, 0, &root), 0);
    cr_assert_eq(xunlink("/usr/bin/cat", 0, &root), 0);
    cr_assert_eq(xstat("/usr/bin/cat", &st), -ENOENT);
    cr_assert_eq(listed("/usr/bin", "cat", &total), 0);
}

static int rm_guest(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    int r = xunlink(path, type == FTW_DP ? VFS_REMOVEDIR : 0, &root);
    cr_assert_eq(r, 0, "rm %s: %s", path, strerror(-r));
    return 0;
}

Test(fs_overlay, rmdir_of_host_directories)
{
    cr_assert_eq(xunlink("/usr/local", VFS_REMOVEDIR, &root), -ENOTEMPTY);
    cr_assert_eq(xunlink("/usr", VFS_REMOVEDIR, &root), -EBUSY);
    /* Empty it through whiteouts, then it can go. */
    cr_assert_eq(xmkdir("/usr/local/d", 0755, &root), 0);
    make_file("/usr/local/d/f", "x", 0644, &root);
    cr_assert_eq(xunlink("/usr/local/d", VFS_REMOVEDIR, &root), -ENOTEMPTY);
    cr_assert_eq(xunlink("/usr/local/d/f", 0, &root), 0);
    cr_assert_eq(xunlink("/usr/local/d", VFS_REMOVEDIR, &root), 0);
    /* A whole host tree, removed depth first, goes. */
    const char *tree = "/usr/share/doc/bash";
    struct stat st;
    if (stat(tree, &st) < 0)
        cr_skip_test("%s is missing on this host", tree);
    cr_assert_eq(xunlink(tree, VFS_REMOVEDIR, &root), -ENOTEMPTY);
    cr_assert_eq(nftw(tree, rm_guest, 16, FTW_DEPTH | FTW_PHYS), 0);
    cr_assert_eq(xstat(tree, &st), -ENOENT);
    /* A directory made again is opaque: nothing of the host shows. */
    cr_assert_eq(xmkdir(tree, 0755, &root), 0);
    int total;
    cr_assert_eq(listed(tree, "copyright", &total), 0);
    cr_assert_eq(total, 2);
    cr_assert_eq(xstat("/usr/share/doc/bash/copyright", &st), -ENOENT);
    cr_assert_eq(stat("/usr/share/doc/bash/copyright", &st), 0, "removed on the host");
}

Test(fs_overlay, rename)
{
    struct stat host, st;
    cr_assert_eq(stat("/usr/bin/ls", &host), 0);
    cr_assert_eq(xrename("/usr/bin/ls", "/usr/bin/ls2", 0, &root), 0);
    cr_assert_eq(xstat("/usr/bin/ls", &st), -ENOENT);
    cr_assert_eq(xstat("/usr/bin/ls2", &st), 0);
    cr_assert_eq(st.st_size, host.st_size);
    /* Over a host file, and back out of the runtime. */
    cr_assert_eq(xrename("/usr/bin/ls2", "/usr/bin/cat", 0, &root), 0);
    cr_assert_eq(xstat("/usr/bin/cat", &st), 0);
    cr_assert_eq(st.st_size, host.st_size);
    cr_assert_eq(xrename("/usr/bin/cat", "/tmp/cat", 0, &root), 0);
    make_file("/tmp/f", "F", 0644, &root);
    cr_assert_eq(xrename("/tmp/f", "/usr/bin/f", 0, &root), 0);
    cr_assert_eq(xrename("/tmp/cat", "/usr/bin/env", RENAME_EXCHANGE, &root), 0);
    cr_assert_eq(xstat("/tmp/cat", &st), 0);
    struct stat env;
    cr_assert_eq(stat("/usr/bin/env", &env), 0);
    cr_assert_eq(st.st_size, env.st_size);
    /* Directories with a host part do not move (overlayfs without
     * redirect_dir); memory ones do. */
    cr_assert_eq(xrename("/usr/local/share", "/usr/local/share2", 0, &root), -EXDEV);
    cr_assert_eq(xrename("/usr/share", "/tmp/share", 0, &root), -EXDEV);
    cr_assert_eq(xmkdir("/usr/local/m", 0755, &root), 0);
    cr_assert_eq(xrename("/usr/local/m", "/tmp/m", 0, &root), 0);
    cr_assert_eq(stat("/usr/bin/ls", &st), 0);
    cr_assert_eq(stat("/usr/bin/cat", &st), 0);
}

Test(fs_overlay, hard_link_of_a_host_file)
{
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/usr/bin/env", vfs_root(v), "/tmp/env", false, &root), 0);
    struct stat a, b;
    cr_assert_eq(xstat("/usr/bin/env", &a), 0);
    cr_assert_eq(xstat("/tmp/env", &b), 0);
    cr_assert_eq(a.st_ino, b.st_ino);
    cr_assert_eq(a.st_dev, b.st_dev);
}

Test(fs_overlay, inode_quota)
{
    struct err e = {0};
    cr_assert_eq(vfs_set_quota(v, 0, 4, &e), 0, "%s", e.msg);
    cr_assert_eq(xmkdir("/tmp/a", 0755, &user), 0);
    make_file("/tmp/a/f", "x", 0644, &user);
    /* Copied-up directories are inodes too: /usr and /usr/local fit, not x. */
    cr_assert_eq(xmkdir("/usr/local/x", 0755, &root), -ENOSPC);
    cr_assert_eq(xopen("/tmp/g", O_CREAT | O_WRONLY, 0644, &user), -ENOSPC);
    cr_assert_eq(xunlink("/tmp/a/f", 0, &user), 0);
    int fd = xopen("/tmp/g", O_CREAT | O_WRONLY, 0644, &user);
    cr_assert_geq(fd, 0);
    close(fd);
}

Test(fs_overlay, refused_changes_copy_nothing_up)
{
    struct err e = {0};
    cr_assert_eq(vfs_set_quota(v, 0, 1, &e), 0, "%s", e.msg);
    /* Each would copy /usr and its directory up if it went through. */
    cr_assert_eq(xmkdir("/usr/local/x", 0755, &user), -EACCES);
    cr_assert_eq(xopen("/usr/bin/new", O_CREAT | O_WRONLY, 0644, &user), -EACCES);
    cr_assert_eq(xunlink("/usr/bin/env", 0, &user), -EACCES);
    cr_assert_eq(xrename("/usr/bin/env", "/usr/bin/env2", 0, &user), -EACCES);
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/usr/bin/env", vfs_root(v), "/usr/bin/e", false, &user),
                 -EPERM);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/usr/bin/env", 0777, 0, &user), -EPERM);
    cr_assert_eq(xopen("/usr/bin/env", O_WRONLY, 0, &user), -EACCES);
    cr_assert_eq(xmkdir("/tmp/a", 0755, &user), 0, "a refused change used the quota");
}

Test(fs_overlay, disk_quota)
{
    struct err e = {0};
    if (vfs_set_quota(v, 64 * 1024, 0, &e) < 0)
        cr_skip_test("no tmpfs for --disk here: %s (%s)", e.msg, strerror(e.code));
    int fd = xopen("/tmp/big", O_CREAT | O_WRONLY, 0644, &user);
    cr_assert_geq(fd, 0);
    static char block[16384];
    ssize_t n = 0, w;
    while ((w = write(fd, block, sizeof block)) > 0)
        n += w;
    cr_assert_eq(w, -1);
    cr_assert_eq(errno, ENOSPC);
    cr_assert_leq(n, 64 * 1024);
    cr_assert_geq(n, 32 * 1024);
    close(fd);
    /* A copy-up that does not fit fails the same way. */
    cr_assert_eq(xopen("/usr/bin/ls", O_WRONLY, 0, &root), -ENOSPC);
    cr_assert_eq(xunlink("/tmp/big", 0, &user), 0);
}

/* Export in one session, import into a fresh one: the overlay's state
 * (copy-ups, whiteouts, an opaque directory) and plain memory files. */
Test(fs_overlay, export_import_round_trip)
{
    char tar[] = "/tmp/cordon-export-XXXXXX";
    int tfd = mkstemp(tar);
    cr_assert_geq(tfd, 0);
    close(tfd);
    make_file("/usr/local/new-file", "upper", 0640, &root);
    cr_assert_eq(vfs_chownat(v, vfs_root(v), "/usr/local/new-file", 1000, 1000, 0, &root), 0);
    int fd = xopen("/usr/bin/env", O_WRONLY | O_TRUNC, 0, &root);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "patched", 7), 7);
    close(fd);
    cr_assert_eq(xunlink("/usr/bin/ls", 0, &root), 0);
    cr_assert_eq(nftw("/usr/share/doc/bash", rm_guest, 16, FTW_DEPTH | FTW_PHYS), 0);
    cr_assert_eq(xmkdir("/usr/share/doc/bash", 0700, &root), 0);
    make_file("/usr/share/doc/bash/only", "o", 0644, &root);
    cr_assert_eq(xmkdir("/home/user/d", 0750, &user), 0);
    make_file("/home/user/d/f", "data", 0600, &user);
    cr_assert_eq(vfs_linkat(v, vfs_root(v), "/home/user/d/f", vfs_root(v), "/home/user/h", false, &user), 0);
    cr_assert_eq(vfs_symlinkat(v, "d/f", vfs_root(v), "/home/user/l", &user), 0);
    struct timespec ts[2] = {{1000, 0}, {2000, 0}};
    cr_assert_eq(vfs_utimensat(v, vfs_root(v), "/home/user/d/f", ts, 0, &user), 0);
    struct err e = {0};
    cr_assert_eq(vfs_export(v, tar, &e), 0, "export: %s", e.msg);

    fs_teardown();
    fs_setup();
    cr_assert_eq(vfs_import(v, tar, &e), 0, "import: %s", e.msg);
    unlink(tar);
    char buf[64];
    read_file("/usr/local/new-file", buf, sizeof buf);
    cr_assert_str_eq(buf, "upper");
    read_file("/usr/bin/env", buf, sizeof buf);
    cr_assert_str_eq(buf, "patched");
    struct stat st;
    cr_assert_eq(xstat("/usr/local/new-file", &st), 0);
    cr_assert_eq(st.st_uid, 1000u);
    cr_assert_eq(st.st_mode & 07777, 0640u);
    cr_assert_eq(xstat("/usr/bin/ls", &st), -ENOENT);
    int total;
    cr_assert_eq(listed("/usr/bin", "ls", &total), 0);
    cr_assert_eq(listed("/usr/share/doc/bash", "copyright", &total), 0);
    cr_assert_eq(listed("/usr/share/doc/bash", "only", &total), 1);
    cr_assert_eq(total, 3);
    cr_assert_eq(xstat("/usr/share/doc/bash", &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0700u);
    read_file("/home/user/l", buf, sizeof buf);
    cr_assert_str_eq(buf, "data");
    struct stat a, b;
    cr_assert_eq(xstat("/home/user/d/f", &a), 0);
    cr_assert_eq(xstat("/home/user/h", &b), 0);
    cr_assert_eq(a.st_ino, b.st_ino);
    cr_assert_eq(a.st_mtim.tv_sec, 2000);
    cr_assert_eq(a.st_mode & 07777, 0600u);
    cr_assert_eq(xstat("/home/user/d", &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0750u);
    cr_assert_eq(stat("/usr/bin/ls", &st), 0, "the host lost a file");
}

static void write_tar(const char *path, const char *name, int type, const char *link)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *en = archive_entry_new();
    archive_entry_set_pathname(en, name);
    archive_entry_set_filetype(en, (unsigned)type);
    archive_entry_set_perm(en, 0644);
    if (link)
        archive_entry_set_hardlink(en, link);
    cr_assert_eq(archive_write_header(a, en), ARCHIVE_OK);
    archive_entry_free(en);
    archive_write_close(a);
    archive_write_free(a);
}

Test(fs_overlay, import_refuses_unsafe_members)
{
    static const struct {
        const char *name, *link, *why;
        int type;
    } bad[] = {
        {"/etc/evil", NULL, "absolute", AE_IFREG},
        {"home/../../x", NULL, "\"..\"", AE_IFREG},
        {"home/user/h", "../../etc/shadow", "\"..\"", AE_IFREG},
        {"dev/sda", NULL, "devices", AE_IFBLK},
        {"tmp/fifo", NULL, "FIFOs", AE_IFIFO},
    };
    char tar[] = "/tmp/cordon-import-XXXXXX";
    int tfd = mkstemp(tar);
    cr_assert_geq(tfd, 0);
    close(tfd);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        write_tar(tar, bad[k].name, bad[k].type, bad[k].link);
        struct err e = {0};
        cr_assert_eq(vfs_import(v, tar, &e), -1, "%s was imported", bad[k].name);
        cr_assert(strstr(e.msg, bad[k].name) || (bad[k].link && strstr(e.msg, bad[k].link)),
                  "message lacks the member: %s", e.msg);
        cr_assert(strstr(e.msg, bad[k].why), "message lacks why: %s", e.msg);
    }
    struct err e = {0};
    cr_assert_eq(vfs_import(v, "/nonexistent/x.tar", &e), -1);
    unlink(tar);
}
