//! The wording of errors: where a problem is (the line of a byte offset, the nearest
//! table header, the key a value belongs to), how a toml/serde error becomes
//! `file:line: message` naming the key and its table, and the "did you mean" hints.

use super::raw::{
    RawBackend, RawConfig, RawDefaults, RawDemo, RawDemoServer, RawForwardFor, RawFrontend,
    RawGlobal, RawHttpChk, RawLog, RawOptions, RawServer, RawStatsSocket, RawTimeouts, RawTraffic,
    RawUi,
};
use super::resolve::Resolver;
use crate::config::ConfigError;
use crate::suggest::closest;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn line(&self, pos: usize) -> usize {
        let end = pos.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.path.to_path_buf(),
            line: self.line(span.start),
            message: message.into(),
        }
    }

    pub(super) fn at<T>(&self, v: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        self.err(v.span(), message)
    }

    // -- serde errors -------------------------------------------------------------------

    pub(super) fn toml_error(&self, e: &::toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim();
        let ticked = backticked(msg);
        let message = if msg.starts_with("unknown field") && !ticked.is_empty() {
            let key = ticked[0];
            let expected = &ticked[1..];
            format!(
                "unknown key '{key}' in {}{}",
                self.table_name(span.start, expected),
                did_you_mean(key, expected)
            )
        } else if msg.starts_with("missing field") && !ticked.is_empty() {
            format!(
                "missing required key '{}' in {}",
                ticked[0],
                self.header_before(span.start).unwrap_or("the top level")
            )
        } else if msg == "duplicate key" {
            let key = self.text.get(span.clone()).unwrap_or("").trim();
            format!("duplicate key '{key}'")
        } else if msg.starts_with("invalid type: map, expected a sequence") {
            let header = self.text.get(span.clone()).unwrap_or("");
            let name = header.trim().trim_start_matches('[').trim_end_matches(']');
            format!("'{name}' is a list: write each one as [[{name}]]")
        } else {
            let msg = msg
                .replace("expected i64", "expected an integer")
                .replace("expected a sequence", "expected an array")
                .replace('\n', "; ");
            let msg = tidy_struct_names(&msg);
            match key_before(self.text, span.start) {
                Some(key) => format!("'{key}': {msg}"),
                None => msg,
            }
        };
        self.err(span, message)
    }

    /// The nearest `[table]` / `[[table]]` header at or above `pos`.
    fn header_before(&self, pos: usize) -> Option<&str> {
        let end = pos.min(self.text.len());
        let upto_line_end = self.text[..]
            .get(end..)
            .and_then(|rest| rest.find('\n'))
            .map_or(self.text.len(), |i| end + i);
        self.text
            .get(..upto_line_end)?
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('[') && !l.starts_with("[\"") && l.contains(']'))
            .map(|l| &l[..=l.rfind(']').unwrap_or(0)])
    }

    /// Names the table an unknown key was found in, from the keys it would have accepted.
    fn table_name(&self, pos: usize, expected: &[&str]) -> String {
        let header = self.header_before(pos).unwrap_or("the top level");
        match table_kind(expected) {
            Some(kind @ ("option" | "timeout" | "httpchk" | "log")) => {
                if header.trim_end_matches(']').ends_with(&format!(".{kind}")) {
                    header.to_string()
                } else {
                    format!("'{kind}' of {header}")
                }
            }
            Some("forwardfor") => format!("'forwardfor' of {header}"),
            Some(kind) => kind.to_string(),
            None => header.to_string(),
        }
    }
}

/// Which raw table accepts exactly these keys (found by asking serde for each struct's fields).
pub(super) fn table_kind(expected: &[&str]) -> Option<&'static str> {
    let kinds: [(&'static str, &'static [&'static str]); 16] = [
        ("the top level", fields_of::<RawConfig>()),
        ("[global]", fields_of::<RawGlobal>()),
        ("[defaults]", fields_of::<RawDefaults>()),
        ("option", fields_of::<RawOptions>()),
        ("forwardfor", fields_of::<RawForwardFor>()),
        ("timeout", fields_of::<RawTimeouts>()),
        ("[[frontend]]", fields_of::<RawFrontend>()),
        ("[[backend]]", fields_of::<RawBackend>()),
        ("httpchk", fields_of::<RawHttpChk>()),
        ("[[backend.server]]", fields_of::<RawServer>()),
        ("[demo]", fields_of::<RawDemo>()),
        ("[[demo.server]]", fields_of::<RawDemoServer>()),
        ("[demo.traffic]", fields_of::<RawTraffic>()),
        ("[ui]", fields_of::<RawUi>()),
        ("log", fields_of::<RawLog>()),
        ("[global.stats-socket]", fields_of::<RawStatsSocket>()),
    ];
    let mut want: Vec<&str> = expected.to_vec();
    want.sort_unstable();
    kinds.into_iter().find_map(|(kind, fields)| {
        let mut have: Vec<&str> = fields.to_vec();
        have.sort_unstable();
        (have == want).then_some(kind)
    })
}

/// The field names a derived `Deserialize` struct accepts.
pub(super) fn fields_of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    use std::cell::Cell;

    #[derive(Debug)]
    struct Stop;
    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    struct Probe<'a>(&'a Cell<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.set(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    let cell = Cell::new(&[][..]);
    let _ = T::deserialize(Probe(&cell));
    cell.get()
}

/// The words between backticks in a serde message: the key, then the expected keys.
pub(super) fn backticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// `expected struct RawFrontend` → `expected a table`.
fn tidy_struct_names(msg: &str) -> String {
    match msg.find("expected struct Raw") {
        Some(i) => format!("{}expected a table", &msg[..i]),
        None => msg.to_string(),
    }
}

/// The key whose value starts at `pos` (`weight = "x"` → `weight`), if it is simply `key =`.
fn key_before(text: &str, pos: usize) -> Option<String> {
    let bytes = text.as_bytes().get(..pos)?;
    let mut end = bytes.len();
    while end > 0 && (bytes[end - 1] == b' ' || bytes[end - 1] == b'\t') {
        end -= 1;
    }
    if end == 0 || bytes[end - 1] != b'=' {
        return None;
    }
    end -= 1;
    while end > 0 && (bytes[end - 1] == b' ' || bytes[end - 1] == b'\t') {
        end -= 1;
    }
    let quote = *bytes.get(end.checked_sub(1)?)?;
    let key = if quote == b'"' || quote == b'\'' {
        let open = bytes[..end - 1]
            .iter()
            .rposition(|&b| b == quote || b == b'\n')?;
        (bytes[open] == quote).then(|| &bytes[open + 1..end - 1])?
    } else {
        let start = bytes[..end]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
            .map_or(0, |i| i + 1);
        &bytes[start..end]
    };
    (!key.is_empty()).then(|| String::from_utf8_lossy(key).into_owned())
}

/// `, did you mean 'inter'?` when one candidate is close, else nothing.
pub(super) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!(", did you mean '{c}'?"),
        None => String::new(),
    }
}
