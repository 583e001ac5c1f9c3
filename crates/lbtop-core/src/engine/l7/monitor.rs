//! `monitor-uri`: the frontend answers a request for its monitor URI itself, before any
//! `http-request` rule runs: HAProxy's 200 page ("Service ready."), or its 503 page when a
//! `monitor fail` condition holds. The request counts (intercepted, its status, its bytes)
//! but is never logged (docs/haproxy-semantics.md §38).

use super::pages::{error_bytes, error_page, error_response};
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::head::{Framing, Head};
use crate::engine::proxy_proto::Addrs;
use crate::engine::rules::{answered, Reply, ReqView};
use hyper::StatusCode;

/// The answer to `bytes` (a whole request head, checked) when it asks for `fe`'s monitor
/// URI; `None` otherwise. `pending` is how many bytes after the head have arrived.
pub(super) fn reply(
    fe: &FrontendRt,
    head: &Head,
    bytes: &[u8],
    pending: usize,
    peer: &Addrs,
) -> Option<Reply> {
    let monitor = fe.monitor()?;
    let count = bytes.iter().filter(|&&b| b == b'\n').count();
    let mut lines = vec![httparse::EMPTY_HEADER; count];
    let v = ReqView::parse(bytes, &mut lines, peer.src, peer.dst)?;
    if !monitor.matches(v.target) {
        return None;
    }
    let fails = monitor.fail.iter().any(|c| fe.holds(c, &v));
    let status = if fails {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    // A body that has all arrived is read and dropped, and the connection kept (measured);
    // one still on its way closes the connection.
    let body_here = match head.framing {
        Framing::None => true,
        Framing::Length(n) => pending as u64 >= n,
        Framing::Chunked => false,
    };
    let keep = head.keep_alive && body_here && !fe.live.stop.stopping();
    let mut r = match fe.errorfile(status.as_u16()) {
        // An `errorfile` for the status is sent instead, and the connection closes after it.
        Some(page) => {
            let mut out = page.head.clone();
            if !head.is_head {
                out.extend_from_slice(&page.body);
            }
            answered(out, status.as_u16(), page.log_bytes, false)
        }
        None => {
            let mut out = Vec::new();
            error_response(&mut out, status, keep, head.version);
            if head.is_head {
                // The page's length is announced, but a HEAD answer has no body.
                out.truncate(out.len() - error_page(status).len());
            }
            answered(out, status.as_u16(), error_bytes(status), keep)
        }
    };
    r.monitor = true;
    Some(r)
}
