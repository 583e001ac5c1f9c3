//! Log lines derived from polls: what changed on a node between two of its answers (a server's
//! status, the node itself starting or stopping to answer). HAProxy's own log is not read, so
//! each line says it was derived, and a change that came and went between two polls is missed.

use super::merge::NodeData;
use crate::events::{Level, LogLine, ServerStatus, Topic};
use std::collections::HashMap;

fn line(level: Level, topic: Topic, text: String) -> LogLine {
    LogLine { level, topic, text }
}

fn statuses(node: &NodeData) -> HashMap<(String, String), ServerStatus> {
    let Some(snap) = &node.snap else {
        return HashMap::new();
    };
    snap.backends
        .iter()
        .flat_map(|b| {
            b.servers
                .iter()
                .map(|s| ((b.name.clone(), s.name.clone()), s.status))
        })
        .collect()
}

fn admin(s: ServerStatus) -> bool {
    matches!(
        s,
        ServerStatus::Drain | ServerStatus::DrainGoingDown { .. } | ServerStatus::Maint
    )
}

/// The lines for one node's new poll against its previous state.
pub fn changes(before: &NodeData, after: &NodeData) -> Vec<LogLine> {
    let name = &after.summary.name;
    let mut out = Vec::new();
    match (before.summary.alive(), after.summary.alive()) {
        (true, false) | (false, false) if before.summary.error != after.summary.error => {
            let why = after.summary.error.clone().unwrap_or_default();
            let text = format!("[{name}] node not answering: {why}");
            out.push(line(Level::Warning, Topic::System, text));
            return out;
        }
        (false, true) => {
            let info = after.summary.info.clone().unwrap_or_default();
            let text = format!(
                "[{name}] node answering: HAProxy {} pid {} (polled from {})",
                info.version, info.pid, after.summary.target
            );
            out.push(line(Level::Notice, Topic::System, text));
        }
        _ => {}
    }
    if !after.summary.alive() || before.snap.is_none() {
        return out;
    }
    let old = statuses(before);
    let new = statuses(after);
    let Some(snap) = &after.snap else { return out };
    for b in &snap.backends {
        for s in &b.servers {
            let key = (b.name.clone(), s.name.clone());
            let Some(was) = old.get(&key) else { continue };
            let now = new[&key];
            if *was == now {
                continue;
            }
            let topic = if admin(*was) || admin(now) {
                Topic::Admin
            } else {
                Topic::Health
            };
            let level = if now.is_up() {
                Level::Notice
            } else {
                Level::Warning
            };
            let text = format!(
                "[{name}] Server {}/{} is now {now} (was {was}; derived from polls)",
                b.name, s.name
            );
            out.push(line(level, topic, text));
        }
    }
    out
}
