//! `http-response` rules at run time (docs/haproxy-semantics.md §21.4): the backend's rules,
//! then the frontend's, over the response head lbtop wrote for the client. Built only for a
//! route that has some; without them the head goes out untouched.

use super::edit::EditedResponse;
use super::reply::{self, Reply};
use super::ReqView;
use crate::config::acl::Env;
use crate::config::{Config, HttpAction, HttpRule};
use crate::engine::frontend::FrontendRt;
use crate::events::Termination;
use crate::tls::TlsFacts;
use std::net::SocketAddr;

/// What a response's rules made of its head.
pub enum Outcome {
    /// Nothing applied: the head goes out as the server sent it.
    Same,
    /// Rewritten in place; the status the client gets.
    Rewritten(u16),
    /// A `deny` or `return` answers instead of the server (`PH`/`LH`).
    Answer(Reply),
}

/// One rule's step over the head.
enum Step {
    Skip,
    Edit(Option<Vec<u8>>),
    Stop,
    Answer(Reply),
}

pub struct ResponseRules {
    /// The backend's rules then the frontend's, in HAProxy's order.
    rules: Vec<HttpRule>,
    fe_id: u32,
    /// Both sides' rules see the backend as `be_id`.
    be_id: u32,
}

impl ResponseRules {
    /// The rules of frontend `fe` serving backend `be`; `None` when neither has any.
    pub fn new(config: &Config, fe: usize, be: usize) -> Option<ResponseRules> {
        let f = &config.frontends[fe];
        let b = &config.backends[be];
        // A `listen`'s rules are its frontend side's (its backend side keeps none).
        let mut rules = b.rules.http_response.clone();
        rules.extend(f.rules.http_response.iter().cloned());
        if rules.is_empty() {
            return None;
        }
        let ids = crate::engine::stats::proxies(config);
        let id = |hit: &dyn Fn(&crate::engine::stats::Proxy) -> bool| {
            ids.iter().find(|p| hit(p)).map_or(0, |p| p.iid as u32)
        };
        Some(ResponseRules {
            rules,
            fe_id: id(&|p| p.frontend == Some(fe)),
            be_id: id(&|p| p.backend == Some(be)),
        })
    }

    /// Runs the rules over `out` (a head from `h1::response`) and rewrites it if one
    /// applied; the status it then has. `%B` keeps counting the head as the server sent it,
    /// as HAProxy counts it before its rules run (measured). `tls` is what the client's
    /// handshake agreed (`ssl_fc`, `ssl_fc_sni`).
    /// `ask` is how the client asked: whether it keeps the connection, and HEAD.
    pub fn apply(
        &self,
        out: &mut Vec<u8>,
        (src, dst, tls): (SocketAddr, SocketAddr, Option<&TlsFacts>),
        nbsrv: &dyn Fn(Option<&str>) -> u32,
        ask: &reply::Ctx,
    ) -> Outcome {
        let Some(mut res) = EditedResponse::parse(out) else {
            return Outcome::Same;
        };
        let base = ReqView {
            method: b"",
            target: b"",
            version: if res.http10 {
                super::Version::Http10
            } else {
                super::Version::Http11
            },
            headers: &[],
            src,
            dst,
            ssl: tls.is_some(),
            sni: tls.and_then(|t| t.sni.as_deref()),
            res: None,
            unique_id: None,
        };
        let env = Env {
            fe_id: self.fe_id,
            be_id: self.be_id,
            nbsrv,
            // `http_auth` reads the request, which response rules no longer have.
            users: None,
            vars: None,
            payload: None,
            at_accept: false,
        };
        let mut changed = false;
        for r in &self.rules {
            let step = {
                let headers = res.lines.headers();
                let v = res.view(&headers, &base);
                if !r.cond.as_ref().is_none_or(|c| c.eval(&v, &env)) {
                    continue;
                }
                match &r.action {
                    HttpAction::Edit(e) => Step::Edit(e.format().map(|f| f.eval_escaped(&v, &env))),
                    HttpAction::Allow => Step::Stop,
                    HttpAction::Deny { .. } | HttpAction::DenyWith(_) | HttpAction::Return(_) => {
                        Step::Answer(answer(r, &v, &env, ask))
                    }
                    _ => Step::Skip,
                }
            };
            match (step, &r.action) {
                (Step::Edit(value), HttpAction::Edit(e)) => {
                    res.apply(e, value.as_deref().unwrap_or_default());
                    changed = true;
                }
                (Step::Stop, _) => break,
                (Step::Answer(reply), _) => return Outcome::Answer(reply),
                _ => {}
            }
        }
        if !changed {
            return Outcome::Same;
        }
        res.write(out);
        Outcome::Rewritten(res.status)
    }
}

/// A response rule's own answer, built as a request rule's, and logged with the `H` of a
/// response (measured: `PH--` for a deny, `LH--` for a return).
fn answer(r: &HttpRule, v: &ReqView, env: &Env, ask: &reply::Ctx) -> Reply {
    let mut reply = reply::build(r, v, env, ask, None);
    let first = match r.action {
        HttpAction::Return(_) => b'L',
        _ => b'P',
    };
    reply.flags = Termination::new(first, b'H');
    reply
}

/// Runs `fe`'s `http-response` rules, if it has any, over the head `out` for the client.
pub fn rewrite_response(
    fe: &FrontendRt,
    out: &mut Vec<u8>,
    addrs: (SocketAddr, SocketAddr, Option<&TlsFacts>),
    ask: &reply::Ctx,
) -> Outcome {
    let Some(rules) = &fe.response_rules else {
        return Outcome::Same;
    };
    let nbsrv = |name: Option<&str>| match name {
        None => fe.backend.nbsrv(),
        // Other backends' states are the routing's; a response rule asking for one sees none.
        Some(_) => 0,
    };
    rules.apply(out, addrs, &nbsrv, ask)
}
