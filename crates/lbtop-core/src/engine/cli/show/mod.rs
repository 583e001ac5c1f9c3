//! The `show ...` commands that read counters and states (docs/haproxy-semantics.md §27.2).

mod info;
mod stat;
mod typed;

use super::{Cmd, Level};
use crate::engine::Shared;

/// How an answer is written: HAProxy's plain form, `typed` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Typed,
    Json,
}

pub(crate) static ROWS: &[Cmd] = &[
    Cmd {
        words: &["show", "info"],
        help:
            "show info [desc|json|typed|float]*      : report information about the running process",
        level: Level::User,
        run: show_info,
    },
    Cmd {
        words: &["show", "stat"],
        help: "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server",
        level: Level::User,
        run: show_stat,
    },
];

/// `show info`: the last of `typed`/`json` named wins; `desc` and `float` change nothing
/// lbtop prints.
fn show_info(shared: &Shared, words: &[&str]) -> String {
    let mut format = Format::Csv;
    for w in words {
        match *w {
            "typed" => format = Format::Typed,
            "json" => format = Format::Json,
            _ => {}
        }
    }
    info::answer(shared, format)
}

fn show_stat(shared: &Shared, words: &[&str]) -> String {
    match stat::parse(shared, words) {
        Ok(q) => stat::answer(shared, &q),
        Err(e) => e,
    }
}
