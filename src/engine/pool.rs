//! Idle server connections kept for reuse (`option http-keep-alive`): a per-server,
//! per-worker LIFO stack of plain sockets, so the most recently used, warmest connection goes
//! first and an idle connection holds no buffers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Shorter than common server keep-alive timeouts (Apache's 5 s), so a pooled connection is
/// rarely closed by the server just as it is reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
const MAX_IDLE: usize = 1024;

#[derive(Default)]
pub struct Pool {
    idle: Mutex<VecDeque<(TcpStream, Instant)>>,
}

impl Pool {
    /// A live connection, if one is idle. Stale ones, and ones the server has closed or sent
    /// something unasked on, are dropped on the way.
    pub fn take(&self) -> Option<TcpStream> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while let Some((stream, since)) = idle.pop_back() {
            if now - since < IDLE_TIMEOUT && is_quiet(&stream) {
                return Some(stream);
            }
        }
        None
    }

    /// Keeps a connection for reuse, and closes the oldest ones once they are stale.
    pub fn put(&self, stream: TcpStream) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while idle
            .front()
            .is_some_and(|(_, since)| now - *since >= IDLE_TIMEOUT)
        {
            idle.pop_front();
        }
        if idle.len() < MAX_IDLE {
            idle.push_back((stream, now));
        }
    }
}

/// Nothing to read: the connection is open and the server has said nothing. The runtime's
/// cached readiness answers first; only a socket it last saw readable (usually the one just
/// read to the end of a response) costs a `recv`, which then comes back empty.
fn is_quiet(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}
