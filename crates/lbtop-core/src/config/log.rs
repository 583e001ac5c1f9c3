//! `log` targets: where a message goes, at which levels, and how it is framed.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where a `log` line sends its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogAddr {
    /// Syslog over UDP (`127.0.0.1`, `udp@host:port`, `ipv6@...`); the port defaults to 514.
    Udp(SocketAddr),
    /// A UNIX datagram socket (`/dev/log`, `unix@/path`), as syslog daemons listen on.
    Unix(PathBuf),
    /// A file descriptor lbtop inherited: `stdout` is 1, `stderr` 2, `fd@N` any.
    Fd(i32),
}

impl fmt::Display for LogAddr {
    /// As a `log` line writes it, so that it reads back the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogAddr::Udp(a) => write!(f, "{a}"),
            LogAddr::Unix(p) if p.is_absolute() => write!(f, "{}", p.display()),
            LogAddr::Unix(p) => write!(f, "unix@{}", p.display()),
            LogAddr::Fd(1) => f.write_str("stdout"),
            LogAddr::Fd(2) => f.write_str("stderr"),
            LogAddr::Fd(n) => write!(f, "fd@{n}"),
        }
    }
}

/// One log destination:
/// `log <target> [len <N>] [format <F>] <facility> [<max level> [<min level>]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub addr: LogAddr,
    /// 0..=23, see [`LogTarget::FACILITIES`] (`local6` is 22).
    pub facility: u8,
    /// Messages less severe than this are dropped: 0 (emerg) ..= 7 (debug, the default).
    pub max_level: u8,
    /// Messages more severe than this are sent at this level; 0 (emerg) by default.
    pub min_level: u8,
    /// Longest message, its newline included, 80..=65535; 1024 by default.
    pub len: usize,
    /// `None`: no `format` word, HAProxy's default (RFC3164, which names the host only
    /// under `log-send-hostname`); docs/haproxy-semantics.md §4.1.
    pub format: Option<LogFormat>,
}

impl LogTarget {
    pub const DEFAULT_PORT: u16 = 514;
    pub const DEFAULT_LEN: usize = 1024;
    /// Syslog facility names, by number (docs/haproxy-semantics.md §4.1).
    pub const FACILITIES: [&'static str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
        "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
        "local5", "local6", "local7",
    ];
    /// Syslog level names, by number.
    pub const LEVELS: [&'static str; 8] = [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ];

    /// A target with HAProxy's defaults: every level, 1024 bytes, the default format.
    pub fn new(addr: LogAddr, facility: u8) -> LogTarget {
        LogTarget {
            addr,
            facility,
            max_level: 7,
            min_level: 0,
            len: LogTarget::DEFAULT_LEN,
            format: None,
        }
    }

    pub fn facility_from_name(name: &str) -> Option<u8> {
        LogTarget::FACILITIES
            .iter()
            .position(|f| *f == name)
            .map(|i| i as u8)
    }

    pub fn level_from_name(name: &str) -> Option<u8> {
        LogTarget::LEVELS
            .iter()
            .position(|l| *l == name)
            .map(|i| i as u8)
    }

    pub fn facility_name(&self) -> &'static str {
        LogTarget::FACILITIES
            .get(usize::from(self.facility))
            .copied()
            .unwrap_or("?")
    }

    pub fn level_name(level: u8) -> &'static str {
        LogTarget::LEVELS
            .get(usize::from(level))
            .copied()
            .unwrap_or("?")
    }
}

/// `log ... format <F>`: how each message is framed (docs/haproxy-semantics.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// RFC3164 without the hostname: `<PRI>Mmm dd HH:MM:SS haproxy[PID]: MESSAGE`.
    Local,
    Rfc3164,
    Rfc5424,
    Priority,
    Short,
    Timed,
    Iso,
    Raw,
}

impl LogFormat {
    pub const ALL: [LogFormat; 8] = [
        LogFormat::Local,
        LogFormat::Rfc3164,
        LogFormat::Rfc5424,
        LogFormat::Priority,
        LogFormat::Short,
        LogFormat::Timed,
        LogFormat::Iso,
        LogFormat::Raw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Local => "local",
            LogFormat::Rfc3164 => "rfc3164",
            LogFormat::Rfc5424 => "rfc5424",
            LogFormat::Priority => "priority",
            LogFormat::Short => "short",
            LogFormat::Timed => "timed",
            LogFormat::Iso => "iso",
            LogFormat::Raw => "raw",
        }
    }

    pub fn from_name(name: &str) -> Option<LogFormat> {
        LogFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl std::str::FromStr for LogAddr {
    type Err = String;

    /// As a `log` line reads it: `stdout`, `fd@3`, `/dev/log`, `127.0.0.1:514`.
    fn from_str(s: &str) -> Result<LogAddr, String> {
        super::values::log_addr(s)
    }
}
