//! What every soak client shares: where lbtop listens, its timeouts, fresh ids, and the report
//! that sessions write their outcome into.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The config's timeouts, as the clients measure connections against them.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub http_request: Duration,
    pub keep_alive: Duration,
    pub client: Duration,
    pub server: Duration,
}

impl Timeouts {
    pub fn longest(&self) -> Duration {
        [self.http_request, self.keep_alive, self.client, self.server]
            .into_iter()
            .max()
            .unwrap_or_default()
    }
}

/// What a connection may outlive its timeout by: timer granularity, a loaded two-core machine
/// running the proxy, the origin and the clients, and an unoptimised build.
pub const SLACK: Duration = Duration::from_millis(1500);

/// How long a client waits past a connection's bound before it calls it still open (bounded
/// waits: a failure is reported, never hung on).
pub const OVERTIME: Duration = Duration::from_secs(3);

/// The outcome of one connection that went as expected.
#[derive(Debug, Default)]
pub struct Done {
    /// Requests answered, each checked byte for byte.
    pub answered: u64,
    /// How long the connection lasted, from the moment its timeout started to run, and what it
    /// was allowed. `None` when the client itself ended it at once (a reset, a close).
    pub life: Option<Duration>,
    pub bound: Option<Duration>,
}

#[derive(Debug, Default, Clone)]
pub struct KindStats {
    pub connections: u64,
    pub answered: u64,
    pub failed: u64,
    pub unmeasured: u64,
    pub max_life: Duration,
    pub bound: Duration,
}

#[derive(Debug, Default)]
pub struct Report {
    pub kinds: BTreeMap<&'static str, KindStats>,
    /// The first few failures of each kind.
    pub failures: BTreeMap<&'static str, Vec<String>>,
    pub failure_count: u64,
    pub leaks: u64,
}

const KEPT_FAILURES: usize = 4;

pub struct Ctx {
    pub addr: SocketAddr,
    pub t: Timeouts,
    pub started: Instant,
    /// No session starts after this.
    pub stop_at: Instant,
    /// Kinds left out (`SOAK_SKIP`), to tell one failure from another.
    pub skip: Vec<String>,
    next_id: AtomicU64,
    pub report: Mutex<Report>,
    /// Requests whose answer the origin trails with unasked bytes.
    trailed: Mutex<HashSet<u64>>,
}

impl Ctx {
    pub fn new(addr: SocketAddr, t: Timeouts, duration: Duration, skip: Vec<String>) -> Ctx {
        let started = Instant::now();
        Ctx {
            addr,
            t,
            started,
            stop_at: started + duration,
            skip,
            next_id: AtomicU64::new(1),
            report: Mutex::new(Report::default()),
            trailed: Mutex::new(HashSet::new()),
        }
    }

    pub fn running(&self) -> bool {
        Instant::now() < self.stop_at
    }

    pub fn skips(&self, kind: &str) -> bool {
        self.skip.iter().any(|k| k == kind)
    }

    pub fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Relaxed)
    }

    pub fn trailed(&self, id: u64) {
        self.trailed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
    }

    /// An id as a leak report names it, saying whether its answer came with unasked bytes.
    pub fn name(&self, id: u64) -> String {
        let trailed = self.trailed.lock().unwrap_or_else(|e| e.into_inner());
        if trailed.contains(&id) {
            format!(
                "{} (an answer the origin trailed with unasked bytes)",
                super::wire::token(id)
            )
        } else {
            super::wire::token(id)
        }
    }

    pub fn record(&self, kind: &'static str, outcome: Result<Done, String>) {
        let mut report = self.report.lock().unwrap_or_else(|e| e.into_inner());
        let stats = report.kinds.entry(kind).or_default();
        stats.connections += 1;
        let failure = match outcome {
            Ok(done) => {
                stats.answered += done.answered;
                match (done.life, done.bound) {
                    (Some(life), Some(bound)) => {
                        stats.max_life = stats.max_life.max(life);
                        stats.bound = stats.bound.max(bound);
                        (life > bound).then(|| {
                            format!("connection lasted {life:.2?}, over its bound of {bound:.2?}")
                        })
                    }
                    _ => {
                        stats.unmeasured += 1;
                        None
                    }
                }
            }
            Err(e) => Some(e),
        };
        let at = self.started.elapsed();
        if let Some(failure) = failure {
            let stats = report.kinds.entry(kind).or_default();
            stats.failed += 1;
            report.failure_count += 1;
            if failure.starts_with("LEAK") {
                report.leaks += 1;
            }
            let kept = report.failures.entry(kind).or_default();
            if kept.len() < KEPT_FAILURES {
                kept.push(format!("(at {:.1}s) {failure}", at.as_secs_f64()));
            }
        }
    }

    pub async fn connect(&self) -> Result<TcpStream, String> {
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(self.addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                Ok(s)
            }
            Ok(Err(e)) => Err(format!("connect: {e}")),
            Err(_) => Err("connect: no accept within 5 s".into()),
        }
    }
}

/// Writes everything within 10 s.
pub async fn send<W: AsyncWriteExt + Unpin>(w: &mut W, bytes: &[u8]) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(10), w.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write: {e}")),
        Err(_) => Err("write: blocked for 10 s".into()),
    }
}

/// xorshift64*: reproducible from the seed the soak prints.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    pub fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    /// One of `items` by weight.
    pub fn weighted(&mut self, items: &[(&'static str, u64)]) -> &'static str {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.next() % total;
        for (name, w) in items {
            if pick < *w {
                return name;
            }
            pick -= w;
        }
        items[0].0
    }
}
