//! Prometheus metrics (docs/haproxy-semantics.md §28): HAProxy's exporter families
//! (`http-request use-service prometheus-exporter`), from a [`Snapshot`] taken when the
//! scrape comes (the data path never waits on it), plus lbtop's latency histograms. The
//! families are computed here as plain data; `prometheus-client` writes them out.

mod answer;
mod expose;
mod families;
mod listen;
mod process;
#[cfg(test)]
mod tests;

pub(crate) use answer::scrape;
pub(crate) use listen::serve;

use super::stats::proxies;
use super::Shared;
use crate::events::Snapshot;
use expose::Family;
use families::Scope;

/// What a scrape's query asks for (`?scope=...&no-maint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub global: bool,
    pub frontend: bool,
    pub backend: bool,
    pub server: bool,
    /// Servers in maintenance are left out.
    pub no_maint: bool,
}

impl Query {
    /// HAProxy's reading (measured): every `scope=` adds a part, and the first one replaces
    /// the default of all four; an empty `scope=` clears what came before; an unknown part is
    /// a 400 (`None`). `no-maint` may carry a value; any other parameter is ignored.
    pub fn parse(query: &str) -> Option<Query> {
        let mut q = Query {
            global: true,
            frontend: true,
            backend: true,
            server: true,
            no_maint: false,
        };
        let mut scoped = false;
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "scope" => {
                    if !scoped || value.is_empty() {
                        (q.global, q.frontend, q.backend, q.server) = (false, false, false, false);
                    }
                    scoped = true;
                    q.add(value)?;
                }
                "no-maint" => q.no_maint = true,
                _ => {}
            }
        }
        Some(q)
    }

    fn add(&mut self, part: &str) -> Option<()> {
        match part {
            "" => {}
            "global" => self.global = true,
            "frontend" => self.frontend = true,
            "backend" => self.backend = true,
            "server" => self.server = true,
            _ => return None,
        }
        Some(())
    }
}

/// The exposition for `query`, from a snapshot taken now.
pub(crate) fn render(shared: &Shared, query: Query) -> String {
    let snap = shared.snapshot();
    let families = families(shared, &snap, query);
    // Nothing asked for (`scope=`): an empty body, as HAProxy sends, not a lone `# EOF`.
    match families.is_empty() {
        true => String::new(),
        false => expose::encode(families),
    }
}

fn families(shared: &Shared, snap: &Snapshot, q: Query) -> Vec<Family> {
    let cfg = &shared.config;
    let listed = proxies(cfg);
    let mut out = Vec::new();
    if q.global {
        out.extend(process::families(shared, snap));
    }
    let scopes = [
        (q.frontend, Scope::Frontend),
        (q.backend, Scope::Backend),
        (q.server, Scope::Server),
    ];
    for (_, scope) in scopes.iter().filter(|(on, _)| *on) {
        out.extend(families::proxy_families(
            cfg, snap, &listed, *scope, q.no_maint,
        ));
    }
    for (on, scope) in [(q.server, Scope::Server), (q.backend, Scope::Backend)] {
        if on {
            out.push(families::latency(snap, &listed, scope, q.no_maint));
        }
    }
    out
}
