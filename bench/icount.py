#!/usr/bin/env python3
"""Instructions per request of lbtop binaries, counted by valgrind's callgrind.

    python3 bench/icount.py BINARY [BINARY ...] [--requests 20000] [--conns 8] [--close]

Timed benchmarks on a shared two-core machine move by ±10% between runs; an instruction count
does not. Each binary runs the same haproxy.cfg (bench.lbtop_rules_cfg, one thread) under
callgrind in front of one nginx; after a warm-up the counters are zeroed, then `--requests`
keep-alive requests (or one connection per request with `--close`) go through, and the count is
dumped, less what the same time idle costs (the engine's tickers). Printed: user-space
instructions per request, and the callgrind file to read with
`callgrind_annotate` (or to diff two of them with `callgrind_differ`). The kernel's share (the
syscalls) is not counted: compare `strace -c -f` for that.
"""

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
CLOSE_REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--close", action="store_true", help="a new connection per request")
    ap.add_argument("--keep", default=None, help="folder to keep the callgrind files in")
    args = ap.parse_args()
    procs = bench.Procs()
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        try:
            ports = [bench.free_port() for _ in range(2)]
            procs.start(["nginx", "-c", str(bench.nginx_conf(d, ports, 1)), "-g", "daemon off;"])
            for p in ports:
                bench.wait_port(p)
            for i, binary in enumerate(args.binaries):
                out = (keep or d) / f"callgrind.{i}.{Path(binary).name}"
                ir = count(binary, out, ports, d, procs, args)
                print(f"{binary}: {ir / args.requests:,.0f} instructions/request  ({out})")
        finally:
            procs.stop_all()


def count(binary, out, ports, d, procs, args):
    """Run one binary under callgrind and return the instructions its requests cost."""
    port = bench.free_port()
    cfg = bench.lbtop_rules_cfg(d, f"ic-{out.name}", port, ports, 1, "")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
           binary, "--headless", "--config", str(cfg)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 120)
        load(port, 500, args)  # warm-up: pools, caches, lazy statics
        zero(proc.pid)
        began = time.monotonic()
        load(port, args.requests, args)
        busy = dump(proc.pid, out)
        # What the engine does by the clock (tickers, snapshots) runs under load too, and a
        # binary slowed more by valgrind would be charged more of it: the same time idle is
        # counted and taken off.
        took = time.monotonic() - began
        zero(proc.pid)
        time.sleep(took)
        idle = dump(proc.pid, out)
        print(f"  {Path(binary).name}: {busy / args.requests:,.0f} under load, {idle / args.requests:,.0f} idle "
              f"({took:.0f} s)", file=sys.stderr)
        return busy - idle
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_port(port, secs):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"port {port} never opened")


def load(port, n, args):
    """n requests over args.conns connections, answered one by one (each read to its end)."""
    if args.close:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), 10)
            s.sendall(CLOSE_REQUEST)
            while s.recv(65536):
                pass
            s.close()
        return
    socks = [socket.create_connection(("127.0.0.1", port), 10) for _ in range(args.conns)]
    done = 0
    while done < n:
        batch = socks[: min(len(socks), n - done)]
        for s in batch:
            s.sendall(REQUEST)
        for s in batch:
            read_response(s)
        done += len(batch)
    for s in socks:
        s.close()


def read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed mid-response")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
    want = int(m.group(1)) if m else 0
    while len(body) < want:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed mid-body")
        body += chunk


def zero(pid):
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def dump(pid, out):
    """Dump the counters and return the summed Ir of every file this dump wrote."""
    before = set(out.parent.glob(out.name + "*"))
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = set(out.parent.glob(out.name + "*")) - before
        if new and all(summary(f) is not None for f in new):
            return sum(summary(f) for f in new)
        time.sleep(0.2)
    raise SystemExit("callgrind wrote no dump")


def summary(path):
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    return None


if __name__ == "__main__":
    main()
