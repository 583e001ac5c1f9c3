//! The selected server's detail pane, typed weights, and drain-then-maintenance.

use super::{App, Tone};

impl App {
    pub(super) fn open_detail(&mut self) {
        self.say(Tone::Error, "the detail pane is not built yet");
    }

    pub(super) fn ask_weight(&mut self) {
        self.say(Tone::Error, "typed weights are not built yet");
    }

    pub(super) fn ask_drain_then_maint(&mut self) {
        self.say(Tone::Error, "drain-then-maint is not built yet");
    }
}
