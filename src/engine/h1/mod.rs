//! The client side of HTTP/1, lbtop's own rather than hyper's server: an idle keep-alive
//! connection holds no buffers at all (hyper keeps 16 KiB per connection for its whole life),
//! buffers come from a per-worker pool only while a request is in flight, and every request head,
//! not just the first, gets HAProxy's 400/408 treatment. The server side stays on hyper's client.

pub mod body;
pub mod bufs;
pub mod chunked;
pub mod conn;
pub mod head;
