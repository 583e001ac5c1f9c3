//! Differential tests of `tcp-request` (docs/haproxy-semantics.md §21.8): the same
//! haproxy.cfg given to real HAProxy 2.6 and to lbtop, the same TCP origins, the same
//! clients. Which origin got each connection, the bytes it got, what the client saw, the
//! tcplog lines (timers and ports masked) and the frontend's counters must match.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const TEMPLATE: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
frontend fe\n    bind 127.0.0.1:{PORT}\n\
\x20   tcp-request connection reject if { src 127.0.0.2 }\n\
\x20   tcp-request inspect-delay 500ms\n\
\x20   tcp-request content reject if { src 127.0.0.3 }\n\
\x20   tcp-request content accept if { req_ssl_hello_type 1 }\n\
\x20   use_backend sni if { req.ssl_sni -m end .example.com }\n\
\x20   default_backend other\n\
backend sni\n    server a {a}\n\
backend other\n    server b {b}\n\
listen stats\n    bind 127.0.0.1:{STATS}\n    mode http\n    no log\n    stats enable\n    stats uri /stats\n";

/// A TCP origin: says its name on connect, then keeps what it reads until the client's FIN.
struct Origin {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Origin {
    async fn start(name: &'static str) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = s.write_all(format!("{name}\n").as_bytes()).await;
                    let mut all = Vec::new();
                    let read = s.read_to_end(&mut all);
                    let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
                    seen.lock().unwrap().push(all);
                });
            }
        });
        Origin { addr, got }
    }
}

/// A minimal ClientHello for `name`: TLS 1.2, one cipher, no compression, one extension.
fn hello(name: &str) -> Vec<u8> {
    let n = name.len();
    let mut sni = vec![0, 0];
    sni.extend_from_slice(&((n + 5) as u16).to_be_bytes());
    sni.extend_from_slice(&((n + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(n as u16).to_be_bytes());
    sni.extend_from_slice(name.as_bytes());
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    body.extend_from_slice(&sni);
    let mut hs = vec![1, 0];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend_from_slice(&body);
    let mut record = vec![0x16, 3, 1];
    record.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    record.extend_from_slice(&hs);
    record
}

/// One client: from `src`, sends `pieces` (100 ms apart), then reads the origin's name;
/// returns it (or `closed`) and how long it took.
async fn client(to: SocketAddr, src: [u8; 4], pieces: &[Vec<u8>]) -> (String, Duration) {
    let began = Instant::now();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((src, 0))).unwrap();
    let Ok(mut s) = socket.connect(to).await else {
        return ("closed".into(), began.elapsed());
    };
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = s.write_all(p).await;
    }
    let name = read_line(&mut s).await;
    let took = began.elapsed();
    if name != "closed" {
        let _ = s.shutdown().await;
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    }
    (name, took)
}

async fn read_line(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut byte)).await;
        match r {
            Ok(Ok(1)) if byte[0] == b'\n' => return String::from_utf8_lossy(&buf).into(),
            Ok(Ok(1)) => buf.push(byte[0]),
            _ => return "closed".into(),
        }
    }
}

fn wait_lines(c: &Contender, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.sink.count() < n {
        assert!(Instant::now() < deadline, "{:?}: no log line {n}", c.kind);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The tcplog line with the client's port and the connection counts masked (they race the
/// previous close).
fn mask_conns(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let masked = words.iter().enumerate().map(|(i, w)| match i {
        1 => w.split(':').next().unwrap_or(w).to_string() + ":PORT",
        8 if w.split('/').count() == 5 => "CONNS".to_string(),
        _ => w.to_string(),
    });
    masked.collect::<Vec<_>>().join(" ")
}

/// The frontend's row of the stats CSV: the counters a `tcp-request` rule moves.
fn counters(rt: &tokio::runtime::Runtime, stats: u16) -> String {
    let addr = SocketAddr::from(([127, 0, 0, 1], stats));
    let req = b"GET /stats;csv HTTP/1.0\r\n\r\n";
    let raw = rt.block_on(common::exchange(addr, req));
    let text = String::from_utf8_lossy(&raw).into_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // Chunked: the table is the lines from its header on.
    let mut lines = body.lines().skip_while(|l| !l.starts_with("# "));
    let head: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let at = |n: &str| head.iter().position(|h| *h == n);
    if at("stot").is_none() {
        return format!("no stats: {text}");
    }
    let at = |n: &str| at(n).unwrap();
    let row = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[0] == "fe" && f[1] == "FRONTEND")
        .unwrap_or_default();
    ["stot", "conn_tot", "dreq", "dcon", "dses"]
        .iter()
        .map(|k| format!("{k}={}", row.get(at(k)).unwrap_or(&"?")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A client's name, source address, the pieces it sends, and whether it is logged.
type Case = (&'static str, [u8; 4], Vec<Vec<u8>>, bool);

/// SNI routing with inspect-delay, content and connection rejects by source, a plain-TCP
/// client, a silent client (the delay runs out) and a hello sent in two pieces.
#[test]
fn tcp_request_rules_route_and_reject_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sni = hello("a.example.com");
    let (first, second) = sni.split_at(20);
    let cases: Vec<Case> = vec![
        ("sni match", [127, 0, 0, 1], vec![sni.clone()], true),
        ("sni other", [127, 0, 0, 1], vec![hello("other.org")], true),
        ("plain", [127, 0, 0, 1], vec![b"hello\n".to_vec()], true),
        ("silent", [127, 0, 0, 1], vec![], true),
        ("content reject", [127, 0, 0, 3], vec![sni.clone()], true),
        (
            "connection reject",
            [127, 0, 0, 2],
            vec![sni.clone()],
            false,
        ),
        (
            "hello in pieces",
            [127, 0, 0, 1],
            vec![first.to_vec(), second.to_vec()],
            true,
        ),
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let (a, b) = rt.block_on(async { (Origin::start("a").await, Origin::start("b").await) });
        let stats = common::free_port();
        let template = TEMPLATE.replace("{STATS}", &stats.to_string());
        let addrs = BTreeMap::from([("a", a.addr), ("b", b.addr)]);
        let c = Contender::start(kind, &template, &addrs);
        // The harness's start-up probe is logged too: counted, then left out.
        wait_lines(&c, 1);
        std::thread::sleep(Duration::from_millis(200));
        let mut logged = c.sink.count();
        let before = logged;
        let mut seen = Vec::new();
        for (what, src, pieces, logs) in &cases {
            let (name, took) = rt.block_on(client(c.addr(), *src, pieces));
            let waited = took >= Duration::from_millis(450);
            seen.push(format!("{what}: {name} waited={waited}"));
            if *logs {
                logged += 1;
                wait_lines(&c, logged);
            }
        }
        seen.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        std::thread::sleep(Duration::from_millis(200));
        let a_got = a.got.lock().unwrap().clone();
        seen.push(format!(
            "a got {} connections, hellos intact: {}",
            a_got.len(),
            a_got.iter().all(|g| g == &sni)
        ));
        seen.push(format!("b got {} connections", b.got.lock().unwrap().len()));
        seen.push(counters(&rt, stats));
        seen
    });
    let [haproxy, lbtop] = &out;
    for (h, l) in haproxy.iter().zip(lbtop) {
        assert_eq!(
            h, l,
            "HAProxy (left) and lbtop (right) differ\n{haproxy:#?}\n{lbtop:#?}"
        );
    }
    assert_eq!(haproxy.len(), lbtop.len(), "{haproxy:#?}\n{lbtop:#?}");
    let expected = [
        "sni match: a waited=false",
        "sni other: b waited=false",
        "plain: b waited=false",
        "silent: b waited=true",
        "content reject: closed waited=false",
        "connection reject: closed waited=false",
        "hello in pieces: a waited=false",
    ];
    assert_eq!(haproxy[..7], expected, "{haproxy:#?}");
    assert!(
        haproxy
            .iter()
            .any(|l| l.contains(" fe fe/<NOSRV> -1/-1/T 0 PR ")),
        "{haproxy:#?}"
    );
}

const LISTEN: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
listen db\n    bind 127.0.0.1:{PORT}\n\
\x20   acl app_hosts src 127.0.0.1\n\
\x20   tcp-request connection reject unless app_hosts\n\
\x20   tcp-request inspect-delay 300ms\n\
\x20   tcp-request content accept if { req.len ge 6 }\n\
\x20   tcp-request content reject\n\
\x20   server a {a}\n";

/// A `listen` that lets in one address and waits for six bytes: `req.len` is read again as
/// bytes come, and a client that sends too few is rejected when the delay runs out.
#[test]
fn listen_waits_for_req_len_and_rejects_other_sources_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cases: Vec<Case> = vec![
        (
            "six in two",
            [127, 0, 0, 1],
            vec![b"abc".to_vec(), b"def".to_vec()],
            true,
        ),
        ("two only", [127, 0, 0, 1], vec![b"ab".to_vec()], true),
        (
            "other source",
            [127, 0, 0, 2],
            vec![b"abcdef".to_vec()],
            false,
        ),
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let a = rt.block_on(Origin::start("a"));
        let addrs = BTreeMap::from([("a", a.addr)]);
        let c = Contender::start(kind, LISTEN, &addrs);
        // The start-up probe's line, if any, is left out.
        std::thread::sleep(Duration::from_millis(600));
        let mut logged = c.sink.count();
        let before = logged;
        let mut seen = Vec::new();
        for (what, src, pieces, logs) in &cases {
            let (name, took) = rt.block_on(client(c.addr(), *src, pieces));
            let waited = took >= Duration::from_millis(280);
            seen.push(format!("{what}: {name} waited={waited}"));
            if *logs {
                logged += 1;
                wait_lines(&c, logged);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        seen.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        let got = a.got.lock().unwrap().clone();
        seen.push(format!(
            "a got {:?}",
            got.iter()
                .map(|g| String::from_utf8_lossy(g).into_owned())
                .collect::<Vec<_>>()
        ));
        seen
    });
    let [haproxy, lbtop] = &out;
    for (h, l) in haproxy.iter().zip(lbtop) {
        assert_eq!(
            h, l,
            "HAProxy (left) and lbtop (right) differ\n{haproxy:#?}\n{lbtop:#?}"
        );
    }
    assert_eq!(haproxy.len(), lbtop.len(), "{haproxy:#?}\n{lbtop:#?}");
    assert_eq!(
        haproxy[..3],
        [
            "six in two: a waited=false",
            "two only: closed waited=true",
            "other source: closed waited=false"
        ],
        "{haproxy:#?}"
    );
    assert!(
        haproxy
            .iter()
            .any(|l| l.contains(" db db/<NOSRV> -1/-1/T 0 PR ")),
        "{haproxy:#?}"
    );
    assert_eq!(haproxy.last().unwrap(), "a got [\"abcdef\"]");
}

const EXPECT_PROXY: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
frontend fe\n    bind 127.0.0.1:{PORT}\n\
\x20   tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }\n\
\x20   tcp-request connection reject if { src 10.1.1.1 }\n\
\x20   default_backend b\n\
backend b\n    server b {b}\n";

/// `expect-proxy layer4`: a PROXY header is read from the addresses the condition names
/// only, and the connection rules ran on the socket's address, not the header's.
#[test]
fn expect_proxy_by_source_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let header = b"PROXY TCP4 10.1.1.1 127.0.0.1 1234 80\r\nhi\n".to_vec();
    let cases: Vec<Case> = vec![
        ("proxied", [127, 0, 0, 1], vec![header], true),
        ("direct", [127, 0, 0, 2], vec![b"hi\n".to_vec()], true),
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let b = rt.block_on(Origin::start("b"));
        let addrs = BTreeMap::from([("b", b.addr)]);
        let c = Contender::start(kind, EXPECT_PROXY, &addrs);
        std::thread::sleep(Duration::from_millis(600));
        let mut logged = c.sink.count();
        let before = logged;
        let mut seen = Vec::new();
        for (what, src, pieces, logs) in &cases {
            let (name, _) = rt.block_on(client(c.addr(), *src, pieces));
            seen.push(format!("{what}: {name}"));
            if *logs {
                logged += 1;
                wait_lines(&c, logged);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        seen.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        let got = b.got.lock().unwrap().clone();
        let got: Vec<String> = got
            .iter()
            .map(|g| String::from_utf8_lossy(g).into())
            .collect();
        seen.push(format!("b got {got:?}"));
        seen
    });
    let [haproxy, lbtop] = &out;
    for (h, l) in haproxy.iter().zip(lbtop) {
        assert_eq!(
            h, l,
            "HAProxy (left) and lbtop (right) differ\n{haproxy:#?}\n{lbtop:#?}"
        );
    }
    assert_eq!(haproxy.len(), lbtop.len(), "{haproxy:#?}\n{lbtop:#?}");
    assert_eq!(haproxy[..2], ["proxied: b", "direct: b"], "{haproxy:#?}");
    assert!(
        haproxy[2].contains(" 10.1.1.1:PORT [DATE] fe b/b "),
        "{haproxy:#?}"
    );
    assert_eq!(haproxy.last().unwrap(), "b got [\"hi\\n\", \"hi\\n\"]");
}

const SNI_NAMES: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
frontend fe\n    bind 127.0.0.1:{PORT}\n\
\x20   tcp-request inspect-delay 2s\n\
\x20   tcp-request content reject unless { req.ssl_hello_type 1 }\n\
\x20   use_backend %[req.ssl_sni,lower]\n\
\x20   default_backend beta\n\
backend alpha\n    server a {a}\n\
backend beta\n    server b {b}\n";

/// `reject unless { req.ssl_hello_type 1 }` waits for a hello sent in pieces rather than
/// rejecting its first bytes, rejects bytes that cannot be one at once, and the backend is
/// named by the server name.
#[test]
fn reject_unless_hello_and_backend_named_by_sni_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let alpha = hello("ALPHA");
    let (first, second) = alpha.split_at(30);
    let cases: Vec<Case> = vec![
        (
            "alpha in pieces",
            [127, 0, 0, 1],
            vec![first.to_vec(), second.to_vec()],
            true,
        ),
        ("unknown name", [127, 0, 0, 1], vec![hello("gamma")], true),
        (
            "plain",
            [127, 0, 0, 1],
            vec![b"GET / HTTP/1.0\r\n\r\n".to_vec()],
            true,
        ),
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let (a, b) = rt.block_on(async { (Origin::start("a").await, Origin::start("b").await) });
        let addrs = BTreeMap::from([("a", a.addr), ("b", b.addr)]);
        let c = Contender::start(kind, SNI_NAMES, &addrs);
        std::thread::sleep(Duration::from_millis(600));
        let mut logged = c.sink.count();
        let before = logged;
        let mut seen = Vec::new();
        for (what, src, pieces, logs) in &cases {
            let (name, took) = rt.block_on(client(c.addr(), *src, pieces));
            let waited = took >= Duration::from_millis(1500);
            seen.push(format!("{what}: {name} waited={waited}"));
            if *logs {
                logged += 1;
                wait_lines(&c, logged);
            }
        }
        seen.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        seen
    });
    let [haproxy, lbtop] = &out;
    for (h, l) in haproxy.iter().zip(lbtop) {
        assert_eq!(
            h, l,
            "HAProxy (left) and lbtop (right) differ\n{haproxy:#?}\n{lbtop:#?}"
        );
    }
    assert_eq!(haproxy.len(), lbtop.len(), "{haproxy:#?}\n{lbtop:#?}");
    assert_eq!(
        haproxy[..3],
        [
            "alpha in pieces: a waited=false",
            "unknown name: b waited=false",
            "plain: closed waited=false"
        ],
        "{haproxy:#?}"
    );
}

const HTTP: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
frontend web\n    bind 127.0.0.1:{PORT}\n\
\x20   tcp-request connection reject if { src 127.0.0.2 }\n\
\x20   default_backend app\n\
backend app\n    server a {a}\n";

/// Connection rules in an HTTP frontend: the refused client gets no answer and no line.
#[test]
fn connection_reject_in_http_mode_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let get = b"GET / HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n".to_vec();
    let cases: Vec<Case> = vec![
        ("refused", [127, 0, 0, 2], vec![get.clone()], false),
        ("let in", [127, 0, 0, 1], vec![get], true),
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let a = rt.block_on(common::backend::Origin::start("a", Duration::ZERO));
        let addrs = BTreeMap::from([("a", a.addr)]);
        let c = Contender::start(kind, HTTP, &addrs);
        std::thread::sleep(Duration::from_millis(600));
        let mut logged = c.sink.count();
        let before = logged;
        let mut seen = Vec::new();
        for (what, src, pieces, logs) in &cases {
            // The first line of the answer, or `closed`.
            let (line, _) = rt.block_on(client(c.addr(), *src, pieces));
            seen.push(format!("{what}: {}", line.trim_end()));
            if *logs {
                logged += 1;
                wait_lines(&c, logged);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        let lines = c.sink.lines_from(before);
        seen.extend(lines.iter().map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            format!(
                "{} {} {}",
                w.get(3).unwrap_or(&""),
                w.get(4).unwrap_or(&""),
                w.get(6).unwrap_or(&"")
            )
        }));
        seen.push(format!("a saw {} connections", a.connections()));
        seen
    });
    let [haproxy, lbtop] = &out;
    assert_eq!(haproxy, lbtop, "HAProxy (left) and lbtop (right) differ");
    assert_eq!(
        haproxy[..],
        [
            "refused: closed",
            "let in: HTTP/1.1 200 OK",
            "web app/a 200",
            "a saw 1 connections"
        ],
        "{haproxy:#?}"
    );
}

const HTTP_CONTENT: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
frontend web\n    bind 127.0.0.1:{PORT}\n\
\x20   tcp-request inspect-delay 2s\n\
\x20   tcp-request content reject if { path /rej }\n\
\x20   tcp-request content reject if { req.hdr(x-bad) -m found }\n\
\x20   tcp-request content accept if HTTP\n\
\x20   tcp-request content reject\n\
\x20   default_backend app\n\
backend app\n    server a {a}\n";

/// Requests sent one after another on one connection: each answer's status line, or
/// `closed` (and nothing more is sent).
fn keep_alive_session(to: SocketAddr, requests: &[&str]) -> Vec<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut seen = Vec::new();
    for r in requests {
        s.write_all(r.as_bytes()).unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        let answer = loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_string)
                    })
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if body.len() >= len {
                    break Some(head.lines().next().unwrap_or("").to_string());
                }
            }
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break None,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        };
        match answer {
            Some(status) => seen.push(status),
            None => {
                seen.push("closed".into());
                break;
            }
        }
    }
    seen
}

/// `tcp-request content` in an HTTP frontend runs on each request of a keep-alive
/// connection with HTTP fetches: a refused request closes the connection unanswered and is
/// logged `fe/<NOSRV>`, -1, `PR--`, `<BADREQ>`.
#[test]
fn content_rules_in_http_mode_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ok = "GET /ok HTTP/1.1\r\nhost: lab\r\n\r\n";
    let sessions: [&[&str]; 3] = [
        &[ok, "GET /rej HTTP/1.1\r\nhost: lab\r\n\r\n", ok],
        &["GET /ok HTTP/1.1\r\nhost: lab\r\nx-bad: 1\r\n\r\n"],
        &[ok, ok],
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let a = rt.block_on(common::backend::Origin::start("a", Duration::ZERO));
        let addrs = BTreeMap::from([("a", a.addr)]);
        let c = Contender::start(kind, HTTP_CONTENT, &addrs);
        let before = c.sink.count();
        let mut seen: Vec<String> = sessions
            .iter()
            .flat_map(|s| keep_alive_session(c.addr(), s))
            .collect();
        wait_lines(&c, before + 5);
        std::thread::sleep(Duration::from_millis(200));
        // The counts race the previous close (masked); the rest is the line as written.
        seen.extend(c.sink.lines_from(before).iter().map(|l| {
            l.split(' ')
                .map(|w| {
                    let parts: Vec<&str> = w.split('/').collect();
                    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
                    match parts.len() == 5 && parts.iter().all(digits) {
                        true => "CONNS",
                        false => w,
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        }));
        seen.push(format!("a saw {} requests", a.heads().len()));
        seen
    });
    let [haproxy, lbtop] = &out;
    assert_eq!(haproxy, lbtop, "HAProxy (left) and lbtop (right) differ");
    assert!(
        haproxy
            .iter()
            .any(|l| l.contains("web/<NOSRV> -1/-1/-1/-1/T -1 0 - - PR--")),
        "{haproxy:#?}"
    );
}

const PAYLOAD: &str = "global\n    log {LOG} local6 debug\n\
defaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 1s\n\
\x20   timeout client 5s\n    timeout server 5s\n\
frontend mux\n    bind 127.0.0.1:{PORT}\n\
\x20   tcp-request inspect-delay 400ms\n\
\x20   acl ssh req.payload(0,4) -m bin 5353482d\n\
\x20   tcp-request content accept if ssh\n\
\x20   tcp-request content accept if { req.payload(0,3) -m str GET }\n\
\x20   tcp-request content reject\n\
\x20   use_backend ssh if ssh\n\
\x20   default_backend web\n\
backend ssh\n    server a {a}\n\
backend web\n    server b {b}\n";

/// SSH and HTTP on one port, told apart by their first bytes: `req.payload` waits only
/// until it holds the bytes it reads, `-m bin` matches them in hexadecimal.
#[test]
fn payload_routes_ssh_and_http_on_one_port_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cases: Vec<Case> = vec![
        ("ssh", [127, 0, 0, 1], vec![b"SSH-2.0-x\r\n".to_vec()], true),
        (
            "ssh in two",
            [127, 0, 0, 1],
            vec![b"SS".to_vec(), b"H-2.0\r\n".to_vec()],
            true,
        ),
        (
            "http",
            [127, 0, 0, 1],
            vec![b"GET / HTTP/1.0\r\n\r\n".to_vec()],
            true,
        ),
        ("two bytes", [127, 0, 0, 1], vec![b"SS".to_vec()], true),
        ("other", [127, 0, 0, 1], vec![b"HELO x\r\n".to_vec()], true),
    ];
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let a = rt.block_on(Origin::start("a"));
        let b = rt.block_on(Origin::start("b"));
        let addrs = BTreeMap::from([("a", a.addr), ("b", b.addr)]);
        let c = Contender::start(kind, PAYLOAD, &addrs);
        std::thread::sleep(Duration::from_millis(600));
        let mut logged = c.sink.count();
        let before = logged;
        let mut seen = Vec::new();
        for (what, src, pieces, logs) in &cases {
            let (name, took) = rt.block_on(client(c.addr(), *src, pieces));
            let waited = took >= Duration::from_millis(380);
            seen.push(format!("{what}: {name} waited={waited}"));
            if *logs {
                logged += 1;
                wait_lines(&c, logged);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        seen.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        seen
    });
    let [haproxy, lbtop] = &out;
    assert_eq!(haproxy, lbtop, "HAProxy (left) and lbtop (right) differ");
    assert_eq!(
        haproxy[..5],
        [
            "ssh: a waited=false",
            "ssh in two: a waited=false",
            "http: b waited=false",
            "two bytes: closed waited=true",
            "other: closed waited=false"
        ],
        "{haproxy:#?}"
    );
}
