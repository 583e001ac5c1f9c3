//! Searching the log, and one server's lines only.

use super::{App, Tone};

impl App {
    pub(super) fn start_log_search(&mut self) {
        self.say(Tone::Error, "log search is not built yet");
    }

    pub(super) fn step_log_search(&mut self, _by: isize) {
        self.say(Tone::Error, "log search is not built yet");
    }

    pub(super) fn next_log_server(&mut self) {
        self.say(Tone::Error, "the log's server filter is not built yet");
    }
}
