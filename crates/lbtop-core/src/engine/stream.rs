//! A connection: a plain socket, or TLS over one, from a client (`bind ... ssl`) or to a
//! server (`server ... ssl`). An enum rather than a type parameter, so one session code
//! serves both; the plain arm keeps its buffer-less waiting and its first read straight from
//! the kernel, and costs a branch.

use super::l7::relay::{self, Socket};
use crate::engine::h1::bufs::Input;
use crate::tls::TlsFacts;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{tcp, TcpStream};
type Tls = tokio_rustls::TlsStream<TcpStream>;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<Tls>),
}

impl Stream {
    /// The socket underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => t.get_ref().0,
        }
    }

    /// What a client's TLS handshake agreed, or `None` on a plain connection (`ssl_fc`
    /// false).
    pub fn tls(&self) -> Option<std::sync::Arc<TlsFacts>> {
        match self {
            Stream::Tls(t) => match &**t {
                tokio_rustls::TlsStream::Server(s) => {
                    Some(std::sync::Arc::new(TlsFacts::of(s.get_ref().1)))
                }
                tokio_rustls::TlsStream::Client(_) => None,
            },
            Stream::Plain(_) => None,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// What has already arrived, read without waiting (see [`relay::read_arrived`]); TLS
    /// records go through rustls, so a TLS connection always waits.
    pub fn read_arrived(&self, input: &mut Input) -> Option<io::Result<usize>> {
        match self {
            Stream::Plain(s) => relay::read_arrived(s, input),
            Stream::Tls(_) => None,
        }
    }

    /// Ends the connection: a FIN, after TLS's close_notify, which a client that reads
    /// nothing more gets `limit` to make room for.
    pub async fn close(&mut self, limit: Duration) {
        use tokio::io::AsyncWriteExt;
        match self {
            Stream::Plain(s) => {
                let _ = s.shutdown().await;
            }
            Stream::Tls(t) => {
                let _ = tokio::time::timeout(limit, t.shutdown()).await;
            }
        }
    }

    /// Its reading and writing sides, to use at once.
    pub fn split(&mut self) -> (StreamRead<'_>, StreamWrite<'_>) {
        match self {
            Stream::Plain(s) => {
                let (r, w) = s.split();
                (StreamRead::Plain(r), StreamWrite::Plain(w))
            }
            Stream::Tls(t) => {
                let (r, w) = tokio::io::split(&mut **t);
                (StreamRead::Tls(r), StreamWrite::Tls(w))
            }
        }
    }
}

impl Socket for Stream {
    async fn read_some(&mut self, input: &mut Input) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read_some(input).await,
            Stream::Tls(t) => eof_is_close(t.read_buf(input.reserve()).await),
        }
    }
}

/// A TLS client that closes its socket without a close_notify (most do, once they have
/// their answer) has closed, as HAProxy sees it, not failed.
pub fn eof_is_close(read: io::Result<usize>) -> io::Result<usize> {
    match read {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
        other => other,
    }
}

pub enum StreamRead<'a> {
    Plain(tcp::ReadHalf<'a>),
    Tls(tokio::io::ReadHalf<&'a mut Tls>),
}

impl Socket for StreamRead<'_> {
    async fn read_some(&mut self, input: &mut Input) -> io::Result<usize> {
        match self {
            StreamRead::Plain(s) => s.read_some(input).await,
            StreamRead::Tls(t) => eof_is_close(t.read_buf(input.reserve()).await),
        }
    }
}

/// As [`Stream`] reads: a TLS client's close without close_notify is an end, not an error.
impl AsyncRead for StreamRead<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            StreamRead::Plain(s) => Pin::new(s).poll_read(cx, buf),
            StreamRead::Tls(t) => match Pin::new(t).poll_read(cx, buf) {
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    Poll::Ready(Ok(()))
                }
                other => other,
            },
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(t) => match Pin::new(&mut **t).poll_read(cx, buf) {
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    Poll::Ready(Ok(()))
                }
                other => other,
            },
        }
    }
}

pub enum StreamWrite<'a> {
    Plain(tcp::WriteHalf<'a>),
    Tls(tokio::io::WriteHalf<&'a mut Tls>),
}

/// Both writers forward to the stream they hold; for TLS, `flush` pushes out the records
/// rustls still holds, so every write that must reach the client is followed by one
/// (`relay::write_within` does).
macro_rules! forward_write {
    ($ty:ty, $plain:path, $tls:path) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $plain(s) => Pin::new(s).poll_write(cx, buf),
                    $tls(t) => Pin::new(t).poll_write(cx, buf),
                }
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                    $tls(t) => Pin::new(t).poll_write_vectored(cx, bufs),
                }
            }

            fn is_write_vectored(&self) -> bool {
                match self {
                    $plain(s) => s.is_write_vectored(),
                    $tls(t) => t.is_write_vectored(),
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $plain(s) => Pin::new(s).poll_flush(cx),
                    $tls(t) => Pin::new(t).poll_flush(cx),
                }
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $plain(s) => Pin::new(s).poll_shutdown(cx),
                    $tls(t) => Pin::new(t).poll_shutdown(cx),
                }
            }
        }
    };
}

forward_write!(StreamWrite<'_>, StreamWrite::Plain, StreamWrite::Tls);
forward_write!(Stream, Stream::Plain, Stream::Tls);
