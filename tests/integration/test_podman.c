/* podman driving cordon as its OCI runtime (`podman --runtime cordon`):
 * an image imported from a busybox tarball, exit codes, stdout/stderr,
 * run -d / stop / rm, and writes that never reach the image's storage;
 * podman's default network with a volume, and stop reaching a trap.
 * Skips, saying why, without podman or root. */
#include "tests/integration/harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(podman, .timeout = 120);

struct image {
    char name[64];        /* localhost/cordon-test-TAG */
    char runtime[PATH_MAX];
    char platform[48];    /* platform=NAME for --runtime-flag */
};

static void podman_setup(struct image *im)
{
    if (geteuid() != 0)
        cr_skip_test("podman tests need root (rootful podman storage)");
    RUN(v);
    run_cmd(&v, NULL, ARGV("/bin/sh", "-c", "command -v podman"));
    if (v.status != 0)
        cr_skip_test("podman is not installed (Debian package podman)");
    if (access("/bin/busybox", X_OK) != 0)
        cr_skip_test("no /bin/busybox (Debian package busybox-static) to build the image from");
    cr_assert(realpath(cordon_path(), im->runtime));
    const char *p = platform_under_test();
    snprintf(im->platform, sizeof im->platform, "platform=%s", p ? p : "auto");
    char tag[17], script[1024];
    random_tag(tag);
    snprintf(im->name, sizeof im->name, "localhost/cordon-test-%s", tag);
    snprintf(script, sizeof script,
             "set -e; d=$(mktemp -d); mkdir $d/bin; cp /bin/busybox $d/bin/; "
             "for a in sh echo cat sleep nc ls test; do ln -s busybox $d/bin/$a; done; "
             "tar -C $d -cf $d.tar .; podman import -q $d.tar %s >/dev/null; rm -rf $d $d.tar",
             im->name);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", script));
    if (r.status != 0)
        cr_skip_test("podman cannot import an image here: %.200s", r.err);
}

static void podman_teardown(struct image *im)
{
    RUN(r);
    run_cmd(&r, NULL, ARGV("podman", "rmi", "-f", im->name));
}

/* podman run --rm --network none --runtime CORDON ... IMAGE ARGS... */
static void podman_run(struct run *r, struct image *im, const char *const args[])
{
    const char *argv[32] = { "podman", "run", "--network", "none", "--runtime", im->runtime,
                             "--runtime-flag", im->platform };
    size_t n = 8;
    for (size_t k = 0; args[k] && n < 31; k++)
        argv[n++] = args[k];
    argv[n] = NULL;
    run_cmd(r, &(struct run_opts){ .timeout_s = 60 }, argv);
}

Test(podman, run_rm_exit_codes_stdout_stderr)
{
    struct image im;
    podman_setup(&im);
    RUN(hi);
    podman_run(&hi, &im, ARGV("--rm", im.name, "echo", "hi"));
    assert_run(&hi, 0, "hi\n");
    RUN(code);
    podman_run(&code, &im, ARGV("--rm", im.name, "sh", "-c", "echo out; echo err >&2; exit 5"));
    assert_run(&code, 5, "out\n");
    assert_contains(&code, err, "err");
    podman_teardown(&im);
}

Test(podman, writes_never_reach_the_image_storage)
{
    struct image im;
    podman_setup(&im);
    char tag[17], script[256], find[256];
    random_tag(tag);
    snprintf(script, sizeof script, "echo x > /m%s && echo y > /bin/m%s && cat /m%s /bin/m%s",
             tag, tag, tag, tag);
    RUN(r);
    podman_run(&r, &im, ARGV("--rm", im.name, "sh", "-c", script));
    assert_run(&r, 0, "x\ny\n");
    snprintf(find, sizeof find, "find /var/lib/containers/storage -name 'm%s*' 2>/dev/null", tag);
    RUN(f);
    run_cmd(&f, NULL, ARGV("/bin/sh", "-c", find));
    assert_out(&f, "");
    podman_teardown(&im);
}

Test(podman, detached_stop_and_rm)
{
    struct image im;
    podman_setup(&im);
    char name[64];
    snprintf(name, sizeof name, "%s-c", strrchr(im.name, '/') + 1);
    RUN(d);
    podman_run(&d, &im, ARGV("-d", "--name", name, im.name, "sleep", "100"));
    assert_status(&d, 0);
    RUN(st);
    run_cmd(&st, NULL, ARGV("podman", "inspect", "--format", "{{.State.Status}}", name));
    assert_run(&st, 0, "running\n");
    RUN(stop);
    run_cmd(&stop, NULL, ARGV("podman", "stop", "-t", "2", name));
    assert_status(&stop, 0);
    RUN(code);
    run_cmd(&code, NULL, ARGV("podman", "inspect", "--format", "{{.State.ExitCode}}", name));
    assert_run(&code, 0, "143\n");   /* SIGTERM ended it, as under runc */
    RUN(rm);
    run_cmd(&rm, NULL, ARGV("podman", "rm", name));
    assert_status(&rm, 0);
    podman_teardown(&im);
}

/* podman's default network (a netavark namespace the runtime is given by
 * path) with a volume: the bind is a workspace mount (ro honoured, secrets
 * hidden), and egress is still the sentry's default deny. */
Test(podman, default_network_volume_and_egress_deny)
{
    struct image im;
    podman_setup(&im);
    char dir[] = "/tmp/cordon-podman-vol-XXXXXX", vol[PATH_MAX + 8], script[512];
    cr_assert(mkdtemp(dir));
    snprintf(script, sizeof script, "echo data > %s/plain && echo S > %s/.env", dir, dir);
    RUN(mk);
    run_cmd(&mk, NULL, ARGV("/bin/sh", "-c", script));
    snprintf(vol, sizeof vol, "%s:/data:ro", dir);
    RUN(r);
    run_cmd(&r, &(struct run_opts){ .timeout_s = 60 },
            ARGV("podman", "run", "--rm", "--runtime", im.runtime, "--runtime-flag", im.platform,
                 "-v", vol, im.name, "sh", "-c",
                 "cat /data/plain; ls -a /data; echo x > /data/new || echo ro; "
                 "nc 1.1.1.1 80 </dev/null || echo denied"));
    snprintf(script, sizeof script, "rm -rf %s", dir);
    RUN(rm);
    run_cmd(&rm, NULL, ARGV("/bin/sh", "-c", script));
    assert_run(&r, 0, "data\n.\n..\nplain\nro\ndenied\n");
    assert_contains(&r, err, "Network is unreachable");
    podman_teardown(&im);
}

/* podman stop's SIGTERM reaches the program, whose trap decides the exit. */
Test(podman, stop_reaches_the_programs_trap)
{
    struct image im;
    podman_setup(&im);
    char name[64];
    snprintf(name, sizeof name, "%s-t", strrchr(im.name, '/') + 1);
    RUN(d);
    podman_run(&d, &im, ARGV("-d", "--name", name, im.name, "sh", "-c",
                             "trap 'echo got TERM; exit 3' TERM; echo ready; sleep 100 & wait"));
    assert_status(&d, 0);
    RUN(stop);
    run_cmd(&stop, NULL, ARGV("/bin/sh", "-c", "i=0; until podman logs \"$0\" | grep -q ready || "
                                               "[ $i -gt 100 ]; do sleep 0.1; i=$((i+1)); done; "
                                               "podman stop -t 10 \"$0\"", name));
    assert_status(&stop, 0);
    RUN(code);
    run_cmd(&code, NULL, ARGV("podman", "inspect", "--format", "{{.State.ExitCode}}", name));
    assert_run(&code, 0, "3\n");
    RUN(logs);
    run_cmd(&logs, NULL, ARGV("podman", "logs", name));
    assert_run(&logs, 0, "ready\ngot TERM\n");
    RUN(rm);
    run_cmd(&rm, NULL, ARGV("podman", "rm", name));
    assert_status(&rm, 0);
    podman_teardown(&im);
}

Test(podman, exec_into_a_running_container)
{
    struct image im;
    podman_setup(&im);
    char name[64];
    snprintf(name, sizeof name, "%s-x", strrchr(im.name, '/') + 1);
    RUN(d);
    podman_run(&d, &im, ARGV("-d", "--name", name, im.name, "sh", "-c",
                             "echo from-ctr > /tmp/f; sleep 100"));
    assert_status(&d, 0);
    RUN(cat);
    run_cmd(&cat, NULL, ARGV("podman", "exec", name, "sh", "-c",
                             "until test -s /tmp/f; do sleep 0.05; done; cat /tmp/f"));
    assert_run(&cat, 0, "from-ctr\n");
    RUN(code);
    run_cmd(&code, NULL, ARGV("podman", "exec", name, "sh", "-c", "echo err >&2; exit 6"));
    assert_status(&code, 6);
    assert_contains(&code, err, "err");
    RUN(missing);
    run_cmd(&missing, NULL, ARGV("podman", "exec", name, "no-such-program"));
    assert_status(&missing, 127);
    /* -it: `script` gives podman the terminal an interactive user would */
    char it[256];
    snprintf(it, sizeof it, "podman exec -it %s sh -c 'test -t 0 && echo exec-$((6*7))-tty; exit 3'",
             name);
    RUN(tty);
    run_cmd(&tty, NULL, ARGV("script", "-qec", it, "/dev/null"));
    assert_status(&tty, 3);
    assert_contains(&tty, out, "exec-42-tty");
    RUN(rm);
    run_cmd(&rm, NULL, ARGV("podman", "rm", "-f", "-t", "0", name));
    assert_status(&rm, 0);
    podman_teardown(&im);
}

Test(podman, run_it_gives_the_program_a_terminal)
{
    struct image im;
    podman_setup(&im);
    char it[PATH_MAX + 256];
    snprintf(it, sizeof it, "podman run --rm -it --network none --runtime %s --runtime-flag %s %s sh",
             im.runtime, im.platform, im.name);
    RUN(r);
    /* an interactive shell: its input typed on the terminal */
    run_cmd(&r, &(struct run_opts){ .stdin_data = "test -t 0 && echo run-$((6*7))-tty\nexit 5\n",
                                    .timeout_s = 60 },
            ARGV("script", "-qec", it, "/dev/null"));
    assert_status(&r, 5);
    assert_contains(&r, out, "run-42-tty");
    cr_assert(!strstr(r.out, "job control turned off"), "no controlling terminal" RUN_CONTEXT,
              RUN_CONTEXT_ARGS(&r));
    podman_teardown(&im);
}
