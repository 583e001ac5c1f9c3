//! Where the dashboard's data comes from and where its commands go: the one seam between the
//! dashboard and the outside world. The embedded engine is one [`Source`]; `lbtop attach`'s
//! polled HAProxy nodes are another. The views read only the [`Sample`]s a source gives.

use crate::attach::{Attach, Fleet};
use crate::config::Config;
use crate::engine::Handle;
use crate::events::{Command, SessionRecord, Snapshot};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// What one look at the source gives.
#[derive(Debug, Clone)]
pub struct Sample {
    pub snapshot: Snapshot,
    /// Under `lbtop attach`: the nodes and each server's copy on each; `None` for the engine.
    pub fleet: Option<Fleet>,
}

pub trait Source: Send + Sync {
    /// A fresh sample; called on the sampler thread, so it may take a while.
    fn sample(&self) -> Sample;

    /// The configuration, for labels, keys and explanations; `None` when attached without one.
    fn config(&self) -> Option<Arc<Config>>;

    /// Carries out `command`, on node `node` alone when attached and one is chosen. Gives the
    /// command back when nobody is there to take it.
    fn command(&self, command: Command, node: Option<usize>) -> Result<(), Command>;

    /// A finished session as a log line, if the source has session records at all.
    fn session_line(&self, record: &SessionRecord) -> Option<String>;
}

/// The embedded engine: snapshots from its handle, commands through the router (which hands
/// the demo's to the demo).
pub struct EngineSource {
    pub handle: Handle,
    pub commands: UnboundedSender<Command>,
}

impl Source for EngineSource {
    fn sample(&self) -> Sample {
        Sample {
            snapshot: self.handle.snapshot(),
            fleet: None,
        }
    }

    fn config(&self) -> Option<Arc<Config>> {
        Some(self.handle.config())
    }

    fn command(&self, command: Command, _node: Option<usize>) -> Result<(), Command> {
        self.commands.send(command).map_err(|e| e.0)
    }

    fn session_line(&self, record: &SessionRecord) -> Option<String> {
        let current = self.handle.config();
        let config = record.config.as_deref().unwrap_or(&current);
        crate::engine::log::session_log(config, record).map(|(_, line)| line)
    }
}

/// `lbtop attach`: the polled nodes, merged.
pub struct AttachSource(pub Attach);

impl Source for AttachSource {
    fn sample(&self) -> Sample {
        let (snapshot, fleet) = self.0.sample();
        Sample {
            snapshot,
            fleet: Some(fleet),
        }
    }

    fn config(&self) -> Option<Arc<Config>> {
        self.0.config().cloned()
    }

    fn command(&self, command: Command, node: Option<usize>) -> Result<(), Command> {
        self.0.command(command, node);
        Ok(())
    }

    fn session_line(&self, _record: &SessionRecord) -> Option<String> {
        None
    }
}
