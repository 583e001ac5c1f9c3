//! The TLS handshake of a `bind ... ssl` connection, under `timeout client`, and HAProxy's
//! log line when it fails (docs/haproxy-semantics.md §22).

use super::client::ClientStream;
use super::frontend::FrontendRt;
use super::proxy_proto::Addrs;
use crate::events::Level;
use std::io::ErrorKind;
use std::time::SystemTime;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// Why a handshake did not complete, in HAProxy's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The client closed before the handshake ended.
    Closed,
    /// A socket error (a reset).
    Aborted,
    Timeout,
    /// Not TLS, or TLS lbtop does not speak (an old version, no common suite, ...).
    Handshake,
}

impl Failure {
    fn message(self) -> &'static str {
        match self {
            Failure::Closed => "Connection closed during SSL handshake",
            Failure::Aborted => "Connection error during SSL handshake",
            Failure::Timeout => "Timeout during SSL handshake",
            Failure::Handshake => "SSL handshake failure",
        }
    }

    fn of(e: &std::io::Error) -> Failure {
        match e.kind() {
            ErrorKind::UnexpectedEof => Failure::Closed,
            ErrorKind::InvalidData => Failure::Handshake,
            _ => Failure::Aborted,
        }
    }
}

/// Runs the handshake; `None` when it failed (logged as HAProxy logs it, unless
/// `option dontlognull` hides a connection that closed or broke).
pub(super) async fn accept(
    stream: TcpStream,
    acceptor: &TlsAcceptor,
    addrs: &Addrs,
    fe: &FrontendRt,
    bind: usize,
) -> Option<ClientStream> {
    let accepted = SystemTime::now();
    let handshake = acceptor.accept(stream);
    let done = match fe.client_timeout() {
        Some(t) => tokio::time::timeout(t, handshake)
            .await
            .unwrap_or_else(|_| Err(ErrorKind::TimedOut.into())),
        None => handshake.await,
    };
    let failure = match done {
        Ok(tls) => return Some(ClientStream::Tls(Box::new(tls))),
        Err(e) if e.kind() == ErrorKind::TimedOut => Failure::Timeout,
        Err(e) => Failure::of(&e),
    };
    let hidden = fe.dontlognull() && matches!(failure, Failure::Closed | Failure::Aborted);
    if !hidden {
        let line = format!(
            "{}:{} [{}] {}/{}: {}",
            addrs.src.ip(),
            addrs.src.port(),
            super::log::log_date(accepted),
            fe.name,
            fe.binds[bind].label,
            failure.message()
        );
        fe.log_error(Level::Info, &line);
    }
    None
}
