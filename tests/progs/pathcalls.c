/* Exercises the path calls beyond open/stat: openat2's RESOLVE_* scoping and
 * its argument checks, O_TMPFILE, user.* and other xattr namespaces,
 * fallocate, statx. Run as `pathcalls DIR`: it works in a fresh directory
 * DIR (which must not exist) and prints "name result" lines, where result
 * is OK, a value, or the errno's name — never a path or a number that
 * differs between machines.
 *
 * The lines before "--" must be the same natively (on tmpfs, unprivileged:
 * run as root, it drops to nobody first) and under cordon; the lines after
 * it describe cordon's own tree and are checked by the test alone. */

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static void report(const char *name, long r)
{
    if (r < 0)
        printf("%s %s\n", name, strerrorname_np(errno));
    else
        printf("%s OK\n", name);
}

static void value(const char *name, long r)
{
    if (r < 0)
        printf("%s %s\n", name, strerrorname_np(errno));
    else
        printf("%s %ld\n", name, r);
}

#define TRY(name, call) report(name, (long)(call))
#define VAL(name, call) value(name, (long)(call))

static long openat2_(int dirfd, const char *path, uint64_t flags, uint64_t mode,
                     uint64_t resolve)
{
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* An openat2 that must land on `want` (an fd), or its errno. */
static void scoped(const char *name, int dirfd, const char *path, uint64_t resolve, int want)
{
    int fd = (int)openat2_(dirfd, path, O_PATH, 0, resolve);
    if (fd < 0) {
        report(name, -1);
        return;
    }
    struct stat a, b;
    fstat(fd, &a);
    fstat(want, &b);
    printf("%s %s\n", name, a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "there" : "elsewhere");
    close(fd);
}

static void openat2_args(void)
{
    struct {
        struct open_how how;
        uint64_t extra;
    } big = {{.flags = O_RDONLY}, 0};
    TRY("openat2_size0", syscall(SYS_openat2, AT_FDCWD, ".", &big, 0));
    TRY("openat2_size23", syscall(SYS_openat2, AT_FDCWD, ".", &big, 23));
    TRY("openat2_size_page", syscall(SYS_openat2, AT_FDCWD, ".", &big, 4097));
    TRY("openat2_null_how", syscall(SYS_openat2, AT_FDCWD, ".", NULL, 24));
    TRY("openat2_bigger_zero", syscall(SYS_openat2, AT_FDCWD, ".", &big, sizeof big));
    big.extra = 1;
    TRY("openat2_bigger_nonzero", syscall(SYS_openat2, AT_FDCWD, ".", &big, sizeof big));
    TRY("openat2_high_flags", openat2_(AT_FDCWD, ".", 1ull << 40, 0, 0));
    TRY("openat2_bad_resolve", openat2_(AT_FDCWD, ".", 0, 0, 1ull << 10));
    TRY("openat2_beneath_in_root", openat2_(AT_FDCWD, ".", 0, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
    TRY("openat2_mode_no_creat", openat2_(AT_FDCWD, ".", 0, 0600, 0));
    TRY("openat2_mode_too_big", openat2_(AT_FDCWD, "newfile", O_CREAT | O_WRONLY, 010000, 0));
    TRY("openat2_path_rdwr", openat2_(AT_FDCWD, ".", O_PATH | O_RDWR, 0, 0));
    TRY("openat2_creat_directory", openat2_(AT_FDCWD, "x", O_CREAT | O_DIRECTORY, 0600, 0));
    TRY("openat2_cached_creat", openat2_(AT_FDCWD, "c", O_CREAT | O_WRONLY, 0600, RESOLVE_CACHED));
    TRY("openat2_cached_trunc", openat2_(AT_FDCWD, "a/f", O_TRUNC | O_WRONLY, 0, RESOLVE_CACHED));
    TRY("openat2_creat", openat2_(AT_FDCWD, "newfile", O_CREAT | O_WRONLY, 0600, 0));
}

static void openat2_scopes(void)
{
    int a = open("a", O_PATH | O_DIRECTORY), b = open("a/b", O_PATH | O_DIRECTORY);
    int top = open(".", O_PATH | O_DIRECTORY);
    scoped("beneath_child", a, "b", RESOLVE_BENEATH, b);
    scoped("beneath_down_up", a, "b/../b", RESOLVE_BENEATH, b);
    scoped("beneath_dotdot", a, "../a/b", RESOLVE_BENEATH, b);
    scoped("beneath_absolute", a, "/", RESOLVE_BENEATH, b);
    scoped("beneath_link_up", a, "up/a", RESOLVE_BENEATH, b);
    scoped("beneath_link_abs", a, "abs", RESOLVE_BENEATH, b);
    scoped("beneath_link_rel", a, "rel", RESOLVE_BENEATH, b);
    scoped("in_root_dotdot", a, "../../../b", RESOLVE_IN_ROOT, b);
    scoped("in_root_absolute", a, "/b", RESOLVE_IN_ROOT, b);
    scoped("in_root_link_abs", a, "abs", RESOLVE_IN_ROOT, b);
    scoped("in_root_link_up", a, "up", RESOLVE_IN_ROOT, a);
    scoped("plain_link_abs", a, "abs", 0, b);
    scoped("plain_link_up", a, "up", 0, top);
    scoped("no_symlinks_link", a, "rel", RESOLVE_NO_SYMLINKS, b);
    scoped("no_symlinks_mid", a, "rel/..", RESOLVE_NO_SYMLINKS, a);
    scoped("no_symlinks_plain", a, "b", RESOLVE_NO_SYMLINKS, b);
    TRY("no_symlinks_nofollow", openat2_(a, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS));
    scoped("no_xdev_same", a, "b/..", RESOLVE_NO_XDEV, a);
    scoped("no_magic_plain", a, "rel", RESOLVE_NO_MAGICLINKS, b);
    scoped("cached_plain", a, "b", RESOLVE_CACHED, b);
    TRY("beneath_bad_dirfd", openat2_(999, "/", O_PATH, 0, RESOLVE_BENEATH));
    TRY("beneath_creat", openat2_(a, "b/new", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH));
    TRY("beneath_creat_out", openat2_(a, "../new2", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH));
    TRY("beneath_creat_out_absent", access("new2", F_OK));
    close(a);
    close(b);
    close(top);
}

static void tmpfiles(void)
{
    int fd = open(".", O_TMPFILE | O_RDWR, 0640);
    TRY("tmpfile", fd);
    TRY("tmpfile_write", write(fd, "hello", 5));
    struct stat st;
    TRY("tmpfile_fstat", fstat(fd, &st));
    printf("tmpfile_size %lld nlink %ld mode %o mine %d\n", (long long)st.st_size,
           (long)st.st_nlink, st.st_mode, st.st_uid == getuid());
    char buf[8] = "";
    VAL("tmpfile_pread", pread(fd, buf, sizeof buf, 0));
    TRY("tmpfile_fchmod", fchmod(fd, 0600));
    fstat(fd, &st);
    printf("tmpfile_mode %o\n", st.st_mode);
    TRY("tmpfile_fallocate", fallocate(fd, 0, 0, 10000));
    fstat(fd, &st);
    printf("tmpfile_allocated %lld\n", (long long)st.st_size);
    close(fd);
    TRY("tmpfile_rdonly", open(".", O_TMPFILE | O_RDONLY, 0600));
    TRY("tmpfile_no_directory", syscall(SYS_openat, AT_FDCWD, ".", 020000000 /* no O_DIRECTORY */ | O_RDWR, 0600));
    TRY("tmpfile_on_file", open("a/f", O_TMPFILE | O_RDWR, 0600));
    TRY("tmpfile_missing", open("nowhere", O_TMPFILE | O_RDWR, 0600));
    TRY("tmpfile_openat2", openat2_(AT_FDCWD, "a", O_TMPFILE | O_WRONLY, 0600, RESOLVE_BENEATH));
    TRY("tmpfile_openat2_mode", openat2_(AT_FDCWD, "a", O_TMPFILE | O_WRONLY, 070000, 0));
}

static void fallocate_calls(void)
{
    int fd = open("a/f", O_RDWR);
    TRY("fallocate", fallocate(fd, 0, 0, 8192));
    struct stat st;
    fstat(fd, &st);
    printf("fallocate_size %lld\n", (long long)st.st_size);
    TRY("fallocate_keep", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536));
    TRY("fallocate_punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    fstat(fd, &st);
    printf("fallocate_size2 %lld\n", (long long)st.st_size);
    TRY("fallocate_bad_len", fallocate(fd, 0, 0, 0));
    close(fd);
    fd = open("a/f", O_RDONLY);
    TRY("fallocate_rdonly", fallocate(fd, 0, 0, 4096));
    close(fd);
    ftruncate(open("a/f", O_WRONLY), 0);
}

static void xattrs(void)
{
    char buf[256];
    char big[65537];
    memset(big, 'x', sizeof big);
    char longname[300] = "user.";
    memset(longname + 5, 'n', 260);
    TRY("xattr_set", setxattr("a/f", "user.a", "v1", 2, 0));
    TRY("xattr_set_create_exists", setxattr("a/f", "user.a", "v2", 2, XATTR_CREATE));
    TRY("xattr_set_replace_absent", setxattr("a/f", "user.b", "v2", 2, XATTR_REPLACE));
    TRY("xattr_set_replace", setxattr("a/f", "user.a", "v22", 3, XATTR_REPLACE));
    TRY("xattr_set_create", setxattr("a/f", "user.b", "", 0, XATTR_CREATE));
    TRY("xattr_set_bad_flags", setxattr("a/f", "user.c", "v", 1, 4));
    TRY("xattr_set_empty_name", setxattr("a/f", "", "v", 1, 0));
    TRY("xattr_set_long_name", setxattr("a/f", longname, "v", 1, 0));
    TRY("xattr_set_too_big", setxattr("a/f", "user.big", big, sizeof big, 0));
    TRY("xattr_set_max", setxattr("a/f", "user.max", big, 65536, 0));
    TRY("xattr_set_unknown_ns", setxattr("a/f", "foo.bar", "v", 1, 0));
    TRY("xattr_set_no_ns", setxattr("a/f", "user.", "v", 1, 0));
    TRY("xattr_set_trusted", setxattr("a/f", "trusted.t", "v", 1, 0));
    TRY("xattr_set_security", setxattr("a/f", "security.s", "v", 1, 0));
    TRY("xattr_set_missing", setxattr("nowhere", "user.a", "v", 1, 0));
    VAL("xattr_get_size", getxattr("a/f", "user.a", NULL, 0));
    VAL("xattr_get_small", getxattr("a/f", "user.a", buf, 1));
    long n = getxattr("a/f", "user.a", buf, sizeof buf);
    printf("xattr_get %.*s\n", n > 0 ? (int)n : 0, buf);
    VAL("xattr_get_empty", getxattr("a/f", "user.b", buf, sizeof buf));
    VAL("xattr_get_max", getxattr("a/f", "user.max", NULL, 0));
    VAL("xattr_get_absent", getxattr("a/f", "user.zz", buf, sizeof buf));
    VAL("xattr_get_trusted", getxattr("a/f", "trusted.t", buf, sizeof buf));
    VAL("xattr_get_security", getxattr("a/f", "security.s", buf, sizeof buf));
    VAL("xattr_get_unknown_ns", getxattr("a/f", "foo.bar", buf, sizeof buf));
    VAL("xattr_get_empty_name", getxattr("a/f", "", buf, sizeof buf));
    VAL("xattr_list_size", listxattr("a/f", NULL, 0));
    VAL("xattr_list_small", listxattr("a/f", buf, 3));
    n = listxattr("a/f", buf, sizeof buf);
    printf("xattr_list");
    for (long k = 0; k < n; k += (long)strlen(buf + k) + 1)
        printf(" %s", buf + k);
    printf("\n");
    TRY("xattr_remove", removexattr("a/f", "user.a"));
    TRY("xattr_remove_again", removexattr("a/f", "user.a"));
    TRY("xattr_remove_trusted", removexattr("a/f", "trusted.t"));
    VAL("xattr_get_removed", getxattr("a/f", "user.a", buf, sizeof buf));
    TRY("xattr_dir_set", setxattr("a", "user.d", "dv", 2, 0));
    VAL("xattr_dir_get", getxattr("a", "user.d", buf, sizeof buf));
    TRY("xattr_link_set", lsetxattr("a/rel", "user.l", "v", 1, 0));
    VAL("xattr_link_get", lgetxattr("a/rel", "user.l", buf, sizeof buf));
    VAL("xattr_link_list", llistxattr("a/rel", buf, sizeof buf));
    VAL("xattr_through_link", getxattr("a/rel", "user.zz", buf, sizeof buf));
    int fd = open("a/f", O_RDONLY);
    TRY("xattr_fset", fsetxattr(fd, "user.fd", "fv", 2, 0));
    VAL("xattr_fget", fgetxattr(fd, "user.fd", buf, sizeof buf));
    VAL("xattr_flist_size", flistxattr(fd, NULL, 0));
    TRY("xattr_fremove", fremovexattr(fd, "user.fd"));
    close(fd);
    TRY("xattr_fget_bad_fd", fgetxattr(999, "user.fd", buf, sizeof buf));
    TRY("xattr_get_bad_buf", syscall(SYS_getxattr, "a/f", "user.max", (void *)8, 65536));
    fd = open(".", O_TMPFILE | O_RDWR, 0600);
    TRY("xattr_tmpfile_set", fsetxattr(fd, "user.t", "tv", 2, 0));
    VAL("xattr_tmpfile_get", fgetxattr(fd, "user.t", buf, sizeof buf));
    close(fd);
    chmod("a/f", 0444);
    TRY("xattr_set_readonly", setxattr("a/f", "user.ro", "v", 1, 0));
    chmod("a/f", 0200);
    VAL("xattr_get_unreadable", getxattr("a/f", "user.b", buf, sizeof buf));
    chmod("a/f", 0644);
}

static void statx_calls(void)
{
    struct statx x;
    TRY("statx", statx(AT_FDCWD, "a/f", 0, STATX_BASIC_STATS | STATX_BTIME, &x));
    printf("statx_basic %d btime %d mode %o nlink %u\n",
           (x.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, !!(x.stx_mask & STATX_BTIME),
           x.stx_mode, x.stx_nlink);
    TRY("statx_bad_mask", statx(AT_FDCWD, "a/f", 0, STATX__RESERVED, &x));
    TRY("statx_bad_flags", statx(AT_FDCWD, "a/f", 0x40000000, STATX_BASIC_STATS, &x));
    TRY("statx_sync_both", statx(AT_FDCWD, "a/f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
                                 STATX_BASIC_STATS, &x));
}

/* What only cordon's tree has: a runtime layer under the root's overlay,
 * /proc, /dev and its pts and shm mounted as in a container. */
static void cordon_only(void)
{
    printf("--\n");
    int root = open("/", O_PATH | O_DIRECTORY);
    TRY("no_xdev_into_runtime", openat2_(root, "usr/bin", O_PATH, 0, RESOLVE_NO_XDEV));
    TRY("no_xdev_out_of_runtime", openat2_(AT_FDCWD, "/usr/..", O_PATH, 0, RESOLVE_NO_XDEV));
    TRY("no_xdev_memory", openat2_(root, "tmp", O_PATH, 0, RESOLVE_NO_XDEV));
    TRY("no_xdev_into_proc", openat2_(root, "proc/self", O_PATH, 0, RESOLVE_NO_XDEV));
    TRY("no_xdev_into_dev", openat2_(root, "dev/null", O_PATH, 0, RESOLVE_NO_XDEV));
    int dev = open("/dev", O_PATH | O_DIRECTORY);
    TRY("no_xdev_in_dev", openat2_(dev, "null", O_PATH, 0, RESOLVE_NO_XDEV));
    TRY("no_xdev_into_dev_shm", openat2_(dev, "shm", O_PATH, 0, RESOLVE_NO_XDEV));
    TRY("tmpfile_runtime", open("/usr", O_TMPFILE | O_RDWR, 0600));
    TRY("xattr_runtime_set", setxattr("/usr/bin/env", "user.a", "v", 1, 0));
    VAL("xattr_runtime_get", getxattr("/usr/bin/env", "user.a", NULL, 0));
    struct statfs sf;
    statfs(".", &sf);
    printf("statfs_memory_tmpfs %d\n", sf.f_type == TMPFS_MAGIC);
    statfs("/usr", &sf);
    printf("statfs_runtime_rdonly %d\n", !!(sf.f_flags & ST_RDONLY));
    TRY("mknod_socket", mknod("sock", S_IFSOCK | 0600, 0));
    TRY("mknod_char", mknod("chr", S_IFCHR | 0600, makedev(1, 3)));
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: pathcalls DIR [--cordon]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mkdir(argv[1], 0777) < 0 || chmod(argv[1], 0777) < 0) {
        perror(argv[1]);
        return 1;
    }
    if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0)) {
        perror("dropping to nobody");
        return 1;
    }
    if (chdir(argv[1]) < 0 || mkdir("a", 0755) < 0 || mkdir("a/b", 0755) < 0 ||
        close(open("a/f", O_CREAT | O_WRONLY, 0644)) < 0 || symlink("..", "a/up") < 0 ||
        symlink("/b", "a/abs") < 0 || symlink("b", "a/rel") < 0) {
        perror("setting up");
        return 1;
    }
    openat2_args();
    openat2_scopes();
    tmpfiles();
    fallocate_calls();
    xattrs();
    statx_calls();
    if (argc == 3)
        cordon_only();
    return 0;
}
