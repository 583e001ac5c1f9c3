//! The dashboard: a ratatui screen over the engine's snapshots, events and session records.
//!
//! [`run`] owns the real terminal; [`run_with`] is the loop itself, over any ratatui backend,
//! any [`Input`] and any [`Clock`], so tests run it whole on a `TestBackend`. [`App`] holds
//! the state in pieces and is pure; [`draw`] hands each view only the pieces it shows and
//! changes nothing, so tests also render an `App` built from fixture snapshots.
//!
//! Cost: a sampler thread takes the engine's snapshot every `[ui] refresh` (so a stuck engine
//! shows as STALE instead of freezing the screen); the loop draws at most about 20 times a
//! second and only when something visible changed; session records are moved into a small
//! ring per frontend and formatted into log lines only while traffic capture is on.

// State: the app and its pieces.
mod admin;
mod app;
mod drain;
mod history;
mod lab;
mod recent;
mod servers;
mod stats;
mod trail;
// Drawing: the frame's layout, then one file per view or popup.
mod columns;
mod config_view;
mod confirm;
mod decisions;
mod detail;
mod footer;
mod header;
mod help;
mod layout;
mod log_pane;
mod log_search;
mod prompt;
mod rows;
mod screen;
mod table;
// Shared by the views.
mod fmt;
mod status;
mod strip;
mod theme;
// Input and the loop.
mod event_loop;
mod input;
mod line_edit;
mod nodes;
mod source;
mod terminal;

#[cfg(feature = "fixture")]
pub mod fixture;
#[cfg(feature = "fixture")]
pub mod script;

pub use admin::{Admin, Confirm, Pending, Plan};
pub use app::{App, StatusLine, Tone, WeightEdit};
pub use drain::{Drains, Job, Phase};
pub use event_loop::{Clock, Input, SystemClock, TerminalInput};
pub use history::{Meter, Series};
pub use lab::DemoLab;
pub use log_pane::LogPane;
pub use recent::{Recent, DECISIONS_KEPT};
pub use servers::{Row, ServerList, Sort, SortKey};
pub use stats::Stats;
pub use trail::{ServerTrail, Stamped, Trail};
// The key vocabulary lives below the configuration; the dashboard uses it under these names too.
pub use crate::keys::{label, Action, Binding, Key, KeyError, Keymap, Scope, View, BINDINGS};
pub use input::key_of;
pub use layout::{MIN_HEIGHT, MIN_WIDTH};
pub use log_pane::{inject as inject_log_line, log_level};
pub use screen::draw;
pub use source::{AttachSource, EngineSource, Sample, Source};
pub use status::PENDING;
pub use theme::Theme;

use crate::events::EventReceiver;
use event_loop::{Io, Sampled};
use log::LevelFilter;
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct UiOptions {
    /// How often to sample the engine.
    pub refresh: Duration,
    /// Show everything, change nothing.
    pub read_only: bool,
    /// The embedded web servers, by name and address, for the `s` and `x` keys.
    pub demo_servers: Vec<(String, SocketAddr)>,
    /// Whether the traffic generator runs at start-up.
    pub traffic_running: bool,
}

/// A zero refresh would spin; nobody reads faster than this anyway.
const MIN_REFRESH: Duration = Duration::from_millis(10);

/// Runs the dashboard on this thread, in this terminal, until the user quits. The terminal
/// is restored on every way out: return, error and panic. Keys and theme come from the
/// source's configuration (`[ui]`), or are the defaults.
pub fn run(source: Arc<dyn Source>, events: EventReceiver, opts: UiOptions) -> anyhow::Result<()> {
    let _hook = terminal::PanicHook::install();
    let result = terminal::enter()
        .map_err(anyhow::Error::from)
        .and_then(|backend| {
            let mut input = TerminalInput;
            run_with(backend, &mut input, &SystemClock, source, events, opts)
        });
    terminal::restore();
    result
}

/// The dashboard's loop on any backend, input and clock, until the user quits: what [`run`]
/// does once the terminal is set up. It samples the source on its own thread, sends it the
/// commands keys make, and draws into `backend`.
pub fn run_with<B: Backend>(
    backend: B,
    input: &mut impl Input,
    clock: &impl Clock,
    source: Arc<dyn Source>,
    mut events: EventReceiver,
    opts: UiOptions,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let logger = install_logger();
    let config = source.config();
    let ui = config.as_ref().map(|c| c.ui.clone()).unwrap_or_default();
    let theme = Theme::resolve(ui.theme, std::env::var_os("NO_COLOR"));
    let mut app = App::new(&opts, theme).with_keymap(ui.keys.clone());
    if let Some(config) = config {
        app = app.with_config(config);
    }
    let refresh = opts.refresh.max(MIN_REFRESH);
    let samples = start_sampler(source.clone(), refresh);
    let mut terminal = Terminal::new(backend)?;
    let mut io = Io {
        source: &*source,
        events: &mut events,
        samples,
        logger,
    };
    event_loop::event_loop(&mut terminal, input, clock, &mut io, refresh, &mut app)
}

/// tui-logger becomes the `log` logger, once per process, with traffic capture off. If
/// something else got there first (a test harness, an embedding program), the dashboard runs
/// with an empty log. Returns whether tui-logger is the logger.
fn install_logger() -> bool {
    static ONCE: Once = Once::new();
    static OURS: AtomicBool = AtomicBool::new(false);
    ONCE.call_once(|| {
        if tui_logger::init_logger(LevelFilter::Trace).is_ok() {
            OURS.store(true, Ordering::SeqCst);
        }
        tui_logger::set_default_level(LevelFilter::Info);
        for topic in log_pane::TOPICS {
            tui_logger::set_level_for_target(topic.as_str(), LevelFilter::Debug);
        }
        log_pane::set_traffic_capture(false);
    });
    OURS.load(Ordering::SeqCst)
}

/// Takes samples on its own thread, one per `refresh`, handing each over through a
/// one-slot channel; it stops when the dashboard drops the receiver.
fn start_sampler(source: Arc<dyn Source>, refresh: Duration) -> Receiver<Sampled> {
    let (tx, rx) = sync_channel::<Sampled>(1);
    let spawned = std::thread::Builder::new()
        .name("lbtop-sampler".into())
        .spawn(move || loop {
            let started = Instant::now();
            let sample = source.sample();
            if tx.send((sample, started.elapsed())).is_err() {
                return;
            }
            std::thread::sleep(refresh);
        });
    if spawned.is_err() {
        // No thread: the receiver reports Disconnected and the header says the engine is gone.
        log::error!(target: "system", "cannot start the snapshot thread");
    }
    rx
}
