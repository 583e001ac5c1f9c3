//! A steady HTTP/1.1 load that counts every request it sends against every full answer it
//! gets, for the zero-loss test (tests/zero_loss.rs) and its long form (bench/reload_loss.sh).
//!
//! Two kinds of client task run side by side:
//! - keep-alive: one connection, one request after the other; it opens a new connection only
//!   after a response says `Connection: close` (or after a request was lost on it);
//! - new-connection: a new connection per request, with `Connection: close`.
//!
//! A request is counted as sent once its connection is attempted, and as answered once its
//! whole response (head and `Content-Length` body) has arrived. It is lost if the connect is
//! refused, the connection is reset or closed before the whole response, or nothing arrives
//! within [`PATIENCE`]. A complete response with a status other than 200 counts as answered
//! and also as `bad_status`.
#![allow(dead_code)]

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long one request may take before it counts as lost.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// How many clients of each kind, and the pause each takes between two requests.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub keep_alive: usize,
    pub new_connection: usize,
    pub pause: Duration,
}

/// What happened to the requests, counted as they go.
#[derive(Default, Debug)]
pub struct Tally {
    pub sent: AtomicU64,
    pub answered: AtomicU64,
    pub bad_status: AtomicU64,
    pub refused: AtomicU64,
    pub reset: AtomicU64,
    pub closed_early: AtomicU64,
    pub timed_out: AtomicU64,
    /// Of the lost, those the keep-alive clients lost.
    pub lost_keep_alive: AtomicU64,
    pub new_connections: AtomicU64,
}

/// A finished run's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sent: u64,
    pub answered: u64,
    pub bad_status: u64,
    pub refused: u64,
    pub reset: u64,
    pub closed_early: u64,
    pub timed_out: u64,
    pub lost_keep_alive: u64,
    pub new_connections: u64,
    pub millis: u64,
}

impl Report {
    pub fn lost(&self) -> u64 {
        self.sent - self.answered
    }

    /// Answered per second over the run.
    pub fn rate(&self) -> f64 {
        self.answered as f64 * 1000.0 / self.millis.max(1) as f64
    }

    /// Lost per 10,000 sent.
    pub fn lost_per_10k(&self) -> f64 {
        self.lost() as f64 * 10_000.0 / self.sent.max(1) as f64
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent {} answered {} lost {} ({:.2} per 10k; keep-alive {}, new-connection {}; refused {}, reset {}, closed early {}, timed out {}) non-200 {} | {:.0} req/s, {} connections, {:.1} s",
            self.sent,
            self.answered,
            self.lost(),
            self.lost_per_10k(),
            self.lost_keep_alive,
            self.lost() - self.lost_keep_alive,
            self.refused,
            self.reset,
            self.closed_early,
            self.timed_out,
            self.bad_status,
            self.rate(),
            self.new_connections,
            self.millis as f64 / 1000.0
        )
    }
}

/// A running load; [`Load::stop`] ends it and returns the numbers.
pub struct Load {
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
    tasks: Vec<JoinHandle<()>>,
    started: Instant,
}

impl Load {
    /// Starts the clients against `addr` (within a tokio runtime).
    pub fn start(addr: SocketAddr, shape: Shape) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let mut tasks = Vec::new();
        for id in 0..shape.keep_alive {
            let client = Client::new(addr, id, shape.pause, &stop, &tally);
            tasks.push(tokio::spawn(client.keep_alive()));
        }
        for id in 0..shape.new_connection {
            let client = Client::new(addr, NEW_CONNECTION_IDS + id, shape.pause, &stop, &tally);
            tasks.push(tokio::spawn(client.new_connections()));
        }
        Load {
            stop,
            tally,
            tasks,
            started: Instant::now(),
        }
    }

    /// The numbers so far, the load still running.
    pub fn so_far(&self) -> Report {
        self.report()
    }

    /// Stops sending; each client waits for the answer to its last request, then the numbers.
    pub async fn stop(mut self) -> Report {
        self.stop.store(true, Relaxed);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
        self.report()
    }

    fn report(&self) -> Report {
        let t = &self.tally;
        Report {
            sent: t.sent.load(Relaxed),
            answered: t.answered.load(Relaxed),
            bad_status: t.bad_status.load(Relaxed),
            refused: t.refused.load(Relaxed),
            reset: t.reset.load(Relaxed),
            closed_early: t.closed_early.load(Relaxed),
            timed_out: t.timed_out.load(Relaxed),
            lost_keep_alive: t.lost_keep_alive.load(Relaxed),
            new_connections: t.new_connections.load(Relaxed),
            millis: self.started.elapsed().as_millis() as u64,
        }
    }
}

const NEW_CONNECTION_IDS: usize = 1000;

/// Why a request got no full answer.
#[derive(Debug)]
enum Lost {
    Refused,
    Reset,
    ClosedEarly,
    TimedOut,
}

/// A full response: whether it was a 200, and whether it closes the connection.
struct Answer {
    ok: bool,
    close: bool,
}

struct Client {
    addr: SocketAddr,
    /// Below [`NEW_CONNECTION_IDS`] a keep-alive client, from it a new-connection one.
    id: usize,
    pause: Duration,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
}

impl Client {
    fn new(
        addr: SocketAddr,
        id: usize,
        pause: Duration,
        stop: &Arc<AtomicBool>,
        tally: &Arc<Tally>,
    ) -> Client {
        Client {
            addr,
            id,
            pause,
            stop: stop.clone(),
            tally: tally.clone(),
        }
    }

    async fn keep_alive(self) {
        let mut conn: Option<TcpStream> = None;
        let mut n = 0u64;
        while !self.stop.load(Relaxed) {
            n += 1;
            self.tally.sent.fetch_add(1, Relaxed);
            let request = format!("GET /ka/{}/{n} HTTP/1.1\r\nhost: zl\r\n\r\n", self.id);
            let outcome = tokio::time::timeout(PATIENCE, self.exchange(&mut conn, &request)).await;
            match outcome {
                Ok(Ok(answer)) => {
                    self.count(&answer);
                    if answer.close {
                        conn = None;
                    }
                }
                Ok(Err(lost)) => {
                    self.lose(lost);
                    conn = None;
                }
                Err(_) => {
                    self.lose(Lost::TimedOut);
                    conn = None;
                }
            }
            self.rest().await;
        }
    }

    async fn new_connections(self) {
        let mut n = 0u64;
        while !self.stop.load(Relaxed) {
            n += 1;
            self.tally.sent.fetch_add(1, Relaxed);
            let request = format!(
                "GET /nc/{}/{n} HTTP/1.1\r\nhost: zl\r\nconnection: close\r\n\r\n",
                self.id
            );
            let mut conn = None;
            match tokio::time::timeout(PATIENCE, self.exchange(&mut conn, &request)).await {
                Ok(Ok(answer)) => self.count(&answer),
                Ok(Err(lost)) => self.lose(lost),
                Err(_) => self.lose(Lost::TimedOut),
            }
            self.rest().await;
        }
    }

    async fn rest(&self) {
        if !self.pause.is_zero() {
            tokio::time::sleep(self.pause).await;
        }
    }

    /// Sends `request` on `conn` (connecting first if there is none) and reads its response.
    async fn exchange(&self, conn: &mut Option<TcpStream>, request: &str) -> Result<Answer, Lost> {
        if conn.is_none() {
            self.tally.new_connections.fetch_add(1, Relaxed);
            let stream = TcpStream::connect(self.addr).await.map_err(lost_by)?;
            let _ = stream.set_nodelay(true);
            *conn = Some(stream);
        }
        let stream = conn.as_mut().expect("connected above");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(lost_by)?;
        read_response(stream).await
    }

    fn count(&self, answer: &Answer) {
        self.tally.answered.fetch_add(1, Relaxed);
        if !answer.ok {
            self.tally.bad_status.fetch_add(1, Relaxed);
        }
    }

    fn lose(&self, lost: Lost) {
        let counter = match lost {
            Lost::Refused => &self.tally.refused,
            Lost::Reset => &self.tally.reset,
            Lost::ClosedEarly => &self.tally.closed_early,
            Lost::TimedOut => &self.tally.timed_out,
        };
        counter.fetch_add(1, Relaxed);
        if self.id < NEW_CONNECTION_IDS {
            self.tally.lost_keep_alive.fetch_add(1, Relaxed);
        }
    }
}

fn lost_by(e: std::io::Error) -> Lost {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Lost::Refused,
        std::io::ErrorKind::UnexpectedEof => Lost::ClosedEarly,
        _ => Lost::Reset,
    }
}

/// Reads one response: the head up to its blank line, then `Content-Length` bytes of body.
async fn read_response(stream: &mut TcpStream) -> Result<Answer, Lost> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.map_err(lost_by)?;
        if n == 0 {
            return Err(Lost::ClosedEarly);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let ok = head.starts_with("http/1.1 200 ");
    let close = header(&head, "connection").is_some_and(|v| v.contains("close"));
    let length: usize = header(&head, "content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.map_err(lost_by)?;
        if n == 0 {
            return Err(Lost::ClosedEarly);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Answer { ok, close })
}

/// The value of the first header `name` (lower case) in a lower-cased head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        (n.trim() == name).then(|| v.trim())
    })
}

/// The origin behind the proxies: answers every request `200` with a short body, keeping the
/// connection open until the proxy closes it. It never closes first, so any loss is the
/// proxy's.
pub struct Origin {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Origin {
    pub async fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream));
            }
        });
        Origin { addr, task }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n";

async fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.drain(..at + 4);
            if stream.write_all(ANSWER).await.is_err() {
                return;
            }
        }
        // A proxy keeps an idle server connection only so long; an hour bounds a stray one.
        let read = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut chunk));
        match read.await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    }
}

/// An origin that loses requests on purpose, to check the counting: of every three requests
/// it answers one, cuts the next one's body short and closes, and closes without a byte on the
/// third.
pub struct Flaky {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Flaky {
    pub async fn start() -> Flaky {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().unwrap();
        let turn = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(flaky(stream, turn.clone()));
            }
        });
        Flaky { addr, task }
    }
}

impl Drop for Flaky {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn flaky(mut stream: TcpStream, turn: Arc<AtomicU64>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match tokio::time::timeout(PATIENCE, stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        }
        buf.clear();
        match turn.fetch_add(1, Relaxed) % 3 {
            0 => {
                if stream.write_all(ANSWER).await.is_err() {
                    return;
                }
            }
            1 => {
                let _ = stream.write_all(&ANSWER[..ANSWER.len() - 2]).await;
                return;
            }
            _ => return,
        }
    }
}
