//! Hostile clients of the runtime API (`stats socket`), on real sockets against an in-process
//! engine: a line longer than HAProxy's buffer, a line never ended, binary bytes, a client
//! that trickles bytes, and a crowd far past `stats maxconn`. Each ends with the socket still
//! answering (docs/haproxy-semantics.md §27.1).

mod common;

use lbtop::config::Config;
use lbtop::engine::Engine;
use lbtop::events;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

struct Api {
    _engine: Engine,
    _dir: tempfile::TempDir,
    sock: PathBuf,
    tcp: u16,
}

/// An engine whose sockets allow `maxconn` sessions, each idle at most `timeout`.
async fn start(maxconn: u32, timeout: &str) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("admin.sock");
    let (tcp, fe, srv) = (
        common::free_port(),
        common::free_port(),
        common::free_port(),
    );
    let text = format!(
        "global\n    stats socket {} level admin\n    stats socket ipv4@127.0.0.1:{tcp} level admin\n    \
         stats timeout {timeout}\n    stats maxconn {maxconn}\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         frontend fe\n    bind 127.0.0.1:{fe}\n    default_backend hoge\n\
         backend hoge\n    server web11 127.0.0.1:{srv} weight 10\n",
        sock.display()
    );
    let config = Config::parse(std::path::Path::new("t.cfg"), &text).unwrap();
    let (tx, _rx) = events::channel();
    let engine = Engine::start(Arc::new(config), tx).await.unwrap();
    Api {
        _engine: engine,
        _dir: dir,
        sock,
        tcp,
    }
}

/// Sends `input`, half-closes, and reads until the server closes (at most 10 s).
async fn ask(api: &Api, input: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(&api.sock).await.unwrap();
    s.write_all(input).await.unwrap();
    s.shutdown().await.unwrap();
    read_all(&mut s).await
}

async fn read_all<S: AsyncReadExt + Unpin>(s: &mut S) -> Vec<u8> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the socket did not close within 10 s");
    out
}

const WEIGHT: &[u8] = b"10 (initial 10)\n\n";

/// HAProxy drops a line longer than its 16 kB buffer and closes without a word; lbtop reads
/// no more than that for a line either.
#[test]
fn a_line_longer_than_the_buffer_is_dropped() {
    rt().block_on(async {
        let api = start(10, "5s").await;
        let mut long = b"get weight ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 20_000));
        long.push(b'\n');
        assert_eq!(ask(&api, &long).await, b"");
        let mut fits = b"get weight hoge/web11 ".to_vec();
        fits.extend(std::iter::repeat_n(b'a', 16_000));
        fits.push(b'\n');
        assert_eq!(ask(&api, &fits).await, WEIGHT);
    });
}

/// A line never ended gets no answer (HAProxy's too), and the session ends at once when the
/// client closes.
#[test]
fn a_line_without_newline_gets_nothing() {
    rt().block_on(async {
        let api = start(10, "5s").await;
        let t = Instant::now();
        assert_eq!(ask(&api, b"get weight hoge/web11").await, b"");
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(ask(&api, b"").await, b"");
        assert_eq!(ask(&api, b"get weight hoge/web11\n").await, WEIGHT);
    });
}

/// Bytes that are not text: a NUL ends the line as it ends HAProxy's C string.
#[test]
fn binary_bytes_are_words_like_any() {
    rt().block_on(async {
        let api = start(10, "5s").await;
        let answer = ask(&api, b"get weight \xff\x00\x01/x\n").await;
        assert_eq!(answer, b"Require 'backend/server'.\n\n");
        let answer = ask(&api, b"\x00\x01\x02\xfe\n").await;
        assert!(answer.starts_with(b"Unknown command. Please enter one of"));
        assert_eq!(ask(&api, b"get weight hoge/web11\r\n").await, WEIGHT);
    });
}

/// A client trickling a line, byte by byte, is cut off at `stats timeout`: lbtop bounds every
/// wait (HAProxy, measured, keeps such a session open once bytes arrived; see §27.1).
#[test]
fn a_slow_client_is_cut_off_at_the_timeout() {
    rt().block_on(async {
        let api = start(10, "1s").await;
        let mut s = UnixStream::connect(&api.sock).await.unwrap();
        let t = Instant::now();
        let mut closed = false;
        for b in b"get weight hoge/web11 and more and more and more"
            .iter()
            .cycle()
            .take(100)
        {
            if s.write_all(&[*b]).await.is_err() {
                closed = true;
                break;
            }
            let mut buf = [0u8; 16];
            match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    closed = true;
                    break;
                }
                _ => {}
            }
        }
        assert!(closed, "still open after {:?}", t.elapsed());
        assert!(
            t.elapsed() < Duration::from_secs(4),
            "closed after {:?}",
            t.elapsed()
        );
        // An idle interactive session ends the same way.
        let mut s = UnixStream::connect(&api.sock).await.unwrap();
        s.write_all(b"prompt\n").await.unwrap();
        let t = Instant::now();
        assert_eq!(read_all(&mut s).await, b"\n> ");
        assert!(t.elapsed() < Duration::from_secs(3));
    });
}

/// Past `stats maxconn` a client waits, unserved, until a session ends; a thousand clients
/// at once are all answered in turn, on the UNIX and the TCP socket alike.
#[test]
fn a_crowd_past_maxconn_waits_its_turn() {
    rt().block_on(async {
        let api = start(3, "30s").await;
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut s = UnixStream::connect(&api.sock).await.unwrap();
            s.write_all(b"prompt\n").await.unwrap();
            let mut buf = [0u8; 3];
            s.read_exact(&mut buf).await.unwrap();
            held.push(s);
        }
        let mut late = UnixStream::connect(&api.sock).await.unwrap();
        late.write_all(b"get weight hoge/web11\n").await.unwrap();
        let mut buf = [0u8; 32];
        let early = tokio::time::timeout(Duration::from_millis(500), late.read(&mut buf)).await;
        assert!(early.is_err(), "answered past stats maxconn");
        drop(held.pop());
        assert_eq!(read_all(&mut late).await, WEIGHT);
        drop(held);

        let mut crowd = tokio::task::JoinSet::new();
        for i in 0..1000 {
            let (sock, tcp) = (api.sock.clone(), api.tcp);
            crowd.spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let answer = match i % 2 {
                        0 => match UnixStream::connect(&sock).await {
                            Ok(mut s) => exchange(&mut s).await,
                            Err(_) => None,
                        },
                        _ => match TcpStream::connect(("127.0.0.1", tcp)).await {
                            Ok(mut s) => exchange(&mut s).await,
                            Err(_) => None,
                        },
                    };
                    if let Some(a) = answer {
                        return a;
                    }
                    assert!(Instant::now() < deadline, "client {i} never got in");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
        while let Some(answer) = crowd.join_next().await {
            assert_eq!(answer.unwrap(), WEIGHT);
        }
    });
}

/// One command; `None` when the connection broke before its answer (a full backlog).
async fn exchange<S: AsyncReadExt + AsyncWriteExt + Unpin>(s: &mut S) -> Option<Vec<u8>> {
    s.write_all(b"get weight hoge/web11\n").await.ok()?;
    s.shutdown().await.ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    (!out.is_empty()).then_some(out)
}
