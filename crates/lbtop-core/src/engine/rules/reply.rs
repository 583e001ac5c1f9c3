//! The answers the rules give themselves, built byte for byte as HAProxy 2.6 sends them
//! (measured, docs/haproxy-semantics.md §21): `deny`'s error pages, redirects, `return`.

use super::ReqView;
use crate::config::acl::Env;
use crate::config::{HttpAction, HttpRule, Redirect, RedirectKind, Return, ReturnBody, Service};
use crate::engine::h1::head::header_line;
use crate::engine::h1::response::connection_header;
use crate::engine::l7::pages::{error_bytes, error_response, haproxy_reason, return_reason};
use crate::engine::rules::Version;
use crate::events::Termination;
use hyper::StatusCode;
use std::time::Duration;

/// How the request was asked, for the answer's framing.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The client may keep the connection open after the answer.
    pub keep: bool,
    pub is_head: bool,
    pub tarpit: Duration,
}

/// What to send, and how to log and count it.
#[derive(Debug)]
pub struct Reply {
    pub bytes: Vec<u8>,
    pub status: u16,
    /// `PR` (deny), `LR` (redirect, return), `PT` (tarpit).
    pub flags: Termination,
    /// `%B` as HAProxy counts it.
    pub log_bytes: u64,
    /// The connection stays open after it.
    pub keep: bool,
    /// `tarpit`: held this long before the answer.
    pub hold: Option<Duration>,
    /// The backend whose rules answered; `None` for the frontend's.
    pub backend: Option<usize>,
    /// Counted as HAProxy's `dreq` (deny, tarpit), else as `intercepted`.
    pub denied: bool,
    pub rule_line: u32,
    /// `use-service prometheus-exporter`: the request's query; the exporter fills the
    /// answer in when it is sent.
    pub service: Option<String>,
    /// The answer to `monitor-uri`: counted, never logged.
    pub monitor: bool,
}

/// The answer of an answering `rule`.
pub fn build(rule: &HttpRule, v: &ReqView, env: &Env, ctx: &Ctx, backend: Option<usize>) -> Reply {
    let version = match v.version {
        Version::Http10 => hyper::Version::HTTP_10,
        Version::Http11 => hyper::Version::HTTP_11,
    };
    let mut r = match &rule.action {
        HttpAction::Deny { status } => page(*status, ctx, version, Termination::new(b'P', b'R')),
        HttpAction::Tarpit { status } => {
            let mut r = page(*status, ctx, version, Termination::new(b'P', b'T'));
            r.hold = Some(ctx.tarpit);
            r
        }
        HttpAction::Redirect(red) => redirect(red, v, env, ctx, version),
        HttpAction::Return(ret) => give(ret, v, env, ctx, version),
        HttpAction::DenyWith(ret) => {
            let mut r = give(ret, v, env, ctx, version);
            r.flags = Termination::new(b'P', b'R');
            r.denied = true;
            r
        }
        HttpAction::Auth { realm } => {
            let realm = realm.as_deref().unwrap_or("");
            let bytes = crate::engine::l7::reply::unauthorized(realm, ctx.keep, version);
            // HAProxy's `%B` for its 401: the head as it counts heads (245 bytes besides the
            // realm) and the page (measured: 247 for realm `fe`).
            answered(bytes, 401, 245 + realm.len() as u64, ctx.keep)
        }
        HttpAction::UseService(Service::PrometheusExporter) => {
            let query = v.target.splitn(2, |&b| b == b'?').nth(1).unwrap_or(b"");
            let mut r = answered(Vec::new(), 200, 0, ctx.keep);
            r.service = Some(String::from_utf8_lossy(query).into_owned());
            r
        }
        // `allow` never answers (see `route::first_answer`): an empty 200 if it did.
        HttpAction::Allow | HttpAction::Edit(_) | HttpAction::SetVar { .. } => {
            let empty = Return {
                status: 200,
                content_type: None,
                body: ReturnBody::None,
                headers: Vec::new(),
            };
            give(&empty, v, env, ctx, version)
        }
    };
    r.backend = backend;
    r.rule_line = rule.line as u32;
    r
}

/// HAProxy's error page for `status`; the 400 and 408 pages close the connection.
fn page(status: u16, ctx: &Ctx, version: hyper::Version, flags: Termination) -> Reply {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    let keep = ctx.keep && !matches!(status, 400 | 408);
    let mut bytes = Vec::new();
    error_response(&mut bytes, code, keep, version);
    if ctx.is_head {
        let body = crate::engine::l7::pages::error_page(code).len();
        bytes.truncate(bytes.len() - body);
    }
    Reply {
        bytes,
        status,
        flags,
        log_bytes: error_bytes(code),
        keep,
        hold: None,
        backend: None,
        denied: true,
        rule_line: 0,
        service: None,
        monitor: false,
    }
}

/// A head with the headers `lines`, counted for `%B` as HAProxy counts a head.
fn head(
    (status, reason): (u16, &str),
    lines: &[(&str, &[u8])],
    ctx: &Ctx,
    version: hyper::Version,
) -> (Vec<u8>, u64) {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n").into_bytes();
    let mut counted = 21 + "HTTP/1.1".len() + 3 + reason.len();
    for (name, value) in lines {
        header_line(&mut out, name.as_bytes(), value);
        counted += name.len() + value.len();
    }
    connection_header(&mut out, ctx.keep, version, hyper::Version::HTTP_11);
    out.extend_from_slice(b"\r\n");
    (out, counted as u64)
}

fn redirect(r: &Redirect, v: &ReqView, env: &Env, ctx: &Ctx, version: hyper::Version) -> Reply {
    let to = r.to.eval(v, env);
    let uri = if r.drop_query { v.path() } else { v.target };
    let mut location = match r.kind {
        RedirectKind::Location => to,
        // `prefix /` adds nothing before the path (measured).
        RedirectKind::Prefix if to == b"/" => uri.to_vec(),
        RedirectKind::Prefix => [&to[..], uri].concat(),
        RedirectKind::Scheme => {
            let host = v.host().unwrap_or(b"");
            [&to[..], b"://", host, uri].concat()
        }
    };
    // After whatever was copied, the query string included (measured).
    if r.append_slash && r.kind != RedirectKind::Location && location.last() != Some(&b'/') {
        location.push(b'/');
    }
    let mut lines: Vec<(&str, Vec<u8>)> =
        vec![("content-length", b"0".to_vec()), ("location", location)];
    if matches!(r.code, 302 | 303 | 307) {
        lines.push(("cache-control", b"no-cache".to_vec()));
    }
    if let Some(c) = &r.set_cookie {
        lines.push(("set-cookie", format!("{c}; path=/;").into_bytes()));
    }
    if let Some(c) = &r.clear_cookie {
        lines.push((
            "set-cookie",
            format!("{c}; path=/; Max-Age=0;").into_bytes(),
        ));
    }
    let lines: Vec<(&str, &[u8])> = lines.iter().map(|(n, val)| (*n, &val[..])).collect();
    let code = StatusCode::from_u16(r.code).unwrap_or(StatusCode::FOUND);
    let (bytes, log_bytes) = head((r.code, haproxy_reason(code)), &lines, ctx, version);
    answered(bytes, r.code, log_bytes, ctx.keep)
}

fn give(r: &Return, v: &ReqView, env: &Env, ctx: &Ctx, version: hyper::Version) -> Reply {
    let body = match &r.body {
        ReturnBody::None => Vec::new(),
        ReturnBody::Bytes(b) => b.clone(),
        ReturnBody::Format(f) => f.eval(v, env),
    };
    let len = body.len().to_string();
    let extra: Vec<Vec<u8>> = r.headers.iter().map(|(_, f)| f.eval(v, env)).collect();
    // `hdr` lines first, then the framing (none for 204 and 304), as HAProxy writes them.
    let mut lines: Vec<(&str, &[u8])> = r
        .headers
        .iter()
        .zip(&extra)
        .map(|((n, _), val)| (n.as_str(), &val[..]))
        .collect();
    if !matches!(r.status, 204 | 304) {
        lines.push(("content-length", len.as_bytes()));
    }
    if let Some(t) = &r.content_type {
        lines.push(("content-type", t.as_bytes()));
    }
    let reason = return_reason(r.status);
    let (mut bytes, mut counted) = head((r.status, reason), &lines, ctx, version);
    if matches!(r.status, 204 | 304) {
        // Not sent, but HAProxy's message has it, and `%B` counts it (measured).
        counted += ("content-length".len() + len.len()) as u64;
    }
    // A HEAD's answer has no body, and `%B` counts none (measured: 78 against a GET's 82).
    let sent = if ctx.is_head { &[][..] } else { &body[..] };
    bytes.extend_from_slice(sent);
    answered(bytes, r.status, counted + sent.len() as u64, ctx.keep)
}

pub fn answered(bytes: Vec<u8>, status: u16, log_bytes: u64, keep: bool) -> Reply {
    Reply {
        bytes,
        status,
        flags: Termination::new(b'L', b'R'),
        log_bytes,
        keep,
        hold: None,
        backend: None,
        denied: false,
        rule_line: 0,
        service: None,
        monitor: false,
    }
}

/// A rewrite that leaves a head lbtop would not forward (a path or method with a blank in
/// it): the 500 page HAProxy answers a failed rewrite with, and the connection closes.
pub fn failed_rewrite(v: &ReqView, _keep: bool) -> Reply {
    let version = match v.version {
        Version::Http10 => hyper::Version::HTTP_10,
        Version::Http11 => hyper::Version::HTTP_11,
    };
    let ctx = Ctx {
        keep: false,
        is_head: v.method == b"HEAD",
        tarpit: Duration::ZERO,
    };
    let mut r = page(500, &ctx, version, Termination::new(b'P', b'R'));
    r.denied = false;
    r
}
