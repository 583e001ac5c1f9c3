//! L7: what happens to one HTTP request between the client connection (`l7::conn`) and a
//! server. Each request is balanced on its own (docs/haproxy-semantics.md §3.1).

use super::persist::{self, response_cookie, stick_store};
use super::relay::{
    self, forward_request_body, read_into, Aborted, Activity, ReadError, ServerConn, Socket,
};
use super::reply::error_reply;
use super::session::Session;
use super::tunnel;
use crate::config::{Captures, HttpReuse};
use crate::engine::balance::PickKey;
use crate::engine::client_gone;
use crate::engine::connect::{assign_direct, assign_queued, dial, Assigned, ConnectError, Gone};
use crate::engine::frontend::FrontendRt;
use crate::engine::generation::stop::Stop;
use crate::engine::h1::bufs::{self, Input};
use crate::engine::h1::capture::merge;
use crate::engine::h1::chunked::Decoder;
use crate::engine::h1::compress::Compress;
use crate::engine::h1::cookie::ResponseCookie;
use crate::engine::h1::head::{Framing, Head};
use crate::engine::h1::response::{self, Asked, Body, Parsed, Response};
use crate::engine::pool;
use crate::engine::proxy_proto::Addrs;
use crate::engine::rules::{Outcome, Reply, Route};
use crate::engine::stream::Stream;
use crate::engine::tls_connect::secure;
use crate::events::{SessionRecord, Termination};
use hyper::header::HeaderValue;
use hyper::StatusCode;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// The client side of a request: its connection and what has been read from it.
pub struct Client<'a> {
    pub addr: SocketAddr,
    /// Its addresses, as a `send-proxy` server is told them.
    pub peer: &'a Addrs,
    /// The connection's TLS facts, for rules that ask (`ssl_fc`, `ssl_fc_sni`).
    pub tls: Option<&'a std::sync::Arc<crate::tls::TlsFacts>>,
    pub stream: &'a mut Stream,
    pub input: &'a mut Input,
    pub forwarded_for: Option<&'a HeaderValue>,
    /// The request's `unique-id-format` ID, for `%ID`.
    pub unique_id: Option<&'a crate::engine::unique_id::UniqueId>,
    /// This is the connection's first request (`http-reuse safe` gives it no shared
    /// connection).
    pub first: bool,
    /// The request's body has been read whole (or it had none): after an error page the
    /// connection can then take another request.
    pub body_read: bool,
    /// The server connection this client used last, kept for it alone (`http-reuse never`).
    pub own: &'a mut Option<Box<Own>>,
}

/// A server connection kept for one client: which backend's server it goes to (a client
/// may switch backends between requests, and server indices are per backend).
pub struct Own {
    pub backend: usize,
    pub server: usize,
    pub stream: TcpStream,
}

impl Own {
    fn goes_to(&self, fe: &FrontendRt, server: usize) -> bool {
        self.backend == fe.backend.index && self.server == server
    }
}

/// What a request carries through its life, for the log line.
pub(super) struct Exchange {
    /// Boxed: the exchange moves through several calls and futures, and the record is most
    /// of its size (each move was a 400-byte copy, ~500 instructions a request in all).
    pub(super) record: Box<SessionRecord>,
    pub(super) began: Instant,
    pub(super) sampled: bool,
    /// Server addresses as they were when the request began (see `keep_idle`).
    pub(super) addr_epoch: u64,
}

/// Why no usable response came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExchangeError {
    /// `timeout server` passed with nothing moving before the response head.
    Timeout,
    /// The server closed or reset the connection.
    Failed,
    /// The server sent something that is not a response HAProxy would relay (`PH`).
    Invalid,
    /// A `101` that may not switch protocols here (`PH`), its head counted in `%B`.
    Refused(u64),
    /// A reused connection closed before a single response byte: the server had given up on
    /// it. An idempotent request can go again on a fresh connection.
    Stale,
    /// The request body did not arrive whole.
    Body(Aborted),
    /// The server's sessions were ended, for this cause (`D`: it went DOWN, `U`: an active
    /// server came UP).
    Killed(u8),
    /// The client closed before the response head, under `option abortonclose`.
    ClientGone,
}

/// A response head, and whether the request body went out whole before it came.
pub(super) struct Answer {
    pub(super) response: Response,
    body_sent: bool,
    /// The size of a chunked request body, which its head could not announce.
    chunked_bytes: u64,
    /// `%B` of the 1xx interim responses relayed before it.
    interim_bytes: u64,
    /// It answers a HEAD (an answer a response rule makes in its place has no body).
    is_head: bool,
}

/// Balances, connects and sends one request, and relays the answer. `upstream` is the head
/// to send the server. Returns whether the client connection can take another request.
pub async fn proxy(
    fe: &FrontendRt,
    client: &mut Client<'_>,
    head: &Head,
    upstream: &[u8],
    route: Route,
) -> bool {
    fe.counters.requests.fetch_add(1, Relaxed);
    crate::engine::live::note_route(fe.backend.index, None);
    let mut ex = start(fe, client, head);
    ex.record.rule_line = route.rule_line;
    let key = PickKey {
        source: Some(client.addr.ip()),
        path: head.path.as_deref(),
        header: head.hash_value.as_deref(),
        forced: route.server,
        // Only a connection kept for this client names a last server (`http-reuse never`,
        // measured: with a shared pool HAProxy's choice does not follow the client).
        last: client
            .own
            .as_deref()
            .filter(|o| fe.prefer_last() && o.backend == fe.backend.index)
            .map(|o| o.server),
    };
    let mut policy = fe.retry_policy();
    let backend = &fe.backend;
    let (direct, sample) = persist::decide(
        fe,
        (client.addr.ip(), route.stick_skip),
        head,
        &mut ex.record,
    );
    policy.direct = direct.is_some();
    let position = &mut ex.record.backend_queue;
    let queued = {
        let gone = gone_if(policy.abortonclose, client.stream, client.input);
        tokio::pin!(gone);
        let wait = policy.queue_timeout;
        match direct {
            Some(server) => assign_direct(backend, server, wait, position, gone).await,
            None => assign_queued(backend, key, wait, position, gone).await,
        }
    };
    let assigned = match queued {
        Ok(a) => a,
        Err((e, waited)) => {
            // Tw is -1 when there was no server to wait for at all.
            let (flags, tw) = match e {
                ConnectError::QueueTimeout => (Termination::new(b's', b'Q'), millis(waited)),
                ConnectError::Aborted(_) => {
                    ex.record.timers[1] = millis(waited);
                    return left(fe, ex, None, Termination::new(b'C', b'Q'));
                }
                _ => (Termination::new(b'S', b'C'), -1),
            };
            ex.record.timers[1] = tw;
            let status = StatusCode::SERVICE_UNAVAILABLE;
            return error_reply(fe, client, head, ex, status, flags, None).await;
        }
    };
    ex.record.timers[1] = millis(ex.began.elapsed());
    crate::engine::live::note_route(backend.index, Some(assigned.server));
    // Taken when the response arrives, so a request waiting on its server holds no buffer.
    let mut out = Vec::new();
    if let Some(stream) = reusable(fe, client, assigned.server) {
        ex.record.server = Some(assigned.server);
        ex.record.reused = true;
        ex.record.timers[2] = 0;
        let mut server = ServerConn::new(Stream::Plain(stream));
        let sent = Instant::now();
        let to = (assigned.server, direct);
        match exchange_on(fe, &mut server, to, client, head, upstream, &mut out).await {
            Ok(answer) => {
                ex.note_cookie(&answer);
                stick_store(fe, &sample, assigned.server);
                ex.record.timers[3] = millis(sent.elapsed());
                return relay(fe, client, ex, assigned, server, answer, out).await;
            }
            // The request never left, and sending it twice does no harm: connect afresh, as
            // HAProxy does on a dead idle connection. A POST is never sent twice.
            Err(ExchangeError::Stale) if head.idempotent && head.framing == Framing::None => {
                ex.record.reused = false;
            }
            Err(e) => return exchange_failed(fe, client, head, ex, assigned, e, out).await,
        }
    }
    let attempt = {
        let gone = gone_if(policy.abortonclose, client.stream, client.input);
        tokio::pin!(gone);
        dial(assigned, key, policy, client.peer, gone).await
    };
    ex.record.retries = attempt.retries;
    ex.record.redispatched = attempt.redispatched;
    // HAProxy's Tw ends when the session last left for a server: the pauses between retries
    // on the same server are not in it, those before a redispatch are (measured).
    if attempt.redispatched {
        ex.record.timers[1] += millis(attempt.waited);
    }
    ex.record.server = attempt.assigned.as_ref().map(|a| a.server);
    crate::engine::live::note_route(backend.index, ex.record.server);
    let assigned = attempt.assigned.expect("dial always assigns");
    let stream = match attempt.result {
        Ok(stream) => stream,
        Err(ConnectError::Aborted(_)) => {
            bufs::give(out);
            return left(fe, ex, Some(assigned), Termination::new(b'C', b'C'));
        }
        Err(e) => {
            bufs::give(out);
            let flags = match e {
                ConnectError::Timeout => Termination::new(b's', b'C'),
                _ => Termination::new(b'S', b'C'),
            };
            let status = StatusCode::SERVICE_UNAVAILABLE;
            return error_reply(fe, client, head, ex, status, flags, Some(assigned)).await;
        }
    };
    let stream = match secure(fe, assigned.server, stream, upstream).await {
        Some(s) => s,
        None => {
            bufs::give(out);
            let (flags, status) = (
                Termination::new(b'S', b'C'),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            return error_reply(fe, client, head, ex, status, flags, Some(assigned)).await;
        }
    };
    ex.record.timers[2] = millis(attempt.connect_time);
    let mut server = ServerConn::new(stream);
    let to = (assigned.server, direct.filter(|_| !attempt.redispatched));
    match exchange_on(fe, &mut server, to, client, head, upstream, &mut out).await {
        Ok(answer) => {
            ex.note_cookie(&answer);
            stick_store(fe, &sample, assigned.server);
            ex.record.timers[3] =
                millis(ex.began.elapsed()) - ex.record.timers[1] - ex.record.timers[2];
            relay(fe, client, ex, assigned, server, answer, out).await
        }
        Err(e) => exchange_failed(fe, client, head, ex, assigned, e, out).await,
    }
}

/// An idle connection to `server` this request may use, by `http-reuse`: the client
/// connection's own one first; then, except with `never`, one from the server's shared pool.
/// `safe` (the default) never gives a client's first request a connection another client
/// used, so that a server's late or unasked-for bytes can only ever reach the client that
/// caused them; `aggressive` allows it for connections already proven by a reuse.
fn reusable(fe: &FrontendRt, client: &mut Client<'_>, server: usize) -> Option<TcpStream> {
    if fe.server_close() {
        return None;
    }
    if client
        .own
        .as_ref()
        .is_some_and(|own| own.goes_to(fe, server))
    {
        let stream = client.own.take()?.stream;
        if pool::is_quiet(&stream) {
            return Some(stream);
        }
    }
    let pool = fe.backend.servers[server].pool();
    if private(fe, server) {
        return None;
    }
    match (fe.http_reuse(), client.first) {
        (HttpReuse::Never, _) | (HttpReuse::Safe, true) => None,
        (HttpReuse::Aggressive, true) => pool.take(true),
        _ => pool.take(false),
    }
}

/// Whether connections to `server` serve one client connection alone: with `http-reuse
/// never`, and to a `send-proxy` server, whose connections carry their client's addresses
/// (HAProxy reuses those only for a client with the same addresses and ports).
fn private(fe: &FrontendRt, server: usize) -> bool {
    fe.http_reuse() == HttpReuse::Never || fe.backend.servers[server].send_proxy.is_some()
}

fn start(fe: &FrontendRt, client: &Client<'_>, head: &Head) -> Exchange {
    // The record's strings were built only for requests the watcher samples.
    let sampled = head.request_line.is_some();
    let start = if sampled {
        SystemTime::now()
    } else {
        SystemTime::UNIX_EPOCH
    };
    let mut record = Box::new(fe.new_record(client.addr, start, head.request_line.clone()));
    record.tls = client.tls.cloned();
    record.timers[0] = if fe.no_backend { -1 } else { 0 };
    record.bytes_in = (head.len as u64) + head.content_length;
    record.log_bytes_in = Some(head.log_bytes + head.content_length);
    if sampled {
        record.frontend_addr = Some(client.peer.dst);
        record.captures = head.captured.clone();
        record.forwarded_for = client
            .forwarded_for
            .and_then(|v| v.to_str().ok().map(str::to_string));
        if let Some(id) = client.unique_id {
            record.unique_id = Some(id.text.clone());
            record.counter = id.counter;
        }
    }
    Exchange {
        record,
        began: Instant::now(),
        sampled,
        addr_epoch: crate::engine::backend::addr_epoch(),
    }
}

/// Sends the request head and body and reads the response head. `timeout server` counts from
/// the last byte that moved either way, so an upload that keeps flowing is not cut.
/// [`exchange`] with server `to.0` (reached through persistence when `to.1` says so), unless
/// checks end that server's sessions first.
async fn exchange_on(
    fe: &FrontendRt,
    server: &mut ServerConn,
    to: (usize, Option<usize>),
    client: &mut Client<'_>,
    head: &Head,
    upstream: &[u8],
    out: &mut Vec<u8>,
) -> Result<Answer, ExchangeError> {
    let cookie = response_cookie(fe, head, to.0, to.1);
    let exchanged = exchange(fe, server, client, head, upstream, out, cookie.as_ref());
    let answer = crate::engine::live::or_killed(exchanged)
        .await
        .unwrap_or_else(|c| Err(ExchangeError::Killed(c)));
    match answer {
        Err(ExchangeError::Invalid) => {
            let pending = server.input.pending();
            crate::engine::captures::bad_response(fe, client.addr, to.0, pending);
        }
        // HAProxy resets the server connection the request was sent on (measured).
        Err(ExchangeError::ClientGone) => {
            let _ = server.stream.tcp().set_zero_linger();
        }
        _ => {}
    }
    answer
}

async fn exchange(
    fe: &FrontendRt,
    server: &mut ServerConn,
    client: &mut Client<'_>,
    head: &Head,
    upstream: &[u8],
    out: &mut Vec<u8>,
    cookie: Option<&ResponseCookie<'_>>,
) -> Result<Answer, ExchangeError> {
    let asked = Asked {
        version: head.version,
        keep_alive: head.keep_alive,
        is_head: head.is_head,
        upgrade: head.upgrade,
        cookie,
        compress: head
            .compress
            .zip(fe.compression())
            .map(|(algo, c)| Compress {
                algo,
                types: c.types(),
            }),
    };
    let activity = Activity::new();
    let limits = relay::Limits {
        server: fe.server_timeout(),
        client: fe.client_timeout(),
    };
    // Flushed: a TLS server gets the records rustls holds (a no-op on a socket).
    let sent = server.stream.write_all(upstream).await;
    if sent.is_err() || server.stream.flush().await.is_err() {
        return Err(ExchangeError::Stale);
    }
    activity.touch();
    let ServerConn { stream, input } = server;
    let (mut from_server, mut to_server) = stream.split();
    let (mut from_client, mut to_client) = client.stream.split();
    let body_read = &mut client.body_read;
    let abort = fe.retry_policy().abortonclose;
    let response = read_head(
        &mut from_server,
        input,
        &mut to_client,
        (asked, fe.captures(head.captured.is_some())),
        out,
        limits,
        (&activity, &fe.live.stop),
    );
    tokio::pin!(response);
    let chunked_bytes = if head.framing == Framing::None {
        0
    } else {
        let body = forward_request_body(
            &mut from_client,
            client.input,
            head.framing,
            &mut to_server,
            limits,
            &activity,
        );
        tokio::pin!(body);
        tokio::select! {
            sent = &mut body => match sent {
                Ok(n) => {
                    *body_read = true;
                    if head.framing == Framing::Chunked { n } else { 0 }
                }
                // The client went quiet as long as the server did: HAProxy reports the
                // server's timeout when both run out together (504 `sH`, measured).
                Err(Aborted::Timeout) if server_also_idle(limits, &activity) => {
                    return Err(ExchangeError::Timeout)
                }
                Err(e) => return Err(ExchangeError::Body(e)),
            },
            // A server may answer before the body is in; the body is then cut short.
            response = &mut response => {
                let (response, interim_bytes) = response?;
                let body_sent = false;
                return Ok(Answer {
                    response,
                    body_sent,
                    chunked_bytes: 0,
                    interim_bytes,
                    is_head: head.is_head,
                });
            }
        }
    };
    let (response, interim_bytes) = tokio::select! {
        biased;
        response = &mut response => response?,
        _ = gone_if(abort, &mut from_client, client.input) => {
            return Err(ExchangeError::ClientGone)
        }
    };
    Ok(Answer {
        response,
        body_sent: true,
        chunked_bytes,
        interim_bytes,
        is_head: head.is_head,
    })
}

/// The client's close or reset, when `option abortonclose` makes it end the request (the
/// bytes it sends meanwhile are kept in `input`); without the option, never.
async fn gone_if<S: Socket>(abort: bool, stream: &mut S, input: &mut Input) -> Gone {
    if !abort {
        return std::future::pending().await;
    }
    client_gone::http(stream, input).await
}

/// Whether `timeout server` has run out too, with nothing moving either way.
fn server_also_idle(limits: relay::Limits, activity: &Activity) -> bool {
    limits.server.is_some_and(|t| activity.idle() >= t)
}

/// Reads until a final response head, relaying 1xx interim responses to the client as they
/// come. Returns the head and the `%B` of the interim ones.
async fn read_head<S: Socket, W: AsyncWrite + Unpin>(
    from: &mut S,
    input: &mut Input,
    client: &mut W,
    (asked, captures): (Asked<'_>, Option<&Captures>),
    out: &mut Vec<u8>,
    limits: relay::Limits,
    (activity, stopping): (&Activity, &Stop),
) -> Result<(Response, u64), ExchangeError> {
    let mut heard = false;
    let mut interim_bytes = 0;
    loop {
        // Nothing to parse before the server's first bytes (the usual case on the first pass):
        // no parse, and the buffer for the client's head is taken once there is something.
        if !input.is_empty() {
            if out.capacity() == 0 {
                *out = bufs::take();
            }
            // A soft stop that began while the server worked closes the connection after this
            // response, and the response says so (`Connection: close`), as HAProxy's does.
            let asked = Asked {
                keep_alive: asked.keep_alive && !stopping.stopping(),
                ..asked
            };
            match response::parse_capturing(input.pending(), asked, out, captures) {
                Parsed::Complete(r) => {
                    // A chunked body whose framing error is already here is refused whole.
                    let body = &input.pending()[r.len..];
                    if r.body == Body::Chunked && Decoder::default().finds_error(body) {
                        return Err(ExchangeError::Invalid);
                    }
                    input.consume(r.len);
                    return Ok((r, interim_bytes));
                }
                Parsed::Interim { len, log_bytes } => {
                    input.consume(len);
                    interim_bytes += log_bytes;
                    heard = true;
                    if relay::write_within(client, out, limits.client)
                        .await
                        .is_err()
                    {
                        return Err(ExchangeError::Body(Aborted::Closed));
                    }
                    out.clear();
                    continue;
                }
                Parsed::Invalid => return Err(ExchangeError::Invalid),
                Parsed::Refused { log_bytes } => return Err(ExchangeError::Refused(log_bytes)),
                Parsed::Partial => {}
            }
        }
        match read_inactive(from, input, limits.server, activity).await {
            Ok(0) | Err(ReadError::Failed) if !heard && input.is_empty() => {
                return Err(ExchangeError::Stale)
            }
            Ok(0) | Err(ReadError::Failed) => return Err(ExchangeError::Failed),
            Err(ReadError::Timeout) => return Err(ExchangeError::Timeout),
            Ok(_) => heard = true,
        }
    }
}

/// Reads from the server once something comes, unless nothing has moved either way for
/// `idle`.
async fn read_inactive<S: Socket>(
    from: &mut S,
    input: &mut Input,
    idle: Option<Duration>,
    activity: &Activity,
) -> Result<usize, ReadError> {
    loop {
        let limit = idle.map(|t| t.saturating_sub(activity.idle()));
        match read_into(from, input, limit).await {
            Err(ReadError::Timeout) if idle.is_some_and(|t| activity.idle() < t) => continue,
            Ok(n) => {
                activity.touch();
                return Ok(n);
            }
            other => return other,
        }
    }
}

/// Sends the response head and relays the body, then ends the session and keeps the server
/// connection if it can take another request.
async fn relay(
    fe: &FrontendRt,
    client: &mut Client<'_>,
    mut ex: Exchange,
    assigned: Assigned<'_>,
    mut server: ServerConn,
    mut answer: Answer,
    mut out: Vec<u8>,
) -> bool {
    ex.record.captures = merge(ex.record.captures.take(), answer.response.captured.take());
    let response = &answer.response;
    let addrs = (client.addr, client.peer.dst, client.tls.map(|t| &**t));
    let ask = crate::engine::rules::ReplyCtx {
        keep: response.client_keeps && answer.body_sent,
        is_head: answer.is_head,
        tarpit: Duration::ZERO,
    };
    let status = match crate::engine::rules::rewrite_response(fe, &mut out, addrs, &ask) {
        Outcome::Same => response.status,
        Outcome::Rewritten(status) => status,
        Outcome::Answer(reply) => {
            bufs::give(out);
            return instead(
                fe,
                client,
                (ex, assigned),
                server,
                &answer,
                (reply, ask.is_head),
            )
            .await;
        }
    };
    ex.record.server = Some(assigned.server);
    ex.record.backend_source = fe.backend_source(server.stream.tcp());
    ex.record.status = Some(status);
    ex.record.from_server = true;
    ex.record.bytes_out = response.log_bytes + answer.interim_bytes;
    ex.record.bytes_in += answer.chunked_bytes;
    ex.record.log_bytes_in = ex.record.log_bytes_in.map(|n| n + answer.chunked_bytes);
    fe.backend.servers[assigned.server]
        .counters
        .response(status);
    let server_index = assigned.server;
    let mut session = Session {
        fe,
        server: assigned.into_session(),
        ex: Some(ex),
        live: (0, 0),
    };
    if response.body == Body::Tunnel {
        // Boxed: the rare switch to a tunnel would otherwise size every request's future.
        return Box::pin(tunnel::upgraded(fe, client, session, server, out)).await;
    }
    let mut counted = 0;
    let limits = relay::Limits {
        server: fe.server_timeout(),
        client: fe.client_timeout(),
    };
    let to = &mut *client.stream;
    // Ended by the server going DOWN: `DD` (measured).
    let relayed = if response.compress.is_some() {
        let relayed = super::compressed::relay_body(
            &mut server,
            response,
            to,
            &mut out,
            limits,
            &mut counted,
        );
        crate::engine::live::or_killed(Box::pin(relayed)).await
    } else {
        let relayed =
            relay::relay_response_body(&mut server, response, to, &mut out, limits, &mut counted);
        crate::engine::live::or_killed(relayed).await
    };
    let relayed = relayed.unwrap_or_else(|cause| Err(Termination::new(cause, b'D')));
    bufs::give(out);
    session.count_body(counted);
    match relayed {
        Ok(()) => {
            let reusable = response.server_keeps
                && answer.body_sent
                && server.input.is_empty()
                && !fe.server_close();
            let keep = response.client_keeps && answer.body_sent;
            // Only plain connections are pooled: a TLS one closes after its request.
            let idle = match server.stream {
                Stream::Plain(s) if reusable => Some(s),
                Stream::Plain(s) => {
                    pool::close_hard(s);
                    None
                }
                Stream::Tls(_) => None,
            };
            if private(fe, server_index) {
                // The connection serves this client alone, for as long as it stays.
                session.end(Termination::NORMAL, None);
                *client.own = idle.filter(|_| keep).map(|stream| {
                    Box::new(Own {
                        backend: fe.backend.index,
                        server: server_index,
                        stream,
                    })
                });
            } else {
                session.end(Termination::NORMAL, idle);
            }
            keep
        }
        Err(flags) => {
            session.end(flags, None);
            false
        }
    }
}

/// A response rule's `deny` or `return` in place of the server's response: the server's
/// connection closes with its body unread, the client gets the rule's answer and may keep
/// its connection. Logged with the rule's status, `Tr` -1, and in `%B` the server's bytes
/// read so far with the answer's (measured on HAProxy 2.6).
async fn instead(
    fe: &FrontendRt,
    client: &mut Client<'_>,
    (mut ex, assigned): (Exchange, Assigned<'_>),
    server: ServerConn,
    answer: &Answer,
    (reply, is_head): (Reply, bool),
) -> bool {
    let response = &answer.response;
    ex.record.server = Some(assigned.server);
    ex.record.backend_source = fe.backend_source(server.stream.tcp());
    ex.record.status = Some(reply.status);
    ex.record.timers[3] = -1;
    // What came after the head was read too, unless it answers a HEAD (it has no body).
    let body = if is_head {
        0
    } else {
        server.input.pending().len() as u64
    };
    let read = response.log_bytes + answer.interim_bytes + body;
    ex.record.bytes_out = read + reply.log_bytes;
    ex.record.bytes_in += answer.chunked_bytes;
    ex.record.log_bytes_in = ex.record.log_bytes_in.map(|n| n + answer.chunked_bytes);
    fe.backend.servers[assigned.server]
        .counters
        .response(response.status);
    if reply.denied {
        fe.counters.denied_resp.fetch_add(1, Relaxed);
        fe.backend.counters.denied_resp.fetch_add(1, Relaxed);
        let srv = &fe.backend.servers[assigned.server].counters;
        srv.denied_resp.fetch_add(1, Relaxed);
    }
    // The backend counts what the client got instead of what the server sent.
    let be = &fe.backend.counters;
    be.response(reply.status);
    be.replaced[crate::engine::counters::status_class(response.status)].fetch_add(1, Relaxed);
    if let Stream::Plain(s) = server.stream {
        pool::close_hard(s);
    }
    let mut session = Session {
        fe,
        server: assigned.into_session(),
        ex: Some(ex),
        live: (0, 0),
    };
    let to = &mut *client.stream;
    let sent = to.write_all(&reply.bytes).await.is_ok() && to.flush().await.is_ok();
    session.end(reply.flags, None);
    sent && reply.keep
}

async fn exchange_failed(
    fe: &FrontendRt,
    client: &mut Client<'_>,
    head: &Head,
    mut ex: Exchange,
    assigned: Assigned<'_>,
    e: ExchangeError,
    out: Vec<u8>,
) -> bool {
    bufs::give(out);
    if let ExchangeError::Refused(log_bytes) = e {
        ex.record.bytes_out = log_bytes;
    }
    let server = &fe.backend.servers[assigned.server];
    let (status, flags) = match e {
        ExchangeError::Timeout => (StatusCode::GATEWAY_TIMEOUT, Termination::new(b's', b'H')),
        // The body broke its own chunked framing after its head went on: HAProxy's 400.
        ExchangeError::Body(Aborted::Framing) => {
            (StatusCode::BAD_REQUEST, Termination::new(b'P', b'H'))
        }
        ExchangeError::Body(why) => {
            // Nothing to answer: the client is gone, broke its own request, or the server
            // stopped taking it.
            let flags = match why {
                Aborted::Closed => Termination::new(b'C', b'D'),
                Aborted::Timeout => Termination::new(b'c', b'D'),
                Aborted::Framing => Termination::new(b'P', b'D'),
                Aborted::Server(ReadError::Timeout) => Termination::new(b's', b'D'),
                Aborted::Server(ReadError::Failed) => Termination::new(b'S', b'D'),
            };
            end_aborted(fe, ex, assigned, flags);
            return false;
        }
        ExchangeError::Invalid | ExchangeError::Refused(_) => {
            server.counters.response_errors.fetch_add(1, Relaxed);
            (StatusCode::BAD_GATEWAY, Termination::new(b'P', b'H'))
        }
        ExchangeError::Killed(cause) => (StatusCode::BAD_GATEWAY, Termination::new(cause, b'H')),
        // HAProxy answers a client that closed while its request was at the server with a
        // 400 and logs `CH` (measured with a half-closed client, which reads it).
        // Its `%B` counts the `connection: close` header too (206, measured).
        ExchangeError::ClientGone => {
            client.body_read = false;
            ex.record.bytes_out += ("connection".len() + "close".len()) as u64;
            (StatusCode::BAD_REQUEST, Termination::new(b'C', b'H'))
        }
        ExchangeError::Failed | ExchangeError::Stale => {
            server.counters.response_errors.fetch_add(1, Relaxed);
            (StatusCode::BAD_GATEWAY, Termination::new(b'S', b'H'))
        }
    };
    error_reply(fe, client, head, ex, status, flags, Some(assigned)).await
}

/// Ends a request whose client left while it waited for a server (`option abortonclose`):
/// nothing is answered, the connection closes, and the line logs status -1 (measured).
fn left(
    fe: &FrontendRt,
    mut ex: Exchange,
    assigned: Option<Assigned<'_>>,
    flags: Termination,
) -> bool {
    ex.record.termination = flags;
    ex.record.timers[4] = millis(ex.began.elapsed());
    drop(assigned);
    fe.finish(*ex.record, ex.sampled);
    false
}

fn end_aborted(fe: &FrontendRt, mut ex: Exchange, assigned: Assigned<'_>, flags: Termination) {
    ex.record.termination = flags;
    ex.record.timers[4] = millis(ex.began.elapsed());
    drop(assigned);
    fe.finish(*ex.record, ex.sampled);
}

pub(super) fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}
