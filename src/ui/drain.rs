//! Drain, then maintenance once the sessions reach 0 (`M`): what operators script by hand
//! (`set server … state drain`, poll `show stat` until `scur` is 0, `… state maint`). The
//! dashboard watches each snapshot; the jobs live in this dashboard only and end with it
//! (the servers then stay in DRAIN).

use crate::events::{ServerId, ServerStatus, Snapshot};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// DRAIN was asked; waiting for it to show and for the sessions to end.
    Draining { left: Option<u64> },
    /// MAINT was asked; waiting for it to show.
    MaintSent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub label: String,
    pub phase: Phase,
}

/// What a snapshot moved on.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Servers whose sessions reached 0: put them in MAINT now.
    pub maint: Vec<ServerId>,
    /// Servers now in MAINT: done.
    pub done: Vec<String>,
    /// Servers made ready again elsewhere (the `:` prompt, the stats socket): left alone.
    pub stopped: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Drains {
    jobs: BTreeMap<ServerId, Job>,
    /// The progress last said, so an unchanged one does not cover newer messages.
    said: Option<String>,
}

impl Drains {
    pub fn start(&mut self, id: ServerId, label: &str) {
        let job = Job {
            label: label.to_string(),
            phase: Phase::Draining { left: None },
        };
        self.jobs.insert(id, job);
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    pub fn job(&self, id: ServerId) -> Option<&Job> {
        self.jobs.get(&id)
    }

    /// Stops watching these servers; returns the labels of those that were watched.
    pub fn cancel(&mut self, ids: &[ServerId]) -> Vec<String> {
        ids.iter()
            .filter_map(|id| self.jobs.remove(id))
            .map(|j| j.label)
            .collect()
    }

    /// Stops watching every server.
    pub fn cancel_all(&mut self) -> Vec<String> {
        std::mem::take(&mut self.jobs)
            .into_values()
            .map(|j| j.label)
            .collect()
    }

    /// A new snapshot. `draining` says whether the DRAIN asked for a server is still on its
    /// way (pending): until it lands its sessions are not counted. A server gone from the
    /// snapshot is dropped.
    pub fn step(&mut self, snap: &Snapshot, pending: impl Fn(ServerId) -> bool) -> Step {
        let mut step = Step::default();
        self.jobs.retain(|id, job| {
            let Some(s) = snap
                .backends
                .get(id.backend)
                .and_then(|b| b.servers.get(id.server))
            else {
                return false;
            };
            match job.phase {
                _ if s.status == ServerStatus::Maint => {
                    step.done.push(job.label.clone());
                    return false;
                }
                Phase::Draining { .. } if pending(*id) => {}
                // Visibly ready again: someone else undid the drain.
                Phase::Draining { .. } if ready(s.status) => {
                    step.stopped.push(job.label.clone());
                    return false;
                }
                Phase::Draining { .. } if s.cur_sessions == 0 => {
                    job.phase = Phase::MaintSent;
                    step.maint.push(*id);
                }
                Phase::Draining { .. } => {
                    job.phase = Phase::Draining {
                        left: Some(s.cur_sessions),
                    };
                }
                Phase::MaintSent => {}
            }
            true
        });
        step
    }

    /// The progress, when it changed since it was last asked for.
    pub fn fresh_progress(&mut self) -> Option<String> {
        let now = self.progress();
        if now == self.said {
            return None;
        }
        self.said.clone_from(&now);
        now
    }

    /// The status line while jobs run: `web11 draining: 3 sessions left …`.
    pub fn progress(&self) -> Option<String> {
        let parts: Vec<String> = self.jobs.values().map(Job::progress).collect();
        (!parts.is_empty()).then(|| format!("{} (Esc cancels)", parts.join(" · ")))
    }
}

/// Up and taking traffic: not draining, not down, not in maintenance.
fn ready(status: ServerStatus) -> bool {
    matches!(
        status,
        ServerStatus::Up | ServerStatus::GoingDown { .. } | ServerStatus::NoCheck
    )
}

impl Job {
    pub fn progress(&self) -> String {
        match self.phase {
            Phase::Draining { left: None } => format!("{} draining …", self.label),
            Phase::Draining { left: Some(1) } => {
                format!("{} draining: 1 session left …", self.label)
            }
            Phase::Draining { left: Some(n) } => {
                format!("{} draining: {n} sessions left …", self.label)
            }
            Phase::MaintSent => format!("{} drained: maint …", self.label),
        }
    }

    /// The row's marker: sessions left, or that MAINT is on its way.
    pub fn marker(&self) -> String {
        match self.phase {
            Phase::Draining { left: Some(n) } => format!("→M {n}"),
            _ => "→M".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ServerSnap;

    fn snap(status: ServerStatus, cur: u64) -> Snapshot {
        let s = ServerSnap {
            status,
            cur_sessions: cur,
            ..ServerSnap::idle("web11", "127.0.0.1:8011".parse().unwrap())
        };
        Snapshot {
            uptime: Default::default(),
            frontends: vec![],
            backends: vec![crate::events::BackendSnap {
                name: "hoge".into(),
                mode: crate::config::Mode::Http,
                balance: crate::config::Balance::RoundRobin,
                servers: vec![s],
                total_sessions: 0,
                cur_sessions: cur,
                queue: 0,
                denied_req: 0,
                denied_resp: 0,
                http_responses: [0; 6],
                since_change: Default::default(),
                down_transitions: 0,
                downtime: Default::default(),
                latency: Default::default(),
            }],
            cur_conns: 0,
            maxconn: 0,
            sessions_dropped: 0,
            logs_dropped: 0,
        }
    }

    #[test]
    fn waits_for_the_drain_then_the_sessions_then_maint() {
        let id = ServerId {
            backend: 0,
            server: 0,
        };
        let mut d = Drains::default();
        d.start(id, "hoge/web11");
        // DRAIN not applied yet: sessions are not counted.
        assert_eq!(
            d.step(&snap(ServerStatus::Up, 0), |_| true),
            Step::default()
        );
        assert_eq!(
            d.step(&snap(ServerStatus::Drain, 3), |_| false),
            Step::default()
        );
        assert_eq!(
            d.progress().unwrap(),
            "hoge/web11 draining: 3 sessions left … (Esc cancels)"
        );
        let step = d.step(&snap(ServerStatus::Drain, 0), |_| false);
        assert_eq!(step.maint, vec![id]);
        assert_eq!(
            d.step(&snap(ServerStatus::Drain, 0), |_| false),
            Step::default()
        );
        let step = d.step(&snap(ServerStatus::Maint, 0), |_| false);
        assert_eq!(step.done, vec!["hoge/web11".to_string()]);
        assert!(d.is_empty());
        // Made ready elsewhere once the drain had landed: left alone, no MAINT.
        d.start(id, "hoge/web11");
        assert_eq!(
            d.step(&snap(ServerStatus::Drain, 2), |_| false),
            Step::default()
        );
        let step = d.step(&snap(ServerStatus::Up, 0), |_| false);
        assert_eq!(step.stopped, vec!["hoge/web11".to_string()]);
        assert!(step.maint.is_empty() && d.is_empty());
    }
}
