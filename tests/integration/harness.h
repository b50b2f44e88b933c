/* tests/integration/harness.h — run cordon (or any host program) the way a
 * user would and hand back everything it did: exit status, the complete
 * stdout and stderr, and how long it took.
 *
 *   RUN(r);
 *   run_sh(&r, NULL, "echo hello | tr a-z A-Z");
 *   assert_run(&r, 0, "HELLO\n");
 *
 * The cordon under test is $CORDON (default build/cordon); programs from
 * tests/progs are taken from $CORDON_PROGS (default build/progs). Both paths
 * are relative to the repository root, where `make test` runs the suite.
 * $CORDON_PLATFORM, when set, is passed as --platform to every guest run
 * (`make test` runs the suite once per platform).
 */
#ifndef CORDON_TESTS_HARNESS_H
#define CORDON_TESTS_HARNESS_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Every field is optional; pass NULL for all defaults. */
struct run_opts {
    const char *const *cordon_opts; /* options before "--", NULL-terminated */
    const char *const *env;         /* NAME=VALUE added to cordon's own environment */
    const char *stdin_data;         /* stdin text; without it and stdin_path, /dev/null */
    const char *stdin_path;         /* stdin from this host file */
    double timeout_s;               /* kill the run and fail the test after this (default 30) */
    const char *signal_on;          /* once stdout contains this text ... */
    int signal;                     /* ... send this signal to cordon itself */
};

struct run {
    int status;     /* exit code, or 128+signal if killed */
    char *out, *err; /* complete and NUL-terminated */
    size_t out_len, err_len;
    double secs;    /* wall time from fork to exit */
};

void run_free(struct run *r);
#define RUN(name) __attribute__((cleanup(run_free))) struct run name = {0}

/* Runs argv (argv[0] looked up in PATH) on the host. */
void run_cmd(struct run *r, const struct run_opts *o, const char *const argv[]);
/* `cordon ARGS...`, for testing the CLI itself. */
void run_cordon_cli(struct run *r, const struct run_opts *o, const char *const args[]);
/* `cordon run [o->cordon_opts] -- GUEST_ARGV...` */
void run_guest(struct run *r, const struct run_opts *o, const char *const guest_argv[]);
/* `cordon run [o->cordon_opts] -- /bin/sh -c SCRIPT` */
void run_sh(struct run *r, const struct run_opts *o, const char *script);
/* Runs build/progs/PROG inside the guest. Host binaries are not visible
 * there, so it is piped in on stdin, written to /tmp/PROG and exec'd. */
void run_prog(struct run *r, const struct run_opts *o, const char *prog, const char *const args[]);

const char *cordon_path(void);
/* $CORDON_PLATFORM, or NULL when cordon picks. */
const char *platform_under_test(void);
const char *progs_path(const char *prog, char *buf, size_t len);

/* True if `text` has a line exactly equal to `line`. */
bool has_line(const char *text, const char *line);
/* 16 random hex digits, so tests running at once never share a name. */
void random_tag(char tag[17]);

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Failure messages carry both streams, since the cause is usually in the
 * other one (a cordon error on stderr explains a missing line on stdout). */
#define RUN_CONTEXT "\n--- stdout (%zu bytes):\n%.3000s\n--- stderr (%zu bytes):\n%.3000s"
#define RUN_CONTEXT_ARGS(r) (r)->out_len, (r)->out, (r)->err_len, (r)->err

#define assert_status(r, want) \
    cr_assert_eq((r)->status, (want), "exit status %d, want %d" RUN_CONTEXT, (r)->status, (want), \
                 RUN_CONTEXT_ARGS(r))

#define assert_out(r, want) \
    cr_assert_str_eq((r)->out, (want), "stdout differs, want:\n%s" RUN_CONTEXT, (want), RUN_CONTEXT_ARGS(r))

#define assert_run(r, want_status, want_out) \
    do {                                     \
        assert_status(r, want_status);       \
        assert_out(r, want_out);             \
    } while (0)

#define assert_contains(r, stream, needle)                                                          \
    cr_assert(strstr((r)->stream, (needle)) != NULL, #stream " lacks \"%s\"" RUN_CONTEXT, (needle), \
              RUN_CONTEXT_ARGS(r))

#define assert_lacks(r, stream, needle)                                                        \
    cr_assert(strstr((r)->stream, (needle)) == NULL, #stream " has \"%s\"" RUN_CONTEXT, (needle), \
              RUN_CONTEXT_ARGS(r))

#define assert_line(r, stream, line)                                                                   \
    cr_assert(has_line((r)->stream, (line)), #stream " lacks the line \"%s\"" RUN_CONTEXT, (line), \
              RUN_CONTEXT_ARGS(r))

#endif
