//! A place in the backend queue.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A place in the backend queue: the counter to give back, and the position taken.
pub struct QueueGuard<'a>(pub(super) &'a AtomicU64, pub(super) u64);

impl QueueGuard<'_> {
    pub fn position(&self) -> u64 {
        self.1
    }
}

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}
