//! Response heads from a server: parsed with httparse and rewritten for the client in the same
//! pass (names lower-cased, hop-by-hop headers dropped, the framing the client can read).

use super::head::{header_line, Framed, MAX_HEAD, MAX_HEADERS};
use hyper::Version;

/// What the client asked for, which decides how the response reaches it.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub version: Version,
    pub keep_alive: bool,
    pub is_head: bool,
}

/// How the server delimits the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    Length(u64),
    Chunked,
    /// Until the server closes.
    Close,
}

/// How the body is passed to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// As it comes (a sized body, chunks to an HTTP/1.1 client, or read-to-close for 1.0).
    Raw,
    /// Chunk-encoded: a read-to-close body for an HTTP/1.1 client.
    Encode,
    /// Chunks decoded: a chunked body for an HTTP/1.0 client, which reads to the close.
    Decode,
}

#[derive(Debug)]
pub struct Response {
    /// Bytes of the head in the server's input.
    pub len: usize,
    pub status: u16,
    pub body: Body,
    pub relay: Relay,
    /// The server connection can take another request after this body.
    pub server_keeps: bool,
    /// The client connection can take another request after this body.
    pub client_keeps: bool,
    /// The head's size as HAProxy 2.6 counts it in `%B`: its internal (HTX) form, a start-line
    /// block of 21 bytes plus version, code and reason, then each header's name and value.
    /// Checked against HAProxy: a relayed `200 OK` with two headers logs 60 with a 2-byte body.
    pub log_bytes: u64,
}

#[derive(Debug)]
pub enum Parsed {
    /// A final response; the client's head was written to `out`.
    Complete(Response),
    /// A `1xx` interim response of this many bytes, to skip.
    Interim(usize),
    Partial,
    Invalid,
}

const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "transfer-encoding",
];

/// Parses a response head at the start of `buf`, writing the client's head to `out`.
pub fn parse(buf: &[u8], asked: Asked, out: &mut Vec<u8>) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let len = match res.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => return Parsed::Partial,
        _ => return Parsed::Invalid,
    };
    let (Some(status), Some(minor)) = (res.code, res.version) else {
        return Parsed::Invalid;
    };
    // 101 would switch protocols, which lbtop does not relay (Upgrade is never forwarded).
    if (100..200).contains(&status) && status != 101 {
        return Parsed::Interim(len);
    }
    match build(&res, len, status, minor, asked, out) {
        Some(r) if status != 101 => Parsed::Complete(r),
        _ => Parsed::Invalid,
    }
}

fn build(
    res: &httparse::Response<'_, '_>,
    len: usize,
    status: u16,
    minor: u8,
    asked: Asked,
    out: &mut Vec<u8>,
) -> Option<Response> {
    let mut framed = Framed::default();
    for h in res.headers.iter() {
        framed.note(h)?;
    }
    // RFC 9112 §6.3: no body for HEAD, 204 and 304; chunked wins over a length; a transfer
    // coding that does not end in chunked runs to the close.
    let body = if asked.is_head || status == 204 || status == 304 {
        Body::None
    } else {
        match (framed.encoded, framed.length) {
            (Some(true), _) => Body::Chunked,
            (Some(false), _) => Body::Close,
            (None, Some(0)) => Body::None,
            (None, Some(n)) => Body::Length(n),
            (None, None) => Body::Close,
        }
    };
    let http11 = asked.version == Version::HTTP_11;
    let relay = match body {
        Body::Close if http11 => Relay::Encode,
        Body::Chunked if !http11 => Relay::Decode,
        _ => Relay::Raw,
    };
    let client_keeps = asked.keep_alive && (http11 || matches!(body, Body::None | Body::Length(_)));
    let server_keeps = body != Body::Close
        && if minor == 1 {
            !framed.close
        } else {
            framed.keep_alive
        };

    let reason = res.reason.unwrap_or("");
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa3(status).as_slice());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut log_bytes = 21 + "HTTP/1.1".len() + 3 + reason.len();
    for h in res.headers.iter() {
        if !framed.drops(h.name, &HOP_BY_HOP) {
            header_line(out, h.name.as_bytes(), h.value);
            log_bytes += h.name.len() + h.value.len();
        }
    }
    if matches!(body, Body::Chunked | Body::Close) && http11 {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    connection_header(out, client_keeps, asked.version);
    out.extend_from_slice(b"\r\n");
    Some(Response {
        len,
        status,
        body,
        relay,
        server_keeps,
        client_keeps,
        log_bytes: log_bytes as u64,
    })
}

fn itoa3(n: u16) -> [u8; 3] {
    [
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]
}

/// HTTP/1.1 persists by default and says so only when closing; HTTP/1.0 is the reverse.
pub fn connection_header(out: &mut Vec<u8>, keep: bool, version: Version) {
    match (keep, version) {
        (false, _) => out.extend_from_slice(b"connection: close\r\n"),
        (true, Version::HTTP_10) => out.extend_from_slice(b"connection: keep-alive\r\n"),
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
    };
    const V10: Asked = Asked {
        version: Version::HTTP_10,
        keep_alive: false,
        is_head: false,
    };

    fn complete(text: &[u8], asked: Asked) -> (Response, String) {
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
        assert_eq!((r.len, r.body, r.relay), (75, Body::Length(2), Relay::Raw));
        assert!(r.server_keeps && r.client_keeps);
        // HAProxy logs 60 for this response: 21 + 8 + 3 + 2, then 14 + 1 and 8 + 1, then the
        // 2-byte body.
        assert_eq!(r.log_bytes, 58);
    }

    #[test]
    fn framing_follows_the_client() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n";
        let (r, out) = complete(chunked, V11);
        assert_eq!((r.body, r.relay), (Body::Chunked, Relay::Raw));
        assert_eq!(out, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let (r, out) = complete(chunked, V10);
        assert_eq!((r.relay, r.client_keeps), (Relay::Decode, false));
        assert_eq!(out, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
        let unsized_ = b"HTTP/1.0 200 OK\r\n\r\n";
        let (r, out) = complete(unsized_, V11);
        assert_eq!(
            (r.body, r.relay, r.server_keeps),
            (Body::Close, Relay::Encode, false)
        );
        assert!(r.client_keeps);
        assert_eq!(out, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let head = Asked {
            is_head: true,
            ..V11
        };
        let (r, _) = complete(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", head);
        assert_eq!(r.body, Body::None);
        let (r, _) = complete(b"HTTP/1.1 304 Not Modified\r\n\r\n", V11);
        assert_eq!(r.body, Body::None);
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
            Parsed::Interim(25)
        ));
        assert!(matches!(
            parse(b"HTTP/1.1 200 OK\r\n", V11, &mut out),
            Parsed::Partial
        ));
        for bad in [
            &b"garbage\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        ] {
            assert!(
                matches!(parse(bad, V11, &mut out), Parsed::Invalid),
                "{bad:?}"
            );
        }
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
