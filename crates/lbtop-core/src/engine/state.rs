//! A server's health and admin state, the transitions between them, and the exact lines
//! HAProxy logs for each (docs/haproxy-semantics.md §1.2, §1.6, §6).

use crate::events::{AdminState, CheckKind, CheckSnap, Level, ServerStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The result of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub kind: CheckKind,
    pub code: Option<u16>,
    /// Detail HAProxy quotes after `info:` (a reason phrase, or "Connection refused").
    pub info: Option<String>,
    pub duration: Duration,
    /// The reply's first bytes (at most [`crate::events::CHECK_HEAD`]), for the dashboard.
    pub head: Option<Arc<[u8]>>,
}

impl CheckOutcome {
    /// Keeps the first bytes of what the check read; nothing when it read nothing.
    pub fn with_head(mut self, read: &[u8]) -> CheckOutcome {
        if !read.is_empty() {
            let n = read.len().min(crate::events::CHECK_HEAD);
            self.head = Some(Arc::from(&read[..n]));
        }
        self
    }

    /// `, reason: Layer7 wrong status, code: 404, info: "Not Found", check duration: 13ms`.
    fn reason(&self) -> String {
        let mut s = format!(", reason: {}", self.kind.text());
        if let (true, Some(code)) = (self.kind.has_code(), self.code) {
            s.push_str(&format!(", code: {code}"));
        }
        if let Some(info) = &self.info {
            s.push_str(&format!(", info: \"{info}\""));
        }
        s.push_str(&format!(
            ", check duration: {}ms",
            self.duration.as_millis()
        ));
        s
    }

    pub fn snap(&self) -> CheckSnap {
        CheckSnap {
            kind: self.kind,
            code: self.code,
            duration: self.duration,
            info: self.info.clone(),
            head: self.head.clone(),
        }
    }
}

/// The health counter of docs/haproxy-semantics.md §1.2: 0..=rise+fall-1, up when >= rise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub value: u32,
    pub rise: u32,
    pub fall: u32,
}

impl Health {
    /// A server starts up but transitional: health = rise (`UP 1/2` with rise 2, fall 2).
    pub fn start(rise: u32, fall: u32) -> Health {
        Health {
            value: rise,
            rise,
            fall,
        }
    }

    pub fn max(&self) -> u32 {
        self.rise + self.fall - 1
    }

    pub fn is_up(&self) -> bool {
        self.value >= self.rise
    }

    /// Applies one result; returns whether the counter moved.
    pub fn record(&mut self, passed: bool) -> bool {
        if passed {
            if self.value >= self.max() {
                return false;
            }
            self.value += 1;
            if self.value >= self.rise {
                self.value = self.max();
            }
        } else {
            if self.value == 0 {
                return false;
            }
            self.value -= 1;
            if self.value < self.rise {
                self.value = 0;
            }
        }
        true
    }

    /// The `x/y` HAProxy prints.
    pub fn fraction(&self) -> (u32, u32) {
        if self.is_up() {
            (self.value - self.rise + 1, self.fall)
        } else {
            (self.value, self.rise)
        }
    }
}

/// Everything about a server that changes on checks and commands.
#[derive(Debug, Clone)]
pub struct ServerState {
    pub health: Health,
    pub admin: AdminState,
    pub checks_configured: bool,
    pub checks_enabled: bool,
    /// User weight (`set weight`); 0 takes the server out of rotation but it stays UP.
    pub weight: u32,
    pub last_check: Option<CheckOutcome>,
    pub last_change: Instant,
    pub down_since: Option<Instant>,
    pub downtime: Duration,
    pub failed_checks: u64,
    pub down_transitions: u64,
    /// Put DOWN by `set server ... health down` while not checked: only `health up` lifts it.
    pub forced_down: bool,
    /// NOLB (HAProxy's "stopping"): up, but its last passing check was a 404 under
    /// `http-check disable-on-404`, so it takes no new clients. A full pass ends it, and
    /// so does going DOWN.
    pub stopping: bool,
}

impl ServerState {
    pub fn new(
        weight: u32,
        check: bool,
        rise: u32,
        fall: u32,
        disabled: bool,
        now: Instant,
    ) -> Self {
        let mut s = ServerState {
            health: Health::start(rise, fall),
            admin: AdminState::Ready,
            checks_configured: check,
            checks_enabled: check,
            weight,
            last_check: None,
            last_change: now,
            down_since: None,
            downtime: Duration::ZERO,
            failed_checks: 0,
            down_transitions: 0,
            forced_down: false,
            stopping: false,
        };
        if disabled {
            s.admin = AdminState::Maint;
            s.health.value = 0;
        }
        s
    }

    fn checking(&self) -> bool {
        self.checks_configured && self.checks_enabled
    }

    /// Whether checks should run now (MAINT pauses them).
    pub fn checks_running(&self) -> bool {
        self.checking() && self.admin != AdminState::Maint
    }

    /// Operationally up: passing checks, or not checked at all.
    pub fn is_up(&self) -> bool {
        self.admin != AdminState::Maint
            && if self.checking() {
                self.health.is_up()
            } else {
                !self.forced_down
            }
    }

    /// The weight the balancer uses: 0 unless up, ready and weighted.
    pub fn effective_weight(&self) -> u32 {
        if self.is_up() && self.admin == AdminState::Ready && !self.stopping {
            self.weight
        } else {
            0
        }
    }

    pub fn status(&self) -> ServerStatus {
        // HAProxy's status word follows the admin state alone: a server set to weight 0 still
        // reads UP (docs/haproxy-semantics.md §34); its weight column says it takes nothing.
        let draining = self.admin == AdminState::Drain;
        if self.admin == AdminState::Maint {
            return ServerStatus::Maint;
        }
        if !self.checking() {
            return if self.forced_down {
                ServerStatus::Down
            } else if draining {
                ServerStatus::Drain
            } else {
                ServerStatus::NoCheck
            };
        }
        let (x, y) = self.health.fraction();
        match (
            self.health.is_up(),
            self.health.value == self.health.max(),
            draining,
        ) {
            (true, true, false) if self.stopping => ServerStatus::Nolb,
            (true, true, false) => ServerStatus::Up,
            (true, true, true) => ServerStatus::Drain,
            (true, false, false) if self.stopping => ServerStatus::NolbGoingDown { x, y },
            (true, false, false) => ServerStatus::GoingDown { x, y },
            (true, false, true) => ServerStatus::DrainGoingDown { x, y },
            (false, _, _) if self.health.value == 0 => ServerStatus::Down,
            (false, _, _) => ServerStatus::GoingUp { x, y },
        }
    }

    pub fn last_check_snap(&self) -> Option<CheckSnap> {
        if !self.checks_running() {
            return None;
        }
        Some(self.last_check.as_ref().map_or(
            CheckSnap::new(CheckKind::Ini, None, Duration::ZERO),
            CheckOutcome::snap,
        ))
    }

    pub(crate) fn mark(&mut self, was_up: bool, now: Instant) {
        let up = self.is_up();
        if was_up == up {
            return;
        }
        self.last_change = now;
        if up {
            if let Some(since) = self.down_since.take() {
                self.downtime += now - since;
            }
        } else {
            self.down_transitions += 1;
            self.down_since = Some(now);
        }
    }

    pub fn downtime(&self, now: Instant) -> Duration {
        self.downtime + self.down_since.map_or(Duration::ZERO, |s| now - s)
    }
}

/// The other numbers a transition line needs: usable servers after the change, and sessions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub active: usize,
    pub backup: usize,
    pub sessions: u64,
    pub queued: u64,
}

impl Tally {
    fn servers_left(&self, word: &str) -> String {
        let mut s = format!(
            "{} active and {} backup servers {word}.",
            self.active, self.backup
        );
        if self.active == 0 && self.backup > 0 {
            s.push_str(" Running on backup.");
        }
        s
    }

    pub(crate) fn down_tail(&self) -> String {
        format!(
            "{} {} sessions active, 0 requeued, {} remaining in queue.",
            self.servers_left("left"),
            self.sessions,
            self.queued
        )
    }

    pub(crate) fn up_tail(&self) -> String {
        format!(
            "{} 0 sessions requeued, {} total in queue.",
            self.servers_left("online"),
            self.queued
        )
    }
}

/// A line to log, with its severity.
pub type Line = (Level, String);

/// Names used in messages: `hoge/web11`, and whether it is a backup server.
pub struct Who<'a> {
    pub proxy_server: &'a str,
    pub backup: bool,
    pub log_health_checks: bool,
}

/// What changed, so the caller can recompute the tally after the state moved.
pub struct Transition {
    pub was_up: bool,
    pub is_up: bool,
    pub moved: bool,
    /// Whether the server was NOLB before (its DOWN line is then a notice, and entering or
    /// leaving NOLB while up has a line of its own).
    pub was_stopping: bool,
}

impl ServerState {
    /// Applies a check result. Returns the transition; `lines` then renders the log lines.
    pub fn apply_check(&mut self, outcome: CheckOutcome, now: Instant) -> Transition {
        let was_up = self.is_up();
        let was_stopping = self.stopping;
        let old_kind = self.last_check.as_ref().map(|c| c.kind);
        let passed = outcome.kind.passed();
        let moved = self.health.record(passed);
        if !passed && moved {
            self.failed_checks += 1;
        }
        // A failed check leaves a stopping server stopping (measured: `NOLB 2/3`).
        if !self.health.is_up() {
            self.stopping = false;
        } else if passed {
            self.stopping = outcome.kind == CheckKind::L7OkCd;
        }
        let kind_changed = old_kind != Some(outcome.kind);
        self.last_check = Some(outcome);
        self.mark(was_up, now);
        if was_stopping != self.stopping {
            self.last_change = now;
        }
        Transition {
            was_up,
            is_up: self.is_up(),
            moved: moved || kind_changed || was_stopping != self.stopping,
            was_stopping,
        }
    }

    /// The lines a check result logs: the per-check line (with log-health-checks) when the
    /// counter moved or the status changed, then UP/DOWN on a transition.
    pub fn check_lines(&self, who: &Who, t: &Transition, tally: &Tally) -> Vec<Line> {
        let mut lines = Vec::new();
        let Some(outcome) = &self.last_check else {
            return lines;
        };
        if who.log_health_checks && t.moved {
            let (x, y) = self.health.fraction();
            let word = match (self.health.is_up(), self.weight > 0) {
                (true, true) => "UP",
                (true, false) => "DRAIN",
                (false, _) => "DOWN",
            };
            lines.push((
                Level::Notice,
                format!(
                    "Health check for {}server {} {}{}, status: {x}/{y} {word}.",
                    if who.backup { "backup " } else { "" },
                    who.proxy_server,
                    match outcome.kind {
                        CheckKind::L7OkCd => "conditionally succeeded",
                        k if k.passed() => "succeeded",
                        _ => "failed",
                    },
                    outcome.reason(),
                ),
            ));
        }
        let reason = if who.log_health_checks {
            String::new()
        } else {
            outcome.reason()
        };
        let prefix = if who.backup {
            "Backup Server"
        } else {
            "Server"
        };
        if t.was_up == t.is_up {
            if t.is_up && t.was_stopping != self.stopping {
                let what = if self.stopping { "stopping" } else { "UP" };
                lines.push((
                    Level::Notice,
                    format!(
                        "{prefix} {} is {what}{reason}. {}",
                        who.proxy_server,
                        tally.up_tail()
                    ),
                ));
            }
            return lines;
        }
        let draining = self.admin == AdminState::Drain;
        if t.is_up {
            lines.push((
                Level::Notice,
                format!(
                    "{prefix} {} is UP{reason}. {}",
                    who.proxy_server,
                    tally.up_tail()
                ),
            ));
        } else {
            // HAProxy words the end of a server that was already stopping as a notice.
            let level = if draining || t.was_stopping {
                Level::Notice
            } else {
                Level::Alert
            };
            lines.push((
                level,
                format!(
                    "{prefix} {} is DOWN{reason}. {}",
                    who.proxy_server,
                    tally.down_tail()
                ),
            ));
        }
        if draining {
            lines.push((
                Level::Notice,
                format!("Server {} remains in forced drain mode.", who.proxy_server),
            ));
        }
        lines
    }

    /// Applies an admin state change and returns the line HAProxy logs for it
    /// (`tally` must describe the backend after the change).
    pub fn apply_admin(&mut self, to: AdminState, now: Instant) -> Transition {
        let was_up = self.is_up();
        let was_stopping = self.stopping;
        let from = self.admin;
        self.admin = to;
        if to == AdminState::Maint {
            self.health.value = 0;
            self.stopping = false;
        } else if from == AdminState::Maint && self.checking() {
            // Leaving maintenance, a checked server is up but transitional (UP 1/y).
            self.health.value = self.health.rise;
            self.last_check = None;
        }
        self.mark(was_up, now);
        Transition {
            was_up,
            is_up: self.is_up(),
            moved: from != to,
            was_stopping,
        }
    }

    pub fn admin_line(
        &self,
        from: AdminState,
        who: &Who,
        t: &Transition,
        tally: &Tally,
    ) -> Option<Line> {
        let ps = who.proxy_server;
        let up_word = if t.is_up { "UP" } else { "DOWN" };
        let line = match (from, self.admin) {
            (a, b) if a == b => return None,
            (_, AdminState::Maint) if !t.was_up => (
                Level::Notice,
                format!("Server {ps} was DOWN and now enters maintenance."),
            ),
            (from, AdminState::Maint) => (
                if from == AdminState::Drain {
                    Level::Notice
                } else {
                    Level::Alert
                },
                format!(
                    "Server {ps} is going DOWN for maintenance. {}",
                    tally.down_tail()
                ),
            ),
            (AdminState::Maint, AdminState::Ready) => (
                Level::Notice,
                format!("Server {ps} is {up_word}/READY (leaving forced maintenance)."),
            ),
            (AdminState::Maint, AdminState::Drain) => (
                Level::Notice,
                format!("Server {ps} is {up_word}/DRAIN (leaving forced maintenance)."),
            ),
            (AdminState::Ready, AdminState::Drain) => (
                Level::Notice,
                format!("Server {ps} enters drain state. {}", tally.up_tail()),
            ),
            (AdminState::Drain, AdminState::Ready) => (
                Level::Notice,
                format!("Server {ps} is {up_word} (leaving forced drain)."),
            ),
            _ => return None,
        };
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(kind: CheckKind, code: Option<u16>, info: Option<&str>, ms: u64) -> CheckOutcome {
        CheckOutcome {
            kind,
            code,
            info: info.map(str::to_string),
            duration: Duration::from_millis(ms),
            head: None,
        }
    }

    fn ok(ms: u64) -> CheckOutcome {
        outcome(CheckKind::L7Ok, Some(200), None, ms)
    }

    fn not_found(ms: u64) -> CheckOutcome {
        outcome(CheckKind::L7Sts, Some(404), Some("Not Found"), ms)
    }

    const WHO: Who = Who {
        proxy_server: "hoge/web11",
        backup: false,
        log_health_checks: true,
    };

    fn step(s: &mut ServerState, o: CheckOutcome, tally: Tally) -> Vec<String> {
        let t = s.apply_check(o, Instant::now());
        s.check_lines(&WHO, &t, &tally)
            .into_iter()
            .map(|l| l.1)
            .collect()
    }

    #[test]
    fn health_trace_rise2_fall3() {
        let mut h = Health::start(2, 3);
        let mut trace = vec![h.value];
        for passed in [true, false, false, false, true, true] {
            h.record(passed);
            trace.push(h.value);
        }
        assert_eq!(trace, vec![2, 4, 3, 2, 0, 1, 4]);
    }

    #[test]
    fn seed_experiment_lines() {
        let mut s = ServerState::new(1, true, 2, 2, false, Instant::now());
        assert_eq!(s.status().to_string(), "UP 1/2");
        let two_up = Tally {
            active: 2,
            ..Tally::default()
        };
        let one_up = Tally {
            active: 1,
            ..Tally::default()
        };
        assert_eq!(
            step(&mut s, ok(12), two_up),
            ["Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 12ms, status: 2/2 UP."]
        );
        assert_eq!(s.status(), ServerStatus::Up);
        assert!(
            step(&mut s, ok(3), two_up).is_empty(),
            "steady UP is silent"
        );
        assert_eq!(
            step(&mut s, not_found(13), two_up),
            ["Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: 13ms, status: 1/2 UP."]
        );
        assert_eq!(s.status().to_string(), "UP 1/2");
        assert_eq!(
            step(&mut s, not_found(8), one_up),
            [
                "Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: 8ms, status: 0/2 DOWN.",
                "Server hoge/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
            ]
        );
        assert_eq!(s.status(), ServerStatus::Down);
        assert!(step(&mut s, not_found(8), one_up).is_empty());
        assert_eq!(
            step(&mut s, ok(8), one_up),
            ["Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 8ms, status: 1/2 DOWN."]
        );
        assert_eq!(s.status().to_string(), "DOWN 1/2");
        assert_eq!(
            step(&mut s, ok(6), two_up),
            [
                "Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 6ms, status: 2/2 UP.",
                "Server hoge/web11 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
            ]
        );
    }

    /// `http-check disable-on-404`, as measured on HAProxy 2.6 (docs/haproxy-semantics.md
    /// §42): NOLB on a 404, still NOLB after a failure, UP on a 200, and the DOWN of a
    /// stopping server is a notice.
    #[test]
    fn a_conditional_pass_makes_the_server_nolb() {
        let mut s = ServerState::new(1, true, 2, 3, false, Instant::now());
        let who = Who {
            proxy_server: "be/a",
            backup: false,
            log_health_checks: false,
        };
        let one = Tally {
            active: 1,
            ..Tally::default()
        };
        let cond = || outcome(CheckKind::L7OkCd, Some(404), None, 0);
        let fail = || outcome(CheckKind::L7Sts, Some(500), Some("X"), 0);
        let run = |s: &mut ServerState, o: CheckOutcome| {
            let t = s.apply_check(o, Instant::now());
            s.check_lines(&who, &t, &one)
        };
        run(&mut s, ok(0));
        assert_eq!(
            run(&mut s, cond()),
            [(Level::Notice, "Server be/a is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.".to_string())]
        );
        assert_eq!(s.status(), ServerStatus::Nolb);
        assert_eq!(s.effective_weight(), 0);
        assert!(s.is_up());
        assert!(run(&mut s, fail()).is_empty());
        assert_eq!(s.status(), ServerStatus::NolbGoingDown { x: 2, y: 3 });
        assert!(run(&mut s, cond()).is_empty(), "still stopping: no line");
        let up = run(&mut s, ok(0));
        assert_eq!(up.len(), 1);
        assert!(up[0]
            .1
            .starts_with("Server be/a is UP, reason: Layer7 check passed"));
        assert_eq!((s.status(), s.effective_weight()), (ServerStatus::Up, 1));
        run(&mut s, cond());
        for _ in 0..2 {
            assert!(run(&mut s, fail()).is_empty());
        }
        let down = run(&mut s, fail());
        assert_eq!(down[0].0, Level::Notice, "{down:?}");
        assert!(down[0].1.starts_with("Server be/a is DOWN"));
        assert!(!s.stopping);
        // A 404 reaches a server that is down only as a failure (the check decides), so
        // it comes back UP, not NOLB.
        run(&mut s, ok(0));
        run(&mut s, ok(0));
        assert_eq!(s.status(), ServerStatus::Up);
    }

    #[test]
    fn one_failure_after_start_takes_it_down() {
        let mut s = ServerState::new(1, true, 2, 3, false, Instant::now());
        let refused = outcome(CheckKind::L4Con, None, Some("Connection refused"), 0);
        let who = Who {
            proxy_server: "hoge/web3",
            backup: false,
            log_health_checks: false,
        };
        let t = s.apply_check(refused, Instant::now());
        let lines = s.check_lines(&who, &t, &Tally::default());
        assert_eq!(lines, vec![(Level::Alert, "Server hoge/web3 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string())]);
        assert_eq!(s.down_transitions, 1);
    }

    #[test]
    fn admin_lines() {
        let now = Instant::now();
        let mut s = ServerState::new(1, true, 2, 3, false, now);
        let who = Who {
            proxy_server: "hoge/web1",
            backup: false,
            log_health_checks: true,
        };
        let one = Tally {
            active: 1,
            ..Tally::default()
        };
        let admin = |s: &mut ServerState, to| {
            let from = s.admin;
            let t = s.apply_admin(to, now);
            s.admin_line(from, &who, &t, &one).unwrap().1
        };
        assert_eq!(admin(&mut s, AdminState::Drain), "Server hoge/web1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
        assert_eq!(s.status(), ServerStatus::DrainGoingDown { x: 1, y: 3 });
        assert_eq!(
            admin(&mut s, AdminState::Ready),
            "Server hoge/web1 is UP (leaving forced drain)."
        );
        assert_eq!(admin(&mut s, AdminState::Maint), "Server hoge/web1 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");
        assert_eq!(s.status(), ServerStatus::Maint);
        assert!(!s.checks_running());
        assert_eq!(
            admin(&mut s, AdminState::Ready),
            "Server hoge/web1 is UP/READY (leaving forced maintenance)."
        );
        assert_eq!(s.status().to_string(), "UP 1/3");
    }
}
