//! `slowstart` in the backend: the balancer gets each server's weight times its share of the
//! ramp, moved on the first pick after each step is due (docs/haproxy-semantics.md §20).

use super::Core;
use crate::engine::slowstart::{ramp, SCALE};
use crate::events::{AdminState, Ramp};
use std::time::Instant;

/// The server's effective weight, scaled, to the balancer: its user weight times its
/// slow-start share when the algorithm follows weight changes (HAProxy's dynamic ones).
pub(super) fn push_weight(core: &mut Core, server: usize, now: Instant) {
    let share = if core.balancer.ramps() {
        core.warmups[server].share(now)
    } else {
        SCALE
    };
    let eweight = core.states[server].effective_weight() * share;
    core.balancer.set_eweight(server, eweight);
}

/// The earliest next move of a ramping weight; ramps that are over are forgotten.
pub(super) fn next_warm(core: &mut Core, now: Instant) -> Option<Instant> {
    core.warmups
        .iter_mut()
        .filter_map(|w| w.next_step(now))
        .min()
}

/// Moves ramping weights to where they stand now. Runs on a pick once a ramp step is due, so
/// the weight is current whenever a server is chosen, with no task of its own.
pub(super) fn warm(core: &mut Core, now: Instant) {
    for server in 0..core.states.len() {
        push_weight(core, server, now);
    }
    core.next_warm = next_warm(core, now);
}

/// The stats columns of a server part-way through its ramp; static algorithms keep it at
/// full weight, shown as 100%.
pub(super) fn ramp_snap(core: &Core, server: usize, now: Instant) -> Option<Ramp> {
    let warmup = &core.warmups[server];
    let state = &core.states[server];
    if !warmup.ramping(now) || state.admin == AdminState::Drain || state.weight == 0 {
        return None;
    }
    let share = if core.balancer.ramps() {
        warmup.share(now)
    } else {
        SCALE
    };
    Some(ramp(core.states[server].weight, share))
}
