/* The memory layer's quotas (--disk, --inodes) seen from a real guest:
 * native writes hit ENOSPC, not only the calls the sentry services. */
#include "tests/integration/harness.h"

TestSuite(overlay, .timeout = 60);

Test(overlay, disk_quota_stops_native_writes)
{
    RUN(r);
    const struct run_opts o = {.cordon_opts = ARGV("--disk", "1M")};
    /* dd writes natively on the fd the sentry installed: the kernel says
     * ENOSPC. Then the space is freed again by rm. */
    run_sh(&r, &o,
           "out=$(dd if=/dev/zero of=/tmp/big bs=64k count=64 2>&1); echo dd=$?;"
           "echo \"$out\" | grep -c 'No space left on device';"
           "s=$(stat -c %s /tmp/big); [ $s -le 1048576 ] && [ $s -ge 524288 ] && echo size-ok;"
           "rm /tmp/big && head -c 600000 /dev/zero > /tmp/again && echo again-ok");
    assert_run(&r, 0, "dd=1\n1\nsize-ok\nagain-ok\n");
}

Test(overlay, disk_quota_python_gets_enospc)
{
    RUN(r);
    const struct run_opts o = {.cordon_opts = ARGV("--disk", "256K")};
    run_guest(&r, &o, ARGV("/usr/bin/python3", "-c",
                           "import errno\n"
                           "try:\n"
                           "    with open('/tmp/f', 'wb') as f:\n"
                           "        for _ in range(100): f.write(b'x' * 65536); f.flush()\n"
                           "except OSError as e: print(errno.errorcode[e.errno])\n"));
    assert_run(&r, 0, "ENOSPC\n");
}

Test(overlay, inode_quota)
{
    RUN(r);
    const struct run_opts o = {.cordon_opts = ARGV("--inodes", "10")};
    run_sh(&r, &o,
           "mkdir /tmp/d; i=0; while touch /tmp/d/f$i 2>/tmp/err; do i=$((i+1)); done;"
           "echo $i; grep -c 'No space left on device' /tmp/err;"
           "rm /tmp/d/f0 && touch /tmp/d/again && echo again-ok");
    /* 10 = /tmp/d + /tmp/err + eight files. */
    assert_run(&r, 0, "8\n1\nagain-ok\n");
}

Test(overlay, quota_flags_are_checked)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("run", "--disk", "lots", "--", "/bin/true"));
    assert_status(&r, 2);
    assert_contains(&r, err, "--disk: not a size");
    RUN(r2);
    run_cordon_cli(&r2, NULL, ARGV("run", "--inodes", "1k", "--", "/bin/true"));
    assert_status(&r2, 2);
    assert_contains(&r2, err, "--inodes: not a positive count");
}
