//! A built-in client that sends a steady trickle of requests, so traffic flows without a
//! browser. Each request is its own connection, so the L4 frontend shows one session each.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Requests in flight at once; a hung backend must not pile up tasks.
const MAX_IN_FLIGHT: usize = 32;

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
    loop {
        tick.tick().await;
        while requests.try_join_next().is_some() {}
        for &addr in &targets {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                continue;
            };
            requests.spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), fetch(addr)).await;
                drop(permit);
            });
        }
    }
}

/// One `GET /` on its own connection; the same bytes work through L7 and L4 frontends.
async fn fetch(addr: SocketAddr) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: lbtop-demo\r\nuser-agent: lbtop-traffic\r\nconnection: close\r\n\r\n")
        .await?;
    let mut sink = Vec::with_capacity(1024);
    stream.take(1 << 20).read_to_end(&mut sink).await
}
