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
    /* The overlay root is one mount, runtime included; /proc, /dev and
     * /dev/shm are mounts of their own. */
    assert_line(&r, out, "no_xdev_into_runtime OK");
    assert_line(&r, out, "no_xdev_out_of_runtime OK");
    assert_line(&r, out, "no_xdev_memory OK");
    assert_line(&r, out, "no_xdev_into_proc EXDEV");
    assert_line(&r, out, "no_xdev_into_dev EXDEV");
    assert_line(&r, out, "no_xdev_in_dev OK");
    assert_line(&r, out, "no_xdev_into_dev_shm EXDEV");
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

/* RESOLVE_NO_XDEV across a copied-up runtime directory (now a memory one)
 * and the runtime one below it: the same overlay mount, as before the
 * copy-up; /proc and /dev stay crossings. */
Test(pathcalls, no_xdev_through_copied_up_directories)
{
    const struct run_opts o = {
        .cordon_opts = ARGV("--root"),
        .stdin_data =
            "import ctypes, os\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "class How(ctypes.Structure):\n"
            "    _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64),\n"
            "                ('resolve', ctypes.c_uint64)]\n"
            "def openat2(path):\n"
            "    how = How(os.O_PATH, 0, 0x01)  # RESOLVE_NO_XDEV\n"
            "    fd = libc.syscall(437, -100, path.encode(), ctypes.byref(how), 24)\n"
            "    return 'OK' if fd >= 0 else os.strerror(ctypes.get_errno())\n"
            "for p in ('/usr/local/lib', '/proc/self'):\n"
            "    print(p, openat2(p))\n"
            "open('/usr/local/copied-up', 'w').close()\n"
            "for p in ('/usr/local/lib', '/usr/local', '/dev/null'):\n"
            "    print(p, openat2(p))\n",
    };
    RUN(r);
    run_guest(&r, &o, ARGV("python3", "-"));
    assert_run(&r, 0,
               "/usr/local/lib OK\n/proc/self Invalid cross-device link\n"
               "/usr/local/lib OK\n/usr/local OK\n/dev/null Invalid cross-device link\n");
}
