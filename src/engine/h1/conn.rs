//! One client connection: wait for a request without holding a buffer, read and check its
//! head, hand it to [`http::proxy`], and go round again for as long as both sides keep the
//! connection open.

use super::bufs::{self, Input};
use super::head::{self, Head, Parsed, Rewrite};
use crate::engine::frontend::FrontendRt;
use crate::engine::http::{self, Client};
use crate::events::Termination;
use hyper::header::HeaderValue;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

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
    addr: SocketAddr,
    fe: Arc<FrontendRt>,
    /// `X-Forwarded-For`, built once per connection.
    forwarded_for: Option<HeaderValue>,
    input: Input,
    served: u64,
}

/// Serves one client connection until it closes.
pub async fn serve(stream: TcpStream, addr: SocketAddr, fe: Arc<FrontendRt>) {
    let accepted = Instant::now();
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        forwarded_for: fe.forwarded_for(addr),
        stream,
        addr,
        fe,
        input: Input::default(),
        served: 0,
    };
    while conn.wait_for_request(accepted).await {
        // Boxed so an idle connection's task holds only the small waiting state above.
        if !Box::pin(conn.request(accepted)).await {
            break;
        }
        conn.input.release();
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
        let mut upstream = bufs::take();
        let head = match self.read_head(deadline, &mut upstream).await {
            Ok(head) => head,
            Err(e) => {
                bufs::give(upstream);
                self.reject(e, began).await;
                return false;
            }
        };
        self.served += 1;
        self.input.consume(head.len);
        if head.expects_continue && self.input.is_empty() {
            let continued = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            if continued.await.is_err() {
                bufs::give(upstream);
                return false;
            }
        }
        let mut client = Client {
            addr: self.addr,
            stream: &mut self.stream,
            input: &mut self.input,
            forwarded_for: self.forwarded_for.as_ref(),
        };
        let keep = http::proxy(&self.fe, &mut client, &head, &upstream).await;
        bufs::give(upstream);
        keep
    }

    async fn read_head(
        &mut self,
        deadline: Option<Instant>,
        upstream: &mut Vec<u8>,
    ) -> Result<Head, HeadError> {
        let fe = &self.fe;
        // Decided once per request: whether the watcher gets this one, with its strings.
        let rewrite = Rewrite {
            forwarded_for: fe.forwardfor_header().zip(self.forwarded_for.as_ref()),
            server_close: fe.server_close(),
            hash_uri: fe.hashes_uri(),
            hash_header: fe.hash_header(),
            request_line: fe.sample(),
        };
        loop {
            match head::parse(self.input.pending(), &rewrite, upstream) {
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

    /// A request head that never completed: HAProxy's 408 or 400 page, then close, and a log
    /// line, unless the connection was simply idle (keep-alive), or `dontlognull` hides an
    /// empty one.
    async fn reject(&mut self, error: HeadError, (start, began): (SystemTime, Instant)) {
        let (reply, flags, got) = match error {
            HeadError::Timeout { got } => (Some(http::H1_408), Termination::new(b'c', b'R'), got),
            HeadError::Invalid => (Some(http::H1_400), Termination::new(b'P', b'R'), 1),
            HeadError::Closed { got } => (None, Termination::new(b'C', b'R'), got),
        };
        if got == 0 && self.served > 0 {
            return;
        }
        if let Some(reply) = reply {
            let _ = self.stream.write_all(reply.as_bytes()).await;
        }
        if got == 0 && self.fe.dontlognull() {
            return;
        }
        let mut record = self.fe.new_record(self.addr, start, None);
        record.status = Some(if flags.cause == b'c' { 408 } else { 400 });
        record.termination = flags;
        record.timers[4] = began.elapsed().as_millis() as i64;
        self.fe.finish(record, true);
    }
}
