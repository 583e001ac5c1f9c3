//! ACLs and conditions, compiled once at load (docs/haproxy-semantics.md §21).
//!
//! An [`Acl`] is one or more expressions (`acl` lines of the same name are ORed); an
//! expression is a [`Sample`] (a fetch and its converters) and the patterns its values are
//! matched against. A [`Cond`] (`if`/`unless` ...) is an OR of ANDs of possibly negated
//! ACLs. [`Cond::eval`] reads an [`engine::rules::ReqView`](crate::engine::rules::ReqView)
//! and does no parsing and, for most fetches, no allocation.

mod conv;
mod fetch;
mod format;
mod parse;
mod pattern;
mod predefined;
#[cfg(test)]
mod tests;

pub use conv::{Conv, MapFile};
pub use fetch::{uuid_v4, var_name, Fetch, Kind};
pub use format::{Fmt, Part};
pub use parse::{parse_acl_line, parse_cond, parse_sample, split_sample, AclLookup, LoadCtx};
pub use pattern::{ip_net, regex, Method, Patterns};
pub use predefined::{predefined, PREDEFINED};

use crate::engine::rules::ReqView;
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// What a condition may need beyond the request: the proxies it is evaluated in and the
/// servers' states.
pub struct Env<'a> {
    pub fe_id: u32,
    /// The backend the request is in: the frontend's own id before `use_backend` chose one.
    pub be_id: u32,
    /// Usable servers of the backend named, or of the current one for `None` (0 for a
    /// name that is not a backend).
    pub nbsrv: &'a dyn Fn(Option<&str>) -> u32,
    /// The user of the userlist named whose credentials an `Authorization` value holds
    /// (`http_auth`), checked at most once per value (crypt hashes are slow on purpose).
    pub users: Option<&'a crate::engine::rules::Auth>,
    /// The request's variables (`set-var`), for `var()`.
    pub vars: Option<&'a Vars>,
    /// A TCP connection's first bytes, held by `tcp-request inspect-delay` (`req.len`,
    /// `req.ssl_sni`); `None` where there are none to read.
    pub payload: Option<&'a [u8]>,
    /// `tcp-request connection` rules: only the addresses and the proxy's state can be read.
    pub at_accept: bool,
}

/// A request's variables by full name (`txn.tenant`), as `set-var` left them.
#[derive(Debug, Default)]
pub struct Vars(std::cell::RefCell<Vec<(String, Smp<'static>)>>);

impl Vars {
    pub fn get(&self, name: &str) -> Option<Smp<'static>> {
        let vars = self.0.borrow();
        vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    /// Sets `name`, or unsets it for `None`.
    pub fn set(&self, name: &str, value: Option<Smp<'static>>) {
        let mut vars = self.0.borrow_mut();
        vars.retain(|(n, _)| n != name);
        if let Some(v) = value {
            vars.push((name.to_string(), v));
        }
    }
}

impl Smp<'_> {
    /// The value with nothing borrowed, to be kept.
    pub fn owned(&self) -> Smp<'static> {
        match self {
            Smp::Str(s) => Smp::Str(Cow::Owned(s.to_vec())),
            Smp::Int(n) => Smp::Int(*n),
            Smp::Ip(ip) => Smp::Ip(*ip),
            Smp::Bool(b) => Smp::Bool(*b),
        }
    }
}

/// One value a fetch produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Smp<'a> {
    Str(Cow<'a, [u8]>),
    Int(i64),
    Ip(IpAddr),
    Bool(bool),
}

impl<'a> Smp<'a> {
    /// As a string, as HAProxy casts it (an integer in decimal, an address as text).
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Smp::Str(s) => Cow::Borrowed(&s[..]),
            Smp::Int(n) => Cow::Owned(n.to_string().into_bytes()),
            Smp::Ip(ip) => Cow::Owned(ip.to_string().into_bytes()),
            Smp::Bool(b) => Cow::Borrowed(if *b { b"1" } else { b"0" }),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Smp::Int(n) => Some(*n),
            Smp::Bool(b) => Some((*b).into()),
            Smp::Str(s) => std::str::from_utf8(s).ok()?.trim().parse().ok(),
            Smp::Ip(_) => None,
        }
    }

    pub fn as_ip(&self) -> Option<IpAddr> {
        match self {
            Smp::Ip(ip) => Some(*ip),
            Smp::Str(s) => std::str::from_utf8(s).ok()?.parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> bool {
        match self {
            Smp::Bool(b) => *b,
            Smp::Int(n) => *n != 0,
            Smp::Str(s) => !s.is_empty(),
            Smp::Ip(_) => true,
        }
    }
}

/// A fetch and its converters: `req.hdr(host),lower,map(hosts.map)`.
#[derive(Debug, Clone)]
pub struct Sample {
    pub fetch: Fetch,
    pub convs: Vec<Conv>,
    /// As written, for `lbtop export` and messages.
    pub text: String,
}

impl PartialEq for Sample {
    fn eq(&self, o: &Sample) -> bool {
        self.text == o.text
    }
}

impl Sample {
    /// Calls `each` with every value (after the converters) until it returns true.
    pub fn values<'a>(
        &self,
        v: &ReqView<'a>,
        env: &Env,
        all: bool,
        each: &mut dyn FnMut(Smp<'a>) -> bool,
    ) -> bool {
        if self.convs.is_empty() {
            return self.fetch.values(v, env, all, each);
        }
        self.fetch.values(v, env, all, &mut |s| {
            let mut s = Some(s);
            for c in &self.convs {
                s = s.and_then(|x| c.apply(x));
            }
            s.is_some_and(&mut *each)
        })
    }

    /// The value of a sample expression, kept (`set-var`).
    pub fn value(&self, v: &ReqView, env: &Env) -> Option<Smp<'static>> {
        let mut out = None;
        self.values(v, env, false, &mut |s| {
            out = Some(s.owned());
            true
        });
        out
    }

    /// The value of a sample expression (`%[...]`): the one HAProxy picks, as bytes.
    pub fn eval(&self, v: &ReqView, env: &Env) -> Option<Vec<u8>> {
        let mut out = None;
        self.values(v, env, false, &mut |s| {
            out = Some(s.as_bytes().into_owned());
            true
        });
        out
    }
}

/// One ACL expression: a sample, a match method, flags and patterns.
#[derive(Debug, Clone)]
pub struct AclExpr {
    pub sample: Sample,
    pub method: Method,
    pub icase: bool,
    pub patterns: Patterns,
    /// The words after the ACL's name, as written.
    pub words: Vec<String>,
}

impl AclExpr {
    pub fn eval(&self, v: &ReqView, env: &Env) -> bool {
        if self.method != Method::Found && self.method != Method::Bool && self.patterns.is_empty() {
            return false;
        }
        self.sample.values(v, env, true, &mut |s| {
            self.patterns.matches(self.method, self.icase, &s)
        })
    }
}

/// A named ACL: its expressions are ORed.
#[derive(Debug, Clone)]
pub struct Acl {
    pub name: String,
    pub exprs: Vec<AclExpr>,
}

impl Acl {
    pub fn eval(&self, v: &ReqView, env: &Env) -> bool {
        self.exprs.iter().any(|e| e.eval(v, env))
    }
}

/// One term of a condition: an ACL, maybe negated.
#[derive(Debug, Clone)]
pub struct Term {
    pub neg: bool,
    pub acl: Arc<Acl>,
}

/// `if|unless <terms>`: true when one of the `or` groups has all its terms true (negated
/// for `unless`).
#[derive(Debug, Clone)]
pub struct Cond {
    pub unless: bool,
    pub any: Vec<Vec<Term>>,
    /// The words from `if`/`unless` on, as written, for `lbtop export`.
    pub words: Vec<String>,
}

impl PartialEq for Cond {
    fn eq(&self, o: &Cond) -> bool {
        self.words == o.words
    }
}

impl Cond {
    pub fn eval(&self, v: &ReqView, env: &Env) -> bool {
        let hit = self
            .any
            .iter()
            .any(|all| all.iter().all(|t| t.acl.eval(v, env) != t.neg));
        hit != self.unless
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}
