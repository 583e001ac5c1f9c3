//! Wiring: starts the demo and the engine on a runtime, routes commands, and runs either the
//! dashboard or the headless printer until asked to stop.

use crate::attach::{Attach, Target};
use crate::config::Config;
use crate::demo::Demo;
use crate::engine::{log::session_log, log_out, Engine};
use crate::events::{self, Command, Event, EventReceiver, Level, LogLine, SessionTap};
use crate::journal::Framing;
use crate::service;
use crate::upgrade::Takeover;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Why lbtop stopped with an error; the exit code follows HAProxy's habits.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Start(#[from] crate::engine::StartError),
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

/// How the engine's events are shown.
pub enum Watcher {
    Headless,
    Dashboard { read_only: bool },
}

pub fn run(config: Config, watcher: Watcher, takeover: Takeover) -> Result<(), RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lbtop-engine")
        .build()
        .map_err(anyhow::Error::from)?;
    let config = Arc::new(config);
    let (tx, rx) = events::channel();
    // Caught from before READY on: systemd may send SIGTERM the moment it reads READY.
    let stop = matches!(watcher, Watcher::Headless).then(|| {
        let _entered = runtime.enter();
        StopSignals::install()
    });
    let (mut takeover, notes) = (takeover, tx.clone());
    let inherited = std::mem::take(&mut takeover.sockets);
    // Demo servers first, so the first health checks find them listening.
    let (demo, engine) = runtime.block_on(async {
        let demo = Demo::start(&config, tx.clone()).await?;
        let engine = Engine::start_with(config.clone(), tx, inherited).await?;
        Ok::<_, RunError>((demo, engine))
    })?;
    // Listening now: the old processes of an upgrade (-sf/-st) may stop.
    let _serving = takeover.listening(&runtime, &engine.handle(), &notes);
    // Every listener is bound: connections wait in its queue from here on.
    service::ready(&config);
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
            runtime.block_on(headless(&config, rx, stop, print))
        }
        Watcher::Dashboard { read_only } => {
            log_out::set_terminal_owned(true);
            let demo_servers = demo.as_ref().map(Demo::servers).unwrap_or_default();
            let traffic_running = demo.as_ref().is_some_and(Demo::traffic_running);
            let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
            runtime.spawn(route(cmd_rx, engine.handle(), demo));
            let opts = crate::ui::UiOptions {
                refresh: config.ui.refresh,
                read_only,
                demo_servers,
                traffic_running,
            };
            let source = crate::ui::EngineSource {
                handle: engine.handle(),
                commands: cmd_tx,
            };
            crate::ui::run(Arc::new(source), rx, opts)?;
        }
    }
    service::stopping("stopping");
    runtime.block_on(engine.shutdown());
    Ok(())
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
            _ => engine.command(command),
        }
    }
}

/// Where the headless printer writes.
#[derive(Clone, Copy)]
enum Out {
    Stdout,
    Stderr,
}

/// Where and how the headless printer writes: dated lines, or `<N>` lines for the journal.
#[derive(Clone, Copy)]
struct Printer {
    out: Out,
    framing: Framing,
}

impl Printer {
    /// One whole line under the stream's lock (`println!` takes it), which the `log` writer
    /// takes too: the two never share a line.
    fn line(self, level: Level, text: &str) {
        let line = self.framing.line(level, text);
        match self.out {
            Out::Stdout => println!("{line}"),
            Out::Stderr => eprintln!("{line}"),
        }
    }
}

/// Prints one line per event until SIGINT or SIGTERM.
async fn headless(
    config: &Config,
    mut rx: EventReceiver,
    stop: Option<StopSignals>,
    print: Printer,
) {
    let stop = async move {
        match stop {
            Some(mut stop) => stop.recv().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    // Session records are drained on a tick rather than awaited one by one: waking this task
    // for every request would cost the data path a cross-thread wake-up each time.
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(event) = rx.events.recv() => print_event(&event, print),
            _ = tick.tick() => drain_sessions(config, &mut rx, print),
        }
    }
    drain_sessions(config, &mut rx, print);
}

fn drain_sessions(config: &Config, rx: &mut EventReceiver, print: Printer) {
    while let Ok(record) = rx.sessions.try_recv() {
        if let Some((level, line)) = session_log(config, &record) {
            print.line(level, &line);
        }
    }
}

fn print_event(event: &Event, print: Printer) {
    match event {
        Event::Log(LogLine { level, text, .. }) => print.line(*level, text),
        Event::CommandFailed { command, reason } => print.line(
            Level::Warning,
            &format!("command {command:?} failed: {reason}"),
        ),
        Event::Answered { ok, text, .. } => {
            print.line(if *ok { Level::Info } else { Level::Warning }, text)
        }
        Event::ServerChanged { .. } => {}
    }
}

/// SIGTERM and SIGINT, caught from the moment this is made (within a runtime).
struct StopSignals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn install() -> StopSignals {
        use tokio::signal::unix::{signal, SignalKind};
        StopSignals {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn recv(&mut self) {
        async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = next(&mut self.term) => {}
            _ = next(&mut self.int) => {}
        }
    }
}
