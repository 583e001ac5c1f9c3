//! Addresses of `bind` (and of a `frontend`/`listen` line) and of `server`: TCP only, one
//! IP address and port each. A server's host name is read by [`super::names`]; `$VAR`s are
//! expanded before either is read ([`super::env`]).

use super::super::values::{check_family, host_port, strip_family};
use std::net::SocketAddr;

/// A listening address: `127.0.0.1:80`, `*:80`, `:80`, `[::1]:80`, `:::80`, `ipv4@…`.
pub(super) fn bind_addr(s: &str) -> Result<SocketAddr, String> {
    if s.contains(',') {
        return Err(format!(
            "'{s}': lbtop listens on one address per frontend (no comma-separated lists)"
        ));
    }
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop listens on TCP addresses only (ip:port)"
        ));
    }
    let addr = host_port(rest, None, true).map_err(|e| format!("'{s}' {e}"))?;
    check_family(s, addr, family)
}

/// A server address: `192.168.33.10:80`, `[::1]:80`, `ipv6@::1:80`.
pub(super) fn server_addr(s: &str) -> Result<SocketAddr, String> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop connects to TCP servers only (ip:port)"
        ));
    }
    let addr = host_port(rest, None, false).map_err(|e| format!("'{s}' {e}"))?;
    check_family(s, addr, family)
}
