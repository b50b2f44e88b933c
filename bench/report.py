"""bench/report.py MODE RESULTS NOTES OUT [README] — turns bench/run.sh's raw
lines into OUT.md (printed too), OUT.json and OUT.dat (the chart's data for
bench/chart.gp). Given README, also replaces the text between its
README_BEGIN and README_END markers with OUT.md's tables, so that the README
always shows the run whose files sit next to it.

RESULTS lines, as run.sh appends them:
    micro RUNNER NAME MEDIAN_NS Q1_NS Q3_NS   (tests/progs/syscall_cost; one
                                              line per pass, see combine())
    floor RUNNER NAME MEDIAN_NS Q1_NS Q3_NS   (bench/unotify_floor)
    macro RUNNER NAME MS                      (one line per timed run)
    net RUNNER NAME VALUE                     (bench/net_bench.py; one line per
                                              sample, in the unit NET names)

"Spread" everywhere is half the interquartile range as a share of the
median: how far apart the middle half of the batches (micro) or runs
(macro) were, which on a 2-vCPU VM with a ~75 us idle-CPU wake-up is as
informative as the median. Quartiles rather than min/max, so that one
disturbed run does not make ten calm ones look scattered; the JSON keeps
every macro sample.
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
    "events": "cordon seccomp --events",
    "cordon-ptrace": "cordon ptrace",
    "gvisor": "gVisor ptrace",
    "bwrap": "bwrap",
}
MICRO = [
    ("getpid", "getpid (native class)"),
    ("umask", "umask (serviced, no work)"),
    ("stat", "stat, runtime file"),
    ("stat_memory", "stat, /tmp file"),
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
    ("tar_1000_files", "tar -x 1000 files + find -ls + rm -rf"),
    ("python_10k_files", "python: write + read 10,000 small files"),
    ("serve_exec_true", "cordon serve: exec /bin/true in a live session, HTTP to exit frame"),
    ("serve_session", "cordon serve: create + delete a session"),
]
# name, label, unit, higher is better
NET = [
    ("connect_us", "TCP connect + 1-byte round trip + close, loopback upstream", "µs", False),
    ("upload_mbs", "bulk send, guest → upstream (the DLP-scanned direction)", "MB/s", True),
    ("download_mbs", "bulk receive, upstream → guest", "MB/s", True),
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
README_BEGIN = "<!-- bench results: written by bench/report.py, do not edit -->"
README_END = "<!-- end of bench results -->"
PLATFORM_FLOOR = {"cordon-seccomp": "unotify_sync_umask", "cordon-ptrace": "ptrace_umask"}


def load(path):
    micro, floor, macro, net = {}, {}, {}, {}
    for line in open(path):
        kind, runner, name, *values = line.split()
        values = [float(v) for v in values]
        if kind in ("macro", "net"):
            (macro if kind == "macro" else net).setdefault(runner, {}).setdefault(name, []).append(values[0])
        else:
            (micro if kind == "micro" else floor).setdefault(runner, {}).setdefault(name, []).append(values)
    micro = {r: {n: combine(passes) for n, passes in names.items()} for r, names in micro.items()}
    floor = {r: {n: combine(passes) for n, passes in names.items()} for r, names in floor.items()}
    # One shape for both kinds from here on: value in ns, plus spread.
    stats = {}
    for runner, names in micro.items():
        for name, s in names.items():
            stats[(runner, name)] = (s["median_ns"], spread(s["q1_ns"], s["q3_ns"], s["median_ns"]))
    for runner, names in macro.items():
        for name, samples in names.items():
            q1, med, q3 = quartiles(samples)
            stats[(runner, name)] = (med * 1e6, spread(q1, q3, med))
    return micro, floor, macro, net, stats


def combine(passes):
    """Several passes of one micro benchmark: the median of each statistic
    over the passes, so one pass that met a disturbed machine is outvoted."""
    median, q1, q3 = (statistics.median(p[i] for p in passes) for i in range(3))
    return {"median_ns": median, "q1_ns": q1, "q3_ns": q3, "passes": len(passes)}


def quartiles(samples):
    if len(samples) < 2:
        return samples[0], samples[0], samples[0]
    q1, med, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q1, med, q3


def spread(q1, q3, median):
    return (q3 - q1) / 2 / median if median else 0.0


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


def net_table(net, runners):
    """Cells: median ±spread in the row's unit, and for cordon the ratio to
    native (the share of native's throughput, or how many times its
    latency)."""
    runners = [r for r in runners if r in net]
    head = ["network (bench/net_bench.py)"] + [RUNNER_LABEL[r] for r in runners]
    out = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for name, label, unit, _ in NET:
        cells = [label]
        base = net.get("native", {}).get(name)
        for r in runners:
            s = net[r].get(name)
            if not s:
                cells.append("—")
                continue
            q1, med, q3 = quartiles(s)
            cell = f"{med:.0f} {unit} ±{spread(q1, q3, med) * 100:.0f}%"
            if r != "native" and base:
                cell += f" ({fmt_ratio(med / quartiles(base)[1])})"
            cells.append(cell)
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


def update_readme(path, md):
    text = open(path).read()
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        sys.exit(f"report.py: {path} has no bench results markers")
    # The tables sit under the README's own "## Benchmarks" heading: one
    # level down, and without the report's title.
    body = [("#" + line if line.startswith("## ") else line) for line in md.splitlines()[2:]]
    block = README_BEGIN + "\n\n" + "\n".join(body) + "\n\n"
    open(path, "w").write(text[:start] + block + text[end:])


def commit():
    """Which cordon was measured, as run.sh noted it when the run began."""
    return os.environ.get("CORDON_BENCH_COMMIT", "unknown")


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit("usage: report.py MODE RESULTS NOTES OUT [README]")
    mode, results_path, notes_path, out = sys.argv[1:5]
    micro, floor, macro, net, stats = load(results_path)
    notes = [line.rstrip("\n") for line in open(notes_path)]
    order = list(RUNNER_LABEL)
    runners = [r for r in order if r in micro or r in macro or r in net]
    m = machine()
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    md = [f"# cordon benchmark ({mode})", "",
          f"{now}, cordon {commit()}, on {m['cpu']}, {m['cpus']} CPUs ({m['kind']}), "
          f"kernel {m['kernel']}, {m['os']}. "
          "Cells: median ±spread (half the interquartile range, as a share of the median), "
          "and in brackets the ratio to native. `X / gVisor` below 1 means X is faster than gVisor. "
          "— : not measured, the notes at the end say why.", ""]
    if mode != "net":
        md += ["## Micro: one operation, timed inside the sandbox", "",
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
                             f"{fmt_time(f['median_ns'])} ±{spread(f['q1_ns'], f['q3_ns'], f['median_ns']) * 100:.0f}%")
            md.append(f"| {label} | " + " | ".join(cells) + " |")
    if net:
        md += ([] if mode == "net" else [""]) + ["## Network: a raw egress grant through the proxy, next to a direct loopback connection", "",
               "Median of the samples, each timed inside the guest (sandbox start-up excluded); "
               "in brackets the ratio to native.", ""] + net_table(net, runners)
    if any(r.startswith("cordon-") for r in runners) and mode != "net":
        md += ["", "## Targets", ""] + targets(stats, floor, runners)
    if notes:
        md += ["", "## Skipped or failed", ""] + [f"- {n}" for n in notes]
    text = "\n".join(md) + "\n"
    open(out + ".md", "w").write(text)
    print(text, end="")
    if len(sys.argv) == 6:
        update_readme(sys.argv[5], text)

    json.dump({"mode": mode, "time": now, "commit": commit(), "machine": m, "runners": runners, "micro": micro,
               "floor": floor,
               "macro": {r: {n: dict(zip(("q1_ms", "median_ms", "q3_ms"), quartiles(s)), samples_ms=s)
                             for n, s in names.items()}
                         for r, names in macro.items()},
               "net": {r: {n: dict(zip(("q1", "median", "q3"), quartiles(s)), samples=s)
                           for n, s in names.items()}
                       for r, names in net.items()},
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
