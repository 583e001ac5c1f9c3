//! Sample fetches: what a rule reads from a request (`path`, `hdr(host)`, `src`, ...),
//! chosen once at load from the fetch's name and arguments.

use super::LoadCtx;
use super::{Env, Smp};
use crate::engine::rules::{ReqView, Version};
use std::borrow::Cow;

/// The type of a fetch's values, which decides an ACL's default match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Ip,
    Bool,
}

/// One fetch, its arguments checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch {
    Path,
    Url,
    Query,
    Base,
    Method,
    /// `url_param(name[,delim])`.
    UrlParam(String, u8),
    /// `hdr(name[,occ])` (values split at commas) or `fhdr` (whole lines).
    Hdr {
        name: String,
        occ: Option<i64>,
        full: bool,
    },
    /// `hdr_cnt(name)` / `fhdr_cnt(name)`.
    HdrCnt {
        name: String,
        full: bool,
    },
    /// `hdr_val(name[,occ])`: the value as an integer.
    HdrVal {
        name: String,
        occ: Option<i64>,
    },
    /// `hdr_ip(name[,occ])`: the value as an address.
    HdrIp {
        name: String,
        occ: Option<i64>,
    },
    /// `cook(name)` / `req.cook(name)`.
    Cook(String),
    Src,
    SrcPort,
    Dst,
    DstPort,
    SslFc,
    SslFcSni,
    /// `nbsrv([backend])`: a backend's name, or `None` for the current one.
    NbSrv(Option<String>),
    BeId,
    FeId,
    AlwaysTrue,
    AlwaysFalse,
    /// `req.ver`: `1.0` or `1.1`.
    ReqVer,
    /// `req.proto_http`: always true on an HTTP request.
    ProtoHttp,
    /// `status`: the response's status (`http-response` rules only).
    Status,
    /// `res.hdr(name[,occ])`, `shdr` (values split at commas), `res.fhdr` (whole lines).
    ResHdr {
        name: String,
        occ: Option<i64>,
        full: bool,
    },
    /// `var(<scope>.<name>)`: a variable `set-var` set.
    Var(String),
    /// `http_auth(<userlist>)`: the request's basic credentials are a user's of the list.
    HttpAuth(String),
    /// `http_auth_group(<userlist>)`: the groups of the user the credentials are of.
    HttpAuthGroup(String),
    /// `res.hdr_cnt(name)`, `shdr_cnt`, `res.fhdr_cnt`.
    ResHdrCnt {
        name: String,
        full: bool,
    },
    /// `req.len`: how many bytes of a TCP connection are held.
    ReqLen,
    /// `req.ssl_sni`: the server name of a ClientHello among the held bytes.
    ReqSslSni,
    /// `req.ssl_hello_type`: 1 once the held bytes hold a whole ClientHello.
    ReqSslHelloType,
    /// `req.payload(<offset>,<length>)`: held bytes; `length` 0 is all from `offset`. No
    /// value until that many bytes are held.
    ReqPayload {
        offset: usize,
        length: usize,
    },
    /// `env(NAME)`: the process's variable, read at load (after `setenv` and friends);
    /// none when it is not set.
    Env(Option<String>),
    /// `str(text)`: the text itself.
    Str(String),
    /// `int(n)`: the integer itself.
    Int(i64),
    /// `uuid([4])`: a random UUID (version 4), new at each call.
    Uuid,
    /// `unique-id`: the request's `unique-id-format` ID.
    UniqueId,
}

impl Fetch {
    /// The fetch `name(args)`, or why not. `name` may carry HAProxy's `req.` prefix.
    pub fn parse(name: &str, args: &[String], ctx: &LoadCtx) -> Result<Fetch, String> {
        let be = ctx.backend_of;
        let arg = |i: usize| args.get(i).map(String::as_str);
        let needs_name = || match arg(0) {
            Some(n) if !n.is_empty() => Ok(n.to_ascii_lowercase()),
            _ => Err(format!("fetch method '{name}' : missing header name")),
        };
        let occ = || match arg(1) {
            None => Ok(None),
            Some(o) => o
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("fetch method '{name}' : invalid occurrence '{o}'")),
        };
        let no_args = |f: Fetch| match args.first() {
            None => Ok(f),
            Some(_) => Err(format!("fetch method '{name}' does not take arguments")),
        };
        let f = match name {
            "path" => no_args(Fetch::Path)?,
            "url" => no_args(Fetch::Url)?,
            "query" => no_args(Fetch::Query)?,
            "base" => no_args(Fetch::Base)?,
            "method" => no_args(Fetch::Method)?,
            "url_param" | "urlp" => {
                let n = arg(0).filter(|n| !n.is_empty());
                let n = n.ok_or(format!("fetch method '{name}' : missing parameter name"))?;
                let delim = match arg(1) {
                    None => b'&',
                    Some(d) if d.len() == 1 => d.as_bytes()[0],
                    Some(d) => return Err(format!("'{name}': bad delimiter '{d}'")),
                };
                Fetch::UrlParam(n.to_string(), delim)
            }
            "hdr" | "req.hdr" | "fhdr" | "req.fhdr" => Fetch::Hdr {
                name: needs_name()?,
                occ: occ()?,
                full: name.ends_with("fhdr"),
            },
            "hdr_cnt" | "req.hdr_cnt" | "fhdr_cnt" | "req.fhdr_cnt" => Fetch::HdrCnt {
                name: needs_name()?,
                full: name.contains("fhdr"),
            },
            "hdr_val" | "req.hdr_val" => Fetch::HdrVal {
                name: needs_name()?,
                occ: occ()?,
            },
            "hdr_ip" | "req.hdr_ip" => Fetch::HdrIp {
                name: needs_name()?,
                occ: occ()?,
            },
            "cook" | "req.cook" => Fetch::Cook(arg(0).unwrap_or("").to_string()),
            "src" => no_args(Fetch::Src)?,
            "src_port" => no_args(Fetch::SrcPort)?,
            "dst" => no_args(Fetch::Dst)?,
            "dst_port" => no_args(Fetch::DstPort)?,
            "ssl_fc" => no_args(Fetch::SslFc)?,
            "ssl_fc_sni" => no_args(Fetch::SslFcSni)?,
            "nbsrv" => Fetch::NbSrv(arg(0).map(|b| {
                be(b);
                b.to_string()
            })),
            "be_id" => no_args(Fetch::BeId)?,
            "fe_id" => no_args(Fetch::FeId)?,
            "always_true" => no_args(Fetch::AlwaysTrue)?,
            "always_false" => no_args(Fetch::AlwaysFalse)?,
            "req.ver" | "req_ver" => no_args(Fetch::ReqVer)?,
            "req.proto_http" | "req_proto_http" => no_args(Fetch::ProtoHttp)?,
            "status" => no_args(Fetch::Status)?,
            "var" => {
                let n = arg(0).unwrap_or("");
                var_name(n)?;
                if ctx.response {
                    return Err(format!(
                        "'var({n})': lbtop does not carry variables to 'http-response' rules"
                    ));
                }
                Fetch::Var(n.to_string())
            }
            "http_auth" | "http_auth_group" => {
                let list = arg(0)
                    .filter(|l| !l.is_empty())
                    .ok_or(format!("fetch method '{name}' : missing userlist name"))?;
                (ctx.userlist_of)(list);
                match name {
                    "http_auth" => Fetch::HttpAuth(list.to_string()),
                    _ => Fetch::HttpAuthGroup(list.to_string()),
                }
            }
            "res.hdr" | "shdr" | "res.fhdr" => Fetch::ResHdr {
                name: needs_name()?,
                occ: occ()?,
                full: name == "res.fhdr",
            },
            "res.hdr_cnt" | "shdr_cnt" | "res.fhdr_cnt" => Fetch::ResHdrCnt {
                name: needs_name()?,
                full: name == "res.fhdr_cnt",
            },
            "req.len" | "req_len" => no_args(Fetch::ReqLen)?,
            "req.ssl_sni" | "req_ssl_sni" => no_args(Fetch::ReqSslSni)?,
            "req.ssl_hello_type" | "req_ssl_hello_type" => no_args(Fetch::ReqSslHelloType)?,
            "env" => Fetch::Env((ctx.env)(one_arg(name, args)?)),
            "uuid" => match args {
                [] => Fetch::Uuid,
                [v] if v == "4" => Fetch::Uuid,
                [v] => {
                    return Err(format!(
                        "invalid args in fetch method 'uuid' : Unsupported UUID version: '{v}'."
                    ))
                }
                _ => return Err("fetch method 'uuid' takes at most one argument".into()),
            },
            "unique-id" => no_args(Fetch::UniqueId)?,
            "req.payload" | "payload" => {
                let n = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok());
                match (args.len(), n(0), n(1)) {
                    (2, Some(offset), Some(length)) => Fetch::ReqPayload { offset, length },
                    _ => {
                        return Err(format!(
                            "fetch method '{name}' expects an offset and a length"
                        ))
                    }
                }
            }
            "str" => Fetch::Str(one_arg(name, args)?.to_string()),
            "bool" => match one_arg(name, args)?.to_ascii_lowercase().as_str() {
                "true" | "1" => Fetch::AlwaysTrue,
                "false" | "0" => Fetch::AlwaysFalse,
                other => {
                    return Err(format!(
                        "invalid args in fetch method 'bool' : Expects 'true', 'false', '0' \
                         or '1' in ACL expression 'bool({other})'."
                    ))
                }
            },
            "int" => {
                let n = one_arg(name, args)?;
                Fetch::Int(n.parse().map_err(|_| {
                    format!("fetch method '{name}' : expects an integer, got '{n}'")
                })?)
            }
            _ => return Err(refused(name)),
        };
        Ok(f)
    }

    pub fn kind(&self) -> Kind {
        match self {
            Fetch::HdrCnt { .. }
            | Fetch::HdrVal { .. }
            | Fetch::SrcPort
            | Fetch::DstPort
            | Fetch::NbSrv(_)
            | Fetch::BeId
            | Fetch::FeId
            | Fetch::Status
            | Fetch::ResHdrCnt { .. }
            | Fetch::ReqLen
            | Fetch::ReqSslHelloType
            | Fetch::Int(_) => Kind::Int,
            Fetch::Src | Fetch::Dst | Fetch::HdrIp { .. } => Kind::Ip,
            Fetch::SslFc
            | Fetch::AlwaysTrue
            | Fetch::AlwaysFalse
            | Fetch::ProtoHttp
            | Fetch::HttpAuth(_) => Kind::Bool,
            _ => Kind::Str,
        }
    }

    /// Calls `each` with every value the fetch has, until it returns true; whether one did.
    /// `all` is ACL use: every occurrence of a header or cookie; otherwise the one HAProxy
    /// picks for a sample expression (the last header value, the first cookie).
    pub fn values<'a>(
        &self,
        v: &ReqView<'a>,
        env: &Env,
        all: bool,
        each: &mut dyn FnMut(Smp<'a>) -> bool,
    ) -> bool {
        let one = |s: Smp<'a>, each: &mut dyn FnMut(Smp<'a>) -> bool| each(s);
        let b = |s: &'a [u8]| Smp::Str(Cow::Borrowed(s));
        // In `http-response` rules a request fetch never matches (HAProxy warns at load).
        if v.res.is_some() && self.needs_request() {
            return false;
        }
        // A `tcp-request connection` rule reads nothing else (HAProxy warns at load).
        if env.at_accept && !self.at_accept() {
            return false;
        }
        let owned = |s: &str| Smp::Str(Cow::Owned(s.as_bytes().to_vec()));
        match self {
            Fetch::Env(value) => value.as_deref().is_some_and(|s| one(owned(s), each)),
            Fetch::Str(s) => one(owned(s), each),
            Fetch::Int(n) => one(Smp::Int(*n), each),
            Fetch::Uuid => one(Smp::Str(Cow::Owned(uuid_v4().into_bytes())), each),
            Fetch::UniqueId => v.unique_id.is_some_and(|u| one(owned(u), each)),
            Fetch::Path => one(b(v.path()), each),
            Fetch::Url => one(b(v.target), each),
            Fetch::Query => v.query().is_some_and(|q| one(b(q), each)),
            Fetch::Base => match v.host() {
                Some(h) => {
                    let mut s = h.to_vec();
                    s.extend_from_slice(v.path());
                    one(Smp::Str(Cow::Owned(s)), each)
                }
                None => one(b(v.path()), each),
            },
            Fetch::Method => one(b(v.method), each),
            Fetch::UrlParam(name, delim) => url_params(v, name, *delim, all, each),
            Fetch::Hdr { name, occ, full } => {
                pick(header_values(v, name, *full), *occ, all, &mut |s| {
                    each(b(s))
                })
            }
            Fetch::HdrCnt { name, full } => {
                one(Smp::Int(header_values(v, name, *full).count() as i64), each)
            }
            Fetch::HdrVal { name, occ } => {
                pick(header_values(v, name, false), *occ, all, &mut |s| {
                    each(Smp::Int(leading_int(s)))
                })
            }
            Fetch::HdrIp { name, occ } => {
                pick(header_values(v, name, false), *occ, all, &mut |s| {
                    let ip = std::str::from_utf8(s).ok().and_then(|t| t.parse().ok());
                    ip.is_some_and(|ip| each(Smp::Ip(ip)))
                })
            }
            Fetch::Cook(name) => cookies(v, name, all, each),
            Fetch::Src => one(Smp::Ip(v.src.ip()), each),
            Fetch::SrcPort => one(Smp::Int(v.src.port().into()), each),
            Fetch::Dst => one(Smp::Ip(v.dst.ip()), each),
            Fetch::DstPort => one(Smp::Int(v.dst.port().into()), each),
            Fetch::SslFc => one(Smp::Bool(v.ssl), each),
            Fetch::SslFcSni => v.sni.is_some_and(|s| one(b(s.as_bytes()), each)),
            Fetch::NbSrv(be) => one(Smp::Int((env.nbsrv)(be.as_deref()).into()), each),
            Fetch::BeId => one(Smp::Int(env.be_id.into()), each),
            Fetch::FeId => one(Smp::Int(env.fe_id.into()), each),
            Fetch::AlwaysTrue => one(Smp::Bool(true), each),
            Fetch::AlwaysFalse => one(Smp::Bool(false), each),
            Fetch::ReqVer => one(
                b(match v.version {
                    Version::Http10 => b"1.0",
                    Version::Http11 => b"1.1",
                }),
                each,
            ),
            Fetch::ProtoHttp => one(Smp::Bool(v.res.is_none()), each),
            Fetch::Var(name) => env.vars.and_then(|vars| vars.get(name)).is_some_and(each),
            Fetch::HttpAuth(list) => one(Smp::Bool(user(v, env, list).is_some()), each),
            Fetch::HttpAuthGroup(list) => user(v, env, list).is_some_and(|u| {
                u.groups
                    .iter()
                    .any(|g| each(Smp::Str(Cow::Owned(g.as_bytes().to_vec()))))
            }),
            Fetch::Status => v.res.is_some_and(|r| one(Smp::Int(r.status.into()), each)),
            Fetch::ResHdr { name, occ, full } => v.res.is_some_and(|r| {
                pick(lines_values(r.headers, name, *full), *occ, all, &mut |s| {
                    each(b(s))
                })
            }),
            Fetch::ReqLen => env
                .payload
                .is_some_and(|p| one(Smp::Int(p.len() as i64), each)),
            Fetch::ReqPayload { offset, length } => env
                .payload
                .and_then(|p| match length {
                    0 => p.get(*offset..),
                    n => p.get(*offset..offset.checked_add(*n)?),
                })
                .is_some_and(|s| one(Smp::Str(Cow::Owned(s.to_vec())), each)),
            Fetch::ReqSslSni => hello(env).is_some_and(|h| {
                h.sni
                    .is_some_and(|s| one(Smp::Str(Cow::Owned(s.into_bytes())), each))
            }),
            Fetch::ReqSslHelloType => hello(env).is_some_and(|_| one(Smp::Int(1), each)),
            Fetch::ResHdrCnt { name, full } => v.res.is_some_and(|r| {
                one(
                    Smp::Int(lines_values(r.headers, name, *full).count() as i64),
                    each,
                )
            }),
        }
    }

    /// Whether a `tcp-request connection` rule can read the fetch: the addresses and the
    /// proxy's own state, nothing the client sends.
    pub fn at_accept(&self) -> bool {
        matches!(
            self,
            Fetch::Src
                | Fetch::SrcPort
                | Fetch::Dst
                | Fetch::DstPort
                | Fetch::NbSrv(_)
                | Fetch::BeId
                | Fetch::FeId
                | Fetch::AlwaysTrue
                | Fetch::AlwaysFalse
                | Fetch::Env(_)
                | Fetch::Str(_)
                | Fetch::Int(_)
                | Fetch::Uuid
        )
    }

    /// Whether the fetch reads the held bytes of a TCP connection, and so may find more
    /// once more arrive (`Some(true)`: only until a whole ClientHello is there).
    pub fn reads_payload(&self) -> Option<bool> {
        match self {
            Fetch::ReqLen | Fetch::ReqPayload { .. } => Some(false),
            Fetch::ReqSslSni | Fetch::ReqSslHelloType => Some(true),
            _ => None,
        }
    }

    /// Whether the fetch reads the request, which `http-response` rules no longer have.
    pub fn needs_request(&self) -> bool {
        !matches!(
            self,
            Fetch::Src
                | Fetch::SrcPort
                | Fetch::Dst
                | Fetch::DstPort
                | Fetch::SslFc
                | Fetch::SslFcSni
                | Fetch::NbSrv(_)
                | Fetch::BeId
                | Fetch::FeId
                | Fetch::AlwaysTrue
                | Fetch::AlwaysFalse
                | Fetch::Status
                | Fetch::ResHdr { .. }
                | Fetch::ResHdrCnt { .. }
                | Fetch::Env(_)
                | Fetch::Str(_)
                | Fetch::Int(_)
                | Fetch::Uuid
        )
    }

    /// Whether the fetch reads a response, which `http-request` rules do not have yet.
    pub fn needs_response(&self) -> bool {
        matches!(
            self,
            Fetch::Status | Fetch::ResHdr { .. } | Fetch::ResHdrCnt { .. }
        )
    }
}

/// A version 4 UUID as HAProxy writes it (lower-case, `8-4-4-4-12`), from a per-thread
/// generator seeded from the standard library's random hash keys: an ID, not a secret.
pub fn uuid_v4() -> String {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(std::process::id().into());
            h.finish() | 1
        });
    }
    // xorshift64*, twice for 128 bits.
    let next = || {
        STATE.with(|s| {
            let mut x = s.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            s.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
    };
    let (hi, lo) = (next(), next());
    let hi = (hi & !0xF000) | 0x4000; // version 4
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// The one argument of `env`, `str` and `int`.
fn one_arg<'a>(name: &str, args: &'a [String]) -> Result<&'a str, String> {
    match args {
        [a] => Ok(a),
        [] => Err(format!(
            "fetch method '{name}' : missing arguments (got 0/1)"
        )),
        _ => Err(format!("fetch method '{name}' : expects one argument")),
    }
}

/// Why a fetch lbtop does not have is refused.
fn refused(name: &str) -> String {
    format!("unknown fetch method '{name}' (or one lbtop does not support)")
}

/// A variable's name as `set-var` and `var()` take it: a scope HAProxy has, a dot, a name.
pub fn var_name(n: &str) -> Result<(), String> {
    let (scope, name) = n.split_once('.').unwrap_or(("", ""));
    let scopes = ["proc", "sess", "txn", "req", "res"];
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    if !scopes.contains(&scope) || name.is_empty() || !name.chars().all(word) {
        return Err(format!(
            "invalid variable name '{n}' (expects 'proc', 'sess', 'txn', 'req' or 'res' scope, \
             a dot and a name)"
        ));
    }
    Ok(())
}

/// The user of `list` the request's `Authorization` names, if its password is right.
fn user<'e>(v: &ReqView, env: &Env<'e>, list: &str) -> Option<&'e crate::config::User> {
    let header = v.header_lines("authorization").next()?;
    env.users?.user(list, header)
}

/// The values of header `name`: each line whole (`full`), or each comma-separated value of
/// each line, trimmed, as HAProxy's `hdr` reads them. Allocates nothing.
fn header_values<'a, 'n>(
    v: &ReqView<'a>,
    name: &'n str,
    full: bool,
) -> impl Iterator<Item = &'a [u8]> + Clone + 'n
where
    'a: 'n,
{
    lines_values(v.headers, name, full)
}

/// As [`header_values`], over any header lines.
fn lines_values<'a, 'n>(
    headers: &'a [httparse::Header<'a>],
    name: &'n str,
    full: bool,
) -> impl Iterator<Item = &'a [u8]> + Clone + 'n
where
    'a: 'n,
{
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .flat_map(move |h| h.value.split(move |&c| !full && c == b',').map(trim))
}

pub(super) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|c| !matches!(c, b' ' | b'\t'));
    let end = s.iter().rposition(|c| !matches!(c, b' ' | b'\t'));
    match (start, end) {
        (Some(a), Some(z)) => &s[a..=z],
        _ => b"",
    }
}

/// Every value for ACLs; else occurrence `occ` (1 is the first, -1 the last; the last when
/// unset).
fn pick<'a, I: Iterator<Item = &'a [u8]> + Clone>(
    values: I,
    occ: Option<i64>,
    all: bool,
    each: &mut dyn FnMut(&'a [u8]) -> bool,
) -> bool {
    match occ {
        None if all => values.into_iter().any(each),
        None | Some(-1) => values.last().is_some_and(each),
        Some(n) if n > 0 => values.clone().nth(n as usize - 1).is_some_and(each),
        Some(n) if n < 0 => {
            let count = values.clone().count() as i64;
            let at = count + n;
            at >= 0 && values.clone().nth(at as usize).is_some_and(each)
        }
        Some(_) => values.into_iter().any(each),
    }
}

/// The leading decimal integer of a value, as HAProxy's `hdr_val` reads it (0 if none).
fn leading_int(s: &[u8]) -> i64 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for d in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

fn url_params<'a>(
    v: &ReqView<'a>,
    name: &str,
    delim: u8,
    all: bool,
    each: &mut dyn FnMut(Smp<'a>) -> bool,
) -> bool {
    let Some(q) = v.query() else {
        return false;
    };
    let mut found = q.split(|&c| c == delim).filter_map(|kv| {
        let (k, val) = match kv.iter().position(|&c| c == b'=') {
            Some(e) => (&kv[..e], &kv[e + 1..]),
            None => (kv, &b""[..]),
        };
        (k == name.as_bytes()).then_some(val)
    });
    if all {
        found.any(|val| each(Smp::Str(Cow::Borrowed(val))))
    } else {
        found
            .next()
            .is_some_and(|val| each(Smp::Str(Cow::Borrowed(val))))
    }
}

fn cookies<'a>(
    v: &ReqView<'a>,
    name: &str,
    all: bool,
    each: &mut dyn FnMut(Smp<'a>) -> bool,
) -> bool {
    let mut found = v.header_lines("cookie").flat_map(|line| {
        line.split(|&c| c == b';').filter_map(|kv| {
            let kv = trim(kv);
            let e = kv.iter().position(|&c| c == b'=')?;
            (trim(&kv[..e]) == name.as_bytes()).then(|| trim(&kv[e + 1..]))
        })
    });
    if all {
        found.any(|val| each(Smp::Str(Cow::Borrowed(val))))
    } else {
        found
            .next()
            .is_some_and(|val| each(Smp::Str(Cow::Borrowed(val))))
    }
}

/// The ClientHello among a TCP connection's held bytes, once whole.
fn hello(env: &Env) -> Option<crate::engine::l4::client_hello::ClientHello> {
    use crate::engine::l4::client_hello::{parse, Hello};
    match parse(env.payload?) {
        Hello::Complete(h) => Some(h),
        _ => None,
    }
}
