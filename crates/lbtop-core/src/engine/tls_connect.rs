//! TLS toward a `server ... ssl` line: the handshake after the TCP connect (and the PROXY
//! header, which goes first in clear), with the SNI the line asks for (docs/haproxy-semantics.md
//! §22).

use super::frontend::FrontendRt;
use super::stream::Stream;
use crate::config::{ServerSni, ServerTls};
use rustls::pki_types::ServerName;
use std::io;
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// A server's TLS at run time.
pub struct ServerTlsRt {
    connector: TlsConnector,
    sni: Option<ServerSni>,
}

impl ServerTlsRt {
    /// `None` for a server without `ssl`.
    pub fn new(tls: &ServerTls) -> Option<ServerTlsRt> {
        if !tls.enabled {
            return None;
        }
        // Checked when the file was read; a CA file gone since leaves one that refuses all.
        let config = crate::tls::client_config(tls).unwrap_or_else(|_| refuse_all());
        Some(ServerTlsRt {
            connector: TlsConnector::from(config),
            sni: tls.sni.clone(),
        })
    }

    /// The TLS health checks of `server` speak, if they do: its `ssl` settings, with the SNI
    /// of `check-sni` only, as HAProxy 2.6 sends (docs/haproxy-semantics.md §22.4).
    pub fn for_checks(server: &crate::config::Server) -> Option<ServerTlsRt> {
        if !server.checks_use_tls() {
            return None;
        }
        let tls = ServerTls {
            enabled: true,
            sni: server.check_sni.clone().map(ServerSni::Fixed),
            ..server.tls.clone()
        };
        ServerTlsRt::new(&tls)
    }

    /// Whether the SNI comes from the request (`sni req.hdr(host)`).
    pub fn wants_host(&self) -> bool {
        self.sni == Some(ServerSni::HostHeader)
    }

    /// The handshake over `tcp`, within `limit`; `host` is the request's Host header.
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        ip: IpAddr,
        host: Option<&str>,
        limit: Duration,
    ) -> io::Result<Stream> {
        let name = crate::tls::sni_name(&self.sni, host)
            .map(|h| {
                h.rsplit_once(':').map_or(h, |(n, p)| {
                    if p.bytes().all(|b| b.is_ascii_digit()) {
                        n
                    } else {
                        h
                    }
                })
            })
            .and_then(|n| ServerName::try_from(n.to_string()).ok())
            // No SNI is sent for an address.
            .unwrap_or(ServerName::IpAddress(ip.into()));
        let tls = tokio::time::timeout(limit, self.connector.connect(name, tcp))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        Ok(Stream::Tls(Box::new(tls.into())))
    }
}

fn refuse_all() -> std::sync::Arc<rustls::ClientConfig> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
    )
}

/// The server connection as the request goes on it: TLS after a handshake for an `ssl`
/// server (its failure counted as a connection error), else the socket as it is.
pub async fn secure(
    fe: &FrontendRt,
    server: usize,
    tcp: TcpStream,
    upstream: &[u8],
) -> Option<Stream> {
    let server = &fe.backend.servers[server];
    let Some(tls) = &server.tls else {
        return Some(Stream::Plain(tcp));
    };
    let host = tls.wants_host().then(|| host_header(upstream)).flatten();
    let limit = fe.retry_policy().connect_timeout;
    let ip = server.addr().ip();
    let done = tls.handshake(tcp, ip, host, limit).await;
    if done.is_err() {
        server.counters.connect_errors.fetch_add(1, Relaxed);
    }
    done.ok()
}

/// The Host header of a request head, as sent to the server.
pub fn host_header(head: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("host").then(|| value.trim())
    })
}
