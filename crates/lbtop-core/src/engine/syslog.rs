//! How one log message is framed for one `log` target, byte for byte as HAProxy 2.6 frames it
//! (docs/haproxy-semantics.md §4.1). The same framing goes to UDP, to a UNIX socket and to
//! stdout: only the way out differs (`log_out.rs`).

use super::log::{iso_micros, syslog_date};
use crate::config::{LogFormat, LogTarget};
use std::time::SystemTime;

/// What the syslog headers say about the sender.
#[derive(Debug, Clone)]
pub struct Header {
    /// `log-tag`, or `haproxy`: kept so rsyslog rules written for HAProxy
    /// (`:programname, isequal, "haproxy"`) file lbtop's lines in the same place.
    pub tag: String,
    /// `log-send-hostname`; `None` writes HAProxy's placeholders.
    pub hostname: Option<String>,
    pub pid: u32,
}

impl Header {
    pub const DEFAULT_TAG: &'static str = "haproxy";
}

/// The bytes for one message at `level`, already raised to the target's minimum level.
/// Over `len`, the text is cut and still ends with a newline, as HAProxy does.
pub fn frame(t: &LogTarget, h: &Header, level: u8, message: &str, now: SystemTime) -> Vec<u8> {
    let pri = u32::from(t.facility) * 8 + u32::from(level);
    let (tag, pid) = (&h.tag, h.pid);
    let mut text = match t.format {
        LogFormat::Local => format!("<{pri}>{} {tag}[{pid}]: {message}", syslog_date(now)),
        LogFormat::Rfc3164 => {
            // Measured: without log-send-hostname HAProxy 2.6 writes `localhost` here.
            let host = h.hostname.as_deref().unwrap_or("localhost");
            format!("<{pri}>{} {host} {tag}[{pid}]: {message}", syslog_date(now))
        }
        LogFormat::Rfc5424 => {
            let host = h.hostname.as_deref().unwrap_or("-");
            format!(
                "<{pri}>1 {} {host} {tag} {pid} - - {message}",
                iso_micros(now)
            )
        }
        LogFormat::Priority => format!("<{pri}>{message}"),
        // `short` and `timed` carry the level alone, without the facility.
        LogFormat::Short => format!("<{level}>{message}"),
        LogFormat::Timed => format!("<{level}>{} {message}", iso_micros(now)),
        LogFormat::Iso => format!("{} {message}", iso_micros(now)),
        LogFormat::Raw => message.to_string(),
    };
    let max = t.len.max(2) - 1;
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text.push('\n');
    text.into_bytes()
}

/// The machine's host name, for a bare `log-send-hostname`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LogAddr;
    use std::time::{Duration, UNIX_EPOCH};

    fn target(format: LogFormat) -> LogTarget {
        let mut t = LogTarget::new(LogAddr::Fd(1), 16);
        t.format = format;
        t
    }

    fn header(hostname: Option<&str>) -> Header {
        Header {
            tag: "haproxy".into(),
            hostname: hostname.map(str::to_string),
            pid: 42,
        }
    }

    /// 2026-11-04 08:00:00.123456 UTC
    fn when() -> SystemTime {
        UNIX_EPOCH + Duration::from_micros(1_793_779_200_123_456)
    }

    fn framed(format: LogFormat, hostname: Option<&str>) -> String {
        let bytes = frame(&target(format), &header(hostname), 6, "m", when());
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn every_format_as_haproxy_writes_it() {
        let rows = [
            (
                LogFormat::Local,
                None,
                "<134>Nov  4 08:00:00 haproxy[42]: m\n",
            ),
            (
                LogFormat::Local,
                Some("h"),
                "<134>Nov  4 08:00:00 haproxy[42]: m\n",
            ),
            (
                LogFormat::Rfc3164,
                None,
                "<134>Nov  4 08:00:00 localhost haproxy[42]: m\n",
            ),
            (
                LogFormat::Rfc3164,
                Some("h"),
                "<134>Nov  4 08:00:00 h haproxy[42]: m\n",
            ),
            (
                LogFormat::Rfc5424,
                None,
                "<134>1 2026-11-04T08:00:00.123456+00:00 - haproxy 42 - - m\n",
            ),
            (
                LogFormat::Rfc5424,
                Some("h"),
                "<134>1 2026-11-04T08:00:00.123456+00:00 h haproxy 42 - - m\n",
            ),
            (LogFormat::Priority, None, "<134>m\n"),
            (LogFormat::Short, None, "<6>m\n"),
            (
                LogFormat::Timed,
                None,
                "<6>2026-11-04T08:00:00.123456+00:00 m\n",
            ),
            (LogFormat::Iso, None, "2026-11-04T08:00:00.123456+00:00 m\n"),
            (LogFormat::Raw, None, "m\n"),
        ];
        for (format, host, expected) in rows {
            assert_eq!(framed(format, host), expected, "{format:?} {host:?}");
        }
    }

    #[test]
    fn long_messages_are_cut_to_len_with_a_newline() {
        let mut t = target(LogFormat::Raw);
        t.len = 10;
        let text = frame(&t, &header(None), 6, "0123456789abcdef", when());
        assert_eq!(text, b"012345678\n");
    }
}
