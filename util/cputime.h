/* util/cputime.h — the CPU time a process tree has spent, read from /proc.
 *
 * Why: --cpu limits a session's CPU time. RLIMIT_CPU bounds each process
 * on its own, so a loop of short children spends without bound; cgroup
 * cpu.stat would count the tree but needs a writable cgroup hierarchy
 * (root). The tracer samples this sum instead, for any user.
 */
#ifndef CORDON_UTIL_CPUTIME_H
#define CORDON_UTIL_CPUTIME_H

#include <stdint.h>
#include <sys/types.h>

/* User + system time, in µs, of ROOT and every process below it, living,
 * zombie or reaped (a reaped child's time is in its reaper's cutime/cstime,
 * so each is counted once). Processes that end mid-walk are skipped:
 * their time reaches the sum at the next sample, through their reaper. */
uint64_t cputime_tree_us(pid_t root);

#endif
