//! An origin that holds each request until the test lets it go, counting them, and a
//! client that sends one request and keeps the status line of the answer.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the origin has seen so far.
#[derive(Default)]
pub struct Count {
    /// Requests it holds now.
    pub holding: usize,
    /// The most it ever held at once.
    pub most: usize,
    pub served: usize,
    /// Requests it may still let go (`usize::MAX`: every one, at once).
    passes: usize,
}

/// An origin that holds each request until the test lets it go, counting them.
pub struct Holder {
    pub addr: SocketAddr,
    count: Arc<(Mutex<Count>, Condvar)>,
}

impl Holder {
    pub fn start(passes: usize) -> Holder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new((
            Mutex::new(Count {
                passes,
                ..Count::default()
            }),
            Condvar::new(),
        ));
        let shared = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || hold(stream, &shared));
            }
        });
        Holder { addr, count }
    }

    /// Lets `n` more requests go.
    pub fn release(&self, n: usize) {
        let (lock, cv) = &*self.count;
        let mut c = lock.lock().unwrap();
        c.passes = c.passes.saturating_add(n);
        cv.notify_all();
    }

    /// Waits until `ready` holds of the count (failing after 20 s: something is stuck).
    pub fn wait(&self, what: &str, ready: impl Fn(&Count) -> bool) -> (usize, usize, usize) {
        let (lock, cv) = &*self.count;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut c = lock.lock().unwrap();
        while !ready(&c) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "origin never got to {what}: holding {}, served {}",
                c.holding,
                c.served
            );
            c = cv.wait_timeout(c, left).unwrap().0;
        }
        (c.holding, c.most, c.served)
    }
}

fn hold(mut stream: TcpStream, count: &(Mutex<Count>, Condvar)) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut got = Vec::new();
    let mut chunk = [0u8; 2048];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
    let (lock, cv) = count;
    let mut c = lock.lock().unwrap();
    c.holding += 1;
    c.most = c.most.max(c.holding);
    cv.notify_all();
    while c.passes == 0 {
        c = cv.wait(c).unwrap();
    }
    c.passes -= 1;
    c.holding -= 1;
    c.served += 1;
    cv.notify_all();
    drop(c);
    let _ =
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n");
}

/// One client: its request, then the status line of the answer (or what went wrong).
pub fn client(addr: SocketAddr) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let Ok(mut s) = TcpStream::connect(addr) else {
            return "refused".into();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
        let _ = s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let mut out = Vec::new();
        match s.read_to_end(&mut out) {
            Ok(_) if out.is_empty() => "closed without an answer".into(),
            Ok(_) => String::from_utf8_lossy(&out)
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
            Err(e) => format!("error: {e}"),
        }
    })
}
