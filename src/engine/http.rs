//! L7: what happens to one HTTP request between the client connection (`h1::conn`) and a
//! server. Each request is balanced on its own (§3.1).

use super::balance::PickKey;
use super::connect::{assign_queued, dial, Assigned, ConnectError};
use super::frontend::FrontendRt;
use super::h1::body::ReqBody;
use crate::events::{SessionRecord, Termination};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What the client gets back.
// Built and consumed once per request; boxing the big variant would cost an allocation each time.
#[allow(clippy::large_enum_variant)]
pub enum Reply {
    /// One of HAProxy's own error pages; the session is already logged.
    Error(StatusCode),
    /// The server's response, whose body the session tracks until it has been relayed.
    Relay {
        head: hyper::http::response::Parts,
        body: Incoming,
        session: Session,
    },
}

/// The H1 layer's own answers to a request head that never completed: mixed-case headers,
/// and the connection closes.
pub const H1_408: &str = "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
pub const H1_400: &str = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";

/// What a request carries through its life, for the log line.
pub struct Exchange {
    record: SessionRecord,
    began: Instant,
    sampled: bool,
}

/// Balances, connects and sends one request; `head_len` is its head's size on the wire.
pub async fn proxy(
    mut req: Request<ReqBody>,
    head_len: usize,
    client: SocketAddr,
    xff: Option<HeaderValue>,
    fe: &Arc<FrontendRt>,
) -> Reply {
    fe.counters.requests.fetch_add(1, Relaxed);
    let backend = &fe.backend;
    // Building the record's strings is skipped for requests the watcher does not sample.
    let sampled = fe.sample();
    let (start, line) = if sampled {
        (SystemTime::now(), request_line(&req))
    } else {
        (SystemTime::UNIX_EPOCH, String::new())
    };
    let mut ex = Exchange {
        record: fe.new_record(client, start, Some(line)),
        began: Instant::now(),
        sampled,
    };
    ex.record.timers[0] = 0;
    ex.record.bytes_in = head_len as u64 + announced_length(req.headers());
    prepare_request(&mut req, xff.as_ref(), fe);
    if sampled {
        ex.record.forwarded_for = xff.and_then(|v| v.to_str().ok().map(str::to_string));
    }
    let path = fe.hashes_uri().then(|| req.uri().path().to_owned());
    let header = fe
        .hash_header()
        .and_then(|name| req.headers().get(name))
        .map(|v| v.as_bytes().to_vec());
    let key = PickKey {
        source: Some(client.ip()),
        path: path.as_deref(),
        header: header.as_deref(),
    };
    let policy = fe.retry_policy();
    let queued = assign_queued(
        backend,
        key,
        policy.queue_timeout,
        &mut ex.record.backend_queue,
    );
    let assigned = match queued.await {
        Ok(a) => a,
        Err((e, waited)) => {
            // Tw is -1 when there was no server to wait for at all.
            let (flags, tw) = match e {
                ConnectError::QueueTimeout => (Termination::new(b's', b'Q'), millis(waited)),
                _ => (Termination::new(b'S', b'C'), -1),
            };
            ex.record.timers[1] = tw;
            return error_reply(fe, ex, StatusCode::SERVICE_UNAVAILABLE, flags, None);
        }
    };
    ex.record.timers[1] = millis(ex.began.elapsed());
    let pooled = if fe.server_close() {
        None
    } else {
        backend.servers[assigned.server].pool().take()
    };
    let req = match pooled {
        Some(sender) => match reuse(sender, req, fe, &mut ex, &assigned).await {
            Ok((response, sender)) => return respond(response, fe, ex, assigned, Some(sender)),
            Err(ReuseFailed::Failed(e)) => return exchange_failed(e, fe, ex, assigned),
            // The idle connection died before taking the request: connect afresh.
            Err(ReuseFailed::Unsent(req)) => *req,
        },
        None => req,
    };
    let attempt = dial(assigned, key, policy).await;
    ex.record.retries = attempt.retries;
    ex.record.redispatched = attempt.redispatched;
    ex.record.timers[1] += millis(attempt.waited);
    ex.record.server = attempt.assigned.as_ref().map(|a| a.server);
    let assigned = attempt.assigned.expect("dial always assigns");
    let stream = match attempt.result {
        Ok(stream) => stream,
        Err(e) => {
            let flags = match e {
                ConnectError::Timeout => Termination::new(b's', b'C'),
                _ => Termination::new(b'S', b'C'),
            };
            return error_reply(
                fe,
                ex,
                StatusCode::SERVICE_UNAVAILABLE,
                flags,
                Some(assigned),
            );
        }
    };
    ex.record.timers[2] = millis(attempt.connect_time);
    let handshake = hyper::client::conn::http1::Builder::new()
        .handshake::<_, ReqBody>(TokioIo::new(stream))
        .await;
    let Ok((mut sender, conn)) = handshake else {
        let flags = Termination::new(b'S', b'H');
        return error_reply(fe, ex, StatusCode::BAD_GATEWAY, flags, Some(assigned));
    };
    tokio::spawn(conn);
    match exchange(&mut sender, req, fe).await {
        Ok(response) => {
            ex.record.timers[3] =
                millis(ex.began.elapsed()) - ex.record.timers[1] - ex.record.timers[2];
            let keep = (!fe.server_close()).then_some(sender);
            respond(response, fe, ex, assigned, keep)
        }
        Err(e) => exchange_failed(e, fe, ex, assigned),
    }
}

enum ReuseFailed {
    Unsent(Box<Request<ReqBody>>),
    Failed(ExchangeError),
}

/// Sends on an idle pooled connection.
async fn reuse(
    mut sender: SendRequest<ReqBody>,
    req: Request<ReqBody>,
    fe: &Arc<FrontendRt>,
    ex: &mut Exchange,
    assigned: &Assigned<'_>,
) -> Result<(Response<Incoming>, SendRequest<ReqBody>), ReuseFailed> {
    ex.record.server = Some(assigned.server);
    ex.record.reused = true;
    ex.record.timers[2] = 0;
    let sent = Instant::now();
    let attempt = sender.try_send_request(req);
    let result = match fe.server_timeout() {
        Some(t) => tokio::time::timeout(t, attempt).await.map_err(|_| ()),
        None => Ok(attempt.await),
    };
    match result {
        Ok(Ok(response)) => {
            ex.record.timers[3] = millis(sent.elapsed());
            Ok((response, sender))
        }
        Ok(Err(mut e)) => match e.take_message() {
            Some(req) => Err(ReuseFailed::Unsent(Box::new(req))),
            None => Err(ReuseFailed::Failed(ExchangeError::Failed)),
        },
        Err(()) => Err(ReuseFailed::Failed(ExchangeError::Timeout)),
    }
}

#[derive(Debug, Clone, Copy)]
enum ExchangeError {
    /// `timeout server` expired before the response headers.
    Timeout,
    /// The server closed or sent garbage.
    Failed,
}

/// Sends the request and waits for the response headers, under `timeout server`.
async fn exchange(
    sender: &mut SendRequest<ReqBody>,
    req: Request<ReqBody>,
    fe: &FrontendRt,
) -> Result<Response<Incoming>, ExchangeError> {
    match fe.server_timeout() {
        Some(t) => match tokio::time::timeout(t, sender.send_request(req)).await {
            Ok(r) => r.map_err(|_| ExchangeError::Failed),
            Err(_) => Err(ExchangeError::Timeout),
        },
        None => sender
            .send_request(req)
            .await
            .map_err(|_| ExchangeError::Failed),
    }
}

fn exchange_failed(
    e: ExchangeError,
    fe: &Arc<FrontendRt>,
    ex: Exchange,
    assigned: Assigned<'_>,
) -> Reply {
    let (status, flags) = match e {
        ExchangeError::Timeout => (StatusCode::GATEWAY_TIMEOUT, Termination::new(b's', b'H')),
        ExchangeError::Failed => {
            let server = &fe.backend.servers[assigned.server];
            server.counters.response_errors.fetch_add(1, Relaxed);
            (StatusCode::BAD_GATEWAY, Termination::new(b'S', b'H'))
        }
    };
    error_reply(fe, ex, status, flags, Some(assigned))
}

/// Turns the server's response into the client's; its body is streamed by the connection.
fn respond(
    response: Response<Incoming>,
    fe: &Arc<FrontendRt>,
    mut ex: Exchange,
    assigned: Assigned<'_>,
    idle: Option<SendRequest<ReqBody>>,
) -> Reply {
    let (mut head, body) = response.into_parts();
    // A server that sent both framings had its body decoded as chunked; its length is moot.
    if head.headers.contains_key(hyper::header::TRANSFER_ENCODING) {
        head.headers.remove(hyper::header::CONTENT_LENGTH);
    }
    strip_hop_by_hop(&mut head.headers);
    let status = head.status.as_u16();
    ex.record.server = Some(assigned.server);
    ex.record.status = Some(status);
    ex.record.bytes_out = head_bytes(reason(&head), &head.headers);
    fe.backend.servers[assigned.server]
        .counters
        .response(status);
    // The session ends when the body has been relayed, so the session takes it over.
    let server = assigned.into_session();
    let session = Session {
        fe: fe.clone(),
        server,
        ex: Some(ex),
        idle,
    };
    Reply::Relay {
        head,
        body,
        session,
    }
}

/// The reason phrase the server sent, or the standard one.
pub fn reason(head: &hyper::http::response::Parts) -> &str {
    head.extensions
        .get::<hyper::ext::ReasonPhrase>()
        .and_then(|r| std::str::from_utf8(r.as_bytes()).ok())
        .or(head.status.canonical_reason())
        .unwrap_or("")
}

/// The body a request's Content-Length announces (a chunked body is not counted).
fn announced_length(headers: &HeaderMap) -> u64 {
    headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0)
}

/// `GET /path HTTP/1.1`.
fn request_line<B>(req: &Request<B>) -> String {
    format!("{} {} {:?}", req.method(), req.uri(), req.version())
}

fn prepare_request(req: &mut Request<ReqBody>, xff: Option<&HeaderValue>, fe: &FrontendRt) {
    let headers = req.headers_mut();
    strip_hop_by_hop(headers);
    // The client connection has answered `100 Continue` itself.
    headers.remove(hyper::header::EXPECT);
    if let (Some(value), Some(name)) = (xff, fe.forwardfor_header()) {
        headers.append(name.clone(), value.clone());
    }
    if fe.server_close() {
        headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    *req.version_mut() = hyper::Version::HTTP_11;
}

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1).
const HOP_BY_HOP: [HeaderName; 6] = [
    hyper::header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    hyper::header::TE,
    hyper::header::TRAILER,
    hyper::header::UPGRADE,
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in HOP_BY_HOP.iter().chain(&listed) {
        headers.remove(name);
    }
    headers.remove(hyper::header::TRANSFER_ENCODING);
}

/// Approximate bytes of a status line and headers, for `%B`.
/// The response-head size HAProxy 2.6 counts in `%B`: its internal (HTX) form, not the wire
/// form. A start-line block of 21 bytes plus version, code and reason, then each header's name
/// and value without separators. Checked against HAProxy: its 503 page logs 217, a relayed
/// `200 OK` with two headers and a 2-byte body logs 60.
fn head_bytes(reason: &str, headers: &HeaderMap) -> u64 {
    let start_line = 21 + "HTTP/1.1".len() + 3 + reason.len();
    let headers: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    (start_line + headers) as u64
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// The reason phrases HAProxy writes on its own errors (`504 Gateway Time-out`).
pub fn haproxy_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        504 => "Gateway Time-out",
        408 => "Request Time-out",
        400 => "Bad request",
        _ => status.canonical_reason().unwrap_or(""),
    }
}

/// HAProxy's built-in error pages (§3.8).
pub fn error_page(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n",
        408 => "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
        502 => "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n",
        504 => "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n",
        _ => "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n",
    }
}

fn error_reply(
    fe: &Arc<FrontendRt>,
    mut ex: Exchange,
    status: StatusCode,
    flags: Termination,
    assigned: Option<Assigned<'_>>,
) -> Reply {
    if let Some(a) = &assigned {
        fe.backend.servers[a.server]
            .counters
            .response(status.as_u16());
    }
    ex.record.status = Some(status.as_u16());
    ex.record.termination = flags;
    ex.record.bytes_out = error_bytes(status);
    ex.record.timers[4] = millis(ex.began.elapsed());
    drop(assigned);
    fe.finish(ex.record, ex.sampled);
    Reply::Error(status)
}

/// The headers of HAProxy's own error responses, lower-cased like everything it relays.
pub fn error_headers(status: StatusCode) -> [(&'static str, String); 3] {
    [
        ("content-length", error_page(status).len().to_string()),
        ("cache-control", "no-cache".to_string()),
        ("content-type", "text/html".to_string()),
    ]
}

/// `%B` of an error page, counted the way [`head_bytes`] counts a relayed head.
fn error_bytes(status: StatusCode) -> u64 {
    let start_line = 21 + "HTTP/1.1".len() + 3 + haproxy_reason(status).len();
    let headers: usize = error_headers(status)
        .iter()
        .map(|(n, v)| n.len() + v.len())
        .sum();
    (start_line + headers + error_page(status).len()) as u64
}

/// A relayed response's session: counted on its server until the body has gone to the client,
/// then logged. Dropped early, it ends as a client abort (`CD`).
pub struct Session {
    fe: Arc<FrontendRt>,
    server: usize,
    ex: Option<Exchange>,
    /// The server connection, returned to the pool when the body ends cleanly.
    idle: Option<SendRequest<ReqBody>>,
}

impl Session {
    pub fn count_body(&mut self, n: usize) {
        if let Some(ex) = self.ex.as_mut() {
            ex.record.bytes_out += n as u64;
        }
    }

    /// Keeps the server connection out of the pool (it is still busy with the request body).
    pub fn forget_connection(&mut self) {
        self.idle = None;
    }

    pub fn end(&mut self, flags: Termination) {
        let Some(mut ex) = self.ex.take() else {
            return;
        };
        ex.record.termination = flags;
        ex.record.timers[4] = millis(ex.began.elapsed());
        let backend = &self.fe.backend;
        let server = &backend.servers[self.server];
        server.counters.latency.record(ex.began.elapsed());
        let counters = &server.counters;
        counters.bytes_out.fetch_add(ex.record.bytes_out, Relaxed);
        counters.bytes_in.fetch_add(ex.record.bytes_in, Relaxed);
        if let (Some(sender), true) = (self.idle.take(), flags == Termination::NORMAL) {
            server.pool().put(sender);
        }
        backend.release(self.server);
        self.fe.finish(ex.record, ex.sampled);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.end(Termination::new(b'C', b'D'));
    }
}
