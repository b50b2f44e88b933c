#!/usr/bin/env bash
# bench/run.sh [quick|full|net] — what a syscall and a real workload cost under
# cordon, next to the same thing natively, under gVisor (ptrace platform),
# under bubblewrap (namespaces alone) and next to the bare seccomp floors,
# all measured in this one run so that every number in the table comes from
# the same machine in the same state. Builds nothing: `make bench` /
# `make bench-quick` build what it runs.
#
# Writes bench/results/latest.md (also printed), latest.json and latest.png
# (when gnuplot is installed); quick mode writes quick.* instead, so the
# committed latest.* are always from a full run. net mode runs only the
# network rows (connect latency, proxy throughput) and writes net.*. A runner that is missing or fails is skipped
# with the reason printed and listed under the tables: nothing is dropped
# silently.
#
# The guest-side scripts below are single-quoted on purpose: their $ belong
# to the shell inside the sandbox.
# shellcheck disable=SC2016
set -euo pipefail

mode=${1:-quick}
# One round of the macro workloads takes gVisor ~20 s and cordon's ptrace
# platform ~16 s (most of it writing 10,000 files): in quick mode those two
# run only the workloads with targets against them, or bench-quick could not
# stay under 2 minutes. Each skip is listed in the results.
slow_runners="gvisor cordon-ptrace"
case $mode in
quick)
    runs=5
    micro_passes=1
    slow_workloads="python_pass gcc_O2_2000_lines"
    ;;
full)
    runs=9
    micro_passes=3
    slow_workloads=all
    ;;
net)
    runs=5
    micro_passes=0
    ;;
*)
    echo "usage: bench/run.sh [quick|full|net]" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."
# Which cordon is measured, taken now: `make bench` has just brought
# build/cordon up to date with this tree, and the tree may move during the
# ten minutes of a run. Uncommitted edits are flagged, except in the files
# the run itself rewrites.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no -- . ':!bench/results' ':!README.md' 2>/dev/null)" ]; then
    commit+=" with uncommitted changes"
fi
export CORDON_BENCH_COMMIT=$commit
CORDON=${CORDON:-build/cordon}
PROGS=${CORDON_PROGS:-build/progs}
OUT=${CORDON_BENCH_OUT:-bench/results}
PY=/usr/bin/python3 # not the PATH's: on dev machines that is often a pyenv shim
STEP_TIMEOUT=300    # the warm-up run of each measurement may not take longer

# Native runs write their scratch files to memory, as every sandbox here
# does (cordon's memory layer, gVisor's overlay, bwrap's --tmpfs).
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$shm/cordon-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/scratch"
# Exported rather than set per native run, which would put env(1) in the
# native timing. cordon does not pass the host's environment on; bwrap is
# told to drop it; runsc would pass it on (and use it itself, from sandbox
# processes that cannot enter a 0700 directory), so it runs under env -u,
# whose ~0.5 ms is noise next to gVisor's start-up.
export TMPDIR=$tmp/scratch
results=$tmp/results # "micro|macro|floor RUNNER NAME VALUES...", appended by every step
notes=$tmp/notes     # lines printed under the tables
: >"$results"
: >"$notes"

# Progress on stderr, with the seconds elapsed: the time budgets of
# bench-quick and bench are part of the contract.
progress() { echo "bench: [${SECONDS}s] $*" >&2; }

note() {
    echo "$*" >>"$notes"
    progress "$*"
}

# The first line of a failed command's stderr, which says why.
err_head() { head -n 1 "$tmp/err" | head -c 200; }

# runner_prefix RUNNER: sets `prefix` to the words that run a command under
# RUNNER — the one place that knows how each runner is invoked.
runner_prefix() {
    case $1 in
    native) prefix=() ;;
    # the seccomp platform with the event stream on (formatted, written to
    # /dev/null): the cost of --events next to cordon-seccomp's
    events) prefix=("$CORDON" run --platform seccomp --events /dev/null --) ;;
    cordon-*) prefix=("$CORDON" run --platform "${1#cordon-}" --) ;;
    # `runsc do` needs root; its root is an in-memory overlay of the host's.
    gvisor) prefix=(env -u TMPDIR runsc --network=none --platform=ptrace "do") ;;
    # --unshare-all: user, ipc, pid, net (loopback up), uts and cgroup
    # namespaces, as the sandboxes above have; the host's / read-only.
    bwrap) prefix=(bwrap --unshare-all --die-with-parent --ro-bind / / --tmpfs /tmp --dev /dev
        --proc /proc --unsetenv TMPDIR) ;;
    *)
        echo "bench: unknown runner $1" >&2
        exit 2
        ;;
    esac
}

# Which runners this machine has. Each probe runs /bin/true the way every
# measurement will, so a runner that cannot work is skipped here, once, with
# its reason.
runners=(native)
probe_runner() {
    runner_prefix "$1"
    if timeout 60 "${prefix[@]}" /bin/true >/dev/null 2>"$tmp/err"; then
        runners+=("$1")
    else
        note "$1: skipped ($(err_head))"
    fi
}
if [ -x "$CORDON" ]; then
    probe_runner cordon-seccomp
    probe_runner events
    probe_runner cordon-ptrace
else
    note "cordon: skipped ($CORDON not built)"
fi
if ! command -v runsc >/dev/null; then
    note "gvisor: skipped (runsc not installed)"
elif [ "$(id -u)" != 0 ]; then
    note "gvisor: skipped (runsc do needs root)"
else
    probe_runner gvisor
fi
if command -v bwrap >/dev/null; then
    probe_runner bwrap
else
    note "bwrap: skipped (bubblewrap not installed)"
fi
progress "mode $mode, runners: ${runners[*]}"

# --- micro: tests/progs/syscall_cost inside every runner -------------------

# Sandboxed programs cannot see host files, so the probe arrives on stdin in
# every runner alike.
probe_in='p=${TMPDIR:-/tmp}/probe.$$ && cat >"$p" && chmod +x "$p" && exec "$p" "$@"'

# collect KIND RUNNER CMD...: files CMD's measure_report lines under KIND
# RUNNER. A failure keeps the lines that did come out and says why.
collect() {
    local kind=$1 runner=$2 rc=0
    shift 2
    timeout "$STEP_TIMEOUT" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    awk -v k="$kind" -v r="$runner" 'NF == 5 { print k, r, $1, $2, $3, $4 }' "$tmp/out" >>"$results"
    if [ "$rc" != 0 ]; then note "$runner micro: exit $rc: $(err_head)"; fi
}

# Several passes in turn, as for the macro rounds: the machine's state drifts
# by ±25% on a ~100 ns call between minutes, and one pass per runner would
# pin each drift on one runner.
for ((pass = 1; pass <= micro_passes; pass++)); do
    for runner in "${runners[@]}"; do
        progress "micro under $runner, pass $pass of $micro_passes"
        runner_prefix "$runner"
        collect micro "$runner" "${prefix[@]}" /bin/sh -c "$probe_in" sh "$mode" <"$PROGS/syscall_cost"
    done
done
if [ "$mode" != net ]; then
progress "seccomp floors"
collect floor floor build/bench/unotify_floor "$mode"
# On one CPU the supervisor and the caller hand over without a cross-CPU
# wake-up, which on some VMs costs more than the rest of the round trip.
if command -v taskset >/dev/null; then
    collect floor floor-cpu0 taskset -c 0 build/bench/unotify_floor "$mode"
fi
fi

# --- macro: whole-process wall time ----------------------------------------

# A 2002-line C file of small loops for gcc -O2 (~1 s natively).
awk 'BEGIN {
    for (i = 0; i < 182; i++)
        printf "int f%d(const int *a, int n)\n{\n    int s = %d;\n    for (int i = 0; i < n; i++) {\n        s += a[i] * %d ^ (s >> 3);\n        if (s & 1)\n            s -= a[(i + %d) %% n];\n    }\n    return s;\n}\n\n", i, i, i + 1, i % 7 + 1
}' >"$tmp/gen.c"
# 1000 small files in 10 directories.
mkdir -p "$tmp/tree"
for d in 0 1 2 3 4 5 6 7 8 9; do
    mkdir "$tmp/tree/d$d"
    for f in $(seq -w 0 99); do echo "file $d/$f" >"$tmp/tree/d$d/f$f.txt"; done
done
tar -cf "$tmp/files.tar" -C "$tmp/tree" .

# time_runs WORKLOAD INPUT CMD...: every runner runs CMD (stdin from INPUT)
# once untimed — a warm-up that also proves it works, under a timeout — and
# then $runs times timed. The runners take turns within each round, so a
# drift in the machine's state does not land on one runner alone.
time_runs() {
    local workload=$1 input=$2 runner rc t0 t1 round
    shift 2
    local live=()
    if [ "$mode" = net ]; then return; fi
    progress "macro $workload"
    for runner in "${runners[@]}"; do
        if [[ " $slow_runners " == *" $runner "* ]] && [ "$slow_workloads" != all ] &&
            [[ " $slow_workloads " != *" $workload "* ]]; then
            note "$runner $workload: skipped in $mode mode (make bench runs it)"
            continue
        fi
        rc=0
        runner_prefix "$runner"
        timeout "$STEP_TIMEOUT" "${prefix[@]}" "$@" <"$input" >/dev/null 2>"$tmp/err" || rc=$?
        if [ "$rc" = 0 ]; then
            live+=("$runner")
        else
            note "$runner $workload: failed (exit $rc): $(err_head)"
        fi
    done
    for ((round = 0; round < runs; round++)); do
        for runner in "${live[@]}"; do
            rc=0
            runner_prefix "$runner"
            # EPOCHREALTIME, not date(1): no process of our own in the timing.
            t0=${EPOCHREALTIME/./}
            "${prefix[@]}" "$@" <"$input" >/dev/null 2>"$tmp/err" || rc=$?
            t1=${EPOCHREALTIME/./}
            if [ "$rc" = 0 ]; then
                echo "macro $runner $workload $(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000)))" >>"$results"
            else
                note "$runner $workload: run $round failed (exit $rc): $(err_head)"
            fi
        done
    done
}

# Scratch space in the guest comes from mktemp, which honours TMPDIR.
time_runs python_pass /dev/null "$PY" -c pass
time_runs python_imports /dev/null "$PY" -c 'import json, email, http.client, asyncio, sqlite3'
time_runs sh_200_procs /dev/null /bin/sh -c 'i=0; while [ "$i" -lt 200 ]; do /bin/true; i=$((i + 1)); done'
time_runs gcc_O2_2000_lines "$tmp/gen.c" \
    /bin/sh -c 'd=$(mktemp -d) && cat >"$d/x.c" && gcc -O2 -c -o "$d/x.o" "$d/x.c" && rm -rf "$d"'
# find -ls, not ls -l: gVisor's statx answers EINVAL to coreutils 9.1's.
time_runs tar_1000_files "$tmp/files.tar" \
    /bin/sh -c 'd=$(mktemp -d) && tar -xf - -C "$d" && find "$d" -ls >/dev/null && rm -rf "$d"'
time_runs python_10k_files /dev/null "$PY" -c '
import os, tempfile
d = tempfile.mkdtemp()
for i in range(10000):
    with open(f"{d}/{i}", "w") as f:
        f.write("x" * 100)
for i in range(10000):
    with open(f"{d}/{i}") as f:
        assert f.read() == "x" * 100
'

# --- cordon serve: what a session server request costs ---------------------

# An exec in a live session and a session's creation, through the HTTP API
# (bench/serve_bench.py), per cordon platform; no other runner has a
# counterpart, so their cells stay empty.
if [ "$mode" != net ]; then
    note "serve_exec_true, serve_session: cordon serve only (no counterpart in the other runners)"
fi
for runner in "${runners[@]}"; do
    [[ $runner == cordon-* ]] && [ "$mode" != net ] || continue
    progress "serve under $runner"
    rc=0
    timeout "$STEP_TIMEOUT" "$PY" bench/serve_bench.py "$CORDON" "${runner#cordon-}" "$runs" \
        >"$tmp/out" 2>"$tmp/err" || rc=$?
    grep '^macro ' "$tmp/out" >>"$results" || true
    while read -r line; do note "${line#note }"; done < <(grep '^note ' "$tmp/out" || true)
    if [ "$rc" != 0 ]; then note "$runner serve: failed (exit $rc): $(err_head)"; fi
done

# --- network: connect latency and proxy throughput ------------------------

# A loopback upstream on the host, reached natively and, per cordon
# platform, by the guest through a raw egress grant (bench/net_bench.py).
# gVisor runs with --network=none here (its --network=host under `runsc
# do` did not reach the host's loopback), bwrap has no way out.
note "network rows: native and cordon only (gVisor runs with --network=none, bwrap has no way out)"
net_platforms=()
for runner in "${runners[@]}"; do
    if [[ $runner == cordon-* ]]; then net_platforms+=("${runner#cordon-}"); fi
done
progress "network: native ${net_platforms[*]}"
rc=0
timeout "$STEP_TIMEOUT" "$PY" bench/net_bench.py "$CORDON" "$runs" "${net_platforms[@]}" \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
grep '^net ' "$tmp/out" >>"$results" || true
while read -r line; do note "${line#note }"; done < <(grep '^note ' "$tmp/out" || true)
if [ "$rc" != 0 ]; then note "net: failed (exit $rc): $(err_head)"; fi

# --- report ----------------------------------------------------------------

mkdir -p "$OUT"
base=$OUT/latest
if [ "$mode" != full ]; then base=$OUT/$mode; fi
if ! command -v gnuplot >/dev/null; then
    note "chart: skipped (gnuplot not installed; make bench installs gnuplot-nox)"
fi
# A full run also refreshes the README's results block, next to latest.*.
readme=()
if [ "$mode" = full ] && [ "$OUT" = bench/results ]; then readme=(README.md); fi
"$PY" bench/report.py "$mode" "$results" "$notes" "$base" "${readme[@]}"
if command -v gnuplot >/dev/null && [ "$mode" != net ]; then
    gnuplot -e "data='$base.dat'; out='$base.png'" bench/chart.gp
fi
rm -f "$base.dat"
progress "done"
