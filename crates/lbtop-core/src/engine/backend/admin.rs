//! What the runtime API changes on a server beyond admin states and weights: its
//! operational health, its address, its sessions and counters (docs/haproxy-semantics.md
//! §27.1).

use super::{BackendRt, Transition};
use crate::events::{Level, Topic};
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;

/// `set server <b>/<s> health up|down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedHealth {
    Up,
    Down,
}

impl BackendRt {
    /// The weight `set weight` gave, 0 to 256.
    pub fn user_weight(&self, server: usize) -> u32 {
        self.core().states[server].weight
    }

    /// Marks the server UP or DOWN "from CLI": a checked server's health goes to its top or
    /// bottom (its checks take over from there); one without checks stays so until told.
    pub fn force_health(&self, server: usize, to: ForcedHealth) {
        let prefix = if self.servers[server].backup {
            "Backup Server"
        } else {
            "Server"
        };
        let name = &self.servers[server].full_name;
        let moved = self.change(
            server,
            Topic::Health,
            |state, now| {
                let was_up = state.is_up();
                let up = to == ForcedHealth::Up;
                let was_stopping = state.stopping;
                state.forced_down = !up;
                state.health.value = if up { state.health.max() } else { 0 };
                state.stopping = false;
                state.mark(was_up, now);
                let is_up = state.is_up();
                let t = Transition {
                    was_up,
                    is_up,
                    moved: was_up != is_up,
                    was_stopping,
                };
                Some((t, (was_up, is_up)))
            },
            |_, _, t, tally, _| match (t.was_up, t.is_up) {
                (true, false) => vec![(
                    Level::Alert,
                    format!(
                        "{prefix} {name} is DOWN, changed from CLI. {}",
                        tally.down_tail()
                    ),
                )],
                (false, true) => vec![(
                    Level::Notice,
                    format!(
                        "{prefix} {name} is UP, changed from CLI. {}",
                        tally.up_tail()
                    ),
                )],
                _ => Vec::new(),
            },
        );
        if moved == Some((true, false)) && self.servers[server].shutdown_on_down {
            self.kill_sessions(server, b'D');
        }
    }

    /// `shutdown sessions server`: every session on it ends, killed (`K`).
    pub fn shutdown_sessions(&self, server: usize) {
        self.kill_sessions(server, b'K');
    }

    /// `set server ... addr <ip> [port <p>]`: new connections and checks go there; idle
    /// connections to the old address are closed.
    pub fn set_server_addr(&self, server: usize, ip: Option<IpAddr>, port: Option<u16>) {
        let s = &self.servers[server];
        let mut addr = s.addr.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ip) = ip {
            addr.set_ip(ip);
            s.resolved.store(true, Relaxed);
        }
        if let Some(port) = port {
            addr.set_port(port);
        }
        super::addr_changed();
        drop(addr);
        for pool in s.pools.iter() {
            pool.clear();
        }
    }

    /// `clear counters`: the maximums; with `all`, every counter and check tally too.
    pub fn clear_counters(&self, all: bool) {
        for s in self.servers.iter() {
            s.counters.clear(all);
        }
        self.counters.clear(all);
        if all {
            let mut core = self.core();
            for st in core.states.iter_mut() {
                st.failed_checks = 0;
                st.down_transitions = 0;
            }
        }
    }
}
