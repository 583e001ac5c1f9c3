//! lbtop-core: the load balancer behind lbtop's dashboard, with no terminal code. The `lbtop`
//! crate at the repository root adds the command line and the ratatui dashboard on top, and
//! re-exports these modules under the same names (`lbtop::config`, `lbtop::engine`, ...).
//!
//! - [`config`]: the model and its parsers (TOML and HAProxy syntax); everything is checked
//!   once, at load, including `[ui.keys]`.
//! - [`auth`]: HTTP Basic credentials and the crypt(3) password hashes of `userlist`s.
//! - [`engine`]: listeners, balancing, health checks, forwarding.
//! - [`events`]: the typed vocabulary that crosses between engine and watcher: snapshots,
//!   events, commands, session records.
//! - [`demo`]: embedded web servers and a traffic generator, for a live lab with nothing installed.
//! - [`keys`]: the views, actions and key bindings a watcher answers to, as `[ui.keys]` names
//!   them; the dashboard turns terminal key presses into [`keys::Key`]s.
//! - `suggest`: the one "did you mean" rule that config and keys share (a leaf: it imports
//!   nothing of lbtop's).
//!
//! Nothing here knows about a watcher: no module refers to the dashboard.

pub mod attach;
pub mod auth;
pub mod config;
pub mod demo;
pub mod dns;
pub mod engine;
pub mod events;
pub mod keys;
pub(crate) mod suggest;
pub mod tls;
