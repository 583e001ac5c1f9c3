//! The dashboard: a ratatui screen over the engine's snapshots, events and session records.
//!
//! [`run`] owns the terminal and the loop. [`App`] holds the state in pieces and is pure;
//! [`draw`] hands each view only the pieces it shows and changes nothing, so tests drive an
//! `App` with fixture snapshots and render it on a `TestBackend`.
//!
//! Cost: a sampler thread takes the engine's snapshot every `[ui] refresh` (so a stuck engine
//! shows as STALE instead of freezing the screen); the loop draws at most about 20 times a
//! second and only when something visible changed; session records are moved into a small
//! ring per frontend and formatted into log lines only while traffic capture is on.

// State: the app and its pieces.
mod admin;
mod app;
mod history;
mod lab;
mod recent;
mod servers;
mod stats;
// Drawing: the frame's layout, then one file per view or popup.
mod confirm;
mod decisions;
mod footer;
mod header;
mod help;
mod layout;
mod log_pane;
mod rows;
mod screen;
mod table;
// Shared by the views.
mod fmt;
mod status;
mod theme;
// Input.
mod input;

pub mod fixture;

pub use admin::{Admin, Confirm, Pending};
pub use app::{App, StatusLine, Tone};
pub use history::{Meter, Series};
pub use lab::DemoLab;
pub use log_pane::LogPane;
pub use recent::{Recent, DECISIONS_KEPT};
pub use servers::{ServerList, Sort, SortKey};
pub use stats::Stats;
// The key vocabulary lives below the configuration; the dashboard uses it under these names too.
pub use crate::keys::{label, Action, Binding, Key, KeyError, Keymap, Scope, View, BINDINGS};
pub use input::key_of;
pub use layout::{MIN_HEIGHT, MIN_WIDTH};
pub use log_pane::{inject as inject_log_line, log_level};
pub use screen::draw;
pub use status::PENDING;
pub use theme::Theme;

use crate::engine::Handle;
use crate::events::{Command, Event, EventReceiver, SessionTap, Snapshot};
use crossterm::event::{self as term_event, Event as TermEvent};
use crossterm::execute;
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use log::LevelFilter;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{DefaultTerminal, Terminal};
use std::io;
use std::net::SocketAddr;
use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

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

/// However fast keys and events arrive, redraw at most this often (about 20 fps).
const FRAME: Duration = Duration::from_millis(50);

/// A zero refresh would spin; nobody reads faster than this anyway.
const MIN_REFRESH: Duration = Duration::from_millis(10);

/// Runs the dashboard on this thread until the user quits. The terminal is restored on
/// every way out: return, error and panic. Keys and theme come from the engine's `[ui]`.
pub fn run(
    handle: Handle,
    commands: UnboundedSender<Command>,
    mut events: EventReceiver,
    opts: UiOptions,
) -> anyhow::Result<()> {
    let logger = install_logger();
    let config = handle.config().clone();
    let theme = Theme::resolve(config.ui.theme, std::env::var_os("NO_COLOR"));
    let mut app = App::new(&opts, theme)
        .with_config(config.clone())
        .with_keymap(config.ui.keys.clone());
    let refresh = opts.refresh.max(MIN_REFRESH);
    let samples = start_sampler(handle.clone(), refresh);
    let _hook = PanicHook::install();
    let mut terminal = enter_terminal()?;
    let mut io = Io {
        handle: &handle,
        commands: &commands,
        events: &mut events,
        samples,
        logger,
    };
    let result = event_loop(&mut terminal, &mut io, refresh, &mut app);
    ratatui::restore();
    result
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

/// A snapshot and how long the engine took to produce it.
type Sample = (Snapshot, Duration);

/// Takes snapshots on its own thread, one per `refresh`, handing each over through a
/// one-slot channel; it stops when the dashboard drops the receiver.
fn start_sampler(handle: Handle, refresh: Duration) -> Receiver<Sample> {
    let (tx, rx) = sync_channel::<Sample>(1);
    let spawned = std::thread::Builder::new()
        .name("lbtop-sampler".into())
        .spawn(move || loop {
            let started = Instant::now();
            let snap = handle.snapshot();
            if tx.send((snap, started.elapsed())).is_err() {
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

/// Raw mode and the alternate screen; undone again if any step fails.
fn enter_terminal() -> io::Result<DefaultTerminal> {
    enable_raw_mode()?;
    let terminal = execute!(io::stdout(), EnterAlternateScreen)
        .and_then(|_| Terminal::new(CrosstermBackend::new(io::stdout())));
    if terminal.is_err() {
        ratatui::restore();
    }
    terminal
}

/// Set by the panic hook: a panic anywhere (an engine thread too) has already restored the
/// terminal, so the loop must stop drawing into it.
static PANICKED: AtomicBool = AtomicBool::new(false);

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While alive, panics restore the terminal before the previous hook prints, so the message
/// lands on a sane screen. Dropping it puts the previous hook back alone.
struct PanicHook {
    previous: Arc<Hook>,
}

impl PanicHook {
    fn install() -> PanicHook {
        let previous: Arc<Hook> = Arc::new(panic::take_hook());
        let chained = previous.clone();
        panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            ratatui::restore();
            chained(info);
        }));
        PanicHook { previous }
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        // The hook cannot be swapped while unwinding; ours stays, and the process is ending.
        if std::thread::panicking() {
            return;
        }
        let _ = panic::take_hook();
        let previous = self.previous.clone();
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Everything the loop reads from and writes to, besides the terminal.
struct Io<'a> {
    handle: &'a Handle,
    commands: &'a UnboundedSender<Command>,
    events: &'a mut EventReceiver,
    samples: Receiver<Sample>,
    /// Whether tui-logger is the logger (so its capture levels are the truth).
    logger: bool,
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    io: &mut Io,
    refresh: Duration,
    app: &mut App,
) -> anyhow::Result<()> {
    let mut next_tick = Instant::now();
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    while !app.should_quit() {
        if PANICKED.load(Ordering::SeqCst) {
            anyhow::bail!("a thread panicked (see the message above); the dashboard stopped");
        }
        let now = Instant::now();
        if now >= next_tick {
            dirty |= tick(app, io, now);
            next_tick = now + refresh;
        }
        let draw_at = last_draw.map_or(now, |t| t + FRAME);
        if dirty && now >= draw_at {
            // Lines logged this tick are in tui-logger's hot buffer until moved.
            tui_logger::move_events();
            // The size is known before drawing: PgUp/PgDn move by what this frame shows.
            let size = terminal.size()?;
            app.resize(Rect::new(0, 0, size.width, size.height));
            terminal.draw(|frame| draw(frame, app))?;
            last_draw = Some(now);
            dirty = false;
        }
        let wake = if dirty {
            next_tick.min(draw_at)
        } else {
            next_tick
        };
        if term_event::poll(wake.saturating_duration_since(Instant::now()))? {
            dirty |= on_input(term_event::read()?, app, io.commands);
        }
    }
    Ok(())
}

/// One sample: the newest snapshot, then everything the engine said since. Returns whether
/// to redraw.
fn tick(app: &mut App, io: &mut Io, now: Instant) -> bool {
    let mut changed = false;
    let mut latest = None;
    loop {
        match io.samples.try_recv() {
            Ok(sample) => latest = Some(sample),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                changed |= app.engine_stopped();
                break;
            }
        }
    }
    if let Some((snap, took)) = latest {
        changed |= app.note_snapshot_cost(took);
        changed |= app.update(snap, now);
    }
    changed |= app.tick(now);
    if io.logger {
        changed |= app.sync_traffic_capture(log_pane::traffic_captured());
    }
    changed |= drain_events(app, io.events);
    changed |= drain_sessions(app, io.handle, io.events);
    changed
}

fn drain_events(app: &mut App, events: &mut EventReceiver) -> bool {
    let mut any = false;
    while let Ok(event) = events.events.try_recv() {
        if let Event::Log(line) = &event {
            log_pane::emit(line.level, line.topic.as_str(), &line.text);
        }
        app.on_event(&event);
        any = true;
    }
    any
}

/// Session records per second and worker thread the dashboard asks for when not capturing.
const SAMPLED_SESSIONS_PER_SECOND: u32 = 50;

/// Every finished session goes to the L4/L7 view's ring; it becomes an httplog/tcplog line
/// only while traffic capture is on (checked once per batch, never per record).
fn drain_sessions(app: &mut App, handle: &Handle, events: &mut EventReceiver) -> bool {
    let capture = app.log().capturing();
    // The L4/L7 view needs only a sample; every record is asked for only while the user
    // captures traffic lines, so watching costs the data path next to nothing.
    events.set_session_tap(if capture {
        SessionTap::All
    } else {
        SessionTap::PerSecond(SAMPLED_SESSIONS_PER_SECOND)
    });
    let config = handle.config();
    let mut any = false;
    while let Ok(record) = events.sessions.try_recv() {
        if capture {
            if let Some(line) = crate::engine::log::format_session(config, &record) {
                log::info!(target: "traffic", "{line}");
                any = true;
            }
        }
        any |= app.on_session(record);
    }
    any
}

/// Returns whether to redraw.
fn on_input(event: TermEvent, app: &mut App, commands: &UnboundedSender<Command>) -> bool {
    match event {
        TermEvent::Key(key) => {
            if let Some(command) = app.on_key(key) {
                if let Err(e) = commands.send(command) {
                    app.command_lost(&e.0);
                }
            }
            true
        }
        TermEvent::Resize(width, height) => {
            app.resize(Rect::new(0, 0, width, height));
            true
        }
        _ => false,
    }
}
