//! Words: one configuration line split exactly as HAProxy 2.6 does (`parse_line()` in
//! `src/tools.c`).
//!
//! Blanks separate words; `"..."` and `'...'` quote (also in the middle of a word); outside
//! single quotes a backslash escapes ` `, `\`, `#`, `"`, `'` and makes `\t`, `\n`, `\r` and
//! `\xHH` the bytes they name (`\$` only inside double quotes; any other backslash stays as it
//! is); `#` outside quotes starts a comment; a CR ends the line; `"$NAME"`, `"${NAME}"`,
//! `"${NAME-default}"` and `"${NAME[*]}"` expand environment variables inside double quotes
//! (plus `.LINE` and `.FILE`); at most 64 words a line. Addresses are expanded once more,
//! quotes or not, after the split ([`super::env`]).

/// HAProxy's `MAX_LINE_ARGS`.
const MAX_WORDS: usize = 64;

/// Splits one line into words as HAProxy does (see the module documentation). `env` answers
/// `$NAME` inside double quotes; an unknown name is empty, except internal `.NAME`s, which are
/// an error.
pub(in crate::config) fn tokenize_line(
    line: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    let b = line.as_bytes();
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let (mut squote, mut dquote) = (false, false);
    let mut quote_at = 0;
    let mut i = 0;
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    while i < b.len() {
        let c = b[i];
        match c {
            b'\0' => return Err(format!("NUL byte at column {}", i + 1)),
            b'\r' | b'\n' => break,
            b'#' if !squote && !dquote => break,
            b'"' if !squote => {
                dquote = !dquote;
                quote_at = i;
                i += 1;
            }
            b'\'' if !dquote => {
                squote = !squote;
                quote_at = i;
                i += 1;
            }
            b'\\' if !squote => {
                let (byte, used) = match b.get(i + 1) {
                    Some(&n @ (b' ' | b'\\' | b'#' | b'\'' | b'"')) => (n, 2),
                    Some(b'$') if dquote => (b'$', 2),
                    Some(b't') => (b'\t', 2),
                    Some(b'n') => (b'\n', 2),
                    Some(b'r') => (b'\r', 2),
                    Some(b'x') => {
                        let hex = b.get(i + 2..i + 4).and_then(|h| {
                            std::str::from_utf8(h)
                                .ok()
                                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                                .and_then(|h| u8::from_str_radix(h, 16).ok())
                        });
                        match hex {
                            Some(v) => (v, 4),
                            None => {
                                return Err(format!(
                                    "invalid or incomplete '\\x' escape at column {} \
                                     (two hex digits expected, e.g. \\x41)",
                                    i + 1
                                ))
                            }
                        }
                    }
                    // Not an escape: the backslash stays, the next byte is read normally.
                    _ => (b'\\', 1),
                };
                cur.push(byte);
                i += used;
            }
            b'$' if dquote => {
                i = expand_var(b, i, env, &mut words, &mut cur)?;
            }
            _ if is_blank(c) && !squote && !dquote => {
                words.push(std::mem::take(&mut cur));
                while i < b.len() && is_blank(b[i]) {
                    i += 1;
                }
            }
            _ => {
                cur.push(c);
                i += 1;
            }
        }
    }
    if squote || dquote {
        return Err(format!(
            "unmatched {} quote at column {}",
            if dquote { "double" } else { "single" },
            quote_at + 1
        ));
    }
    // As in HAProxy, an empty last word (trailing blanks, or a trailing `""`) does not count.
    if !cur.is_empty() {
        words.push(cur);
    }
    if words.len() > MAX_WORDS {
        return Err(format!(
            "too many words on one line ({}, HAProxy's limit is {MAX_WORDS}); \
             quote the ones that belong together",
            words.len()
        ));
    }
    words
        .into_iter()
        .enumerate()
        .map(|(n, w)| {
            String::from_utf8(w).map_err(|_| {
                format!(
                    "word {} is not valid UTF-8 once its '\\x' escapes are applied",
                    n + 1
                )
            })
        })
        .collect()
}

/// HAProxy's `isspace()` minus the line ends, which end the line before this is asked.
fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | 0x0b | 0x0c)
}

/// `$NAME`, `${NAME}`, `${NAME-default}` or `${NAME[*]}` starting at `b[at] == '$'` inside
/// double quotes; returns where reading resumes.
fn expand_var(
    b: &[u8],
    at: usize,
    env: &dyn Fn(&str) -> Option<String>,
    words: &mut Vec<Vec<u8>>,
    cur: &mut Vec<u8>,
) -> Result<usize, String> {
    let mut i = at + 1;
    let brace = b.get(i) == Some(&b'{');
    if brace {
        i += 1;
    }
    let start = i;
    match b.get(i) {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'.' => {}
        _ => {
            return Err(format!(
                "'$' at column {} does not start a variable name (write \\$ for a dollar sign)",
                at + 1
            ))
        }
    }
    if b[i] == b'.' {
        i += 1;
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    let name = std::str::from_utf8(&b[start..i]).unwrap_or_default();
    let mut value = env(name);
    if value.is_none() && name.starts_with('.') {
        return Err(format!(
            "unknown internal variable '{name}' (lbtop knows .LINE and .FILE)"
        ));
    }
    let mut split = false;
    if brace {
        if b.get(i) == Some(&b'[') {
            if b.get(i + 1..i + 3) != Some(b"*]") {
                return Err(format!(
                    "'${{{name}[' at column {} must be '${{{name}[*]}}'",
                    at + 1
                ));
            }
            split = true;
            i += 3;
        }
        if b.get(i) == Some(&b'-') {
            let end = b[i..].iter().position(|&c| c == b'}').map(|p| i + p);
            let Some(end) = end else {
                return Err(format!("unmatched '{{' at column {}", at + 2));
            };
            if value.is_none() {
                value = Some(String::from_utf8_lossy(&b[i + 1..end]).into_owned());
            }
            i = end;
        }
        if b.get(i) != Some(&b'}') {
            return Err(format!("unmatched '{{' at column {}", at + 2));
        }
        i += 1;
    }
    let value = value.unwrap_or_default();
    if split {
        let mut pieces = value
            .split(|c: char| c.is_ascii() && is_blank(c as u8))
            .peekable();
        while let Some(piece) = pieces.next() {
            cur.extend_from_slice(piece.as_bytes());
            if pieces.peek().is_some() && !piece.is_empty() {
                words.push(std::mem::take(cur));
            }
        }
    } else {
        cur.extend_from_slice(value.as_bytes());
    }
    Ok(i)
}
