/* sentry/workspace.h — what of the host the guest is granted: workspace
 * mounts (`--mount`, the policy's "mounts") and the secret deny list applied
 * inside them (`--secret-deny`, the policy's "secrets"), validated and handed
 * to the VFS before the guest starts.
 *
 * CLI flags and policy sections build the same settings: policy first, then
 * flags (a flag's mount comes after the policy's; its deny rules add to the
 * policy's).
 */
#ifndef CORDON_SENTRY_WORKSPACE_H
#define CORDON_SENTRY_WORKSPACE_H

#include <stdbool.h>

#include "fs/vfs.h"
#include "sentry/policy.h"
#include "util/err.h"

struct mount_spec {
    const char *host, *guest;   /* point into the parsed string's copy */
    unsigned flags;             /* VFS_MOUNT_RW, VFS_MOUNT_NOEXEC */
};

/* Parses "HOST:GUEST[:OPTS]", OPTS a comma list of ro (the default), rw,
 * exec (the default), noexec. `buf` (PATH_MAX * 2) receives a copy the spec's
 * strings point into. A syntax error fills *e and returns -1. */
int workspace_parse_mount(const char *spec, char *buf, struct mount_spec *out, struct err *e);

/* Applies the policy's sections (p may be NULL), then `mounts` (specs as
 * --mount takes them) and `secret_deny` (globs), both NULL-terminated or
 * NULL. A bad section names the key; a missing host directory names it. */
int workspace_apply(struct vfs *v, const struct policy *p, const char *const *mounts,
                    const char *const *secret_deny, struct err *e);

#endif
