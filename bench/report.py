"""bench/report.py MODE RESULTS NOTES OUT — turns bench/run.sh's raw lines into
OUT.md (printed too), OUT.json and OUT.dat (the chart's data for bench/chart.gp).

RESULTS lines, as run.sh appends them:
    micro RUNNER NAME MEDIAN_NS MIN_NS MAX_NS   (tests/progs/syscall_cost)
    floor RUNNER NAME MEDIAN_NS MIN_NS MAX_NS   (bench/unotify_floor)
    macro RUNNER NAME MS                        (one line per timed run)

"Spread" everywhere is half the min-max range as a share of the median: it
says how far apart the batches (micro) or runs (macro) were, which on a
2-vCPU VM with a ~75 us idle-CPU wake-up is as informative as the median.
"""
import json
import os
import platform
import statistics
import sys
import time

RUNNER_LABEL = {
    "native": "native",
    "cordon-seccomp": "cordon seccomp",
    "cordon-ptrace": "cordon ptrace",
    "gvisor": "gVisor ptrace",
    "bwrap": "bwrap",
}
MICRO = [
    ("getpid", "getpid (native class)"),
    ("umask", "umask (serviced, no work)"),
    ("stat", "stat, runtime file"),
    ("read4k_runtime", "open+read 4K+close, /usr"),
    ("read4k_memory", "open+read 4K+close, /tmp"),
    ("create4k", "create+write 4K+close+unlink, /tmp"),
    ("getdents_1000", "getdents64 of 1000 entries"),
    ("pipe_pingpong", "pipe ping-pong, 2 processes"),
    ("fork_wait", "fork+exit+wait"),
    ("fork_exec_wait", "fork+exec /bin/true+wait"),
    ("tcp_connect", "TCP connect+accept+close, 127.0.0.1"),
]
MACRO = [
    ("python_pass", "python3 -c pass"),
    ("python_imports", "python3 import json, email, http.client, asyncio, sqlite3"),
    ("sh_200_procs", "sh loop, 200 × /bin/true"),
    ("gcc_O2_2000_lines", "gcc -O2 -c, 2000-line file"),
    ("tar_1000_files", "tar -x 1000 files + ls -lR + rm -rf"),
    ("python_10k_files", "python: write + read 10,000 small files"),
]
FLOORS = [
    ("native_umask", "umask, no filter"),
    ("filter_umask", "umask through a small seccomp filter (allowed)"),
    ("unotify_umask", "user-notification round trip"),
    ("unotify_sync_umask", "user-notification round trip, SYNC_WAKE_UP"),
    ("ptrace_umask", "SECCOMP_RET_TRACE + PTRACE_CONT round trip"),
]
# The floor each cordon platform's serviced call is held against: cordon's
# seccomp platform sets SYNC_WAKE_UP, so that is its like-for-like floor.
PLATFORM_FLOOR = {"cordon-seccomp": "unotify_sync_umask", "cordon-ptrace": "ptrace_umask"}


def load(path):
    micro, floor, macro = {}, {}, {}
    for line in open(path):
        kind, runner, name, *values = line.split()
        values = [float(v) for v in values]
        if kind == "macro":
            macro.setdefault(runner, {}).setdefault(name, []).append(values[0])
        else:
            median, lo, hi = values
            (micro if kind == "micro" else floor).setdefault(runner, {})[name] = {
                "median_ns": median, "min_ns": lo, "max_ns": hi}
    # One shape for both kinds from here on: value in ns, plus spread.
    stats = {}
    for runner, names in micro.items():
        for name, s in names.items():
            stats[(runner, name)] = (s["median_ns"], spread(s["min_ns"], s["max_ns"], s["median_ns"]))
    for runner, names in macro.items():
        for name, samples in names.items():
            med = statistics.median(samples)
            stats[(runner, name)] = (med * 1e6, spread(min(samples), max(samples), med))
    return micro, floor, macro, stats


def spread(lo, hi, median):
    return (hi - lo) / 2 / median if median else 0.0


def fmt_time(ns):
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs" if ns < 1e4 else f"{ns / 1e3:.1f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms" if ns < 1e7 else f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r < 0.1:
        return f"{r:.3f}×"
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def ratio(stats, a, b, name):
    x, y = stats.get((a, name)), stats.get((b, name))
    return x[0] / y[0] if x and y and y[0] else None


def table(stats, runners, rows):
    """Cells: median ±spread, and for sandboxes the ratio to native. Then, per
    cordon platform, its ratio to gVisor (below 1: cordon is faster)."""
    cordons = [r for r in runners if r.startswith("cordon-")] if "gvisor" in runners else []
    head = ["benchmark"] + [RUNNER_LABEL[r] for r in runners] + [f"{RUNNER_LABEL[c]} / gVisor" for c in cordons]
    out = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for name, label in rows:
        cells = [label]
        for r in runners:
            s = stats.get((r, name))
            if s is None:
                cells.append("—")  # the notes under the tables say why
                continue
            cell = f"{fmt_time(s[0])} ±{s[1] * 100:.0f}%"
            if r != "native":
                cell += f" ({fmt_ratio(ratio(stats, r, 'native', name))})"
            cells.append(cell)
        cells += [fmt_ratio(ratio(stats, c, "gvisor", name)) for c in cordons]
        out.append("| " + " | ".join(cells) + " |")
    return out


def targets(stats, floor, runners):
    out = ["| target | " + " | ".join(RUNNER_LABEL[r] for r in runners if r.startswith("cordon-")) + " |",
           "|---" + "|---" * sum(r.startswith("cordon-") for r in runners) + "|"]

    def row(label, fn):
        cells = []
        for r in runners:
            if r.startswith("cordon-"):
                value, ok = fn(r)
                cells.append("—" if value is None else f"{value} {'✅' if ok else '❌'}")
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    def vs_native(name, limit):
        def fn(r):
            x = ratio(stats, r, "native", name)
            return (None, False) if x is None else (f"{x:.2f}×", x <= limit)
        return fn

    def vs_floor(r):
        f = floor.get("floor", {}).get(PLATFORM_FLOOR[r])
        s = stats.get((r, "umask"))
        if not f or not s:
            return None, False
        x = s[0] / f["median_ns"]
        return f"{x:.2f}× ({fmt_time(s[0])} / {fmt_time(f['median_ns'])})", x <= 1.3

    def faster_than_gvisor(name):
        def fn(r):
            x = ratio(stats, "gvisor", r, name)
            return (None, False) if x is None else (f"{x:.1f}× faster", x >= 5)
        return fn

    row("getpid ≤ 1.1× native", vs_native("getpid", 1.1))
    row("umask ≤ 1.3× bare round trip (same platform, same run)", vs_floor)
    for name, label in (("python_pass", "python3 -c pass"), ("gcc_O2_2000_lines", "gcc -O2 build")):
        row(f"{label} ≤ 1.5× native", vs_native(name, 1.5))
        row(f"{label} ≥ 5× faster than gVisor ptrace", faster_than_gvisor(name))
    return out


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    virt = "VM" if "hypervisor" in open("/proc/cpuinfo").read() else "bare metal"
    return {"cpu": model, "cpus": os.cpu_count(), "kind": virt, "kernel": platform.release(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "") if hasattr(
                platform, "freedesktop_os_release") else ""}


def main():
    mode, results_path, notes_path, out = sys.argv[1:]
    micro, floor, macro, stats = load(results_path)
    notes = [line.rstrip("\n") for line in open(notes_path)]
    order = list(RUNNER_LABEL)
    runners = [r for r in order if r in micro or r in macro]
    m = machine()
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    md = [f"# cordon benchmark ({mode})", "",
          f"{now} on {m['cpu']}, {m['cpus']} CPUs ({m['kind']}), kernel {m['kernel']}, {m['os']}. "
          "Cells: median ±spread (half the min–max range, as a share of the median), "
          "and in brackets the ratio to native. `X / gVisor` below 1 means X is faster than gVisor. "
          "— : not measured, the notes at the end say why.",
          "", "## Micro: one operation, timed inside the sandbox", "",
          "Median over timed batches of many calls each (tests/progs/syscall_cost, bench/measure.h).", ""]
    md += table(stats, runners, MICRO)
    md += ["", "## Macro: whole-process wall time", "",
           "Median of the timed runs, each started from the host, sandbox start-up included.", ""]
    md += table(stats, runners, MACRO)
    md += ["", "## Floors: the bare round trips, same run", "",
           "umask answered at once by a supervisor that does no work (bench/unotify_floor).", "",
           "| round trip | any CPU | both pinned to CPU 0 |", "|---|---:|---:|"]
    for name, label in FLOORS:
        cells = []
        for col in ("floor", "floor-cpu0"):
            f = floor.get(col, {}).get(name)
            cells.append("—" if f is None else
                         f"{fmt_time(f['median_ns'])} ±{spread(f['min_ns'], f['max_ns'], f['median_ns']) * 100:.0f}%")
        md.append(f"| {label} | " + " | ".join(cells) + " |")
    if any(r.startswith("cordon-") for r in runners):
        md += ["", "## Targets", ""] + targets(stats, floor, runners)
    if notes:
        md += ["", "## Skipped or failed", ""] + [f"- {n}" for n in notes]
    text = "\n".join(md) + "\n"
    open(out + ".md", "w").write(text)
    print(text, end="")

    json.dump({"mode": mode, "time": now, "machine": m, "runners": runners, "micro": micro,
               "floor": floor,
               "macro": {r: {n: {"samples_ms": s, "median_ms": statistics.median(s),
                                 "min_ms": min(s), "max_ms": max(s)} for n, s in names.items()}
                         for r, names in macro.items()},
               "notes": notes}, open(out + ".json", "w"), indent=2, sort_keys=True)

    # Chart data: slowdown against native, one row per benchmark.
    others = [r for r in runners if r != "native"]
    with open(out + ".dat", "w") as dat:
        dat.write("benchmark " + " ".join(f'"{RUNNER_LABEL[r]}"' for r in others) + "\n")
        for name, _ in MICRO + MACRO:
            vals = [ratio(stats, r, "native", name) for r in others]
            dat.write(name + " " + " ".join("-" if v is None else f"{v:.4g}" for v in vals) + "\n")


if __name__ == "__main__":
    main()
