//! `http-check` rules and `option httpchk`'s request: lbtop checks with one request, the
//! `send` rule's (or `option httpchk`'s), and passes on status 200-399.

use super::super::values::is_token;
use super::sections::{Ctx, Settings};
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::HttpCheck;

/// How an `http-check` rule is read: all the words after `http-check`.
type RuleFn = fn(&mut Parser, usize, &[String], &mut Settings, &Ctx) -> Res<()>;

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
    rule(name, Status::Unsupported, |_, _, _, _, _| Ok(()))
}

pub(super) static RULES: &[Row<RuleFn>] = &[
    rule("send", Status::Implemented, send),
    unsupported("expect"),
    unsupported("connect"),
    unsupported("comment"),
    unsupported("disable-on-404"),
    unsupported("send-state"),
    unsupported("set-var"),
    unsupported("unset-var"),
];

impl Parser<'_> {
    /// `http-check <rule> ...`.
    pub(super) fn http_check(
        &mut self,
        no: usize,
        args: &[String],
        s: &mut Settings,
        ctx: &Ctx,
    ) -> Res<()> {
        let sub = args.first().map_or("", String::as_str);
        let Some(row) = find(RULES, sub) else {
            return Err(self.err_in(
                no,
                ctx,
                format!(
                    "unknown 'http-check' rule '{sub}'{}",
                    suggest(sub, &names(RULES))
                ),
            ));
        };
        if row.status == Status::Unsupported {
            return Err(self.err_in(
                no,
                ctx,
                format!(
                    "'http-check {sub}' is not supported by lbtop (it checks 'send' requests \
                     and passes on status 200-399)"
                ),
            ));
        }
        (row.how)(self, no, args, s, ctx)
    }
}

/// `http-check send meth <m> uri <u> ver <v> hdr <name> <value> ...`.
fn send(p: &mut Parser, no: usize, args: &[String], s: &mut Settings, ctx: &Ctx) -> Res<()> {
    let who = ctx.who.as_str();
    let e = |m: String| p.err(no, format!("{who}: {m}"));
    if let Some(first) = s.own_send {
        return Err(e(format!(
            "'http-check send': this section already has one at line {first} \
             (lbtop supports one request per check)"
        )));
    }
    // A section's first rule starts a new rule set: the defaults' request is not merged.
    let mut req = match (&s.request, s.own_rules) {
        (Some(r), true) => r.clone(),
        _ => HttpCheck::default(),
    };
    let mut i = 1;
    while i < args.len() {
        let key = args[i].as_str();
        let value = |n: usize| {
            args.get(i + n).ok_or_else(|| {
                e(match key {
                    "hdr" => {
                        "'http-check send' : 'hdr' expects <name> and <value> as arguments".into()
                    }
                    _ => format!("'http-check send' : '{key}' expects an argument"),
                })
            })
        };
        match key {
            "meth" => req.method = check_word(value(1)?, "meth").map_err(e)?,
            "uri" => req.path = check_word(value(1)?, "uri").map_err(e)?,
            "ver" => req.version = check_word(value(1)?, "ver").map_err(e)?,
            "hdr" => {
                let (name, v) = (value(1)?, value(2)?);
                check_header(name, v).map_err(e)?;
                req.headers.push((name.clone(), v.clone()));
                i += 1;
            }
            "comment" => {
                value(1)?;
            }
            "body" | "body-lf" | "uri-lf" => {
                return Err(e(format!(
                    "'http-check send ... {key}' is not supported by lbtop"
                )))
            }
            _ => {
                return Err(e(format!(
                    "'http-check send' : expects 'comment', 'meth', 'uri', 'ver' or 'hdr' \
                     but got '{key}' as argument{}",
                    suggest(key, &["comment", "meth", "uri", "ver", "hdr"])
                )))
            }
        }
        i += 2;
    }
    s.request = Some(req);
    s.own_rules = true;
    s.own_send = Some(no);
    s.rules_line = Some(no);
    Ok(())
}

/// `option httpchk [[<method>] <uri> [<version>]]`; also says whether the version hid
/// headers (HAProxy's deprecated `HTTP/1.0\r\nName:\ value` form).
pub(super) fn httpchk(args: &[String]) -> Result<(HttpCheck, bool), String> {
    let mut c = HttpCheck::default();
    match args {
        [] => {}
        [uri] => c.path = check_word(uri, "uri")?,
        [meth, uri] => {
            c.method = check_word(meth, "method")?;
            c.path = check_word(uri, "uri")?;
        }
        [meth, uri, ver] => {
            c.method = check_word(meth, "method")?;
            c.path = check_word(uri, "uri")?;
            let mut parts = ver.split("\r\n");
            c.version = check_word(parts.next().unwrap_or_default(), "version")?;
            let mut legacy = false;
            for line in parts.by_ref() {
                legacy = true;
                if line.is_empty() {
                    break;
                }
                let Some((name, value)) = line.split_once(':') else {
                    return Err(format!(
                        "'option httpchk': hidden header '{line}' has no ':' (write Name:\\ value)"
                    ));
                };
                let value = value.trim_start_matches([' ', '\t']);
                check_header(name, value)?;
                c.headers.push((name.to_string(), value.to_string()));
            }
            let body: Vec<&str> = parts.collect();
            if body.iter().any(|b| !b.is_empty()) {
                return Err(
                    "'option httpchk': a check request body is not supported by lbtop".into(),
                );
            }
            return Ok((c, legacy));
        }
        [_, _, _, extra, ..] => {
            return Err(format!(
                "'option httpchk' cannot handle unexpected argument '{extra}'"
            ))
        }
    }
    Ok((c, false))
}

/// A method, URI or version: one word, nothing a request line could choke on.
fn check_word(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "health check {what} must be one word without spaces or control characters, got {s:?}"
        ));
    }
    Ok(s.to_string())
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    if !is_token(name) {
        return Err(format!(
            "health check header name {name:?} is not a valid header name"
        ));
    }
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(format!(
            "health check header '{name}' value may not contain line breaks"
        ));
    }
    Ok(())
}
