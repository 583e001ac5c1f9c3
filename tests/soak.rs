//! Soak: a two-worker lbtop (the real binary, `--headless`) in front of an origin that tags
//! every answer with the request it answers, under a mix of normal and hostile clients for
//! `SOAK_SECS` seconds (20 by default; `scripts/soak.sh` runs it for ten minutes, optimised).
//!
//! It fails when:
//! - a normal client's answer is not exactly its own (status 200, its id in `x-id`, `x-hdr-id`
//!   and the body, the exact body), or any byte naming another request reaches it (a leak);
//! - any connection, hostile or not, outlives the timeout that governs it plus `SLACK`,
//!   measured from the moment that timeout starts (see each client kind);
//! - lbtop's RSS grows under steady load: after the warm-up, the highest sample of the last
//!   third exceeds the highest of the first third by more than 20% or 8 MiB, whichever is
//!   larger (see `rss_verdict`);
//! - lbtop still burns CPU once the load has stopped and every timeout has run out (more than
//!   5% of one core over 2 s), or the origin still holds a request whose body lbtop never
//!   finished nor abandoned;
//! - lbtop then fails a simple GET, or does not exit within 2 s of SIGTERM.
//!
//! `SOAK_SEED` replays a run's choices; `SOAK_SKIP=kind,kind` leaves kinds out (`swarm` for the
//! bursts of partial heads), to tell one failure from another.
//!
//! Every failure is collected; the test ends with a summary (connections by kind, requests
//! answered, failures, RSS, CPU) and fails if the list is not empty.

mod common;
mod soak {
    pub mod ctx;
    pub mod hostile;
    pub mod normal;
    pub mod origin;
    pub mod wire;
}

use common::free_port;
use soak::ctx::{Ctx, Rng, Timeouts, SLACK};
use soak::{hostile, normal, origin::Origin};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

const NORMAL_CLIENTS: u64 = 16;
const HOSTILE_CLIENTS: u64 = 8;
/// Slowloris and idle connections opened at once, again and again.
const SWARM: usize = 30;
/// No client loop runs more sessions than this, however long the soak.
const MAX_SESSIONS: u64 = 1_000_000;
/// A session that takes longer than this is reported as hung (each read has its own deadline;
/// this is the backstop).
const SESSION_CAP: Duration = Duration::from_secs(60);

const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(1),
    http_request: Duration::from_secs(1),
    keep_alive: Duration::from_secs(1),
    client: Duration::from_secs(2),
    server: Duration::from_secs(2),
};

/// CPU an idle lbtop may use after the load: 5% of one core (it has no health checks to run).
const IDLE_CPU: f64 = 0.05;
const CPU_WINDOW: Duration = Duration::from_secs(2);

fn secs(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

fn config(port: u16, servers: &[SocketAddr], t: Timeouts) -> String {
    let servers: String = servers
        .iter()
        .enumerate()
        .map(|(i, a)| format!("[[backend.server]]\nname = \"o{i}\"\naddress = \"{a}\"\n"))
        .collect();
    format!(
        r#"[global]
nbthread = 2
maxconn = 4000

[defaults]
mode = "http"
retries = 3

[defaults.timeout]
connect = "{connect}"
client = "{client}"
server = "{server}"
http-request = "{http_request}"
http-keep-alive = "{keep_alive}"
queue = "{server}"

[[frontend]]
name = "soak"
bind = "127.0.0.1:{port}"
default_backend = "origin"

[[backend]]
name = "origin"
balance = "roundrobin"
{servers}"#,
        connect = secs(t.connect),
        client = secs(t.client),
        server = secs(t.server),
        http_request = secs(t.http_request),
        keep_alive = secs(t.keep_alive),
    )
}

/// The lbtop child process; killed on drop if still running. Only this child is ever signalled.
struct Lbtop {
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Lbtop {
    fn start(text: &str, addr: SocketAddr) -> Lbtop {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("soak.toml");
        std::fs::write(&path, text).expect("write config");
        let log = dir.path().join("lbtop.log");
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new(LBTOP)
            .args(["--headless", "--config"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("start lbtop");
        let mut lb = Lbtop {
            child,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = lb.child.try_wait() {
                panic!("lbtop exited at start ({status}):\n{}", lb.log_tail());
            }
            assert!(Instant::now() < deadline, "lbtop did not listen:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
        lb
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGTERM, then how long it took to exit, if within `within`.
    fn terminate(&mut self, within: Duration) -> Result<Duration, String> {
        let sent = Instant::now();
        // SAFETY: kill(2) on the PID of our own child, which has not been reaped yet.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        if rc != 0 {
            return Err("kill(SIGTERM) failed".into());
        }
        while sent.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Ok(sent.elapsed()).and_then(|d| {
                    // Stopped by its own handler, it exits 0; killed by the signal, it did not
                    // shut down at all.
                    if status.success() {
                        Ok(d)
                    } else {
                        Err(format!("lbtop exited with {status} on SIGTERM"))
                    }
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("lbtop still running {within:?} after SIGTERM"))
    }
}

impl Drop for Lbtop {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ------------------------------------------------------------------ /proc

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `(name, utime + stime)` from a `stat` file.
fn stat_ticks(path: &Path) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((name, ticks))
}

fn thread_ticks(pid: u32) -> Vec<(u64, String, u64)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let tid = task.file_name().to_string_lossy().parse().unwrap_or(0);
        if let Some((name, ticks)) = stat_ticks(&task.path().join("stat")) {
            out.push((tid, name, ticks));
        }
    }
    out
}

struct CpuUse {
    /// Of one core, over the window.
    total: f64,
    /// Threads that used any.
    busy: Vec<String>,
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

fn cpu_use(pid: u32, window: Duration) -> Option<CpuUse> {
    let hz = clock_ticks();
    let proc_stat = PathBuf::from(format!("/proc/{pid}/stat"));
    let before = stat_ticks(&proc_stat)?.1;
    let threads_before = thread_ticks(pid);
    std::thread::sleep(window);
    let after = stat_ticks(&proc_stat)?.1;
    let threads_after = thread_ticks(pid);
    let per_core = |ticks: u64| ticks as f64 / hz / window.as_secs_f64();
    let busy = threads_after
        .iter()
        .filter_map(|(tid, name, t)| {
            let t0 = threads_before
                .iter()
                .find(|(id, ..)| id == tid)
                .map_or(0, |x| x.2);
            (t > &t0).then(|| format!("{name}[{tid}] {:.1}%", per_core(t - t0) * 100.0))
        })
        .collect();
    Some(CpuUse {
        total: per_core(after - before),
        busy,
    })
}

/// RSS samples, once a second, from the start of the load to its end.
fn sample_rss(pid: u32, until: Instant, samples: Arc<Mutex<Vec<u64>>>, stop: Arc<AtomicBool>) {
    let mut next = Instant::now();
    for _ in 0..100_000 {
        if Instant::now() >= until || stop.load(Relaxed) {
            return;
        }
        if let Some(kib) = rss_kib(pid) {
            samples.lock().unwrap().push(kib);
        }
        next += Duration::from_secs(1);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// The RSS rule. The first `warm-up` samples (15% of the run, at least 3) are dropped: buffer
/// pools, the allocator's segments and the connection tables grow to the load's concurrency
/// there. The rest is cut in thirds, and the peak of the last third is compared with the peak
/// of the first: the load is stationary, so peaks meet peaks and a leak shows as the later ones
/// climbing. The margin is 20% of the first peak or 8 MiB, whichever is larger: the absolute
/// floor covers what moves without leaking (a burst of 30 partial heads and a few 256 KiB
/// answers in flight at once, the allocator returning or keeping freed pages), and at ten
/// minutes it still catches a leak of about 20 KiB a second.
fn rss_verdict(samples: &[u64]) -> (String, Option<String>) {
    if samples.len() < 9 {
        return (
            format!("{} samples: too few to judge", samples.len()),
            Some("too few RSS samples".into()),
        );
    }
    let warm = (samples.len() * 15 / 100).max(3);
    let rest = &samples[warm..];
    let third = rest.len() / 3;
    let first = rest[..third].iter().max().copied().unwrap_or(0);
    let last = rest[rest.len() - third..]
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    let allowed = first + (first / 5).max(8 * 1024);
    let max = samples.iter().max().copied().unwrap_or(0);
    let text = format!(
        "first {} KiB, last {} KiB, max {} KiB; after {warm} s of warm-up: peak of the first third {first} KiB, of the last third {last} KiB (allowed {allowed} KiB)",
        samples[0],
        samples[samples.len() - 1],
        max
    );
    let verdict = (last > allowed).then(|| {
        format!("RSS grew under steady load: peak {first} KiB in the first third, {last} KiB in the last (allowed {allowed} KiB)")
    });
    (text, verdict)
}

// ------------------------------------------------------------------ the load

async fn normal_client(ctx: Arc<Ctx>, seed: u64) {
    let mut rng = Rng::new(seed);
    for _ in 0..MAX_SESSIONS {
        if !ctx.running() {
            return;
        }
        let kind = rng.weighted(normal::KINDS);
        if ctx.skips(kind) {
            continue;
        }
        let outcome = tokio::time::timeout(SESSION_CAP, normal::run(&ctx, kind, &mut rng))
            .await
            .unwrap_or_else(|_| Err(format!("session hung for {SESSION_CAP:?}")));
        ctx.record(kind, outcome);
        tokio::time::sleep(Duration::from_millis(rng.range(0, 20))).await;
    }
}

async fn hostile_client(ctx: Arc<Ctx>, seed: u64, offset: usize) {
    let mut rng = Rng::new(seed);
    for i in 0..MAX_SESSIONS as usize {
        if !ctx.running() {
            return;
        }
        let kind = hostile::KINDS[(offset + i) % hostile::KINDS.len()];
        if ctx.skips(kind) {
            continue;
        }
        let outcome = tokio::time::timeout(SESSION_CAP, hostile::run(&ctx, kind, &mut rng))
            .await
            .unwrap_or_else(|_| Err(format!("session hung for {SESSION_CAP:?}")));
        ctx.record(kind, outcome);
        tokio::time::sleep(Duration::from_millis(rng.range(0, 50))).await;
    }
}

async fn swarms(ctx: Arc<Ctx>, seed: u64) {
    for i in 0..MAX_SESSIONS {
        if !ctx.running() || ctx.skips("swarm") {
            return;
        }
        let run = hostile::swarm(ctx.clone(), seed ^ (i << 20), SWARM);
        if tokio::time::timeout(SESSION_CAP, run).await.is_err() {
            ctx.record(
                "slowloris",
                Err(format!("a swarm hung for {SESSION_CAP:?}")),
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Runs every client until the load ends, then waits for the last sessions (bounded).
/// The clients' own runtime must not stall, or their timings would blame lbtop for it: records
/// the longest lateness of a 100 ms tick, and when it happened.
async fn watch_stalls(ctx: Arc<Ctx>, worst: Arc<Mutex<(Duration, Duration)>>) {
    let tick = Duration::from_millis(100);
    for _ in 0..MAX_SESSIONS {
        if !ctx.running() {
            return;
        }
        let before = Instant::now();
        tokio::time::sleep(tick).await;
        let late = before.elapsed().saturating_sub(tick);
        let mut worst = worst.lock().unwrap();
        if late > worst.0 {
            *worst = (late, ctx.started.elapsed());
        }
    }
}

async fn load(ctx: Arc<Ctx>, seed: u64, stalls: Arc<Mutex<(Duration, Duration)>>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut set = tokio::task::JoinSet::new();
    for c in 0..NORMAL_CLIENTS {
        set.spawn(normal_client(ctx.clone(), seed ^ (c + 1) << 40));
    }
    for c in 0..HOSTILE_CLIENTS {
        let offset = (c as usize * 5) % hostile::KINDS.len();
        set.spawn(hostile_client(ctx.clone(), seed ^ (c + 101) << 40, offset));
    }
    set.spawn(swarms(ctx.clone(), seed));
    set.spawn(watch_stalls(ctx.clone(), stalls));
    let cap = ctx.stop_at + SESSION_CAP + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(cap.into(), set.join_next()).await {
            Ok(None) => break,
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => problems.push(format!("a client task failed: {e}")),
            Err(_) => {
                problems.push(format!(
                    "{} client loops still running at the cap",
                    set.len()
                ));
                set.abort_all();
                break;
            }
        }
    }
    problems
}

fn summary_table(ctx: &Ctx) -> String {
    let report = ctx.report.lock().unwrap();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<30} {:>6} {:>8} {:>6} {:>10} {:>9} {:>7}",
        "kind", "conns", "answered", "failed", "unmeasured", "max life", "bound"
    );
    let normal = normal::KINDS.iter().map(|(k, _)| *k);
    for (group, kinds) in [
        ("normal", normal.collect::<Vec<_>>()),
        ("hostile", hostile::KINDS.to_vec()),
    ] {
        for kind in kinds {
            let s = report.kinds.get(kind).cloned().unwrap_or_default();
            let _ = writeln!(
                out,
                "{:<30} {:>6} {:>8} {:>6} {:>10} {:>9} {:>7}",
                format!("{group}/{kind}"),
                s.connections,
                s.answered,
                s.failed,
                s.unmeasured,
                match s.bound.is_zero() {
                    true => "-".to_string(),
                    false => format!("{:.2}s", s.max_life.as_secs_f64()),
                },
                match s.bound.is_zero() {
                    true => "-".to_string(),
                    false => format!("{:.2}s", s.bound.as_secs_f64()),
                },
            );
        }
    }
    let conns: u64 = report.kinds.values().map(|s| s.connections).sum();
    let answered: u64 = report.kinds.values().map(|s| s.answered).sum();
    let _ = writeln!(
        out,
        "connections {conns}, requests answered and checked {answered}, failures {}, leaks {}",
        report.failure_count, report.leaks
    );
    out
}

#[test]
fn soak_mixed_hostile_and_normal_clients() {
    let duration = Duration::from_secs(
        std::env::var("SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20),
    );
    let seed = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let skip: Vec<String> = std::env::var("SOAK_SKIP")
        .unwrap_or_default()
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let t = TIMEOUTS;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let origin = rt.block_on(Origin::start(2));
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut lb = Lbtop::start(&config(addr.port(), &origin.addrs, t), addr);
    let pid = lb.pid();
    println!(
        "soak: {duration:?} of load, seed {seed} (SOAK_SEED to replay the same choices), lbtop pid {pid} with 2 workers; timeouts http-request {:?}, http-keep-alive {:?}, client {:?}, server {:?}; slack {SLACK:?}{}",
        t.http_request,
        t.keep_alive,
        t.client,
        t.server,
        if skip.is_empty() { String::new() } else { format!("; left out: {}", skip.join(",")) }
    );

    let started = Instant::now();
    let ticks_before = stat_ticks(Path::new(&format!("/proc/{pid}/stat"))).map_or(0, |t| t.1);
    let ctx = Arc::new(Ctx::new(addr, t, duration, skip));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (samples.clone(), stop.clone());
        std::thread::spawn(move || sample_rss(pid, started + duration, samples, stop))
    };
    let stalls = Arc::new(Mutex::new((Duration::ZERO, Duration::ZERO)));
    let mut failures = rt.block_on(load(ctx.clone(), seed, stalls.clone()));
    stop.store(true, Relaxed);
    let _ = sampler.join();
    let clients_done = started.elapsed();
    let ticks_load =
        stat_ticks(Path::new(&format!("/proc/{pid}/stat"))).map_or(0, |t| t.1) - ticks_before;

    // Every client has finished; give every timeout time to run out on lbtop's side too.
    std::thread::sleep(t.longest() + Duration::from_secs(1));
    let stuck = origin.stats.waiting_for_body.load(Relaxed);
    if stuck > 0 {
        failures.push(format!(
            "{stuck} request(s) still open at the origin mid-body, {:?} after the last client: lbtop neither finished nor abandoned them",
            t.longest() + Duration::from_secs(1)
        ));
    }
    let cpu = cpu_use(pid, CPU_WINDOW);
    let cpu_text =
        match &cpu {
            Some(c) => format!(
            "{:.1}% of one core over {CPU_WINDOW:?}, {:?} after the last client (busy threads: {})",
            c.total * 100.0,
            t.longest() + Duration::from_secs(1),
            if c.busy.is_empty() { "none".to_string() } else { c.busy.join(", ") }
        ),
            None => "unreadable: lbtop is gone".into(),
        };
    match &cpu {
        Some(c) if c.total > IDLE_CPU => failures.push(format!(
            "lbtop still busy after the load: {cpu_text} (allowed {:.0}%)",
            IDLE_CPU * 100.0
        )),
        None => failures.push("lbtop died during the soak".into()),
        _ => {}
    }
    let idle_rss = rss_kib(pid);

    let rss = samples.lock().unwrap().clone();
    let (rss_text, rss_failure) = rss_verdict(&rss);
    failures.extend(rss_failure);

    let final_get = rt.block_on(hostile::simple_get(&ctx));
    if let Err(e) = &final_get {
        failures.push(format!("the final simple GET failed: {e}"));
    }
    let exit = lb.terminate(Duration::from_secs(2));
    if let Err(e) = &exit {
        failures.push(e.clone());
    }
    drop(rt);

    {
        let report = ctx.report.lock().unwrap();
        for (kind, kept) in &report.failures {
            let n = report.kinds.get(kind).map_or(0, |s| s.failed);
            for f in kept {
                failures.push(format!("{kind}: {f}"));
            }
            if n as usize > kept.len() {
                failures.push(format!(
                    "{kind}: ... {} more like these",
                    n as usize - kept.len()
                ));
            }
        }
    }
    let mut summary = String::new();
    let _ = writeln!(
        summary,
        "\n===== soak summary ({:.0?} of load, clients done after {:.1?}) =====",
        duration, clients_done
    );
    summary.push_str(&summary_table(&ctx));
    let (stall, stall_at) = *stalls.lock().unwrap();
    let _ = writeln!(
        summary,
        "the clients' own runtime: longest stall {stall:.0?} (at {:.1}s){}",
        stall_at.as_secs_f64(),
        if stall > SLACK / 3 {
            " -- long enough to blur the timings near it"
        } else {
            ""
        }
    );
    let _ = writeln!(
        summary,
        "origin: {} connections from lbtop, {} requests read whole",
        origin.stats.connections.load(Relaxed),
        origin.stats.requests.load(Relaxed)
    );
    let _ = writeln!(
        summary,
        "RSS: {rss_text}; after the load {:?} KiB",
        idle_rss.unwrap_or(0)
    );
    if rss.len() <= 60 {
        let _ = writeln!(summary, "RSS samples, one a second (KiB): {rss:?}");
    } else {
        let per_minute: Vec<u64> = rss
            .chunks(60)
            .filter_map(|m| m.iter().max().copied())
            .collect();
        let _ = writeln!(
            summary,
            "RSS, highest sample of each minute (KiB): {per_minute:?}"
        );
    }
    let _ = writeln!(
        summary,
        "CPU during the load: {:.0}% of one core on average; after the load: {cpu_text}",
        ticks_load as f64 / clock_ticks() / clients_done.as_secs_f64() * 100.0
    );
    let _ = writeln!(
        summary,
        "final GET: {}; SIGTERM: {}",
        final_get.map_or_else(|e| format!("FAILED {e}"), |()| "ok".into()),
        exit.map_or_else(|e| format!("FAILED {e}"), |d| format!("exited in {d:.2?}"))
    );
    let _ = writeln!(summary, "failures: {}", failures.len());
    for f in &failures {
        let _ = writeln!(summary, "  - {f}");
    }
    println!("{summary}");
    assert!(
        failures.is_empty(),
        "the soak found {} problem(s), listed in its summary above; the first:\n  - {}\nlbtop's output ends with:\n{}",
        failures.len(),
        failures[..failures.len().min(8)].join("\n  - "),
        lb.log_tail()
    );
}
