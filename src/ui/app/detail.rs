//! The selected server's detail pane, and typed weights.

use super::{App, Tone};
use crate::engine::cli::{parse_weight, weight_is_dynamic};
use crate::events::{Command, ServerId};
use crate::ui::line_edit::{Edit, LineEdit};
use crate::ui::trail::Trail;
use crossterm::event::KeyEvent;

/// A weight being typed, for a server.
#[derive(Debug)]
pub struct WeightEdit {
    pub server: ServerId,
    pub line: LineEdit,
    /// `weight for hoge/web11 (0-256 or N% of 10): `.
    pub prompt: String,
}

impl App {
    /// Whether the detail pane covers the body.
    pub fn detail_open(&self) -> bool {
        self.detail
    }

    /// What the detail pane remembers of each server.
    pub fn trail(&self) -> &Trail {
        &self.trail
    }

    /// Stamps the detail pane's lines with this text instead of the time (fixtures).
    pub fn freeze_trail_clock(&mut self, text: &str) {
        self.trail.freeze_clock(text);
    }

    /// The weight being typed, if one is.
    pub fn weight_edit(&self) -> Option<&WeightEdit> {
        self.weight_edit.as_ref()
    }

    /// Commands to send besides the one a key returned (one per server of a backend, and
    /// the MAINT of drain-then-maint); the loop sends them after each key and each sample.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.outbox)
    }

    /// Enter: opens the selected server's detail pane, or closes it.
    pub(super) fn open_detail(&mut self) {
        if self.detail {
            self.detail = false;
            return;
        }
        if self.servers.selected().is_none() {
            self.say(Tone::Error, "the detail pane shows a server: select one");
            return;
        }
        self.detail = true;
        self.say(
            Tone::Info,
            "detail: j/k move to the next server, Esc closes",
        );
    }

    /// Esc: closes the detail pane. Returns whether it was open.
    pub(super) fn close_detail(&mut self) -> bool {
        std::mem::replace(&mut self.detail, false)
    }

    /// `w`: the line editor for the selected server's weight.
    pub(super) fn ask_weight(&mut self) {
        let Some((id, server)) = self.target() else {
            return;
        };
        let label = self.stats.server_label(id);
        let range = match self.configured_weight(id) {
            Some((initial, _)) => format!("0-256, or N% of {initial}"),
            None => "0-256, or N% of its configured weight".to_string(),
        };
        let prompt = format!("weight for {label} ({range}; now {}): ", server.weight);
        self.say(Tone::Info, "Enter sets the weight, Esc leaves it");
        self.weight_edit = Some(WeightEdit {
            server: id,
            line: LineEdit::default(),
            prompt,
        });
    }

    /// A key while the weight is typed. Returns the command when Enter sets it.
    pub(super) fn edit_weight(&mut self, key: &KeyEvent) -> Option<Command> {
        let edit = self.weight_edit.as_mut()?;
        match edit.line.on_key(key) {
            Edit::Typed | Edit::Other(_) => None,
            Edit::Cancelled => {
                self.weight_edit = None;
                self.say(Tone::Info, "weight unchanged");
                None
            }
            Edit::Done(text) => {
                let id = edit.server;
                self.weight_edit = None;
                self.set_typed_weight(id, text.trim())
            }
        }
    }

    /// Parses as HAProxy's `set server … weight` does (the runtime API's own parser), from
    /// the configured weight; attached with no configuration, the nodes parse it themselves.
    fn set_typed_weight(&mut self, id: ServerId, typed: &str) -> Option<Command> {
        let label = self.stats.server_label(id);
        let Some((initial, dynamic)) = self.configured_weight(id) else {
            let line = format!("set server {label} weight {typed}");
            return Some(self.send((
                Command::Runtime {
                    line: line.clone(),
                    admin: true,
                },
                format!("{line} …"),
            )));
        };
        match parse_weight(typed, initial, dynamic) {
            Ok(weight) => {
                let sent = self.admin.set_weight(id, &label, typed, weight);
                Some(self.send(sent))
            }
            Err(why) => {
                let text = format!("set server {label} weight {typed}: {}", why.trim_end());
                self.say(Tone::Error, text);
                None
            }
        }
    }

    /// The server's configured weight and whether its backend changes weights on the fly,
    /// from the configuration the dashboard knows (matched by name).
    fn configured_weight(&self, id: ServerId) -> Option<(u32, bool)> {
        let snap = self.stats.snapshot()?;
        let b = snap.backends.get(id.backend)?;
        let s = b.servers.get(id.server)?;
        let config = self.config()?;
        let cb = config.backends.iter().find(|x| x.name == b.name)?;
        let cs = cb.servers.iter().find(|x| x.name == s.name)?;
        Some((cs.weight, weight_is_dynamic(cb)))
    }
}
