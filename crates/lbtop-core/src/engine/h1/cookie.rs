//! The persistence cookie in message heads, as HAProxy reads and rewrites it
//! (docs/haproxy-semantics.md §24): found in a request's `Cookie` lines while the head is
//! written for the server, and set, rewritten or deleted in the response's `Set-Cookie`
//! lines while the head is written for the client. Bytes around the cookie are kept as they
//! came.

use super::head::header_line;

/// What a request's `Cookie` lines lose on their way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strip {
    /// Nothing.
    Keep,
    /// The whole cookie (`insert indirect`).
    Whole,
    /// The `<server cookie>~` before its value (`prefix`).
    Prefix,
}

/// The backend's cookie, as requests are read.
#[derive(Debug, Clone, Copy)]
pub struct RequestCookie<'a> {
    pub name: &'a [u8],
    pub strip: Strip,
}

/// One `Cookie` line: notes the first value of the persistence cookie in `found` (up to `~`
/// in prefix mode) and writes the line for the server, without it when stripped; a line left
/// empty is not written.
pub fn forward_cookie_line(
    name: &[u8],
    value: &[u8],
    rc: RequestCookie<'_>,
    found: &mut Option<Vec<u8>>,
    out: &mut Vec<u8>,
) {
    let mut kept: Vec<u8> = Vec::new();
    let mut changed = false;
    let mut last_end = 0;
    let pieces = pairs(value);
    for (i, p) in pieces.iter().enumerate() {
        if p.name(value) != rc.name {
            continue;
        }
        let v = p.value(value);
        let tilde = v.iter().position(|&b| b == b'~');
        let server_part = match (rc.strip, tilde) {
            (Strip::Prefix, Some(t)) => &v[..t],
            _ => v,
        };
        if found.is_none() {
            *found = Some(server_part.to_vec());
        }
        match (rc.strip, tilde) {
            (Strip::Whole, _) => {
                // Up to the next pair, or for the last one, from the end of the one before.
                let (from, to) = match (pieces.get(i + 1), i.checked_sub(1)) {
                    (Some(next), _) => (p.start, next.start),
                    (None, Some(prev)) => (pieces[prev].end, value.len()),
                    (None, None) => (p.start, value.len()),
                };
                let from = from.max(last_end);
                kept.extend_from_slice(&value[last_end..from]);
                last_end = to;
                changed = true;
            }
            (Strip::Prefix, Some(t)) => {
                let cut = p.value_start + t + 1;
                kept.extend_from_slice(&value[last_end..p.value_start]);
                last_end = cut;
                changed = true;
            }
            _ => {}
        }
    }
    if !changed {
        header_line(out, name, value);
        return;
    }
    kept.extend_from_slice(&value[last_end.min(value.len())..]);
    if !kept.iter().all(|b| b.is_ascii_whitespace() || *b == b';') {
        header_line(out, name, &kept);
    }
}

/// The value of the last cookie named `name` on a `Cookie` line.
pub fn cookie_value<'v>(line: &'v [u8], name: &[u8]) -> Option<&'v [u8]> {
    pairs(line)
        .iter()
        .rev()
        .find(|p| p.name(line) == name)
        .map(|p| p.value(line))
}

/// A `name=value` pair of a `Cookie` line, by offsets into it.
struct Pair {
    /// The first byte of the name.
    start: usize,
    name_end: usize,
    value_start: usize,
    /// After the value.
    end: usize,
}

impl Pair {
    fn name<'v>(&self, line: &'v [u8]) -> &'v [u8] {
        &line[self.start..self.name_end]
    }
    fn value<'v>(&self, line: &'v [u8]) -> &'v [u8] {
        &line[self.value_start..self.end]
    }
}

/// The pairs of a `Cookie` line, separated by `;`, spaces around names and values trimmed.
fn pairs(line: &[u8]) -> Vec<Pair> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < line.len() {
        let stop = line[at..]
            .iter()
            .position(|&b| b == b';')
            .map_or(line.len(), |i| at + i);
        let piece = &line[at..stop];
        let lead = piece.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let trail = piece
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if lead < piece.len() {
            let start = at + lead;
            let end = stop - trail;
            let (name_end, value_start) = match line[start..end].iter().position(|&b| b == b'=') {
                Some(eq) => {
                    let n = &line[start..start + eq];
                    let name_end = start + n.trim_ascii_end().len();
                    let v = &line[start + eq + 1..end];
                    (name_end, end - v.trim_ascii_start().len())
                }
                None => (end, end),
            };
            out.push(Pair {
                start,
                name_end,
                value_start,
                end,
            });
        }
        at = stop + 1;
    }
    out
}

/// The backend's cookie, as one response is written for the client.
#[derive(Debug, Clone, Copy)]
pub struct ResponseCookie<'a> {
    pub name: &'a [u8],
    pub mode: crate::config::CookieMode,
    /// The server's cookie value (`None`: it has none).
    pub server: Option<&'a [u8]>,
    /// The `Set-Cookie` value to insert, when this response should get one.
    pub insert: Option<&'a [u8]>,
    pub preserve: bool,
    /// `nocache` and a request whose response a cache may keep (GET, HEAD or OPTIONS).
    pub nocache: bool,
}

/// What the server's own `Set-Cookie` lines of the cookie's name came to: HAProxy's fourth
/// termination character before any insertion.
#[derive(Debug, Default, Clone, Copy)]
pub struct ServerCookies {
    pub provided: bool,
    pub rewritten: bool,
    pub deleted: bool,
}

/// A `Set-Cookie` line from the server: written for the client as the mode says. Returns
/// `false` when the line is not the persistence cookie (the caller writes it as usual).
pub fn forward_set_cookie(
    name: &[u8],
    value: &[u8],
    rc: &ResponseCookie<'_>,
    seen: &mut ServerCookies,
    out: &mut Vec<u8>,
) -> bool {
    use crate::config::CookieMode::*;
    let eq = value.iter().position(|&b| b == b'=');
    let Some(eq) = eq.filter(|&eq| value[..eq].trim_ascii() == rc.name) else {
        return false;
    };
    seen.provided = true;
    let start = eq + 1 + (value.len() - eq - 1 - value[eq + 1..].trim_ascii_start().len());
    let end = value[start..]
        .iter()
        .position(|&b| b == b';')
        .map_or(value.len(), |i| start + i);
    let end = start + value[start..end].trim_ascii_end().len();
    match (rc.mode, rc.server) {
        (Insert, _) if rc.preserve => header_line(out, name, value),
        (Insert, _) => seen.deleted = true,
        (Rewrite, Some(ours)) => {
            let mut v = value[..start].to_vec();
            v.extend_from_slice(ours);
            v.extend_from_slice(&value[end..]);
            header_line(out, name, &v);
            seen.rewritten = true;
        }
        (Prefix, Some(ours)) => {
            let mut v = value[..start].to_vec();
            v.extend_from_slice(ours);
            v.push(b'~');
            v.extend_from_slice(&value[start..]);
            header_line(out, name, &v);
            seen.rewritten = true;
        }
        (_, None) => header_line(out, name, value),
    }
    true
}

/// The response's fourth termination character, once its head is written.
pub fn response_flag(seen: ServerCookies, inserted: bool) -> u8 {
    match (inserted, seen.rewritten, seen.deleted, seen.provided) {
        (true, ..) => b'I',
        (_, true, ..) => b'R',
        (_, _, true, _) => b'D',
        (_, _, _, true) => b'P',
        _ => b'N',
    }
}

/// Whether a cache could keep a response with this status and these headers, as HAProxy
/// judges it before marking it `Cache-Control: private`: a status caches may keep by
/// default, no `Cache-Control` directive or `Pragma` that forbids it, and something telling
/// how long it stays fresh or how to check it (`max-age`, `s-maxage`, `Expires`,
/// `Last-Modified`, `ETag`). Measured against HAProxy 2.6 (docs/haproxy-semantics.md §24).
pub fn cacheable(status: u16, headers: &[httparse::Header<'_>]) -> bool {
    if !matches!(
        status,
        200 | 203 | 204 | 206 | 300 | 301 | 404 | 405 | 410 | 414 | 501
    ) {
        return false;
    }
    let mut fresh = false;
    for h in headers {
        let is = |n: &str| h.name.eq_ignore_ascii_case(n);
        if is("pragma") && h.value.trim_ascii().eq_ignore_ascii_case(b"no-cache") {
            return false;
        }
        if is("expires") || is("last-modified") || is("etag") {
            fresh = true;
        }
        if !is("cache-control") {
            continue;
        }
        for d in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            let forbids = [
                &b"private"[..],
                b"no-cache",
                b"no-store",
                b"max-age=0",
                b"s-maxage=0",
            ];
            if forbids.iter().any(|f| d.eq_ignore_ascii_case(f)) {
                return false;
            }
            let starts = |p: &[u8]| d.len() >= p.len() && d[..p.len()].eq_ignore_ascii_case(p);
            if starts(b"max-age") || starts(b"s-maxage") {
                fresh = true;
            }
        }
    }
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(line: &str, strip: Strip) -> (String, Option<String>) {
        let mut out = Vec::new();
        let mut found = None;
        let rc = RequestCookie {
            name: b"SRV",
            strip,
        };
        forward_cookie_line(b"cookie", line.as_bytes(), rc, &mut found, &mut out);
        let found = found.map(|f| String::from_utf8(f).unwrap());
        (String::from_utf8(out).unwrap(), found)
    }

    #[test]
    fn request_cookies_as_haproxy_forwards_them() {
        let whole = Strip::Whole;
        assert_eq!(forward("SRV=c1", whole), ("".into(), Some("c1".into())));
        assert_eq!(
            forward("a=1; SRV=c2; b=2", whole),
            ("cookie: a=1; b=2\r\n".into(), Some("c2".into()))
        );
        assert_eq!(
            forward("a=1; SRV=c2", whole).0,
            "cookie: a=1\r\n".to_string()
        );
        assert_eq!(
            forward("SRV=c2; SRV=c1", whole),
            ("".into(), Some("c2".into()))
        );
        assert_eq!(
            forward("x=1; SRV=c2~sess1; y=2", Strip::Prefix),
            ("cookie: x=1; SRV=sess1; y=2\r\n".into(), Some("c2".into()))
        );
        assert_eq!(
            forward("SRV=c2", Strip::Prefix),
            ("cookie: SRV=c2\r\n".into(), Some("c2".into()))
        );
        assert_eq!(
            forward("a=1; SRV=c1", Strip::Keep),
            ("cookie: a=1; SRV=c1\r\n".into(), Some("c1".into()))
        );
        assert_eq!(forward("SRVX=1; =; ;", whole).1, None);
    }

    #[test]
    fn server_cookies_as_each_mode_writes_them() {
        use crate::config::CookieMode::*;
        let write = |mode, preserve, value: &str| {
            let rc = ResponseCookie {
                name: b"SRV",
                mode,
                server: Some(b"c1"),
                insert: None,
                preserve,
                nocache: false,
            };
            let (mut out, mut seen) = (Vec::new(), ServerCookies::default());
            let ours =
                forward_set_cookie(b"set-cookie", value.as_bytes(), &rc, &mut seen, &mut out);
            (
                ours,
                String::from_utf8(out).unwrap(),
                response_flag(seen, false),
            )
        };
        let line = "SRV=mine; path=/x";
        assert_eq!(write(Insert, false, line), (true, String::new(), b'D'));
        assert_eq!(
            write(Insert, true, line),
            (true, "set-cookie: SRV=mine; path=/x\r\n".into(), b'P')
        );
        assert_eq!(
            write(Rewrite, false, line),
            (true, "set-cookie: SRV=c1; path=/x\r\n".into(), b'R')
        );
        assert_eq!(
            write(Prefix, false, " SRV = mine"),
            (true, "set-cookie:  SRV = c1~mine\r\n".into(), b'R')
        );
        assert!(!write(Rewrite, false, "SRVX=1").0);
    }

    #[test]
    fn never_panics_on_mutations() {
        use crate::config::testkit::for_mutations;
        let rc = ResponseCookie {
            name: b"S",
            mode: crate::config::CookieMode::Prefix,
            server: Some(b"c"),
            insert: None,
            preserve: false,
            nocache: false,
        };
        for strip in [Strip::Whole, Strip::Prefix, Strip::Keep] {
            let req = RequestCookie { name: b"S", strip };
            for_mutations(b"a=1; S=c~x ;b = 2;S=;", 0x5eed, b" ;=~S", 3000, |m| {
                let (mut out, mut found) = (Vec::new(), None);
                forward_cookie_line(b"cookie", m, req, &mut found, &mut out);
                let mut seen = ServerCookies::default();
                forward_set_cookie(b"set-cookie", m, &rc, &mut seen, &mut out);
                let _ = cookie_value(m, b"S");
            });
        }
    }

    #[test]
    fn cacheability_as_measured() {
        let h = |n: &'static str, v: &'static str| httparse::Header {
            name: n,
            value: v.as_bytes(),
        };
        assert!(!cacheable(200, &[]));
        assert!(cacheable(200, &[h("Expires", "x")]));
        assert!(!cacheable(302, &[h("Expires", "x")]));
        assert!(!cacheable(200, &[h("cache-control", "public")]));
        assert!(cacheable(200, &[h("cache-control", "s-maxage=5")]));
        assert!(!cacheable(200, &[h("cache-control", "PRIVATE, Max-Age=5")]));
        assert!(!cacheable(
            200,
            &[h("cache-control", "max-age=0, s-maxage=5")]
        ));
        assert!(!cacheable(200, &[h("etag", "x"), h("pragma", "no-cache")]));
    }
}
