//! The client side of TLS, toward `server ... ssl` lines: `verify none` checks nothing but
//! the handshake's signatures; `verify required` checks the chain against `ca-file`, and the
//! name only when there is one to check (the `sni`), as HAProxy 2.6 does without
//! `verifyhost`.

use crate::config::{ServerSni, ServerTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, SignatureScheme};
use std::sync::Arc;

#[derive(Debug)]
struct Verifier {
    /// The chain check against `ca-file`; `None` with `verify none`.
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// Whether a certificate not valid for the name asked is refused (with an `sni`).
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, name, ocsp, now) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algs = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algs = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls client configuration of one `server ... ssl` line. A CA file that no longer
/// loads (it did at load time) leaves no CA: every handshake then fails, never passes.
pub fn client_config(tls: &ServerTls) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = match (tls.verifies(), &tls.ca_file) {
        (false, _) => None,
        (true, Some(ca)) => {
            let roots = Arc::new(super::certs::load_ca(ca)?);
            let v = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| e.to_string())?;
            Some(v)
        }
        (true, None) => return Err("verify is enabled but no CA file specified".into()),
    };
    let verifier = Verifier {
        chain,
        check_name: tls.sni.is_some(),
        provider: provider.clone(),
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = tls
        .alpn
        .iter()
        .flatten()
        .map(|p| p.as_bytes().to_vec())
        .collect();
    Ok(Arc::new(config))
}

/// The name sent as SNI (and checked with `verify required`): `None` sends none.
pub fn sni_name<'a>(sni: &'a Option<ServerSni>, host: Option<&'a str>) -> Option<&'a str> {
    match sni.as_ref()? {
        ServerSni::Fixed(n) => Some(n),
        ServerSni::HostHeader => host,
    }
}
