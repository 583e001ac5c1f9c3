//! What the engine reports about each finished request (HTTP) or connection (TCP).

use std::net::SocketAddr;
use std::time::SystemTime;

/// HAProxy's four-character termination state, e.g. `----`, `SC--`, `cR--`.
/// TCP logs print the first two only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Termination {
    /// Who ended it: `C` client, `S` server, `P` proxy, `c`/`s` client/server timeout, `-` normal.
    pub cause: u8,
    /// In which phase: `R` request, `Q` queue, `C` connect, `H` headers, `D` data, `L` last, `-` done.
    pub phase: u8,
}

impl Termination {
    pub const NORMAL: Termination = Termination {
        cause: b'-',
        phase: b'-',
    };

    pub const fn new(cause: u8, phase: u8) -> Termination {
        Termination { cause, phase }
    }

    /// The HTTP form: four characters, the last two the persistence cookie's.
    pub fn http(self, cookie: [u8; 2]) -> [u8; 4] {
        [self.cause, self.phase, cookie[0], cookie[1]]
    }

    /// The TCP form: two characters.
    pub fn tcp(self) -> [u8; 2] {
        [self.cause, self.phase]
    }
}

/// One finished request or connection, with enough to write HAProxy's httplog/tcplog line
/// and to show the L4/L7 decision on the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The configuration the session ran on: its indices below point into it, and after a
    /// reload it is no longer the one in force. `None` in tests and fixtures.
    pub config: Option<std::sync::Arc<crate::config::Config>>,
    pub frontend: usize,
    pub backend: usize,
    /// `None` is `<NOSRV>`.
    pub server: Option<usize>,
    pub client: SocketAddr,
    /// When the request (or connection) began.
    pub start: SystemTime,
    /// HAProxy timers in ms, -1 where the phase never completed:
    /// TR (request headers), Tw (queue), Tc (connect), Tr (response headers), Ta/Tt (total).
    pub timers: [i64; 5],
    /// HTTP status sent to the client; `None` in TCP mode.
    pub status: Option<u16>,
    /// Bytes sent to the client (headers included for HTTP).
    pub bytes_out: u64,
    /// Bytes received from the client.
    pub bytes_in: u64,
    /// `%U` where HAProxy counts otherwise than the wire: an HTTP request's head in its
    /// internal form, then the body. `None` is [`SessionRecord::bytes_in`].
    pub log_bytes_in: Option<u64>,
    pub termination: Termination,
    /// Connection attempts beyond the first.
    pub retries: u32,
    /// Whether the request was sent to a server other than the one first chosen.
    pub redispatched: bool,
    /// `GET /path HTTP/1.1`, or `<BADREQ>`; `None` in TCP mode.
    pub request: Option<String>,
    /// Whether an idle server connection was reused (HTTP only).
    pub reused: bool,
    /// The `X-Forwarded-For` value lbtop added, if any.
    pub forwarded_for: Option<String>,
    /// Connections open in the process and on the frontend when the session ended
    /// (HAProxy's `%ac/%fc`).
    pub process_conns: u64,
    pub frontend_conns: u64,
    /// Sessions on the backend and on the chosen server when this one ended (`%bc/%sc`).
    pub backend_conns: u64,
    pub server_conns: u64,
    /// Position in the backend queue when the request had to wait there, else 0 (`%bq`).
    pub backend_queue: u64,
    /// The proxy whose stats page answered the request (logged as `<proxy>/<STATS>`).
    pub stats_page: Option<String>,
    /// The service that answered instead of a server (`<PROMEX>`), logged as the server.
    pub service: Option<&'static str>,
    /// The frontend's own rules answered the request (`http-request deny`, `redirect`,
    /// `return`, `tarpit`): logged against the frontend, as `<frontend>/<NOSRV>`.
    pub by_frontend: bool,
    /// The configuration line of the rule that chose the backend, or answered the request;
    /// `None` when no rule did (the default backend).
    pub rule_line: Option<u32>,
    /// What the client's TLS handshake agreed (`bind ... ssl`), `None` in clear: the log
    /// names the frontend `fe~` and writes `%sslv`/`%sslc` and the `ssl_fc*` samples from it.
    pub tls: Option<std::sync::Arc<crate::tls::TlsFacts>>,
    /// [`Self::status`] is a server's answer, not one lbtop wrote: the `status` sample of a
    /// `log-format` reads only those (measured: `-` for a deny or a 503).
    pub from_server: bool,
    /// The persistence cookie's two termination characters (`--` without a cookie): what
    /// the request's cookie was, and what became of the response's.
    pub cookie_flags: [u8; 2],
    /// What the frontend's `capture` lines caught; `None` when it has none (or the session
    /// ended before a request head).
    pub captures: Option<Box<Captured>>,
    /// The address the client connected to (`%fi:%fp`).
    pub frontend_addr: Option<SocketAddr>,
    /// The source of the connection to the server (`%bi:%bp`), read only for a log format
    /// that writes it.
    pub backend_source: Option<SocketAddr>,
    /// The session's number in the process, from 0 (`%rt`), for recorded sessions.
    pub counter: u64,
    /// Lines the frontend had logged before this one (`%lc`).
    pub log_count: u64,
    /// The request's `unique-id-format` ID (`%ID`); its `%rt` is then [`Self::counter`].
    pub unique_id: Option<Box<str>>,
}

/// The raw bytes `capture` lines kept, each cut to its `len` (escaped when written).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Captured {
    /// One per `capture request header`, in order; `None` when the header was absent.
    pub request: Vec<Option<Vec<u8>>>,
    /// One per `capture response header`.
    pub response: Vec<Option<Vec<u8>>>,
    /// `capture cookie`: `name=value` from the request's `Cookie` and the response's
    /// `Set-Cookie`.
    pub cookie_request: Option<Vec<u8>>,
    pub cookie_response: Option<Vec<u8>>,
}
