//! A small, real HTTP/1.1 origin server for tests: it names itself in `x-server` and in its body,
//! can answer slowly, keeps connections alive unless told to close, and records what it saw
//! (connections, peak concurrency, raw request heads). Each `x-reply: <name>: <value>`
//! request header becomes a header line of its response.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Seen {
    /// Whether `/health_check.html` answers 200 (else 404, as when the file is deleted).
    pub healthy: AtomicBool,
    pub connections: AtomicUsize,
    pub active: AtomicUsize,
    pub peak: AtomicUsize,
    pub heads: Mutex<Vec<String>>,
}

pub struct Origin {
    pub name: String,
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
    task: JoinHandle<()>,
}

impl Origin {
    /// Starts on a free port; every response waits `delay` first.
    pub async fn start(name: &str, delay: Duration) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let task = tokio::spawn(serve(listener, name.to_string(), delay, seen.clone()));
        Origin {
            name: name.to_string(),
            addr,
            seen,
            task,
        }
    }

    pub fn connections(&self) -> usize {
        self.seen.connections.load(SeqCst)
    }

    pub fn heads(&self) -> Vec<String> {
        self.seen.heads.lock().unwrap().clone()
    }
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            healthy: AtomicBool::new(true),
            connections: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            heads: Mutex::new(Vec::new()),
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, name: String, delay: Duration, seen: Arc<Seen>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        seen.connections.fetch_add(1, SeqCst);
        tokio::spawn(connection(stream, name.clone(), delay, seen.clone()));
    }
}

async fn connection(mut stream: TcpStream, name: String, delay: Duration, seen: Arc<Seen>) {
    let mut buf = Vec::new();
    loop {
        let Some(end) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let length = header(&head, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..length);
        let close = header(&head, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
            || head.contains(" HTTP/1.0\r\n");
        if head.starts_with("GET /health_check.html ") || head.starts_with("OPTIONS / ") {
            // Health checks are answered at once and kept out of the request record.
            let reply: &[u8] = if seen.healthy.load(SeqCst) {
                b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n"
            } else {
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 10\r\nconnection: close\r\n\r\nNot Found\n"
            };
            let _ = stream.write_all(reply).await;
            return;
        }
        let asked: String = head
            .lines()
            .filter_map(|l| l.strip_prefix("x-reply: "))
            .map(|l| format!("{l}\r\n"))
            .collect();
        seen.heads.lock().unwrap().push(head);
        let now = seen.active.fetch_add(1, SeqCst) + 1;
        seen.peak.fetch_max(now, SeqCst);
        tokio::time::sleep(delay).await;
        seen.active.fetch_sub(1, SeqCst);
        let body = format!("{name}\n");
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nx-server: {name}\r\n{asked}{}\r\n{body}",
            body.len(),
            if close { "connection: close\r\n" } else { "" }
        );
        if stream.write_all(reply.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

/// Reads until a full head is buffered; returns its length (with the blank line).
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(at + 4);
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A loopback port with nothing listening: connects are refused.
pub fn refused_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], super::free_port()))
}
