/* Throws malformed arguments at serviced calls: bad pointers, bad fds,
 * overlong paths, absurd lengths. Each must fail with the errno Linux gives
 * and the sentry must keep serving. Prints "name errno_name" per call and
 * "alive" at the end (after a last call that must still succeed). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long r)
{
    printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "OK");
}

#define TRY(name, call) report(name, (long)(call))

int main(void)
{
    /* A page that is mapped, then unmapped: a pointer to nowhere. */
    char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    /* A path that runs up to the end of a mapping with no NUL. */
    char *edge = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(edge + 4096, 4096);
    memset(edge, 'a', 4096);
    char *longpath = malloc(PATH_MAX + 100);
    memset(longpath, 'b', PATH_MAX + 99);
    longpath[PATH_MAX + 99] = '\0';
    char longname[300];
    memset(longname, 'c', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    struct stat st;

    TRY("open_null", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
    TRY("open_unmapped", syscall(SYS_openat, AT_FDCWD, gone, O_RDONLY));
    TRY("open_no_nul", syscall(SYS_openat, AT_FDCWD, edge, O_RDONLY));
    TRY("open_too_long", syscall(SYS_openat, AT_FDCWD, longpath, O_RDONLY));
    TRY("open_name_too_long", syscall(SYS_openat, AT_FDCWD, longname, O_RDONLY));
    TRY("open_empty", syscall(SYS_openat, AT_FDCWD, "", O_RDONLY));
    TRY("openat_bad_dirfd", syscall(SYS_openat, 999, "x", O_RDONLY));
    TRY("openat_neg_dirfd", syscall(SYS_openat, -5, "x", O_RDONLY));
    TRY("openat_file_dirfd", syscall(SYS_openat, 0, "x", O_RDONLY));
    TRY("stat_bad_buf", syscall(SYS_newfstatat, AT_FDCWD, "/tmp", (void *)1, 0));
    TRY("stat_bad_flags", syscall(SYS_newfstatat, AT_FDCWD, "/tmp", &st, 0x12345));
    TRY("fstat_bad_fd", syscall(SYS_fstat, 4242, &st));
    TRY("getdents_bad_fd", syscall(SYS_getdents64, 4242, gone, 4096));
    int d = open("/tmp", O_RDONLY | O_DIRECTORY);
    TRY("getdents_bad_buf", syscall(SYS_getdents64, d, gone, 4096));
    TRY("getdents_tiny_buf", syscall(SYS_getdents64, d, longname, 1));
    TRY("getdents_not_dir", syscall(SYS_getdents64, 0, longname, sizeof longname));
    TRY("getcwd_bad_buf", syscall(SYS_getcwd, gone, 4096));
    TRY("getcwd_small", syscall(SYS_getcwd, longname, 2));
    TRY("readlink_bad_buf", syscall(SYS_readlinkat, AT_FDCWD, "/bin", gone, 100));
    TRY("readlink_zero_len", syscall(SYS_readlinkat, AT_FDCWD, "/bin", longname, 0));
    TRY("readlink_not_link", syscall(SYS_readlinkat, AT_FDCWD, "/tmp", longname, 100));
    TRY("mkdir_unmapped", syscall(SYS_mkdirat, AT_FDCWD, gone, 0755));
    TRY("rename_unmapped", syscall(SYS_renameat2, AT_FDCWD, "/tmp", AT_FDCWD, gone, 0));
    TRY("rename_bad_flags", syscall(SYS_renameat2, AT_FDCWD, "/tmp/a", AT_FDCWD, "/tmp/b", 0x80));
    TRY("unlink_bad_flags", syscall(SYS_unlinkat, AT_FDCWD, "/tmp/a", 0x4000));
    TRY("symlink_empty_target", syscall(SYS_symlinkat, "", AT_FDCWD, "/tmp/l"));
    TRY("utimensat_bad_times", syscall(SYS_utimensat, AT_FDCWD, "/tmp", gone, 0));
    TRY("access_bad_mode", syscall(SYS_faccessat, AT_FDCWD, "/tmp", 0x80));
    TRY("chdir_file", syscall(SYS_chdir, "/etc/passwd"));
    TRY("fchdir_bad_fd", syscall(SYS_fchdir, 4242));
    TRY("truncate_negative", syscall(SYS_truncate, "/tmp", -1L));
    char *argv_bad[] = { "x", gone, NULL };
    TRY("execve_unmapped_path", syscall(SYS_execve, gone, NULL, NULL));
    TRY("execve_bad_argv", syscall(SYS_execve, "/bin/true", gone, NULL));
    TRY("execve_bad_argv_entry", syscall(SYS_execve, "/nonexistent", argv_bad, NULL));
    TRY("execve_dir", syscall(SYS_execve, "/tmp", NULL, NULL));
    TRY("still_serving", syscall(SYS_newfstatat, AT_FDCWD, "/tmp", &st, 0));
    puts("alive");
    return 0;
}
