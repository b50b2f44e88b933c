/* sentry/canary.h — canary files: fake secrets with a per-session token.
 *
 * Owns: reading --canary and the policy's "canaries" section, writing each
 * canary into the VFS with a token in a realistic format (an AWS-looking
 * key pair for .aws/credentials, an API-key line otherwise), marking it
 * VFS_INODE_CANARY so the sentry reports every open at once, and the list
 * of tokens the net layer's egress scan blocks (events_canary_tokens()).
 * Why fake secrets: a guest that reads a credential file it was never told
 * about and tries to send it out is exfiltrating; the token makes that
 * visible and blockable without false positives.
 */
#ifndef CORDON_SENTRY_CANARY_H
#define CORDON_SENTRY_CANARY_H

#include "fs/vfs.h"
#include "sentry/policy.h"
#include "util/err.h"

/* Places the canaries named by cli (NULL-terminated, may be NULL) and by
 * policy section "canaries" (an array of guest paths). Paths are absolute
 * or start with "~/" (the guest's home). -1 + *e naming the flag or key. */
int canary_setup(struct vfs *v, const char *const *cli, const struct policy *p,
                 const struct fs_cred *owner, const char *home, struct err *e);

/* How many canaries the session has (0: opens need no check). */
unsigned canary_count(void);

#endif
