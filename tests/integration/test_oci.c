/* cordon as an OCI runtime, driven the way podman and containerd drive
 * runc: a bundle (busybox-static as the image's rootfs + config.json)
 * built here, then create/start/state/kill/delete and run. */
#include "tests/integration/harness.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

TestSuite(oci, .timeout = 60);

#define BUSYBOX "/bin/busybox"

struct bundle {
    char dir[64];         /* the bundle */
    char root[96];        /* --root state dir */
    char log[96];
    char platform[32];    /* "--platform=NAME" or "" */
};

static void write_config(struct bundle *b, const char *args_json, const char *extra_json);

/* A bundle whose rootfs holds busybox and a few applets; skips the test
 * (saying why) without busybox-static. */
static void make_bundle(struct bundle *b, const char *args_json, const char *extra_json)
{
    if (access(BUSYBOX, X_OK) != 0)
        cr_skip_test("no " BUSYBOX " (Debian package busybox-static) to build the image from");
    snprintf(b->dir, sizeof b->dir, "/tmp/cordon-oci-test-XXXXXX");
    cr_assert(mkdtemp(b->dir));
    snprintf(b->root, sizeof b->root, "%s/state", b->dir);
    snprintf(b->log, sizeof b->log, "%s/log.json", b->dir);
    const char *p = platform_under_test();
    snprintf(b->platform, sizeof b->platform, "--platform=%s", p ? p : "auto");
    char script[2048];
    snprintf(script, sizeof script,
             "set -e; cd %s; mkdir -p rootfs/bin rootfs/etc rootfs/var/tmp; cp " BUSYBOX
             " rootfs/bin/; for a in sh echo cat ls sleep id hostname test nc grep; do "
             "ln -s busybox rootfs/bin/$a; done; echo image > rootfs/etc/motd; "
             "chmod 1777 rootfs/var/tmp",
             b->dir);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", script));
    assert_status(&r, 0);
    write_config(b, args_json, extra_json);
}

static void write_config(struct bundle *b, const char *args_json, const char *extra_json)
{
    char path[128];
    snprintf(path, sizeof path, "%s/config.json", b->dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f,
            "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
            "\"hostname\":\"ocitest\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
            "\"args\":%s,\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"},"
            "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}]%s}",
            args_json, extra_json ? extra_json : "");
    fclose(f);
}

static void remove_bundle(struct bundle *b)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", cmd));
}

/* `cordon --root R --log L --log-format json --platform P CMD ARGS...`;
 * detached: with stdio on /dev/null, since a created container's sentry
 * outlives the command and keeps the stdio it was given (as runc's). */
static void oci_run(struct run *r, struct bundle *b, const char *const args[], bool detached)
{
    const char *argv[40] = { "/bin/sh", "-c", detached ? "exec \"$0\" \"$@\" </dev/null >/dev/null 2>&1"
                                                        : "exec \"$0\" \"$@\"",
                             cordon_path(), "--root", b->root, "--log", b->log, "--log-format",
                             "json", b->platform };
    size_t n = 11;
    for (size_t k = 0; args[k] && n < 39; k++)
        argv[n++] = args[k];
    argv[n] = NULL;
    run_cmd(r, NULL, argv);
}

static void oci(struct run *r, struct bundle *b, const char *const args[])
{
    oci_run(r, b, args, false);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(oci, run_gives_the_programs_exit_code_stdout_and_stderr)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\",\"-c\",\"echo out; echo err >&2; hostname; exit 7\"]", NULL);
    RUN(r);
    oci(&r, &b, ARGV("run", "--bundle", b.dir, "c1"));
    assert_run(&r, 7, "out\nocitest\n");
    assert_contains(&r, err, "err");
    /* run deletes the container when it ends */
    RUN(s);
    oci(&s, &b, ARGV("state", "c1"));
    assert_status(&s, 1);
    remove_bundle(&b);
}

Test(oci, writes_stay_in_memory_and_never_reach_the_image)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\",\"-c\",\"cat /etc/motd; echo changed > /etc/motd; "
                    "echo new > /bin/added; echo t > /var/tmp/t; cat /etc/motd /bin/added /var/tmp/t\"]",
                NULL);
    RUN(r);
    oci(&r, &b, ARGV("run", "--bundle", b.dir, "c2"));
    assert_run(&r, 0, "image\nchanged\nnew\nt\n");
    char path[128];
    snprintf(path, sizeof path, "%s/rootfs/etc/motd", b.dir);
    char *motd = slurp(path);
    cr_assert_str_eq(motd, "image\n", "the image's /etc/motd was changed");
    free(motd);
    snprintf(path, sizeof path, "%s/rootfs/bin/added", b.dir);
    cr_assert(access(path, F_OK) != 0, "a file written in the container appeared in the image");
    snprintf(path, sizeof path, "%s/rootfs/var/tmp/t", b.dir);
    cr_assert(access(path, F_OK) != 0, "a file written in the container appeared in the image");
    remove_bundle(&b);
}

Test(oci, the_host_is_not_visible_only_the_image)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\",\"-c\",\"for p in /usr/bin/python3 /etc/shadow /work /root; do "
                    "test -e $p && echo visible $p; done; ls /bin/busybox\"]", NULL);
    RUN(r);
    oci(&r, &b, ARGV("run", "--bundle", b.dir, "c3"));
    assert_run(&r, 0, "/bin/busybox\n");
    remove_bundle(&b);
}

static char *state_of(struct bundle *b, const char *id)
{
    RUN(r);
    oci(&r, b, ARGV("state", id));
    assert_status(&r, 0);
    return strdup(r.out);
}

static bool wait_status(struct bundle *b, const char *id, const char *status)
{
    char want[64];
    snprintf(want, sizeof want, "\"status\":\"%s\"", status);
    for (int k = 0; k < 300; k++) {
        char *s = state_of(b, id);
        bool ok = strstr(s, want) != NULL;
        free(s);
        if (ok)
            return true;
        nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
    }
    return false;
}

Test(oci, create_start_state_kill_delete)
{
    struct bundle b;
    make_bundle(&b, "[\"sleep\",\"30\"]", ",\"annotations\":{\"team\":\"a\"}");
    char pidfile[128];
    snprintf(pidfile, sizeof pidfile, "%s/pid", b.dir);
    RUN(c);
    oci_run(&c, &b, ARGV("create", "--bundle", b.dir, "--pid-file", pidfile, "c4"), true);
    assert_run(&c, 0, "");
    char *pid = slurp(pidfile);
    cr_assert(pid && atoi(pid) > 0, "no pid in --pid-file");
    char *st = state_of(&b, "c4");
    char want[64];
    snprintf(want, sizeof want, "\"pid\":%d", atoi(pid));
    cr_assert(strstr(st, "\"status\":\"created\"") && strstr(st, want) &&
                  strstr(st, "\"id\":\"c4\"") && strstr(st, "\"team\":\"a\"") &&
                  strstr(st, "\"ociVersion\"") && strstr(st, b.dir),
              "state of a created container:\n%s", st);
    free(st);
    RUN(s);
    oci(&s, &b, ARGV("start", "c4"));
    assert_status(&s, 0);
    cr_assert(wait_status(&b, "c4", "running"));
    RUN(again);
    oci(&again, &b, ARGV("start", "c4"));
    assert_status(&again, 1);
    RUN(busy);
    oci(&busy, &b, ARGV("delete", "c4"));
    assert_status(&busy, 1);
    assert_contains(&busy, err, "not stopped");
    RUN(ps);
    oci(&ps, &b, ARGV("ps", "--format", "json", "c4"));
    assert_status(&ps, 0);
    cr_assert(strstr(ps.out, pid), "ps lacks the container's pid %s" RUN_CONTEXT, pid, RUN_CONTEXT_ARGS(&ps));
    RUN(k);
    oci(&k, &b, ARGV("kill", "c4", "KILL"));
    assert_status(&k, 0);
    cr_assert(wait_status(&b, "c4", "stopped"));
    RUN(d);
    oci(&d, &b, ARGV("delete", "c4"));
    assert_status(&d, 0);
    RUN(gone);
    oci(&gone, &b, ARGV("state", "c4"));
    assert_status(&gone, 1);
    char *log = slurp(b.log);
    cr_assert(log && strstr(log, "{\"level\":\"error\",\"msg\":\"container does not exist: c4\""),
              "no runc-style error line in --log:\n%s", log ? log : "(none)");
    free(log);
    free(pid);
    remove_bundle(&b);
}

Test(oci, unsupported_fields_are_refused_with_a_log_line)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\"]", ",\"linux\":{\"sysctl\":{\"net.ipv4.ping_group_range\":\"0 0\","
                                  "\"net.ipv4.ip_forward\":\"1\"}}");
    RUN(r);
    oci(&r, &b, ARGV("create", "--bundle", b.dir, "c5"));
    assert_status(&r, 1);
    assert_contains(&r, err, "linux.sysctl net.ipv4.ip_forward");
    char *log = slurp(b.log);
    cr_assert(log && strstr(log, "\"level\":\"error\"") && strstr(log, "net.ipv4.ip_forward") &&
                  strstr(log, "\"time\":\""),
              "no error line naming the field in --log:\n%s", log ? log : "(none)");
    free(log);
    RUN(s);
    oci(&s, &b, ARGV("state", "c5"));
    assert_status(&s, 1);
    remove_bundle(&b);
}

Test(oci, spec_writes_a_config_that_runs)
{
    struct bundle b;
    make_bundle(&b, "[\"true\"]", NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/config.json", b.dir);
    unlink(path);
    RUN(s);
    oci(&s, &b, ARGV("spec", "--bundle", b.dir));
    assert_status(&s, 0);
    RUN(again);
    oci(&again, &b, ARGV("spec", "--bundle", b.dir));
    assert_status(&again, 1);
    RUN(r);
    oci(&r, &b, ARGV("run", "--bundle", b.dir, "c6"));   /* sh, stdin /dev/null */
    assert_run(&r, 0, "");
    RUN(f);
    oci(&f, &b, ARGV("features"));
    assert_status(&f, 0);
    assert_contains(&f, out, "\"ociVersionMax\"");
    assert_contains(&f, out, "\"rbind\"");
    remove_bundle(&b);
}

Test(oci, events_annotation_streams_the_containers_events)
{
    struct bundle b;
    char ann[256], path[128];
    make_bundle(&b, "[\"true\"]", NULL);
    snprintf(ann, sizeof ann, ",\"annotations\":{\"dev.cordon.events\":\"%s/events.jsonl\"}", b.dir);
    write_config(&b, "[\"sh\",\"-c\",\"echo hi\"]", ann);
    RUN(r);
    oci(&r, &b, ARGV("run", "--bundle", b.dir, "c7"));
    assert_run(&r, 0, "hi\n");
    snprintf(path, sizeof path, "%s/events.jsonl", b.dir);
    char *ev = slurp(path);
    cr_assert(ev && strstr(ev, "process.exec"), "no exec event in the events file:\n%s",
              ev ? ev : "(none)");
    free(ev);
    remove_bundle(&b);
}

/* The bundle's state and platform flags as shell words, for the tests
 * that drive the runtime from a script (backgrounded run + kill). */
static void oci_words(struct bundle *b, char *buf, size_t size)
{
    snprintf(buf, size, "'%s' --root %s %s", cordon_path(), b->root, b->platform);
}

Test(oci, binds_become_workspace_mounts_with_secrets_hidden)
{
    struct bundle b;
    make_bundle(&b, "[\"true\"]", NULL);
    char script[1024], extra[1024];
    snprintf(script, sizeof script,
             "set -e; mkdir -p %s/host/.ssh; echo data > %s/host/plain; echo S > %s/host/.env; "
             "echo K > %s/host/.ssh/id_rsa; cp -r %s/host %s/host2; touch %s/hosts",
             b.dir, b.dir, b.dir, b.dir, b.dir, b.dir, b.dir);
    RUN(mk);
    run_cmd(&mk, NULL, ARGV("/bin/sh", "-c", script));
    assert_status(&mk, 0);
    /* rw by default as in OCI, ro on request, and podman's own /etc/hosts
     * bind (a file) giving way to the session's. */
    snprintf(extra, sizeof extra,
             ",\"mounts\":[{\"destination\":\"/w\",\"type\":\"bind\",\"source\":\"%s/host\","
             "\"options\":[\"rbind\",\"rprivate\"]},"
             "{\"destination\":\"/r\",\"type\":\"bind\",\"source\":\"%s/host2\","
             "\"options\":[\"ro\",\"rbind\",\"nosuid\",\"nodev\"]},"
             "{\"destination\":\"/var/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
             "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"%s/hosts\","
             "\"options\":[\"bind\"]}],\"annotations\":{\"dev.cordon.events\":\"%s/ev\"}",
             b.dir, b.dir, b.dir, b.dir);
    write_config(&b, "[\"sh\",\"-c\",\"cat /w/plain; ls -a /w; cat /w/.env /r/.ssh/id_rsa; "
                     "echo new > /w/out; echo no > /r/x || echo ro refused; grep -c ocitest "
                     "/etc/hosts; echo m > /var/tmp/m && cat /var/tmp/m\"]", extra);
    RUN(r);
    oci(&r, &b, ARGV("run", "--bundle", b.dir, "c9"));
    assert_status(&r, 0);
    cr_assert(!strcmp(r.out, "data\n.\n..\nplain\nro refused\n1\nm\n"),
              "the guest's view of the binds" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    assert_contains(&r, err, "/w/.env': No such file");
    assert_contains(&r, err, "/r/.ssh/id_rsa': No such file");
    assert_contains(&r, err, "Read-only file system");
    char path[128];
    snprintf(path, sizeof path, "%s/host/out", b.dir);
    char *out = slurp(path);
    cr_assert(out && !strcmp(out, "new\n"), "a rw bind's write did not reach the host");
    free(out);
    snprintf(path, sizeof path, "%s/ev", b.dir);
    char *ev = slurp(path);
    cr_assert(ev && strstr(ev, "file.secret_probe") && strstr(ev, "/w/.env"),
              "no secret probe event for /w/.env:\n%s", ev ? ev : "(none)");
    free(ev);
    /* A file bind and a tmpfs elsewhere are refused by name, never dropped. */
    snprintf(extra, sizeof extra,
             ",\"mounts\":[{\"destination\":\"/f\",\"type\":\"bind\",\"source\":\"%s/host/plain\","
             "\"options\":[\"bind\"]}]", b.dir);
    write_config(&b, "[\"true\"]", extra);
    RUN(file);
    oci(&file, &b, ARGV("run", "--bundle", b.dir, "c10"));
    assert_status(&file, 1);
    assert_contains(&file, err, "is not a directory: cordon binds directories only");
    write_config(&b, "[\"true\"]", ",\"mounts\":[{\"destination\":\"/s\",\"type\":\"tmpfs\","
                                   "\"source\":\"tmpfs\"}]");
    RUN(tmp);
    oci(&tmp, &b, ARGV("run", "--bundle", b.dir, "c11"));
    assert_status(&tmp, 1);
    assert_contains(&tmp, err, "a tmpfs mount at /s is not supported");
    snprintf(extra, sizeof extra,
             ",\"mounts\":[{\"destination\":\"/w\",\"type\":\"bind\",\"source\":\"%s/host\","
             "\"options\":[\"rbind\",\"idmap\"]}]", b.dir);
    write_config(&b, "[\"true\"]", extra);
    RUN(opt);
    oci(&opt, &b, ARGV("run", "--bundle", b.dir, "c16"));
    assert_status(&opt, 1);
    assert_contains(&opt, err, "bind option \"idmap\" is not supported");
    remove_bundle(&b);
}

Test(oci, kill_reaches_the_program_and_sigkill_ends_the_tree)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\",\"-c\",\"trap 'echo got USR1' USR1; trap 'echo got TERM; exit 3' "
                    "TERM; echo ready; while :; do sleep 100 & wait; done\"]", NULL);
    char c[256], script[2048];
    oci_words(&b, c, sizeof c);
    snprintf(script, sizeof script,
             "%s run --bundle %s c12 > %s/out 2>&1 & p=$!; "
             "i=0; until grep -q ready %s/out || [ $i -gt 200 ]; do sleep 0.05; i=$((i+1)); done; "
             "%s kill c12 USR1; i=0; "
             "until grep -q USR1 %s/out || [ $i -gt 200 ]; do sleep 0.05; i=$((i+1)); done; "
             "%s kill c12 TERM; wait $p; echo rc=$?; cat %s/out",
             c, b.dir, b.dir, b.dir, c, b.dir, c, b.dir);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", script));
    assert_status(&r, 0);
    cr_assert(!strcmp(r.out, "rc=3\nready\ngot USR1\ngot TERM\n"),
              "the program's traps" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    /* SIGKILL cannot be passed on: it ends the sentry and every guest
     * process with it (the sentry, init, sh and its two sleeps). */
    write_config(&b, "[\"sh\",\"-c\",\"trap '' TERM; sleep 100 & sleep 100 & wait\"]", NULL);
    snprintf(script, sizeof script,
             "%s run --detach --bundle %s c13 </dev/null >/dev/null 2>&1 || exit 9; "
             "i=0; while [ $(%s ps --format json c13 | tr , ' ' | wc -w) -lt 5 ] && "
             "[ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; "
             "pids=$(%s ps c13 | tail -n +2); %s kill c13 KILL || exit 8; sleep 1; "
             "for p in $pids; do [ -d /proc/$p ] && ! grep -q zombie /proc/$p/status && "
             "grep -q 'State:.*[RSD]' /proc/$p/status && echo alive $p; done; "
             "%s delete c13; echo n=$(echo $pids | wc -w)",
             c, b.dir, c, c, c, c);
    RUN(k);
    run_cmd(&k, NULL, ARGV("/bin/sh", "-c", script));
    assert_status(&k, 0);
    assert_lacks(&k, out, "alive");
    assert_lacks(&k, out, "n=0");
    remove_bundle(&b);
}

/* Egress in a container: default deny through the sentry, and a grant
 * from the dev.cordon.policy annotation reaching a server that exists
 * only in the network namespace the caller gives (linux.namespaces path),
 * so the sentry's upstream must have left through it; both decisions are
 * in the dev.cordon.events stream. */
Test(oci, joins_the_callers_netns_and_keeps_egress_policy)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to make a network namespace (ip netns add)");
    struct bundle b;
    make_bundle(&b, "[\"true\"]", NULL);
    char tag[17], ns[64], script[1024], extra[1024];
    random_tag(tag);
    snprintf(ns, sizeof ns, "cordon-oci-%.8s", tag);
    int port = 20000 + (int)(strtoul(tag + 8, NULL, 16) % 20000);
    snprintf(script, sizeof script,
             "set -e; ip netns add %s; ip -n %s link set lo up; "
             "ip -n %s addr add 10.231.7.1/32 dev lo; "
             "echo '{\"egress\":[{\"host\":\"10.231.7.1\",\"port\":%d}]}' > %s/p.json",
             ns, ns, ns, port, b.dir);
    RUN(mk);
    run_cmd(&mk, NULL, ARGV("/bin/sh", "-c", script));
    if (mk.status != 0) {
        remove_bundle(&b);
        cr_skip_test("ip netns add is not possible here: %.200s", mk.err);
    }
    /* One connection: the server's greeting, then it exits. */
    snprintf(script, sizeof script,
             "ip netns exec %s timeout 20 python3 -c 'import socket; s=socket.socket(); "
             "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
             "s.bind((\"10.231.7.1\", %d)); s.listen(); "
             "c,_=s.accept(); c.sendall(b\"hello-from-netns\\n\"); c.close()' >/dev/null &",
             ns, port);
    snprintf(extra, sizeof extra,
             ",\"annotations\":{\"dev.cordon.policy\":\"%s/p.json\","
             "\"dev.cordon.events\":\"%s/ev\"},"
             "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\","
             "\"path\":\"/run/netns/%s\"}]}",
             b.dir, b.dir, ns);
    char args[256];
    snprintf(args, sizeof args,
             "[\"sh\",\"-c\",\"nc 10.231.7.1 %d </dev/null; nc 10.231.7.2 %d </dev/null; "
             "nc 1.1.1.1 80 </dev/null; echo done\"]", port, port);
    write_config(&b, args, extra);
    char c[256], full[4096];
    oci_words(&b, c, sizeof c);
    snprintf(full, sizeof full,
             "%s i=0; until ip netns exec %s ss -ltn | grep -q 10.231.7.1:%d || [ $i -gt 100 ]; "
             "do sleep 0.1; i=$((i+1)); done; %s run --bundle %s c14 </dev/null",
             script, ns, port, c, b.dir);
    RUN(r);
    run_cmd(&r, NULL, ARGV("/bin/sh", "-c", full));
    snprintf(script, sizeof script, "ip netns del %s", ns);
    RUN(del);
    run_cmd(&del, NULL, ARGV("/bin/sh", "-c", script));
    assert_status(&r, 0);
    cr_assert(!strcmp(r.out, "hello-from-netns\ndone\n"), "the guest's connections" RUN_CONTEXT,
              RUN_CONTEXT_ARGS(&r));
    assert_contains(&r, err, "10.231.7.2");
    assert_contains(&r, err, "Network is unreachable");
    char path[128];
    snprintf(path, sizeof path, "%s/ev", b.dir);
    char *ev = slurp(path);
    cr_assert(ev && strstr(ev, "net.block") && strstr(ev, "10.231.7.2") &&
                  strstr(ev, "net.connect") && strstr(ev, "10.231.7.1"),
              "no net.connect / net.block events:\n%s", ev ? ev : "(none)");
    free(ev);
    /* A path that is not there is refused before anything starts. */
    write_config(&b, "[\"true\"]", ",\"linux\":{\"namespaces\":[{\"type\":\"network\","
                                   "\"path\":\"/run/netns/cordon-none\"}]}");
    RUN(bad);
    oci(&bad, &b, ARGV("run", "--bundle", b.dir, "c15"));
    assert_status(&bad, 1);
    assert_contains(&bad, err, "/run/netns/cordon-none");
    remove_bundle(&b);
}

/* What containerd's runc shim always writes (the primary group repeated
 * in additionalGids, the default cpu weight) runs; more is refused. */
Test(oci, containerd_defaults_accepted_more_refused)
{
    struct bundle b;
    make_bundle(&b, "[\"true\"]", NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/config.json", b.dir);
    const char *const cases[][2] = {
        { "\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[0]}", "" },
        { "\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[0,5]}", "additionalGids" },
    };
    for (size_t k = 0; k < 2; k++) {
        FILE *f = fopen(path, "w");
        cr_assert(f);
        fprintf(f, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{%s,"
                   "\"args\":[\"id\",\"-g\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"},"
                   "\"linux\":{\"resources\":{\"cpu\":{\"shares\":1024}}}}", cases[k][0]);
        fclose(f);
        RUN(r);
        oci(&r, &b, ARGV("run", "--bundle", b.dir, "c17"));
        if (*cases[k][1]) {
            assert_status(&r, 1);
            assert_contains(&r, err, cases[k][1]);
        } else {
            assert_run(&r, 0, "0\n");
        }
    }
    write_config(&b, "[\"true\"]", ",\"linux\":{\"resources\":{\"cpu\":{\"shares\":1024,"
                                   "\"quota\":50000,\"period\":100000}}}");
    RUN(q);
    oci(&q, &b, ARGV("run", "--bundle", b.dir, "c18"));
    assert_status(&q, 1);
    assert_contains(&q, err, "linux.resources.cpu: only shares 1024");
    remove_bundle(&b);
}

/* A created and started container running args_json, detached. */
static void start_container(struct bundle *b, const char *id)
{
    RUN(c);
    oci_run(&c, b, ARGV("create", "--bundle", b->dir, id), true);
    assert_status(&c, 0);
    RUN(s);
    oci(&s, b, ARGV("start", id));
    assert_status(&s, 0);
    cr_assert(wait_status(b, id, "running"));
}

static void end_container(struct bundle *b, const char *id)
{
    RUN(k);
    oci(&k, b, ARGV("kill", id, "KILL"));
    cr_assert(wait_status(b, id, "stopped"));
    RUN(d);
    oci(&d, b, ARGV("delete", id));
    assert_status(&d, 0);
}

Test(oci, exec_runs_in_the_running_containers_session)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\",\"-c\",\"echo from-ctr > /tmp/f; sleep 30\"]", NULL);
    start_container(&b, "x1");
    /* the container's memory layer, pid namespace and hostname */
    RUN(cat);
    oci(&cat, &b, ARGV("exec", "x1", "sh", "-c",
                       "until test -s /tmp/f; do sleep 0.05; done; cat /tmp/f; hostname; "
                       "kill -0 1 && echo init"));
    assert_run(&cat, 0, "from-ctr\nocitest\ninit\n");
    RUN(code);
    oci(&code, &b, ARGV("exec", "--env", "V=42", "--cwd", "/etc", "x1", "sh", "-c",
                        "echo $V $PWD; echo err >&2; exit 7"));
    assert_run(&code, 7, "42 /etc\n");
    assert_contains(&code, err, "err");
    RUN(missing);
    oci(&missing, &b, ARGV("exec", "x1", "no-such-program"));
    assert_status(&missing, 127);
    /* what one exec writes, the next one (and the container) sees */
    RUN(w);
    oci(&w, &b, ARGV("exec", "-d", "x1", "sh", "-c", "echo detached > /tmp/d"));
    assert_run(&w, 0, "");
    RUN(r);
    oci(&r, &b, ARGV("exec", "x1", "sh", "-c", "while ! test -e /tmp/d; do sleep 0.05; done; cat /tmp/d"));
    assert_run(&r, 0, "detached\n");
    char pidfile[128];
    snprintf(pidfile, sizeof pidfile, "%s/exec.pid", b.dir);
    RUN(d);
    oci_run(&d, &b, ARGV("exec", "--detach", "--pid-file", pidfile, "x1", "sleep", "0.1"), true);
    assert_status(&d, 0);
    char *pid = slurp(pidfile);
    cr_assert(pid && atoi(pid) > 0, "no pid in exec --pid-file");
    free(pid);
    RUN(user);
    oci(&user, &b, ARGV("exec", "--user", "1000", "x1", "true"));
    assert_status(&user, 125);
    assert_contains(&user, err, "container's user");
    end_container(&b, "x1");
    RUN(stopped);
    oci(&stopped, &b, ARGV("exec", "x1", "true"));
    assert_status(&stopped, 1);
    remove_bundle(&b);
}

/* The console socket's receiving end, as conmon has it. */
static int console_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    cr_assert(strlen(path) < sizeof sa.sun_path);
    memcpy(sa.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 1) == 0);
    return fd;
}

/* The pty master the runtime sent (it has connected by now). */
static int console_master(int listener)
{
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    cr_assert(c >= 0, "the runtime never connected to the console socket");
    char name[64];
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { name, sizeof name };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                        .msg_controllen = sizeof u.b };
    cr_assert(recvmsg(c, &m, MSG_CMSG_CLOEXEC) > 0, "no message on the console socket");
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cr_assert(cm && cm->cmsg_type == SCM_RIGHTS, "no fd on the console socket");
    int master;
    memcpy(&master, CMSG_DATA(cm), sizeof master);
    close(c);
    return master;
}

/* Writes input to the terminal and reads what comes back until the slave's
 * last holder closes it (EIO) or 20 s pass. */
static void converse(int master, const char *input, char *out, size_t size)
{
    cr_assert(write(master, input, strlen(input)) == (ssize_t)strlen(input));
    size_t n = 0;
    struct pollfd p = { .fd = master, .events = POLLIN };
    while (n + 1 < size && poll(&p, 1, 20000) == 1) {
        ssize_t k = read(master, out + n, size - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    out[n] = '\0';
}

Test(oci, terminal_through_the_console_socket_for_run_and_exec)
{
    struct bundle b;
    make_bundle(&b, "[\"sh\"]", NULL);
    write_config(&b, "[\"sh\"]", NULL);
    char cfg[128], sock[128], out[8192];
    snprintf(cfg, sizeof cfg, "sed -i 's/\"terminal\":false/\"terminal\":true/' %s/config.json", b.dir);
    RUN(sed);
    run_cmd(&sed, NULL, ARGV("/bin/sh", "-c", cfg));
    assert_status(&sed, 0);
    RUN(refused);
    oci(&refused, &b, ARGV("create", "--bundle", b.dir, "t0"));
    assert_status(&refused, 1);
    assert_contains(&refused, err, "--console-socket");
    snprintf(sock, sizeof sock, "%s/console.sock", b.dir);
    int l = console_listen(sock);
    RUN(c);
    oci_run(&c, &b, ARGV("create", "--bundle", b.dir, "--console-socket", sock, "t1"), true);
    assert_status(&c, 0);
    int master = console_master(l);
    RUN(s);
    oci(&s, &b, ARGV("start", "t1"));
    assert_status(&s, 0);
    /* a shell that has its terminal as controlling tty keeps job control */
    converse(master, "test -t 0 && echo is-a-$((2*3))-tty; exit\n", out, sizeof out);
    close(master);
    cr_assert(strstr(out, "is-a-6-tty"), "the program had no terminal:\n%s", out);
    cr_assert(!strstr(out, "job control turned off"), "no controlling terminal:\n%s", out);
    cr_assert(wait_status(&b, "t1", "stopped"));
    RUN(d);
    oci(&d, &b, ARGV("delete", "t1"));

    write_config(&b, "[\"sleep\",\"30\"]", NULL);
    start_container(&b, "t2");
    RUN(x);
    oci(&x, &b, ARGV("exec", "-d", "--tty", "--console-socket", sock, "t2", "sh", "-c",
                     "test -t 0 && test -t 1 && echo exec-$((6*7))-tty"));
    assert_status(&x, 0);
    master = console_master(l);
    converse(master, "", out, sizeof out);
    close(master);
    close(l);
    cr_assert(strstr(out, "exec-42-tty"), "the exec had no terminal:\n%s", out);
    end_container(&b, "t2");
    remove_bundle(&b);
}
