//! Answering a request for the stats page: HAProxy's 401 with its realm, its 303 for a POST
//! (there are no admin actions to take), or the page, with the bytes HAProxy sends
//! (docs/haproxy-semantics.md §18).

use super::{admin, csv, html, in_scope, proxies, StatsRt};
use crate::auth::{basic_credentials, same_secret};
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::bufs::Input;
use crate::engine::h1::capture::{merge, Capturing};
use crate::engine::h1::chunked::Decoder;
use crate::engine::h1::compress::{self, CompressRt, Encoder};
use crate::engine::h1::head::{header_line, Framing, Head, MAX_HEADERS};
use crate::engine::h1::response::connection_header;
use crate::engine::l7::relay::write_within;
use crate::engine::l7::reply::{unauthorized, PAGE_401};
use crate::engine::rules::ReqView;
use crate::engine::stream::Stream;
use crate::events::{Captured, Termination};
use hyper::Version;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Instant, SystemTime};

/// What the part of the target after the stats uri asks for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub csv: bool,
    pub norefresh: bool,
    /// `;up`: hide servers that are down.
    pub up: bool,
    /// `;st=<result>`: the outcome of the last admin action, to show.
    pub st: Option<&'static str>,
    /// The client may use the admin form.
    pub admin: bool,
}

impl Flags {
    fn parse(rest: &str) -> Flags {
        Flags {
            csv: rest.contains(";csv"),
            norefresh: rest.contains(";norefresh"),
            up: rest.contains(";up"),
            st: admin::RESULTS
                .iter()
                .map(|(word, _)| *word)
                .find(|w| rest.contains(&format!(";st={w}"))),
            admin: false,
        }
    }
}

/// If `upstream` (the request head) asks for `fe`'s stats page, answers it and returns
/// whether the connection can take another request; `None` sends the request on as usual.
pub async fn answer(
    fe: &FrontendRt,
    stats: &StatsRt,
    (stream, input, (client, dst)): (&mut Stream, &mut Input, (SocketAddr, SocketAddr)),
    head: &Head,
    upstream: &[u8],
) -> Option<bool> {
    let (method, target, authorization) = request(upstream)?;
    let rest = target.strip_prefix(stats.page.uri.as_str())?;
    let began = (SystemTime::now(), Instant::now());
    fe.counters.intercepted.fetch_add(1, Relaxed);
    // A body is left unread (unless an admin's form reads it): the connection then closes.
    // A soft stop closes the connection after the page, and the page says so.
    let mut keep = head.keep_alive && head.framing == Framing::None && !fe.live.stop.stopping();
    let mut out = Vec::new();
    let admin = may_admin(fe, stats, upstream, (client, dst));
    let (status, body) = if !authorized(stats, authorization.as_deref()) {
        // It closes after it, but its connection header answers what the client asked for.
        out = unauthorized(stats.page.realm(), head.keep_alive, head.version);
        (401, PAGE_401.len())
    } else if method == "POST" {
        let result = match admin {
            true => {
                let (result, read) =
                    admin::post(stats, (&mut *stream, input), head, fe.client_timeout()).await;
                keep = head.keep_alive && read && !fe.live.stop.stopping();
                result
            }
            false => "DENY",
        };
        see_other(&mut out, &stats.page.uri, result, keep, head.version);
        (303, 0)
    } else {
        let flags = Flags {
            admin,
            ..Flags::parse(rest)
        };
        (
            200,
            page(&mut out, (stats, fe.compression()), flags, head, keep),
        )
    };
    let sent = write_within(stream, &out, fe.client_timeout())
        .await
        .is_ok();
    let bytes = log_bytes(&out, body);
    let captured = captured(fe, head, &out);
    let session = (client, head, stream.tls(), captured);
    log(fe, stats, session, began, (status, bytes));
    // HAProxy closes after its 401.
    Some(sent && keep && status != 401)
}

/// Whether `stats admin`'s condition holds for this request (HAProxy evaluates it on the
/// request, with the frontend's proxy ids and the servers' states).
fn may_admin(fe: &FrontendRt, stats: &StatsRt, upstream: &[u8], addrs: Addrs) -> bool {
    let Some(admin) = &stats.page.admin else {
        return false;
    };
    let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let Some(v) = ReqView::parse(upstream, &mut lines, addrs.0, addrs.1) else {
        return false;
    };
    fe.holds(&admin.0, &v)
}

type Addrs = (SocketAddr, SocketAddr);
type Tls = Option<std::sync::Arc<crate::tls::TlsFacts>>;

/// The session's log line and counters, as HAProxy words a stats request: `<STATS>` as the
/// server, `LR--`, and its 401 logged as a 400 that also counts the bytes of its 400 page
/// (measured, docs/haproxy-semantics.md §18).
fn log(
    fe: &FrontendRt,
    stats: &StatsRt,
    (client, head, tls, captured): (SocketAddr, &Head, Tls, Option<Box<Captured>>),
    (start, began): (SystemTime, Instant),
    (status, bytes): (u16, u64),
) {
    let sampled = head.request_line.is_some();
    let start = if sampled {
        start
    } else {
        SystemTime::UNIX_EPOCH
    };
    let mut record = fe.new_record(client, start, head.request_line.clone());
    record.tls = tls;
    let ta = began.elapsed().as_millis() as i64;
    let (status, bytes, tr) = match status {
        401 => (400, bytes + H1_400_BYTES, -1),
        _ => (status, bytes, 0),
    };
    record.timers = [0, 0, 0, tr, ta];
    record.status = Some(status);
    record.bytes_in = head.len as u64;
    record.bytes_out = bytes;
    record.termination = Termination::new(b'L', b'R');
    record.stats_page = Some(stats.serving.clone());
    record.captures = captured;
    fe.report(record, sampled);
}

/// The request's captures, and the response's from the page's own head: HAProxy captures
/// what its stats page answers too (measured).
fn captured(fe: &FrontendRt, head: &Head, out: &[u8]) -> Option<Box<Captured>> {
    let captures = fe.captures(head.captured.is_some())?;
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut res = httparse::Response::new(&mut headers);
    let mut capturing = Capturing::new(Some(captures), true)?;
    if res.parse(out).is_ok() {
        for h in res.headers.iter() {
            capturing.response(h.name, h.value);
        }
    }
    merge(head.captured.clone(), capturing.done())
}

/// `%B` of HAProxy's own 400 page (with its `connection: close`).
const H1_400_BYTES: u64 = 206;

/// `%B` of an answer as HAProxy counts it: its status line as 21 bytes plus the version, the
/// code and the reason, each header's name and value, and the body; the transfer coding
/// and connection headers the HTTP/1 layer adds are not counted.
pub(crate) fn log_bytes(out: &[u8], body: usize) -> u64 {
    let text = String::from_utf8_lossy(out);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let mut n = 21 + status.len().saturating_sub(2);
    for line in lines {
        let (name, value) = line.split_once(": ").unwrap_or((line, ""));
        // Not counted: what HAProxy adds on the way out (framing, compression's lines).
        if !matches!(
            name,
            "transfer-encoding" | "connection" | "vary" | "content-encoding"
        ) {
            n += name.len() + value.len();
        }
    }
    (n + body) as u64
}

/// The method, the target (its path and query), and the `Authorization` value.
fn request(upstream: &[u8]) -> Option<(String, String, Option<String>)> {
    // The head was already checked against the limit; lbtop may have added a header or two.
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS + 8];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(upstream).ok()?;
    let target = req.path?;
    // An absolute-form target: its path.
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let auth = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("authorization"))
        .map(|h| String::from_utf8_lossy(h.value).into_owned());
    Some((req.method?.to_string(), target.to_string(), auth))
}

/// No `stats auth` lines, or `Basic` credentials matching one of them.
fn authorized(stats: &StatsRt, authorization: Option<&str>) -> bool {
    if stats.page.auth.is_empty() {
        return true;
    }
    let Some((user, pass)) = authorization.and_then(|v| basic_credentials(v.as_bytes())) else {
        return false;
    };
    (stats.page.auth.iter()).any(|(u, p)| *u == user && same_secret(p.as_bytes(), pass.as_bytes()))
}

/// HAProxy's answer to a POST without `stats admin`: back to the page, saying it was denied.
fn see_other(out: &mut Vec<u8>, uri: &str, result: &str, keep: bool, version: Version) {
    out.extend_from_slice(b"HTTP/1.1 303 See Other\r\n");
    header_line(out, b"cache-control", b"no-cache");
    header_line(out, b"content-type", b"text/plain");
    header_line(out, b"content-length", b"0");
    header_line(out, b"location", format!("{uri};st={result}").as_bytes());
    connection_header(out, keep, version, Version::HTTP_11);
    out.extend_from_slice(b"\r\n");
}

/// The page itself, chunked (to an HTTP/1.0 client too, as HAProxy sends it); HAProxy puts
/// the connection header before the transfer coding for HTTP/1.0, after it for HTTP/1.1.
/// Returns the body's length (0 for a HEAD).
fn page(
    out: &mut Vec<u8>,
    (stats, compression): (&StatsRt, Option<&CompressRt>),
    flags: Flags,
    head: &Head,
    keep: bool,
) -> usize {
    let body = render(stats, flags);
    let old = head.version == Version::HTTP_10;
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    header_line(out, b"cache-control", b"no-cache");
    let kind: &[u8] = if flags.csv {
        b"text/plain"
    } else {
        b"text/html"
    };
    header_line(out, b"content-type", kind);
    if let (Some(d), false) = (stats.page.refresh, flags.norefresh) {
        header_line(out, b"refresh", d.as_secs().to_string().as_bytes());
    }
    if old {
        connection_header(out, keep, head.version, Version::HTTP_11);
    }
    if !head.is_head {
        header_line(out, b"transfer-encoding", b"chunked");
    }
    // HAProxy compresses its page as it compresses any response (docs/haproxy-semantics.md
    // §39): a chunked 200 with no ETag, so the request and the type decide.
    let compress = compression.zip(head.compress).filter(|(c, _)| {
        let types = c.types();
        !old && !head.is_head
            && (types.is_empty()
                || types.iter().any(|t| {
                    kind.len() >= t.len() && kind[..t.len()].eq_ignore_ascii_case(t.as_bytes())
                }))
    });
    if let Some((_, algo)) = compress {
        compress::add_headers(out, algo, true);
    }
    if !old {
        connection_header(out, keep, head.version, Version::HTTP_11);
    }
    out.extend_from_slice(b"\r\n");
    if head.is_head {
        return 0;
    }
    match compress {
        Some((_, algo)) => {
            let mut e = Encoder::new(algo);
            e.write(body.as_bytes());
            Decoder::encode_chunk(out, &e.finish());
        }
        None => Decoder::encode_chunk(out, body.as_bytes()),
    }
    out.extend_from_slice(b"0\r\n\r\n");
    body.len()
}

/// The CSV or the HTML page, from a snapshot taken now.
fn render(stats: &StatsRt, flags: Flags) -> String {
    let Some(shared) = stats.view.get().and_then(std::sync::Weak::upgrade) else {
        return String::new();
    };
    let cfg = &shared.config;
    let snap = shared.snapshot();
    let listed = in_scope(proxies(cfg), &stats.page, &stats.serving);
    if flags.csv {
        let mut out = csv::header();
        for p in &listed {
            let mut rows = csv::rows(cfg, &snap, p);
            if flags.up {
                csv::tally(&mut rows);
            }
            for row in rows {
                if !(flags.up && html::hidden(&row)) {
                    out.push_str(&row.line());
                }
            }
        }
        out
    } else {
        html::render(cfg, &snap, &listed, &stats.page, flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_after_the_uri() {
        let f = Flags::parse(";csv;norefresh");
        assert!(f.csv && f.norefresh && !f.up);
        assert_eq!(Flags::parse("?x=1"), Flags::default());
        assert!(Flags::parse(";up").up);
    }

    #[test]
    fn basic_auth_takes_any_listed_account() {
        let mut page = crate::config::StatsPage::new(1);
        let rt = |page: &crate::config::StatsPage| StatsRt {
            page: page.clone(),
            serving: "s".into(),
            view: super::super::View::default(),
        };
        assert!(authorized(&rt(&page), None), "no accounts: open");
        page.auth = vec![("admin".into(), "pa:ss".into()), ("u".into(), "".into())];
        let open = rt(&page);
        // admin:pa:ss, u:, admin:wrong
        assert!(authorized(&open, Some("Basic YWRtaW46cGE6c3M=")));
        assert!(authorized(&open, Some("basic dTo=")));
        for no in [
            None,
            Some("Basic YWRtaW46d3Jvbmc="),
            Some("Bearer YWRtaW46cGE6c3M="),
            Some("Basic !!!"),
            Some("Basic"),
        ] {
            assert!(!authorized(&open, no), "{no:?}");
        }
    }

    #[test]
    fn request_reads_the_target_and_credentials() {
        let (m, t, a) =
            request(b"GET http://h:1/stats;csv HTTP/1.1\r\nAuthorization: Basic YTpi\r\n\r\n")
                .unwrap();
        assert_eq!((m.as_str(), t.as_str()), ("GET", "/stats;csv"));
        assert_eq!(a.as_deref(), Some("Basic YTpi"));
    }
}
