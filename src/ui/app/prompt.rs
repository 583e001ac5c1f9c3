//! The `:` prompt: runtime API commands, as on the stats socket. The line goes out as
//! [`Command::Runtime`] (at the `user` level in read-only mode); its answer comes back as
//! an event, so the dashboard never waits for it.

use super::{App, Tone};
use crate::events::Command;
use crate::keys::Action;
use crate::ui::input;
use crate::ui::prompt::{pane, Outcome, Shown};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use std::time::Instant;

/// What the status line says while an answer's pane is up.
const ANSWER_ABOVE: &str = "the answer is above (Esc closes)";

impl App {
    pub(super) fn open_prompt(&mut self) {
        self.prompt.open();
    }

    pub fn prompt(&self) -> &crate::ui::prompt::Prompt {
        &self.prompt
    }

    /// Keys for what takes typing or scrolling before the keymap: the prompt, the log
    /// search, the answer's pane. `Some` when the key was taken (with a command to send).
    pub(super) fn modal_key(&mut self, key: &KeyEvent) -> Option<Option<Command>> {
        if self.prompt.editing().is_some() {
            return Some(self.prompt_key(key));
        }
        if self.log_search.editing().is_some() {
            self.log_search_key(key);
            return Some(None);
        }
        self.prompt.pane()?;
        if self.prompt.scroll_pane(key, pane::page(self.pane_area())) {
            return Some(None);
        }
        // The pane covers the view: only Esc, `:` and quit do anything under it.
        match input::action_for(&self.keymap, self.view, key) {
            Some(Action::Close) => self.close_answer(),
            Some(Action::Command) => self.open_prompt(),
            Some(Action::Quit) => self.quit = true,
            _ if key.code == KeyCode::Esc => self.close_answer(),
            _ => {}
        }
        Some(None)
    }

    /// The answer pane closes, and the status line's pointer to it goes with it.
    fn close_answer(&mut self) {
        self.prompt.close_pane();
        if self
            .status
            .as_ref()
            .is_some_and(|s| s.text.ends_with(ANSWER_ABOVE))
        {
            self.status = None;
        }
    }

    /// Where the pane goes: between the header and the footer.
    pub(super) fn pane_area(&self) -> Rect {
        let size = self.size.unwrap_or(Rect::new(0, 0, 80, 24));
        Rect::new(0, 2, size.width, size.height.saturating_sub(4))
    }

    fn prompt_key(&mut self, key: &KeyEvent) -> Option<Command> {
        let backends: Vec<(String, Vec<String>)> = self
            .stats
            .snapshot()
            .map(|s| {
                let names = |b: &crate::events::BackendSnap| {
                    b.servers.iter().map(|s| s.name.clone()).collect()
                };
                s.backends
                    .iter()
                    .map(|b| (b.name.clone(), names(b)))
                    .collect()
            })
            .unwrap_or_default();
        let Outcome::Run(line) = self.prompt.on_key(key, &backends) else {
            return None;
        };
        self.prompt.sent(&line);
        let command = Command::Runtime {
            line: line.clone(),
            admin: !self.read_only,
        };
        Some(self.send((command, format!("{line}: waiting for the answer …"))))
    }

    /// The answer to a typed line: the status line or the pane.
    pub(super) fn on_answer(&mut self, line: &str, ok: bool, text: &str) {
        let attached = self.stats.attached();
        match self.prompt.answered(line, text, attached) {
            Shown::Status(said) => {
                let tone = match ok {
                    false => Tone::Error,
                    true if said.ends_with("→ done") => Tone::Ok,
                    true => Tone::Info,
                };
                self.say(tone, said);
            }
            Shown::Pane => {
                self.say(Tone::Info, format!("{line}: {ANSWER_ABOVE}"));
            }
        }
    }

    /// The clock moved: an answer overdue is said once. Returns whether the screen changed.
    pub(super) fn prompt_tick(&mut self, now: Instant) -> bool {
        match self.prompt.tick(now) {
            Some(text) => {
                self.say(Tone::Error, text);
                true
            }
            None => false,
        }
    }

    /// A typed line that went nowhere is not waited for.
    pub(super) fn prompt_lost(&mut self, command: &Command) {
        if let Command::Runtime { line, .. } = command {
            self.prompt.forget(line);
        }
    }
}
