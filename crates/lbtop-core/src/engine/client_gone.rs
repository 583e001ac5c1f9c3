//! Watching a client while its session waits for a server: `option abortonclose` ends a
//! session whose client closed, and in TCP mode a reset ends one whatever the option
//! (measured on HAProxy 2.6, docs/haproxy-semantics.md §41).
//!
//! A watcher reads: that is the only way to see a close. What it reads is kept where the
//! session's relay takes its input from, so no byte is lost, and once a buffer's worth is
//! held it reads no more (and waits for ever), so it never spins on a socket that stays
//! readable and never holds more than a buffer.

use super::connect::Gone;
use super::h1::bufs::{self, Input};
use super::l7::relay::Socket;
use super::stream::{eof_is_close, Stream};
use std::future::pending;
use tokio::io::AsyncReadExt;

/// An HTTP client: what it sends while its request waits (the rest of a body, a pipelined
/// request) goes to `input`.
pub async fn http<S: Socket>(stream: &mut S, input: &mut Input) -> Gone {
    while input.pending().len() < bufs::SIZE {
        match stream.read_some(input).await {
            Ok(0) => return Gone::Closed,
            Ok(_) => {}
            Err(_) => return Gone::Reset,
        }
    }
    pending().await
}

/// A TCP client: what it sends goes to `held`, sent to the server once connected. A close
/// ends the session only with `abortonclose`; without, the relay passes it on later.
pub async fn tcp(stream: &mut Stream, held: &mut Vec<u8>, abortonclose: bool) -> Gone {
    while held.len() < bufs::SIZE {
        held.reserve(bufs::SIZE - held.len());
        match eof_is_close(stream.read_buf(held).await) {
            Ok(0) if abortonclose => return Gone::Closed,
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => return Gone::Reset,
        }
    }
    pending().await
}
