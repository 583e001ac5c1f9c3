//! Certificate files as HAProxy 2.6 reads a `crt`: a PEM file holding the certificate, its
//! chain and the key (or the key alone in `<file>.key`, HAProxy's default
//! `ssl-load-extra-files`), or a directory of such files taken in name order. Errors are
//! worded as HAProxy words them (docs/haproxy-semantics.md §22).

use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// One certificate ready to serve, with the names SNI finds it by.
pub struct Loaded {
    pub path: String,
    pub key: Arc<CertifiedKey>,
    /// Its DNS names (subjectAltName) and common names, lower-cased; `*.example.com`
    /// for a wildcard.
    pub names: Vec<String>,
    /// When it expires, in seconds since the epoch.
    pub not_after: i64,
}

impl Loaded {
    /// A load warning when it has expired (HAProxy loads it silently; clients will refuse
    /// it).
    pub fn expired(&self, now: i64) -> Option<String> {
        (self.not_after < now).then(|| {
            format!(
                "certificate '{}' has expired ({}): clients that check it will refuse it",
                self.path,
                crate::engine::log::log_date(
                    std::time::UNIX_EPOCH
                        + std::time::Duration::from_secs(self.not_after.max(0) as u64)
                )
            )
        })
    }
}

/// Files a directory `crt` skips: HAProxy's extra files, read beside their certificate.
const EXTRA: &[&str] = &[".key", ".ocsp", ".issuer", ".sctl"];

/// Every certificate a `crt` names, in the order HAProxy loads them.
pub fn load_crt(path: &str) -> Result<Vec<Loaded>, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "unable to stat SSL certificate from file '{path}' : {}.",
            os_reason(&e)
        )
    })?;
    if !meta.is_dir() {
        return Ok(vec![load_file(path)?]);
    }
    let mut files: Vec<String> = std::fs::read_dir(path)
        .map_err(|e| format!("unable to scan directory '{path}' : {}.", os_reason(&e)))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && !EXTRA.iter().any(|x| n.ends_with(x)))
        .collect();
    files.sort();
    let dir = path.trim_end_matches('/');
    files
        .iter()
        .map(|f| load_file(&format!("{dir}/{f}")))
        .collect()
}

/// The system's words for an I/O error, without Rust's "(os error 2)".
fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn load_file(path: &str) -> Result<Loaded, String> {
    let pem = std::fs::read(path).map_err(|e| {
        format!(
            "unable to load SSL certificate from file '{path}' : {}.",
            os_reason(&e)
        )
    })?;
    let bad = || format!("unable to load certificate from file '{path}'.");
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    if chain.is_empty() {
        return Err(bad());
    }
    let key = match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(k) => k,
        Err(_) => key_file(path)?,
    };
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|_| format!("unable to load the private key of '{path}': unsupported type."))?;
    let key = CertifiedKey::new(chain, signer);
    key.keys_match().map_err(|_| {
        format!("inconsistencies between private key and certificate loaded '{path}'.")
    })?;
    let (names, not_after) = describe(&key.cert[0]).ok_or_else(bad)?;
    Ok(Loaded {
        path: path.to_string(),
        key: Arc::new(key),
        names,
        not_after,
    })
}

/// The key HAProxy looks for beside a PEM file that has none.
fn key_file(path: &str) -> Result<PrivateKeyDer<'static>, String> {
    let name = format!("{path}.key");
    let missing = || format!("No Private Key found in '{name}'.");
    if !Path::new(&name).exists() {
        return Err(missing());
    }
    PrivateKeyDer::from_pem_file(&name).map_err(|_| missing())
}

/// The names and expiry of a certificate.
fn describe(der: &CertificateDer<'_>) -> Option<(Vec<String>, i64)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                names.push(d.to_ascii_lowercase());
            }
        }
    }
    for cn in cert.subject().iter_common_name() {
        if let Ok(s) = cn.as_str() {
            let s = s.to_ascii_lowercase();
            if !names.contains(&s) {
                names.push(s);
            }
        }
    }
    Some((names, cert.validity().not_after.timestamp()))
}

/// The certificates of a `ca-file`, for checking the other side's certificate.
pub fn load_ca(path: &str) -> Result<rustls::RootCertStore, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("unable to load CA file '{path}' : {}.", os_reason(&e)))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|_| format!("unable to load CA file '{path}'."))?;
        roots
            .add(cert)
            .map_err(|_| format!("unable to load CA file '{path}'."))?;
    }
    if roots.is_empty() {
        return Err(format!("unable to load CA file '{path}'."));
    }
    Ok(roots)
}
