//! Searching the log (`/`, then `n`/`N`) and one server's lines only (`s`). tui-logger's
//! widget can neither search nor highlight, and its buffer is private, so lbtop keeps its
//! own bounded copy of the lines it hands the logger (the same words, level and topic) and,
//! while a search or a server is chosen, draws the log view from that copy: matches
//! highlighted, the current one centred. Without either, the log view is tui-logger's.

use super::line_edit::{Edit, LineEdit};
use super::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use std::collections::VecDeque;

/// Lines kept: as many as tui-logger keeps.
pub const KEPT: usize = 10_000;

/// tui-logger indents a wrapped line's continuation by this much.
const INDENT: usize = 9;

#[derive(Debug, Clone)]
pub struct LogLine {
    seq: u64,
    at: jiff::Zoned,
    level: log::Level,
    topic: String,
    text: String,
}

/// What a key did to the search being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchEdit {
    Typing,
    /// Enter on some text: the search stays.
    Kept,
    /// Esc, or Enter on nothing.
    Cleared,
}

#[derive(Debug, Default)]
pub struct LogSearch {
    lines: VecDeque<LogLine>,
    next_seq: u64,
    edit: Option<LineEdit>,
    query: String,
    /// The current match, by line number, so new lines do not move it.
    current: Option<u64>,
    /// `backend/server` whose lines alone are shown.
    server: Option<String>,
}

impl LogSearch {
    /// A line as the logger got it.
    pub fn keep(&mut self, level: log::Level, topic: &str, text: &str) {
        self.lines.push_back(LogLine {
            seq: self.next_seq,
            at: jiff::Zoned::now(),
            level,
            topic: topic.to_string(),
            text: text.to_string(),
        });
        self.next_seq += 1;
        if self.lines.len() > KEPT {
            self.lines.pop_front();
        }
    }

    /// Whether the log view is drawn from here.
    pub fn active(&self) -> bool {
        self.edit.is_some() || !self.query.is_empty() || self.server.is_some()
    }

    pub fn editing(&self) -> Option<&LineEdit> {
        self.edit.as_ref()
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn server(&self) -> Option<&str> {
        self.server.as_deref()
    }

    /// `/`: type a search, starting from the one in force.
    pub fn start(&mut self) {
        self.edit = Some(LineEdit::new(&self.query));
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> SearchEdit {
        let Some(edit) = self.edit.as_mut() else {
            return SearchEdit::Cleared;
        };
        match edit.on_key(key) {
            Edit::Typed => {
                self.query = edit.text().to_string();
                self.current = self.matches().last().copied();
                SearchEdit::Typing
            }
            Edit::Done(text) if !text.is_empty() => {
                self.edit = None;
                SearchEdit::Kept
            }
            Edit::Done(_) | Edit::Cancelled => {
                self.edit = None;
                self.clear_search();
                SearchEdit::Cleared
            }
            Edit::Other(_) => SearchEdit::Typing,
        }
    }

    /// Esc: the search goes. Returns whether there was one.
    pub fn clear_search(&mut self) -> bool {
        let had = !self.query.is_empty();
        self.query.clear();
        self.current = None;
        had
    }

    pub fn set_server(&mut self, server: Option<String>) {
        self.server = server;
        self.current = self.matches().last().copied();
    }

    fn shown(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().filter(|l| {
            self.server
                .as_deref()
                .is_none_or(|s| names_server(&l.text, s))
        })
    }

    /// The shown lines the search matches, oldest first, by line number.
    fn matches(&self) -> Vec<u64> {
        if self.query.is_empty() {
            return Vec::new();
        }
        let query = Query::new(&self.query);
        self.shown()
            .filter(|l| !query.find(&l.text).is_empty())
            .map(|l| l.seq)
            .collect()
    }

    /// The current match's place and the number of matches: `(3, 17)`.
    pub fn position(&self) -> (usize, usize) {
        let all = self.matches();
        let at = self.current.and_then(|c| all.iter().position(|&s| s == c));
        (at.map_or(0, |i| i + 1), all.len())
    }

    /// `n` (1, newer) or `N` (-1, older), round the ends; `(place, total)` after.
    pub fn step(&mut self, by: isize) -> (usize, usize) {
        let all = self.matches();
        if all.is_empty() {
            self.current = None;
            return (0, 0);
        }
        let n = all.len() as isize;
        let at = self.current.and_then(|c| all.iter().position(|&s| s == c));
        let next = match at {
            Some(i) => (i as isize + by).rem_euclid(n),
            None => n - 1,
        };
        self.current = Some(all[next as usize]);
        (next as usize + 1, all.len())
    }
}

/// Whether `text` names `backend/server`, or the server alone (a demo server's lines), as
/// whole words.
pub fn names_server(text: &str, label: &str) -> bool {
    let server = label.rsplit_once('/').map_or(label, |(_, s)| s);
    whole_word(text, label, |_| true) || whole_word(text, server, |before| before != Some('/'))
}

fn whole_word(text: &str, word: &str, before_ok: impl Fn(Option<char>) -> bool) -> bool {
    let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !part(before) && !part(after) && before_ok(before)
    })
}

/// A search: case-insensitive unless it has a capital letter (as `less -i` and vim's
/// smartcase).
struct Query {
    text: String,
    fold: bool,
}

impl Query {
    fn new(text: &str) -> Query {
        let fold = !text.chars().any(char::is_uppercase);
        let text = if fold {
            text.to_lowercase()
        } else {
            text.to_string()
        };
        Query { text, fold }
    }

    /// Where it matches in `hay`, as char ranges.
    fn find(&self, hay: &str) -> Vec<(usize, usize)> {
        if self.text.is_empty() {
            return Vec::new();
        }
        let hay: Vec<char> = match self.fold {
            true => hay.chars().flat_map(char::to_lowercase).collect(),
            false => hay.chars().collect(),
        };
        let needle: Vec<char> = self.text.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i + needle.len() <= hay.len() {
            if hay[i..i + needle.len()] == needle[..] {
                out.push((i, i + needle.len()));
                i += needle.len();
            } else {
                i += 1;
            }
        }
        out
    }
}

/// What the searched log view draws from.
pub struct SearchView<'a> {
    pub theme: Theme,
    pub search: &'a LogSearch,
    /// tui-logger's timestamp format (or a frozen text).
    pub clock: &'a str,
}

pub fn render(frame: &mut Frame, area: Rect, v: &SearchView) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(v.theme.border())
        .title(title(v));
    let inner = block.inner(area);
    let rows = window(v, inner);
    frame.render_widget(Paragraph::new(rows).block(block), area);
}

fn title(v: &SearchView) -> Line<'static> {
    let t = v.theme;
    let mut spans = vec![Span::styled(" log ", t.title())];
    if let Some(server) = v.search.server() {
        spans.push(Span::styled(format!(" only {server} "), t.badge()));
        spans.push(Span::styled(" (s: next server) ", t.dim()));
    }
    let query = v.search.query();
    if !query.is_empty() {
        let (at, total) = v.search.position();
        let found = match total {
            0 => format!("no match for {query}"),
            _ => format!("match {at}/{total}"),
        };
        spans.push(Span::styled(format!(" /{query} · {found} "), t.stale()));
        spans.push(Span::styled(" n/N: next/previous · Esc clears ", t.dim()));
    }
    Line::from(spans)
}

/// The rows on screen: the current match's line centred, or the newest lines at the bottom.
fn window(v: &SearchView, inner: Rect) -> Vec<Line<'static>> {
    let height = inner.height as usize;
    let shown: Vec<&LogLine> = v.search.shown().collect();
    let anchor = v
        .search
        .current
        .and_then(|c| shown.iter().position(|l| l.seq == c))
        .unwrap_or(shown.len().saturating_sub(1));
    let from = anchor.saturating_sub(height);
    let to = (anchor + 1 + height).min(shown.len());
    let query = Query::new(v.search.query());
    let mut rows = Vec::new();
    let mut anchor_row = 0;
    for (i, line) in shown.iter().enumerate().take(to).skip(from) {
        if i == anchor {
            anchor_row = rows.len();
        }
        let current = v.search.current == Some(line.seq);
        rows.extend(line_rows(v, line, &query, current, inner.width as usize));
    }
    let start = anchor_row.saturating_sub(height / 2);
    let end = (start + height).min(rows.len());
    let start = end.saturating_sub(height);
    rows.drain(start..end).collect()
}

/// One log line as tui-logger prints it (`time L topic text`), wrapped at `width` with its
/// continuation indented, the matches highlighted.
fn line_rows(
    v: &SearchView,
    line: &LogLine,
    query: &Query,
    current: bool,
    width: usize,
) -> Vec<Line<'static>> {
    let t = v.theme;
    let base = match line.level {
        log::Level::Error => t.error(),
        log::Level::Warn => t.warn(),
        log::Level::Info => Style::new(),
        _ => t.dim(),
    };
    let hit = if current { t.stale() } else { t.badge() };
    let time = jiff::fmt::strtime::format(v.clock, &line.at).unwrap_or_default();
    let level = &line.level.as_str()[..1];
    let prefix = format!("{time} {level} {} ", line.topic);
    let ranges = query.find(&line.text);
    let styled: Vec<(char, Style)> = prefix
        .chars()
        .map(|c| (c, base))
        .chain(line.text.chars().enumerate().map(|(i, c)| {
            let on = ranges.iter().any(|&(a, b)| (a..b).contains(&i));
            (c, if on { hit } else { base })
        }))
        .collect();
    wrap(&styled, width.max(INDENT + 1))
}

fn wrap(styled: &[(char, Style)], width: usize) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    let mut rest = styled;
    let mut room = width;
    while !rest.is_empty() || rows.is_empty() {
        let (now, later) = rest.split_at(room.min(rest.len()));
        let mut spans = Vec::new();
        if !rows.is_empty() {
            spans.push(Span::raw(" ".repeat(INDENT)));
        }
        for chunk in now.chunk_by(|a, b| a.1 == b.1) {
            let text: String = chunk.iter().map(|(c, _)| c).collect();
            spans.push(Span::styled(text, chunk[0].1));
        }
        rows.push(Line::from(spans));
        rest = later;
        room = width - INDENT;
    }
    rows
}

/// The `/` being typed, over the status line.
pub fn render_edit(frame: &mut Frame, bottom: Rect, theme: Theme, search: &LogSearch) {
    let Some(edit) = search.editing() else {
        return;
    };
    let line = Rect {
        y: bottom.y + bottom.height.saturating_sub(1),
        height: 1.min(bottom.height),
        ..bottom
    };
    frame.render_widget(ratatui::widgets::Clear, line);
    edit.render(frame, line, "/", theme.key());
}

#[cfg(test)]
mod tests;
