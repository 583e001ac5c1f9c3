//! The soak's origin: raw HTTP/1.1 over TCP on 127.0.0.1. Every answer names the request it
//! answers twice, from the path (`x-id`) and from the client's own `x-id` header (`x-hdr-id`),
//! and its body names it again, with the size and fingerprint of the request body it read.
//! The path says how to answer: `/t/<id>?size=N&delay=MS&chunked=0|1&gap=MS&trail=0|1`, where
//! `trail=1` makes it say more than it was asked: the start of a second, unasked answer right
//! behind the first, in the same write. A proxy must then drop that server connection: reused,
//! it would hand those bytes to the next client as its answer.
//!
//! The origin is patient (two minutes per read or write): when a connection ends early, lbtop's
//! timeouts ended it, not the origin's.

use super::wire::{self, Reader};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const PATIENCE: Duration = Duration::from_secs(120);
const MAX_REQUESTS_PER_CONNECTION: usize = 1_000_000;

#[derive(Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    /// Connections whose request head came and whose body has not, right now: a request that
    /// lbtop started forwarding and never finished or abandoned.
    pub waiting_for_body: AtomicI64,
}

pub struct Origin {
    pub addrs: Vec<SocketAddr>,
    pub stats: Arc<Stats>,
    tasks: Vec<JoinHandle<()>>,
}

impl Origin {
    /// `n` listeners sharing one set of counters, so lbtop balances over `n` servers.
    pub async fn start(n: usize) -> Origin {
        let stats = Arc::new(Stats::default());
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
            addrs.push(listener.local_addr().unwrap());
            tasks.push(tokio::spawn(accept(listener, stats.clone())));
        }
        Origin {
            addrs,
            stats,
            tasks,
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn accept(listener: TcpListener, stats: Arc<Stats>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                stats.connections.fetch_add(1, Relaxed);
                tokio::spawn(connection(stream, stats.clone()));
            }
            // Out of descriptors, say: wait a little rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// What the origin needs from a request head.
struct Request {
    http10: bool,
    keep_alive: bool,
    length: Option<usize>,
    chunked: bool,
    path_id: u64,
    header_id: Option<u64>,
    size: usize,
    delay: u64,
    chunked_answer: bool,
    gap: u64,
    trail: bool,
}

fn parse(head: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (_method, target, version) = (start.next()?, start.next()?, start.next()?);
    let http10 = version == "HTTP/1.0";
    let mut req = Request {
        http10,
        keep_alive: !http10,
        length: None,
        chunked: false,
        path_id: *wire::tokens(target.split('?').next()?.as_bytes()).first()?,
        header_id: None,
        size: 0,
        delay: 0,
        chunked_answer: false,
        gap: 0,
        trail: false,
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => req.length = Some(value.parse().ok()?),
            "transfer-encoding" => req.chunked = value.eq_ignore_ascii_case("chunked"),
            "x-id" => req.header_id = wire::tokens(value.as_bytes()).first().copied(),
            "connection" => {
                let value = value.to_ascii_lowercase();
                if value.contains("close") {
                    req.keep_alive = false;
                } else if value.contains("keep-alive") {
                    req.keep_alive = true;
                }
            }
            _ => {}
        }
    }
    let query = target.split_once('?').map_or("", |(_, q)| q);
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let n: u64 = v.parse().unwrap_or(0);
        match k {
            "size" => req.size = n as usize,
            "delay" => req.delay = n,
            "chunked" => req.chunked_answer = n == 1,
            "gap" => req.gap = n,
            "trail" => req.trail = n == 1,
            _ => {}
        }
    }
    Some(req)
}

async fn connection(stream: TcpStream, stats: Arc<Stats>) {
    let _ = stream.set_nodelay(true);
    let mut r = Reader::new(stream, 0);
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let Ok(head) = r.head(Instant::now() + PATIENCE, 128 * 1024).await else {
            return;
        };
        let Some(req) = parse(&head) else {
            let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            let _ = r.io.write_all(bad).await;
            return;
        };
        stats.waiting_for_body.fetch_add(1, Relaxed);
        let deadline = Instant::now() + PATIENCE;
        let body = match (req.chunked, req.length) {
            (true, _) => r.chunked(deadline).await,
            (false, Some(n)) => r.exact(n, deadline).await,
            (false, None) => Ok(Vec::new()),
        };
        stats.waiting_for_body.fetch_sub(1, Relaxed);
        let Ok(body) = body else {
            return;
        };
        stats.requests.fetch_add(1, Relaxed);
        if req.delay > 0 {
            tokio::time::sleep(Duration::from_millis(req.delay)).await;
        }
        let keep = answer(&mut r.io, &req, &body).await;
        if !keep {
            return;
        }
    }
}

/// Writes the answer; returns whether the connection stays open.
async fn answer(io: &mut TcpStream, req: &Request, body: &[u8]) -> bool {
    let id = req.path_id;
    let content = wire::answer_body(id, req.size, body.len() as u64, wire::fnv(body));
    let header_id = req.header_id.map_or_else(|| "-".to_string(), wire::token);
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nx-id: {}\r\nx-hdr-id: {header_id}\r\ncontent-type: text/plain\r\n",
        wire::token(id)
    );
    // HTTP/1.0 has no chunks: a chunked answer becomes one delimited by the close.
    let to_close = req.chunked_answer && req.http10;
    let keep = req.keep_alive && !to_close;
    if !keep {
        head.push_str("connection: close\r\n");
    }
    let mut parts: Vec<Vec<u8>> = Vec::new();
    if req.chunked_answer && !req.http10 {
        head.push_str("transfer-encoding: chunked\r\n\r\n");
        parts.push(head.into_bytes());
        // Chunk sizes vary with the id, from one byte to 16 KiB.
        const SIZES: [usize; 8] = [1, 7, 100, 1000, 4096, 333, 16384, 2];
        let mut at = 0;
        let mut k = id as usize;
        while at < content.len() {
            let n = SIZES[k % SIZES.len()].min(content.len() - at);
            let mut chunk = format!("{n:x}\r\n").into_bytes();
            chunk.extend_from_slice(&content[at..at + n]);
            chunk.extend_from_slice(b"\r\n");
            parts.push(chunk);
            at += n;
            k += 1;
        }
        parts.push(b"0\r\n\r\n".to_vec());
    } else {
        if !to_close {
            head.push_str(&format!("content-length: {}\r\n", content.len()));
        }
        head.push_str("\r\n");
        parts.push(head.into_bytes());
        for piece in content.chunks(256 * 1024) {
            parts.push(piece.to_vec());
        }
    }
    // The unasked bytes leave in one small write with the last 512 bytes of the answer, so
    // they reach the proxy with its end: a proxy that has read the answer to its end has them
    // in its socket too, and checking the socket before reuse is enough to see them.
    let tail = (req.trail && !to_close).then(|| {
        let last = parts.last_mut().expect("a head at least");
        let mut tail = last.split_off(last.len().saturating_sub(512));
        let late = format!("{} late", wire::token(id));
        tail.extend_from_slice(
            format!(
                "HTTP/1.1 200 OK\r\nx-id: {}\r\ncontent-length: {}\r\n\r\n{late}",
                wire::token(id),
                late.len()
            )
            .as_bytes(),
        );
        tail
    });
    // With a gap, the answer comes in three bursts; without, as fast as the socket takes it.
    // Either way parts are gathered into writes of up to 256 KiB.
    let bursts = if req.gap > 0 { 3 } else { 1 };
    let per_burst = parts.len().div_ceil(bursts).max(1);
    for (i, burst) in parts.chunks(per_burst).enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(req.gap)).await;
        }
        let mut pending = Vec::new();
        for (j, part) in burst.iter().enumerate() {
            pending.extend_from_slice(part);
            if pending.len() >= 256 * 1024 || j + 1 == burst.len() {
                if !write_within(io, &pending).await {
                    return false;
                }
                pending.clear();
            }
        }
    }
    if let Some(tail) = tail {
        if !write_within(io, &tail).await {
            return false;
        }
    }
    keep
}

async fn write_within(io: &mut TcpStream, bytes: &[u8]) -> bool {
    let write = tokio::time::timeout(PATIENCE, io.write_all(bytes)).await;
    matches!(write, Ok(Ok(())))
}
