//! What the status words mean for a backend as a whole, the way HAProxy's BACKEND row
//! counts them (docs/haproxy-semantics.md §1.8: a backend is UP iff some server is usable, or it has none).

use crate::events::{BackendSnap, ServerSnap, ServerStatus};

/// Shown beside the status while an action waits for the engine.
pub const PENDING: &str = "…";

/// Whether the balancer may pick this server: up, not draining, weight above zero.
pub fn usable(s: &ServerSnap) -> bool {
    s.weight > 0
        && matches!(
            s.status,
            ServerStatus::Up | ServerStatus::GoingDown { .. } | ServerStatus::NoCheck
        )
}

/// The BACKEND row's status.
pub fn backend_up(b: &BackendSnap) -> bool {
    b.servers.is_empty() || b.servers.iter().any(usable)
}

/// Usable active and backup servers: the BACKEND row's `act` and `bck`.
pub fn usable_counts(b: &BackendSnap) -> (usize, usize) {
    b.servers
        .iter()
        .filter(|s| usable(s))
        .fold(
            (0, 0),
            |(a, k), s| if s.backup { (a, k + 1) } else { (a + 1, k) },
        )
}

/// The weight the balancer shares out: active servers', or backups' when no active one is left.
pub fn usable_weight(b: &BackendSnap) -> u32 {
    let sum = |backup: bool| {
        b.servers
            .iter()
            .filter(|s| usable(s) && s.backup == backup)
            .map(|s| s.weight)
            .sum::<u32>()
    };
    match sum(false) {
        0 => sum(true),
        w => w,
    }
}
