//! What was last sampled from the engine: the snapshot, the rates and history built from the
//! snapshots so far, and whether the data on screen may be old (on the dashboard's own clock).

use super::history::{Meter, Series};
use crate::attach::Fleet;
use crate::events::{ServerId, ServerSnap, Snapshot};
use std::time::{Duration, Instant};

/// No new snapshot for this long (or a snapshot this slow) and the header says the data is stale.
const STALE_AFTER: Duration = Duration::from_secs(2);
const SLOW_SNAPSHOT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Stats {
    snapshot: Option<Snapshot>,
    /// Under `lbtop attach`: the nodes and each server's copy on each.
    fleet: Option<Fleet>,
    meter: Meter,
    /// How often the engine is sampled: the stale warning waits a few of these.
    refresh: Duration,
    // Staleness, on the dashboard's own clock.
    now: Option<Instant>,
    last_progress: Option<Instant>,
    slow_snapshot: Option<Duration>,
    engine_gone: bool,
}

impl Stats {
    pub fn new(refresh: Duration) -> Stats {
        Stats {
            snapshot: None,
            fleet: None,
            meter: Meter::default(),
            refresh,
            now: None,
            last_progress: None,
            slow_snapshot: None,
            engine_gone: false,
        }
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// The attached nodes, when the data comes from `lbtop attach`.
    pub fn fleet(&self) -> Option<&Fleet> {
        self.fleet.as_ref()
    }

    /// Whether the data comes from attached nodes rather than an embedded engine.
    pub fn attached(&self) -> bool {
        self.fleet.is_some()
    }

    /// Takes the per-node side of a sample. Returns whether it changed.
    pub(super) fn set_fleet(&mut self, fleet: Option<Fleet>) -> bool {
        let changed = self.fleet != fleet;
        self.fleet = fleet;
        changed
    }

    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// Requests (or TCP connections) per second; `None` until two samples exist.
    pub fn rate(&self, id: ServerId) -> Option<f64> {
        self.meter.rate(Series::Server(id)).map(|r| r[0])
    }

    pub fn server(&self, id: ServerId) -> Option<&ServerSnap> {
        self.snapshot
            .as_ref()?
            .backends
            .get(id.backend)?
            .servers
            .get(id.server)
    }

    /// `hoge/web11`, as HAProxy names a server.
    pub fn server_label(&self, id: ServerId) -> String {
        self.snapshot
            .as_ref()
            .and_then(|s| {
                let b = s.backends.get(id.backend)?;
                Some(format!("{}/{}", b.name, b.servers.get(id.server)?.name))
            })
            .unwrap_or_else(|| format!("server #{}/{}", id.backend, id.server))
    }

    /// Why the data on screen may be old, if it may.
    pub fn stale(&self) -> Option<String> {
        if self.engine_gone {
            return Some("the engine has stopped answering".into());
        }
        let now = self.now?;
        if let Some(since) = self.last_progress {
            let quiet = now.saturating_duration_since(since);
            if quiet >= self.stale_after() {
                return Some(format!("no new data for {}s", quiet.as_secs()));
            }
        }
        self.slow_snapshot.map(|took| {
            format!(
                "engine slow: a snapshot took {}ms",
                took.as_millis().min(99_999)
            )
        })
    }

    fn stale_after(&self) -> Duration {
        STALE_AFTER.max(self.refresh * 4)
    }

    /// Takes a new snapshot. Returns whether anything on screen may have changed.
    pub(super) fn update(&mut self, snap: Snapshot, now: Instant) -> bool {
        let changed = match &self.snapshot {
            Some(old) => !looks_the_same(old, &snap),
            None => true,
        };
        let rates_changed = self.meter.sample(&snap, now);
        let progressed = self
            .snapshot
            .as_ref()
            .is_none_or(|old| snap.uptime > old.uptime);
        let was_stale = self.stale();
        if progressed || self.last_progress.is_none() {
            self.last_progress = Some(now);
        }
        self.now = Some(now);
        self.snapshot = Some(snap);
        changed || rates_changed || was_stale != self.stale()
    }

    /// The clock moved without a snapshot. Returns whether the stale warning changed.
    pub(super) fn tick(&mut self, now: Instant) -> bool {
        let before = self.stale();
        self.now = Some(now);
        before != self.stale()
    }

    /// How long the last snapshot took the engine; slow ones are flagged.
    pub(super) fn note_snapshot_cost(&mut self, took: Duration) -> bool {
        let before = self.slow_snapshot;
        self.slow_snapshot = (took >= SLOW_SNAPSHOT).then_some(took);
        before != self.slow_snapshot
    }

    /// The engine's snapshot source is gone for good. Returns whether that is news.
    pub(super) fn engine_stopped(&mut self) -> bool {
        let was = self.engine_gone;
        self.engine_gone = true;
        !was
    }
}

/// Equal as far as the screen can tell: times are shown in whole seconds.
fn looks_the_same(a: &Snapshot, b: &Snapshot) -> bool {
    fn coarse(s: &Snapshot) -> Snapshot {
        let secs = |d: Duration| Duration::from_secs(d.as_secs());
        let mut s = s.clone();
        s.uptime = secs(s.uptime);
        for b in &mut s.backends {
            for srv in &mut b.servers {
                srv.since_change = secs(srv.since_change);
                srv.downtime = secs(srv.downtime);
            }
        }
        s
    }
    a.backends.len() == b.backends.len() && coarse(a) == coarse(b)
}
