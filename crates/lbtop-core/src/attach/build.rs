//! One node's answers made into a [`Snapshot`]: proxies and servers as `show stat` lists them,
//! counters as it counts them, and what the stats do not carry left empty (latency histograms)
//! rather than made up.

use super::table::{Row, Table};
use crate::config::{Balance, Config, Mode};
use crate::events::{
    AdminState, BackendSnap, CheckKind, CheckSnap, FrontendSnap, Latency, ServerSnap, ServerStatus,
    Snapshot,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// `show info`'s fields the dashboard shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    pub version: String,
    pub pid: String,
    pub uptime: Duration,
    pub cur_conns: u64,
    pub maxconn: u32,
}

impl Info {
    pub fn from_map(map: &HashMap<String, String>) -> Info {
        let num = |k: &str| map.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Info {
            version: map.get("Version").cloned().unwrap_or_default(),
            pid: map.get("Pid").cloned().unwrap_or_default(),
            uptime: Duration::from_secs(num("Uptime_sec")),
            cur_conns: num("CurrConns"),
            maxconn: u32::try_from(num("Maxconn")).unwrap_or(u32::MAX),
        }
    }
}

/// What `show servers state` adds for one server: its admin flags and check counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateRow {
    pub admin: u64,
    pub op: u64,
    pub check_health: u64,
}

/// `show servers state` keyed by `(backend, server)`.
pub fn state_rows(table: &Table) -> HashMap<(String, String), StateRow> {
    table
        .rows()
        .filter_map(|r| {
            let key = (
                r.get("be_name")?.to_string(),
                r.get("srv_name")?.to_string(),
            );
            let row = StateRow {
                admin: r.count("srv_admin_state"),
                op: r.count("srv_op_state"),
                check_health: r.count("srv_check_health"),
            };
            Some((key, row))
        })
        .collect()
}

/// A server's status from `show stat`'s words: `UP`, `UP 1/3`, `DOWN 2/3`, `NOLB`, `DRAIN`,
/// `MAINT (via b/s)`, `no check`. `NOLB` (up, taking no new traffic) reads as DRAIN.
pub fn parse_status(text: &str) -> Option<ServerStatus> {
    let mut words = text.split_whitespace();
    let word = words.next()?;
    let ratio = words.next().and_then(|r| {
        let (x, y) = r.split_once('/')?;
        Some((x.parse().ok()?, y.parse().ok()?))
    });
    Some(match (word, ratio) {
        ("UP", Some((x, y))) => ServerStatus::GoingDown { x, y },
        ("UP", None) => ServerStatus::Up,
        ("DOWN", Some((x, y))) => ServerStatus::GoingUp { x, y },
        ("DOWN", None) => ServerStatus::Down,
        ("DRAIN", Some((x, y))) => ServerStatus::DrainGoingDown { x, y },
        ("DRAIN", None) => ServerStatus::Drain,
        ("NOLB", Some((x, y))) => ServerStatus::NolbGoingDown { x, y },
        ("NOLB", None) => ServerStatus::Nolb,
        ("MAINT", _) => ServerStatus::Maint,
        ("no", _) => ServerStatus::NoCheck,
        _ => return None,
    })
}

/// `L7OK`, `L4CON`, ...; a check in progress is written `* L7OK`.
fn check_kind(text: &str) -> Option<CheckKind> {
    let short = text.trim_start_matches('*').trim();
    [
        CheckKind::Ini,
        CheckKind::L4Ok,
        CheckKind::L4Tout,
        CheckKind::L4Con,
        CheckKind::L6Ok,
        CheckKind::L6Tout,
        CheckKind::L6Rsp,
        CheckKind::L7Ok,
        CheckKind::L7Tout,
        CheckKind::L7Rsp,
        CheckKind::L7Sts,
        CheckKind::SockErr,
    ]
    .into_iter()
    .find(|k| k.short() == short)
}

fn check(row: &Row) -> Option<CheckSnap> {
    let mut c = CheckSnap::new(
        check_kind(row.get("check_status")?)?,
        row.num("check_code").and_then(|c| u16::try_from(c).ok()),
        Duration::from_millis(row.count("check_duration")),
    );
    // `last_chk`: HAProxy's `info` text of the last check.
    c.info = row
        .get("last_chk")
        .filter(|t| !t.is_empty())
        .map(String::from);
    Some(c)
}

fn responses(row: &Row) -> [u64; 6] {
    ["1xx", "2xx", "3xx", "4xx", "5xx", "other"].map(|c| row.count(&format!("hrsp_{c}")))
}

fn mode(row: &Row) -> Mode {
    match row.get("mode") {
        Some("tcp") => Mode::Tcp,
        _ => Mode::Http,
    }
}

fn balance(name: Option<&str>) -> Balance {
    let known = [
        Balance::RoundRobin,
        Balance::StaticRr,
        Balance::LeastConn,
        Balance::First,
        Balance::Source,
        Balance::Uri,
        Balance::Random,
        Balance::Hdr,
    ];
    let name = name.unwrap_or("roundrobin");
    known
        .into_iter()
        .find(|b| name.starts_with(b.as_str()))
        .unwrap_or(Balance::RoundRobin)
}

fn secs(row: &Row, name: &str) -> Duration {
    Duration::from_secs(row.count(name))
}

fn unknown_addr() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

fn server(row: &Row) -> ServerSnap {
    let name = row.get("svname").unwrap_or_default();
    let addr = row
        .get("addr")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(unknown_addr);
    let status = row
        .get("status")
        .and_then(parse_status)
        .unwrap_or(ServerStatus::NoCheck);
    ServerSnap {
        status,
        admin: admin_of(status),
        last_check: check(row),
        since_change: secs(row, "lastchg"),
        weight: u32::try_from(row.count("weight")).unwrap_or(u32::MAX),
        backup: row.count("bck") > 0,
        cur_sessions: row.count("scur"),
        max_sessions: row.count("smax"),
        limit_sessions: row.num("slim").and_then(|l| u32::try_from(l).ok()),
        total_sessions: row.count("stot"),
        lbtot: row.count("lbtot"),
        queue: row.count("qcur"),
        bytes_in: row.count("bin"),
        bytes_out: row.count("bout"),
        http_responses: responses(row),
        connect_errors: row.count("econ"),
        response_errors: row.count("eresp"),
        retries: row.count("wretr"),
        redispatches: row.count("wredis"),
        denied_resp: row.count("dresp"),
        failed_checks: row.count("chkfail"),
        down_transitions: row.count("chkdown"),
        downtime: secs(row, "downtime"),
        ..ServerSnap::idle(name, addr)
    }
}

/// HAProxy's stats say the admin state only through the status word (MAINT, DRAIN).
fn admin_of(status: ServerStatus) -> AdminState {
    match status {
        ServerStatus::Maint => AdminState::Maint,
        ServerStatus::Drain | ServerStatus::DrainGoingDown { .. } => AdminState::Drain,
        _ => AdminState::Ready,
    }
}

fn backend(name: &str, row: Option<&Row>, servers: Vec<ServerSnap>) -> BackendSnap {
    let count = |k: &str| row.map_or(0, |r| r.count(k));
    BackendSnap {
        name: name.to_string(),
        mode: row.map_or(Mode::Http, mode),
        balance: balance(row.and_then(|r| r.get("algo"))),
        servers,
        total_sessions: count("stot"),
        cur_sessions: count("scur"),
        queue: count("qcur"),
        denied_req: count("dreq"),
        denied_resp: count("dresp"),
        http_responses: row.map_or([0; 6], responses),
        since_change: row.map_or(Duration::ZERO, |r| secs(r, "lastchg")),
        down_transitions: count("chkdown"),
        downtime: row.map_or(Duration::ZERO, |r| secs(r, "downtime")),
        latency: Latency::default(),
    }
}

fn frontend(row: &Row) -> FrontendSnap {
    FrontendSnap {
        name: row.get("pxname").unwrap_or_default().to_string(),
        mode: mode(row),
        binds: Vec::new(),
        backend: usize::MAX,
        cur_conns: row.count("scur"),
        max_conns: row.count("smax"),
        limit_conns: u32::try_from(row.count("slim")).unwrap_or(u32::MAX),
        total_conns: row.count("stot"),
        total_requests: row.count("req_tot"),
        bytes_in: row.count("bin"),
        bytes_out: row.count("bout"),
        http_responses: responses(row),
        intercepted: row.count("intercepted"),
        req_errors: row.count("ereq"),
        denied_req: row.count("dreq"),
        denied_resp: row.count("dresp"),
        denied_conn: row.count("dcon"),
    }
}

/// One node's snapshot from its `show info` and `show stat`, in the order `show stat` lists
/// proxies and servers.
pub fn snapshot(info: &Info, stat: &Table) -> Snapshot {
    let mut frontends = Vec::new();
    let mut backends: Vec<(String, Vec<ServerSnap>, Option<usize>)> = Vec::new();
    let rows: Vec<Row> = stat.rows().collect();
    for (i, row) in rows.iter().enumerate() {
        let (Some(px), Some(sv)) = (row.get("pxname"), row.get("svname")) else {
            continue;
        };
        if sv == "FRONTEND" {
            frontends.push(frontend(row));
            continue;
        }
        let at = match backends.iter().position(|(name, _, _)| name == px) {
            Some(at) => at,
            None => {
                backends.push((px.to_string(), Vec::new(), None));
                backends.len() - 1
            }
        };
        match sv {
            "BACKEND" => backends[at].2 = Some(i),
            _ => backends[at].1.push(server(row)),
        }
    }
    let backends: Vec<BackendSnap> = backends
        .into_iter()
        // A listen or frontend section's own BACKEND row with no servers is still a backend.
        .map(|(name, servers, row)| backend(&name, row.map(|i| &rows[i]), servers))
        .collect();
    for fe in &mut frontends {
        fe.backend = backends
            .iter()
            .position(|b| b.name == fe.name)
            .unwrap_or(usize::MAX);
    }
    Snapshot {
        uptime: info.uptime,
        frontends,
        backends,
        cur_conns: info.cur_conns,
        maxconn: info.maxconn,
        sessions_dropped: 0,
        logs_dropped: 0,
    }
}

/// `--config` only labels: each frontend's binds and default backend, by name.
pub fn label(snap: &mut Snapshot, config: &Config) {
    for fe in &mut snap.frontends {
        let Some(conf) = config.frontends.iter().find(|f| f.name == fe.name) else {
            continue;
        };
        fe.binds = conf.binds.iter().map(|b| b.addr).collect();
        let default = config.backends.get(conf.default_backend).map(|b| &b.name);
        if let Some(at) = default.and_then(|n| snap.backends.iter().position(|b| &b.name == n)) {
            fe.backend = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attach::table::parse_stat;

    #[test]
    fn statuses_in_haproxys_words() {
        assert_eq!(parse_status("UP"), Some(ServerStatus::Up));
        assert_eq!(
            parse_status("UP 1/3"),
            Some(ServerStatus::GoingDown { x: 1, y: 3 })
        );
        assert_eq!(parse_status("NOLB"), Some(ServerStatus::Nolb));
        assert_eq!(
            parse_status("NOLB 1/3"),
            Some(ServerStatus::NolbGoingDown { x: 1, y: 3 })
        );
        assert_eq!(parse_status("MAINT (via b/s)"), Some(ServerStatus::Maint));
        assert_eq!(parse_status("no check"), Some(ServerStatus::NoCheck));
        assert_eq!(parse_status("OPEN"), None);
    }

    /// HAProxy 2.6's `last_chk` is the check's `info` (measured: `Connection refused` for
    /// an L4CON; empty for an L7STS).
    #[test]
    fn the_checks_info_comes_from_last_chk() {
        let text = "# pxname,svname,status,check_status,last_chk,addr\n\
                    hoge,web11,DOWN,L4CON,Connection refused,127.0.0.1:1\n\
                    hoge,web10,DOWN,* L7STS,,127.0.0.1:2\n";
        let snap = snapshot(&Info::default(), &parse_stat(text).unwrap());
        let check = |i: usize| snap.backends[0].servers[i].last_check.clone().unwrap();
        assert_eq!(check(0).info.as_deref(), Some("Connection refused"));
        assert_eq!(check(1).info, None);
    }

    #[test]
    fn a_node_snapshot_from_reordered_columns() {
        let text = "# svname,pxname,status,weight,check_status,check_code,check_duration,\
                    hrsp_2xx,stot,mode,algo,addr,bck\n\
                    FRONTEND,fe,OPEN,,,,,5,7,http,,,\n\
                    web10,hoge,UP,2,L7OK,200,3,4,4,http,,127.0.0.1:80,0\n\
                    web11,hoge,DRAIN,1,* L4CON,,,0,0,http,,127.0.0.1:81,1\n\
                    BACKEND,hoge,UP,3,,,,4,4,http,leastconn,,\n";
        let snap = snapshot(&Info::default(), &parse_stat(text).unwrap());
        assert_eq!(snap.frontends[0].name, "fe");
        assert_eq!(snap.frontends[0].http_responses[1], 5);
        let b = &snap.backends[0];
        assert_eq!((b.name.as_str(), b.balance), ("hoge", Balance::LeastConn));
        assert_eq!(b.servers[0].weight, 2);
        assert_eq!(
            b.servers[0].last_check.as_ref().unwrap().to_string(),
            "L7OK 200 in 3ms"
        );
        assert_eq!(b.servers[1].status, ServerStatus::Drain);
        assert_eq!(
            b.servers[1].last_check.as_ref().unwrap().kind,
            CheckKind::L4Con
        );
        assert!(b.servers[1].backup);
        assert_eq!(b.servers[1].addr.port(), 81);
    }

    #[test]
    fn a_config_only_labels_binds_and_default_backends() {
        let cfg = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    \
                   timeout server 1s\nfrontend fe\n    bind 127.0.0.1:8080\n    \
                   default_backend hoge\nbackend other\nbackend hoge\n    \
                   server web11 127.0.0.1:1\n";
        let config = Config::parse(std::path::Path::new("h.cfg"), cfg).unwrap();
        let text = "# pxname,svname,status\nfe,FRONTEND,OPEN\nhoge,web11,UP\nhoge,BACKEND,UP\n";
        let mut snap = snapshot(&Info::default(), &parse_stat(text).unwrap());
        assert_eq!(snap.frontends[0].bind_label(), "-");
        assert_eq!(snap.frontends[0].backend, usize::MAX);
        label(&mut snap, &config);
        assert_eq!(snap.frontends[0].bind_label(), "127.0.0.1:8080");
        assert_eq!(
            snap.frontends[0].backend, 0,
            "hoge, by name, as the stats list it"
        );
        assert_eq!(
            snap.backends.len(),
            1,
            "the config adds no proxy the stats do not list"
        );
    }
}
