//! The `:` prompt: one runtime API line typed as on the stats socket, Tab completion of
//! command words and of backend and server names, a history of the session's lines (↑/↓),
//! the line waiting for its answer, and the answer's pane when it is more than one line.
//! The line goes to the engine (or to the attached nodes) as it is typed: only the stats
//! socket's own parser reads it. Pure state; [`pane`] draws it.
//!
//! The history is kept for the session only: a typed line can carry what should not land
//! in a file (a map value, a certificate payload), and lbtop writes no file of its own.

pub mod complete;
pub mod pane;

use super::line_edit::{Edit, LineEdit};
use crossterm::event::{KeyCode, KeyEvent};
use std::time::{Duration, Instant};

/// How long an answer may take before the status line says none came.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines of history kept.
const HISTORY: usize = 200;

/// What a key did at the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still typing.
    Typing,
    /// Enter on a line: run it.
    Run(String),
    /// Esc, or Enter on an empty line.
    Closed,
}

/// How an answer shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// One line, for the status line.
    Status(String),
    /// Several: the pane opened with them.
    Pane,
}

#[derive(Debug, Default)]
pub struct Prompt {
    edit: Option<LineEdit>,
    history: Vec<String>,
    /// Where ↑/↓ is in the history; `None`: on the line being typed, kept in `draft`.
    browsing: Option<usize>,
    draft: String,
    /// What the last Tab found when it found several, for the line above the prompt.
    choices: Vec<String>,
    waiting: Option<Waiting>,
    pane: Option<Pane>,
}

/// A line sent, waiting for its answer; `since` is set at the first tick after sending
/// (keys carry no time).
#[derive(Debug)]
struct Waiting {
    line: String,
    since: Option<Instant>,
}

/// A long answer, as text, scrolled both ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pane {
    pub line: String,
    pub lines: Vec<String>,
    pub top: usize,
    pub left: usize,
}

impl Prompt {
    pub fn open(&mut self) {
        self.edit = Some(LineEdit::default());
        self.browsing = None;
        self.draft.clear();
        self.choices.clear();
    }

    pub fn editing(&self) -> Option<&LineEdit> {
        self.edit.as_ref()
    }

    pub fn choices(&self) -> &[String] {
        &self.choices
    }

    pub fn pane(&self) -> Option<&Pane> {
        self.pane.as_ref()
    }

    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// A key while the prompt is open; `backends` (names and their servers) for Tab.
    pub fn on_key(&mut self, key: &KeyEvent, backends: &[(String, Vec<String>)]) -> Outcome {
        let Some(edit) = self.edit.as_mut() else {
            return Outcome::Closed;
        };
        match edit.on_key(key) {
            Edit::Typed => {
                self.browsing = None;
                self.choices.clear();
            }
            Edit::Done(text) => return self.done(text.trim()),
            Edit::Cancelled => {
                self.edit = None;
                return Outcome::Closed;
            }
            Edit::Other(k) => match k.code {
                KeyCode::Up => self.recall(-1),
                KeyCode::Down => self.recall(1),
                KeyCode::Tab => {
                    let (line, choices) = complete::complete(edit.text(), backends);
                    edit.set(&line);
                    self.choices = choices;
                }
                _ => {}
            },
        }
        Outcome::Typing
    }

    fn done(&mut self, line: &str) -> Outcome {
        self.edit = None;
        self.choices.clear();
        if line.is_empty() {
            return Outcome::Closed;
        }
        if self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_string());
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
        Outcome::Run(line.to_string())
    }

    /// ↑ (`-1`) or ↓ (`1`) through the history; below the newest is the line being typed.
    fn recall(&mut self, by: isize) {
        let Some(edit) = self.edit.as_mut() else {
            return;
        };
        let n = self.history.len();
        let at = match (self.browsing, by < 0) {
            (None, true) if n > 0 => {
                self.draft = edit.text().to_string();
                Some(n - 1)
            }
            (None, _) => return,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => None,
        };
        self.browsing = at;
        let text = at.map_or(self.draft.as_str(), |i| self.history[i].as_str());
        edit.set(text);
        self.choices.clear();
    }

    /// `line` went out; its answer is awaited.
    pub fn sent(&mut self, line: &str) {
        self.waiting = Some(Waiting {
            line: line.to_string(),
            since: None,
        });
    }

    pub fn waiting(&self) -> Option<&str> {
        self.waiting.as_ref().map(|w| w.line.as_str())
    }

    /// The clock moved: the message to show when the answer is overdue (said once).
    pub fn tick(&mut self, now: Instant) -> Option<String> {
        let waiting = self.waiting.as_mut()?;
        let since = *waiting.since.get_or_insert(now);
        if now.duration_since(since) < ANSWER_TIMEOUT {
            return None;
        }
        let line = self.waiting.take()?.line;
        Some(format!(
            "{line}: no answer within {} s",
            ANSWER_TIMEOUT.as_secs()
        ))
    }

    /// Nothing will answer `line` (the command went nowhere).
    pub fn forget(&mut self, line: &str) {
        if self.waiting() == Some(line) {
            self.waiting = None;
        }
    }

    /// The answer to `line`: HAProxy's bytes from the engine, or `line → node: …` with each
    /// long answer under it when attached. A single line goes to the status line (an empty
    /// answer, HAProxy's "done", as `done`); more open the pane.
    pub fn answered(&mut self, line: &str, text: &str, attached: bool) -> Shown {
        self.forget(line);
        let lines: Vec<String> = text.trim_end().lines().map(printable).collect();
        match (lines.as_slice(), attached) {
            ([], _) => Shown::Status(format!("{line} → done")),
            ([one], true) => Shown::Status(one.clone()),
            ([one], false) => Shown::Status(format!("{line} → {}", one.trim())),
            _ => {
                self.pane = Some(Pane {
                    line: line.to_string(),
                    lines,
                    top: 0,
                    left: 0,
                });
                Shown::Pane
            }
        }
    }

    /// Scrolls the pane; `page` is how many lines it shows. Returns whether the key was one
    /// of its keys.
    pub fn scroll_pane(&mut self, key: &KeyEvent, page: usize) -> bool {
        let Some(p) = self.pane.as_mut() else {
            return false;
        };
        let page = page.max(1) as isize;
        let (down, right): (isize, isize) = match key.code {
            KeyCode::Up | KeyCode::Char('k') => (-1, 0),
            KeyCode::Down | KeyCode::Char('j') => (1, 0),
            KeyCode::PageUp => (-page, 0),
            KeyCode::PageDown => (page, 0),
            KeyCode::Home | KeyCode::Char('g') => (isize::MIN / 2, isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => (isize::MAX / 2, 0),
            KeyCode::Left | KeyCode::Char('h') => (0, -8),
            KeyCode::Right | KeyCode::Char('l') => (0, 8),
            _ => return false,
        };
        let last = p.lines.len().saturating_sub(page as usize) as isize;
        p.top = (p.top as isize).saturating_add(down).clamp(0, last) as usize;
        let widest = p.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        p.left = (p.left as isize)
            .saturating_add(right)
            .clamp(0, widest as isize) as usize;
        true
    }

    /// Esc on the pane.
    pub fn close_pane(&mut self) {
        self.pane = None;
    }
}

/// An answer's line as it may be drawn: a node's bytes are not trusted to be text, and a
/// control character (an escape sequence) must not reach the terminal.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests;
