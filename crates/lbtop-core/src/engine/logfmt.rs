//! Writes a session's line from a compiled `log-format` (docs/haproxy-semantics.md §25): each
//! variable as HAProxy 2.6 writes it, with its `+Q`, `+X` and `+E` flags.

use super::log::{log_date, Names};
use crate::config::acl::Smp;
use crate::config::{Capture, Flags, Item, LineFormat, LogSample, Mode, Var};
use crate::events::SessionRecord;
use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

/// The line for `r` under `lf`. A separator is written only after something was, so runs of
/// spaces are one and a variable with nothing to show (`%hr` without captures) leaves none.
pub fn render(lf: &LineFormat, n: &Names<'_>, r: &SessionRecord) -> String {
    let mut out = String::with_capacity(128 + lf.source.len());
    let mut after_space = true;
    for item in &lf.items {
        match item {
            Item::Space if !after_space => {
                out.push(' ');
                after_space = true;
            }
            Item::Space => {}
            Item::Text(t) => {
                out.push_str(t);
                after_space = false;
            }
            Item::Var(v, flags) => {
                if var(&mut out, *v, *flags, n, r) {
                    after_space = false;
                }
            }
            Item::Sample(s, flags) => {
                sample(&mut out, s, *flags, n, r);
                after_space = false;
            }
        }
    }
    out
}

/// Writes one variable; `false` when it had nothing to write at all (a list of captures the
/// frontend does not have), which keeps the separator before it from doubling.
fn var(out: &mut String, v: Var, f: Flags, n: &Names<'_>, r: &SessionRecord) -> bool {
    let [tr, tw, tc, trs, ta] = r.timers;
    let http = n.fe.mode == Mode::Http;
    match v {
        Var::ClientIp => ip(out, Some(r.client.ip()), f),
        Var::ClientPort => port(out, Some(r.client.port()), f),
        Var::FrontendIp => ip(out, r.frontend_addr.map(|a| a.ip()), f),
        Var::FrontendPort => port(out, r.frontend_addr.map(|a| a.port()), f),
        Var::BackendSourceIp => ip(out, r.backend_source.map(|a| a.ip()), f),
        Var::BackendSourcePort => port(out, r.backend_source.map(|a| a.port()), f),
        Var::ServerIp => ip(out, server_addr(n, r).map(|a| a.ip()), f),
        Var::ServerPort => port(out, server_addr(n, r).map(|a| a.port()), f),
        Var::AcceptDate | Var::RequestDate => out.push_str(&log_date(r.start)),
        Var::RequestDateGmt | Var::RequestDateLocal | Var::AcceptDateGmt | Var::AcceptDateLocal => {
            gmt_date(out, r)
        }
        Var::AcceptUnix => hex_or(out, f.hex, 8, secs(r)),
        Var::AcceptMillis => num(out, millis(r)),
        Var::Handshake | Var::Idle => num(out, 0),
        Var::TimeRequest | Var::TimeQuest => num(out, tr),
        Var::TimeWait => num(out, tw),
        Var::TimeConnect => num(out, tc),
        Var::TimeResponse => num(out, trs),
        Var::TimeActive | Var::TimeTotal => num(out, ta),
        Var::TimeData => num(out, data_time(r.timers, http)),
        Var::Term => push_bytes(out, &r.termination.tcp()),
        Var::TermCookie => push_bytes(out, &r.termination.http(r.cookie_flags)),
        Var::Status if http => num(out, r.status.map_or(-1, i64::from)),
        Var::Status => num(out, 0),
        Var::BytesOut => num(out, r.bytes_out as i64),
        Var::BytesIn => num(out, r.log_bytes_in.unwrap_or(r.bytes_in) as i64),
        Var::Backend => text(out, Some(n.backend), f),
        Var::Frontend => text(out, Some(&n.fe.name), f),
        Var::FrontendTransport => frontend_transport(out, n, r, f),
        Var::Server => text(out, Some(n.server), f),
        Var::Request => text(out, Some(request(r)), f),
        Var::Method | Var::Path | Var::Uri | Var::PathOnly | Var::Query | Var::Version => {
            text(out, Some(request_part(v, request(r))), f)
        }
        Var::CookieReq => cookie(out, cookies(r).0, f),
        Var::CookieResp => cookie(out, cookies(r).1, f),
        Var::CapReq | Var::CapReqList | Var::CapResp | Var::CapRespList => {
            return captured(out, v, f, n, r)
        }
        Var::ProcessConns => num(out, r.process_conns as i64),
        Var::FrontendConns => num(out, r.frontend_conns as i64),
        Var::BackendConns => num(out, r.backend_conns as i64),
        Var::ServerConns => num(out, r.server_conns as i64),
        Var::Retries => {
            let _ = match r.redispatched {
                true => write!(out, "+{}", r.retries),
                false => write!(out, "{}", r.retries),
            };
        }
        Var::ServerQueue => num(out, 0),
        Var::BackendQueue => num(out, r.backend_queue as i64),
        // Without `unique-id-format` HAProxy writes `-` (measured).
        Var::UniqueId => text(out, r.unique_id.as_deref(), f),
        Var::Pid => hex_or(out, f.hex, 4, u64::from(std::process::id())),
        Var::Hostname => text(out, Some(hostname()), f),
        Var::RequestCounter => hex_or(out, f.hex, 4, r.counter),
        Var::LogCounter => hex_or(out, f.hex, 4, r.log_count),
        Var::SslCipher => text(out, r.tls.as_deref().map(|t| t.cipher), f),
        Var::SslVersion => text(out, r.tls.as_deref().map(|t| t.version), f),
        Var::Defaults => {}
    }
    true
}

/// `%[fetch,conv...]`: the value after its converters, as text. HAProxy copies a string as
/// it is (measured: `café` stays `café`); lbtop writes control bytes `#XX` so that no
/// value can break a log line.
fn sample(out: &mut String, s: &LogSample, f: Flags, n: &Names<'_>, r: &SessionRecord) {
    let mut v = super::log_sample::value(&s.fetch, n, r);
    for c in &s.convs {
        v = v.and_then(|x| c.apply(x));
    }
    let shown = v.map(|v| match v {
        Smp::Str(b) => controls(&String::from_utf8_lossy(&b)),
        other => String::from_utf8_lossy(&other.as_bytes()).into_owned(),
    });
    text(out, shown.as_deref(), f);
}

fn num(out: &mut String, n: i64) {
    let _ = write!(out, "{n}");
}

fn hex_or(out: &mut String, hex: bool, width: usize, n: u64) {
    let _ = match hex {
        true => write!(out, "{n:0width$X}"),
        false => write!(out, "{n}"),
    };
}

fn push_bytes(out: &mut String, b: &[u8]) {
    out.push_str(&String::from_utf8_lossy(b));
}

fn ip(out: &mut String, a: Option<IpAddr>, f: Flags) {
    match (a, f.hex) {
        (Some(IpAddr::V4(v4)), true) => {
            let _ = write!(out, "{:08X}", u32::from(v4));
        }
        (Some(IpAddr::V6(v6)), true) => {
            let _ = write!(out, "{:032X}", u128::from(v6));
        }
        (Some(a), false) => text(out, Some(&a.to_string()), f),
        (None, _) => text(out, None, f),
    }
}

fn port(out: &mut String, p: Option<u16>, f: Flags) {
    match p {
        Some(p) => hex_or(out, f.hex, 4, u64::from(p)),
        None => out.push('-'),
    }
}

/// A string: `-` when there is none (`""` quoted), quoted with `+Q`, and `"`, `\` and `]`
/// backslash-escaped with `+E`.
fn text(out: &mut String, s: Option<&str>, f: Flags) {
    let Some(s) = s else {
        out.push_str(if f.quote { "\"\"" } else { "-" });
        return;
    };
    if f.quote {
        out.push('"');
    }
    escaped(out, s, f.escape);
    if f.quote {
        out.push('"');
    }
}

fn escaped(out: &mut String, s: &str, escape: bool) {
    if !escape {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// `27/Nov/2026:15:43:59 +0000`: `%T`, `%trg`; lbtop writes local times in UTC too.
fn gmt_date(out: &mut String, r: &SessionRecord) {
    let d = log_date(r.start);
    out.push_str(d.split('.').next().unwrap_or(&d));
    out.push_str(" +0000");
}

fn secs(r: &SessionRecord) -> u64 {
    r.start
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn millis(r: &SessionRecord) -> i64 {
    let d = r.start.duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::from(d.subsec_millis())
}

/// `%Td`: the total less the phases before the data, or -1 when one of them never ended.
fn data_time([tr, tw, tc, trs, ta]: [i64; 5], http: bool) -> i64 {
    let phases = if http {
        [tr, tw, tc, trs]
    } else {
        [0, tw, tc, 0]
    };
    match phases.iter().all(|&t| t >= 0) && ta >= 0 {
        true => ta - phases.iter().sum::<i64>(),
        false => -1,
    }
}

/// `%ft`: the frontend's name, with `~` after it when the client spoke TLS.
fn frontend_transport(out: &mut String, n: &Names<'_>, r: &SessionRecord, f: Flags) {
    match r.tls {
        Some(_) => text(out, Some(&format!("{}~", n.fe.name)), f),
        None => text(out, Some(&n.fe.name), f),
    }
}

fn server_addr(n: &Names<'_>, r: &SessionRecord) -> Option<SocketAddr> {
    let s = n.be.servers.get(r.server?)?;
    Some(match r.frontend_addr {
        Some(dst) => crate::config::Server::connect_addr(s.addr, s.port_offset, dst),
        None => s.addr,
    })
}

fn request(r: &SessionRecord) -> &str {
    r.request.as_deref().unwrap_or("<BADREQ>")
}

/// `%HM`, `%HU`, `%HP`, `%HPO`, `%HQ`, `%HV` from the logged request line.
fn request_part(v: Var, line: &str) -> &str {
    let mut words = line.splitn(3, ' ');
    let (Some(method), Some(uri), Some(version)) = (words.next(), words.next(), words.next())
    else {
        return line;
    };
    let (path, query) = uri.find('?').map_or((uri, ""), |q| uri.split_at(q));
    match v {
        Var::Method => method,
        Var::Uri => uri,
        Var::Path => path,
        Var::Query => query,
        Var::Version => version,
        _ => path_only(path),
    }
}

/// The path of an absolute target (`http://host/p` is `/p`).
fn path_only(path: &str) -> &str {
    match path.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    }
}

fn cookies(r: &SessionRecord) -> (Option<&[u8]>, Option<&[u8]>) {
    match &r.captures {
        Some(c) => (c.cookie_request.as_deref(), c.cookie_response.as_deref()),
        None => (None, None),
    }
}

/// A captured cookie, as it came (HAProxy escapes nothing in it but control bytes).
fn cookie(out: &mut String, c: Option<&[u8]>, f: Flags) {
    let s = c.map(|c| encode(c, b""));
    text(out, s.as_deref(), f);
}

/// `%hr` (`{a|b}`), `%hrl` (`a b`), and the same for responses; nothing at all for a
/// frontend without such captures.
fn captured(out: &mut String, v: Var, f: Flags, n: &Names<'_>, r: &SessionRecord) -> bool {
    let response = matches!(v, Var::CapResp | Var::CapRespList);
    let list: &[Capture] = match response {
        true => &n.fe.captures.response,
        false => &n.fe.captures.request,
    };
    // A request that never had a head (`<BADREQ>`) shows none; a TCP session shows them
    // empty (measured).
    if list.is_empty() || (r.captures.is_none() && n.fe.mode == Mode::Http) {
        return false;
    }
    let found: Vec<Option<&[u8]>> = (0..list.len())
        .map(|i| {
            let c = r.captures.as_deref()?;
            let side = if response { &c.response } else { &c.request };
            side.get(i)?.as_deref()
        })
        .collect();
    let values: Vec<String> = found
        .iter()
        .map(|v| v.map_or_else(String::new, |v| encode(v, b"\"#{|}")))
        .collect();
    if matches!(v, Var::CapReq | Var::CapResp) {
        let joined = format!("{{{}}}", values.join("|"));
        let mut braces = String::new();
        escaped(&mut braces, &joined, f.escape);
        return quoted(out, &braces, f.quote);
    }
    for (i, (v, found)) in values.iter().zip(&found).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        text(out, found.map(|_| v.as_str()), f);
    }
    true
}

fn quoted(out: &mut String, s: &str, quote: bool) -> bool {
    match quote {
        true => {
            let _ = write!(out, "\"{s}\"");
        }
        false => out.push_str(s),
    }
    true
}

/// Bytes outside printable ASCII, and those in `extra`, as `#XX`.
fn controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "#{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn encode(b: &[u8], extra: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if !(0x20..0x7f).contains(&c) || extra.contains(&c) {
            let _ = write!(s, "#{c:02X}");
        } else {
            s.push(c as char);
        }
    }
    s
}

/// `%H`: read once.
pub(super) fn hostname() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(super::syslog::hostname)
}

#[cfg(test)]
#[path = "logfmt_tests.rs"]
mod tests;
