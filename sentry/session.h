/* sentry/session.h — one sandbox session: VFS + policy + settings, created
 * once, running many guest trees over its life (one per exec). `cordon run`
 * is a one-shot session (create, one exec, destroy); `cordon serve` keeps a
 * session per sentry process for as long as its tenant wants it. */
#ifndef CORDON_SENTRY_SESSION_H
#define CORDON_SENTRY_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"

struct run_options {
    const char *const *argv;       /* PROGRAM ARGS... */
    const char *const *extra_env;  /* NAME=VALUE, NULL-terminated */
    const char *cwd;
    const char *policy;            /* --policy FILE, or NULL */
    const char *events;            /* --events FILE or "-", or NULL */
    const char *otlp_endpoint;     /* --otlp-endpoint URL, or NULL */
    bool summary;                  /* --summary */
    const char *const *mounts;     /* --mount specs, NULL-terminated */
    const char *const *secret_deny; /* --secret-deny globs, NULL-terminated */
    const char *const *canaries;   /* --canary GUEST_PATHs, NULL-terminated; may be NULL */
    const char *const *allow;      /* --allow HOST[:PORT], NULL-terminated */
    unsigned timeout_ms;
    uint64_t memory;
    uint64_t pids;
    unsigned cpu_seconds;          /* --cpu: CPU time of each exec's tree, 0 = none */
    uint64_t disk, inodes;         /* memory-layer quotas, 0 = none */
    const char *import_fs;         /* tar that seeds the memory layer, or NULL */
    const char *export_fs;         /* tar the memory layer is written to at exit, or NULL */
    enum platform_kind platform;   /* PLATFORM_AUTO: what the kernel supports best */
    bool verbose;
    bool root;                     /* --root: PROGRAM runs as the guest's uid 0 */
    const char *rootfs;            /* OCI bundle rootfs: the runtime layer instead of the
                                      host's /usr (sentry/image.h); NULL: the host's */
    const char *hostname;          /* the guest's; NULL: "cordon" */
};

struct session;

/* One guest tree: what an exec request names. */
struct exec_request {
    const char *const *argv;       /* PROGRAM ARGS... */
    const char *const *extra_env;  /* NAME=VALUE, NULL-terminated; may be NULL */
    const char *cwd;               /* guest directory; NULL: /home/user */
    const int *stdio;              /* host fds for the guest's 0, 1, 2; NULL: the sentry's */
    unsigned timeout_ms;           /* 0: none */
    bool tty;                      /* stdin is a terminal: made the program's controlling one */
};

/* How an exec ended, beyond cordon's exit status. */
struct exec_result {
    int code;         /* exit code, or -1 when a signal ended it */
    int signal;       /* the signal that ended it, or 0 */
    bool timed_out;
    bool cpu_exceeded; /* killed for spending its CPU time (SIGXCPU or SIGKILL) */
};

/* Sets the session up from the session-wide options of o (policy, limits,
 * platform, verbosity; argv, env, cwd and timeout are per exec). Prints
 * the reason and returns NULL on failure. */
struct session *session_create(const struct run_options *o);
/* Runs one guest tree to its end and returns cordon's exit status for it
 * (PROGRAM's, 128+N, 124, 125, 126, 127); res (optional) gets the detail.
 * Messages for the user go to the guest's stderr. */
int session_exec(struct session *s, const struct exec_request *x, struct exec_result *res);
void session_destroy(struct session *s);

/* Starts x (its timeout ignored) inside the guest tree session_exec is
 * running, from another thread: 0 once the tree's init has it, after which
 * init reports on `report` (struct spawn_report, platform.h); or cordon's
 * exit status for it when it could not start (125, 126, 127; the message
 * went to x's stderr). */
int session_spawn(struct session *s, const struct exec_request *x, int report);

/* What a session sentry killed with SIGKILL leaves on the host (its exec
 * cache, its fd channel socket, its cgroup), removed by whoever reaped it;
 * session_clean_stale removes those of every sentry that is gone and
 * returns how many it found (a server's start after a crash). */
void session_remove_leftovers(pid_t pid);
unsigned session_clean_stale(void);

/* Runs the session to the end; returns cordon's exit status. */
int session_run(const struct run_options *o);

#endif
