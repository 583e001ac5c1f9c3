//! The `show ...` commands that read counters and states.

use super::Cmd;

pub(crate) static ROWS: &[Cmd] = &[];
