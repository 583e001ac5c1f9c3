//! L4: relay bytes between the client and one server for the life of the connection.

pub(crate) use super::activity::Activity;
use super::activity::Side;
use super::inspect::{inspect, Inspected};
use super::splice;
use crate::engine::balance::PickKey;
use crate::engine::client_gone;
use crate::engine::connect::{connect, ConnectError, Gone};
use crate::engine::frontend::FrontendRt;
use crate::engine::proxy_proto::Addrs;
use crate::engine::rules::{tcp_view, Content, Decision, ReqView, Route};
use crate::engine::stick::Sample;
use crate::engine::stream::Stream;
use crate::events::Termination;
use crate::tls::TlsFacts;
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
fn route(fe: &FrontendRt, view: &ReqView, held: &[u8]) -> Route {
    let Some(routing) = &fe.routing else {
        return Route::default();
    };
    match routing.decide_tcp(view, held) {
        Decision::Proxy(route) => route,
        // TCP proxies keep no HTTP rules (the loader drops them): nothing answers.
        Decision::Answer(_) | Decision::Reject => Route::default(),
    }
}

/// A TCP connection as the rules see it: its addresses and, on an `ssl` bind, its TLS facts.
fn view<'a>(peer: &Addrs, tls: Option<&'a TlsFacts>) -> ReqView<'a> {
    ReqView {
        ssl: tls.is_some(),
        sni: tls.and_then(|t| t.sni.as_deref()),
        ..tcp_view(peer.src, peer.dst)
    }
}

/// Runs the `tcp-request content` rules, reading the client's first bytes into `held`
/// while one may still match and `inspect-delay` lasts; then once more with what is there
/// (docs/haproxy-semantics.md §21.5). Whether the connection goes on.
async fn content_rules(
    fe: &FrontendRt,
    client: &mut Stream,
    view: &ReqView<'_>,
    held: &mut Vec<u8>,
) -> bool {
    let Some(routing) = fe.routing.as_ref().filter(|r| r.inspects()) else {
        return true;
    };
    let delay = routing.rules.tcp.inspect_delay.unwrap_or_default();
    let decided = inspect(client, held, delay, |b| {
        match routing.content(view, b, false) {
            Content::Wait => None,
            done => Some(done),
        }
    });
    let verdict = match decided.await {
        Inspected::Ready(done) => done,
        Inspected::Expired | Inspected::Closed | Inspected::Full => {
            routing.content(view, held, true)
        }
    };
    verdict != Content::Reject
}

/// Serves one client connection; `peer` holds its addresses (those of a PROXY header on an
/// `accept-proxy` bind).
pub async fn serve(mut client_stream: Stream, peer: Addrs, fe: Arc<FrontendRt>) {
    let client = peer.src;
    let began = Instant::now();
    let tls = client_stream.tls();
    let view = view(&peer, tls.as_deref());
    let mut held = Vec::new();
    if !content_rules(&fe, &mut client_stream, &view, &mut held).await {
        reject(&fe, &client_stream, &peer, began);
        return;
    }
    let inspected = began.elapsed();
    let route = route(&fe, &view, &held);
    let fe = fe.route_arc(route.backend).cloned().unwrap_or(fe);
    crate::engine::live::note_route(fe.backend.index, None);
    let sampled = fe.sample();
    let mut record = fe.new_record(client, SystemTime::now(), None);
    record.rule_line = route.rule_line;
    record.tls = tls.clone();
    record.frontend_addr = Some(peer.dst);
    let key = PickKey {
        source: Some(client.ip()),
        forced: route.server,
        ..PickKey::default()
    };
    let backend = &fe.backend;
    let sample = Sample {
        src: client.ip(),
        values: &[],
        skip: route.stick_skip,
    };
    let stuck = backend
        .stick
        .as_ref()
        .and_then(|st| st.lookup(&sample, |i| backend.is_up(i)));
    let attempt = {
        let policy = fe.retry_policy();
        let gone = client_gone::tcp(&mut client_stream, &mut held, policy.abortonclose);
        tokio::pin!(gone);
        let position = &mut record.backend_queue;
        connect(backend, key, policy, (&peer, stuck, position), gone).await
    };
    record.retries = attempt.retries;
    record.redispatched = attempt.redispatched;
    record.server = attempt.assigned.as_ref().map(|a| a.server);
    crate::engine::live::note_route(fe.backend.index, record.server);
    // As in HTTP mode: pauses between retries on the same server are not queue time (a
    // session that never got a server waited in the queue all along). The wait for the
    // first bytes is queue time too, as HAProxy logs it (measured).
    let queued = match attempt.redispatched || attempt.assigned.is_none() {
        true => attempt.waited,
        false => std::time::Duration::ZERO,
    };
    record.timers[1] = (inspected + queued).as_millis() as i64;
    let (server_stream, assigned) = match (attempt.result, attempt.assigned) {
        (Ok(stream), Some(assigned)) => (stream, assigned),
        (result, _) => {
            record.termination = match result {
                Err(ConnectError::Timeout) => Termination::new(b's', b'C'),
                Err(ConnectError::QueueTimeout) => Termination::new(b's', b'Q'),
                // Reset while waiting: `CD` in the queue and while connecting (measured).
                Err(ConnectError::Aborted(Gone::Reset)) => Termination::new(b'C', b'D'),
                Err(ConnectError::Aborted(Gone::Closed)) if record.server.is_none() => {
                    Termination::new(b'C', b'Q')
                }
                Err(ConnectError::Aborted(Gone::Closed)) => Termination::new(b'C', b'C'),
                _ => Termination::new(b'S', b'C'),
            };
            record.timers[4] = began.elapsed().as_millis() as i64;
            fe.finish(record, sampled);
            return;
        }
    };
    record.backend_source = fe.backend_source(&server_stream);
    let server = &fe.backend.servers[assigned.server];
    let mut server_stream = match &server.tls {
        None => Stream::Plain(server_stream),
        Some(tls) => {
            let limit = fe.retry_policy().connect_timeout;
            match tls
                .handshake(server_stream, server.addr().ip(), None, limit)
                .await
            {
                Ok(s) => s,
                Err(_) => {
                    server.counters.connect_errors.fetch_add(1, Relaxed);
                    record.termination = Termination::new(b'S', b'C');
                    record.timers[4] = began.elapsed().as_millis() as i64;
                    drop(assigned);
                    fe.finish(record, sampled);
                    return;
                }
            }
        }
    };
    // Stored once the server is reached, its TLS handshake included: a failed one is a
    // failed connect.
    if let Some(st) = &backend.stick {
        st.store(&sample, assigned.server);
    }
    record.timers[2] = attempt.connect_time.as_millis() as i64;
    let _ = client_stream.tcp().set_nodelay(true);
    let counters = &fe.backend.servers[assigned.server].counters;
    let idle = fe.idle_limits();
    let activity = Activity::new(began);
    let relay = async {
        send_held(&held, &mut server_stream, counters, &activity).await?;
        relay(&mut client_stream, &mut server_stream, counters, &activity).await
    };
    let relay = crate::engine::live::or_killed(relay);
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
fn reject(fe: &FrontendRt, stream: &Stream, peer: &Addrs, began: Instant) {
    let _ = stream.tcp().set_zero_linger();
    fe.counters.denied_req.fetch_add(1, Relaxed);
    let sampled = fe.sample();
    let mut record = fe.new_record(peer.src, SystemTime::now(), None);
    record.by_frontend = true;
    record.tls = stream.tls();
    record.frontend_addr = Some(peer.dst);
    record.termination = Termination::new(b'P', b'R');
    record.timers[4] = began.elapsed().as_millis() as i64;
    fe.report(record, sampled);
}

/// Sends the bytes the content rules held before anything else the client sends.
async fn send_held(
    held: &[u8],
    server: &mut Stream,
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
    client: &mut Stream,
    server: &mut Stream,
    counters: &crate::engine::backend::Counters,
    activity: &Activity,
) -> Result<(), u8> {
    match (client, server) {
        (Stream::Plain(c), Stream::Plain(s)) => relay_plain(c, s, counters, activity).await,
        // TLS is decrypted in user space: the plaintext is copied through a buffer.
        (c, s) => copy_split(c, s, counters, activity).await,
    }
}

/// Copies each way on its own through a buffer: a side that finished sending half-closes
/// the other (its FIN, after TLS's close_notify), which may shorten the idle limit, as the
/// spliced relay does.
async fn copy_split(
    client: &mut Stream,
    server: &mut Stream,
    counters: &crate::engine::backend::Counters,
    activity: &Activity,
) -> Result<(), u8> {
    let (client_read, mut client_write) = client.split();
    let (server_read, mut server_write) = server.split();
    let up = (&counters.bytes_in, &activity.up);
    let down = (&counters.bytes_out, &activity.down);
    let to_server = one_way(client_read, &mut server_write, up, activity, Side::Server);
    let to_client = one_way(server_read, &mut client_write, down, activity, Side::Client);
    tokio::try_join!(to_server, to_client).map(|_| ())
}

/// Relays `from` into `to` until `from` ends, then shuts `to`'s writing side (the `to` side
/// is `side`). An error names the side that broke: the reader's or the writer's.
async fn one_way<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    mut from: R,
    to: &mut W,
    (read, session): (&AtomicU64, &AtomicU64),
    activity: &Activity,
    side: Side,
) -> Result<(), u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (reader, writer) = match side {
        Side::Server => (b'C', b'S'),
        Side::Client => (b'S', b'C'),
    };
    let mut from = Counted {
        inner: &mut from,
        read,
        session,
        activity,
    };
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await.map_err(|_| reader)?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n]).await.map_err(|_| writer)?;
        to.flush().await.map_err(|_| writer)?;
    }
    to.shutdown().await.map_err(|_| writer)?;
    activity.half_closed(side);
    Ok(())
}

async fn relay_plain(
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
    copy(client, server, counters, activity).await
}

/// Copies both ways through buffers, counting as it goes.
async fn copy<C: AsyncRead + AsyncWrite + Unpin, S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut C,
    server: &mut S,
    counters: &crate::engine::backend::Counters,
    activity: &Activity,
) -> Result<(), u8> {
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
struct Counted<'a, T> {
    inner: &'a mut T,
    read: &'a AtomicU64,
    session: &'a AtomicU64,
    activity: &'a Activity,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<'_, T> {
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

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<'_, T> {
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
