/* bench/measure.h — the one statistic every syscall benchmark reports.
 *
 * Both the in-guest probe (tests/progs/syscall_cost.c) and the floor
 * benchmark (bench/unotify_floor.c) include this, so "ns per call" means the
 * same thing in every column of bench/run.sh's table: the median over several
 * timed batches, after one untimed warm-up batch (first-touch page faults,
 * the exec cache, lazy binding and cold caches would otherwise land in the
 * first batch). A median, not a mean, because one preempted batch on a
 * 2-vCPU VM would otherwise move the result by tens of percent.
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
    int calls;   /* calls per timed batch */
    int repeats; /* timed batches; the median of them is reported */
};

/* "quick" keeps `make bench-quick` under its time budget even where one call
 * costs ~100 µs (gVisor's ptrace platform); "full" trades time for a tighter
 * median. */
static inline int measure_plan_parse(const char *mode, struct measure_plan *p)
{
    if (!mode || strcmp(mode, "quick") == 0)
        *p = (struct measure_plan){.calls = 2000, .repeats = 5};
    else if (strcmp(mode, "full") == 0)
        *p = (struct measure_plan){.calls = 20000, .repeats = 11};
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

/* Median ns per call of fn(ctx) over p->repeats batches of p->calls calls. */
static inline double measure_median_ns(void (*fn)(void *), void *ctx, const struct measure_plan *p)
{
    double per_call[MEASURE_MAX_REPEATS];
    int repeats = p->repeats < MEASURE_MAX_REPEATS ? p->repeats : MEASURE_MAX_REPEATS;

    for (int i = 0; i < p->calls; i++)
        fn(ctx);
    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = measure_now_ns();
        for (int i = 0; i < p->calls; i++)
            fn(ctx);
        per_call[r] = (double)(measure_now_ns() - t0) / p->calls;
    }
    qsort(per_call, (size_t)repeats, sizeof per_call[0], measure_cmp_double);
    return per_call[repeats / 2];
}

/* The line format bench/run.sh parses: "name ns_per_call". */
static inline void measure_report(const char *name, double ns)
{
    printf("%s %.1f\n", name, ns);
    fflush(stdout);
}

#endif
