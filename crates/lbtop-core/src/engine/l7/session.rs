//! A relayed response's session, from its head to its log line.

use super::proxy::{millis, Exchange};
use crate::engine::frontend::FrontendRt;
use crate::events::Termination;
use std::sync::atomic::Ordering::Relaxed;
use tokio::net::TcpStream;

/// A relayed response's session: counted on its server until the body has gone to the client,
/// then logged. Dropped early (the connection's task stopped), it ends as a client abort.
pub(super) struct Session<'a> {
    pub(super) fe: &'a FrontendRt,
    pub(super) server: usize,
    pub(super) ex: Option<Exchange>,
    /// Bytes (from the client, from the server) a tunnel already added to the server's
    /// counters as they moved.
    pub(super) live: (u64, u64),
}

impl Session<'_> {
    /// Adds a tunnel's bytes, which it already counted on the server as they moved.
    pub(super) fn tunneled(&mut self, up: u64, down: u64) {
        self.live = (up, down);
        if let Some(ex) = self.ex.as_mut() {
            ex.record.bytes_in += up;
            ex.record.bytes_out += down;
        }
    }

    pub(super) fn count_body(&mut self, n: u64) {
        if let Some(ex) = self.ex.as_mut() {
            ex.record.bytes_out += n;
        }
    }

    /// Logs the session and frees its server slot; `idle` goes back to the pool.
    pub(super) fn end(&mut self, flags: Termination, idle: Option<TcpStream>) {
        let Some(mut ex) = self.ex.take() else {
            return;
        };
        ex.record.termination = flags;
        ex.record.timers[4] = millis(ex.began.elapsed());
        let backend = &self.fe.backend;
        let server = &backend.servers[self.server];
        server.counters.latency.record(ex.began.elapsed());
        let counters = &server.counters;
        let (live_in, live_out) = self.live;
        counters
            .bytes_out
            .fetch_add(ex.record.bytes_out - live_out, Relaxed);
        counters
            .bytes_in
            .fetch_add(ex.record.bytes_in - live_in, Relaxed);
        if let Some(stream) = idle {
            // Served twice now if it was reused for this request: proven for `aggressive`.
            server.keep_idle(stream, ex.record.reused, ex.addr_epoch);
        }
        backend.release(self.server);
        self.fe.finish(*ex.record, ex.sampled);
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.end(Termination::new(b'C', b'D'), None);
    }
}
