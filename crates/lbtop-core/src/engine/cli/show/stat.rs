//! `show stat [<proxy|iid> <type> <sid>] [typed|json] [up|no-maint]`: the stats CSV the stats
//! page serves (`stats::csv`), filtered, or each of its fields typed
//! (docs/haproxy-semantics.md §27.2).

use super::typed::Field;
use super::Format;
use crate::engine::stats::csv::{self, Row, COLUMNS};
use crate::engine::stats::{html, proxies, Proxy};
use crate::engine::Shared;
use std::sync::OnceLock;

/// What the words after `show stat` ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Query {
    /// A proxy id, or -1 for every proxy.
    iid: i64,
    /// A bitmask: 1 frontends, 2 backends, 4 servers.
    types: i64,
    /// A server id, or -1 for every server.
    sid: i64,
    format: Format,
    hide: Hide,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hide {
    Nothing,
    /// `no-maint`: servers in maintenance.
    Maint,
    /// `up`: servers down or in maintenance.
    Down,
}

/// Reads the words, as HAProxy does: three words or more start with the filter; options
/// follow it, the last format named wins, unknown words are skipped.
pub(super) fn parse(shared: &Shared, words: &[&str]) -> Result<Query, String> {
    let mut q = Query {
        iid: -1,
        types: -1,
        sid: -1,
        format: Format::Csv,
        hide: Hide::Nothing,
    };
    let mut rest = words;
    if words.len() >= 3 {
        q.iid = match words[0].parse::<i64>() {
            Ok(n) => n,
            Err(_) => proxy_iid(shared, words[0]).ok_or("No such proxy.\n\n")?,
        };
        q.types = number(words[1]);
        q.sid = number(words[2]);
        rest = &words[3..];
    }
    for w in rest {
        match *w {
            "typed" => q.format = Format::Typed,
            "json" => q.format = Format::Json,
            "no-maint" => q.hide = Hide::Maint,
            "up" => q.hide = Hide::Down,
            _ => {}
        }
    }
    Ok(q)
}

/// C's `atol`: the leading number, 0 when there is none.
fn number(word: &str) -> i64 {
    let sign = usize::from(word.starts_with('-'));
    let digits = word[sign..].bytes().take_while(u8::is_ascii_digit).count();
    word[..sign + digits].parse().unwrap_or(0)
}

fn proxy_iid(shared: &Shared, name: &str) -> Option<i64> {
    let all = proxies(&shared.config);
    all.iter().find(|p| p.name == name).map(|p| p.iid as i64)
}

/// The answer, from one snapshot taken now.
pub(super) fn answer(shared: &Shared, q: &Query) -> String {
    let cfg = &shared.config;
    let snap = shared.snapshot();
    let listed: Vec<Proxy> = proxies(cfg)
        .into_iter()
        .filter(|p| q.iid == -1 || p.iid as i64 == q.iid)
        .collect();
    let mut rows = Vec::new();
    for p in &listed {
        let mut proxy_rows = csv::rows(cfg, &snap, p);
        if q.hide != Hide::Nothing {
            csv::tally(&mut proxy_rows);
        }
        rows.extend(proxy_rows.into_iter().filter(|r| q.keeps(r)));
    }
    match q.format {
        Format::Csv => {
            let mut out = csv::header();
            for r in &rows {
                out.push_str(&r.line());
            }
            out + "\n"
        }
        Format::Typed => rows.iter().map(typed).collect::<String>() + "\n",
        Format::Json => {
            let rows: Vec<String> = rows.iter().map(json).collect();
            format!("[{}]\n\n", rows.join(","))
        }
    }
}

impl Query {
    fn keeps(&self, r: &Row) -> bool {
        let kind = r.get("type");
        let bit = match kind {
            "0" => 1,
            "1" => 2,
            _ => 4,
        };
        let server = kind == "2";
        let sid_ok = !server || self.sid == -1 || r.get("sid") == self.sid.to_string();
        let status = r.get("status");
        let hidden = match self.hide {
            Hide::Nothing => false,
            Hide::Maint => server && status.starts_with("MAINT"),
            Hide::Down => html::hidden(r),
        };
        self.types & bit != 0 && sid_ok && !hidden
    }
}

/// Where a column's field goes in the typed form: its place, the `-` separator not counted.
fn position(column: usize) -> usize {
    if column > DASH {
        column - 1
    } else {
        column
    }
}

/// Where the `-` separator is in [`COLUMNS`].
const DASH: usize = 103;

/// A column's `(tags, type)` per row kind (frontend, backend, server); `None` where HAProxy
/// never fills it.
type Types = [Vec<Option<(&'static str, &'static str)>>; 3];

/// The types of every column, as HAProxy 2.6 types them: measured, in
/// `haproxy-2.6-stat-types.txt`.
fn types() -> &'static Types {
    static TYPES: OnceLock<Types> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut t: Types = std::array::from_fn(|_| vec![None; COLUMNS.len()]);
        for line in include_str!("haproxy-2.6-stat-types.txt").lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let [kind, _, name, tags_type] = parts[..] else {
                continue;
            };
            let k = match kind {
                "F" => 0,
                "B" => 1,
                _ => 2,
            };
            let col = COLUMNS.iter().position(|c| *c == name);
            if let (Some(col), Some((tags, ty))) = (col, tags_type.split_once(':')) {
                t[k][col] = Some((tags, ty));
            }
        }
        t
    })
}

/// A row's fields that carry a value (and a checked server's `last_chk`, which HAProxy
/// types even when empty), with their types.
fn fields(r: &Row) -> impl Iterator<Item = Field<'_>> {
    let kind: usize = r.get("type").parse().unwrap_or(2).min(2);
    let checked = !r.get("check_rise").is_empty();
    COLUMNS.iter().enumerate().filter_map(move |(i, name)| {
        let value = r.field(i);
        let (tags, ty) = types()[kind][i]?;
        let shown = !value.is_empty() || (*name == "last_chk" && checked);
        shown.then_some(Field {
            pos: position(i),
            name,
            tags,
            kind: ty,
            value,
        })
    })
}

/// `S.3.1.17.status.1:SGP:str:UP`: kind letter, proxy id, server id, then the field.
fn typed(r: &Row) -> String {
    let prefix = format!("{}.{}.{}.", letter(r), r.get("iid"), r.get("sid"));
    fields(r).map(|f| prefix.clone() + &f.typed()).collect()
}

fn json(r: &Row) -> String {
    let obj = match letter(r) {
        'F' => "Frontend",
        'B' => "Backend",
        _ => "Server",
    };
    let head = format!(
        "{{\"objType\":\"{obj}\",\"proxyId\":{},\"id\":{},",
        r.get("iid"),
        r.get("sid")
    );
    let objects: Vec<String> = fields(r)
        .map(|f| {
            let mut o = head.clone();
            f.json_tail(&mut o);
            o
        })
        .collect();
    format!("[{}]", objects.join(","))
}

fn letter(r: &Row) -> char {
    match r.get("type") {
        "0" => 'F',
        "1" => 'B',
        _ => 'S',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_numbers_read_as_atol() {
        assert_eq!(number("-1"), -1);
        assert_eq!(number("4"), 4);
        assert_eq!(number("6x"), 6);
        assert_eq!(number("x"), 0);
        assert_eq!(number("-"), 0);
    }

    #[test]
    fn typed_positions_skip_the_separator() {
        assert_eq!(COLUMNS[DASH], "-");
        let at = |name: &str| position(COLUMNS.iter().position(|c| *c == name).unwrap());
        assert_eq!(at("pxname"), 0);
        assert_eq!(at("agg_check_status"), 102);
        assert_eq!(at("ssl_sess"), 103);
        assert_eq!(at("h1_spliced_bytes_out"), 126);
    }

    #[test]
    fn every_measured_type_names_a_column() {
        let lines = include_str!("haproxy-2.6-stat-types.txt").lines();
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            let col = COLUMNS.iter().position(|c| *c == parts[2]).expect(line);
            assert_eq!(position(col).to_string(), parts[1], "{line}");
        }
        assert_eq!(types()[2][29], Some(("MaP", "u32")), "a server's throttle");
    }
}
