//! Addresses of `bind` (and of a `frontend`/`listen` line) and of `server`: TCP only, IP
//! addresses and ports (a server's port may follow the client's). A server's host name is read by [`super::names`]; `$VAR`s are
//! expanded before either is read ([`super::env`]).

use super::super::values::{check_family, host_port, strip_family};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

/// A server address: `192.168.33.10:80`, `[::1]:80`, `ipv6@::1:80`; `*:80` or `:80` (the
/// address the client reached: 0.0.0.0 here). Without a port, with port 0 or with `+N`/`-N`,
/// the second value is the offset to the port the client reached (docs/haproxy-semantics.md
/// §36).
pub(super) fn server_addr(s: &str) -> Result<(SocketAddr, Option<i32>), String> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop connects to TCP servers only (ip:port)"
        ));
    }
    let (addr, offset) = match port_less(rest) {
        Some(ip) => (SocketAddr::new(ip, 0), Some(0)),
        None => with_port(rest).map_err(|e| format!("'{s}' {e}"))?,
    };
    Ok((check_family(s, addr, family)?, offset))
}

/// An IP address and port, nothing else (a `nameserver`): `192.168.33.10:53`, `[::1]:53`.
pub(super) fn fixed_addr(s: &str) -> Result<SocketAddr, String> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop talks to TCP/UDP addresses only (ip:port)"
        ));
    }
    let addr = host_port(rest, None, false).map_err(|e| format!("'{s}' {e}"))?;
    check_family(s, addr, family)
}

/// An address alone: `10.0.0.1`, `[::1]`, `*`.
fn port_less(s: &str) -> Option<IpAddr> {
    if s == "*" {
        return Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
    match s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => s.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// `ip:port`, `ip:+N` or `ip:-N`; port 0 is an offset of 0 too.
fn with_port(s: &str) -> Result<(SocketAddr, Option<i32>), String> {
    let signed = s
        .rsplit_once(':')
        .filter(|(_, p)| p.starts_with(['+', '-']));
    let Some((host, port)) = signed else {
        let addr = host_port(s, None, true)?;
        return Ok((addr, (addr.port() == 0).then_some(0)));
    };
    let n: i32 = match port[1..].parse::<u16>() {
        Ok(n) if port.starts_with('-') => -i32::from(n),
        Ok(n) => i32::from(n),
        Err(_) => return Err(format!("has an invalid port offset '{port}' (+N or -N)")),
    };
    let addr = host_port(&format!("{host}:0"), None, true)?;
    Ok((addr, Some(n)))
}
