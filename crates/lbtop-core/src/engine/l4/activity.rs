//! When a relayed session (TCP mode, or a tunnel after a `101`) last moved a byte, how much
//! it moved each way, which of its connections are half-closed, and so when it is idle too
//! long (docs/haproxy-semantics.md §23.2, §23.3).

use crate::events::Termination;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::Notify;
// The runtime's clock, so that tests can pause it.
use tokio::time::Instant;

/// A connection of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

/// How long a session may stay idle: `base` (`timeout tunnel`, or the shorter of `client` and
/// `server`) with its flags; once lbtop has closed its half of the client connection (the
/// server finished), `client_fin` (`cD`) when it is shorter; likewise `server_fin` (`sD`).
#[derive(Debug, Clone, Copy)]
pub struct IdleLimits {
    pub base: (Option<Duration>, Termination),
    pub client_fin: Option<Duration>,
    pub server_fin: Option<Duration>,
}

pub(crate) struct Activity {
    began: Instant,
    last_ms: AtomicU64,
    /// Bytes from the client.
    pub(crate) up: AtomicU64,
    /// Bytes from the server.
    pub(crate) down: AtomicU64,
    client_half_closed: AtomicBool,
    server_half_closed: AtomicBool,
    changed: Notify,
}

impl Activity {
    pub(crate) fn new(began: std::time::Instant) -> Activity {
        Activity {
            began: Instant::from_std(began),
            last_ms: AtomicU64::new(0),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            client_half_closed: AtomicBool::new(false),
            server_half_closed: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    pub(crate) fn touch(&self) {
        self.last_ms
            .store(self.began.elapsed().as_millis() as u64, Relaxed);
    }

    /// lbtop has sent its FIN on `side`'s connection (the other side finished sending).
    pub(crate) fn half_closed(&self, side: Side) {
        match side {
            Side::Client => self.client_half_closed.store(true, Relaxed),
            Side::Server => self.server_half_closed.store(true, Relaxed),
        }
        // A permit is kept if `expire` is not waiting right now, so the change is never lost.
        self.changed.notify_one();
    }

    /// The idle limit that applies now, and the flags a session ends with on it.
    fn limit(&self, limits: &IdleLimits) -> (Option<Duration>, Termination) {
        let mut now = limits.base;
        let fins = [
            (&self.client_half_closed, limits.client_fin, b'c'),
            (&self.server_half_closed, limits.server_fin, b's'),
        ];
        for (closed, fin, side) in fins {
            let Some(fin) = fin.filter(|_| closed.load(Relaxed)) else {
                continue;
            };
            if now.0.is_none_or(|d| fin < d) {
                now = (Some(fin), Termination::new(side, b'D'));
            }
        }
        now
    }

    /// Resolves, with the flags to log, once nothing has moved for the limit that applies
    /// (never, without one).
    pub(crate) async fn expire(&self, limits: &IdleLimits) -> Termination {
        loop {
            let (limit, flags) = self.limit(limits);
            let Some(idle) = limit else {
                self.changed.notified().await;
                continue;
            };
            let last = self.began + Duration::from_millis(self.last_ms.load(Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return flags;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.changed.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(base: u64, client_fin: Option<u64>, server_fin: Option<u64>) -> IdleLimits {
        IdleLimits {
            base: (
                Some(Duration::from_secs(base)),
                Termination::new(b'c', b'D'),
            ),
            client_fin: client_fin.map(Duration::from_secs),
            server_fin: server_fin.map(Duration::from_secs),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_half_closed_side_takes_its_fin_timeout() {
        let a = Activity::new(tokio::time::Instant::now().into_std());
        let l = limits(60, Some(5), Some(3));
        // Nothing half-closed: the base limit.
        let waited = tokio::time::timeout(Duration::from_secs(10), a.expire(&l)).await;
        assert!(waited.is_err());
        // The server finished: lbtop closed its half of the client connection.
        a.touch();
        let began = tokio::time::Instant::now();
        a.half_closed(Side::Client);
        assert_eq!(a.expire(&l).await, Termination::new(b'c', b'D'));
        assert_eq!(began.elapsed(), Duration::from_secs(5));
        // Both: the shorter wins.
        a.touch();
        a.half_closed(Side::Server);
        assert_eq!(a.expire(&l).await, Termination::new(b's', b'D'));
        // A fin timeout longer than the base changes nothing.
        let b = Activity::new(tokio::time::Instant::now().into_std());
        b.half_closed(Side::Client);
        assert_eq!(
            b.expire(&limits(2, Some(9), None)).await,
            Termination::new(b'c', b'D')
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_half_close_while_waiting_shortens_the_wait() {
        let a = std::sync::Arc::new(Activity::new(tokio::time::Instant::now().into_std()));
        let l = limits(60, Some(2), None);
        let began = tokio::time::Instant::now();
        let closer = a.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            closer.half_closed(Side::Client);
        });
        assert_eq!(a.expire(&l).await, Termination::new(b'c', b'D'));
        // Idle since the start: the fin limit counts from the last byte, not the FIN.
        assert_eq!(began.elapsed(), Duration::from_secs(2));
    }
}
