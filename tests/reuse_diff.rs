//! `http-reuse` side by side with real HAProxy 2.6: the same haproxy.cfg, the same requests,
//! and the number of connections the origin sees must match for each mode. One thread on both
//! sides, so that "an idle connection" means the same pool.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::wire::{read_some, read_until};
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const CFG: &str = "global\n    nbthread 1\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\nbackend be\n    http-reuse {MODE}\n    server a {a}\n";

/// Sends `n` requests one after another on one connection and reads each answer.
async fn requests(addr: SocketAddr, n: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    for i in 0..n {
        let req = format!("GET /{i} HTTP/1.1\r\nhost: t\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let end = read_until(&mut s, &mut buf, b"\r\n\r\n")
            .await
            .expect("an answer");
        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .expect("a sized answer");
        while buf.len() < end + len {
            assert!(
                read_some(&mut s, &mut buf).await > 0,
                "closed inside a body"
            );
        }
        assert!(head.starts_with("http/1.1 200"), "{head}");
        buf.drain(..end + len);
    }
    s
}

/// Client A sends two requests on one connection and stays; then clients B and C send one
/// each. Returns how many connections the origin accepted.
fn server_connections(kind: Kind, mode: &str, rt: &tokio::runtime::Runtime) -> usize {
    let origin = rt.block_on(Origin::start("a", Duration::ZERO));
    let servers = BTreeMap::from([("a", origin.addr)]);
    let c = Contender::start(kind, &CFG.replace("{MODE}", mode), &servers);
    rt.block_on(async {
        let _a = requests(c.addr(), 2).await;
        let _b = requests(c.addr(), 1).await;
        let _c = requests(c.addr(), 1).await;
        // Let a connection the proxy gave up on be counted either way.
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
    origin.connections()
}

#[test]
fn http_reuse_modes_open_the_same_server_connections_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for mode in ["never", "safe", "aggressive", "always"] {
        let haproxy = server_connections(Kind::Haproxy, mode, &rt);
        let lbtop = server_connections(Kind::Lbtop, mode, &rt);
        eprintln!("http-reuse {mode}: {haproxy} server connections (HAProxy), {lbtop} (lbtop)");
        assert_eq!(
            haproxy, lbtop,
            "http-reuse {mode}: HAProxy opened {haproxy} server connections, lbtop {lbtop}"
        );
    }
}

const TWO_BACKENDS: &str = "global\n    nbthread 1\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    http-reuse {MODE}\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    use_backend bb if { path_beg /b }\n    default_backend ba\n\nbackend ba\n    server s {a}\n\nbackend bb\n    server s {b}\n";

/// One client connection alternating between two backends whose servers share a name and an
/// index: which origin saw which request.
fn origins_seen(kind: Kind, mode: &str, rt: &tokio::runtime::Runtime) -> [Vec<String>; 2] {
    let a = rt.block_on(Origin::start("a", Duration::ZERO));
    let b = rt.block_on(Origin::start("b", Duration::ZERO));
    let servers = BTreeMap::from([("a", a.addr), ("b", b.addr)]);
    let c = Contender::start(kind, &TWO_BACKENDS.replace("{MODE}", mode), &servers);
    rt.block_on(async {
        let mut s = TcpStream::connect(c.addr()).await.unwrap();
        let mut buf = Vec::new();
        for path in ["/a0", "/b1", "/a2", "/b3"] {
            let req = format!("GET {path} HTTP/1.1\r\nhost: t\r\n\r\n");
            s.write_all(req.as_bytes()).await.unwrap();
            let end = read_until(&mut s, &mut buf, b"\r\n\r\n")
                .await
                .expect("an answer");
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .expect("a sized answer");
            while buf.len() < end + len {
                assert!(
                    read_some(&mut s, &mut buf).await > 0,
                    "closed inside a body"
                );
            }
            buf.drain(..end + len);
        }
    });
    let paths = |o: &Origin| -> Vec<String> {
        o.heads()
            .iter()
            .filter_map(|h| h.split(' ').nth(1).map(str::to_string))
            .collect()
    };
    [paths(&a), paths(&b)]
}

/// A request goes to the backend its rules chose, whatever server connection the client's
/// previous request left it: with `http-reuse never` lbtop once sent `/b1` over the
/// connection kept to backend `ba`'s server of the same index.
#[test]
fn a_kept_server_connection_serves_only_its_own_backend() {
    if !haproxy_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for mode in ["never", "safe", "always"] {
        let haproxy = origins_seen(Kind::Haproxy, mode, &rt);
        let lbtop = origins_seen(Kind::Lbtop, mode, &rt);
        assert_eq!(haproxy, [["/a0", "/a2"], ["/b1", "/b3"]], "HAProxy, {mode}");
        assert_eq!(
            lbtop, haproxy,
            "http-reuse {mode}: lbtop (left), HAProxy (right)"
        );
    }
}

const PREFER_LAST: &str = "global\n    nbthread 1\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\nbackend be\n{LINES}    server a {a}\n    server b {b}\n";

/// Four requests on one client connection to a two-server backend: which origin saw which.
fn spread(kind: Kind, lines: &str, rt: &tokio::runtime::Runtime) -> [Vec<String>; 2] {
    let a = rt.block_on(Origin::start("a", Duration::ZERO));
    let b = rt.block_on(Origin::start("b", Duration::ZERO));
    let servers = BTreeMap::from([("a", a.addr), ("b", b.addr)]);
    let c = Contender::start(kind, &PREFER_LAST.replace("{LINES}", lines), &servers);
    rt.block_on(async {
        let _kept = requests(c.addr(), 4).await;
    });
    let paths = |o: &Origin| -> Vec<String> {
        o.heads()
            .iter()
            .filter_map(|h| h.split(' ').nth(1).map(str::to_string))
            .collect()
    };
    [paths(&a), paths(&b)]
}

/// `option prefer-last-server` keeps a client on the server its kept connection goes to
/// (`http-reuse never`); with a shared pool, or an algorithm that hashes, HAProxy balances as
/// without it (measured on 2.6.12), and so does lbtop.
#[test]
fn prefer_last_server_follows_a_kept_connection_as_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cases = [
        "    option prefer-last-server\n    http-reuse never\n",
        "    http-reuse never\n",
        "    option prefer-last-server\n",
        "    option prefer-last-server\n    http-reuse always\n",
        "    option prefer-last-server\n    http-reuse never\n    balance leastconn\n",
        "    option prefer-last-server\n    http-reuse never\n    balance uri\n",
    ];
    for lines in cases {
        let haproxy = spread(Kind::Haproxy, lines, &rt);
        let lbtop = spread(Kind::Lbtop, lines, &rt);
        eprintln!("{lines:?}: {haproxy:?}");
        assert_eq!(lbtop, haproxy, "{lines:?}: lbtop (left), HAProxy (right)");
    }
    let pinned = spread(Kind::Lbtop, cases[0], &rt);
    assert_eq!(pinned, [vec!["/0", "/1", "/2", "/3"], vec![]]);
}
