/* What the guest must not see or touch: host secrets and directories, the
 * host environment, the host disk. */
#include "tests/integration/harness.h"

#include <ftw.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

TestSuite(isolation, .timeout = 90);

static void assert_unreadable(const char *script)
{
    RUN(r);
    run_sh(&r, NULL, script);
    cr_assert_neq(r.status, 0, "`%s` succeeded in the guest" RUN_CONTEXT, script, RUN_CONTEXT_ARGS(&r));
    assert_out(&r, "");
}

Test(isolation, etc_shadow)
{
    assert_unreadable("cat /etc/shadow");
}

Test(isolation, root_home)
{
    assert_unreadable("ls /root");
}

Test(isolation, proc_of_host_init)
{
    assert_unreadable("cat /proc/1/environ");
}

Test(isolation, work_tree)
{
    assert_unreadable("ls /work");
}

Test(isolation, runtime_layer_is_read_only)
{
    assert_unreadable("touch /usr/bin/cordon-was-here && echo wrote");
}

Test(isolation, only_the_guest_user_has_a_home)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/bin/ls", "-A", "/home"));
    assert_run(&r, 0, "user\n");
}

Test(isolation, synthetic_passwd_and_identity)
{
    RUN(r);
    run_sh(&r, NULL, "grep '^user:' /etc/passwd | cut -d: -f1-3; id -u; id -un");
    assert_run(&r, 0, "user:x:1000\n1000\nuser\n");
}

Test(isolation, clean_environment)
{
    RUN(r);
    run_guest(&r, &(struct run_opts){.env = ARGV("CORDON_HOST_SECRET=hunter2-host", "TERM=xterm-cordon-test")},
              ARGV("/usr/bin/env"));
    assert_status(&r, 0);
    assert_lacks(&r, out, "hunter2-host");
    for (const char *const *v = ARGV("PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/user", "USER=user",
                                     "LANG=C.UTF-8", "TERM=xterm-cordon-test");
         *v; v++)
        assert_line(&r, out, *v);
}

/* Host-walk state: nftw's callback takes no context pointer. */
static const char *walk_tag;
static char walk_found[4096];
static struct walk_dev {
    dev_t dev;
    bool skip;
} walk_devs[64];
static size_t walk_ndevs;

/* A guest file could only land on a writable, disk- or memory-backed
 * filesystem; proc, sysfs, cgroupfs and read-only mounts cannot hold one,
 * and walking them is slow or endless. Decided once per device. */
static bool skip_device(const char *path, dev_t dev)
{
    for (size_t i = 0; i < walk_ndevs; i++)
        if (walk_devs[i].dev == dev)
            return walk_devs[i].skip;
    struct statfs fs;
    struct statvfs vfs;
    bool skip = statfs(path, &fs) != 0 || statvfs(path, &vfs) != 0 || (vfs.f_flag & ST_RDONLY) ||
                fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC || fs.f_type == CGROUP_SUPER_MAGIC ||
                fs.f_type == CGROUP2_SUPER_MAGIC || fs.f_type == DEVPTS_SUPER_MAGIC;
    if (walk_ndevs < sizeof walk_devs / sizeof walk_devs[0])
        walk_devs[walk_ndevs++] = (struct walk_dev){dev, skip};
    return skip;
}

static int walk_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_D && skip_device(path, st->st_dev))
        return FTW_SKIP_SUBTREE;
    if (strstr(path + ftw->base, walk_tag)) {
        snprintf(walk_found, sizeof walk_found, "%s", path);
        return FTW_STOP;
    }
    return FTW_CONTINUE;
}

Test(isolation, guest_files_never_reach_host_disk)
{
    char tag[17], script[512];
    random_tag(tag);
    snprintf(script, sizeof script,
             "echo %s > /tmp/marker-%s && echo %s > /home/user/x-%s && mkdir /var/tmp/dir-%s &&"
             "cat /tmp/marker-%s /home/user/x-%s",
             tag, tag, tag, tag, tag, tag, tag);
    RUN(r);
    run_sh(&r, NULL, script);
    char want[64];
    snprintf(want, sizeof want, "%s\n%s\n", tag, tag);
    /* The guest must have written them, or the search below proves nothing. */
    assert_run(&r, 0, want);

    walk_tag = tag;
    nftw("/", walk_visit, 32, FTW_PHYS | FTW_ACTIONRETVAL);
    cr_assert_str_empty(walk_found, "a guest file reached the host: %s", walk_found);
}

/* cordon must work for an ordinary user too: then the guest runs as that
 * user on the host. As root, the test drops to nobody for the whole run. */
Test(isolation, works_unprivileged)
{
    if (geteuid() != 0)
        cr_skip_test("already unprivileged: the rest of the suite covers it");
    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is missing: cannot drop to nobody");
    RUN(r);
    run_cmd(&r, NULL,
            ARGV("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 "--reset-env", cordon_path(), "run", "--", "/bin/sh", "-c",
                 "id -u; echo kept > /tmp/f; cat /tmp/f; ls /root >/dev/null 2>&1 || echo no-root"));
    if (r.status == 126 || strstr(r.err, "Permission denied"))
        cr_skip_test("nobody cannot reach %s (checkout not world-readable)", cordon_path());
    assert_run(&r, 0, "1000\nkept\nno-root\n");
}
