//! Reading `acl` lines, sample expressions and `if`/`unless` conditions.

use super::conv::Conv;
use super::fetch::{Fetch, Kind};
use super::pattern::{Method, Patterns};
use super::predefined::predefined;
use super::{Acl, AclExpr, Cond, Sample, Term};
use std::sync::Arc;

/// What reading needs from the configuration around it.
pub struct LoadCtx<'a> {
    /// Told each backend name an expression refers to (`nbsrv(<backend>)`), for the loader
    /// to check once every section is read.
    pub backend_of: &'a dyn Fn(&str),
    /// Told each userlist an expression refers to (`http_auth(<userlist>)`), checked likewise.
    pub userlist_of: &'a dyn Fn(&str),
    /// Read for `http-response` rules: a format may not read the request, and only these
    /// may read the response.
    pub response: bool,
    /// The environment as the file has set it (`env()` is read at load: lbtop's own
    /// environment never changes while it runs).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// The ACLs defined so far in the proxy, by name.
pub type AclLookup<'a> = &'a dyn Fn(&str) -> Option<Arc<Acl>>;

/// Largest pattern file lbtop reads (HAProxy has none; a guard against a wrong path).
const MAX_PATTERN_FILE: u64 = 64 << 20;

/// A sample expression: `fetch[(args)][,conv[(args)]]...`.
pub fn parse_sample(text: &str, ctx: &LoadCtx) -> Result<Sample, String> {
    let (fetch, convs) = split_expr(text)?;
    let (name, args) = call(fetch)?;
    let f = Fetch::parse(name, &args, ctx)?;
    let (needs, which) = match ctx.response {
        true => (f.needs_request(), "request"),
        false => (f.needs_response(), "response"),
    };
    if needs {
        return Err(format!(
            "sample fetch <{text}> may not be reliably used here because it needs 'HTTP \
             {which} headers' which is not available here."
        ));
    }
    Ok(Sample {
        fetch: f,
        convs: convs_of(&convs)?,
        text: text.to_string(),
    })
}

/// The words of an `acl <name>` line after the name (or of an anonymous `{ ... }`).
pub fn parse_acl_line(words: &[String], ctx: &LoadCtx) -> Result<AclExpr, String> {
    parse_acl_words(words, ctx)
}

pub(super) fn parse_acl_words(words: &[String], ctx: &LoadCtx) -> Result<AclExpr, String> {
    let Some(first) = words.first() else {
        return Err("missing fetch method".into());
    };
    let (fetch_text, conv_texts) = split_expr(first)?;
    let (name, args) = call(fetch_text)?;
    let (fetch, derived) = acl_fetch(name, &args, ctx)?;
    let convs = convs_of(&conv_texts)?;
    let mut icase = false;
    let mut method = None;
    let mut patterns: Vec<String> = Vec::new();
    let mut i = 1;
    while let Some(w) = words.get(i).filter(|w| w.starts_with('-')) {
        let value = words.get(i + 1);
        let need = || value.ok_or(format!("missing argument after '{w}'"));
        match w.as_str() {
            "--" => {
                i += 1;
                break;
            }
            "-i" => icase = true,
            "-n" => {}
            "-m" => {
                let m = need()?;
                method = Some(Method::from_name(m).ok_or(format!(
                    "unknown matching method '{m}' when parsing ACL expression"
                ))?);
                i += 1;
            }
            "-f" => {
                patterns.extend(pattern_file(need()?)?);
                i += 1;
            }
            "-M" | "-u" => return Err(format!("flag '{w}' is not supported by lbtop")),
            _ => break,
        }
        i += 1;
    }
    patterns.extend(words[i..].iter().cloned());
    // The last converter's output type, as HAProxy takes it (`,length` matches integers).
    let kind = convs.last().map_or(fetch.kind(), |c| c.kind());
    let method = method.or(derived).unwrap_or(match kind {
        Kind::Str => Method::Str,
        Kind::Int => Method::Int,
        Kind::Ip => Method::Ip,
        Kind::Bool => Method::Bool,
    });
    let sample = Sample {
        fetch,
        convs,
        text: first.clone(),
    };
    Ok(AclExpr {
        patterns: Patterns::compile(method, icase, &patterns)?,
        sample,
        method,
        icase,
        words: words.to_vec(),
    })
}

/// A fetch name of an ACL, which may be a derivative (`path_beg` is `path -m beg`).
fn acl_fetch(
    name: &str,
    args: &[String],
    ctx: &LoadCtx,
) -> Result<(Fetch, Option<Method>), String> {
    let err = match Fetch::parse(name, args, ctx) {
        Ok(f) => return Ok((f, None)),
        Err(e) => e,
    };
    let suffixes = ["beg", "end", "sub", "reg", "dir", "dom", "len"];
    for s in suffixes {
        if let Some(base) = name.strip_suffix(s).and_then(|b| b.strip_suffix('_')) {
            if let Ok(f) = Fetch::parse(base, args, ctx) {
                if f.kind() == Kind::Str {
                    return Ok((f, Method::from_name(s)));
                }
            }
        }
    }
    Err(err)
}

/// `if|unless <terms>` from `words[0]`.
pub fn parse_cond(words: &[String], acls: AclLookup, ctx: &LoadCtx) -> Result<Cond, String> {
    let unless = match words.first().map(String::as_str) {
        Some("if") => false,
        Some("unless") => true,
        _ => return Err("a condition starts with 'if' or 'unless'".into()),
    };
    let mut any = vec![Vec::new()];
    let mut neg = false;
    let mut i = 1;
    while i < words.len() {
        let mut w = words[i].as_str();
        while let Some(rest) = w.strip_prefix('!') {
            neg = !neg;
            w = rest;
        }
        i += 1;
        if w.is_empty() {
            continue;
        }
        if w.eq_ignore_ascii_case("or") || w == "||" {
            any.push(Vec::new());
            continue;
        }
        let acl = if w == "{" {
            let close = words[i..]
                .iter()
                .position(|w| w == "}")
                .ok_or("missing closing '}' in condition".to_string())?;
            let inner = &words[i..i + close];
            i += close + 1;
            let expr = parse_acl_words(inner, ctx)
                .map_err(|m| format!("error detected while parsing anonymous ACL : {m}"))?;
            Arc::new(Acl {
                name: "anonymous".into(),
                exprs: vec![expr],
            })
        } else {
            named(w, acls)?
        };
        if let Some(last) = any.last_mut() {
            last.push(Term { neg, acl });
        }
        neg = false;
    }
    if any.iter().any(Vec::is_empty) {
        return Err(format!(
            "'{}' needs a condition on each side of 'or'",
            words[0]
        ));
    }
    Ok(Cond {
        unless,
        any,
        words: words.to_vec(),
    })
}

fn named(name: &str, acls: AclLookup) -> Result<Arc<Acl>, String> {
    if let Some(acl) = acls(name) {
        return Ok(acl);
    }
    match predefined(name) {
        Some(found) => found,
        None => Err(format!("no such ACL : '{name}'")),
    }
}

/// A sample expression split but its fetch not read: the fetch's name and arguments, and
/// its converters (a `log-format` reads its own fetches: those known when a line is written).
pub fn split_sample(text: &str) -> Result<(&str, Vec<String>, Vec<Conv>), String> {
    let (fetch, convs) = split_expr(text)?;
    let (name, args) = call(fetch)?;
    Ok((name, args, convs_of(&convs)?))
}

/// `fetch(args),conv1,conv2(args)` split at the commas outside parentheses.
fn split_expr(text: &str) -> Result<(&str, Vec<&str>), String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(format!("unbalanced ')' in '{text}'"));
        }
    }
    if depth != 0 {
        return Err(format!("missing closing ')' in '{text}'"));
    }
    parts.push(&text[start..]);
    let first = parts.remove(0);
    if first.is_empty() {
        return Err(format!("missing fetch method in '{text}'"));
    }
    Ok((first, parts))
}

/// `name(a,b)` as the name and its arguments (quotes around one are removed).
fn call(part: &str) -> Result<(&str, Vec<String>), String> {
    let Some(open) = part.find('(') else {
        return Ok((part, Vec::new()));
    };
    let Some(inner) = part[open + 1..].strip_suffix(')') else {
        return Err(format!("missing closing ')' after arguments of '{part}'"));
    };
    let args = if inner.is_empty() {
        Vec::new()
    } else {
        inner.split(',').map(unquote).collect()
    };
    Ok((&part[..open], args))
}

fn unquote(a: &str) -> String {
    let q = |c| a.len() >= 2 && a.starts_with(c) && a.ends_with(c);
    if q('"') || q('\'') {
        a[1..a.len() - 1].to_string()
    } else {
        a.to_string()
    }
}

fn convs_of(texts: &[&str]) -> Result<Vec<Conv>, String> {
    texts
        .iter()
        .map(|t| {
            let (name, args) = call(t)?;
            Conv::parse(name, &args)
        })
        .collect()
}

/// `-f <file>`: one pattern per line; blank lines and `#` comments skipped.
fn pattern_file(path: &str) -> Result<Vec<String>, String> {
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_PATTERN_FILE);
    if too_big {
        return Err(format!("pattern file <{path}> is larger than 64 MiB"));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|_| format!("failed to open pattern file <{path}>"))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}
