//! Connecting to a server: pick, connect, retry, redispatch (HAPROXY-NOTES §3.3).

use super::backend::BackendRt;
use super::balance::PickKey;
use crate::config::Balance;
use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

/// How a backend retries failed connects.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub retries: u32,
    pub redispatch: bool,
    pub connect_timeout: Duration,
    pub balance: Balance,
}

/// A server chosen and counted; its session ends when this is dropped.
pub struct Assigned<'a> {
    pub backend: &'a BackendRt,
    pub server: usize,
}

impl Drop for Assigned<'_> {
    fn drop(&mut self) {
        self.backend.servers[self.server].counters.close();
    }
}

impl<'a> Assigned<'a> {
    /// Hands the open session to whoever ends it later (a streaming body), which must then
    /// call `counters.close()` itself.
    pub fn into_session(self) -> usize {
        let server = self.server;
        std::mem::forget(self);
        server
    }

    fn new(backend: &'a BackendRt, server: usize) -> Self {
        backend.servers[server].counters.open();
        Assigned { backend, server }
    }
}

/// The outcome of connection attempts, with what the log needs.
pub struct Attempt<'a> {
    pub assigned: Option<Assigned<'a>>,
    pub retries: u32,
    pub redispatched: bool,
    /// Time spent waiting between retries (HAProxy's Tw).
    pub waited: Duration,
    /// Time of the successful connect (Tc).
    pub connect_time: Duration,
    pub result: Result<TcpStream, ConnectError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// No usable server: `<NOSRV>`.
    NoServer,
    /// Refused (or failed) on every try: `SC--`.
    Refused,
    /// Timed out on the last try: `sC--`.
    Timeout,
}

/// Picks a server and connects, with HAProxy's retry and redispatch rules.
pub async fn connect<'a>(
    backend: &'a BackendRt,
    key: PickKey<'_>,
    policy: RetryPolicy,
) -> Attempt<'a> {
    let mut attempt = Attempt {
        assigned: None,
        retries: 0,
        redispatched: false,
        waited: Duration::ZERO,
        connect_time: Duration::ZERO,
        result: Err(ConnectError::NoServer),
    };
    let Some(first) = backend.pick(key, None) else {
        return attempt;
    };
    let mut assigned = Assigned::new(backend, first);
    loop {
        let server = &backend.servers[assigned.server];
        let started = Instant::now();
        let failure = match timeout(policy.connect_timeout, TcpStream::connect(server.addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                attempt.connect_time = started.elapsed();
                attempt.result = Ok(stream);
                attempt.assigned = Some(assigned);
                return attempt;
            }
            Ok(Err(e)) => Failure::Io(e),
            Err(_) => Failure::Timeout,
        };
        server.counters.connect_errors.fetch_add(1, Relaxed);
        if attempt.retries >= policy.retries {
            attempt.result = Err(match failure {
                Failure::Timeout => ConnectError::Timeout,
                Failure::Io(_) => ConnectError::Refused,
            });
            attempt.assigned = Some(assigned);
            return attempt;
        }
        attempt.retries += 1;
        server.counters.retries.fetch_add(1, Relaxed);
        let last_try = attempt.retries == policy.retries;
        let rr_kind = matches!(
            policy.balance,
            Balance::RoundRobin | Balance::StaticRr | Balance::Random
        );
        if policy.redispatch && (rr_kind || last_try) {
            if let Some(other) = backend.pick(key, Some(assigned.server)) {
                if other != assigned.server {
                    server.counters.redispatches.fetch_add(1, Relaxed);
                    assigned = Assigned::new(backend, other);
                    attempt.redispatched = true;
                    if rr_kind {
                        continue;
                    }
                }
            }
        }
        // Retrying the same server at once would likely fail the same way.
        if matches!(failure, Failure::Io(_)) {
            let pause = policy.connect_timeout.min(Duration::from_secs(1));
            sleep(pause).await;
            attempt.waited += pause;
        }
    }
}

enum Failure {
    Io(#[allow(dead_code)] io::Error),
    Timeout,
}
