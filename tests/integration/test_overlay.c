/* The memory layer seen from a real guest: its quotas (--disk, --inodes:
 * native writes hit ENOSPC, not only the calls the sentry services) and
 * its export/import between sessions. */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <sys/stat.h>
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

/* What a host file looks like from the host: size and mtime. */
static void host_fingerprint(const char *path, char *buf, size_t size)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "host %s", path);
    snprintf(buf, size, "%lld %lld", (long long)st.st_size, (long long)st.st_mtime);
}

static const char *const AS_ROOT[] = {"--root", NULL};

/* A pip-like edit of the runtime's python: the stdlib file changes for the
 * session only; a new module lands in dist-packages. */
Test(overlay, root_edits_runtime_python_in_memory_only)
{
    const char *mod = "/usr/lib/python3.11/string.py";
    char before[64], after[64];
    host_fingerprint(mod, before, sizeof before);
    RUN(r);
    run_guest(&r, &(struct run_opts){.cordon_opts = AS_ROOT},
              ARGV("/usr/bin/python3", "-c",
                   "import os\n"
                   "p = '/usr/lib/python3.11/string.py'\n"
                   "st = os.stat(p)\n"
                   "with open(p, 'a') as f: f.write('\\nCORDON_PATCHED = 42\\n')\n"
                   "with open('/usr/lib/python3/dist-packages/cordon_probe.py', 'w') as f:\n"
                   "    f.write('VALUE = \"probe\"\\n')\n"
                   "import string, cordon_probe\n"
                   "print(string.CORDON_PATCHED, cordon_probe.VALUE, oct(os.stat(p).st_mode))\n"
                   "print(os.stat(p).st_size > st.st_size, os.stat(p).st_uid)\n"));
    assert_run(&r, 0, "42 probe 0o100644\nTrue 0\n");
    host_fingerprint(mod, after, sizeof after);
    cr_assert_str_eq(after, before, "the host's %s changed", mod);
    struct stat st;
    cr_assert_eq(stat("/usr/lib/python3/dist-packages/cordon_probe.py", &st), -1,
                 "written to the host");
}

Test(overlay, root_deletes_a_runtime_file)
{
    char before[64], after[64];
    host_fingerprint("/usr/bin/tr", before, sizeof before);
    RUN(r);
    run_sh(&r, &(struct run_opts){.cordon_opts = AS_ROOT},
           "rm /usr/bin/tr && echo removed; ls /usr/bin | grep -cx tr;"
           "ls /usr/bin | sort | uniq -d | wc -l; [ -e /usr/bin/tr ] || echo gone;"
           "cp /usr/bin/true /usr/local/bin/t2 && /usr/local/bin/t2 && echo copied-binary-runs;"
           "mv /usr/local/share /usr/local/share2 && ls -d /usr/local/share* ");
    assert_run(&r, 0, "removed\n0\n0\ngone\ncopied-binary-runs\n/usr/local/share2\n");
    host_fingerprint("/usr/bin/tr", after, sizeof after);
    cr_assert_str_eq(after, before);
    struct stat st;
    cr_assert_eq(stat("/usr/local/share", &st), 0, "the host lost /usr/local/share");
}

Test(overlay, export_import_keeps_runtime_changes)
{
    char tar[64], tag[17];
    random_tag(tag);
    snprintf(tar, sizeof tar, "/tmp/cordon-test-%s.tar", tag);
    RUN(r1);
    const char *const o1[] = {"--root", "--export-fs", tar, NULL};
    run_sh(&r1, &(struct run_opts){.cordon_opts = o1},
           "echo tool > /usr/local/bin/mytool && chmod 755 /usr/local/bin/mytool &&"
           "rm /usr/bin/tr && echo '# patched' >> /usr/share/doc/bash/copyright");
    assert_run(&r1, 0, "");
    RUN(r2);
    const char *const o2[] = {"--import-fs", tar, NULL};
    run_sh(&r2, &(struct run_opts){.cordon_opts = o2},
           "cat /usr/local/bin/mytool; stat -c %a /usr/local/bin/mytool;"
           "[ -e /usr/bin/tr ] || echo tr-gone; tail -n1 /usr/share/doc/bash/copyright");
    unlink(tar);
    assert_run(&r2, 0, "tool\n755\ntr-gone\n# patched\n");
}

/* Without the right to mount, the quota tmpfs comes from a user namespace
 * of the sentry's own: the limit holds all the same. */
Test(overlay, disk_quota_unprivileged)
{
    if (geteuid() != 0)
        cr_skip_test("already unprivileged: disk_quota_stops_native_writes covers it");
    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is missing: cannot drop to nobody");
    RUN(r);
    run_cmd(&r, NULL,
            ARGV("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 "--reset-env", cordon_path(), "run", "--disk", "1M", "--", "/bin/sh", "-c",
                 "dd if=/dev/zero of=/tmp/big bs=64k count=64 2>&1 | grep -c 'No space left';"
                 "stat -c %s /tmp/big"));
    if (r.status == 126 || strstr(r.err, "Permission denied"))
        cr_skip_test("nobody cannot reach %s (checkout not world-readable)", cordon_path());
    assert_run(&r, 0, "1\n1048576\n");
}
