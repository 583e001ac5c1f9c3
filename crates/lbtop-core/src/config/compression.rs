//! `compression algo|type|offload`: the response compression HAProxy 2.6 applies
//! (docs/haproxy-semantics.md §39).

/// A compression algorithm, as `compression algo` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    /// No compression: the body is only chunked afresh.
    Identity,
    /// zlib-wrapped deflate (RFC 1950), `Content-Encoding: deflate`.
    Deflate,
    /// Bare deflate (RFC 1951), also announced as `deflate`.
    RawDeflate,
    Gzip,
}

impl Algo {
    pub const ALL: [Algo; 4] = [Algo::Identity, Algo::Deflate, Algo::RawDeflate, Algo::Gzip];

    pub fn parse(name: &str) -> Option<Algo> {
        Algo::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Algo::Identity => "identity",
            Algo::Deflate => "deflate",
            Algo::RawDeflate => "raw-deflate",
            Algo::Gzip => "gzip",
        }
    }

    /// The token in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Algo::RawDeflate => "deflate",
            a => a.name(),
        }
    }
}

/// A proxy's `compression` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compression {
    /// `compression algo`, in the order written (each line adds to the list).
    pub algos: Vec<Algo>,
    /// `compression type`: content types compressed, compared as prefixes of the
    /// response's `Content-Type`, case aside; empty for any.
    pub types: Vec<String>,
    /// `compression offload`: `Accept-Encoding` is removed from requests that will be
    /// compressed, so the server answers uncompressed.
    pub offload: bool,
}
