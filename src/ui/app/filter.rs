//! `!`: only the servers that are not plainly UP (the list itself is the server list's).

use super::{App, Tone};

impl App {
    pub(super) fn toggle_down_only(&mut self) {
        let view = self.list_view();
        let on = self.servers.toggle_down_only();
        self.servers.fix_selection(view, &self.stats);
        if on {
            let hidden = self.servers.hidden(view, &self.stats);
            self.say(
                Tone::Info,
                format!("only servers not UP: {hidden} UP hidden (! shows all)"),
            );
        } else {
            self.say(Tone::Info, "all servers shown");
        }
    }
}
