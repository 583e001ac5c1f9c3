//! The loop: sample the engine on a clock, drain its events and session records, draw when
//! something visible changed (at most about 20 times a second), and wait for input until the
//! next thing is due. Generic over where frames go (any ratatui backend), where input comes
//! from ([`Input`]) and what time it is ([`Clock`]), so a test runs the whole loop in-process
//! on a `TestBackend` with scripted keys and a clock that moves only when told.

use super::app::App;
use super::log_pane;
use super::screen::draw;
use super::source::{Sample, Source};
use super::terminal;
use crate::events::{Event, EventReceiver, Level, Lifecycle, SessionTap};
use crossterm::event::{self as term_event, Event as TermEvent};
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::io;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Where keys, mouse events, resizes and the like come from.
pub trait Input {
    /// The next terminal event, waiting at most `timeout`; `None` if none came in time.
    fn next(&mut self, timeout: Duration) -> io::Result<Option<TermEvent>>;

    /// The frame just drawn: what the user now sees. The terminal needs no telling.
    fn shown(&mut self, _screen: &Buffer) {}
}

/// The real terminal's input, through crossterm.
#[derive(Debug, Default, Clone, Copy)]
pub struct TerminalInput;

impl Input for TerminalInput {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<TermEvent>> {
        if !stdin_is_tty() {
            return match term_event::poll(timeout)? {
                true => term_event::read().map(Some),
                false => Ok(None),
            };
        }
        // crossterm retries an empty read forever, so a terminal that went away (a closed
        // window, a killed tmux session) would spin inside its wait: lbtop waits on the
        // terminal itself, in short slices (so a resize is still seen soon), and asks
        // crossterm only when the terminal is still there.
        let deadline = Instant::now() + timeout;
        loop {
            if hung_up(0) {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the terminal went away",
                ));
            }
            if term_event::poll(Duration::ZERO)? {
                return term_event::read().map(Some);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            hung_up(left.min(SLICE).as_millis() as i32);
        }
    }
}

/// How long lbtop waits on the terminal before asking crossterm again.
const SLICE: Duration = Duration::from_millis(50);

fn stdin_is_tty() -> bool {
    // SAFETY: isatty on a descriptor number.
    unsafe { libc::isatty(0) == 1 }
}

/// Waits up to `wait_ms` for input on stdin; whether the terminal has hung up (its other
/// side closed).
fn hung_up(wait_ms: i32) -> bool {
    let mut fd = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let ready = unsafe { libc::poll(&mut fd, 1, wait_ms) };
    ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR) != 0
}

/// What time it is, for sampling, staleness and frame pacing.
pub trait Clock {
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// However fast keys and events arrive, redraw at most this often (about 20 fps).
const FRAME: Duration = Duration::from_millis(50);

/// A sample and how long the source took to produce it.
pub(super) type Sampled = (Sample, Duration);

/// Everything the loop reads from and writes to, besides the terminal, the input and the clock.
pub(super) struct Io<'a> {
    pub source: &'a dyn Source,
    pub events: &'a mut EventReceiver,
    pub samples: Receiver<Sampled>,
    /// Whether tui-logger is the logger (so its capture levels are the truth).
    pub logger: bool,
}

pub(super) fn event_loop<B>(
    terminal: &mut Terminal<B>,
    input: &mut impl Input,
    clock: &impl Clock,
    io: &mut Io,
    refresh: Duration,
    app: &mut App,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let mut next_tick = clock.now();
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    while !app.should_quit() {
        if terminal::panicked() {
            anyhow::bail!("a thread panicked (see the message above); the dashboard stopped");
        }
        let now = clock.now();
        if now >= next_tick {
            dirty |= tick(app, io, now);
            send_queued(app, io.source);
            next_tick = now + refresh;
        }
        let draw_at = last_draw.map_or(now, |t| t + FRAME);
        if dirty && now >= draw_at {
            // Lines logged this tick are in tui-logger's hot buffer until moved.
            tui_logger::move_events();
            // The size is known before drawing: PgUp/PgDn move by what this frame shows.
            let size = terminal.size()?;
            app.resize(Rect::new(0, 0, size.width, size.height));
            let frame = terminal.draw(|frame| draw(frame, app))?;
            input.shown(frame.buffer);
            last_draw = Some(now);
            dirty = false;
        }
        let wake = if dirty {
            next_tick.min(draw_at)
        } else {
            next_tick
        };
        if let Some(event) = input.next(wake.saturating_duration_since(clock.now()))? {
            dirty |= on_input(event, app, io.source);
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
    if let Some((sample, took)) = latest {
        changed |= app.note_snapshot_cost(took);
        changed |= app.update_sample(sample, now);
    }
    changed |= app.tick(now);
    if io.logger {
        changed |= app.sync_traffic_capture(log_pane::traffic_captured());
    }
    changed |= drain_events(app, io.events, io.source);
    changed |= drain_sessions(app, io.source, io.events);
    changed
}

fn drain_events(app: &mut App, events: &mut EventReceiver, source: &dyn Source) -> bool {
    let mut any = false;
    while let Ok(event) = events.events.try_recv() {
        if let Event::Log(line) = &event {
            app.log_line(line.level, line.topic.as_str(), &line.text);
        }
        // A reload swapped the configuration: the explanations read the new one.
        if matches!(
            &event,
            Event::Lifecycle(Lifecycle::Reloaded { ok: true, .. })
        ) {
            if let Some(config) = source.config() {
                app.set_config(config);
            }
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
fn drain_sessions(app: &mut App, source: &dyn Source, events: &mut EventReceiver) -> bool {
    let capture = app.log().capturing();
    // The L4/L7 view needs only a sample; every record is asked for only while the user
    // captures traffic lines, so watching costs the data path next to nothing.
    events.set_session_tap(if capture {
        SessionTap::All
    } else {
        SessionTap::PerSecond(SAMPLED_SESSIONS_PER_SECOND)
    });
    let mut any = false;
    while let Ok(record) = events.sessions.try_recv() {
        if capture {
            if let Some(line) = source.session_line(&record) {
                app.log_line(Level::Info, "traffic", &line);
                any = true;
            }
        }
        any |= app.on_session(record);
    }
    any
}

/// The commands the app queued (a backend's servers, drain-then-maint's MAINT).
fn send_queued(app: &mut App, source: &dyn Source) {
    for command in app.take_commands() {
        if let Err(command) = source.command(command, app.node()) {
            app.command_lost(&command);
        }
    }
}

/// Returns whether to redraw.
fn on_input(event: TermEvent, app: &mut App, source: &dyn Source) -> bool {
    match event {
        TermEvent::Key(key) => {
            if let Some(command) = app.on_key(key) {
                if let Err(command) = source.command(command, app.node()) {
                    app.command_lost(&command);
                }
            }
            send_queued(app, source);
            true
        }
        TermEvent::Mouse(mouse) => app.on_mouse(mouse),
        TermEvent::Resize(width, height) => {
            app.resize(Rect::new(0, 0, width, height));
            true
        }
        _ => false,
    }
}
