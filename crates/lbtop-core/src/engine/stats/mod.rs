//! HAProxy's stats page (docs/haproxy-semantics.md §18): a request whose target starts with a
//! proxy's `stats uri` is answered by the proxy itself, never forwarded: the HTML page, or
//! the CSV with `;csv`, behind `stats auth` basic authentication. Both read the same
//! [`Snapshot`](crate::events::Snapshot) the dashboard reads, taken when the page is asked
//! for, so the data path never waits on it.

pub mod admin;
pub mod csv;
pub mod html;
mod serve;

pub use serve::answer;
pub(crate) use serve::log_bytes;

use super::Shared;
use crate::config::{Config, StatsPage};
use std::sync::{Arc, OnceLock, Weak};

/// HAProxy's `type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Frontend = 0,
    Backend = 1,
    Server = 2,
}

/// One HAProxy proxy as the page lists it: a `listen` is one proxy with both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub name: String,
    /// HAProxy's proxy id: its place in the configuration, from 1.
    pub iid: usize,
    /// Index into `Config::frontends`.
    pub frontend: Option<usize>,
    /// Index into `Config::backends`.
    pub backend: Option<usize>,
}

/// Every proxy in configuration order: a frontend and a backend that share a name and a line
/// are one `listen` section. A `stats socket` is HAProxy's first proxy (`GLOBAL`, listed
/// nowhere), so the ids start at 2 when there is one (docs/haproxy-semantics.md §27.2).
pub fn proxies(cfg: &Config) -> Vec<Proxy> {
    let first = 1 + usize::from(!cfg.global.stats_sockets.is_empty());
    let mut all: Vec<(usize, Proxy)> = Vec::new();
    for (i, f) in cfg.frontends.iter().enumerate() {
        all.push((f.line, proxy(&f.name, Some(i), None)));
    }
    for (i, b) in cfg.backends.iter().enumerate().filter(|(_, b)| !b.implicit) {
        let listen = all
            .iter_mut()
            .find(|(line, p)| *line == b.line && p.name == b.name && p.backend.is_none());
        match listen {
            Some((_, p)) => p.backend = Some(i),
            None => all.push((b.line, proxy(&b.name, None, Some(i)))),
        }
    }
    all.sort_by_key(|(line, _)| *line);
    all.into_iter()
        .enumerate()
        .map(|(n, (_, p))| Proxy {
            iid: n + first,
            ..p
        })
        .collect()
}

fn proxy(name: &str, frontend: Option<usize>, backend: Option<usize>) -> Proxy {
    Proxy {
        name: name.to_string(),
        iid: 0,
        frontend,
        backend,
    }
}

/// The proxies a page lists: those its `scope` lines name (`.` is the serving proxy), or
/// all of them.
pub fn in_scope(all: Vec<Proxy>, page: &StatsPage, serving: &str) -> Vec<Proxy> {
    if page.scope.is_empty() {
        return all;
    }
    let named = |p: &Proxy| {
        page.scope
            .iter()
            .any(|s| s == &p.name || (s == "." && p.name == serving))
    };
    all.into_iter().filter(named).collect()
}

/// Where a running engine's snapshot is read from, set once the engine is up (the
/// frontends exist before the engine's shared state does).
pub(super) type View = Arc<OnceLock<Weak<Shared>>>;

/// A frontend's stats page at run time.
pub struct StatsRt {
    pub page: StatsPage,
    /// The proxy serving it (the frontend's name), for `scope .`.
    pub serving: String,
    view: View,
}

impl StatsRt {
    /// The pages a frontend's requests may ask for, in the order HAProxy tries them: the
    /// frontend's own, then its backend's (one page for a `listen`).
    pub(super) fn for_frontend(cfg: &Config, index: usize, view: &View) -> Vec<Arc<StatsRt>> {
        let fe = &cfg.frontends[index];
        let be = &cfg.backends[fe.default_backend];
        let listen = fe.name == be.name && fe.line == be.line;
        let own = fe.stats.as_ref().map(|p| (p, &fe.name));
        let backend = be.stats.as_ref().filter(|_| !listen).map(|p| (p, &be.name));
        own.into_iter()
            .chain(backend)
            .map(|(page, serving)| {
                Arc::new(StatsRt {
                    page: page.clone(),
                    serving: serving.clone(),
                    view: view.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
