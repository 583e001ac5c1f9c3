//! Values both configuration syntaxes read, with the same words for the same mistakes:
//! HAProxy time values (`3000` milliseconds, `3s`, `1m`, `250ms`, `2h`, `1d`, `100us`),
//! integers in a range, header names, networks (`127.0.0.0/8`), `log` targets (and the
//! `host:port` rules listening and server addresses share), `stats socket` modes and
//! `balance hdr(<name>)`.

use super::{Balance, IpNet, LogAddr, LogTarget};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Parses an HAProxy time value. A bare number is in milliseconds, as in HAProxy.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!(
            "'{text}' is not a time value (expected e.g. 3000, 3s, 250ms, 1m)"
        ));
    }
    let (number, unit) = text.split_at(digits);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is too large a time value"))?;
    let micros_per_unit: u64 = match unit {
        "us" => 1,
        "" | "ms" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => {
            return Err(format!(
                "'{text}' has an unknown time unit '{unit}' (use us, ms, s, m, h or d)"
            ))
        }
    };
    n.checked_mul(micros_per_unit)
        .map(Duration::from_micros)
        .ok_or_else(|| format!("'{text}' is too large a time value"))
}

/// `at least 1` or `between 0 and 256`: a range as messages say it (no upper bound when
/// `max` is `u32::MAX`).
fn range_words(min: i64, max: i64) -> String {
    if max == i64::from(u32::MAX) {
        format!("at least {min}")
    } else {
        format!("between {min} and {max}")
    }
}

/// `n` if it is in `min..=max`, else "`what` must be between ..., got `n`".
pub(super) fn in_range(n: i64, what: &str, min: i64, max: i64) -> Result<u32, String> {
    if (min..=max).contains(&n) {
        Ok(n as u32)
    } else {
        Err(format!("{what} must be {}, got {n}", range_words(min, max)))
    }
}

/// A decimal integer in `min..=max`, as written in an HAProxy word.
pub(super) fn int(s: &str, what: &str, min: i64, max: i64) -> Result<u32, String> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} expects an integer, got '{s}'"));
    }
    match s.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n as u32),
        _ => Err(format!("{what} must be {}, got {s}", range_words(min, max))),
    }
}

/// An HTTP header name: a non-empty RFC 9110 token.
pub(super) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `127.0.0.0/8`, `::1/128`, `10.0.0.0/255.0.0.0`, or a plain address (a /32 or /128).
pub(super) fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("'{s}' is not a network (e.g. 127.0.0.0/8 or ::1/128)"))?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => {
            if let Ok(n) = p.parse::<u8>() {
                if n > max {
                    return Err(format!("'{s}' has a prefix longer than {max} bits"));
                }
                n
            } else if let (true, Ok(mask)) = (addr.is_ipv4(), p.parse::<Ipv4Addr>()) {
                let m = u32::from(mask);
                if m.leading_ones() + m.trailing_zeros() != 32 {
                    return Err(format!("'{s}' has a non-contiguous netmask"));
                }
                m.leading_ones() as u8
            } else {
                return Err(format!("'{s}' has a bad prefix length '{p}'"));
            }
        }
    };
    Ok(IpNet { addr, prefix })
}

/// `balance hdr(<name>)`, given what follows `hdr(`.
pub(super) fn balance_hdr(arg: &str) -> Result<(Balance, Option<String>), String> {
    let Some(name) = arg.strip_suffix(')') else {
        return Err(format!("'hdr({arg}' is missing its closing ')'"));
    };
    if name.is_empty() {
        return Err("'hdr()' requires an http header field name, e.g. hdr(Host)".into());
    }
    if !is_token(name) {
        return Err(format!(
            "'hdr({name})': '{name}' is not a valid header name"
        ));
    }
    Ok((Balance::Hdr, Some(name.to_ascii_lowercase())))
}

/// A `log` target: `stdout`, `stderr`, `fd@N`, a UNIX datagram socket (`/dev/log`,
/// `unix@path`), or a UDP address (`127.0.0.1`, `127.0.0.1:5514`, `[::1]:514`, `udp@…`,
/// `ipv4@…`). HAProxy's other kinds (stream sockets, rings, abstract sockets) are refused.
pub(super) fn log_addr(s: &str) -> Result<LogAddr, String> {
    match s {
        "stdout" => return Ok(LogAddr::Fd(1)),
        "stderr" => return Ok(LogAddr::Fd(2)),
        _ => {}
    }
    if let Some(n) = s.strip_prefix("fd@") {
        return match n.parse::<i32>() {
            Ok(fd) if fd >= 0 && !n.starts_with('+') => Ok(LogAddr::Fd(fd)),
            _ => Err(format!(
                "file descriptor '{n}' is not a valid integer in '{s}'"
            )),
        };
    }
    if s.starts_with('/') {
        return Ok(LogAddr::Unix(s.into()));
    }
    if let Some(path) = s.strip_prefix("unix@") {
        return Ok(LogAddr::Unix(path.into()));
    }
    let unsupported = ["abns@", "ring@", "tcp@", "tcp4@", "tcp6@", "sockpair@"];
    if unsupported.iter().any(|p| s.starts_with(p)) {
        return Err(format!(
            "'{s}': lbtop sends logs to stdout, stderr, fd@N, a UNIX datagram socket or a \
             UDP address, not to a stream socket, a ring or an abstract socket"
        ));
    }
    let (rest, family) = strip_family(s, &["udp@", "udp4@", "ipv4@", "udp6@", "ipv6@"]);
    let addr =
        host_port(rest, Some(LogTarget::DEFAULT_PORT), false).map_err(|e| format!("'{s}' {e}"))?;
    check_family(s, addr, family).map(LogAddr::Udp)
}

/// `stats socket ... mode 600`: an octal permission mode.
pub(super) fn octal_mode(s: &str) -> Result<u32, String> {
    match u32::from_str_radix(s, 8) {
        Ok(m) if !s.is_empty() && s.len() <= 5 && m <= 0o7777 && !s.starts_with('+') => Ok(m),
        _ => Err(format!(
            "'{s}' is not an octal permission mode (e.g. 600 or 0660)"
        )),
    }
}

/// Which IP version an `ipv4@`-style prefix asks for.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Family {
    Any,
    V4,
    V6,
}

/// `s` without the first of `prefixes` it starts with, and the family that prefix names.
pub(super) fn strip_family<'a>(s: &'a str, prefixes: &[&str]) -> (&'a str, Family) {
    for p in prefixes {
        if let Some(rest) = s.strip_prefix(p) {
            let family = if p.contains('4') {
                Family::V4
            } else if p.contains('6') {
                Family::V6
            } else {
                Family::Any
            };
            return (rest, family);
        }
    }
    (s, Family::Any)
}

/// `addr` if it is of the `family` its prefix asked for (`ipv6@:80` is `[::]:80`).
pub(super) fn check_family(
    s: &str,
    addr: SocketAddr,
    family: Family,
) -> Result<SocketAddr, String> {
    match (family, addr.ip()) {
        (Family::V4, IpAddr::V6(_)) => Err(format!("'{s}': an IPv4 prefix on an IPv6 address")),
        (Family::V6, IpAddr::V4(v4)) if addr.ip().is_unspecified() && v4.is_unspecified() => Ok(
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), addr.port()),
        ),
        (Family::V6, IpAddr::V4(_)) => Err(format!("'{s}': an IPv6 prefix on an IPv4 address")),
        _ => Ok(addr),
    }
}

/// `host:port` the HAProxy way: the port follows the last colon (`::1:80` is `[::1]:80`);
/// brackets are allowed; `*` or nothing is "any IPv4" when `any` is allowed; without a port,
/// `default_port` if there is one. Names are not resolved.
pub(super) fn host_port(
    s: &str,
    default_port: Option<u16>,
    any: bool,
) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let (Some(port), Ok(ip)) = (default_port, s.trim_matches(['[', ']']).parse::<IpAddr>()) {
        if !s.contains("]:") {
            return Ok(SocketAddr::new(ip, port));
        }
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return match default_port {
            Some(_) => Err(bad_host(s)),
            None => Err("has no port (write ip:port)".into()),
        };
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip = match host {
        "" | "*" if any => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        _ => host.parse::<IpAddr>().map_err(|_| bad_host(host))?,
    };
    if port.is_empty() {
        return match default_port {
            Some(p) => Ok(SocketAddr::new(ip, p)),
            None => Err("has no port (write ip:port)".into()),
        };
    }
    if port.contains('-') || port.starts_with('+') {
        return Err(format!(
            "has a port range or offset '{port}', which lbtop does not support"
        ));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("has an invalid port '{port}' (0 to 65535)"))?;
    Ok(SocketAddr::new(ip, port))
}

/// `name:port` when the name is made of the letters, digits, `-`, `.` and `_` a host name
/// has, and the port is a number.
pub(super) fn host_name_port(s: &str) -> Option<(&str, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    let host_like = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    let port = port.parse::<u16>().ok()?;
    host_like.then_some((host, port))
}

/// The system resolver's first answer for `host` of `family`, as HAProxy's `libc` method
/// takes it (docs/haproxy-semantics.md §15).
pub(super) fn resolve_first(host: &str, port: u16, family: Family) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    let answers = (host, port).to_socket_addrs().ok()?;
    answers.into_iter().find(|a| match family {
        Family::Any => true,
        Family::V4 => a.is_ipv4(),
        Family::V6 => a.is_ipv6(),
    })
}

fn bad_host(host: &str) -> String {
    if host.is_empty() {
        "has no address (write ip:port)".into()
    } else {
        format!("is not an IP address: '{host}' (lbtop does not resolve host names)")
    }
}

// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("3000"), Ok(Duration::from_millis(3000)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("100us"), Ok(Duration::from_micros(100)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("-3s").is_err());
        assert!(parse_duration("99999999999999999999").is_err());
        assert!(parse_duration("18446744073709551615d").is_err());
    }
}
