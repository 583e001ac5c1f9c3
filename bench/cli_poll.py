#!/usr/bin/env python3
"""What polling `show stat` costs: one config with 1,000 servers, the same keep-alive load on
three lbtop processes started alike, one of them polled every 250 ms (as `lbtop attach`, hatop
or an exporter would), interleaved round by round. The two unpolled ones give the A/A noise.

Also: how long one `show stat` answer takes on that config (lbtop and HAProxy), and the CPU
lbtop spends per answer, polled while idle.

lbtop is asked on its `stats socket` when it serves one; a build without the socket is asked
for the same CSV on its stats page (`/stats;csv`, the same snapshot and rows), and the report
says which. Run: bench/cli_poll.sh (builds first) or python3 bench/cli_poll.py --help.
"""

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared helpers: processes, nginx, wrk, CPU ticks)

SERVERS = 1000


def config(d, name, port, stats_port, backends, threads):
    servers = "\n".join(f"  server s{i} 127.0.0.1:{backends[i % len(backends)]}" for i in range(SERVERS))
    sock = d / f"{name}.sock"
    cfg = d / f"{name}.cfg"
    cfg.write_text(f"""global
  nbthread {threads}
  maxconn 6000
  stats socket {sock} mode 600 level admin
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
listen stats
  bind 127.0.0.1:{stats_port}
  stats enable
  stats uri /stats
frontend fe
  bind 127.0.0.1:{port}
  default_backend be
backend be
  balance roundrobin
{servers}
""")
    return cfg, sock


class Asker:
    """`show stat` on the socket if there is one, else the stats page's CSV."""

    def __init__(self, sock, stats_port):
        self.sock, self.stats_port = sock, stats_port
        self.transport = "stats socket" if Path(sock).exists() else "stats page ;csv"

    def ask(self):
        if self.transport == "stats socket":
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(5)
                s.connect(str(self.sock))
                s.sendall(b"show stat\n")
                chunks = []
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
                return b"".join(chunks)
        url = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read()

    def timed(self):
        t0 = time.perf_counter()
        body = self.ask()
        return (time.perf_counter() - t0) * 1000, body


class Poller(threading.Thread):
    def __init__(self, asker, every=0.25):
        super().__init__(daemon=True)
        self.asker, self.every = asker, every
        self.stop = threading.Event()
        self.times = []

    def run(self):
        while not self.stop.wait(self.every):
            ms, _ = self.asker.timed()
            self.times.append(ms)


def answer_times(asker, n=40):
    times, rows = [], 0
    for _ in range(n):
        ms, body = asker.timed()
        times.append(ms)
        rows = body.count(b"\n")
    times.sort()
    return {"median_ms": bench.median(times), "max_ms": times[-1], "lines": rows}


def idle_cpu_per_answer(pid, asker, n=40):
    t0 = bench.cpu_ticks(pid)
    for _ in range(n):
        asker.ask()
    return (bench.cpu_ticks(pid) - t0) * bench.TICK_US / n


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", default=str(bench.ROOT / "bench" / "results" / "cli-poll.json"))
    args = ap.parse_args()
    procs = bench.Procs()
    proxy_cpus, load_cpus, threads, conns, gen = "0", "1", 1, 50, 1
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "servers": SERVERS,
              "rounds": args.rounds, "duration": args.duration}
    try:
        with tempfile.TemporaryDirectory(prefix="lbtop-cli-poll-") as tmp:
            d = Path(tmp)
            backends = [bench.free_port(), bench.free_port()]
            conf = bench.nginx_conf(d, backends, 1)
            procs.start(bench.pinned(load_cpus, ["nginx", "-c", str(conf), "-g", "daemon off;"]))
            for p in backends:
                bench.wait_port(p)
            names = ["quiet", "polled", "quiet2"]
            ports, pids, askers = {}, {}, {}
            for k in names + ["haproxy"]:
                ports[k], sp = bench.free_port(), bench.free_port()
                cfg, sock = config(d, k, ports[k], sp, backends, threads)
                argv = ["haproxy", "-f", str(cfg)] if k == "haproxy" else [str(bench.LBTOP), "--headless", "--config", str(cfg)]
                pids[k] = procs.start(bench.pinned(proxy_cpus, argv))
                bench.wait_port(ports[k])
                bench.wait_port(sp)
                time.sleep(0.3)
                askers[k] = Asker(sock, sp)
            result["transport"] = {k: a.transport for k, a in askers.items()}
            result["answer"] = {k: answer_times(askers[k]) for k in ("polled", "haproxy")}
            result["idle_cpu_us_per_answer"] = {k: idle_cpu_per_answer(pids[k].pid, askers[k]) for k in ("polled", "haproxy")}
            url = lambda k: f"http://127.0.0.1:{ports[k]}/"  # noqa: E731
            for k in names:  # warm-up
                bench.wrk(url(k), 1, load_cpus, conns, gen)
            runs = {k: [] for k in names}
            for r in range(args.rounds):
                for k in names[r % 3:] + names[:r % 3]:
                    poller = Poller(askers[k]) if k == "polled" else None
                    if poller:
                        poller.start()
                    runs[k].append(bench.measure(pids[k].pid, lambda: bench.wrk(url(k), args.duration, load_cpus, conns, gen)))
                    if poller:
                        poller.stop.set()
                        poller.join()
                        runs[k][-1]["polls"] = len(poller.times)
                        runs[k][-1]["poll_ms_max"] = max(poller.times, default=0)
                print(f"  round {r + 1}: " + "  ".join(f"{k} {runs[k][-1]['rps']:.0f}/s" for k in names), flush=True)
            block = bench.ratio_block({"haproxy": runs["quiet"], "lbtop": runs["polled"], "haproxy2": runs["quiet2"]}, "rps")
            cpu = bench.ratio_block({"haproxy": runs["quiet"], "lbtop": runs["polled"], "haproxy2": runs["quiet2"]}, "cpu_us_per_req")
            result["rps"] = {"quiet": block["haproxy"], "polled": block["lbtop"], "ratio_median": block["ratio_median"],
                             "ratio_per_round": block["ratio_per_round"], "aa_median": block["aa_median"], "aa_range": block["aa_range"]}
            result["cpu_us_per_req"] = {"quiet": cpu["haproxy"], "polled": cpu["lbtop"], "ratio_median": cpu["ratio_median"],
                                        "aa_median": cpu["aa_median"], "aa_range": cpu["aa_range"]}
            result["polls_per_round"] = [x.get("polls") for x in runs["polled"]]
            result["poll_ms_max_under_load"] = max(x.get("poll_ms_max", 0) for x in runs["polled"])
    finally:
        procs.stop_all()
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
