//! `show info` and `show stat` on the runtime API against real HAProxy 2.6: the same
//! haproxy.cfg (a `stats socket`, an HTTP frontend before a backend with checked, backup and
//! dead servers, a TCP `listen`), the same origins, the same requests and the same drain.
//! Compared: the CSV header byte for byte, each row's deterministic fields, every filter,
//! the typed and JSON forms' fields and tags, `show info`'s field names in order, and the
//! blank line that ends each answer.
//!
//! lbtop is asked through `common::cli::ask` (in process until its socket lands). Skips,
//! loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use common::cli::{ask, Target};
use common::free_port;
use contender::{haproxy_available, Contender, Kind};
use lbtop::config::Config;
use lbtop::engine::Engine;
use lbtop::events::{self, AdminState, Command, ServerId};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CFG: &str = "global\n    maxconn 1000\n    stats socket {SOCK} mode 600 level admin\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\nbackend be\n    balance roundrobin\n    cookie SRV insert indirect nocache\n    server web1 {web1} check inter 200 cookie w1\n    server web2 {web2} check inter 200 weight 3 maxqueue 5\n    server web3 {web3} backup\n    server dead {dead} check inter 200\n\nlisten tcpx\n    mode tcp\n    bind 127.0.0.1:{PORT2}\n    balance leastconn\n    server t1 {web1}\n";

/// Fields that do not depend on timing: both must agree on them.
const STABLE: &[&str] = &[
    "pxname",
    "svname",
    "qcur",
    "slim",
    "stot",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkdown",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "check_status",
    "check_code",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "req_tot",
    "check_rise",
    "check_fall",
    "check_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "intercepted",
    "uweight",
];

/// Times and counts of failed checks: only whether they are there.
const MASKED: &[&str] = &["lastchg", "downtime", "check_duration", "chkfail"];

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Each row's stable fields, `name=value`, from a CSV answer.
fn stable_rows(csv: &str) -> Vec<String> {
    let mut lines = csv.lines().filter(|l| !l.is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    lines
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            STABLE
                .iter()
                .chain(MASKED)
                .map(|c| {
                    let i = header.iter().position(|h| h == c).expect(c);
                    // `* ` marks a check running at that instant: timing, in both.
                    let v = fields.get(i).unwrap_or(&"?").trim_start_matches("* ");
                    match (MASKED.contains(c), v.is_empty()) {
                        (true, false) => format!("{c}=N"),
                        _ => format!("{c}={}", unported(c, v)),
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Each side has its own origins: an address is compared without its port.
fn unported<'a>(column: &str, value: &'a str) -> &'a str {
    match column {
        "addr" => value.rsplit_once(':').map_or(value, |(host, _)| host),
        _ => value,
    }
}

/// `pxname,svname,status` of each row: what a filter kept.
fn listing(answer: &str) -> String {
    let rows: Vec<String> = answer
        .lines()
        .map(|l| {
            l.split(',')
                .take(2)
                .chain(l.split(',').nth(17))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    rows.join(" | ")
}

/// Polls until both checked servers passed fully and the dead one is down.
fn settled(target: &Target) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = ask(target, "show stat");
        let rows = stable_rows(&text);
        let ready = |s: &str| {
            rows.iter().any(|r| {
                r.contains(&format!("svname={s} "))
                    && r.contains("check_status=L4OK")
                    && r.contains("check_health=4")
            })
        };
        let dead = rows
            .iter()
            .any(|r| r.contains("svname=dead ") && r.contains("status=DOWN "));
        if ready("web1") && ready("web2") && dead {
            return;
        }
        assert!(Instant::now() < deadline, "checks never settled:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One proxy under test: its answers come through `target`.
struct Side {
    target: Target,
    http: SocketAddr,
    tcp: SocketAddr,
    _haproxy: Option<Contender>,
    _engine: Option<(Engine, events::EventReceiver)>,
    _dir: tempfile::TempDir,
}

fn render(servers: &BTreeMap<&str, SocketAddr>, sock: &str, port: u16, port2: u16) -> String {
    let mut cfg = CFG
        .replace("{SOCK}", sock)
        .replace("{PORT}", &port.to_string())
        .replace("{PORT2}", &port2.to_string());
    for (name, addr) in servers {
        cfg = cfg.replace(&format!("{{{name}}}"), &addr.to_string());
    }
    cfg
}

fn start(kind: Kind, rt: &tokio::runtime::Runtime, servers: &BTreeMap<&str, SocketAddr>) -> Side {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("api.sock");
    let port2 = free_port();
    let tcp = SocketAddr::from(([127, 0, 0, 1], port2));
    match kind {
        Kind::Haproxy => {
            let template = render(servers, sock.to_str().unwrap(), 0, port2)
                .replace("127.0.0.1:0\n", "127.0.0.1:{PORT}\n");
            let c = Contender::start(kind, &template, servers);
            Side {
                target: Target::Socket(sock),
                http: c.addr(),
                tcp,
                _haproxy: Some(c),
                _engine: None,
                _dir: dir,
            }
        }
        Kind::Lbtop => {
            let port = free_port();
            let text = render(servers, sock.to_str().unwrap(), port, port2);
            let config = Config::parse(std::path::Path::new("t.cfg"), &text).unwrap();
            // The events are not read here; the receiver only has to stay open.
            let (tx, rx) = events::channel();
            let engine = rt.block_on(Engine::start(Arc::new(config), tx)).unwrap();
            probe(SocketAddr::from(([127, 0, 0, 1], port)));
            Side {
                target: Target::Engine(engine.handle()),
                http: SocketAddr::from(([127, 0, 0, 1], port)),
                tcp,
                _haproxy: None,
                _engine: Some((engine, rx)),
                _dir: dir,
            }
        }
    }
}

/// What `Contender` does to HAProxy once it listens, done to lbtop too: a connection held a
/// moment and closed before any request (both count it a bad request), then a pause.
fn probe(to: SocketAddr) {
    let c = std::net::TcpStream::connect(to).expect("lbtop listens");
    std::thread::sleep(Duration::from_millis(50));
    drop(c);
    std::thread::sleep(Duration::from_millis(200));
}

/// Drains `be/web2` through each one's admin path.
fn drain(kind: Kind, side: &Side) {
    match (&side.target, kind) {
        (Target::Engine(h), _) => {
            h.command(Command::SetAdmin {
                server: ServerId {
                    backend: 0,
                    server: 1,
                },
                state: AdminState::Drain,
            });
            let deadline = Instant::now() + Duration::from_secs(5);
            while !ask(&side.target, "show stat be 4 2").contains(",DRAIN,") {
                assert!(Instant::now() < deadline, "the drain never showed");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        (t, _) => {
            let answer = ask(t, "set server be/web2 state drain");
            assert_eq!(answer, "\n");
        }
    }
}

fn get(rt: &tokio::runtime::Runtime, to: SocketAddr) {
    let req = b"GET / HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n";
    let raw = rt.block_on(common::exchange(to, req));
    assert!(
        raw.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

fn scenario(kind: Kind) -> (Vec<String>, Forms) {
    let rt = rt();
    let origins: BTreeMap<&str, Origin> = ["web1", "web2", "web3"]
        .into_iter()
        .map(|n| (n, rt.block_on(Origin::start(n, Duration::ZERO))))
        .collect();
    let mut addrs: BTreeMap<&str, SocketAddr> = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
    addrs.insert("dead", refused_addr());
    let side = start(kind, &rt, &addrs);
    let t = &side.target;
    settled(t);
    let mut out = Vec::new();
    for _ in 0..8 {
        get(&rt, side.http);
    }
    get(&rt, side.tcp);
    drain(kind, &side);
    for _ in 0..4 {
        get(&rt, side.http);
    }
    let text = ask(t, "show stat");
    out.push(text.lines().next().unwrap_or("").to_string());
    out.extend(stable_rows(&text));
    out.push(format!(
        "ends with a blank line: {}",
        text.ends_with(",\n\n")
    ));
    out.push(format!(
        "every row ends with a comma: {}",
        text.lines()
            .filter(|l| !l.is_empty())
            .all(|l| l.ends_with(','))
    ));
    filters(t, &mut out);
    let mut forms = Forms::default();
    typed(t, &mut out, &mut forms);
    json(t, &mut out, &mut forms);
    info(t, &mut out);
    (out, forms)
}

fn filters(t: &Target, out: &mut Vec<String>) {
    for q in [
        "show stat be -1 -1",
        "show stat 3 2 -1",
        "show stat be 4 2",
        "show stat be -1 1",
        "show stat -1 4 -1",
        "show stat -1 3 -1",
        "show stat 99 -1 -1",
        "show stat be x y",
        "show stat be 4",
        "show stat nosuch -1 -1",
        "show stat up",
        "show stat no-maint",
        "show stat -1 -1 -1 up",
        "show stat typed json up",
    ] {
        out.push(format!("{q}: {}", listing(&ask(t, q))));
    }
}

/// What the typed and JSON forms carry: a key per field (`F.2.0.17.status.1:SGP:str`, with
/// `=value` for the stable fields). lbtop leaves out what it does not measure, so its keys
/// are compared as a subset of HAProxy's.
#[derive(Default)]
struct Forms {
    typed: BTreeSet<String>,
    json: BTreeSet<String>,
}

fn typed(t: &Target, out: &mut Vec<String>, forms: &mut Forms) {
    let text = ask(t, "show stat typed");
    out.push(format!(
        "typed ends with a blank line: {}",
        text.ends_with(",\n\n") || text.ends_with("\n\n")
    ));
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let well_formed = lines.iter().all(|l| typed_parts(l).is_some());
    out.push(format!("typed lines well formed: {well_formed}"));
    forms.typed = lines
        .iter()
        .filter_map(|l| typed_parts(l))
        .map(|(k, name, v)| keyed(k, name, v))
        .collect();
}

/// `S.3.1.73.addr.1:CGS:str:127.0.0.1:80` → (`S.3.1.73.addr.1:CGS:str`, `addr`, the value).
fn typed_parts(line: &str) -> Option<(String, &str, &str)> {
    let mut parts = line.splitn(4, ':');
    let (id, tags, ty, value) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let name = id.split('.').nth(4)?;
    Some((format!("{id}:{tags}:{ty}"), name, value))
}

fn keyed(key: String, name: &str, value: &str) -> String {
    if STABLE.contains(&name) {
        format!("{key}={}", unported(name, value.trim_matches('"')))
    } else {
        key
    }
}

fn json(t: &Target, out: &mut Vec<String>, forms: &mut Forms) {
    let text = ask(t, "show stat json");
    let shape = text.starts_with("[[{\"objType\":") && text.ends_with("}]]\n\n");
    out.push(format!("json shape: {shape}"));
    let re = regex::Regex::new(
        r#"\{"objType":"(\w+)","proxyId":(\d+),"id":(\d+),"field":\{"pos":(\d+),"name":"([^"]+)"\},"processNum":1,"tags":\{"origin":"(\w+)","nature":"(\w+)","scope":"(\w+)"\},"value":\{"type":"(\w+)","value":("(?:[^"\\]|\\.)*"|-?\d+)\}\}"#,
    )
    .unwrap();
    let objects = text.matches("{\"objType\"").count();
    let parsed: Vec<String> = re
        .captures_iter(&text)
        .map(|c| {
            let key = (1..=9).map(|i| &c[i]).collect::<Vec<_>>().join(" ");
            keyed(key, &c[5], &c[10])
        })
        .collect();
    out.push(format!(
        "json objects all parsed: {}",
        parsed.len() == objects
    ));
    forms.json = parsed.into_iter().collect();
    let none = ask(t, "show stat 99 -1 -1 json");
    out.push(format!("json, nothing listed: {none:?}"));
}

fn info(t: &Target, out: &mut Vec<String>) {
    let text = ask(t, "show info");
    out.push(format!(
        "info ends with a blank line: {}",
        text.ends_with("\n\n")
    ));
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(n, _)| n))
        .collect();
    out.push(format!("info fields: {}", names.join(",")));
    let typed = ask(t, "show info typed");
    // `6.Pid.1:SGP:u32:26050` → `6.Pid.1:SGP:u32`: what the field is, not its value.
    let keys: Vec<String> = typed
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.splitn(4, ':').take(3).collect::<Vec<_>>().join(":"))
        .collect();
    out.push(format!("info typed: {}", keys.join(" ")));
    let json = ask(t, "show info json");
    let re = regex::Regex::new(
        r#"\{"field":\{"pos":(\d+),"name":"([^"]+)"\},"processNum":1,"tags":\{"origin":"(\w+)","nature":"(\w+)","scope":"(\w+)"\},"value":\{"type":"(\w+)","value":(?:"[^"]*"|\d+)\}\}"#,
    )
    .unwrap();
    let fields: Vec<String> = re
        .captures_iter(&json)
        .map(|c| (1..=6).map(|i| &c[i]).collect::<Vec<_>>().join(" "))
        .collect();
    out.push(format!(
        "info json: {} of {} objects parsed, shape {}",
        fields.len(),
        json.matches("{\"field\"").count(),
        json.starts_with("[{") && json.ends_with("}}]\n\n")
    ));
    out.extend(fields);
}

#[test]
fn show_stat_and_info_match_haproxy() {
    if !haproxy_available() {
        return;
    }
    let [(haproxy, h_forms), (lbtop, l_forms)] = [Kind::Haproxy, Kind::Lbtop].map(scenario);
    let (h, l) = (haproxy.join("\n"), lbtop.join("\n"));
    if let Ok(dir) = std::env::var("CLI_SHOW_DIFF_DUMP") {
        std::fs::write(format!("{dir}/haproxy.txt"), &h).unwrap();
        std::fs::write(format!("{dir}/lbtop.txt"), &l).unwrap();
    }
    for (a, b) in haproxy.iter().zip(&lbtop) {
        assert_eq!(
            a, b,
            "HAProxy (left) and lbtop (right) differ\nHAProxy:\n{h}\nlbtop:\n{l}"
        );
    }
    assert_eq!(haproxy.len(), lbtop.len());
    for (what, hs, ls) in [
        ("typed", &h_forms.typed, &l_forms.typed),
        ("json", &h_forms.json, &l_forms.json),
    ] {
        let extra: Vec<&String> = ls.difference(hs).collect();
        assert!(
            extra.is_empty(),
            "{what}: lbtop has fields HAProxy types otherwise or lacks: {extra:#?}"
        );
        let missing = hs.difference(ls).count();
        eprintln!(
            "{what}: lbtop prints {} of HAProxy's {} fields ({missing} it does not measure)",
            ls.len(),
            hs.len()
        );
    }
    assert_eq!(
        l_forms.typed.len(),
        l_forms.json.len(),
        "typed and json list the same fields"
    );
    // What HAProxy did, pinned so the scenario keeps testing something.
    for want in [
        "pxname=be svname=web2 qcur=0 slim= stot=6 ",
        "status=DRAIN weight=3 act=1 bck=0",
        "pxname=be svname=BACKEND qcur=0 slim=100 stot=12 dreq=0 dresp=0 ereq= econ=0 eresp=0 wretr=0 wredis=0 status=UP weight=1 act=1 bck=1",
        "algo=leastconn",
        "qlimit=5 ",
        "cookie=w1 ",
        "cookie=SRV ",
        "show stat nosuch -1 -1: No such proxy. | ",
        "show stat up: # pxname,svname,status | fe,FRONTEND,OPEN | be,web1,UP | be,web2,DRAIN | be,web3,no check | be,BACKEND,UP (3/4)",
        "json, nothing listed: \"[]\\n\\n\"",
        "info fields: Name,Version,Release_date,Nbthread,",
    ] {
        assert!(h.contains(want), "HAProxy no longer shows {want:?}:\n{h}");
    }
}

/// The answer on a config with 1,000 servers (the size the cost benchmark polls,
/// bench/cli_poll.py): every server once, in order, every line the header's width, the
/// typed form as many servers. Not timed: bench/results/2026-11-27-cli-poll.md is.
#[test]
fn show_stat_lists_a_thousand_servers() {
    let rt = rt();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("api.sock");
    let mut text = format!(
        "global\n    stats socket {} level admin\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\nbackend be\n",
        sock.display()
    );
    let dead = refused_addr();
    for i in 0..1000 {
        text.push_str(&format!("    server s{i} {dead}\n"));
    }
    let config = Config::parse(std::path::Path::new("t.cfg"), &text).unwrap();
    let (tx, rx) = events::channel();
    let engine = rt.block_on(Engine::start(Arc::new(config), tx)).unwrap();
    let t = Target::Engine(engine.handle());
    let answer = ask(&t, "show stat");
    let lines: Vec<&str> = answer.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 1 + 1000 + 1 + 1,
        "header, FRONTEND, servers, BACKEND, blank"
    );
    let width = lines[0].matches(',').count();
    assert!(lines[..lines.len() - 1]
        .iter()
        .all(|l| l.matches(',').count() == width));
    for (i, l) in lines[2..1002].iter().enumerate() {
        assert!(l.starts_with(&format!("be,s{i},")), "{l}");
        assert!(
            l.contains(&format!(",1,3,{},", i + 1)),
            "pid, iid, sid of s{i}: {l}"
        );
    }
    assert!(lines[1002].starts_with("be,BACKEND,"));
    assert_eq!(ask(&t, "show stat be 4 1000").lines().count(), 3);
    let typed = ask(&t, "show stat -1 4 -1 typed");
    assert_eq!(typed.matches(".svname.1:KNS:str:s").count(), 1000);
    drop(rx);
    rt.block_on(engine.shutdown());
}
