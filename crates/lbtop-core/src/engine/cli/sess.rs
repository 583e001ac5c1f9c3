//! `show sess` and `shutdown session` (docs/haproxy-semantics.md §27.4): the live sessions,
//! in HAProxy 2.6's shape for the fields that mean something in lbtop. HAProxy's stream
//! internals (task state, channel flags, buffer sizes, timers) have no counterpart here and
//! are left out rather than made up.

use super::errors::proxy_ids;
use super::{Cmd, Level};
use crate::engine::live::Session;
use crate::engine::Shared;
use std::fmt::Write;
use std::sync::Arc;

pub(crate) static ROWS: &[Cmd] = &[
    Cmd {
        words: &["show", "sess"],
        help: "show sess [id]                          : report the list of current sessions or dump this exact session",
        level: Level::Operator,
        run: show_sess,
    },
    Cmd {
        words: &["shutdown", "session"],
        help: "shutdown session [id]                   : kill a specific session",
        level: Level::Admin,
        run: shutdown_session,
    },
];

fn show_sess(shared: &Shared, args: &[&str]) -> String {
    let live = &shared.live;
    let mut out = String::new();
    match args.first().copied() {
        Some("all") => {
            for s in live.list() {
                detail(shared, &s, &mut out);
            }
        }
        arg => match arg.map_or(0, strtoul) {
            0 => {
                for s in live.list() {
                    line(shared, &s, &mut out);
                }
            }
            id => match live.find(id) {
                Some(s) => detail(shared, &s, &mut out),
                None => out.push_str("Session not found.\n"),
            },
        },
    }
    out.push('\n');
    out
}

fn shutdown_session(shared: &Shared, args: &[&str]) -> String {
    let answer = match args.first().map_or(0, |a| strtoul(a)) {
        0 => "Session pointer expected (use 'show sess').\n",
        id => match shared.live.find(id) {
            Some(s) => {
                s.kill(b'K');
                ""
            }
            None => "No such session (use 'show sess').\n",
        },
    };
    format!("{answer}\n")
}

/// As C's `strtoul(s, NULL, 0)`: `0x` hex, a leading `0` octal, else decimal, read as far as
/// the digits go; nothing readable is 0.
fn strtoul(s: &str) -> u64 {
    let s = s.trim_start();
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None if s.starts_with('0') => (s, 8),
        None => (s, 10),
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    u64::from_str_radix(&digits[..end], radix).unwrap_or(0)
}

/// What `show sess` names a session by.
struct Names<'a> {
    fe: &'a str,
    be: Option<&'a str>,
    srv: Option<&'a str>,
}

fn names<'a>(shared: &'a Shared, s: &Session) -> Names<'a> {
    let cfg = &shared.config;
    let (backend, server) = s.route();
    let be = backend.and_then(|b| cfg.backends.get(b));
    Names {
        fe: &cfg.frontends[s.frontend].name,
        be: be.map(|b| b.name.as_str()),
        srv: be
            .zip(server)
            .and_then(|(b, i)| b.servers.get(i))
            .map(|v| v.name.as_str()),
    }
}

fn proto(s: &Session) -> &'static str {
    if s.src.is_ipv4() {
        "tcpv4"
    } else {
        "tcpv6"
    }
}

/// `0x...: proto=tcpv4 src=127.0.0.1:5000 fe=web be=app srv=s1 age=3s`; the backend is the
/// frontend itself until one is chosen, as with HAProxy.
fn line(shared: &Shared, s: &Arc<Session>, out: &mut String) {
    let n = names(shared, s);
    let _ = writeln!(
        out,
        "{:#x}: proto={} src={} fe={} be={} srv={} age={}",
        s.id,
        proto(s),
        s.src,
        n.fe,
        n.be.unwrap_or(n.fe),
        n.srv.unwrap_or("<none>"),
        human_time(s.born.1.elapsed().as_secs()),
    );
}

/// `show sess <id>` and `show sess all`: HAProxy's first five lines of a stream's dump.
fn detail(shared: &Shared, s: &Arc<Session>, out: &mut String) {
    let cfg = &shared.config;
    let ids = proxy_ids(cfg);
    let n = names(shared, s);
    let fe = &cfg.frontends[s.frontend];
    let mode = |m: crate::config::Mode| match m {
        crate::config::Mode::Http => "http",
        crate::config::Mode::Tcp => "tcp",
    };
    let micros = crate::engine::log::iso_micros(s.born.0);
    let date = crate::engine::log::log_date(s.born.0);
    let _ = writeln!(
        out,
        "{:#x}: [{date}{}] id={} proto={} source={}",
        s.id,
        &micros[23..26],
        s.id >> 16,
        proto(s),
        s.src
    );
    let bind = fe.binds.get(s.bind);
    let _ = writeln!(
        out,
        "  frontend={} (id={} mode={}), listener={} (id={}) addr={}",
        n.fe,
        ids.of(n.fe),
        mode(fe.mode),
        bind.and_then(|b| b.name.as_deref()).unwrap_or("?"),
        bind.and_then(|b| b.id).unwrap_or(s.bind as u32 + 1),
        s.dst
    );
    let (backend, server) = s.route();
    match backend.and_then(|b| cfg.backends.get(b)) {
        Some(b) => {
            let _ = writeln!(
                out,
                "  backend={} (id={} mode={})",
                b.name,
                ids.of(&b.name),
                mode(b.mode)
            );
        }
        None => out.push_str("  backend=<NONE> (id=-1 mode=-)\n"),
    }
    let srv = backend
        .and_then(|b| cfg.backends.get(b))
        .zip(server)
        .and_then(|(b, i)| b.servers.get(i).map(|v| (i, v)));
    match srv {
        Some((i, v)) => {
            let _ = writeln!(out, "  server={} (id={}) addr={}", v.name, i + 1, v.addr);
        }
        None => out.push_str("  server=<NONE> (id=-1)\n"),
    }
    let _ = writeln!(out, "  age={}", human_time(s.born.1.elapsed().as_secs()));
}

/// HAProxy's short durations: at most two non-zero units, `0s` for nothing (`5s`, `3m12s`,
/// `1h1s`, `4d3h`).
pub(crate) fn human_time(secs: u64) -> String {
    let parts = [
        (secs / 86_400, 'd'),
        (secs % 86_400 / 3_600, 'h'),
        (secs % 3_600 / 60, 'm'),
        (secs % 60, 's'),
    ];
    let mut out = String::new();
    for (n, unit) in parts.into_iter().filter(|(n, _)| *n > 0).take(2) {
        let _ = write!(out, "{n}{unit}");
    }
    if secs == 0 {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoul_reads_as_c_does() {
        assert_eq!(strtoul("0x1f"), 31);
        assert_eq!(strtoul("557a"), 557);
        assert_eq!(strtoul("zz"), 0);
        assert_eq!(strtoul("010"), 8);
        assert_eq!(strtoul("0xzz"), 0);
    }

    #[test]
    fn human_time_as_haproxy() {
        assert_eq!(human_time(0), "0s");
        assert_eq!(human_time(59), "59s");
        assert_eq!(human_time(61), "1m1s");
        assert_eq!(human_time(3_600 * 2 + 300), "2h5m");
        assert_eq!(human_time(3_601), "1h1s");
        assert_eq!(human_time(86_400 + 300), "1d5m");
    }
}
