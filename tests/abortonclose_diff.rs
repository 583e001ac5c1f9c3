//! Differential tests of `option abortonclose` (docs/haproxy-semantics.md §41): the same
//! haproxy.cfg given to real HAProxy 2.6 and to lbtop, the same origins, the same clients
//! closing (a FIN after the request) or resetting while their request waits in the queue,
//! for a connect, or for the response. What each client got and the log lines (timers,
//! ports and connection counts masked; the retries kept) must match, with the option and
//! without it.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use contender::{assert_same, haproxy_available, mask_syslog, Contender, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);
/// Between two clients that must reach the queue in order: ample for a balancer to accept
/// and read one request, and well inside the slow origin's two seconds.
const STAGGER: Duration = Duration::from_millis(150);

/// `mode`, `option {log}` and `{OPTION}` (the option, or nothing) are filled in per test;
/// `fe` takes the harness's probe, the others the clients under test.
const TEMPLATE: &str = "global\n    log {LOG} local0\n\
defaults\n    mode {MODE}\n    log global\n    option {LOGOPT}\n    {OPTION}\n\
\x20   timeout connect 500ms\n    timeout client 5s\n    timeout server 5s\n\
\x20   timeout queue 5s\n    retries 3\n\
frontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend fast\n\
frontend queued\n    bind 127.0.0.1:{QPORT}\n    default_backend slow\n\
frontend answer\n    bind 127.0.0.1:{APORT}\n    default_backend mid\n\
frontend dead\n    bind 127.0.0.1:{DPORT}\n    default_backend dead\n\
backend slow\n    server s {slow} maxconn 1\n\
backend fast\n    server f {fast}\n\
backend mid\n    server m {mid}\n\
backend dead\n    server d 127.0.0.1:{DEADPORT}\n";

/// How a client ends its side after sending its request.
#[derive(Clone, Copy, Debug)]
enum End {
    /// `shutdown(Write)`, then reads what comes back.
    Fin,
    /// An RST (linger 0, then close).
    Reset,
    /// Nothing: reads until the server's `connection: close` answer ends.
    Read,
}

struct Ports {
    queued: u16,
    answer: u16,
    dead: u16,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Starts `kind` on the template with fresh origins: `slow` answers after two seconds,
/// `mid` after one.
fn start(
    rt: &tokio::runtime::Runtime,
    kind: Kind,
    (mode, logopt, option): (&str, &str, &str),
) -> (Contender, BTreeMap<&'static str, Origin>, Ports) {
    let origins: BTreeMap<&str, Origin> = [("slow", 2000), ("mid", 1000), ("fast", 0)]
        .into_iter()
        .map(|(n, ms)| {
            let o = rt.block_on(Origin::start(n, Duration::from_millis(ms)));
            (n, o)
        })
        .collect();
    let ports = Ports {
        queued: common::free_port(),
        answer: common::free_port(),
        dead: common::free_port(),
    };
    let text = TEMPLATE
        .replace("{MODE}", mode)
        .replace("{LOGOPT}", logopt)
        .replace("{OPTION}", option)
        .replace("{QPORT}", &ports.queued.to_string())
        .replace("{APORT}", &ports.answer.to_string())
        .replace("{DPORT}", &ports.dead.to_string())
        .replace("{DEADPORT}", &refused_addr().port().to_string());
    let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
    // Both bind every frontend before serving any: once the probe's port answers, the
    // others do (a probe of those would be a session of its own in TCP mode).
    let c = Contender::start(kind, &text, &addrs);
    (c, origins, ports)
}

fn at(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Sends `bytes`, waits `after`, ends its side as `end` says, and returns what came back
/// (nothing after a reset).
async fn client(port: u16, bytes: Vec<u8>, after: Duration, end: End) -> Vec<u8> {
    let mut s = TcpStream::connect(at(port)).await.expect("connect");
    s.write_all(&bytes).await.expect("write");
    tokio::time::sleep(after).await;
    match end {
        End::Reset => {
            s.set_zero_linger().unwrap();
            drop(s);
            Vec::new()
        }
        End::Fin | End::Read => {
            if let End::Fin = end {
                s.shutdown().await.expect("shutdown");
            }
            let mut got = Vec::new();
            let read = s.read_to_end(&mut got);
            let _ = tokio::time::timeout(WAIT, read)
                .await
                .expect("answered in time");
            got
        }
    }
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: lab\r\n\r\n").into_bytes()
}

/// The slow request the others queue behind, answered and closed.
fn first(port: u16) -> impl std::future::Future<Output = Vec<u8>> {
    let bytes = b"GET /a HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n".to_vec();
    client(port, bytes, Duration::ZERO, End::Read)
}

/// Waits until `origin` works on a request (the slow one the others queue behind).
fn wait_working(origin: &Origin, kind: Kind) {
    let deadline = Instant::now() + WAIT;
    while origin.seen.active.load(SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "{kind:?}: /a never reached the origin"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a client saw: its status line, or `nothing`.
fn seen(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply);
    match text.lines().next() {
        Some(first) if !first.is_empty() => first.to_string(),
        _ => "nothing".to_string(),
    }
}

/// A log line with what varies masked, the probe's frontend left out, and of the
/// connection counts only the retries (`actconn/feconn/beconn/srv_conn/retries`) kept:
/// the counts of sessions still open when a line is written race its writing on both.
fn lines(c: &Contender) -> Vec<String> {
    let mut out: Vec<String> = c
        .settled_lines()
        .iter()
        .map(|l| mask_syslog(l))
        .filter(|l| !l.contains(" fe fast/"))
        .map(|l| {
            let words: Vec<&str> = l.split(' ').collect();
            words
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 1 && *i != 2)
                .map(|(_, w)| retries_only(w))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    out.sort();
    out
}

fn retries_only(word: &str) -> String {
    let parts: Vec<&str> = word.split('/').collect();
    let counts = parts.len() == 5 && parts.iter().all(|p| p.parse::<u64>().is_ok());
    match counts {
        true => format!("retries={}", parts[4]),
        false => word.to_string(),
    }
}

/// Runs the clients against one contender: two waiting in the queue behind a slow request
/// (one closes, one resets), one closing while its server works, one closing while its
/// connects are retried. (A close sent with the request races a fast server's answer in
/// HAProxy itself: measured, either `CH` or a 200.)
fn http_clients(kind: Kind, option: &str) -> Vec<String> {
    let rt = rt();
    let (c, origins, ports) = start(&rt, kind, ("http", "httplog", option));
    let slow = &origins["slow"];
    let first = rt.spawn(first(ports.queued));
    wait_working(slow, kind);
    let pause = Duration::from_millis(300);
    // Queued one after the other: without the option both stay queued, and each logs its
    // place, so the order they enter the queue in is part of what is compared (sent at
    // once, either may come first, on both).
    let rst = rt.spawn(client(ports.queued, get("/qrst"), pause, End::Reset));
    std::thread::sleep(STAGGER);
    let fin = rt.spawn(client(ports.queued, get("/qfin"), pause, End::Fin));
    let mut out = Vec::new();
    for (name, task) in [("/a", first), ("/qfin", fin), ("/qrst", rst)] {
        out.push(format!("{name}: {}", seen(&rt.block_on(task).unwrap())));
    }
    let now = rt.block_on(client(ports.answer, get("/now"), pause, End::Fin));
    out.push(format!("/now: {}", seen(&now)));
    let dead = rt.block_on(client(ports.dead, get("/dead"), pause, End::Fin));
    out.push(format!("/dead: {}", seen(&dead)));
    c.sink.wait("/dead HTTP/1.1", WAIT);
    out.extend(lines(&c));
    out
}

#[test]
fn http_requests_end_when_their_client_closes_as_in_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let with = "option abortonclose";
    let seen = assert_same(
        "with abortonclose",
        [Kind::Haproxy, Kind::Lbtop].map(|k| http_clients(k, with)),
    );
    let has = |needle: &str| seen.iter().any(|l| l.contains(needle));
    assert!(has("/qfin: nothing"), "{seen:#?}");
    assert!(has("/now: HTTP/1.1 400 Bad request"), "{seen:#?}");
    assert!(
        has("queued slow/<NOSRV> T/T/-1/-1/T -1 0 - - CQ--"),
        "{seen:#?}"
    );
    assert!(has("answer mid/m T/T/T/-1/T 400 206 - - CH--"), "{seen:#?}");
    assert!(
        has("dead dead/d T/T/-1/-1/T -1 0 - - CC-- retries=1"),
        "{seen:#?}"
    );
    let seen = assert_same(
        "without",
        [Kind::Haproxy, Kind::Lbtop].map(|k| http_clients(k, "")),
    );
    let has = |needle: &str| seen.iter().any(|l| l.contains(needle));
    assert!(has("/qfin: HTTP/1.1 200 OK"), "{seen:#?}");
    // Without the option the reset is seen only once /qrst has left the queue for the
    // server, so /qfin, queued behind it, logs 2.
    assert!(has(r#"CD-- retries=0 0/1 "GET /qrst"#), "{seen:#?}");
    assert!(has(r#"---- retries=0 0/2 "GET /qfin"#), "{seen:#?}");
    assert!(has("/now: HTTP/1.1 200 OK"), "{seen:#?}");
    assert!(
        has("dead dead/d T/T/-1/-1/T 503 217 - - SC-- retries=3"),
        "{seen:#?}"
    );
}

/// TCP mode: a reset ends a waiting session whatever the option (`CD`); a close does only
/// with it (`CQ` in the queue, `CC` while connecting).
fn tcp_clients(kind: Kind, option: &str) -> Vec<String> {
    let rt = rt();
    let (c, origins, ports) = start(&rt, kind, ("tcp", "tcplog", option));
    let slow = &origins["slow"];
    let first = rt.spawn(first(ports.queued));
    wait_working(slow, kind);
    let pause = Duration::from_millis(300);
    let rst = rt.spawn(client(ports.queued, get("/qrst"), pause, End::Reset));
    let mut out = Vec::new();
    let mut expected = 2;
    if !option.is_empty() {
        let fin = rt.block_on(client(ports.queued, get("/qfin"), pause, End::Fin));
        out.push(format!("/qfin: {}", seen(&fin)));
        expected += 1;
    }
    out.push(format!("/qrst: {}", seen(&rt.block_on(rst).unwrap())));
    out.push(format!("/a: {}", seen(&rt.block_on(first).unwrap())));
    for end in [End::Fin, End::Reset] {
        let dead = rt.block_on(client(ports.dead, get("/dead"), pause, end));
        out.push(format!("/dead {end:?}: {}", seen(&dead)));
        expected += 1;
    }
    let deadline = Instant::now() + WAIT;
    while lines(&c).len() < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    out.extend(lines(&c));
    out
}

#[test]
fn tcp_sessions_end_when_their_client_leaves_as_in_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let with = "option abortonclose";
    let seen = assert_same(
        "with abortonclose",
        [Kind::Haproxy, Kind::Lbtop].map(|k| tcp_clients(k, with)),
    );
    let has = |needle: &str| seen.iter().any(|l| l.contains(needle));
    assert!(has("queued slow/<NOSRV> T/-1/T 0 CQ"), "{seen:#?}");
    assert!(has("queued slow/<NOSRV> T/-1/T 0 CD"), "{seen:#?}");
    assert!(has("dead dead/d T/-1/T 0 CC retries=1"), "{seen:#?}");
    let seen = assert_same(
        "without",
        [Kind::Haproxy, Kind::Lbtop].map(|k| tcp_clients(k, "")),
    );
    let has = |needle: &str| seen.iter().any(|l| l.contains(needle));
    assert!(has("queued slow/<NOSRV> T/-1/T 0 CD"), "{seen:#?}");
    assert!(has("dead dead/d T/-1/T 0 SC retries=3"), "{seen:#?}");
    assert!(has("dead dead/d T/-1/T 0 CD retries=1"), "{seen:#?}");
}
