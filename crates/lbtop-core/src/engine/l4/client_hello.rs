//! Reading a TLS ClientHello from the first bytes of a TCP connection, for `req.ssl_sni` (and
//! the ALPN list and version beside it) in TCP mode, without terminating TLS. It reads the
//! bytes as HAProxy 2.6's `req.ssl_sni` reads them (docs/haproxy-semantics.md §23.4): one
//! record header, then the handshake message taken from the bytes that follow, whatever
//! records they came in. Every length is checked against the bytes at hand: no input panics.

/// What the bytes buffered so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello {
    /// Could still become a ClientHello: wait for more bytes (or for `inspect-delay`).
    NeedMore,
    /// Not a TLS ClientHello HAProxy would read (`req.ssl_sni` has no value, and never will
    /// on this connection).
    NotTls,
    Complete(ClientHello),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// The first `host_name` of the `server_name` extension, as sent (bytes that are not
    /// UTF-8 are replaced, which no valid host name has).
    pub sni: Option<String>,
    /// The ALPN protocol names, in the client's order.
    pub alpn: Vec<Vec<u8>>,
    /// `client_version` of the hello (0x0303 for TLS 1.2 and for TLS 1.3, which says its real
    /// version in an extension).
    pub version: u16,
}

/// Record header (5) + handshake header (4) + the smallest hello with one extension.
const MIN_RECORD: usize = 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2;
const MIN_HELLO: usize = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2;

/// Reads what `buf` (the connection's first bytes) holds.
pub fn parse(buf: &[u8]) -> Hello {
    match parse_in(buf) {
        Ok(hello) => Hello::Complete(hello),
        Err(e) => e,
    }
}

fn parse_in(buf: &[u8]) -> Result<ClientHello, Hello> {
    use Hello::{NeedMore, NotTls};
    // The record: a handshake (22), SSLv3 or later, long enough to hold a hello with an
    // extension. Its length is not used further: HAProxy reads on across record boundaries.
    match buf {
        [] => return Err(NeedMore),
        [t, ..] if *t != 0x16 => return Err(NotTls),
        [_] | [_, _] => return Err(NeedMore),
        [_, major, ..] if *major < 3 => return Err(NotTls),
        [_, _, _] | [_, _, _, _] => return Err(NeedMore),
        _ => {}
    }
    if (be16(&buf[3..5]) as usize) < MIN_RECORD {
        return Err(NotTls);
    }
    let hs = &buf[5..];
    match hs.first() {
        None => return Err(NeedMore),
        Some(&t) if t != 0x01 => return Err(NotTls),
        _ => {}
    }
    if hs.len() < 4 {
        return Err(NeedMore);
    }
    let len = be24(&hs[1..4]);
    if len < MIN_HELLO {
        return Err(NotTls);
    }
    // The whole message. (HAProxy compares the length with the bytes after the record header,
    // four short of the message; lbtop waits for those four too: docs §23.4.)
    let body = hs.get(4..4 + len).ok_or(NeedMore)?;
    hello(body).ok_or(NotTls)
}

/// The ClientHello body, checked field by field as HAProxy checks it.
fn hello(body: &[u8]) -> Option<ClientHello> {
    let version = be16(body.get(..2)?);
    // TLS 1.0 or later: major 3 or more and minor 1 or more.
    if body[0] < 3 || body[1] < 1 {
        return None;
    }
    let session = *body.get(34)? as usize;
    if session > 32 {
        return None;
    }
    let rest = body.get(35 + session..)?;
    let ciphers = be16(rest.get(..2)?) as usize;
    if rest.len() < 4 || ciphers < 2 || ciphers > rest.len() {
        return None;
    }
    let rest = rest.get(2 + ciphers..)?;
    let methods = *rest.first()? as usize;
    if rest.len() < 2 || methods < 1 || methods > rest.len() {
        return None;
    }
    let rest = rest.get(1 + methods..)?;
    let list = be16(rest.get(..2)?) as usize;
    let extensions = rest.get(2..2 + list)?;
    Some(ClientHello {
        sni: sni(extensions)?,
        alpn: alpn(extensions),
        version,
    })
}

/// Walks the extensions as HAProxy's `req.ssl_sni` does: the first `server_name` entry of
/// type `host_name` is the name; an extension longer than what is left makes the whole hello
/// unreadable (`None`); no such entry is `Some(None)`.
fn sni(mut exts: &[u8]) -> Option<Option<String>> {
    while exts.len() >= 4 {
        let (kind, len) = (be16(&exts[..2]), be16(&exts[2..4]) as usize);
        if len > exts.len() - 4 {
            return None;
        }
        if kind == 0 {
            if len < 2 {
                return None;
            }
            // The server name list: its length, then type (0: host_name) and a name.
            let names = be16(exts.get(4..6)?) as usize;
            if names < 4 || names > exts.len() - 6 {
                return None;
            }
            if *exts.get(6)? == 0 {
                let n = be16(exts.get(7..9)?) as usize;
                let name = exts.get(9..9 + n)?;
                return Some(Some(String::from_utf8_lossy(name).into_owned()));
            }
        }
        exts = &exts[4 + len..];
    }
    Some(None)
}

/// The ALPN names (extension 16), as `req.ssl_alpn` walks them; empty when there are none or
/// the extensions before it do not hold together.
fn alpn(mut exts: &[u8]) -> Vec<Vec<u8>> {
    while exts.len() >= 4 {
        let (kind, len) = (be16(&exts[..2]), be16(&exts[2..4]) as usize);
        if len > exts.len() - 4 {
            return Vec::new();
        }
        if kind == 16 {
            return alpn_names(&exts[4..4 + len]);
        }
        exts = &exts[4 + len..];
    }
    Vec::new()
}

/// `data` is the extension's body: a list length, then length-prefixed names. Names are
/// taken while they fit.
fn alpn_names(data: &[u8]) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    let mut at = 2;
    while let Some(&n) = data.get(at) {
        match data.get(at + 1..at + 1 + n as usize) {
            Some(name) => names.push(name.to_vec()),
            None => break,
        }
        at += 1 + n as usize;
    }
    names
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be24(b: &[u8]) -> usize {
    (b[0] as usize) << 16 | (b[1] as usize) << 8 | b[2] as usize
}

#[cfg(test)]
#[path = "client_hello_tests.rs"]
mod tests;
