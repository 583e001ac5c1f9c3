//! The TLS handshake of a `bind ... ssl` connection, under `timeout client`, and HAProxy's
//! log line when it fails (docs/haproxy-semantics.md §22).

use super::frontend::FrontendRt;
use super::proxy_proto::Addrs;
use super::stream::Stream;
use crate::events::Level;
use std::io::ErrorKind;
use std::time::SystemTime;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// The first byte of a TLS handshake record.
const HANDSHAKE_RECORD: u8 = 0x16;

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
    /// `verify optional|required`: the client's certificate is not signed by `ca-file`.
    Untrusted,
}

impl Failure {
    fn message(self) -> &'static str {
        match self {
            Failure::Closed => "Connection closed during SSL handshake",
            Failure::Aborted => "Connection error during SSL handshake",
            Failure::Timeout => "Timeout during SSL handshake",
            Failure::Handshake => "SSL handshake failure",
            Failure::Untrusted => "SSL client certificate not trusted",
        }
    }

    fn of(e: &std::io::Error) -> Failure {
        match e.kind() {
            ErrorKind::UnexpectedEof => Failure::Closed,
            ErrorKind::InvalidData => {
                let rustls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
                match rustls {
                    Some(rustls::Error::InvalidCertificate(_)) => Failure::Untrusted,
                    _ => Failure::Handshake,
                }
            }
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
) -> Option<Stream> {
    let accepted = SystemTime::now();
    // A failed handshake gives its socket back, and a timed-out one is still held below: the
    // failure is logged before the client sees the close, as HAProxy does.
    let handshake = async {
        // What is not a TLS record at all (plain HTTP, say) is dropped without an answer,
        // as OpenSSL drops it; rustls would send an alert first.
        let mut first = [0u8; 1];
        let failure = match stream.peek(&mut first).await {
            Ok(0) => Failure::Closed,
            Ok(_) if first[0] != HANDSHAKE_RECORD => Failure::Handshake,
            Ok(_) => {
                let accept = acceptor.accept(stream).into_fallible();
                return accept.await.map_err(|(e, s)| (Failure::of(&e), Some(s)));
            }
            Err(_) => Failure::Aborted,
        };
        Err((failure, Some(stream)))
    };
    tokio::pin!(handshake);
    let done = match fe.client_timeout() {
        Some(t) => tokio::time::timeout(t, &mut handshake)
            .await
            .unwrap_or(Err((Failure::Timeout, None))),
        None => (&mut handshake).await,
    };
    let (failure, _socket) = match done {
        Ok(tls) => return Some(Stream::Tls(Box::new(tls.into()))),
        Err(f) => f,
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
