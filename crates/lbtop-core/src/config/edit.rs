//! The rewriting actions of `http-request` and `http-response` rules, read at load
//! (docs/haproxy-semantics.md §21.4). Their values are log-format strings ([`Fmt`]); their
//! regexes are compiled once.

use super::acl::Fmt;
use regex::bytes::Regex;

/// One rewrite. Header names are kept lower-cased, as they go on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Removes every `name` line, then adds one at the end.
    SetHeader {
        name: String,
        value: Fmt,
    },
    /// Adds a `name` line at the end.
    AddHeader {
        name: String,
        value: Fmt,
    },
    /// Removes the lines whose name matches.
    DelHeader {
        name: String,
        how: NameMatch,
    },
    /// Replaces the whole value of each `name` line the regex finds a match in.
    ReplaceHeader {
        name: String,
        re: Rx,
        with: Fmt,
    },
    /// As `ReplaceHeader`, for each comma-separated value of the `name` lines.
    ReplaceValue {
        name: String,
        re: Rx,
        with: Fmt,
    },
    SetPath(Fmt),
    /// Replaces the whole path when the regex finds a match in it.
    ReplacePath {
        re: Rx,
        with: Fmt,
    },
    SetQuery(Fmt),
    SetUri(Fmt),
    SetMethod(Fmt),
    /// `http-response set-status <code> [reason <text>]`.
    SetStatus {
        code: u16,
        reason: Option<String>,
    },
}

impl Edit {
    /// The log-format string the edit evaluates, if it has one.
    pub fn format(&self) -> Option<&Fmt> {
        match self {
            Edit::SetHeader { value, .. } | Edit::AddHeader { value, .. } => Some(value),
            Edit::ReplaceHeader { with, .. }
            | Edit::ReplaceValue { with, .. }
            | Edit::ReplacePath { with, .. } => Some(with),
            Edit::SetPath(f) | Edit::SetQuery(f) | Edit::SetUri(f) | Edit::SetMethod(f) => Some(f),
            Edit::DelHeader { .. } | Edit::SetStatus { .. } => None,
        }
    }
}

/// How `del-header -m` compares names (without case).
#[derive(Debug, Clone, PartialEq)]
pub enum NameMatch {
    Str,
    Beg,
    End,
    Sub,
    Reg(Rx),
}

impl NameMatch {
    /// Whether the lower-cased header `name` matches `pattern` (lower-cased at load).
    pub fn matches(&self, pattern: &str, name: &str) -> bool {
        match self {
            NameMatch::Str => name == pattern,
            NameMatch::Beg => name.starts_with(pattern),
            NameMatch::End => name.ends_with(pattern),
            NameMatch::Sub => name.contains(pattern),
            NameMatch::Reg(re) => re.0.is_match(name.as_bytes()),
        }
    }
}

/// A compiled regex, compared by its text.
#[derive(Debug, Clone)]
pub struct Rx(pub Regex);

impl PartialEq for Rx {
    fn eq(&self, o: &Rx) -> bool {
        self.0.as_str() == o.0.as_str()
    }
}

/// Expands a replacement (`\1`..`\9` are the regex's groups, `\0` the whole match) for the
/// first match of `re` in `subject`; `None` when it does not match.
pub fn expand(re: &Rx, subject: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let caps = re.0.captures(subject)?;
    let mut out = Vec::with_capacity(with.len());
    let mut i = 0;
    while i < with.len() {
        match (with[i], with.get(i + 1)) {
            (b'\\', Some(d @ b'0'..=b'9')) => {
                let group = caps.get(usize::from(d - b'0'));
                out.extend_from_slice(group.map_or(&b""[..], |m| m.as_bytes()));
                i += 2;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_take_the_whole_subject() {
        let re = Rx(Regex::new("^/api(/.*)").unwrap());
        assert_eq!(expand(&re, b"/api/x", br"\1").unwrap(), b"/x");
        let re = Rx(Regex::new("old").unwrap());
        assert_eq!(expand(&re, b"v-old-x", b"new").unwrap(), b"new");
        assert_eq!(expand(&re, b"v", b"new"), None);
        let re = Rx(Regex::new("b").unwrap());
        assert_eq!(expand(&re, b"ab", br"Q\0").unwrap(), b"Qb");
    }
}
