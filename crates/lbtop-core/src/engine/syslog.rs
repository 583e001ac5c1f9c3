//! The `log` directive: one UDP datagram per message, framed as HAProxy frames it (docs/haproxy-semantics.md §4.1).
//! Sending never blocks: a full socket buffer drops the message, as UDP syslog would anyway.

use super::log::syslog_date;
use crate::config::{LogFormat, LogTarget};
use crate::events::Level;
use std::net::UdpSocket;
use std::time::SystemTime;

/// The tag rsyslog rules match on (`:programname, isequal, "haproxy"`): lbtop keeps HAProxy's,
/// so an existing syslog set-up files its lines in the same place.
const TAG: &str = "haproxy";

pub struct Syslog {
    socket: UdpSocket,
    targets: Vec<LogTarget>,
    pid: u32,
    hostname: String,
}

impl Syslog {
    /// `None` when there is nowhere to send to.
    pub fn new(targets: &[LogTarget]) -> Option<Syslog> {
        if targets.is_empty() {
            return None;
        }
        let socket = UdpSocket::bind("0.0.0.0:0")
            .or_else(|_| UdpSocket::bind("[::]:0"))
            .ok()?;
        socket.set_nonblocking(true).ok()?;
        Some(Syslog {
            socket,
            targets: targets.to_vec(),
            pid: std::process::id(),
            hostname: hostname(),
        })
    }

    pub fn send(&self, level: Level, message: &str) {
        let now = SystemTime::now();
        for t in &self.targets {
            let level = level as u8;
            if level > t.max_level {
                continue;
            }
            let datagram = self.frame(t, level.max(t.min_level), message, now);
            let _ = self.socket.send_to(&datagram, t.addr);
        }
    }

    fn frame(&self, t: &LogTarget, level: u8, message: &str, now: SystemTime) -> Vec<u8> {
        let pri = u32::from(t.facility) * 8 + u32::from(level);
        let (pid, host) = (self.pid, &self.hostname);
        let mut text = match t.format {
            LogFormat::Local => format!("<{pri}>{} {TAG}[{pid}]: {message}", syslog_date(now)),
            LogFormat::Rfc3164 => {
                format!("<{pri}>{} {host} {TAG}[{pid}]: {message}", syslog_date(now))
            }
            LogFormat::Rfc5424 => format!(
                "<{pri}>1 {} {host} {TAG} {pid} - - {message}",
                super::log::iso_date(now)
            ),
            LogFormat::Priority => format!("<{pri}>{message}"),
            LogFormat::Short => format!("<{level}>{message}"),
            LogFormat::Timed => format!("<{pri}>{} {message}", syslog_date(now)),
            LogFormat::Iso => format!("<{pri}>{} {message}", super::log::iso_date(now)),
            LogFormat::Raw => message.to_string(),
        };
        // Over `len`, the message is cut and still ends with a newline, as HAProxy does.
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
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn target(format: LogFormat) -> LogTarget {
        LogTarget {
            addr: "127.0.0.1:5514".parse().unwrap(),
            facility: 22,
            max_level: 7,
            min_level: 0,
            len: 1024,
            format,
        }
    }

    #[test]
    fn local_format_is_rfc3164_without_hostname() {
        let s = Syslog::new(&[target(LogFormat::Local)]).unwrap();
        let t = UNIX_EPOCH + Duration::from_secs(1_793_779_200); // 2026-11-04 08:00:00 UTC
        let text =
            String::from_utf8(s.frame(&s.targets[0], 5, "Server hoge/web11 is UP.", t)).unwrap();
        assert_eq!(
            text,
            format!(
                "<181>Nov  4 08:00:00 haproxy[{}]: Server hoge/web11 is UP.\n",
                std::process::id()
            )
        );
    }

    #[test]
    fn long_messages_are_cut_to_len_with_a_newline() {
        let mut t = target(LogFormat::Raw);
        t.len = 10;
        let s = Syslog::new(&[t]).unwrap();
        let text = s.frame(&s.targets[0], 6, "0123456789abcdef", SystemTime::now());
        assert_eq!(text, b"012345678\n");
    }

    #[test]
    fn levels_above_max_are_dropped_and_min_raises() {
        let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
        sink.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut t = target(LogFormat::Priority);
        t.addr = sink.local_addr().unwrap();
        t.max_level = 5; // notice
        t.min_level = 3; // err
        let s = Syslog::new(&[t]).unwrap();
        s.send(Level::Info, "dropped");
        s.send(Level::Emerg, "raised");
        let mut buf = [0u8; 256];
        let n = sink.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"<179>raised\n");
    }
}
