//! Request heads: parsed with httparse, checked once the way HAProxy's H1 layer refuses them
//! (400, or 422 for a transfer coding it will not forward) before anything reaches a server,
//! and written for the server in the same pass. Like HAProxy, lbtop forwards a head as it came
//! but for the framing and persistence it owns: header names lower-cased, `Content-Length`
//! and `Transfer-Encoding` reduced to one framing, the `close`/`keep-alive` tokens of
//! `Connection` replaced by its own, duplicate `Host` lines folded. Every other header passes,
//! including ones `Connection` names: dropping those would let `Connection: content-length`
//! strip the very header that frames the body. No header map is built.

use super::capture::Capturing;
use super::framing::{Coding, Framed, Kept};
use hyper::header::{HeaderName, HeaderValue};
use hyper::Version;
use std::mem::MaybeUninit;

/// A head that has not ended within this many bytes is refused: HAProxy's input buffer
/// (`tune.bufsize`).
pub const MAX_HEAD: usize = 16 * 1024;
/// More header lines than this are refused (HAProxy's `tune.http.maxhdr` of 101 counts the
/// end of the head too).
pub const MAX_HEADERS: usize = 100;

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// What the rewrite for the server adds, and what the balancer needs to see.
#[derive(Default)]
pub struct Rewrite<'a> {
    /// `unique-id-header` and the request's ID.
    pub unique_id: Option<(&'a HeaderName, &'a HeaderValue)>,
    pub forwarded_for: Option<(&'a HeaderName, &'a HeaderValue)>,
    /// `option forwardfor if-none`: a request that has the header keeps its own.
    pub forwarded_if_none: bool,
    pub server_close: bool,
    pub hash_uri: bool,
    pub hash_header: Option<&'a HeaderName>,
    /// Keep `GET /path HTTP/1.1` for the log.
    pub request_line: bool,
    /// The backend's persistence cookie, to find and maybe strip.
    pub cookie: Option<super::cookie::RequestCookie<'a>>,
    /// What the backend's `stick` rules read, in rule order.
    pub stick: Option<&'a [crate::config::Fetch]>,
    /// The frontend's `capture` lines, when this request is recorded.
    pub captures: Option<&'a crate::config::Captures>,
}

#[derive(Debug)]
pub struct Head {
    /// Bytes of the head on the wire, up to and including the empty line.
    pub len: usize,
    pub version: Version,
    pub is_head: bool,
    /// Safe to send again on a fresh connection (RFC 9110 §9.2.2).
    pub idempotent: bool,
    pub framing: Framing,
    /// The client wants the connection kept open after this request (and may have it: a
    /// request that carried both `Content-Length` and `Transfer-Encoding` closes it, RFC 9112
    /// §6.1).
    pub keep_alive: bool,
    /// `Connection` names `upgrade` on a request without a body: a `101` answer may turn
    /// the connection into a tunnel (docs/haproxy-semantics.md §23).
    pub upgrade: bool,
    pub content_length: u64,
    /// `compression`: the algorithm the request's `Accept-Encoding` picked (set once the
    /// backend is known).
    pub compress: Option<crate::config::Algo>,
    pub request_line: Option<String>,
    /// The path, for `balance uri`.
    pub path: Option<String>,
    /// The value of the `balance hdr(<name>)` header.
    pub hash_value: Option<Vec<u8>>,
    /// The persistence cookie's value naming a server (before `~` in prefix mode).
    pub cookie: Option<Vec<u8>>,
    /// For each `stick` rule, the header or cookie value it reads (`None` for `src`).
    pub stick_values: Vec<Option<Vec<u8>>>,
    pub is_post: bool,
    /// GET, HEAD or OPTIONS: a response a cache may keep (`cookie ... nocache`).
    pub cacheable_method: bool,
    /// What `capture request header` and `capture cookie` caught.
    pub captured: Option<Box<crate::events::Captured>>,
    /// The head's size as HAProxy 2.6 counts it in `%U`: its internal form, 6 bytes plus
    /// method, target and version, then each header's name and value (measured); 0 when
    /// the request is not recorded.
    pub log_bytes: u64,
}

/// Why a head is refused, which decides HAProxy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 400 Bad request.
    Malformed,
    /// 422: a transfer coding other than chunked, which HAProxy does not forward.
    Coding,
    /// 413: an HTTP/1.0 GET, HEAD or DELETE with a body, which HAProxy refuses since an
    /// HTTP/1.0 server may not expect one.
    Payload,
}

#[derive(Debug)]
pub enum Parsed {
    /// A valid head; the server's version of it was written to `upstream`.
    Complete(Head),
    Partial,
    Invalid(Refusal),
}

/// Parses a head from the start of `buf`; for a valid one, writes the request to send to the
/// server into `upstream`.
pub fn parse(buf: &[u8], rewrite: &Rewrite<'_>, upstream: &mut Vec<u8>) -> Parsed {
    if buf.is_empty() {
        return Parsed::Partial;
    }
    // Left uninitialised: setting up 101 empty headers cost more than parsing a small head.
    let mut headers = [const { MaybeUninit::uninit() }; MAX_HEADERS];
    match parse_in(buf, &mut headers, rewrite, upstream) {
        Some(parsed) => parsed,
        // More lines than HAProxy counts, some of which it may not count (a repeated
        // `Host`, an empty `Connection`): parsed again with room for every line.
        None => parse_many(buf, rewrite, upstream),
    }
}

/// `None` when the head has more header lines than `headers` holds.
fn parse_in<'b>(
    buf: &'b [u8],
    headers: &mut [MaybeUninit<httparse::Header<'b>>],
    rewrite: &Rewrite<'_>,
    upstream: &mut Vec<u8>,
) -> Option<Parsed> {
    let mut req = httparse::Request::new(&mut []);
    // HAProxy takes several spaces between method, target and version, and forwards one.
    let parsed = httparse::ParserConfig::default()
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .parse_request_with_uninit_headers(&mut req, buf, headers);
    let len = match parsed {
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Some(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => return None,
        // HAProxy checks the version once the head has ended: until then it waits (and
        // answers 408 at `timeout http-request`).
        Err(httparse::Error::Version | httparse::Error::NewLine)
            if !head_ended(after_empty_lines(buf))
                && buf.len() < MAX_HEAD
                && only_the_version_is_wrong(after_empty_lines(buf)) =>
        {
            return Some(Parsed::Partial)
        }
        _ => return Some(Parsed::Invalid(Refusal::Malformed)),
    };
    Some(match build(&req, len, rewrite, upstream) {
        Ok(head) => Parsed::Complete(head),
        Err(why) => Parsed::Invalid(why),
    })
}

/// A head without the empty lines a client may send before it (both parsers skip them).
fn after_empty_lines(buf: &[u8]) -> &[u8] {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n');
    &buf[start.unwrap_or(buf.len())..]
}

/// The empty line that ends a head (after CRLF or a bare LF) has arrived.
fn head_ended(buf: &[u8]) -> bool {
    buf.windows(2).any(|w| w == b"\n\n") || buf.windows(3).any(|w| w == b"\n\r\n")
}

/// The request line parses with `HTTP/1.1` in place of its last word, and so does what
/// follows it so far.
fn only_the_version_is_wrong(buf: &[u8]) -> bool {
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = buf[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[..line_end]);
    let Some(space) = line.iter().rposition(|&b| b == b' ') else {
        return false;
    };
    // HAProxy's parser refuses at once a byte that cannot be in a version (`HTTPa1.1`): only
    // `H`, `T`, `P`, `/`, `.` and digits make one.
    let ver_token = |b: &u8| matches!(b, b'H' | b'T' | b'P' | b'/' | b'.' | b'0'..=b'9');
    if !line[space + 1..].iter().all(ver_token) {
        return false;
    }
    let mut fixed = line[..=space].to_vec();
    fixed.extend_from_slice(b"HTTP/1.1");
    fixed.extend_from_slice(&buf[line.len()..]);
    let mut headers = headers_for(&fixed);
    let mut req = httparse::Request::new(&mut headers);
    httparse::ParserConfig::default()
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .parse_request(&mut req, &fixed)
        .is_ok()
}

/// Room for every line a head within [`MAX_HEAD`] can have (`a:` and a bare LF).
pub fn many_headers() -> Vec<httparse::Header<'static>> {
    vec![httparse::EMPTY_HEADER; MAX_HEAD / 3]
}

/// Room for every line of `buf`: sized by its line ends, so a slow client sending a long head
/// piece by piece costs no more than the lines it sent.
pub fn headers_for(buf: &[u8]) -> Vec<httparse::Header<'static>> {
    let lines = buf.iter().filter(|&&b| b == b'\n').count();
    vec![httparse::EMPTY_HEADER; lines + 1]
}

/// A head ends before HAProxy counts its lines: an unfinished one waits, whatever its count.
fn parse_many(buf: &[u8], rewrite: &Rewrite<'_>, upstream: &mut Vec<u8>) -> Parsed {
    let lines = buf.iter().filter(|&&b| b == b'\n').count();
    parse_in(
        buf,
        &mut vec![MaybeUninit::uninit(); lines + 1],
        rewrite,
        upstream,
    )
    .unwrap_or(Parsed::Invalid(Refusal::Malformed))
}

fn build(
    req: &httparse::Request<'_, '_>,
    len: usize,
    rewrite: &Rewrite<'_>,
    upstream: &mut Vec<u8>,
) -> Result<Head, Refusal> {
    use Refusal::Malformed;
    let version = match req.version {
        Some(0) => Version::HTTP_10,
        Some(1) => Version::HTTP_11,
        _ => return Err(Malformed),
    };
    let (method, target) = (req.method.ok_or(Malformed)?, req.path.ok_or(Malformed)?);
    let mut framed = Framed::default();
    let mut host: Option<&[u8]> = None;
    let mut capturing = Capturing::new(rewrite.captures, false);
    for h in req.headers.iter() {
        framed.note(h).ok_or(Malformed)?;
        if let Some(c) = &mut capturing {
            c.request(h.name, h.value);
        }
        if h.name.eq_ignore_ascii_case("host") {
            // Repeated, the same name is folded; two different ones are refused.
            match host {
                Some(first) if !first.eq_ignore_ascii_case(h.value) => return Err(Malformed),
                _ => host = host.or(Some(h.value)),
            }
        }
    }
    if !Kept::measure(method.len() + target.len(), req.headers).fits() {
        return Err(Malformed);
    }
    if !target_form_ok(method, target, host) {
        return Err(Malformed);
    }
    // Counted only for a request the log will show.
    let log_bytes = match rewrite.request_line {
        true => 6 + method.len() + target.len() + "HTTP/1.1".len() + names_and_values(req),
        false => 0,
    };
    let target = absolute_target(target, host)?;
    let framing = match (framed.coding(), framed.length) {
        (Coding::Broken, _) => return Err(Malformed),
        // Even in HTTP/1.0, as HAProxy takes it; the connection then closes (below).
        (Coding::Chunked | Coding::Layered, _) => Framing::Chunked,
        (_, Some(n)) if n > 0 => Framing::Length(n),
        _ => Framing::None,
    };
    // HAProxy refuses a body on an HTTP/1.0 GET, HEAD or DELETE before it looks at the
    // codings.
    if version == Version::HTTP_10
        && framing != Framing::None
        && matches!(method, "GET" | "HEAD" | "DELETE")
    {
        return Err(Refusal::Payload);
    }
    // Only chunked is forwarded.
    if framed.coding() == Coding::Layered {
        return Err(Refusal::Coding);
    }
    if framed.upgrade && framing == Framing::None && !websocket_handshake_ok(req.headers) {
        return Err(Malformed);
    }
    // Both framings, or a chunked HTTP/1.0 request: another hop may read it otherwise, so the
    // connection closes after the response.
    let ambiguous = framed.both() || (version == Version::HTTP_10 && framing == Framing::Chunked);
    let keep_alive = !ambiguous
        && match version {
            Version::HTTP_11 => !framed.close,
            // `close` wins over `keep-alive` when a client says both.
            _ => framed.keep_alive && !framed.close,
        };
    framed.drop_upgrade = framed.upgrade && framing != Framing::None;
    let cookie = write_upstream(req, &target, version, &framed, rewrite, upstream);
    let hash_value = rewrite.hash_header.and_then(|name| {
        let h = req
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name.as_str()))?;
        Some(h.value.to_vec())
    });
    Ok(Head {
        len,
        version,
        is_head: method == "HEAD",
        idempotent: matches!(
            method,
            "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
        ),
        framing,
        keep_alive,
        upgrade: framed.upgrade && framing == Framing::None,
        content_length: match framing {
            Framing::Length(n) => n,
            _ => 0,
        },
        compress: None,
        request_line: rewrite
            .request_line
            .then(|| log_escaped(&format!("{method} {target} {version:?}"))),
        path: rewrite.hash_uri.then(|| {
            let path = origin_form(&target);
            path.split('?').next().unwrap_or(path).to_string()
        }),
        hash_value,
        cookie,
        stick_values: rewrite
            .stick
            .map(|fetches| {
                fetches
                    .iter()
                    .map(|f| stick_value(f, req.headers))
                    .collect()
            })
            .unwrap_or_default(),
        is_post: method == "POST",
        cacheable_method: matches!(method, "GET" | "HEAD" | "OPTIONS"),
        captured: capturing.and_then(Capturing::done),
        log_bytes: log_bytes as u64,
    })
}

/// What a `stick` rule reads from the head: a header's last value (after its last comma, as
/// HAProxy's `req.hdr` takes it), or a cookie's last value.
fn stick_value(fetch: &crate::config::Fetch, headers: &[httparse::Header<'_>]) -> Option<Vec<u8>> {
    use crate::config::Fetch;
    let named = |n: &str| {
        headers
            .iter()
            .rev()
            .find(|h| h.name.eq_ignore_ascii_case(n))
    };
    match fetch {
        Fetch::Src => None,
        Fetch::Header(name) => {
            let h = named(name)?;
            let last = h.value.rsplit(|&b| b == b',').next()?.trim_ascii();
            Some(last.to_vec())
        }
        Fetch::Cookie(name) => headers
            .iter()
            .rev()
            .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
            .find_map(|h| super::cookie::cookie_value(h.value, name.as_bytes()))
            .map(<[u8]>::to_vec),
    }
}

fn names_and_values(req: &httparse::Request<'_, '_>) -> usize {
    req.headers
        .iter()
        .map(|h| h.name.len() + h.value.len())
        .sum()
}

/// An absolute target (`http://host:port/path`) must name the same authority as `Host`; the
/// scheme's default port is dropped from it, as HAProxy normalises it.
fn absolute_target<'t>(
    target: &'t str,
    host: Option<&[u8]>,
) -> Result<std::borrow::Cow<'t, str>, Refusal> {
    let Some((scheme, rest)) = absolute(target) else {
        return Ok(target.into());
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // User information (`user@`) is not part of the host that `Host` must name.
    let (userinfo, authority) = match authority.rsplit_once('@') {
        Some((user, host)) => (&rest[..user.len() + 1], host),
        None => ("", authority),
    };
    // No host in it (`http://`, `http://u@/x`): nothing for `Host` to match, and it passes as
    // it came (measured; `http://:80/` still names an empty host with a port, refused below).
    if authority.is_empty() {
        return Ok(target.into());
    }
    let short = match authority.strip_suffix(default_port) {
        Some(short) if !default_port.is_empty() => short,
        _ => authority,
    };
    if let Some(host) = host {
        let host = std::str::from_utf8(host).map_err(|_| Refusal::Malformed)?;
        let host = host
            .strip_suffix(default_port)
            .filter(|_| !default_port.is_empty())
            .unwrap_or(host);
        if !host.eq_ignore_ascii_case(short) {
            return Err(Refusal::Malformed);
        }
    }
    if short.len() == authority.len() {
        return Ok(target.into());
    }
    Ok(format!("{scheme}://{userinfo}{short}{}", &rest[end..]).into())
}

/// An upgrade to WebSocket (`Upgrade: websocket` with `Connection: upgrade`) must carry a
/// `Sec-WebSocket-Key` of 24 characters (16 bytes in base64), as HAProxy checks it; it
/// answers 400 otherwise (docs/haproxy-semantics.md §7).
fn websocket_handshake_ok(headers: &[httparse::Header<'_>]) -> bool {
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    };
    // Each `Upgrade` header says it anew: the last one decides (measured: `websocket` then
    // `h2c` is no WebSocket upgrade; `h2c` then `websocket`, or `websocket, h2c`, is one).
    let websocket = named("upgrade").next_back().is_some_and(|h| {
        h.value
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    });
    let mut keys = named("sec-websocket-key").peekable();
    !websocket || (keys.peek().is_some() && keys.all(|h| h.value.trim_ascii().len() == 24))
}

/// The request-target forms HAProxy forwards: a path (`/a`), anything that starts with `*`,
/// an absolute URI, anything for CONNECT; never a fragment (`#`). Any other target is read
/// as starting with an authority (`h/x` names `h`): with a `Host`, the two must name the same
/// (`GET a` with `Host: h` is refused), without one it passes as it came (measured against
/// HAProxy 2.6; docs/haproxy-semantics.md §8).
fn target_form_ok(method: &str, target: &str, host: Option<&[u8]>) -> bool {
    if target.contains('#') {
        return false;
    }
    if target.starts_with('/')
        || target.starts_with('*')
        || absolute(target).is_some()
        || method == "CONNECT"
    {
        return true;
    }
    let authority = target.split('/').next().unwrap_or(target);
    host.is_none_or(|h| h.eq_ignore_ascii_case(authority.as_bytes()))
}

/// An absolute-form target's scheme and the rest (`http`, `a/x` for `http://a/x`). A path
/// whose query holds a URL (`/login?next=http://b/`) is not one.
fn absolute(target: &str) -> Option<(&str, &str)> {
    // A scheme is a letter, then letters, digits, `+`, `-` or `.`, up to the `://`: the first
    // byte that is none of these must begin it. (No substring search: this runs for every
    // request, and nearly every target begins with `/`.)
    if !target.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let word = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
    let end = target.bytes().position(|b| !word(&b))?;
    let rest = target[end..].strip_prefix("://")?;
    Some((&target[..end], rest))
}

/// The path and query of a target, absolute or not.
fn origin_form(target: &str) -> &str {
    match absolute(target) {
        Some((_, rest)) => rest.find(['/', '?']).map_or("/", |i| &rest[i..]),
        None => target,
    }
}

fn write_upstream(
    req: &httparse::Request<'_, '_>,
    target: &str,
    version: Version,
    framed: &Framed,
    rewrite: &Rewrite<'_>,
    out: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    out.clear();
    out.reserve(512);
    out.extend_from_slice(req.method.unwrap_or("GET").as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(match version {
        Version::HTTP_10 => b" HTTP/1.0\r\n",
        _ => b" HTTP/1.1\r\n",
    });
    let mut wrote_length = false;
    let mut wrote_host = false;
    let mut cookie = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("host") && std::mem::replace(&mut wrote_host, true) {
            continue;
        }
        match rewrite.cookie {
            Some(rc) if h.name.eq_ignore_ascii_case("cookie") => {
                super::cookie::forward_cookie_line(h.name.as_bytes(), h.value, rc, &mut cookie, out)
            }
            _ => framed.forward(h, out, &mut wrote_length),
        }
    }
    if let Some((name, value)) = rewrite.unique_id {
        header_line(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if let Some((name, value)) = rewrite.forwarded_for {
        let has_own = rewrite.forwarded_if_none
            && req
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case(name.as_str()));
        if !has_own {
            header_line(out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    // Whether the server connection stays open is lbtop's to say. A chunked HTTP/1.0 request
    // closes its connection after the response, so it is not asked to stay open. A request
    // that asks for an upgrade is not told `close` either, as HAProxy leaves it (measured
    // with `http-server-close`; docs/haproxy-semantics.md §7).
    let chunked = framed.coding() != Coding::Absent;
    match (rewrite.server_close, version) {
        (true, Version::HTTP_11) if !framed.upgrade => {
            out.extend_from_slice(b"connection: close\r\n")
        }
        (false, Version::HTTP_10) if !chunked => {
            out.extend_from_slice(b"connection: keep-alive\r\n")
        }
        _ => {}
    }
    out.extend_from_slice(b"\r\n");
    cookie
}

/// The request line as HAProxy writes it in a log: `"`, `#` and bytes outside printable ASCII
/// as `#XX`.
fn log_escaped(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for b in line.bytes() {
        if b == b'"' || b == b'#' || !(0x20..0x7f).contains(&b) {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("#{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// `name: value\r\n`, the name lower-cased.
pub fn header_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testkit::for_mutations;

    fn head_with(text: &[u8], rewrite: &Rewrite<'_>) -> (Head, String) {
        let mut up = Vec::new();
        match parse(text, rewrite, &mut up) {
            Parsed::Complete(h) => (h, String::from_utf8(up).unwrap()),
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(text)),
        }
    }

    /// The scheme test reads as RFC 3986 words it: `split_once("://")` then a check of the
    /// word before, which the fast form must match on every shape.
    #[test]
    fn absolute_targets_are_told_as_by_the_plain_definition() {
        fn plain(target: &str) -> Option<(&str, &str)> {
            let (scheme, rest) = target.split_once("://")?;
            let starts = scheme.starts_with(|c: char| c.is_ascii_alphabetic());
            let word = scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            (starts && word).then_some((scheme, rest))
        }
        let parts = [
            "", "/", "h", "http", "a+b-c.d", "1x", ":", "://", ":/", "x/", "é", "?", "@",
        ];
        for a in parts {
            for b in parts {
                for c in parts {
                    let t = format!("{a}{b}{c}");
                    assert_eq!(absolute(&t), plain(&t), "{t:?}");
                }
            }
        }
    }

    fn head(text: &[u8]) -> Head {
        head_with(text, &Rewrite::default()).0
    }

    fn upstream(text: &[u8]) -> String {
        head_with(text, &Rewrite::default()).1
    }

    fn parsed(text: &[u8]) -> Parsed {
        parse(text, &Rewrite::default(), &mut Vec::new())
    }

    fn refused(text: &[u8]) -> Option<Refusal> {
        match parsed(text) {
            Parsed::Invalid(why) => Some(why),
            _ => None,
        }
    }

    #[test]
    fn complete_partial_and_invalid_heads() {
        let h = head(b"GET /a?b HTTP/1.1\r\nHost: a\r\n\r\nbody");
        assert_eq!(h.len, 30);
        assert!(h.keep_alive && h.idempotent);
        assert_eq!(h.framing, Framing::None);
        assert!(matches!(
            parsed(b"GET / HTTP/1.1\r\nhost: a\r\n"),
            Parsed::Partial
        ));
        for bad in [
            &b"\x16\x03\x01\x02\x00"[..],
            b"GET / HTTP/1.1\r\nbad header\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.2\r\n\r\n",
            b"GET / HTTP/1.1\r\nx: a\r\n b\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: 1, 2\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: -1\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: +5\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: 99999999999999999999\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked, gzip\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked, identity\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: ,\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET a:80 HTTP/1.1\r\nHost: b\r\n\r\n",
            b"GET /#f HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(
                refused(bad),
                Some(Refusal::Malformed),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            refused(b"POST / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n"),
            Some(Refusal::Coding)
        );
        assert!(refused(&vec![b'a'; MAX_HEAD + 1]).is_some());
        assert_eq!(
            refused(b"GET / HTTP/1.0\r\ncontent-length: 1\r\n\r\nx"),
            Some(Refusal::Payload)
        );
        assert!(matches!(
            parsed(b"POST / HTTP/1.0\r\ncontent-length: 1\r\n\r\nx"),
            Parsed::Complete(_)
        ));
    }

    #[test]
    fn size_and_count_limits_match_haproxy() {
        // HAProxy 2.6 takes 100 header lines and refuses 101.
        let lines = |n: usize| {
            let mut h = b"GET / HTTP/1.1\r\n".to_vec();
            for i in 0..n {
                h.extend_from_slice(format!("x-{i}: a\r\n").as_bytes());
            }
            h.extend_from_slice(b"\r\n");
            h
        };
        assert!(matches!(parsed(&lines(100)), Parsed::Complete(_)));
        assert!(refused(&lines(101)).is_some());
        // Lines HAProxy folds or owns are not counted; an unfinished head waits.
        let with = |n: usize, extra: &str| {
            let mut h = lines(n);
            h.truncate(h.len() - 2);
            h.extend_from_slice(extra.as_bytes());
            h.extend_from_slice(b"\r\n");
            h
        };
        for (n, extra) in [
            (100, "Connection: keep-alive\r\n"),
            (100, "Connection:\r\nConnection: close\r\n"),
            (99, "Host: a\r\nhost: A\r\n"),
            (99, "Content-Length: 0\r\nContent-Length: 0\r\n"),
        ] {
            assert!(
                matches!(parsed(&with(n, extra)), Parsed::Complete(_)),
                "{extra}"
            );
        }
        assert!(refused(&with(100, "Connection: close, x\r\n")).is_some());
        let unfinished = &lines(101)[..lines(101).len() - 2];
        assert!(matches!(parsed(unfinished), Parsed::Partial));
        // A WebSocket upgrade needs its key, as HAProxy checks it.
        let ws = |key: &str| {
            format!("GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n{key}\r\n")
        };
        assert!(refused(ws("").as_bytes()).is_some());
        assert!(refused(ws("Sec-WebSocket-Key: x\r\n").as_bytes()).is_some());
        let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        assert!(matches!(parsed(ws(key).as_bytes()), Parsed::Complete(_)));
        // A target that is not a path names an authority, which must match a Host.
        assert!(matches!(
            parsed(b"GET 0/x HTTP/1.1\r\n\r\n"),
            Parsed::Complete(_)
        ));
        assert!(refused(b"GET a HTTP/1.1\r\nHost: h\r\n\r\n").is_some());
        assert!(matches!(
            parsed(b"GET h/x HTTP/1.1\r\nHost: H\r\n\r\n"),
            Parsed::Complete(_)
        ));
        // A bad version is refused once the head has ended.
        assert!(matches!(
            parsed(b"GET / HTTP/1.10\r\nHost: a\r\n"),
            Parsed::Partial
        ));
        assert!(refused(b"GET / HTTP/1.10\r\nHost: a\r\n\r\n").is_some());
        // But a byte no version can hold is refused at once, as HAProxy's parser does.
        assert!(refused(b"GET c HTTPa1.1\r\n").is_some());
        assert!(refused(b"GET / http/1.1\r\nHost: a\r\n").is_some());
        assert!(matches!(
            parsed(b"\r\n\r\nGET / HTTP/01.1\r\n"),
            Parsed::Partial
        ));
        // 413 for an HTTP/1.0 DELETE with a body comes before 422 for its coding.
        assert_eq!(
            refused(b"DELETE / HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            Some(Refusal::Payload)
        );
        // One header padded to the largest head HAProxy took (15,277 bytes on the wire).
        let padded = |pad: usize| {
            let mut h = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
            h.extend(std::iter::repeat_n(b'a', pad));
            h.extend_from_slice(b"\r\n\r\n");
            h
        };
        assert!(matches!(parsed(&padded(15_250)), Parsed::Complete(_)));
        assert!(refused(&padded(15_251)).is_some());
    }

    #[test]
    fn framing_and_persistence() {
        let h = head(b"POST / HTTP/1.1\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(5));
        assert_eq!(h.content_length, 5);
        assert!(!h.idempotent);
        assert_eq!(
            head(b"POST / HTTP/1.1\r\ncontent-length: 5, 5\r\n\r\n").framing,
            Framing::Length(5)
        );
        // Both framings: chunked wins and the connection closes after the response.
        let h = head(b"POST / HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        assert!(!h.keep_alive);
        assert!(!head(b"GET / HTTP/1.1\r\nconnection: Close\r\n\r\n").keep_alive);
        assert!(!head(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(head(b"HEAD / HTTP/1.1\r\n\r\n").is_head);
    }

    #[test]
    fn the_server_gets_the_head_as_haproxy_forwards_it() {
        let name = HeaderName::from_static("x-forwarded-for");
        let value = HeaderValue::from_static("10.0.0.1");
        let hash = HeaderName::from_static("x-key");
        let rewrite = Rewrite {
            unique_id: None,
            forwarded_for: Some((&name, &value)),
            forwarded_if_none: false,
            server_close: true,
            hash_uri: true,
            hash_header: Some(&hash),
            request_line: true,
            cookie: None,
            stick: None,
            captures: None,
        };
        let (h, up) = head_with(
            b"POST /p?q=1 HTTP/1.0\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Key: k1\r\nKeep-Alive: 5\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
            &rewrite,
        );
        assert_eq!(
            up,
            "POST /p?q=1 HTTP/1.0\r\nhost: a\r\nconnection: X-Hop\r\nx-hop: 1\r\nx-key: k1\r\nkeep-alive: 5\r\ncontent-length: 2\r\nexpect: 100-continue\r\nx-forwarded-for: 10.0.0.1\r\n\r\n"
        );
        assert_eq!(h.request_line.as_deref(), Some("POST /p?q=1 HTTP/1.0"));
        assert_eq!(h.path.as_deref(), Some("/p"));
        assert_eq!(h.hash_value.as_deref(), Some(&b"k1"[..]));
        // `Connection` may name a framing header; the framing header stays.
        assert_eq!(
            upstream(b"POST / HTTP/1.1\r\nConnection: content-length, host\r\nHost: a\r\nContent-Length: 1\r\n\r\nA"),
            "POST / HTTP/1.1\r\nconnection: content-length, host\r\nhost: a\r\ncontent-length: 1\r\n\r\n"
        );
        assert_eq!(
            upstream(b"PUT / HTTP/1.1\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        assert_eq!(
            upstream(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\ncontent-length: 0\r\nHOST: A\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n"
        );
        assert_eq!(
            upstream(b"POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\ncontent-length: 1\r\n\r\nx"),
            "POST / HTTP/1.1\r\nconnection: upgrade\r\ncontent-length: 1\r\n\r\n"
        );
        assert_eq!(
            upstream(b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n"),
            "GET / HTTP/1.1\r\nconnection: upgrade\r\nupgrade: h2c\r\n\r\n"
        );
        assert_eq!(
            upstream(b"GET / HTTP/1.0\r\n\r\n"),
            "GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"
        );
        assert_eq!(
            upstream(b"POST  /l  HTTP/1.1\r\ncontent-length: 005\r\n\r\n"),
            "POST /l HTTP/1.1\r\ncontent-length: 005\r\n\r\n"
        );
        let h = head(
            b"POST / HTTP/1.0\r\nConnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, false));
        assert_eq!(
            upstream(b"GET http://a:80/x HTTP/1.1\r\nHost: a\r\n\r\n"),
            "GET http://a/x HTTP/1.1\r\nhost: a\r\n\r\n"
        );
    }

    /// Measured on HAProxy 2.6.12 (seed 19 of the differential run found both).
    #[test]
    fn hostless_absolute_targets_and_the_last_upgrade_header() {
        for target in ["http://", "http:///x", "http://u@/x"] {
            let text = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
            assert!(upstream(text.as_bytes()).starts_with(&format!("GET {target} ")));
        }
        assert!(refused(b"GET http://:80/ HTTP/1.1\r\nHost: h\r\n\r\n").is_some());
        let upgrade = |values: &[&str]| {
            let lines: String = values.iter().map(|v| format!("Upgrade: {v}\r\n")).collect();
            format!("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n{lines}\r\n")
        };
        // No key: refused only when the last `Upgrade` names websocket.
        assert!(refused(upgrade(&["websocket", "h2c"]).as_bytes()).is_none());
        assert!(refused(upgrade(&["h2c", "websocket"]).as_bytes()).is_some());
        assert!(refused(upgrade(&["websocket, h2c"]).as_bytes()).is_some());
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = b"POST http://x:80/a?b=c HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: keep-alive, x\r\ntransfer-encoding: chunked\r\n\r\nabc";
        let mut up = Vec::new();
        for_mutations(
            base,
            0x1234_5678,
            b"GET /:\r\n 0123456789,chunked",
            5000,
            |m| {
                if let Parsed::Complete(h) = parse(m, &Rewrite::default(), &mut up) {
                    assert!(h.len <= m.len());
                    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS + 2];
                    let again = httparse::Request::new(&mut headers).parse(&up);
                    assert!(matches!(again, Ok(httparse::Status::Complete(_))), "{up:?}");
                }
            },
        );
    }
}
