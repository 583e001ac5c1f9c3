//! The rule keywords of proxy sections: `acl`, `use_backend`, `use-server`, `redirect` and
//! `http-request` (its actions are rows of [`super::http_request::ACTIONS`]). Conditions
//! are compiled here, against the ACLs the section defined before the rule, as HAProxy
//! requires (docs/haproxy-semantics.md §21).

use super::http_request::{read_action, redirect};
use super::http_response;
use super::sections::{Ctx, Kind, Proxy, Settings};
use super::table::Stmt;
use super::{Parser, Res};
use crate::config::acl::{parse_acl_line, parse_cond, Acl, Cond, Fmt, LoadCtx, Method};
use crate::config::{
    AclLine, Backend, BackendTarget, HttpAction, HttpRule, Mode, ProxyRules, UseBackend, UseServer,
};
use std::cell::RefCell;
use std::sync::Arc;

/// The words before `if`/`unless`, and the condition's words from it (empty if none).
pub(super) fn split_cond(args: &[String]) -> (&[String], &[String]) {
    match args.iter().position(|w| w == "if" || w == "unless") {
        Some(i) => args.split_at(i),
        None => (args, &[]),
    }
}

/// The environment as the file's lines have set it so far (`env()` reads it at load).
pub(super) type EnvFn<'e> = &'e dyn Fn(&str) -> Option<String>;

/// Reads with a [`LoadCtx`] that records the backends named (`nbsrv(...)`) in `s`.
fn with_ctx<T>(env: EnvFn, s: &mut Settings, no: usize, f: impl FnOnce(&LoadCtx) -> T) -> T {
    with_side(env, s, no, false, f)
}

/// As [`with_ctx`], for a request (`response` false) or a response rule.
fn with_side<T>(
    env: EnvFn,
    s: &mut Settings,
    no: usize,
    response: bool,
    f: impl FnOnce(&LoadCtx) -> T,
) -> T {
    let named = RefCell::new(Vec::new());
    let record = |b: &str| named.borrow_mut().push(b.to_string());
    let lists = RefCell::new(Vec::new());
    let record_list = |l: &str| lists.borrow_mut().push(l.to_string());
    let out = f(&LoadCtx {
        backend_of: &record,
        userlist_of: &record_list,
        response,
        env,
    });
    s.userlist_names
        .extend(lists.into_inner().into_iter().map(|l| (l, no)));
    s.nbsrv_names
        .extend(named.into_inner().into_iter().map(|b| (b, no)));
    out
}

/// A rule's condition, `None` without one.
pub(super) fn cond(
    env: EnvFn,
    s: &mut Settings,
    no: usize,
    words: &[String],
) -> Result<Option<Cond>, String> {
    if words.is_empty() {
        return Ok(None);
    }
    let acls = s.acl_defs.clone();
    let lookup = |n: &str| acls.iter().find(|a| a.name == n).cloned();
    with_ctx(env, s, no, |ctx| parse_cond(words, &lookup, ctx)).map(Some)
}

/// HAProxy's ACL names: letters, digits and `-_.:`.
fn valid_acl_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

pub(super) fn acl(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let name = st.arg();
    if !valid_acl_name(name) {
        let m = match name {
            "" => "'acl' expects an ACL name".to_string(),
            _ => format!("'acl': invalid character in ACL name '{name}'"),
        };
        return Err(p.err_in(st.no, ctx, m));
    }
    let words = &st.args[1..];
    let expr =
        with_ctx(&|n| p.env.get(n), s, st.no, |lc| parse_acl_line(words, lc)).map_err(|m| {
            p.err_in(
                st.no,
                ctx,
                format!("error detected while parsing ACL '{name}' : {m}"),
            )
        })?;
    if expr.patterns.is_empty() && !matches!(expr.method, Method::Found | Method::Bool) {
        p.warn(
            st.no,
            format!(
                "{}: acl '{name}': no pattern to match against were provided, so this ACL will \
                 never match",
                ctx.who
            ),
        );
    }
    match s.acl_defs.iter_mut().find(|a| a.name == name) {
        Some(acl) => Arc::make_mut(acl).exprs.push(expr),
        None => s.acl_defs.push(Arc::new(Acl {
            name: name.to_string(),
            exprs: vec![expr],
        })),
    }
    s.rules.acls.push(AclLine {
        name: name.to_string(),
        words: words.to_vec(),
        line: st.no,
    });
    Ok(())
}

pub(super) fn use_backend(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let (target, when) = split_cond(st.args);
    let [name] = target else {
        let m = match target {
            [_, extra, ..] => {
                format!("'use_backend': unexpected '{extra}' (expects 'if' or 'unless')")
            }
            _ => "'use_backend' expects a backend name.".to_string(),
        };
        return Err(p.err_in(st.no, ctx, m));
    };
    let target = if name.contains('%') {
        let f = with_ctx(&|n| p.env.get(n), s, st.no, |lc| Fmt::parse(name, lc));
        BackendTarget::Dynamic(f.map_err(|m| p.err_in(st.no, ctx, m))?)
    } else {
        BackendTarget::Named(0, name.clone())
    };
    let cond = cond(&|n| p.env.get(n), s, st.no, when).map_err(|m| {
        p.err_in(
            st.no,
            ctx,
            format!("error detected while parsing switching rule : {m}."),
        )
    })?;
    s.rules.use_backends.push(UseBackend {
        target,
        cond,
        line: st.no,
    });
    Ok(())
}

pub(super) fn use_server(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let (target, when) = split_cond(st.args);
    let [name] = target else {
        return Err(p.err_in(st.no, ctx, "'use-server' expects a server name."));
    };
    let cond = cond(&|n| p.env.get(n), s, st.no, when).map_err(|m| {
        p.err_in(
            st.no,
            ctx,
            format!("error detected while parsing switching rule : {m}."),
        )
    })?;
    s.rules.use_servers.push(UseServer {
        server: 0,
        name: name.clone(),
        cond,
        line: st.no,
    });
    Ok(())
}

/// The `redirect` keyword: the same forms as `http-request redirect`.
pub(super) fn redirect_kw(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let rule = http_rule(&|n| p.env.get(n), s, st.no, st.args, false, |w, lc| {
        redirect(w, lc).map(HttpAction::Redirect)
    });
    let rule = rule.map_err(|m| {
        p.err_in(
            st.no,
            ctx,
            format!("error detected while parsing redirect rule : {m}"),
        )
    })?;
    s.rules.redirects.push(rule);
    Ok(())
}

pub(super) fn http_request(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let rule =
        http_rule(&|n| p.env.get(n), s, st.no, st.args, false, read_action).map_err(|m| {
            // An action lbtop refuses is named by its own message.
            if m.starts_with("'http-request") {
                return p.err_in(st.no, ctx, m);
            }
            let action = st.arg();
            p.err_in(
                st.no,
                ctx,
                format!("error detected while parsing 'http-request {action}' rule : {m}"),
            )
        })?;
    let mut rule = rule;
    if let HttpAction::Auth {
        realm: realm @ None,
    } = &mut rule.action
    {
        *realm = ctx.proxy.map(|i| p.proxies[i].name.clone());
    }
    s.rules.http_request.push(rule);
    Ok(())
}

pub(super) fn http_response(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let read = http_response::read_action;
    let rule = http_rule(&|n| p.env.get(n), s, st.no, st.args, true, read).map_err(|m| {
        // An action lbtop refuses is named by its own message.
        if m.starts_with("'http-response") {
            return p.err_in(st.no, ctx, m);
        }
        let action = st.arg();
        p.err_in(
            st.no,
            ctx,
            format!("error detected while parsing 'http-response {action}' rule : {m}"),
        )
    })?;
    s.rules.http_response.push(rule);
    Ok(())
}

fn http_rule(
    env: EnvFn,
    s: &mut Settings,
    no: usize,
    args: &[String],
    response: bool,
    read: impl FnOnce(&[String], &LoadCtx) -> Result<HttpAction, String>,
) -> Result<HttpRule, String> {
    let (words, when) = split_cond(args);
    let action = with_side(env, s, no, response, |lc| read(words, lc))?;
    Ok(HttpRule {
        action,
        cond: cond(env, s, no, when)?,
        words: words.to_vec(),
        line: no,
    })
}

/// The rules one side of a proxy keeps: a `listen` gives its backend side only its ACLs
/// and `use-server` rules (its requests run the others once, as a frontend).
pub(super) fn side_rules(p: &Proxy, frontend: bool) -> ProxyRules {
    let r = &p.settings.rules;
    match (frontend, p.kind) {
        (true, _) => ProxyRules {
            use_servers: Vec::new(),
            ..r.clone()
        },
        (false, Kind::Listen) => ProxyRules {
            acls: r.acls.clone(),
            use_servers: r.use_servers.clone(),
            ..ProxyRules::default()
        },
        (false, _) => r.clone(),
    }
}

/// Whether a TCP frontend may be upgraded to HTTP by its default backend as HAProxy does:
/// when no rule of its own looks at the connection first. HAProxy runs its switching and
/// content rules on the TCP stream (racing the request's arrival) and applies its HTTP
/// rules despite warning they are ignored (measured); lbtop refuses those frontends.
pub(super) fn upgradable(r: &ProxyRules) -> bool {
    r.use_backends.is_empty()
        && r.tcp.content.is_empty()
        && r.http_request.is_empty()
        && r.http_response.is_empty()
        && r.redirects.is_empty()
}

impl Parser<'_> {
    /// Checks what a proxy's rules name once every section is read: the backends of
    /// `use_backend` (in the frontend's mode) and `nbsrv`, the servers of `use-server`.
    /// HTTP rules of a TCP proxy are dropped with HAProxy's warning.
    /// `tcp-request content` in an HTTP frontend runs on each request's head; the bytes
    /// fetches (`req.len`, `req.ssl_*`) have no raw bytes to read there: refused. (A
    /// backend's content rules are refused when read.)
    fn http_content_rules(&mut self, rules: &ProxyRules, who: &str) {
        for r in &rules.tcp.content {
            let exprs = r.cond.iter().flat_map(|c| c.any.iter().flatten());
            let payload = exprs
                .flat_map(|t| t.acl.exprs.iter())
                .find(|e| e.sample.fetch.reads_payload().is_some());
            if let Some(e) = payload {
                let e = format!(
                    "{who}: '{}' in a 'tcp-request content' rule of mode http is not \
                     supported by lbtop (it reads raw bytes; an HTTP request is read as HTTP)",
                    e.sample.text
                );
                self.errors.push(self.err(r.line, e));
            }
        }
    }

    pub(super) fn resolve_rules(
        &mut self,
        p: &Proxy,
        rules: &mut ProxyRules,
        mode: Mode,
        nbsrv: bool,
        (backends, proxies): (&[Backend], &[Proxy]),
    ) {
        let who = format!("{} '{}'", p.kind.as_str(), p.name);
        if mode == Mode::Tcp {
            self.drop_http_rules(p, rules);
        }
        if mode == Mode::Http {
            self.http_content_rules(rules, &who);
        }
        let names = if nbsrv {
            &p.settings.nbsrv_names[..]
        } else {
            &[]
        };
        for (b, line) in names {
            if !backends.iter().any(|x| &x.name == b) {
                let e = self.err(*line, format!("{who}: nbsrv: no such backend '{b}'"));
                self.errors.push(e);
            }
        }
        for (l, line) in &p.settings.userlist_names {
            if !self.global.userlists.iter().any(|x| &x.name == l) {
                let e = format!("{who}: unable to find userlist '{l}' referenced by 'http_auth'");
                self.errors.push(self.err(*line, e));
            }
        }
        for u in &mut rules.use_backends {
            let BackendTarget::Named(index, name) = &mut u.target else {
                continue;
            };
            let Some(i) = backends.iter().position(|b| &b.name == name) else {
                let e = format!(
                    "Proxy '{}': unable to find required use_backend: '{name}'.",
                    p.name
                );
                self.errors.push(self.err(u.line, e));
                continue;
            };
            *index = i;
            if backends[i].mode != mode {
                let line_of = |n: &str| {
                    proxies
                        .iter()
                        .find(|q| q.kind.be() && q.name == n)
                        .map_or(0, |q| q.line)
                };
                let e = format!(
                    "{mode} {who} (line {}) tries to use incompatible {} backend '{name}' (line \
                     {}) in a 'use_backend' rule (see 'mode')",
                    p.line,
                    backends[i].mode,
                    line_of(name)
                );
                self.errors.push(self.err(u.line, e));
            }
        }
        for u in &mut rules.use_servers {
            match p.servers.iter().position(|s| s.name == u.name) {
                Some(i) => u.server = i,
                None => {
                    let e = format!(
                        "{who} : unable to find server '{}' referenced in a 'use-server' rule.",
                        u.name
                    );
                    self.errors.push(self.err(u.line, e));
                }
            }
        }
    }

    fn drop_http_rules(&mut self, p: &Proxy, rules: &mut ProxyRules) {
        let side = if p.kind == Kind::Backend {
            "backend"
        } else {
            "frontend"
        };
        for (kw, list) in [
            ("http-request", &mut rules.http_request),
            ("redirect", &mut rules.redirects),
            ("http-response", &mut rules.http_response),
        ] {
            if let Some(first) = list.first() {
                let w = format!(
                    "'{kw}' rules ignored for {side} '{}' as they require HTTP mode.",
                    p.name
                );
                self.warn(first.line, w);
                list.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{BackendTarget, Config};
    use std::path::Path;

    fn load(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("t.cfg"), text).map_err(|e| e.to_string())
    }

    const BE: &str =
        "backend app\n    mode http\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n\
                      backend api\n    mode http\n    server s3 127.0.0.1:3\n";

    fn fe(lines: &str) -> String {
        format!("frontend fe\n    mode http\n    bind 127.0.0.1:8080\n{lines}{BE}")
    }

    #[test]
    fn names_resolve_once_every_section_is_read() {
        let c = load(&fe(
            "    use_backend api if { path_beg /api }\n    default_backend app\n",
        ))
        .unwrap();
        let u = &c.frontends[0].rules.use_backends[0];
        assert_eq!(u.target, BackendTarget::Named(1, "api".into()));
        let e = load(&fe(
            "    use_backend nope if TRUE\n    default_backend app\n",
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "t.cfg:4: Proxy 'fe': unable to find required use_backend: 'nope'."
        );
        let e = load(&format!(
            "{}backend t\n    mode tcp\n    server s 127.0.0.1:4\n",
            fe("    use_backend t\n    default_backend app\n")
        ))
        .unwrap_err();
        assert!(
            e.contains("tries to use incompatible tcp backend 't'"),
            "{e}"
        );
        let e = load(&format!(
            "{}    use-server zz if TRUE\n",
            fe("    default_backend app\n")
        ))
        .unwrap_err();
        assert!(
            e.contains("unable to find server 'zz' referenced in a 'use-server' rule"),
            "{e}"
        );
        let e = load(&fe("    acl a nbsrv(nope) 1\n    default_backend app\n")).unwrap_err();
        assert!(e.contains("nbsrv: no such backend 'nope'"), "{e}");
    }

    #[test]
    fn a_frontend_with_only_use_backend_lines_loads() {
        let c = load(&fe("    use_backend api if { path_beg /api }\n")).unwrap();
        let default = &c.backends[c.frontends[0].default_backend];
        assert!(default.implicit && default.servers.is_empty());
    }

    #[test]
    fn acls_come_before_their_use_and_merge_by_name() {
        let e = load(&fe("    use_backend api if a\n    acl a path /x\n")).unwrap_err();
        assert!(e.contains("no such ACL : 'a'"), "{e}");
        let c = load(&fe(
            "    acl a path /x\n    acl a path /y\n    use_backend api if a\n    default_backend app\n",
        ))
        .unwrap();
        let cond = c.frontends[0].rules.use_backends[0].cond.as_ref().unwrap();
        assert_eq!(cond.any[0][0].acl.exprs.len(), 2);
        let c = load(&fe("    acl a path\n    default_backend app\n")).unwrap();
        assert!(
            c.warnings[0].message.contains("never match"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn http_rules_of_a_tcp_proxy_are_dropped_with_haproxys_warning() {
        let text = "frontend f\n    mode tcp\n    bind 127.0.0.1:8080\n    http-request deny\n    \
                    redirect prefix /x\n    default_backend b\nbackend b\n    mode tcp\n    \
                    server s 127.0.0.1:1\n";
        let c = load(text).unwrap();
        assert!(c.frontends[0].rules.http_request.is_empty());
        let w: Vec<&str> = c.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            w,
            [
                "'http-request' rules ignored for frontend 'f' as they require HTTP mode.",
                "'redirect' rules ignored for frontend 'f' as they require HTTP mode."
            ]
        );
    }

    #[test]
    fn a_listen_keeps_its_rules_on_its_frontend_side() {
        let text = "listen l\n    mode http\n    bind 127.0.0.1:8080\n    acl a path /x\n    \
                    http-request deny if a\n    use-server s if a\n    server s 127.0.0.1:1\n";
        let c = load(text).unwrap();
        let (f, b) = (&c.frontends[0].rules, &c.backends[0].rules);
        assert_eq!((f.http_request.len(), f.use_servers.len()), (1, 0));
        assert_eq!(
            (b.http_request.len(), b.use_servers.len(), b.acls.len()),
            (0, 1, 1)
        );
    }
}
