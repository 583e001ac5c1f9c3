//! The exporter's query, families and text, from a fixed snapshot.

use super::expose::{encode, Family, Kind, Value};
use super::families::{latency, proxy_families, Scope};
use super::Query;
use crate::config::Config;
use crate::engine::stats::proxies;
use crate::events::{
    BackendSnap, CheckKind, CheckSnap, FrontendSnap, Latency, ServerSnap, ServerStatus, Snapshot,
};
use std::path::Path;
use std::time::Duration;

const CFG: &str = "defaults\n    mode http\nfrontend fe\n    bind 127.0.0.1:2\n    default_backend be\nbackend be\n    server a 127.0.0.1:3 check\n    server b 127.0.0.1:4\n    server m 127.0.0.1:5 disabled\n";

fn config() -> Config {
    Config::parse(Path::new("t.cfg"), CFG).unwrap()
}

fn snapshot(cfg: &Config) -> Snapshot {
    let f = &cfg.frontends[0];
    let fe = FrontendSnap {
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
        req_errors: 0,
        denied_req: 0,
        denied_resp: 0,
        denied_conn: 0,
    };
    let a = ServerSnap {
        status: ServerStatus::GoingDown { x: 2, y: 3 },
        last_check: Some(CheckSnap::new(
            CheckKind::L7Sts,
            Some(404),
            Duration::from_millis(3),
        )),
        total_sessions: 5,
        weight: 7,
        http_responses: [0, 5, 0, 0, 0, 0],
        latency: Latency::from_samples(&[Duration::from_micros(5), Duration::from_millis(3)]),
        ..ServerSnap::idle("a", "127.0.0.1:3".parse().unwrap())
    };
    let b = ServerSnap {
        status: ServerStatus::NoCheck,
        ..ServerSnap::idle("b", "127.0.0.1:4".parse().unwrap())
    };
    let m = ServerSnap {
        status: ServerStatus::Maint,
        ..ServerSnap::idle("m", "127.0.0.1:5".parse().unwrap())
    };
    let mut merged = Latency::default();
    merged.merge(&a.latency);
    let be = BackendSnap {
        name: "be".into(),
        mode: crate::config::Mode::Http,
        balance: crate::config::Balance::RoundRobin,
        servers: vec![a, b, m],
        total_sessions: 5,
        cur_sessions: 0,
        queue: 0,
        denied_req: 0,
        denied_resp: 0,
        http_responses: [0, 5, 0, 0, 0, 0],
        since_change: Duration::from_secs(9),
        down_transitions: 0,
        downtime: Duration::ZERO,
        latency: merged,
    };
    Snapshot {
        uptime: Duration::from_secs(9),
        frontends: vec![fe],
        backends: vec![be],
        cur_conns: 1,
        maxconn: 100,
        sessions_dropped: 0,
        logs_dropped: 0,
    }
}

fn text(scope: Scope, no_maint: bool) -> String {
    let cfg = config();
    let snap = snapshot(&cfg);
    encode(proxy_families(&cfg, &snap, &proxies(&cfg), scope, no_maint))
}

#[test]
fn the_query_reads_as_haproxy_reads_it() {
    let q = |s: &str| Query::parse(s).map(|q| (q.global, q.frontend, q.backend, q.server));
    assert_eq!(q(""), Some((true, true, true, true)));
    assert_eq!(q("foo=bar"), Some((true, true, true, true)));
    assert_eq!(q("scope=server"), Some((false, false, false, true)));
    assert_eq!(
        q("scope=frontend&scope=server"),
        Some((false, true, false, true))
    );
    // An empty scope clears what came before it, not what comes after.
    assert_eq!(q("scope=server&scope="), Some((false, false, false, false)));
    assert_eq!(q("scope=&scope=server"), Some((false, false, false, true)));
    assert_eq!(q("scope=global"), Some((true, false, false, false)));
    assert_eq!(q("scope=bogus"), None);
    assert_eq!(q("scope=Frontend"), None);
    assert!(Query::parse("no-maint").unwrap().no_maint);
    assert!(Query::parse("scope=server&no-maint=1").unwrap().no_maint);
    assert!(!Query::parse("scope=server").unwrap().no_maint);
}

#[test]
fn server_families_carry_haproxys_one_hots() {
    let t = text(Scope::Server, false);
    for want in [
        "# TYPE haproxy_server_sessions counter\n",
        "haproxy_server_sessions_total{proxy=\"be\",server=\"a\"} 5\n",
        // UP 2/3 is UP; a server with no check is UP.
        "haproxy_server_status{proxy=\"be\",server=\"a\",state=\"UP\"} 1\n",
        "haproxy_server_status{proxy=\"be\",server=\"a\",state=\"DOWN\"} 0\n",
        "haproxy_server_status{proxy=\"be\",server=\"b\",state=\"UP\"} 1\n",
        "haproxy_server_status{proxy=\"be\",server=\"m\",state=\"MAINT\"} 1\n",
        "haproxy_server_check_status{proxy=\"be\",server=\"a\",state=\"L7STS\"} 1\n",
        "haproxy_server_check_code{proxy=\"be\",server=\"a\"} 404\n",
        "haproxy_server_check_duration_seconds{proxy=\"be\",server=\"a\"} 0.003\n",
        "haproxy_server_weight{proxy=\"be\",server=\"a\"} 7\n",
        // No check: HAProxy's NaN.
        "haproxy_server_check_failures_total{proxy=\"be\",server=\"b\"} NaN\n",
        "haproxy_server_http_responses_total{proxy=\"be\",server=\"a\",code=\"2xx\"} 5\n",
        "# EOF\n",
    ] {
        assert!(t.contains(want), "{want}\n---\n{t}");
    }
    // The check families list checked servers only.
    assert!(!t.contains("check_status{proxy=\"be\",server=\"b\""), "{t}");
    assert!(!t.contains("check_code{proxy=\"be\",server=\"b\""), "{t}");
    let kept = text(Scope::Server, true);
    assert!(!kept.contains("server=\"m\""), "{kept}");
    assert!(kept.contains("server=\"b\""), "{kept}");
}

#[test]
fn backend_and_frontend_families() {
    let be = text(Scope::Backend, false);
    for want in [
        "haproxy_backend_status{proxy=\"be\",state=\"UP\"} 1\n",
        "haproxy_backend_agg_server_status{proxy=\"be\",state=\"UP\"} 2\n",
        "haproxy_backend_agg_server_status{proxy=\"be\",state=\"MAINT\"} 1\n",
        "haproxy_backend_agg_check_status{proxy=\"be\",state=\"L7STS\"} 1\n",
        "haproxy_backend_http_requests_total{proxy=\"be\"} 5\n",
    ] {
        assert!(be.contains(want), "{want}\n---\n{be}");
    }
    let fe = text(Scope::Frontend, false);
    for want in [
        "haproxy_frontend_status{proxy=\"fe\",state=\"UP\"} 1\n",
        "haproxy_frontend_intercepted_requests_total{proxy=\"fe\"} 1\n",
        "haproxy_frontend_http_requests_total{proxy=\"fe\"} 6\n",
        "haproxy_frontend_connections_total{proxy=\"fe\"} 7\n",
    ] {
        assert!(fe.contains(want), "{want}\n---\n{fe}");
    }
    assert!(!fe.contains("haproxy_backend_"), "{fe}");
}

#[test]
fn latency_histograms_count_every_sample() {
    let cfg = config();
    let snap = snapshot(&cfg);
    let listed = proxies(&cfg);
    let t = encode(vec![
        latency(&snap, &listed, Scope::Server, false),
        latency(&snap, &listed, Scope::Backend, false),
    ]);
    for want in [
        "# TYPE lbtop_server_response_seconds histogram\n",
        "lbtop_server_response_seconds_count{proxy=\"be\",server=\"a\"} 2\n",
        "lbtop_server_response_seconds_sum{proxy=\"be\",server=\"a\"} 0.003005\n",
        // 5 µs is under 8 µs; 3 ms under 4.096 ms.
        "lbtop_server_response_seconds_bucket{le=\"0.000008\",proxy=\"be\",server=\"a\"} 1\n",
        "lbtop_server_response_seconds_bucket{le=\"0.004096\",proxy=\"be\",server=\"a\"} 2\n",
        "lbtop_server_response_seconds_bucket{le=\"+Inf\",proxy=\"be\",server=\"a\"} 2\n",
        "lbtop_server_response_seconds_count{proxy=\"be\",server=\"b\"} 0\n",
        "lbtop_backend_response_seconds_count{proxy=\"be\"} 2\n",
    ] {
        assert!(t.contains(want), "{want}\n---\n{t}");
    }
}

#[test]
fn the_text_is_prometheus_clients() {
    let mut c = Family::new("haproxy_x_total", "Help", Kind::Counter);
    c.push(vec![("proxy", "p\"q".into())], 3.0);
    let mut g = Family::new("haproxy_y", "Other", Kind::Gauge);
    g.push(Vec::new(), 0.5);
    g.push(vec![("proxy", "z".into())], f64::NAN);
    let empty = Family::new("haproxy_none", "Nothing", Kind::Gauge);
    let h = Family {
        samples: vec![(
            Vec::new(),
            Value::Buckets(1.5, vec![(1.0, 1), (f64::INFINITY, 1)]),
        )],
        ..Family::new("h", "Hist", Kind::Histogram)
    };
    assert_eq!(
        encode(vec![c, g, empty, h]),
        "# HELP haproxy_x Help\n# TYPE haproxy_x counter\nhaproxy_x_total{proxy=\"p\\\"q\"} 3\n\
         # HELP haproxy_y Other\n# TYPE haproxy_y gauge\nhaproxy_y 0.5\nhaproxy_y{proxy=\"z\"} NaN\n\
         # HELP h Hist\n# TYPE h histogram\nh_sum 1.5\nh_count 2\nh_bucket{le=\"1.0\"} 1\n\
         h_bucket{le=\"+Inf\"} 2\n# EOF\n"
    );
}

#[test]
fn use_service_reads_haproxys_one_service() {
    let cfg = "defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:1\n    http-request use-service prometheus-exporter if { path /metrics }\n";
    let c = Config::parse(Path::new("s.cfg"), cfg).unwrap();
    let rule = &c.frontends[0].rules.http_request[0];
    assert_eq!(
        rule.action,
        crate::config::HttpAction::UseService(crate::config::Service::PrometheusExporter)
    );
    let bad = cfg.replace("prometheus-exporter if { path /metrics }", "foo");
    let e = Config::parse(Path::new("s.cfg"), &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("s.cfg") && e.contains(":5"), "{e}");
    assert!(
        e.contains("'http-request use-service' rule : 'foo' unknown service name."),
        "{e}"
    );
}
