//! ACL patterns and how a value is matched against them (`-m str|beg|end|sub|reg|dom|dir|
//! len|found|int|ip|bool`), each compiled once at load: strings lower-cased for `-i`,
//! regexes built, integer ranges and address prefixes parsed.

use super::Smp;
use crate::config::IpNet;
use regex::bytes::{Regex, RegexBuilder};
use std::collections::HashSet;
use std::net::IpAddr;

/// How values are matched (`-m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Found,
    Bool,
    Int,
    Ip,
    Len,
    Str,
    Beg,
    End,
    Sub,
    Dir,
    Dom,
    Reg,
    /// `bin`: the sample's bytes equal a pattern written in hexadecimal.
    Bin,
}

impl Method {
    pub fn from_name(m: &str) -> Option<Method> {
        Some(match m {
            "found" => Method::Found,
            "bool" => Method::Bool,
            "int" => Method::Int,
            "ip" => Method::Ip,
            "len" => Method::Len,
            "str" => Method::Str,
            "beg" => Method::Beg,
            "end" => Method::End,
            "sub" => Method::Sub,
            "dir" => Method::Dir,
            "dom" => Method::Dom,
            "reg" => Method::Reg,
            "bin" => Method::Bin,
            _ => return None,
        })
    }
}

/// A regex of a pattern or a converter, compiled with the `regex` crate (HAProxy uses PCRE:
/// no look-around nor backreferences here, and matching is linear).
pub fn regex(p: &str, icase: bool) -> Result<Regex, String> {
    RegexBuilder::new(p)
        .case_insensitive(icase)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let why = e.to_string();
            let last = why.lines().last().unwrap_or("").trim().to_string();
            format!("regex '{p}' is invalid ({last})")
        })
}

/// The compiled patterns of one ACL expression.
#[derive(Debug, Clone)]
pub enum Patterns {
    /// `found` and `bool` take none.
    None,
    /// Exact strings, lower-cased with `-i`: a few compared in turn, more hashed.
    Few(Vec<Vec<u8>>),
    Exact(HashSet<Vec<u8>>),
    /// `beg`, `end`, `sub`, `dir`, `dom`, lower-cased with `-i`.
    Strs(Vec<Vec<u8>>),
    Regs(Vec<Regex>),
    /// `int` and `len`: inclusive ranges.
    Ints(Vec<(i64, i64)>),
    Ips(Vec<IpNet>),
}

impl Patterns {
    /// Compiles `words` for `method`; `-i` is `icase`.
    pub fn compile(method: Method, icase: bool, words: &[String]) -> Result<Patterns, String> {
        let low = |w: &String| {
            if icase {
                w.to_ascii_lowercase().into_bytes()
            } else {
                w.clone().into_bytes()
            }
        };
        Ok(match method {
            Method::Found | Method::Bool => Patterns::None,
            Method::Bin => Patterns::Few(words.iter().map(|w| unhex(w)).collect::<Result<_, _>>()?),
            Method::Str if words.len() <= 8 => Patterns::Few(words.iter().map(low).collect()),
            Method::Str => Patterns::Exact(words.iter().map(low).collect()),
            Method::Beg | Method::End | Method::Sub | Method::Dir | Method::Dom => {
                Patterns::Strs(words.iter().map(low).collect())
            }
            Method::Reg => Patterns::Regs(
                words
                    .iter()
                    .map(|w| regex(w, icase))
                    .collect::<Result<_, _>>()?,
            ),
            Method::Int | Method::Len => Patterns::Ints(int_ranges(words)?),
            Method::Ip => Patterns::Ips(words.iter().map(|w| ip_net(w)).collect::<Result<_, _>>()?),
        })
    }

    /// Whether there is nothing to match against (HAProxy warns the ACL never matches).
    pub fn is_empty(&self) -> bool {
        match self {
            Patterns::None => false,
            Patterns::Exact(s) => s.is_empty(),
            Patterns::Few(s) => s.is_empty(),
            Patterns::Strs(s) => s.is_empty(),
            Patterns::Regs(r) => r.is_empty(),
            Patterns::Ints(i) => i.is_empty(),
            Patterns::Ips(i) => i.is_empty(),
        }
    }

    /// Whether `value` matches under `method`.
    pub fn matches(&self, method: Method, icase: bool, value: &Smp) -> bool {
        match method {
            Method::Found => true,
            Method::Bool => value.as_bool(),
            Method::Int => value.as_int().is_some_and(|n| self.in_ranges(n)),
            Method::Len => self.in_ranges(value.as_bytes().len() as i64),
            Method::Ip => match (self, value.as_ip()) {
                (Patterns::Ips(nets), Some(ip)) => nets.iter().any(|n| n.contains(ip)),
                _ => false,
            },
            Method::Bin => self.matches_str(Method::Str, false, &value.as_bytes()),
            _ => self.matches_str(method, icase, &value.as_bytes()),
        }
    }

    fn in_ranges(&self, n: i64) -> bool {
        match self {
            Patterns::Ints(r) => r.iter().any(|(lo, hi)| (*lo..=*hi).contains(&n)),
            _ => false,
        }
    }

    fn matches_str(&self, method: Method, icase: bool, s: &[u8]) -> bool {
        let lowered;
        let s = if icase && method != Method::Reg && s.iter().any(u8::is_ascii_uppercase) {
            lowered = s.to_ascii_lowercase();
            &lowered[..]
        } else {
            s
        };
        match self {
            Patterns::Exact(set) => set.contains(s),
            Patterns::Few(set) => set.iter().any(|p| p == s),
            Patterns::Regs(rs) => rs.iter().any(|r| r.is_match(s)),
            Patterns::Strs(ps) => ps.iter().any(|p| match method {
                Method::Beg => s.starts_with(p),
                Method::End => s.ends_with(p),
                Method::Sub => find(s, p).is_some(),
                Method::Dir => delimited(s, p, |c| c == b'/'),
                _ => delimited(s, p, |c| matches!(c, b'/' | b'.' | b'?' | b':')),
            }),
            _ => false,
        }
    }
}

/// A `-m bin` pattern: pairs of hexadecimal digits.
fn unhex(w: &str) -> Result<Vec<u8>, String> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = w.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(format!("'{w}' is not a valid hex string (odd length)"));
    }
    b.chunks(2)
        .map(|p| match (digit(p[0]), digit(p[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(format!("'{w}' is not a valid hex string")),
        })
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `dir`/`dom`: `p` appears in `s` with a delimiter (or either end) on both sides; a
/// pattern's own leading or trailing delimiters are ignored, as HAProxy does.
fn delimited(s: &[u8], p: &[u8], is_delim: impl Fn(u8) -> bool) -> bool {
    let a = p.iter().position(|&c| !is_delim(c));
    let z = p.iter().rposition(|&c| !is_delim(c));
    let p = match (a, z) {
        (Some(a), Some(z)) => &p[a..=z],
        _ => return false,
    };
    let mut from = 0;
    while let Some(at) = find(&s[from..], p).map(|i| i + from) {
        let before = at == 0 || is_delim(s[at - 1]);
        let end = at + p.len();
        let after = end == s.len() || is_delim(s[end]);
        if before && after {
            return true;
        }
        from = at + 1;
        if from >= s.len() {
            break;
        }
    }
    false
}

/// Integer patterns: `N`, `N:M`, `:M`, `N:`, or an operator (`eq|ge|gt|le|lt`) and a number.
fn int_ranges(words: &[String]) -> Result<Vec<(i64, i64)>, String> {
    let mut out = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let op = ["eq", "ge", "gt", "le", "lt"].contains(&w.as_str());
        if op {
            let n = it
                .next()
                .ok_or(format!("missing value after operator '{w}'"))?;
            let n = num(n)?;
            out.push(match w.as_str() {
                "eq" => (n, n),
                "ge" => (n, i64::MAX),
                "gt" => (n.saturating_add(1), i64::MAX),
                "le" => (i64::MIN, n),
                _ => (i64::MIN, n.saturating_sub(1)),
            });
            continue;
        }
        out.push(match w.split_once(':') {
            None => (num(w)?, num(w)?),
            Some(("", hi)) => (i64::MIN, num(hi)?),
            Some((lo, "")) => (num(lo)?, i64::MAX),
            Some((lo, hi)) => (num(lo)?, num(hi)?),
        });
    }
    Ok(out)
}

fn num(w: &str) -> Result<i64, String> {
    w.parse::<i64>()
        .map_err(|_| format!("'{w}' is not a number"))
}

/// `10.0.0.0/8`, `::1`, `192.168.1.1/255.255.255.0`.
pub fn ip_net(w: &str) -> Result<IpNet, String> {
    let bad = || format!("'{w}' is not a valid IPv4 or IPv6 address");
    let (addr, len) = match w.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(p) if p <= max => p,
            _ => match (addr, l.parse::<std::net::Ipv4Addr>()) {
                (IpAddr::V4(_), Ok(mask)) => mask_len(mask).ok_or_else(bad)?,
                _ => return Err(bad()),
            },
        },
    };
    Ok(IpNet { addr, prefix })
}

fn mask_len(mask: std::net::Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let len = m.leading_ones();
    (m.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn bin_patterns_are_hex_and_match_exactly() {
        assert_eq!(unhex("5353482d").unwrap(), b"SSH-");
        assert_eq!(unhex("00fF").unwrap(), [0, 255]);
        assert!(unhex("535").is_err() && unhex("zz").is_err());
        let p = Patterns::compile(Method::Bin, true, &["5353482d".into()]).unwrap();
        let m = |v: &'static [u8]| p.matches(Method::Bin, true, &Smp::Str(Cow::Borrowed(v)));
        assert!(m(b"SSH-") && !m(b"ssh-") && !m(b"SSH-2"));
        assert!(Patterns::compile(Method::Bin, false, &["x".into()]).is_err());
    }
}
