//! Request heads: parsed with httparse, checked once the way HAProxy's H1 layer refuses them
//! (400) before anything reaches a server, and rewritten for the server in the same pass:
//! hop-by-hop headers dropped, names lower-cased (as HAProxy forwards them), `X-Forwarded-For`
//! appended. No header map is built.

use hyper::header::{HeaderName, HeaderValue};
use hyper::Version;

/// Larger heads are refused, like HAProxy's default `tune.bufsize`.
pub const MAX_HEAD: usize = 16 * 1024;
/// HAProxy's default `tune.http.maxhdr`.
pub const MAX_HEADERS: usize = 101;

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
    pub forwarded_for: Option<(&'a HeaderName, &'a HeaderValue)>,
    pub server_close: bool,
    pub hash_uri: bool,
    pub hash_header: Option<&'a HeaderName>,
    /// Keep `GET /path HTTP/1.1` for the log.
    pub request_line: bool,
}

#[derive(Debug)]
pub struct Head {
    /// Bytes of the head on the wire, up to and including the empty line.
    pub len: usize,
    pub version: Version,
    pub is_head: bool,
    pub framing: Framing,
    /// The client wants the connection kept open after this request.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on a request with a body.
    pub expects_continue: bool,
    pub content_length: u64,
    pub request_line: Option<String>,
    /// The path, for `balance uri`.
    pub path: Option<String>,
    /// The value of the `balance hdr(<name>)` header.
    pub hash_value: Option<Vec<u8>>,
}

#[derive(Debug)]
pub enum Parsed {
    /// A valid head; the server's version of it was written to `upstream`.
    Complete(Head),
    Partial,
    Invalid,
}

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus `Expect`, which
/// lbtop answers itself.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "transfer-encoding",
    "expect",
];

/// Parses a head from the start of `buf`; for a valid one, writes the request to send to the
/// server into `upstream`.
pub fn parse(buf: &[u8], rewrite: &Rewrite<'_>, upstream: &mut Vec<u8>) -> Parsed {
    if buf.is_empty() {
        return Parsed::Partial;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Parsed::Partial,
        _ => return Parsed::Invalid,
    };
    match build(&req, len, rewrite, upstream) {
        Some(head) => Parsed::Complete(head),
        None => Parsed::Invalid,
    }
}

/// The headers that frame a message and govern its connection, read alike in requests and
/// responses.
#[derive(Default)]
pub struct Framed<'b> {
    pub length: Option<u64>,
    /// The last `Transfer-Encoding` header ends in chunked (`None`: there was none).
    pub encoded: Option<bool>,
    /// Some `Transfer-Encoding` header does not end in chunked.
    pub odd_coding: bool,
    pub close: bool,
    pub keep_alive: bool,
    /// Further headers the `Connection` header names as hop-by-hop.
    pub listed: Vec<&'b str>,
}

impl<'b> Framed<'b> {
    /// Takes one header into account. `None` when its value is malformed: a length that is
    /// not a number or differs from an earlier one (a smuggling attempt), or a `Connection`
    /// header that is not text.
    pub fn note(&mut self, h: &httparse::Header<'b>) -> Option<()> {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = parse_length(h.value)?;
            if self.length.is_some_and(|l| l != n) {
                return None;
            }
            self.length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let chunked = ends_chunked(h.value);
            self.encoded = Some(chunked);
            self.odd_coding |= !chunked;
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in std::str::from_utf8(h.value).ok()?.split(',') {
                let token = token.trim();
                if token.eq_ignore_ascii_case("close") {
                    self.close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    self.keep_alive = true;
                } else if !token.is_empty() {
                    self.listed.push(token);
                }
            }
        }
        Some(())
    }

    /// Whether a header stops at this hop: one of `fixed`, one the `Connection` header names,
    /// or a length that a transfer coding overrides.
    pub fn drops(&self, name: &str, fixed: &[&str]) -> bool {
        fixed.iter().any(|n| name.eq_ignore_ascii_case(n))
            || self.listed.iter().any(|n| name.eq_ignore_ascii_case(n))
            || (self.encoded.is_some() && name.eq_ignore_ascii_case("content-length"))
    }
}

/// What a first pass over a request's headers learns.
struct Seen<'b> {
    framed: Framed<'b>,
    chunked: bool,
    expects_continue: bool,
}

fn build(
    req: &httparse::Request<'_, '_>,
    len: usize,
    rewrite: &Rewrite<'_>,
    upstream: &mut Vec<u8>,
) -> Option<Head> {
    let version = match req.version? {
        0 => Version::HTTP_10,
        1 => Version::HTTP_11,
        _ => return None,
    };
    let (method, path) = (req.method?, req.path?);
    let seen = scan(req.headers, version)?;
    let framing = match (seen.chunked, seen.framed.length) {
        // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
        (true, _) => Framing::Chunked,
        (false, Some(n)) if n > 0 => Framing::Length(n),
        _ => Framing::None,
    };
    write_upstream(req, &seen, rewrite, upstream);
    let hash_value = rewrite.hash_header.and_then(|name| {
        let h = req
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name.as_str()))?;
        Some(h.value.to_vec())
    });
    Some(Head {
        len,
        version,
        is_head: method == "HEAD",
        framing,
        keep_alive: match version {
            Version::HTTP_11 => !seen.framed.close,
            _ => seen.framed.keep_alive,
        },
        expects_continue: seen.expects_continue
            && framing != Framing::None
            && version == Version::HTTP_11,
        content_length: if seen.chunked {
            0
        } else {
            seen.framed.length.unwrap_or(0)
        },
        request_line: rewrite
            .request_line
            .then(|| format!("{method} {path} {version:?}")),
        path: rewrite
            .hash_uri
            .then(|| path.split('?').next().unwrap_or(path).to_string()),
        hash_value,
    })
}

fn scan<'b>(headers: &[httparse::Header<'b>], version: Version) -> Option<Seen<'b>> {
    let mut framed = Framed::default();
    let mut expects_continue = false;
    for h in headers {
        framed.note(h)?;
        if h.name.eq_ignore_ascii_case("expect") {
            expects_continue = h.value.eq_ignore_ascii_case(b"100-continue");
        }
    }
    // Only chunked may end a request's transfer codings; HTTP/1.0 has none at all.
    let chunked = framed.encoded.is_some();
    if framed.odd_coding || (chunked && version == Version::HTTP_10) {
        return None;
    }
    Some(Seen {
        framed,
        chunked,
        expects_continue,
    })
}

fn write_upstream(
    req: &httparse::Request<'_, '_>,
    seen: &Seen<'_>,
    rewrite: &Rewrite<'_>,
    out: &mut Vec<u8>,
) {
    out.clear();
    out.extend_from_slice(req.method.unwrap_or("GET").as_bytes());
    out.push(b' ');
    out.extend_from_slice(req.path.unwrap_or("/").as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for h in req.headers.iter() {
        if !seen.framed.drops(h.name, &HOP_BY_HOP) {
            header_line(out, h.name.as_bytes(), h.value);
        }
    }
    if let Some((name, value)) = rewrite.forwarded_for {
        header_line(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if rewrite.server_close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    if seen.chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// `name: value\r\n`, the name lower-cased.
pub fn header_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn parse_length(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn ends_chunked(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    text.rsplit(',')
        .next()
        .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
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

    fn head(text: &[u8]) -> Head {
        head_with(text, &Rewrite::default()).0
    }

    fn parsed(text: &[u8]) -> Parsed {
        parse(text, &Rewrite::default(), &mut Vec::new())
    }

    #[test]
    fn complete_partial_and_invalid_heads() {
        let h = head(b"GET /a?b HTTP/1.1\r\nHost: a\r\n\r\nbody");
        assert_eq!(h.len, 30);
        assert!(h.keep_alive);
        assert_eq!(h.framing, Framing::None);
        assert!(matches!(
            parsed(b"GET / HTTP/1.1\r\nhost: a\r\n"),
            Parsed::Partial
        ));
        for bad in [
            &b"\x16\x03\x01\x02\x00"[..],
            b"GET / HTTP/1.1\r\nbad header\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            b"GET / HTTP/1.1\r\ncontent-length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked, gzip\r\n\r\n",
            b"POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n",
        ] {
            assert!(
                matches!(parsed(bad), Parsed::Invalid),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(parsed(&vec![b'a'; MAX_HEAD + 1]), Parsed::Invalid));
    }

    #[test]
    fn framing_and_persistence() {
        let h = head(b"POST / HTTP/1.1\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(5));
        assert_eq!(h.content_length, 5);
        assert!(h.expects_continue);
        let h = head(b"POST / HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        assert!(!head(b"GET / HTTP/1.1\r\nconnection: Close\r\n\r\n").keep_alive);
        assert!(!head(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(head(b"HEAD / HTTP/1.1\r\n\r\n").is_head);
    }

    #[test]
    fn the_server_gets_a_clean_lower_cased_head() {
        let name = HeaderName::from_static("x-forwarded-for");
        let value = HeaderValue::from_static("10.0.0.1");
        let hash = HeaderName::from_static("x-key");
        let rewrite = Rewrite {
            forwarded_for: Some((&name, &value)),
            server_close: true,
            hash_uri: true,
            hash_header: Some(&hash),
            request_line: true,
        };
        let (h, up) = head_with(
            b"POST /p?q=1 HTTP/1.0\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Key: k1\r\nKeep-Alive: 5\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
            &rewrite,
        );
        assert_eq!(
            up,
            "POST /p?q=1 HTTP/1.1\r\nhost: a\r\nx-key: k1\r\ncontent-length: 2\r\nx-forwarded-for: 10.0.0.1\r\nconnection: close\r\n\r\n"
        );
        assert_eq!(h.request_line.as_deref(), Some("POST /p?q=1 HTTP/1.0"));
        assert_eq!(h.path.as_deref(), Some("/p"));
        assert_eq!(h.hash_value.as_deref(), Some(&b"k1"[..]));
        let (_, up) = head_with(
            b"PUT / HTTP/1.1\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n",
            &Rewrite::default(),
        );
        assert_eq!(up, "PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n");
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = b"POST /a?b=c HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: keep-alive, x\r\ntransfer-encoding: chunked\r\n\r\nabc";
        let mut up = Vec::new();
        for_mutations(
            base,
            0x1234_5678,
            b"GET /:\r\n 0123456789,chunked",
            5000,
            |m| {
                if let Parsed::Complete(h) = parse(m, &Rewrite::default(), &mut up) {
                    assert!(h.len <= m.len());
                }
            },
        );
    }
}
