//! Request heads: parsed with httparse and checked once, the way HAProxy's H1 layer refuses
//! them (400) before anything reaches a server.

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri, Version};

/// Larger heads are refused, like HAProxy's default `tune.bufsize`.
pub const MAX_HEAD: usize = 16 * 1024;
/// HAProxy's default `tune.http.maxhdr`.
const MAX_HEADERS: usize = 101;

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
}

#[derive(Debug)]
pub struct Head {
    /// Method, target, version and headers as received.
    pub request: Request<()>,
    /// Bytes of the head on the wire, up to and including the empty line.
    pub len: usize,
    pub framing: Framing,
    /// The client wants the connection kept open after this request.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on a request with a body.
    pub expects_continue: bool,
}

// Built and consumed once per request; boxing the big variant would cost an allocation each time.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed {
    Complete(Head),
    Partial,
    Invalid,
}

/// Parses a head from the start of `buf`.
pub fn parse(buf: &[u8]) -> Parsed {
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
    match build(&req, len) {
        Some(head) => Parsed::Complete(head),
        None => Parsed::Invalid,
    }
}

fn build(req: &httparse::Request<'_, '_>, len: usize) -> Option<Head> {
    let version = match req.version? {
        0 => Version::HTTP_10,
        1 => Version::HTTP_11,
        _ => return None,
    };
    let method = Method::from_bytes(req.method?.as_bytes()).ok()?;
    let uri = Uri::try_from(req.path?).ok()?;
    let mut map = HeaderMap::with_capacity(req.headers.len());
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for h in req.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(h.value).ok()?;
        if name == header::CONTENT_LENGTH {
            let n = parse_length(h.value)?;
            // Differing lengths are a smuggling attempt.
            if length.is_some_and(|l| l != n) {
                return None;
            }
            length = Some(n);
        } else if name == header::TRANSFER_ENCODING {
            // Only chunked may end the list; HTTP/1.0 has no transfer codings at all.
            if version == Version::HTTP_10 || !ends_chunked(h.value) {
                return None;
            }
            chunked = true;
        }
        map.append(name, value);
    }
    let framing = if chunked {
        // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
        map.remove(header::CONTENT_LENGTH);
        Framing::Chunked
    } else {
        match length {
            Some(n) if n > 0 => Framing::Length(n),
            _ => Framing::None,
        }
    };
    let keep_alive = match version {
        Version::HTTP_11 => !has_token(&map, "close"),
        _ => has_token(&map, "keep-alive"),
    };
    let expects_continue = framing != Framing::None
        && version == Version::HTTP_11
        && map
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = map;
    Some(Head {
        request,
        len,
        framing,
        keep_alive,
        expects_continue,
    })
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

/// Whether a `Connection` header lists `token`.
pub fn has_token(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testkit::{mutate, Rng};

    fn head(text: &[u8]) -> Head {
        match parse(text) {
            Parsed::Complete(h) => h,
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(text)),
        }
    }

    #[test]
    fn complete_partial_and_invalid_heads() {
        let h = head(b"GET /a?b HTTP/1.1\r\nHost: a\r\n\r\nbody");
        assert_eq!(h.len, 30);
        assert_eq!(h.request.uri(), "/a?b");
        assert_eq!(h.request.headers()["host"], "a");
        assert!(h.keep_alive);
        assert_eq!(h.framing, Framing::None);
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nhost: a\r\n"),
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
                matches!(parse(bad), Parsed::Invalid),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(parse(&vec![b'a'; MAX_HEAD + 1]), Parsed::Invalid));
    }

    #[test]
    fn framing_and_persistence() {
        let h = head(b"POST / HTTP/1.1\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(5));
        assert!(h.expects_continue);
        let h = head(b"POST / HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        assert!(h.request.headers().get("content-length").is_none());
        assert!(!head(b"GET / HTTP/1.1\r\nconnection: Close\r\n\r\n").keep_alive);
        assert!(!head(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = b"POST /a?b=c HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\nabc".to_vec();
        let mut rng = Rng(0x1234_5678);
        for _ in 0..5000 {
            let mut m = base.clone();
            mutate(&mut m, &mut rng, b"GET /:\r\n 0123456789,chunked");
            if let Parsed::Complete(h) = parse(&m) {
                assert!(h.len <= m.len());
            }
        }
    }
}
