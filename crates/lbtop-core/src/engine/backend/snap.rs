//! What a backend and its servers look like now, for the watcher and the stats page.

use super::warm::ramp_snap;
use super::{BackendRt, ServerRt};
use crate::config::Config;
use crate::engine::state::ServerState;
use crate::events::{BackendSnap, Latency, ServerSnap};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

impl BackendRt {
    pub fn snapshot(&self, cfg: &Config, now: Instant) -> BackendSnap {
        let core = self.core();
        let servers: Vec<ServerSnap> = self
            .servers
            .iter()
            .zip(&core.states)
            .enumerate()
            .map(|(i, (s, st))| {
                let mut snap = server_snap(s, st, now);
                snap.ramp = ramp_snap(&core, i, now);
                snap
            })
            .collect();
        let own = core.own;
        drop(core);
        let b = &cfg.backends[self.index];
        let mut latency = Latency::default();
        let mut http_responses: [u64; 6] =
            std::array::from_fn(|i| self.counters.http_responses[i].load(Relaxed));
        for s in &servers {
            latency.merge(&s.latency);
            for (sum, n) in http_responses.iter_mut().zip(s.http_responses) {
                *sum += n;
            }
        }
        for (sum, r) in http_responses.iter_mut().zip(&self.counters.replaced) {
            *sum = sum.saturating_sub(r.load(Relaxed));
        }
        BackendSnap {
            name: self.name.clone(),
            mode: b.mode,
            balance: b.balance,
            servers,
            total_sessions: self.counters.total_sessions.load(Relaxed),
            cur_sessions: self.counters.cur_sessions.load(Relaxed),
            queue: self.queued.load(Relaxed),
            denied_req: self.counters.denied_req.load(Relaxed),
            denied_resp: self.counters.denied_resp.load(Relaxed),
            http_responses,
            since_change: now - own.last_change,
            down_transitions: own.down_transitions,
            downtime: own.downtime(now),
            latency,
        }
    }
}

fn server_snap(s: &ServerRt, st: &ServerState, now: Instant) -> ServerSnap {
    let c = &s.counters;
    ServerSnap {
        name: s.name.clone(),
        addr: s.addr(),
        status: st.status(),
        admin: st.admin,
        last_check: st.last_check_snap(),
        since_change: now - st.last_change,
        weight: st.weight,
        backup: s.backup,
        cur_sessions: c.cur_sessions.load(Relaxed),
        max_sessions: c.max_sessions.load(Relaxed),
        limit_sessions: s.maxconn,
        total_sessions: c.total_sessions.load(Relaxed),
        lbtot: c.lbtot.load(Relaxed),
        queue: 0,
        bytes_in: c.bytes_in.load(Relaxed),
        bytes_out: c.bytes_out.load(Relaxed),
        http_responses: std::array::from_fn(|i| c.http_responses[i].load(Relaxed)),
        connect_errors: c.connect_errors.load(Relaxed),
        response_errors: c.response_errors.load(Relaxed),
        retries: c.retries.load(Relaxed),
        redispatches: c.redispatches.load(Relaxed),
        denied_resp: c.denied_resp.load(Relaxed),
        failed_checks: st.failed_checks,
        down_transitions: st.down_transitions,
        downtime: st.downtime(now),
        latency: c.latency.snapshot(),
        ramp: None,
    }
}

impl BackendRt {
    /// Every server's state now, and whether its `slowstart` ramp is running (HAProxy's
    /// STARTING), for `show servers state`.
    pub(crate) fn server_states(&self, now: Instant) -> Vec<(ServerState, bool)> {
        let core = self.core();
        core.states
            .iter()
            .zip(&core.warmups)
            .map(|(st, w)| (st.clone(), w.ramping(now)))
            .collect()
    }
}

impl super::ServerRt {
    /// The port saved in a server-state file, in place of the configured one.
    pub(crate) fn set_port(&self, port: u16) {
        self.addr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_port(port);
    }
}

impl BackendRt {
    /// A reload: each server takes the state kept from the previous configuration
    /// (`None`: as configured), and the backend keeps `prior`'s history.
    pub(crate) fn adopt(&self, prior: &BackendRt, states: Vec<Option<ServerState>>) {
        let own = prior.core().own;
        let now = Instant::now();
        let mut core = self.core();
        core.own = own;
        for (i, st) in states.into_iter().enumerate() {
            if let Some(st) = st {
                core.states[i] = st;
            }
            super::warm::push_weight(&mut core, i, now);
        }
        core.next_warm = super::warm::next_warm(&mut core, now);
    }
}
