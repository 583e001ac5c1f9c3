//! `http-check` rules and `option httpchk`'s request: lbtop checks with one request, the
//! `send` rule's (or `option httpchk`'s), then tries the `expect` rules in order on its
//! response; with none, status 200-399 passes (docs/haproxy-semantics.md §1.5).

use super::super::values::is_token;
use super::sections::{Ctx, Settings};
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::{status_ranges, Expect, ExpectMatch, HttpCheck};

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
    rule("expect", Status::Implemented, expect),
    rule("comment", Status::Implemented, comment),
    unsupported("connect"),
    rule("disable-on-404", Status::Implemented, disable_on_404),
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
                    "'http-check {sub}' is not supported by lbtop (it checks with one 'send' \
                     request and 'expect' rules)"
                ),
            ));
        }
        (row.how)(self, no, args, s, ctx)
    }
}

/// `http-check disable-on-404`: a proxy flag, inherited from defaults like an option, not
/// a rule of the check's sequence.
fn disable_on_404(
    p: &mut Parser,
    no: usize,
    args: &[String],
    s: &mut Settings,
    ctx: &Ctx,
) -> Res<()> {
    if let Some(extra) = args.get(1) {
        return Err(p.err_in(
            no,
            ctx,
            format!("'http-check' cannot handle unexpected argument '{extra}'."),
        ));
    }
    s.options.disable_on_404 = true;
    Ok(())
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
    let mut req = own_rules(s);
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
            "body" => req.body = value(1)?.clone(),
            "body-lf" | "uri-lf" => {
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
    s.own_send = Some(no);
    s.rules_send = true;
    s.rules_line.get_or_insert(no);
    // A comment rule covers the rules after it up to a request (measured).
    s.rules_comment = None;
    Ok(())
}

/// The section's rule set, for a rule to add to: a section's first rule starts a new one,
/// with HAProxy's default request (the defaults' rules are not merged) but no request sent
/// until `option httpchk` or `http-check send` says so.
fn own_rules(s: &mut Settings) -> HttpCheck {
    if let (Some(r), true) = (&s.request, s.own_rules) {
        return r.clone();
    }
    s.own_rules = true;
    s.rules_send = false;
    s.rules_comment = None;
    s.rules_line = None;
    HttpCheck::default()
}

/// `http-check comment <text>`: the text failures of the rules after it report.
fn comment(p: &mut Parser, no: usize, args: &[String], s: &mut Settings, ctx: &Ctx) -> Res<()> {
    let [_, text] = args else {
        return Err(p.err_in(no, ctx, "'http-check comment' expects a string as argument"));
    };
    let req = own_rules(s);
    s.request = Some(req);
    s.rules_line.get_or_insert(no);
    s.rules_comment = Some(text.clone());
    Ok(())
}

/// `http-check expect [!] <match> <pattern> [comment <text>]`.
fn expect(p: &mut Parser, no: usize, args: &[String], s: &mut Settings, ctx: &Ctx) -> Res<()> {
    let comment = match s.own_rules {
        true => s.rules_comment.clone(),
        false => None,
    };
    let rule = read_expect(&args[1..], comment).map_err(|m| p.err_in(no, ctx, m))?;
    let mut req = own_rules(s);
    req.expect.push(rule);
    s.request = Some(req);
    s.rules_line.get_or_insert(no);
    Ok(())
}

/// The words after `http-check expect`.
fn read_expect(args: &[String], comment: Option<String>) -> Result<Expect, String> {
    let (negate, args) = match args.split_first() {
        Some((bang, rest)) if bang == "!" => (true, rest),
        _ => (false, args),
    };
    let mut rule = Expect {
        negate,
        what: ExpectMatch::Status(String::new()),
        comment,
    };
    let mut i = 0;
    let mut seen = false;
    while i < args.len() {
        let key = args[i].as_str();
        let Some(value) = args.get(i + 1) else {
            return Err(format!("'http-check expect' : '{key}' expects an argument"));
        };
        rule.what = match key {
            "status" => {
                status_ranges(value).map_err(|m| format!("'http-check expect status' : {m}"))?;
                ExpectMatch::Status(value.clone())
            }
            "rstatus" => ExpectMatch::Rstatus(regex(value)?),
            "string" => ExpectMatch::String(value.clone()),
            "rstring" => ExpectMatch::Rstring(regex(value)?),
            "comment" => {
                rule.comment = Some(value.clone());
                i += 2;
                continue;
            }
            _ => return Err(unknown_expect(key)),
        };
        if seen {
            return Err(format!(
                "'http-check expect' : only one pattern expected, got a second one with '{key}'"
            ));
        }
        seen = true;
        i += 2;
    }
    if !seen {
        return Err(
            "'http-check expect' : expects a pattern: status, rstatus, string or \
                    rstring"
                .into(),
        );
    }
    Ok(rule)
}

fn unknown_expect(key: &str) -> String {
    const KNOWN: &[&str] = &["status", "rstatus", "string", "rstring", "comment"];
    const REFUSED: &[&str] = &[
        "min-recv",
        "ok-status",
        "error-status",
        "tout-status",
        "on-success",
        "on-error",
        "status-code",
        "hdr",
        "fhdr",
        "binary",
        "rbinary",
        "string-lf",
        "binary-lf",
    ];
    if REFUSED.contains(&key) {
        return format!("'http-check expect ... {key}' is not supported by lbtop");
    }
    format!(
        "'http-check expect' : expects 'status', 'rstatus', 'string', 'rstring' or \
         'comment' but got '{key}' as argument{}",
        suggest(key, KNOWN)
    )
}

/// A pattern the regex engine accepts (checks use the same engine).
fn regex(p: &str) -> Result<String, String> {
    regex::Regex::new(p)
        .map(|_| p.to_string())
        .map_err(|e| format!("'http-check expect' : invalid regex '{p}': {e}"))
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
