#!/usr/bin/env python3
"""bench/serve_bench.py CORDON PLATFORM RUNS — what `cordon serve` costs per
request, for bench/run.sh: the wall time of an exec of an empty program
(/bin/true) in a live session, from the HTTP request to the exit frame, and
of creating + deleting a session; then how many sessions per second four
clients at once can create. Prints "macro cordon-PLATFORM NAME MS" per timed
sample and "note ..." lines, in run.sh's formats.
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))
from cordon_client import Client  # noqa: E402

cordon, platform, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
runner = f"cordon-{platform}"
token = secrets.token_hex(16)
d = tempfile.mkdtemp(prefix="cordon-serve-bench.")
sock, tokens = f"{d}/serve.sock", f"{d}/tokens"
with open(tokens, "w") as f:
    json.dump({token: "bench"}, f)
srv = subprocess.Popen([cordon, "serve", "--listen", "unix:" + sock, "--tokens", tokens,
                        "--platform", platform, "--max-sessions", "64", "--tenant-sessions", "64"],
                       stderr=subprocess.DEVNULL)
c = Client("unix:" + sock, token)
try:
    for _ in range(200):
        try:
            c.list_sessions()
            break
        except OSError:
            time.sleep(0.025)

    def ms(fn):
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000

    sid = c.create_session()
    # Execs are ~10 ms: many per sample, as the micro batches do.
    per_sample = 20
    c.exec(sid, ["/bin/true"])   # warm-up

    def batch():
        for _ in range(per_sample):
            r = c.exec(sid, ["/bin/true"])
            assert r.exit_code == 0, r
    for _ in range(runs):
        print(f"macro {runner} serve_exec_true {ms(batch) / per_sample:.3f}", flush=True)
    c.delete_session(sid)

    for _ in range(runs):
        print(f"macro {runner} serve_session {ms(lambda: c.delete_session(c.create_session())):.3f}",
              flush=True)

    n, clients = 48, 4
    made = []

    def creator():
        for _ in range(n // clients):
            made.append(c.create_session())
    t0 = time.perf_counter()
    threads = [threading.Thread(target=creator) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    print(f"note cordon serve ({platform}): {len(made)} sessions created by {clients} clients at once "
          f"in {secs:.2f} s = {len(made) / secs:.0f} sessions/s", flush=True)
    for sid in made:
        c.delete_session(sid)
finally:
    srv.terminate()
    srv.wait(30)
    for p in (sock, tokens):
        if os.path.exists(p):
            os.unlink(p)
    os.rmdir(d)
