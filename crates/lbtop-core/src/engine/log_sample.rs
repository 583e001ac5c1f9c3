//! The value of a `log-format`'s `%[sample]`, read from the finished session's record as
//! HAProxy 2.6 reads it at log time (docs/haproxy-semantics.md §25.3, each case measured).

use super::log::Names;
use crate::config::acl::Smp;
use crate::config::{LogFetch, Mode};
use crate::events::SessionRecord;
use std::borrow::Cow;

/// `None` where HAProxy has no value (written `-`, or `""` under `+Q`).
pub fn value<'a>(f: &'a LogFetch, n: &Names<'a>, r: &'a SessionRecord) -> Option<Smp<'a>> {
    let tls = r.tls.as_deref();
    let int = |v: i64| Some(Smp::Int(v));
    let str = |s: &'a str| Some(Smp::Str(Cow::Borrowed(s.as_bytes())));
    match f {
        LogFetch::Src => Some(Smp::Ip(r.client.ip())),
        LogFetch::SrcPort => int(r.client.port().into()),
        LogFetch::Dst => r.frontend_addr.map(|a| Smp::Ip(a.ip())),
        LogFetch::DstPort => r.frontend_addr.and_then(|a| int(a.port().into())),
        LogFetch::FeName => str(&n.fe.name),
        LogFetch::FeId => int(proxy_id(n, r, Side::Frontend)?),
        LogFetch::BeName => backend(n, r).and_then(|(name, _)| str(name)),
        LogFetch::BeId => int(backend(n, r).and(proxy_id(n, r, Side::Backend))?),
        LogFetch::SrvName => server(r).and_then(|i| str(&n.be.servers.get(i)?.name)),
        LogFetch::SrvId => server(r).and_then(|i| int(i as i64 + 1)),
        LogFetch::Status => r
            .status
            .filter(|_| r.from_server)
            .and_then(|s| int(s.into())),
        LogFetch::Method | LogFetch::CaptureReqMethod => line_word(r, 0).and_then(str),
        LogFetch::CaptureReqUri => line_word(r, 1).and_then(str),
        LogFetch::CaptureReqVer => line_word(r, 2).and_then(str),
        LogFetch::SslFc => Some(Smp::Bool(tls.is_some())),
        LogFetch::SslFcSni => tls.and_then(|t| str(t.sni.as_deref()?)),
        LogFetch::SslFcProtocol => tls.and_then(|t| str(t.version)),
        LogFetch::SslFcCipher => tls.and_then(|t| str(t.cipher)),
        LogFetch::SslFcIsResumed => Some(Smp::Bool(tls.is_some_and(|t| t.resumed))),
        LogFetch::FcErr => int(0),
        LogFetch::SslErr => tls.and(int(0)),
        LogFetch::CaptureReqHdr(i) => captured(r, false, *i),
        LogFetch::CaptureResHdr(i) => captured(r, true, *i),
        LogFetch::Str(s) => str(s),
        LogFetch::Env(value) => value.as_deref().and_then(str),
        LogFetch::Hostname => str(super::logfmt::hostname()),
        LogFetch::UniqueId => r.unique_id.as_deref().and_then(str),
        LogFetch::Uuid => Some(Smp::Str(Cow::Owned(
            crate::config::acl::uuid_v4().into_bytes(),
        ))),
    }
}

/// The backend the request went to: the frontend itself for a request its own rules
/// answered, none for one that never had a request head (`<BADREQ>`, measured).
fn backend<'a>(n: &Names<'a>, r: &SessionRecord) -> Option<(&'a str, bool)> {
    if n.fe.mode == Mode::Http && r.request.is_none() && r.stats_page.is_none() {
        return None;
    }
    match r.by_frontend {
        true => Some((&n.fe.name, true)),
        false => Some((&n.be.name, false)),
    }
}

/// A real server of the backend (not a stats page or a service).
fn server(r: &SessionRecord) -> Option<usize> {
    match (&r.stats_page, r.service) {
        (None, None) => r.server,
        _ => None,
    }
}

#[derive(PartialEq)]
enum Side {
    Frontend,
    Backend,
}

/// The proxy's id, numbered as `show stat` numbers it.
fn proxy_id(n: &Names<'_>, r: &SessionRecord, side: Side) -> Option<i64> {
    let by_frontend = backend(n, r).is_some_and(|(_, fe)| fe);
    let ids = super::stats::proxies(n.config);
    let p = match side == Side::Frontend || by_frontend {
        true => ids.iter().find(|p| p.frontend == Some(r.frontend)),
        false => ids.iter().find(|p| p.backend == Some(r.backend)),
    };
    p.map(|p| p.iid as i64)
}

/// A word of the logged request line: its method, URI or version.
fn line_word(r: &SessionRecord, i: usize) -> Option<&str> {
    let line = r.request.as_deref()?;
    let mut words = line.splitn(3, ' ');
    let (m, u, v) = (words.next()?, words.next()?, words.next()?);
    Some([m, u, v][i])
}

fn captured(r: &SessionRecord, response: bool, i: usize) -> Option<Smp<'_>> {
    let c = r.captures.as_deref()?;
    let side = if response { &c.response } else { &c.request };
    let v = side.get(i)?.as_deref()?;
    Some(Smp::Str(Cow::Borrowed(v)))
}
