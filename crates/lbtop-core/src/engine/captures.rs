//! The last invalid request of each frontend and the last invalid response of each backend,
//! kept for `show errors` (docs/haproxy-semantics.md §27.4). Only the refusing paths come
//! here: a valid message costs nothing.
//!
//! HAProxy captures the messages its HTTP/1 parser stops at a byte, with that byte's
//! position; a head that parses but is refused for what it says (a `Transfer-Encoding` it
//! does not know) is placed at the end of the head (measured). [`request_error`] and
//! [`response_error`] find that position the way HAProxy reports it; `None` for a head that
//! never completed.

use super::frontend::FrontendRt;
use super::h1::chunked::{is_token, Decoder};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Mutex;
use std::time::SystemTime;

/// HAProxy's buffer (`tune.bufsize`): a capture holds at most this much.
pub const BUFSIZE: usize = 16384;

/// One captured message.
#[derive(Debug, Clone)]
pub struct Capture {
    pub when: SystemTime,
    /// The process-wide event number (the count of captures before it).
    pub event: u64,
    pub src: SocketAddr,
    pub frontend: usize,
    pub backend: Option<usize>,
    pub server: Option<usize>,
    pub bytes: Vec<u8>,
    pub error_at: usize,
}

/// One slot per proxy and direction, overwritten by the next error.
#[derive(Default)]
pub struct Captures {
    events: AtomicU64,
    /// By frontend index.
    requests: Mutex<HashMap<usize, Capture>>,
    /// By backend index.
    responses: Mutex<HashMap<usize, Capture>>,
}

/// Where a capture comes from.
pub struct Origin {
    pub src: SocketAddr,
    pub frontend: usize,
    pub backend: Option<usize>,
    pub server: Option<usize>,
}

impl Captures {
    pub fn request(&self, from: Origin, bytes: &[u8], error_at: usize) {
        let c = self.capture(from, bytes, error_at);
        lock(&self.requests).insert(c.frontend, c);
    }

    pub fn response(&self, from: Origin, bytes: &[u8], error_at: usize) {
        let c = self.capture(from, bytes, error_at);
        if let Some(b) = c.backend {
            lock(&self.responses).insert(b, c);
        }
    }

    fn capture(&self, from: Origin, bytes: &[u8], error_at: usize) -> Capture {
        Capture {
            when: SystemTime::now(),
            event: self.events.fetch_add(1, Relaxed),
            src: from.src,
            frontend: from.frontend,
            backend: from.backend,
            server: from.server,
            bytes: bytes[..bytes.len().min(BUFSIZE)].to_vec(),
            error_at,
        }
    }

    /// How many messages were captured since the start.
    pub fn total(&self) -> u64 {
        self.events.load(Relaxed)
    }

    pub fn last_request(&self, frontend: usize) -> Option<Capture> {
        lock(&self.requests).get(&frontend).cloned()
    }

    pub fn last_response(&self, backend: usize) -> Option<Capture> {
        lock(&self.responses).get(&backend).cloned()
    }
}

/// Keeps an invalid response head that `server` of `fe`'s backend sent, when HAProxy would.
pub fn bad_response(fe: &FrontendRt, src: SocketAddr, server: usize, bytes: &[u8]) {
    let Some(at) = response_error(bytes) else {
        return;
    };
    let from = Origin {
        src,
        frontend: fe.index,
        backend: Some(fe.backend.index),
        server: Some(server),
    };
    fe.live.captures.response(from, bytes, at);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The position HAProxy reports for a refused request head, or `None` when it would not
/// capture it.
pub fn request_error(buf: &[u8]) -> Option<usize> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut at = start;
    // The method: a token.
    while at < buf.len() && is_token(buf[at]) {
        at += 1;
    }
    if at == start || buf.get(at) != Some(&b' ') {
        return buf.get(at).map(|_| at);
    }
    at = skip_spaces(buf, at);
    // The target: any visible byte.
    let target = at;
    while at < buf.len() && buf[at] > b' ' && buf[at] != 0x7f {
        at += 1;
    }
    if at == target || buf.get(at) != Some(&b' ') {
        return buf
            .get(at)
            .filter(|&&b| b != b'\r' && b != b'\n')
            .map(|_| at);
    }
    at = skip_spaces(buf, at);
    let version = at;
    if !is_version(&buf[at..]) {
        return Some(version);
    }
    // The line's end: a CR not followed by LF is an error at the byte after it.
    let end = at + 8;
    match (buf.get(end), buf.get(end + 1)) {
        (Some(b'\n'), _) => headers(buf, end + 1),
        (Some(b'\r'), Some(b'\n')) => headers(buf, end + 2),
        (Some(b'\r'), Some(_)) => Some(end + 1),
        (Some(b'\r'), None) | (None, _) => None,
        (Some(_), _) => Some(end),
    }
}

/// The position HAProxy reports for a refused response head (`HTTP/x.y NNN reason`).
pub fn response_error(buf: &[u8]) -> Option<usize> {
    if !is_version(buf) {
        return Some(0);
    }
    let mut at = skip_spaces(buf, 8);
    if at == 8 {
        return Some(8);
    }
    let code = at;
    while at < code + 3 {
        if !buf.get(at)?.is_ascii_digit() {
            return Some(at);
        }
        at += 1;
    }
    let eol = buf[at..].iter().position(|&b| b == b'\n')? + at + 1;
    headers(buf, eol)
}

/// A chunked body that broke its framing right after a head of `head_len` bytes: the start
/// of the chunk line it broke in.
pub fn chunk_error(buf: &[u8], head_len: usize) -> usize {
    let body = &buf[head_len.min(buf.len())..];
    // The shortest prefix that already fails (finding an error only grows with the input).
    let (mut lo, mut hi) = (0, body.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match Decoder::default().finds_error(&body[..=mid]) {
            true => hi = mid,
            false => lo = mid + 1,
        }
    }
    let bad = lo.min(body.len());
    let line = body[..bad]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    head_len + line
}

fn skip_spaces(buf: &[u8], mut at: usize) -> usize {
    while buf.get(at) == Some(&b' ') {
        at += 1;
    }
    at
}

fn is_version(b: &[u8]) -> bool {
    b.len() >= 8
        && b.starts_with(b"HTTP/")
        && b[5].is_ascii_digit()
        && b[6] == b'.'
        && b[7].is_ascii_digit()
}

/// The header lines from `at`: a name byte that is not a token (the line's end, for a line
/// without a colon), or an empty name, is the error; then the framing headers HAProxy checks
/// as it parses; else the end of the head. `None` while the head is incomplete.
fn headers(buf: &[u8], mut at: usize) -> Option<usize> {
    let mut length: Option<&[u8]> = None;
    loop {
        let line = at;
        let rest = buf.get(at..)?;
        // The head ended well: refused for what it says, the error is placed after it.
        if rest.first() == Some(&b'\n') {
            return Some(at + 1);
        }
        if rest.starts_with(b"\r\n") {
            return Some(at + 2);
        }
        while at < buf.len() && is_token(buf[at]) {
            at += 1;
        }
        match buf.get(at)? {
            b':' if at > line => {}
            b':' => return Some(line),
            // A line without a colon: the error is at its end.
            _ => return Some(at),
        }
        let name = &buf[line..at];
        let value_start = skip_blanks(buf, at + 1);
        let eol = buf[at..].iter().position(|&b| b == b'\n')? + at;
        let value = trim(&buf[value_start..eol]);
        if name.eq_ignore_ascii_case(b"content-length") {
            let bad = value.is_empty() || !value.iter().all(u8::is_ascii_digit);
            if bad || length.is_some_and(|l| l != value) {
                return Some(value_start);
            }
            length = Some(value);
        }
        at = eol + 1;
    }
}

fn skip_blanks(buf: &[u8], mut at: usize) -> usize {
    while matches!(buf.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

fn trim(v: &[u8]) -> &[u8] {
    let end = v
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |p| p + 1);
    &v[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The positions real HAProxy 2.6 reported for these heads (§27.4).
    #[test]
    fn positions_as_haproxy_reports_them() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"G@T / HTTP/1.1\r\n\r\n", Some(1)),
            (b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", Some(5)),
            (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", Some(7)),
            (b"GET / HTTP/1.1\rHost: x\r\n\r\n", Some(15)),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
                Some(28),
            ),
            (b"GET / HTTP/1.1\r\nHo\x01st: x\r\n\r\n", Some(18)),
            (b"GET / HTTP/1.1\r\nHost: x\r\n: y\r\n\r\n", Some(25)),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                Some(41),
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                Some(60),
            ),
            (b"GET / HTTP/1.1\r\nHost: x\r\nfoo\r\n\r\n", Some(28)),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                Some(52),
            ),
        ];
        for (head, want) in cases {
            assert_eq!(
                request_error(head),
                *want,
                "{}",
                String::from_utf8_lossy(head)
            );
        }
        let bad = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header: y\r\n\r\nok";
        assert_eq!(response_error(bad), Some(39));
        let chunked = b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(chunk_error(chunked, 55), 55);
    }

    #[test]
    fn never_panics() {
        let samples: &[&[u8]] = &[
            b"",
            b"\r\n",
            b"GET",
            b"GET ",
            b"GET / HTTP/1.1",
            b"HTTP/1.1",
            b"X: \n",
        ];
        for s in samples {
            let _ = request_error(s);
            let _ = response_error(s);
            let _ = chunk_error(s, 3);
        }
    }
}
