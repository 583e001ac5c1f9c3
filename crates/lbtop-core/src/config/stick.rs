//! Persistence by a stick table: a backend's `stick-table` and its `stick on`, `stick match`
//! and `stick store-request` rules (docs/haproxy-semantics.md §24).

use super::values::parse_duration;
use std::time::Duration;

/// What a table's keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Ip,
    Ipv6,
    Integer,
    /// Strings cut at `len` bytes (32 unless told).
    String {
        len: usize,
    },
}

/// `stick-table type <type> [len <n>] size <n> [expire <t>] [nopurge]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickTable {
    pub key: KeyType,
    pub size: u64,
    /// An entry not used for this long is forgotten; `None`: never.
    pub expire: Option<Duration>,
    /// A full table refuses new entries rather than forgetting its oldest.
    pub nopurge: bool,
    pub line: usize,
}

/// What a rule takes from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// The client's address.
    Src,
    /// A request header's value (`req.hdr(<name>)`, `hdr(<name>)`).
    Header(String),
    /// A request cookie's value (`req.cook(<name>)`, `cook(<name>)`).
    Cookie(String),
}

impl Fetch {
    pub fn words(&self) -> String {
        match self {
            Fetch::Src => "src".into(),
            Fetch::Header(h) => format!("req.hdr({h})"),
            Fetch::Cookie(c) => format!("req.cook({c})"),
        }
    }
}

/// When a rule acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickWhen {
    /// `stick on`: looked up, then stored.
    On,
    /// `stick match`: looked up only.
    Match,
    /// `stick store-request`: stored only.
    StoreRequest,
}

impl StickWhen {
    pub fn as_str(self) -> &'static str {
        match self {
            StickWhen::On => "on",
            StickWhen::Match => "match",
            StickWhen::StoreRequest => "store-request",
        }
    }
    pub fn matches(self) -> bool {
        self != StickWhen::StoreRequest
    }
    pub fn stores(self) -> bool {
        self != StickWhen::Match
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StickRule {
    pub when: StickWhen,
    pub fetch: Fetch,
    pub line: usize,
    /// `if`/`unless`: the rule applies (looks up and stores) only to requests it holds for.
    pub cond: Option<super::acl::Cond>,
}

impl StickTable {
    /// The words of its `stick-table` line after the keyword.
    pub fn words(&self) -> String {
        let mut w = match self.key {
            KeyType::Ip => "type ip".to_string(),
            KeyType::Ipv6 => "type ipv6".to_string(),
            KeyType::Integer => "type integer".to_string(),
            KeyType::String { len } => format!("type string len {len}"),
        };
        w.push_str(&format!(" size {}", self.size));
        if let Some(e) = self.expire {
            w.push_str(&format!(" expire {}ms", e.as_millis()));
        }
        if self.nopurge {
            w.push_str(" nopurge");
        }
        w
    }
}

/// Reads the words after `stick-table`.
pub fn parse_table(args: &[String], line: usize) -> Result<StickTable, String> {
    let mut key = None;
    let mut len = None;
    let mut size = None;
    let mut t = StickTable {
        key: KeyType::Ip,
        size: 0,
        expire: None,
        nopurge: false,
        line,
    };
    let mut words = args.iter().map(String::as_str);
    while let Some(w) = words.next() {
        let mut value = || {
            words
                .next()
                .ok_or_else(|| format!("stick-table: missing argument after '{w}'."))
        };
        match w {
            "type" => {
                key = Some(match value()? {
                    "ip" => KeyType::Ip,
                    "ipv6" => KeyType::Ipv6,
                    "integer" => KeyType::Integer,
                    "string" => KeyType::String { len: 32 },
                    "binary" => {
                        return Err("stick-table: 'type binary' is not supported by lbtop".into())
                    }
                    other => return Err(format!("stick-table: unknown type '{other}'.")),
                })
            }
            "len" => len = Some(number(value()?, "len")?),
            "size" => size = Some(number(value()?, "size")?),
            "expire" => {
                let v = value()?;
                t.expire = Some(parse_duration(v).map_err(|_| {
                    format!("stick-table: unexpected character in 'expire' value '{v}'.")
                })?);
            }
            "nopurge" => t.nopurge = true,
            "store" | "peers" | "srvkey" | "write-to" | "recv-only" => {
                return Err(format!(
                    "stick-table: '{w}' is not supported by lbtop (it keeps no counters and \
                     shares no tables)"
                ))
            }
            other => return Err(format!("stick-table: unknown argument '{other}'.")),
        }
    }
    t.key = key.ok_or("stick-table: missing type.")?;
    t.size = size.ok_or("stick-table: missing size.")?;
    if let (KeyType::String { .. }, Some(n)) = (t.key, len) {
        t.key = KeyType::String { len: n as usize };
    }
    Ok(t)
}

/// `1000`, `10k`, `1m`, `1g`, as HAProxy reads a table size.
fn number(v: &str, what: &str) -> Result<u64, String> {
    let (digits, mult) = match v.as_bytes().last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 1024),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 1024 * 1024),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 1024 * 1024 * 1024),
        _ => (v, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0 && n <= u32::MAX as u64)
        .ok_or_else(|| format!("stick-table: invalid '{what}' value '{v}'."))
}

/// Reads the words after `stick`.
pub fn parse_rule(args: &[String], line: usize) -> Result<StickRule, String> {
    let when = match args.first().map(String::as_str) {
        Some("on") => StickWhen::On,
        Some("match") => StickWhen::Match,
        Some("store-request") => StickWhen::StoreRequest,
        Some("store-response") => {
            return Err("'stick store-response' is not supported by lbtop".into())
        }
        _ => {
            return Err(
                "'stick' expects 'on', 'match', 'store-request' or 'store-response'.".into(),
            )
        }
    };
    let Some(fetch) = args.get(1) else {
        return Err(format!("'stick {}' expects a fetch method.", when.as_str()));
    };
    if let Some(extra) = args.get(2) {
        let why = match extra.as_str() {
            "table" => "a table of another backend ('table') is not supported by lbtop yet",
            _ => "unexpected words after the fetch",
        };
        return Err(format!("'stick {} {fetch} {extra}': {why}", when.as_str()));
    }
    Ok(StickRule {
        when,
        fetch: parse_fetch(fetch)?,
        line,
        cond: None,
    })
}

fn parse_fetch(f: &str) -> Result<Fetch, String> {
    if f == "src" {
        return Ok(Fetch::Src);
    }
    let arg = |prefixes: &[&str]| {
        prefixes.iter().find_map(|p| {
            let inner = f.strip_prefix(p)?.strip_suffix(')')?;
            (!inner.is_empty() && !inner.contains([',', '('])).then(|| inner.to_string())
        })
    };
    if let Some(h) = arg(&["req.hdr(", "hdr("]) {
        return Ok(Fetch::Header(h));
    }
    if let Some(c) = arg(&["req.cook(", "cook("]) {
        return Ok(Fetch::Cookie(c));
    }
    Err(format!(
        "stick rules in lbtop take 'src', 'req.hdr(<name>)' or 'req.cook(<name>)', got '{f}'"
    ))
}
