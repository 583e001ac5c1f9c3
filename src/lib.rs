//! lbtop: an HAProxy-style L4/L7 load balancer you can watch.
//!
//! - [`config`]: the model and its parsers; everything is checked once, at load.
//! - [`engine`]: listeners, balancing, health checks, forwarding. No terminal code.
//! - [`events`]: the typed vocabulary that crosses between engine and watcher.
//! - [`demo`]: embedded web servers and a traffic generator, for a live lab with nothing installed.
//! - [`keys`]: the views, actions and key bindings (`[ui.keys]`), without the terminal.
//! - [`ui`]: the ratatui dashboard; it reads snapshots and sends commands.

pub mod app;
pub mod config;
pub mod demo;
pub mod engine;
pub mod events;
pub mod keys;
pub mod ui;
