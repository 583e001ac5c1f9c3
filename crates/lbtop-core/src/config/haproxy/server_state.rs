//! The server-state keywords: `server-state-file`, `server-state-base` (global),
//! `load-server-state-from-file`, `server-state-file-name` (proxies); docs/haproxy-semantics.md
//! §27.3.

use super::sections::{Ctx, Settings};
use super::table::Stmt;
use super::{Parser, Res};

/// `server-state-file <path>`; words after the path are ignored, as in HAProxy 2.6.
pub(super) fn server_state_file(p: &mut Parser, st: &Stmt) -> Res<()> {
    let Some(path) = st.args.first().filter(|a| !a.is_empty()) else {
        return Err(p.err(
            st.no,
            "'server-state-file' expect one argument: a file path.",
        ));
    };
    // HAProxy keeps the first, saying so, and goes on (measured).
    match p.global.server_state.file {
        Some(_) => p.warn(st.no, "'server-state-file' already specified. Continuing."),
        None => p.global.server_state.file = Some(path.clone()),
    }
    Ok(())
}

/// `server-state-base <dir>`: where relative state file names are.
pub(super) fn server_state_base(p: &mut Parser, st: &Stmt) -> Res<()> {
    let Some(dir) = st.args.first().filter(|a| !a.is_empty()) else {
        return Err(p.err(
            st.no,
            "'server-state-base' expects one argument: a directory path.",
        ));
    };
    match p.global.server_state.base {
        Some(_) => p.warn(st.no, "'server-state-base' already specified. Continuing."),
        None => p.global.server_state.base = Some(dir.clone()),
    }
    Ok(())
}

/// `load-server-state-from-file global|local|none` (docs/haproxy-semantics.md §27.3).
pub(super) fn load_server_state(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let word = st.arg();
    s.server_state.load = crate::config::LoadState::parse(word).ok_or_else(|| {
        p.err_in(
            st.no,
            ctx,
            format!(
                "'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '{word}'"
            ),
        )
    })?;
    Ok(())
}

/// `server-state-file-name [<name>|use-backend-name]`: no word is the backend's name too.
pub(super) fn server_state_file_name(
    _: &mut Parser,
    st: &Stmt,
    _: &Ctx,
    s: &mut Settings,
) -> Res<()> {
    s.server_state.file_name = match st.args.first().map(String::as_str) {
        None | Some("use-backend-name") => None,
        Some(name) => Some(name.to_string()),
    };
    Ok(())
}
