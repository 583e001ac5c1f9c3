//! Differential tests of `hash-type`: the same backend of HTTP origins behind real HAProxy 2.6
//! and lbtop, 200 different keys each, and the server that answered each key must be the same.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::{exchange, parse_reply};
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::time::Duration;

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// Which server answered each of 200 keys, sent in the way `balance` reads them.
fn answers(kind: Kind, balance: &str, hash_type: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let origins: Vec<Origin> = NAMES
        .iter()
        .map(|n| rt.block_on(Origin::start(n, Duration::ZERO)))
        .collect();
    let addrs: BTreeMap<&str, _> = NAMES
        .iter()
        .zip(&origins)
        .map(|(n, o)| (*n, o.addr))
        .collect();
    // Unequal weights, so the map and the ring both depend on them.
    let template = format!(
        "global\n    log {{LOG}} local6 debug\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    balance {balance}\n{hash_type}    server a {{a}}\n    server b {{b}} weight 2\n    server c {{c}} weight 3\n    server d {{d}}\n"
    );
    let c = Contender::start(kind, &template, &addrs);
    (0..200)
        .map(|i| {
            let key = format!("/item/{i}/{}", i * 7919 % 1000);
            let raw = match balance {
                "uri" => format!("GET {key}?q=1 HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"),
                _ => format!(
                    "GET / HTTP/1.1\r\nhost: h\r\nx-key: {key}\r\nconnection: close\r\n\r\n"
                ),
            };
            let reply = parse_reply(&rt.block_on(exchange(c.addr(), raw.as_bytes())));
            format!("{key} {}", reply.server())
        })
        .collect()
}

fn same_servers(balance: &str, hash_type: &str) {
    let haproxy = answers(Kind::Haproxy, balance, hash_type);
    let lbtop = answers(Kind::Lbtop, balance, hash_type);
    let differ: Vec<String> = haproxy
        .iter()
        .zip(&lbtop)
        .filter(|(h, l)| h != l)
        .map(|(h, l)| format!("HAProxy {h} / lbtop {l}"))
        .collect();
    assert!(
        differ.is_empty(),
        "balance {balance} {hash_type:?}: {} of 200 keys differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    // Every server answered some key: the test tells the servers apart.
    for name in NAMES {
        assert!(
            haproxy.iter().any(|a| a.ends_with(&format!(" {name}"))),
            "{haproxy:?}"
        );
    }
}

#[test]
fn map_based_hashes_pick_haproxys_servers() {
    if !haproxy_available() {
        return;
    }
    for hash_type in [
        "",
        "    hash-type map-based\n",
        "    hash-type map-based djb2\n",
        "    hash-type map-based wt6\n",
        "    hash-type map-based crc32\n",
        "    hash-type map-based sdbm avalanche\n",
    ] {
        same_servers("uri", hash_type);
    }
}

#[test]
fn consistent_hashes_pick_haproxys_servers() {
    if !haproxy_available() {
        return;
    }
    for hash_type in [
        "    hash-type consistent\n",
        "    hash-type consistent djb2 avalanche\n",
        "    hash-type consistent wt6\n",
        "    hash-type consistent crc32\n",
    ] {
        same_servers("uri", hash_type);
    }
    same_servers("hdr(X-Key)", "    hash-type consistent sdbm avalanche\n");
}
