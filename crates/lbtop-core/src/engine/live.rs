//! The live sessions the runtime API's `show sess` lists and `shutdown session` ends
//! (docs/haproxy-semantics.md §27.4), and the last invalid messages `show errors` shows.
//!
//! Each worker keeps its own map of sessions, touched at accept and close only: the lock is
//! taken by that worker's connections and, rarely, by the CLI, never by another worker. A
//! session reaches its own entry through a task-local, so deep code (the relays) can say
//! which server it uses or learn that it was killed without passing it down.

use super::captures::Captures;
use atomic_waker::AtomicWaker;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

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
    /// Why it was ended (`K`, `D`, `U`: the log's first termination flag), 0 while it runs.
    killed: AtomicU8,
    /// The connection's task, woken to see a kill or the soft stop. One waker per session,
    /// taken without a lock: a request registers it on each wait (see [`or_killed`]).
    waker: AtomicWaker,
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

    /// Ends every session using `server` of `backend` (`shutdown-sessions`, `shutdown sessions
    /// server`): each shard's lock is taken once, as for `show sess`.
    pub fn kill_server(&self, backend: usize, server: usize, cause: u8) {
        for s in self.all() {
            if s.route() == (Some(backend), Some(server)) {
                s.kill(cause);
            }
        }
    }

    /// Begins the soft stop, and wakes every session so that idle ones see it.
    pub fn begin_stop(&self) {
        self.stop.begin();
        for s in self.all() {
            s.waker.wake();
        }
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
            killed: AtomicU8::new(0),
            waker: AtomicWaker::new(),
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

    /// Ends it: the exchange or relay it waits in gives up, logged with `cause` (`K`: killed
    /// by an admin; `D`/`U`: by its server's health). A session between two requests is not
    /// ended: its next request starts afresh ([`note_request`]).
    pub fn kill(&self, cause: u8) {
        self.killed.store(cause, Release);
        self.waker.wake();
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

pin_project_lite::pin_project! {
    /// A connection's work, run as its session's or as no session's (see [`scope`]).
    #[project = ScopedProj]
    pub enum Scoped<F: Future> {
        In { #[pin] work: tokio::task::futures::TaskLocalFuture<Arc<Session>, F> },
        Out { #[pin] work: F },
    }
}

/// Runs a connection's task as `session`'s (see [`or_killed`], [`note_route`]). Not an
/// `async fn`: one would hold `work` twice (its argument and the scoped future), and this is
/// every connection's task, idle ones included.
pub fn scope<F: Future>(session: Option<Arc<Session>>, work: F) -> Scoped<F> {
    match session {
        Some(s) => Scoped::In {
            work: CURRENT.scope(s, work),
        },
        None => Scoped::Out { work },
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project() {
            ScopedProj::In { work } => work.poll(cx),
            ScopedProj::Out { work } => work.poll(cx),
        }
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
            s.killed.store(0, Relaxed);
            // Its server is not known yet: a kill of the last request's server is not for it.
            s.route.fetch_and(!u64::from(u32::MAX), Relaxed);
        }
        s.in_request.store(active, Relaxed);
    });
}

/// The current session's kill cause, with its task's waker registered first so that a later
/// kill wakes it; `None` outside a session or while it runs.
fn poll_killed(cx: &mut Context<'_>) -> Option<u8> {
    CURRENT
        .try_with(|s| {
            s.waker.register(cx.waker());
            match s.killed.load(Acquire) {
                0 => None,
                cause => Some(cause),
            }
        })
        .ok()
        .flatten()
}

pin_project_lite::pin_project! {
    /// `work`, unless the current session is killed first (see [`or_killed`]).
    pub struct OrKilled<F> {
        #[pin]
        work: F,
    }
}

/// Runs `work` unless the current session is killed first: then the kill's cause (`K`, `D`,
/// `U`). Not an `async fn`: one would store `work` twice (its argument and its pinned copy)
/// and be copied whole at each request; this holds it once, beside nothing.
pub fn or_killed<F: Future>(work: F) -> OrKilled<F> {
    OrKilled { work }
}

impl<F: Future> Future for OrKilled<F> {
    type Output = Result<F::Output, u8>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(done) = self.project().work.poll(cx) {
            return Poll::Ready(Ok(done));
        }
        match poll_killed(cx) {
            Some(cause) => Poll::Ready(Err(cause)),
            None => Poll::Pending,
        }
    }
}

/// Completes once the soft stop has begun. Inside a session it waits on the session's own
/// waker ([`Live::begin_stop`] wakes them all), which costs an idle wait no lock; outside one
/// it waits on the stop itself.
pub async fn stop_begun(stop: &super::generation::stop::Stop) {
    if CURRENT.try_with(|_| ()).is_err() {
        return stop.begun().await;
    }
    std::future::poll_fn(|cx| {
        let _ = CURRENT.try_with(|s| s.waker.register(cx.waker()));
        if stop.stopping() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
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

    fn forever() -> OrKilled<std::future::Pending<()>> {
        or_killed(std::future::pending())
    }

    #[tokio::test]
    async fn a_kill_reaches_the_session_waiting_and_the_one_about_to_wait() {
        let live = Arc::new(Live::new(1));
        let open = live.open(0, session(false)).unwrap();
        let s = open.session.clone();
        let waiting = tokio::spawn(scope(Some(s.clone()), forever()));
        tokio::task::yield_now().await;
        s.kill(b'K');
        assert_eq!(waiting.await.unwrap(), Err(b'K'));
        // Killed before it waits: it does not wait at all.
        assert_eq!(scope(Some(s), forever()).await, Err(b'K'));
    }

    #[tokio::test]
    async fn a_server_kill_ends_only_that_servers_sessions_and_not_the_next_request() {
        let live = Arc::new(Live::new(1));
        let on = |server: u64| {
            let open = live.open(0, session(true)).unwrap();
            open.session.route.store(1 << 32 | (server + 1), Relaxed);
            open
        };
        let (a, b) = (on(3), on(4));
        let waiting = tokio::spawn(scope(Some(a.session.clone()), forever()));
        let other = tokio::spawn(scope(Some(b.session.clone()), forever()));
        tokio::task::yield_now().await;
        live.kill_server(0, 3, b'D');
        assert_eq!(waiting.await.unwrap(), Err(b'D'));
        assert!(!other.is_finished());
        other.abort();
        // The next request on the killed connection starts afresh.
        let again = scope(Some(a.session.clone()), async {
            note_request(true);
            or_killed(async { 7 }).await
        });
        assert_eq!(again.await, Ok(7));
    }

    #[tokio::test]
    async fn the_soft_stop_wakes_an_idle_session() {
        let live = Arc::new(Live::new(1));
        let open = live.open(0, session(true)).unwrap();
        let stop = live.stop.clone();
        let idle = tokio::spawn(scope(Some(open.session.clone()), async move {
            stop_begun(&stop).await
        }));
        tokio::task::yield_now().await;
        assert!(!idle.is_finished());
        live.begin_stop();
        idle.await.unwrap();
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
                // What `or_killed` adds to a request's wait, polled once and dropped.
                let killed = or_killed(std::future::pending::<()>());
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
