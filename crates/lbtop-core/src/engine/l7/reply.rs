//! Sending one of HAProxy's own answers for a request that got no usable response: its
//! built-in page, or the proxy's `errorfile` for the status; and the 401 that asks for a
//! user and password.

use super::pages::{error_bytes, error_page, error_response};
use super::proxy::{millis, Client, Exchange};
use crate::engine::connect::Assigned;
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::bufs;
use crate::engine::h1::head::header_line;
use crate::engine::h1::head::Head;
use crate::engine::h1::response::connection_header;
use crate::events::Termination;
use hyper::{StatusCode, Version};
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
    fe.finish(*ex.record, ex.sampled);
    // A soft stop closes the connection after this answer, and says so.
    let stopping = fe.live.stop.stopping();
    let keep = head.keep_alive && client.body_read && custom.is_none() && !stopping;
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
    let sent = client.stream.write_all(&out).await.is_ok() && client.stream.flush().await.is_ok();
    bufs::give(out);
    sent && keep
}

/// HAProxy's 401 page (`http-request auth`, `stats auth`).
pub const PAGE_401: &str = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";

/// HAProxy's answer to `http-request auth [realm <realm>]` (a missing realm is the proxy's
/// name) and to a stats page behind `stats auth`, byte for byte as HAProxy 2.6.12 sends it
/// (docs/haproxy-semantics.md §26): lower-case headers, the realm as written, and the
/// connection header for what the client asked for. `keep` is whether the connection stays
/// open after it: HAProxy keeps it when the request had no body left unread.
pub fn unauthorized(realm: &str, keep: bool, version: Version) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"HTTP/1.1 401 Unauthorized\r\n");
    header_line(
        &mut out,
        b"content-length",
        PAGE_401.len().to_string().as_bytes(),
    );
    header_line(&mut out, b"cache-control", b"no-cache");
    header_line(&mut out, b"content-type", b"text/html");
    let challenge = format!("Basic realm=\"{realm}\"");
    header_line(&mut out, b"www-authenticate", challenge.as_bytes());
    connection_header(&mut out, keep, version, Version::HTTP_11);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(PAGE_401.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\n\
        cache-control: no-cache\r\ncontent-type: text/html\r\n\
        www-authenticate: Basic realm=\"My Realm\"\r\n";

    /// The bytes HAProxy 2.6.12 sent for `http-request auth realm "My Realm"`.
    #[test]
    fn the_401_is_haproxys_byte_for_byte() {
        let answer = |keep, version| String::from_utf8(unauthorized("My Realm", keep, version));
        let body = PAGE_401;
        // HTTP/1.1, keep-alive: no connection header, and the connection stays open.
        assert_eq!(
            answer(true, Version::HTTP_11).unwrap(),
            format!("{HEAD}\r\n{body}")
        );
        // `Connection: close`, or HTTP/1.0 without keep-alive.
        for version in [Version::HTTP_11, Version::HTTP_10] {
            assert_eq!(
                answer(false, version).unwrap(),
                format!("{HEAD}connection: close\r\n\r\n{body}")
            );
        }
        // HTTP/1.0 with `Connection: keep-alive`.
        assert_eq!(
            answer(true, Version::HTTP_10).unwrap(),
            format!("{HEAD}connection: keep-alive\r\n\r\n{body}")
        );
        assert_eq!(body.len(), 112);
    }
}
