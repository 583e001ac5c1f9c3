//! The first request head of a client connection, read before hyper takes over, so a slow or
//! malformed request gets HAProxy's own 408 or 400 page and a log line (§3.4) instead of a bare
//! close. What was read is replayed to hyper through [`Rewind`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Larger heads are refused, like HAProxy's default `tune.bufsize`.
pub const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum HeadError {
    /// `timeout http-request` expired; `got` bytes had arrived.
    Timeout { got: usize },
    /// The client closed first; `got` bytes had arrived.
    Closed { got: usize },
    /// Not an HTTP/1 request head, or too large.
    Invalid,
}

/// Reads until a complete, valid request head is buffered (it may be followed by body bytes).
pub async fn read_head(
    stream: &mut TcpStream,
    limit: Option<Duration>,
) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let work = async {
        let mut chunk = [0u8; 4096];
        loop {
            match check(&buf) {
                Check::Complete => return Ok(()),
                Check::Invalid => return Err(HeadError::Invalid),
                Check::Partial => {}
            }
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return Err(HeadError::Closed { got: buf.len() });
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    let result = match limit {
        Some(t) => tokio::time::timeout(t, work)
            .await
            .unwrap_or(Err(HeadError::Timeout { got: usize::MAX })),
        None => work.await,
    };
    match result {
        Ok(()) => Ok(buf),
        Err(HeadError::Timeout { .. }) => Err(HeadError::Timeout { got: buf.len() }),
        Err(e) => Err(e),
    }
}

enum Check {
    Complete,
    Partial,
    Invalid,
}

fn check(buf: &[u8]) -> Check {
    if buf.is_empty() {
        return Check::Partial;
    }
    let mut headers = [httparse::EMPTY_HEADER; 100];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(_)) => Check::Complete,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => Check::Partial,
        _ => Check::Invalid,
    }
}

/// A stream that first replays bytes already read from it.
pub struct Rewind {
    prefix: Vec<u8>,
    pos: usize,
    inner: TcpStream,
}

impl Rewind {
    pub fn new(prefix: Vec<u8>, inner: TcpStream) -> Rewind {
        Rewind {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            if self.pos == self.prefix.len() {
                self.prefix = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        assert!(matches!(
            check(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n"),
            Check::Complete
        ));
        assert!(matches!(
            check(b"GET / HTTP/1.1\r\nhost: a\r\n"),
            Check::Partial
        ));
        assert!(matches!(
            check(b"GET / HTTP/1.1\r\n\r\nbody"),
            Check::Complete
        ));
        assert!(matches!(check(b"\x16\x03\x01\x02\x00"), Check::Invalid));
        assert!(matches!(
            check(b"GET / HTTP/1.1\r\nbad header\r\n\r\n"),
            Check::Invalid
        ));
        let huge = vec![b'a'; MAX_HEAD + 1];
        assert!(matches!(check(&huge), Check::Invalid));
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = b"GET /a?b=c HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 1.2.3.4\r\n\r\n".to_vec();
        let mut seed = 0x1234_5678_u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut m = base.clone();
            let at = (seed % m.len() as u64) as usize;
            m[at] = (seed >> 32) as u8;
            m.truncate(((seed >> 40) as usize % (m.len() + 1)).max(1));
            let _ = check(&m);
        }
    }
}
