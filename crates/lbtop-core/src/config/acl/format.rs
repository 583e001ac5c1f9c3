//! The part of HAProxy's log-format strings rules use: literal text and `%[sample]`
//! expressions (`use_backend %[req.hdr(host),lower]`, `redirect location https://%[hdr(host)]`).

use super::parse::{parse_sample, LoadCtx};
use super::{Env, Sample};
use crate::engine::rules::ReqView;

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    Sample(Sample),
}

/// A format string, parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Fmt {
    pub parts: Vec<Part>,
    /// As written.
    pub text: String,
}

impl Fmt {
    pub fn parse(text: &str, ctx: &LoadCtx) -> Result<Fmt, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            lit.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            if let Some(r) = rest.strip_prefix('%') {
                lit.push('%');
                rest = r;
                continue;
            }
            let Some(inner) = rest.strip_prefix('[') else {
                return Err(format!(
                    "'{text}': lbtop supports only '%[sample]' and '%%' in this format"
                ));
            };
            let close = inner
                .find(']')
                .ok_or(format!("'{text}': missing ']' after '%['"))?;
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(Part::Sample(parse_sample(&inner[..close], ctx)?));
            rest = &inner[close + 1..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Fmt {
            parts,
            text: text.to_string(),
        })
    }

    /// The string for one request; a sample without a value adds nothing.
    pub fn eval(&self, v: &ReqView, env: &Env) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.extend_from_slice(s.as_bytes()),
                Part::Sample(s) => out.extend(s.eval(v, env).unwrap_or_default()),
            }
        }
        out
    }

    /// The string for a header, path or method: as [`Fmt::eval`], but a sample's control
    /// bytes (below 0x20 but tab, and 0x7f) written `%XX`, as HAProxy 2.6 writes them
    /// (measured: a sample never puts CR or LF in a header).
    pub fn eval_escaped(&self, v: &ReqView, env: &Env) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.extend_from_slice(s.as_bytes()),
                Part::Sample(s) => {
                    for b in s.eval(v, env).unwrap_or_default() {
                        if (b < 0x20 && b != b'\t') || b == 0x7f {
                            out.extend_from_slice(format!("%{b:02X}").as_bytes());
                        } else {
                            out.push(b);
                        }
                    }
                }
            }
        }
        out
    }

    /// The first control byte (but tab) of its literal text, which HAProxy would put on the
    /// wire as it is (a `\r\n` in a value starts a new header line).
    pub fn literal_control(&self) -> Option<u8> {
        self.parts.iter().find_map(|p| match p {
            Part::Lit(s) => s.bytes().find(|&b| (b < 0x20 && b != b'\t') || b == 0x7f),
            Part::Sample(_) => None,
        })
    }

    /// Whether it is all literal text (no sample).
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Lit(s)] => Some(s),
            _ => None,
        }
    }
}
