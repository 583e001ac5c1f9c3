//! HTTP/1 on both sides, lbtop's own rather than hyper's: an idle keep-alive
//! connection holds no buffers at all (hyper keeps 16 KiB per connection for its whole life),
//! buffers come from a per-worker pool only while a request is in flight, and every request head,
//! not just the first, gets HAProxy's 400/408 treatment. Idle server connections are plain
//! sockets in a pool, likewise without buffers. Heads are parsed with httparse and rewritten
//! for the other side in the same pass, with no header maps in between.

pub mod bufs;
pub mod chunked;
pub mod conn;
pub mod head;
pub mod relay;
pub mod response;
