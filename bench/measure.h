/* bench/measure.h — the one statistic every syscall benchmark reports.
 *
 * Both the in-guest probe (tests/progs/syscall_cost.c) and the floor
 * benchmark (bench/unotify_floor.c) include this, so "ns per call" means the
 * same thing in every column of bench/run.sh's table: the median over several
 * timed batches, after an untimed warm-up (first-touch page faults, the exec
 * cache, lazy binding and cold caches would otherwise land in the first
 * batch). A median, not a mean, because one preempted batch on a 2-vCPU VM
 * would otherwise move the result by tens of percent.
 *
 * Batches are sized by time, not by a fixed call count: one call costs from
 * ~100 ns (getpid natively) to ~10 ms (fork+exec under gVisor's ptrace
 * platform), and a fixed count would either make the slow runners blow the
 * time budget or leave the fast ones timing the clock. The warm-up doubles
 * its call count until it has run for a quarter of a batch, and its last
 * round sets the batch size.
 */
#ifndef CORDON_BENCH_MEASURE_H
#define CORDON_BENCH_MEASURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MEASURE_MAX_REPEATS 64

struct measure_plan {
    double batch_ns; /* wall time one timed batch aims at */
    int repeats;     /* timed batches; the median of them is reported */
};

struct measure_result {
    double median, q1, q3; /* ns per call: median and quartiles of the batches */
    long calls;            /* calls per batch */
};

/* "quick" keeps `make bench-quick` under its time budget; "full" trades
 * time for longer batches and a median of more of them. */
static inline int measure_plan_parse(const char *mode, struct measure_plan *p)
{
    if (!mode || strcmp(mode, "quick") == 0)
        *p = (struct measure_plan){.batch_ns = 20e6, .repeats = 5};
    else if (strcmp(mode, "full") == 0)
        *p = (struct measure_plan){.batch_ns = 100e6, .repeats = 11};
    else
        return -1;
    return 0;
}

static inline uint64_t measure_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int measure_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ns per call of fn(ctx) over p->repeats batches of about p->batch_ns. */
static inline struct measure_result measure_run(void (*fn)(void *), void *ctx, const struct measure_plan *p)
{
    double per_call[MEASURE_MAX_REPEATS];
    int repeats = p->repeats < MEASURE_MAX_REPEATS ? p->repeats : MEASURE_MAX_REPEATS;

    long n = 1;
    double spent;
    for (;;) {
        uint64_t t0 = measure_now_ns();
        for (long i = 0; i < n; i++)
            fn(ctx);
        spent = (double)(measure_now_ns() - t0);
        if (spent >= p->batch_ns / 4)
            break;
        n *= 2;
    }
    long calls = (long)(p->batch_ns / (spent / (double)n));
    if (calls < 1)
        calls = 1;

    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = measure_now_ns();
        for (long i = 0; i < calls; i++)
            fn(ctx);
        per_call[r] = (double)(measure_now_ns() - t0) / (double)calls;
    }
    qsort(per_call, (size_t)repeats, sizeof per_call[0], measure_cmp_double);
    /* Quartiles, not min and max: one batch that met a vCPU wake-up storm
     * should not make the spread of ten calm ones look wide. */
    return (struct measure_result){
        .median = per_call[repeats / 2],
        .q1 = per_call[repeats / 4],
        .q3 = per_call[repeats - 1 - repeats / 4],
        .calls = calls,
    };
}

/* The line format bench/run.sh parses:
 * "name median_ns q1_ns q3_ns calls_per_batch". */
static inline void measure_report(const char *name, struct measure_result r)
{
    printf("%s %.1f %.1f %.1f %ld\n", name, r.median, r.q1, r.q3, r.calls);
    fflush(stdout);
}

#endif
