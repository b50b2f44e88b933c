/* sentry/audit.c — decisions worth a line on stderr under -v. */
#include <stdio.h>
#include <string.h>

#include "sentry/sentry.h"

void audit_denied(struct session *s, const struct call *c, const char *name, int err)
{
    if (!s->verbose)
        return;
    fprintf(stderr, "cordon: audit: denied %s(0x%llx, 0x%llx, 0x%llx) pid %d -> %s\n", name,
            (unsigned long long)c->args[0], (unsigned long long)c->args[1],
            (unsigned long long)c->args[2], (int)c->tid, strerrorname_np(err));
}
