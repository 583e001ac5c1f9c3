//! How one log message is framed for one `log` target, byte for byte as HAProxy 2.6 frames it
//! (docs/haproxy-semantics.md §4.1). The same framing goes to UDP, to a UNIX socket and to
//! stdout: only the way out differs (`log_out.rs`).

use super::log::{iso_micros, syslog_date};
use crate::config::{LogAddr, LogFormat, LogTarget};
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
///
/// Over `len`, the text is cut and ends with a newline, as HAProxy 2.6 does (measured): a
/// socket gets `len` bytes of text and the newline, a file descriptor `len` bytes in all.
pub fn frame(t: &LogTarget, h: &Header, level: u8, message: &str, now: SystemTime) -> Vec<u8> {
    let mut text = header(t, h, level, now);
    text.push_str(message);
    let keep = match t.addr {
        LogAddr::Fd(_) => t.len.max(1) - 1,
        LogAddr::Udp(_) | LogAddr::Unix(_) => t.len,
    };
    if text.len() > keep {
        let mut cut = keep;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text.push('\n');
    text.into_bytes()
}

/// What goes before the message in each format.
fn header(t: &LogTarget, h: &Header, level: u8, now: SystemTime) -> String {
    let pri = u32::from(t.facility) * 8 + u32::from(level);
    let (tag, pid) = (&h.tag, h.pid);
    let host = h.hostname.as_deref();
    match t.format {
        // No `format` word: RFC3164, naming the host only under log-send-hostname.
        None => match host {
            Some(host) => format!("<{pri}>{} {host} {tag}[{pid}]: ", syslog_date(now)),
            None => format!("<{pri}>{} {tag}[{pid}]: ", syslog_date(now)),
        },
        Some(LogFormat::Local) => format!("<{pri}>{} {tag}[{pid}]: ", syslog_date(now)),
        // An explicit `format rfc3164` always names a host (measured: `localhost` by default).
        Some(LogFormat::Rfc3164) => {
            let host = host.unwrap_or("localhost");
            format!("<{pri}>{} {host} {tag}[{pid}]: ", syslog_date(now))
        }
        Some(LogFormat::Rfc5424) => format!(
            "<{pri}>1 {} {} {tag} {pid} - - ",
            iso_micros(now),
            host.unwrap_or("-")
        ),
        Some(LogFormat::Priority) => format!("<{pri}>"),
        // `short` and `timed` carry the level alone, without the facility.
        Some(LogFormat::Short) => format!("<{level}>"),
        Some(LogFormat::Timed) => format!("<{level}>{} ", iso_micros(now)),
        Some(LogFormat::Iso) => format!("{} ", iso_micros(now)),
        Some(LogFormat::Raw) => String::new(),
    }
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
    use std::time::{Duration, UNIX_EPOCH};

    fn target(format: Option<LogFormat>) -> LogTarget {
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

    fn framed(format: Option<LogFormat>, hostname: Option<&str>) -> String {
        let bytes = frame(&target(format), &header(hostname), 6, "m", when());
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn every_format_as_haproxy_writes_it() {
        let rows = [
            (None, None, "<134>Nov  4 08:00:00 haproxy[42]: m\n"),
            (None, Some("h"), "<134>Nov  4 08:00:00 h haproxy[42]: m\n"),
            (
                Some(LogFormat::Local),
                None,
                "<134>Nov  4 08:00:00 haproxy[42]: m\n",
            ),
            (
                Some(LogFormat::Local),
                Some("h"),
                "<134>Nov  4 08:00:00 haproxy[42]: m\n",
            ),
            (
                Some(LogFormat::Rfc3164),
                None,
                "<134>Nov  4 08:00:00 localhost haproxy[42]: m\n",
            ),
            (
                Some(LogFormat::Rfc3164),
                Some("h"),
                "<134>Nov  4 08:00:00 h haproxy[42]: m\n",
            ),
            (
                Some(LogFormat::Rfc5424),
                None,
                "<134>1 2026-11-04T08:00:00.123456+00:00 - haproxy 42 - - m\n",
            ),
            (
                Some(LogFormat::Rfc5424),
                Some("h"),
                "<134>1 2026-11-04T08:00:00.123456+00:00 h haproxy 42 - - m\n",
            ),
            (Some(LogFormat::Priority), None, "<134>m\n"),
            (Some(LogFormat::Short), None, "<6>m\n"),
            (
                Some(LogFormat::Timed),
                None,
                "<6>2026-11-04T08:00:00.123456+00:00 m\n",
            ),
            (
                Some(LogFormat::Iso),
                None,
                "2026-11-04T08:00:00.123456+00:00 m\n",
            ),
            (Some(LogFormat::Raw), None, "m\n"),
        ];
        for (format, host, expected) in rows {
            assert_eq!(framed(format, host), expected, "{format:?} {host:?}");
        }
    }

    #[test]
    fn long_messages_are_cut_to_len_with_a_newline() {
        let mut t = target(Some(LogFormat::Raw));
        t.len = 10;
        let text = frame(&t, &header(None), 6, "0123456789abcdef", when());
        assert_eq!(text, b"012345678\n", "a descriptor: len bytes in all");
        t.addr = LogAddr::Unix("/dev/log".into());
        let text = frame(&t, &header(None), 6, "0123456789abcdef", when());
        assert_eq!(
            text, b"0123456789\n",
            "a socket: len bytes, then the newline"
        );
    }
}
