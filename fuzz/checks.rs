//! The invariants of lbtop's hand-written parsers, for any input at all.
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, which include this file with
//! `#[path = "../checks.rs"]`) and by the stable replay test `tests/fuzz_seeds.rs` (with
//! `#[path = "../fuzz/checks.rs"]`), so every input kept under `fuzz/seeds/<target>/`,
//! crash reproducers included, is checked by `cargo test` too. Each function takes the raw
//! input, runs one parser on it and panics when a property that must always hold does not.
//! Errors from the parsers are fine; panics, hangs and unbounded memory are bugs.
//!
//! The properties are checked against a second, independent reading of the input (httparse
//! directly, a re-parse of what lbtop writes, the same input fed in pieces), not against
//! lbtop's own helpers.

use hyper::header::{HeaderName, HeaderValue};
use hyper::Version;
use lbtop::config::{Capture, Captures, Config, Mode, Options, Timeouts};
use lbtop::dns::{self, Answer};
use lbtop::engine::h1::chunked::Decoder;
use lbtop::engine::h1::head::{
    self, many_headers, Framing, Refusal, Rewrite, MAX_HEAD, MAX_HEADERS,
};
use lbtop::engine::h1::response::{self, Asked, Body};
use lbtop::engine::l4::client_hello::{self, Hello};
use lbtop::engine::proxy_proto;
use std::path::Path;

/// Every fuzz target, by the name of its folder under `fuzz/seeds/`.
pub const TARGETS: [&str; 8] = [
    "client_hello",
    "dns_answer",
    "h1_request_head",
    "h1_chunked",
    "h1_response_head",
    "config_toml",
    "config_haproxy",
    "proxy_proto",
];

/// Runs the checks of `target` on `data`.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "h1_request_head" => h1_request_head(data),
        "h1_chunked" => h1_chunked(data),
        "h1_response_head" => h1_response_head(data),
        "config_toml" => config_toml(data),
        "config_haproxy" => config_haproxy(data),
        "dns_answer" => dns_answer(data),
        "proxy_proto" => proxy_proto(data),
        "client_hello" => client_hello(data),
        _ => panic!("no fuzz target {target:?}"),
    }
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// A split point in `0..=len` taken from the input's bytes, so libFuzzer can steer it.
fn cut_of(data: &[u8], len: usize) -> usize {
    let h = data.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    h as usize % (len + 1)
}

// ---------------------------------------------------------------------------------------
// What the HTTP/1 heads share.

/// A header as compared here: the name lower-cased, the value as httparse reads it.
type Line = (String, Vec<u8>);

fn line(h: &httparse::Header<'_>) -> Line {
    (h.name.to_ascii_lowercase(), h.value.to_vec())
}

fn is(h: &httparse::Header<'_>, name: &str) -> bool {
    h.name.eq_ignore_ascii_case(name)
}

/// The non-empty, trimmed, comma-separated items of every header called `name`.
fn items<'a>(headers: &[httparse::Header<'a>], name: &str) -> Vec<&'a [u8]> {
    headers
        .iter()
        .filter(|h| is(h, name))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
        .collect()
}

/// The `Connection` tokens as HAProxy reads them: a comma inside a quoted string (with
/// `\x` pairs) does not split, and an unclosed quote runs to the end of the value
/// (measured on 2.6.12: `",,close` and `"a\",close` keep the connection, `"a",close` closes).
fn connection_tokens<'a>(headers: &[httparse::Header<'a>]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for h in headers.iter().filter(|h| is(h, "connection")) {
        let (mut start, mut quoted, mut pair) = (0, false, false);
        for (i, &b) in h.value.iter().enumerate() {
            match b {
                _ if pair => pair = false,
                b'\\' if quoted => pair = true,
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    out.push(h.value[start..i].trim_ascii());
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(h.value[start..].trim_ascii());
    }
    out.retain(|t| !t.is_empty());
    out
}

fn is_persistence(token: &[u8]) -> bool {
    token.eq_ignore_ascii_case(b"close") || token.eq_ignore_ascii_case(b"keep-alive")
}

/// What the headers of a message say about its framing and persistence, read straight from
/// httparse's headers (RFC 9112 §6.1–6.3), not through lbtop's `Framed`.
#[derive(Debug)]
struct Framing1 {
    /// Every `Content-Length` item, parsed (`None` for one that is not a plain number).
    lengths: Vec<Option<u64>>,
    /// The `Transfer-Encoding` tokens, in order; `None` when there is no such header.
    codings: Option<Vec<Vec<u8>>>,
    close: bool,
    keep_alive: bool,
}

impl Framing1 {
    fn read(headers: &[httparse::Header<'_>]) -> Framing1 {
        let lengths = headers
            .iter()
            .filter(|h| is(h, "content-length"))
            .flat_map(|h| h.value.split(|&b| b == b','))
            .map(|item| {
                let item = item.trim_ascii();
                let digits = !item.is_empty() && item.iter().all(u8::is_ascii_digit);
                digits.then(|| std::str::from_utf8(item).ok()?.parse().ok())?
            })
            .collect();
        // Every item counts, an empty one too (`,chunked` is a coding before chunked), but
        // empty items at the end of a header are dropped (HAProxy takes `chunked,`).
        let codings = headers.iter().any(|h| is(h, "transfer-encoding")).then(|| {
            headers
                .iter()
                .filter(|h| is(h, "transfer-encoding"))
                .flat_map(|h| {
                    let mut value = h.value.trim_ascii();
                    while let Some(rest) = value.strip_suffix(b",") {
                        value = rest.trim_ascii();
                    }
                    value.split(|&b| b == b',')
                })
                .map(|t| t.trim_ascii().to_vec())
                .collect()
        });
        let connection = connection_tokens(headers);
        Framing1 {
            lengths,
            codings,
            close: connection.iter().any(|t| t.eq_ignore_ascii_case(b"close")),
            keep_alive: connection
                .iter()
                .any(|t| t.eq_ignore_ascii_case(b"keep-alive")),
        }
    }

    /// One length, however often it is said.
    fn length(&self) -> Option<u64> {
        self.lengths.first().copied().flatten()
    }

    /// `chunked` alone.
    fn chunked(&self) -> bool {
        self.codings
            .as_ref()
            .is_some_and(|c| c.len() == 1 && c[0].eq_ignore_ascii_case(b"chunked"))
    }

    /// Other codings, then `chunked`.
    fn layered(&self) -> bool {
        self.codings.as_ref().is_some_and(|c| {
            c.len() > 1
                && c.last().is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"))
                && c.iter()
                    .filter(|t| t.eq_ignore_ascii_case(b"chunked"))
                    .count()
                    == 1
        })
    }

    /// Both a length and a transfer coding (RFC 9112 §6.1: the connection closes after).
    fn both(&self) -> bool {
        !self.lengths.is_empty() && self.codings.is_some()
    }

    /// Lengths that disagree or are not numbers: a message nobody can frame.
    fn bad_length(&self) -> bool {
        self.lengths
            .iter()
            .any(|l| l.is_none() || *l != self.lengths[0])
    }
}

/// Checks the headers lbtop wrote (`theirs`, its own last `Connection` line already taken
/// off) against the ones it read (`ours`), as head.rs and response.rs promise to forward
/// them: names lower-cased; at most one `Content-Length`, holding the length, and only
/// without chunked; `Connection` lines without `close` and `keep-alive` (the remaining
/// tokens in order, a line left empty dropped); `Host` once in a request (`fold_host`);
/// no framing header at all for a message without a body (`no_body`: 1xx, 204);
/// everything else as it came.
fn assert_forwarded(
    ours: &[httparse::Header<'_>],
    theirs: &[httparse::Header<'_>],
    framing: &Framing1,
    fold_host: bool,
    no_body: bool,
    ctx: &str,
) {
    for h in theirs {
        assert!(
            !h.name.bytes().any(|b| b.is_ascii_uppercase()),
            "{ctx}: {} is not lower-cased",
            h.name
        );
    }
    let lengths: Vec<&httparse::Header<'_>> = theirs
        .iter()
        .filter(|h| h.name == "content-length")
        .collect();
    let chunked = framing.chunked() || framing.layered();
    match framing.length() {
        Some(n) if !chunked && !no_body => {
            assert_eq!(lengths.len(), 1, "{ctx}: one content-length");
            let value = std::str::from_utf8(lengths[0].value).ok();
            assert_eq!(value.and_then(|v| v.parse().ok()), Some(n), "{ctx}");
        }
        _ => assert!(lengths.is_empty(), "{ctx}: content-length {lengths:?}"),
    }
    if no_body {
        assert!(
            !theirs.iter().any(|h| h.name == "transfer-encoding"),
            "{ctx}: transfer-encoding without a body"
        );
    }
    let tokens = |hs: &[httparse::Header<'_>]| -> Vec<Vec<u8>> {
        items(hs, "connection")
            .into_iter()
            .filter(|t| !is_persistence(t))
            .map(<[u8]>::to_vec)
            .collect()
    };
    assert_eq!(tokens(ours), tokens(theirs), "{ctx}: connection tokens");
    // A quoted string may hold a comma and `close` that are not a token (HAProxy reads
    // them so too); `items` splits at every comma, so only unquoted values are counted.
    if !items(theirs, "connection")
        .iter()
        .any(|t| t.contains(&b'"'))
    {
        assert_eq!(
            tokens(theirs).len(),
            items(theirs, "connection").len(),
            "{ctx}: close or keep-alive forwarded"
        );
    }
    let te: Vec<&[u8]> = theirs
        .iter()
        .filter(|h| is(h, "te"))
        .map(|h| h.value)
        .collect();
    assert!(
        te.len() <= ours.iter().filter(|h| is(h, "te")).count()
            && te.iter().all(|v| *v == b"trailers"),
        "{ctx}: te forwarded as {te:?}"
    );
    let others = |hs: &[httparse::Header<'_>], fold_host: bool| -> Vec<Line> {
        let mut host = false;
        hs.iter()
            .filter(|h| !is(h, "content-length") && !is(h, "connection"))
            .filter(|h| !(no_body && is(h, "transfer-encoding")))
            // A request's `Upgrade` is dropped when it has a body.
            .filter(|h| !is(h, "upgrade"))
            // `TE` goes on only as `te: trailers` (checked below), as HAProxy sends it.
            .filter(|h| !is(h, "te"))
            .filter(|h| !(fold_host && is(h, "host") && std::mem::replace(&mut host, true)))
            .map(line)
            .collect()
    };
    assert_eq!(
        others(ours, fold_host),
        others(theirs, false),
        "{ctx}: other headers"
    );
}

/// The bytes libFuzzer gave, shown as text.
fn ctx_of(data: &[u8], len: usize) -> String {
    show(&data[..len.min(data.len())])
}

// ---------------------------------------------------------------------------------------
// HTTP/1 request heads.

fn kind(p: &head::Parsed) -> String {
    match p {
        head::Parsed::Complete(_) => "Complete".into(),
        head::Parsed::Partial => "Partial".into(),
        head::Parsed::Invalid(why) => format!("Invalid({why:?})"),
    }
}

/// How head.rs has httparse read a request line: several spaces between its parts, as
/// HAProxy takes them.
fn request_config() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config.allow_multiple_spaces_in_request_line_delimiters(true);
    config
}

/// The scheme and the rest of an absolute-form target (RFC 9112 §3.2.2: `scheme://...`, the
/// scheme a letter then letters, digits, `+`, `-` or `.`, RFC 3986 §3.1); an origin-form one
/// starts with `/`, whatever its query holds (`/a?next=http://b`).
fn absolute(target: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = target.split_once("://")?;
    let mut chars = scheme.chars();
    let letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let word = chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    (letter && word).then_some((scheme, rest))
}

/// The path of a target as the server gets it: an absolute target loses the default port of
/// its scheme (`http://a:80/x` → `http://a/x`), as HAProxy normalises it.
fn normalised_target(target: &str) -> String {
    let Some((scheme, rest)) = absolute(target) else {
        return target.to_string();
    };
    let port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return target.to_string(),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].strip_suffix(port) {
        Some(short) => format!("{scheme}://{short}{}", &rest[end..]),
        None => target.to_string(),
    }
}

/// `head::parse` with `Rewrite::default()` (and again with every rewrite option on):
/// - a complete head is no longer than the input nor `MAX_HEAD`, and every shorter prefix of
///   it is `Partial` (a head split across reads is waited for, never refused);
/// - it frames the body as RFC 9112 §6.3 says (a length said once or repeated alike, or
///   `chunked` alone), `keep_alive` follows the version, `Connection` and §6.1's close
///   after both framings (or chunked HTTP/1.0); `Invalid(Coding)` only for `…, chunked`;
/// - what is written for the server is a valid request (httparse) with the same method,
///   version and target (less a default port), lower-cased names, exactly one framing, no
///   `close`/`keep-alive` token but lbtop's own last line, `Host` once, every other header
///   as it came; lbtop reads it back as the same request and writes the same bytes;
/// - the full rewrite adds exactly its lines and keeps the outcome;
/// - an origin-form target (`/path?query`) is accepted or refused as `/` would be, and a
///   target with a fragment is refused.
pub fn h1_request_head(data: &[u8]) {
    let mut upstream = Vec::new();
    let parsed = head::parse(data, &Rewrite::default(), &mut upstream);
    check_origin_form(data, &kind(&parsed));
    let h = match parsed {
        head::Parsed::Complete(h) => h,
        head::Parsed::Partial => {
            assert!(data.len() < MAX_HEAD, "Partial at {} bytes", data.len());
            check_full_rewrite(data, &parsed, None);
            return;
        }
        head::Parsed::Invalid(why) => {
            if why == Refusal::Coding {
                let mut headers = many_headers();
                let mut req = httparse::Request::new(&mut headers);
                let parsed = request_config().parse_request(&mut req, data);
                assert!(matches!(parsed, Ok(httparse::Status::Complete(_))));
                let framing = Framing1::read(req.headers);
                assert!(framing.layered(), "{}: 422 for {framing:?}", show(data));
            }
            check_full_rewrite(data, &parsed, None);
            return;
        }
    };
    let ctx = ctx_of(data, h.len);
    assert!(
        h.len <= data.len() && h.len <= MAX_HEAD,
        "{ctx}: len {} of {}",
        h.len,
        data.len()
    );
    let last = h.len.saturating_sub(1);
    for cut in [last, cut_of(data, last)] {
        let p = head::parse(&data[..cut], &Rewrite::default(), &mut Vec::new());
        assert!(
            matches!(p, head::Parsed::Partial),
            "{ctx}: its first {cut} bytes are {}, not Partial",
            kind(&p)
        );
    }

    // The client's head, read by httparse alone.
    let mut client_headers = many_headers();
    let mut client = httparse::Request::new(&mut client_headers);
    assert_eq!(
        request_config().parse_request(&mut client, data).ok(),
        Some(httparse::Status::Complete(h.len)),
        "{ctx}"
    );
    let version = match client.version {
        Some(0) => Version::HTTP_10,
        Some(1) => Version::HTTP_11,
        other => panic!("{ctx}: accepted HTTP/1.{other:?}"),
    };
    let (method, target) = (client.method.unwrap_or(""), client.path.unwrap_or(""));
    assert_eq!(h.version, version, "{ctx}");
    assert_eq!(h.is_head, method == "HEAD", "{ctx}");
    assert_eq!(
        h.idempotent,
        matches!(
            method,
            "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
        ),
        "{ctx}"
    );
    let framing = Framing1::read(client.headers);
    assert!(!framing.bad_length(), "{ctx}: accepted {framing:?}");
    assert!(
        framing.codings.is_none() || framing.chunked(),
        "{ctx}: accepted {framing:?}"
    );
    let want = match (framing.chunked(), framing.length()) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) if n > 0 => Framing::Length(n),
        _ => Framing::None,
    };
    assert_eq!(h.framing, want, "{ctx}");
    let n = match want {
        Framing::Length(n) => n,
        _ => 0,
    };
    assert_eq!(h.content_length, n, "{ctx}");
    // Both framings, or a chunked HTTP/1.0 request, close the connection after it.
    let closes = framing.both() || (version == Version::HTTP_10 && want == Framing::Chunked);
    let keep_alive = !closes
        && match version {
            Version::HTTP_11 => !framing.close,
            // `close` wins over `keep-alive` (RFC 9112 §9.3).
            _ => framing.keep_alive && !framing.close,
        };
    assert_eq!(h.keep_alive, keep_alive, "{ctx}");
    let hosts: Vec<&[u8]> = client
        .headers
        .iter()
        .filter(|h| is(h, "host"))
        .map(|h| h.value)
        .collect();
    assert!(
        hosts.iter().all(|v| v.eq_ignore_ascii_case(hosts[0])),
        "{ctx}: accepted different hosts"
    );

    // The server's head, read by httparse alone.
    let up = show(&upstream);
    let ctx = format!("{ctx} -> {up}");
    let mut server_headers = many_headers();
    let mut server = httparse::Request::new(&mut server_headers);
    match server.parse(&upstream) {
        Ok(httparse::Status::Complete(n)) => assert_eq!(n, upstream.len(), "{ctx}"),
        other => panic!("{ctx}: httparse says {other:?}"),
    }
    assert_eq!(server.version, client.version, "{ctx}");
    assert_eq!(server.method, client.method, "{ctx}");
    assert_eq!(
        server.path,
        Some(normalised_target(target).as_str()),
        "{ctx}"
    );
    let mut theirs = server.headers.to_vec();
    // An HTTP/1.0 request asks the server to keep the connection, unless it is chunked.
    if version == Version::HTTP_10 && h.framing != Framing::Chunked {
        let own = theirs.pop();
        assert!(
            own.is_some_and(|c| c.name == "connection" && c.value == b"keep-alive"),
            "{ctx}: no connection: keep-alive last"
        );
    }
    assert_forwarded(client.headers, &theirs, &framing, true, false, &ctx);

    // What lbtop wrote, read by lbtop again, is the same request and the same bytes (where
    // lbtop's own line does not take it past its header count limit). Not when the target
    // still ends in its scheme's default port (`http://:80:80` forwarded as `http://:80`):
    // each hop drops one, as HAProxy does (measured: HAProxy forwards the same).
    let default_port_left = {
        let target = up.split(' ').nth(1).unwrap_or("");
        let (scheme, rest) = target.split_once("://").unwrap_or(("", ""));
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        match scheme.to_ascii_lowercase().as_str() {
            "http" => authority.ends_with(":80"),
            "https" => authority.ends_with(":443"),
            _ => false,
        }
    };
    if upstream.len() <= 8 * 1024 && client.headers.len() < MAX_HEADERS && !default_port_left {
        let mut again = Vec::new();
        match head::parse(&upstream, &Rewrite::default(), &mut again) {
            head::Parsed::Complete(h2) => {
                assert_eq!(h2.len, upstream.len(), "{ctx}");
                assert_eq!(
                    (h2.framing, h2.content_length, h2.version, h2.is_head),
                    (h.framing, h.content_length, h.version, h.is_head),
                    "{ctx}"
                );
                // Blanks that end a `Connection` value kept up to a removed comma stay, as
                // HAProxy leaves them (measured: `a   ,   keep-alive` goes on as `a   `);
                // read again, a value has none. The rest must come back the same.
                let trimmed = |t: &str| {
                    t.replace(" \\r\\n", "\\r\\n")
                        .replace("\\t\\r\\n", "\\r\\n")
                };
                let settle = |t: &str| {
                    let mut t = t.to_string();
                    while trimmed(&t) != t {
                        t = trimmed(&t);
                    }
                    t
                };
                assert_eq!(
                    settle(&show(&again)),
                    settle(&up),
                    "{ctx}: the rewrite is not idempotent"
                );
            }
            p => panic!("{ctx}: lbtop reads its own rewrite as {}", kind(&p)),
        }
    }
    check_full_rewrite(data, &head::Parsed::Complete(h), Some(&upstream));
}

/// Undoes HAProxy's log escaping: `#XX` is the byte XX; every `#` starts one.
fn log_unescaped(line: &str) -> Vec<u8> {
    let b = line.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'#', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// lbtop reads a target only to match an absolute one (`http://host/...`) with `Host` and to
/// refuse a fragment (`#`), so a complete head whose target is origin-form (`/path?query`,
/// whatever the query holds) has the outcome it would have with `/` instead (far from the
/// size limits), and one with a fragment is refused.
fn check_origin_form(data: &[u8], outcome: &str) {
    if data.len() > 8 * 1024 {
        return;
    }
    let mut headers = many_headers();
    let mut req = httparse::Request::new(&mut headers);
    let Ok(httparse::Status::Complete(_)) = request_config().parse_request(&mut req, data) else {
        return;
    };
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return;
    };
    // A fragment is never part of a request-target (RFC 9112 §3.2); HAProxy refuses it.
    if target.contains('#') {
        assert_eq!(outcome, "Invalid(Malformed)", "{}: a fragment", show(data));
        return;
    }
    if !target.starts_with('/') || target == "/" {
        return;
    }
    let needle = format!(" {target} ");
    let Some(at) = data
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
    else {
        return;
    };
    let Some(eol) = data[at..].iter().position(|&b| b == b'\n') else {
        return;
    };
    let mut root = format!("{method} / HTTP/1.{minor}\r\n").into_bytes();
    root.extend_from_slice(&data[at + eol + 1..]);
    let p = head::parse(&root, &Rewrite::default(), &mut Vec::new());
    assert_eq!(
        kind(&p),
        outcome,
        "{}: the target {target:?} changes the outcome ({} with /)",
        show(data),
        kind(&p)
    );
}

/// The same head with every rewrite option on: the same outcome, and exactly the added lines.
fn check_full_rewrite(data: &[u8], plain: &head::Parsed, plain_upstream: Option<&[u8]>) {
    let xff = HeaderName::from_static("x-forwarded-for");
    let addr = HeaderValue::from_static("192.0.2.7");
    let key = HeaderName::from_static("x-key");
    let caps = every_capture();
    let rewrite = Rewrite {
        unique_id: None,
        forwarded_for: Some((&xff, &addr)),
        forwarded_if_none: false,
        server_close: true,
        hash_uri: true,
        hash_header: Some(&key),
        request_line: true,
        cookie: None,
        stick: None,
        captures: Some(&caps),
    };
    let mut upstream = Vec::new();
    let p = head::parse(data, &rewrite, &mut upstream);
    assert_eq!(
        kind(&p),
        kind(plain),
        "{}: the rewrite changes the outcome",
        show(data)
    );
    let (head::Parsed::Complete(h), head::Parsed::Complete(plain), Some(plain_upstream)) =
        (p, plain, plain_upstream)
    else {
        return;
    };
    let ctx = ctx_of(data, h.len);
    assert_eq!(
        (h.len, h.framing, h.keep_alive, h.content_length),
        (
            plain.len,
            plain.framing,
            plain.keep_alive,
            plain.content_length
        ),
        "{ctx}"
    );
    let mut expected = plain_upstream[..plain_upstream.len() - 2].to_vec();
    if plain.version == Version::HTTP_10 && plain.framing != Framing::Chunked {
        expected.truncate(expected.len() - b"connection: keep-alive\r\n".len());
    }
    expected.extend_from_slice(b"x-forwarded-for: 192.0.2.7\r\n");
    if plain.version == Version::HTTP_11 {
        expected.extend_from_slice(b"connection: close\r\n");
    }
    expected.extend_from_slice(b"\r\n");
    assert_eq!(show(&upstream), show(&expected), "{ctx}");

    let mut headers = many_headers();
    let mut client = httparse::Request::new(&mut headers);
    let _ = request_config().parse_request(&mut client, data);
    let (method, target) = (client.method.unwrap_or(""), client.path.unwrap_or(""));
    let target = normalised_target(target);
    // The request line is kept for the log, escaped as HAProxy escapes it (`#XX` for `"`, `#`
    // and bytes outside printable ASCII): printable, and losslessly the line as it came.
    let logged = h.request_line.as_deref().unwrap_or_default();
    assert!(
        logged
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"'),
        "{ctx}: request line {logged:?}"
    );
    assert_eq!(
        show(&log_unescaped(logged)),
        show(format!("{method} {target} {:?}", plain.version).as_bytes()),
        "{ctx}: request line {logged:?}"
    );
    let origin = match absolute(&target) {
        Some((_, rest)) => rest.find(['/', '?']).map_or("/", |i| &rest[i..]),
        None => &target,
    };
    assert_eq!(h.path.as_deref(), origin.split('?').next(), "{ctx}");
    let want = client
        .headers
        .iter()
        .find(|h| is(h, "x-key"))
        .map(|h| h.value.to_vec());
    assert_eq!(h.hash_value, want, "{ctx}");
}

// ---------------------------------------------------------------------------------------
// Chunked bodies.

#[derive(Debug, PartialEq)]
struct Decoded {
    /// The chunk data handed out (up to the error, if any).
    data: Vec<u8>,
    /// `Ok(bytes used)` or the error.
    used: Result<usize, ()>,
    done: bool,
    /// The last chunk and trailers as `encode_end` writes them, once done.
    end: Vec<u8>,
}

/// Feeds `body` to one decoder in the pieces that end at `ends` (ascending, the last being
/// `body.len()`), as reads from a socket would bring it, stopping where the body ends.
fn decode_pieces(body: &[u8], ends: impl IntoIterator<Item = usize>) -> Decoded {
    let mut d = Decoder::default();
    let mut data = Vec::new();
    let mut at = 0;
    for end in ends {
        let piece = &body[at..end];
        match d.decode(piece, |s| data.extend_from_slice(s)) {
            Err(_) => {
                return Decoded {
                    data,
                    used: Err(()),
                    done: d.is_done(),
                    end: Vec::new(),
                }
            }
            Ok(used) => {
                assert!(used <= piece.len(), "used {used} of {}", piece.len());
                at += used;
                if used < piece.len() {
                    assert!(d.is_done(), "stopped early without being done");
                    break;
                }
            }
        }
    }
    let mut end = Vec::new();
    if d.is_done() {
        d.encode_end(&mut end);
    }
    Decoded {
        data,
        used: Ok(at),
        done: d.is_done(),
        end,
    }
}

/// `chunked::Decoder`: the first two bytes pick a split point, the rest is the body. The
/// body fed whole, split in two there, and one byte at a time gives the same data, the same
/// count used, the same done state and the same error; `finds_error` foresees exactly the
/// error that decoding finds (also from the state reached at the split); a body decoded to
/// its end and encoded again (`encode_chunk` + `encode_end`) decodes to the same data and
/// trailers.
pub fn h1_chunked(data: &[u8]) {
    let (seed, body) = data.split_at(data.len().min(2));
    let seed = seed
        .iter()
        .rev()
        .fold(0usize, |n, &b| n << 8 | usize::from(b));
    let cut = seed % (body.len() + 1);
    let ctx = format!("{} split at {cut}", show(body));

    let whole = decode_pieces(body, [body.len()]);
    if let Ok(used) = whole.used {
        assert!(whole.data.len() <= used, "{ctx}: more data than input");
        assert!(whole.done || used == body.len(), "{ctx}: {whole:?}");
    }
    let split = decode_pieces(body, [cut, body.len()]);
    assert_eq!(whole, split, "{ctx}: whole vs split");
    if body.len() <= 4096 {
        let bytes = decode_pieces(body, 1..=body.len());
        assert_eq!(whole, bytes, "{ctx}: whole vs byte by byte");
    }

    assert_eq!(
        Decoder::default().finds_error(body),
        whole.used.is_err(),
        "{ctx}: finds_error on the whole body"
    );
    let mut d = Decoder::default();
    if let Ok(used) = d.decode(&body[..cut], |_| {}) {
        if used == cut && !d.is_done() {
            let rest = d.clone().decode(&body[cut..], |_| {}).is_err();
            assert_eq!(
                d.finds_error(&body[cut..]),
                rest,
                "{ctx}: finds_error after the split"
            );
        }
    }

    if whole.done {
        let mut again = Vec::new();
        Decoder::encode_chunk(&mut again, &whole.data);
        again.extend_from_slice(&whole.end);
        let back = decode_pieces(&again, [again.len()]);
        assert_eq!(
            (&back.data, back.used, back.done, &back.end),
            (&whole.data, Ok(again.len()), true, &whole.end),
            "{ctx}: re-encoded as {}",
            show(&again)
        );
    }
}

// ---------------------------------------------------------------------------------------
// HTTP/1 response heads.

/// Captures of the headers that frame a message, and a cookie.
fn every_capture() -> Captures {
    let c = |name: &str, len| Capture {
        name: name.into(),
        len,
    };
    Captures {
        request: vec![c("host", 64), c("content-length", 3), c("cookie", 0)],
        response: vec![c("transfer-encoding", 8), c("set-cookie", 100)],
        cookie: Some(c("a", 4)),
    }
}

/// Every `Asked`: both versions, keep-alive or not, HEAD or not.
fn every_asked() -> impl Iterator<Item = Asked<'static>> {
    [Version::HTTP_10, Version::HTTP_11]
        .into_iter()
        .flat_map(|version| {
            [false, true].into_iter().flat_map(move |keep_alive| {
                [false, true].into_iter().map(move |is_head| Asked {
                    version,
                    keep_alive,
                    is_head,
                    upgrade: false,
                    cookie: None,
                    compress: None,
                })
            })
        })
}

/// A response head's outcome as comparable values: what it is, its length and status.
type Outcome = (&'static str, usize, u16);

fn outcome(p: &response::Parsed) -> Outcome {
    match p {
        response::Parsed::Complete(r) => ("Complete", r.len, r.status),
        response::Parsed::Interim { len, .. } => ("Interim", *len, 0),
        response::Parsed::Partial => ("Partial", 0, 0),
        response::Parsed::Invalid => ("Invalid", 0, 0),
        response::Parsed::Refused { .. } => ("Refused", 0, 101),
    }
}

/// `response::parse`, with each `Asked`:
/// - what it is (complete, interim, partial, invalid), its length and status, and the head
///   written (less lbtop's own `Connection` line) do not depend on what the client asked;
///   `Partial` and `Invalid` write nothing;
/// - a head is no longer than the input nor `MAX_HEAD`, and every shorter prefix is `Partial`;
///   a `101` is refused (no upgrade was asked: see `check_upgrade`), broken codings and
///   disagreeing lengths are invalid, other `1xx` interim;
/// - the client's head is a valid response (httparse) in the server's version, with its
///   status and reason, forwarded as head.rs forwards a request (see `assert_forwarded`),
///   then lbtop's `Connection` line for `client_keeps` (HAProxy's wording: `close` where
///   HTTP/1.1 would persist, `keep-alive` where either side is HTTP/1.0);
/// - `body`, `client_keeps` and `server_keeps` follow RFC 9112 §6.1–6.3, and `log_bytes`
///   counts what HAProxy counts: 21 + version + code + reason, then each name and value.
pub fn h1_response_head(data: &[u8]) {
    let mut first: Option<(Outcome, Vec<u8>)> = None;
    let caps = every_capture();
    for asked in every_asked() {
        let mut out = Vec::new();
        // Captures read the same pass and change nothing of what is written.
        let parsed = response::parse_capturing(data, asked, &mut out, Some(&caps));
        let o = outcome(&parsed);
        let ctx = format!("{} asked {asked:?}", ctx_of(data, o.1.max(1)));
        let head = match parsed {
            response::Parsed::Partial
            | response::Parsed::Invalid
            | response::Parsed::Refused { .. } => {
                assert!(out.is_empty(), "{ctx}: {o:?} wrote {}", show(&out));
                if o.0 == "Partial" {
                    assert!(data.len() < MAX_HEAD, "{ctx}");
                }
                Vec::new()
            }
            response::Parsed::Interim { len, log_bytes } => {
                check_response_head(data, len, &out, asked.version, None, log_bytes, &ctx)
            }
            response::Parsed::Complete(r) => {
                let head = check_response_head(
                    data,
                    r.len,
                    &out,
                    asked.version,
                    Some(&r),
                    r.log_bytes,
                    &ctx,
                );
                check_response(data, asked, &r, &out, &ctx);
                head
            }
        };
        let (o1, head1) = first.get_or_insert((o, head.clone()));
        assert_eq!(*o1, o, "{ctx}: the outcome depends on Asked");
        assert_eq!(show(head1), show(&head), "{ctx}: the head depends on Asked");
        check_upgrade(data, asked, o, &ctx);
    }
}

/// The same head to a request that asked for an upgrade: only a `101` that was refused
/// without one may change, into a tunnel that keeps neither connection, with a head that is
/// a valid `101` response.
fn check_upgrade(data: &[u8], asked: Asked, plain: Outcome, ctx: &str) {
    let mut out = Vec::new();
    let asked = Asked {
        upgrade: true,
        ..asked
    };
    match response::parse(data, asked, &mut out) {
        response::Parsed::Complete(r) if r.body == Body::Tunnel => {
            assert_eq!(plain, ("Refused", 0, 101), "{ctx}: tunnel");
            assert!(!r.client_keeps && !r.server_keeps, "{ctx}");
            let mut headers = many_headers();
            let mut client = httparse::Response::new(&mut headers);
            let parsed = client.parse(&out);
            assert_eq!(
                parsed.ok(),
                Some(httparse::Status::Complete(out.len())),
                "{ctx}"
            );
            assert_eq!((client.code, client.version), (Some(101), Some(1)), "{ctx}");
        }
        other if plain.0 != "Refused" => assert_eq!(outcome(&other), plain, "{ctx}"),
        _ => {}
    }
}

/// Checks a head written for the client; returns it less lbtop's own last `Connection` line.
fn check_response_head(
    data: &[u8],
    len: usize,
    out: &[u8],
    asked: Version,
    r: Option<&response::Response>,
    log_bytes: u64,
    ctx: &str,
) -> Vec<u8> {
    assert!(
        len <= data.len() && len <= MAX_HEAD,
        "{ctx}: len {len} of {}",
        data.len()
    );
    let last = len.saturating_sub(1);
    for cut in [last, cut_of(data, last)] {
        let mut none = Vec::new();
        let p = response::parse(&data[..cut], every_asked().next().unwrap(), &mut none);
        assert_eq!(outcome(&p).0, "Partial", "{ctx}: its first {cut} bytes");
    }
    let mut server_headers = many_headers();
    let mut server = httparse::Response::new(&mut server_headers);
    assert_eq!(
        server.parse(data).ok(),
        Some(httparse::Status::Complete(len)),
        "{ctx}"
    );
    let status = server.code.unwrap_or(0);
    assert!(status != 101, "{ctx}: 101 accepted");
    assert_eq!(
        r.is_none(),
        (100..200).contains(&status),
        "{ctx}: status {status}"
    );
    let framing = Framing1::read(server.headers);
    assert!(!framing.bad_length(), "{ctx}: accepted {framing:?}");
    assert!(
        framing.codings.is_none() || framing.chunked() || framing.layered(),
        "{ctx}: accepted {framing:?}"
    );

    let ctx = format!("{ctx} -> {}", show(out));
    let mut client_headers = many_headers();
    let mut client = httparse::Response::new(&mut client_headers);
    match client.parse(out) {
        Ok(httparse::Status::Complete(n)) => assert_eq!(n, out.len(), "{ctx}"),
        other => panic!("{ctx}: httparse says {other:?}"),
    }
    assert_eq!(client.version, server.version, "{ctx}");
    assert_eq!(client.code, server.code, "{ctx}");
    let reason = server.reason.unwrap_or("");
    assert_eq!(client.reason.unwrap_or(""), reason, "{ctx}");
    let mut theirs = client.headers.to_vec();
    let mut head_len = out.len();
    if let Some(r) = r {
        // HTTP/1.1 persists by default, HTTP/1.0 closes: lbtop says what differs from the
        // default of the response's version, and `keep-alive` to an HTTP/1.0 client too.
        let old = asked == Version::HTTP_10 || server.version == Some(0);
        let own: Option<&[u8]> = match (r.client_keeps, server.version) {
            (false, Some(0)) => None,
            (false, _) => Some(b"close"),
            (true, _) if old => Some(b"keep-alive"),
            (true, _) => None,
        };
        if let Some(own) = own {
            let c = theirs.pop();
            assert!(
                c.is_some_and(|c| c.name == "connection" && c.value == own),
                "{ctx}: lbtop's connection: {} is not last",
                show(own)
            );
            head_len -= "connection: \r\n".len() + own.len();
        }
    }
    let no_body = status < 200 || status == 204;
    assert_forwarded(server.headers, &theirs, &framing, false, no_body, &ctx);
    // Counted from the bytes written, not from parsed values: a value may end in a blank
    // that a parser trims (a `Connection` value kept up to a comma, as HAProxy keeps it).
    let written: usize = out[..head_len]
        .split(|&b| b == b'\n')
        .skip(1)
        .filter_map(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            l.windows(2).any(|w| w == b": ").then(|| l.len() - 2)
        })
        .sum();
    let counted = 21 + "HTTP/1.1".len() + 3 + reason.len() + written;
    assert_eq!(log_bytes, counted as u64, "{ctx}: log_bytes");
    let mut head = out[..head_len - 2].to_vec();
    head.extend_from_slice(b"\r\n");
    head
}

/// RFC 9112 §6.1–6.3 for a final response, read straight from the server's headers.
fn check_response(data: &[u8], asked: Asked, r: &response::Response, out: &[u8], ctx: &str) {
    let mut headers = many_headers();
    let mut server = httparse::Response::new(&mut headers);
    let _ = server.parse(data);
    let framing = Framing1::read(server.headers);
    let body = if asked.is_head || r.status == 204 || r.status == 304 {
        Body::None
    } else if framing.chunked() || framing.layered() {
        Body::Chunked
    } else {
        match framing.length() {
            Some(0) => Body::None,
            Some(n) => Body::Length(n),
            None => Body::Close,
        }
    };
    let ctx = format!("{ctx} -> {}", show(out));
    assert_eq!(r.body, body, "{ctx}");
    assert_eq!(
        r.client_keeps,
        asked.keep_alive && body != Body::Close,
        "{ctx}"
    );
    let server_keeps = body != Body::Close
        && !framing.both()
        && if server.version == Some(1) {
            !framing.close
        } else {
            // `close` wins over `keep-alive` (RFC 9112 §9.3), as for a request.
            framing.keep_alive && !framing.close
        };
    assert_eq!(r.server_keeps, server_keeps, "{ctx}");
}

// ---------------------------------------------------------------------------------------
// Configuration files.

/// `Config::parse` of UTF-8 text as a `.toml` file (TOML, unless the text opens with an
/// HAProxy section).
pub fn config_toml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        config(Path::new("fuzz.toml"), text);
    }
}

/// `Config::parse` of UTF-8 text as a `.cfg` file (HAProxy syntax).
pub fn config_haproxy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        config(Path::new("fuzz.cfg"), text);
    }
}

/// An error names the file and a line that exists; a configuration that loads is
/// consistent (indices resolve), can be described, and exports (`to_haproxy_cfg`) to an
/// haproxy.cfg that loads again without warnings and means the same, with export → load
/// a fixed point from then on.
fn config(path: &Path, text: &str) {
    let lines = text.split('\n').count();
    let c = match Config::parse(path, text) {
        Err(e) => {
            assert_eq!(e.file, path, "{text:?}: {e}");
            assert!(e.line <= lines, "{text:?}: {e} (of {lines} lines)");
            assert!(!e.message.is_empty(), "{text:?}: {e}");
            return;
        }
        Ok(c) => c,
    };
    assert_eq!(c.source, path, "{text:?}");
    for w in &c.warnings {
        assert!(
            w.line <= lines,
            "{text:?}: warning {w:?} (of {lines} lines)"
        );
    }
    for f in &c.frontends {
        assert!(f.default_backend < c.backends.len(), "{text:?}: {f:?}");
    }
    if let Some(demo) = &c.demo {
        for &i in &demo.traffic.frontends {
            assert!(i < c.frontends.len(), "{text:?}: {demo:?}");
        }
    }
    assert!(!c.describe().is_empty());

    let export = Path::new("export.cfg");
    let t1 = c.to_haproxy_cfg();
    let c2 = Config::parse(export, &t1)
        .unwrap_or_else(|e| panic!("{text:?}\nexports to an haproxy.cfg lbtop refuses: {e}\n{t1}"));
    // The warnings an export may carry: a check request `http-check send` cannot say (an
    // empty header value, or more words than a line holds) keeps HAProxy's legacy form, and
    // what lbtop keeps for HAProxy without applying it (`slowstart`, ...) says so again.
    let unexpected: Vec<_> = c2
        .warnings
        .iter()
        .filter(|w| {
            !w.message.contains("hiding headers or body")
                && !w
                    .message
                    .contains("is accepted but lbtop does not apply it yet")
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "{text:?}\nexports with warnings {unexpected:?}\n{t1}"
    );
    let (a, b) = (normalized(&c), normalized(&c2));
    assert_eq!(a.global, b.global, "{text:?}\nexported as\n{t1}");
    assert_eq!(a.frontends, b.frontends, "{text:?}\nexported as\n{t1}");
    assert_eq!(a.backends, b.backends, "{text:?}\nexported as\n{t1}");
    let t2 = c2.to_haproxy_cfg();
    let c3 = Config::parse(export, &t2).unwrap_or_else(|e| panic!("{t2}\n{e}"));
    // Compared without the comments that list load warnings: their line numbers move
    // with the comment block itself.
    let uncommented = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("#   line "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        uncommented(&c3.to_haproxy_cfg()),
        uncommented(&t2),
        "export is not a fixed point"
    );
}

/// Keeps what each side of a proxy uses, so a configuration and its export compare equal:
/// the same as `normalized` in crates/lbtop-core/src/config/export.rs's tests (which the
/// export is written to satisfy).
fn normalized(c: &Config) -> Config {
    let mut c = c.clone();
    c.warnings.clear();
    c.demo = None;
    c.source = Default::default();
    for f in &mut c.frontends {
        let o = &mut f.options;
        let http = f.mode == Mode::Http;
        *o = Options {
            httplog: o.httplog && http,
            tcplog: (o.tcplog || o.httplog) && !(o.httplog && http),
            dontlognull: o.dontlognull,
            clitcpka: o.clitcpka,
            dontlog_normal: o.dontlog_normal,
            log_separate_errors: o.log_separate_errors,
            http_server_close: o.http_server_close && http,
            http_pretend_keepalive: o.http_pretend_keepalive && http,
            forwardfor: o.forwardfor.clone().filter(|_| http),
            ..Options::default()
        };
        let t = &mut f.timeouts;
        *t = Timeouts {
            client: t.client,
            http_request: t.http_request,
            http_keep_alive: t.http_keep_alive,
            ..Default::default()
        };
        f.line = 0;
        for b in &mut f.binds {
            b.line = 0;
        }
        if let Some(p) = &mut f.stats {
            p.line = 0;
        }
    }
    for b in &mut c.backends {
        let o = &mut b.options;
        if b.mode == Mode::Tcp {
            o.http_server_close = false;
            o.http_pretend_keepalive = false;
            o.forwardfor = None;
        }
        o.httplog = false;
        o.tcplog = false;
        o.dontlognull = false;
        o.clitcpka = false;
        o.dontlog_normal = false;
        o.log_separate_errors = false;
        b.timeouts.client = None;
        b.line = 0;
        if let Some(p) = &mut b.stats {
            p.line = 0;
        }
        for s in &mut b.servers {
            s.line = 0;
        }
    }
    c
}

// ---------------------------------------------------------------------------------------
// DNS answers.

/// Any bytes as the answer to `app.test` A with id 0x0707 (the first two bytes are forced to
/// that id half the time, so the fuzzer gets past the id check): an error or addresses,
/// never a panic; and an accepted answer carries the asked question, re-encoded.
pub fn dns_answer(data: &[u8]) {
    let mut msg = data.to_vec();
    if msg.len() >= 2 && msg[0] & 1 == 0 {
        msg[0] = 7;
        msg[1] = 7;
    }
    let Ok(answer) = dns::decode_answer(&msg, 0x0707, "app.test", dns::TYPE_A) else {
        return;
    };
    let query = dns::encode_query(0x0707, "app.test", dns::TYPE_A).unwrap();
    assert!(
        msg.len() >= query.len() && msg[12..query.len()].eq_ignore_ascii_case(&query[12..]),
        "accepted an answer to another question: {}",
        show(&msg)
    );
    if let Answer::Addrs(addrs) = answer {
        assert!(addrs.iter().all(|a| a.is_ipv4()), "{}", show(&msg));
    }
}

// ---------------------------------------------------------------------------------------
// The PROXY protocol header an `accept-proxy` bind reads.

/// A header read from any bytes: never longer than they are, read the same from its own bytes
/// alone and from them with anything after; the addresses it carries, written again as v1 and
/// v2, read back the same; and bytes cut short of a header are never taken for another one.
pub fn proxy_proto(data: &[u8]) {
    let Ok((header, len)) = proxy_proto::parse(data) else {
        return;
    };
    assert!(
        len > 0 && len <= data.len(),
        "length {len} of {}",
        show(data)
    );
    assert_eq!(
        proxy_proto::parse(&data[..len]),
        Ok((header, len)),
        "{}",
        show(data)
    );
    let cut = cut_of(data, len - 1);
    assert!(
        proxy_proto::parse(&data[..cut]).is_err(),
        "a prefix of {cut} bytes of {} passed",
        show(data)
    );
    if let proxy_proto::Header::Proxied(addrs) = header {
        for written in [proxy_proto::v1(Some(addrs)), proxy_proto::v2(Some(addrs))] {
            let back = proxy_proto::parse(&written);
            let same = |a: std::net::SocketAddr, b: std::net::SocketAddr| {
                a.port() == b.port() && mapped(a.ip()) == mapped(b.ip())
            };
            let ok = matches!(back, Ok((proxy_proto::Header::Proxied(b), n))
                if n == written.len() && same(b.src, addrs.src) && same(b.dst, addrs.dst));
            assert!(ok, "{addrs:?} written as {} reads {back:?}", show(&written));
        }
    }
}

/// IPv4 as IPv6-mapped, as a mixed pair is written.
fn mapped(ip: std::net::IpAddr) -> std::net::Ipv6Addr {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        std::net::IpAddr::V6(v6) => v6,
    }
}

// ---------------------------------------------------------------------------------------
// TLS ClientHello (`req.ssl_sni`).

/// `client_hello::parse`, the reader behind `req.ssl_sni`:
/// - an answer (`Complete` or `NotTls`) never changes when more bytes come behind;
/// - `NeedMore` is `NeedMore` for every prefix too (bytes read so far never decide less);
/// - a `Complete` hello is decided by its own bytes (record header, handshake header and
///   message) and not before the last of them; its SNI and ALPN names are in the input.
pub fn client_hello(data: &[u8]) {
    let read = client_hello::parse(data);
    let ctx = show(&data[..data.len().min(64)]);
    let cut = cut_of(data, data.len().saturating_sub(1));
    if read == Hello::NeedMore {
        assert_eq!(
            client_hello::parse(&data[..cut]),
            Hello::NeedMore,
            "{ctx}: cut {cut}"
        );
        return;
    }
    let mut longer = data.to_vec();
    longer.extend_from_slice(&[0x16, 0x03, 0x01, 0x00, 0x00, 0xff]);
    assert_eq!(
        client_hello::parse(&longer),
        read,
        "{ctx}: more bytes changed it"
    );
    let Hello::Complete(hello) = read else {
        return;
    };
    let end = 9 + ((data[6] as usize) << 16 | (data[7] as usize) << 8 | data[8] as usize);
    assert!(end <= data.len(), "{ctx}: decided before {end} bytes");
    assert_eq!(
        client_hello::parse(&data[..end]),
        Hello::Complete(hello.clone()),
        "{ctx}"
    );
    assert_eq!(
        client_hello::parse(&data[..end - 1]),
        Hello::NeedMore,
        "{ctx}"
    );
    let within =
        |needle: &[u8]| needle.is_empty() || data.windows(needle.len()).any(|w| w == needle);
    if let Some(sni) = &hello.sni {
        assert!(
            sni.contains('\u{fffd}') || within(sni.as_bytes()),
            "{ctx}: SNI {sni:?}"
        );
    }
    for name in &hello.alpn {
        assert!(within(name), "{ctx}: ALPN {}", show(name));
    }
}
