//! The client side of a case: writes the case's bytes to a proxy, ends the way the case says,
//! reads everything back with bounded waits, and parses what came back into responses.

use super::generate::{Case, Ending, PROBE};
use super::hostile::Flow;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How the connection ended, seen from the client after its last write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The proxy closed within 300 ms of the client's last write.
    Prompt,
    /// The proxy closed later (a timeout fired).
    Later,
    /// Still open at the deadline.
    Hang,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resp {
    /// The status token as sent (`200`, `2000`, `099`).
    pub status: String,
    /// The origin's `x-req` tag; None for a response the proxy made up.
    pub tag: Option<String>,
    /// `cl`, `chunked`, `close` (delimited by close) or `none` (no body by status or HEAD).
    pub framing: String,
    pub body: Vec<u8>,
    /// The body was cut short (fewer bytes than announced, or a broken chunk).
    pub truncated: bool,
    /// Header lines other than framing, names lower-cased, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// `Connection` tokens, lower-cased.
    pub connection: Vec<String>,
    /// Bytes after a 101 or a tunnel-opening 2xx.
    pub tunnel: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct Observation {
    pub responses: Vec<Resp>,
    /// Bytes that do not parse as a response.
    pub garbage: Option<Vec<u8>>,
    pub end: End,
    pub raw: Vec<u8>,
}

struct Conn {
    stream: TcpStream,
    got: Vec<u8>,
    eof: bool,
}

impl Conn {
    fn write(&mut self, bytes: &[u8]) {
        // The proxy may already have closed; what it sent is what counts.
        let _ = self.stream.write_all(bytes);
    }

    /// Reads until EOF or `deadline`.
    fn read_to_end(&mut self, deadline: Instant) {
        self.read_until(deadline, None, false);
    }

    /// Reads until EOF, `deadline`, or no byte for `quiet` — counted from now, or when
    /// `after_first`, from the first byte on.
    fn read_until(&mut self, deadline: Instant, quiet: Option<Duration>, after_first: bool) {
        let mut buf = [0u8; 65536];
        let mut seen = !after_first;
        while !self.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let wait = match quiet {
                Some(q) if seen => q.min(left),
                _ => left,
            };
            let _ = self
                .stream
                .set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            match self.stream.read(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.got.extend_from_slice(&buf[..n]);
                    seen = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    if quiet.is_some() && seen {
                        return;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.eof = true,
            }
        }
    }
}

fn connect(addr: SocketAddr) -> Option<Conn> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    Some(Conn {
        stream,
        got: Vec::new(),
        eof: false,
    })
}

/// Runs the client side of `case` against `addr`.
pub fn drive(addr: SocketAddr, case: &Case) -> Observation {
    let Some(mut c) = connect(addr) else {
        return Observation {
            responses: Vec::new(),
            garbage: Some(b"<connect failed>".to_vec()),
            end: End::Prompt,
            raw: Vec::new(),
        };
    };
    let last_write;
    // A second client's bytes (hostile flow with two clients).
    let mut other: Option<Vec<u8>> = None;
    if let Some(plan) = &case.hostile {
        let id = case.id;
        let r2 = format!("GET /c{id}r2 HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n");
        let quiet = Some(Duration::from_millis(350));
        let first_wait = Instant::now() + Duration::from_millis(1500);
        match plan.flow {
            Flow::Gets | Flow::Head | Flow::Upgrade | Flow::Post => {
                let r1 = match plan.flow {
                    Flow::Head => format!("HEAD /c{id}r1 HTTP/1.1\r\nhost: h\r\n\r\n"),
                    Flow::Upgrade => format!("GET /c{id}r1 HTTP/1.1\r\nhost: h\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"),
                    Flow::Post => format!("POST /c{id}r1 HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\nhello"),
                    _ => format!("GET /c{id}r1 HTTP/1.1\r\nhost: h\r\n\r\n"),
                };
                c.write(r1.as_bytes());
                c.read_until(first_wait, quiet, true);
                if !c.eof {
                    c.write(r2.as_bytes());
                }
            }
            Flow::TwoClients => {
                c.write(format!("GET /c{id}r1 HTTP/1.1\r\nhost: h\r\n\r\n").as_bytes());
                c.read_until(first_wait, quiet, true);
                if let Some(mut b) = connect(addr) {
                    b.write(format!("GET /c{id}b1 HTTP/1.1\r\nhost: h\r\n\r\n").as_bytes());
                    b.read_until(Instant::now() + Duration::from_millis(1500), quiet, true);
                    if !b.eof {
                        b.write(
                            format!(
                                "GET /c{id}b2 HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"
                            )
                            .as_bytes(),
                        );
                    }
                    b.read_to_end(Instant::now() + Duration::from_millis(2500));
                    other = Some(b.got);
                }
                if !c.eof {
                    c.write(r2.as_bytes());
                }
            }
            Flow::EarlyPost => {
                c.write(
                    format!("POST /c{id}r1 HTTP/1.1\r\nhost: h\r\ncontent-length: 10\r\n\r\nabc")
                        .as_bytes(),
                );
                c.read_until(first_wait, quiet, true);
                if !c.eof {
                    let mut rest = b"defghij".to_vec();
                    rest.extend_from_slice(r2.as_bytes());
                    c.write(&rest);
                }
            }
        }
        last_write = Instant::now();
        c.read_to_end(last_write + Duration::from_millis(2500));
    } else {
        for (i, w) in case.writes.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(15));
            }
            c.write(w);
        }
        let settle = Some(Duration::from_millis(150));
        match case.ending {
            Ending::QuietClose => {
                c.read_until(Instant::now() + Duration::from_millis(1500), settle, false);
                let _ = c.stream.shutdown(Shutdown::Write);
                last_write = Instant::now();
                c.read_to_end(last_write + Duration::from_millis(2500));
            }
            Ending::FinNow => {
                let _ = c.stream.shutdown(Shutdown::Write);
                last_write = Instant::now();
                c.read_to_end(last_write + Duration::from_millis(2500));
            }
            Ending::Wait => {
                last_write = Instant::now();
                c.read_to_end(last_write + Duration::from_millis(2200));
            }
            Ending::Probe => {
                c.read_until(Instant::now() + Duration::from_millis(1500), settle, false);
                if !c.eof {
                    // Nothing at all within the wait also ends here: then probe anyway.
                    c.write(PROBE);
                }
                last_write = Instant::now();
                c.read_to_end(last_write + Duration::from_millis(2200));
            }
        }
    }
    let end = if !c.eof {
        End::Hang
    } else if last_write.elapsed() < Duration::from_millis(300) {
        End::Prompt
    } else {
        End::Later
    };
    let head_first = case.hostile.as_ref().is_some_and(|p| p.flow == Flow::Head);
    let (mut responses, mut garbage) = parse_responses(&c.got, head_first);
    let mut raw = c.got;
    if let Some(b) = other {
        // The second client's answers follow the first client's.
        let (more, junk) = parse_responses(&b, false);
        responses.extend(more);
        garbage = garbage.or(junk);
        raw.extend_from_slice(b"\n<second client>\n");
        raw.extend_from_slice(&b);
    }
    Observation {
        responses,
        garbage,
        end,
        raw,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits a byte stream from a proxy into responses; what does not parse is garbage.
/// `head_first`: the first request was a HEAD, so the first final response has no body.
pub fn parse_responses(raw: &[u8], head_first: bool) -> (Vec<Resp>, Option<Vec<u8>>) {
    let mut out: Vec<Resp> = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let rest = &raw[pos..];
        let Some(end) = find(rest, b"\r\n\r\n") else {
            return (out, Some(rest.to_vec()));
        };
        let head = &rest[..end];
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let status_line = lines.next().unwrap_or_default();
        if !status_line.starts_with(b"HTTP/")
            || head.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r')
        {
            return (out, Some(rest.to_vec()));
        }
        let status = status_line
            .split(|&b| b == b' ')
            .nth(1)
            .map(|s| String::from_utf8_lossy(s).to_string())
            .unwrap_or_default();
        let mut headers = Vec::new();
        let mut connection = Vec::new();
        let mut tag = None;
        let mut cl: Option<usize> = None;
        let mut te = Vec::new();
        let mut head_only = false;
        let mut tunnel = false;
        for line in lines {
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return (out, Some(rest.to_vec()));
            };
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            let value = line[colon + 1..].trim_ascii().to_vec();
            let text = String::from_utf8_lossy(&value).to_string();
            match name.as_str() {
                "x-req" => tag = Some(text),
                "x-head" => head_only = true,
                "x-tunnel" => tunnel = true,
                "connection" => connection.extend(
                    text.split(',')
                        .map(|t| t.trim().to_ascii_lowercase())
                        .filter(|t| !t.is_empty()),
                ),
                "content-length" => cl = text.trim().parse().ok(),
                "transfer-encoding" => te.push(text.to_ascii_lowercase()),
                _ => headers.push((name, value)),
            }
        }
        let body_at = pos + end + 4;
        let mut resp = Resp {
            status: status.clone(),
            tag,
            framing: String::new(),
            body: Vec::new(),
            truncated: false,
            headers,
            connection,
            tunnel: None,
        };
        let informational = status.len() == 3 && status.starts_with('1');
        // An error page made up by the proxy for a HEAD request has no body; the client does
        // not track which request was a HEAD, but a made-up page never starts like a response
        // (nor is it missing entirely).
        let bodiless_error =
            resp.tag.is_none() && (raw[body_at..].starts_with(b"HTTP/1.") || raw.len() == body_at);
        if (tunnel && status.starts_with('2')) || status == "101" {
            resp.framing = "tunnel".into();
            resp.tunnel = Some(raw[body_at..].to_vec());
            out.push(resp);
            return (out, None);
        }
        let answers_head = head_first
            && !informational
            && !out
                .iter()
                .any(|r| !(r.status.len() == 3 && r.status.starts_with('1')));
        if informational
            || status == "204"
            || status == "304"
            || head_only
            || bodiless_error
            || answers_head
        {
            resp.framing = "none".into();
            pos = body_at;
        } else if !te.is_empty() {
            resp.framing = format!("te:{}", te.join(","));
            match dechunk(&raw[body_at..]) {
                Some((body, used)) => {
                    resp.body = body;
                    pos = body_at + used;
                }
                None => {
                    resp.body = raw[body_at..].to_vec();
                    resp.truncated = true;
                    pos = raw.len();
                }
            }
        } else if let Some(n) = cl {
            resp.framing = "cl".into();
            let avail = raw.len() - body_at;
            resp.body = raw[body_at..body_at + n.min(avail)].to_vec();
            resp.truncated = avail < n;
            pos = body_at + n.min(avail);
        } else {
            resp.framing = "close".into();
            resp.body = raw[body_at..].to_vec();
            pos = raw.len();
        }
        out.push(resp);
    }
    (out, None)
}

/// Decodes a chunked body; None if it is cut short or malformed.
fn dechunk(raw: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut pos = 0;
    let mut body = Vec::new();
    loop {
        let eol = find(&raw[pos..], b"\r\n")?;
        let line = &raw[pos..pos + eol];
        let hex: Vec<u8> = line
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .copied()
            .collect();
        let size = usize::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?;
        pos += eol + 2;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let eol = find(&raw[pos..], b"\r\n")?;
                pos += eol + 2;
                if eol == 0 {
                    return Some((body, pos));
                }
            }
        }
        if raw.len() < pos + size + 2 {
            return None;
        }
        body.extend_from_slice(&raw[pos..pos + size]);
        pos += size;
        if &raw[pos..pos + 2] != b"\r\n" {
            return None;
        }
        pos += 2;
    }
}
