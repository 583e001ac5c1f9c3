//! Differential test of `option http-pretend-keepalive`: the request heads an origin receives
//! behind real HAProxy 2.6 and behind lbtop must be the same.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::exchange;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The heads origin `a` received for an HTTP/1.1 and an HTTP/1.0 request under `options`.
fn heads(kind: Kind, options: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let origin = rt.block_on(Origin::start("a", Duration::ZERO));
    let template = format!(
        "global\n    log {{LOG}} local6 debug\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nlisten l\n    bind 127.0.0.1:{{PORT}}\n{options}    server a {{a}}\n"
    );
    let c = Contender::start(kind, &template, &BTreeMap::from([("a", origin.addr)]));
    for raw in [
        &b"GET /one HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"[..],
        &b"GET /two HTTP/1.0\r\n\r\n"[..],
    ] {
        let reply = rt.block_on(exchange(c.addr(), raw));
        assert!(reply.starts_with(b"HTTP/1.1 200"), "{kind:?}: {reply:?}");
    }
    origin.heads()
}

#[test]
fn pretend_keepalive_words_requests_for_keep_alive() {
    if !haproxy_available() {
        return;
    }
    for options in [
        "    option http-server-close\n",
        "    option http-server-close\n    option http-pretend-keepalive\n",
        "    option http-pretend-keepalive\n",
    ] {
        let haproxy = heads(Kind::Haproxy, options);
        let lbtop = heads(Kind::Lbtop, options);
        assert_eq!(haproxy, lbtop, "{options}");
        let closes = haproxy.iter().any(|h| h.contains("connection: close"));
        let server_close_only = !options.contains("pretend");
        assert_eq!(closes, server_close_only, "{options}: {haproxy:#?}");
    }
}

/// What a client sees sending two requests in a row on one connection (the second only once
/// the first is answered): the first reply, and the second, or `None` when the proxy closed
/// the connection after the first. Also the heads the origin received.
fn two_in_a_row(kind: Kind, sections: &str) -> (String, Option<String>, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let origin = rt.block_on(Origin::start("a", Duration::ZERO));
    let template = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n{sections}"
    );
    let c = Contender::start(kind, &template, &BTreeMap::from([("a", origin.addr)]));
    let (first, second) = rt.block_on(async {
        let mut s = TcpStream::connect(c.addr()).await.unwrap();
        s.write_all(b"GET /one HTTP/1.1\r\nhost: h\r\n\r\n")
            .await
            .unwrap();
        let first = read_reply(&mut s).await;
        let _ = s
            .write_all(b"GET /two HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n")
            .await;
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest));
        let second = match read.await.expect("the connection ends") {
            Ok(_) if !rest.is_empty() => Some(String::from_utf8_lossy(&rest).into_owned()),
            _ => None,
        };
        (first, second)
    });
    (first, second, origin.heads())
}

/// One response framed by `content-length` (the test origin always sends one).
async fn read_reply(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let work = async {
        loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    return text;
                }
            }
            let n = s.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed before a whole reply: {text:?}");
            got.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("a reply in time")
}

/// `option httpclose`, measured on HAProxy 2.6: in a frontend (or `listen`, or `defaults`)
/// the reply says `connection: close`, the connection ends after it and the server is asked
/// to close; in a backend only, the client stays connected and only the server connection
/// closes (with `http-pretend-keepalive`, not even asked to). The last of `httpclose`,
/// `http-server-close` and `http-keep-alive` in a section wins.
#[test]
fn httpclose_closes_the_client_connection_from_a_frontend() {
    if !haproxy_available() {
        return;
    }
    const FE: &str = "frontend f\n    bind 127.0.0.1:{PORT}\n";
    const BE: &str = "    default_backend b\nbackend b\n    server a {a}\n";
    let cases = [
        (
            "listen l\n    bind 127.0.0.1:{PORT}\n    option httpclose\n    server a {a}\n"
                .to_string(),
            true,
        ),
        (format!("    option httpclose\n{FE}{BE}"), true),
        (
            format!("{FE}    option httpclose\n{BE}    option http-keep-alive\n"),
            true,
        ),
        (format!("{FE}{BE}    option httpclose\n"), false),
        (
            format!("{FE}{BE}    option httpclose\n    option http-pretend-keepalive\n"),
            false,
        ),
        (
            format!("    option httpclose\n{FE}    option http-server-close\n{BE}"),
            false,
        ),
        (
            format!("{FE}    option httpclose\n    no option httpclose\n{BE}"),
            false,
        ),
    ];
    for (sections, closes) in cases {
        let haproxy = two_in_a_row(Kind::Haproxy, &sections);
        let lbtop = two_in_a_row(Kind::Lbtop, &sections);
        assert_eq!(haproxy, lbtop, "{sections}");
        assert_eq!(haproxy.1.is_none(), closes, "{sections}: {haproxy:#?}");
        assert_eq!(
            haproxy.0.contains("connection: close"),
            closes,
            "{sections}"
        );
    }
}
