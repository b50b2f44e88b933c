/* The memory layer seen from a real guest: its quotas (--disk, --inodes:
 * native writes hit ENOSPC, not only the calls the sentry services) and
 * its export/import between sessions. */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <unistd.h>

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

/* A backend keeps a user's files between turns: session 1 exports, session
 * 2 imports and carries on. */
Test(overlay, export_then_import)
{
    char tar[64], tag[17];
    random_tag(tag);
    snprintf(tar, sizeof tar, "/tmp/cordon-test-%s.tar", tag);
    RUN(r1);
    const char *const export_opts[] = {"--export-fs", tar, NULL};
    run_sh(&r1, &(struct run_opts){.cordon_opts = export_opts},
           "mkdir -p ~/proj/src && echo 'int main(void){return 0;}' > ~/proj/src/m.c &&"
           "ln -s src/m.c ~/proj/link && chmod 751 ~/proj && echo gone > ~/proj/tmp &&"
           "rm ~/proj/tmp && touch -d 2001-02-03 ~/proj/src/m.c && echo t > /tmp/scratch");
    assert_run(&r1, 0, "");
    RUN(r2);
    const char *const import_opts[] = {"--import-fs", tar, NULL};
    run_sh(&r2, &(struct run_opts){.cordon_opts = import_opts},
           "cat ~/proj/link; stat -c '%a %U' ~/proj; date -u -r ~/proj/src/m.c +%F;"
           "ls ~/proj; cat /tmp/scratch");
    unlink(tar);
    assert_run(&r2, 0, "int main(void){return 0;}\n751 user\n2001-02-03\nlink\nsrc\nt\n");
}

Test(overlay, import_refuses_absolute_names)
{
    char tar[64], tag[17];
    random_tag(tag);
    snprintf(tar, sizeof tar, "/tmp/cordon-test-%s.tar", tag);
    RUN(mk);
    run_cmd(&mk, NULL, ARGV("tar", "-cPf", tar, "/etc/hostname"));
    assert_status(&mk, 0);
    RUN(r);
    const char *const opts[] = {"--import-fs", tar, NULL};
    run_guest(&r, &(struct run_opts){.cordon_opts = opts}, ARGV("/bin/true"));
    unlink(tar);
    assert_status(&r, 125);
    assert_contains(&r, err, "member /etc/hostname: absolute names are refused");
}

Test(overlay, export_to_a_bad_path_fails_loudly)
{
    RUN(r);
    const char *const opts[] = {"--export-fs", "/nonexistent-dir/out.tar", NULL};
    run_guest(&r, &(struct run_opts){.cordon_opts = opts}, ARGV("/bin/true"));
    assert_status(&r, 125);
    assert_contains(&r, err, "--export-fs /nonexistent-dir/out.tar");
}
