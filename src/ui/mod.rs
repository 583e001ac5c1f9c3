//! The dashboard: a ratatui screen over the engine's snapshots, events and session records.
//!
//! [`run`] owns the terminal and the loop; [`App`] holds the state and is pure, so tests drive
//! it with fixture snapshots and render it with [`draw`] on a `TestBackend`.

mod app;
mod fmt;
mod footer;
mod header;
mod help;
mod keymap;
mod log_pane;
mod screen;
mod status;
mod theme;

pub use app::{App, StatusLine, Tone, View};
pub use keymap::{action_for, Action, Binding, Key, BINDINGS};
pub use log_pane::log_level;
pub use screen::{draw, MIN_HEIGHT, MIN_WIDTH};
pub use status::PENDING;
pub use theme::Theme;

use crate::engine::Handle;
use crate::events::{Command, Event, EventReceiver};
use crossterm::event::{self as term_event, Event as TermEvent};
use crossterm::execute;
use crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use log::LevelFilter;
use ratatui::backend::CrosstermBackend;
use ratatui::{DefaultTerminal, Terminal};
use std::io;
use std::net::SocketAddr;
use std::panic::{self, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};
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
/// every way out: return, error and panic.
pub fn run(
    handle: Handle,
    commands: UnboundedSender<Command>,
    mut events: EventReceiver,
    opts: UiOptions,
) -> anyhow::Result<()> {
    install_logger();
    let mut app = App::new(&opts, Theme::from_env());
    let refresh = opts.refresh.max(MIN_REFRESH);
    let _hook = PanicHook::install();
    let mut terminal = enter_terminal()?;
    let result = event_loop(
        &mut terminal,
        &handle,
        &commands,
        &mut events,
        refresh,
        &mut app,
    );
    ratatui::restore();
    result
}

/// tui-logger becomes the `log` logger, once per process. If something else got there first
/// (a test harness, an embedding program), the dashboard runs with an empty log pane.
fn install_logger() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tui_logger::init_logger(LevelFilter::Trace);
        tui_logger::set_default_level(LevelFilter::Info);
    });
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

fn event_loop(
    terminal: &mut DefaultTerminal,
    handle: &Handle,
    commands: &UnboundedSender<Command>,
    events: &mut EventReceiver,
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
            dirty |= tick(app, handle, events, now);
            next_tick = now + refresh;
        }
        let draw_at = last_draw.map_or(now, |t| t + FRAME);
        if dirty && now >= draw_at {
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
            dirty |= on_input(term_event::read()?, app, commands);
        }
    }
    Ok(())
}

/// One sample: the snapshot, then everything the engine said since. Returns whether to redraw.
fn tick(app: &mut App, handle: &Handle, events: &mut EventReceiver, now: Instant) -> bool {
    let changed = app.update(handle.snapshot(), now);
    let had_events = drain_events(app, events);
    let had_sessions = drain_sessions(handle, events);
    changed || had_events || had_sessions
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

/// Traffic lines go to the log pane in HAProxy's httplog/tcplog format.
fn drain_sessions(handle: &Handle, events: &mut EventReceiver) -> bool {
    let mut any = false;
    while let Ok(record) = events.sessions.try_recv() {
        if let Some(line) = crate::engine::log::format_session(handle.config(), &record) {
            log::info!(target: "traffic", "{line}");
            any = true;
        }
    }
    any
}

/// Returns whether to redraw.
fn on_input(event: TermEvent, app: &mut App, commands: &UnboundedSender<Command>) -> bool {
    match event {
        TermEvent::Key(key) => {
            if let Some(command) = app.on_key(key) {
                if commands.send(command).is_err() {
                    app.say(Tone::Error, "the engine has stopped; nothing was sent");
                }
            }
            true
        }
        TermEvent::Resize(..) => true,
        _ => false,
    }
}
