//! HAProxy's runtime API, the commands of the `stats socket` (docs/haproxy-semantics.md §27).
//! Each family of commands is a table of [`Cmd`] rows in its own file; [`TABLES`] lists them
//! all, and [`run_line`] finds the row a command names. The socket ([`listen`], [`session`]),
//! the dashboard's `:` prompt and tests all speak through [`run_line`], so they answer alike.

pub mod errors;
pub mod listen;
mod maxconn;
mod reload;
pub(crate) mod server;
pub mod sess;
pub(crate) mod session;
pub mod show;
pub mod state;
mod usage;

pub use server::{dynamic as weight_is_dynamic, parse_weight};

use super::Shared;

/// Who may run a command: HAProxy's `level` of the socket, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User,
    Operator,
    Admin,
}

impl Level {
    /// The word of `stats socket ... level <word>`.
    pub fn parse(word: &str) -> Option<Level> {
        match word {
            "user" => Some(Level::User),
            "operator" => Some(Level::Operator),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    /// The word `show cli level` answers.
    pub fn word(self) -> &'static str {
        match self {
            Level::User => "user",
            Level::Operator => "operator",
            Level::Admin => "admin",
        }
    }
}

/// One command of the runtime API.
pub(crate) struct Cmd {
    /// The words that name it, e.g. `["show", "servers", "state"]`.
    pub words: &'static [&'static str],
    /// Its line in `help`, as HAProxy 2.6 words it; empty when `help` does not list it.
    pub help: &'static str,
    /// The lowest level that may run it.
    pub level: Level,
    /// Runs it with the words after its name; returns the exact bytes HAProxy answers on a
    /// non-interactive socket, most often ending in a blank line (`"No such server.\n\n"`,
    /// `"\n"` for an empty success).
    pub run: fn(&Shared, &[&str]) -> String,
}

/// Every command family. A new family adds its table here.
pub(crate) static TABLES: &[&[Cmd]] = &[
    show::ROWS,
    server::ROWS,
    session::ROWS,
    state::ROWS,
    sess::ROWS,
    errors::ROWS,
    maxconn::ROWS,
    reload::ROWS,
];

/// The row whose words start `words`, the longest such name first.
pub(crate) fn find(words: &[&str]) -> Option<&'static Cmd> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .filter(|c| c.words.len() <= words.len() && c.words == &words[..c.words.len()])
        .max_by_key(|c| c.words.len())
}

/// Every command's name with its `help` line (empty when `help` does not list it): the
/// dashboard's `:` prompt completes command words from them.
pub fn commands() -> impl Iterator<Item = (&'static [&'static str], &'static str)> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .map(|c| (c.words, c.help))
}

/// HAProxy's answer to a command a session may not run.
pub(crate) const DENIED: &str = "Permission denied\n\n";

/// Runs one command line (one command; `;` and prompt mode belong to the session) at `level`.
/// The session's own commands (`prompt`, `quit`, `set timeout cli`, ...) answer as HAProxy
/// would on a session that ends right after them.
pub(crate) fn run_line(shared: &Shared, level: Level, line: &str) -> String {
    let words = session::split_words(line);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    run_words(shared, level, &words)
}

/// Runs one command already split into words.
pub(crate) fn run_words(shared: &Shared, level: Level, words: &[&str]) -> String {
    if words.first() == Some(&"help") {
        return usage::help(&words[1..]);
    }
    match find(words) {
        Some(c) if c.level <= level => (c.run)(shared, &words[c.words.len()..]),
        Some(_) => DENIED.to_string(),
        None => usage::unknown(words),
    }
}
