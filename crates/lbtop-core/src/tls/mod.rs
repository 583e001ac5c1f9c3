//! TLS with rustls (ring provider): the server side of a `bind ... ssl` line, its
//! certificates chosen by SNI as HAProxy chooses them, and OpenSSL's cipher names mapped to
//! the suites rustls has (docs/haproxy-semantics.md §22).

pub mod certs;
mod client;
mod names;

pub use client::{client_config, sni_name};
pub use names::{map_ciphers, map_ciphersuites};

use crate::config::{BindTls, Mode, TlsVersion, Verify};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use std::collections::HashMap;
use std::sync::Arc;

/// Picks a certificate by the client's SNI: an exact name first, then a wildcard
/// (`*.example.com` covers one label), else the first certificate loaded, unless
/// `strict-sni` refuses the handshake.
#[derive(Debug)]
struct SniResolver {
    keys: Vec<Arc<CertifiedKey>>,
    exact: HashMap<String, usize>,
    /// By the part after `*.`.
    wild: HashMap<String, usize>,
    strict: bool,
}

impl SniResolver {
    fn new(loaded: Vec<certs::Loaded>, strict: bool) -> SniResolver {
        let mut r = SniResolver {
            keys: Vec::with_capacity(loaded.len()),
            exact: HashMap::new(),
            wild: HashMap::new(),
            strict,
        };
        for (i, l) in loaded.into_iter().enumerate() {
            for n in l.names {
                // The first certificate to name a host keeps it.
                match n.strip_prefix("*.") {
                    Some(rest) => r.wild.entry(rest.to_string()).or_insert(i),
                    None => r.exact.entry(n).or_insert(i),
                };
            }
            r.keys.push(l.key);
        }
        r
    }

    fn pick(&self, sni: Option<&str>) -> Option<usize> {
        let Some(name) = sni else {
            return (!self.strict).then_some(0);
        };
        let name = name.to_ascii_lowercase();
        let found = self.exact.get(&name).copied().or_else(|| {
            let (_, parent) = name.split_once('.')?;
            self.wild.get(parent).copied()
        });
        found.or((!self.strict).then_some(0))
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.pick(hello.server_name()).map(|i| self.keys[i].clone())
    }
}

/// The rustls server configuration of one `bind ... ssl` line, its certificates loaded.
pub fn server_config(tls: &BindTls, mode: Mode) -> Result<Arc<ServerConfig>, String> {
    let mut loaded = Vec::new();
    for crt in &tls.crts {
        loaded.extend(certs::load_crt(crt)?);
    }
    if loaded.is_empty() {
        return Err("no certificate loaded".into());
    }
    let mut provider = rustls::crypto::ring::default_provider();
    let (tls12, _) = map_ciphers(tls.ciphers.as_deref());
    let (tls13, _) = map_ciphersuites(tls.ciphersuites.as_deref());
    // Kept in the order the lines give: the server's order is the preference.
    let rank = |s: &rustls::SupportedCipherSuite| {
        let list = match s {
            rustls::SupportedCipherSuite::Tls12(_) => &tls12,
            rustls::SupportedCipherSuite::Tls13(_) => &tls13,
        };
        list.as_ref()
            .map(|l| l.iter().position(|x| *x == s.suite()))
    };
    provider.cipher_suites.retain(|s| rank(s) != Some(None));
    provider.cipher_suites.sort_by_key(|s| rank(s).flatten());
    let versions = versions(tls.min, tls.max);
    let builder = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| format!("no TLS version or cipher left to speak: {e}"))?;
    let builder = match (tls.verify, &tls.ca_file) {
        (Verify::None, _) | (_, None) => builder.with_no_client_auth(),
        (verify, Some(ca)) => {
            let roots = Arc::new(certs::load_ca(ca)?);
            let v = WebPkiClientVerifier::builder_with_provider(
                roots,
                Arc::new(rustls::crypto::ring::default_provider()),
            );
            let v = if verify == Verify::Optional {
                v.allow_unauthenticated()
            } else {
                v
            };
            builder.with_client_cert_verifier(v.build().map_err(|e| e.to_string())?)
        }
    };
    let mut config = builder.with_cert_resolver(Arc::new(SniResolver::new(loaded, tls.strict_sni)));
    // HAProxy prefers its own cipher order unless told otherwise.
    config.ignore_client_order = !tls.prefer_client_ciphers;
    if !tls.no_tickets {
        config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| e.to_string())?;
    }
    config.alpn_protocols = alpn(tls, mode);
    Ok(Arc::new(config))
}

/// The ALPN protocols offered. In HTTP mode `h2` is left out: lbtop speaks HTTP/1.1 only,
/// and a client that offers both then picks `http/1.1`.
fn alpn(tls: &BindTls, mode: Mode) -> Vec<Vec<u8>> {
    let Some(list) = &tls.alpn else {
        return Vec::new();
    };
    list.iter()
        .filter(|p| mode == Mode::Tcp || p.as_str() != "h2")
        .map(|p| p.as_bytes().to_vec())
        .collect()
}

fn versions(
    min: Option<TlsVersion>,
    max: Option<TlsVersion>,
) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let lo = min.unwrap_or(TlsVersion::Tls12);
    let hi = max.unwrap_or(TlsVersion::Tls13);
    let mut v = Vec::new();
    if lo <= TlsVersion::Tls12 && hi >= TlsVersion::Tls12 {
        v.push(&rustls::version::TLS12);
    }
    if hi >= TlsVersion::Tls13 {
        v.push(&rustls::version::TLS13);
    }
    v
}

/// What a TLS client connection negotiated: for ACLs (`ssl_fc`, `ssl_fc_sni`) and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFacts {
    /// The server name the client asked for (SNI), if any.
    pub sni: Option<String>,
    /// The ALPN protocol agreed, if any.
    pub alpn: Option<Vec<u8>>,
    /// `TLSv1.2` or `TLSv1.3` (`%sslv`, `ssl_fc_protocol`).
    pub version: &'static str,
    /// The suite agreed, by OpenSSL's name as HAProxy logs it (`%sslc`, `ssl_fc_cipher`).
    pub cipher: &'static str,
    /// The session was resumed from a ticket or a cached session (`ssl_fc_is_resumed`).
    pub resumed: bool,
}

impl TlsFacts {
    pub fn of(conn: &rustls::ServerConnection) -> TlsFacts {
        TlsFacts {
            sni: conn.server_name().map(str::to_string),
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
            version: match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
                _ => "",
            },
            cipher: conn
                .negotiated_cipher_suite()
                .map_or("", |s| names::openssl_name(s.suite())),
            resumed: conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(strict: bool) -> SniResolver {
        SniResolver {
            keys: Vec::new(),
            exact: HashMap::from([("a.example".into(), 0), ("b.example".into(), 1)]),
            wild: HashMap::from([("b.test".into(), 1)]),
            strict,
        }
    }

    #[test]
    fn sni_picks_as_haproxy() {
        // Measured with HAProxy 2.6.12 (docs/haproxy-semantics.md §22).
        let r = resolver(false);
        assert_eq!(r.pick(None), Some(0));
        assert_eq!(r.pick(Some("B.example")), Some(1));
        assert_eq!(r.pick(Some("x.b.test")), Some(1));
        assert_eq!(r.pick(Some("y.x.b.test")), Some(0));
        assert_eq!(r.pick(Some("zzz")), Some(0));
        let strict = resolver(true);
        assert_eq!(strict.pick(Some("zzz")), None);
        assert_eq!(strict.pick(None), None);
        assert_eq!(strict.pick(Some("a.example")), Some(0));
    }

    #[test]
    fn versions_bound_rustls() {
        assert_eq!(versions(None, None).len(), 2);
        assert_eq!(versions(Some(TlsVersion::Tls13), None).len(), 1);
        assert_eq!(versions(None, Some(TlsVersion::Tls12)).len(), 1);
    }
}
