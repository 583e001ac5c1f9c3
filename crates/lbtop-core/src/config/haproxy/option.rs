//! `[no] option <name> [<arguments>]`: one row per option, and one per `option forwardfor`
//! argument.

use super::super::values::{is_token, parse_net};
use super::http_check::httpchk;
use super::sections::{Ctx, Kind, Settings};
use super::table::{find, names, suggest, Args, Row, Sections, Status, Stmt};
use super::tcp_check::proto_option;
use super::{Parser, Res};
use crate::config::{ForwardFor, Options};

/// How an option is read, which also says whether `no option <name>` exists.
#[derive(Clone, Copy)]
pub(super) enum Apply {
    /// `option <name>` sets this flag, `no option <name>` clears it.
    Flag(fn(&mut Options) -> &mut bool),
    /// Negatable, with an effect of its own (`on` is false for `no option <name>`).
    Toggle(fn(&mut Parser, &Stmt, &Ctx, &mut Settings, bool) -> Res<()>),
    /// Not negatable: `no option <name>` is refused.
    Set(fn(&mut Parser, &Stmt, &Ctx, &mut Settings) -> Res<()>),
}

const fn option(name: &'static str, args: Args, sections: Sections, how: Apply) -> Row<Apply> {
    Row {
        name,
        args,
        sections,
        status: Status::Implemented,
        how,
    }
}

const fn flag(
    name: &'static str,
    sections: Sections,
    how: fn(&mut Options) -> &mut bool,
) -> Row<Apply> {
    option(name, Args::None, sections, Apply::Flag(how))
}

const fn unsupported(name: &'static str) -> Row<Apply> {
    Row {
        status: Status::Unsupported,
        ..option(
            name,
            Args::Any,
            Sections::PROXIES,
            Apply::Set(|_, _, _, _| Ok(())),
        )
    }
}

/// Tunes HAProxy's internals only: loads (and `no option` too) with a warning saying why.
const fn ignored(name: &'static str, sections: Sections, why: &'static str) -> Row<Apply> {
    Row {
        status: Status::Ignored(why),
        ..option(
            name,
            Args::None,
            sections,
            Apply::Toggle(|_, _, _, _, _| Ok(())),
        )
    }
}

const TCP_SMART: &str = "it only saves a TCP packet (a delayed ACK, or the request sent with \
     the handshake's last ACK); the bytes exchanged are the same";
const SPLICE: &str = "it only chooses how HAProxy moves bytes in the kernel; lbtop splices on \
                      its own and relays the same bytes";

use Sections as S;

/// The options: those lbtop reads, then those it refuses.
pub(super) static OPTIONS: &[Row<Apply>] = &[
    flag("log-health-checks", S::BE, |o| &mut o.log_health_checks),
    option("httplog", Args::None, HTTPLOG_SIDES, Apply::Set(log_format)),
    option(
        "httpslog",
        Args::None,
        HTTPSLOG_SIDES,
        Apply::Set(log_format),
    ),
    option("tcplog", Args::None, TCPLOG_SIDES, Apply::Set(log_format)),
    flag("dontlognull", S::FE, |o| &mut o.dontlognull),
    flag("dontlog-normal", S::FE, |o| &mut o.dontlog_normal),
    flag("log-separate-errors", S::FE, |o| &mut o.log_separate_errors),
    option(
        "http-server-close",
        Args::None,
        S::PROXIES,
        Apply::Toggle(server_close),
    ),
    option(
        "http-keep-alive",
        Args::None,
        S::PROXIES,
        Apply::Toggle(keep_alive),
    ),
    option(
        "httpclose",
        Args::None,
        S::PROXIES,
        Apply::Toggle(httpclose),
    ),
    option("forwardfor", Args::Any, S::PROXIES, Apply::Set(forwardfor)),
    flag("redispatch", S::BE, |o| &mut o.redispatch),
    flag("prefer-last-server", S::BE, |o| &mut o.prefer_last_server),
    flag("abortonclose", S::BE, |o| &mut o.abortonclose),
    flag("persist", S::BE, |o| &mut o.persist),
    flag("allbackups", S::BE, |o| &mut o.allbackups),
    flag("http-pretend-keepalive", S::PROXIES, |o| {
        &mut o.http_pretend_keepalive
    }),
    flag("clitcpka", S::FE, |o| &mut o.clitcpka),
    flag("srvtcpka", S::BE, |o| &mut o.srvtcpka),
    // Not negatable in HAProxy 2.6 ("negation/default is not supported").
    option("tcpka", Args::None, S::PROXIES, Apply::Set(tcpka)),
    option("httpchk", Args::Any, S::BE, Apply::Set(http_check)),
    option("tcp-check", Args::None, S::BE, Apply::Set(tcp_check)),
    option("redis-check", Args::None, S::BE, Apply::Set(proto_check)),
    option("ssl-hello-chk", Args::None, S::BE, Apply::Set(proto_check)),
    option("smtpchk", Args::Count(0, 2), S::BE, Apply::Set(proto_check)),
    option(
        "mysql-check",
        Args::Count(0, 3),
        S::BE,
        Apply::Set(proto_check),
    ),
    option("ldap-check", Args::None, S::BE, Apply::Set(proto_check)),
    option("pgsql-check", Args::Any, S::BE, Apply::Set(proto_check)),
    ignored("tcp-smart-accept", S::FE, TCP_SMART),
    ignored("tcp-smart-connect", S::BE, TCP_SMART),
    ignored("splice-auto", S::PROXIES, SPLICE),
    ignored("splice-request", S::PROXIES, SPLICE),
    ignored("splice-response", S::PROXIES, SPLICE),
    ignored(
        "socket-stats",
        S::FE,
        "lbtop keeps no per-bind counters: its stats are per frontend",
    ),
    ignored(
        "contstats",
        S::FE,
        "it only changes when HAProxy's byte counters are updated, not what is relayed",
    ),
    ignored(
        "http-no-delay",
        S::PROXIES,
        "it only tunes when HAProxy flushes buffered data; lbtop's sockets already send \
         without delay (TCP_NODELAY)",
    ),
    unsupported("accept-invalid-http-request"),
    unsupported("accept-invalid-http-response"),
    unsupported("checkcache"),
    unsupported("external-check"),
    unsupported("h1-case-adjust-bogus-client"),
    unsupported("h1-case-adjust-bogus-server"),
    unsupported("http-buffer-request"),
    unsupported("http-ignore-probes"),
    unsupported("http-restrict-req-hdr-names"),
    unsupported("http-use-proxy-header"),
    unsupported("http_proxy"),
    unsupported("idle-close-on-response"),
    unsupported("independent-streams"),
    unsupported("logasap"),
    unsupported("nolinger"),
    unsupported("originalto"),
    unsupported("spop-check"),
    unsupported("transparent"),
];

// HAProxy's own words for a log format option in a backend.
const HTTPLOG_SIDES: Sections =
    S::FE.says_elsewhere("'option httplog' directive is ignored in backends");
const HTTPSLOG_SIDES: Sections =
    S::FE.says_elsewhere("'option httpslog' directive is ignored in backends");
const TCPLOG_SIDES: Sections =
    S::FE.says_elsewhere("'option tcplog' directive is ignored in backends");

/// How an `option forwardfor` argument is read, given its value (`""` for a flag).
type ForwardForFn = fn(&mut ForwardFor, &str) -> Result<(), String>;

/// The arguments of `option forwardfor`.
pub(super) static FORWARDFOR: &[Row<ForwardForFn>] = &[
    Row {
        name: "except",
        args: Args::One("<address>[/mask] as argument"),
        sections: S::PROXIES,
        status: Status::Implemented,
        how: |f, v| {
            f.except =
                Some(parse_net(v).map_err(|m| format!("option 'forwardfor': 'except' {m}"))?);
            Ok(())
        },
    },
    Row {
        name: "header",
        args: Args::One("<header_name> as argument"),
        sections: S::PROXIES,
        status: Status::Implemented,
        how: |f, v| {
            if !is_token(v) {
                return Err(format!(
                    "option 'forwardfor': 'header' '{v}' is not a valid header name"
                ));
            }
            f.header = v.to_ascii_lowercase();
            Ok(())
        },
    },
    Row {
        name: "if-none",
        args: Args::None,
        sections: S::PROXIES,
        status: Status::Implemented,
        how: |f, _| {
            f.if_none = true;
            Ok(())
        },
    },
];

impl Parser<'_> {
    /// `option <name> ...`, or `no option <name>` when `negated`.
    pub(super) fn option(
        &mut self,
        no: usize,
        args: &[String],
        s: &mut Settings,
        ctx: &Ctx,
        negated: bool,
    ) -> Res<()> {
        let Some(name) = args.first().map(String::as_str) else {
            return Err(self.err_in(no, ctx, "'option' expects an option name"));
        };
        let Some(row) = find(OPTIONS, name) else {
            return Err(self.err_in(
                no,
                ctx,
                format!("unknown option '{name}'{}", suggest(name, &names(OPTIONS))),
            ));
        };
        if row.status == Status::Unsupported {
            return Err(self.err_in(
                no,
                ctx,
                match name {
                    "httpslog" => "'option httpslog' is not supported by lbtop: it logs TLS \
                                   details (use 'option httplog')"
                        .to_string(),
                    _ => format!("'option {name}' is not supported by lbtop"),
                },
            ));
        }
        if negated && matches!(row.how, Apply::Set(_)) {
            return Err(self.err_in(
                no,
                ctx,
                format!(
                    "negation/default is not supported for option '{name}' ('no option {name}')"
                ),
            ));
        }
        if !self.applies(no, ctx, row.sections, name)? {
            return Ok(());
        }
        let what = format!("'option {name}'");
        let st = Stmt {
            no,
            kw: name,
            args: &args[1..],
        };
        row.args
            .check(st.args, &what)
            .map_err(|m| self.err_in(no, ctx, m))?;
        match row.how {
            Apply::Flag(field) => *field(&mut s.options) = !negated,
            Apply::Toggle(how) => how(self, &st, ctx, s, !negated)?,
            Apply::Set(how) => how(self, &st, ctx, s)?,
        }
        if let Some(w) = row.status.warning(&what) {
            self.warn(no, w);
        }
        Ok(())
    }
}

/// `option httplog`, `httpslog` or `tcplog`: the last one a section writes wins. HAProxy
/// warns of the override only in a `defaults` section, and there names `httpslog` itself
/// `option httplog` (measured on 2.6.12).
fn log_format(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let name = match st.kw {
        "httplog" => "httplog",
        "httpslog" => "httpslog",
        _ => "tcplog",
    };
    let previous = s.own_log_format.filter(|_| ctx.kind == Kind::Defaults);
    if let Some(previous) = previous {
        let said = if name == "httpslog" { "httplog" } else { name };
        let before = match previous {
            "log-format" => "log-format".to_string(),
            option => format!("option {option}"),
        };
        p.warn(
            st.no,
            format!("'option {said}' overrides previous '{before}' in 'defaults' section"),
        );
    }
    s.own_log_format = Some(name);
    s.log_option_line = Some(st.no);
    s.options.httplog = name != "tcplog";
    s.options.httpslog = name == "httpslog";
    s.options.tcplog = name == "tcplog";
    s.options.log_format = None;
    Ok(())
}

// `http-keep-alive`, `http-server-close` and `httpclose` are one setting in HAProxy, the
// connection mode: the last one written wins, and `no option X` clears it only when X is
// the one in force.

fn keep_alive(_: &mut Parser, _: &Stmt, _: &Ctx, s: &mut Settings, on: bool) -> Res<()> {
    if on {
        s.options.http_server_close = false;
        s.options.httpclose = false;
    }
    Ok(())
}

fn server_close(_: &mut Parser, _: &Stmt, _: &Ctx, s: &mut Settings, on: bool) -> Res<()> {
    s.options.http_server_close = on;
    s.options.httpclose = s.options.httpclose && !on;
    Ok(())
}

fn httpclose(_: &mut Parser, _: &Stmt, _: &Ctx, s: &mut Settings, on: bool) -> Res<()> {
    s.options.httpclose = on;
    s.options.http_server_close = s.options.http_server_close && !on;
    Ok(())
}

/// `option forwardfor [except <net>] [header <name>] [if-none]`.
fn forwardfor(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let mut f = ForwardFor {
        except: None,
        header: "x-forwarded-for".into(),
        if_none: false,
    };
    let mut words = st.args.iter();
    while let Some(key) = words.next() {
        let Some(row) = find(FORWARDFOR, key) else {
            return Err(p.err_in(
                st.no,
                ctx,
                format!(
                    "'option forwardfor' only supports optional values: 'except', 'header' and \
                     'if-none' (got '{key}'){}",
                    suggest(key, &names(FORWARDFOR))
                ),
            ));
        };
        let what = format!("'option forwardfor {key}'");
        let value: Vec<String> = words.by_ref().take(row.args.taken()).cloned().collect();
        row.args
            .check(&value, &what)
            .map_err(|m| p.err_in(st.no, ctx, m))?;
        let v = value.first().map_or("", String::as_str);
        (row.how)(&mut f, v).map_err(|m| p.err_in(st.no, ctx, m))?;
        if let Some(w) = row.status.warning(&format!("{}: {what}", ctx.who)) {
            p.warn(st.no, w);
        }
    }
    s.options.forwardfor = Some(f);
    Ok(())
}

fn http_check(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let (mut check, legacy) = httpchk(st.args).map_err(|m| p.err_in(st.no, ctx, m))?;
    // The section's own `expect` rules stay: `option httpchk` only gives the request.
    if let (true, Some(r)) = (s.own_rules, &s.request) {
        check.expect = r.expect.clone();
    }
    if legacy {
        p.warn(
            st.no,
            "'option httpchk' : hiding headers or body at the end of the version string is \
             deprecated. Please, consider to use 'http-check send' directive instead.",
        );
    }
    s.httpchk = true;
    s.tcp_checks.on = false;
    s.tcp_checks.proto = None;
    s.request = Some(check);
    s.own_rules = true;
    s.own_send = None;
    s.rules_send = true;
    Ok(())
}

fn tcp_check(_: &mut Parser, _: &Stmt, _: &Ctx, s: &mut Settings) -> Res<()> {
    s.httpchk = false;
    s.tcp_checks.on = true;
    s.tcp_checks.proto = None;
    s.request = None;
    s.own_rules = true;
    s.own_send = None;
    Ok(())
}

/// `option redis-check`, `option smtpchk`.
fn proto_check(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    s.request = None;
    s.own_rules = true;
    s.own_send = None;
    proto_option(st, s).map_err(|m| p.err_in(st.no, ctx, m))
}

/// `option tcpka`: keep-alive on both sides a section has.
fn tcpka(_: &mut Parser, _: &Stmt, _: &Ctx, s: &mut Settings) -> Res<()> {
    s.options.clitcpka = true;
    s.options.srvtcpka = true;
    Ok(())
}
