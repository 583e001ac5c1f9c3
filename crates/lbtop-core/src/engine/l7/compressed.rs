//! `compression` on a request's way through: the algorithm its `Accept-Encoding` picks (and,
//! with `compression offload`, the header taken out of what the server sees), then a response
//! body compressed as it streams, in chunks (docs/haproxy-semantics.md §39).

use super::relay::{read_into, write_within, Limits, ReadError, ServerConn};
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::bufs;
use crate::engine::h1::chunked::Decoder;
use crate::engine::h1::compress::Encoder;
use crate::engine::h1::head::Head;
use crate::engine::h1::response::{Body, Response};
use crate::events::Termination;
use std::io;
use tokio::io::AsyncWrite;

/// Notes in `head` the algorithm the server's version of the request (`upstream`) picks for
/// `fe`'s `compression`, and drops its `Accept-Encoding` lines under `offload`.
pub(super) fn choose(fe: &FrontendRt, head: &mut Head, upstream: &mut Vec<u8>) {
    let Some(c) = fe.compression() else { return };
    let count = upstream.iter().filter(|&&b| b == b'\n').count();
    let mut lines = vec![httparse::EMPTY_HEADER; count];
    let mut req = httparse::Request::new(&mut lines);
    if !matches!(req.parse(upstream), Ok(httparse::Status::Complete(_))) {
        return;
    }
    let Some((algo, offload)) = c.choose(req.headers) else {
        return;
    };
    head.compress = Some(algo);
    if offload {
        *upstream = without_accept_encoding(upstream);
    }
}

/// `head` (a whole request head, `\r\n` line ends) without its `Accept-Encoding` lines.
fn without_accept_encoding(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len());
    for line in head.split_inclusive(|&b| b == b'\n') {
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        if !name.eq_ignore_ascii_case(b"accept-encoding") {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Relays a response body that `response` says is compressed: the server's body (a length
/// or chunked) goes through the encoder, and each batch read is sent on as one chunk of
/// what the client can decode so far, as HAProxy flushes at each buffer. Adds the body bytes
/// before compression to `counted`, as HAProxy's `%B` counts them (measured).
pub async fn relay_body<W: AsyncWrite + Unpin>(
    server: &mut ServerConn,
    response: &Response,
    client: &mut W,
    out: &mut Vec<u8>,
    limits: Limits,
    counted: &mut u64,
) -> Result<(), Termination> {
    let client_gone = |e: io::Error| match e.kind() {
        io::ErrorKind::TimedOut => Termination::new(b'c', b'D'),
        _ => Termination::new(b'C', b'D'),
    };
    let Some(algo) = response.compress else {
        return Err(Termination::new(b'P', b'D'));
    };
    let mut encoder = Encoder::new(algo);
    let mut left = match response.body {
        Body::Length(n) => n,
        _ => u64::MAX,
    };
    let mut decoder = (response.body == Body::Chunked).then(Decoder::default);
    loop {
        let mut done = false;
        if !server.input.is_empty() {
            let pending = server.input.pending();
            let used = match &mut decoder {
                Some(d) => {
                    let used = d
                        .decode(pending, |data| {
                            *counted += data.len() as u64;
                            encoder.write(data);
                        })
                        .map_err(|_| Termination::new(b'P', b'D'))?;
                    done = d.is_done();
                    used
                }
                None => {
                    let n = (pending.len() as u64).min(left) as usize;
                    left -= n as u64;
                    done = left == 0;
                    *counted += n as u64;
                    encoder.write(&pending[..n]);
                    n
                }
            };
            server.input.consume(used);
            let data = if done {
                encoder.finish()
            } else {
                encoder.flush()
            };
            Decoder::encode_chunk(out, &data);
        }
        if done {
            match &decoder {
                Some(d) => d.encode_end(out),
                None => out.extend_from_slice(b"0\r\n\r\n"),
            }
            return send(client, out, limits).await.map_err(client_gone);
        }
        send(client, out, limits).await.map_err(client_gone)?;
        match read_into(&mut server.stream, &mut server.input, limits.server).await {
            Ok(0) | Err(ReadError::Failed) => return Err(Termination::new(b'S', b'D')),
            Err(ReadError::Timeout) => return Err(Termination::new(b's', b'D')),
            Ok(_) => {}
        }
    }
}

/// Sends what `out` holds, within `timeout client`.
async fn send<W: AsyncWrite + Unpin>(
    client: &mut W,
    out: &mut Vec<u8>,
    limits: Limits,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let sent = write_within(client, out, limits.client).await;
    out.clear();
    if out.capacity() > 4 * bufs::SIZE {
        out.shrink_to(bufs::SIZE);
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offload_drops_every_accept_encoding_line() {
        let head = b"GET / HTTP/1.1\r\nhost: a\r\naccept-encoding: gzip\r\nx: 1\r\nAccept-Encoding: br\r\n\r\n";
        assert_eq!(
            without_accept_encoding(head),
            b"GET / HTTP/1.1\r\nhost: a\r\nx: 1\r\n\r\n"
        );
    }
}
