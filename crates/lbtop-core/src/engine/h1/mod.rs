//! The HTTP/1 codec, lbtop's own rather than hyper's: it parses, checks and frames, and knows
//! nothing of frontends, servers or sockets (the sessions that use it are in [`super::l7`]).
//! Heads are parsed with httparse, checked the way HAProxy refuses them, and rewritten for the
//! other side in the same pass, with no header maps in between (`head`, `response`); chunked
//! bodies are decoded and re-framed strictly (`chunked`); responses are compressed as HAProxy's
//! `compression` does (`compress`); buffers come from a per-worker pool
//! only while bytes are in flight, so an idle keep-alive connection holds none (`bufs`).

pub mod bufs;
pub mod capture;
pub mod chunked;
pub mod compress;
pub mod connection;
pub mod cookie;
pub mod framing;
pub mod head;
pub mod response;
