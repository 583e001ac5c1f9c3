//! Soft stop (docs/haproxy-semantics.md §30): what HAProxy does on SIGUSR1, and what the
//! old configuration does after a reload. The listeners close at once, idle keep-alive
//! connections close, running sessions finish (their responses say `Connection: close`),
//! and `hard-stop-after` bounds the wait: then the sessions left are killed.

use crate::engine::log_out::ProxyLog;
use crate::engine::{proxy_log, Engine, Shared};
use crate::events::{Level, Topic};
use std::time::Duration;

/// After the kill, how long sessions get to end before the engine drops them (HAProxy
/// waits a second too, measured).
const RESIST: Duration = Duration::from_secs(1);

impl Engine {
    /// Soft-stops this engine and returns once its last session ended, or once
    /// `hard-stop-after` killed those left. Its health checks, resolvers and runtime API
    /// listeners stop at once; runtime API sessions already open go on, on the newest
    /// configuration.
    pub async fn soft_stop(mut self) {
        let shared = self.gen.shared.clone();
        begin(&shared).await;
        self.tasks.shutdown().await;
        let stop = shared.live.stop.clone();
        let drained = match shared.config.global.hard_stop_after {
            Some(bound) => tokio::time::timeout(bound, stop.drained()).await.is_ok(),
            None => {
                stop.drained().await;
                true
            }
        };
        if !drained {
            hard_stop(&shared).await;
        }
        if let Some(workers) = self.workers.take() {
            let _ = tokio::task::spawn_blocking(move || workers.stop()).await;
        }
    }
}

/// Stops accepting: the flag every loop and idle connection watches, the copies kept to
/// hand on dropped (a socket no later engine holds is closed), then HAProxy's line for
/// each proxy once its listeners are closed.
async fn begin(shared: &Shared) {
    shared.live.begin_stop();
    shared.drop_sockets();
    shared.live.stop.listeners_closed().await;
    for (log, text) in stopped_lines(shared) {
        tell(shared, log.as_ref(), Level::Warning, text);
    }
}

/// `Proxy <name> stopped (cumulated conns: FE: <n>, BE: <m>).` for every frontend, then
/// every backend that is not a frontend's other half (a `listen` section is one proxy).
fn stopped_lines(shared: &Shared) -> Vec<(Option<ProxyLog>, String)> {
    let config = &shared.config;
    let mut out = Vec::new();
    let total = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    // HAProxy counts a backend's session when a request reaches it: the servers' count, or
    // the backend's own where it answered alone.
    let sessions = |b: &crate::engine::backend::BackendRt| {
        let on_servers = b.servers.iter().map(|s| total(&s.counters.total_sessions));
        on_servers
            .sum::<u64>()
            .max(total(&b.counters.total_sessions))
    };
    let backend = |name: &str| shared.backends.iter().find(|b| b.name == name);
    for (fe, cfg) in shared.frontends.iter().zip(&config.frontends) {
        let be = backend(&fe.name).map_or(0, |b| sessions(b));
        let log = proxy_log(&shared.logs, config, cfg.log_global, &cfg.log, &cfg.log_tag);
        let fe_conns = total(&fe.counters.total_conns);
        let text = format!(
            "Proxy {} stopped (cumulated conns: FE: {fe_conns}, BE: {be}).",
            fe.name
        );
        out.push((log, text));
    }
    for (be, cfg) in shared.backends.iter().zip(&config.backends) {
        if cfg.implicit || shared.frontends.iter().any(|f| f.name == be.name) {
            continue;
        }
        let log = proxy_log(&shared.logs, config, cfg.log_global, &cfg.log, &cfg.log_tag);
        let n = sessions(be);
        let text = format!(
            "Proxy {} stopped (cumulated conns: FE: 0, BE: {n}).",
            be.name
        );
        out.push((log, text));
    }
    out
}

/// `hard-stop-after` ran out: HAProxy's lines, then every session is killed (an HTTP
/// request waiting for its server gets HAProxy's 502, logged `KH`); those that do not end
/// within a second are dropped with the engine.
async fn hard_stop(shared: &Shared) {
    let global = proxy_log(&shared.logs, &shared.config, true, &[], &None);
    let text = "soft-stop running for too long, performing a hard-stop.";
    tell(shared, global.as_ref(), Level::Warning, text.into());
    let sessions = shared.live.all();
    for (fe, cfg) in shared.frontends.iter().zip(&shared.config.frontends) {
        let left = sessions.iter().filter(|s| s.frontend == fe.index).count();
        if left == 0 {
            continue;
        }
        let log = proxy_log(
            &shared.logs,
            &shared.config,
            cfg.log_global,
            &cfg.log,
            &cfg.log_tag,
        );
        let text = format!(
            "Proxy {} hard-stopped ({left} remaining conns will be closed).",
            fe.name
        );
        tell(shared, log.as_ref(), Level::Warning, text);
    }
    for s in &sessions {
        s.kill(b'K');
    }
    let stop = &shared.live.stop;
    if tokio::time::timeout(RESIST, stop.drained()).await.is_err() {
        let text = "Some tasks resisted to hard-stop, exiting now.";
        tell(shared, global.as_ref(), Level::Warning, text.into());
    }
}

/// A line to the proxy's `log` targets and to the watcher, as HAProxy sends these.
pub(super) fn tell(shared: &Shared, log: Option<&ProxyLog>, level: Level, text: String) {
    if let Some(log) = log {
        log.send(level, &text);
    }
    shared.events.log(level, Topic::System, text);
}
