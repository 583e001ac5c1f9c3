//! Sending what a rule answered itself (`http-request deny|tarpit|redirect|return`, the
//! `redirect` keyword), logging and counting it as HAProxy does (docs/haproxy-semantics.md
//! §21): a frontend's answer is logged as `<frontend>/<NOSRV>`, a backend's as
//! `<backend>/<NOSRV>`; denies count in `dreq`, the others in `intercepted`.

use crate::engine::frontend::FrontendRt;
use crate::engine::h1::head::Head;
use crate::engine::rules::Reply;
use crate::engine::stream::Stream;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Instant, SystemTime};
use tokio::io::AsyncWriteExt;

/// Sends `reply` for `head` (after its hold, for `tarpit`); whether the connection stays
/// open.
pub(super) async fn send(
    fe: &FrontendRt,
    stream: &mut Stream,
    client: SocketAddr,
    head: &Head,
    mut reply: Reply,
) -> bool {
    let began = Instant::now();
    let service = reply.service.as_ref().map(|_| "<PROMEX>");
    let sampled = head.request_line.is_some();
    let start = if sampled {
        SystemTime::now()
    } else {
        SystemTime::UNIX_EPOCH
    };
    let c = &fe.counters;
    let by = fe.route(reply.backend);
    if reply.denied {
        c.requests.fetch_add(1, Relaxed);
        c.denied_req.fetch_add(1, Relaxed);
    } else if service.is_some() && reply.backend.is_some() {
        // A backend's service: a session of the backend, counted before the answer is made
        // (it counts itself, measured), not an interception by the frontend.
        by.backend.counters.total_sessions.fetch_add(1, Relaxed);
    } else {
        c.intercepted.fetch_add(1, Relaxed);
    }
    // Counted first: the exporter's answer counts the request it answers (measured).
    if let Some(query) = reply.service.take() {
        crate::engine::metrics::scrape(fe, &query, &mut reply, head);
    }
    if let Some(hold) = reply.hold {
        tokio::time::sleep(hold).await;
    }
    if reply.denied {
        errorfile_instead(fe, head, &mut reply);
    }
    let mut record = by.new_record(client, start, head.request_line.clone());
    record.by_frontend = reply.backend.is_none();
    record.status = Some(reply.status);
    record.termination = reply.flags;
    record.bytes_out = reply.log_bytes;
    record.bytes_in = (head.len as u64) + head.content_length;
    record.rule_line = Some(reply.rule_line);
    record.service = service;
    record.tls = stream.tls();
    record.captures = head.captured.clone();
    let total = began.elapsed().as_millis() as i64;
    record.timers = match (reply.hold, service) {
        // A tarpit's wait is logged as queue time, with no request time (measured).
        (Some(_), _) => [-1, total, -1, -1, total],
        // A service answers as a server would, at once (measured: `0/0/0/0/0`).
        (None, Some(_)) => [0, 0, 0, 0, total],
        (None, None) => [0, -1, -1, -1, total],
    };
    // Flushed: a TLS client gets the records rustls holds (a no-op on a socket).
    let sent = stream.write_all(&reply.bytes).await.is_ok() && stream.flush().await.is_ok();
    match reply.backend {
        Some(_) => {
            if reply.denied {
                by.backend.counters.denied_req.fetch_add(1, Relaxed);
            }
            by.backend.counters.response(reply.status);
            match service {
                // Its backend session was counted before the answer was made.
                Some(_) => by.report(record, sampled),
                None => by.finish(record, sampled),
            }
        }
        // HAProxy never logs a monitor request; it counts it.
        None if reply.monitor => fe.count(&record),
        None => fe.report(record, sampled),
    }
    sent && reply.keep
}

/// A deny's or a tarpit's page is the `errorfile` for its status when there is one (an
/// `errorfiles` section's too), and the connection closes after it, as after any errorfile
/// (measured on HAProxy 2.6).
fn errorfile_instead(fe: &FrontendRt, head: &Head, reply: &mut Reply) {
    let Some(page) = fe.errorfile(reply.status) else {
        return;
    };
    reply.bytes.clear();
    reply.bytes.extend_from_slice(&page.head);
    reply.log_bytes = page.log_bytes;
    if head.is_head {
        // A HEAD answer's log counts no body, as for the other errorfile pages.
        reply.log_bytes -= page.body.len() as u64;
    } else {
        reply.bytes.extend_from_slice(&page.body);
    }
    reply.keep = false;
}
