//! `unique-id-format`, `unique-id-header` and `%ID` side by side with real HAProxy 2.6: the
//! head the origin got and the log line, with the ID's time, port and pid fields masked but
//! their hexadecimal widths compared.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::exchange;
use contender::{haproxy_available, Contender, Kind};
use regex::Regex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CFG: &str = "global\n    log {LOG} local0 info\n\ndefaults\n    mode http\n    log global\n    option dontlognull\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n{LINES}    log-format \"%ID %ci\"\n    default_backend be\n\nbackend be\n    server s1 {a}\n";

/// An origin that keeps each request head it reads and answers 200.
async fn origin(heads: Arc<Mutex<Vec<String>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let heads = heads.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let read = async {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return false,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    true
                };
                if tokio::time::timeout(Duration::from_secs(5), read).await == Ok(true) {
                    heads
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf).into_owned());
                    let _ = s
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                }
            });
        }
    });
    addr
}

/// The client sends its own `X-Unique-ID` first: HAProxy keeps it and adds its own after.
const REQUESTS: &[&[u8]] = &[
    b"GET /a HTTP/1.1\r\nHost: h\r\nX-Unique-ID: mine\r\nX-Other: 1\r\nConnection: close\r\n\r\n",
    b"GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
];

/// The heads the origin got and the log lines, for `lines` in the frontend.
fn run(kind: Kind, lines: &str, rt: &tokio::runtime::Runtime) -> (Vec<String>, Vec<String>) {
    let heads = Arc::new(Mutex::new(Vec::new()));
    let a = rt.block_on(origin(heads.clone()));
    let c = Contender::start(
        kind,
        &CFG.replace("{LINES}", lines),
        &BTreeMap::from([("a", a)]),
    );
    for (i, raw) in REQUESTS.iter().enumerate() {
        rt.block_on(exchange(c.addr(), raw));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while c.sink.count() < i + 1 {
            assert!(std::time::Instant::now() < deadline, "{kind:?}: no line");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let heads = heads.lock().unwrap().clone();
    (heads, c.sink.lines())
}

/// The ID's shape: `%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid` in hexadecimal widths.
const ID: &str = r"7F000001:[0-9A-F]{4}_7F000001:[0-9A-F]{4}_[0-9A-F]{8}_[0-9A-F]{4}:[0-9A-F]{4,}";

#[test]
fn the_unique_id_reaches_the_server_and_the_log_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let lines = "    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid\n    unique-id-header X-Unique-ID\n";
    let id = Regex::new(ID).unwrap();
    let mask = |s: &String| id.replace_all(s, "ID").into_owned();
    let mut seen = Vec::new();
    for kind in [Kind::Haproxy, Kind::Lbtop] {
        let (heads, log) = run(kind, lines, &rt);
        // The log's `%ID` is the very ID the server was sent.
        for (head, line) in heads.iter().zip(&log) {
            let sent = id.find(head).map(|m| m.as_str()).unwrap_or("none");
            assert!(line.contains(sent), "{kind:?}: {head:?} vs {line:?}");
        }
        let heads: Vec<String> = heads.iter().map(mask).collect();
        let log: Vec<String> = log.iter().map(mask).collect();
        seen.push((heads, log));
    }
    eprintln!("{:#?}", seen[0]);
    assert_eq!(seen[0], seen[1], "HAProxy (left) and lbtop (right) differ");
    assert!(seen[0].0[0].contains("x-unique-id: mine\r\nx-other: 1\r\nx-unique-id: ID\r\n"));

    // Without `unique-id-format`, `%ID` is `-` and no header is added.
    let mut seen = Vec::new();
    for kind in [Kind::Haproxy, Kind::Lbtop] {
        seen.push(run(kind, "    unique-id-header X-Unique-ID\n", &rt));
    }
    assert_eq!(seen[0], seen[1], "HAProxy (left) and lbtop (right) differ");
    assert!(seen[0].1[0].ends_with(" - 127.0.0.1"), "{:?}", seen[0].1);
}

/// `unique-id-format %[uuid()]` with the ID copied into a header by `%[unique-id]`: a new
/// version 4 UUID per request, the same in the header, the unique-id header and the log.
#[test]
fn a_uuid_id_and_the_unique_id_fetch_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let lines = "    unique-id-format %[uuid()]\n    unique-id-header X-Unique-ID\n    http-request set-header X-Request-ID %[unique-id]\n    http-request set-header X-Other-UUID %[uuid(4)]\n";
    let uuid =
        Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}").unwrap();
    let mut seen = Vec::new();
    for kind in [Kind::Haproxy, Kind::Lbtop] {
        let (heads, log) = run(kind, lines, &rt);
        let mut ids = Vec::new();
        for (head, line) in heads.iter().zip(&log) {
            let found: Vec<&str> = uuid.find_iter(head).map(|m| m.as_str()).collect();
            // X-Request-ID and the unique-id header (added last) hold the same ID;
            // X-Other-UUID another.
            assert_eq!(found.len(), 3, "{kind:?}: {head:?}");
            assert_eq!(found[0], found[2], "{kind:?}: {head:?}");
            assert_ne!(found[0], found[1], "{kind:?}: {head:?}");
            assert!(line.contains(found[0]), "{kind:?}: {head:?} vs {line:?}");
            ids.push(found[0].to_string());
        }
        assert_ne!(ids[0], ids[1], "{kind:?}: one ID per request");
        let masked: Vec<String> = heads
            .iter()
            .map(|h| uuid.replace_all(h, "UUID").into_owned())
            .collect();
        seen.push(masked);
    }
    assert_eq!(seen[0], seen[1], "HAProxy (left) and lbtop (right) differ");
}
