//! A request's `Connection` header as HAProxy reads and rewrites it (docs/haproxy-semantics.md
//! §7): its words are split at commas outside quoted strings, and the `close` and
//! `keep-alive` words, which are this hop's to decide, are taken out. What comes before the
//! first word taken out stays byte for byte; each word kept after it is appended behind a
//! bare comma. A value with nothing taken out passes as it came (`a ,b`, `Upgrade,
//! HTTP2-Settings`), and one left empty is not forwarded at all.

use std::borrow::Cow;

/// One word of the value (leading and trailing blanks off), and where its stretch ends (at
/// the next comma).
struct Word<'v> {
    word: &'v [u8],
    end: usize,
}

/// The words of a `Connection` value, empty ones included (`a,,b` has three).
fn words(value: &[u8]) -> impl Iterator<Item = Word<'_>> {
    let mut at = 0;
    let mut first = true;
    std::iter::from_fn(move || {
        if !first {
            // Past the comma that ended the last stretch.
            at += 1;
        }
        first = false;
        while at < value.len() && matches!(value[at], b' ' | b'\t') {
            at += 1;
        }
        if at >= value.len() {
            return None;
        }
        let from = at;
        at = stretch_end(value, at);
        let word = value[from..at].trim_ascii_end();
        Some(Word { word, end: at })
    })
}

/// The next comma that is not inside a quoted string (or the end).
fn stretch_end(value: &[u8], mut at: usize) -> usize {
    let (mut quoted, mut escaped) = (false, false);
    while at < value.len() {
        let b = value[at];
        if escaped {
            escaped = false;
        } else if quoted {
            match b {
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
        } else if b == b'"' {
            quoted = true;
        } else if b == b',' {
            break;
        }
        at += 1;
    }
    at
}

/// The non-empty words of a `Connection` value.
pub fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    words(value).map(|w| w.word).filter(|w| !w.is_empty())
}

/// The length of [`cleaned`], without building it for the usual one-word values.
pub fn cleaned_len(value: &[u8]) -> usize {
    match single_word(value) {
        Some(single) if is_hop(single) => 0,
        Some(_) => value.len(),
        None => cleaned(value).len(),
    }
}

/// The value's one word, when it has no comma or quote (nearly every value: `keep-alive`,
/// `close`, `Upgrade`).
fn single_word(value: &[u8]) -> Option<&[u8]> {
    (!value.iter().any(|&b| b == b',' || b == b'"')).then(|| value.trim_ascii())
}

fn is_hop(word: &[u8]) -> bool {
    word.eq_ignore_ascii_case(b"close") || word.eq_ignore_ascii_case(b"keep-alive")
}

/// The value HAProxy forwards: without `close` and `keep-alive` (empty: drop the header).
pub fn cleaned(value: &[u8]) -> Cow<'_, [u8]> {
    if let Some(single) = single_word(value) {
        return Cow::Borrowed(if is_hop(single) { b"" } else { value });
    }
    if !tokens(value).any(is_hop) {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    // Whether every stretch so far was kept, so that `out` is still the value's own bytes.
    let mut untouched = true;
    for w in words(value) {
        if is_hop(w.word) {
            untouched = false;
        } else if untouched {
            // Up to this word's comma, blanks and empty words included, as it came.
            let have = out.len();
            out.extend_from_slice(&value[have..w.end]);
        } else {
            if !out.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(w.word);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Measured on HAProxy 2.6.12 (request in, request the server got).
    #[test]
    fn values_are_cleaned_as_haproxy_cleans_them() {
        let cases: &[(&str, &str)] = &[
            ("a ,b", "a ,b"),
            ("a,,b", "a,,b"),
            (",a", ",a"),
            ("Upgrade, HTTP2-Settings", "Upgrade, HTTP2-Settings"),
            ("a,  b", "a,  b"),
            ("a , close , b", "a ,b"),
            ("a,  b,keep-alive", "a,  b"),
            ("a,  close,  b", "a,b"),
            ("close, a, b", "a,b"),
            ("a,Close", "a"),
            ("keep-alive, close", ""),
            ("a,b, close", "a,b"),
            ("a   ,   keep-alive", "a   "),
        ];
        for (value, want) in cases {
            let got = cleaned(value.as_bytes());
            assert_eq!(String::from_utf8_lossy(&got), *want, "{value:?}");
            assert_eq!(cleaned_len(value.as_bytes()), want.len(), "{value:?}");
        }
        for (value, want) in [("keep-alive", ""), (" Close ", ""), ("Upgrade", "Upgrade")] {
            assert_eq!(&*cleaned(value.as_bytes()), want.as_bytes(), "{value:?}");
        }
    }

    #[test]
    fn a_quoted_comma_does_not_split_a_word() {
        let t: Vec<&[u8]> = tokens(br#"x="a,b", close"#).collect();
        assert_eq!(t, vec![&br#"x="a,b""#[..], b"close"]);
    }
}
