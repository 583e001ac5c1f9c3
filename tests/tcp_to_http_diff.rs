//! Differential test of a `mode tcp` frontend whose default backend is `mode http`: HAProxy 2.6
//! upgrades the connection to HTTP (docs/haproxy-semantics.md §40). Real HAProxy and lbtop get
//! the same config; the replies, what the origin received and the log lines must match.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::exchange;
use contender::{haproxy_available, mask_message, Contender, Kind};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TEMPLATE: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    option dontlognull\n    option forwardfor\n    timeout connect 1s\n    timeout client 1s\n    timeout server 5s\n\nfrontend galera\n    bind 127.0.0.1:{PORT}\n    mode tcp\n    option forwardfor header x-from-frontend\n    default_backend cluster\n\nbackend cluster\n    server a {a}\n";

/// What a client and the origin saw, and the masked log lines (the syslog header dropped).
struct Seen {
    replies: Vec<String>,
    heads: Vec<String>,
    lines: Vec<String>,
}

fn status_lines(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("HTTP/")).collect();
    lines.join(" | ")
}

fn run(kind: Kind) -> Seen {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let origin = rt.block_on(Origin::start("a", Duration::ZERO));
    let c = Contender::start(kind, TEMPLATE, &BTreeMap::from([("a", origin.addr)]));
    let before = c.sink.count();
    let mut replies = Vec::new();
    let mut logged = before;
    // Each connection's lines are awaited before the next opens: `%ac/%fc` count the
    // connections open when a line is written.
    for (raw, lines) in [
        // Two requests on one connection: both HTTP, both logged.
        (&b"GET /one HTTP/1.1\r\nhost: h\r\n\r\nGET /two HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"[..], 2),
        // A head that is not HTTP: the 400 page, logged `PR`. One cut short, still open
        // when `timeout client` strikes: the 408 page, logged `PR` too.
        (&b"junk\r\n\r\n"[..], 1),
        (&b"GET /cut HTTP/1.1\r\n"[..], 1),
        // An empty connection: the 408 page, and `dontlognull` keeps it out of the log.
        (&b""[..], 0),
    ] {
        replies.push(status_lines(&rt.block_on(exchange(c.addr(), raw))));
        logged += lines;
        let deadline = Instant::now() + Duration::from_secs(5);
        while c.sink.count() < logged && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let lines = c
        .settled_lines()
        .get(before..)
        .unwrap_or_default()
        .iter()
        .map(|l| mask_message(l.split_once("]: ").map_or(l.as_str(), |(_, m)| m)))
        .collect();
    Seen {
        replies,
        heads: origin.heads(),
        lines,
    }
}

#[test]
fn a_tcp_frontend_is_upgraded_by_its_http_backend() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let haproxy = run(Kind::Haproxy);
    let lbtop = run(Kind::Lbtop);
    assert_eq!(haproxy.replies, lbtop.replies);
    assert_eq!(haproxy.heads, lbtop.heads);
    assert_eq!(haproxy.lines, lbtop.lines);
    // What HAProxy did, so a change on either side shows here first.
    assert_eq!(haproxy.heads.len(), 2, "{:#?}", haproxy.heads);
    assert!(haproxy
        .heads
        .iter()
        .all(|h| h.contains("x-forwarded-for: 127.0.0.1") && !h.contains("x-from-frontend")));
    assert_eq!(haproxy.lines.len(), 4, "{:#?}", haproxy.lines);
    assert!(
        haproxy.lines[0].contains(" galera cluster/a "),
        "{}",
        haproxy.lines[0]
    );
    assert!(haproxy.lines[2..]
        .iter()
        .all(|l| l.contains(" galera galera/<NOSRV> -1/-1/T 0 PR ")));
    let statuses = [
        "200 OK | HTTP/1.1 200 OK",
        "400 Bad request",
        "408 Request Time-out",
    ];
    for (reply, status) in haproxy.replies.iter().zip(statuses) {
        assert_eq!(reply, &format!("HTTP/1.1 {status}"));
    }
}
