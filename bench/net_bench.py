#!/usr/bin/env python3
"""bench/net_bench.py CORDON RUNS [PLATFORM...] — what the network layer
costs, for bench/run.sh: a loopback upstream on the host, reached natively
and, per cordon platform, by a guest through a raw egress grant (the proxy
relays; the grant's "upstream" is the host listener, since the host's own
loopback is never the guest's). Prints, in run.sh's format,
    net RUNNER connect_us US   connect + a 1-byte round trip + close, per connection
    net RUNNER upload_mbs MBS  bulk bytes guest -> upstream (the DLP-scanned direction)
    net RUNNER download_mbs MBS bulk bytes upstream -> guest
one line per timed sample, and "note ..." lines.

The client runs inside the sandbox and times itself: what is measured is the
guest's own view of a connection, without the sandbox's start-up.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

CONNECTS = 200          # per connect sample
BULK = 256 << 20        # bytes per throughput sample
CHUNK = 1 << 20

# The guest side: argv = host port runs. Each sample's number on stdout.
CLIENT = r"""
import socket, sys, time
host, port, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
CONNECTS, BULK, CHUNK = %d, %d, %d

def conn(cmd):
    s = socket.create_connection((host, port))
    s.sendall(cmd)
    return s

def connect_sample():
    t0 = time.perf_counter()
    for _ in range(CONNECTS):
        s = conn(b"c")
        assert s.recv(1) == b"k"
        s.close()
    return (time.perf_counter() - t0) / CONNECTS * 1e6

def upload_sample():
    s = conn(b"u")
    buf = b"\xa5" * CHUNK
    t0 = time.perf_counter()
    for _ in range(BULK // CHUNK):
        s.sendall(buf)
    s.shutdown(socket.SHUT_WR)
    got = int(s.recv(32))
    dt = time.perf_counter() - t0
    assert got == BULK, got
    s.close()
    return BULK / dt / 1e6

def download_sample():
    s = conn(b"d")
    t0 = time.perf_counter()
    got = 0
    while True:
        b = s.recv(CHUNK)
        if not b:
            break
        got += len(b)
    dt = time.perf_counter() - t0
    assert got == BULK, got
    s.close()
    return BULK / dt / 1e6

for name, fn in (("connect_us", connect_sample), ("upload_mbs", upload_sample),
                 ("download_mbs", download_sample)):
    fn()   # warm-up
    for _ in range(runs):
        print(name, "%%.1f" %% fn(), flush=True)
""" % (CONNECTS, BULK, CHUNK)


def serve(conn):
    with conn:
        cmd = conn.recv(1)
        if cmd == b"c":
            conn.sendall(b"k")
        elif cmd == b"u":
            got = 0
            while True:
                b = conn.recv(CHUNK)
                if not b:
                    break
                got += len(b)
            conn.sendall(str(got).encode())
        elif cmd == b"d":
            buf = b"\x5a" * CHUNK
            for _ in range(BULK // CHUNK):
                conn.sendall(buf)


def upstream():
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(256)

    def loop():
        while True:
            c, _ = ls.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1]


def run(runner, cmd, host, port, runs):
    p = subprocess.run(cmd + ["/usr/bin/python3", "-c", CLIENT, host, str(port), str(runs)],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        err = (p.stderr.strip().splitlines() or ["no message"])[-1][:200]
        print(f"note {runner} net: failed (exit {p.returncode}): {err}", flush=True)
    for line in p.stdout.splitlines():
        name, value = line.split()
        print(f"net {runner} {name} {value}", flush=True)


def main():
    cordon, runs, platforms = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    port = upstream()
    run("native", [], "127.0.0.1", port, runs)
    with tempfile.TemporaryDirectory(prefix="cordon-net-bench.") as d:
        policy = os.path.join(d, "policy.json")
        with open(policy, "w") as f:
            json.dump({"egress": [{"host": "upstream.bench.test", "port": 9000,
                                   "upstream": f"127.0.0.1:{port}"}]}, f)
        for platform in platforms:
            run(f"cordon-{platform}", [cordon, "run", "--platform", platform, "--policy", policy, "--"],
                "upstream.bench.test", 9000, runs)


if __name__ == "__main__":
    main()
