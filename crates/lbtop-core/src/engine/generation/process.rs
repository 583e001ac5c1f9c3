//! A reloadable process: the current engine, the ones still draining after a reload, and
//! the task that reloads and stops them when asked (signals, the runtime API's `reload`,
//! the dashboard's `R`).

use super::handle::Control;
use super::soft::tell;
use super::summary;
use crate::config::Config;
use crate::engine::{sockets, Engine, Handle, StartError};
use crate::events::{Event, EventSender, Level, Lifecycle};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Reads the configuration file again (the path lbtop started with): the configuration,
/// or the error as `lbtop check` prints it (`file:line: ...` lines and the count).
pub type Loader = Arc<dyn Fn() -> Result<Config, String> + Send + Sync>;

enum Ask {
    Control(Control),
    Shutdown(tokio::sync::oneshot::Sender<()>),
}

/// The engine of a process that reloads. Its [`Handle`] always reads the current
/// configuration's engine.
pub struct Process {
    handle: Handle,
    asks: mpsc::UnboundedSender<Ask>,
    done: tokio::task::JoinHandle<()>,
}

impl Process {
    /// Starts the engine on `config` (taking over `inherited` sockets where addresses
    /// match), reloading through `load` when asked.
    pub async fn start(
        config: Arc<Config>,
        events: EventSender,
        inherited: sockets::Inventory,
        load: Loader,
    ) -> Result<Process, StartError> {
        let engine = Engine::start_with(config, events.clone(), inherited).await?;
        let handle = engine.handle();
        let (tx, mut rx) = mpsc::unbounded_channel::<Ask>();
        // The runtime API's `reload` and the dashboard's key reach it through the handle.
        let (control_tx, mut control_rx) = mpsc::unbounded_channel();
        let _ = handle.current.control.set(control_tx);
        let forward = tx.clone();
        tokio::spawn(async move {
            while let Some(c) = control_rx.recv().await {
                if forward.send(Ask::Control(c)).is_err() {
                    return;
                }
            }
        });
        let done = tokio::spawn(async move { supervise(engine, load, events, &mut rx).await });
        Ok(Process {
            handle,
            asks: tx,
            done,
        })
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Asks for a reload or a soft stop; what happens is told as events.
    pub fn control(&self, control: Control) {
        let _ = self.asks.send(Ask::Control(control));
    }

    /// Stops at once (SIGTERM): every engine, its connections included.
    pub async fn shutdown(self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.asks.send(Ask::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
        let _ = self.done.await;
    }
}

/// Carries out what is asked, one thing at a time, until a stop.
async fn supervise(
    mut engine: Engine,
    load: Loader,
    events: EventSender,
    asks: &mut mpsc::UnboundedReceiver<Ask>,
) {
    let mut draining: JoinSet<()> = JoinSet::new();
    let mut generation = 1;
    while let Some(ask) = asks.recv().await {
        match ask {
            Ask::Control(Control::Reload) => {
                engine = reload(engine, &load, &mut draining, &mut generation).await;
            }
            Ask::Control(Control::SoftStop) => {
                events.send(Event::Lifecycle(Lifecycle::Stopping));
                let mut all = Box::pin(async move {
                    engine.soft_stop().await;
                    while draining.join_next().await.is_some() {}
                });
                loop {
                    tokio::select! {
                        () = &mut all => break,
                        ask = asks.recv() => match ask {
                            // Stop now: dropping `all` drops every engine.
                            None => return,
                            Some(Ask::Shutdown(done)) => {
                                drop(all);
                                let _ = done.send(());
                                return;
                            }
                            Some(Ask::Control(_)) => {}
                        },
                    }
                }
                events.send(Event::Lifecycle(Lifecycle::Stopped));
                return;
            }
            Ask::Shutdown(done) => {
                draining.shutdown().await;
                engine.shutdown().await;
                let _ = done.send(());
                return;
            }
        }
    }
}

/// Reads the file again and swaps the new configuration in, or keeps the running one and
/// says why. HAProxy's master says `Reloading HAProxy`, then `Loading success.` or
/// `Loading failure!`; lbtop says the same, with its own name.
async fn reload(
    engine: Engine,
    load: &Loader,
    draining: &mut JoinSet<()>,
    generation: &mut u64,
) -> Engine {
    let shared = engine.gen.shared.clone();
    let events = &shared.events;
    events.send(Event::Lifecycle(Lifecycle::Reloading));
    tell(&shared, None, Level::Notice, "Reloading lbtop".into());
    let load = load.clone();
    let loaded = tokio::task::spawn_blocking(move || load())
        .await
        .unwrap_or_else(|e| Err(format!("the configuration loader failed: {e}")));
    let started = match loaded {
        Ok(config) => {
            warn_loaded(&shared, &config);
            Engine::start_after(Arc::new(config), &engine)
                .await
                .map_err(|e| e.to_string())
        }
        Err(text) => Err(text),
    };
    let next = match started {
        Ok(next) => next,
        Err(text) => {
            for line in text.lines() {
                tell(&shared, None, Level::Alert, line.to_string());
            }
            tell(&shared, None, Level::Warning, "Loading failure!".into());
            let ok = false;
            events.send(Event::Lifecycle(Lifecycle::Reloaded { ok, text }));
            return engine;
        }
    };
    let text = summary::describe(&shared.config, &next.gen.shared.config);
    engine.current.set(next.gen.clone());
    tell(&shared, None, Level::Notice, "Loading success.".into());
    tell(&shared, None, Level::Notice, text.clone());
    let ok = true;
    events.send(Event::Lifecycle(Lifecycle::Reloaded { ok, text }));
    let former = *generation;
    *generation += 1;
    draining.spawn(async move {
        engine.soft_stop().await;
        let text = format!("Former generation {former} stopped: its last session ended.");
        tell(&shared, None, Level::Notice, text);
    });
    while draining.try_join_next().is_some() {}
    next
}

/// The new file's warnings, as `lbtop check` words them.
fn warn_loaded(shared: &crate::engine::Shared, config: &Config) {
    let path = config.source.display();
    for w in &config.warnings {
        let text = format!("{path}:{}: warning: {}", w.line, w.message);
        tell(shared, None, Level::Warning, text);
    }
}
