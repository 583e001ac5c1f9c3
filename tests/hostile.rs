//! Hostile clients and servers, on real sockets: each test here reproduces one way a client or
//! a server could freeze lbtop, smuggle a request past it, or get one user's answer to another,
//! and checks what HAProxy 2.6 does instead (measured side by side; the facts are in
//! docs/haproxy-semantics.md).

mod common;

use common::proxy::{server, Proxy};
use common::wire::{read_chunked, read_some, read_until};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a scripted origin saw: each request head (as raw text) and body, in arrival order.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<(String, Vec<u8>)>>,
}

impl Seen {
    fn requests(&self) -> Vec<(String, Vec<u8>)> {
        self.requests.lock().unwrap().clone()
    }
}

/// How the origin answers the `n`th request (from 0) on a connection: `None` closes the
/// connection without answering.
type Script = fn(n: usize, head: &str, body: &[u8]) -> Option<Vec<u8>>;

/// A strict little origin: reads sized or chunked bodies, records everything, answers by
/// `script`, and never waits more than 5 s for anything.
async fn origin(script: Script) -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let keep = seen.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(connection(s, script, keep.clone()));
        }
    });
    (addr, seen)
}

async fn connection(mut s: TcpStream, script: Script, seen: Arc<Seen>) {
    let mut buf = Vec::new();
    for n in 0.. {
        let Some(end) = read_until(&mut s, &mut buf, b"\r\n\r\n").await else {
            return;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let lower = head.to_lowercase();
        let body = if lower.contains("transfer-encoding: chunked") {
            let Some(body) = read_chunked(&mut s, &mut buf).await else {
                return;
            };
            body
        } else {
            let n = lower
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            while buf.len() < n {
                if read_some(&mut s, &mut buf).await == 0 {
                    return;
                }
            }
            buf.drain(..n).collect()
        };
        seen.requests
            .lock()
            .unwrap()
            .push((head.clone(), body.clone()));
        let Some(reply) = script(n, &head, &body) else {
            return;
        };
        if s.write_all(&reply).await.is_err() {
            return;
        }
    }
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers every request with its own method and target, so a client can tell its answer.
fn echo(_: usize, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let line = head.lines().next().unwrap_or_default();
    Some(ok(&format!("{line} {}", body.len())))
}

async fn start(defaults: &str, script: Script) -> (Proxy, Arc<Seen>) {
    let (addr, seen) = origin(script).await;
    let defaults = match defaults.find("[defaults.option]\n") {
        Some(at) => {
            let after = at + "[defaults.option]\n".len();
            format!(
                "{}httplog = true\n{}",
                &defaults[..after],
                &defaults[after..]
            )
        }
        None => format!("{defaults}\n[defaults.option]\nhttplog = true\n"),
    };
    let p = Proxy::start(&defaults, &server("s", addr, "")).await;
    (p, seen)
}

/// CPU time a process has used (user + system), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// The lbtop binary, headless with two workers, in front of `origin`: a process of its own, so
/// its CPU time is its own. Killed (by its PID) when dropped.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Binary {
    fn start(origin: SocketAddr) -> Binary {
        let port = common::free_port();
        let text = format!(
            "[global]\nnbthread = 2\n[defaults]\nmode = \"http\"\n[defaults.timeout]\nclient = \"5s\"\n\n[[frontend]]\nname = \"fe\"\nbind = \"127.0.0.1:{port}\"\ndefault_backend = \"be\"\n\n[[backend]]\nname = \"be\"\n{}",
            server("s", origin, "")
        );
        let (dir, path) = common::write_config("t.toml", &text);
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_lbtop"))
            .args(["--headless", "--config"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "lbtop did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Binary {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `bytes`, half-closes, and reads what comes back (the connection must end in 10 s).
async fn send(addr: SocketAddr, bytes: &[u8]) -> String {
    let work = async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(bytes).await.unwrap();
        s.shutdown().await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(10), work).await;
    String::from_utf8_lossy(&out.expect("the connection ended in time")).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_closing_inside_a_body_frees_its_worker() {
    let (origin, _) = origin(echo).await;
    let lbtop = Binary::start(origin);
    // Enough that, before the fix, both workers were all but certain to be spinning.
    for _ in 0..8 {
        let reply = send(
            lbtop.addr,
            b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\n",
        )
        .await;
        assert_eq!(reply, "", "nothing to answer a request that never arrived");
    }
    let pid = lbtop.child.id();
    let idle_from = cpu_time(pid);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let used = cpu_time(pid) - idle_from;
    assert!(
        used < Duration::from_millis(150),
        "idle lbtop used {used:?} of CPU in 1 s"
    );
    for i in 0..20 {
        let req = format!("GET /{i} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n");
        let reply = send(lbtop.addr, req.as_bytes()).await;
        assert!(reply.ends_with(&format!("GET /{i} HTTP/1.1 0")), "{reply}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_closing_inside_a_body_is_logged_cd() {
    let (mut p, _) = start("", echo).await;
    let reply = send(
        p.addr,
        b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\nabc",
    )
    .await;
    assert_eq!(reply, "");
    let line = p.log_line().await;
    assert!(
        line.contains(" fe be/s ") && line.contains(" CD-- "),
        "{line}"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_tokens_cannot_strip_the_framing() {
    for defaults in ["", "[defaults.option]\nhttp-server-close = true"] {
        let (p, seen) = start(defaults, echo).await;
        let inner = "GET /smuggled HTTP/1.1\r\nhost: a\r\n\r\n";
        let smuggle = format!("POST / HTTP/1.1\r\nhost: a\r\nconnection: content-length, host\r\ncontent-length: {}\r\n\r\n{inner}", inner.len());
        let reply = send(p.addr, smuggle.as_bytes()).await;
        assert!(
            reply.contains(&format!("POST / HTTP/1.1 {}", inner.len())),
            "{reply}"
        );
        let requests = seen.requests();
        assert_eq!(
            requests.len(),
            1,
            "the body is not a second request: {requests:?}"
        );
        let (head, body) = &requests[0];
        let length = format!("content-length: {}\r\n", inner.len());
        assert!(
            head.contains(&length) && head.contains("host: a\r\n"),
            "{head}"
        );
        assert_eq!(body, inner.as_bytes());
        p.stop().await;
    }
}

/// Answers, and right behind the answer writes a second response nobody asked for.
fn late(_: usize, head: &str, _: &[u8]) -> Option<Vec<u8>> {
    let mut reply = ok(head.lines().next().unwrap_or_default());
    reply.extend_from_slice(&ok("LATE, FOR SOMEONE ELSE"));
    Some(reply)
}

/// Answers the first request on a connection; every later answer on it belongs to someone
/// else, as after a request smuggled in by another client desynchronised the connection.
fn desynced(n: usize, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    match n {
        0 => echo(n, head, body),
        _ => Some(ok("LATE, FOR SOMEONE ELSE")),
    }
}

async fn one_request_each(p: &Proxy, what: &str) {
    for i in 0..10 {
        let req =
            format!("GET /{i} HTTP/1.1\r\nhost: a\r\n\r\nGET /{i}b HTTP/1.1\r\nhost: a\r\n\r\n");
        let text = send(p.addr, req.as_bytes()).await;
        assert!(
            text.contains(&format!("GET /{i} HTTP/1.1 0")),
            "{what}: {text}"
        );
        let first = text.split("HTTP/1.1 200").nth(1).unwrap_or_default();
        assert!(
            !first.contains("LATE"),
            "{what}: a client's first answer was another's: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_ever_reads_a_response_meant_for_another() {
    // A client's first request never rides a connection another client used (HAProxy's
    // default, `safe`), so a desynchronised server connection can only answer the client
    // that desynchronised it.
    for defaults in ["", "http-reuse = \"safe\"", "http-reuse = \"never\""] {
        let (p, _) = start(defaults, desynced).await;
        one_request_each(&p, defaults).await;
        p.stop().await;
    }
    // Bytes after a response, or on an idle connection, never reach anyone.
    for reuse in ["never", "safe", "aggressive", "always"] {
        let (p, _) = start(&format!("http-reuse = \"{reuse}\""), late).await;
        for i in 0..10 {
            let req = format!(
                "GET /{i} HTTP/1.1\r\nhost: a\r\n\r\nGET /{i}b HTTP/1.1\r\nhost: a\r\n\r\n"
            );
            let text = send(p.addr, req.as_bytes()).await;
            assert!(!text.contains("LATE"), "http-reuse {reuse}: {text}");
            assert!(
                text.contains(&format!("GET /{i} HTTP/1.1")),
                "{reuse}: {text}"
            );
        }
        p.stop().await;
    }
}

/// Answers the first request on each connection, then closes on the second without a word,
/// as a server whose keep-alive timeout fired at the wrong moment does.
fn first_only(n: usize, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    (n == 0).then(|| echo(n, head, body)).flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_never_sent_twice() {
    let (p, seen) = start("", first_only).await;
    // One client connection: the POST, its second request, goes on the server connection the
    // GET left idle, which the server then closes without answering.
    let reply = send(
        p.addr,
        b"GET /warm HTTP/1.1\r\nhost: a\r\n\r\nPOST /pay HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n",
    )
    .await;
    assert!(reply.contains("GET /warm HTTP/1.1 0"), "{reply}");
    assert!(reply.contains("HTTP/1.1 502 Bad Gateway\r\n"), "{reply}");
    let posts = seen
        .requests()
        .iter()
        .filter(|(h, _)| h.starts_with("POST"))
        .count();
    assert_eq!(posts, 1, "the origin ran the POST once");
    // A GET in the same spot goes again on a fresh connection.
    let reply = send(
        p.addr,
        b"GET /warm HTTP/1.1\r\nhost: a\r\n\r\nGET /again HTTP/1.1\r\nhost: a\r\n\r\n",
    )
    .await;
    assert!(reply.contains("GET /again HTTP/1.1 0"), "{reply}");
    let agains = seen
        .requests()
        .iter()
        .filter(|(h, _)| h.starts_with("GET /again"))
        .count();
    assert_eq!(
        agains, 2,
        "the GET went twice: once on the dead connection, once afresh"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_server_counts_inactivity_not_the_whole_upload() {
    let (p, seen) = start(
        "[defaults.timeout]\nserver = \"400ms\"\nclient = \"5s\"",
        echo,
    )
    .await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let total = 12 * 64 * 1024;
    let head = format!(
        "PUT /up HTTP/1.1\r\nhost: a\r\ncontent-length: {total}\r\nconnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let began = Instant::now();
    for _ in 0..12 {
        s.write_all(&vec![b'u'; 64 * 1024]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        began.elapsed() > Duration::from_millis(1000),
        "longer than timeout server"
    );
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out));
    read.await.unwrap().unwrap();
    let reply = String::from_utf8_lossy(&out);
    assert!(
        reply.ends_with(&format!("PUT /up HTTP/1.1 {total}")),
        "{reply}"
    );
    assert_eq!(seen.requests()[0].1.len(), total);
    p.stop().await;
}

const BAD_400: &str = "HTTP/1.1 400 Bad request\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_haproxy_refuses_are_refused_with_its_page_and_log() {
    let (mut p, seen) = start("", echo).await;
    let chunked = "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n";
    let mut pad = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
    pad.extend(std::iter::repeat_n(b'a', 15_251));
    pad.extend_from_slice(b"\r\n\r\n");
    let mut many = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..101 {
        many.extend_from_slice(format!("x-{i}: a\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let cases: Vec<Vec<u8>> = vec![
        format!("{chunked}0x5\r\nhello\r\n0\r\n\r\n").into_bytes(),
        format!("{chunked} 5\r\nhello\r\n0\r\n\r\n").into_bytes(),
        format!("{chunked}5 junk\r\nhello\r\n0\r\n\r\n").into_bytes(),
        format!("{chunked}10000000000000005\r\nhello\r\n0\r\n\r\n").into_bytes(),
        format!("{chunked}5\r\nhello0\r\n\r\n").into_bytes(),
        format!("{chunked}5\r\nhello\r\n0\r\nbad trailer\r\n\r\n").into_bytes(),
        b"GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n".to_vec(),
        b"GET http://b/ HTTP/1.1\r\nhost: a\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nx: a\r\n folded\r\n\r\n".to_vec(),
        b"GET / HTTP/1.2\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nx: a\x01b\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nx: a\x00b\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\ncontent-length: 5, 6\r\n\r\nhello".to_vec(),
        pad,
        many,
    ];
    for case in cases {
        let reply = send(p.addr, &case).await;
        let what = String::from_utf8_lossy(&case[..case.len().min(80)]).into_owned();
        assert!(reply.starts_with(BAD_400), "{what:?}: {reply}");
        let line = p.log_line().await;
        assert!(
            line.contains(" 400 0 - - PR-- ") && line.ends_with("\"<BADREQ>\""),
            "{what:?}: {line}"
        );
    }
    let reply = send(
        p.addr,
        b"POST / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    assert!(
        reply.starts_with("HTTP/1.1 422 Unprocessable Content\r\n"),
        "{reply}"
    );
    assert!(p.log_line().await.contains(" 422 0 - - PR-- "));
    assert!(
        seen.requests().is_empty(),
        "none of them reached the server"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_haproxy_accepts_arrives_as_haproxy_forwards_it() {
    let (p, seen) = start("", echo).await;
    // Chunk extensions dropped, blanks after a size and bare LFs taken, trailers kept.
    let reply = send(p.addr, b"POST /c HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n5 ;ext=1\nhello\r\n0\r\nX-T: 1\r\n\r\n").await;
    assert!(reply.contains("POST /c HTTP/1.1 5"), "{reply}");
    // Both framings: chunked wins, and the connection closes after the answer.
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"POST /both HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out));
    read.await
        .expect("lbtop closes the connection itself")
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("connection: close\r\n") && text.ends_with("POST /both HTTP/1.1 3"),
        "{text}"
    );
    // A repeated Host and a repeated length are one.
    send(p.addr, b"POST /dup HTTP/1.1\r\nhost: a\r\nHost: A\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\nx").await;
    let requests = seen.requests();
    let (head, body) = &requests[0];
    assert_eq!(
        head,
        "POST /c HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    assert_eq!(body, b"hello");
    assert!(
        !requests[1].0.contains("content-length"),
        "{}",
        requests[1].0
    );
    assert_eq!(
        requests[2].0,
        "POST /dup HTTP/1.1\r\nhost: a\r\ncontent-length: 1\r\n\r\n"
    );
    p.stop().await;
}

fn early_hints(_: usize, _: &str, _: &[u8]) -> Option<Vec<u8>> {
    let mut reply = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n".to_vec();
    reply.extend_from_slice(&ok("final"));
    Some(reply)
}

fn gzip_coded(_: usize, _: &str, _: &[u8]) -> Option<Vec<u8>> {
    Some(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nraw bytes".to_vec())
}

fn bad_chunk(_: usize, _: &str, _: &[u8]) -> Option<Vec<u8>> {
    Some(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2 junk\r\nok\r\n0\r\n\r\n".to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_responses_get_haproxys_answers() {
    let get = b"GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n";
    let (mut p, _) = start("", early_hints).await;
    let reply = send(p.addr, get).await;
    assert!(
        reply.starts_with("HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{reply}"
    );
    assert!(p.log_line().await.contains(" 200 "));
    p.stop().await;
    for script in [gzip_coded as Script, bad_chunk] {
        let (mut p, _) = start("", script).await;
        let reply = send(p.addr, get).await;
        assert!(reply.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{reply}");
        let line = p.log_line().await;
        assert!(line.contains(" 502 209 - - PH-- "), "{line}");
        p.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reset_in_tcp_mode_is_logged_sd() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut s = s;
        let mut one = [0u8; 1];
        let _ = s.read(&mut one).await;
        // A reset, not a close: linger 0.
        s.set_zero_linger().unwrap();
        drop(s);
    });
    let mut p = Proxy::start(
        "mode = \"tcp\"\n[defaults.option]\ntcplog = true",
        &server("s", addr, ""),
    )
    .await;
    let mut c = TcpStream::connect(p.addr).await.unwrap();
    c.write_all(b"x").await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut out)).await;
    let line = p.log_line().await;
    assert!(line.contains(" SD "), "{line}");
    p.stop().await;
}
