//! The `typed` and `json` forms HAProxy 2.6 shares between `show info` and `show stat`
//! (docs/haproxy-semantics.md §27.2): each field with its position, name, three tag letters
//! (origin, nature, scope) and its type.

use std::fmt::Write;

/// One field as the typed and JSON forms print it.
pub(super) struct Field<'a> {
    pub pos: usize,
    pub name: &'a str,
    /// Three letters: origin, nature, scope, e.g. `MGP`.
    pub tags: &'a str,
    /// `str`, `u32`, `u64` or `s32`.
    pub kind: &'a str,
    pub value: &'a str,
}

impl Field<'_> {
    /// `<pos>.<name>.1:<tags>:<type>:<value>` (the `1` is the process number).
    pub fn typed(&self) -> String {
        let Field {
            pos,
            name,
            tags,
            kind,
            value,
        } = self;
        format!("{pos}.{name}.1:{tags}:{kind}:{value}\n")
    }

    /// `"field":{...},"processNum":1,"tags":{...},"value":{...}`, to follow what a caller
    /// puts first.
    pub fn json_tail(&self, out: &mut String) {
        let _ = write!(
            out,
            "\"field\":{{\"pos\":{},\"name\":{}}},\"processNum\":1,\"tags\":{{{}}},\"value\":{{\"type\":\"{}\",\"value\":",
            self.pos,
            quote(self.name),
            tag_words(self.tags),
            self.kind
        );
        let number = self.kind != "str" && self.value.parse::<i64>().is_ok();
        if number {
            out.push_str(self.value);
        } else {
            out.push_str(&quote(self.value));
        }
        out.push_str("}}");
    }
}

/// The JSON form of the three tag letters, as HAProxy words them.
fn tag_words(tags: &str) -> String {
    let mut letters = tags.chars();
    let mut next = |words: &[(char, &'static str)]| {
        let c = letters.next().unwrap_or('?');
        words.iter().find(|(l, _)| *l == c).map_or("", |(_, w)| w)
    };
    let origin = next(&[
        ('M', "Metric"),
        ('S', "Status"),
        ('K', "Key"),
        ('C', "Config"),
        ('P', "Product"),
    ]);
    let nature = next(&[
        ('G', "Gauge"),
        ('L', "Limit"),
        ('M', "Max"),
        ('C', "Counter"),
        ('D', "Duration"),
        ('A', "Age"),
        ('a', "Avg"),
        ('R', "Rate"),
        ('N', "Name"),
        ('O', "Output"),
    ]);
    let scope = next(&[('P', "Process"), ('S', "Service")]);
    format!("\"origin\":\"{origin}\",\"nature\":\"{nature}\",\"scope\":\"{scope}\"")
}

/// A JSON string: quotes, backslashes and control bytes escaped.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_and_json_match_haproxy() {
        let f = Field {
            pos: 6,
            name: "Pid",
            tags: "SGP",
            kind: "u32",
            value: "26050",
        };
        assert_eq!(f.typed(), "6.Pid.1:SGP:u32:26050\n");
        let mut j = String::new();
        f.json_tail(&mut j);
        assert_eq!(
            j,
            "\"field\":{\"pos\":6,\"name\":\"Pid\"},\"processNum\":1,\"tags\":{\"origin\":\"Status\",\"nature\":\"Gauge\",\"scope\":\"Process\"},\"value\":{\"type\":\"u32\",\"value\":26050}}"
        );
        assert_eq!(quote("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
