//! Reading HTTP/1 off a raw socket in tests, strictly and never for ever: every read gives up
//! after 10 s, so a test that waits for bytes that never come fails instead of hanging.

use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const PATIENCE: Duration = Duration::from_secs(10);

/// Reads what comes; 0 is a close, or nothing in time.
pub async fn read_some(s: &mut TcpStream, buf: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 16384];
    let read = tokio::time::timeout(PATIENCE, s.read(&mut chunk));
    let n = read.await.map_or(0, |r| r.unwrap_or(0));
    buf.extend_from_slice(&chunk[..n]);
    n
}

/// Reads until `buf` holds `end`; returns the length up to and including it.
pub async fn read_until(s: &mut TcpStream, buf: &mut Vec<u8>, end: &[u8]) -> Option<usize> {
    loop {
        if let Some(at) = buf.windows(end.len()).position(|w| w == end) {
            return Some(at + end.len());
        }
        if read_some(s, buf).await == 0 {
            return None;
        }
    }
}

/// Reads a chunked body (after its head) and returns its data; `None` if it breaks off or is
/// not chunked as RFC 9112 says (extensions are skipped, trailers read to the empty line).
pub async fn read_chunked(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = read_until(s, buf, b"\r\n").await?;
        let line = String::from_utf8_lossy(&buf[..end - 2]).into_owned();
        let size = usize::from_str_radix(line.split(';').next()?, 16).ok()?;
        buf.drain(..end);
        if size == 0 {
            loop {
                let end = read_until(s, buf, b"\r\n").await?;
                buf.drain(..end);
                if end == 2 {
                    return Some(body);
                }
            }
        }
        while buf.len() < size + 2 {
            if read_some(s, buf).await == 0 {
                return None;
            }
        }
        body.extend(buf.drain(..size));
        buf.drain(..2);
    }
}

/// Everything until the other side closes.
pub async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(PATIENCE, s.read_to_end(&mut out));
    read.await.expect("closed within 10 s").unwrap();
    out
}

/// The data of a chunked body (`<size>\r\n<data>\r\n` up to the last chunk); it stops at
/// anything it cannot read rather than fail, so a test compares what it did get.
pub fn unchunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end]).unwrap_or("");
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let data = &rest[end + 2..];
        if n == 0 || data.len() < n {
            break;
        }
        out.extend_from_slice(&data[..n]);
        rest = data[n..].strip_prefix(b"\r\n").unwrap_or(&data[n..]);
    }
    out
}

/// [`unchunk`] for a text body.
pub fn unchunk_text(body: &str) -> String {
    String::from_utf8_lossy(&unchunk(body.as_bytes())).into_owned()
}
