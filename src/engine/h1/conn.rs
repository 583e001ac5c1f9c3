//! One client connection: wait for a request without holding a buffer, read and check its head,
//! hand it to [`http::proxy`], then write the reply and relay the body, as long as both sides
//! keep the connection open.

use super::body::{pump, ReqBody};
use super::bufs::{self, Input};
use super::head::{self, Framing, Head, Parsed};
use crate::engine::frontend::FrontendRt;
use crate::engine::http::{self, Reply, Session};
use crate::events::Termination;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode, Version};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

/// Bodies are written straight from the server's frames above this size, not copied.
const COPY_LIMIT: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    /// `timeout http-request` expired; `got` bytes had arrived.
    Timeout { got: usize },
    /// The client closed first; `got` bytes had arrived.
    Closed { got: usize },
    /// Not an HTTP/1 request head, or too large.
    Invalid,
}

struct Conn {
    stream: TcpStream,
    client: SocketAddr,
    fe: Arc<FrontendRt>,
    /// `X-Forwarded-For`, built once per connection.
    xff: Option<HeaderValue>,
    input: Input,
    served: u64,
}

/// What the reply needs to know about the request.
#[derive(Clone, Copy)]
struct Asked {
    version: Version,
    head: bool,
    keep_alive: bool,
}

/// Serves one client connection until it closes.
pub async fn serve(stream: TcpStream, client: SocketAddr, fe: Arc<FrontendRt>) {
    let accepted = Instant::now();
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        xff: fe.forwarded_for(client),
        stream,
        client,
        fe,
        input: Input::default(),
        served: 0,
    };
    while conn.wait_for_request(accepted).await {
        // Boxed so an idle connection's task holds only the small waiting state above.
        if !Box::pin(conn.request(accepted)).await {
            break;
        }
    }
    let _ = conn.stream.shutdown().await;
}

impl Conn {
    /// Waits, holding no buffer, until the client sends something. Between requests an idle
    /// client is closed silently after `timeout http-keep-alive`; before the first one,
    /// `timeout http-request` gives HAProxy's 408.
    async fn wait_for_request(&mut self, accepted: Instant) -> bool {
        if !self.input.is_empty() {
            return true;
        }
        let first = self.served == 0;
        let deadline = if first {
            self.fe.http_request_timeout().map(|t| accepted + t)
        } else {
            self.fe.keep_alive_timeout().map(|t| Instant::now() + t)
        };
        let readable = self.stream.readable();
        let ready = match deadline {
            Some(d) => timeout_at(d.into(), readable).await.ok(),
            None => Some(readable.await),
        };
        match ready {
            Some(Ok(())) => true,
            Some(Err(_)) => false,
            None if first => {
                let now = (SystemTime::now(), Instant::now());
                self.reject(HeadError::Timeout { got: 0 }, now).await;
                false
            }
            None => false,
        }
    }

    /// Serves one request; returns whether the connection stays open for another.
    async fn request(&mut self, accepted: Instant) -> bool {
        let began = (SystemTime::now(), Instant::now());
        let limit = self.fe.http_request_timeout();
        let deadline = limit.map(|t| if self.served == 0 { accepted } else { began.1 } + t);
        let head = match self.read_head(deadline).await {
            Ok(head) => head,
            Err(e) => {
                self.reject(e, began).await;
                return false;
            }
        };
        self.served += 1;
        self.input.consume(head.len);
        if head.expects_continue && self.input.is_empty() {
            let continued = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            if continued.await.is_err() {
                return false;
            }
        }
        if head.framing == Framing::None {
            self.input.release();
            self.bodiless(head).await
        } else {
            self.with_body(head).await
        }
    }

    async fn read_head(&mut self, deadline: Option<Instant>) -> Result<Head, HeadError> {
        loop {
            match head::parse(self.input.pending()) {
                Parsed::Complete(head) => return Ok(head),
                Parsed::Invalid => return Err(HeadError::Invalid),
                Parsed::Partial => {}
            }
            let got = self.input.pending().len();
            let read = self.stream.read_buf(self.input.reserve());
            let n = match deadline {
                Some(d) => timeout_at(d.into(), read)
                    .await
                    .map_err(|_| HeadError::Timeout { got })?,
                None => read.await,
            };
            if matches!(n, Ok(0) | Err(_)) {
                return Err(HeadError::Closed { got });
            }
        }
    }

    async fn bodiless(&mut self, head: Head) -> bool {
        let asked = asked(&head);
        let (parts, ()) = head.request.into_parts();
        let req = Request::from_parts(parts, ReqBody::Empty);
        let reply = http::proxy(req, head.len, self.client, self.xff.clone(), &self.fe).await;
        write_reply(&mut self.stream, reply, asked, &AtomicBool::new(true)).await
    }

    /// A request with a body: the body is read from the client while the reply is awaited
    /// and written, so uploads and streamed answers both flow.
    async fn with_body(&mut self, head: Head) -> bool {
        let asked = asked(&head);
        let length = match head.framing {
            Framing::Length(n) => Some(n),
            _ => None,
        };
        let (tx, body) = ReqBody::channel(length);
        let (parts, ()) = head.request.into_parts();
        let req = Request::from_parts(parts, body);
        let Conn {
            stream,
            client,
            fe,
            xff,
            input,
            ..
        } = self;
        let (mut rd, mut wr) = stream.split();
        let body_done = AtomicBool::new(false);
        let pumped = async {
            let r = pump(&mut rd, input, head.framing, fe.client_timeout(), tx).await;
            body_done.store(r.is_ok(), Relaxed);
        };
        let relayed = async {
            let reply = http::proxy(req, head.len, *client, xff.clone(), fe).await;
            write_reply(&mut wr, reply, asked, &body_done).await
        };
        tokio::pin!(pumped, relayed);
        let mut pumping = true;
        let keep = loop {
            tokio::select! {
                () = &mut pumped, if pumping => pumping = false,
                keep = &mut relayed => break keep,
            }
        };
        // A body the client never finished leaves the connection out of step.
        keep && body_done.load(Relaxed)
    }

    /// A request head that never completed: HAProxy's 408 or 400 page, then close, and a log
    /// line, unless the connection was idle (keep-alive) or `dontlognull` hides an empty one.
    async fn reject(&mut self, error: HeadError, (start, began): (SystemTime, Instant)) {
        let (reply, flags, got) = match error {
            HeadError::Timeout { got } => (Some(http::H1_408), Termination::new(b'c', b'R'), got),
            HeadError::Invalid => (Some(http::H1_400), Termination::new(b'P', b'R'), 1),
            HeadError::Closed { got } => (None, Termination::new(b'C', b'R'), got),
        };
        let idle = got == 0 && (self.served > 0 || self.fe.dontlognull());
        if self.served > 0 && got == 0 {
            return;
        }
        if let Some(reply) = reply {
            let _ = self.stream.write_all(reply.as_bytes()).await;
        }
        if idle {
            return;
        }
        let mut record = self.fe.new_record(self.client, start, None);
        record.status = Some(if flags.cause == b'c' { 408 } else { 400 });
        record.termination = flags;
        record.timers[4] = began.elapsed().as_millis() as i64;
        self.fe.finish(record, true);
    }
}

fn asked(head: &Head) -> Asked {
    Asked {
        version: head.request.version(),
        head: head.request.method() == Method::HEAD,
        keep_alive: head.keep_alive,
    }
}

/// Writes the reply; returns whether the connection may carry another request.
async fn write_reply<W: AsyncWrite + Unpin>(
    client: &mut W,
    reply: Reply,
    asked: Asked,
    body_done: &AtomicBool,
) -> bool {
    match reply {
        Reply::Error(status) => {
            let mut out = bufs::take();
            error_head(&mut out, status, asked);
            let ok = client.write_all(&out).await.is_ok();
            bufs::give(out);
            ok && asked.keep_alive
        }
        Reply::Relay {
            head,
            body,
            session,
        } => relay(client, head, body, session, asked, body_done).await,
    }
}

fn error_head(out: &mut Vec<u8>, status: StatusCode, asked: Asked) {
    status_line(out, status, http::haproxy_reason(status));
    for (name, value) in http::error_headers(status) {
        header_line(out, name.as_bytes(), value.as_bytes());
    }
    connection_header(out, asked.keep_alive, asked.version);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(http::error_page(status).as_bytes());
}

/// Relays a server's response: head, then body frames as they come, gathered into one write
/// while more is ready at once.
async fn relay<W: AsyncWrite + Unpin>(
    client: &mut W,
    head: hyper::http::response::Parts,
    mut body: Incoming,
    mut session: Session,
    asked: Asked,
    body_done: &AtomicBool,
) -> bool {
    let status = head.status.as_u16();
    let bodiless = asked.head || status < 200 || status == 204 || status == 304;
    let sized = bodiless || head.headers.contains_key(header::CONTENT_LENGTH);
    // Without a length, an HTTP/1.1 client gets chunks; an HTTP/1.0 one reads to the close.
    let chunked = !sized && asked.version == Version::HTTP_11;
    let keep = asked.keep_alive && (sized || chunked);
    let mut out = bufs::take();
    status_line(&mut out, head.status, http::reason(&head));
    for (name, value) in &head.headers {
        header_line(&mut out, name.as_str().as_bytes(), value.as_bytes());
    }
    if chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    connection_header(&mut out, keep, asked.version);
    out.extend_from_slice(b"\r\n");
    let result = relay_body(client, &mut body, &mut session, &mut out, chunked).await;
    bufs::give(out);
    if !body_done.load(Relaxed) {
        session.forget_connection();
    }
    match result {
        Ok(()) => {
            session.end(Termination::NORMAL);
            keep
        }
        Err(flags) => {
            session.end(flags);
            false
        }
    }
}

async fn relay_body<W: AsyncWrite + Unpin>(
    client: &mut W,
    body: &mut Incoming,
    session: &mut Session,
    out: &mut Vec<u8>,
    chunked: bool,
) -> Result<(), Termination> {
    let client_gone = Termination::new(b'C', b'D');
    while !body.is_end_stream() {
        let frame = match ready_frame(body).await {
            Some(frame) => frame,
            None => {
                // Nothing more yet: send what is gathered before waiting for the server.
                flush(client, out).await.map_err(|_| client_gone)?;
                std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
            }
        };
        let data = match frame {
            None => break,
            Some(Err(_)) => {
                let _ = flush(client, out).await;
                return Err(Termination::new(b'S', b'D'));
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
        };
        session.count_body(data.len());
        write_data(client, out, data, chunked)
            .await
            .map_err(|_| client_gone)?;
    }
    if chunked {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    flush(client, out).await.map_err(|_| client_gone)
}

type Polled = Option<Result<Frame<Bytes>, hyper::Error>>;

/// The next body frame if the server's bytes are already here, without waiting.
async fn ready_frame(body: &mut Incoming) -> Option<Polled> {
    std::future::poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut *body).poll_frame(cx) {
            Poll::Ready(frame) => Some(frame),
            Poll::Pending => None,
        })
    })
    .await
}

async fn write_data<W: AsyncWrite + Unpin>(
    client: &mut W,
    out: &mut Vec<u8>,
    data: Bytes,
    chunked: bool,
) -> std::io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    if chunked {
        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    }
    if data.len() > COPY_LIMIT {
        flush(client, out).await?;
        client.write_all(&data).await?;
    } else {
        out.extend_from_slice(&data);
    }
    if chunked {
        out.extend_from_slice(b"\r\n");
    }
    if out.len() >= bufs::SIZE {
        flush(client, out).await?;
    }
    Ok(())
}

async fn flush<W: AsyncWrite + Unpin>(client: &mut W, out: &mut Vec<u8>) -> std::io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let written = client.write_all(out).await;
    out.clear();
    written
}

fn status_line(out: &mut Vec<u8>, status: StatusCode, reason: &str) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn header_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// HTTP/1.1 persists by default and says so only when closing; HTTP/1.0 is the reverse.
fn connection_header(out: &mut Vec<u8>, keep: bool, version: Version) {
    match (keep, version) {
        (false, _) => out.extend_from_slice(b"connection: close\r\n"),
        (true, Version::HTTP_10) => out.extend_from_slice(b"connection: keep-alive\r\n"),
        (true, _) => {}
    }
}
