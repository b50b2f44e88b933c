/* sentry/oci_config.h — an OCI bundle's config.json as a cordon session.
 * Every field is either mapped (process, hostname, root, resources, bind
 * mounts, the network namespace to join, the dev.cordon.* annotations), accepted because cordon's sandbox already
 * gives what it asks (capabilities dropped, seccomp, masked /proc paths,
 * namespaces of its own), or refused by name: a runtime that silently
 * ignored a setting would run the container weaker than its author meant. */
#ifndef CORDON_SENTRY_OCI_CONFIG_H
#define CORDON_SENTRY_OCI_CONFIG_H

#include <json-c/json.h>
#include <sys/resource.h>

#include "sentry/session.h"
#include "util/err.h"

#define OCI_MAX_ARGS 256
#define OCI_MAX_ENV 256
#define OCI_MAX_RLIMITS 16
#define OCI_MAX_MOUNTS 64

struct oci_config {
    json_object *json;                     /* owns every string below */
    char rootfs[4096];                     /* absolute host path */
    const char *argv[OCI_MAX_ARGS + 1];
    const char *env[OCI_MAX_ENV + 1];
    struct { int resource; struct rlimit lim; } rlimits[OCI_MAX_RLIMITS];
    unsigned nrlimits;
    int oom_score_adj;
    bool has_oom_score_adj;
    char *mounts[OCI_MAX_MOUNTS + 1];      /* binds as --mount specs (owned) */
    const char *netns;                     /* linux.namespaces network path, or NULL */
    bool terminal;                         /* process.terminal: needs --console-socket */
    unsigned console_rows, console_cols;   /* process.consoleSize; 0: unset */
    struct run_options run;                /* argv, env, cwd, rootfs, limits, ... */
};

/* Reads bundle/config.json: 0, or -1 with *e naming the field at fault. */
int oci_config_load(const char *bundle, struct oci_config *c, struct err *e);
void oci_config_free(struct oci_config *c);
/* The `process` object alone into c (argv, env, cwd, user, terminal, ...):
 * what `exec --process FILE` holds. 0, or -1 with *e. */
int oci_process_load(json_object *p, struct oci_config *c, struct err *e);

/* The options a bind mount may carry (NULL-terminated): ro, rw, noexec
 * and exec are applied, the rest mean nothing to the VFS's grafts. */
extern const char *const OCI_BIND_OPTIONS[];

/* The default config.json `cordon spec` writes (runc spec's, without a
 * terminal): a NUL-terminated JSON text. */
extern const char OCI_DEFAULT_SPEC[];

#endif
