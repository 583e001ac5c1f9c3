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
