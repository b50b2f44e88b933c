/* The command line: options, usage errors and the exit-status contract
 * (guest's code; 2 usage; 124 timeout; 126 not executable; 127 not found). */
#include "tests/integration/harness.h"

#include <unistd.h>

TestSuite(cli, .timeout = 60);

Test(cli, help_prints_usage_to_stdout)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("--help"));
    assert_status(&r, 0);
    cr_assert(strcasestr(r.out, "usage") && strstr(r.out, "run"), "no usage on stdout" RUN_CONTEXT,
              RUN_CONTEXT_ARGS(&r));
}

Test(cli, version)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("--version"));
    assert_status(&r, 0);
    assert_contains(&r, out, "cordon");
}

/* libcurl, libarchive and libmicrohttpd are bound on first use
 * (util/lazylib.h): linked, they and their ~50 dependencies cost every
 * session's start ~6 ms. */
Test(cli, start_does_not_load_optional_libraries)
{
    RUN(r);
    run_cmd(&r, NULL, ARGV("readelf", "-d", cordon_path()));
    if (r.status == 127)
        cr_skip_test("readelf (binutils) is missing: cannot read cordon's DT_NEEDED");
    assert_status(&r, 0);
    assert_contains(&r, out, "libseccomp");
    cr_assert(!strstr(r.out, "libcurl") && !strstr(r.out, "libarchive") &&
                  !strstr(r.out, "libmicrohttpd"),
              "cordon links an optional library" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
}

static void assert_usage_error(const char *const args[])
{
    RUN(r);
    run_cordon_cli(&r, NULL, args);
    assert_status(&r, 2);
    cr_assert(strcasestr(r.err, "usage"), "no usage on stderr" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
    assert_out(&r, "");
}

Test(cli, unknown_option_is_usage_error)
{
    assert_usage_error(ARGV("run", "--no-such-option", "--", "/bin/true"));
}

Test(cli, missing_program_is_usage_error)
{
    assert_usage_error(ARGV("run"));
}

Test(cli, bad_memory_size_is_usage_error)
{
    assert_usage_error(ARGV("run", "--memory", "12X", "--", "/bin/true"));
}

Test(cli, bad_cpu_seconds_are_usage_errors)
{
    assert_usage_error(ARGV("run", "--cpu", "0", "--", "/bin/true"));
    assert_usage_error(ARGV("run", "--cpu", "1.5", "--", "/bin/true"));
    assert_usage_error(ARGV("run", "--cpu", "2M", "--", "/bin/true"));
}

Test(cli, program_not_found_is_127)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("nosuchprog"));
    assert_status(&r, 127);
    assert_contains(&r, err, "cordon: nosuchprog: not found");
}

Test(cli, program_not_executable_is_126)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/etc/passwd"));
    assert_status(&r, 126);
    assert_out(&r, "");
}

Test(cli, env_option_sets_guest_variables)
{
    RUN(r);
    run_sh(&r, &(struct run_opts){.cordon_opts = ARGV("--env", "FOO=bar", "--env", "EMPTY=")},
           "echo \"$FOO|${EMPTY-unset}|${NOT_GIVEN-unset}\"");
    assert_run(&r, 0, "bar||unset\n");
}

Test(cli, cwd_option_sets_guest_cwd)
{
    RUN(r);
    run_guest(&r, &(struct run_opts){.cordon_opts = ARGV("--cwd", "/tmp")}, ARGV("/bin/pwd"));
    assert_run(&r, 0, "/tmp\n");
}

Test(cli, default_cwd_is_home)
{
    RUN(r);
    run_guest(&r, NULL, ARGV("/bin/pwd"));
    assert_run(&r, 0, "/home/user\n");
}

Test(cli, stdin_reaches_guest)
{
    RUN(r);
    run_guest(&r, &(struct run_opts){.stdin_data = "abc\ndef\n"}, ARGV("/usr/bin/tr", "a-z", "A-Z"));
    assert_run(&r, 0, "ABC\nDEF\n");
}

Test(cli, quiet_by_default)
{
    RUN(r);
    run_sh(&r, NULL, "echo out; echo err >&2");
    assert_run(&r, 0, "out\n");
    cr_assert_str_eq(r.err, "err\n", "cordon wrote to stderr without -v" RUN_CONTEXT, RUN_CONTEXT_ARGS(&r));
}

/* A policy file that is not what cordon understands stops the session before
 * the guest starts, naming the file and where it went wrong. */
static void assert_policy_rejected(const char *text, const char *why)
{
    char path[] = "/tmp/cordon-policy-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("run", "--policy", path, "--", "/bin/echo", "RAN"));
    unlink(path);
    assert_status(&r, 125);
    assert_contains(&r, err, path);
    assert_contains(&r, err, why);
    assert_out(&r, "");
}

Test(cli, policy_syntax_error_names_the_line)
{
    assert_policy_rejected("{\n  \"egress\": [\n", ":3: unexpected end of file");
}

Test(cli, policy_unknown_key_is_refused)
{
    assert_policy_rejected("{\"egres\": []}", "unknown key \"egres\"");
}

Test(cli, policy_missing_file_is_refused)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("run", "--policy", "/nonexistent/p.json", "--", "/bin/true"));
    assert_status(&r, 125);
    assert_contains(&r, err, "/nonexistent/p.json: No such file or directory");
}
