//! Addresses of `bind` (and of a `frontend`/`listen` line) and of `server`: TCP only, IP
//! addresses and ports. A server's host name is read by [`super::names`]; `$VAR`s are
//! expanded before either is read ([`super::env`]).

use super::super::values::{check_family, host_port, strip_family};
use std::net::SocketAddr;

/// The listening addresses of a `bind` word: `127.0.0.1:80`, `*:80`, `:80` (every IPv4
/// address), `[::1]:80`, `:::80`, `ipv4@…`, `ipv6@…`, lists (`a:1,b:2`) and port ranges
/// (`:8000-8010`), one address per port.
pub(super) fn bind_addrs(s: &str) -> Result<Vec<SocketAddr>, String> {
    let mut all = Vec::new();
    for one in s.split(',') {
        all.extend(bind_one(one)?);
    }
    Ok(all)
}

fn bind_one(s: &str) -> Result<Vec<SocketAddr>, String> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || ["unix@", "abns@"].iter().any(|p| rest.starts_with(p)) {
        return Err(format!(
            "'{s}' is a unix socket; lbtop listens on TCP addresses only (ip:port)"
        ));
    }
    if rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop listens on TCP addresses only (ip:port)"
        ));
    }
    let (host, ports) = rest.rsplit_once(':').unwrap_or((rest, ""));
    let (low, high) = match ports.split_once('-') {
        Some((a, b)) => (port(a, s)?, port(b, s)?),
        None => {
            let addr = host_port(rest, None, true).map_err(|e| format!("'{s}' {e}"))?;
            return Ok(vec![check_family(s, addr, family)?]);
        }
    };
    if low > high || low == 0 {
        return Err(format!("'{s}': invalid port range {low}-{high}"));
    }
    let first =
        host_port(&format!("{host}:{low}"), None, true).map_err(|e| format!("'{s}' {e}"))?;
    let first = check_family(s, first, family)?;
    Ok((low..=high)
        .map(|p| SocketAddr::new(first.ip(), p))
        .collect())
}

fn port(p: &str, s: &str) -> Result<u16, String> {
    p.parse()
        .map_err(|_| format!("'{s}' has an invalid port '{p}' (0 to 65535)"))
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
