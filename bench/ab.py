#!/usr/bin/env python3
"""Two lbtop binaries side by side (A/B), to find which change moved the data path's cost.

    python3 bench/ab.py OLD_BINARY NEW_BINARY [--rounds 9] [--duration 4] [--close]

Both run the same haproxy.cfg in front of the same nginx backends, under the same wrk load,
in interleaved rounds (A, B, then A again as A2: the A/A ratio is the noise floor). Reported:
keep-alive (or `Connection: close`) req/s and CPU µs per request of each, and the medians of
the per-round ratios B/A and A2/A. Build an old binary with
`git worktree add /tmp/old <commit> && cargo build --release` in that tree.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--duration", type=int, default=4)
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--close", action="store_true", help="a new connection per request")
    args = ap.parse_args()
    procs = bench.Procs()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        try:
            report(run(args, d, procs), args)
        finally:
            procs.stop_all()


def run(args, d, procs):
    ports = [bench.free_port() for _ in range(2)]
    nginx = procs.start(["nginx", "-c", str(bench.nginx_conf(d, ports, 1)), "-g", "daemon off;"])
    for p in ports:
        bench.wait_port(p)
    bins = {"A": args.a, "B": args.b, "A2": args.a}
    fe, pids = {}, {}
    for k, binary in bins.items():
        fe[k] = bench.free_port()
        cfg = bench.lbtop_rules_cfg(d, f"ab-{k}", fe[k], ports, 1, "")
        pids[k] = procs.start([binary, "--headless", "--config", str(cfg)])
    for p in fe.values():
        bench.wait_port(p)
    extra = ("-H", "Connection: close") if args.close else ()
    runs = {k: [] for k in bins}
    order = list(bins)
    for k in order:  # warm-up
        bench.wrk(f"http://127.0.0.1:{fe[k]}/", 1, None, args.conns, 2, extra)
    for r in range(args.rounds):
        for k in order[r % 3:] + order[:r % 3]:
            url = f"http://127.0.0.1:{fe[k]}/"
            load = lambda: bench.wrk(url, args.duration, None, args.conns, 2, extra)  # noqa: E731
            runs[k].append(bench.measure(pids[k].pid, load))
        print(f"round {r + 1}: " + "  ".join(
            f"{k} {runs[k][-1]['rps']:.0f}/s {runs[k][-1]['cpu_us_per_req']:.2f} µs/req" for k in order), flush=True)
    procs.stop(nginx)
    return runs


def report(runs, args):
    def ratios(key, num):
        return bench.median([n[key] / a[key] for n, a in zip(runs[num], runs["A"])])

    what = "Connection: close" if args.close else "keep-alive"
    print(f"\n{args.rounds} rounds of {args.duration} s, {what}, A={args.a} B={args.b}")
    for key, label in (("rps", "req/s"), ("cpu_us_per_req", "CPU µs per request")):
        a = bench.median([r[key] for r in runs["A"]])
        b = bench.median([r[key] for r in runs["B"]])
        print(f"  {label}: A {a:.2f}  B {b:.2f}  B/A {ratios(key, 'B'):.3f}  A2/A (noise) {ratios(key, 'A2'):.3f}")


if __name__ == "__main__":
    main()
