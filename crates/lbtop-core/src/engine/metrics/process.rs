//! The `haproxy_process_*` families lbtop has the data for (HAProxy's names and help).

use super::expose::Family;
use crate::engine::Shared;
use crate::events::Snapshot;
use std::time::SystemTime;

/// The process families, in HAProxy's order. Left out: the pools, file descriptors, pipes,
/// TLS, compression, rates, tasks, peers, logs and memory.
pub fn families(shared: &Shared, snap: &Snapshot) -> Vec<Family> {
    let http = snap
        .frontends
        .iter()
        .filter(|f| f.mode == crate::config::Mode::Http);
    let requests: u64 = http.map(|f| f.total_requests + f.intercepted).sum();
    let started = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(snap.uptime);
    let listeners: usize = snap.frontends.iter().map(|f| f.binds.len()).sum();
    let threads = crate::engine::worker_count(&shared.config);
    let mut out = vec![
        one("nbthread", "Number of started threads (global.nbthread)", threads as f64),
        one("nbproc", "Number of started worker processes (historical, always 1)", 1.0),
        one("relative_process_id", "Relative worker process number (1)", 1.0),
        one("uptime_seconds", "How long ago this worker process was started (seconds)", snap.uptime.as_secs() as f64),
        one("max_connections", "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)", f64::from(shared.global.size())),
        one("current_connections", "Current number of connections on this worker process", snap.cur_conns as f64),
        one("connections_total", "Total number of connections on this worker process since started", snap.frontends.iter().map(|f| f.total_conns).sum::<u64>() as f64),
        one("requests_total", "Total number of requests on this worker process since started", requests as f64),
        one("stopping", "1 if the worker process is currently stopping, otherwise zero", 0.0),
        one("listeners", "Current number of active listeners on the current worker process", listeners as f64),
    ];
    let mut build = Family::named("haproxy_process_build_info".into(), "Build info");
    let version = format!("lbtop-{}", env!("CARGO_PKG_VERSION"));
    build.push(vec![("version", version)], 1.0);
    out.push(build);
    out.push(one(
        "start_time_seconds",
        "Start time in seconds",
        started.as_secs() as f64,
    ));
    out
}

fn one(name: &str, help: &'static str, value: f64) -> Family {
    let mut f = Family::named(format!("haproxy_process_{name}"), help);
    f.push(Vec::new(), value);
    f
}
