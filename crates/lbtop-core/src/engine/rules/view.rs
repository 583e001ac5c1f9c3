//! [`ReqView`]: a borrowed, read-only view of one request head, built only for a frontend
//! that has rules, after `h1::head` has checked the head. Nothing in it is copied: the
//! method, target and header lines are slices of the client's input buffer.

use std::net::SocketAddr;

/// The HTTP version on the request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// One request as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct ReqView<'a> {
    pub method: &'a [u8],
    /// The request target as written (`/a/b?c=d`, or an absolute `http://h/a`).
    pub target: &'a [u8],
    pub version: Version,
    /// The header lines in arrival order, names as written.
    pub headers: &'a [httparse::Header<'a>],
    /// The client's address (a PROXY header's, on an `accept-proxy` bind).
    pub src: SocketAddr,
    /// The address the client connected to.
    pub dst: SocketAddr,
    /// The connection is TLS (`ssl_fc`).
    pub ssl: bool,
    /// The server name the TLS client asked for (`ssl_fc_sni`).
    pub sni: Option<&'a str>,
    /// For `http-response` rules: the response (the request's fields are then empty, as
    /// HAProxy has no request headers left to read there).
    pub res: Option<ResView<'a>>,
    /// The request's `unique-id-format` ID (`unique-id`), when the frontend has one.
    pub unique_id: Option<&'a str>,
}

/// A response head as `http-response` rules see it (`status`, `res.hdr`).
#[derive(Debug, Clone, Copy)]
pub struct ResView<'a> {
    pub status: u16,
    pub headers: &'a [httparse::Header<'a>],
}

impl<'a> ReqView<'a> {
    /// A view of a head that `h1::head` accepted: `headers` is filled from `head`, which
    /// must be the whole head. `None` only if it does not parse (never for a checked head).
    pub fn parse(
        head: &'a [u8],
        headers: &'a mut [httparse::Header<'a>],
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Option<ReqView<'a>> {
        let mut req = httparse::Request::new(headers);
        let parsed = httparse::ParserConfig::default()
            .allow_multiple_spaces_in_request_line_delimiters(true)
            .parse_request(&mut req, head);
        if !matches!(parsed, Ok(httparse::Status::Complete(_))) {
            return None;
        }
        let version = if req.version == Some(0) {
            Version::Http10
        } else {
            Version::Http11
        };
        Some(ReqView {
            method: req.method?.as_bytes(),
            target: req.path?.as_bytes(),
            version,
            headers: req.headers,
            src,
            dst,
            ssl: false,
            sni: None,
            res: None,
            unique_id: None,
        })
    }

    /// The path: the target without scheme and authority, up to the `?` (HAProxy's `path`).
    pub fn path(&self) -> &'a [u8] {
        let t = self.after_authority();
        match t.iter().position(|&b| b == b'?') {
            Some(q) => &t[..q],
            None => t,
        }
    }

    /// What follows the first `?` of the target, if it has one (HAProxy's `query`).
    pub fn query(&self) -> Option<&'a [u8]> {
        let q = self.target.iter().position(|&b| b == b'?')?;
        Some(&self.target[q + 1..])
    }

    /// The target from its path on: an absolute target loses `scheme://authority`.
    fn after_authority(&self) -> &'a [u8] {
        let t = self.target;
        if t.first() == Some(&b'/') || t == b"*" {
            return t;
        }
        let Some(s) = t.windows(3).position(|w| w == b"://") else {
            return t;
        };
        let rest = &t[s + 3..];
        match rest.iter().position(|&b| b == b'/' || b == b'?') {
            Some(p) => &rest[p..],
            None => b"",
        }
    }

    /// The values of every `name` header line, in order (names compare without case).
    pub fn header_lines<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// The `Host` header's value, first line.
    pub fn host(&self) -> Option<&'a [u8]> {
        self.header_lines("host").next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(head: &[u8], f: impl FnOnce(ReqView) -> R) -> R {
        let mut h = [httparse::EMPTY_HEADER; 16];
        let a = "127.0.0.1:1".parse().unwrap();
        f(ReqView::parse(head, &mut h, a, a).unwrap())
    }

    #[test]
    fn path_and_query() {
        with(b"GET /a/b?x=1&y HTTP/1.1\r\nHost: h\r\n\r\n", |v| {
            assert_eq!(v.path(), b"/a/b");
            assert_eq!(v.query(), Some(&b"x=1&y"[..]));
            assert_eq!(v.host(), Some(&b"h"[..]));
            assert_eq!(v.version, Version::Http11);
        });
        with(b"GET http://h:80/p?q HTTP/1.0\r\n\r\n", |v| {
            assert_eq!(v.path(), b"/p");
            assert_eq!(v.version, Version::Http10);
        });
        with(b"GET http://h HTTP/1.1\r\n\r\n", |v| {
            assert_eq!(v.path(), b"")
        });
        with(b"OPTIONS * HTTP/1.1\r\n\r\n", |v| {
            assert_eq!(v.path(), b"*")
        });
    }
}
