//! A server's (and a backend's) counters, bumped by the data path and read by snapshots.

use crate::events::Histogram;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Per-server counters, bumped by the data path and read by snapshots.
#[derive(Debug, Default)]
pub struct Counters {
    pub cur_sessions: AtomicU64,
    pub max_sessions: AtomicU64,
    pub total_sessions: AtomicU64,
    pub lbtot: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub http_responses: [AtomicU64; 6],
    pub connect_errors: AtomicU64,
    pub response_errors: AtomicU64,
    pub retries: AtomicU64,
    pub redispatches: AtomicU64,
    pub latency: Histogram,
    /// A backend's requests its `http-request deny` or `tarpit` refused (HAProxy's `dreq`).
    pub denied_req: AtomicU64,
    /// Responses an `http-response deny` refused (HAProxy's `dresp`), of a server or a backend.
    pub denied_resp: AtomicU64,
    /// A backend's server responses an `http-response deny|return` replaced, by class: the
    /// backend counts the answer the client got, its server the response it sent.
    pub replaced: [AtomicU64; 6],
}

impl Counters {
    /// A session starts on this server.
    pub fn open(&self) {
        let cur = self.cur_sessions.fetch_add(1, Relaxed) + 1;
        self.max_sessions.fetch_max(cur, Relaxed);
        self.total_sessions.fetch_add(1, Relaxed);
    }

    pub fn close(&self) {
        self.cur_sessions.fetch_sub(1, Relaxed);
    }

    pub fn response(&self, status: u16) {
        self.http_responses[status_class(status)].fetch_add(1, Relaxed);
    }
}

/// The index of a status's class among the six response counters (1xx..5xx, other).
pub fn status_class(status: u16) -> usize {
    match status {
        100..=599 => usize::from(status / 100 - 1),
        _ => 5,
    }
}

impl Counters {
    /// `clear counters` (the maximums) or `clear counters all` (everything but what is
    /// current). Only the runtime API calls it; the data path never waits on it.
    pub fn clear(&self, all: bool) {
        self.max_sessions.store(0, Relaxed);
        if !all {
            return;
        }
        let totals = [
            &self.total_sessions,
            &self.lbtot,
            &self.bytes_in,
            &self.bytes_out,
            &self.connect_errors,
            &self.response_errors,
            &self.retries,
            &self.redispatches,
            &self.denied_req,
            &self.denied_resp,
        ];
        for c in totals
            .into_iter()
            .chain(&self.http_responses)
            .chain(&self.replaced)
        {
            c.store(0, Relaxed);
        }
    }
}
