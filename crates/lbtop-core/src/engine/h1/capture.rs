//! `capture request|response header` and `capture cookie`, fed header by header from the head
//! parsers' own pass (docs/haproxy-semantics.md §25). Nothing is built for a frontend without
//! captures.

use crate::config::{Capture, Captures};
use crate::events::Captured;

/// Captures being filled while a head is read.
pub struct Capturing<'a> {
    captures: &'a Captures,
    pub found: Captured,
}

impl<'a> Capturing<'a> {
    /// `None` when the frontend captures nothing (or the request is not recorded).
    pub fn new(captures: Option<&'a Captures>, response: bool) -> Option<Capturing<'a>> {
        let captures = captures.filter(|c| !c.is_empty())?;
        let mut found = Captured::default();
        if response {
            found.response = vec![None; captures.response.len()];
        } else {
            found.request = vec![None; captures.request.len()];
        }
        Some(Capturing { captures, found })
    }

    /// A request header: each `capture request header` of its name keeps its last occurrence
    /// (measured), and the first cookie whose `name=value` starts with `capture cookie`'s name.
    pub fn request(&mut self, name: &str, value: &[u8]) {
        note(&self.captures.request, &mut self.found.request, name, value);
        if let (Some(c), None) = (&self.captures.cookie, &self.found.cookie_request) {
            if name.eq_ignore_ascii_case("cookie") {
                self.found.cookie_request = value
                    .split(|&b| b == b';' || b == b',')
                    .map(trim)
                    .find(|pair| pair.starts_with(c.name.as_bytes()))
                    .map(|pair| cut(pair, c.len));
            }
        }
    }

    /// A response header, and `Set-Cookie`'s `name=value` for `capture cookie`.
    pub fn response(&mut self, name: &str, value: &[u8]) {
        note(
            &self.captures.response,
            &mut self.found.response,
            name,
            value,
        );
        if let (Some(c), None) = (&self.captures.cookie, &self.found.cookie_response) {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = trim(value.split(|&b| b == b';').next().unwrap_or_default());
                if pair.starts_with(c.name.as_bytes()) {
                    self.found.cookie_response = Some(cut(pair, c.len));
                }
            }
        }
    }

    pub fn done(self) -> Option<Box<Captured>> {
        Some(Box::new(self.found))
    }
}

/// The request's captures with the response's added.
pub fn merge(
    request: Option<Box<Captured>>,
    response: Option<Box<Captured>>,
) -> Option<Box<Captured>> {
    match (request, response) {
        (Some(mut req), Some(resp)) => {
            req.response = resp.response;
            req.cookie_response = resp.cookie_response;
            Some(req)
        }
        (req, _) => req,
    }
}

fn note(list: &[Capture], found: &mut [Option<Vec<u8>>], name: &str, value: &[u8]) {
    for (c, slot) in list.iter().zip(found.iter_mut()) {
        if c.name.eq_ignore_ascii_case(name) {
            *slot = Some(cut(value, c.len));
        }
    }
}

fn cut(value: &[u8], len: usize) -> Vec<u8> {
    value[..value.len().min(len)].to_vec()
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> Captures {
        let c = |name: &str, len| Capture {
            name: name.into(),
            len,
        };
        Captures {
            request: vec![c("X-A", 4), c("host", 10), c("x-a", 10)],
            response: vec![c("X-R", 3)],
            cookie: Some(c("SI", 5)),
        }
    }

    #[test]
    fn the_last_header_wins_cut_to_its_length() {
        let caps = caps();
        let mut c = Capturing::new(Some(&caps), false).unwrap();
        c.request("x-a", b"first");
        c.request("X-A", b"second");
        c.request("Cookie", b"a=1; SID=987654; SI=2");
        c.request("Cookie", b"SIX=3");
        let f = c.done().unwrap();
        assert_eq!(
            f.request,
            vec![Some(b"seco".to_vec()), None, Some(b"second".to_vec())]
        );
        assert_eq!(f.cookie_request.as_deref(), Some(&b"SID=9"[..]));
        let mut c = Capturing::new(Some(&caps), true).unwrap();
        c.response("set-cookie", b" SIX=abcdef; path=/");
        c.response("set-cookie", b"SI=zz");
        c.response("x-r", b"");
        let f = c.done().unwrap();
        assert_eq!(f.response, vec![Some(Vec::new())]);
        assert_eq!(f.cookie_response.as_deref(), Some(&b"SIX=a"[..]));
        assert!(Capturing::new(Some(&Captures::default()), false).is_none());
        assert!(Capturing::new(None, false).is_none());
    }
}
