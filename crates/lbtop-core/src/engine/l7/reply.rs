//! Sending one of HAProxy's own answers for a request that got no usable response: its
//! built-in page, or the proxy's `errorfile` for the status.

use super::pages::{error_bytes, error_page, error_response};
use super::proxy::{millis, Client, Exchange};
use crate::engine::connect::Assigned;
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::bufs;
use crate::engine::h1::head::Head;
use crate::events::Termination;
use hyper::StatusCode;
use tokio::io::AsyncWriteExt;

/// One of HAProxy's own error pages (docs/haproxy-semantics.md §3.8). Like HAProxy, a 503 or 504 keeps the client
/// connection open, unless a request body was left unread.
pub(super) async fn error_reply(
    fe: &FrontendRt,
    client: &mut Client<'_>,
    head: &Head,
    mut ex: Exchange,
    status: StatusCode,
    flags: Termination,
    assigned: Option<Assigned<'_>>,
) -> bool {
    match &assigned {
        Some(a) => fe.backend.servers[a.server]
            .counters
            .response(status.as_u16()),
        // No server: the backend's own answer, counted on it alone.
        None => fe.backend.counters.response(status.as_u16()),
    }
    ex.record.status = Some(status.as_u16());
    ex.record.termination = flags;
    let custom = fe.errorfile(status.as_u16());
    // Added to what was already counted: the head of a refused `101`.
    ex.record.bytes_out += match custom {
        // A HEAD answer's log counts no body (measured).
        Some(p) if head.is_head => p.log_bytes - p.body.len() as u64,
        Some(p) => p.log_bytes,
        None => error_bytes(status),
    };
    ex.record.timers[4] = millis(ex.began.elapsed());
    drop(assigned);
    fe.finish(ex.record, ex.sampled);
    let keep = head.keep_alive && client.body_read && custom.is_none();
    let mut out = bufs::take();
    match custom {
        Some(page) => {
            out.extend_from_slice(&page.head);
            if !head.is_head {
                out.extend_from_slice(&page.body);
            }
        }
        None => {
            error_response(&mut out, status, keep, head.version);
            if head.is_head {
                // The page's length is announced, but a HEAD answer has no body.
                out.truncate(out.len() - error_page(status).len());
            }
        }
    }
    let sent = client.stream.write_all(&out).await.is_ok();
    bufs::give(out);
    sent && keep
}
