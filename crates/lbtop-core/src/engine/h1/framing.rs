//! The headers that frame a message and govern its connection, read alike in requests and
//! responses: `Content-Length`, `Transfer-Encoding`, `Connection`, and what of a head HAProxy
//! keeps in its internal form, which its limits apply to (docs/haproxy-semantics.md §8, §9).

use super::head::{header_line, MAX_HEADERS};
use std::io::Write;

/// The largest head HAProxy takes in its internal form: `tune.bufsize` less `tune.maxrewrite`,
/// less its own bookkeeping. Measured against HAProxy 2.6 (docs/haproxy-semantics.md §9):
/// the method, target and version plus, per header, its name and value and 8 bytes.
const MAX_HTX: usize = 15_275;

/// How the `Transfer-Encoding` headers of a message read, all taken together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Absent,
    /// `chunked`, alone.
    Chunked,
    /// Other codings, then `chunked` last (`gzip, chunked`).
    Layered,
    /// No `chunked` last, or `chunked` twice: the message cannot be framed.
    Broken,
}

impl Coding {
    pub fn is_chunked(self) -> bool {
        matches!(self, Coding::Chunked | Coding::Layered)
    }
}

/// The tokens of every `Transfer-Encoding` header, counted as they come.
#[derive(Debug, Default, Clone, Copy)]
struct Codings {
    seen: bool,
    tokens: u32,
    chunked: u32,
    last_chunked: bool,
}

impl Codings {
    fn note(&mut self, value: &[u8]) {
        self.seen = true;
        // An empty item counts as a coding that is not chunked: HAProxy refuses `,chunked`
        // as it refuses `gzip, chunked`; but it takes `chunked,`, so empty items at the end
        // are dropped first.
        let mut value = value.trim_ascii();
        while let Some(rest) = value.strip_suffix(b",") {
            value = rest.trim_ascii();
        }
        for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            self.tokens += 1;
            self.last_chunked = token.eq_ignore_ascii_case(b"chunked");
            self.chunked += u32::from(self.last_chunked);
        }
    }

    fn coding(self) -> Coding {
        match (self.seen, self.chunked, self.last_chunked, self.tokens) {
            (false, ..) => Coding::Absent,
            (true, 1, true, 1) => Coding::Chunked,
            (true, 1, true, _) => Coding::Layered,
            _ => Coding::Broken,
        }
    }
}

/// The headers that frame a message and govern its connection, read alike in requests and
/// responses.
#[derive(Debug, Default, Clone)]
pub struct Framed {
    pub length: Option<u64>,
    codings: Codings,
    pub close: bool,
    pub keep_alive: bool,
    /// The message can have no body (a 1xx or 204 response): its framing headers are not
    /// forwarded, as HAProxy drops them.
    pub no_body: bool,
    /// `Connection` names `upgrade`.
    pub upgrade: bool,
    /// Drop the `Upgrade` header: HAProxy does not forward an upgrade asked for (`Connection:
    /// upgrade`) on a request with a body.
    pub drop_upgrade: bool,
}

impl Framed {
    /// Takes one header into account. `None` when its value is malformed: a length that is
    /// not a number, or differs from an earlier one (a smuggling attempt).
    pub fn note(&mut self, h: &httparse::Header<'_>) -> Option<()> {
        if h.name.eq_ignore_ascii_case("content-length") {
            // `5, 5` is one length said twice, as HAProxy reads it; `5, 6` is two.
            for item in h.value.split(|&b| b == b',') {
                let n = parse_length(item)?;
                if self.length.is_some_and(|l| l != n) {
                    return None;
                }
                self.length = Some(n);
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            self.codings.note(h.value);
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in super::connection::tokens(h.value) {
                if token.eq_ignore_ascii_case(b"close") {
                    self.close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    self.keep_alive = true;
                } else if token.eq_ignore_ascii_case(b"upgrade") {
                    self.upgrade = true;
                }
            }
        }
        Some(())
    }

    pub fn coding(&self) -> Coding {
        self.codings.coding()
    }

    /// Both a length and a transfer coding: RFC 9112 §6.1 lets the coding win but has the
    /// connection closed after the message, since another hop may have read it the other way.
    pub fn both(&self) -> bool {
        self.length.is_some() && self.codings.seen
    }

    /// Writes one header for the other side. The framing headers are written once, from what
    /// was read, at the place of the first; `Connection` keeps its tokens but `close` and
    /// `keep-alive`, which are this hop's to decide.
    pub fn forward(&self, h: &httparse::Header<'_>, out: &mut Vec<u8>, wrote_length: &mut bool) {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            match self.length {
                Some(n) if !self.coding().is_chunked() && !self.no_body && !*wrote_length => {
                    *wrote_length = true;
                    // A list (`5, 5`) is written as the one length it says; a single value
                    // passes as it came (`005` stays `005`), as HAProxy passes it.
                    if h.value.contains(&b',') {
                        let _ = write!(out, "content-length: {n}\r\n");
                    } else {
                        header_line(out, name, h.value);
                    }
                }
                _ => {}
            }
        } else if (self.drop_upgrade && name.eq_ignore_ascii_case(b"upgrade"))
            || (self.no_body && name.eq_ignore_ascii_case(b"transfer-encoding"))
        {
            // Not forwarded.
        } else if name.eq_ignore_ascii_case(b"te") {
            // Only `trailers` may go on, as HAProxy sends it (docs/haproxy-semantics.md §7).
            if te_asks_trailers(h.value) {
                out.extend_from_slice(b"te: trailers\r\n");
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            let kept = super::connection::cleaned(h.value);
            if !kept.is_empty() {
                header_line(out, name, &kept);
            }
        } else {
            header_line(out, name, h.value);
        }
    }
}

/// HAProxy's reading of a request's `TE`: the value names `trailers` (that exact case,
/// anywhere) right before its end or a comma; anything else drops the header.
fn te_asks_trailers(value: &[u8]) -> bool {
    let value = value.trim_ascii();
    value
        .windows(8)
        .position(|w| w == b"trailers")
        .is_some_and(|at| matches!(value.get(at + 8), None | Some(b',')))
}

/// A head as HAProxy keeps it in its internal form, which its limits apply to: the header
/// lines it counts and the bytes they take (see [`MAX_HTX`]). HAProxy does not keep what it
/// folds or owns (docs/haproxy-semantics.md §9): a repeated equal `Content-Length` or `Host`,
/// a `Connection` left empty once its `close`/`keep-alive` tokens are taken out, and, next to
/// a `Transfer-Encoding`, the `Content-Length` (still counted, but not stored).
pub struct Kept {
    pub lines: usize,
    pub size: usize,
}

impl Kept {
    /// `start`: the bytes of the start line's words but the version.
    pub fn measure(start: usize, headers: &[httparse::Header<'_>]) -> Kept {
        let coded = headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("transfer-encoding"));
        let mut kept = Kept {
            lines: 0,
            size: start + "HTTP/1.1".len(),
        };
        let (mut length_seen, mut host_seen) = (false, None::<&[u8]>);
        for h in headers {
            let value = if h.name.eq_ignore_ascii_case("connection") {
                match super::connection::cleaned_len(h.value) {
                    0 => continue,
                    n => n,
                }
            } else if h.name.eq_ignore_ascii_case("content-length") {
                if std::mem::replace(&mut length_seen, true) {
                    continue;
                }
                if coded {
                    kept.lines += 1;
                    continue;
                }
                kept_length_len(h.value)
            } else if h.name.eq_ignore_ascii_case("host") {
                if host_seen.is_some_and(|first| first.eq_ignore_ascii_case(h.value)) {
                    continue;
                }
                host_seen = host_seen.or(Some(h.value));
                h.value.len()
            } else {
                h.value.len()
            };
            kept.lines += 1;
            kept.size += 8 + h.name.len() + value;
        }
        kept
    }

    /// Within HAProxy's limits on header lines and internal size.
    pub fn fits(&self) -> bool {
        self.lines <= MAX_HEADERS && self.size <= MAX_HTX
    }
}

/// A list (`5, 5`) is kept as the one number it says, a single value as it came.
fn kept_length_len(value: &[u8]) -> usize {
    match value.contains(&b',') {
        true => value
            .split(|&b| b == b',')
            .find_map(parse_length)
            .map_or(value.len(), |n| n.to_string().len()),
        false => value.len(),
    }
}

pub fn parse_length(value: &[u8]) -> Option<u64> {
    let text = value.trim_ascii();
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::te_asks_trailers;

    /// Measured on HAProxy 2.6: what each `TE` value becomes towards the server.
    #[test]
    fn te_keeps_only_trailers_as_haproxy_does() {
        for kept in [
            "trailers",
            "gzip, trailers",
            "trailers, gzip",
            " trailers ",
            "xtrailers",
            "deflate,trailers",
        ] {
            assert!(te_asks_trailers(kept.as_bytes()), "{kept:?}");
        }
        for dropped in [
            "Trailers",
            "TRAILERS",
            "trailersx",
            "taailer,s",
            "gzip",
            "trailers;q=1",
            "",
        ] {
            assert!(!te_asks_trailers(dropped.as_bytes()), "{dropped:?}");
        }
    }
}
