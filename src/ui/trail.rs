//! What the detail pane remembers of each server since the dashboard started: its
//! transitions with their reasons (the lines HAProxy logs: `Server hoge/web11 is DOWN,
//! reason: ...`), the other log lines that name it, and its latency percentiles per
//! 5-second bucket. All bounded; keyed by `backend/server`, as the lines name servers, so a
//! reload that moves servers keeps each one's trail.

use super::history::BUCKET;
use crate::events::{Latency, LogLine, Snapshot};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

/// Transitions kept per server.
pub const TRANSITIONS_KEPT: usize = 20;
/// Other log lines kept per server.
pub const LINES_KEPT: usize = 10;
/// Latency buckets kept per server (five minutes).
pub const LATENCY_KEPT: usize = 60;

/// A line and the wall-clock time it came (`08:42:17`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    pub at: String,
    pub text: String,
}

/// p50, p90 and p99 of the requests that finished in one bucket; `None` without any.
pub type Percentiles = Option<[Duration; 3]>;

#[derive(Debug, Default)]
pub struct ServerTrail {
    pub transitions: VecDeque<Stamped>,
    pub lines: VecDeque<Stamped>,
    pub latency: VecDeque<Percentiles>,
    /// The histogram at the start of the current bucket.
    base: Option<Latency>,
}

#[derive(Debug, Default)]
pub struct Trail {
    servers: HashMap<String, ServerTrail>,
    /// Server labels as a line may name them, from the last snapshot.
    known: HashSet<String>,
    /// A hash of the names `known` was made from, so it is made again only when they change.
    names: u64,
    bucket_started: Option<Instant>,
    /// A fixed text instead of the time (fixtures, screenshots).
    frozen: Option<String>,
}

impl Trail {
    pub fn get(&self, label: &str) -> Option<&ServerTrail> {
        self.servers.get(label)
    }

    /// Stamps lines with this text instead of the time.
    pub fn freeze_clock(&mut self, text: &str) {
        self.frozen = Some(text.to_string());
    }

    /// A log line from the engine: kept for each server it names.
    pub fn on_log(&mut self, line: &LogLine) {
        let named: Vec<String> = line
            .text
            .split_whitespace()
            .map(|w| w.trim_end_matches(['.', ',', ':', ';']))
            .filter(|w| w.contains('/') && self.known.contains(*w))
            .map(String::from)
            .collect();
        if named.is_empty() {
            return;
        }
        let stamped = Stamped {
            at: self.now_text(),
            text: line.text.clone(),
        };
        let transition = is_transition(&line.text);
        for label in named {
            let t = self.servers.entry(label).or_default();
            let list = match transition {
                true => &mut t.transitions,
                false => &mut t.lines,
            };
            push_bounded(list, stamped.clone(), bound(transition));
        }
    }

    /// A new snapshot: learns the names, and closes a latency bucket every 5 seconds.
    pub fn on_snapshot(&mut self, snap: &Snapshot, now: Instant) {
        self.learn_names(snap);
        let started = *self.bucket_started.get_or_insert(now);
        if now.saturating_duration_since(started) < BUCKET && !self.servers.is_empty() {
            return;
        }
        let first = self.servers.is_empty();
        self.bucket_started = Some(now);
        for b in &snap.backends {
            for s in &b.servers {
                let t = self
                    .servers
                    .entry(format!("{}/{}", b.name, s.name))
                    .or_default();
                if let (Some(base), false) = (&t.base, first) {
                    let p = percentiles(&s.latency.since(base));
                    push_bounded(&mut t.latency, p, LATENCY_KEPT);
                }
                t.base = Some(s.latency.clone());
            }
        }
    }

    fn learn_names(&mut self, snap: &Snapshot) {
        let mut h = DefaultHasher::new();
        for b in &snap.backends {
            b.name.hash(&mut h);
            b.servers.iter().for_each(|s| s.name.hash(&mut h));
        }
        let names = h.finish();
        if names == self.names && !self.known.is_empty() {
            return;
        }
        self.names = names;
        self.known = snap
            .backends
            .iter()
            .flat_map(|b| {
                b.servers
                    .iter()
                    .map(move |s| format!("{}/{}", b.name, s.name))
            })
            .collect();
    }

    fn now_text(&self) -> String {
        match &self.frozen {
            Some(text) => text.clone(),
            None => wall_clock(),
        }
    }
}

fn bound(transition: bool) -> usize {
    match transition {
        true => TRANSITIONS_KEPT,
        false => LINES_KEPT,
    }
}

fn push_bounded<T>(list: &mut VecDeque<T>, item: T, max: usize) {
    list.push_back(item);
    while list.len() > max {
        list.pop_front();
    }
}

/// HAProxy's state-change lines start `Server b/s ...` or `Backup Server b/s ...`; the
/// per-check lines (`Health check for server ...`) and the rest are not transitions.
fn is_transition(text: &str) -> bool {
    text.starts_with("Server ") || text.starts_with("Backup Server ")
}

fn percentiles(l: &Latency) -> Percentiles {
    Some([l.quantile(0.5)?, l.quantile(0.9)?, l.quantile(0.99)?])
}

/// The local time of day, `HH:MM:SS`.
fn wall_clock() -> String {
    // SAFETY: time() and localtime_r() with valid pointers; tm is plain data.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return "--:--:--".into();
        }
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Level, Topic};

    fn line(text: &str) -> LogLine {
        LogLine {
            level: Level::Notice,
            topic: Topic::Health,
            text: text.into(),
        }
    }

    #[test]
    fn lines_go_to_the_servers_they_name_and_stay_bounded() {
        let mut t = Trail::default();
        t.freeze_clock("08:42:17");
        t.known = ["hoge/web11".to_string(), "hoge/web1".to_string()].into();
        t.on_log(&line(
            "Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: 2ms. 1 active and 0 backup servers left.",
        ));
        t.on_log(&line(
            "Health check for server hoge/web11 failed, reason: x",
        ));
        t.on_log(&line("Proxy hoge started."));
        let w = t.get("hoge/web11").unwrap();
        assert_eq!(w.transitions.len(), 1);
        assert_eq!(w.transitions[0].at, "08:42:17");
        assert_eq!(w.lines.len(), 1);
        assert!(t.get("hoge/web1").is_none(), "web1 is a prefix, not named");
        for i in 0..50 {
            t.on_log(&line(&format!("Server hoge/web11 is UP {i}.")));
        }
        let w = t.get("hoge/web11").unwrap();
        assert_eq!(w.transitions.len(), TRANSITIONS_KEPT);
        assert!(w.transitions.back().unwrap().text.ends_with("UP 49."));
    }
}
