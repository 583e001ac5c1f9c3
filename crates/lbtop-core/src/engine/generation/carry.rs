//! What a reload keeps (docs/haproxy-semantics.md §30): servers matched by backend and
//! server name keep their counters and their state (health, DRAIN/MAINT, weight) unless the
//! file changed that value; frontends matched by name keep their counters. Counters are
//! shared, not copied, so sessions still finishing on the old configuration count too.

use crate::config::Server;
use crate::engine::backend::BackendRt;
use crate::engine::frontend::FrontendRt;
use crate::engine::state::ServerState;
use crate::engine::Shared;
use std::time::Instant;

/// The backend of the same name keeps counting: the backend's and each server's counters.
pub(crate) fn counters(prior: &Shared, be: &mut BackendRt) {
    let Some(old) = prior.backends.iter().find(|b| b.name == be.name) else {
        return;
    };
    be.counters = old.counters.clone();
    for s in &mut be.servers {
        if let Some(o) = old.servers.iter().find(|o| o.name == s.name) {
            s.counters = o.counters.clone();
        }
    }
}

/// The frontend of the same name keeps counting.
pub(crate) fn frontend(prior: &Shared, fe: &mut FrontendRt) {
    if let Some(old) = prior.frontends.iter().find(|f| f.name == fe.name) {
        fe.counters = old.counters.clone();
    }
}

/// Every server found in `prior` takes its state there, as [`kept`] says.
pub(crate) fn states(prior: &Shared, shared: &Shared) {
    let now = Instant::now();
    for (cfg, be) in shared.config.backends.iter().zip(&shared.backends) {
        let found = prior
            .backends
            .iter()
            .enumerate()
            .find(|(_, b)| b.name == be.name);
        let Some((o, old)) = found else {
            continue;
        };
        let old_cfg = &prior.config.backends[o];
        let old_states = old.server_states(now);
        let states = cfg
            .servers
            .iter()
            .map(|s| {
                let (j, was) = old_cfg
                    .servers
                    .iter()
                    .enumerate()
                    .find(|(_, w)| w.name == s.name)?;
                Some(kept(was, s, old_states.get(j)?.0.clone(), now))
            })
            .collect();
        be.adopt(old, states);
    }
}

/// A server's state after a reload: as it was, but a value the file changed is the file's.
/// A new address, check settings or `disabled` start its health over, as configured.
fn kept(was: &Server, now_cfg: &Server, state: ServerState, now: Instant) -> ServerState {
    let restart = was.addr != now_cfg.addr
        || was.check != now_cfg.check
        || was.rise != now_cfg.rise
        || was.fall != now_cfg.fall
        || was.disabled != now_cfg.disabled;
    let mut out = if restart {
        let s = now_cfg;
        ServerState::new(s.weight, s.check, s.rise, s.fall, s.starts_in_maint(), now)
    } else {
        state.clone()
    };
    // Without a new `disabled`, an operator's DRAIN or MAINT stays.
    if was.disabled == now_cfg.disabled && restart {
        out.admin = state.admin;
    }
    out.weight = if was.weight != now_cfg.weight {
        now_cfg.weight
    } else {
        state.weight
    };
    out
}
