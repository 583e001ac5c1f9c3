//! Converters (`,lower`, `,map(file)`, `,regsub(...)`, ...) and the map files they read,
//! loaded once at load.

use super::pattern::{regex, Method, Patterns};
use super::Smp;
use regex::bytes::Regex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// One converter, its arguments checked.
#[derive(Debug, Clone)]
pub enum Conv {
    Lower,
    Upper,
    /// A Host value without its port (`[::1]:80` keeps its brackets).
    HostOnly,
    /// `concat(<before>,,<after>)`: text around the value (variables are not supported).
    Concat(String, String),
    /// `map_<match>(file[,default])`.
    Map {
        map: Arc<MapFile>,
        default: Option<String>,
    },
    /// `regsub(regex,subst[,flags])`: `subst` already in the `regex` crate's `${1}` form.
    Regsub {
        re: Regex,
        with: String,
        global: bool,
    },
    /// `field(index,delims[,count])` / `word(...)` (`word` skips empty fields).
    Field {
        index: i64,
        delims: Vec<u8>,
        count: usize,
        words: bool,
    },
    /// `hex`: the bytes in upper-case hexadecimal (an integer as its 8 bytes, an address as
    /// its 4 or 16).
    Hex,
    /// `length`: the string's length in bytes.
    Length,
    /// `bool`: true when the input, read as an integer, is not 0.
    Bool,
    /// `ipmask(<v4 mask>[,<v6 mask>])`: an IPv6 address without its mask has no value.
    IpMask(u8, Option<u8>),
}

/// A map file: `key value` lines, `#` comments, read at load.
#[derive(Debug)]
pub struct MapFile {
    pub path: String,
    method: Method,
    exact: HashMap<Vec<u8>, String>,
    /// For the other matches, in file order (the first match wins).
    entries: Vec<(Vec<u8>, Patterns, String)>,
}

impl Conv {
    /// The type of what the converter gives, which decides an ACL's default match.
    pub fn kind(&self) -> super::fetch::Kind {
        use super::fetch::Kind;
        match self {
            Conv::Length => Kind::Int,
            Conv::Bool => Kind::Bool,
            Conv::IpMask(..) => Kind::Ip,
            _ => Kind::Str,
        }
    }

    pub fn parse(name: &str, args: &[String]) -> Result<Conv, String> {
        let arg = |i: usize| args.get(i).map(String::as_str);
        match name {
            "lower" => Ok(Conv::Lower),
            "upper" => Ok(Conv::Upper),
            "host_only" => Ok(Conv::HostOnly),
            "hex" => Ok(Conv::Hex),
            "length" => Ok(Conv::Length),
            "bool" => Ok(Conv::Bool),
            "ipmask" => {
                let v4 = arg(0).and_then(|m| mask_len(m, 32));
                let Some(v4) = v4 else {
                    return Err("converter 'ipmask' expects an IPv4 mask (a length or \
                                a dotted mask)"
                        .into());
                };
                let v6 = match arg(1) {
                    None => None,
                    Some(m) => Some(
                        mask_len(m, 128)
                            .ok_or(format!("converter 'ipmask': bad IPv6 mask length '{m}'"))?,
                    ),
                };
                Ok(Conv::IpMask(v4, v6))
            }
            "concat" => match arg(1).unwrap_or("") {
                "" => Ok(Conv::Concat(
                    arg(0).unwrap_or("").to_string(),
                    arg(2).unwrap_or("").to_string(),
                )),
                var => Err(format!(
                    "converter 'concat': variables ('{var}') are not supported by lbtop"
                )),
            },
            "regsub" => {
                let (Some(re), Some(with)) = (arg(0), arg(1)) else {
                    return Err("converter 'regsub' expects a regex and a replacement".into());
                };
                let flags = arg(2).unwrap_or("");
                if let Some(f) = flags.chars().find(|c| !matches!(c, 'i' | 'g')) {
                    return Err(format!("converter 'regsub': unknown flag '{f}'"));
                }
                Ok(Conv::Regsub {
                    re: regex(re, flags.contains('i')).map_err(|m| format!("'regsub': {m}"))?,
                    with: backrefs(with),
                    global: flags.contains('g'),
                })
            }
            "field" | "word" => {
                let index = arg(0)
                    .and_then(|i| i.parse::<i64>().ok())
                    .filter(|i| *i != 0);
                let (Some(index), Some(delims)) = (index, arg(1)) else {
                    return Err(format!(
                        "converter '{name}' expects a non-zero index and delimiters"
                    ));
                };
                let count = match arg(2) {
                    None => 1,
                    Some(c) => c
                        .parse()
                        .map_err(|_| format!("converter '{name}': bad count '{c}'"))?,
                };
                Ok(Conv::Field {
                    index,
                    delims: delims.as_bytes().to_vec(),
                    count,
                    words: name == "word",
                })
            }
            _ => {
                let Some(method) = map_method(name) else {
                    return Err(format!(
                        "unknown converter '{name}' (or one lbtop does not support)"
                    ));
                };
                let file = arg(0).ok_or(format!("converter '{name}' expects a map file"))?;
                Ok(Conv::Map {
                    map: Arc::new(MapFile::load(file, method)?),
                    default: arg(1).map(str::to_string),
                })
            }
        }
    }

    /// The converted value; `None` when the sample has no value (a map without a default
    /// that has no entry).
    pub fn apply<'a>(&self, v: Smp<'a>) -> Option<Smp<'a>> {
        let s = |b: Vec<u8>| Some(Smp::Str(Cow::Owned(b)));
        match self {
            Conv::Lower => s(v.as_bytes().to_ascii_lowercase()),
            Conv::Upper => s(v.as_bytes().to_ascii_uppercase()),
            Conv::HostOnly => s(host_only(&v.as_bytes()).to_vec()),
            Conv::Concat(before, after) => {
                s([before.as_bytes(), &v.as_bytes(), after.as_bytes()].concat())
            }
            Conv::Map { map, default } => match map.lookup(&v.as_bytes()) {
                Some(found) => s(found.as_bytes().to_vec()),
                None => default.as_ref().and_then(|d| s(d.as_bytes().to_vec())),
            },
            Conv::Regsub { re, with, global } => {
                let b = v.as_bytes();
                let out = if *global {
                    re.replace_all(&b, with.as_bytes())
                } else {
                    re.replace(&b, with.as_bytes())
                };
                s(out.into_owned())
            }
            Conv::Field {
                index,
                delims,
                count,
                words,
            } => s(field(&v.as_bytes(), *index, delims, *count, *words)),
            Conv::Hex => s(hex(&v)),
            Conv::Length => Some(Smp::Int(v.as_bytes().len() as i64)),
            Conv::Bool => Some(Smp::Bool(v.as_int()? != 0)),
            Conv::IpMask(v4, v6) => masked(v.as_ip()?, *v4, *v6).map(Smp::Ip),
        }
    }
}

/// A mask as a prefix length up to `max`, or (for IPv4) dotted (`255.255.0.0`, contiguous).
fn mask_len(m: &str, max: u8) -> Option<u8> {
    if let Ok(n) = m.parse::<u8>() {
        return (n <= max).then_some(n);
    }
    let bits = u32::from(m.parse::<std::net::Ipv4Addr>().ok().filter(|_| max == 32)?);
    let n = bits.leading_ones();
    (bits.checked_shl(n).unwrap_or(0) == 0).then_some(n as u8)
}

fn masked(ip: std::net::IpAddr, v4: u8, v6: Option<u8>) -> Option<std::net::IpAddr> {
    use std::net::IpAddr;
    Some(match ip {
        IpAddr::V4(a) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(v4)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & keep).into())
        }
        IpAddr::V6(a) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(v6?)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & keep).into())
        }
    })
}

/// HAProxy's `hex`: the sample cast to binary, each byte as two upper-case digits.
fn hex(v: &Smp) -> Vec<u8> {
    let bytes: Vec<u8> = match v {
        Smp::Int(n) => n.to_be_bytes().to_vec(),
        Smp::Bool(b) => i64::from(*b).to_be_bytes().to_vec(),
        Smp::Ip(std::net::IpAddr::V4(a)) => a.octets().to_vec(),
        Smp::Ip(std::net::IpAddr::V6(a)) => a.octets().to_vec(),
        Smp::Str(s) => s.to_vec(),
    };
    bytes
        .iter()
        .flat_map(|b| format!("{b:02X}").into_bytes())
        .collect()
}

fn map_method(name: &str) -> Option<Method> {
    Some(match name {
        "map" | "map_str" => Method::Str,
        "map_beg" => Method::Beg,
        "map_end" => Method::End,
        "map_sub" => Method::Sub,
        "map_dir" => Method::Dir,
        "map_dom" => Method::Dom,
        "map_reg" | "map_regm" => Method::Reg,
        _ => return None,
    })
}

fn host_only(h: &[u8]) -> &[u8] {
    let end = match h.first() {
        Some(b'[') => h.iter().position(|&c| c == b']').map_or(h.len(), |p| p + 1),
        _ => h.iter().position(|&c| c == b':').unwrap_or(h.len()),
    };
    &h[..end]
}

/// HAProxy's `\1` back-references as the `regex` crate's `${1}`, and a literal `$` kept.
fn backrefs(with: &str) -> String {
    let mut out = String::new();
    let mut chars = with.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str(&format!("${{{}}}", chars.next().unwrap_or('0')));
            }
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

/// HAProxy's `field`/`word`: fields counted from 1 (from the end when negative), `count`
/// of them joined by the delimiter found (0: to the end).
fn field(s: &[u8], index: i64, delims: &[u8], count: usize, words: bool) -> Vec<u8> {
    let parts: Vec<&[u8]> = s
        .split(|c| delims.contains(c))
        .filter(|p| !words || !p.is_empty())
        .collect();
    let n = parts.len() as i64;
    let start = if index > 0 { index - 1 } else { n + index };
    if start < 0 || start >= n {
        return Vec::new();
    }
    let end = if count == 0 {
        n
    } else {
        (start + count as i64).min(n)
    };
    let sep = [delims.first().copied().unwrap_or(b' ')];
    parts[start as usize..end as usize].join(&sep[..])
}

impl MapFile {
    /// Reads `path`; an error names the line of a bad entry.
    pub fn load(path: &str, method: Method) -> Result<MapFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("failed to open map file <{path}> ({e})"))?;
        let mut map = MapFile {
            path: path.to_string(),
            method,
            exact: HashMap::new(),
            entries: Vec::new(),
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = match line.split_once([' ', '\t']) {
                Some((k, v)) => (k, v.trim()),
                None => (line, ""),
            };
            if method == Method::Str {
                map.exact
                    .entry(key.as_bytes().to_vec())
                    .or_insert_with(|| value.to_string());
                continue;
            }
            let pats = Patterns::compile(method, false, &[key.to_string()])
                .map_err(|m| format!("{path}:{}: {m}", i + 1))?;
            map.entries
                .push((key.as_bytes().to_vec(), pats, value.to_string()));
        }
        Ok(map)
    }

    pub fn lookup(&self, key: &[u8]) -> Option<&str> {
        if self.method == Method::Str {
            return self.exact.get(key).map(String::as_str);
        }
        let v = Smp::Str(Cow::Borrowed(key));
        self.entries
            .iter()
            .find(|(_, p, _)| p.matches(self.method, false, &v))
            .map(|(_, _, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_words() {
        assert_eq!(field(b"a,b,,c", 2, b",", 1, false), b"b");
        assert_eq!(field(b"a,b,,c", 3, b",", 1, false), b"");
        assert_eq!(field(b"a,b,,c", 3, b",", 1, true), b"c");
        assert_eq!(field(b"a,b,c", -1, b",", 1, false), b"c");
        assert_eq!(field(b"a,b,c", 2, b",", 0, false), b"b,c");
        assert_eq!(field(b"a", 5, b",", 1, false), b"");
    }

    /// As HAProxy 2.6.12 wrote them in a log line (docs/haproxy-semantics.md §25.3).
    #[test]
    fn hex_length_and_ipmask_as_haproxy() {
        let run = |conv: &str, args: &[&str], v: Smp<'static>| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let c = Conv::parse(conv, &args).unwrap();
            c.apply(v)
                .map(|o| String::from_utf8_lossy(&o.as_bytes()).into_owned())
        };
        let ip = |s: &str| Smp::Ip(s.parse().unwrap());
        let st = |s: &'static str| Smp::Str(Cow::Borrowed(s.as_bytes()));
        assert_eq!(run("hex", &[], st("ab")).unwrap(), "6162");
        assert_eq!(run("hex", &[], st("\u{ff}")).unwrap(), "C3BF");
        assert_eq!(run("hex", &[], ip("127.0.0.1")).unwrap(), "7F000001");
        assert_eq!(run("hex", &[], Smp::Int(0)).unwrap(), "0000000000000000");
        assert_eq!(run("length", &[], st("abc")).unwrap(), "3");
        assert_eq!(run("length", &[], st("")).unwrap(), "0");
        assert_eq!(run("bool", &[], Smp::Int(7)).unwrap(), "1");
        assert_eq!(run("bool", &[], Smp::Int(0)).unwrap(), "0");
        assert_eq!(run("bool", &[], Smp::Bool(true)).unwrap(), "1");
        assert_eq!(run("bool", &[], st("x")), None, "not an integer: no value");
        assert_eq!(
            run("ipmask", &["24"], ip("127.0.0.1")).unwrap(),
            "127.0.0.0"
        );
        assert_eq!(
            run("ipmask", &["255.255.0.0"], ip("127.1.2.3")).unwrap(),
            "127.1.0.0"
        );
        assert_eq!(run("ipmask", &["0"], ip("127.0.0.1")).unwrap(), "0.0.0.0");
        assert_eq!(run("ipmask", &["16"], st("10.1.2.3")).unwrap(), "10.1.0.0");
        assert_eq!(run("ipmask", &["16"], st("x")), None);
        assert_eq!(run("ipmask", &["8"], ip("2001:db8::1")), None);
        assert_eq!(
            run("ipmask", &["8", "32"], ip("2001:db8::1")).unwrap(),
            "2001:db8::"
        );
        for bad in [&["33"][..], &["255.0.255.0"], &[], &["8", "129"]] {
            let args: Vec<String> = bad.iter().map(|a| a.to_string()).collect();
            assert!(Conv::parse("ipmask", &args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn host_only_and_concat() {
        assert_eq!(host_only(b"a.example:8080"), b"a.example");
        assert_eq!(host_only(b"[::1]:80"), b"[::1]");
        assert_eq!(host_only(b"a.example"), b"a.example");
        let c = Conv::parse("concat", &["<".into(), "".into(), ">".into()]).unwrap();
        let out = c.apply(Smp::Str(Cow::Borrowed(b"x"))).unwrap();
        assert_eq!(&*out.as_bytes(), b"<x>");
        assert!(Conv::parse("concat", &["a".into(), "txn.v".into()]).is_err());
    }

    #[test]
    fn regsub_backrefs() {
        assert_eq!(backrefs(r"x\1y$"), "x${1}y$$");
        let c = Conv::parse("regsub", &["(a+)".into(), r"<\1>".into(), "g".into()]).unwrap();
        let out = c.apply(Smp::Str(Cow::Borrowed(b"baab a"))).unwrap();
        assert_eq!(&*out.as_bytes(), b"b<aa>b <a>");
    }
}
