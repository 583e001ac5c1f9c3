//! The accept loop of one listener, under the bind's, the frontend's and the process's
//! `maxconn` (docs/haproxy-semantics.md §32). Excess clients wait in the kernel's backlog,
//! as with HAProxy, whose listeners pause at the limit and resume below it. Running out of
//! file descriptors pauses the listener too, with one log line (a minute), until one is free again.

use super::frontend::FrontendRt;
use super::generation::stop::Tracked;
use super::limit::Limit;
use super::listen::{accepted, handshake, serve};
use super::live::{self, Live, Session};
use super::{l7, workers};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// How long a listener out of file descriptors rests before it tries again, unless one of
/// its own connections ends first (HAProxy also retries after 100 ms).
const RESOURCE_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections on one bind while under its limits. Each worker has its own listener
/// (SO_REUSEPORT), so a loop never holds a slot while it waits for a client: a slot held by
/// an idle worker would leave a client queued at another unserved. The loop waits until a
/// slot is free under every limit, accepts, and takes them; if another worker took one
/// meanwhile, the client waits for the next before anything starts, as in the backlog.
///
/// A soft stop (docs/haproxy-semantics.md §30) ends the accepting: the listener is dropped
/// at once (`counted` with it, so the engine knows), and the loop then only waits for its
/// connections to end.
pub async fn accept_loop(
    listener: TcpListener,
    fe: Arc<FrontendRt>,
    (bind, global, live): (usize, Arc<Limit>, Arc<Live>),
    counted: Tracked,
) {
    // Connection tasks live in this set, so stopping the worker stops them too.
    let mut conns = JoinSet::new();
    let stop = live.stop.clone();
    loop {
        let free = tokio::select! {
            biased;
            () = stop.begun() => break,
            free = until_free(&fe, bind, &global) => free,
        };
        if free.is_none() {
            return;
        }
        let (stream, client) = tokio::select! {
            biased;
            () = stop.begun() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    rest_after(&e, &fe, &mut conns).await;
                    continue;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        if fe.clitcpka {
            super::frontend::keepalive(&stream);
        }
        // Taken here, while no other task of this worker runs, then handed to the task.
        let ready = try_slots(&fe, bind, &global)
            .map(std::mem::forget)
            .is_some();
        let on = (fe.clone(), bind, global.clone(), live.clone());
        let tracked = stop.track();
        conns.spawn(async move {
            connection(stream, client, ready, on).await;
            drop(tracked);
        });
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    drop(counted);
    while conns.join_next().await.is_some() {}
}

/// What an accept error calls for. Out of file descriptors or memory (`EMFILE`, `ENFILE`,
/// `ENOBUFS`, `ENOMEM`): HAProxy's line (once a minute at most), then a pause until one of this listener's
/// connections ends or [`RESOURCE_PAUSE`] passes; the client stays in the backlog. A client
/// gone before it was accepted needs nothing; any other error rests too, rather than spin.
async fn rest_after(e: &std::io::Error, fe: &FrontendRt, conns: &mut JoinSet<()>) {
    let what = match e.raw_os_error() {
        Some(libc::ECONNABORTED | libc::EINTR | libc::EAGAIN) => return,
        Some(libc::EMFILE) => Some("process FD limit"),
        Some(libc::ENFILE) => Some("system FD limit"),
        Some(libc::ENOBUFS | libc::ENOMEM) => Some("system memory limit"),
        _ => None,
    };
    if let Some(what) = what {
        fe.out_of_resources(what);
    }
    tokio::select! {
        _ = tokio::time::sleep(RESOURCE_PAUSE) => {}
        Some(_) = conns.join_next(), if !conns.is_empty() => {}
    }
}

/// The limits a connection on `bind` takes a slot of: the bind's own (if any), the
/// frontend's and the process's, always in this order.
fn limits<'a>(fe: &'a FrontendRt, bind: usize, global: &'a Limit) -> [Option<&'a Limit>; 3] {
    [
        fe.binds[bind].limit.as_deref(),
        Some(&fe.limit),
        Some(global),
    ]
}

/// Waits until each limit has a free slot, without keeping it.
async fn until_free(fe: &FrontendRt, bind: usize, global: &Limit) -> Option<()> {
    for limit in limits(fe, bind, global).into_iter().flatten() {
        limit.until_free().await?;
    }
    Some(())
}

/// The slots a connection holds, given back when it ends (or its task is dropped).
struct Slots<'a>([Option<&'a Limit>; 3]);

impl Drop for Slots<'_> {
    fn drop(&mut self) {
        for limit in self.0.iter().flatten() {
            limit.give_back();
        }
    }
}

/// A slot under every limit now, or none at all.
fn try_slots<'a>(fe: &'a FrontendRt, bind: usize, global: &'a Limit) -> Option<Slots<'a>> {
    let mut held = Slots([None, None, None]);
    for (slot, limit) in held.0.iter_mut().zip(limits(fe, bind, global)) {
        if let Some(limit) = limit {
            // On failure, those already taken go back as `held` drops.
            limit.try_take().then_some(())?;
            *slot = Some(limit);
        }
    }
    Some(held)
}

/// A slot under every limit, waiting for each in turn (always in the same order, so two
/// waiting connections never hold what the other waits for).
async fn slots<'a>(fe: &'a FrontendRt, bind: usize, global: &'a Limit) -> Option<Slots<'a>> {
    let mut held = Slots([None, None, None]);
    for (slot, limit) in held.0.iter_mut().zip(limits(fe, bind, global)) {
        if let Some(limit) = limit {
            limit.take().await?;
            *slot = Some(limit);
        }
    }
    Some(held)
}

/// One accepted connection, from its slots to its close.
async fn connection(
    stream: TcpStream,
    client: std::net::SocketAddr,
    ready: bool,
    (fe, bind, global, live): (Arc<FrontendRt>, usize, Arc<Limit>, Arc<Live>),
) {
    let held = if ready {
        Slots(limits(&fe, bind, &global))
    } else {
        match slots(&fe, bind, &global).await {
            Some(s) => s,
            None => return,
        }
    };
    let c = &fe.counters;
    let cur = c.cur_conns.fetch_add(1, Relaxed) + 1;
    c.max_conns.fetch_max(cur, Relaxed);
    c.total_conns.fetch_add(1, Relaxed);
    fe.process_conns.fetch_add(1, Relaxed);
    let mut open = None;
    match accepted(&stream, client, &fe) {
        None => {
            // Closed with a reset, counted in `dcon` and never logged (measured).
            fe.counters.denied_conn.fetch_add(1, Relaxed);
            let _ = stream.set_zero_linger();
        }
        Some(expect_proxy) => {
            if let Some(addrs) = handshake(&stream, client, &fe, bind, expect_proxy).await {
                let http = fe.http;
                let session = Session::new(addrs.src, addrs.dst, fe.index, bind, http);
                let entry = live.open(workers::current(), session);
                let session = entry.as_ref().map(|e| e.session.clone());
                open = live::scope(session, serve(stream, addrs, &fe, bind)).await;
            }
        }
    }
    fe.counters.cur_conns.fetch_sub(1, Relaxed);
    fe.process_conns.fetch_sub(1, Relaxed);
    // Closed once no longer counted, as HAProxy does: a client that reconnects on seeing the
    // close finds this connection gone from `%ac/%fc`.
    if let Some(mut stream) = open {
        let limit = fe.client_timeout().unwrap_or(l7::conn::CLOSE_LIMIT);
        stream.close(limit).await;
    }
    drop(held);
}
