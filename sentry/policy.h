/* sentry/policy.h — the session's policy: data (JSON), validated at load.
 *
 * Owns: reading the --policy file, rejecting what is not JSON or has keys
 * cordon does not know (a typo in a security policy must never be silently
 * ignored), and handing each layer its own section. Each layer validates and
 * interprets its section itself (net/ "egress", fs/ "secrets" and "mounts",
 * sentry/ "canaries", ...) and reports errors through the same struct err,
 * naming the key: `policy.json: egress[2].port: expected 1..65535`.
 * CLI flags are shorthands that build the same settings.
 */
#ifndef CORDON_SENTRY_POLICY_H
#define CORDON_SENTRY_POLICY_H

#include <json-c/json.h>

#include "util/err.h"

struct policy;

/* Parses `path`; on failure fills *e with the file name, the line and the
 * reason, and returns -1. */
int policy_load(const char *path, struct policy **out, struct err *e);
void policy_free(struct policy *p);

/* The top-level value named `key` (borrowed; lives as long as p), or NULL
 * when the policy has no such key or p is NULL. */
struct json_object *policy_section(const struct policy *p, const char *key);

/* The file name, for messages about a section. */
const char *policy_path(const struct policy *p);

#endif
