//! How `lbtop export` writes a backend's HTTP check: `option httpchk`, the request's
//! `http-check send` (or the legacy one-line form) and the `http-check expect` rules; and
//! `option tcp-check` with its `tcp-check` rules.

use super::{quote_word, IN};
use crate::config::{to_hex, HttpCheck, TcpRule};
use std::fmt::Write;

/// `option httpchk` and, unless the request is the default one, its `http-check send`.
/// `http-check send` cannot say every request lbtop accepts: `hdr` needs a non-empty value
/// and HAProxy reads at most 64 words a line. Those requests keep the legacy one-line form,
/// headers inside the version word, which HAProxy loads with a deprecation warning.
pub(super) fn httpchk_lines(c: &HttpCheck) -> String {
    let mut s = request_lines(c);
    for e in &c.expect {
        let (key, pattern) = e.what.words();
        let bang = if e.negate { "! " } else { "" };
        let _ = write!(
            s,
            "{IN}http-check expect {bang}{key} {}",
            quote_word(pattern)
        );
        if let Some(text) = &e.comment {
            let _ = write!(s, " comment {}", quote_word(text));
        }
        s.push('\n');
    }
    s
}

/// `option httpchk` and the request's own line.
fn request_lines(c: &HttpCheck) -> String {
    let request = HttpCheck {
        expect: Vec::new(),
        ..c.clone()
    };
    if request == HttpCheck::default() {
        return format!("{IN}option httpchk\n");
    }
    // `http-check send meth M uri U ver V`, then `hdr name value` per header.
    // The legacy form cannot carry a body (lbtop refuses one there), so a body keeps this one.
    let words = 8 + 3 * c.headers.len();
    let legacy = words > MAX_WORDS || c.headers.iter().any(|(_, v)| v.is_empty());
    if legacy && c.body.is_empty() {
        return legacy_httpchk_line(c);
    }
    let mut s = format!(
        "{IN}option httpchk\n{IN}http-check send meth {} uri {} ver {}",
        quote_word(&c.method),
        quote_word(&c.path),
        quote_word(&c.version)
    );
    for (name, value) in &c.headers {
        let _ = write!(s, " hdr {} {}", quote_word(name), quote_word(value));
    }
    if !c.body.is_empty() {
        let _ = write!(s, " body {}", quote_word(&c.body));
    }
    s.push('\n');
    s
}

/// HAProxy's limit of words on one configuration line.
const MAX_WORDS: usize = 64;

/// `option httpchk GET / "HTTP/1.0\r\nname: value"`.
fn legacy_httpchk_line(c: &HttpCheck) -> String {
    let mut version = c.version.clone();
    for (name, value) in &c.headers {
        let _ = write!(version, "\r\n{name}: {value}");
    }
    format!(
        "{IN}option httpchk {} {} {}\n",
        quote_word(&c.method),
        quote_word(&c.path),
        quote_word(&version)
    )
}

/// `option tcp-check` and its rules.
pub(super) fn tcp_check_lines(rules: &[TcpRule]) -> String {
    let mut out = format!("{IN}option tcp-check\n");
    for rule in rules {
        let words = match rule {
            TcpRule::Connect { port: None } => "connect".to_string(),
            TcpRule::Connect { port: Some(p) } => format!("connect port {p}"),
            TcpRule::Send(text) => format!("send {}", quote_word(text)),
            TcpRule::SendBinary(bytes) => format!("send-binary {}", to_hex(bytes)),
            TcpRule::Comment(text) => format!("comment {}", quote_word(text)),
            TcpRule::Expect(e) => format!(
                "expect {}{} {}",
                if e.inverse { "! " } else { "" },
                e.kind.as_str(),
                quote_word(&e.pattern)
            ),
        };
        let _ = writeln!(out, "{IN}tcp-check {words}");
    }
    out
}
