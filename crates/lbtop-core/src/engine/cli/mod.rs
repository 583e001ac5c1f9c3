//! HAProxy's runtime API, the commands of the `stats socket` (docs/haproxy-semantics.md §27).
//! Each family of commands is a table of [`Cmd`] rows in its own file; [`TABLES`] lists them
//! all, and [`run_line`] finds the row a command names. The socket, the dashboard's `:`
//! prompt and tests all speak through [`run_line`], so they answer alike.

pub mod errors;
pub mod sess;
pub mod show;

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
}

/// One command of the runtime API.
pub(crate) struct Cmd {
    /// The words that name it, e.g. `["show", "servers", "state"]`.
    pub words: &'static [&'static str],
    /// Its line in `help`, as HAProxy 2.6 words it; empty when `help` does not list it.
    #[allow(dead_code)] // read by `help`, which the session work adds
    pub help: &'static str,
    /// The lowest level that may run it.
    pub level: Level,
    /// Runs it with the words after its name; returns the answer, each line ending in `\n`.
    pub run: fn(&Shared, &[&str]) -> String,
}

/// Every command family. A new family adds its table here.
pub(crate) static TABLES: &[&[Cmd]] = &[show::ROWS, sess::ROWS, errors::ROWS];

/// The row whose words start `words`, the longest such name first.
pub(crate) fn find(words: &[&str]) -> Option<&'static Cmd> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .filter(|c| c.words.len() <= words.len() && c.words == &words[..c.words.len()])
        .max_by_key(|c| c.words.len())
}

/// Runs one command line (one command; `;` and prompt mode belong to the session) at `level`.
pub(crate) fn run_line(shared: &Shared, level: Level, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match find(&words) {
        Some(c) if c.level <= level => (c.run)(shared, &words[c.words.len()..]),
        Some(_) => "Permission denied\n\n".to_string(),
        None => "Unknown command.\n\n".to_string(),
    }
}
