//! Several nodes' snapshots made into one: a row per frontend, backend and server (matched by
//! name), counters summed, and each server's status the worst any answering node reports, with
//! the per-node copies kept beside it for the breakdown (`UP on 2/3 nodes`).

use super::build::{Info, StateRow};
use crate::events::{BackendSnap, FrontendSnap, ServerId, ServerSnap, ServerStatus, Snapshot};
use std::collections::HashMap;
use std::time::Duration;

/// What the dashboard shows of a node: its name, where it is and how its last poll went.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSummary {
    /// Short, unique among the nodes: the socket's file stem or `host:port`.
    pub name: String,
    /// As given on the command line.
    pub target: String,
    /// From the last poll that answered.
    pub info: Option<Info>,
    /// Why the last poll failed; `None` while it answers.
    pub error: Option<String>,
}

impl NodeSummary {
    pub fn alive(&self) -> bool {
        self.error.is_none() && self.info.is_some()
    }
}

/// One node: its summary, its last good snapshot (kept when it stops answering, greyed) and
/// its `show servers state` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeData {
    pub summary: NodeSummary,
    pub snap: Option<Snapshot>,
    pub states: HashMap<(String, String), StateRow>,
}

/// A server on one node.
#[derive(Debug, Clone, PartialEq)]
pub struct OnNode {
    pub server: ServerSnap,
    pub state: Option<StateRow>,
}

/// The per-node side of a merged snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fleet {
    pub nodes: Vec<NodeSummary>,
    /// Each merged server's copy on each node, in node order (`None`: not listed there).
    pub servers: HashMap<ServerId, Vec<Option<OnNode>>>,
}

impl Fleet {
    /// `UP on 1/2: h1 · DRAIN on 1/2: h2 · dead: h3`: each status with the nodes that report
    /// it, then the nodes not answering and those that do not list the server.
    pub fn breakdown(&self, id: ServerId) -> String {
        let Some(copies) = self.servers.get(&id) else {
            return String::new();
        };
        let n = self.nodes.len();
        let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
        let (mut dead, mut absent) = (Vec::new(), Vec::new());
        for (node, copy) in self.nodes.iter().zip(copies) {
            let name = node.name.as_str();
            match copy {
                _ if !node.alive() => dead.push(name),
                None => absent.push(name),
                Some(c) => {
                    let word = c.server.status.to_string();
                    match groups.iter_mut().find(|(w, _)| *w == word) {
                        Some((_, names)) => names.push(name),
                        None => groups.push((word, vec![name])),
                    }
                }
            }
        }
        let mut parts: Vec<String> = groups
            .iter()
            .map(|(w, names)| format!("{w} on {}/{n}: {}", names.len(), names.join(",")))
            .collect();
        if !dead.is_empty() {
            parts.push(format!("dead: {}", dead.join(",")));
        }
        if !absent.is_empty() {
            parts.push(format!("absent: {}", absent.join(",")));
        }
        parts.join(" · ")
    }
}

/// How bad a status is, for picking the one a merged row shows.
fn severity(s: ServerStatus) -> u8 {
    match s {
        ServerStatus::Up => 0,
        ServerStatus::NoCheck => 1,
        ServerStatus::Drain => 2,
        ServerStatus::DrainGoingDown { .. } => 3,
        ServerStatus::Nolb => 4,
        ServerStatus::NolbGoingDown { .. } => 5,
        ServerStatus::GoingDown { .. } => 6,
        ServerStatus::GoingUp { .. } => 7,
        ServerStatus::Down => 8,
        ServerStatus::Maint => 9,
    }
}

fn add(into: &mut [u64; 6], from: &[u64; 6]) {
    for (t, n) in into.iter_mut().zip(from) {
        *t += n;
    }
}

/// Sums a server's counters into `into`; the status is merged by the caller.
fn add_server(into: &mut ServerSnap, s: &ServerSnap) {
    into.cur_sessions += s.cur_sessions;
    into.max_sessions = into.max_sessions.max(s.max_sessions);
    into.total_sessions += s.total_sessions;
    into.lbtot += s.lbtot;
    into.queue += s.queue;
    into.bytes_in += s.bytes_in;
    into.bytes_out += s.bytes_out;
    add(&mut into.http_responses, &s.http_responses);
    into.connect_errors += s.connect_errors;
    into.response_errors += s.response_errors;
    into.retries += s.retries;
    into.redispatches += s.redispatches;
    into.failed_checks += s.failed_checks;
    into.down_transitions += s.down_transitions;
    into.downtime = into.downtime.max(s.downtime);
    into.since_change = into.since_change.min(s.since_change);
}

fn add_backend(into: &mut BackendSnap, b: &BackendSnap) {
    into.total_sessions += b.total_sessions;
    into.cur_sessions += b.cur_sessions;
    into.queue += b.queue;
    into.denied_req += b.denied_req;
    into.denied_resp += b.denied_resp;
    add(&mut into.http_responses, &b.http_responses);
    into.down_transitions += b.down_transitions;
    into.downtime = into.downtime.max(b.downtime);
    into.since_change = into.since_change.min(b.since_change);
}

fn add_frontend(into: &mut FrontendSnap, f: &FrontendSnap) {
    into.cur_conns += f.cur_conns;
    into.max_conns = into.max_conns.max(f.max_conns);
    into.limit_conns = into.limit_conns.saturating_add(f.limit_conns);
    into.total_conns += f.total_conns;
    into.total_requests += f.total_requests;
    into.bytes_in += f.bytes_in;
    into.bytes_out += f.bytes_out;
    add(&mut into.http_responses, &f.http_responses);
    into.intercepted += f.intercepted;
    into.req_errors += f.req_errors;
    into.denied_req += f.denied_req;
    into.denied_resp += f.denied_resp;
    into.denied_conn += f.denied_conn;
    if into.binds.is_empty() {
        into.binds = f.binds.clone();
    }
}

/// The merged snapshot and the per-node breakdown. Counters include a dead node's last known
/// values (so totals never go backwards); statuses come from the nodes that answer, or from
/// the last known ones when none does.
pub fn merge(nodes: &[NodeData]) -> (Snapshot, Fleet) {
    let mut out = Snapshot {
        uptime: Duration::ZERO,
        frontends: Vec::new(),
        backends: Vec::new(),
        cur_conns: 0,
        maxconn: 0,
        sessions_dropped: 0,
        logs_dropped: 0,
    };
    let mut fleet = Fleet {
        nodes: nodes.iter().map(|n| n.summary.clone()).collect(),
        servers: HashMap::new(),
    };
    // Frontends name their backend by position in their node's snapshot: by name here.
    let mut fe_backend: Vec<Option<String>> = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let Some(snap) = &node.snap else { continue };
        if node.summary.alive() {
            out.uptime = out.uptime.max(snap.uptime);
            out.cur_conns += snap.cur_conns;
            out.maxconn = out.maxconn.saturating_add(snap.maxconn);
        }
        for fe in &snap.frontends {
            let backend = snap.backends.get(fe.backend).map(|b| b.name.clone());
            match out.frontends.iter().position(|f| f.name == fe.name) {
                Some(at) => {
                    add_frontend(&mut out.frontends[at], fe);
                    if fe_backend[at].is_none() {
                        fe_backend[at] = backend;
                    }
                }
                None => {
                    out.frontends.push(fe.clone());
                    fe_backend.push(backend);
                }
            }
        }
        for b in &snap.backends {
            merge_backend(&mut out, &mut fleet, nodes, i, b);
        }
    }
    for (fe, backend) in out.frontends.iter_mut().zip(fe_backend) {
        fe.backend = backend
            .and_then(|name| out.backends.iter().position(|b| b.name == name))
            .unwrap_or(usize::MAX);
    }
    settle_statuses(&mut out, &fleet);
    (out, fleet)
}

fn merge_backend(
    out: &mut Snapshot,
    fleet: &mut Fleet,
    nodes: &[NodeData],
    node: usize,
    b: &BackendSnap,
) {
    let bi = match out.backends.iter().position(|x| x.name == b.name) {
        Some(at) => {
            add_backend(&mut out.backends[at], b);
            at
        }
        None => {
            out.backends.push(BackendSnap {
                servers: Vec::new(),
                ..b.clone()
            });
            out.backends.len() - 1
        }
    };
    for s in &b.servers {
        let merged = &mut out.backends[bi].servers;
        let si = match merged.iter().position(|x| x.name == s.name) {
            Some(at) => {
                add_server(&mut merged[at], s);
                at
            }
            None => {
                merged.push(s.clone());
                merged.len() - 1
            }
        };
        let id = ServerId {
            backend: bi,
            server: si,
        };
        let copies = fleet
            .servers
            .entry(id)
            .or_insert_with(|| vec![None; nodes.len()]);
        let key = (b.name.clone(), s.name.clone());
        copies[node] = Some(OnNode {
            server: s.clone(),
            state: nodes[node].states.get(&key).copied(),
        });
    }
}

/// Each merged server shows the worst status, weight and check among the answering nodes
/// (all nodes when none answers).
fn settle_statuses(out: &mut Snapshot, fleet: &Fleet) {
    for (id, copies) in &fleet.servers {
        let live: Vec<&ServerSnap> = fleet
            .nodes
            .iter()
            .zip(copies)
            .filter(|(n, _)| n.alive())
            .filter_map(|(_, c)| c.as_ref().map(|c| &c.server))
            .collect();
        let known: Vec<&ServerSnap> = copies.iter().flatten().map(|c| &c.server).collect();
        let pool = if live.is_empty() { known } else { live };
        let Some(worst) = pool.iter().max_by_key(|s| severity(s.status)) else {
            continue;
        };
        let Some(target) = out
            .backends
            .get_mut(id.backend)
            .and_then(|b| b.servers.get_mut(id.server))
        else {
            continue;
        };
        target.status = worst.status;
        target.weight = worst.weight;
        target.last_check = worst.last_check.clone();
    }
}

#[cfg(test)]
mod tests;
