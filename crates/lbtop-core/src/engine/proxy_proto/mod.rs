//! The PROXY protocol, v1 (text) and v2 (binary): the header a client sends first on an
//! `accept-proxy` bind, read as HAProxy 2.6 reads it, and the one written to `send-proxy` and
//! `send-proxy-v2` servers (docs/haproxy-semantics.md §17).
//!
//! [`parse`] sees only the bytes that arrived with the first read, as HAProxy does: a header
//! cut short there is refused as truncated, never waited for. Every byte is hostile input.

#[cfg(test)]
mod tests;
mod write;

pub use write::{v1, v2};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The v2 signature.
pub const V2_SIG: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// The most HAProxy looks at for a header (its buffer size): a longer one is truncated.
pub const MAX_HEADER: usize = 16_384;

/// Where a connection comes from and where it was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addrs {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

/// What a valid header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// The client's addresses, to use instead of the connection's own.
    Proxied(Addrs),
    /// v1 `UNKNOWN` or v2 `LOCAL`: the connection's own addresses stay.
    Local,
}

/// Why a header was refused, in HAProxy's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The first bytes end before the header does.
    Truncated,
    /// Neither `PROXY ` nor the v2 signature.
    NotHeader,
    /// A malformed header.
    Invalid,
    /// v1 with a protocol other than TCP4, TCP6 or UNKNOWN.
    BadProto,
}

impl Error {
    pub fn message(self) -> &'static str {
        match self {
            Error::Truncated => "Truncated PROXY protocol header received",
            Error::NotHeader => {
                "Received something which does not look like a PROXY protocol header"
            }
            Error::Invalid => "Received an invalid PROXY protocol header",
            Error::BadProto => "Received an unhandled protocol in the PROXY protocol header",
        }
    }
}

/// Reads a header from the first bytes a client sent: what it says and its length.
pub fn parse(b: &[u8]) -> Result<(Header, usize), Error> {
    if b.len() < 6 {
        return Err(Error::Truncated);
    }
    match b.strip_prefix(b"PROXY ") {
        Some(line) => parse_v1(line).map(|(h, n)| (h, n + 6)),
        None => parse_v2(b),
    }
}

fn parse_v1(line: &[u8]) -> Result<(Header, usize), Error> {
    if line.len() < 3 {
        return Err(Error::Truncated);
    }
    let unknown = b"UNKNOWN\r\n";
    if let Some(rest) = line.strip_prefix(b"TCP4 ") {
        tcp4(rest).map(|(a, n)| (Header::Proxied(a), n + 5))
    } else if let Some(rest) = line.strip_prefix(b"TCP6 ") {
        tcp6(rest).map(|(a, n)| (Header::Proxied(a), n + 5))
    } else if line.starts_with(unknown) {
        Ok((Header::Local, unknown.len()))
    } else if [&b"TCP4 "[..], b"TCP6 ", unknown]
        .iter()
        .any(|p| p.starts_with(line))
    {
        Err(Error::Truncated)
    } else {
        Err(Error::BadProto)
    }
}

/// `a.b.c.d a.b.c.d sport dport\r\n`, each field ended by the byte HAProxy expects there.
fn tcp4(b: &[u8]) -> Result<(Addrs, usize), Error> {
    let mut at = 0;
    let mut field = |allowed: fn(u8) -> bool, end: &[u8]| -> Result<&[u8], Error> {
        let start = at;
        while at < b.len() && allowed(b[at]) {
            at += 1;
        }
        let rest = &b[at..];
        if rest.len() < end.len() {
            return Err(Error::Truncated);
        }
        if !rest.starts_with(end) {
            return Err(Error::Invalid);
        }
        at += end.len();
        Ok(&b[start..at - end.len()])
    };
    let ip = |c: u8| c.is_ascii_digit() || c == b'.';
    let digit = |c: u8| c.is_ascii_digit();
    let src = field(ip, b" ")?;
    let dst = field(ip, b" ")?;
    let sport = field(digit, b" ")?;
    let dport = field(digit, b"\r\n")?;
    let v4 = |s: &[u8]| {
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.parse::<Ipv4Addr>().ok())
            .ok_or(Error::Invalid)
    };
    let addrs = Addrs {
        src: SocketAddr::new(IpAddr::V4(v4(src)?), port(sport)?),
        dst: SocketAddr::new(IpAddr::V4(v4(dst)?), port(dport)?),
    };
    Ok((addrs, at))
}

/// `src dst sport dport\r\n` split at spaces; anything after a fifth space is ignored, as
/// HAProxy ignores it.
fn tcp6(b: &[u8]) -> Result<(Addrs, usize), Error> {
    // The line ends at a CR that has a byte after it.
    let cr = b.iter().position(|&c| c == b'\r');
    let Some(cr) = cr.filter(|&i| i + 1 < b.len()) else {
        return Err(Error::Truncated);
    };
    if b[cr + 1] != b'\n' {
        return Err(Error::Invalid);
    }
    let mut fields = b[..cr].split(|&c| c == b' ');
    let mut next = || fields.next().ok_or(Error::Invalid);
    let (src, dst, sport, dport) = (next()?, next()?, next()?, next()?);
    let v6 = |s: &[u8]| {
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.parse::<Ipv6Addr>().ok())
            .ok_or(Error::Invalid)
    };
    let addrs = Addrs {
        src: SocketAddr::new(IpAddr::V6(v6(src)?), port(sport)?),
        dst: SocketAddr::new(IpAddr::V6(v6(dst)?), port(dport)?),
    };
    Ok((addrs, cr + 2))
}

/// Decimal digits for 0..=65535 (HAProxy 2.6 takes port 0, measured).
fn port(s: &[u8]) -> Result<u16, Error> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(Error::Invalid);
    }
    let n = s.iter().fold(0u32, |n, &d| {
        n.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    u16::try_from(n).map_err(|_| Error::Invalid)
}

const V2_HEAD: usize = 16;
const TLV_CRC32C: u8 = 0x03;
const TLV_AUTHORITY: u8 = 0x02;
const TLV_UNIQUE_ID: u8 = 0x05;

fn parse_v2(b: &[u8]) -> Result<(Header, usize), Error> {
    if b.len() < V2_HEAD {
        return Err(Error::Truncated);
    }
    if b[..12] != V2_SIG || b[12] & 0xf0 != 0x20 {
        return Err(Error::NotHeader);
    }
    let len = usize::from(u16::from_be_bytes([b[14], b[15]]));
    let total = V2_HEAD + len;
    if b.len() < total {
        return Err(Error::Truncated);
    }
    let h = &b[..total];
    match h[12] & 0x0f {
        0x00 => Ok((Header::Local, total)),
        0x01 => {
            let (header, tlvs) = match h[13] {
                0x11 if len >= 12 => (Header::Proxied(v2_inet4(&h[16..28])), 28),
                0x21 if len >= 36 => (Header::Proxied(v2_inet6(&h[16..52])), 52),
                0x11 | 0x21 => return Err(Error::Invalid),
                // Another family: HAProxy 2.6 reads TLVs from the header's very first byte
                // (measured: UDP and unspecified families are refused as invalid), and would
                // keep the connection's own addresses.
                _ => (Header::Local, 0),
            };
            check_tlvs(h, tlvs)?;
            Ok((header, total))
        }
        _ => Err(Error::Invalid),
    }
}

fn v2_inet4(a: &[u8]) -> Addrs {
    let ip = |i: usize| Ipv4Addr::new(a[i], a[i + 1], a[i + 2], a[i + 3]);
    let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
    Addrs {
        src: SocketAddr::new(IpAddr::V4(ip(0)), port(8)),
        dst: SocketAddr::new(IpAddr::V4(ip(4)), port(10)),
    }
}

fn v2_inet6(a: &[u8]) -> Addrs {
    let ip = |i: usize| {
        let mut o = [0u8; 16];
        o.copy_from_slice(&a[i..i + 16]);
        Ipv6Addr::from(o)
    };
    let port = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
    Addrs {
        src: SocketAddr::new(IpAddr::V6(ip(0)), port(32)),
        dst: SocketAddr::new(IpAddr::V6(ip(16)), port(34)),
    }
}

/// The TLVs after the addresses must tile the rest of the header exactly; a CRC32C must
/// match, an authority fit in 255 bytes and a unique id in 128, as HAProxy checks them.
fn check_tlvs(h: &[u8], mut at: usize) -> Result<(), Error> {
    while at < h.len() {
        let Some(tlv) = h.get(at..at + 3) else {
            return Err(Error::Invalid);
        };
        let len = usize::from(u16::from_be_bytes([tlv[1], tlv[2]]));
        let value = at + 3..at + 3 + len;
        if value.end > h.len() {
            return Err(Error::Invalid);
        }
        let ok = match tlv[0] {
            TLV_CRC32C => len == 4 && crc_matches(h, value.start),
            TLV_AUTHORITY => len <= 255,
            TLV_UNIQUE_ID => len <= 128,
            _ => true,
        };
        if !ok {
            return Err(Error::Invalid);
        }
        at = value.end;
    }
    Ok(())
}

/// The header's CRC32C, computed with its own four bytes at `at` taken as zero.
fn crc_matches(h: &[u8], at: usize) -> bool {
    let sent = u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
    let mut crc = !0u32;
    for (i, &byte) in h.iter().enumerate() {
        let byte = if (at..at + 4).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82f6_3b78 & (crc & 1).wrapping_neg());
        }
    }
    !crc == sent
}
