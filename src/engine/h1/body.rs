//! Request bodies on their way to the server: the client connection reads and decodes them
//! (`pump`) while hyper's client writes them out from a small channel (`ReqBody`).

use super::bufs::Input;
use super::chunked::Decoder;
use super::head::Framing;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

/// Chunks in flight between the client connection and the server connection.
const DEPTH: usize = 4;

/// The client went away, timed out or broke the framing before the body ended.
#[derive(Debug)]
pub struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body aborted by the client")
    }
}

impl std::error::Error for Aborted {}

/// `Some(data)` carries body bytes, `None` marks a complete body. A channel closed without
/// the mark means the body was cut short.
type Item = Option<Bytes>;

pub enum ReqBody {
    Empty,
    Stream {
        rx: mpsc::Receiver<Item>,
        length: Option<u64>,
        ended: bool,
    },
}

impl ReqBody {
    /// A body fed through the returned sender; `length` is its Content-Length, if any.
    pub fn channel(length: Option<u64>) -> (mpsc::Sender<Item>, ReqBody) {
        let (tx, rx) = mpsc::channel(DEPTH);
        let body = ReqBody::Stream {
            rx,
            length,
            ended: false,
        };
        (tx, body)
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        let ReqBody::Stream { rx, ended, .. } = self.get_mut() else {
            return Poll::Ready(None);
        };
        if *ended {
            return Poll::Ready(None);
        }
        match rx.poll_recv(cx) {
            Poll::Ready(Some(Some(data))) => Poll::Ready(Some(Ok(Frame::data(data)))),
            Poll::Ready(Some(None)) => {
                *ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(None) => Poll::Ready(Some(Err(Aborted))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReqBody::Empty => true,
            ReqBody::Stream { ended, .. } => *ended,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReqBody::Empty => SizeHint::with_exact(0),
            ReqBody::Stream {
                length: Some(n), ..
            } => SizeHint::with_exact(*n),
            ReqBody::Stream { .. } => SizeHint::default(),
        }
    }
}

/// Reads the body that `framing` announces from `input` and then `client`, and sends it on.
/// Returns the body bytes read from the client (for chunked bodies, the decoded size), or
/// `Err` when the body did not arrive whole; the connection cannot be reused then.
pub async fn pump<R: AsyncRead + Unpin>(
    client: &mut R,
    input: &mut Input,
    framing: Framing,
    idle_timeout: Option<Duration>,
    tx: mpsc::Sender<Item>,
) -> Result<u64, Aborted> {
    let mut left = match framing {
        Framing::None => 0,
        Framing::Length(n) => n,
        Framing::Chunked => u64::MAX,
    };
    let mut decoder = (framing == Framing::Chunked).then(Decoder::default);
    let mut total = 0;
    loop {
        if !input.is_empty() {
            let (data, used) = match &mut decoder {
                Some(d) => {
                    let mut out = Vec::new();
                    let used = d
                        .decode(input.pending(), |s| out.extend_from_slice(s))
                        .map_err(|_| Aborted)?;
                    if d.is_done() {
                        left = 0;
                    }
                    (Bytes::from(out), used)
                }
                None => {
                    let n = (input.pending().len() as u64).min(left) as usize;
                    left -= n as u64;
                    (Bytes::copy_from_slice(&input.pending()[..n]), n)
                }
            };
            input.consume(used);
            total += data.len() as u64;
            if !data.is_empty() && tx.send(Some(data)).await.is_err() {
                return Err(Aborted);
            }
        }
        if left == 0 {
            input.release();
            return tx.send(None).await.map(|_| total).map_err(|_| Aborted);
        }
        read_more(client, input, idle_timeout).await?;
    }
}

async fn read_more<R: AsyncRead + Unpin>(
    client: &mut R,
    input: &mut Input,
    idle_timeout: Option<Duration>,
) -> Result<(), Aborted> {
    let read = client.read_buf(input.reserve());
    let n = match idle_timeout {
        Some(t) => tokio::time::timeout(t, read).await.map_err(|_| Aborted)?,
        None => read.await,
    };
    match n {
        Ok(0) | Err(_) => Err(Aborted),
        Ok(_) => Ok(()),
    }
}
