//! lbtop: an HAProxy-style L4/L7 load balancer you can watch.
//!
//! The balancer itself is the `lbtop-core` crate (`crates/lbtop-core`), which has no terminal
//! code; this crate adds the watcher and re-exports the core's modules under the same names:
//!
//! - [`config`]: the model and its parsers; everything is checked once, at load.
//! - [`engine`]: listeners, balancing, health checks, forwarding. No terminal code.
//! - [`events`]: the typed vocabulary that crosses between engine and watcher.
//! - [`demo`]: embedded web servers and a traffic generator, for a live lab with nothing installed.
//! - [`keys`]: the views, actions and key bindings (`[ui.keys]`), without the terminal.
//! - [`attach`]: `lbtop attach`: real HAProxy processes polled over their stats sockets.
//!
//! And its own:
//!
//! - [`app`]: wiring: the runtime, the engine, the demo lab and the watcher (dashboard or
//!   headless log lines).
//! - [`ui`]: the ratatui dashboard; it reads snapshots and sends commands.
//! - [`service`]: `Type=notify` for systemd (READY, RELOADING, STOPPING over `NOTIFY_SOCKET`).
//! - [`journal`]: headless lines framed for journald when stdout/stderr is the journal.
//! - [`out`]: printing that ends quietly when the reader closes the pipe.
//! - [`upgrade`]: `-sf`, `-st` and `-x`: taking over from running processes.

pub use lbtop_core::{attach, config, demo, dns, engine, events, keys};

pub mod app;
pub mod journal;
pub mod out;
pub mod service;
pub mod ui;
pub mod upgrade;
