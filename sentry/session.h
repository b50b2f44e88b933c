/* sentry/session.h — one sandbox session: VFS + policy + guest tree.
 * `cordon run` is a one-shot session. */
#ifndef CORDON_SENTRY_SESSION_H
#define CORDON_SENTRY_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/platform.h"

struct run_options {
    const char *const *argv;       /* PROGRAM ARGS... */
    const char *const *extra_env;  /* NAME=VALUE, NULL-terminated */
    const char *cwd;
    const char *policy;            /* --policy FILE, or NULL */
    unsigned timeout_ms;
    uint64_t memory;
    uint64_t pids;
    enum platform_kind platform;   /* PLATFORM_AUTO: what the kernel supports best */
    bool verbose;
};

/* Runs the session to the end; returns cordon's exit status. */
int session_run(const struct run_options *o);

#endif
