//! lbtop's own HTTP/1 client side, end to end on 127.0.0.1: request bodies (sized, chunked,
//! `Expect: 100-continue`), response framings (sized, chunked, read-to-close), HEAD,
//! HTTP/1.0 clients, pipelining, and a malformed request in the middle of a keep-alive
//! connection.

mod common;

use common::parse_reply;
use common::proxy::{server, Proxy};
use common::wire::{read_chunked, read_some, read_to_close, read_until};
use lbtop::engine::log::format_session;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An origin that echoes request bodies. `/chunked` answers in chunks, `/unsized` with no
/// length and a close, `/bye` closes silently after answering, `/big` sends 32 MiB, anything
/// else answers with a Content-Length.
async fn echo_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(echo_connection(s));
        }
    });
    addr
}

async fn echo_connection(mut s: TcpStream) {
    let mut buf = Vec::new();
    loop {
        let Some(end) = read_until(&mut s, &mut buf, b"\r\n\r\n").await else {
            return;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
        buf.drain(..end);
        // As a real server does: the client waits for this before it sends the body.
        if head.contains("expect: 100-continue")
            && s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.is_err()
        {
            return;
        }
        let body = if head.contains("transfer-encoding: chunked") {
            let Some(body) = read_chunked(&mut s, &mut buf).await else {
                return;
            };
            body
        } else {
            let n = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < n {
                if read_some(&mut s, &mut buf).await == 0 {
                    return;
                }
            }
            buf.drain(..n).collect()
        };
        let path = head.split(' ').nth(1).unwrap_or("/").to_string();
        let reply = match path.as_str() {
            "/chunked" => {
                let mut r = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
                for part in [&b"first,"[..], b"second,", b"third"] {
                    r.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                    r.extend_from_slice(part);
                    r.extend_from_slice(b"\r\n");
                }
                r.extend_from_slice(b"0\r\n\r\n");
                r
            }
            "/big" => {
                // 32 MiB: more than every socket buffer between here and a client that
                // does not read.
                let big = vec![b'x'; 32 << 20];
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", big.len());
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&big).await;
                continue;
            }
            "/bye" => {
                // Closes after a keep-alive answer, as a server whose idle timeout fires does.
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nbye")
                    .await;
                return;
            }
            "/unsized" => {
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nto the end")
                    .await;
                return;
            }
            _ => {
                let mut r = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len())
                    .into_bytes();
                r.extend_from_slice(&body);
                r
            }
        };
        if s.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Reads one response from a keep-alive connection: head and (sized or chunked) body.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> (String, Vec<u8>) {
    let end = read_until(s, buf, b"\r\n\r\n")
        .await
        .expect("a response head");
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end);
    let lower = head.to_lowercase();
    if lower.contains("transfer-encoding: chunked") {
        let body = read_chunked(s, buf).await.expect("a chunked body");
        return (head, body);
    }
    let n = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    if head.starts_with("HTTP/1.1 100 ") || head.contains(" 304 ") {
        return (head, Vec::new());
    }
    while buf.len() < n {
        assert!(read_some(s, buf).await > 0, "closed inside a body");
    }
    (head, buf.drain(..n).collect())
}

async fn proxy() -> Proxy {
    let origin = echo_origin().await;
    Proxy::start(
        "[defaults.option]\nhttplog = true",
        &server("echo", origin, ""),
    )
    .await
}

fn pseudo_random(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_arrive_whole_and_the_connection_stays_usable() {
    let mut p = proxy().await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    let body = pseudo_random(300_000);

    let head = format!(
        "POST /sized HTTP/1.1\r\nhost: t\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let (reply, echoed) = read_response(&mut s, &mut buf).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(echoed == body, "sized body came back changed");

    // Chunked, written in pieces with pauses, so it crosses many reads.
    let chunked_head = "POST /c HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n";
    s.write_all(chunked_head.as_bytes()).await.unwrap();
    let mut wire = 0;
    for piece in body.chunks(70_000) {
        let size_line = format!("{:x};ext=1\r\n", piece.len());
        s.write_all(size_line.as_bytes()).await.unwrap();
        s.write_all(piece).await.unwrap();
        s.write_all(b"\r\n").await.unwrap();
        wire += size_line.len() + piece.len() + 2;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let last = b"0\r\nx-trailer: 1\r\n\r\n";
    s.write_all(last).await.unwrap();
    wire += last.len();
    let (_, echoed) = read_response(&mut s, &mut buf).await;
    assert!(echoed == body, "chunked body came back changed");

    s.write_all(b"GET /after HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let (reply, echoed) = read_response(&mut s, &mut buf).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n") && echoed.is_empty());
    // Bytes in: the head and the body as they came on the wire, chunked ones included.
    let bytes_in = [
        head.len() + body.len(),
        chunked_head.len() + wire,
        "GET /after HTTP/1.1\r\nhost: t\r\n\r\n".len(),
    ];
    let lines = [
        "POST /sized HTTP/1.1",
        "POST /c HTTP/1.1",
        "GET /after HTTP/1.1",
    ];
    for (expected, bytes) in lines.into_iter().zip(bytes_in) {
        let record = p.record().await;
        assert_eq!(record.bytes_in, bytes as u64, "{expected}");
        let line = format_session(&p.handle.config(), &record).unwrap();
        assert!(
            line.contains(" 200 ") && line.ends_with(&format!("\"{expected}\"")),
            "{line}"
        );
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_reaches_the_server_and_its_100_the_client() {
    let p = proxy().await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all(b"PUT /x HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let (interim, _) = read_response(&mut s, &mut buf).await;
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"hello").await.unwrap();
    let (reply, echoed) = read_response(&mut s, &mut buf).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert_eq!(echoed, b"hello");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_keep_their_framing_for_each_kind_of_client() {
    let p = proxy().await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all(b"GET /chunked HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_response(&mut s, &mut buf).await;
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert_eq!(body, b"first,second,third");
    // No length and a close from the server: relayed as it is, and the client connection
    // closes after it, as HAProxy does.
    s.write_all(b"GET /unsized HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let out = read_to_close(&mut s).await;
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("transfer-encoding"), "{text}");
    assert!(
        text.ends_with("connection: close\r\n\r\nto the end"),
        "{text}"
    );
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all(b"HEAD /sized HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_response(&mut s, &mut buf).await;
    assert!(
        head.contains("content-length: 0\r\n") && body.is_empty(),
        "{head}"
    );

    // An HTTP/1.0 client reads an unsized body to the close too.
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"GET /unsized HTTP/1.0\r\n\r\n").await.unwrap();
    let out = read_to_close(&mut s).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("connection: close\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nto the end"), "{text}");
    // ... and keeps a sized one alive only when it asks to.
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"GET /a HTTP/1.0\r\nconnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let out = read_to_close(&mut s).await;
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{text}");
    assert!(text.contains("connection: keep-alive\r\n"), "{text}");
    assert!(text.ends_with("connection: close\r\n\r\n"), "{text}");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    let p = proxy().await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all(
        b"POST /1 HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\n\r\noneGET /chunked HTTP/1.1\r\nhost: t\r\n\r\nPOST /3 HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\n\r\nthree",
    )
    .await
    .unwrap();
    let bodies = [&b"one"[..], b"first,second,third", b"three"];
    for expected in bodies {
        let (_, body) = read_response(&mut s, &mut buf).await;
        assert_eq!(body, expected);
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_request_after_a_good_one_gets_400_and_a_log_line() {
    let mut p = proxy().await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all(b"GET /ok HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_response(&mut s, &mut buf).await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(p.log_line().await.ends_with("\"GET /ok HTTP/1.1\""));
    s.write_all(b"GET /x HTTP/1.1\r\nbad header line\r\n\r\n")
        .await
        .unwrap();
    let mut out = buf;
    s.read_to_end(&mut out).await.unwrap();
    let reply = parse_reply(&out);
    assert_eq!(reply.status, 400);
    assert!(reply.head.contains("Connection: close"), "{}", reply.head);
    let line = p.log_line().await;
    assert!(line.contains(" fe fe/<NOSRV> -1/-1/-1/-1/"), "{line}");
    assert!(line.contains(" 400 0 - - PR-- "), "{line}");
    assert!(line.ends_with("\"<BADREQ>\""), "{line}");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_its_idle_connection_costs_the_client_nothing() {
    let p = proxy().await;
    for _ in 0..5 {
        let mut s = TcpStream::connect(p.addr).await.unwrap();
        let mut buf = Vec::new();
        s.write_all(b"GET /bye HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        let (head, body) = read_response(&mut s, &mut buf).await;
        assert!(
            head.starts_with("HTTP/1.1 200 OK\r\n") && body == b"bye",
            "{head}"
        );
        // Sent at once, when the pooled connection may be closing or already closed.
        s.write_all(b"GET /next HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        let (head, _) = read_response(&mut s, &mut buf).await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_after_timeout_client() {
    let origin = echo_origin().await;
    let mut p = Proxy::start(
        "[defaults.timeout]\nclient = \"300ms\"\n[defaults.option]\nhttplog = true",
        &server("echo", origin, ""),
    )
    .await;
    let mut s = TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"GET /big HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    // Never read: once the socket buffers fill, lbtop waits 300 ms, then gives up.
    let line = p.log_line().await;
    assert!(line.contains(" 200 ") && line.contains(" cD-- "), "{line}");
    assert!(line.ends_with("\"GET /big HTTP/1.1\""), "{line}");
    // The server slot was freed: the next client is served.
    let reply = common::get(p.addr, "/after").await;
    assert_eq!(reply.status, 200);
    drop(s);
    p.stop().await;
}
