/* containerd driving cordon through its runc shim (io.containerd.runc.v2
 * with cordon as the runc binary), as a Kubernetes node would: a daemon
 * of the test's own (private root, state and socket), the busybox image
 * imported through podman's docker-archive, then ctr run with exit code,
 * stdout/stderr, a read-only bind mount, and a task kill reaching the
 * program's trap. Skips, saying why, without root, containerd or podman. */
#include "tests/integration/harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(containerd, .timeout = 120);

/* $0 the scratch dir, $1 cordon, $2 its platform: a daemon of its own and
 * the image, in a containerd namespace named after the dir (the runc shim
 * keeps its runtime's state in /run/containerd/runc/NAMESPACE whatever the
 * daemon's state dir: a shared name would meet another run's containers);
 * prints SKIP: REASON when something is missing. */
static const char SETUP[] =
    "set -e; d=$0; command -v containerd >/dev/null && command -v ctr >/dev/null ||"
    " { echo 'SKIP: containerd is not installed (Debian package containerd)'; exit 0; };"
    " command -v podman >/dev/null || { echo 'SKIP: podman (to build the image) is not"
    " installed'; exit 0; };"
    " [ -x /bin/busybox ] || { echo 'SKIP: no /bin/busybox (busybox-static)'; exit 0; };"
    " printf 'version = 2\\nroot = \"%s/root\"\\nstate = \"%s/state\"\\n[grpc]\\n"
    "  address = \"%s/sock\"\\n[plugins.\"io.containerd.grpc.v1.cri\"]\\n"
    "  disable_tcp_service = true\\n' $d $d $d > $d/config.toml;"
    " setsid containerd --config $d/config.toml >$d/log 2>&1 </dev/null & echo $! > $d/pid;"
    " printf '#!/bin/sh\\nexec %s --platform=%s \"$@\"\\n' \"$1\" \"$2\" > $d/runc; chmod +x $d/runc;"
    " mkdir -p $d/img/bin $d/vol; cp /bin/busybox $d/img/bin/;"
    " for a in sh echo cat sleep; do ln -s busybox $d/img/bin/$a; done; echo vol > $d/vol/f;"
    " tar -C $d/img -cf $d/img.tar .; n=localhost/cordon-ctd-$(basename $d | tr A-Z a-z);"
    " podman import -q $d/img.tar $n >/dev/null; podman save -q --format docker-archive"
    " -o $d/image.tar $n >/dev/null; podman rmi -f $n >/dev/null;"
    " i=0; until ctr -a $d/sock version >/dev/null 2>&1; do"
    " i=$((i+1)); [ $i -lt 100 ] || { echo 'SKIP: containerd did not start:'; tail -3 $d/log; exit 0; };"
    " sleep 0.1; done;"
    " ctr -a $d/sock -n $(basename $d | tr A-Z a-z) images import $d/image.tar >/dev/null;"
    " echo $n:latest";

static void teardown_daemon(const char *dir)
{
    char script[512];
    snprintf(script, sizeof script,
             "d=%s; kill $(cat $d/pid) 2>/dev/null; i=0; while kill -0 $(cat $d/pid) 2>/dev/null "
             "&& [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
             "grep -o \"$d/[^ ]*\" /proc/mounts | sort -r | xargs -r umount -l; rm -rf $d; "
             "rmdir /run/containerd/runc/$(basename $d | tr A-Z a-z) 2>/dev/null",
             dir);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", script));
}

Test(containerd, ctr_run_exit_codes_bind_mount_and_kill)
{
    if (geteuid() != 0)
        cr_skip_test("containerd tests need root (a containerd daemon of their own)");
    char dir[] = "/tmp/cordon-ctd-XXXXXX", cordon[PATH_MAX];
    cr_assert(mkdtemp(dir));
    cr_assert(realpath(cordon_path(), cordon));
    const char *p = platform_under_test();
    RUN(s);
    run_cmd(&s, &(struct run_opts){ .timeout_s = 60 },
            ARGV("/bin/sh", "-c", SETUP, dir, cordon, p ? p : "auto"));
    if (s.status != 0 || !strncmp(s.out, "SKIP: ", 6)) {
        teardown_daemon(dir);
        if (s.status == 0)
            cr_skip_test("%s", s.out + 6);
        cr_assert_fail("containerd setup failed" RUN_CONTEXT, RUN_CONTEXT_ARGS(&s));
    }
    char image[128];
    snprintf(image, sizeof image, "%.*s", (int)strcspn(s.out, "\n"), s.out);
    char ns[32], ctl[128], ctr[256], mnt[PATH_MAX + 64];
    snprintf(ns, sizeof ns, "%s", strrchr(dir, '/') + 1);
    for (char *c = ns; *c; c++)
        *c = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
    snprintf(ctl, sizeof ctl, "ctr -a %s/sock -n %s", dir, ns);
    snprintf(ctr, sizeof ctr, "%s run --rm --runtime io.containerd.runc.v2 --runc-binary %s/runc",
             ctl, dir);
    snprintf(mnt, sizeof mnt, "type=bind,src=%s/vol,dst=/vol,options=rbind:ro", dir);
    RUN(r);
    run_cmd(&r, &(struct run_opts){ .timeout_s = 60 },
            ARGV("/bin/sh", "-c", "exec $0 --mount $1 $2 c1 sh -c \"$3\"", ctr, mnt, image,
                 "echo out; echo err >&2; cat /vol/f; echo x > /vol/g || echo ro; exit 4"));
    RUN(k);
    run_cmd(&k, &(struct run_opts){ .timeout_s = 60 },
            ARGV("/bin/sh", "-c",
                 "$0 $1 c2 sh -c \"trap 'echo got TERM; exit 3' TERM; echo ready; "
                 "sleep 100 & wait\" > $2/out 2>&1 & p=$!; i=0; "
                 "until grep -q ready $2/out || [ $i -gt 200 ]; do sleep 0.05; i=$((i+1)); done; "
                 "$3 task kill c2; wait $p; echo rc=$?; cat $2/out",
                 ctr, image, dir, ctl));
    teardown_daemon(dir);
    assert_status(&r, 4);
    assert_out(&r, "out\nvol\nro\n");
    assert_contains(&r, err, "err");
    assert_contains(&r, err, "Read-only file system");
    assert_run(&k, 0, "rc=3\nready\ngot TERM\n");
}
