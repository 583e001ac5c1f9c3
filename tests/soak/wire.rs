//! What the soak's origin and clients share: request ids as they appear on the wire, the exact
//! bodies, and a small HTTP/1 reader in which every read has a deadline.

use std::fmt;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt};

/// A request id on the wire: `Q`, nine digits, `Z`. A scan finds every id in any byte stream, and
/// no other text the soak sends (error pages, headers, fillers) can look like one.
pub fn token(id: u64) -> String {
    format!("Q{:09}Z", id % 1_000_000_000)
}

/// Every id in `bytes`, in order.
pub fn tokens(bytes: &[u8]) -> Vec<u64> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 11 <= bytes.len() {
        let digits = &bytes[i + 1..i + 10];
        if bytes[i] == b'Q' && bytes[i + 10] == b'Z' && digits.iter().all(u8::is_ascii_digit) {
            found.push(digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')));
            i += 11;
        } else {
            i += 1;
        }
    }
    found
}

/// The first id in `bytes` that is not one of `own`: a byte of someone else's exchange.
pub fn foreign(bytes: &[u8], own: &[u64]) -> Option<u64> {
    tokens(bytes).into_iter().find(|t| !own.contains(t))
}

/// FNV-1a: the origin's fingerprint of a request body, echoed in its answer.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `len` bytes of `id` repeated, each copy followed by `sep`.
fn filler(id: u64, sep: u8, len: usize) -> Vec<u8> {
    let mut out = token(id).into_bytes();
    out.push(sep);
    out.reserve(len);
    // Doubling copies: a 16 MiB body costs a few memcpy, not 16 million steps (the origin
    // builds it on a runtime thread that the clients share).
    while out.len() < len {
        out.extend_from_within(..out.len().min(len - out.len()));
    }
    out.truncate(len);
    out
}

/// The body the origin answers request `id` with: which request it answers, the size and
/// fingerprint of the body it received, then `size` bytes naming the request again.
pub fn answer_body(id: u64, size: usize, got: u64, sum: u64) -> Vec<u8> {
    let mut body = format!("{} got={got} sum={sum:016x}\n", token(id)).into_bytes();
    body.extend_from_slice(&filler(id, b';', size));
    body
}

/// A request body of `len` bytes for request `id`: its id, repeated.
pub fn upload(id: u64, len: usize) -> Vec<u8> {
    filler(id, b'-', len)
}

#[derive(Debug)]
pub enum WireError {
    Timeout,
    /// The peer closed before the message was whole.
    Closed,
    Io(std::io::ErrorKind),
    Malformed(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Timeout => write!(f, "no answer in time"),
            WireError::Closed => write!(f, "closed mid-message"),
            WireError::Io(kind) => write!(f, "i/o error {kind:?}"),
            WireError::Malformed(what) => write!(f, "malformed: {what}"),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A byte stream read with deadlines, keeping what it received (up to `raw_cap` bytes) for the
/// leak scan.
pub struct Reader<R> {
    pub io: R,
    buf: Vec<u8>,
    at: usize,
    pub raw: Vec<u8>,
    raw_cap: usize,
    /// Every byte received, kept or not.
    pub received: u64,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub fn new(io: R, raw_cap: usize) -> Reader<R> {
        Reader {
            io,
            buf: Vec::new(),
            at: 0,
            raw: Vec::new(),
            raw_cap,
            received: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    /// Reads once; `Ok(0)` is the end of the stream.
    pub async fn fill(&mut self, deadline: Instant) -> Result<usize, WireError> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
        } else if self.at > 64 * 1024 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        let read = tokio::time::timeout_at(deadline.into(), self.io.read(&mut chunk)).await;
        let n = match read {
            Err(_) => return Err(WireError::Timeout),
            Ok(Err(e)) => return Err(WireError::Io(e.kind())),
            Ok(Ok(n)) => n,
        };
        self.buf.extend_from_slice(&chunk[..n]);
        self.received += n as u64;
        let keep = n.min(self.raw_cap.saturating_sub(self.raw.len()));
        self.raw.extend_from_slice(&chunk[..keep]);
        Ok(n)
    }

    async fn more(&mut self, deadline: Instant) -> Result<(), WireError> {
        match self.fill(deadline).await? {
            0 => Err(WireError::Closed),
            _ => Ok(()),
        }
    }

    /// A head: the bytes up to and including the first empty line, at most `max`.
    pub async fn head(&mut self, deadline: Instant, max: usize) -> Result<Vec<u8>, WireError> {
        loop {
            if let Some(i) = find(self.pending(), b"\r\n\r\n") {
                let head = self.pending()[..i + 4].to_vec();
                self.at += i + 4;
                return Ok(head);
            }
            if self.pending().len() > max {
                return Err(WireError::Malformed(format!("a head over {max} bytes")));
            }
            self.more(deadline).await?;
        }
    }

    pub async fn exact(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, WireError> {
        while self.pending().len() < n {
            self.more(deadline).await?;
        }
        let out = self.pending()[..n].to_vec();
        self.at += n;
        Ok(out)
    }

    /// One line, without its CRLF.
    async fn line(&mut self, deadline: Instant) -> Result<Vec<u8>, WireError> {
        loop {
            if let Some(i) = find(self.pending(), b"\r\n") {
                let line = self.pending()[..i].to_vec();
                self.at += i + 2;
                return Ok(line);
            }
            if self.pending().len() > 4096 {
                return Err(WireError::Malformed("a chunk line over 4 KiB".into()));
            }
            self.more(deadline).await?;
        }
    }

    /// A chunked body, decoded; trailers are read and dropped.
    pub async fn chunked(&mut self, deadline: Instant) -> Result<Vec<u8>, WireError> {
        let mut body = Vec::new();
        loop {
            let line = self.line(deadline).await?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .filter(|&n| n <= 1 << 30)
                .ok_or_else(|| {
                    WireError::Malformed(format!("chunk size {:?}", String::from_utf8_lossy(&line)))
                })?;
            if size == 0 {
                // Trailers, if any, up to the empty line; bounded by the deadline and the line cap.
                while !self.line(deadline).await?.is_empty() {}
                return Ok(body);
            }
            body.extend_from_slice(&self.exact(size, deadline).await?);
            if self.exact(2, deadline).await? != b"\r\n" {
                return Err(WireError::Malformed("no CRLF after a chunk".into()));
            }
        }
    }

    /// Everything up to the end of the stream.
    pub async fn read_to_end(&mut self, deadline: Instant) -> Result<Vec<u8>, WireError> {
        while self.fill(deadline).await? > 0 {}
        let out = self.pending().to_vec();
        self.at = self.buf.len();
        Ok(out)
    }

    /// Reads and drops until the peer closes or resets: `Ok` with the time it did, or `Err` at
    /// `deadline` if it is still open.
    pub async fn until_closed(&mut self, deadline: Instant) -> Result<Instant, String> {
        loop {
            match self.fill(deadline).await {
                Ok(0) | Err(WireError::Io(_)) => return Ok(Instant::now()),
                Ok(_) => self.at = self.buf.len(),
                Err(WireError::Timeout) => return Err("still open".into()),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// A response as a client sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
    pub chunked: bool,
}

impl Reply {
    /// A header's value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The whole reply, for the leak scan.
    pub fn bytes(&self) -> Vec<u8> {
        let mut all = self.head.clone().into_bytes();
        all.extend_from_slice(&self.body);
        all
    }
}

/// Reads one response: a sized, chunked or read-to-close body.
pub async fn reply<R: AsyncRead + Unpin>(
    r: &mut Reader<R>,
    deadline: Instant,
) -> Result<Reply, WireError> {
    let head = r.head(deadline, 64 * 1024).await?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| WireError::Malformed(format!("status line {:?}", head.lines().next())))?;
    let mut reply = Reply {
        status,
        head,
        body: Vec::new(),
        chunked: false,
    };
    reply.chunked = reply
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = reply.header("content-length").map(str::parse::<usize>);
    reply.body = match length {
        _ if reply.chunked => r.chunked(deadline).await?,
        Some(Ok(n)) => r.exact(n, deadline).await?,
        Some(Err(_)) => return Err(WireError::Malformed("content-length".into())),
        None => r.read_to_end(deadline).await?,
    };
    Ok(reply)
}

#[test]
fn fillers_repeat_the_id() {
    let f = filler(7, b';', 30);
    assert_eq!(f, b"Q000000007Z;Q000000007Z;Q00000".to_vec());
    assert_eq!(tokens(&f), [7, 7]);
    assert!(filler(7, b'-', 0).is_empty());
    assert_eq!(filler(7, b'-', 5), b"Q0000".to_vec());
}
