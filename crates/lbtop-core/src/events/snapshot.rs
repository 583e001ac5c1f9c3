//! A point-in-time copy of the engine's counters and states, read by the dashboard at its tick.

use super::Latency;
use crate::config::{Balance, Mode};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A server's status exactly as HAProxy's stats page writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerStatus {
    Up,
    /// `UP x/y`: up, but failing checks.
    GoingDown {
        x: u32,
        y: u32,
    },
    Down,
    /// `DOWN x/y`: down, but passing checks.
    GoingUp {
        x: u32,
        y: u32,
    },
    Drain,
    /// `DRAIN x/y`.
    DrainGoingDown {
        x: u32,
        y: u32,
    },
    /// `NOLB`: up, but its HTTP check answers 404 under `http-check disable-on-404`; it
    /// keeps its persistent clients and takes no new ones.
    Nolb,
    /// `NOLB x/y`: stopping, and failing checks.
    NolbGoingDown {
        x: u32,
        y: u32,
    },
    Maint,
    NoCheck,
}

impl ServerStatus {
    /// Whether the server is operationally up (it may still take no traffic, as when draining).
    pub fn is_up(self) -> bool {
        matches!(
            self,
            ServerStatus::Up
                | ServerStatus::GoingDown { .. }
                | ServerStatus::Drain
                | ServerStatus::DrainGoingDown { .. }
                | ServerStatus::Nolb
                | ServerStatus::NolbGoingDown { .. }
                | ServerStatus::NoCheck
        )
    }
}

impl fmt::Display for ServerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerStatus::Up => f.write_str("UP"),
            ServerStatus::GoingDown { x, y } => write!(f, "UP {x}/{y}"),
            ServerStatus::Down => f.write_str("DOWN"),
            ServerStatus::GoingUp { x, y } => write!(f, "DOWN {x}/{y}"),
            ServerStatus::Drain => f.write_str("DRAIN"),
            ServerStatus::DrainGoingDown { x, y } => write!(f, "DRAIN {x}/{y}"),
            ServerStatus::Nolb => f.write_str("NOLB"),
            ServerStatus::NolbGoingDown { x, y } => write!(f, "NOLB {x}/{y}"),
            ServerStatus::Maint => f.write_str("MAINT"),
            ServerStatus::NoCheck => f.write_str("no check"),
        }
    }
}

/// HAProxy's check status codes (the short names of `show stat`'s check_status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    /// Not checked yet.
    Ini,
    L4Ok,
    L4Tout,
    L4Con,
    /// A TLS check (`check-ssl`) whose handshake passed, failed or timed out.
    L6Ok,
    L6Tout,
    L6Rsp,
    L7Ok,
    /// `http-check disable-on-404`: a 404 from a server that is up passes, conditionally
    /// (the server goes NOLB).
    L7OkCd,
    L7Tout,
    L7Rsp,
    L7Sts,
    SockErr,
}

impl CheckKind {
    pub fn short(self) -> &'static str {
        match self {
            CheckKind::Ini => "INI",
            CheckKind::L4Ok => "L4OK",
            CheckKind::L4Tout => "L4TOUT",
            CheckKind::L4Con => "L4CON",
            CheckKind::L6Ok => "L6OK",
            CheckKind::L6Tout => "L6TOUT",
            CheckKind::L6Rsp => "L6RSP",
            CheckKind::L7Ok => "L7OK",
            CheckKind::L7OkCd => "L7OKC",
            CheckKind::L7Tout => "L7TOUT",
            CheckKind::L7Rsp => "L7RSP",
            CheckKind::L7Sts => "L7STS",
            CheckKind::SockErr => "SOCKERR",
        }
    }

    /// The text HAProxy logs after `reason: `.
    pub fn text(self) -> &'static str {
        match self {
            CheckKind::Ini => "Initializing",
            CheckKind::L4Ok => "Layer4 check passed",
            CheckKind::L4Tout => "Layer4 timeout",
            CheckKind::L4Con => "Layer4 connection problem",
            CheckKind::L6Ok => "Layer6 check passed",
            CheckKind::L6Tout => "Layer6 timeout",
            CheckKind::L6Rsp => "Layer6 invalid response",
            CheckKind::L7Ok => "Layer7 check passed",
            CheckKind::L7OkCd => "Layer7 check conditionally passed",
            CheckKind::L7Tout => "Layer7 timeout",
            CheckKind::L7Rsp => "Layer7 invalid response",
            CheckKind::L7Sts => "Layer7 wrong status",
            CheckKind::SockErr => "Socket error",
        }
    }

    pub fn passed(self) -> bool {
        matches!(
            self,
            CheckKind::L4Ok | CheckKind::L6Ok | CheckKind::L7Ok | CheckKind::L7OkCd
        )
    }

    /// Checks whose log line carries `code: N`.
    pub fn has_code(self) -> bool {
        matches!(self, CheckKind::L7Ok | CheckKind::L7OkCd | CheckKind::L7Sts)
    }
}

/// At most this many bytes of a check's reply are kept, per server (the detail pane shows them).
pub const CHECK_HEAD: usize = 128;

/// The last check's result, as the dashboard shows it (`L7OK 200 in 3ms`, `L4CON`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSnap {
    pub kind: CheckKind,
    pub code: Option<u16>,
    pub duration: Duration,
    /// What HAProxy's log line quotes after `info:` (`Not Found`, `Connection refused`).
    pub info: Option<String>,
    /// The reply's first bytes (at most [`CHECK_HEAD`]), when the check read any.
    pub head: Option<Arc<[u8]>>,
}

impl CheckSnap {
    /// A result with no `info` and no reply bytes.
    pub fn new(kind: CheckKind, code: Option<u16>, duration: Duration) -> CheckSnap {
        CheckSnap {
            kind,
            code,
            duration,
            info: None,
            head: None,
        }
    }

    /// The reply's first line (an HTTP status line), printable.
    pub fn status_line(&self) -> Option<String> {
        let head = self.head.as_deref()?;
        let end = head.iter().position(|&b| b == b'\r' || b == b'\n');
        Some(printable(&head[..end.unwrap_or(head.len())]))
    }
}

/// Bytes as text a terminal shows safely: printable ASCII as is, `\r`, `\n`, `\t` and every
/// other byte escaped (`\x1b`), a backslash doubled.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

impl fmt::Display for CheckSnap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.short())?;
        if let Some(code) = self.code {
            write!(f, " {code}")?;
        }
        if self.kind.passed() {
            write!(f, " in {}ms", self.duration.as_millis())?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerSnap {
    pub name: String,
    pub addr: SocketAddr,
    pub status: ServerStatus,
    /// What an operator set (`set server … state`): a DOWN server can be in drain too, which
    /// its status word does not say.
    pub admin: super::AdminState,
    /// `None` when the server has no checks (or they are paused by MAINT).
    pub last_check: Option<CheckSnap>,
    /// Time since the last status change.
    pub since_change: Duration,
    /// Effective user weight (0 when set so at runtime).
    pub weight: u32,
    pub backup: bool,
    pub cur_sessions: u64,
    pub max_sessions: u64,
    pub limit_sessions: Option<u32>,
    pub total_sessions: u64,
    /// Times the balancer picked this server.
    pub lbtot: u64,
    pub queue: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Responses by class: 1xx, 2xx, 3xx, 4xx, 5xx, other.
    pub http_responses: [u64; 6],
    pub connect_errors: u64,
    pub response_errors: u64,
    pub retries: u64,
    pub redispatches: u64,
    /// Its responses an `http-response deny` refused (HAProxy's `dresp`).
    pub denied_resp: u64,
    pub failed_checks: u64,
    /// UP->DOWN transitions.
    pub down_transitions: u64,
    pub downtime: Duration,
    /// Total time of each HTTP request (HAProxy's Ta), or of each TCP connection.
    pub latency: Latency,
    /// While the server warms up after `slowstart`: its weight now and its share in percent.
    pub ramp: Option<Ramp>,
}

/// A server's weight part-way through its `slowstart` ramp, as HAProxy's stats show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ramp {
    /// The `weight` column: the effective weight now, in user units, rounded up.
    pub weight: u32,
    /// The `throttle` column: the percentage of its weight the server gets.
    pub throttle: u32,
    /// The effective weight in sixteenths of a user weight, which the backend's row sums.
    pub eweight: u32,
}

impl ServerSnap {
    /// An `UP` server that has seen no traffic yet: the starting point for fixtures and tests.
    pub fn idle(name: &str, addr: SocketAddr) -> ServerSnap {
        ServerSnap {
            name: name.into(),
            addr,
            status: ServerStatus::Up,
            admin: super::AdminState::Ready,
            last_check: None,
            since_change: Duration::ZERO,
            weight: 1,
            backup: false,
            cur_sessions: 0,
            max_sessions: 0,
            limit_sessions: None,
            total_sessions: 0,
            lbtot: 0,
            queue: 0,
            bytes_in: 0,
            bytes_out: 0,
            http_responses: [0; 6],
            connect_errors: 0,
            response_errors: 0,
            retries: 0,
            redispatches: 0,
            denied_resp: 0,
            failed_checks: 0,
            down_transitions: 0,
            downtime: Duration::ZERO,
            ramp: None,
            latency: Latency::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackendSnap {
    pub name: String,
    pub mode: Mode,
    pub balance: Balance,
    pub servers: Vec<ServerSnap>,
    pub total_sessions: u64,
    pub cur_sessions: u64,
    pub queue: u64,
    /// Requests its own rules denied (HAProxy's `dreq`).
    pub denied_req: u64,
    /// Responses its `http-response deny` refused (HAProxy's `dresp`).
    pub denied_resp: u64,
    /// Responses by class as the backend counts them: its servers' and its own error pages
    /// when no server could be had.
    pub http_responses: [u64; 6],
    /// Time since the backend last lost or regained its last usable server (or started).
    pub since_change: Duration,
    /// Times it lost its last usable server, and how long it had none in all.
    pub down_transitions: u64,
    pub downtime: Duration,
    /// The servers' latencies merged.
    pub latency: Latency,
}

impl BackendSnap {
    /// Servers that are operationally up, as in `hoge 1/2 UP`.
    pub fn up_count(&self) -> usize {
        self.servers.iter().filter(|s| s.status.is_up()).count()
    }

    /// `1/2 UP`.
    pub fn up_label(&self) -> String {
        format!("{}/{} UP", self.up_count(), self.servers.len())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrontendSnap {
    pub name: String,
    pub mode: Mode,
    /// Where it listens, one address per bind (at least one, except under `lbtop attach`
    /// without `--config`, where HAProxy's stats do not say).
    pub binds: Vec<SocketAddr>,
    pub backend: usize,
    pub cur_conns: u64,
    pub max_conns: u64,
    pub limit_conns: u32,
    pub total_conns: u64,
    pub total_requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Responses by class, its own answers (error and stats pages) included.
    pub http_responses: [u64; 6],
    /// Requests the proxy answered itself with its stats page (HAProxy's `intercepted`).
    pub intercepted: u64,
    /// Request heads refused or never completed (HAProxy's `ereq`).
    pub req_errors: u64,
    /// Requests refused by `http-request deny` or `tarpit`, its own or its backends'
    /// (HAProxy's `dreq`).
    pub denied_req: u64,
    /// Responses refused by `http-response deny` (HAProxy's `dresp`).
    pub denied_resp: u64,
    /// Connections refused by `tcp-request connection reject` (HAProxy's `dcon`).
    pub denied_conn: u64,
}

impl FrontendSnap {
    /// Its first listening address.
    pub fn bind(&self) -> SocketAddr {
        self.binds
            .first()
            .copied()
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// `127.0.0.1:80`, or `127.0.0.1:80 +2` for a frontend with three binds; `-` when the
    /// binds are not known (`lbtop attach` without `--config`).
    pub fn bind_label(&self) -> String {
        match self.binds.len() {
            0 => "-".to_string(),
            1 => self.bind().to_string(),
            n => format!("{} +{}", self.bind(), n - 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub uptime: Duration,
    pub frontends: Vec<FrontendSnap>,
    pub backends: Vec<BackendSnap>,
    /// Current connections across the process, and the process limit.
    pub cur_conns: u64,
    pub maxconn: u32,
    /// Session records dropped because the watcher lagged.
    pub sessions_dropped: u64,
    /// Log messages dropped because their way out was full (`log stdout` into a pipe nobody
    /// reads, a syslog socket that lags).
    pub logs_dropped: u64,
}

#[cfg(test)]
mod printable_tests {
    use super::*;

    #[test]
    fn control_bytes_are_escaped_and_the_status_line_is_the_first_line() {
        assert_eq!(printable(b"a\x1b[2J\\\r\n\xff"), "a\\x1b[2J\\\\\\r\\n\\xff");
        let mut c = CheckSnap::new(CheckKind::L7Sts, Some(404), Duration::ZERO);
        assert_eq!(c.status_line(), None);
        c.head = Some(Arc::from(&b"HTTP/1.1 404 Not Found\r\nserver: x\r\n"[..]));
        assert_eq!(c.status_line().as_deref(), Some("HTTP/1.1 404 Not Found"));
    }
}

#[cfg(test)]
mod bind_label_tests {
    use super::*;

    #[test]
    fn the_first_bind_and_how_many_more() {
        let mut fe = FrontendSnap {
            name: "fe".into(),
            mode: Mode::Http,
            binds: vec!["127.0.0.1:80".parse().unwrap()],
            backend: 0,
            cur_conns: 0,
            max_conns: 0,
            limit_conns: 1,
            total_conns: 0,
            total_requests: 0,
            bytes_in: 0,
            bytes_out: 0,
            http_responses: [0; 6],
            intercepted: 0,
            req_errors: 0,
            denied_req: 0,
            denied_resp: 0,
            denied_conn: 0,
        };
        assert_eq!(fe.bind_label(), "127.0.0.1:80");
        fe.binds.push("[::1]:80".parse().unwrap());
        fe.binds.push("127.0.0.1:81".parse().unwrap());
        assert_eq!(fe.bind_label(), "127.0.0.1:80 +2");
    }
}
