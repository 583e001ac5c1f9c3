//! `reload`: HAProxy's master CLI command, on lbtop's stats socket at admin level (lbtop
//! has no master process). The reload runs after the answer; what it did is logged
//! (docs/haproxy-semantics.md §30).

use super::{Cmd, Level};
use crate::engine::generation::Control;
use crate::engine::Shared;

pub(crate) static ROWS: &[Cmd] = &[Cmd {
    words: &["reload"],
    // Not listed: HAProxy's worker socket has no `reload`, and `help` lists only its lines.
    help: "",
    level: Level::Admin,
    run: reload,
}];

fn reload(shared: &Shared, _args: &[&str]) -> String {
    match shared.ask(Control::Reload) {
        true => "\n".into(),
        false => {
            "This lbtop cannot reload: it was not started from a configuration file.\n\n".into()
        }
    }
}
