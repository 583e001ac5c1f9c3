//! `tcp-request inspect-delay <time>`, `tcp-request connection <action> [if|unless <cond>]`
//! and `tcp-request content <action> [if|unless <cond>]` (docs/haproxy-semantics.md §21.5).
//! Each action HAProxy 2.6 has is a row of [`CONNECTION`] or [`CONTENT`]; lbtop runs
//! `accept` and `reject`, and refuses the others by name.

use super::rules::{cond, split_cond};
use super::sections::{Ctx, Kind, Settings};
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::acl::Cond;
use crate::config::{parse_duration, TcpAction, TcpReqRule};

const fn action(name: &'static str, how: Option<TcpAction>) -> Row<Option<TcpAction>> {
    Row {
        name,
        args: Args::Any,
        sections: Sections::FRONTENDS,
        status: match how {
            Some(_) => Status::Implemented,
            None => Status::Unsupported,
        },
        how,
    }
}

/// The actions of `tcp-request connection`, in HAProxy's order.
static CONNECTION: &[Row<Option<TcpAction>>] = &[
    action("accept", Some(TcpAction::Accept)),
    action("reject", Some(TcpAction::Reject)),
    action("capture", None),
    action("expect-proxy", Some(TcpAction::ExpectProxy)),
    action("expect-netscaler-cip", None),
    action("track-sc0", None),
    action("track-sc1", None),
    action("track-sc2", None),
    action("sc-inc-gpc", None),
    action("sc-inc-gpc0", None),
    action("sc-inc-gpc1", None),
    action("sc-set-gpt", None),
    action("sc-set-gpt0", None),
    action("set-var-fmt", None),
    action("set-var", None),
    action("unset-var", None),
    action("set-dst", None),
    action("set-dst-port", None),
    action("set-mark", None),
    action("set-src", None),
    action("set-src-port", None),
    action("set-tos", None),
    action("silent-drop", None),
];

/// The actions of `tcp-request content`, in HAProxy's order.
static CONTENT: &[Row<Option<TcpAction>>] = &[
    action("accept", Some(TcpAction::Accept)),
    action("reject", Some(TcpAction::Reject)),
    action("capture", None),
    action("expect-proxy", None),
    action("expect-netscaler-cip", None),
    action("track-sc0", None),
    action("track-sc1", None),
    action("track-sc2", None),
    action("ot-group", None),
    action("set-log-level", None),
    action("set-nice", None),
    action("switch-mode", None),
    action("use-service", None),
    action("sc-inc-gpc", None),
    action("sc-inc-gpc0", None),
    action("sc-inc-gpc1", None),
    action("sc-set-gpt", None),
    action("sc-set-gpt0", None),
    action("send-spoe-group", None),
    action("do-resolve", None),
    action("set-var-fmt", None),
    action("set-var", None),
    action("unset-var", None),
    action("set-src", None),
    action("set-src-port", None),
    action("set-dst", None),
    action("set-dst-port", None),
    action("set-mark", None),
    action("set-tos", None),
    action("silent-drop", None),
    action("set-priority-class", None),
    action("set-priority-offset", None),
];

/// The `tcp-request` keyword.
pub(super) fn tcp_request(
    p: &mut Parser,
    st: &super::table::Stmt,
    ctx: &Ctx,
    s: &mut Settings,
) -> Res<()> {
    let rest = st.args.get(1..).unwrap_or(&[]);
    if ctx.kind == Kind::Backend {
        let m = "'tcp-request' in a backend is not supported by lbtop (frontend and listen only)";
        return Err(p.err_in(st.no, ctx, m));
    }
    match st.arg() {
        "inspect-delay" => inspect_delay(p, st.no, rest, ctx, s),
        "connection" => rule(p, st.no, rest, ctx, s, true),
        "content" => rule(p, st.no, rest, ctx, s, false),
        other => Err(p.err_in(
            st.no,
            ctx,
            format!(
                "'tcp-request' expects 'inspect-delay', 'connection', or 'content' (got '{other}')"
            ),
        )),
    }
}

fn inspect_delay(p: &mut Parser, no: usize, w: &[String], ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let bad = || "'tcp-request inspect-delay' expects a positive delay in milliseconds";
    let [value] = w else {
        return Err(p.err_in(no, ctx, bad()));
    };
    let delay = parse_duration(value).map_err(|_| p.err_in(no, ctx, bad()))?;
    s.rules.tcp.inspect_delay = Some(delay);
    s.rules.tcp.inspect_delay_words = Some(value.clone());
    Ok(())
}

fn rule(
    p: &mut Parser,
    no: usize,
    w: &[String],
    ctx: &Ctx,
    s: &mut Settings,
    connection: bool,
) -> Res<()> {
    let (kw, rows) = match connection {
        true => ("tcp-request connection", CONNECTION),
        false => ("tcp-request content", CONTENT),
    };
    let (words, when) = split_cond(w);
    let name = words.first().map_or("", String::as_str);
    let base = name.split('(').next().unwrap_or(name);
    let Some(row) = find(rows, base) else {
        let list: Vec<String> = names(rows).iter().map(|n| format!("'{n}'")).collect();
        let m = format!(
            "'{kw}' expects {} (got '{name}'){}",
            list.join(", "),
            suggest(base, &names(rows))
        );
        return Err(p.err_in(no, ctx, m));
    };
    let Some(action) = row.how else {
        return Err(p.err_in(no, ctx, format!("'{kw} {base}' is not supported by lbtop")));
    };
    let args = match action {
        TcpAction::ExpectProxy => 2,
        _ => 1,
    };
    if action == TcpAction::ExpectProxy && words.get(1).map(String::as_str) != Some("layer4") {
        let got = words.get(1).map_or("", String::as_str);
        let m = format!("'{kw} expect-proxy' only supports 'layer4' (got '{got}')");
        return Err(p.err_in(no, ctx, m));
    }
    if let Some(extra) = words.get(args) {
        let m = format!("'{kw} {name}': unexpected '{extra}' (expects 'if' or 'unless')");
        return Err(p.err_in(no, ctx, m));
    }
    let cond = cond(&|n| p.env.get(n), s, no, when)
        .map_err(|m| p.err_in(no, ctx, format!("'{kw} {name}': {m}")))?;
    if connection {
        if let Some(c) = &cond {
            warn_late_fetches(p, no, c, &ctx.who);
        }
    }
    let r = TcpReqRule {
        action,
        cond,
        line: no,
    };
    match connection {
        true => s.rules.tcp.connection.push(r),
        false => s.rules.tcp.content.push(r),
    }
    Ok(())
}

/// A connection rule is run at accept, before any byte is read: an ACL reading the request
/// never matches there. HAProxy loads it with this warning (measured).
fn warn_late_fetches(p: &mut Parser, no: usize, c: &Cond, who: &str) {
    for term in c.any.iter().flatten() {
        let late = term.acl.exprs.iter().find(|e| !e.sample.fetch.at_accept());
        let Some(e) = late else { continue };
        let kw = e.sample.text.split('(').next().unwrap_or("");
        let acl = match term.acl.name.as_str() {
            "anonymous" => "anonymous acl".to_string(),
            n => format!("acl '{n}'"),
        };
        let kind = who.split(' ').next().unwrap_or("frontend");
        p.warn(
            no,
            format!(
                "{acl} will never match in 'tcp-request connection' because it uses keyword \
                 '{kw}' which is incompatible with '{kind} tcp-request connection rule'"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn load(body: &str) -> Result<Config, String> {
        let text = format!(
            "frontend fe\n    mode tcp\n    bind 127.0.0.1:8443\n{body}    default_backend app\n\
             backend app\n    mode tcp\n    server s1 127.0.0.1:1\n"
        );
        Config::parse(Path::new("t.cfg"), &text).map_err(|e| e.to_string())
    }

    #[test]
    fn errors_name_the_line_and_the_action() {
        let e = load("    tcp-request foo\n").unwrap_err();
        assert!(
            e.contains("t.cfg:4")
                && e.contains("expects 'inspect-delay', 'connection', or 'content' (got 'foo')"),
            "{e}"
        );
        let e = load("    tcp-request connection track-sc0 src\n").unwrap_err();
        assert!(
            e.contains("t.cfg:4")
                && e.contains("'tcp-request connection track-sc0' is not supported by lbtop"),
            "{e}"
        );
        let e = load("    tcp-request content set-var(txn.x) str(1)\n").unwrap_err();
        assert!(
            e.contains("'tcp-request content set-var' is not supported"),
            "{e}"
        );
        let e = load("    tcp-request content nope\n").unwrap_err();
        assert!(
            e.contains("'tcp-request content' expects 'accept', 'reject'"),
            "{e}"
        );
        let e = load("    tcp-request connection expect-proxy layer5\n").unwrap_err();
        assert!(e.contains("only supports 'layer4' (got 'layer5')"), "{e}");
        let e = load("    tcp-request inspect-delay\n").unwrap_err();
        assert!(
            e.contains("t.cfg:4") && e.contains("expects a positive delay in milliseconds"),
            "{e}"
        );
        let e = load("    tcp-request content reject if { nope }\n").unwrap_err();
        assert!(e.contains("t.cfg:4"), "{e}");
        // In mode http the rules run on each request's head; raw-byte fetches are refused.
        let text = "frontend h\n    mode http\n    bind 127.0.0.1:8080\n\
             \x20   tcp-request content reject if { path /x }\n    default_backend a\n\
             backend a\n    mode http\n    server s 127.0.0.1:1\n";
        assert!(Config::parse(Path::new("h.cfg"), text).is_ok());
        let text = text.replace("{ path /x }", "{ req.len gt 3 }");
        let e = Config::parse(Path::new("h.cfg"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("h.cfg:4")
                && e.contains("'req.len' in a 'tcp-request content' rule of mode http"),
            "{e}"
        );
        let text =
            "backend a\n    mode tcp\n    tcp-request content reject\n    server s 127.0.0.1:1\n";
        let e = Config::parse(Path::new("b.cfg"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.cfg:3") && e.contains("in a backend is not supported"),
            "{e}"
        );
    }

    #[test]
    fn a_connection_rule_reading_the_request_loads_with_haproxys_warning() {
        let c = load("    tcp-request connection reject if { req.ssl_sni -i x }\n").unwrap();
        let w: Vec<String> = c.warnings.iter().map(|w| w.message.clone()).collect();
        assert!(
            w.iter().any(|w| w.contains(
                "anonymous acl will never match in 'tcp-request connection' because it uses \
                 keyword 'req.ssl_sni' which is incompatible with 'frontend tcp-request \
                 connection rule'"
            )),
            "{w:?}"
        );
    }
}
