/* Live audit events: --events writes OTLP JSON logs (one LogsData per
 * line) with the guest's process lifecycle and its denials; --summary
 * counts them. */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TestSuite(events, .timeout = 90);

/* The attribute key/value pair as the OTLP JSON mapping spells it. */
#define NAMED(ev) "{\"key\":\"event.name\",\"value\":{\"stringValue\":\"" ev "\"}}"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "no events file %s", path);
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    cr_assert(n > 0, "empty events file %s", path);
    return text;
}

Test(events, file_sink_has_exec_exit_and_denial)
{
    char tag[17], path[128];
    random_tag(tag);
    snprintf(path, sizeof path, "/tmp/cordon-events-%s.ndjson", tag);
    RUN(r);
    struct run_opts o = { .cordon_opts = ARGV("--events", path, "--summary") };
    /* pivot_root (155) is denied: EPERM and a policy event */
    run_sh(&r, &o, "ls / >/dev/null; python3 -c 'import ctypes; "
                   "print(ctypes.CDLL(None).syscall(155, 0, 0))'; exit 3");
    assert_status(&r, 3);
    assert_line(&r, out, "-1");
    char *ev = slurp(path);
    unlink(path);
    cr_expect(strstr(ev, "\"resourceLogs\":[{\"resource\":{\"attributes\":["), "not OTLP: %.500s", ev);
    cr_expect(strstr(ev, "{\"key\":\"session.id\""), "no session.id: %.500s", ev);
    cr_expect(strstr(ev, NAMED("process.exec")), "no exec: %.2000s", ev);
    cr_expect(strstr(ev, "{\"stringValue\":\"/usr/bin/ls\"}"), "no ls exec: %.2000s", ev);
    cr_expect(strstr(ev, NAMED("policy.denied")), "no denial: %.2000s", ev);
    cr_expect(strstr(ev, "{\"stringValue\":\"pivot_root\"}"), "denial unnamed: %.2000s", ev);
    cr_expect(strstr(ev, "{\"key\":\"process.exit.code\",\"value\":{\"intValue\":\"3\"}}"),
              "no exit 3: %.3000s", ev);
    free(ev);
    assert_contains(&r, err, "cordon: summary of session ");
    assert_contains(&r, err, "  denials    1\n");
}

Test(events, bad_sinks_are_usage_errors)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("run", "--otlp-endpoint", "localhost:4318", "--", "/bin/true"));
    assert_status(&r, 2);
    assert_contains(&r, err, "--otlp-endpoint: expected an http:// or https:// URL");
    RUN(r2);
    run_cordon_cli(&r2, NULL, ARGV("run", "--events", "/nonexistent/dir/ev.ndjson", "--", "/bin/true"));
    assert_status(&r2, 125);
    assert_contains(&r2, err, "--events /nonexistent/dir/ev.ndjson");
}

Test(events, canary_open_is_a_fatal_event_and_file_changes_are_reported)
{
    char tag[17], path[128];
    random_tag(tag);
    snprintf(path, sizeof path, "/tmp/cordon-events-%s.ndjson", tag);
    RUN(r);
    struct run_opts o = { .cordon_opts = ARGV("--events", path, "--canary", "~/.aws/credentials") };
    run_sh(&r, &o, "grep -c '^aws_access_key_id = AKIA[A-Z2-7]\\{16\\}$' .aws/credentials; "
                   "echo x > /tmp/f && mv /tmp/f /tmp/g && rm /tmp/g; echo y > /usr/z");
    assert_line(&r, out, "1");
    char *ev = slurp(path);
    unlink(path);
    cr_expect(strstr(ev, NAMED("canary.read")), "no canary read: %.3000s", ev);
    cr_expect(strstr(ev, "\"severityNumber\":21,\"severityText\":\"FATAL\""), "canary not FATAL");
    cr_expect(strstr(ev, "{\"key\":\"file.path\",\"value\":{\"stringValue\":\"/home/user/.aws/credentials\"}}"),
              "canary path not absolute: %.3000s", ev);
    cr_expect(strstr(ev, NAMED("file.create")) && strstr(ev, NAMED("file.rename")) &&
                  strstr(ev, NAMED("file.delete")),
              "file changes missing: %.3000s", ev);
    cr_expect(strstr(ev, "{\"key\":\"file.new_path\",\"value\":{\"stringValue\":\"/tmp/g\"}}"),
              "rename target missing: %.3000s", ev);
    cr_expect(strstr(ev, NAMED("file.denied")) && strstr(ev, "\"stringValue\":\"/usr/z\""),
              "denied write missing: %.3000s", ev);
    free(ev);
}

Test(events, canary_paths_are_checked)
{
    RUN(r);
    run_cordon_cli(&r, NULL, ARGV("run", "--canary", "relative/path", "--", "/bin/true"));
    assert_status(&r, 125);
    assert_contains(&r, err, "--canary: expected an absolute guest path or ~/PATH");
    char tag[17], pol[128];
    random_tag(tag);
    snprintf(pol, sizeof pol, "/tmp/cordon-policy-%s.json", tag);
    FILE *f = fopen(pol, "w");
    cr_assert(f);
    fputs("{\"canaries\": [\"~/.env\", 7]}\n", f);
    fclose(f);
    RUN(r2);
    run_cordon_cli(&r2, NULL, ARGV("run", "--policy", pol, "--", "/bin/true"));
    unlink(pol);
    assert_status(&r2, 125);
    assert_contains(&r2, err, "canaries[1]: expected a guest path string");
}
