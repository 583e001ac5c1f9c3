//! Idle server connections kept for reuse (`option http-keep-alive`): a per-server LIFO stack,
//! so the most recently used, warmest connection goes first.

use super::h1::body::ReqBody;
use hyper::client::conn::http1::SendRequest;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shorter than common server keep-alive timeouts (Apache's 5 s), so a pooled connection is
/// rarely closed by the server just as it is reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
const MAX_IDLE: usize = 256;

#[derive(Default)]
pub struct Pool {
    idle: Mutex<Vec<(SendRequest<ReqBody>, Instant)>>,
}

impl Pool {
    /// A live, ready connection, if one is idle.
    pub fn take(&self) -> Option<SendRequest<ReqBody>> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // The top of the stack is nearly always usable. Dead or stale entries met on the way
        // are dropped; one still finishing its last response is put back for later.
        let mut finishing = Vec::new();
        let found = loop {
            match idle.pop() {
                None => break None,
                Some((s, since)) if s.is_closed() || now - since >= IDLE_TIMEOUT => {}
                Some((s, _)) if s.is_ready() => break Some(s),
                Some(entry) => finishing.push(entry),
            }
        };
        idle.extend(finishing.into_iter().rev());
        found
    }

    pub fn put(&self, sender: SendRequest<ReqBody>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push((sender, Instant::now()));
        }
    }

    pub fn len(&self) -> usize {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
