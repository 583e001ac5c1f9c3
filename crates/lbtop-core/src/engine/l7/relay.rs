//! Bodies on the move: a request body from the client to the server, and a response body from
//! the server to the client, each in the framing the other side reads.

use crate::engine::h1::bufs::{self, Input};
use crate::engine::h1::chunked::Decoder;
use crate::engine::h1::head::Framing;
use crate::engine::h1::response::{Body, Response};
use crate::events::Termination;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::ReadHalf;
use tokio::net::TcpStream;

/// Above this, buffered bytes are written straight from where they were read, not gathered.
const GATHER_LIMIT: usize = 4096;

/// A server connection and the bytes read from it that have not been used yet.
pub struct ServerConn {
    pub stream: crate::engine::stream::Stream,
    pub input: Input,
}

impl ServerConn {
    pub fn new(stream: crate::engine::stream::Stream) -> ServerConn {
        ServerConn {
            stream,
            input: Input::default(),
        }
    }
}

/// Why the request body did not arrive whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aborted {
    /// The client closed or reset its connection (`CD`).
    Closed,
    /// The client went silent for `timeout client` (`cD`).
    Timeout,
    /// The client broke the chunked framing (`PD`).
    Framing,
    /// The server stopped taking the body (`SD`), or took longer than `timeout server` to
    /// make room for it (`sD`).
    Server(ReadError),
}

/// When either side of an exchange last moved a byte: `timeout server` counts from here, so an
/// upload that keeps flowing is never cut by it, as HAProxy's inactivity timeouts are not.
pub struct Activity {
    start: Instant,
    last: AtomicU64,
}

impl Activity {
    pub fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    pub fn touch(&self) {
        let now = self.start.elapsed().as_micros() as u64;
        self.last.store(now, Ordering::Relaxed);
    }

    /// How long nothing has moved.
    pub fn idle(&self) -> Duration {
        let last = Duration::from_micros(self.last.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

impl Default for Activity {
    fn default() -> Self {
        Activity::new()
    }
}

/// Forwards the request body `framing` announces, from `input` and then `client`, to
/// `server`. A chunked body is decoded and chunked afresh (extensions dropped, trailers
/// checked), as HAProxy forwards it. Returns the bytes read from the client.
pub async fn forward_request_body<R, W>(
    client: &mut R,
    input: &mut Input,
    framing: Framing,
    server: &mut W,
    limits: Limits,
    activity: &Activity,
) -> Result<u64, Aborted>
where
    R: Socket,
    W: AsyncWrite + Unpin,
{
    let mut left = match framing {
        Framing::None => return Ok(0),
        Framing::Length(n) => n,
        Framing::Chunked => u64::MAX,
    };
    let mut decoder = (framing == Framing::Chunked).then(Decoder::default);
    let mut encoded = Vec::new();
    let mut forwarded = 0;
    loop {
        let pending = input.pending();
        let (used, out) = match &mut decoder {
            Some(d) => {
                encoded.clear();
                let used = d
                    .decode(pending, |data| Decoder::encode_chunk(&mut encoded, data))
                    .map_err(|_| Aborted::Framing)?;
                if d.is_done() {
                    d.encode_end(&mut encoded);
                    left = 0;
                }
                (used, &encoded[..])
            }
            None => {
                let n = (pending.len() as u64).min(left) as usize;
                left -= n as u64;
                (n, &pending[..n])
            }
        };
        if !out.is_empty() {
            write_within(server, out, limits.server)
                .await
                .map_err(|e| match e.kind() {
                    io::ErrorKind::TimedOut => Aborted::Server(ReadError::Timeout),
                    _ => Aborted::Server(ReadError::Failed),
                })?;
            activity.touch();
        }
        input.consume(used);
        forwarded += used as u64;
        if left == 0 {
            input.release();
            return Ok(forwarded);
        }
        // `Ok(0)` is the client closing mid-body: the body can never complete.
        match read_into(client, input, limits.client).await {
            Ok(0) | Err(ReadError::Failed) => return Err(Aborted::Closed),
            Err(ReadError::Timeout) => return Err(Aborted::Timeout),
            Ok(_) => activity.touch(),
        }
    }
}

/// Something read from: `read_some` reads into `input` once bytes have arrived (`Ok(0)` is
/// a close). A plain socket is waited on before a buffer is committed to it, so a connection
/// that waits (for a slow server, or a client between requests) holds no buffer while it
/// does; TLS reads through rustls into the buffer.
pub trait Socket {
    fn read_some(
        &mut self,
        input: &mut Input,
    ) -> impl std::future::Future<Output = io::Result<usize>>;
}

/// A socket whose readiness can be awaited without a buffer.
trait Ready {
    fn readable(&self) -> impl std::future::Future<Output = io::Result<()>>;
    fn try_read_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize>;
}

impl Ready for TcpStream {
    fn readable(&self) -> impl std::future::Future<Output = io::Result<()>> {
        TcpStream::readable(self)
    }

    fn try_read_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        TcpStream::try_read_buf(self, buf)
    }
}

impl Ready for ReadHalf<'_> {
    fn readable(&self) -> impl std::future::Future<Output = io::Result<()>> {
        ReadHalf::readable(self)
    }

    fn try_read_buf(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        ReadHalf::try_read_buf(self, buf)
    }
}

async fn read_when_ready<R: Ready>(from: &R, input: &mut Input) -> io::Result<usize> {
    loop {
        from.readable().await?;
        match from.try_read_buf(input.reserve()) {
            // The runtime thought the socket readable and it was not: give the buffer back
            // (or keep only the unread bytes) before waiting again.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => input.release(),
            done => return done,
        }
    }
}

impl Socket for TcpStream {
    fn read_some(
        &mut self,
        input: &mut Input,
    ) -> impl std::future::Future<Output = io::Result<usize>> {
        read_when_ready(&*self, input)
    }
}

impl Socket for ReadHalf<'_> {
    fn read_some(
        &mut self,
        input: &mut Input,
    ) -> impl std::future::Future<Output = io::Result<usize>> {
        read_when_ready(&*self, input)
    }
}

/// Reads what has already arrived on a new connection, without waiting for the runtime to
/// report it readable: a client's first request is usually there by the time it is accepted,
/// and asking the kernel at once saves a trip through the event loop per connection (HAProxy
/// reads the same way). `None` when nothing has arrived yet; `Some(Ok(0))` is a close.
pub fn read_arrived(from: &TcpStream, input: &mut Input) -> Option<io::Result<usize>> {
    use std::os::fd::AsRawFd;
    let buf = input.reserve();
    let spare = buf.spare_capacity_mut();
    // SAFETY: a valid, open descriptor; the kernel writes at most `spare.len()` bytes into
    // memory `buf` owns and has not initialised, which `set_len` then counts.
    let n = unsafe {
        libc::recv(
            from.as_raw_fd(),
            spare.as_mut_ptr().cast(),
            spare.len(),
            libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::WouldBlock {
            input.release();
            return None;
        }
        return Some(Err(e));
    }
    let n = n as usize;
    // SAFETY: the kernel initialised `n` bytes past the old length.
    unsafe { buf.set_len(buf.len() + n) };
    Some(Ok(n))
}

/// Reads more into `input` once `from` has something, under `limit`. `Ok(0)` is a close.
pub async fn read_into<S: Socket>(
    from: &mut S,
    input: &mut Input,
    limit: Option<Duration>,
) -> Result<usize, ReadError> {
    let read = from.read_some(input);
    let n = match limit {
        Some(t) => tokio::time::timeout(t, read)
            .await
            .map_err(|_| ReadError::Timeout)?,
        None => read.await,
    };
    n.map_err(|_| ReadError::Failed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    Timeout,
    Failed,
}

/// How long each side may keep an exchange waiting: `timeout server` for the next bytes from
/// the server or for room to send it more, `timeout client` likewise for the client. Both
/// count inactivity.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub server: Option<Duration>,
    pub client: Option<Duration>,
}

/// Relays the response body after its head (already in `out`), gathering what is buffered
/// into as few writes as it can. Adds the body bytes sent to `counted`.
pub async fn relay_response_body<W: AsyncWrite + Unpin>(
    server: &mut ServerConn,
    response: &Response,
    client: &mut W,
    out: &mut Vec<u8>,
    limits: Limits,
    counted: &mut u64,
) -> Result<(), Termination> {
    let client_gone = |e: io::Error| match e.kind() {
        io::ErrorKind::TimedOut => Termination::new(b'c', b'D'),
        _ => Termination::new(b'C', b'D'),
    };
    let mut left = match response.body {
        Body::Length(n) => n,
        _ => u64::MAX,
    };
    let mut decoder = (response.body == Body::Chunked).then(Decoder::default);
    let mut done = response.body == Body::None;
    loop {
        if !done && !server.input.is_empty() {
            let pending = server.input.pending();
            let used = match &mut decoder {
                Some(d) => {
                    let before = out.len();
                    let used = d
                        .decode(pending, |data| {
                            *counted += data.len() as u64;
                            Decoder::encode_chunk(out, data)
                        })
                        .map_err(|_| Termination::new(b'P', b'D'))?;
                    done = d.is_done();
                    if done {
                        d.encode_end(out);
                    }
                    if out.len() - before > 0 && out.len() >= bufs::SIZE {
                        flush(client, out, limits.client)
                            .await
                            .map_err(client_gone)?;
                    }
                    used
                }
                None => {
                    let n = (pending.len() as u64).min(left) as usize;
                    left -= n as u64;
                    done = left == 0;
                    *counted += n as u64;
                    emit(client, out, &pending[..n], limits.client)
                        .await
                        .map_err(client_gone)?;
                    n
                }
            };
            server.input.consume(used);
        }
        if done {
            return flush(client, out, limits.client).await.map_err(client_gone);
        }
        // Everything buffered is used: send it before waiting for the server.
        flush(client, out, limits.client)
            .await
            .map_err(client_gone)?;
        match read_into(&mut server.stream, &mut server.input, limits.server).await {
            Ok(0) if response.body == Body::Close => done = true,
            Ok(0) | Err(ReadError::Failed) => return Err(Termination::new(b'S', b'D')),
            Err(ReadError::Timeout) => return Err(Termination::new(b's', b'D')),
            Ok(_) => {}
        }
    }
}

/// Adds `data` to the pending write, or, when it is large, sends both at once from where they are.
async fn emit<W: AsyncWrite + Unpin>(
    client: &mut W,
    out: &mut Vec<u8>,
    data: &[u8],
    limit: Option<Duration>,
) -> io::Result<()> {
    if data.len() <= GATHER_LIMIT && out.len() + data.len() <= bufs::SIZE {
        out.extend_from_slice(data);
        return Ok(());
    }
    flush(client, out, limit).await?;
    write_within(client, data, limit).await
}

async fn flush<W: AsyncWrite + Unpin>(
    client: &mut W,
    out: &mut Vec<u8>,
    limit: Option<Duration>,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let written = write_within(client, out, limit).await;
    out.clear();
    written
}

/// Writes all of `buf`, unless the reader takes longer than `limit` to make room for it.
pub async fn write_within<W: AsyncWrite + Unpin>(
    to: &mut W,
    buf: &[u8],
    limit: Option<Duration>,
) -> io::Result<()> {
    match limit {
        Some(t) => tokio::time::timeout(t, write_flushed(to, buf))
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
        None => write_flushed(to, buf).await,
    }
}

/// Writes all of `buf` and flushes: a no-op on a socket, and how TLS records rustls still
/// holds get sent.
async fn write_flushed<W: AsyncWrite + Unpin>(to: &mut W, buf: &[u8]) -> io::Result<()> {
    to.write_all(buf).await?;
    to.flush().await
}
