//! The engine's events as the dashboard takes them: confirmations, failures, and a reload's
//! or a soft stop's progress on the status line.

use super::super::admin;
use super::{App, Tone};
use crate::config::Config;
use crate::events::{Command, Event, Level, Lifecycle};
use std::sync::Arc;

impl App {
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Log(line) => self.trail.on_log(line),
            // Said at the next sample, in the words the row will show then.
            Event::ServerChanged { server, .. } => self.admin.engine_moved(*server),
            // The demo lab's keys: the demo logged it too.
            Event::Done { text, .. } => self.say(Tone::Ok, text.clone()),
            Event::Answered {
                command: Command::Runtime { line, .. },
                ok,
                text,
            } => self.on_answer(line, *ok, text),
            Event::Answered { command, ok, text } => {
                self.undo(command);
                let (level, tone) = match ok {
                    true => (Level::Notice, Tone::Ok),
                    false => (Level::Warning, Tone::Error),
                };
                self.log_line(level, "admin", text);
                self.say(tone, text.clone());
            }
            Event::Lifecycle(step) => self.on_lifecycle(step),
            Event::CommandFailed { command, reason } => {
                self.undo(command);
                let what = admin::describe(&self.stats, command);
                let text = format!("{what} failed: {reason}");
                self.log_line(Level::Warning, "admin", &text);
                self.say(Tone::Error, text);
            }
        }
    }

    /// A reload's or a soft stop's progress, on the status line; the end of a soft stop
    /// ends the dashboard.
    pub(super) fn on_lifecycle(&mut self, step: &Lifecycle) {
        match admin::lifecycle_status(step) {
            Some((tone, text)) => self.say(tone, text),
            None => self.quit = true,
        }
    }

    /// The configuration after a reload, for the explanations that read it.
    pub fn set_config(&mut self, config: Arc<Config>) {
        self.config = Some(config);
    }

    /// `y` (or anything else) to the reload question.
    pub(super) fn answer_reload(&mut self, yes: bool) -> Option<Command> {
        let (text, sent) = admin::answer_reload(yes);
        self.say(Tone::Info, text);
        sent
    }

    /// The engine's channel closed: say so instead of sending into the void.
    pub fn command_lost(&mut self, command: &Command) {
        self.undo(command);
        self.stats.engine_stopped();
        self.say(Tone::Error, "the engine has stopped; nothing was sent");
    }

    /// Forgets what a refused command would have changed.
    pub(super) fn undo(&mut self, command: &Command) {
        self.admin.undo(command);
        self.lab.undo(command);
        self.prompt_lost(command);
    }
}
