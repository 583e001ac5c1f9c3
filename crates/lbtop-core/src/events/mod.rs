//! The one seam between the engine and whoever watches it (the dashboard, the
//! headless printer, tests).
//!
//! Three things cross it:
//! - [`Event`]s, lossless: health transitions, admin changes and alerts. They are rare and an
//!   operator must never miss one, so their channel is unbounded.
//! - [`SessionRecord`]s, lossy: one per finished request or connection. Their channel is bounded;
//!   when the watcher lags, records are dropped and counted, and the data path never waits.
//! - [`Command`]s, from the watcher to the engine.
//!
//! Counters are not events: the watcher reads them as a [`Snapshot`] at its own pace.

mod latency;
mod session;
mod snapshot;

pub use latency::{Histogram, Latency};
pub use session::{Captured, SessionRecord, Termination};
pub use snapshot::{
    printable, BackendSnap, CheckKind, CheckSnap, FrontendSnap, Ramp, ServerSnap, ServerStatus,
    Snapshot, CHECK_HEAD,
};

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A server, by position in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId {
    pub backend: usize,
    pub server: usize,
}

/// Syslog severities, as HAProxy assigns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Emerg => "emerg",
            Level::Alert => "alert",
            Level::Crit => "crit",
            Level::Err => "err",
            Level::Warning => "warning",
            Level::Notice => "notice",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// What a log line is about; the dashboard filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Health,
    Admin,
    Traffic,
    System,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Health => "health",
            Topic::Admin => "admin",
            Topic::Traffic => "traffic",
            Topic::System => "system",
        }
    }
}

/// One line in HAProxy's words, e.g.
/// `Server hoge/web11 is DOWN. 1 active and 0 backup servers left. ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: Level,
    pub topic: Topic,
    pub text: String,
}

/// Lossless notifications from the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Log(LogLine),
    /// A server's status changed (health or admin); the snapshot has the details.
    ServerChanged {
        server: ServerId,
        status: ServerStatus,
    },
    /// A command was refused; says why in plain words.
    CommandFailed {
        command: Command,
        reason: String,
    },
    /// `lbtop attach`: what the nodes answered to a command, one part per node
    /// (`set server hoge/web11 state drain → h1: done · h2: No such server.`); `ok` when
    /// every node took it. The embedded engine sends it for [`Command::Runtime`] only.
    Answered {
        command: Command,
        ok: bool,
        text: String,
    },
    /// A command carried out outside the servers' state (the demo lab's `t`, `s`, `x`): what
    /// happened, in plain words. Admin commands are confirmed by `ServerChanged` and the
    /// snapshot instead.
    Done {
        command: Command,
        text: String,
    },
    /// The process reloads or stops (docs/haproxy-semantics.md §30): the points a service
    /// manager is told about (sd_notify RELOADING, READY, STOPPING) and the dashboard shows.
    Lifecycle(Lifecycle),
}

/// A step in the life of a reloadable process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// A reload began: the configuration is being read again.
    Reloading,
    /// A reload ended. `ok`: the new configuration serves, and `text` says what changed
    /// (`reload: +1 server, 1 weight changed`); else the old one still serves, and `text`
    /// is the error as `lbtop check` prints it.
    Reloaded { ok: bool, text: String },
    /// A soft stop began: no new connections; the sessions running finish.
    Stopping,
    /// Everything has stopped: the watcher ends (exit 0).
    Stopped,
}

/// Admin states, as `set server B/S state ready|drain|maint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminState {
    Ready,
    Drain,
    Maint,
}

impl fmt::Display for AdminState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AdminState::Ready => "ready",
            AdminState::Drain => "drain",
            AdminState::Maint => "maint",
        })
    }
}

/// Requests from the watcher.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    SetAdmin {
        server: ServerId,
        state: AdminState,
    },
    SetWeight {
        server: ServerId,
        weight: u32,
    },
    /// `enable health` / `disable health`.
    SetChecks {
        server: ServerId,
        enabled: bool,
    },
    /// Stop or start an embedded demo web server (like `systemctl stop apache2`).
    DemoServer {
        name: String,
        running: bool,
    },
    /// Delete or restore a demo server's `health_check.html`.
    DemoHealthPage {
        name: String,
        present: bool,
    },
    /// Start or stop the built-in traffic generator.
    DemoTraffic {
        running: bool,
    },
    /// Read the configuration file again and swap it in (the `R` key, then `y`).
    Reload,
    /// One runtime API command, as typed on the stats socket (the `:` prompt); the answer
    /// comes back as [`Event::Answered`]. `admin: false` runs it at the `user` level, where
    /// only the `show` commands work.
    Runtime {
        line: String,
        admin: bool,
    },
}

/// How many session records a lagging watcher may have pending before they are dropped.
pub const SESSION_QUEUE: usize = 4096;

/// How many session records the watcher wants. Records cost the data path an allocation and a
/// channel send each, so a watcher that only shows a sample asks for a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTap {
    /// None: nothing is built per request.
    Off,
    /// At most this many per second on each worker thread.
    PerSecond(u32),
    /// Every one (traffic logging).
    All,
}

impl SessionTap {
    fn encode(self) -> u32 {
        match self {
            SessionTap::Off => 0,
            SessionTap::PerSecond(n) => n.clamp(1, u32::MAX - 1),
            SessionTap::All => u32::MAX,
        }
    }
}

thread_local! {
    /// (window start, records sampled in it) for `SessionTap::PerSecond`.
    static WINDOW: std::cell::Cell<(Option<std::time::Instant>, u32)> = const { std::cell::Cell::new((None, 0)) };
}

/// The engine's side of the event channels.
#[derive(Debug, Clone)]
pub struct EventSender {
    events: mpsc::UnboundedSender<Event>,
    sessions: mpsc::Sender<SessionRecord>,
    dropped: Arc<AtomicU64>,
    tap: Arc<AtomicU32>,
}

/// The watcher's side of the event channels.
#[derive(Debug)]
pub struct EventReceiver {
    pub events: mpsc::UnboundedReceiver<Event>,
    pub sessions: mpsc::Receiver<SessionRecord>,
    dropped: Arc<AtomicU64>,
    tap: Arc<AtomicU32>,
}

pub fn channel() -> (EventSender, EventReceiver) {
    let (etx, erx) = mpsc::unbounded_channel();
    let (stx, srx) = mpsc::channel(SESSION_QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let tap = Arc::new(AtomicU32::new(SessionTap::All.encode()));
    (
        EventSender {
            events: etx,
            sessions: stx,
            dropped: dropped.clone(),
            tap: tap.clone(),
        },
        EventReceiver {
            events: erx,
            sessions: srx,
            dropped,
            tap,
        },
    )
}

impl EventSender {
    /// Never drops; a closed receiver (nobody watching) is fine.
    pub fn send(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn log(&self, level: Level, topic: Topic, text: String) {
        self.send(Event::Log(LogLine { level, topic, text }));
    }

    /// Whether the session starting now should be recorded (see [`SessionTap`]).
    pub fn sample(&self) -> bool {
        match self.tap.load(Ordering::Relaxed) {
            0 => false,
            u32::MAX => true,
            limit => WINDOW.with(|w| {
                let (start, count) = w.get();
                // Past the limit, the clock is read only every 256th session: enough to see
                // the window roll over, without a clock read on every request at full load.
                if count >= limit && count % 256 != 0 {
                    w.set((start, count + 1));
                    return false;
                }
                let now = std::time::Instant::now();
                match start {
                    Some(s) if now.duration_since(s) < std::time::Duration::from_secs(1) => {
                        w.set((start, count + 1));
                        count < limit
                    }
                    _ => {
                        w.set((Some(now), 1));
                        true
                    }
                }
            }),
        }
    }

    /// Never waits: a full queue drops the record and counts it.
    pub fn session(&self, record: SessionRecord) {
        if self.sessions.try_send(record).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl EventReceiver {
    /// Chooses how many session records the engine builds and sends.
    pub fn set_session_tap(&self, tap: SessionTap) {
        self.tap.store(tap.encode(), Ordering::Relaxed);
    }

    /// Session records dropped so far because the watcher lagged.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_per_second_tap_samples_up_to_its_limit_per_window() {
        let (tx, rx) = channel();
        rx.set_session_tap(SessionTap::Off);
        assert!(!tx.sample());
        rx.set_session_tap(SessionTap::PerSecond(3));
        let taken = (0..10_000).filter(|_| tx.sample()).count();
        assert_eq!(taken, 3, "three in the first second, however many requests");
        rx.set_session_tap(SessionTap::All);
        assert!((0..100).all(|_| tx.sample()));
    }
}
