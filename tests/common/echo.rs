//! A WebSocket-ish origin for upgrade tests: it reads a request head, waits `delay`, notes
//! what else the proxy sent before the answer (bytes a client wrote behind its head must not
//! reach it yet), writes a fixed answer (a `101` head, perhaps with data behind it), then
//! echoes raw bytes until the proxy closes. No WebSocket framing: after the `101` it is a pipe.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A `101` for a WebSocket handshake, as a real server writes it.
pub const WS_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// A client's WebSocket handshake (RFC 6455's sample key).
pub const WS_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The request head as it arrived.
    pub head: String,
    /// Bytes that arrived behind the head before the answer went out.
    pub early: Vec<u8>,
}

pub struct EchoOrigin {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl EchoOrigin {
    pub async fn start(answer: &'static str, delay: Duration) -> EchoOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keep = seen.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn(serve(s, answer, delay, keep.clone()));
            }
        });
        EchoOrigin { addr, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut s: TcpStream, answer: &str, delay: Duration, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk)).await;
        match read {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    };
    tokio::time::sleep(delay).await;
    // Whatever has arrived by now, without waiting for more.
    while let Ok(n) = s.try_read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let early = buf.split_off(end);
    seen.lock().unwrap().push(Seen {
        head: String::from_utf8_lossy(&buf).into_owned(),
        early: early.clone(),
    });
    if s.write_all(answer.as_bytes()).await.is_err() || s.write_all(&early).await.is_err() {
        return;
    }
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk)).await;
        match read {
            Ok(Ok(n)) if n > 0 => {
                if s.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    let _ = s.shutdown().await;
}
