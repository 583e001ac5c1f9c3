//! A built-in client that sends a steady trickle of requests, so traffic flows without a
//! browser. Each request is its own connection, so the L4 frontend shows one session each.
//!
//! The trickle looks like a few browsers on a small site: pages that exist, their stylesheet
//! and image, a missing favicon (404), a folder asked without its slash (301, then the slashed
//! page), and a slow page (the demo servers hold `/slow/` for a while). Clients come from
//! several loopback addresses, so `option forwardfor` has different addresses to add. The
//! order is a fixed cycle, so every run shows the same shape.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Requests in flight at once; a hung backend must not pile up tasks.
const MAX_IN_FLIGHT: usize = 32;

/// The paths asked, in order, over and over. An odd count, so round robin over two servers
/// gives each server every path in turn.
pub const PATHS: [&str; 11] = [
    "/",
    "/style.css",
    "/logo.svg",
    "/favicon.ico",
    "/docs",
    "/docs/",
    "/",
    "/logo.svg",
    "/slow/",
    "/style.css",
    "/index.html",
];

/// The client addresses, in order (a length prime to [`PATHS`]'s, so each client asks every
/// path in turn). Every 127.0.0.0/8 address is loopback on Linux, so binding needs no set-up.
pub const CLIENTS: [Ipv4Addr; 3] = [
    Ipv4Addr::new(127, 0, 0, 1),
    Ipv4Addr::new(127, 0, 0, 2),
    Ipv4Addr::new(127, 0, 0, 3),
];

pub struct Generator {
    targets: Vec<SocketAddr>,
    rate: u32,
    task: Option<JoinHandle<()>>,
}

impl Generator {
    pub fn new(targets: Vec<SocketAddr>, rate: u32) -> Generator {
        Generator {
            targets,
            rate: rate.max(1),
            task: None,
        }
    }

    pub fn running(&self) -> bool {
        self.task.is_some()
    }

    pub fn start(&mut self) {
        if self.task.is_none() && !self.targets.is_empty() {
            self.task = Some(tokio::spawn(run(self.targets.clone(), self.rate)));
        }
    }

    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl Drop for Generator {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn run(targets: Vec<SocketAddr>, rate: u32) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut requests = tokio::task::JoinSet::new();
    let mut n = 0usize;
    loop {
        tick.tick().await;
        while requests.try_join_next().is_some() {}
        for &addr in &targets {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                continue;
            };
            let (client, path) = (CLIENTS[n % CLIENTS.len()], PATHS[n % PATHS.len()]);
            requests.spawn(async move {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), fetch(client, addr, path)).await;
                drop(permit);
            });
        }
        n = n.wrapping_add(1);
    }
}

/// One `GET` on its own connection from `client`; the same bytes work through L7 and L4
/// frontends.
async fn fetch(client: Ipv4Addr, addr: SocketAddr, path: &str) -> std::io::Result<usize> {
    let mut stream = connect_from(client, addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: lbtop-demo\r\nuser-agent: lbtop-traffic\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut sink = Vec::with_capacity(1024);
    stream.take(1 << 20).read_to_end(&mut sink).await
}

/// Connects from `client` when the target is local over IPv4 (a loopback source cannot reach
/// anything else); otherwise from wherever the system picks.
async fn connect_from(client: Ipv4Addr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let local = match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback() || ip.is_unspecified(),
        IpAddr::V6(_) => false,
    };
    if !local {
        return TcpStream::connect(addr).await;
    }
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((client, 0)))?;
    socket.connect(addr).await
}
