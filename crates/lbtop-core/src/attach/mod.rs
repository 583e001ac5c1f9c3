//! `lbtop attach`: the dashboard's data from real HAProxy processes instead of the embedded
//! engine. Each node is polled on its own task at the refresh rate (`show info`, `show stat`,
//! `show servers state`), every poll bounded by a timeout, so a slow or dead node never holds
//! up the others or the screen; the dashboard reads the merged [`Snapshot`] from memory.
//! Actions become HAProxy runtime commands sent to every node or to one, and each node's
//! answer comes back as one [`Event::Answered`]. No terminal here.
//! (docs/haproxy-semantics.md §29.)

pub mod build;
pub mod conn;
pub mod derive;
pub mod merge;
pub mod table;

pub use conn::Target;
pub use merge::{Fleet, NodeData, NodeSummary, OnNode};

use crate::config::Config;
use crate::events::{Command, Event, EventSender, Snapshot};
use build::Info;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::time::Instant;

type Nodes = Arc<Mutex<Vec<NodeData>>>;

/// The polled nodes; dropping it stops the polling.
#[derive(Debug)]
pub struct Attach {
    nodes: Nodes,
    targets: Vec<Target>,
    config: Option<Arc<Config>>,
    events: EventSender,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

/// How long one poll (or one command) may take: a few refreshes, within reason.
fn poll_timeout(refresh: Duration) -> Duration {
    (refresh * 2).clamp(Duration::from_secs(1), Duration::from_secs(5))
}

/// Unique short names: a second `haproxy.sock` becomes `haproxy#2`.
fn names(targets: &[Target]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in targets {
        let base = t.short_name();
        let mut name = base.clone();
        let mut n = 1;
        while out.contains(&name) {
            n += 1;
            name = format!("{base}#{n}");
        }
        out.push(name);
    }
    out
}

impl Attach {
    /// Starts one polling task per target on the current tokio runtime.
    pub fn start(
        targets: Vec<Target>,
        config: Option<Arc<Config>>,
        refresh: Duration,
        events: EventSender,
    ) -> Attach {
        let nodes: Vec<NodeData> = names(&targets)
            .into_iter()
            .zip(&targets)
            .map(|(name, t)| NodeData {
                summary: NodeSummary {
                    name,
                    target: t.to_string(),
                    info: None,
                    error: None,
                },
                snap: None,
                states: HashMap::new(),
            })
            .collect();
        let nodes = Arc::new(Mutex::new(nodes));
        let timeout = poll_timeout(refresh);
        let runtime = tokio::runtime::Handle::current();
        for (i, target) in targets.iter().enumerate() {
            let poller = Poller {
                index: i,
                target: target.clone(),
                nodes: Arc::downgrade(&nodes),
                events: events.clone(),
                refresh,
                timeout,
            };
            runtime.spawn(poller.run());
        }
        Attach {
            nodes,
            targets,
            config,
            events,
            timeout,
            runtime,
        }
    }

    /// The merged snapshot and the per-node breakdown, from memory (no I/O).
    pub fn sample(&self) -> (Snapshot, Fleet) {
        let nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (mut snap, fleet) = merge::merge(&nodes);
        if let Some(config) = &self.config {
            build::label(&mut snap, config);
        }
        (snap, fleet)
    }

    pub fn config(&self) -> Option<&Arc<Config>> {
        self.config.as_ref()
    }

    /// Sends `command` to every node, or to node `node` only, as HAProxy runtime commands; the
    /// answers come back as one `Event::Answered`.
    pub fn command(&self, command: Command, node: Option<usize>) {
        let (snap, fleet) = self.sample();
        let Some(line) = runtime_line(&snap, &command) else {
            let reason = "not available when attached (lbtop's own demo only)".to_string();
            self.events.send(Event::CommandFailed { command, reason });
            return;
        };
        let chosen: Vec<(String, Target)> = fleet
            .nodes
            .iter()
            .zip(&self.targets)
            .enumerate()
            .filter(|(i, _)| node.is_none_or(|n| n == *i))
            .map(|(_, (summary, t))| (summary.name.clone(), t.clone()))
            .collect();
        let events = self.events.clone();
        let timeout = self.timeout;
        self.runtime.spawn(async move {
            let answers = ask_all(&line, chosen, timeout).await;
            let (ok, text) = match &command {
                Command::Runtime { line, admin } => runtime_answers(line, !admin, answers),
                _ => action_answers(&line, answers),
            };
            events.send(Event::Answered { command, ok, text });
        });
    }
}

/// The command in HAProxy's runtime words, for the server it names in `snap`.
pub fn runtime_line(snap: &Snapshot, command: &Command) -> Option<String> {
    let label = |id: &crate::events::ServerId| {
        let b = snap.backends.get(id.backend)?;
        Some(format!("{}/{}", b.name, b.servers.get(id.server)?.name))
    };
    Some(match command {
        Command::SetAdmin { server, state } => {
            format!("set server {} state {state}", label(server)?)
        }
        Command::SetWeight { server, weight } => {
            format!("set server {} weight {weight}", label(server)?)
        }
        Command::SetChecks { server, enabled } => {
            let verb = if *enabled { "enable" } else { "disable" };
            format!("{verb} health {}", label(server)?)
        }
        // HAProxy's `user` command lowers this connection's level before the line runs.
        Command::Runtime { line, admin: true } => line.clone(),
        Command::Runtime { line, admin: false } => format!("user; {line}"),
        _ => return None,
    })
}

type Answers = Vec<(String, Result<String, String>)>;

/// Sends `line` to each node at once; each node's answer (or why there is none), in order.
async fn ask_all(line: &str, nodes: Vec<(String, Target)>, timeout: Duration) -> Answers {
    let tasks: Vec<_> = nodes
        .into_iter()
        .map(|(name, target)| {
            let line = line.to_string();
            tokio::spawn(async move {
                let answer = tokio::time::timeout(timeout, conn::ask(&target, &line)).await;
                let answer = answer.unwrap_or_else(|_| Err("no answer in time".into()));
                (name, answer)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        if let Ok(answer) = task.await {
            answers.push(answer);
        }
    }
    answers
}

/// What each node said to an action: `h1: done · h2: No such server.`; `ok` when every node
/// answered HAProxy's empty line, which a write command that worked answers.
fn action_answers(line: &str, answers: Answers) -> (bool, String) {
    let mut ok = true;
    let mut parts = Vec::new();
    for (name, answer) in answers {
        let said = match answer {
            Ok(text) if text.trim().is_empty() => "done".to_string(),
            Ok(text) => {
                ok = false;
                text.lines().next().unwrap_or("").trim().to_string()
            }
            Err(e) => {
                ok = false;
                e
            }
        };
        parts.push(format!("{name}: {said}"));
    }
    (ok, format!("{line} → {}", parts.join(" · ")))
}

/// What each node said to a typed runtime command: the same one line per node (an answer of
/// several lines counted there), then each long answer whole under `== name ==`. `lowered`:
/// the line went as `user; <line>`, whose `user` answers an empty line first (measured on
/// HAProxy 2.6: `"\nPermission denied\n\n"`), dropped here. `ok` when every node answered.
fn runtime_answers(line: &str, lowered: bool, answers: Answers) -> (bool, String) {
    let mut ok = true;
    let mut parts = Vec::new();
    let mut blocks = String::new();
    for (name, answer) in answers {
        let text = match answer {
            Ok(text) if lowered => text.strip_prefix('\n').unwrap_or(&text).to_string(),
            Ok(text) => text,
            Err(e) => {
                ok = false;
                parts.push(format!("{name}: {e}"));
                continue;
            }
        };
        let lines: Vec<&str> = text.trim_end().lines().collect();
        let said = match lines.as_slice() {
            [] => "done".to_string(),
            [one] => one.trim().to_string(),
            many => {
                blocks.push_str(&format!("\n== {name} ==\n{}", many.join("\n")));
                format!("{} lines", many.len())
            }
        };
        parts.push(format!("{name}: {said}"));
    }
    (ok, format!("{line} → {}{blocks}", parts.join(" · ")))
}

/// One node's polling loop.
struct Poller {
    index: usize,
    target: Target,
    nodes: Weak<Mutex<Vec<NodeData>>>,
    events: EventSender,
    refresh: Duration,
    timeout: Duration,
}

type Polled = (
    Info,
    table::Table,
    HashMap<(String, String), build::StateRow>,
);

impl Poller {
    async fn run(self) {
        loop {
            let started = Instant::now();
            let result = tokio::time::timeout(self.timeout, poll(&self.target)).await;
            let result = result.unwrap_or_else(|_| {
                Err(format!("no answer within {}ms", self.timeout.as_millis()))
            });
            let Some(nodes) = self.nodes.upgrade() else {
                return;
            };
            let lines = {
                let mut nodes = nodes.lock().unwrap_or_else(|e| e.into_inner());
                let before = nodes[self.index].clone();
                apply(&mut nodes[self.index], result);
                derive::changes(&before, &nodes[self.index])
            };
            drop(nodes);
            for line in lines {
                self.events.send(Event::Log(line));
            }
            tokio::time::sleep_until(started + self.refresh).await;
        }
    }
}

fn apply(node: &mut NodeData, result: Result<Polled, String>) {
    match result {
        Ok((info, stat, states)) => {
            node.snap = Some(build::snapshot(&info, &stat));
            node.summary.info = Some(info);
            node.summary.error = None;
            node.states = states;
        }
        Err(e) => node.summary.error = Some(e),
    }
}

async fn poll(target: &Target) -> Result<Polled, String> {
    let info = conn::ask(target, "show info").await?;
    let map = table::parse_info(&info);
    if !map.contains_key("Pid") {
        let first = info.lines().next().unwrap_or("(nothing)");
        return Err(format!("not a stats socket? `show info` said: {first}"));
    }
    let stat = conn::ask(target, "show stat").await?;
    let stat = table::parse_stat(&stat).map_err(|e| e.to_string())?;
    // Check details only: a node that refuses this still shows.
    let states = conn::ask(target, "show servers state")
        .await
        .ok()
        .and_then(|t| table::parse_servers_state(&t).ok())
        .map(|t| build::state_rows(&t))
        .unwrap_or_default();
    Ok((Info::from_map(&map), stat, states))
}

#[cfg(test)]
mod tests;
