//! The headers lbtop writes to `send-proxy` (v1) and `send-proxy-v2` servers, byte for byte
//! as HAProxy 2.6 writes them (no TLVs).

use super::{Addrs, V2_SIG};
use std::net::{IpAddr, SocketAddr};

/// `PROXY TCP4 src dst sport dport\r\n`; `TCP6` when either side is IPv6 (an IPv4 address
/// then written IPv4-mapped); `PROXY UNKNOWN\r\n` without addresses.
pub fn v1(addrs: Option<Addrs>) -> Vec<u8> {
    let Some(Addrs { src, dst }) = addrs else {
        return b"PROXY UNKNOWN\r\n".to_vec();
    };
    let line = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => format!("PROXY TCP4 {s} {d}"),
        (s, d) => format!("PROXY TCP6 {} {}", mapped(s), mapped(d)),
    };
    format!("{line} {} {}\r\n", src.port(), dst.port()).into_bytes()
}

/// The binary header: `PROXY` over TCP4 or TCP6 with the addresses, or `LOCAL` without.
pub fn v2(addrs: Option<Addrs>) -> Vec<u8> {
    let mut out = V2_SIG.to_vec();
    let Some(Addrs { src, dst }) = addrs else {
        out.extend_from_slice(&[0x20, 0x00, 0x00, 0x00]);
        return out;
    };
    let port = |a: SocketAddr| a.port().to_be_bytes();
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.extend_from_slice(&[0x21, 0x11, 0x00, 12]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (s, d) => {
            out.extend_from_slice(&[0x21, 0x21, 0x00, 36]);
            out.extend_from_slice(&mapped(s).octets());
            out.extend_from_slice(&mapped(d).octets());
        }
    }
    out.extend_from_slice(&port(src));
    out.extend_from_slice(&port(dst));
    out
}

fn mapped(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}
