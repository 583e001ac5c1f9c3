//! The handle the dashboard, the runtime API and tests hold: it reads whichever engine
//! generation is current, so a reload changes what it shows without anyone re-fetching it.

use crate::config::Config;
use crate::engine::{cli, Shared};
use crate::events::{Command, Event, Snapshot};
use std::sync::{Arc, OnceLock, RwLock, Weak};
use tokio::sync::mpsc;

/// One engine generation as the handle sees it: its state and its command queue.
#[derive(Clone)]
pub(crate) struct Gen {
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
}

/// What a reloadable process is asked to do (see [`super::Process`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Read the configuration again and swap it in (SIGHUP, SIGUSR2, `reload`, `R`).
    Reload,
    /// Stop accepting, let the sessions finish, then end (SIGUSR1).
    SoftStop,
}

/// The current generation, swapped by a reload; one per process.
pub(crate) struct Current {
    gen: RwLock<Gen>,
    /// The process that reloads, when there is one.
    pub(crate) control: OnceLock<mpsc::UnboundedSender<Control>>,
}

impl Current {
    pub(crate) fn new(gen: Gen) -> Arc<Current> {
        let current = Arc::new(Current {
            gen: RwLock::new(gen),
            control: OnceLock::new(),
        });
        current.adopt_shared();
        current
    }

    pub(crate) fn get(&self) -> Gen {
        self.gen.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes `gen` the one every handle reads.
    pub(crate) fn set(self: &Arc<Self>, gen: Gen) {
        *self.gen.write().unwrap_or_else(|e| e.into_inner()) = gen;
        self.adopt_shared();
    }

    /// Lets the current generation's own tasks (its runtime API sessions) find the newest.
    fn adopt_shared(self: &Arc<Self>) {
        let _ = self.get().shared.current.set(Arc::downgrade(self));
    }
}

impl Shared {
    /// The newest generation's state; `None` when this one is the newest or stands alone.
    pub(crate) fn latest(&self) -> Option<Arc<Shared>> {
        let current = self.current.get().and_then(Weak::upgrade)?;
        let gen = current.get();
        (!std::ptr::eq(Arc::as_ptr(&gen.shared), self)).then_some(gen.shared)
    }

    /// Asks the process to reload; `false` when nothing reloads this engine.
    pub(crate) fn ask(&self, control: Control) -> bool {
        let current = self.current.get().and_then(Weak::upgrade);
        let sender = current.as_ref().and_then(|c| c.control.get());
        sender.is_some_and(|tx| tx.send(control).is_ok())
    }
}

/// A cheap, clonable view of the running engine: read snapshots, send commands. After a
/// reload it reads the new configuration's engine.
#[derive(Clone)]
pub struct Handle {
    pub(crate) current: Arc<Current>,
}

impl Handle {
    /// Reads every counter and state now. The data path never waits on it.
    pub fn snapshot(&self) -> Snapshot {
        self.current.get().shared.snapshot()
    }

    /// Queues a command; its outcome arrives as an [`Event`].
    pub fn command(&self, command: Command) {
        let _ = self.current.get().commands.send(command);
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.current.get().shared.config.clone()
    }

    /// Copies of the current generation's listening sockets, for a process taking over
    /// (`-sf`, `-x`; docs/haproxy-semantics.md §31).
    pub fn sockets(&self) -> std::io::Result<crate::engine::sockets::Inventory> {
        self.current.get().shared.dup_sockets()
    }

    /// Runs one runtime API command at `level` and returns HAProxy's answer
    /// (docs/haproxy-semantics.md §27).
    pub fn cli(&self, level: cli::Level, line: &str) -> String {
        cli::run_line(&self.current.get().shared, level, line)
    }

    /// Tells the watcher that a command carried out elsewhere (by the demo) failed.
    pub fn report_failure(&self, command: Command, reason: String) {
        let gen = self.current.get();
        gen.shared
            .events
            .send(Event::CommandFailed { command, reason });
    }

    /// Asks the process to reload or soft-stop; `false` when this engine is not run by a
    /// [`super::Process`].
    pub fn control(&self, control: Control) -> bool {
        self.current.get().shared.ask(control)
    }

    /// Each frontend's first listen address, in configuration order (useful when binding
    /// port 0).
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        let gen = self.current.get();
        gen.shared
            .frontends
            .iter()
            .map(|f| f.binds[0].addr)
            .collect()
    }
}
