//! `show sess`, `shutdown session` and `show errors` against real HAProxy 2.6 (docs/haproxy-
//! semantics.md §27.4): the same haproxy.cfg to both, HAProxy asked on its own `stats socket`
//! (the runtime API's socket is another branch's work: lbtop is asked in-process, through
//! `Handle::cli`). Sessions are held open by a server that never answers; each side's answers
//! are compared field by field, and what a client sees when its session is shut down.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::free_port;
use contender::{haproxy_available, Sink};
use lbtop::config::Config;
use lbtop::engine::cli::Level;
use lbtop::engine::Engine;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CFG: &str = "global\n    stats socket {SOCK} level admin\n\ndefaults\n    log {LOG} local0\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\nfrontend web\n    mode http\n    option httplog\n    bind 127.0.0.1:{WEB}\n    default_backend slow\n\nbackend slow\n    mode http\n    server s1 {slow}\n\nfrontend broken\n    mode http\n    bind 127.0.0.1:{BROKEN}\n    default_backend liar\n\nbackend liar\n    mode http\n    server b1 {liar}\n\nlisten raw\n    mode tcp\n    option tcplog\n    bind 127.0.0.1:{RAW}\n    server r1 {slow}\n";

const WAIT: Duration = Duration::from_secs(10);

/// A server that takes connections and reads them, never answering.
fn slow_origin() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut c = c;
                let _ = c.set_read_timeout(Some(Duration::from_secs(60)));
                let mut buf = [0u8; 4096];
                while matches!(c.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

/// A server whose answer has a space in a header name.
fn lying_origin() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut c = c;
                let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = [0u8; 4096];
                if matches!(c.read(&mut buf), Ok(n) if n > 0) {
                    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header: y\r\n\r\nok";
                    let _ = c.write_all(answer);
                    let _ = c.read(&mut buf);
                }
            });
        }
    });
    addr
}

/// One proxy under test: its ports and how to ask it a runtime API command.
struct Side {
    name: &'static str,
    web: u16,
    broken: u16,
    raw: u16,
    ask: Box<dyn Fn(&str) -> String>,
    sink: Sink,
    _keep: Box<dyn std::any::Any>,
}

/// The process, and the folder of its config and socket (removed when dropped).
struct Haproxy(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn render(
    sock: &Path,
    ports: (u16, u16, u16),
    sink: &Sink,
    (slow, liar): (SocketAddr, SocketAddr),
) -> String {
    CFG.replace("{SOCK}", &sock.display().to_string())
        .replace("{LOG}", &format!("127.0.0.1:{}", sink.port))
        .replace("{WEB}", &ports.0.to_string())
        .replace("{BROKEN}", &ports.1.to_string())
        .replace("{RAW}", &ports.2.to_string())
        .replace("{slow}", &slow.to_string())
        .replace("{liar}", &liar.to_string())
}

fn ask_socket(sock: &Path, line: &str) -> String {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn haproxy(slow: SocketAddr, liar: SocketAddr) -> Side {
    let dir = tempfile::tempdir().unwrap();
    let sock: PathBuf = dir.path().join("h.sock");
    let ports = (free_port(), free_port(), free_port());
    let cfg = dir.path().join("h.cfg");
    let sink = Sink::start();
    std::fs::write(&cfg, render(&sock, ports, &sink, (slow, liar))).unwrap();
    let child = Command::new("haproxy")
        .args(["-db", "-f"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The socket answers once every listener is bound.
    let deadline = Instant::now() + WAIT;
    while UnixStream::connect(&sock).is_err() {
        assert!(Instant::now() < deadline, "haproxy did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let ask_sock = sock.clone();
    Side {
        name: "haproxy",
        web: ports.0,
        broken: ports.1,
        raw: ports.2,
        ask: Box::new(move |line| ask_socket(&ask_sock, line)),
        sink,
        _keep: Box::new(Haproxy(child, dir)),
    }
}

fn lbtop(rt: &tokio::runtime::Runtime, slow: SocketAddr, liar: SocketAddr) -> Side {
    let ports = (free_port(), free_port(), free_port());
    let sink = Sink::start();
    let text = render(
        Path::new("/tmp/lbtop-unused.sock"),
        ports,
        &sink,
        (slow, liar),
    );
    let config = Config::parse(Path::new("t.cfg"), &text).unwrap();
    let (tx, rx) = lbtop::events::channel();
    let engine = rt.block_on(Engine::start(Arc::new(config), tx)).unwrap();
    let handle = engine.handle();
    Side {
        name: "lbtop",
        web: ports.0,
        broken: ports.1,
        raw: ports.2,
        ask: Box::new(move |line| handle.cli(Level::Admin, line)),
        sink,
        _keep: Box::new((engine, rx)),
    }
}

fn connect(port: u16, send: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(send).unwrap();
    s
}

/// Everything the peer sends until it closes (bounded by the read timeout).
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no close within the timeout: {e} after {out:?}"),
        }
    }
}

/// `show sess` lines of traffic (HAProxy lists its own CLI session too; lbtop, asked
/// in-process, has none).
fn sessions(side: &Side) -> Vec<String> {
    (side.ask)("show sess")
        .lines()
        .filter(|l| !l.is_empty() && !l.contains(" fe=GLOBAL "))
        .map(str::to_string)
        .collect()
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or("")
}

fn wait_sessions(side: &Side, n: usize) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let listed = sessions(side);
        // Counted once each has its server (a TCP session is listed from its accept on).
        if listed.len() == n && listed.iter().all(|l| field(l, "srv") != "<none>") {
            return listed;
        }
        assert!(Instant::now() < deadline, "{}: {listed:?}", side.name);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a client sees of `show sess` and `shutdown session` on one side.
fn sess_story(side: &Side) -> Vec<String> {
    let mut story = Vec::new();
    let mut http = connect(side.web, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut tcp = connect(side.raw, b"hello");
    // Idle and half-sent HTTP connections are no streams yet.
    let _idle = connect(side.web, b"");
    let _half = connect(side.web, b"GET /b HTTP/1.1\r\nHost");
    let port = |s: &TcpStream| s.local_addr().unwrap().port().to_string();
    let (http_port, tcp_port) = (port(&http), port(&tcp));
    let listed = wait_sessions(side, 2);
    let mut rows = BTreeSet::new();
    for l in &listed {
        let src = field(l, "src");
        let who = match src.rsplit(':').next() {
            Some(p) if p == http_port => "http-client",
            Some(p) if p == tcp_port => "tcp-client",
            _ => "unknown",
        };
        let keys = ["proto", "fe", "be", "srv"].map(|k| format!("{k}={}", field(l, k)));
        rows.insert(format!(
            "{who} {} age={}",
            keys.join(" "),
            field(l, "age").len()
        ));
        assert!(l.starts_with("0x") && l.contains(": proto="), "{l}");
    }
    story.extend(rows);
    let id_of = |port: &str| {
        let l = listed
            .iter()
            .find(|l| field(l, "src").ends_with(&format!(":{port}")));
        l.unwrap().split(':').next().unwrap().to_string()
    };
    let (http_id, tcp_id) = (id_of(&http_port), id_of(&tcp_port));
    // One session by its id: its first lines name it as the list does.
    let one = (side.ask)(&format!("show sess {tcp_id}"));
    story.push(format!(
        "one starts with id: {}",
        one.starts_with(&format!("{tcp_id}: ["))
    ));
    story.push(format!(
        "one names the frontend: {}",
        one.contains("  frontend=raw (id=")
    ));
    story.push(format!(
        "one names the server: {}",
        one.contains("  server=r1 (id=1) addr=")
    ));
    for command in [
        "show sess 0x1",
        "show sess 12",
        "shutdown session",
        "shutdown session zz",
        "shutdown session 0x1",
    ] {
        story.push(format!("{command} -> {:?}", (side.ask)(command)));
    }
    story.push(format!(
        "shutdown tcp -> {:?}",
        (side.ask)(&format!("shutdown session {tcp_id}"))
    ));
    story.push(format!(
        "tcp client reads {:?} then close",
        read_to_close(&mut tcp)
    ));
    story.push(format!(
        "shutdown http -> {:?}",
        (side.ask)(&format!("shutdown session {http_id}"))
    ));
    story.push(format!("http client reads: {:?}", read_page(&mut http)));
    // The connection stays open: its next request is a new stream.
    http.write_all(b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let again = wait_sessions(side, 1);
    let same_client = field(&again[0], "src").ends_with(&format!(":{http_port}"));
    story.push(format!("next request, same connection: {same_client}"));
    // Both logged as killed by an admin: `K-` for TCP, a 502 with `KH--` for HTTP.
    // The connection counts (%ac/%fc...) depend on when the other session's close is
    // counted, in both proxies: masked.
    let counts = regex::Regex::new(r"\d+/\d+/\d+/\d+/\d+").unwrap();
    for (who, needle) in [("tcp", " raw raw/r1 "), ("http", " web slow/s1 ")] {
        let lines = side.sink.wait(needle, WAIT);
        let line = lines.iter().find(|l| l.contains(needle)).unwrap();
        let rest = line.split_once(needle).unwrap().1;
        story.push(format!("{who} log: {}", counts.replace(rest, "N/N/N/N/N")));
    }
    story
}

/// One error page: its head and the body its length announces.
fn read_page(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + len {
                return text;
            }
        }
        match s.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            other => panic!("the page ended early ({other:?}): {got:?}"),
        }
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn show_sess_and_shutdown_session_match_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = rt();
    let (slow, liar) = (slow_origin(), lying_origin());
    let theirs = sess_story(&haproxy(slow, liar));
    let ours = sess_story(&lbtop(&rt, slow, liar));
    assert_eq!(ours, theirs);
}

/// `show errors` without what only HAProxy's buffers and parser state know: dates and ports
/// masked, the `H1 ...` lines (lbtop has no such state) dropped.
fn masked_errors(side: &Side, args: &str) -> String {
    let raw = (side.ask)(&format!("show errors{args}"));
    let date = regex::Regex::new(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]").unwrap();
    let src = regex::Regex::new(r"src 127\.0\.0\.1:\d+").unwrap();
    let raw = date.replace_all(&raw, "[DATE]");
    let raw = src.replace_all(&raw, "src 127.0.0.1:PORT");
    raw.split_inclusive('\n')
        .filter(|l| !l.starts_with("  H1 "))
        .collect()
}

fn bad_request(port: u16, bytes: &[u8]) -> String {
    let mut s = connect(port, bytes);
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Waits until `n` errors were captured: HAProxy captures a bad request a moment after it
/// has answered it (measured).
fn wait_total(side: &Side, n: usize) {
    let deadline = Instant::now() + WAIT;
    let want = format!("] : {n}\n");
    loop {
        let head = (side.ask)("show errors -1 request");
        if head
            .lines()
            .next()
            .is_some_and(|l| format!("{l}\n").ends_with(&want))
        {
            return;
        }
        assert!(Instant::now() < deadline, "{}: {head}", side.name);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn errors_story(side: &Side) -> Vec<String> {
    let mut story = vec![masked_errors(side, "")];
    let requests: [&[u8]; 5] = [
        // A header line without a colon: the error is at its end.
        b"GET / HTTP/1.1\r\nHost: x\r\nfoo\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        // Refused for what it says: placed at the end of the head.
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    ];
    let mut total = 0;
    for r in requests {
        story.push(bad_request(side.web, r));
        total += 1;
        wait_total(side, total);
        story.push(masked_errors(side, " web request"));
    }
    story.push(bad_request(
        side.broken,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    total += 1;
    wait_total(side, total);
    let chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    story.push(bad_request(side.web, chunked));
    wait_total(side, total + 1);
    for args in [
        "",
        " web",
        " liar response",
        " liar request",
        " web response",
        " nope",
        " -1",
        " 3",
    ] {
        story.push(format!("show errors{args}:\n{}", masked_errors(side, args)));
    }
    story
}

#[test]
fn show_errors_matches_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = rt();
    let (slow, liar) = (slow_origin(), lying_origin());
    let theirs = errors_story(&haproxy(slow, liar));
    let ours = errors_story(&lbtop(&rt, slow, liar));
    for (t, o) in theirs.iter().zip(&ours) {
        assert_eq!(o, t);
    }
    assert_eq!(ours.len(), theirs.len());
}
