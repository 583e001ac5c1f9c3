//! `101 Switching Protocols` and `timeout tunnel` side by side with real HAProxy 2.6: the same
//! haproxy.cfg, the same WebSocket-ish origin (`common::echo`), the same client bytes; what
//! the client reads, what the origin saw and the log line must match
//! (docs/haproxy-semantics.md §23).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::echo::{EchoOrigin, Seen, WS_101, WS_REQUEST};
use common::wire::{read_some, read_to_close, read_until};
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const CFG: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode {MODE}\n    log global\n    option {LOG_FORMAT}\n    timeout connect 1s\n    {TIMEOUTS}\n    {EXTRA}\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\nbackend be\n    server s1 {s1}\n";

/// What one proxy did with a scenario.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Everything the client read.
    client: String,
    /// What the origin saw.
    origin: Vec<(String, Vec<u8>)>,
    /// The log lines, masked (timers, ports, dates).
    log: Vec<String>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn cfg(mode: &str, timeouts: &str, extra: &str) -> String {
    CFG.replace("{MODE}", mode)
        .replace(
            "{LOG_FORMAT}",
            if mode == "http" { "httplog" } else { "tcplog" },
        )
        .replace("{TIMEOUTS}", timeouts)
        .replace("{EXTRA}", extra)
}

/// Runs `client` against `kind` in front of an origin answering `answer` after `delay`, and
/// collects the outcome once a log line with `needle` came.
fn scenario<F, Fut>(
    kind: Kind,
    cfg: &str,
    answer: &'static str,
    delay: Duration,
    needle: &str,
    client: F,
) -> Outcome
where
    F: FnOnce(std::net::SocketAddr) -> Fut,
    Fut: std::future::Future<Output = Vec<u8>>,
{
    let rt = runtime();
    let origin = rt.block_on(EchoOrigin::start(answer, delay));
    let servers = BTreeMap::from([("s1", origin.addr)]);
    let proxy = Contender::start(kind, cfg, &servers);
    let read = rt.block_on(client(proxy.addr()));
    proxy.sink.wait(needle, Duration::from_secs(10));
    let origin: Vec<(String, Vec<u8>)> = origin
        .seen()
        .into_iter()
        .map(|Seen { head, early }| (head, early))
        .collect();
    Outcome {
        client: String::from_utf8_lossy(&read).into_owned(),
        origin,
        log: proxy.settled_lines(),
    }
}

fn both<F, Fut>(
    cfg: &str,
    answer: &'static str,
    delay: Duration,
    needle: &str,
    client: F,
) -> Outcome
where
    F: Fn(std::net::SocketAddr) -> Fut,
    Fut: std::future::Future<Output = Vec<u8>>,
{
    let haproxy = scenario(Kind::Haproxy, cfg, answer, delay, needle, &client);
    let lbtop = scenario(Kind::Lbtop, cfg, answer, delay, needle, &client);
    assert_eq!(
        haproxy, lbtop,
        "HAProxy (left) and lbtop (right) differ with\n{cfg}"
    );
    lbtop
}

/// Sends `request`, reads the `101` head and `expect` behind it, sends `ping` and reads it
/// echoed, then half-closes and reads to the end. Returns all it read.
async fn talk(addr: std::net::SocketAddr, request: &[u8], expect: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let head = read_until(&mut s, &mut buf, b"\r\n\r\n")
        .await
        .expect("a head");
    while buf.len() < head + expect.len() {
        assert!(read_some(&mut s, &mut buf).await > 0, "closed: {buf:?}");
    }
    s.write_all(b"ping").await.unwrap();
    while !buf.ends_with(b"ping") {
        assert!(read_some(&mut s, &mut buf).await > 0, "closed: {buf:?}");
    }
    s.shutdown().await.unwrap();
    buf.extend(read_to_close(&mut s).await);
    buf
}

#[test]
fn websocket_handshake_and_echo_match_haproxy() {
    if !haproxy_available() {
        return;
    }
    let timeouts = "timeout client 5s\n    timeout server 5s";
    for extra in ["", "option http-server-close"] {
        let cfg = cfg("http", timeouts, extra);
        let out = both(&cfg, WS_101, Duration::ZERO, " 101 ", |addr| {
            talk(addr, WS_REQUEST.as_bytes(), b"")
        });
        assert!(out.client.starts_with("HTTP/1.1 101"), "{out:?}");
        assert!(out.client.ends_with("ping"), "{out:?}");
        // The 101 head (132 in HAProxy's count) and the 4 bytes echoed.
        assert!(out.log[0].contains(" 101 136 - - ---- "), "{:?}", out.log);
    }
}

/// A request rewritten by `http-request` rules still upgrades, and `http-response` rules run
/// on the `101` head (HAProxy 2.6 runs them; measured) without breaking the tunnel: the
/// server's `connection` line stays in place, an added header comes after it.
#[test]
fn rewritten_requests_and_response_rules_keep_the_tunnel() {
    if !haproxy_available() {
        return;
    }
    let timeouts = "timeout client 5s\n    timeout server 5s";
    let rules = "    http-request set-header x-tenant t1\n    http-request set-path /ws\n    \
                 http-response add-header x-added yes\n    \
                 http-response set-header x-seen %[status]\n    server s1";
    let cfg = cfg("http", timeouts, "").replace("    server s1", rules);
    let out = both(&cfg, WS_101, Duration::ZERO, " 101 ", |addr| {
        talk(addr, WS_REQUEST.as_bytes(), b"")
    });
    assert!(out.client.starts_with("HTTP/1.1 101"), "{out:?}");
    assert!(
        out.client.contains("x-added: yes\r\nx-seen: 101\r\n"),
        "{out:?}"
    );
    assert!(out.client.ends_with("ping"), "{out:?}");
    assert!(out.origin[0].0.starts_with("GET /ws HTTP/1.1"), "{out:?}");
    assert!(out.origin[0].0.contains("x-tenant: t1"), "{out:?}");
}

#[test]
fn bytes_around_the_101_are_not_mixed_up() {
    if !haproxy_available() {
        return;
    }
    let cfg = cfg("http", "timeout client 5s\n    timeout server 5s", "");
    // The client writes behind its handshake before any answer: the origin must not see
    // those bytes before it has answered (it would read them as HTTP).
    let early = format!("{WS_REQUEST}EARLY");
    let out = both(&cfg, WS_101, Duration::from_millis(300), " 101 ", |addr| {
        let early = early.clone();
        async move { talk(addr, early.as_bytes(), b"EARLY").await }
    });
    assert_eq!(out.origin.len(), 1);
    assert!(out.origin[0].1.is_empty(), "{:?}", out.origin);
    assert!(out.client.ends_with("\r\n\r\nEARLYping"), "{out:?}");
    // The server writes data in the same packet as its 101.
    const WITH_DATA: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nHELLO";
    let out = both(&cfg, WITH_DATA, Duration::ZERO, " 101 ", |addr| {
        talk(addr, WS_REQUEST.as_bytes(), b"HELLO")
    });
    assert!(out.client.ends_with("\r\n\r\nHELLOping"), "{out:?}");
}

#[test]
fn a_101_nobody_asked_for_is_a_502() {
    if !haproxy_available() {
        return;
    }
    let cfg = cfg("http", "timeout client 5s\n    timeout server 5s", "");
    let plain = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    // A WebSocket 101 without its accept key, to a request that did ask.
    const NO_KEY: &str =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    // A 101 that names no upgrade in `Connection`.
    const NO_CONNECTION: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\n\r\n";
    let closing_ws = WS_REQUEST.replace("Connection: Upgrade", "Connection: Upgrade, close");
    for (answer, request) in [
        (WS_101, plain.to_string()),
        (NO_KEY, closing_ws.clone()),
        (NO_CONNECTION, closing_ws),
    ] {
        let out = both(&cfg, answer, Duration::ZERO, " 502 ", |addr| {
            let request = request.clone();
            async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(request.as_bytes()).await.unwrap();
                read_to_close(&mut s).await
            }
        });
        assert!(out.client.starts_with("HTTP/1.1 502"), "{out:?}");
        assert!(out.log[0].contains(" PH-- "), "{:?}", out.log);
    }
}

/// Connects, does `handshake` (if any), then waits for the proxy to close the idle tunnel.
/// Returns the time it took.
async fn idle_until_closed(addr: std::net::SocketAddr, handshake: bool) -> Duration {
    let mut s = TcpStream::connect(addr).await.unwrap();
    if handshake {
        s.write_all(WS_REQUEST.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        read_until(&mut s, &mut buf, b"\r\n\r\n")
            .await
            .expect("a head");
    }
    let began = Instant::now();
    read_to_close(&mut s).await;
    began.elapsed()
}

#[test]
fn idle_tunnels_close_at_timeout_tunnel_or_the_shorter_side() {
    if !haproxy_available() {
        return;
    }
    // (mode, timeouts, the idle limit expected, the flags)
    let cases = [
        (
            "http",
            "timeout client 5s\n    timeout server 5s\n    timeout tunnel 1s",
            1.0,
            " cD-- ",
        ),
        (
            "http",
            "timeout client 3s\n    timeout server 1s",
            1.0,
            " sD-- ",
        ),
        (
            "http",
            "timeout client 1s\n    timeout server 3s",
            1.0,
            " cD-- ",
        ),
        (
            "tcp",
            "timeout client 5s\n    timeout server 5s\n    timeout tunnel 1s",
            1.0,
            " cD ",
        ),
    ];
    for (mode, timeouts, limit, flags) in cases {
        let cfg = cfg(mode, timeouts, "");
        let handshake = mode == "http";
        let mut logs = Vec::new();
        for kind in [Kind::Haproxy, Kind::Lbtop] {
            let rt = runtime();
            let origin = rt.block_on(EchoOrigin::start(WS_101, Duration::ZERO));
            let servers = BTreeMap::from([("s1", origin.addr)]);
            let proxy = Contender::start(kind, &cfg, &servers);
            let took = rt.block_on(idle_until_closed(proxy.addr(), handshake));
            let lines = proxy.sink.wait(flags, Duration::from_secs(5));
            let secs = took.as_secs_f64();
            assert!(
                secs >= limit - 0.1 && secs < limit + 1.0,
                "{kind:?} closed after {secs:.2}s, not {limit}s, with\n{cfg}"
            );
            assert!(
                lines.iter().any(|l| l.contains(flags)),
                "{kind:?}: {lines:?}"
            );
            logs.push(proxy.settled_lines());
        }
        assert_eq!(
            logs[0], logs[1],
            "HAProxy (left) and lbtop (right) log differently with\n{cfg}"
        );
    }
}

/// An origin for the half-close cases. A connection that starts with the client's `hi` (not
/// the harness's start-up probe, which a slow proxy may pass on late) gets `bye` and the
/// origin's FIN when `server_closes`, and the time until the proxy then closes is sent;
/// otherwise the origin waits for the client's FIN and stays silent with the connection open.
async fn half_closing_origin(
    server_closes: bool,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Duration>,
) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut hi = [0u8; 2];
                let patience = Duration::from_secs(10);
                let read = tokio::time::timeout(patience, s.read_exact(&mut hi)).await;
                if !matches!(read, Ok(Ok(_))) || &hi != b"hi" {
                    return;
                }
                if server_closes {
                    let _ = s.write_all(b"bye").await;
                    let _ = s.shutdown().await;
                }
                let began = Instant::now();
                let mut sink = Vec::new();
                let _ = tokio::time::timeout(patience, s.read_to_end(&mut sink)).await;
                let _ = tx.send(began.elapsed());
                if !server_closes {
                    // The client's FIN came through: stay silent with the connection open.
                    tokio::time::sleep(patience).await;
                }
                drop(s);
            });
        }
    });
    (addr, rx)
}

#[test]
fn a_half_closed_side_takes_its_fin_timeout_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    // (who closes its half first, the timeouts, the flags)
    let cases = [
        (true, "timeout client-fin 1s", " cD "),
        (false, "timeout server-fin 1s", " sD "),
    ];
    for (server_closes, fin, flags) in cases {
        let timeouts = format!("timeout client 5s\n    timeout server 5s\n    {fin}");
        let cfg = cfg("tcp", &timeouts, "");
        let mut logs = Vec::new();
        for kind in [Kind::Haproxy, Kind::Lbtop] {
            let rt = runtime();
            let (addr, mut took) = rt.block_on(half_closing_origin(server_closes));
            let servers = BTreeMap::from([("s1", addr)]);
            let proxy = Contender::start(kind, &cfg, &servers);
            let mut client = rt.block_on(TcpStream::connect(proxy.addr())).unwrap();
            rt.block_on(client.write_all(b"hi")).unwrap();
            // The side that did not close first sees the end: the origin when the server
            // closed its half (the proxy then closes the server connection), the client when
            // it closed its own (the proxy then closes the client connection).
            let took = if server_closes {
                rt.block_on(took.recv()).expect("the origin saw the end")
            } else {
                let began = Instant::now();
                rt.block_on(async {
                    client.shutdown().await.unwrap();
                    read_to_close(&mut client).await
                });
                began.elapsed()
            };
            let secs = took.as_secs_f64();
            assert!(
                (0.9..2.0).contains(&secs),
                "{kind:?} ended after {secs:.2}s with\n{cfg}"
            );
            proxy.sink.wait(flags, Duration::from_secs(5));
            logs.push(proxy.settled_lines());
            drop(client);
        }
        assert_eq!(
            logs[0], logs[1],
            "HAProxy (left) and lbtop (right) with\n{cfg}"
        );
    }
}
