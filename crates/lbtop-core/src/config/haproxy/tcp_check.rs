//! `tcp-check` rules (read with `option tcp-check`) and the protocol check options
//! (`option redis-check`, `option smtpchk`): docs/haproxy-semantics.md §1.7.

use super::sections::{Ctx, Settings};
use super::table::{find, Args, Row, Sections, Status, Stmt};
use super::{Parser, Res};
use crate::config::{parse_hex, ExpectKind, ProtoCheck, TcpExpect, TcpRule};

/// The `tcp-check` rules of a section and which check its `option` lines chose.
#[derive(Debug, Clone, Default)]
pub(super) struct TcpChecks {
    /// `option tcp-check` (rather than a protocol check) is on.
    pub(super) on: bool,
    pub(super) proto: Option<ProtoCheck>,
    pub(super) rules: Vec<TcpRule>,
    /// This very section wrote a rule: the inherited ones are replaced, not added to.
    pub(super) own: bool,
    /// Line of the section's first rule, for the "ignored" warning.
    pub(super) line: Option<usize>,
}

/// How a `tcp-check` rule is read: the words after its name.
type RuleFn = fn(&[String]) -> Result<TcpRule, String>;

const fn rule(name: &'static str, status: Status, how: RuleFn) -> Row<RuleFn> {
    Row {
        name,
        args: Args::Any,
        sections: Sections::BE,
        status,
        how,
    }
}

const fn unsupported(name: &'static str) -> Row<RuleFn> {
    rule(name, Status::Unsupported, |_| Err(String::new()))
}

pub(super) static RULES: &[Row<RuleFn>] = &[
    rule("comment", Status::Implemented, comment),
    rule("connect", Status::Implemented, connect),
    rule("send", Status::Implemented, send),
    rule("send-binary", Status::Implemented, send_binary),
    rule("expect", Status::Implemented, expect),
    unsupported("send-lf"),
    unsupported("send-binary-lf"),
    unsupported("set-var"),
    unsupported("set-var-fmt"),
    unsupported("unset-var"),
];

impl Parser<'_> {
    /// `tcp-check <rule> ...`.
    pub(super) fn tcp_check(&mut self, st: &Stmt, s: &mut Settings, ctx: &Ctx) -> Res<()> {
        let sub = st.args.first().map_or("", String::as_str);
        let Some(row) = find(RULES, sub) else {
            return Err(self.err_in(
                st.no,
                ctx,
                format!(
                    "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', \
                     'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '{sub}'"
                ),
            ));
        };
        if row.status == Status::Unsupported {
            return Err(self.err_in(
                st.no,
                ctx,
                format!("'tcp-check {sub}' is not supported by lbtop"),
            ));
        }
        let rule = (row.how)(&st.args[1..])
            .map_err(|m| self.err_in(st.no, ctx, format!("'tcp-check {sub}' : {m}")))?;
        let t = &mut s.tcp_checks;
        if !t.own {
            t.rules.clear();
            t.own = true;
            t.line = Some(st.no);
        }
        if matches!(rule, TcpRule::Connect { .. })
            && t.rules.iter().any(|r| !matches!(r, TcpRule::Comment(_)))
            && !matches!(t.rules.first(), Some(TcpRule::Connect { .. }))
        {
            return Err(self.err_in(
                st.no,
                ctx,
                "'tcp-check connect' : first step MUST also be a 'connect', optionally preceded \
                 by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step \
                 in the tcp-check ruleset",
            ));
        }
        t.rules.push(rule);
        Ok(())
    }
}

fn comment(args: &[String]) -> Result<TcpRule, String> {
    match args {
        [text] => Ok(TcpRule::Comment(text.clone())),
        _ => Err("expects a string as argument".into()),
    }
}

fn connect(args: &[String]) -> Result<TcpRule, String> {
    let mut port = None;
    let mut words = args.iter();
    while let Some(w) = words.next() {
        if w != "port" {
            return Err(format!(
                "expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or \
                 'via-socks4', 'linger', 'default' but got '{w}' as argument (lbtop reads \
                 'port')"
            ));
        }
        let Some(v) = words.next() else {
            return Err("'port' expects a port number or a sample expression as argument".into());
        };
        match v.parse::<u16>() {
            Ok(p) if p > 0 => port = Some(p),
            _ => {
                return Err(format!(
                    "expects a valid TCP port (from range 1 to 65535) or a sample expression, \
                     got {v}"
                ))
            }
        }
    }
    Ok(TcpRule::Connect { port })
}

fn send(args: &[String]) -> Result<TcpRule, String> {
    match args {
        [data] => Ok(TcpRule::Send(data.clone())),
        _ => Err("'string' expects a send as argument".into()),
    }
}

fn send_binary(args: &[String]) -> Result<TcpRule, String> {
    match args {
        [hex] => parse_hex(hex)
            .map(TcpRule::SendBinary)
            .ok_or_else(|| format!("'{hex}' invalid binary string")),
        _ => Err("'binary' expects a send as argument".into()),
    }
}

fn expect(args: &[String]) -> Result<TcpRule, String> {
    let (inverse, args) = match args {
        [bang, rest @ ..] if bang == "!" => (true, rest),
        _ => (false, args),
    };
    let Some(first) = args.first() else {
        return Err("expects at least a matching pattern as arguments".into());
    };
    let (inverse, name) = match first.strip_prefix('!') {
        Some(name) => (true, name),
        None => (inverse, first.as_str()),
    };
    let Some(kind) = ExpectKind::from_name(name) else {
        return Err(format!(
            "only supports '[!]binary', '[!]string' or '[!]rstring' but got '{name}' as argument"
        ));
    };
    let pattern = match &args[1..] {
        [p] => p.clone(),
        [] => return Err(format!("'{name}' expects a <pattern> as argument")),
        [_, extra, ..] => {
            return Err(format!(
                "'{extra}': lbtop reads only '[!] string|rstring|binary <pattern>'"
            ))
        }
    };
    match kind {
        ExpectKind::Binary if parse_hex(&pattern).is_none() => {
            return Err("invalid binary string".into())
        }
        ExpectKind::Rstring => {
            if let Err(e) = regex::bytes::Regex::new(&pattern) {
                return Err(format!("regex '{pattern}' is invalid ({e})"));
            }
        }
        _ => {}
    }
    Ok(TcpRule::Expect(TcpExpect {
        inverse,
        kind,
        pattern,
    }))
}

/// `option redis-check`, `option smtpchk [HELO|EHLO <domain>]`: HAProxy's own rule sets.
pub(super) fn proto_option(st: &Stmt, s: &mut Settings) -> Result<(), String> {
    let proto = match st.kw {
        "redis-check" => ProtoCheck::Redis,
        "ldap-check" => ProtoCheck::Ldap,
        "ssl-hello-chk" => ProtoCheck::SslHello,
        "mysql-check" => mysql(st.args)?,
        "pgsql-check" => pgsql(st.args)?,
        _ => ProtoCheck::Smtp {
            hello: match st.args {
                [verb, domain, ..] if verb == "HELO" || verb == "EHLO" => {
                    format!("{verb} {domain}")
                }
                _ => "HELO localhost".into(),
            },
        },
    };
    s.httpchk = false;
    s.tcp_checks.on = false;
    s.tcp_checks.proto = Some(proto);
    Ok(())
}

/// `option mysql-check [user <name> [post-41|pre-41]]`, in HAProxy's words when wrong.
fn mysql(args: &[String]) -> Result<ProtoCheck, String> {
    let user = match args {
        [] => {
            return Ok(ProtoCheck::Mysql {
                user: None,
                pre41: false,
            })
        }
        [kw, ..] if kw != "user" => {
            return Err(format!(
                "'option mysql-check' only supports optional values: 'user' (got '{kw}')"
            ))
        }
        [_] => return Err("'option mysql-check user' expects <username> as argument".into()),
        [_, user, ..] => user.clone(),
    };
    let pre41 = match args.get(2).map(String::as_str) {
        None | Some("post-41") => false,
        Some("pre-41") => true,
        Some(other) => {
            return Err(format!(
                "keyword 'user' only supports 'post-41' and 'pre-41' (got '{other}')"
            ))
        }
    };
    Ok(ProtoCheck::Mysql {
        user: Some(user),
        pre41,
    })
}

/// `option pgsql-check user <name>`, in HAProxy's words when wrong.
fn pgsql(args: &[String]) -> Result<ProtoCheck, String> {
    match args {
        [] | [_] => Err("'option pgsql-check' expects 'user <username>' as argument".into()),
        [kw, ..] if kw != "user" => {
            Err("'option pgsql-check' only supports optional values: 'user'".into())
        }
        [_, user] => Ok(ProtoCheck::Pgsql { user: user.clone() }),
        [_, _, extra, ..] => Err(format!(
            "'option pgsql-check' cannot handle unexpected argument '{extra}'"
        )),
    }
}
