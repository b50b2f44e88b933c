/* The path calls beyond open/stat — openat2 and its RESOLVE_* scopes,
 * O_TMPFILE, xattrs, fallocate, statx — answer as Linux does: the same
 * program (tests/progs/pathcalls) runs natively on a tmpfs and under cordon,
 * and every line it prints must be the same. Then what only cordon's tree
 * has (a runtime layer on a mount of its own, read-only). */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>

TestSuite(pathcalls, .timeout = 60);

/* The part of the output both sides must share. */
static char *common_part(const char *out)
{
    const char *end = strstr(out, "--\n");
    return strndup(out, end ? (size_t)(end - out) : strlen(out));
}

Test(pathcalls, same_answers_as_linux)
{
    char prog[512], dir[64], tag[17];
    random_tag(tag);
    snprintf(dir, sizeof dir, "/dev/shm/cordon-pathcalls-%s", tag);
    RUN(native);
    run_cmd(&native, NULL, ARGV(progs_path("pathcalls", prog, sizeof prog), dir));
    RUN(rm);
    run_cmd(&rm, NULL, ARGV("rm", "-rf", dir));
    assert_status(&native, 0);
    assert_line(&native, out, "tmpfile OK");

    RUN(r);
    run_prog(&r, NULL, "pathcalls", ARGV("/tmp/scratch", "--cordon"));
    assert_status(&r, 0);
    char *want = common_part(native.out), *got = common_part(r.out);
    cr_assert_str_eq(got, want, "answers differ from the host kernel's:\n%s" RUN_CONTEXT, want,
                     RUN_CONTEXT_ARGS(&r));
    free(want);
    free(got);
    /* Each runtime directory is a mount of its own; the memory layer one. */
    assert_line(&r, out, "no_xdev_into_runtime EXDEV");
    assert_line(&r, out, "no_xdev_out_of_runtime EXDEV");
    assert_line(&r, out, "no_xdev_memory OK");
    /* The runtime is under the memory overlay: writable where the host's
     * modes allow it (not for the guest user in root's /usr). */
    assert_line(&r, out, "tmpfile_runtime EACCES");
    assert_line(&r, out, "xattr_runtime_set EACCES");
    assert_line(&r, out, "xattr_runtime_get ENODATA");
    assert_line(&r, out, "statfs_memory_tmpfs 1");
    assert_line(&r, out, "statfs_runtime_rdonly 0");
    /* Devices need privilege; socket nodes are not served (Linux would
     * make one). */
    assert_line(&r, out, "mknod_char EPERM");
    assert_line(&r, out, "mknod_socket EPERM");
}

/* Python's tempfile.TemporaryFile takes the O_TMPFILE path when it works. */
Test(pathcalls, python_temporary_file)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("python3", "-c",
                             "import tempfile, os\n"
                             "with tempfile.TemporaryFile(dir='/tmp') as f:\n"
                             "    f.write(b'abc'); f.seek(0); print(f.read().decode())\n"
                             "    print(os.fstat(f.fileno()).st_nlink, tempfile._O_TMPFILE_WORKS)\n"
                             "print(os.listdir('/tmp'))\n"));
    assert_run(&r, 0, "abc\n0 True\n[]\n");
}
