//! HAProxy's runtime answers as tables read by their header line, never by position: `show
//! stat` (CSV whose first line is `# pxname,svname,...`), `show servers state` (a version line,
//! then `# be_id be_name ...` and space-separated rows) and `show info` (`Name: value` lines).
//! Columns HAProxy adds, moves or leaves out change nothing here (docs/haproxy-semantics.md §29).

use std::collections::HashMap;

/// Rows, each cell found by its column's name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    columns: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

/// One row of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a HashMap<String, usize>,
    cells: &'a [String],
}

impl<'a> Row<'a> {
    /// The cell under `name`; `None` when the column is missing or the cell empty.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let i = *self.columns.get(name)?;
        let cell = self.cells.get(i)?.as_str();
        (!cell.is_empty()).then_some(cell)
    }

    /// The cell as a number; missing, empty or not a number is `None`.
    pub fn num(&self, name: &str) -> Option<u64> {
        self.get(name)?.trim().parse().ok()
    }

    /// The cell as a counter: what HAProxy leaves empty counts as 0.
    pub fn count(&self, name: &str) -> u64 {
        self.num(name).unwrap_or(0)
    }
}

impl Table {
    pub fn has(&self, name: &str) -> bool {
        self.columns.contains_key(name)
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|cells| Row {
            columns: &self.columns,
            cells,
        })
    }

    fn new(header: Vec<String>, rows: Vec<Vec<String>>) -> Table {
        let columns = header
            .into_iter()
            .enumerate()
            .filter(|(_, name)| !name.is_empty())
            .map(|(i, name)| (name, i))
            .collect();
        Table { columns, rows }
    }
}

/// Why an answer is not the table asked for: the node's own words when it sent some.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("no header line (`# pxname,...`) in the answer: {0}")]
    NoHeader(String),
    #[error("the header has no `{0}` column")]
    Missing(&'static str),
    #[error("bad CSV: {0}")]
    Csv(String),
}

/// The first line of an answer, shortened, to quote in an error.
fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(80).collect()
}

/// `show stat`: the header line starts with `# `; rows follow until a blank line.
pub fn parse_stat(text: &str) -> Result<Table, TableError> {
    let start = text
        .find("# ")
        .filter(|&i| i == 0 || text[..i].ends_with('\n'))
        .ok_or_else(|| TableError::NoHeader(first_line(text)))?;
    let body = &text[start + 2..];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| TableError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows.push(record.iter().map(str::to_string).collect());
    }
    let table = Table::new(header, rows);
    for needed in ["pxname", "svname"] {
        if !table.has(needed) {
            return Err(TableError::Missing(needed));
        }
    }
    Ok(table)
}

/// `show servers state`: a version line, `# be_id be_name ...`, then rows split on spaces.
pub fn parse_servers_state(text: &str) -> Result<Table, TableError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("# "))
        .ok_or_else(|| TableError::NoHeader(first_line(text)))?;
    let header = header.split_whitespace().map(str::to_string).collect();
    let rows = lines
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect();
    let table = Table::new(header, rows);
    for needed in ["be_name", "srv_name"] {
        if !table.has(needed) {
            return Err(TableError::Missing(needed));
        }
    }
    Ok(table)
}

/// `show info`: `Name: value` per line; lines without a colon are skipped.
pub fn parse_info(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_wherever_they_are() {
        let a = "# pxname,svname,status,weight,\nhoge,web11,UP,3,\n\n";
        let b = "# weight,extra,svname,pxname,status\n3,x,web11,hoge,UP\n";
        for text in [a, b] {
            let t = parse_stat(text).unwrap();
            let row = t.rows().next().unwrap();
            assert_eq!(row.get("pxname"), Some("hoge"));
            assert_eq!(row.get("svname"), Some("web11"));
            assert_eq!(row.get("status"), Some("UP"));
            assert_eq!(row.num("weight"), Some(3));
            assert_eq!(t.rows().count(), 1, "{text:?}");
        }
    }

    #[test]
    fn missing_columns_and_short_rows_read_as_empty() {
        let t = parse_stat("# pxname,svname,stot,scur\nhoge,web11\n").unwrap();
        let row = t.rows().next().unwrap();
        assert_eq!(row.get("stot"), None);
        assert_eq!(row.count("scur"), 0);
        assert_eq!(row.get("hrsp_2xx"), None);
    }

    #[test]
    fn quoted_cells_keep_their_commas() {
        let t = parse_stat("# pxname,svname,check_desc\nb,s,\"Layer7, wrong\"\n").unwrap();
        assert_eq!(
            t.rows().next().unwrap().get("check_desc"),
            Some("Layer7, wrong")
        );
    }

    #[test]
    fn an_error_answer_is_no_table() {
        let err = parse_stat("Permission denied\n\n").unwrap_err();
        assert_eq!(err, TableError::NoHeader("Permission denied".into()));
        let err = parse_stat("# foo,bar\n1,2\n").unwrap_err();
        assert_eq!(err, TableError::Missing("pxname"));
    }

    #[test]
    fn servers_state_by_header() {
        let text = "1\n# be_id be_name srv_id srv_name srv_op_state\n3 hoge 2 web11 2\n\n";
        let t = parse_servers_state(text).unwrap();
        let row = t.rows().next().unwrap();
        assert_eq!(row.get("srv_name"), Some("web11"));
        assert_eq!(row.num("srv_op_state"), Some(2));
    }

    #[test]
    fn info_lines() {
        let info = parse_info("Name: HAProxy\nVersion: 2.6.12\nUptime_sec: 7\n\n");
        assert_eq!(info["Version"], "2.6.12");
        assert_eq!(info["Uptime_sec"], "7");
    }
}
