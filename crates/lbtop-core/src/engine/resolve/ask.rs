//! Asking a `resolvers` section's name servers one question over UDP.

use crate::config::{Nameserver, Resolvers};
use crate::dns::{self, Answer};
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

/// What one resolution got: an answer and the name server that gave it, or no answer.
pub(super) enum Outcome<'a> {
    Answered(Answer, &'a Nameserver),
    Timeout,
}

/// Asks every name server at once and takes the first valid answer, `timeout retry` per
/// try and `resolve_retries` tries, as HAProxy does. Datagrams that are not the answer (wrong
/// id, wrong question, garbage, another sender) are passed over.
pub(super) async fn ask<'a>(r: &'a Resolvers, name: &str, qtype: u16) -> Outcome<'a> {
    let Ok(socket) = socket(r).await else {
        return Outcome::Timeout;
    };
    for _ in 0..r.retries {
        let id = random_id();
        let Ok(query) = dns::encode_query(id, name, qtype) else {
            return Outcome::Timeout;
        };
        let v6 = socket.local_addr().is_ok_and(|a| a.is_ipv6());
        for ns in &r.nameservers {
            let _ = socket.send_to(&query, on_socket(ns.addr, v6)).await;
        }
        let deadline = Instant::now() + r.retry;
        let mut buf = [0u8; 512];
        while let Ok(Ok((n, from))) = timeout_at(deadline, socket.recv_from(&mut buf)).await {
            let from = SocketAddr::new(from.ip().to_canonical(), from.port());
            let Some(ns) = r.nameservers.iter().find(|ns| ns.addr == from) else {
                continue;
            };
            if let Ok(answer) = dns::decode_answer(&buf[..n], id, name, qtype) {
                return Outcome::Answered(answer, ns);
            }
        }
    }
    Outcome::Timeout
}

/// One socket for both families when a name server is IPv6.
async fn socket(r: &Resolvers) -> std::io::Result<UdpSocket> {
    let v6 = r.nameservers.iter().any(|ns| ns.addr.is_ipv6());
    let any: SocketAddr = if v6 { "[::]:0" } else { "0.0.0.0:0" }
        .parse()
        .expect("literal");
    UdpSocket::bind(any).await
}

/// An IPv4 address as an IPv6 socket must be given it (`::ffff:a.b.c.d`).
fn on_socket(addr: SocketAddr, v6: bool) -> SocketAddr {
    match addr {
        SocketAddr::V4(a) if v6 => SocketAddr::new(a.ip().to_ipv6_mapped().into(), a.port()),
        _ => addr,
    }
}

/// A fresh, unpredictable query id (std's per-process random hash keys, mixed with the time).
fn random_id() -> u16 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one(now) as u16
}
