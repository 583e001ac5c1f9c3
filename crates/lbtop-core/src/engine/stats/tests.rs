//! The stats CSV and page from a fixed snapshot: HAProxy 2.6's header line, the order of
//! proxies and rows, and the fields of each kind of row.

use super::csv::{self, Row, COLUMNS};
use super::{html, in_scope, proxies, serve::Flags, Proxy};
use crate::config::{Config, StatsPage};
use crate::events::{
    BackendSnap, CheckKind, CheckSnap, FrontendSnap, ServerSnap, ServerStatus, Snapshot,
};
use std::path::Path;
use std::time::Duration;

/// HAProxy 2.6.12's header line, as `curl '<uri>;csv'` printed it.
const HAPROXY_HEADER: &str = include_str!("haproxy-2.6-csv-header.txt");

const CFG: &str = "defaults\n    mode http\nlisten stats\n    bind 127.0.0.1:1\n    stats enable\nfrontend fe\n    bind 127.0.0.1:2\n    default_backend be\nbackend be\n    server a 127.0.0.1:3 check rise 2 fall 3\n    server b 127.0.0.1:4 backup\n";

fn config() -> Config {
    Config::parse(Path::new("t.cfg"), CFG).unwrap()
}

fn snapshot(cfg: &Config) -> Snapshot {
    let frontends = cfg
        .frontends
        .iter()
        .map(|f| FrontendSnap {
            name: f.name.clone(),
            mode: f.mode,
            binds: f.binds.iter().map(|b| b.addr).collect(),
            backend: f.default_backend,
            cur_conns: 1,
            max_conns: 2,
            limit_conns: 100,
            total_conns: 7,
            total_requests: 5,
            bytes_in: 10,
            bytes_out: 20,
            http_responses: [0, 5, 0, 1, 0, 0],
            intercepted: 1,
            req_errors: 1,
            denied_req: 0,
            denied_resp: 0,
            denied_conn: 0,
        })
        .collect();
    let a = ServerSnap {
        status: ServerStatus::GoingDown { x: 2, y: 3 },
        last_check: Some(CheckSnap::new(
            CheckKind::L7Sts,
            Some(404),
            Duration::from_millis(3),
        )),
        total_sessions: 5,
        http_responses: [0, 5, 0, 0, 0, 0],
        ..ServerSnap::idle("a", "127.0.0.1:3".parse().unwrap())
    };
    let b = ServerSnap {
        backup: true,
        status: ServerStatus::NoCheck,
        ..ServerSnap::idle("b", "127.0.0.1:4".parse().unwrap())
    };
    let backend = |name: &str, servers: Vec<ServerSnap>| BackendSnap {
        name: name.into(),
        mode: crate::config::Mode::Http,
        balance: crate::config::Balance::RoundRobin,
        servers,
        total_sessions: 5,
        cur_sessions: 0,
        queue: 0,
        denied_req: 0,
        denied_resp: 0,
        http_responses: [0, 5, 0, 0, 1, 0],
        since_change: Duration::from_secs(9),
        down_transitions: 0,
        downtime: Duration::ZERO,
        latency: Default::default(),
    };
    Snapshot {
        uptime: Duration::from_secs(9),
        frontends,
        backends: vec![backend("stats", vec![]), backend("be", vec![a, b])],
        cur_conns: 2,
        maxconn: 100,
        sessions_dropped: 0,
        logs_dropped: 0,
    }
}

fn rows(cfg: &Config, snap: &Snapshot) -> Vec<Row> {
    proxies(cfg)
        .iter()
        .flat_map(|p| csv::rows(cfg, snap, p))
        .collect()
}

#[test]
fn the_header_is_haproxys_byte_for_byte() {
    assert_eq!(csv::header(), HAPROXY_HEADER);
    assert_eq!(COLUMNS.len(), 128);
}

#[test]
fn proxies_in_configuration_order_with_a_listen_as_one() {
    let cfg = config();
    let p = proxies(&cfg);
    let view: Vec<_> = p
        .iter()
        .map(|p| (p.name.as_str(), p.iid, p.frontend, p.backend))
        .collect();
    assert_eq!(
        view,
        [
            ("stats", 1, Some(0), Some(0)),
            ("fe", 2, Some(1), None),
            ("be", 3, None, Some(1))
        ]
    );
    let mut page = StatsPage::new(1);
    page.scope = vec![".".into(), "be".into()];
    let kept: Vec<String> = in_scope(p, &page, "stats")
        .into_iter()
        .map(|p: Proxy| p.name)
        .collect();
    assert_eq!(kept, ["stats", "be"]);
}

#[test]
fn rows_go_frontend_servers_backend_per_proxy() {
    let cfg = config();
    let names: Vec<String> = rows(&cfg, &snapshot(&cfg))
        .iter()
        .map(|r| format!("{}/{}", r.get("pxname"), r.get("svname")))
        .collect();
    assert_eq!(
        names,
        [
            "stats/FRONTEND",
            "stats/BACKEND",
            "fe/FRONTEND",
            "be/a",
            "be/b",
            "be/BACKEND"
        ]
    );
}

#[test]
fn each_row_kind_fills_what_lbtop_knows() {
    let cfg = config();
    let all = rows(&cfg, &snapshot(&cfg));
    let get = |i: usize, c: &str| all[i].get(c).to_string();
    // FRONTEND of `fe`.
    for (c, v) in [
        ("stot", "7"),
        ("slim", "100"),
        ("status", "OPEN"),
        ("type", "0"),
        ("iid", "2"),
        ("sid", "0"),
        ("ereq", "1"),
        // 5 forwarded, 1 intercepted, and the bad request (cli_show_diff measures it).
        ("req_tot", "7"),
        ("intercepted", "1"),
        ("hrsp_4xx", "1"),
        ("rate", ""),
        ("h2_total_connections", "0"),
        ("-", "-"),
    ] {
        assert_eq!(get(2, c), v, "fe FRONTEND {c}");
    }
    // Server `a`: checked, going down.
    for (c, v) in [
        ("status", "UP 2/3"),
        ("check_status", "L7STS"),
        ("check_code", "404"),
        ("check_desc", "Layer7 wrong status"),
        ("check_health", "3"),
        ("check_rise", "2"),
        ("check_fall", "3"),
        ("act", "1"),
        ("bck", "0"),
        ("sid", "1"),
        ("type", "2"),
        ("hrsp_2xx", "5"),
        ("h1_total_connections", ""),
    ] {
        assert_eq!(get(3, c), v, "server a {c}");
    }
    // Server `b`: no checks, backup.
    for (c, v) in [
        ("status", "no check"),
        ("check_status", ""),
        ("chkfail", ""),
        ("bck", "1"),
        ("sid", "2"),
    ] {
        assert_eq!(get(4, c), v, "server b {c}");
    }
    // BACKEND: the active server carries the weight; the backup counts as usable.
    for (c, v) in [
        ("status", "UP"),
        ("weight", "1"),
        ("act", "1"),
        ("bck", "1"),
        ("slim", "10"),
        ("hrsp_5xx", "1"),
        ("lastchg", "9"),
        ("type", "1"),
    ] {
        assert_eq!(get(5, c), v, "be BACKEND {c}");
    }
    // A backend without servers is UP, as HAProxy calls it.
    assert_eq!(get(1, "status"), "UP");
    assert!(all.iter().all(|r| r.line().ends_with(",\n")));
}

#[test]
fn the_page_lists_every_proxy_and_server_with_its_colour() {
    let cfg = config();
    let snap = snapshot(&cfg);
    let mut page = StatsPage::new(1);
    page.refresh = Some(Duration::from_secs(5));
    let html = html::render(&cfg, &snap, &proxies(&cfg), &page, Flags::default());
    for want in [
        ">stats</a>",
        ">fe</a>",
        ">be</a>",
        "<td class=ac>a</td>",
        "<td class=ac>b</td>",
        "class=\"active_going_down\"",
        "class=\"backup_no_check\"",
        "<th colspan=3>Queue</th>",
        "<th>Dwntme</th>",
        "content=\"5\"",
        "lbtop version",
        "active or backup DOWN for maintenance (MAINT)",
    ] {
        assert!(html.contains(want), "{want:?} missing");
    }
    page.hide_version = true;
    let hidden = html::render(&cfg, &snap, &proxies(&cfg), &page, Flags::default());
    assert!(!hidden.contains("version"));
}
