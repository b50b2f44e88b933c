/* serve/metrics.c — the server's counters and the exec latency histogram,
 * exposed as Prometheus text at /metrics. Counted with atomics: requests
 * in many connection threads bump them, only /metrics reads them all. The
 * session sentries' own counters (system calls, denials) are read from
 * the memory they share with the server (sentry/stats.h) at each scrape. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "sentry/stats.h"
#include "serve/serve.h"

static const struct {
    const char *name, *help;
} NAMES[M_COUNT] = {
    [M_SESSIONS_CREATED] = { "cordon_sessions_created_total", "Sessions started." },
    [M_SESSIONS_FAILED] = { "cordon_sessions_failed_total", "Session sentries that died or broke." },
    [M_SESSIONS_REAPED] = { "cordon_sessions_reaped_total", "Sessions stopped after their idle ttl." },
    [M_EXECS] = { "cordon_execs_total", "Exec requests run." },
    [M_EXEC_ERRORS] = { "cordon_exec_errors_total", "Execs that ended with an error frame." },
    [M_OUTPUT_TRUNCATED] = { "cordon_exec_output_truncated_total", "Execs whose output hit the cap." },
    [M_REFUSED_429] = { "cordon_refused_tenant_limit_total", "Session creations refused with 429." },
    [M_REFUSED_503] = { "cordon_refused_server_full_total", "Session creations refused with 503." },
};

static const double BUCKETS[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define NB (sizeof BUCKETS / sizeof *BUCKETS)

static atomic_ulong counters[M_COUNT];
static atomic_ulong hist[NB + 1];
static _Atomic double hist_sum;

void metric_inc(enum metric m)
{
    atomic_fetch_add(&counters[m], 1);
}

void metric_exec_seconds(double s)
{
    size_t k = 0;
    while (k < NB && s > BUCKETS[k])
        k++;
    atomic_fetch_add(&hist[k], 1);
    double old = atomic_load(&hist_sum);
    while (!atomic_compare_exchange_weak(&hist_sum, &old, old + s))
        ;
}

char *metrics_text(unsigned sessions_now)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "# HELP cordon_sessions Sessions in the table now.\n# TYPE cordon_sessions gauge\n"
               "cordon_sessions %u\n", sessions_now);
    for (unsigned m = 0; m < M_COUNT; m++)
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", NAMES[m].name, NAMES[m].help,
                NAMES[m].name, NAMES[m].name, atomic_load(&counters[m]));
    fprintf(f, "# HELP cordon_exec_seconds Exec wall time, request to exit frame.\n"
               "# TYPE cordon_exec_seconds histogram\n");
    unsigned long cum = 0;
    for (size_t k = 0; k <= NB; k++) {
        cum += atomic_load(&hist[k]);
        if (k < NB)
            fprintf(f, "cordon_exec_seconds_bucket{le=\"%g\"} %lu\n", BUCKETS[k], cum);
        else
            fprintf(f, "cordon_exec_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    }
    fprintf(f, "cordon_exec_seconds_sum %g\ncordon_exec_seconds_count %lu\n", atomic_load(&hist_sum),
            cum);
    struct sentry_stats *st = calloc(1, sizeof *st);
    if (st) {
        sessions_stats(st);
        fprintf(f, "# HELP cordon_denials_total Guest actions the session sentries refused, by kind.\n"
                   "# TYPE cordon_denials_total counter\n");
        for (unsigned k = 0; k < DENIAL_KINDS; k++)
            fprintf(f, "cordon_denials_total{kind=\"%s\"} %llu\n", DENIAL_KIND_NAME[k],
                    (unsigned long long)st->denied[k]);
        fprintf(f, "# HELP cordon_syscalls_total System calls that reached the session sentries "
                   "(serviced or denied; calls the filter lets through natively are not seen).\n"
                   "# TYPE cordon_syscalls_total counter\n");
        for (unsigned k = 0; k < SYSCALL_MAX; k++)
            if (st->calls[k] && syscall_table[k].name)
                fprintf(f, "cordon_syscalls_total{syscall=\"%s\"} %llu\n", syscall_table[k].name,
                        (unsigned long long)st->calls[k]);
            else if (st->calls[k])   /* a number the table does not name */
                fprintf(f, "cordon_syscalls_total{syscall=\"nr_%u\"} %llu\n", k,
                        (unsigned long long)st->calls[k]);
        free(st);
    }
    fclose(f);
    return text;
}
