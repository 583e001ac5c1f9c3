//! Searching the log, and one server's lines only.

use super::{App, Tone};
use crate::events::Level;
use crate::ui::log_pane;
use crate::ui::log_search::SearchEdit;
use crossterm::event::KeyEvent;

impl App {
    pub(super) fn start_log_search(&mut self) {
        self.log_search.start();
    }

    pub fn log_search(&self) -> &crate::ui::log_search::LogSearch {
        &self.log_search
    }

    /// A key while the search is typed: matches follow each key.
    pub(super) fn log_search_key(&mut self, key: &KeyEvent) {
        match self.log_search.on_key(key) {
            SearchEdit::Typing => {}
            SearchEdit::Kept => self.say_match(self.log_search.position()),
            SearchEdit::Cleared => self.say(Tone::Info, "search cleared"),
        }
    }

    pub(super) fn step_log_search(&mut self, by: isize) {
        if self.log_search.query().is_empty() {
            self.say(Tone::Info, "no search: / searches the log");
            return;
        }
        let place = self.log_search.step(by);
        self.say_match(place);
    }

    fn say_match(&mut self, (at, total): (usize, usize)) {
        match total {
            0 => {
                let text = format!("no match for {}", self.log_search.query());
                self.say(Tone::Error, text);
            }
            _ => self.say(Tone::Info, format!("match {at}/{total}")),
        }
    }

    /// `s`: each server's lines in turn (`backend/server`, in configuration order), then all.
    pub(super) fn next_log_server(&mut self) {
        let labels: Vec<String> = self
            .stats
            .snapshot()
            .map(|snap| {
                let each = |b: &crate::events::BackendSnap| -> Vec<String> {
                    let server = |s: &crate::events::ServerSnap| format!("{}/{}", b.name, s.name);
                    b.servers.iter().map(server).collect()
                };
                snap.backends.iter().flat_map(each).collect()
            })
            .unwrap_or_default();
        let at = self
            .log_search
            .server()
            .and_then(|cur| labels.iter().position(|l| l == cur));
        let next = match at {
            Some(i) => labels.get(i + 1).cloned(),
            None => labels.first().cloned(),
        };
        let text = match &next {
            Some(label) => format!("log: only {label}'s lines"),
            None => "log: every line again".to_string(),
        };
        self.log_search.set_server(next);
        self.say(Tone::Info, text);
    }

    /// Esc on the log view: the search goes first, then the server choice. Returns whether
    /// something went.
    pub(super) fn clear_log_search(&mut self) -> bool {
        if self.log_search.clear_search() {
            self.say(Tone::Info, "search cleared");
            return true;
        }
        if self.log_search.server().is_some() {
            self.log_search.set_server(None);
            self.say(Tone::Info, "log: every line again");
            return true;
        }
        false
    }

    /// A line for the log: to the logger, and to the copy the search reads.
    pub(crate) fn log_line(&mut self, level: Level, topic: &str, text: &str) {
        log_pane::emit(level, topic, text);
        if log::log_enabled!(target: topic, log_pane::log_level(level)) {
            self.log_search
                .keep(log_pane::log_level(level), topic, text);
        }
    }

    pub(super) fn toggle_down_only(&mut self) {
        self.say(Tone::Error, "the DOWN-only filter is not built yet");
    }
}
