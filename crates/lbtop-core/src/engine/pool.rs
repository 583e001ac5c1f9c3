//! Idle server connections kept for reuse (`option http-keep-alive`): a per-server,
//! per-worker LIFO stack of plain sockets, so the most recently used, warmest connection goes
//! first and an idle connection holds no buffers.

use std::collections::VecDeque;
use std::os::fd::AsRawFd;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Shorter than common server keep-alive timeouts (Apache's 5 s), so a pooled connection is
/// rarely closed by the server just as it is reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
const MAX_IDLE: usize = 1024;

struct Idle {
    stream: TcpStream,
    since: Instant,
    /// It has already carried more than one request (`http-reuse aggressive` wants that).
    proven: bool,
}

#[derive(Default)]
pub struct Pool {
    idle: Mutex<VecDeque<Idle>>,
}

impl Pool {
    /// A live connection, if one is idle (only a proven one if `proven_only`). Stale ones,
    /// and ones the server has closed or sent anything on while idle, are closed on the way:
    /// bytes nobody asked for must never reach the next client.
    pub fn take(&self, proven_only: bool) -> Option<TcpStream> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let mut at = idle.len();
        while at > 0 {
            at -= 1;
            if now - idle[at].since >= IDLE_TIMEOUT || !is_quiet(&idle[at].stream) {
                if let Some(stale) = idle.remove(at) {
                    close_hard(stale.stream);
                }
            } else if idle[at].proven || !proven_only {
                return idle.remove(at).map(|i| i.stream);
            }
        }
        None
    }

    /// Closes every idle connection (the server's address changed).
    pub fn clear(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        for i in idle.drain(..) {
            close_hard(i.stream);
        }
    }

    /// Keeps a connection for reuse, and closes the oldest ones once they are stale.
    pub fn put(&self, stream: TcpStream, proven: bool) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while idle.front().is_some_and(|i| now - i.since >= IDLE_TIMEOUT) {
            if let Some(stale) = idle.pop_front() {
                close_hard(stale.stream);
            }
        }
        if idle.len() < MAX_IDLE {
            idle.push_back(Idle {
                stream,
                since: now,
                proven,
            });
        } else {
            close_hard(stream);
        }
    }
}

/// Closes a server connection lbtop has no more use for with a reset, as HAProxy closes its
/// server connections (`SO_LINGER` 0): only for one whose last response has fully arrived,
/// so nothing is lost, and neither side keeps a `TIME_WAIT` or runs a closing handshake.
pub fn close_hard(stream: TcpStream) {
    let _ = stream.set_zero_linger();
}

/// Nothing to read: the connection is open and the server has said nothing since its last
/// response. Asked of the kernel (`MSG_PEEK`), not of the runtime's cached readiness, which
/// may not have seen bytes that arrived a moment ago. One `recv` per reuse.
pub fn is_quiet(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    // SAFETY: a valid, open descriptor and a one-byte buffer that outlives the call.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            probe.as_mut_ptr().cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock
}
