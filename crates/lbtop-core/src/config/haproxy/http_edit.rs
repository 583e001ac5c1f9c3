//! The rewriting actions shared by `http-request` and `http-response` (rows of
//! [`super::http_request::ACTIONS`] and [`super::http_response::ACTIONS`]): their words read
//! into an [`Edit`], with HAProxy 2.6's messages for wrong counts (docs/haproxy-semantics.md
//! §21.4).

use crate::config::acl::{regex, Fmt, LoadCtx};
use crate::config::{Edit, HttpAction, NameMatch, Rx};

/// The headers whose framing lbtop owns: a rule may not touch them (HAProxy 2.6 sends a
/// request without its `Content-Length` when a rule sets one, and both framings when a rule
/// adds `Transfer-Encoding`: measured).
const FRAMING: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

fn not_framing(touches: impl Fn(&str) -> bool) -> Result<(), String> {
    match FRAMING.iter().find(|f| touches(f)) {
        Some(f) => Err(format!(
            "lbtop does not let rules change '{f}': the message's framing and persistence \
             are lbtop's own (docs/haproxy-semantics.md §21.4)"
        )),
        None => Ok(()),
    }
}

/// An HTTP token (RFC 9110 §5.6.2), as a header name must be.
fn header_name(name: &str) -> Result<String, String> {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !name.chars().all(tchar) {
        return Err(format!("'{name}' is not a valid header name"));
    }
    let lower = name.to_ascii_lowercase();
    not_framing(|f| f == lower)?;
    Ok(lower)
}

/// A log-format value whose literal text puts no control byte on the wire.
fn value(text: &str, ctx: &LoadCtx) -> Result<Fmt, String> {
    let f = Fmt::parse(text, ctx)?;
    match f.literal_control() {
        Some(b) => Err(format!(
            "'{text}': lbtop refuses a control byte (0x{b:02x}) in a rewritten value (HAProxy \
             would send it as it is, starting a new header line on CR LF)"
        )),
        None => Ok(f),
    }
}

/// `<name> <fmt>`, both non-empty (HAProxy counts an empty word as missing).
pub(super) fn name_value(w: &[String], ctx: &LoadCtx) -> Result<(String, Fmt), String> {
    match w {
        [n, v] if !n.is_empty() && !v.is_empty() => Ok((header_name(n)?, value(v, ctx)?)),
        _ => Err("expects exactly 2 arguments.".into()),
    }
}

pub(super) fn set_header(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    let (name, value) = name_value(w, ctx)?;
    Ok(HttpAction::Edit(Edit::SetHeader { name, value }))
}

pub(super) fn add_header(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    let (name, value) = name_value(w, ctx)?;
    Ok(HttpAction::Edit(Edit::AddHeader { name, value }))
}

/// `del-header <name> [-m str|beg|end|sub|reg]`.
pub(super) fn del_header(w: &[String], _: &LoadCtx) -> Result<HttpAction, String> {
    let (name, how) = match w {
        [n] if !n.is_empty() => (n, "str"),
        [n, m, how] if !n.is_empty() && m == "-m" => (n, how.as_str()),
        _ => return Err("expects exactly 1 arguments.".into()),
    };
    let lower = name.to_ascii_lowercase();
    let how = match how {
        "str" => NameMatch::Str,
        "beg" => NameMatch::Beg,
        "end" => NameMatch::End,
        "sub" => NameMatch::Sub,
        "reg" => NameMatch::Reg(Rx(regex(name, false)?)),
        other => {
            return Err(format!(
                "-m: expects 'str', 'beg', 'end', 'sub' or 'reg' (got '{other}')"
            ))
        }
    };
    not_framing(|f| how.matches(&lower, f))?;
    Ok(HttpAction::Edit(Edit::DelHeader { name: lower, how }))
}

/// `<name> <regex> <fmt>`.
fn name_re_with(w: &[String], ctx: &LoadCtx) -> Result<(String, Rx, Fmt), String> {
    match w {
        [n, re, with] if !n.is_empty() && !re.is_empty() && !with.is_empty() => {
            Ok((header_name(n)?, Rx(regex(re, false)?), value(with, ctx)?))
        }
        _ => Err("expects exactly 3 arguments.".into()),
    }
}

pub(super) fn replace_header(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    let (name, re, with) = name_re_with(w, ctx)?;
    Ok(HttpAction::Edit(Edit::ReplaceHeader { name, re, with }))
}

pub(super) fn replace_value(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    let (name, re, with) = name_re_with(w, ctx)?;
    Ok(HttpAction::Edit(Edit::ReplaceValue { name, re, with }))
}

/// `<fmt>`: the one word of `set-path`, `set-query`, `set-uri`, `set-method`.
fn one_format(w: &[String], ctx: &LoadCtx) -> Result<Fmt, String> {
    match w {
        [f] if !f.is_empty() => value(f, ctx),
        _ => Err("expects exactly 1 argument <format>.".into()),
    }
}

pub(super) fn set_path(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    one_format(w, ctx).map(|f| HttpAction::Edit(Edit::SetPath(f)))
}

pub(super) fn set_query(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    one_format(w, ctx).map(|f| HttpAction::Edit(Edit::SetQuery(f)))
}

pub(super) fn set_uri(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    one_format(w, ctx).map(|f| HttpAction::Edit(Edit::SetUri(f)))
}

pub(super) fn set_method(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    one_format(w, ctx).map(|f| HttpAction::Edit(Edit::SetMethod(f)))
}

/// `replace-path <regex> <fmt>`.
pub(super) fn replace_path(w: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    match w {
        [re, with] if !re.is_empty() && !with.is_empty() => {
            Ok(HttpAction::Edit(Edit::ReplacePath {
                re: Rx(regex(re, false)?),
                with: value(with, ctx)?,
            }))
        }
        _ => Err("expects exactly 2 arguments.".into()),
    }
}

/// `set-status <code> [reason <text>]`.
pub(super) fn set_status(w: &[String], _: &LoadCtx) -> Result<HttpAction, String> {
    let bad = || "expects an integer status code between 100 and 999.".to_string();
    let code = w.first().ok_or_else(bad)?;
    let code = code
        .parse::<u16>()
        .ok()
        .filter(|c| (100..=999).contains(c))
        .ok_or_else(bad)?;
    let reason = match &w[1..] {
        [] => None,
        [kw, r] if kw == "reason" => {
            if r.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
                return Err(format!("'reason {r}': lbtop refuses a control byte here"));
            }
            Some(r.clone())
        }
        _ => return Err("expects only 'reason' keyword after the status code.".into()),
    };
    Ok(HttpAction::Edit(Edit::SetStatus { code, reason }))
}
