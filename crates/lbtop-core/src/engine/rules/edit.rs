//! Rewriting a message as `http-request` and `http-response` rules ask
//! (docs/haproxy-semantics.md §21.4). A message with no rewriting rule is never copied: the
//! head parsers' one-pass output goes out as it is. A rewritten one is held here as owned
//! lines, which later rules read through a [`ReqView`] of them.

use super::{ReqView, ResView};
use crate::config::edit::expand;
use crate::config::{Edit, NameMatch};

/// Header lines, in order: name as written, value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lines(pub Vec<(String, Vec<u8>)>);

impl Lines {
    pub fn of(headers: &[httparse::Header<'_>]) -> Lines {
        Lines(
            headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect(),
        )
    }

    /// httparse's view of the lines, for a [`ReqView`].
    pub fn headers(&self) -> Vec<httparse::Header<'_>> {
        self.0
            .iter()
            .map(|(n, v)| httparse::Header { name: n, value: v })
            .collect()
    }

    /// Applies a header edit; `value` is its format's string. Returns false for an edit that
    /// is not about headers.
    pub fn apply(&mut self, e: &Edit, value: &[u8]) -> bool {
        let named = |n: &str, name: &str| n.eq_ignore_ascii_case(name);
        match e {
            Edit::SetHeader { name, .. } => {
                self.0.retain(|(n, _)| !named(n, name));
                self.0.push((name.clone(), value.to_vec()));
            }
            Edit::AddHeader { name, .. } => self.0.push((name.clone(), value.to_vec())),
            Edit::DelHeader { name, how } => self.0.retain(|(n, _)| {
                !(how == &NameMatch::Str && named(n, name)
                    || how != &NameMatch::Str && how.matches(name, &n.to_ascii_lowercase()))
            }),
            Edit::ReplaceHeader { name, re, .. } => {
                for (_, v) in self.0.iter_mut().filter(|(n, _)| named(n, name)) {
                    if let Some(new) = expand(re, v, value) {
                        *v = new;
                    }
                }
            }
            Edit::ReplaceValue { name, re, .. } => {
                for (_, v) in self.0.iter_mut().filter(|(n, _)| named(n, name)) {
                    *v = replace_values(v, |x| expand(re, x, value));
                }
            }
            _ => return false,
        }
        true
    }

    /// `name: value\r\n` for each line, the name lower-cased.
    pub fn write(&self, out: &mut Vec<u8>) {
        for (n, v) in &self.0 {
            crate::engine::h1::head::header_line(out, n.as_bytes(), v);
        }
    }
}

/// Each comma-separated value replaced where `f` gives a new one; a value replaced loses
/// the blanks around it, the others keep theirs (measured: `a, b` with `b` to `c` gives
/// `a,c`).
fn replace_values(line: &[u8], f: impl Fn(&[u8]) -> Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    for (i, part) in line.split(|&b| b == b',').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match f(part.trim_ascii()) {
            Some(new) => out.extend_from_slice(&new),
            None => out.extend_from_slice(part),
        }
    }
    out
}

/// A request rules have rewritten.
#[derive(Debug, Clone, PartialEq)]
pub struct Edited {
    pub method: Vec<u8>,
    pub target: Vec<u8>,
    pub lines: Lines,
}

impl Edited {
    pub fn of(v: &ReqView) -> Edited {
        Edited {
            method: v.method.to_vec(),
            target: v.target.to_vec(),
            lines: Lines::of(v.headers),
        }
    }

    /// A view of the rewritten request; what it does not hold comes from `base`. The method
    /// stays the one the client sent: HAProxy's `method` reads it as it was parsed, before
    /// any `set-method` (measured).
    pub fn view<'a>(
        &'a self,
        headers: &'a [httparse::Header<'a>],
        base: &ReqView<'a>,
    ) -> ReqView<'a> {
        ReqView {
            target: &self.target,
            headers,
            ..*base
        }
    }

    /// Applies one edit; `value` is its format's string.
    pub fn apply(&mut self, e: &Edit, value: &[u8]) {
        if self.lines.apply(e, value) {
            return;
        }
        let (prefix, path, query) = split_target(&self.target);
        let (prefix, path, query) = (prefix.to_vec(), path.to_vec(), query.map(<[u8]>::to_vec));
        let join = |path: &[u8], query: Option<&[u8]>| {
            let mut t = prefix.clone();
            t.extend_from_slice(path);
            if let Some(q) = query {
                t.push(b'?');
                t.extend_from_slice(q);
            }
            t
        };
        match e {
            Edit::SetPath(_) => self.target = join(value, query.as_deref()),
            Edit::ReplacePath { re, .. } => {
                if let Some(new) = expand(re, &path, value) {
                    self.target = join(&new, query.as_deref());
                }
            }
            // An empty query keeps a `?` the target had and adds none (measured).
            Edit::SetQuery(_) => {
                let q = (!value.is_empty() || query.is_some()).then_some(value);
                self.target = join(&path, q);
            }
            Edit::SetUri(_) => self.target = value.to_vec(),
            Edit::SetMethod(_) => self.method = value.to_vec(),
            _ => {}
        }
    }

    /// The rewritten head, as a client would have sent it, for `h1::head::parse` to check
    /// and write for the server.
    pub fn head(&self, http10: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&self.method);
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(if http10 {
            b" HTTP/1.0\r\n"
        } else {
            b" HTTP/1.1\r\n"
        });
        for (n, v) in &self.lines.0 {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// A target's `scheme://authority` (empty for a path), path, and query (after `?`).
fn split_target(t: &[u8]) -> (&[u8], &[u8], Option<&[u8]>) {
    let start = match t.windows(3).position(|w| w == b"://") {
        Some(s) if t.first() != Some(&b'/') => {
            let rest = s + 3;
            rest + t[rest..]
                .iter()
                .position(|&b| b == b'/' || b == b'?')
                .unwrap_or(t.len() - rest)
        }
        _ => 0,
    };
    let (prefix, rest) = t.split_at(start);
    match rest.iter().position(|&b| b == b'?') {
        Some(q) => (prefix, &rest[..q], Some(&rest[q + 1..])),
        None => (prefix, rest, None),
    }
}

/// The reason HAProxy gives a status a rule set without one: the standard one, else its
/// class's (measured: 299 is `Success`).
fn reason_of(code: u16) -> &'static str {
    let known = hyper::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason());
    known.unwrap_or(match code / 100 {
        1 => "Informational",
        2 => "Success",
        3 => "Redirection",
        4 => "Client Error",
        5 => "Server Error",
        _ => "Other",
    })
}

/// A response head rules rewrite: its status line's parts and its lines.
pub struct EditedResponse {
    pub http10: bool,
    pub status: u16,
    pub reason: Vec<u8>,
    pub lines: Lines,
}

impl EditedResponse {
    /// Reads the head lbtop wrote for the client (`h1::response`); `None` if it does not
    /// parse (it always does).
    pub fn parse(out: &[u8]) -> Option<EditedResponse> {
        let mut headers = crate::engine::h1::head::headers_for(out);
        let mut res = httparse::Response::new(&mut headers);
        res.parse(out).ok()?;
        Some(EditedResponse {
            http10: res.version? == 0,
            status: res.code?,
            reason: res.reason?.as_bytes().to_vec(),
            lines: Lines::of(res.headers),
        })
    }

    pub fn view<'a>(&self, headers: &'a [httparse::Header<'a>], base: &ReqView<'a>) -> ReqView<'a> {
        ReqView {
            res: Some(ResView {
                status: self.status,
                headers,
            }),
            ..*base
        }
    }

    pub fn apply(&mut self, e: &Edit, value: &[u8]) {
        if self.lines.apply(e, value) {
            return;
        }
        if let Edit::SetStatus { code, reason } = e {
            self.status = *code;
            self.reason = match reason {
                Some(r) => r.as_bytes().to_vec(),
                None => reason_of(*code).as_bytes().to_vec(),
            };
        }
    }

    /// The head for the client; lbtop's own `connection` line stays last, where HAProxy
    /// writes it. A `101`'s `connection` line naming `upgrade` is the server's and stays
    /// where the server put it, before the lines rules added (measured).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(if self.http10 {
            b"HTTP/1.0 "
        } else {
            b"HTTP/1.1 "
        });
        out.extend_from_slice(format!("{:03} ", self.status).as_bytes());
        out.extend_from_slice(&self.reason);
        out.extend_from_slice(b"\r\n");
        let (conn, rest): (Vec<_>, Vec<_>) = self
            .lines
            .0
            .iter()
            .cloned()
            .partition(|(n, v)| n.eq_ignore_ascii_case("connection") && !names_upgrade(v));
        Lines(rest).write(out);
        Lines(conn).write(out);
        out.extend_from_slice(b"\r\n");
    }
}

/// A `Connection` value holding the token `upgrade`.
fn names_upgrade(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_prefix_path_query() {
        assert_eq!(
            split_target(b"/a/b?x=1"),
            (&b""[..], &b"/a/b"[..], Some(&b"x=1"[..]))
        );
        assert_eq!(
            split_target(b"http://h:1/p"),
            (&b"http://h:1"[..], &b"/p"[..], None)
        );
        assert_eq!(
            split_target(b"http://h?q"),
            (&b"http://h"[..], &b""[..], Some(&b"q"[..]))
        );
    }

    #[test]
    fn values_are_replaced_one_by_one() {
        let f = |x: &[u8]| (x == b"b" || x == b"a").then(|| b"z".to_vec());
        assert_eq!(replace_values(b"a, b,c", f), b"z,z,c");
        assert_eq!(
            replace_values(b"ab, b", |x| (x == b"b").then(|| b"c".to_vec())),
            b"ab,c"
        );
    }

    #[test]
    fn a_101_keeps_its_connection_line_in_place() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n";
        let mut res = EditedResponse::parse(head).unwrap();
        res.lines.0.push(("x-added".into(), b"yes".to_vec()));
        res.lines.0.push(("connection".into(), b"close".to_vec()));
        let mut out = Vec::new();
        res.write(&mut out);
        assert_eq!(
            out,
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-added: yes\r\nconnection: close\r\n\r\n"
        );
    }
}
