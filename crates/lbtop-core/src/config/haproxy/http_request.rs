//! `http-request <action> ... [if|unless <cond>]`: one row per action HAProxy 2.6 has. The
//! row's reader turns the action's words into an [`HttpAction`]; the engine runs each
//! variant (`engine::rules`). Adding an action is adding a row and a variant.

use super::errorfile::STATUSES;
use super::http_edit as edit;
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use crate::config::acl::{Fmt, LoadCtx};
use crate::config::{HttpAction, Redirect, RedirectKind, Return, ReturnBody, Service};

/// Reads an action's words (after its name, before the condition).
pub(super) type ActionFn = fn(&[String], &LoadCtx) -> Result<HttpAction, String>;

pub(super) const fn action(name: &'static str, how: ActionFn) -> Row<ActionFn> {
    Row {
        name,
        args: Args::Any,
        sections: Sections::PROXIES,
        status: Status::Implemented,
        how,
    }
}

pub(super) const fn unsupported(name: &'static str) -> Row<ActionFn> {
    Row {
        status: Status::Unsupported,
        ..action(name, |_, _| Err(String::new()))
    }
}

pub(super) static ACTIONS: &[Row<ActionFn>] = &[
    action("allow", |w, _| {
        no_words("allow", w).map(|_| HttpAction::Allow)
    }),
    action("deny", |w, ctx| deny_rule(w, ctx, 403)),
    action("tarpit", |w, _| {
        deny_status(w, "tarpit", 500).map(|status| HttpAction::Tarpit { status })
    }),
    action("redirect", |w, ctx| {
        redirect(w, ctx).map(HttpAction::Redirect)
    }),
    action("return", |w, ctx| {
        return_rule(w, ctx, ("return", 200)).map(HttpAction::Return)
    }),
    action("add-header", edit::add_header),
    action("set-header", edit::set_header),
    action("del-header", edit::del_header),
    action("replace-header", edit::replace_header),
    action("replace-value", edit::replace_value),
    action("set-path", edit::set_path),
    unsupported("set-pathq"),
    action("replace-path", edit::replace_path),
    unsupported("replace-pathq"),
    action("set-query", edit::set_query),
    action("set-uri", edit::set_uri),
    unsupported("replace-uri"),
    action("set-method", edit::set_method),
    action("set-var", |w, ctx| match w {
        [name, expr] => {
            crate::config::acl::var_name(name)?;
            let expr = crate::config::acl::parse_sample(expr, ctx)?;
            Ok(HttpAction::SetVar {
                name: name.clone(),
                expr: Some(expr),
            })
        }
        _ => Err("expects a variable name in parentheses and one sample expression.".into()),
    }),
    unsupported("set-var-fmt"),
    action("unset-var", |w, _| match w {
        [name] => {
            crate::config::acl::var_name(name)?;
            Ok(HttpAction::SetVar {
                name: name.clone(),
                expr: None,
            })
        }
        _ => Err("expects a variable name in parentheses.".into()),
    }),
    action("auth", |w, _| match w {
        [] => Ok(HttpAction::Auth { realm: None }),
        [kw, realm] if kw == "realm" => Ok(HttpAction::Auth {
            realm: Some(realm.clone()),
        }),
        _ => Err("expects 'realm' followed by the realm name, or nothing.".to_string()),
    }),
    unsupported("capture"),
    unsupported("reject"),
    unsupported("silent-drop"),
    unsupported("set-log-level"),
    unsupported("set-nice"),
    unsupported("set-tos"),
    unsupported("set-mark"),
    unsupported("set-src"),
    unsupported("set-src-port"),
    unsupported("set-dst"),
    unsupported("set-dst-port"),
    unsupported("set-timeout"),
    unsupported("track-sc0"),
    unsupported("track-sc1"),
    unsupported("track-sc2"),
    unsupported("sc-inc-gpc0"),
    unsupported("sc-inc-gpc1"),
    unsupported("sc-set-gpt0"),
    unsupported("add-acl"),
    unsupported("del-acl"),
    unsupported("set-map"),
    unsupported("del-map"),
    unsupported("cache-use"),
    action("use-service", |w, _| match w {
        [name] if name == "prometheus-exporter" => {
            Ok(HttpAction::UseService(Service::PrometheusExporter))
        }
        // HAProxy's words; lbtop has no other service.
        [name] => Err(format!("'{name}' unknown service name.")),
        _ => Err("expects a service name.".into()),
    }),
    unsupported("early-hint"),
    unsupported("normalize-uri"),
    unsupported("wait-for-body"),
    unsupported("wait-for-handshake"),
    unsupported("disable-l7-retry"),
    unsupported("do-resolve"),
    unsupported("strict-mode"),
    unsupported("set-priority-class"),
    unsupported("set-priority-offset"),
    unsupported("send-spoe-group"),
];

/// Reads an `http-request` action: its name then its words.
pub(super) fn read_action(words: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    read_from(ACTIONS, "http-request", words, ctx)
}

/// Reads an action of the table `rows` (of keyword `kw`): its name then its words.
pub(super) fn read_from(
    rows: &'static [Row<ActionFn>],
    kw: &str,
    words: &[String],
    ctx: &LoadCtx,
) -> Result<HttpAction, String> {
    let name = words.first().map_or("", String::as_str);
    // `set-var(txn.x)`, `track-sc0`...: the row is the part before the parenthesis.
    let base = name.split('(').next().unwrap_or(name);
    // `set-var(txn.x) expr`: the row reads the name in parentheses as its first word.
    let mut words = words.to_vec();
    if let Some(inner) = name.strip_prefix(base).and_then(|r| r.strip_prefix('(')) {
        words[0] = inner.strip_suffix(')').unwrap_or(inner).to_string();
    } else if !words.is_empty() {
        words.remove(0);
    }
    let Some(row) = find(rows, base) else {
        let implemented: Vec<&str> = rows
            .iter()
            .filter(|r| r.status == Status::Implemented)
            .map(|r| r.name)
            .collect();
        return Err(format!(
            "'{kw}' expects {} (or an action lbtop does not support), but got '{name}'{}",
            implemented.join(", "),
            suggest(base, &names(rows))
        ));
    };
    if row.status == Status::Unsupported {
        return Err(format!("'{kw} {base}' is not supported by lbtop"));
    }
    (row.how)(&words, ctx)
}

/// `deny [deny_status <code>]`, or with `return`'s options; `default` is the status without
/// one (403 for a request, 502 for a response).
pub(super) fn deny_rule(w: &[String], ctx: &LoadCtx, default: u16) -> Result<HttpAction, String> {
    match w {
        // `deny_status` alone keeps HAProxy's error page; any other option makes the
        // answer a `return`'s, with an empty body unless one is given (measured).
        [] | [_, _] if w.first().is_none_or(|k| k == "deny_status") => {
            deny_status(w, "deny", default).map(|status| HttpAction::Deny { status })
        }
        _ => {
            let w: Vec<String> = w
                .iter()
                .map(|x| match x.as_str() {
                    "deny_status" => "status".to_string(),
                    _ => x.clone(),
                })
                .collect();
            return_rule(&w, ctx, ("deny", default)).map(HttpAction::DenyWith)
        }
    }
}

fn no_words(what: &str, w: &[String]) -> Result<(), String> {
    match w.first() {
        Some(x) => Err(format!(
            "'http-request {what}' takes no argument, got '{x}'"
        )),
        None => Ok(()),
    }
}

/// `[deny_status <code>]`: one of the statuses HAProxy has a page for.
fn deny_status(w: &[String], what: &str, default: u16) -> Result<u16, String> {
    match w {
        [] => Ok(default),
        [kw, code] if kw == "deny_status" => code
            .parse::<u16>()
            .ok()
            .filter(|c| STATUSES.contains(c))
            .ok_or(format!(
                "status code '{code}' not handled by default with 'default-errorfiles' argument."
            )),
        [kw, code, extra, ..] if kw == "deny_status" => Err(format!(
            "'http-request {what}': lbtop supports only 'deny_status <code>' here, got \
             '{extra}' after 'deny_status {code}'"
        )),
        [kw, ..] => Err(format!(
            "'http-request {what}': lbtop supports only 'deny_status <code>' here, got '{kw}'"
        )),
    }
}

/// The words of a redirect (`http-request redirect` or the `redirect` keyword).
pub(super) fn redirect(w: &[String], ctx: &LoadCtx) -> Result<Redirect, String> {
    // The type and the options come in any order (`redirect code 301 prefix / ...`).
    let mut r = Redirect {
        kind: RedirectKind::Location,
        to: Fmt::parse("", ctx)?,
        code: 302,
        drop_query: false,
        append_slash: false,
        set_cookie: None,
        clear_cookie: None,
    };
    let mut typed = false;
    let mut i = 0;
    while let Some(opt) = w.get(i) {
        let value = w.get(i + 1).ok_or(format!("'{opt}' expects an argument."));
        let kind = match opt.as_str() {
            "location" => Some(RedirectKind::Location),
            "prefix" => Some(RedirectKind::Prefix),
            "scheme" => Some(RedirectKind::Scheme),
            _ => None,
        };
        if let Some(kind) = kind {
            r.kind = kind;
            r.to = Fmt::parse(value?, ctx)?;
            typed = true;
            i += 2;
            continue;
        }
        match opt.as_str() {
            "code" => {
                let c = value?;
                r.code = c
                    .parse()
                    .ok()
                    .filter(|c| [301, 302, 303, 307, 308].contains(c))
                    .ok_or(format!(
                        "'code': unsupported HTTP code '{c}' (must be one of 301, 302, 303, 307 \
                         or 308)."
                    ))?;
                i += 1;
            }
            "set-cookie" => {
                r.set_cookie = Some(value?.clone());
                i += 1;
            }
            "clear-cookie" => {
                r.clear_cookie = Some(value?.clone());
                i += 1;
            }
            "ignore-empty" => return Err("'ignore-empty' is not supported by lbtop".to_string()),
            "drop-query" => r.drop_query = true,
            "append-slash" => r.append_slash = true,
            _ => {
                return Err(format!(
                    "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', \
                     'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '{opt}')."
                ))
            }
        }
        i += 1;
    }
    if !typed {
        return Err("redirection type expected ('prefix', 'location', or 'scheme').".to_string());
    }
    Ok(r)
}

/// The options of `return` (and of a `deny` that has them): `what` names the action in
/// messages, with the status it answers when none is given.
pub(super) fn return_rule(
    w: &[String],
    ctx: &LoadCtx,
    (what, status): (&str, u16),
) -> Result<Return, String> {
    let mut r = Return {
        status,
        content_type: None,
        body: ReturnBody::None,
        headers: Vec::new(),
    };
    let mut i = 0;
    while let Some(opt) = w.get(i) {
        let value = w
            .get(i + 1)
            .ok_or(format!("'{opt}' expects an argument."))?;
        match opt.as_str() {
            "status" => {
                r.status = value
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (200..=599).contains(s))
                    .ok_or(format!(
                        "'status' expects a valid status code, got '{value}'"
                    ))?;
            }
            "hdr" => {
                let fmt = w
                    .get(i + 2)
                    .ok_or("'hdr' expects a name and a value.".to_string())?;
                r.headers
                    .push((value.to_ascii_lowercase(), Fmt::parse(fmt, ctx)?));
                i += 1;
            }
            "content-type" => r.content_type = Some(value.clone()),
            "string" => r.body = ReturnBody::Bytes(value.as_bytes().to_vec()),
            "lf-string" => r.body = ReturnBody::Format(Fmt::parse(value, ctx)?),
            "file" => {
                let bytes = std::fs::read(value)
                    .map_err(|e| format!("failed to open file '{value}' ({e})"))?;
                r.body = ReturnBody::Bytes(bytes);
            }
            _ => {
                return Err(format!(
                    "'http-request {what}': lbtop supports 'status', 'content-type', \
                     'string', 'lf-string', 'file' and 'hdr', got '{opt}'"
                ))
            }
        }
        i += 2;
    }
    let has_body = !matches!(&r.body, ReturnBody::None)
        && !matches!(&r.body, ReturnBody::Bytes(b) if b.is_empty());
    if has_body && matches!(r.status, 204 | 304) {
        return Err(format!("a {} response cannot have a payload.", r.status));
    }
    if has_body && r.content_type.is_none() {
        return Err(
            "a content type must be defined when non-empty payload is configured.".to_string(),
        );
    }
    Ok(r)
}
