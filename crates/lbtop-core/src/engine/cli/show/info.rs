//! `show info [typed|json]`: the process's fields in HAProxy 2.6's order and positions
//! (docs/haproxy-semantics.md §27.2). Name and Version say lbtop; a field for something lbtop
//! never does (pools, pipes, TLS sessions, compression, peers) is the 0 HAProxy prints when
//! it does none of it either.

use super::typed::Field;
use super::Format;
use crate::engine::Shared;
use crate::events::Snapshot;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Position, name, tag letters and type of each field, as HAProxy 2.6 numbers them (45 and
/// 46 are zlib's, 51 is `description`: absent unless set, as here).
const FIELDS: [(usize, &str, &str, &str); 69] = [
    (0, "Name", "POS", "str"),
    (1, "Version", "POS", "str"),
    (2, "Release_date", "POS", "str"),
    (3, "Nbthread", "CGS", "u32"),
    (4, "Nbproc", "CGS", "u32"),
    (5, "Process_num", "KGP", "u32"),
    (6, "Pid", "SGP", "u32"),
    (7, "Uptime", "MDP", "str"),
    (8, "Uptime_sec", "MDP", "u32"),
    (9, "Memmax_MB", "CLP", "u32"),
    (10, "PoolAlloc_MB", "MGP", "u32"),
    (11, "PoolUsed_MB", "MGP", "u32"),
    (12, "PoolFailed", "MCP", "u32"),
    (13, "Ulimit-n", "CLP", "u32"),
    (14, "Maxsock", "CLP", "u32"),
    (15, "Maxconn", "CLP", "u32"),
    (16, "Hard_maxconn", "CLP", "u32"),
    (17, "CurrConns", "MGP", "u32"),
    (18, "CumConns", "MCP", "u32"),
    (19, "CumReq", "MCP", "u32"),
    (20, "MaxSslConns", "MMP", "u32"),
    (21, "CurrSslConns", "MGP", "u32"),
    (22, "CumSslConns", "MCP", "u32"),
    (23, "Maxpipes", "CLP", "u32"),
    (24, "PipesUsed", "MGP", "u32"),
    (25, "PipesFree", "MGP", "u32"),
    (26, "ConnRate", "MRP", "u32"),
    (27, "ConnRateLimit", "CLP", "u32"),
    (28, "MaxConnRate", "MMP", "u32"),
    (29, "SessRate", "MRP", "u32"),
    (30, "SessRateLimit", "CLP", "u32"),
    (31, "MaxSessRate", "MRP", "u32"),
    (32, "SslRate", "MRP", "u32"),
    (33, "SslRateLimit", "CLP", "u32"),
    (34, "MaxSslRate", "MMP", "u32"),
    (35, "SslFrontendKeyRate", "MGP", "u32"),
    (36, "SslFrontendMaxKeyRate", "MMP", "u32"),
    (37, "SslFrontendSessionReuse_pct", "MGP", "u32"),
    (38, "SslBackendKeyRate", "MRP", "u32"),
    (39, "SslBackendMaxKeyRate", "MMP", "u32"),
    (40, "SslCacheLookups", "MCP", "u32"),
    (41, "SslCacheMisses", "MCP", "u32"),
    (42, "CompressBpsIn", "MRP", "u32"),
    (43, "CompressBpsOut", "MRP", "u32"),
    (44, "CompressBpsRateLim", "CLP", "u32"),
    (47, "Tasks", "MGP", "u32"),
    (48, "Run_queue", "MGP", "u32"),
    (49, "Idle_pct", "MaP", "u32"),
    (50, "node", "COS", "str"),
    (52, "Stopping", "MGP", "u32"),
    (53, "Jobs", "MGP", "u32"),
    (54, "Unstoppable Jobs", "MGP", "u32"),
    (55, "Listeners", "MGP", "u32"),
    (56, "ActivePeers", "MGP", "u32"),
    (57, "ConnectedPeers", "MGP", "u32"),
    (58, "DroppedLogs", "MGP", "u32"),
    (59, "BusyPolling", "MGP", "u32"),
    (60, "FailedResolutions", "MGP", "u32"),
    (61, "TotalBytesOut", "MGP", "u64"),
    (62, "TotalSplicdedBytesOut", "MGP", "u64"),
    (63, "BytesOutRate", "MRP", "u64"),
    (64, "DebugCommandsIssued", "MGP", "u32"),
    (65, "CumRecvLogs", "MCP", "u32"),
    (66, "Build info", "POS", "str"),
    (67, "Memmax_bytes", "CLP", "u32"),
    (68, "PoolAlloc_bytes", "MGP", "u64"),
    (69, "PoolUsed_bytes", "MGP", "u64"),
    (70, "Start_time_sec", "MDP", "u32"),
    (71, "Tainted", "SGP", "str"),
];

/// The answer to `show info` in `format`.
pub(super) fn answer(shared: &Shared, format: Format) -> String {
    let snap = shared.snapshot();
    let values: Vec<String> = FIELDS
        .iter()
        .map(|(_, name, ..)| value(shared, &snap, name))
        .collect();
    let fields = FIELDS
        .iter()
        .zip(&values)
        .map(|((pos, name, tags, kind), v)| Field {
            pos: *pos,
            name,
            tags,
            kind,
            value: v,
        });
    match format {
        Format::Csv => {
            fields
                .map(|f| format!("{}: {}\n", f.name, f.value))
                .collect::<String>()
                + "\n"
        }
        Format::Typed => fields.map(|f| f.typed()).collect::<String>() + "\n",
        Format::Json => {
            let objects: Vec<String> = fields
                .map(|f| {
                    let mut o = String::from("{");
                    f.json_tail(&mut o);
                    o
                })
                .collect();
            format!("[{}]\n\n", objects.join(","))
        }
    }
}

/// One field's value now.
/// The date of this version, in HAProxy's `YYYY/MM/DD` form; changed with the version.
const RELEASE_DATE: &str = "2026/11/27";

fn value(shared: &Shared, snap: &Snapshot, name: &str) -> String {
    let cfg = &shared.config;
    let fronts = &snap.frontends;
    let up = snap.uptime;
    match name {
        "Name" => "lbtop".into(),
        "Version" | "Build info" => env!("CARGO_PKG_VERSION").into(),
        // Clients such as hatop refuse an info block whose Release_date is empty.
        "Release_date" => RELEASE_DATE.into(),
        "Nbthread" => crate::engine::worker_count(cfg).to_string(),
        "Nbproc" | "Process_num" => "1".into(),
        "Pid" => std::process::id().to_string(),
        "Uptime" => uptime(up),
        "Uptime_sec" => up.as_secs().to_string(),
        "Ulimit-n" | "Maxsock" => crate::engine::limit::open_files().to_string(),
        "Maxconn" => shared.global.size().to_string(),
        "Hard_maxconn" => shared.maxconn.to_string(),
        "CurrConns" => snap.cur_conns.to_string(),
        "CumConns" => fronts
            .iter()
            .map(|f| f.total_conns)
            .sum::<u64>()
            .to_string(),
        "CumReq" => fronts
            .iter()
            .map(|f| f.total_requests + f.intercepted)
            .sum::<u64>()
            .to_string(),
        "Idle_pct" => idle_pct(up, crate::engine::worker_count(cfg)).to_string(),
        // `node` in `global` loads ignored, so this is always the host's name.
        "node" => hostname(),
        "Jobs" => (listeners(shared) + snap.cur_conns).to_string(),
        "Listeners" => listeners(shared).to_string(),
        "DroppedLogs" => snap.logs_dropped.to_string(),
        "TotalBytesOut" => total_bytes_out(snap).to_string(),
        "Start_time_sec" => start_time(up).to_string(),
        _ => "0".into(),
    }
}

/// `0d 0h00m01s`.
fn uptime(up: Duration) -> String {
    let s = up.as_secs();
    let (d, h, m) = (s / 86400, s / 3600 % 24, s / 60 % 60);
    format!("{d}d {h}h{m:02}m{:02}s", s % 60)
}

fn start_time(up: Duration) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(up).as_secs()
}

/// Every bind lbtop listens on, and the stats socket (which HAProxy counts as one).
fn listeners(shared: &Shared) -> u64 {
    let binds: usize = shared.frontends.iter().map(|f| f.binds.len()).sum();
    binds as u64 + shared.config.global.stats_sockets.len() as u64
}

/// Bytes sent to clients and to servers.
fn total_bytes_out(snap: &Snapshot) -> u64 {
    let to_clients: u64 = snap.frontends.iter().map(|f| f.bytes_out).sum();
    let servers = snap.backends.iter().flat_map(|b| &b.servers);
    to_clients + servers.map(|s| s.bytes_in).sum::<u64>()
}

/// The share of the workers' time not spent on the CPU since start (HAProxy measures its
/// polling loop instead; lbtop counts the process's CPU time).
fn idle_pct(up: Duration, workers: usize) -> u64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given and nothing else.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 100;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let busy = secs(u.ru_utime) + secs(u.ru_stime);
    let wall = up.as_secs_f64() * workers.max(1) as f64;
    if wall <= 0.0 {
        return 100;
    }
    (100.0 - 100.0 * busy / wall).clamp(0.0, 100.0) as u64
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    if !ok {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_as_haproxy_writes_it() {
        assert_eq!(uptime(Duration::from_secs(1)), "0d 0h00m01s");
        assert_eq!(uptime(Duration::from_secs(90061)), "1d 1h01m01s");
    }

    #[test]
    fn json_quotes_names() {
        use super::super::typed::quote;
        assert_eq!(quote("Unstoppable Jobs"), "\"Unstoppable Jobs\"");
    }
}
