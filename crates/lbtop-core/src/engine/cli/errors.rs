//! `show errors [<proxy>] [request|response]` (docs/haproxy-semantics.md §27.4): the last
//! invalid request of each frontend and the last invalid response of each backend, with the
//! bytes as HAProxy 2.6 dumps them. HAProxy's lines about its HTTP/1 multiplexer's flags and
//! parser state have no counterpart in lbtop and are left out.

use super::{Cmd, Level};
use crate::config::Config;
use crate::engine::captures::{Capture, BUFSIZE};
use crate::engine::log::log_date;
use crate::engine::stats;
use crate::engine::Shared;
use std::fmt::Write;
use std::time::SystemTime;

pub(crate) static ROWS: &[Cmd] = &[Cmd {
    words: &["show", "errors"],
    help: "show errors [<px>] [request|response]   : report last request and/or response errors for each proxy",
    level: Level::Operator,
    run: show_errors,
}];

/// HAProxy's `wraps at`: its buffer less the room it keeps for rewriting headers.
const WRAPS_AT: usize = 16336;

/// HAProxy's proxy ids (`#iid`), by name.
pub(crate) struct ProxyIds(Vec<stats::Proxy>);

/// Every proxy with HAProxy's id, as the stats page numbers them (from 2 with a `stats
/// socket`, whose own proxy takes 1: measured).
pub(crate) fn proxy_ids(cfg: &Config) -> ProxyIds {
    ProxyIds(stats::proxies(cfg))
}

impl ProxyIds {
    pub fn of(&self, name: &str) -> usize {
        self.0.iter().find(|p| p.name == name).map_or(0, |p| p.iid)
    }
}

fn show_errors(shared: &Shared, args: &[&str]) -> String {
    let cfg = &shared.config;
    let ids = proxy_ids(cfg);
    let chosen: Vec<&stats::Proxy> = match args.first().copied() {
        None | Some("-1") => ids.0.iter().collect(),
        Some(px) => {
            let by_id = px.strip_prefix('#').unwrap_or(px).parse::<usize>().ok();
            let named = ids.0.iter().find(|p| p.name == px);
            match named.or_else(|| ids.0.iter().find(|p| Some(p.iid) == by_id)) {
                Some(p) => vec![p],
                None => return "No such proxy.\n\n".to_string(),
            }
        }
    };
    let (requests, responses) = match args.get(1).copied() {
        Some("request") => (true, false),
        Some("response") => (false, true),
        _ => (true, true),
    };
    let captures = &shared.live.captures;
    let mut out = format!(
        "Total events captured on [{}] : {}\n",
        log_date(SystemTime::now()),
        captures.total()
    );
    for p in chosen {
        let request = p.frontend.filter(|_| requests);
        if let Some(c) = request.and_then(|f| captures.last_request(f)) {
            block(shared, &ids, &c, true, &mut out);
        }
        let response = p.backend.filter(|_| responses);
        if let Some(c) = response.and_then(|b| captures.last_response(b)) {
            block(shared, &ids, &c, false, &mut out);
        }
    }
    out.push('\n');
    out
}

/// One captured message: where it came from, then its bytes.
fn block(shared: &Shared, ids: &ProxyIds, c: &Capture, request: bool, out: &mut String) {
    let cfg = &shared.config;
    let fe = &cfg.frontends[c.frontend].name;
    let be = c.backend.and_then(|b| cfg.backends.get(b));
    let server = be.zip(c.server).and_then(|(b, s)| b.servers.get(s));
    let srv = match (server, c.server) {
        (Some(s), Some(i)) => format!("{} (#{})", s.name, i + 1),
        _ => "<NONE> (#-1)".to_string(),
    };
    let date = log_date(c.when);
    if request {
        let be = be.map_or("<NONE> (#-1)".to_string(), |b| {
            format!("{} (#{})", b.name, ids.of(&b.name))
        });
        let _ = writeln!(
            out,
            " \n[{date}] frontend {fe} (#{}): invalid request",
            ids.of(fe)
        );
        let _ = writeln!(
            out,
            "  backend {be}, server {srv}, event #{}, src {}",
            c.event, c.src
        );
    } else {
        let be = be.map_or("<NONE>", |b| b.name.as_str());
        let _ = writeln!(
            out,
            " \n[{date}] backend {be} (#{}): invalid response",
            ids.of(be)
        );
        let _ = writeln!(
            out,
            "  frontend {fe} (#{}), server {srv}, event #{}, src {}",
            ids.of(fe),
            c.event,
            c.src
        );
    }
    let len = c.bytes.len();
    let _ = writeln!(
        out,
        "  buffer starts at 0 (including 0 out), {} free,",
        BUFSIZE - len
    );
    let _ = writeln!(
        out,
        "  len {len}, wraps at {WRAPS_AT}, error at position {}",
        c.error_at
    );
    out.push_str("  \n");
    dump(&c.bytes, out);
}

/// HAProxy's dump: a line per line of the message, each prefixed with its offset (`+` when
/// a long line goes on), at most 70 columns of text, with `\r`, `\n`, `\t`, `\e`, `\\` and
/// `\xHH` for what is not printable.
fn dump(bytes: &[u8], out: &mut String) {
    let mut at = 0;
    let mut line_start = 0;
    while at < bytes.len() {
        let mark = if at == line_start { ' ' } else { '+' };
        let _ = write!(out, "  {at:05}{mark} ");
        let mut used = 9;
        while at < bytes.len() {
            let b = bytes[at];
            let text = escaped(b);
            if used + text.len() > 79 {
                break;
            }
            used += text.len();
            out.push_str(&text);
            at += 1;
            if b == b'\n' {
                line_start = at;
                break;
            }
        }
        out.push('\n');
    }
}

fn escaped(b: u8) -> String {
    match b {
        b'\t' => "\\t".into(),
        b'\n' => "\\n".into(),
        b'\r' => "\\r".into(),
        0x1b => "\\e".into(),
        b'\\' => "\\\\".into(),
        0x20..=0x7e => (b as char).to_string(),
        _ => format!("\\x{b:02X}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As HAProxy 2.6 dumped these bytes (measured, §27.4).
    #[test]
    fn dump_as_haproxy() {
        let mut req = b"GET /".to_vec();
        req.extend(b"abcdefghij".repeat(9));
        req.extend(b" HTTP/1.1\r\nX-T: a\tb\"c\\d\xe9e{}~\x7f\r\n\r\nok");
        let mut out = String::new();
        dump(&req, &mut out);
        let want =
            "  00000  GET /abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde\n\
                    \x20 00070+ fghijabcdefghijabcdefghij HTTP/1.1\\r\\n\n\
                    \x20 00106  X-T: a\\tb\"c\\\\d\\xE9e{}~\\x7F\\r\\n\n\
                    \x20 00126  \\r\\n\n\
                    \x20 00128  ok\n";
        assert_eq!(out, want);
    }
}
