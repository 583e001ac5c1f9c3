//! The recording origin: raw TCP on 127.0.0.1, its own strict HTTP/1.1 request parser (no HTTP
//! library). It records every request a proxy forwards (method, target, version, headers with
//! lower-cased names, decoded body, chunk extensions, trailers), every byte stream it cannot
//! parse ("garbage"), requests left unfinished and tunnelled bytes; and answers each request
//! with a small response tagged `x-req: <n>` (n counts requests within the case).
//!
//! Case boundaries: [`Origin::begin_case`] and [`Origin::end_case`]; the latter shuts every
//! connection down, so no state crosses cases.

use super::hostile::{Act, Plan};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Which connection of the case (0-based, in accept order).
    pub conn: usize,
    pub method: Vec<u8>,
    pub target: Vec<u8>,
    pub version: Vec<u8>,
    /// Names lower-cased, values trimmed of SP/HTAB; in order.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub chunked: bool,
    pub chunk_exts: Vec<Vec<u8>>,
    pub trailers: Vec<(String, Vec<u8>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Request(Request),
    /// Bytes the strict parser refused, and why.
    Garbage {
        conn: usize,
        why: String,
        raw: Vec<u8>,
    },
    /// A request that had started but was not complete when its connection closed or the case
    /// ended.
    Incomplete {
        conn: usize,
        raw: Vec<u8>,
    },
    /// Bytes received after a 101 or a 2xx to CONNECT.
    Tunnel {
        conn: usize,
        bytes: Vec<u8>,
    },
}

#[derive(Clone, Debug)]
pub enum Mode {
    Normal,
    Hostile(Plan),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Partial,
    Tunnel,
}

struct State {
    generation: u64,
    mode: Mode,
    events: Vec<Event>,
    conns: Vec<TcpStream>,
    conn_count: usize,
    req_count: usize,
    pending: BTreeMap<usize, (PendingKind, Vec<u8>)>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

pub struct Origin {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Origin {
    pub fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind origin");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                generation: 0,
                mode: Mode::Normal,
                events: Vec::new(),
                conns: Vec::new(),
                conn_count: 0,
                req_count: 0,
                pending: BTreeMap::new(),
            }),
            stop: AtomicBool::new(false),
        });
        let keep = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if keep.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (gen, conn) = {
                    let mut st = keep.state.lock().unwrap();
                    let conn = st.conn_count;
                    st.conn_count += 1;
                    if let Ok(c) = stream.try_clone() {
                        st.conns.push(c);
                    }
                    (st.generation, conn)
                };
                let shared = keep.clone();
                std::thread::spawn(move || Handler::new(shared, stream, gen, conn).run());
            }
        });
        Origin { addr, shared }
    }

    pub fn begin_case(&self, mode: Mode) {
        let mut st = self.shared.state.lock().unwrap();
        st.generation += 1;
        st.mode = mode;
        st.events.clear();
        st.pending.clear();
        st.conn_count = 0;
        st.req_count = 0;
    }

    /// Everything recorded since [`begin_case`](Self::begin_case); closes every connection.
    pub fn end_case(&self) -> Vec<Event> {
        let mut st = self.shared.state.lock().unwrap();
        st.generation += 1;
        let mut events = std::mem::take(&mut st.events);
        for (conn, (kind, bytes)) in std::mem::take(&mut st.pending) {
            if bytes.is_empty() {
                continue;
            }
            events.push(match kind {
                PendingKind::Partial => Event::Incomplete { conn, raw: bytes },
                PendingKind::Tunnel => Event::Tunnel { conn, bytes },
            });
        }
        for c in st.conns.drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        events
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        let mut st = self.shared.state.lock().unwrap();
        for c in st.conns.drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

enum PErr {
    /// The connection ended (or stalled) cleanly between requests.
    Eof,
    /// The connection ended (or stalled) inside a request.
    Incomplete,
    Garbage(String),
}

type PResult<T> = Result<T, PErr>;

const MAX_HEAD: usize = 70_000;
const MAX_BODY: usize = 1 << 20;

struct Handler {
    shared: Arc<Shared>,
    stream: TcpStream,
    gen: u64,
    conn: usize,
    buf: Vec<u8>,
    pos: usize,
    /// Where the current request started in `buf`.
    start: usize,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Splits `name: value`, strictly.
fn header_line(line: &[u8]) -> PResult<(String, Vec<u8>)> {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Err(PErr::Garbage("obs-fold".into()));
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| PErr::Garbage("header-without-colon".into()))?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(PErr::Garbage("header-name".into()));
    }
    let value = trim_ows(&line[colon + 1..]);
    if value.contains(&b'\r') {
        return Err(PErr::Garbage("cr-in-value".into()));
    }
    Ok((
        String::from_utf8_lossy(name).to_ascii_lowercase(),
        value.to_vec(),
    ))
}

fn tokens(headers: &[(String, Vec<u8>)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .flat_map(|(_, v)| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

struct Head {
    method: Vec<u8>,
    target: Vec<u8>,
    version: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    framing: Framing,
}

#[derive(Clone, Copy)]
enum Framing {
    None,
    Length(usize),
    Chunked,
}

impl Handler {
    fn new(shared: Arc<Shared>, stream: TcpStream, gen: u64, conn: usize) -> Handler {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(4)));
        let _ = stream.set_nodelay(true);
        Handler {
            shared,
            stream,
            gen,
            conn,
            buf: Vec::new(),
            pos: 0,
            start: 0,
        }
    }

    /// Runs `f` on the state if this connection belongs to the current case.
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        let mut st = self.shared.state.lock().unwrap();
        (st.generation == self.gen).then(|| f(&mut st))
    }

    fn push(&self, event: Event) {
        self.with_state(|st| st.events.push(event));
    }

    fn set_pending(&self, kind: PendingKind, bytes: &[u8]) {
        let conn = self.conn;
        self.with_state(|st| {
            if bytes.is_empty() {
                st.pending.remove(&conn);
            } else {
                st.pending.insert(conn, (kind, bytes.to_vec()));
            }
        });
    }

    /// Reads more bytes; false at EOF, on a reset or a stall.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                let raw = self.buf[self.start..].to_vec();
                self.set_pending(PendingKind::Partial, &raw);
                true
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => self.fill(),
            Err(_) => false,
        }
    }

    fn ended(&self) -> PErr {
        if self.pos == self.start && self.buf.len() == self.start {
            PErr::Eof
        } else {
            PErr::Incomplete
        }
    }

    /// One line ending in CRLF (strict: a bare LF or CR is garbage).
    fn line(&mut self) -> PResult<Vec<u8>> {
        loop {
            if let Some(i) = self.buf[self.pos..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            {
                let at = self.pos + i;
                if self.buf[at] == b'\n' {
                    return Err(PErr::Garbage("bare-lf".into()));
                }
                if at + 1 >= self.buf.len() {
                    // CR at the end of what we have: need one more byte.
                    if !self.fill() {
                        return Err(self.ended());
                    }
                    continue;
                }
                if self.buf[at + 1] != b'\n' {
                    return Err(PErr::Garbage("bare-cr".into()));
                }
                let line = self.buf[self.pos..at].to_vec();
                self.pos = at + 2;
                return Ok(line);
            }
            if self.buf.len() - self.start > MAX_HEAD {
                return Err(PErr::Garbage("line-too-long".into()));
            }
            if !self.fill() {
                return Err(self.ended());
            }
        }
    }

    fn take(&mut self, n: usize) -> PResult<Vec<u8>> {
        while self.buf.len() - self.pos < n {
            if !self.fill() {
                return Err(PErr::Incomplete);
            }
        }
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(out)
    }

    fn head(&mut self) -> PResult<Head> {
        let line = self.line()?;
        let mut parts = line.split(|&b| b == b' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(PErr::Garbage("request-line".into()));
        };
        if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
            return Err(PErr::Garbage("method".into()));
        }
        if target.is_empty() || !target.iter().all(|&b| (0x21..=0x7e).contains(&b)) {
            return Err(PErr::Garbage("target".into()));
        }
        let v = version;
        if !(v.len() == 8
            && v.starts_with(b"HTTP/")
            && v[5].is_ascii_digit()
            && v[6] == b'.'
            && v[7].is_ascii_digit())
        {
            return Err(PErr::Garbage("version".into()));
        }
        let mut headers = Vec::new();
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            headers.push(header_line(&line)?);
            if headers.len() > 300 {
                return Err(PErr::Garbage("too-many-headers".into()));
            }
        }
        let te = tokens(&headers, "transfer-encoding");
        let has_te = headers.iter().any(|(n, _)| n == "transfer-encoding");
        let framing = if has_te {
            let chunked_last = te.last().map(String::as_str) == Some("chunked");
            let chunked_count = te.iter().filter(|t| *t == "chunked").count();
            if !chunked_last || chunked_count != 1 {
                return Err(PErr::Garbage(format!("te:{}", te.join(","))));
            }
            Framing::Chunked
        } else if headers.iter().any(|(n, _)| n == "content-length") {
            let values: Vec<&[u8]> = headers
                .iter()
                .filter(|(n, _)| n == "content-length")
                .flat_map(|(_, v)| v.split(|&b| b == b','))
                .map(trim_ows)
                .collect();
            let first = values[0];
            let ok = !first.is_empty()
                && first.len() <= 18
                && first.iter().all(u8::is_ascii_digit)
                && values.iter().all(|v| *v == first);
            if !ok {
                return Err(PErr::Garbage("content-length".into()));
            }
            let n: usize = String::from_utf8_lossy(first).parse().unwrap_or(usize::MAX);
            if n > MAX_BODY {
                return Err(PErr::Garbage("content-length-huge".into()));
            }
            Framing::Length(n)
        } else {
            Framing::None
        };
        Ok(Head {
            method: method.to_vec(),
            target: target.to_vec(),
            version: version.to_vec(),
            headers,
            framing,
        })
    }

    /// The body: (decoded bytes, chunk extensions, trailers).
    #[allow(clippy::type_complexity)]
    fn body(
        &mut self,
        framing: Framing,
    ) -> PResult<(Vec<u8>, Vec<Vec<u8>>, Vec<(String, Vec<u8>)>)> {
        match framing {
            Framing::None => Ok((Vec::new(), Vec::new(), Vec::new())),
            Framing::Length(n) => Ok((self.take(n)?, Vec::new(), Vec::new())),
            Framing::Chunked => {
                let mut body = Vec::new();
                let mut exts = Vec::new();
                loop {
                    let line = self.line().map_err(|e| match e {
                        PErr::Eof => PErr::Incomplete,
                        e => e,
                    })?;
                    let hex = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                    if hex == 0 || hex > 16 {
                        return Err(PErr::Garbage("chunk-size".into()));
                    }
                    let rest = &line[hex..];
                    let ext_at = rest.iter().position(|&b| b != b' ' && b != b'\t');
                    match ext_at {
                        None if rest.is_empty() => {}
                        Some(i) if rest[i] == b';' => exts.push(rest[i..].to_vec()),
                        _ => return Err(PErr::Garbage("chunk-size".into())),
                    }
                    let size = usize::from_str_radix(&String::from_utf8_lossy(&line[..hex]), 16)
                        .unwrap_or(usize::MAX);
                    if size == 0 {
                        break;
                    }
                    if body.len() + size > MAX_BODY {
                        return Err(PErr::Garbage("chunk-huge".into()));
                    }
                    body.extend(self.take(size)?);
                    if self.take(2)? != b"\r\n" {
                        return Err(PErr::Garbage("chunk-data-crlf".into()));
                    }
                }
                let mut trailers = Vec::new();
                loop {
                    let line = self.line().map_err(|e| match e {
                        PErr::Eof => PErr::Incomplete,
                        e => e,
                    })?;
                    if line.is_empty() {
                        break;
                    }
                    trailers.push(header_line(&line).map_err(|_| PErr::Garbage("trailer".into()))?);
                }
                Ok((body, exts, trailers))
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    fn run(mut self) {
        loop {
            self.start = self.pos;
            let leftover = self.buf[self.start..].to_vec();
            self.set_pending(PendingKind::Partial, &leftover);
            match self.one() {
                Ok(true) => continue,
                Ok(false) => break,
                Err(PErr::Eof) => break,
                Err(PErr::Incomplete) => {
                    let raw = self.buf[self.start..].to_vec();
                    self.set_pending(PendingKind::Partial, &raw);
                    break;
                }
                Err(PErr::Garbage(why)) => {
                    let end = self.buf.len().min(self.start + 400);
                    let raw = self.buf[self.start..end].to_vec();
                    self.set_pending(PendingKind::Partial, &[]);
                    self.push(Event::Garbage {
                        conn: self.conn,
                        why,
                        raw,
                    });
                    self.send(
                        b"HTTP/1.1 400 Bad Request\r\nx-req: G\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                    break;
                }
            }
        }
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Handles one request; Ok(false) when the connection must close afterwards.
    fn one(&mut self) -> PResult<bool> {
        let head = self.head()?;
        let Some((n, mode)) = self.with_state(|st| {
            st.req_count += 1;
            (st.req_count, st.mode.clone())
        }) else {
            return Ok(false);
        };
        let conn_tokens = tokens(&head.headers, "connection");
        let has_body = match head.framing {
            Framing::None => false,
            Framing::Length(n) => n > 0,
            Framing::Chunked => true,
        };
        let hostile_first = match &mode {
            Mode::Hostile(plan) if n == 1 => Some(plan.clone()),
            _ => None,
        };
        let mut closed_early = false;
        if let Some(plan) = hostile_first.as_ref().filter(|p| p.early) {
            closed_early = !self.play(&plan.first);
        }
        if !closed_early
            && hostile_first.is_none()
            && has_body
            && tokens(&head.headers, "expect")
                .iter()
                .any(|t| t == "100-continue")
        {
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let (body, chunk_exts, trailers) = if closed_early {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            self.body(head.framing)?
        };
        self.set_pending(PendingKind::Partial, &[]);
        let method = head.method.clone();
        self.push(Event::Request(Request {
            conn: self.conn,
            method: head.method,
            target: head.target,
            version: head.version.clone(),
            headers: head.headers.clone(),
            body,
            chunked: matches!(head.framing, Framing::Chunked),
            chunk_exts,
            trailers,
        }));
        if closed_early {
            return Ok(false);
        }
        if let Some(plan) = hostile_first {
            if plan.early {
                return Ok(true);
            }
            return Ok(self.play(&plan.first));
        }
        let close = conn_tokens.iter().any(|t| t == "close")
            || (head.version == b"HTTP/1.0" && !conn_tokens.iter().any(|t| t == "keep-alive"));
        let connection = if close { "connection: close\r\n" } else { "" };
        let upgrade = conn_tokens.iter().any(|t| t == "upgrade")
            && head.headers.iter().any(|(n, _)| n == "upgrade");
        if method == b"CONNECT" {
            self.send(format!("HTTP/1.1 200 OK\r\nx-req: {n}\r\nx-tunnel: 1\r\n\r\n").as_bytes());
            self.tunnel();
            return Ok(false);
        }
        if upgrade && matches!(mode, Mode::Normal) {
            let proto = head
                .headers
                .iter()
                .find(|(n, _)| n == "upgrade")
                .map(|(_, v)| String::from_utf8_lossy(v).to_string())
                .unwrap_or_default();
            self.send(
                format!("HTTP/1.1 101 Switching Protocols\r\nx-req: {n}\r\nx-tunnel: 1\r\nconnection: upgrade\r\nupgrade: {proto}\r\n\r\n")
                    .as_bytes(),
            );
            self.tunnel();
            return Ok(false);
        }
        let text = format!("{n} {}", String::from_utf8_lossy(&method));
        let response = if method == b"HEAD" {
            format!(
                "HTTP/1.1 200 OK\r\nx-req: {n}\r\nx-head: 1\r\ncontent-length: {}\r\n{connection}\r\n",
                text.len()
            )
        } else {
            format!(
                "HTTP/1.1 200 OK\r\nx-req: {n}\r\ncontent-length: {}\r\n{connection}\r\n{text}",
                text.len()
            )
        };
        if !self.send(response.as_bytes()) {
            return Ok(false);
        }
        Ok(!close)
    }

    /// Plays a hostile script; false if it closed the connection.
    fn play(&mut self, acts: &[Act]) -> bool {
        for act in acts {
            match act {
                Act::Send(bytes) => {
                    if !self.send(bytes) {
                        return false;
                    }
                }
                Act::SleepMs(ms) => std::thread::sleep(Duration::from_millis(*ms)),
                Act::Close => {
                    let _ = self.stream.shutdown(Shutdown::Both);
                    return false;
                }
            }
        }
        true
    }

    /// Records everything after a switch to tunnel mode until the connection ends.
    fn tunnel(&mut self) {
        let mut bytes = self.buf[self.pos..].to_vec();
        self.set_pending(PendingKind::Tunnel, &bytes);
        let mut chunk = [0u8; 16384];
        while let Ok(n) = self.stream.read(&mut chunk) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..n]);
            self.set_pending(PendingKind::Tunnel, &bytes);
        }
    }
}
