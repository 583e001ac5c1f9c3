//! Getting a server for a session: pick (or wait in the backend queue), connect, retry and
//! redispatch (docs/haproxy-semantics.md §3.3, §3.5).

use super::backend::{BackendRt, ServerRt};
use super::balance::PickKey;
use super::proxy_proto::{self, Addrs};
use crate::config::{Balance, ProxyVersion};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

/// How a backend retries failed connects.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub retries: u32,
    pub redispatch: bool,
    pub connect_timeout: Duration,
    pub queue_timeout: Duration,
    pub balance: Balance,
    /// The session goes to the server its persistence cookie names: on a failed connect it
    /// is redispatched only when that server is not UP, or on the last try.
    pub direct: bool,
    /// `option abortonclose`: a client that closes while its session waits here ends it.
    pub abortonclose: bool,
}

/// How a client left while its session waited for a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// It closed (a FIN, or a TLS close).
    Closed,
    /// Its connection was reset.
    Reset,
}

/// A server chosen and counted; its session ends when this is dropped.
pub struct Assigned<'a> {
    pub backend: &'a BackendRt,
    pub server: usize,
}

impl Drop for Assigned<'_> {
    fn drop(&mut self) {
        self.backend.release(self.server);
    }
}

impl<'a> Assigned<'a> {
    /// Takes over a session [`BackendRt::pick`] opened.
    fn new(backend: &'a BackendRt, server: usize) -> Self {
        Assigned { backend, server }
    }

    /// Hands the open session to whoever ends it later (a streaming body), which must then
    /// call [`BackendRt::release`] itself.
    pub fn into_session(self) -> usize {
        let server = self.server;
        std::mem::forget(self);
        server
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// No usable server: `<NOSRV>`, `SC`.
    NoServer,
    /// Every usable server stayed full for `timeout queue`: `<NOSRV>`, `sQ`.
    QueueTimeout,
    /// Refused (or failed) on every try: `SC`.
    Refused,
    /// Timed out on the last try: `sC`.
    Timeout,
    /// The client left while the session waited (the caller's watcher said so).
    Aborted(Gone),
}

/// The outcome of getting a server, with what the log needs.
pub struct Attempt<'a> {
    pub assigned: Option<Assigned<'a>>,
    pub retries: u32,
    pub redispatched: bool,
    /// Time spent queued and between retries (HAProxy's Tw).
    pub waited: Duration,
    /// Time of the successful connect (Tc).
    pub connect_time: Duration,
    pub result: Result<TcpStream, ConnectError>,
}

/// Picks a server, waiting in the backend queue while every usable server is at its maxconn,
/// and notes the session's place in that queue (0 if it never waited). `abort` ends the
/// wait when it resolves (a watcher of the client, or never).
pub async fn assign_queued<'a, A: Future<Output = Gone>>(
    backend: &'a BackendRt,
    key: PickKey<'_>,
    queue_timeout: Duration,
    position: &mut u64,
    abort: Pin<&mut A>,
) -> Result<Assigned<'a>, (ConnectError, Duration)> {
    let pick = |b: &BackendRt| b.pick(key, None);
    assign_by(backend, (queue_timeout, abort), position, pick).await
}

/// Opens a session on `server` itself (its persistence cookie named it), waiting in the
/// queue while it is at its `maxconn`.
pub async fn assign_direct<'a, A: Future<Output = Gone>>(
    backend: &'a BackendRt,
    server: usize,
    queue_timeout: Duration,
    position: &mut u64,
    abort: Pin<&mut A>,
) -> Result<Assigned<'a>, (ConnectError, Duration)> {
    let pick = |b: &BackendRt| b.pick_direct(server);
    assign_by(backend, (queue_timeout, abort), position, pick).await
}

async fn assign_by<'a, A: Future<Output = Gone>>(
    backend: &'a BackendRt,
    (queue_timeout, mut abort): (Duration, Pin<&mut A>),
    position: &mut u64,
    pick: impl Fn(&BackendRt) -> Option<usize>,
) -> Result<Assigned<'a>, (ConnectError, Duration)> {
    let started = Instant::now();
    let deadline = started + queue_timeout;
    // The usual case: a server is free, and nothing is registered anywhere.
    if let Some(server) = pick(backend) {
        return Ok(Assigned::new(backend, server));
    }
    // HAProxy logs a queued session's place as 1 + the sessions that left the queue for a
    // server while it waited, however it leaves (measured: two clients that gave up at once
    // both log 1).
    let entered = backend.dequeues();
    let place = |b: &BackendRt| 1 + b.dequeues().saturating_sub(entered);
    loop {
        if !backend.any_usable() {
            return Err((ConnectError::NoServer, started.elapsed()));
        }
        // Queue first, then listen, then look again: a slot released in between is either
        // seen by this pick or announced to this listener (see `BackendRt::release`).
        let _queued = backend.enqueue();
        let freed = backend.slot_freed();
        tokio::pin!(freed);
        freed.as_mut().enable();
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        if let Some(server) = pick(backend) {
            *position = place(backend);
            backend.note_dequeued();
            return Ok(Assigned::new(backend, server));
        }
        let e = tokio::select! {
            biased;
            woken = tokio::time::timeout_at(deadline.into(), freed) => match woken {
                Ok(()) => continue,
                Err(_) => ConnectError::QueueTimeout,
            },
            gone = abort.as_mut() => ConnectError::Aborted(gone),
        };
        *position = place(backend);
        return Err((e, started.elapsed()));
    }
}

/// Picks (or queues for) a server and connects; `peer` is the client connection's addresses.
/// `direct` is the server a stick table names for this client, if any.
/// `abort` ends the wait for a server or a connect when it resolves; `position` is set to
/// the session's place in the backend queue (0 if it never waited).
pub async fn connect<'a, A: Future<Output = Gone>>(
    backend: &'a BackendRt,
    key: PickKey<'_>,
    mut policy: RetryPolicy,
    (peer, direct, position): (&Addrs, Option<usize>, &mut u64),
    mut abort: Pin<&mut A>,
) -> Attempt<'a> {
    policy.direct = direct.is_some();
    let wait = policy.queue_timeout;
    let assigned = match direct {
        Some(server) => assign_direct(backend, server, wait, position, abort.as_mut()).await,
        None => assign_queued(backend, key, wait, position, abort.as_mut()).await,
    };
    match assigned {
        Ok(assigned) => dial(assigned, key, policy, peer, abort).await,
        Err((e, waited)) => Attempt {
            assigned: None,
            retries: 0,
            redispatched: false,
            waited,
            connect_time: Duration::ZERO,
            result: Err(e),
        },
    }
}

/// Connects to the assigned server, with HAProxy's retry and redispatch rules; a
/// `send-proxy` server is told `peer` before anything else. `abort` resolving ends the
/// attempts, unless the connect it interrupts turns out already made (on loopback the
/// handshake is done at once, and HAProxy then goes on: measured, §41).
pub async fn dial<'a, A: Future<Output = Gone>>(
    mut assigned: Assigned<'a>,
    key: PickKey<'_>,
    mut policy: RetryPolicy,
    peer: &Addrs,
    mut abort: Pin<&mut A>,
) -> Attempt<'a> {
    let backend = assigned.backend;
    let mut attempt = Attempt {
        assigned: None,
        retries: 0,
        redispatched: false,
        waited: Duration::ZERO,
        connect_time: Duration::ZERO,
        result: Err(ConnectError::NoServer),
    };
    loop {
        let server = &backend.servers[assigned.server];
        let started = Instant::now();
        let connecting = timeout(
            policy.connect_timeout,
            open(server, policy.connect_timeout, peer),
        );
        tokio::pin!(connecting);
        let connected = tokio::select! {
            biased;
            done = &mut connecting => done,
            gone = abort.as_mut() => match made_already(connecting).await {
                Some(done) => done,
                None => {
                    attempt.result = Err(ConnectError::Aborted(gone));
                    attempt.assigned = Some(assigned);
                    return attempt;
                }
            },
        };
        let refused = match connected {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                if backend.srvtcpka {
                    super::frontend::keepalive(&stream);
                }
                attempt.connect_time = started.elapsed();
                attempt.result = Ok(stream);
                attempt.assigned = Some(assigned);
                return attempt;
            }
            Ok(Err(_)) => true,
            Err(_) => false,
        };
        server.counters.connect_errors.fetch_add(1, Relaxed);
        if attempt.retries >= policy.retries {
            attempt.result = Err(if refused {
                ConnectError::Refused
            } else {
                ConnectError::Timeout
            });
            attempt.assigned = Some(assigned);
            return attempt;
        }
        attempt.retries += 1;
        server.counters.retries.fetch_add(1, Relaxed);
        let last_try = attempt.retries == policy.retries;
        // Round-robin kinds move on to another server at once; others only on the last try.
        // A session its cookie sent moves on as soon as its server is not UP (after the
        // pause: measured, docs/haproxy-semantics.md §24).
        let rr_kind = !policy.direct
            && matches!(
                policy.balance,
                Balance::RoundRobin | Balance::StaticRr | Balance::Random
            );
        let direct_down = policy.direct && !backend.is_up(assigned.server);
        if policy.redispatch && (rr_kind || last_try || direct_down) {
            if let Some(other) = backend.pick(key, Some(assigned.server)) {
                server.counters.redispatches.fetch_add(1, Relaxed);
                assigned = Assigned::new(backend, other);
                attempt.redispatched = true;
                policy.direct = false;
                if rr_kind {
                    continue;
                }
            }
        }
        // Retrying the same server at once would likely fail the same way.
        if refused {
            let pause = policy.connect_timeout.min(Duration::from_secs(1));
            tokio::select! {
                biased;
                () = sleep(pause) => attempt.waited += pause,
                gone = abort.as_mut() => {
                    attempt.result = Err(ConnectError::Aborted(gone));
                    attempt.assigned = Some(assigned);
                    return attempt;
                }
            }
        }
    }
}

/// The connect's outcome if it is already known once other tasks have had their turn (the
/// kernel may have finished the handshake while the client's close was being read).
async fn made_already<F: Future>(connecting: Pin<&mut F>) -> Option<F::Output> {
    tokio::task::yield_now().await;
    let mut connecting = Some(connecting);
    std::future::poll_fn(|cx| {
        let polled = connecting.take().map(|c| c.poll(cx));
        std::task::Poll::Ready(match polled {
            Some(std::task::Poll::Ready(done)) => Some(done),
            _ => None,
        })
    })
    .await
}

/// A connection to `server`, with its PROXY header written when it takes one.
async fn open(server: &ServerRt, limit: Duration, peer: &Addrs) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(server.connect_addr(peer.dst)).await?;
    if let Some(version) = server.send_proxy {
        let header = match version {
            ProxyVersion::V1 => proxy_proto::v1(Some(*peer)),
            ProxyVersion::V2 => proxy_proto::v2(Some(*peer)),
        };
        // A new socket's buffer is empty: this never waits long.
        timeout(limit, stream.write_all(&header))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    }
    Ok(stream)
}
