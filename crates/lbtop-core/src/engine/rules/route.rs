//! Which backend a request goes to, or what the proxy answers itself, in HAProxy's order
//! (docs/haproxy-semantics.md §21): the frontend's `http-request` rules, its `redirect`
//! lines, its `use_backend` rules (else `default_backend`); then the chosen backend's
//! `http-request` rules and `redirect` lines, and its `use-server` rules.

use super::reply::{self, Reply};
use super::{Edited, ReqView};
use crate::config::acl::{Cond, Env, Vars};
use crate::config::{BackendTarget, Config, HttpAction, HttpRule, Mode, ProxyRules};
use crate::engine::backend::BackendRt;
use crate::engine::frontend::FrontendRt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A frontend's rules and the routes they may take, built once at start.
pub struct Routing {
    /// The frontend's own rules.
    pub rules: ProxyRules,
    /// Each backend's rules, by index into `Config::backends` (`None`: none to run, or the
    /// frontend's own `listen` backend, whose rules ran as the frontend's).
    pub backend_rules: Vec<Option<ProxyRules>>,
    /// The frontend as it serves each backend it may route to, by backend index; `None`
    /// for the default backend (the frontend itself) and backends it never uses.
    pub routes: Vec<Option<Arc<FrontendRt>>>,
    /// Every backend by name (for `use_backend %[...]` and `nbsrv(<name>)`).
    pub by_name: HashMap<String, usize>,
    pub backends: Vec<Arc<BackendRt>>,
    pub mode: Mode,
    pub default_backend: usize,
    /// HAProxy's proxy ids (`fe_id`, `be_id`), by frontend index and by backend index.
    pub fe_id: u32,
    pub be_ids: Vec<u32>,
    /// How long `tarpit` holds a request in the frontend's rules and in each backend's.
    pub tarpit: Duration,
    pub be_tarpit: Vec<Duration>,
    /// The userlists `http_auth` checks credentials against.
    pub auth: super::auth::Auth,
}

/// What the rules decided for one request.
pub enum Decision {
    /// On to `backend` (index into `Config::backends`), maybe to a `use-server` server.
    Proxy(Route),
    /// The proxy answers itself.
    Answer(Reply),
    /// A `tcp-request content reject` of an HTTP frontend: the connection closes unanswered.
    Reject,
}

/// Where a request goes, and the rule that sent it there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Route {
    pub backend: Option<usize>,
    pub server: Option<usize>,
    pub rule_line: Option<u32>,
    /// The backend's `stick` rules whose condition does not hold (bit per rule).
    pub stick_skip: u64,
}

/// Runs a proxy's `http-request` rules then its `redirect` lines: edits rewrite `edited`
/// (made on the first one) and later rules read the rewritten request; the first rule whose
/// condition holds and that answers is returned. An `allow` ends the `http-request` rules.
fn first_answer<'r>(
    rules: &'r ProxyRules,
    base: &ReqView,
    edited: &mut Option<Edited>,
    env: &Env,
) -> Option<&'r HttpRule> {
    for r in &rules.http_request {
        let step = current(base, edited, |v| {
            if !holds(&r.cond, v, env) {
                return None;
            }
            Some(match &r.action {
                HttpAction::Allow => Err(false),
                HttpAction::SetVar { name, expr } => {
                    let value = expr.as_ref().and_then(|e| e.value(v, env));
                    // A sample with no value leaves the variable as it was (HAProxy's
                    // `set-var` does nothing then); `unset-var` removes it.
                    if value.is_some() || expr.is_none() {
                        if let Some(vars) = env.vars {
                            vars.set(name, value);
                        }
                    }
                    Ok(None)
                }
                HttpAction::Edit(e) => Ok(e.format().map(|f| f.eval_escaped(v, env))),
                _ => Err(true),
            })
        });
        match (step, &r.action) {
            (None, _) => continue,
            (Some(Err(true)), _) => return Some(r),
            (Some(Err(false)), _) => break,
            (Some(Ok(value)), HttpAction::Edit(e)) => edited
                .get_or_insert_with(|| Edited::of(base))
                .apply(e, value.as_deref().unwrap_or_default()),
            (Some(Ok(_)), _) => {}
        }
    }
    current(base, edited, |v| {
        rules.redirects.iter().find(|r| holds(&r.cond, v, env))
    })
}

/// Calls `f` with the request as rules have left it.
fn current<R>(base: &ReqView, edited: &Option<Edited>, f: impl FnOnce(&ReqView) -> R) -> R {
    match edited {
        None => f(base),
        Some(e) => {
            let headers = e.lines.headers();
            f(&e.view(&headers, base))
        }
    }
}

pub(super) fn holds(cond: &Option<Cond>, v: &ReqView, env: &Env) -> bool {
    cond.as_ref().is_none_or(|c| c.eval(v, env))
}

impl Routing {
    pub fn new(config: &Config, index: usize, backends: &[Arc<BackendRt>]) -> Routing {
        let fe = &config.frontends[index];
        let ids = crate::engine::stats::proxies(config);
        let id_of = |f: Option<usize>, b: Option<usize>| {
            let hit = ids
                .iter()
                .find(|p| (f.is_some() && p.frontend == f) || (b.is_some() && p.backend == b));
            hit.map_or(0, |p| p.iid as u32)
        };
        // A `listen`'s own backend side: the same section, so its rules already ran.
        let own = |i: usize| {
            let b = &config.backends[i];
            b.name == fe.name && b.line == fe.line
        };
        // `timeout tarpit`, else a backend's `timeout connect`; a frontend has no connect
        // timeout, so without its own tarpit it holds nothing (measured).
        let connect = |t: &crate::config::Timeouts| t.tarpit.or(t.connect).unwrap_or_default();
        let listen = (0..config.backends.len()).any(own);
        Routing {
            rules: fe.rules.clone(),
            backend_rules: config
                .backends
                .iter()
                .enumerate()
                .map(|(i, b)| (b.rules.any() && !own(i)).then(|| b.rules.clone()))
                .collect(),
            routes: vec![None; config.backends.len()],
            by_name: config
                .backends
                .iter()
                .enumerate()
                .filter(|(_, b)| !b.implicit)
                .map(|(i, b)| (b.name.clone(), i))
                .collect(),
            backends: backends.to_vec(),
            mode: fe.mode,
            default_backend: fe.default_backend,
            fe_id: id_of(Some(index), None),
            be_ids: (0..config.backends.len())
                .map(|i| id_of(None, Some(i)))
                .collect(),
            tarpit: match listen {
                true => connect(&fe.timeouts),
                false => fe.timeouts.tarpit.unwrap_or_default(),
            },
            be_tarpit: config
                .backends
                .iter()
                .map(|b| connect(&b.timeouts))
                .collect(),
            auth: super::auth::Auth::new(&config.global.userlists),
        }
    }

    /// The backends a request may be sent to besides the default one.
    pub fn reachable(&self, config: &Config) -> Vec<usize> {
        let dynamic = self
            .rules
            .use_backends
            .iter()
            .any(|u| matches!(u.target, BackendTarget::Dynamic(_)));
        let mut out: Vec<usize> = if dynamic {
            (0..config.backends.len())
                .filter(|&i| config.backends[i].mode == self.mode && !config.backends[i].implicit)
                .collect()
        } else {
            let named = self
                .rules
                .use_backends
                .iter()
                .filter_map(|u| match u.target {
                    BackendTarget::Named(i, _) => Some(i),
                    BackendTarget::Dynamic(_) => None,
                });
            named.collect()
        };
        out.retain(|&i| i != self.default_backend);
        out.sort_unstable();
        out.dedup();
        out
    }

    pub(crate) fn env<'a>(
        &'a self,
        be: usize,
        nbsrv: &'a dyn Fn(Option<&str>) -> u32,
        vars: &'a Vars,
    ) -> Env<'a> {
        Env {
            fe_id: self.fe_id,
            be_id: self.be_ids.get(be).copied().unwrap_or(self.fe_id),
            nbsrv,
            users: Some(&self.auth),
            vars: Some(vars),
            payload: None,
            at_accept: false,
        }
    }

    pub(crate) fn nbsrv(&self, current: usize, name: Option<&str>) -> u32 {
        let i = match name {
            Some(n) => self.by_name.get(n).copied(),
            None => Some(current),
        };
        i.and_then(|i| self.backends.get(i))
            .map_or(0, |b| b.nbsrv())
    }

    /// Runs the rules on one request. `keep` is whether the client may keep the
    /// connection after an answer.
    pub fn decide(&self, v: &ReqView, keep: bool, is_head: bool) -> Decision {
        self.decide_edit(v, keep, is_head).0
    }

    /// As [`Routing::decide`], with the request as the rules rewrote it (`None`: as it came).
    pub fn decide_edit(
        &self,
        v: &ReqView,
        keep: bool,
        is_head: bool,
    ) -> (Decision, Option<Edited>) {
        // An HTTP frontend's `tcp-request content` rules see each request first, its head
        // read whole (HAProxy runs them per request, measured).
        if self.inspects() && self.content(v, &[], true) == super::tcp::Content::Reject {
            return (Decision::Reject, None);
        }
        let mut edited = None;
        let d = self.run(v, &mut edited, (keep, is_head), None);
        (d, edited)
    }

    /// As [`Routing::decide`] for a TCP connection, whose held first bytes (`payload`) the
    /// `use_backend` and `use-server` conditions may read.
    pub fn decide_tcp(&self, v: &ReqView, payload: &[u8]) -> Decision {
        self.run(v, &mut None, (false, false), Some(payload))
    }

    fn run(
        &self,
        v: &ReqView,
        edited: &mut Option<Edited>,
        (keep, is_head): (bool, bool),
        payload: Option<&[u8]>,
    ) -> Decision {
        let fe_nbsrv = |n: Option<&str>| self.nbsrv(self.default_backend, n);
        // Before `use_backend`, the request's backend is the frontend itself.
        let vars = Vars::default();
        let mut env = self.env(usize::MAX, &fe_nbsrv, &vars);
        env.be_id = self.fe_id;
        env.payload = payload;
        let ctx = reply::Ctx {
            keep,
            is_head,
            tarpit: self.tarpit,
        };
        if let Some(rule) = first_answer(&self.rules, v, edited, &env) {
            let reply = current(v, edited, |v| reply::build(rule, v, &env, &ctx, None));
            return Decision::Answer(reply);
        }
        let (backend, rule_line) = current(v, edited, |v| self.choose(v, &env));
        let be_nbsrv = |n: Option<&str>| self.nbsrv(backend, n);
        let mut env = self.env(backend, &be_nbsrv, &vars);
        env.payload = payload;
        let stick_skip = self.backends.get(backend).and_then(|b| b.stick.as_ref());
        let mut route = Route {
            backend: (backend != self.default_backend).then_some(backend),
            server: None,
            rule_line,
            stick_skip: stick_skip.map_or(0, |st| {
                current(v, edited, |v| st.skipped(|c| c.eval(v, &env)))
            }),
        };
        let Some(rules) = self.backend_rules.get(backend).and_then(Option::as_ref) else {
            return Decision::Proxy(route);
        };
        let ctx = reply::Ctx {
            tarpit: self.be_tarpit[backend],
            ..ctx
        };
        if let Some(rule) = first_answer(rules, v, edited, &env) {
            let reply = current(v, edited, |v| {
                reply::build(rule, v, &env, &ctx, Some(backend))
            });
            return Decision::Answer(reply);
        }
        route.server = current(v, edited, |v| {
            rules
                .use_servers
                .iter()
                .find(|u| holds(&u.cond, v, &env))
                .map(|u| u.server)
        });
        Decision::Proxy(route)
    }

    /// The backend of the first `use_backend` rule that holds, else the default. A dynamic
    /// name that is no backend of the frontend's mode ends the search there: the default
    /// backend (measured).
    fn choose(&self, v: &ReqView, env: &Env) -> (usize, Option<u32>) {
        for u in &self.rules.use_backends {
            if !holds(&u.cond, v, env) {
                continue;
            }
            let found = match &u.target {
                BackendTarget::Named(i, _) => Some(*i),
                BackendTarget::Dynamic(fmt) => {
                    let name = fmt.eval(v, env);
                    std::str::from_utf8(&name)
                        .ok()
                        .and_then(|n| self.by_name.get(n).copied())
                        .filter(|&i| {
                            self.routes.get(i).is_some_and(Option::is_some)
                                || i == self.default_backend
                        })
                }
            };
            match found {
                Some(i) => return (i, Some(u.line as u32)),
                None => break,
            }
        }
        (self.default_backend, None)
    }
}
