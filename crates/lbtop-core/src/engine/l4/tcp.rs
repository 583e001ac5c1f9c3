//! L4: relay bytes between the client and one server for the life of the connection.

pub(crate) use super::activity::Activity;
use super::activity::Side;
use super::inspect::{inspect, Inspected};
use super::splice;
use crate::engine::backend::or_killed;
use crate::engine::balance::PickKey;
use crate::engine::connect::{connect, ConnectError};
use crate::engine::frontend::FrontendRt;
use crate::engine::proxy_proto::Addrs;
use crate::engine::rules::{tcp_view, Content, Decision, Route};
use crate::events::Termination;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// Where a TCP frontend's `use_backend` rules send a connection: decided on its addresses
/// and the first bytes `tcp-request inspect-delay` held (none without content rules).
fn route(fe: &FrontendRt, peer: &Addrs, held: &[u8]) -> Route {
    let Some(routing) = &fe.routing else {
        return Route::default();
    };
    match routing.decide_tcp(&tcp_view(peer.src, peer.dst), held) {
        Decision::Proxy(route) => route,
        // TCP proxies keep no HTTP rules (the loader drops them): nothing answers.
        Decision::Answer(_) => Route::default(),
    }
}

/// Runs the `tcp-request content` rules, reading the client's first bytes into `held`
/// while one may still match and `inspect-delay` lasts; then once more with what is there
/// (docs/haproxy-semantics.md §21.5). Whether the connection goes on.
async fn content_rules(
    fe: &FrontendRt,
    client: &mut TcpStream,
    peer: &Addrs,
    held: &mut Vec<u8>,
) -> bool {
    let Some(routing) = fe.routing.as_ref().filter(|r| r.inspects()) else {
        return true;
    };
    let view = tcp_view(peer.src, peer.dst);
    let delay = routing.rules.tcp.inspect_delay.unwrap_or_default();
    let decided = inspect(client, held, delay, |b| {
        match routing.content(&view, b, false) {
            Content::Wait => None,
            done => Some(done),
        }
    });
    let verdict = match decided.await {
        Inspected::Ready(done) => done,
        Inspected::Expired | Inspected::Closed | Inspected::Full => {
            routing.content(&view, held, true)
        }
    };
    verdict != Content::Reject
}

/// Serves one client connection; `peer` holds its addresses (those of a PROXY header on an
/// `accept-proxy` bind).
pub async fn serve(mut client_stream: TcpStream, peer: Addrs, fe: Arc<FrontendRt>) {
    let client = peer.src;
    let began = Instant::now();
    let mut held = Vec::new();
    if !content_rules(&fe, &mut client_stream, &peer, &mut held).await {
        reject(&fe, &client_stream, client, began);
        return;
    }
    let inspected = began.elapsed();
    let route = route(&fe, &peer, &held);
    let fe = fe.route_arc(route.backend).cloned().unwrap_or(fe);
    let sampled = fe.sample();
    let mut record = fe.new_record(client, SystemTime::now(), None);
    record.rule_line = route.rule_line;
    let key = PickKey {
        source: Some(client.ip()),
        forced: route.server,
        ..PickKey::default()
    };
    let attempt = connect(&fe.backend, key, fe.retry_policy(), &peer).await;
    record.retries = attempt.retries;
    record.redispatched = attempt.redispatched;
    record.server = attempt.assigned.as_ref().map(|a| a.server);
    // The wait for the first bytes is logged as queue time, as HAProxy logs it (measured).
    record.timers[1] = (inspected + attempt.waited).as_millis() as i64;
    let (mut server_stream, assigned) = match (attempt.result, attempt.assigned) {
        (Ok(stream), Some(assigned)) => (stream, assigned),
        (result, _) => {
            record.termination = match result {
                Err(ConnectError::Timeout) => Termination::new(b's', b'C'),
                Err(ConnectError::QueueTimeout) => Termination::new(b's', b'Q'),
                _ => Termination::new(b'S', b'C'),
            };
            record.timers[4] = began.elapsed().as_millis() as i64;
            fe.finish(record, sampled);
            return;
        }
    };
    record.timers[2] = attempt.connect_time.as_millis() as i64;
    let _ = client_stream.set_nodelay(true);
    let counters = &fe.backend.servers[assigned.server].counters;
    let idle = fe.idle_limits();
    let activity = Activity::new(began);
    let kill = fe.backend.kill_watch(assigned.server);
    let relay = async {
        send_held(&held, &mut server_stream, counters, &activity).await?;
        relay(&mut client_stream, &mut server_stream, counters, &activity).await
    };
    let relay = or_killed(kill, relay);
    record.termination = tokio::select! {
        relayed = relay => match relayed {
            Ok(Ok(())) => Termination::NORMAL,
            Ok(Err(side)) => Termination::new(side, b'D'),
            // Ended by a server going DOWN (or an active one UP): HAProxy logs `D-` (measured).
            Err(cause) => Termination::new(cause, b'-'),
        },
        flags = activity.expire(&idle) => flags,
    };
    record.bytes_in = activity.up.load(Relaxed);
    record.bytes_out = activity.down.load(Relaxed);
    record.timers[4] = began.elapsed().as_millis() as i64;
    counters.latency.record(began.elapsed());
    drop(assigned);
    fe.finish(record, sampled);
}

/// Closes a connection a `tcp-request content reject` refused: reset, counted in `dreq` and
/// logged as the frontend's, `<frontend>/<NOSRV>` with `PR` (measured).
fn reject(fe: &FrontendRt, stream: &TcpStream, client: std::net::SocketAddr, began: Instant) {
    let _ = stream.set_zero_linger();
    fe.counters.denied_req.fetch_add(1, Relaxed);
    let sampled = fe.sample();
    let mut record = fe.new_record(client, SystemTime::now(), None);
    record.by_frontend = true;
    record.termination = Termination::new(b'P', b'R');
    record.timers[4] = began.elapsed().as_millis() as i64;
    fe.report(record, sampled);
}

/// Sends the bytes the content rules held before anything else the client sends.
async fn send_held(
    held: &[u8],
    server: &mut TcpStream,
    counters: &crate::engine::backend::Counters,
    activity: &Activity,
) -> Result<(), u8> {
    if held.is_empty() {
        return Ok(());
    }
    server.write_all(held).await.map_err(|_| b'S')?;
    counters.bytes_in.fetch_add(held.len() as u64, Relaxed);
    activity.up.fetch_add(held.len() as u64, Relaxed);
    activity.touch();
    Ok(())
}

/// Relays both ways until both sides are done: spliced inside the kernel when a pipe can be
/// had, else copied through a buffer. Either way a FIN from one side becomes a write shutdown on
/// the other, so half-closed connections finish their work. An error names the side that
/// broke (`C` or `S`), as HAProxy's log does. Also the tunnel after a `101` (`l7::tunnel`).
pub(crate) async fn relay(
    client: &mut TcpStream,
    server: &mut TcpStream,
    counters: &crate::engine::backend::Counters,
    activity: &Activity,
) -> Result<(), u8> {
    if let (Ok(up), Ok(down)) = (splice::Pipe::new(), splice::Pipe::new()) {
        let touch = || activity.touch();
        let to_server = splice::one_way(
            client,
            server,
            &up,
            &counters.bytes_in,
            &activity.up,
            &touch,
        );
        let to_client = splice::one_way(
            server,
            client,
            &down,
            &counters.bytes_out,
            &activity.down,
            &touch,
        );
        // Each direction that ends cleanly half-closes the connection it wrote to, which
        // may shorten the idle limit (`timeout client-fin`, `server-fin`).
        let to_server = async {
            to_server.await.map_err(|f| match f {
                splice::Failed::Reading => b'C',
                splice::Failed::Writing => b'S',
            })?;
            activity.half_closed(Side::Server);
            Ok(())
        };
        let to_client = async {
            to_client.await.map_err(|f| match f {
                splice::Failed::Reading => b'S',
                splice::Failed::Writing => b'C',
            })?;
            activity.half_closed(Side::Client);
            Ok(())
        };
        return tokio::try_join!(to_server, to_client).map(|_| ());
    }
    let mut client_side = Counted {
        inner: client,
        read: &counters.bytes_in,
        session: &activity.up,
        activity,
    };
    let mut server_side = Counted {
        inner: server,
        read: &counters.bytes_out,
        session: &activity.down,
        activity,
    };
    // Without splice the copy cannot tell which side broke; the client is blamed.
    tokio::io::copy_bidirectional(&mut client_side, &mut server_side)
        .await
        .map(|_| ())
        .map_err(|_| b'C')
}

/// A stream that counts the bytes read from it into a live counter, so the dashboard sees a
/// long transfer as it happens, and notes activity for the idle timeout.
struct Counted<'a> {
    inner: &'a mut TcpStream,
    read: &'a AtomicU64,
    session: &'a AtomicU64,
    activity: &'a Activity,
}

impl AsyncRead for Counted<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut *self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.read.fetch_add(n as u64, Relaxed);
            self.session.fetch_add(n as u64, Relaxed);
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Counted<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}
