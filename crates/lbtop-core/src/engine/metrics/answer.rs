//! Answering `http-request use-service prometheus-exporter`: HAProxy's head (measured: a
//! chunked 200 with `cache-control: no-cache`), its 400 page for an unknown `scope`, logged
//! as `<frontend>/<PROMEX>` with `LR--`.

use super::{render, Query};
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::head::{header_line, Head};
use crate::engine::h1::response::connection_header;
use crate::engine::l7::pages::{error_bytes, error_response};
use crate::engine::rules::Reply;
use hyper::{StatusCode, Version};

/// What the exporter sends in the text format it writes (OpenMetrics; HAProxy says
/// `text/plain; version=0.0.4` for its Prometheus text).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Fills `reply` (a `use-service` answer for the request's `query`) with the metrics, from
/// a snapshot taken now.
pub(crate) fn scrape(fe: &FrontendRt, query: &str, reply: &mut Reply, head: &Head) {
    let shared = fe.view.get().and_then(std::sync::Weak::upgrade);
    let (Some(q), Some(shared)) = (Query::parse(query), shared) else {
        let mut out = Vec::new();
        error_response(&mut out, StatusCode::BAD_REQUEST, false, head.version);
        reply.bytes = out;
        reply.status = 400;
        reply.log_bytes = error_bytes(StatusCode::BAD_REQUEST);
        reply.keep = false;
        return;
    };
    let body = render(&shared, q);
    reply.bytes = response(&body, reply.keep, head.version, head.is_head);
    reply.log_bytes = crate::engine::stats::log_bytes(&reply.bytes, body.len());
}

/// The 200 with `body`, chunked, with HAProxy's headers in its order (measured: chunked
/// even for a HEAD and for HTTP/1.0, the connection header last).
pub(crate) fn response(body: &str, keep: bool, version: Version, is_head: bool) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
    header_line(&mut out, b"cache-control", b"no-cache");
    header_line(&mut out, b"content-type", CONTENT_TYPE.as_bytes());
    header_line(&mut out, b"transfer-encoding", b"chunked");
    connection_header(&mut out, keep, version, Version::HTTP_11);
    out.extend_from_slice(b"\r\n");
    if is_head {
        return out;
    }
    if !body.is_empty() {
        out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        out.extend_from_slice(body.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
