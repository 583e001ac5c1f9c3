//! The live sessions the runtime API's `show sess` lists and `shutdown session` ends
//! (docs/haproxy-semantics.md §27.4), and the last invalid messages `show errors` shows.
//!
//! Each worker keeps its own map of sessions, touched at accept and close only: the lock is
//! taken by that worker's connections and, rarely, by the CLI, never by another worker. A
//! session reaches its own entry through a task-local, so deep code (the relays) can say
//! which server it uses or learn that it was killed without passing it down.

use super::captures::Captures;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};
use tokio::sync::Notify;

/// What the runtime API reads of the running traffic.
pub struct Live {
    shards: Box<[Shard]>,
    pub captures: Captures,
    /// The engine's soft stop and its count of open client connections.
    pub stop: Arc<super::generation::stop::Stop>,
}

#[derive(Default)]
struct Shard {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Session>>>,
}

/// One client connection, as `show sess` lists it.
pub struct Session {
    /// Unique in the process: the worker's sequence number, then the worker.
    pub id: u64,
    pub born: (SystemTime, Instant),
    pub src: SocketAddr,
    /// The address the client reached (the bind's).
    pub dst: SocketAddr,
    pub frontend: usize,
    pub bind: usize,
    pub http: bool,
    /// `(backend + 1) << 32 | (server + 1)`; 0 in either half: none yet.
    route: AtomicU64,
    /// An HTTP connection is a stream to HAProxy only while a request is in flight
    /// (measured: an idle or half-sent one is not listed).
    in_request: AtomicBool,
    killed: AtomicBool,
    kill: Notify,
}

const WORKER_BITS: u32 = 16;

impl Live {
    pub fn new(workers: usize) -> Live {
        Live {
            shards: (0..workers).map(|_| Shard::default()).collect(),
            captures: Captures::default(),
            stop: Arc::default(),
        }
    }

    /// Registers a session accepted by `worker`; it leaves the map when the guard drops.
    pub fn open(self: &Arc<Self>, worker: usize, mut s: Session) -> Option<Open> {
        let shard = self.shards.get(worker)?;
        let seq = shard.next.fetch_add(1, Relaxed) + 1;
        s.id = seq << WORKER_BITS | worker as u64;
        let s = Arc::new(s);
        lock(&shard.open).insert(seq, s.clone());
        Some(Open {
            live: self.clone(),
            worker,
            seq,
            session: s,
        })
    }

    /// Every session listed now, worker by worker, oldest first (HAProxy lists each
    /// thread's streams in the order they were created).
    pub fn list(&self) -> Vec<Arc<Session>> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            out.extend(lock(&shard.open).values().filter(|s| s.listed()).cloned());
        }
        out
    }

    /// Every session open now, listed or not (a hard stop kills them all).
    pub fn all(&self) -> Vec<Arc<Session>> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            out.extend(lock(&shard.open).values().cloned());
        }
        out
    }

    /// The listed session `id`.
    pub fn find(&self, id: u64) -> Option<Arc<Session>> {
        let shard = self.shards.get((id & ((1 << WORKER_BITS) - 1)) as usize)?;
        let found = lock(&shard.open).get(&(id >> WORKER_BITS)).cloned();
        found.filter(|s| s.listed())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    pub fn new(src: SocketAddr, dst: SocketAddr, frontend: usize, bind: usize, http: bool) -> Self {
        Session {
            id: 0,
            born: (SystemTime::now(), Instant::now()),
            src,
            dst,
            frontend,
            bind,
            http,
            route: AtomicU64::new(0),
            in_request: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            kill: Notify::new(),
        }
    }

    fn listed(&self) -> bool {
        !self.http || self.in_request.load(Relaxed)
    }

    /// The backend and server it uses, as far as known.
    pub fn route(&self) -> (Option<usize>, Option<usize>) {
        let r = self.route.load(Relaxed);
        let half = |v: u64| (v as u32).checked_sub(1).map(|i| i as usize);
        (half(r >> 32), half(r))
    }

    /// Ends it: the relay it waits in gives up with `K` (killed by an admin).
    pub fn kill(&self) {
        self.killed.store(true, Relaxed);
        self.kill.notify_waiters();
    }
}

/// A registered session; dropping it takes the session out of the list.
pub struct Open {
    live: Arc<Live>,
    worker: usize,
    seq: u64,
    pub session: Arc<Session>,
}

impl Drop for Open {
    fn drop(&mut self) {
        lock(&self.live.shards[self.worker].open).remove(&self.seq);
    }
}

tokio::task_local! {
    static CURRENT: Arc<Session>;
}

/// Runs a connection's task as `session`'s (see [`killed`], [`note_route`]).
pub async fn scope<F: std::future::Future>(session: Option<Arc<Session>>, work: F) -> F::Output {
    match session {
        Some(s) => CURRENT.scope(s, work).await,
        None => work.await,
    }
}

/// Records the backend and server the current session uses.
pub fn note_route(backend: usize, server: Option<usize>) {
    let server = server.map_or(0, |s| s as u64 + 1);
    let _ = CURRENT.try_with(|s| s.route.store((backend as u64 + 1) << 32 | server, Relaxed));
}

/// Marks the start (`true`) or the end of an HTTP request; a kill aimed at one request does
/// not outlive it.
pub fn note_request(active: bool) {
    let _ = CURRENT.try_with(|s| {
        if active {
            s.killed.store(false, Relaxed);
        }
        s.in_request.store(active, Relaxed);
    });
}

/// Completes once the current session is killed from the CLI; never outside a session.
pub async fn killed() {
    let Ok(s) = CURRENT.try_with(Arc::clone) else {
        return std::future::pending().await;
    };
    loop {
        let notified = s.kill.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if s.killed.load(Relaxed) {
            return;
        }
        notified.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(http: bool) -> Session {
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        Session::new(a, a, 0, 0, http)
    }

    #[test]
    fn sessions_are_listed_while_open_and_found_by_id() {
        let live = Arc::new(Live::new(2));
        let a = live.open(0, session(false)).unwrap();
        let b = live.open(1, session(false)).unwrap();
        let c = live.open(0, session(false)).unwrap();
        let ids: Vec<u64> = live.list().iter().map(|s| s.id).collect();
        // Worker by worker, oldest first; never 0.
        assert_eq!(ids, vec![a.session.id, c.session.id, b.session.id]);
        assert!(ids.iter().all(|&id| id != 0));
        assert!(live.find(b.session.id).is_some());
        drop(b);
        assert_eq!(live.list().len(), 2);
        assert!(live.find(ids[2]).is_none());
        assert!(live.open(5, session(false)).is_none(), "no such worker");
    }

    #[test]
    fn an_http_connection_is_listed_only_during_a_request() {
        let live = Arc::new(Live::new(1));
        let open = live.open(0, session(true)).unwrap();
        assert!(live.list().is_empty());
        open.session.in_request.store(true, Relaxed);
        assert_eq!(live.list().len(), 1);
    }

    #[tokio::test]
    async fn a_kill_reaches_the_session_waiting_and_the_one_about_to_wait() {
        let live = Arc::new(Live::new(1));
        let open = live.open(0, session(false)).unwrap();
        let s = open.session.clone();
        let waiting = tokio::spawn(scope(Some(s.clone()), killed()));
        tokio::task::yield_now().await;
        s.kill();
        waiting.await.unwrap();
        // Killed before it waits: it does not wait at all.
        scope(Some(s), killed()).await;
    }
}

/// What the registry costs a connection: `cargo test --release -p lbtop-core registry_cost --
/// --ignored --nocapture` (bench/results/2026-11-27-sess-registry.md).
#[cfg(test)]
mod cost {
    use super::*;

    #[test]
    #[ignore]
    fn registry_cost() {
        let live = Arc::new(Live::new(2));
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        // 1,000 sessions open meanwhile, as on a busy worker.
        let _held: Vec<Open> = (0..1000)
            .map(|_| live.open(0, Session::new(a, a, 0, 0, true)).unwrap())
            .collect();
        let n = 1_000_000;
        let t = Instant::now();
        for _ in 0..n {
            let open = live.open(0, Session::new(a, a, 0, 0, true));
            std::hint::black_box(&open);
        }
        let per_conn = t.elapsed().as_nanos() / n;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let s = live
            .open(0, Session::new(a, a, 0, 0, true))
            .unwrap()
            .session
            .clone();
        let t = Instant::now();
        rt.block_on(scope(Some(s), async {
            for _ in 0..n {
                note_request(true);
                note_route(0, Some(1));
                // What `or_killed` adds: the kill future, polled once and dropped.
                let killed = killed();
                tokio::pin!(killed);
                let _ = futures_poll(killed.as_mut());
                note_request(false);
            }
        }));
        let per_req = t.elapsed().as_nanos() / n;
        eprintln!("accept+close: {per_conn} ns; per request: {per_req} ns");
    }

    fn futures_poll<F: std::future::Future>(
        f: std::pin::Pin<&mut F>,
    ) -> std::task::Poll<F::Output> {
        let waker = std::task::Waker::noop();
        f.poll(&mut std::task::Context::from_waker(waker))
    }
}
