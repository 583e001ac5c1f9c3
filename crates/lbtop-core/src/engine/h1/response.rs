//! Response heads from a server: parsed with httparse and written for the client in the same
//! pass, as HAProxy forwards them: names lower-cased, one framing, the `Connection` tokens
//! `close` and `keep-alive` replaced by lbtop's own, everything else as it came.

use super::capture::Capturing;
use super::compress;
use super::cookie::{cacheable, forward_set_cookie, response_flag, ResponseCookie, ServerCookies};
use super::framing::{Coding, Framed, Kept};
use super::head::{MAX_HEAD, MAX_HEADERS};
use crate::config::Captures;
use hyper::Version;
use std::mem::MaybeUninit;

/// What the client asked for, which decides how the response reaches it.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub version: Version,
    pub keep_alive: bool,
    pub is_head: bool,
    /// The request's `Connection` named `upgrade` (and it had no body): only then may a
    /// `101` switch the connection to a tunnel.
    pub upgrade: bool,
    /// The backend's persistence cookie, for this response.
    pub cookie: Option<&'a ResponseCookie<'a>>,
    /// `compression`: the algorithm the request picked, if the response qualifies.
    pub compress: Option<super::compress::Compress<'a>>,
}

/// How the server delimits the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    Length(u64),
    Chunked,
    /// Until the server closes.
    Close,
    /// A `101 Switching Protocols`: after the head, bytes pass both ways as they come.
    Tunnel,
}

#[derive(Debug)]
pub struct Response {
    /// Bytes of the head in the server's input.
    pub len: usize,
    pub status: u16,
    /// How the body is delimited; a chunked one is decoded and chunked afresh for the client
    /// (extensions dropped, trailers checked), as HAProxy forwards it.
    pub body: Body,
    /// The server connection can take another request after this body.
    pub server_keeps: bool,
    /// The client connection can take another request after this body.
    pub client_keeps: bool,
    /// The head's size as HAProxy 2.6 counts it in `%B`: its internal (HTX) form, a start-line
    /// block of 21 bytes plus version, code and reason, then each header's name and value.
    /// Checked against HAProxy: a relayed `200 OK` with two headers logs 60 with a 2-byte body.
    pub log_bytes: u64,
    /// The persistence cookie's termination character (`-` without one).
    pub cookie_flag: u8,
    /// What `capture response header` and `capture cookie` caught.
    pub captured: Option<Box<crate::events::Captured>>,
    /// The body is compressed with this, and chunked afresh (its head says so).
    pub compress: Option<crate::config::Algo>,
}

#[derive(Debug)]
pub enum Parsed {
    /// A final response; the client's head was written to `out`.
    Complete(Response),
    /// A `1xx` interim response of `len` bytes, written to `out` for the client as HAProxy
    /// forwards it; `log_bytes` as for a final head.
    Interim {
        len: usize,
        log_bytes: u64,
    },
    Partial,
    Invalid,
    /// A well-formed `101` that may not switch protocols here (the request did not ask for
    /// an upgrade, or the response does not name one): HAProxy's 502, with the head counted
    /// in `%B` as HAProxy counts it.
    Refused {
        log_bytes: u64,
    },
}

/// Parses a response head at the start of `buf`, writing the client's head to `out`.
pub fn parse(buf: &[u8], asked: Asked<'_>, out: &mut Vec<u8>) -> Parsed {
    parse_capturing(buf, asked, out, None)
}

/// [`parse`], filling the frontend's `capture` lines from the same pass.
pub fn parse_capturing(
    buf: &[u8],
    asked: Asked<'_>,
    out: &mut Vec<u8>,
    captures: Option<&Captures>,
) -> Parsed {
    // Left uninitialised, as for requests (head.rs): most responses have a few headers.
    let mut headers = [const { MaybeUninit::uninit() }; MAX_HEADERS];
    match parse_in(buf, &mut headers, (asked, captures), out) {
        Some(parsed) => parsed,
        // More lines than HAProxy counts, some of which it may not count: parsed again
        // with room for every line.
        None => {
            let lines = buf.iter().filter(|&&b| b == b'\n').count();
            let mut headers = vec![MaybeUninit::uninit(); lines + 1];
            parse_in(buf, &mut headers, (asked, captures), out).unwrap_or(Parsed::Invalid)
        }
    }
}

/// `None` when the head has more header lines than `headers` holds.
fn parse_in<'b>(
    buf: &'b [u8],
    headers: &mut [MaybeUninit<httparse::Header<'b>>],
    asked: (Asked<'_>, Option<&Captures>),
    out: &mut Vec<u8>,
) -> Option<Parsed> {
    let mut res = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut res, buf, headers);
    let len = match parsed {
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Some(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => return None,
        _ => return Some(Parsed::Invalid),
    };
    let (Some(status), Some(minor)) = (res.code, res.version) else {
        return Some(Parsed::Invalid);
    };
    // A status below 100 is a 502 (HAProxy relays `099`; a deliberate difference).
    if status < 100 || (status == 101 && !websocket_accept_ok(res.headers)) {
        return Some(Parsed::Invalid);
    }
    let before = out.len();
    Some(match build(&res, len, status, minor, asked, out) {
        Some(r) if r.body == Body::Tunnel => Parsed::Complete(r),
        Some(r) if status == 101 => {
            out.truncate(before);
            Parsed::Refused {
                log_bytes: r.log_bytes,
            }
        }
        Some(r) if status < 200 => Parsed::Interim {
            len,
            log_bytes: r.log_bytes,
        },
        Some(r) => Parsed::Complete(r),
        None => Parsed::Invalid,
    })
}

fn build(
    res: &httparse::Response<'_, '_>,
    len: usize,
    status: u16,
    minor: u8,
    (asked, captures): (Asked<'_>, Option<&Captures>),
    out: &mut Vec<u8>,
) -> Option<Response> {
    let mut framed = Framed::default();
    framed.no_body = status < 200 || status == 204;
    // HAProxy counts a 101's framing headers in `%B` but does not forward them (measured).
    let mut dropped = 0;
    // An interim response's headers are not the final ones HAProxy captures.
    let mut capturing = Capturing::new(captures.filter(|_| status >= 200), true);
    for h in res.headers.iter() {
        framed.note(h)?;
        if status == 101 && is_framing(h.name) {
            dropped += h.name.len() + h.value.len();
        }
        if let Some(c) = &mut capturing {
            c.response(h.name, h.value);
        }
    }
    // RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; chunked wins over a length; a
    // transfer coding that does not end in chunked is refused, as HAProxy refuses it (502).
    // HAProxy relays only plain chunked, refuses a head larger than its buffer, and an
    // interim response that announces a body.
    let coding = framed.coding();
    let reason = res.reason.unwrap_or("");
    let interim_body =
        status < 200 && status != 101 && (framed.length.is_some() || coding != Coding::Absent);
    let kept = Kept::measure(3 + reason.len(), res.headers);
    if matches!(coding, Coding::Broken | Coding::Layered) || interim_body || !kept.fits() {
        return None;
    }
    // A 101 switches only an HTTP/1.1 exchange whose request and response both name
    // `upgrade` in `Connection` (docs/haproxy-semantics.md §23).
    let switches = status == 101 && minor == 1 && asked.upgrade && framed.upgrade;
    let body = if switches {
        Body::Tunnel
    } else if asked.is_head || status < 200 || status == 204 || status == 304 {
        Body::None
    } else if coding.is_chunked() {
        Body::Chunked
    } else {
        match framed.length {
            Some(0) => Body::None,
            Some(n) => Body::Length(n),
            None => Body::Close,
        }
    };
    let client_keeps = asked.keep_alive && !matches!(body, Body::Close | Body::Tunnel);
    let server_keeps = !matches!(body, Body::Close | Body::Tunnel)
        && !framed.both()
        && if minor == 1 {
            !framed.close
        } else {
            // `close` wins over `keep-alive` when a server says both.
            framed.keep_alive && !framed.close
        };
    let version = if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    out.extend_from_slice(if minor == 0 {
        b"HTTP/1.0 "
    } else {
        b"HTTP/1.1 "
    });
    out.extend_from_slice(itoa3(status).as_slice());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut log_bytes = 21 + "HTTP/1.1".len() + 3 + reason.len() + dropped;
    let mut wrote_length = false;
    let mut seen = ServerCookies::default();
    let compress = asked.compress.filter(|c| {
        compress::applies(
            c,
            (asked.version, minor, asked.is_head),
            status,
            body,
            res.headers,
        )
    });
    for h in res.headers.iter() {
        // HAProxy counts the server's header as it came, whatever compression makes of it.
        if compress.is_some() && compress::rewrite_header(h, out) {
            log_bytes += h.name.len() + h.value.len();
            continue;
        }
        let before = out.len();
        let cookie = asked
            .cookie
            .filter(|_| h.name.eq_ignore_ascii_case("set-cookie"));
        if cookie.is_some_and(|c| forward_set_cookie(h.name.as_bytes(), h.value, c, &mut seen, out))
        {
            // HAProxy counts the server's cookie as it came, whatever became of it.
            log_bytes += h.name.len() + h.value.len();
            continue;
        }
        framed.forward(h, out, &mut wrote_length);
        // Each line written is `name: value\r\n`; HAProxy counts the name and the value.
        log_bytes += (out.len() - before).saturating_sub(4);
    }
    if let Some(c) = compress {
        compress::add_headers(out, c.algo, body == Body::Chunked);
    }
    // What lbtop inserts is not counted, as HAProxy counts it (measured).
    let cookie_flag = match asked.cookie {
        Some(c) if status >= 200 => cookie_lines(c, status, res.headers, seen, out),
        _ => b'-',
    };
    if status >= 200 {
        connection_header(out, client_keeps, asked.version, version);
    }
    out.extend_from_slice(b"\r\n");
    Some(Response {
        len,
        status,
        body,
        server_keeps,
        client_keeps,
        log_bytes: log_bytes as u64,
        cookie_flag,
        captured: capturing.and_then(Capturing::done),
        compress: compress.map(|c| c.algo),
    })
}

fn is_framing(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

/// A `101` that switches to WebSocket (`Upgrade: websocket`) must carry
/// `Sec-WebSocket-Accept`; HAProxy refuses it otherwise, whatever the request asked for
/// (measured: its 502, the head not counted). Its value is not checked.
fn websocket_accept_ok(headers: &[httparse::Header<'_>]) -> bool {
    let websocket = headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("upgrade")
            && h.value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    });
    !websocket
        || headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
}

/// The `Set-Cookie` (and `Cache-Control: private`) lbtop adds to a final response; returns
/// the cookie's termination character.
fn cookie_lines(
    c: &ResponseCookie<'_>,
    status: u16,
    headers: &[httparse::Header<'_>],
    seen: ServerCookies,
    out: &mut Vec<u8>,
) -> u8 {
    let insert = c.insert.filter(|_| !(c.preserve && seen.provided));
    if let Some(value) = insert {
        super::head::header_line(out, b"set-cookie", value);
        if c.nocache && cacheable(status, headers) {
            out.extend_from_slice(b"cache-control: private\r\n");
        }
    }
    response_flag(seen, insert.is_some())
}

fn itoa3(n: u16) -> [u8; 3] {
    [
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]
}

/// Persistence as HAProxy words it: HTTP/1.1 persists by default, so a closing HTTP/1.1
/// response says `close`; a kept connection says `keep-alive` when either the request or the
/// response is HTTP/1.0, whose default is to close.
pub fn connection_header(out: &mut Vec<u8>, keep: bool, asked: Version, version: Version) {
    let old = asked == Version::HTTP_10 || version == Version::HTTP_10;
    match (keep, version) {
        (false, Version::HTTP_10) => {}
        (false, _) => out.extend_from_slice(b"connection: close\r\n"),
        (true, _) if old => out.extend_from_slice(b"connection: keep-alive\r\n"),
        (true, _) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testkit::for_mutations;

    const V11: Asked = Asked {
        version: Version::HTTP_11,
        keep_alive: true,
        is_head: false,
        upgrade: false,
        cookie: None,
        compress: None,
    };
    const V10: Asked = Asked {
        version: Version::HTTP_10,
        keep_alive: false,
        is_head: false,
        upgrade: false,
        cookie: None,
        compress: None,
    };

    fn complete(text: &[u8], asked: Asked<'_>) -> (Response, String) {
        let mut out = Vec::new();
        match parse(text, asked, &mut out) {
            Parsed::Complete(r) => (r, String::from_utf8(out).unwrap()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sized_responses_pass_as_they_are() {
        let (r, out) = complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Server: a\r\nConnection: keep-alive\r\n\r\nok",
            V11,
        );
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-server: a\r\n\r\n"
        );
        assert_eq!((r.len, r.body), (75, Body::Length(2)));
        assert!(r.server_keeps && r.client_keeps);
        // HAProxy logs 60 for this response: 21 + 8 + 3 + 2, then 14 + 1 and 8 + 1, then the
        // 2-byte body.
        assert_eq!(r.log_bytes, 58);
    }

    #[test]
    fn headers_pass_as_haproxy_passes_them() {
        let (_, out) = complete(
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok",
            V10,
        );
        assert_eq!(
            out,
            "HTTP/1.0 200 OK\r\nconnection: X-Hop\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\ncontent-length: 2\r\n\r\n"
        );
    }

    #[test]
    fn framing_follows_haproxy() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n";
        let (r, out) = complete(chunked, V11);
        assert_eq!(r.body, Body::Chunked);
        assert!(
            !r.server_keeps,
            "both framings: the server connection closes"
        );
        assert_eq!(out, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        // An HTTP/1.0 client gets the chunks too, and the connection closes.
        let (r, out) = complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            V10,
        );
        assert_eq!((r.body, r.client_keeps), (Body::Chunked, false));
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
        // A body that runs to the close is relayed as it is, and the client connection closes.
        let (r, out) = complete(b"HTTP/1.1 200 OK\r\n\r\n", V11);
        assert_eq!(
            (r.body, r.server_keeps, r.client_keeps),
            (Body::Close, false, false)
        );
        assert_eq!(out, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
        let head = Asked {
            is_head: true,
            ..V11
        };
        let (r, _) = complete(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", head);
        assert_eq!(r.body, Body::None);
        let (r, _) = complete(
            b"HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n",
            V11,
        );
        assert_eq!(r.body, Body::None);
        let (r, out) = complete(b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n", V11);
        assert_eq!(
            (r.body, out.as_str()),
            (Body::None, "HTTP/1.1 204 No Content\r\n\r\n")
        );
        let (r, _) = complete(
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\n",
            V11,
        );
        assert!(!r.server_keeps && r.client_keeps);
    }

    #[test]
    fn interim_and_broken_heads() {
        let mut out = Vec::new();
        assert!(matches!(
            parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", V11, &mut out),
            Parsed::Interim {
                len: 25,
                log_bytes: 40
            }
        ));
        assert_eq!(out, b"HTTP/1.1 100 Continue\r\n\r\n");
        assert!(matches!(
            parse(b"HTTP/1.1 200 OK\r\n", V11, &mut out),
            Parsed::Partial
        ));
        for bad in [
            &b"garbage\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        ] {
            assert!(
                matches!(parse(bad, V11, &mut out), Parsed::Invalid),
                "{bad:?}"
            );
        }
    }
    #[test]
    fn a_101_switches_only_when_both_sides_name_upgrade() {
        // Byte counts as HAProxy 2.6 logged them for these heads (docs/haproxy-semantics.md
        // §23).
        let asked = Asked {
            upgrade: true,
            ..V11
        };
        let ws = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nDATA";
        let (r, out) = complete(ws, asked);
        assert_eq!(
            (r.body, r.server_keeps, r.client_keeps),
            (Body::Tunnel, false, false)
        );
        assert_eq!(r.len, ws.len() - 4);
        assert_eq!(r.log_bytes, 132);
        assert_eq!(
            out,
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        );
        // Framing headers are counted but not forwarded; `keep-alive` leaves `Connection`.
        let framed = b"HTTP/1.1 101 Switching Protocols\r\nConnection: keep-alive, upgrade\r\nUpgrade: foo\r\nContent-Length: 3\r\n\r\n";
        let (r, out) = complete(framed, asked);
        assert_eq!((r.body, r.log_bytes), (Body::Tunnel, 93));
        assert_eq!(
            out,
            "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n"
        );
        let mut out = Vec::new();
        // Not asked for, not named in the response's `Connection`, or HTTP/1.0: refused with
        // the head counted.
        for (head, asked, bytes) in [
            (&ws[..], V11, 132),
            (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\n\r\n",
                asked,
                61,
            ),
            (b"HTTP/1.0 101 Switching Protocols\r\n\r\n", asked, 51),
        ] {
            out.clear();
            match parse(head, asked, &mut out) {
                Parsed::Refused { log_bytes } => assert_eq!(log_bytes, bytes),
                other => panic!("{other:?}"),
            }
        }
        // A WebSocket 101 without its accept key is not a response at all.
        let no_key = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        assert!(matches!(parse(no_key, asked, &mut out), Parsed::Invalid));
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close, x\r\ntransfer-encoding: chunked\r\nx: y\r\n\r\nabc";
        let mut out = Vec::new();
        for_mutations(
            base,
            0xabcdef,
            b"HTTP/1.0 :\r\n123456789,chunked",
            5000,
            |m| {
                out.clear();
                if let Parsed::Complete(r) = parse(m, V11, &mut out) {
                    assert!(r.len <= m.len());
                }
            },
        );
    }
}
