//! The Prometheus exporter against real HAProxy 2.6: the same haproxy.cfg (a frontend with
//! `http-request use-service prometheus-exporter`, a frontend in front of a backend with a
//! live server and a dead one), the same traffic. Compared: for every `haproxy_*` family
//! lbtop writes, HAProxy writes it too, with the same type and the same label sets; the
//! values that do not depend on timing are equal; `scope=` and `no-maint` pick the same
//! families; the scrape's log line. The text formats differ (HAProxy's Prometheus text,
//! lbtop's OpenMetrics text from prometheus-client): the test parses both.
//!
//! Also: `[global] metrics = "addr"` in TOML, and the latency histograms' counts.
//!
//! Skips the comparison, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use common::{exchange, free_port, parse_reply};
use contender::{haproxy_available, Contender, Kind};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CFG: &str = "global\n    log {LOG} local0\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend prom\n    bind 127.0.0.1:{PROM}\n    http-request use-service prometheus-exporter if { path /metrics }\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\nbackend be\n    balance roundrobin\n    server web1 {web1} check inter 200 weight 3\n    server dead {dead} check inter 200\n    server off {web1} disabled\n";

/// Requests sent through `fe`.
const REQUESTS: usize = 6;

/// Samples whose values do not depend on timing, by family and labels.
const STABLE: [&str; 12] = [
    "haproxy_server_status",
    "haproxy_server_check_status",
    "haproxy_server_weight",
    "haproxy_server_uweight",
    "haproxy_server_sessions_total",
    "haproxy_server_loadbalanced_total",
    "haproxy_server_http_responses_total",
    "haproxy_backend_http_responses_total",
    "haproxy_backend_active_servers",
    "haproxy_backend_agg_server_status",
    "haproxy_backend_status",
    "haproxy_backend_weight",
];

/// The families the exporter must carry (the list).
const REQUIRED: [&str; 14] = [
    "haproxy_server_status",
    "haproxy_server_check_status",
    "haproxy_server_current_sessions",
    "haproxy_server_sessions_total",
    "haproxy_server_bytes_in_total",
    "haproxy_server_bytes_out_total",
    "haproxy_server_check_failures_total",
    "haproxy_server_check_up_down_total",
    "haproxy_server_weight",
    "haproxy_server_http_responses_total",
    "haproxy_frontend_http_requests_total",
    "haproxy_frontend_sessions_total",
    "haproxy_backend_sessions_total",
    "haproxy_process_build_info",
];

/// One exposition, parsed: each sample's family type and label names, and its value.
#[derive(Debug, Default)]
struct Exposition {
    /// Sample name (with `_total` for counters, as HAProxy names families) → type.
    types: BTreeMap<String, String>,
    /// Sample name → the label-name sets seen.
    labels: BTreeMap<String, BTreeSet<Vec<String>>>,
    /// `name{k="v",...}` with the labels sorted → value.
    values: BTreeMap<String, String>,
}

/// Both text formats: `# TYPE <family> <type>` and `<name>{<labels>} <value>`; a counter's
/// family may be named without its samples' `_total` (OpenMetrics).
fn parse(text: &str) -> Exposition {
    let mut e = Exposition::default();
    let mut declared: BTreeMap<&str, &str> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("a type");
            declared.insert(name, kind);
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a value");
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, labels_of(l.trim_end_matches('}'))),
            None => (series, Vec::new()),
        };
        let kind = declared
            .get(name)
            .or_else(|| declared.get(name.trim_end_matches("_total")))
            .or_else(|| declared.get(name.rsplit_once('_').map_or(name, |(f, _)| f)))
            .unwrap_or(&"untyped");
        e.types.insert(name.into(), kind.to_string());
        let names = labels.iter().map(|(k, _)| k.clone()).collect();
        e.labels.entry(name.into()).or_default().insert(names);
        let key: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        e.values
            .insert(format!("{name}{{{}}}", key.join(",")), value.into());
    }
    e
}

/// `a="x",b="y"` → sorted pairs (values here never hold a quote or a comma).
fn labels_of(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = text
        .split("\",")
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("label");
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect();
    out.sort();
    out
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The status and the body (unchunked) of one scrape.
fn scrape(rt: &tokio::runtime::Runtime, to: SocketAddr, query: &str) -> (u16, String) {
    let req = format!("GET /metrics{query} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let r = parse_reply(&rt.block_on(exchange(to, req.as_bytes())));
    (r.status, common::wire::unchunk_text(&r.body))
}

/// HEAD, HTTP/1.0, keep-alive, a POST, a 400: the heads as sent.
fn wire(rt: &tokio::runtime::Runtime, prom: SocketAddr) -> Vec<String> {
    let mut out = Vec::new();
    for req in [
        "HEAD /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        "HEAD /metrics HTTP/1.0\r\n\r\n",
        "GET /metrics?scope=nope HTTP/1.0\r\n\r\n",
        // An empty scope: an empty body. Then one that closes.
        "GET /metrics?scope= HTTP/1.0\r\nconnection: keep-alive\r\n\r\nGET /metrics?scope= HTTP/1.0\r\n\r\n",
        "POST /metrics?scope= HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    ] {
        let raw = rt.block_on(exchange(prom, req.as_bytes()));
        let text = String::from_utf8_lossy(&raw);
        let lines: Vec<&str> = text.split("\r\n").map(content_type).collect();
        out.push(format!("{req:?} -> {}", lines.join(" | ")));
    }
    out
}

/// Each program's content type, masked: HAProxy's Prometheus text, lbtop's OpenMetrics.
fn content_type(line: &str) -> &str {
    let prometheus = line.starts_with("content-type: text/plain; version=0.0.4");
    match prometheus || line.starts_with("content-type: application/openmetrics-text") {
        true => "content-type: T",
        false => line,
    }
}

/// Scrapes until web1 passed its checks and dead failed its own.
fn settled(rt: &tokio::runtime::Runtime, prom: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let up = "haproxy_server_check_status{proxy=be,server=web1,state=L4OK}";
    let down = "haproxy_server_status{proxy=be,server=dead,state=DOWN}";
    loop {
        let e = parse(&scrape(rt, prom, "?scope=server").1);
        let one = |k: &str| e.values.get(k).map(String::as_str) == Some("1");
        if one(up) && one(down) {
            return;
        }
        assert!(Instant::now() < deadline, "checks never settled: {e:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Run {
    full: Exposition,
    /// Raw exchanges: the status and header lines, the content type masked.
    wire: Vec<String>,
    /// Family names per query.
    scoped: Vec<(String, u16, BTreeSet<String>)>,
    log: Vec<String>,
}

fn scenario(kind: Kind) -> Run {
    let rt = rt();
    let web1 = rt.block_on(Origin::start("web1", Duration::ZERO));
    let servers = BTreeMap::from([("web1", web1.addr)]);
    let prom_port = free_port();
    let cfg = CFG
        .replace("{PROM}", &prom_port.to_string())
        .replace("{dead}", &refused_addr().to_string());
    let c = Contender::start(kind, &cfg, &servers);
    c.wait_listening(&cfg);
    let prom = SocketAddr::from(([127, 0, 0, 1], prom_port));
    settled(&rt, prom);
    for _ in 0..REQUESTS {
        let req = b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
        assert_eq!(
            parse_reply(&rt.block_on(exchange(c.addr(), req))).status,
            200
        );
    }
    let (status, text) = scrape(&rt, prom, "");
    assert_eq!(status, 200, "{text}");
    let full = parse(&text);
    let mut scoped = Vec::new();
    for q in [
        "?scope=server",
        "?scope=frontend&scope=backend",
        "?scope=global",
        "?scope=server&scope=",
        "?scope=&scope=backend",
        "?scope=server&no-maint",
        "?scope=bogus",
        "?other=1",
    ] {
        let (status, text) = scrape(&rt, prom, q);
        let e = parse(&text);
        // The version is each program's own.
        let names: BTreeSet<String> = e.values.keys().map(|k| masked(k)).collect();
        scoped.push((q.to_string(), status, names));
    }
    let line = "GET /metrics?other=1 ";
    let log = c.sink.wait(line, Duration::from_secs(5));
    let log = log.iter().filter(|l| l.contains(line));
    let log = log.map(|l| masked_log(l)).collect();
    let wire = wire(&rt, prom);
    Run {
        full,
        wire,
        scoped,
        log,
    }
}

/// A scrape's log line: the texts differ in length, so the byte count is masked, and the
/// connection counts (`%ac/%fc` may still count the previous scrape's connection, in either).
fn masked_log(line: &str) -> String {
    let mut w: Vec<String> = line.split(' ').map(String::from).collect();
    if let Some(i) = w.iter().position(|x| x == "200") {
        w[i + 1] = "B".into();
        if let Some(conns) = w.get_mut(i + 5) {
            *conns = "C".into();
        }
    }
    w.join(" ")
}

fn masked(series: &str) -> String {
    match series.split_once("{version=") {
        Some((name, _)) => format!("{name}{{version=V}}"),
        None => series.to_string(),
    }
}

/// lbtop's samples restricted to what lbtop writes for the same families: HAProxy's other
/// families are left out of both.
fn claimed(lbtop: &Exposition, name: &str) -> bool {
    name.starts_with("haproxy_") && lbtop.types.contains_key(name)
}

#[test]
fn exporter_families_match_haproxy() {
    if !haproxy_available() {
        eprintln!("haproxy not installed: metrics_diff skipped");
        return;
    }
    let [h, l] = [Kind::Haproxy, Kind::Lbtop].map(scenario);
    // Every family lbtop writes is HAProxy's, with its type and label sets.
    for (name, kind) in l
        .full
        .types
        .iter()
        .filter(|(n, _)| n.starts_with("haproxy_"))
    {
        assert_eq!(h.full.types.get(name), Some(kind), "type of {name}");
        assert_eq!(
            h.full.labels.get(name),
            l.full.labels.get(name),
            "labels of {name}"
        );
    }
    for name in REQUIRED {
        assert!(l.full.types.contains_key(name), "lbtop lacks {name}");
    }
    // The values that do not depend on timing.
    let stable = |e: &Exposition| -> Vec<String> {
        let keys = e.values.iter().filter(|(k, _)| {
            STABLE.iter().any(|f| k.starts_with(&format!("{f}{{")))
                || k.starts_with("haproxy_frontend_http_responses_total{code=2xx,proxy=fe}")
        });
        keys.map(|(k, v)| format!("{k} {v}")).collect()
    };
    let (hs, ls) = (stable(&h.full), stable(&l.full));
    assert_eq!(hs, ls, "HAProxy (left) and lbtop (right) differ");
    let all = hs.join("\n");
    for want in [
        "haproxy_server_status{proxy=be,server=dead,state=DOWN} 1",
        "haproxy_server_status{proxy=be,server=off,state=MAINT} 1",
        "haproxy_server_status{proxy=be,server=web1,state=UP} 1",
        "haproxy_server_check_status{proxy=be,server=dead,state=L4CON} 1",
        "haproxy_server_weight{proxy=be,server=web1} 3",
        &format!("haproxy_server_sessions_total{{proxy=be,server=web1}} {REQUESTS}"),
        &format!("haproxy_server_http_responses_total{{code=2xx,proxy=be,server=web1}} {REQUESTS}"),
        &format!("haproxy_frontend_http_responses_total{{code=2xx,proxy=fe}} {REQUESTS}"),
    ] {
        assert!(all.contains(want), "{want}\n---\n{all}");
    }
    // The queries pick the same samples (of the families lbtop claims).
    for ((q, hstatus, hnames), (_, lstatus, lnames)) in h.scoped.iter().zip(&l.scoped) {
        assert_eq!(hstatus, lstatus, "{q}");
        let family = |k: &String| k.split('{').next().unwrap_or("").to_string();
        let mine: BTreeSet<&String> = hnames
            .iter()
            .filter(|k| claimed(&l.full, &family(k)))
            .collect();
        let theirs: BTreeSet<&String> = lnames
            .iter()
            .filter(|k| k.starts_with("haproxy_"))
            .collect();
        assert_eq!(mine, theirs, "{q}");
    }
    let statuses: Vec<u16> = h.scoped.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 400, 200]);
    assert_eq!(h.log, l.log);
    for (a, b) in h.wire.iter().zip(&l.wire) {
        assert_eq!(a, b, "HAProxy (left) and lbtop (right) differ");
    }
    assert!(h.log[0].contains(" prom prom/<PROMEX> "), "{:?}", h.log);
    assert!(h.log[0].contains(" LR-- "), "{:?}", h.log);
}

const BACKEND_CFG: &str = "global\n    log {LOG} local0\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend f4\n    bind 127.0.0.1:{PORT}\n    default_backend b4\n\nbackend b4\n    http-request use-service prometheus-exporter if { path /metrics }\n    server s1 {web1}\n";

/// The exporter reached through a backend's rule: what it counts where, and its log line.
fn backend_scenario(kind: Kind) -> Vec<String> {
    let rt = rt();
    let web1 = rt.block_on(Origin::start("web1", Duration::ZERO));
    let servers = BTreeMap::from([("web1", web1.addr)]);
    let c = Contender::start(kind, BACKEND_CFG, &servers);
    c.wait_listening(BACKEND_CFG);
    let mut out = Vec::new();
    for q in ["?scope=frontend", "?scope=backend"] {
        let (status, text) = scrape(&rt, c.addr(), q);
        // HAProxy counts a scrape's answer when its stream ends, which its log line marks:
        // the next scrape waits for it (CI saw HAProxy still at 0 where lbtop had counted).
        c.sink
            .wait(&format!("GET /metrics{q} "), Duration::from_secs(5));
        let e = parse(&text);
        out.push(format!("{q}: {status}"));
        for k in [
            "haproxy_frontend_intercepted_requests_total{proxy=f4}",
            "haproxy_frontend_http_responses_total{code=2xx,proxy=f4}",
            "haproxy_backend_sessions_total{proxy=b4}",
            "haproxy_backend_http_responses_total{code=2xx,proxy=b4}",
            "haproxy_server_sessions_total{proxy=b4,server=s1}",
        ] {
            if let Some(v) = e.values.get(k) {
                out.push(format!("{k} {v}"));
            }
        }
    }
    let line = "GET /metrics?scope=backend ";
    let log = c.sink.wait(line, Duration::from_secs(5));
    out.extend(
        log.iter()
            .filter(|l| l.contains("<PROMEX>"))
            .map(|l| masked_log(l)),
    );
    out
}

#[test]
fn a_backends_exporter_matches_haproxy() {
    if !haproxy_available() {
        eprintln!("haproxy not installed: metrics_diff skipped");
        return;
    }
    let [h, l] = [Kind::Haproxy, Kind::Lbtop].map(backend_scenario);
    assert_eq!(h, l, "HAProxy (left) and lbtop (right) differ");
    let all = h.join("\n");
    for want in [
        "haproxy_frontend_intercepted_requests_total{proxy=f4} 0",
        "haproxy_backend_sessions_total{proxy=b4} 2",
        " f4 b4/<PROMEX> ",
    ] {
        assert!(all.contains(want), "{want}\n---\n{all}");
    }
}

#[test]
fn the_toml_metrics_listener_serves_histograms() {
    let rt = rt();
    let web = rt.block_on(Origin::start("web", Duration::ZERO));
    let (port, metrics) = (free_port(), free_port());
    let toml = format!(
        "[global]\nmetrics = \"127.0.0.1:{metrics}\"\n\n[[frontend]]\nname = \"fe\"\nbind = \"127.0.0.1:{port}\"\nmode = \"http\"\ndefault_backend = \"be\"\n\n[[backend]]\nname = \"be\"\nmode = \"http\"\n\n[[backend.server]]\nname = \"web\"\naddress = \"{}\"\n",
        web.addr
    );
    let (_dir, path) = common::write_config("m.toml", &toml);
    let cfg = lbtop::config::Config::load(&path).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(cfg.global.metrics, Some(([127, 0, 0, 1], metrics).into()));
    let (tx, _rx) = lbtop::events::channel();
    let engine = rt
        .block_on(lbtop::engine::Engine::start(std::sync::Arc::new(cfg), tx))
        .unwrap();
    let fe = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..3 {
        let req = b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
        assert_eq!(parse_reply(&rt.block_on(exchange(fe, req))).status, 200);
    }
    let to = SocketAddr::from(([127, 0, 0, 1], metrics));
    let ask = |req: &str| parse_reply(&rt.block_on(exchange(to, req.as_bytes())));
    let r = ask("GET /metrics?scope=server HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(r.status, 200, "{}", r.head);
    let text = common::wire::unchunk_text(&r.body);
    for want in [
        "lbtop_server_response_seconds_count{proxy=\"be\",server=\"web\"} 3\n",
        "lbtop_server_response_seconds_bucket{le=\"+Inf\",proxy=\"be\",server=\"web\"} 3\n",
        "# TYPE lbtop_server_response_seconds histogram\n",
        "haproxy_server_sessions_total{proxy=\"be\",server=\"web\"} 3\n",
        "# EOF\n",
    ] {
        assert!(text.contains(want), "{want}\n---\n{text}");
    }
    assert!(!text.contains("haproxy_frontend_"), "{text}");
    let e = parse(&text);
    let count = |k: &str| e.values.get(k).map_or(0, |v| v.parse::<u64>().unwrap_or(0));
    let buckets = e
        .values
        .keys()
        .filter(|k| k.starts_with("lbtop_server_response_seconds_bucket{"));
    assert!(buckets.count() > 10);
    assert_eq!(
        count("lbtop_backend_response_seconds_count{proxy=be}"),
        0,
        "scope=server leaves the backends out"
    );
    assert_eq!(ask("GET /other HTTP/1.1\r\n\r\n").status, 404);
    assert_eq!(ask("GET /metrics?scope=nope HTTP/1.1\r\n\r\n").status, 400);
    assert_eq!(ask("\x16\x03\x01junk\r\n\r\n").status, 400);
    let full = common::wire::unchunk_text(&ask("GET /metrics HTTP/1.0\r\n\r\n").body);
    assert!(
        full.contains("lbtop_backend_response_seconds_count{proxy=\"be\"} 3\n"),
        "{full}"
    );
    rt.block_on(engine.shutdown());
}
