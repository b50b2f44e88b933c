#!/usr/bin/env bash
# bench/run.sh [quick|full] — syscall cost natively, under cordon and under
# gVisor, next to the seccomp floors, all measured in this one run so that
# every number in the table comes from the same machine in the same state.
# Builds nothing: `make bench` / `make bench-quick` build what it runs.
# Writes bench/results/latest.md (also printed) and latest.json.
set -euo pipefail

mode=${1:-quick}
case $mode in quick | full) ;; *) echo "usage: bench/run.sh [quick|full]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
CORDON=${CORDON:-build/cordon}
PROGS=${CORDON_PROGS:-build/progs}
PY=/usr/bin/python3 # the guest's interpreter, also timed natively
STEP_TIMEOUT=300    # no single measurement may hang the benchmark

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=$tmp/results # lines "COLUMN NAME VALUE", appended by every step
notes=$tmp/notes     # lines printed under the tables
: >"$results"
: >"$notes"

note() { echo "$*" >>"$notes"; echo "bench: $*" >&2; }

# collect COLUMN CMD...: runs a "name ns" printer, files its lines under COLUMN.
collect() {
    local column=$1
    shift
    if timeout "$STEP_TIMEOUT" "$@" >"$tmp/out" 2>"$tmp/err"; then
        awk -v c="$column" 'NF == 2 { print c, $1, $2 }' "$tmp/out" >>"$results"
    else
        note "$column: failed (exit $?): $(head -c 300 "$tmp/err" | tr '\n' ' ')"
    fi
}

# Host binaries are not visible in the guest: a probe arrives on stdin.
pipe_in='cat > /tmp/probe && chmod +x /tmp/probe && exec /tmp/probe "$@"'

# median_ms COLUMN CMD...: median wall time of 5 runs as "COLUMN python_pass_ms MS".
median_ms() {
    local column=$1
    shift
    if command -v hyperfine >/dev/null; then
        if timeout "$STEP_TIMEOUT" hyperfine -N --runs 5 --warmup 1 --export-json "$tmp/hf.json" \
            -- "$*" >/dev/null 2>"$tmp/err"; then
            "$PY" -c 'import json,sys; print(sys.argv[1], "python_pass_ms", json.load(open(sys.argv[2]))["results"][0]["median"] * 1e3)' \
                "$column" "$tmp/hf.json" >>"$results"
        else
            note "$column python3 -c pass: failed: $(head -c 300 "$tmp/err" | tr '\n' ' ')"
        fi
        return
    fi
    local times=() t0
    for _ in 1 2 3 4 5; do
        t0=$(date +%s%N)
        if ! timeout "$STEP_TIMEOUT" "$@" >/dev/null 2>"$tmp/err"; then
            note "$column python3 -c pass: failed: $(head -c 300 "$tmp/err" | tr '\n' ' ')"
            return
        fi
        times+=($((($(date +%s%N) - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v c="$column" 'NR == 3 { print c, "python_pass_ms", $1 / 1e3 }' >>"$results"
}

echo "bench: mode $mode" >&2
collect native "$PROGS/syscall_cost" "$mode"
if [ -x "$CORDON" ]; then
    collect cordon "$CORDON" run -- /bin/sh -c "$pipe_in" sh "$mode" <"$PROGS/syscall_cost"
else
    note "cordon: skipped ($CORDON not built)"
fi

# gVisor's `runsc do` needs root; it sees host paths, so the probe runs in place.
gvisor=(runsc --network=none --platform=ptrace "do")
if ! command -v runsc >/dev/null; then
    note "gVisor: skipped (runsc not installed)"
    gvisor=()
elif [ "$(id -u)" != 0 ]; then
    note "gVisor: skipped (runsc do needs root)"
    gvisor=()
else
    collect gvisor "${gvisor[@]}" "$PWD/$PROGS/syscall_cost" "$mode"
fi

collect floor build/bench/unotify_floor "$mode"
# On one CPU the supervisor and the caller hand over without a cross-CPU
# wake-up, which on some VMs costs more than the rest of the round trip.
if command -v taskset >/dev/null; then
    collect floor_cpu0 taskset -c 0 build/bench/unotify_floor "$mode"
fi

median_ms native "$PY" -c pass
if [ -x "$CORDON" ]; then median_ms cordon "$CORDON" run -- "$PY" -c pass; fi
if [ ${#gvisor[@]} -gt 0 ]; then median_ms gvisor "${gvisor[@]}" "$PY" -c pass; fi

mkdir -p bench/results
"$PY" - "$mode" "$results" "$notes" bench/results/latest.md bench/results/latest.json <<'EOF'
# Syscall costs are in ns per call; python_pass_ms, as named, in ms.
import json, os, platform, sys, time
mode, results_path, notes_path, md_path, json_path = sys.argv[1:]

data = {}
for line in open(results_path):
    column, name, value = line.split()
    data.setdefault(column, {})[name] = float(value)
notes = [l.rstrip("\n") for l in open(notes_path)]

def get(column, name):
    return data.get(column, {}).get(name)

def ns(v):
    return "—" if v is None else f"{v:,.0f}"

def ratio(a, b):
    return "—" if a is None or not b else f"{a / b:.1f}×"

calls = [("getpid", "native"), ("umask", "serviced, no work"), ("stat", "serviced"),
         ("read4k_runtime", "open+read 4K+close, runtime layer"),
         ("read4k_memory", "open+read 4K+close, memory layer")]
floors = [("native_umask", "no filter"), ("filter_umask", "small seccomp filter, allowed"),
          ("unotify_umask", "user notification round trip"),
          ("unotify_sync_umask", "user notification, SYNC_WAKE_UP"),
          ("ptrace_umask", "SECCOMP_RET_TRACE + PTRACE_CONT")]

out = [f"# cordon syscall benchmark ({mode})", "",
       f"{time.strftime('%Y-%m-%d %H:%M:%S')}, kernel {platform.release()}, {os.cpu_count()} CPUs. "
       "Median ns per call.", "",
       "| call | class | native ns | cordon ns | cordon/native | gVisor ptrace ns | gVisor/native |",
       "|---|---|---:|---:|---:|---:|---:|"]
for name, cls in calls:
    n, c, g = get("native", name), get("cordon", name), get("gvisor", name)
    out.append(f"| {name} | {cls} | {ns(n)} | {ns(c)} | {ratio(c, n)} | {ns(g)} | {ratio(g, n)} |")

out += ["", "Floors: umask answered at once by a supervisor that does no work.", "",
        "| round trip | ns (any CPU) | ns (pinned to CPU 0) |", "|---|---:|---:|"]
for name, what in floors:
    out.append(f"| {what} | {ns(get('floor', name))} | {ns(get('floor_cpu0', name))} |")

served = get("cordon", "umask")
out += ["", "Serviced call against the floor (cordon umask / floor, same run):", ""]
for name, what in floors[2:4]:
    out.append(f"- {what}: {ratio(served, get('floor', name))}")

out += ["", "| `python3 -c pass` | native ms | cordon ms | gVisor ptrace ms |", "|---|---:|---:|---:|",
        "| median of 5 | " + " | ".join(
            "—" if get(c, "python_pass_ms") is None else f"{get(c, 'python_pass_ms'):.1f}"
            for c in ("native", "cordon", "gvisor")) + " |"]
if notes:
    out += [""] + [f"- {n}" for n in notes]

text = "\n".join(out) + "\n"
open(md_path, "w").write(text)
json.dump({"mode": mode, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "kernel": platform.release(),
           "results": data, "notes": notes}, open(json_path, "w"), indent=2, sort_keys=True)
print(text, end="")
EOF
