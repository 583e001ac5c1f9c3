//! A proxy's `stats <what>` keywords: its stats page (docs/haproxy-semantics.md §18). Each row
//! turns the page on, as HAProxy does for every one of them, and sets one part of it.

use super::sections::{Ctx, Settings};
use super::table::{find, names, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::{parse_duration, StatsAdmin, StatsPage};

/// How a `stats` keyword is read: the page so far and the words after the keyword.
type StatsFn = fn(&mut StatsPage, &[String]) -> Result<(), String>;

const fn kw(name: &'static str, args: Args, how: StatsFn) -> Row<StatsFn> {
    Row {
        name,
        args,
        sections: Sections::PROXIES,
        status: Status::Implemented,
        how,
    }
}

const fn unsupported(name: &'static str) -> Row<StatsFn> {
    Row {
        status: Status::Unsupported,
        ..kw(name, Args::Any, |_, _| Ok(()))
    }
}

/// HAProxy 2.6's `stats` keywords in a proxy, in the order its messages list them.
pub(super) static STATS: &[Row<StatsFn>] = &[
    kw("admin", Args::Any, |_, _| Ok(())),
    kw("uri", Args::Any, uri),
    kw("realm", Args::Any, realm),
    kw("auth", Args::Any, auth),
    kw("scope", Args::Any, scope),
    kw("enable", Args::Any, |_, _| Ok(())),
    kw("hide-version", Args::Any, |p, _| {
        p.hide_version = true;
        Ok(())
    }),
    kw("show-node", Args::Any, |p, a| {
        p.show_node = Some(a.first().cloned().unwrap_or_default());
        Ok(())
    }),
    kw("show-desc", Args::Any, |p, a| {
        p.show_desc = Some(a.join(" "));
        Ok(())
    }),
    kw("show-legends", Args::Any, |p, _| {
        p.show_legends = true;
        Ok(())
    }),
    kw("refresh", Args::Any, refresh),
    unsupported("http-request"),
];

/// HAProxy's list of what may follow `stats`.
const EXPECTS: &str = "expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', \
                       'hide-version', 'show-node', 'show-desc' or 'show-legends'";

/// Keywords whose extra words HAProxy reads past without a word: lbtop says so.
const NO_ARGS: [&str; 3] = ["enable", "hide-version", "show-legends"];

impl Parser<'_> {
    /// `stats <what> ...` in a proxy section.
    pub(super) fn proxy_stats(
        &mut self,
        no: usize,
        args: &[String],
        ctx: &Ctx,
        s: &mut Settings,
    ) -> Res<()> {
        let Some(sub) = args.first().map(String::as_str) else {
            return Err(self.err_in(no, ctx, format!("missing keyword in 'stats', {EXPECTS}")));
        };
        let Some(row) = find(STATS, sub) else {
            let hint = super::table::suggest(sub, &names(STATS));
            return Err(self.err_in(
                no,
                ctx,
                format!("unknown stats parameter '{sub}', {EXPECTS}{hint}"),
            ));
        };
        if row.status == Status::Unsupported {
            return Err(self.err_in(
                no,
                ctx,
                format!("'stats {sub}' is not supported by lbtop (it needs 'http-request' rules)"),
            ));
        }
        let rest = &args[1..];
        if let (true, Some(extra)) = (NO_ARGS.contains(&sub), rest.first()) {
            let who = &ctx.who;
            self.warn(
                no,
                format!(
                    "{who}: 'stats {sub}' takes no argument, '{extra}' ignored (as HAProxy \
                     ignores it)"
                ),
            );
        }
        let said = |m| self.err_in(no, ctx, format!("'stats {sub}' {m}"));
        let admin = match sub {
            "admin" => Some(admin_cond(&|n| self.env.get(n), s, no, rest).map_err(|m| {
                match m.starts_with("error") {
                    true => self.err_in(no, ctx, m),
                    false => said(m),
                }
            })?),
            _ => None,
        };
        let page = s.stats.get_or_insert_with(|| StatsPage::new(no));
        if let Some(a) = admin {
            page.admin = Some(a);
        }
        (row.how)(page, rest).map_err(said)
    }
}

/// `stats admin if|unless <condition>`: compiled against the ACLs the proxy has defined
/// so far, as HAProxy reads it (an ACL named before its `acl` line is unknown).
fn admin_cond(
    env: super::rules::EnvFn,
    s: &mut Settings,
    no: usize,
    a: &[String],
) -> Result<StatsAdmin, String> {
    if !matches!(a.first().map(String::as_str), Some("if" | "unless")) || a.len() < 2 {
        return Err("requires either 'if' or 'unless' followed by a condition".into());
    }
    let cond = super::rules::cond(env, s, no, a)
        .map_err(|m| format!("error detected while parsing a 'stats admin' rule : {m}."))?;
    match cond {
        Some(c) => Ok(StatsAdmin(c)),
        None => Err("requires either 'if' or 'unless' followed by a condition".into()),
    }
}

fn uri(p: &mut StatsPage, a: &[String]) -> Result<(), String> {
    p.uri = non_empty(a, "needs an URI prefix")?;
    Ok(())
}

fn realm(p: &mut StatsPage, a: &[String]) -> Result<(), String> {
    p.realm = Some(non_empty(a, "needs a realm name")?);
    Ok(())
}

fn scope(p: &mut StatsPage, a: &[String]) -> Result<(), String> {
    let name = non_empty(a, "needs a proxy name")?;
    p.scope.push(name);
    Ok(())
}

/// `user:password`. HAProxy takes a word without `:` too; lbtop asks for both halves.
fn auth(p: &mut StatsPage, a: &[String]) -> Result<(), String> {
    let word = non_empty(a, "needs a user:password account")?;
    let Some((user, pass)) = word.split_once(':') else {
        return Err(format!(
            "expects 'user:password', got '{word}' (lbtop refuses an account without a password)"
        ));
    };
    p.auth.push((user.to_string(), pass.to_string()));
    Ok(())
}

/// `refresh <delay>`, in seconds by default; 0 turns the refresh off.
fn refresh(p: &mut StatsPage, a: &[String]) -> Result<(), String> {
    let mut word = non_empty(a, "needs a delay")?;
    // Unlike timeouts, a bare number is in seconds here.
    if word.bytes().all(|b| b.is_ascii_digit()) {
        word.push('s');
    }
    let d = parse_duration(&word).map_err(|m| format!("interval: {m}"))?;
    p.refresh = (!d.is_zero()).then_some(d);
    Ok(())
}

fn non_empty(a: &[String], needs: &str) -> Result<String, String> {
    match a.first() {
        Some(w) if !w.is_empty() => Ok(w.clone()),
        _ => Err(needs.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError, StatsPage};
    use std::path::Path;
    use std::time::Duration;

    const HEAD: &str = "defaults\n    mode http\nlisten stats\n    bind 127.0.0.1:8404\n";

    fn parse(body: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("s.cfg"), &format!("{HEAD}{body}"))
    }

    fn page(body: &str) -> StatsPage {
        let c = parse(body).unwrap_or_else(|e| panic!("{e}"));
        let fe = c.frontends[0].stats.clone().expect("stats on the frontend");
        assert_eq!(
            c.backends[0].stats.as_ref(),
            Some(&fe),
            "a listen has one page"
        );
        fe
    }

    /// The error is at line 5 (the first body line), names the file, and says `want`.
    fn refused(body: &str, want: &str) {
        let e = parse(body).expect_err(body);
        let text = e.to_string();
        assert!(text.starts_with("s.cfg:5: listen 'stats': "), "{text}");
        assert!(text.contains(want), "{text} does not say {want:?}");
    }

    #[test]
    fn enable_gives_haproxys_defaults() {
        let p = page("    stats enable\n");
        assert_eq!(p, StatsPage::new(5));
        assert_eq!(p.uri, "/haproxy?stats");
        assert_eq!(p.realm(), "HAProxy Statistics");
        assert!(parse("").unwrap().frontends[0].stats.is_none());
    }

    #[test]
    fn every_keyword_sets_its_part_and_turns_the_page_on() {
        let p = page(
            "    stats auth admin:pa:ss\n    stats auth u:\n    stats uri /st\n    stats realm \
             My\\ Realm\n    stats refresh 10\n    stats hide-version\n    stats show-legends\n    \
             stats show-node n1\n    stats show-desc two words\n    stats scope .\n",
        );
        assert_eq!(p.line, 5);
        assert_eq!(p.uri, "/st");
        assert_eq!(p.realm(), "My Realm");
        let auth = [("admin", "pa:ss"), ("u", "")].map(|(u, p)| (u.to_string(), p.to_string()));
        assert_eq!(p.auth, auth);
        assert_eq!(p.refresh, Some(Duration::from_secs(10)));
        assert!(p.hide_version && p.show_legends);
        assert_eq!(p.show_node.as_deref(), Some("n1"));
        assert_eq!(p.show_desc.as_deref(), Some("two words"));
        assert_eq!(p.scope, ["."]);
        assert_eq!(
            page("    stats refresh 1500ms\n").refresh,
            Some(Duration::from_millis(1500))
        );
        assert_eq!(page("    stats refresh 0\n").refresh, None);
        assert_eq!(page("    stats show-node\n").show_node.as_deref(), Some(""));
        let admin = |cond: &str| page(&format!("    stats admin {cond}\n")).admin;
        assert_eq!(admin("if TRUE").unwrap().words(), "if TRUE");
        assert_eq!(
            admin("unless LOCALHOST").unwrap().words(),
            "unless LOCALHOST"
        );
    }

    #[test]
    fn defaults_pass_the_page_on_and_a_proxy_adds_to_it() {
        let c = Config::parse(
            Path::new("s.cfg"),
            "defaults\n    mode http\n    stats auth a:b\nfrontend f\n    bind 127.0.0.1:1\n    \
             stats auth c:d\n    default_backend b\nbackend b\n",
        )
        .unwrap();
        assert_eq!(c.frontends[0].stats.as_ref().unwrap().auth.len(), 2);
        assert_eq!(c.backends[0].stats.as_ref().unwrap().auth.len(), 1);
    }

    #[test]
    fn tcp_mode_ignores_the_page_with_haproxys_warning() {
        let c = Config::parse(
            Path::new("s.cfg"),
            "listen l\n    bind 127.0.0.1:1\n    stats enable\n",
        )
        .unwrap();
        assert!(c.frontends[0].stats.is_none() && c.backends[0].stats.is_none());
        let w: Vec<_> = c
            .warnings
            .iter()
            .filter(|w| w.message.contains("'stats'"))
            .collect();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].line, 3);
        assert!(w[0]
            .message
            .contains("ignored for proxy 'l' as it requires HTTP mode"));
    }

    #[test]
    fn errors_name_the_file_line_and_keyword() {
        refused(
            "    stats\n",
            "missing keyword in 'stats', expects 'admin', 'uri'",
        );
        refused("    stats foo\n", "unknown stats parameter 'foo'");
        refused("    stats socket /x\n", "unknown stats parameter 'socket'");
        refused("    stats enabel\n", "did you mean 'enable'?");
        refused("    stats uri\n", "'stats uri' needs an URI prefix");
        refused("    stats realm\n", "'stats realm' needs a realm name");
        refused("    stats scope\n", "'stats scope' needs a proxy name");
        refused("    stats auth\n", "'stats auth' needs a user:password");
        refused("    stats auth ab\n", "expects 'user:password', got 'ab'");
        refused("    stats refresh\n", "'stats refresh' needs a delay");
        refused("    stats refresh 10x\n", "'stats refresh' interval: '10x'");
        refused(
            "    stats admin\n",
            "'stats admin' requires either 'if' or 'unless'",
        );
        refused(
            "    stats admin if src 10.0.0.1\n",
            "error detected while parsing a 'stats admin' rule : no such ACL : 'src'.",
        );
        refused(
            "    stats http-request deny\n",
            "'stats http-request' is not supported",
        );
    }

    #[test]
    fn extra_words_after_a_flag_load_with_a_warning() {
        let c = parse("    stats enable now\n").unwrap();
        assert!(c.warnings.iter().any(|w| w.line == 5
            && w.message
                .contains("'stats enable' takes no argument, 'now' ignored")));
    }

    /// Whether `cond` (after the proxy's `acls` lines) lets a POST from `ip` in.
    fn admits(acls: &str, cond: &str, ip: &str) -> bool {
        use crate::config::acl::Env;
        use crate::engine::rules::ReqView;
        let text = format!("{acls}    stats admin {cond}\n");
        let admin = parse(&text).unwrap().frontends[0]
            .stats
            .clone()
            .unwrap()
            .admin;
        let head = b"POST /haproxy?stats HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut lines = [httparse::EMPTY_HEADER; 4];
        let src = std::net::SocketAddr::new(ip.parse().unwrap(), 1000);
        let dst = "127.0.0.1:80".parse().unwrap();
        let v = ReqView::parse(head, &mut lines, src, dst).unwrap();
        let env = Env {
            fe_id: 1,
            be_id: 1,
            nbsrv: &|_| 0,
            users: None,
            vars: None,
            payload: None,
            at_accept: false,
        };
        admin.unwrap().allows(&v, &env)
    }

    #[test]
    fn admin_takes_any_condition_on_the_request() {
        for (ip, local) in [
            ("127.0.0.1", true),
            ("127.1.2.3", true),
            ("::1", true),
            ("10.0.0.1", false),
            ("::2", false),
        ] {
            assert_eq!(admits("", "if LOCALHOST", ip), local, "{ip}");
            assert_eq!(admits("", "unless LOCALHOST", ip), !local, "{ip}");
            assert!(admits("", "if TRUE", ip));
        }
        let net = "    acl local_net src 192.168.0.0/16\n";
        assert!(admits(net, "if local_net", "192.168.1.2"));
        assert!(!admits(net, "if local_net", "127.0.0.1"));
        assert!(admits("", "if { src 10.0.0.0/8 }", "10.1.1.1"));
        assert!(!admits("", "if { src 10.0.0.0/8 } METH_GET", "10.1.1.1"));
        assert!(admits("", "if { src 10.0.0.0/8 } METH_POST", "10.1.1.1"));
    }

    #[test]
    fn admin_names_an_unknown_acl_as_haproxy_does() {
        let e = parse("    stats admin if nope\n").unwrap_err().to_string();
        let want = "error detected while parsing a 'stats admin' rule : no such ACL : 'nope'.";
        assert!(e.contains(":5:") && e.contains(want), "{e}");
        let later = "    stats admin if a\n    acl a src 127.0.0.1\n";
        let e = parse(later).unwrap_err().to_string();
        assert!(e.contains("no such ACL : 'a'"), "{e}");
        let e = parse("    stats admin if\n").unwrap_err().to_string();
        assert!(e.contains("requires either 'if' or 'unless'"), "{e}");
    }

    #[test]
    fn global_stats_is_still_the_socket() {
        let c = Config::parse(
            Path::new("s.cfg"),
            "global\n    stats socket /tmp/s level admin\n    stats timeout 1m\n",
        )
        .unwrap();
        assert_eq!(c.global.stats_sockets[0].path, "/tmp/s");
    }
}
