/* fs/procfs.c against a fake provider: the tree, the numbered entries, the
 * magic links' jumps and the snapshots, without a sentry or a guest. The
 * fake "process" 7 has threads 7 and 8, fd 0 (the read end of a pipe) and
 * fd 3 (a directory of the session, /tmp/a/b). */
#include "tests/unit/test_fs_fixture.h"

#include <dirent.h>
#include <stdlib.h>

#include "fs/procfs.h"

static int pipe_fds[2] = {-1, -1};
static int dir_fd = -1;

static int fake_self(void *ctx, pid_t *tgid, pid_t *tid)
{
    (void)ctx;
    *tgid = 7;
    *tid = 8;
    return 0;
}

static pid_t fake_tgid_of(void *ctx, pid_t tid)
{
    (void)ctx;
    return tid == 7 || tid == 8 ? 7 : -ESRCH;
}

static ssize_t fake_list(void *ctx, enum proc_list what, pid_t tgid, int *out, size_t n)
{
    (void)ctx;
    static const int pids[] = {7}, tids[] = {7, 8}, fds[] = {0, 3};
    const int *l = what == PROC_PIDS ? pids : what == PROC_TIDS ? tids : fds;
    size_t len = what == PROC_PIDS ? 1 : 2;
    if (what != PROC_PIDS && tgid != 7)
        return -ESRCH;
    for (size_t k = 0; k < len && k < n; k++)
        out[k] = l[k];
    return (ssize_t)len;
}

static int fake_fd_get(void *ctx, pid_t tgid, int fd)
{
    (void)ctx;
    int h = tgid != 7 ? -1 : fd == 0 ? dup(pipe_fds[0]) : fd == 3 ? dup(dir_fd) : -1;
    return h < 0 ? -ENOENT : h;
}

static int fake_cwd(void *ctx, pid_t tid, struct inode **out)
{
    (void)ctx;
    (void)tid;
    return vfs_lookupat(v, vfs_root(v), "/home/user", 0, &user, out);
}

static int fake_exe(void *ctx, pid_t tgid, struct inode **out)
{
    (void)ctx;
    (void)tgid;
    (void)out;
    return -ENOENT;
}

static int fake_show(void *ctx, const char *what, pid_t tgid, pid_t tid, int fd, FILE *out)
{
    (void)ctx;
    fprintf(out, "%s %d %d %d\n", what, (int)tgid, (int)tid, fd);
    return 0;
}

static const struct proc_ops fake = {
    .self = fake_self, .tgid_of = fake_tgid_of, .list = fake_list, .fd_get = fake_fd_get,
    .cwd = fake_cwd, .exe = fake_exe, .show = fake_show,
};

static void setup(void)
{
    fs_setup();
    vfs_set_proc(v, &fake, NULL);
    cr_assert_eq(pipe(pipe_fds), 0);
    cr_assert_eq(xmkdir("/tmp/a", 0755, &user), 0);
    cr_assert_eq(xmkdir("/tmp/a/b", 0755, &user), 0);
    dir_fd = xopen("/tmp/a/b", O_RDONLY | O_DIRECTORY, 0, &user);
    cr_assert_geq(dir_fd, 0);
}

static void teardown(void)
{
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(dir_fd);
    fs_teardown();
}

TestSuite(fs_proc, .init = setup, .fini = teardown);

static const char *link_text(const char *path)
{
    static char buf[PATH_MAX];
    ssize_t n = vfs_readlinkat(v, vfs_root(v), path, &user, buf, sizeof buf - 1);
    if (n < 0)
        return strerror((int)-n);
    buf[n] = 0;
    return buf;
}

/* The whole content of a /proc file, or the error opening it. */
static const char *content(const char *path)
{
    static char buf[4096];
    int fd = xopen(path, O_RDONLY, 0, &user);
    if (fd < 0)
        return strerror(-fd);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

Test(fs_proc, self_links_name_the_caller)
{
    cr_assert_str_eq(link_text("/proc/self"), "7");
    cr_assert_str_eq(link_text("/proc/thread-self"), "7/task/8");
    cr_assert_str_eq(link_text("/proc/mounts"), "self/mounts");
}

Test(fs_proc, files_are_snapshots_of_the_provider)
{
    cr_assert_str_eq(content("/proc/self/status"), "status 7 7 -1\n");
    cr_assert_str_eq(content("/proc/thread-self/stat"), "stat 7 8 -1\n");
    cr_assert_str_eq(content("/proc/7/fdinfo/3"), "fdinfo 7 7 3\n");
    cr_assert_str_eq(content("/proc/sys/kernel/ostype"), "sys/kernel/ostype 0 0 -1\n");
    cr_assert(strstr(content("/proc/self/mounts"), " /proc proc "));
}

Test(fs_proc, absent_numbers)
{
    struct stat st;
    cr_assert_eq(xstat("/proc/9", &st), -ENOENT);
    cr_assert_eq(xstat("/proc/7/task/9", &st), -ENOENT);
    cr_assert_eq(xstat("/proc/7/fd/4", &st), -ENOENT);
    cr_assert_eq(xstat("/proc/07", &st), -ENOENT);
    cr_assert_eq(xstat("/proc/7/task/8/task", &st), -ENOENT);
}

Test(fs_proc, fd_link_jumps_to_the_vfs_inode)
{
    struct stat a, viaproc, top, up;
    cr_assert_eq(xstat("/tmp/a", &a), 0);
    cr_assert_eq(xstat("/proc/7/fd/3/..", &viaproc), 0);
    cr_assert_eq(viaproc.st_ino, a.st_ino);
    cr_assert_eq(xstat("/", &top), 0);
    cr_assert_eq(xstat("/proc/self/fd/3/../../../../../..", &up), 0);
    cr_assert_eq(up.st_ino, top.st_ino);
    cr_assert_str_eq(link_text("/proc/7/fd/3"), "/tmp/a/b");
    cr_assert_str_eq(link_text("/proc/7/cwd"), "/home/user");
    cr_assert_str_eq(link_text("/proc/7/root"), "/");
    cr_assert_str_eq(link_text("/proc/7/exe"), strerror(ENOENT));
}

Test(fs_proc, foreign_fd_reopens_the_object_with_no_more_access)
{
    cr_assert_eq(write(pipe_fds[1], "hi", 2), 2);
    cr_assert(!strncmp(link_text("/proc/7/fd/0"), "pipe:[", 6));
    cr_assert_eq(xopen("/proc/7/fd/0", O_WRONLY, 0, &user), -EACCES);
    int fd = xopen("/proc/7/fd/0", O_RDONLY, 0, &user);
    cr_assert_geq(fd, 0);
    char buf[4] = "";
    cr_assert_eq(read(fd, buf, sizeof buf), 2);
    cr_assert_eq(memcmp(buf, "hi", 2), 0);
    close(fd);
    struct stat st;
    cr_assert_eq(xstat("/proc/7/fd/0/x", &st), -ENOTDIR);
}

Test(fs_proc, read_only)
{
    cr_assert_eq(xopen("/proc/7/status", O_WRONLY, 0, &user), -EACCES);
    cr_assert_eq(xopen("/proc/x", O_CREAT | O_WRONLY, 0644, &user), -EACCES);
    cr_assert_eq(xmkdir("/proc/7/fd/x", 0755, &user), -EACCES);
    cr_assert_eq(vfs_chmodat(v, vfs_root(v), "/proc/7/fd", 0777, 0, &user), -EPERM);
    cr_assert_eq(xunlink("/proc/7/fd/0", 0, &user), -EACCES);
}

/* The names getdents gives for a /proc directory, space-separated. */
static const char *listing(const char *path)
{
    static char names[4096];
    char buf[4096];
    int fd = xopen(path, O_RDONLY | O_DIRECTORY, 0, &user);
    cr_assert_geq(fd, 0);
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    struct inode *dir = vfs_inode_of(v, &st);
    cr_assert_not_null(dir);
    names[0] = 0;
    int64_t pos = 0;
    ssize_t n;
    /* A small buffer, so the listing resumes from its cookie many times. */
    while ((n = vfs_getdents(v, dir, &pos, buf, 64)) > 0)
        for (ssize_t off = 0; off < n;) {
            const char *name = buf + off + 19;
            strcat(names, name);
            strcat(names, " ");
            off += *(unsigned short *)(buf + off + 16);
        }
    cr_assert_eq(n, 0);
    close(fd);
    return names;
}

Test(fs_proc, listings)
{
    cr_assert(strstr(listing("/proc"), ". .. self thread-self "));
    cr_assert(strstr(listing("/proc"), " sys 7 "));
    cr_assert(strstr(listing("/proc/7/task"), " 7 8 "));
    cr_assert_str_eq(listing("/proc/7/fd"), ". .. 0 3 ");
}

Test(fs_proc, an_exited_process_is_forgotten)
{
    struct inode *fd_dir;
    cr_assert_eq(vfs_chdirat(v, vfs_root(v), "/proc/7/fd", &user, &fd_dir), 0);
    struct stat st;
    cr_assert_eq(vfs_statat(v, fd_dir, "3", VFS_NOFOLLOW, &user, &st), 0);
    char path[PATH_MAX];
    cr_assert_gt(vfs_dir_path(v, fd_dir, path, sizeof path), 0);
    cr_assert_str_eq(path, "/proc/7/fd");
    vfs_proc_forget(v, 7, 7);
    /* Held as a cwd, the directory lives on, removed. */
    cr_assert_eq(vfs_statat(v, fd_dir, "3", VFS_NOFOLLOW, &user, &st), -ENOENT);
    cr_assert_eq(vfs_dir_path(v, fd_dir, path, sizeof path), -ENOENT);
    inode_put(fd_dir);
    /* A new lookup builds the entries afresh. */
    cr_assert_str_eq(link_text("/proc/7/fd/3"), "/tmp/a/b");
}
