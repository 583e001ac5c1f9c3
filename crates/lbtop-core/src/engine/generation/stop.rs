//! One engine's soft stop: the flag its accept loops and idle keep-alive connections watch,
//! and the count of its client connections, so the engine knows when the last one ended
//! (docs/haproxy-semantics.md §30).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Stop {
    soft: AtomicBool,
    /// The listening sockets were handed to a later engine (a reload, an upgrade): a client
    /// that sends again on an idle keep-alive connection will find someone to reconnect to.
    handed_on: AtomicBool,
    /// Woken once, when the soft stop begins.
    begun: Notify,
    /// Client connections accepted and not yet closed.
    open: AtomicUsize,
    /// Woken when `open` falls to zero.
    drained: Notify,
    /// Accept loops running.
    loops: AtomicUsize,
    /// Woken when `loops` falls to zero.
    closed: Notify,
}

impl Stop {
    /// Starts the soft stop: the accept loops end, idle keep-alive connections close, and
    /// responses in flight say `Connection: close`.
    pub fn begin(&self) {
        self.soft.store(true, Ordering::SeqCst);
        self.begun.notify_waiters();
    }

    /// Notes that a later engine holds the listening sockets.
    pub fn hand_on(&self) {
        self.handed_on.store(true, Ordering::SeqCst);
    }

    /// Whether a later engine holds the listening sockets.
    pub fn handed_on(&self) -> bool {
        self.handed_on.load(Ordering::SeqCst)
    }

    pub fn stopping(&self) -> bool {
        self.soft.load(Ordering::Relaxed)
    }

    /// Completes once the soft stop has begun (at once if it has).
    pub async fn begun(&self) {
        loop {
            let notified = self.begun.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.soft.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    /// Counts a connection until the guard drops.
    pub fn track(self: &std::sync::Arc<Self>) -> Tracked {
        self.open.fetch_add(1, Ordering::SeqCst);
        Tracked(self.clone(), false)
    }

    /// Counts an accept loop until the guard drops.
    pub fn track_loop(self: &std::sync::Arc<Self>) -> Tracked {
        self.loops.fetch_add(1, Ordering::SeqCst);
        Tracked(self.clone(), true)
    }

    /// Completes once every accept loop has ended (its listener closed).
    pub async fn listeners_closed(&self) {
        zero(&self.loops, &self.closed).await
    }

    /// Client connections still open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Completes once no connection is open.
    pub async fn drained(&self) {
        zero(&self.open, &self.drained).await
    }
}

async fn zero(count: &AtomicUsize, woken: &Notify) {
    loop {
        let notified = woken.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if count.load(Ordering::SeqCst) == 0 {
            return;
        }
        notified.await;
    }
}

/// A connection (or, `true`, an accept loop) counted by [`Stop`].
#[derive(Debug)]
pub struct Tracked(std::sync::Arc<Stop>, bool);

impl Drop for Tracked {
    fn drop(&mut self) {
        let s = &self.0;
        let (count, woken) = match self.1 {
            true => (&s.loops, &s.closed),
            false => (&s.open, &s.drained),
        };
        if count.fetch_sub(1, Ordering::SeqCst) == 1 {
            woken.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn drained_waits_for_the_last_connection() {
        let stop = Arc::new(Stop::default());
        stop.drained().await;
        let a = stop.track();
        let b = stop.track();
        let waiting = tokio::spawn({
            let stop = stop.clone();
            async move { stop.drained().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(b);
        waiting.await.unwrap();
    }

    #[tokio::test]
    async fn begun_wakes_waiters_and_later_callers() {
        let stop = Arc::new(Stop::default());
        let waiting = tokio::spawn({
            let stop = stop.clone();
            async move { stop.begun().await }
        });
        tokio::task::yield_now().await;
        assert!(!stop.stopping());
        stop.begin();
        waiting.await.unwrap();
        stop.begun().await;
    }
}
