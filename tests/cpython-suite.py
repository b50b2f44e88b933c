#!/usr/bin/python3
"""tests/cpython-suite.py — CPython's own file-system tests, natively and
under cordon, case by case.

Runs Debian's python3.11 test suite (package libpython3.11-testsuite) for the
test files below once natively and once under cordon per platform, reads
each run's JUnit XML, prints a per-file pass/fail/skip table and then every
test case whose result under cordon differs from the native one. Exits 1
when a difference is not listed in README.md's "known differences" table
(each row names the case, the platform and cordon's result, and says why),
so a regression in the VFS fails CI while a limit that is written down does
not. An unlisted difference is run again, that case alone on both sides,
and counts only if it shows again: timing tests flake on a loaded machine. A listed difference that no longer occurs is reported, not fatal: the
README row should then go.

Both sides get the same conditions: a clean environment (as cordon gives
its guest), umask 022, scratch files in memory, and a non-root user — natively as root the suite
would skip its permission tests that run under cordon as uid 1000, so the
native run drops to nobody.

Usage: tests/cpython-suite.py [--cordon PATH] [--platform NAME]... [TEST]...
Logs and XML go to build/cpython-suite/.
"""
import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

PYTHON = "/usr/bin/python3.11"
TESTSUITE = "/usr/lib/python3.11/test/test_os.py"  # shipped by libpython3.11-testsuite
TESTS = ("test_os test_posix test_shutil test_tempfile test_glob test_pathlib test_stat "
         "test_fileio test_io test_genericpath test_posixpath test_fnmatch test_zipfile "
         "test_tarfile").split()
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"}
# regrtest's own per-test watchdog: a hang becomes a failure, not a stuck CI.
REGRTEST = ["-m", "test", "--timeout", "600"]
SIDE_TIMEOUT = 1800
README_BEGIN = "<!-- cpython-suite known differences"
README_END = "<!-- end of cpython-suite known differences -->"


class SideFailed(Exception):
    pass


def parse_junit(path):
    """{case name: status} from regrtest's JUnit XML. A case whose subtests
    failed is written by regrtest 3.11 as a <testcase> without a name: those
    are counted per file so that the named case's absence reads as an error
    rather than as a vanished test."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise SideFailed(f"no JUnit XML ({e})")
    cases, unnamed = {}, {}
    for suite in root.iter("testsuite"):
        named = [tc.get("name") for tc in suite.iter("testcase") if tc.get("name")]
        module = test_file(named[0]) if named else "?"
        for tc in suite.iter("testcase"):
            name = tc.get("name")
            if not name:
                unnamed[module] = unnamed.get(module, 0) + 1
                continue
            status, detail = "pass", ""
            for child in tc:
                if child.tag in ("skipped", "failure", "error"):
                    status = {"skipped": "skip", "failure": "fail"}.get(child.tag, child.tag)
                    detail = (child.text or child.get("message") or "").strip()
            cases[name] = (status, detail)
    return cases, unnamed


def test_file(case):
    # "test.test_os.FileTests.test_access" -> "test_os"
    parts = case.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "test" else parts[0]


def run_side(label, argv, outdir, preexec=None, cwd=None, xml_on_stdout=False):
    """Runs one side; returns its parsed results. stderr (the regrtest log)
    goes to OUTDIR/LABEL.log."""
    log = os.path.join(outdir, f"{label}.log")
    xml = os.path.join(outdir, f"{label}.xml")
    t0 = time.monotonic()
    print(f"cpython-suite: running {label} ...", flush=True)
    with open(log, "wb") as err, open(xml, "wb") as out:
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out if xml_on_stdout else err,
                               stderr=err, env=ENV | ({"HOME": cwd, "TMPDIR": cwd} if cwd else {}),
                               cwd=cwd, preexec_fn=preexec, timeout=SIDE_TIMEOUT)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            raise SideFailed(f"did not finish within {SIDE_TIMEOUT} s (log: {log})")
    secs = time.monotonic() - t0
    print(f"cpython-suite: {label}: exit {rc} in {secs:.0f} s (log: {log})", flush=True)
    if not xml_on_stdout:
        shutil.copyfile(os.path.join(cwd, "junit.xml"), xml)
    try:
        return parse_junit(xml)
    except SideFailed as e:
        raise SideFailed(f"{e}; exit {rc}, see {log}")


def native_side(label, args, outdir):
    """Natively, as nobody when run as root (see the module comment).
    args: regrtest's test files and options."""
    # In memory, as the guest's /tmp is (and as bench/run.sh runs native):
    # on disk the same tests take twice as long.
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    work = tempfile.mkdtemp(prefix="cpython-suite-", dir=shm)
    preexec_ids = None
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(work, nobody.pw_uid, nobody.pw_gid)
        preexec_ids = (nobody.pw_uid, nobody.pw_gid)

    def preexec():
        os.umask(0o022)
        if preexec_ids:
            os.setgroups([])
            os.setgid(preexec_ids[1])
            os.setuid(preexec_ids[0])

    try:
        return run_side(label, [PYTHON, *REGRTEST, "--junit-xml", os.path.join(work, "junit.xml"), *args],
                        outdir, preexec=preexec, cwd=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cordon_side(label, args, outdir, cordon, platform):
    """Under cordon: the guest's files never reach the host, so the XML
    comes back on stdout once the suite is done; its log goes to stderr."""
    script = (f'{PYTHON} {" ".join(REGRTEST)} --junit-xml /tmp/junit.xml "$@" >&2; rc=$?; '
              'cat /tmp/junit.xml; exit $rc')
    return run_side(label, [cordon, "run", "--platform", platform, "--", "/bin/sh", "-c", script, "sh", *args],
                    outdir, xml_on_stdout=True)


def known_differences(readme):
    """{(case, platform): (cordon status, why)} from README's table."""
    try:
        text = open(readme, encoding="utf-8").read()
    except OSError as e:
        sys.exit(f"cpython-suite: {readme}: {e.strerror}")
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        sys.exit(f"cpython-suite: {readme} has no known-differences table ({README_BEGIN} ... {README_END})")
    known, last_why = {}, ""
    for line in text[begin:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].strip("`").startswith("test."):
            continue
        case, platform, _native, status, why = cells
        case = case.strip("`")
        # "the same" rows share the reason of the row above.
        if why.startswith("the same"):
            why = last_why + why[len("the same"):]
        last_why = why
        for p in ("seccomp", "ptrace") if platform == "both" else (platform,):
            known[(case, p)] = (status, why)
    return known


def status_of(results, case):
    cases, unnamed = results
    if case in cases:
        return cases[case]
    return ("error", "failed subtests") if unnamed.get(test_file(case)) else ("missing", "")


def counts(results, module):
    c = {"pass": 0, "fail": 0, "skip": 0}
    cases, unnamed = results
    for name, (status, _) in cases.items():
        if test_file(name) == module:
            c["fail" if status in ("fail", "error") else status] += 1
    c["fail"] += unnamed.get(module, 0)
    return f'{c["pass"]}/{c["fail"]}/{c["skip"]}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cordon", default="build/cordon")
    ap.add_argument("--platform", action="append", choices=("seccomp", "ptrace"),
                    help="repeatable; default: both")
    ap.add_argument("--readme", default="README.md")
    ap.add_argument("--out", default="build/cpython-suite")
    ap.add_argument("tests", nargs="*", help=f"test files (default: {' '.join(TESTS)})")
    a = ap.parse_args()
    for what, path in (("python3.11", PYTHON), ("libpython3.11-testsuite", TESTSUITE),
                       ("cordon (make build/cordon)", a.cordon)):
        if not os.path.exists(path):
            sys.exit(f"cpython-suite: {path} is missing: install {what}")
    if a.tests:
        TESTS[:] = a.tests
    platforms = a.platform or ["seccomp", "ptrace"]
    known = known_differences(a.readme)
    os.makedirs(a.out, exist_ok=True)

    cordon = os.path.abspath(a.cordon)

    def run_all(suffix, args, which):
        """{side label: results} for the sides in `which`."""
        runs = {}
        for side in which:
            label = side + suffix
            if side == "native":
                runs[side] = native_side(label, args, a.out)
            else:
                runs[side] = cordon_side(label, args, a.out, cordon, side.removeprefix("cordon-"))
        return runs

    labels = ["native"] + [f"cordon-{p}" for p in platforms]
    try:
        sides = run_all("", TESTS, labels)
    except SideFailed as e:
        sys.exit(f"cpython-suite: {e}")

    width = max(len(t) for t in TESTS)
    print(f"\n{'test file':<{width}}  " + "  ".join(f"{l + ' pass/fail/skip':>30}" for l in labels))
    for t in TESTS:
        print(f"{t:<{width}}  " + "  ".join(f"{counts(sides[l], t):>30}" for l in labels))

    all_cases = set()
    for l in labels:
        all_cases |= set(sides[l][0])
    # (platform, case) -> (native status, cordon status) for every difference
    diffs = {}
    for p in platforms:
        for case in sorted(all_cases):
            want, got = status_of(sides["native"], case), status_of(sides[f"cordon-{p}"], case)
            if want[0] != got[0]:
                diffs[(p, case)] = (want, got)
    unlisted = {k: v for k, v in diffs.items() if known.get((k[1], k[0]), (None,))[0] != v[1][0]}

    # A loaded machine makes some timing tests flaky on either side: an
    # unlisted difference counts only if a second run of just that case,
    # on both sides, shows it again.
    agreed = set()
    if unlisted:
        cases = sorted({case for _, case in unlisted})
        args = sorted({test_file(c) for c in cases})
        for c in cases:
            args += ["-m", c]
        try:
            again = run_all("-rerun", args, ["native"] + sorted({f"cordon-{p}" for p, _ in unlisted}))
        except SideFailed as e:
            sys.exit(f"cpython-suite: rerun: {e}")
        for (p, case) in unlisted:
            if status_of(again["native"], case)[0] == status_of(again[f"cordon-{p}"], case)[0]:
                agreed.add((p, case))

    print()
    seen_known = set()
    failed = 0
    for (p, case), (want, got) in sorted(diffs.items(), key=lambda kv: (kv[0][0] != "seccomp", kv[0][1])):
        if (p, case) not in unlisted:
            seen_known.add((case, p))
            print(f"  known   {p:<7} {case}: {want[0]} -> {got[0]} ({known[(case, p)][1]})")
        elif (p, case) in agreed:
            print(f"  flaky   {p:<7} {case}: native {want[0]}, cordon {got[0]}; the same on a rerun of the case")
        else:
            failed += 1
            detail = got[1].splitlines()[-1] if got[1] else ""
            print(f"  DIFFERS {p:<7} {case}: native {want[0]}, cordon {got[0]}"
                  + (f": {detail[:200]}" if detail else ""))
    for (case, p) in sorted(set(known) - seen_known):
        if p in platforms and test_file(case) in TESTS:
            print(f"  gone    {p:<7} {case}: listed in {a.readme} but no longer differs: remove the row")
    print(f"\n{len(diffs)} differences from native, {failed} not listed in {a.readme}")
    if failed:
        print(f"cpython-suite: FAILED: list each remaining difference in {a.readme} with its reason, or fix it")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
