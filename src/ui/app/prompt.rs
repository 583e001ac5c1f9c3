//! The `:` prompt: runtime API commands, as on the stats socket.

use super::{App, Tone};

impl App {
    pub(super) fn open_prompt(&mut self) {
        self.say(Tone::Error, "the command prompt is not built yet");
    }
}
