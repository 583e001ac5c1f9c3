//! Wiring: starts the demo and the engine on a runtime, routes commands, and runs either the
//! dashboard or the headless printer until asked to stop.

use crate::attach::{Attach, Target};
use crate::config::Config;
use crate::demo::Demo;
use crate::engine::generation::{Control, Loader, Process};
use crate::engine::{log::session_log, log_out};
use crate::events::{self, Command, Event, EventReceiver, Level, Lifecycle, LogLine, SessionTap};
use crate::journal::Framing;
use crate::service;
use crate::upgrade::Takeover;
use std::sync::Arc;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

/// Why lbtop stopped with an error; the exit code follows HAProxy's habits.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Start(#[from] crate::engine::StartError),
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    /// The headless lines could not be written (their reader closed the pipe).
    #[error(transparent)]
    Output(#[from] crate::out::Gone),
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

/// How the engine's events are shown.
pub enum Watcher {
    Headless,
    Dashboard { read_only: bool },
}

/// Runs the engine on `config` until asked to stop; `load` reads the configuration file
/// again when a reload is asked for (SIGHUP, SIGUSR2, the runtime API's `reload`, `R`);
/// `takeover` has the sockets and pids of the processes an upgrade replaces (-sf/-st/-x).
pub fn run(
    config: Config,
    watcher: Watcher,
    load: Loader,
    takeover: Takeover,
) -> Result<(), RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lbtop-engine")
        .build()
        .map_err(anyhow::Error::from)?;
    let config = Arc::new(config);
    let (tx, rx) = events::channel();
    let (mut takeover, notes) = (takeover, tx.clone());
    let inherited = std::mem::take(&mut takeover.sockets);
    // Demo servers first, so the first health checks find them listening.
    let (demo, process, signals) = runtime.block_on(async {
        let signals = Signals::new().map_err(anyhow::Error::from)?;
        let demo = Demo::start(&config, tx.clone()).await?;
        let process = Process::start(config.clone(), tx.clone(), inherited, load).await?;
        Ok::<_, RunError>((demo, process, signals))
    })?;
    // Listening now: the old processes of an upgrade (-sf/-st) may stop.
    takeover.listening(&runtime, &process.handle(), &notes);
    // Every listener is bound: connections wait in its queue from here on.
    service::ready(&config);
    let mut printed = Ok(());
    match watcher {
        Watcher::Headless => {
            // Only traffic logging needs per-request records; without it none are built.
            let logs_traffic = config.frontends.iter().any(|f| f.options.logs_traffic());
            rx.set_session_tap(if logs_traffic {
                SessionTap::All
            } else {
                SessionTap::Off
            });
            // With a `log stdout` target, stdout carries exactly what HAProxy would write
            // there, and the headless lines move to stderr.
            let out = if log_out::writes_to_fd(&config, 1) {
                Out::Stderr
            } else {
                Out::Stdout
            };
            let framing = Framing::detect(matches!(out, Out::Stderr));
            let print = Printer { out, framing };
            printed = runtime.block_on(headless(&process, signals, rx, print));
        }
        Watcher::Dashboard { read_only } => {
            log_out::set_terminal_owned(true);
            let demo_servers = demo.as_ref().map(Demo::servers).unwrap_or_default();
            let traffic_running = demo.as_ref().is_some_and(Demo::traffic_running);
            let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
            runtime.spawn(route(cmd_rx, process.handle(), demo));
            let handle = process.handle();
            let mut signals = signals;
            // SIGTERM and SIGINT end the dashboard (the terminal restored), then everything.
            let quit = tx.clone();
            let signals = runtime.spawn(async move {
                control_signals(handle, &mut signals, true).await;
                quit.send(Event::Lifecycle(Lifecycle::Stopped));
            });
            let opts = crate::ui::UiOptions {
                refresh: config.ui.refresh,
                read_only,
                demo_servers,
                traffic_running,
            };
            let source = crate::ui::EngineSource {
                handle: process.handle(),
                commands: cmd_tx,
            };
            crate::ui::run(Arc::new(source), rx, opts)?;
            signals.abort();
        }
    }
    // After a soft stop everything has ended already; else this stops it now.
    service::stopping("stopping");
    runtime.block_on(process.shutdown());
    Ok(printed?)
}

/// `lbtop attach`: the dashboard over HAProxy nodes polled every `refresh`; `config` only
/// labels things.
pub fn attach(
    targets: Vec<Target>,
    config: Option<Config>,
    refresh: std::time::Duration,
    read_only: bool,
) -> Result<(), RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("lbtop-attach")
        .build()
        .map_err(anyhow::Error::from)?;
    let (tx, rx) = events::channel();
    rx.set_session_tap(SessionTap::Off);
    let config = config.map(Arc::new);
    let attach = {
        let _entered = runtime.enter();
        Attach::start(targets, config, refresh, tx)
    };
    let opts = crate::ui::UiOptions {
        refresh,
        read_only,
        demo_servers: Vec::new(),
        traffic_running: false,
    };
    crate::ui::run(Arc::new(crate::ui::AttachSource(attach)), rx, opts)?;
    // Polls in flight are dropped with the runtime, without waiting for their timeouts.
    runtime.shutdown_background();
    Ok(())
}

/// Sends each command to whoever carries it out: the demo or the engine. A demo command that
/// fails comes back to the watcher as the engine's `CommandFailed`.
pub async fn route(
    mut rx: mpsc::UnboundedReceiver<Command>,
    engine: crate::engine::Handle,
    mut demo: Option<Demo>,
) {
    while let Some(command) = rx.recv().await {
        match (&command, demo.as_mut()) {
            (
                Command::DemoServer { .. }
                | Command::DemoHealthPage { .. }
                | Command::DemoTraffic { .. },
                Some(demo),
            ) => {
                if let Err(reason) = demo.apply(&command).await {
                    engine.report_failure(command, reason);
                }
            }
            (Command::Reload, _) => {
                if !engine.control(Control::Reload) {
                    let reason = "this engine does not reload".to_string();
                    engine.report_failure(command, reason);
                }
            }
            _ => engine.command(command),
        }
    }
}

/// Where the headless printer writes.
use crate::out::{Gone, Stream as Out};

/// Where and how the headless printer writes: dated lines, or `<N>` lines for the journal.
#[derive(Clone, Copy)]
struct Printer {
    out: Out,
    framing: Framing,
}

impl Printer {
    /// One whole line under the stream's lock, which the `log` writer takes too: the two
    /// never share a line. Fails when the stream's reader went away.
    fn line(self, level: Level, text: &str) -> Result<(), Gone> {
        let line = self.framing.line(level, text);
        crate::out::write(self.out, &(line + "\n"))
    }
}

/// Prints one line per event until SIGINT or SIGTERM, or until a soft stop (SIGUSR1) has
/// ended every session; SIGHUP and SIGUSR2 reload. Ends too when the lines' reader goes
/// away (`lbtop --headless | head -2`), as coreutils end.
async fn headless(
    process: &Process,
    mut signals: Signals,
    mut rx: EventReceiver,
    print: Printer,
) -> Result<(), Gone> {
    let stop = control_signals(process.handle(), &mut signals, false);
    tokio::pin!(stop);
    // Session records are drained on a tick rather than awaited one by one: waking this task
    // for every request would cost the data path a cross-thread wake-up each time.
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(event) = rx.events.recv() => {
                // Lines logged before the end are printed before it.
                let config = process.handle().config();
                drain_sessions(&config, &mut rx, print)?;
                print_event(&event, print)?;
                if let Event::Lifecycle(step) = &event {
                    tell_service(step, &config);
                }
                if event == Event::Lifecycle(Lifecycle::Stopped) {
                    break;
                }
            }
            _ = tick.tick() => drain_sessions(&process.handle().config(), &mut rx, print)?,
        }
    }
    drain_sessions(&process.handle().config(), &mut rx, print)
}

/// A reload or a soft stop, as systemd hears of it (`Type=notify`). `config` is the one in
/// force after the step.
fn tell_service(step: &Lifecycle, config: &Config) {
    match step {
        Lifecycle::Reloading => service::reloading(),
        Lifecycle::Reloaded { ok, .. } => service::reloaded(config, *ok),
        Lifecycle::Stopping => service::stopping("soft stop: finishing the sessions in flight"),
        Lifecycle::Stopped => {}
    }
}

/// The signals lbtop answers, listened to from before the engine starts: a signal that
/// came before its handler would otherwise end the process.
struct Signals {
    usr1: Signal,
    hup: Signal,
    usr2: Signal,
    term: Signal,
    int: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            usr1: signal(SignalKind::user_defined1())?,
            hup: signal(SignalKind::hangup())?,
            usr2: signal(SignalKind::user_defined2())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }
}

/// SIGUSR1 soft-stops; SIGHUP and SIGUSR2 reload, as HAProxy's master-worker mode does.
/// Returns on SIGTERM or SIGINT (stop now), and on the dashboard when SIGHUP came because its
/// terminal went away (a closed window, a killed tmux session): a dashboard with no terminal
/// would run on unseen, and nobody could stop it with a key.
async fn control_signals(handle: crate::engine::Handle, s: &mut Signals, dashboard: bool) {
    loop {
        let control = tokio::select! {
            _ = s.usr1.recv() => Control::SoftStop,
            _ = s.hup.recv() => match dashboard && terminal_gone() {
                true => return,
                false => Control::Reload,
            },
            _ = s.usr2.recv() => Control::Reload,
            _ = s.term.recv() => return,
            _ = s.int.recv() => return,
        };
        handle.control(control);
    }
}

/// The process has lost its controlling terminal: the hang-up was the terminal's, not a
/// request to reload.
fn terminal_gone() -> bool {
    std::fs::File::open("/dev/tty").is_err()
}

fn drain_sessions(config: &Config, rx: &mut EventReceiver, print: Printer) -> Result<(), Gone> {
    while let Ok(record) = rx.sessions.try_recv() {
        // A session of the configuration before a reload is worded with that one.
        let config = record.config.as_deref().unwrap_or(config);
        if let Some((level, line)) = session_log(config, &record) {
            print.line(level, &line)?;
        }
    }
    Ok(())
}

fn print_event(event: &Event, print: Printer) -> Result<(), Gone> {
    match event {
        Event::Log(LogLine { level, text, .. }) => print.line(*level, text),
        Event::CommandFailed { command, reason } => print.line(
            Level::Warning,
            &format!("command {command:?} failed: {reason}"),
        ),
        Event::Answered { ok, text, .. } => {
            print.line(if *ok { Level::Info } else { Level::Warning }, text)
        }
        // Each step of a reload or a stop, and each demo action, is also a log line, printed
        // as such.
        Event::ServerChanged { .. } | Event::Lifecycle(_) | Event::Done { .. } => Ok(()),
    }
}
