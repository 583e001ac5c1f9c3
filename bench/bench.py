#!/usr/bin/env python3
"""lbtop against HAProxy 2.6 on this machine, side by side, under the same load generator.

Everything runs on 127.0.0.1. Rounds are interleaved (HAProxy, lbtop, HAProxy again) so that the
machine's drift hits every contender alike, and the HAProxy-against-HAProxy (A/A) ratio shows how
much of a difference is noise. Results: a Markdown table and a JSON file under bench/results/.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LBTOP = Path(os.environ.get("LBTOP_BIN", ROOT / "target" / "release" / "lbtop"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fd_room():
    """How many client sockets this process can hold open at once: its descriptor limit (the
    soft one raised to the hard one), less a margin for everything else it has open."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return max(soft - 200, 1)


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")


def pinned(cpus, argv):
    return ["taskset", "-c", cpus] + argv if cpus else argv


class Procs:
    """Processes this run started; stopped by PID, never by name."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


# ---------------------------------------------------------------- the contenders' configs

def nginx_conf(d, ports, workers):
    big = d / "big.bin"
    with open(big, "wb") as f:
        f.write(os.urandom(1 << 20) * 64)  # 64 MiB for the L4 transfer
    # nginx's workers run as nobody: they must be able to read the folder and the file.
    os.chmod(d, 0o755)
    os.chmod(big, 0o644)
    servers = "\n".join(
        f"  server {{ listen 127.0.0.1:{p}; root {d}; location = / {{ return 200 \"hello from {i}\\n\"; }} }}"
        for i, p in enumerate(ports)
    )
    conf = d / "nginx.conf"
    conf.write_text(f"""worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/nginx.err;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  sendfile on;
{servers}
}}
""")
    return conf


def tls_pem(d, key):
    """A self-signed certificate and its key in one PEM file, as HAProxy takes them: ECDSA
    P-256 (`ec`) or RSA 2048 (`rsa`)."""
    pem = d / f"bench-{key}.pem"
    if not pem.exists():
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if key == "ec" else ["-newkey", "rsa:2048"]
        subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-days", "30", "-subj", "/CN=bench.example",
                        "-keyout", str(d / f"bench-{key}.key"), "-out", str(d / f"bench-{key}.crt")],
                       check=True, capture_output=True)
        pem.write_text((d / f"bench-{key}.crt").read_text() + (d / f"bench-{key}.key").read_text())
    return pem


def haproxy_cfg(d, name, port, backends, mode, threads, http_request=None, tls=None):
    servers = "\n".join(f"  server s{i} 127.0.0.1:{p}" for i, p in enumerate(backends))
    ssl = f" ssl crt {tls} alpn http/1.1" if tls else ""
    extra = "  option splice-auto\n" if mode == "tcp" else ""
    extra += f"  timeout http-request {http_request}\n" if http_request else ""
    cfg = d / f"{name}.cfg"
    cfg.write_text(f"""global
  nbthread {threads}
  maxconn 6000
defaults
  mode {mode}
  timeout connect 5s
  timeout client 30s
  timeout server 30s
{extra}frontend fe
  bind 127.0.0.1:{port}{ssl}
  default_backend be
backend be
  balance roundrobin
{servers}
""")
    return cfg


def lbtop_toml(d, name, port, backends, mode, threads, http_request=None):
    servers = "".join(
        f'[[backend.server]]\nname = "s{i}"\naddress = "127.0.0.1:{p}"\n' for i, p in enumerate(backends)
    )
    extra = f'http-request = "{http_request}"\n' if http_request else ""
    cfg = d / f"{name}.toml"
    cfg.write_text(f"""[global]
maxconn = 6000
nbthread = {threads}
[defaults]
mode = "{mode}"
[defaults.timeout]
connect = "5s"
client = "30s"
server = "30s"
{extra}[[frontend]]
name = "fe"
bind = "127.0.0.1:{port}"
default_backend = "be"
[[backend]]
name = "be"
{servers}""")
    return cfg


# Twenty rules on the request path, none of which takes a plain `GET /`: every one of them is
# evaluated on each request, which then goes to the default backend.
ACL20 = """  acl r_api path_beg /api /internal
  acl r_php path_end .php .asp
  acl r_admin hdr(host) -i admin.example.com
  acl r_static hdr_beg(host) -i static. cdn.
  acl r_lan src 10.0.0.0/8 192.168.0.0/16
  acl r_ver path_reg ^/v[0-9]+/
  acl r_post method POST PUT
  acl r_debug hdr_cnt(x-debug) gt 0
  acl r_param url_param(debug) -m found
  acl r_adm path_sub /admin/
  http-request deny if r_adm r_lan
  http-request deny if { hdr(user-agent) -m sub badbot }
  http-request deny deny_status 429 if { path_beg /slow } r_post
  http-request redirect prefix /v2 if { path_beg /v1/ }
  http-request redirect scheme https if { hdr(x-forwarded-proto) -i http } r_admin
  http-request return status 200 content-type text/plain string ok if { path /ping }
  http-request tarpit if { path_end /wp-login.php }
  http-request deny if { hdr_dom(host) -i evil.example }
  http-request deny if r_debug !LOCALHOST
  redirect location /maintenance if { path /down }
  use_backend be2 if r_api r_post
  use_backend be2 if r_php
  use_backend be2 if r_admin || r_static
  use_backend be2 if r_ver
  use_backend be2 if r_param
  use_backend be2 if { cook(session) -m found } { path_beg /app }
"""


def lbtop_rules_cfg(d, name, port, backends, threads, rules):
    """lbtop's haproxy.cfg for the ACL scenario: the same frontend with or without `rules`."""
    servers = "\n".join(f"  server s{i} 127.0.0.1:{p}" for i, p in enumerate(backends))
    cfg = d / f"{name}.cfg"
    cfg.write_text(f"""global
  nbthread {threads}
  maxconn 6000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:{port}
{rules}  default_backend be
backend be
  balance roundrobin
{servers}
backend be2
  balance roundrobin
{servers}
""")
    return cfg


def acl_rules_cost(args, d, procs, backends, proxy_cpus, load_cpus, conns, gen_threads):
    """Keep-alive req/s of lbtop with the twenty rules of ACL20 against lbtop without rules,
    interleaved; a second lbtop without rules gives the A/A noise."""
    ports, pids = {}, {}
    for k, rules in (("haproxy", ""), ("lbtop", ACL20), ("haproxy2", "")):
        ports[k] = free_port()
        cfg = lbtop_rules_cfg(d, f"acl-{k}", ports[k], backends, 1 if proxy_cpus else 2, rules)
        pids[k] = procs.start(pinned(proxy_cpus, [str(LBTOP), "--headless", "--config", str(cfg)]))
    for p in ports.values():
        wait_port(p)
    order = ["haproxy", "lbtop", "haproxy2"]
    runs = {k: [] for k in order}
    for k in order:  # warm-up
        wrk(f"http://127.0.0.1:{ports[k]}/", 1, load_cpus, conns, gen_threads)
    for r in range(args.rounds):
        for k in order[r % 3:] + order[:r % 3]:
            url = f"http://127.0.0.1:{ports[k]}/"
            runs[k].append(measure(pids[k].pid, lambda: wrk(url, args.duration, load_cpus, conns, gen_threads)))
        label = {"haproxy": "no rules", "lbtop": "20 rules", "haproxy2": "no rules (A/A)"}
        print(f"  acl20 round {r + 1}: " + "  ".join(
            f"{label[k]} {runs[k][-1]['rps']:.0f}/s {runs[k][-1]['cpu_us_per_req']:.1f} µs/req" for k in order), flush=True)
    for p in pids.values():
        procs.stop(p)
    return {"rps": ratio_block(runs, "rps"), "cpu_us_per_req": ratio_block(runs, "cpu_us_per_req")}


# ---------------------------------------------------------------- load generators

def wrk(url, duration, cpus, conns, threads, extra=()):
    argv = pinned(cpus, ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", *extra, url])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    req = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    tr = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
    transfer = float(tr.group(1)) * scale.get(tr.group(2), 1) if tr else 0.0
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_us = float(p99.group(1)) * {"us": 1, "ms": 1000, "s": 1e6}[p99.group(2)] if p99 else None
    return {"requests": req, "rps": rps, "bytes_per_s": transfer, "p99_us": p99_us, "errors": "Non-2xx" in out or "Socket errors" in out}


def oha_fixed_rate(url, duration, cpus, rate):
    oha = shutil.which("oha") or str(Path.home() / ".cargo/bin/oha")
    if not Path(oha).exists():
        return None
    argv = pinned(cpus, [oha, "-z", f"{duration}s", "-q", str(int(rate)), "-c", "50",
                         "--latency-correction", "--no-tui", "--output-format", "json", url])
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    data = json.loads(out.stdout)
    return data["latencyPercentiles"]["p99"] * 1e6


# ---------------------------------------------------------------- one measurement

def measure(pid, run):
    t0 = cpu_ticks(pid)
    r = run()
    r["cpu_us"] = (cpu_ticks(pid) - t0) * TICK_US
    r["cpu_us_per_req"] = r["cpu_us"] / max(r["requests"], 1)
    return r


def idle_rss(pid, port, n):
    """RSS growth per idle keep-alive client connection (each has served one request)."""
    before = rss_kib(pid)
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nhost: b\r\n\r\n")
            socks.append(s)
        for s in socks:
            s.recv(4096)
        time.sleep(0.5)
        after = rss_kib(pid)
    finally:
        for s in socks:
            s.close()
    return (after - before) * 1024 / n


def slowloris_rss(pid, port, n):
    """RSS growth per connection that sent a partial request head (`GET / HTTP/1.1`, a Host and
    the name of a header whose value never comes) and nothing more, as a slowloris client does.
    Also returns how many of them were still open when RSS was read (all should be: the proxy's
    `timeout http-request` is far longer than the measurement)."""
    before = rss_kib(pid)
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-a: ")
            socks.append(s)
        time.sleep(1.0)
        after = rss_kib(pid)
        still_open = 0
        for s in socks:
            s.setblocking(False)
            try:
                s.recv(1, socket.MSG_PEEK)  # anything (a 408) or b"" (a close): cut short
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
    finally:
        for s in socks:
            s.close()
    return (after - before) * 1024 / n, still_open


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- the run

def run_layout(layout, args, d, procs, results):
    pinned_layout = layout == "pinned"
    proxy_cpus = "0" if pinned_layout else None
    load_cpus = "1" if pinned_layout else None
    threads = 1 if pinned_layout else 2
    gen_threads, conns = (1, 50) if pinned_layout else (2, 100)
    backends = [free_port(), free_port()]
    conf = nginx_conf(d, backends, 1 if pinned_layout else 2)
    procs.start(pinned(load_cpus, ["nginx", "-c", str(conf), "-g", "daemon off;"]))
    for p in backends:
        wait_port(p)

    def contenders(mode, http_request=None):
        ports = {"haproxy": free_port(), "haproxy2": free_port(), "lbtop": free_port()}
        started = {}
        for name in ("haproxy", "haproxy2"):
            cfg = haproxy_cfg(d, f"{name}-{mode}", ports[name], backends, mode, threads, http_request)
            started[name] = procs.start(pinned(proxy_cpus, ["haproxy", "-f", str(cfg)]))
        cfg = lbtop_toml(d, f"lbtop-{mode}", ports["lbtop"], backends, mode, threads, http_request)
        started["lbtop"] = procs.start(pinned(proxy_cpus, [str(LBTOP), "--headless", "--config", str(cfg)]))
        for p in ports.values():
            wait_port(p)
        return ports, started, cfg

    def tls_contenders(pem):
        """HAProxy twice and lbtop on the same haproxy.cfg (lbtop reads it as it is), TLS on
        the bind with the certificate `pem`."""
        ports = {"haproxy": free_port(), "haproxy2": free_port(), "lbtop": free_port()}
        started = {}
        for name, port in ports.items():
            cfg = haproxy_cfg(d, f"{name}-tls", port, backends, "http", threads, tls=pem)
            argv = ["haproxy", "-f", str(cfg)] if name.startswith("haproxy") else [str(LBTOP), "--headless", "--config", str(cfg)]
            started[name] = procs.start(pinned(proxy_cpus, argv))
        for p in ports.values():
            wait_port(p)
        return ports, started

    out = results.setdefault(layout, {})
    scenarios = args.scenarios
    order = ["haproxy", "lbtop", "haproxy2"]

    if {"l7", "cpu", "p99", "close", "sweep", "idle", "slowloris", "dash"} & set(scenarios):
        ports, started, lbtop_cfg = contenders("http")
        pids = {k: p.pid for k, p in started.items()}
        url = lambda k: f"http://127.0.0.1:{ports[k]}/"  # noqa: E731
        direct = f"http://127.0.0.1:{backends[0]}/"
        kinds = [("keepalive", ())] if {"l7", "cpu", "p99"} & set(scenarios) else []
        kinds += [("close", ("-H", "Connection: close"))] if "close" in scenarios else []
        for kind, extra in kinds:
            runs = {k: [] for k in order + ["direct"]}
            for k in order:  # warm-up
                wrk(url(k), 1, load_cpus, conns, gen_threads, extra)
            for r in range(args.rounds):
                rot = order[r % 3:] + order[:r % 3]
                for k in rot:
                    runs[k].append(measure(pids[k], lambda: wrk(url(k), args.duration, load_cpus, conns, gen_threads, extra)))
                if kind == "keepalive":
                    runs["direct"].append(wrk(direct, args.duration, load_cpus, conns, gen_threads, extra))
                print(f"  {layout} {kind} round {r + 1}: " + "  ".join(
                    f"{k} {runs[k][-1]['rps']:.0f}/s" for k in rot), flush=True)
            out[kind] = summarize(runs)
        if "p99" in scenarios:
            rate = out["keepalive"]["median"]["haproxy_rps"] / 2
            p99 = {k: [] for k in order}
            # As many rounds as the other scenarios, rotated the same way: a fixed-rate p99 is the
            # noisiest figure here (the generator shares its core with the backends).
            for r in range(args.rounds):
                for k in order[r % 3:] + order[:r % 3]:
                    p99[k].append(oha_fixed_rate(url(k), args.duration, load_cpus, rate))
            if all(v is not None for vs in p99.values() for v in vs):
                out["p99_fixed_rate"] = {"rate": rate, "tool": "oha --latency-correction", **ratio_block(p99, "p99_us")}
            else:
                out["p99_fixed_rate"] = {"tool": "wrk (max load, no rate control)",
                                         "note": "oha unavailable: p99 taken from the saturated keep-alive runs",
                                         **{k: v for k, v in out["keepalive"].items() if "p99" in k}}
        if "sweep" in scenarios:
            sweep = {}
            for c in (50, 500, 2000):
                sweep[c] = {k: wrk(url(k), args.duration, load_cpus, c, gen_threads)["rps"] for k in ("haproxy", "lbtop")}
                print(f"  {layout} sweep c={c}: {sweep[c]}", flush=True)
            out["sweep"] = sweep
        if "dash" in scenarios and shutil.which("tmux"):
            out["dashboard"] = dashboard_cost(args, lbtop_cfg, proxy_cpus, load_cpus, conns, gen_threads, d)
        if "idle" in scenarios:
            # Fresh processes, warmed by one request each, so earlier load does not blur RSS.
            for p in started.values():
                procs.stop(p)
            fresh, fresh_started, _ = contenders("http")
            for k in ("haproxy", "lbtop"):
                wrk(url(k).replace(str(ports[k]), str(fresh[k])), 1, load_cpus, 2, 1)
            out["idle_bytes_per_conn"] = {
                k: idle_rss(fresh_started[k].pid, fresh[k], args.idle_conns) for k in ("haproxy", "lbtop")}
            print(f"  {layout} idle RSS per connection: {out['idle_bytes_per_conn']}", flush=True)
            for p in fresh_started.values():
                procs.stop(p)
        if "slowloris" in scenarios:
            # As for idle: fresh processes warmed by one request each, with `timeout http-request`
            # long enough (60 s) that every partial head stays open while RSS is read.
            for p in started.values():
                procs.stop(p)
            fresh, fresh_started, _ = contenders("http", http_request="60s")
            for k in ("haproxy", "lbtop"):
                wrk(url(k).replace(str(ports[k]), str(fresh[k])), 1, load_cpus, 2, 1)
            n = min(args.slowloris_conns, fd_room())
            out["slowloris_bytes_per_conn"], out["slowloris_open"] = {}, {}
            for k in ("haproxy", "lbtop"):
                per_conn, still_open = slowloris_rss(fresh_started[k].pid, fresh[k], n)
                out["slowloris_bytes_per_conn"][k] = per_conn
                out["slowloris_open"][k] = f"{still_open}/{n}"
            print(f"  {layout} slowloris RSS per partial-head connection: {out['slowloris_bytes_per_conn']}"
                  f" (still open when measured: {out['slowloris_open']})", flush=True)
            for p in fresh_started.values():
                procs.stop(p)
        for p in started.values():
            procs.stop(p)

    if "acl20" in scenarios:
        out["acl20"] = acl_rules_cost(args, d, procs, backends, proxy_cpus, load_cpus, conns, gen_threads)
    if "tls" in scenarios:
        for key in args.tls_keys.split(","):
            ports, started = tls_contenders(tls_pem(d, key))
            pids = {k: p.pid for k, p in started.items()}
            url = lambda k: f"https://127.0.0.1:{ports[k]}/"  # noqa: E731
            for kind, extra in (("keepalive", ()), ("handshakes", ("-H", "Connection: close"))):
                runs = {k: [] for k in order}
                for k in order:  # warm-up
                    wrk(url(k), 1, load_cpus, conns, gen_threads, extra)
                for r in range(args.rounds):
                    rot = order[r % 3:] + order[:r % 3]
                    for k in rot:
                        runs[k].append(measure(pids[k], lambda: wrk(url(k), args.duration, load_cpus, conns, gen_threads, extra)))
                    print(f"  {layout} tls {key} {kind} round {r + 1}: " + "  ".join(
                        f"{k} {runs[k][-1]['rps']:.0f}/s" for k in rot), flush=True)
                out[f"tls_{key}_{kind}"] = summarize(runs)
            for p in started.values():
                procs.stop(p)

    if "l4" in scenarios:
        ports, started, _ = contenders("tcp")
        pids = {k: p.pid for k, p in started.items()}
        runs = {k: [] for k in order}
        for r in range(args.rounds):
            for k in order[r % 3:] + order[:r % 3]:
                url = f"http://127.0.0.1:{ports[k]}/big.bin"
                runs[k].append(measure(pids[k], lambda: wrk(url, args.duration, load_cpus, 4, 1)))
            print(f"  {layout} l4 round {r + 1}: " + "  ".join(
                f"{k} {runs[k][-1]['bytes_per_s'] / (1 << 30):.2f} GiB/s" for k in order), flush=True)
        for k in order:
            for m in runs[k]:
                m["cpu_s_per_gib"] = m["cpu_us"] / 1e6 / max(m["bytes_per_s"] * args.duration / (1 << 30), 1e-9)
        out["l4"] = {**ratio_block(runs, "bytes_per_s"), **{f"cpu_per_gib_{k}": v for k, v in ratio_block(runs, "cpu_s_per_gib").items()}}
        for p in started.values():
            procs.stop(p)


def dashboard_cost(args, cfg, proxy_cpus, load_cpus, conns, gen_threads, d):
    """req/s of lbtop with its dashboard attached against lbtop headless, both started the same
    way: each in its own tmux pane. A pane is a new session, and with the kernel's scheduler
    autogroups a new session gets its own share of the CPU, so comparing a tmux-launched
    dashboard with a headless lbtop launched beside the load generator would measure the
    autogroup split, not the dashboard."""
    text = Path(cfg).read_text()
    sock = f"lbtop-bench-{os.getpid()}"
    targets = {}
    try:
        for k, flags in (("headless", ["--headless"]), ("dashboard", [])):
            port = free_port()
            kcfg = d / f"lbtop-{k}.toml"
            kcfg.write_text(re.sub(r'bind = "127.0.0.1:\d+"', f'bind = "127.0.0.1:{port}"', text))
            cmd = " ".join(pinned(proxy_cpus, [str(LBTOP), *flags, "--config", str(kcfg)]))
            new = ["new-session", "-d", "-s", k, "-x", "150", "-y", "45", cmd]
            subprocess.run(["tmux", "-L", sock, *new], check=True)
            wait_port(port)
            pid = int(subprocess.run(["tmux", "-L", sock, "list-panes", "-t", k, "-F", "#{pane_pid}"],
                                     capture_output=True, text=True).stdout.split()[0])
            targets[k] = (pid, f"http://127.0.0.1:{port}/")
        runs = {"headless": [], "dashboard": []}
        for r in range(args.rounds):
            # Alternate which goes first, so drift within a round does not favour either.
            for k in (("headless", "dashboard") if r % 2 == 0 else ("dashboard", "headless")):
                p, u = targets[k]
                runs[k].append(measure(p, lambda: wrk(u, args.duration, load_cpus, conns, gen_threads)))
        ratios = [b["rps"] / a["rps"] for a, b in zip(runs["headless"], runs["dashboard"])]
        return {"rps_ratio_dashboard_over_headless": median(ratios), "per_round": ratios,
                "cpu_us_per_req_headless": median([m["cpu_us_per_req"] for m in runs["headless"]]),
                "cpu_us_per_req_dashboard": median([m["cpu_us_per_req"] for m in runs["dashboard"]])}
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)


def ratio_block(runs, key):
    hap, lb, hap2 = runs["haproxy"], runs["lbtop"], runs["haproxy2"]
    per = [b[key] / a[key] if isinstance(a, dict) else b / a for a, b in zip(hap, lb)]
    aa = [b[key] / a[key] if isinstance(a, dict) else b / a for a, b in zip(hap, hap2)]
    val = lambda x: x[key] if isinstance(x, dict) else x  # noqa: E731
    return {"haproxy": median([val(x) for x in hap]), "lbtop": median([val(x) for x in lb]),
            "ratio_median": median(per), "ratio_per_round": per,
            "aa_median": median(aa), "aa_range": [min(aa), max(aa)] if aa else None}


def summarize(runs):
    res = {"rps": ratio_block(runs, "rps"), "cpu_us_per_req": ratio_block(runs, "cpu_us_per_req"),
           "p99_us": ratio_block(runs, "p99_us")}
    res["median"] = {"haproxy_rps": res["rps"]["haproxy"]}
    if runs.get("direct"):
        direct = median([x["rps"] for x in runs["direct"]])
        res["direct_rps"] = direct
        res["haproxy_of_direct"] = res["rps"]["haproxy"] / direct
        res["lbtop_of_direct"] = res["rps"]["lbtop"] / direct
    return res


# ---------------------------------------------------------------- report

def table(results, meta):
    lines = [f"Benchmark of {meta['date']} on {meta['machine']}; {meta['rounds']} rounds of {meta['duration']} s, "
             "interleaved. Ratio = lbtop / HAProxy (median of per-round ratios); A/A = HAProxy / HAProxy in the same run.",
             "", "| layout | what | HAProxy | lbtop | ratio | A/A median [range] |", "|---|---|---|---|---|---|"]

    def row(layout, what, blk, fmt):
        if not blk or blk.get("ratio_median") is None:
            return
        rng = blk.get("aa_range") or [None, None]
        aa = f"{blk['aa_median']:.2f} [{rng[0]:.2f}-{rng[1]:.2f}]" if blk.get("aa_median") else "-"
        lines.append(f"| {layout} | {what} | {fmt(blk['haproxy'])} | {fmt(blk['lbtop'])} | {blk['ratio_median']:.2f} | {aa} |")

    for layout, r in results.items():
        ka = r.get("keepalive", {})
        row(layout, "L7 keep-alive req/s", ka.get("rps"), lambda v: f"{v:,.0f}")
        row(layout, "CPU µs per request", ka.get("cpu_us_per_req"), lambda v: f"{v:.1f}")
        row(layout, "p99 at max load (wrk)", ka.get("p99_us"), lambda v: f"{v / 1000:.2f} ms")
        p99 = r.get("p99_fixed_rate", {})
        if p99.get("ratio_median") is not None:
            row(layout, f"p99 at {p99['rate']:,.0f} req/s (oha)", p99, lambda v: f"{v / 1000:.2f} ms")
        acl = r.get("acl20", {})
        if acl.get("rps", {}).get("ratio_median") is not None:
            a = acl["rps"]
            lines.append(f"| {layout} | lbtop keep-alive req/s: no rules / 20 ACL rules | {a['haproxy']:,.0f} | "
                         f"{a['lbtop']:,.0f} | {a['ratio_median']:.3f} | {a['aa_median']:.3f} "
                         f"[{a['aa_range'][0]:.3f}-{a['aa_range'][1]:.3f}] |")
            c = acl["cpu_us_per_req"]
            lines.append(f"| {layout} | lbtop CPU µs per request: no rules / 20 ACL rules | {c['haproxy']:.1f} | "
                         f"{c['lbtop']:.1f} | {c['ratio_median']:.3f} | {c['aa_median']:.3f} "
                         f"[{c['aa_range'][0]:.3f}-{c['aa_range'][1]:.3f}] |")
        for key, name in (("ec", "ECDSA P-256"), ("rsa", "RSA 2048")):
            tka = r.get(f"tls_{key}_keepalive", {})
            row(layout, f"TLS keep-alive req/s ({name})", tka.get("rps"), lambda v: f"{v:,.0f}")
            row(layout, f"TLS CPU µs per keep-alive request ({name})", tka.get("cpu_us_per_req"), lambda v: f"{v:.1f}")
            ths = r.get(f"tls_{key}_handshakes", {})
            row(layout, f"TLS handshakes/s, a connection per request ({name})", ths.get("rps"), lambda v: f"{v:,.0f}")
            row(layout, f"TLS CPU µs per handshake ({name})", ths.get("cpu_us_per_req"), lambda v: f"{v:.1f}")
        cl = r.get("close", {})
        row(layout, "Connection: close req/s", cl.get("rps"), lambda v: f"{v:,.0f}")
        l4 = r.get("l4", {})
        row(layout, "L4 throughput", l4, lambda v: f"{v / (1 << 30):.2f} GiB/s")
        if ka.get("direct_rps"):
            lines.append(f"| {layout} | share of direct (backend alone: {ka['direct_rps']:,.0f} req/s) | "
                         f"{ka['haproxy_of_direct']:.2f} | {ka['lbtop_of_direct']:.2f} | | |")
        idle = r.get("idle_bytes_per_conn")
        if idle:
            lines.append(f"| {layout} | RSS per idle keep-alive connection | {idle['haproxy'] / 1024:.1f} KiB | "
                         f"{idle['lbtop'] / 1024:.1f} KiB | {idle['lbtop'] / max(idle['haproxy'], 1):.2f} | |")
        slow = r.get("slowloris_bytes_per_conn")
        if slow:
            lines.append(f"| {layout} | RSS per partial-head (slowloris) connection | {slow['haproxy'] / 1024:.1f} KiB | "
                         f"{slow['lbtop'] / 1024:.1f} KiB | {slow['lbtop'] / max(slow['haproxy'], 1):.2f} | |")
        dash = r.get("dashboard")
        if dash:
            lines.append(f"| {layout} | req/s with the dashboard attached / headless | | "
                         f"{dash['rps_ratio_dashboard_over_headless']:.3f} | | |")
        sweep = r.get("sweep")
        if sweep:
            for c, v in sweep.items():
                lines.append(f"| {layout} | keep-alive req/s at {c} connections | {v['haproxy']:,.0f} | {v['lbtop']:,.0f} | "
                             f"{v['lbtop'] / v['haproxy']:.2f} | |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--layouts", default="pinned,unpinned")
    ap.add_argument("--scenarios", default="l7,cpu,p99,close,l4,idle,slowloris,dash,sweep,tls,acl20",
                    help="comma list of l7,cpu,p99,close,l4,idle,slowloris,dash,sweep,tls,acl20 "
                         "(acl20: lbtop with 20 ACL rules against lbtop without, no HAProxy)")
    ap.add_argument("--tls-keys", default="ec,rsa", help="certificate keys for the tls scenario: ec,rsa")
    ap.add_argument("--idle-conns", type=int, default=2000)
    ap.add_argument("--slowloris-conns", type=int, default=2000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    args.scenarios = args.scenarios.split(",")
    if os.cpu_count() < 2 and "pinned" in args.layouts:
        sys.exit("the pinned layout needs two cores")
    results, procs = {}, Procs()
    # Stopped from outside (SIGTERM), still stop every process this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} cores, {subprocess.run(['uname', '-r'], capture_output=True, text=True).stdout.strip()}",
            "haproxy": subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.splitlines()[0],
            "rounds": args.rounds, "duration": args.duration}
    try:
        with tempfile.TemporaryDirectory(prefix="lbtop-bench-") as tmp:
            for layout in args.layouts.split(","):
                print(f"== {layout}", flush=True)
                run_layout(layout, args, Path(tmp), procs, results)
                procs.stop_all()
                procs.procs.clear()
    finally:
        procs.stop_all()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md = table(results, meta)
    (out / "latest.md").write_text(md)
    (out / "latest.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(md)


if __name__ == "__main__":
    main()
