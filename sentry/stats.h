/* sentry/stats.h — the session's live counters: the system calls that
 * reached the sentry, by number, and the denials, by kind.
 *
 * Why shared memory: `cordon serve` shows them at /metrics while the
 * session runs, but its control channel is taken for an exec's whole life
 * and the hot path may neither lock nor allocate. The counters live in one
 * memfd mapping that the session sentry hands the server once (with its
 * ready message, sentry/ctl.h): the sentry counts with a relaxed atomic
 * add, the server reads whenever it is scraped, and no message is ever
 * sent for them. Without a server (`cordon run`) they stay in this
 * process's own memory.
 */
#ifndef CORDON_SENTRY_STATS_H
#define CORDON_SENTRY_STATS_H

#include <stdint.h>

#include "sentry/syscalls.h"

enum denial_kind {
    DENIED_SYSCALL,   /* a system call refused by the policy (policy.denied) */
    DENIED_FILE,      /* a file access refused, or a hidden secret probed */
    DENIED_NET,       /* a connection, lookup or request blocked (net.block) */
    DENIAL_KINDS,
};

struct sentry_stats {
    uint64_t calls[SYSCALL_MAX];      /* serviced or denied by the sentry */
    uint64_t denied[DENIAL_KINDS];
};

extern const char *const DENIAL_KIND_NAME[DENIAL_KINDS];

/* Always valid: this process's own counters until stats_share(). */
extern struct sentry_stats *sentry_stats;

static inline void stats_call(int nr)
{
    if ((unsigned)nr < SYSCALL_MAX)
        __atomic_fetch_add(&sentry_stats->calls[nr], 1, __ATOMIC_RELAXED);
}

static inline void stats_denied(enum denial_kind k)
{
    __atomic_fetch_add(&sentry_stats->denied[k], 1, __ATOMIC_RELAXED);
}

/* Moves the counters into a memfd, sealed at their size, and returns it
 * (the caller sends it to the server), or -errno. Before any other thread
 * exists. */
int stats_share(void);

#endif
