//! The dashboard's real loop (`ui::run_with`) over the seed's lab, in-process on ratatui's
//! TestBackend: what the loop tests share. The lab's engine and demo web servers run on
//! 127.0.0.1 and commands are routed as lbtop routes them; the input (a script, or one
//! wrapping it) says when the loop ends.

use super::Lab;
use lbtop::events::{ServerStatus, Snapshot};
use lbtop::ui::script::ManualClock;
use lbtop::ui::{EngineSource, Input, Source, UiOptions};
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How the dashboard is run.
pub struct Run {
    pub width: u16,
    pub height: u16,
    pub read_only: bool,
    /// What the dashboard talks to, made from the lab's engine.
    pub source: fn(EngineSource) -> Arc<dyn Source>,
}

/// The engine as lbtop's dashboard has it.
pub fn engine(source: EngineSource) -> Arc<dyn Source> {
    Arc::new(source)
}

impl Run {
    pub fn sized(width: u16, height: u16) -> Run {
        Run {
            width,
            height,
            read_only: false,
            source: engine,
        }
    }

    /// Runs the loop over a fresh lab with `input` until it quits; the engine's state then.
    /// Panics if the loop ends with an error.
    pub fn over_lab(&self, input: &mut impl Input, clock: &ManualClock) -> Snapshot {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let Lab {
            handle,
            engine,
            demo,
            rx,
            ..
        } = runtime.block_on(Lab::start("200ms", true));
        let opts = UiOptions {
            refresh: Duration::from_millis(100),
            read_only: self.read_only,
            demo_servers: demo.servers(),
            traffic_running: demo.traffic_running(),
        };
        let (commands, routed) = mpsc::unbounded_channel();
        // The router owns the demo until every sender is gone: this one keeps the demo
        // servers up until the engine's state is read, after the dashboard quits.
        let keep_demo = commands.clone();
        runtime.spawn(lbtop::app::route(routed, handle.clone(), Some(demo)));
        let source = (self.source)(EngineSource {
            handle: handle.clone(),
            commands,
        });
        let backend = TestBackend::new(self.width, self.height);
        let ended = lbtop::ui::run_with(backend, input, clock, source, rx, opts);
        let snapshot = handle.snapshot();
        drop(keep_demo);
        if let Some(engine) = engine {
            runtime.block_on(engine.shutdown());
        }
        if let Err(e) = ended {
            panic!("the dashboard stopped with an error: {e:#}");
        }
        snapshot
    }
}

/// The `n`th screen row naming a server: hoge's first, then hoge_l4's.
pub fn row(screen: &str, name: &str, n: usize) -> String {
    screen
        .lines()
        .filter(|r| r.contains(&format!(" {name} ")))
        .nth(n)
        .unwrap_or_default()
        .to_string()
}

/// The status line: the last row of the screen.
pub fn status_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

/// A server's status in an engine snapshot.
pub fn status(snap: &Snapshot, backend: usize, server: usize) -> ServerStatus {
    snap.backends[backend].servers[server].status
}
