/* `cordon serve`: the session server end to end, through the Python client
 * (tests/integration/serve_test.py runs one case per call against its own
 * server on $CORDON and $CORDON_PLATFORM), and the server's command line. */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(serve, .timeout = 300);

static void serve_case(const char *name, double timeout_s)
{
    RUN(r);
    struct run_opts o = { .timeout_s = timeout_s };
    run_cmd(&r, &o, ARGV("python3", "tests/integration/serve_test.py", name));
    assert_status(&r, 0);
    char pass[64];
    snprintf(pass, sizeof pass, "PASS %s", name);
    assert_line(&r, out, pass);
    /* The numbers the README quotes, in the criterion log. */
    for (const char *m = strstr(r.out, "MEASURE"); m; m = strstr(m + 1, "MEASURE"))
        cr_log_info("%.*s", (int)strcspn(m, "\n"), m);
}

Test(serve, sessions_32_at_once_see_only_their_own_files) { serve_case("isolation32", 240); }
Test(serve, execs_in_one_session_keep_fds_and_memory_flat) { serve_case("thousand", 240); }
Test(serve, tenant_cannot_touch_another_tenants_session) { serve_case("tenants", 60); }
Test(serve, killed_session_sentry_ends_its_exec_with_an_error_frame) { serve_case("kill9", 60); }
Test(serve, limits_caps_and_timeouts) { serve_case("limits", 60); }
Test(serve, restart_after_a_crash_replaces_the_stale_socket) { serve_case("restart", 60); }
Test(serve, session_client_commands) { serve_case("cli", 60); }
Test(serve, sigterm_lets_running_execs_finish) { serve_case("drain", 60); }
Test(serve, session_events_stream_live_and_stay_private) { serve_case("events", 60); }
Test(serve, binary_output_round_trips_byte_exact) { serve_case("binary", 60); }
Test(serve, listens_on_tcp_port_0) { serve_case("tcp", 60); }
Test(serve, cpu_limit_ends_a_spinning_exec_and_keeps_the_session) { serve_case("cpu", 60); }
Test(serve, execs_on_a_busy_session_queue_in_order) { serve_case("queue", 60); }
Test(serve, metrics_count_denials_and_syscalls) { serve_case("metrics", 60); }

static void tokens_file(char *path, size_t size, const char *text)
{
    char tag[17];
    random_tag(tag);
    snprintf(path, size, "/tmp/cordon-tokens-%s", tag);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void assert_bad_tokens(const char *text, const char *want)
{
    char path[64];
    tokens_file(path, sizeof path, text);
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("serve", "--listen", "unix:/tmp/cordon-never.sock", "--tokens", path));
    unlink(path);
    assert_status(&r, 2);
    assert_contains(&r, err, want);
}

Test(serve, bad_tokens_files_are_refused_with_the_line)
{
    assert_bad_tokens("goodtoken1 alice\nshort bob\n", ":2: a token is");
    assert_bad_tokens("goodtoken1 alice\ngoodtoken1 bob\n", ":2: this token is listed twice");
    assert_bad_tokens("goodtoken1 al/ice\n", "tenant 'al/ice'");
    assert_bad_tokens("{\"goodtoken1\": 5}", "the tenant must be a string");
    assert_bad_tokens("{\"goodtoken1\": ", "not valid JSON");
    assert_bad_tokens("# nothing\n", "no tokens");
}

Test(serve, usage_errors)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("serve", "--tokens", "/dev/null"));
    assert_status(&r, 2);
    assert_contains(&r, err, "--listen is required");
    RUN(r2);
    run_cordon_cli(&r2, NULL, ARGV("serve", "--listen", "unix:/tmp/x", "--tokens", "/nonexistent"));
    assert_status(&r2, 2);
    assert_contains(&r2, err, "/nonexistent");
    char path[64];
    tokens_file(path, sizeof path, "goodtoken1 alice\n");
    RUN(r3);
    run_cordon_cli(&r3, NULL, ARGV("serve", "--listen", "nonsense", "--tokens", path));
    unlink(path);
    assert_status(&r3, 125);
    assert_contains(&r3, err, "expected unix:PATH or HOST:PORT");
}
