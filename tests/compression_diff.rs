//! Differential test of `compression` against real HAProxy 2.6: for each request, the
//! response head byte for byte, the body once unchunked and decompressed, the heads the
//! server received (`compression offload`) and the log lines (`%B` counts the body before
//! compression). The compressed bytes themselves differ (HAProxy's libslz against flate2),
//! so they are compared decoded.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::exchange;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CFG: &str = "global\n    log {LOG} local0\n\
defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    \
timeout client 5s\n    timeout server 5s\n    compression algo gzip\n\
frontend f\n    bind 127.0.0.1:{PORT}\n    compression type text/html application/json\n    \
use_backend three if { path_beg /three }\n    use_backend off if { path_beg /off }\n    \
use_backend ident if { path_beg /ident }\n    default_backend b\n\
backend b\n    server a {a}\n\
backend three\n    compression algo deflate gzip raw-deflate\n    server a {a}\n\
backend off\n    compression offload\n    server a {a}\n\
backend ident\n    compression algo gzip identity\n    compression type text/plain\n    \
server a {a}\n";

/// Each request: its path (the origin reads `len`, `chunked`, `status` and `h=<header>`
/// there) and its extra header lines.
const REQUESTS: &[(&str, &str)] = &[
    ("/?len=3000", "accept-encoding: gzip\r\n"),
    ("/?len=3000", ""),
    ("/?len=3000&chunked=1", "accept-encoding: gzip, deflate\r\n"),
    (
        "/?len=10&h=x-a:%201&h=etag:%20%22v1%22",
        "accept-encoding: *\r\n",
    ),
    ("/?h=etag:%20abc", "accept-encoding: gzip\r\n"),
    ("/?h=content-type:%20image/png", "accept-encoding: gzip\r\n"),
    (
        "/?h=content-type:%20TEXT/HTML;%20charset=utf-8",
        "accept-encoding: gzip\r\n",
    ),
    (
        "/?h=cache-control:%20no-transform",
        "accept-encoding: gzip\r\n",
    ),
    ("/?h=content-encoding:%20br", "accept-encoding: gzip\r\n"),
    ("/?status=404", "accept-encoding: gzip\r\n"),
    ("/?status=203&h=vary:%20cookie", "accept-encoding: gzip\r\n"),
    ("/?len=0", "accept-encoding: gzip\r\n"),
    ("/", "accept-encoding: gzip;q=0, br\r\n"),
    (
        "/",
        "accept-encoding: gzip\r\nuser-agent: Mozilla/4.0 (compatible; X)\r\n",
    ),
    ("/three", "accept-encoding: deflate;q=0.5, gzip;q=0.5\r\n"),
    ("/three", "accept-encoding: gzip;q=0.5, deflate;q=0.5\r\n"),
    ("/three", "accept-encoding: *\r\n"),
    ("/off", "accept-encoding: gzip\r\naccept-encoding: br\r\n"),
    ("/off", "accept-encoding: br\r\n"),
    (
        "/ident?h=content-type:%20text/plain",
        "accept-encoding: br\r\n",
    ),
];

/// An origin that answers as the path asks: `len` bytes of text/html (2000 by default),
/// chunked with `chunked=1`, with `status`, and each `h=` as one more header line.
async fn origin(seen: Arc<Mutex<Vec<String>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(answer(s, seen.clone()));
        }
    });
    addr
}

async fn answer(mut s: TcpStream, seen: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    seen.lock().unwrap().push(head.clone());
    let target = head.split(' ').nth(1).unwrap_or("/");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let (mut len, mut chunked, mut status) = (2000, false, "200".to_string());
    let mut lines = String::new();
    let mut typed = false;
    for (k, v) in query.split('&').filter_map(|p| p.split_once('=')) {
        let v = v.replace("%20", " ").replace("%22", "\"");
        match k {
            "len" => len = v.parse().unwrap(),
            "chunked" => chunked = true,
            "status" => status = v,
            _ => {
                typed |= v.to_ascii_lowercase().starts_with("content-type:");
                lines.push_str(&format!("{v}\r\n"));
            }
        }
    }
    if !typed {
        lines.insert_str(0, "content-type: text/html\r\n");
    }
    let body: Vec<u8> = b"some text that compresses well, "
        .iter()
        .cycle()
        .take(len)
        .copied()
        .collect();
    let mut out = format!("HTTP/1.1 {status} OK\r\n{lines}").into_bytes();
    if chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        for part in body.chunks(1000) {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(format!("content-length: {len}\r\n\r\n").as_bytes());
        out.extend_from_slice(&body);
    }
    let _ = s.write_all(&out).await;
}

/// The head as sent, and the body unchunked and decoded as its `content-encoding` says.
fn decoded(reply: &[u8]) -> (String, Vec<u8>) {
    let at = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = String::from_utf8_lossy(&reply[..at]).into_owned();
    let mut body = reply[at..].to_vec();
    if head.contains("\r\ntransfer-encoding: chunked\r\n") {
        body = common::wire::unchunk(&body);
    }
    let mut plain = Vec::new();
    let read = if head.contains("\r\ncontent-encoding: gzip\r\n") {
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain)
    } else if head.contains("\r\ncontent-encoding: deflate\r\n") {
        // HAProxy's `deflate` is zlib-wrapped, its `raw-deflate` bare.
        match flate2::read::ZlibDecoder::new(&body[..]).read_to_end(&mut plain) {
            Ok(n) => Ok(n),
            Err(_) => {
                plain.clear();
                flate2::read::DeflateDecoder::new(&body[..]).read_to_end(&mut plain)
            }
        }
    } else {
        plain = body;
        Ok(0)
    };
    read.expect("a body that decodes");
    (head, plain)
}

type Seen = (Vec<(String, Vec<u8>)>, Vec<String>, Vec<String>);

fn run(kind: Kind) -> Seen {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let addr = rt.block_on(origin(heads.clone()));
    let c = Contender::start(kind, CFG, &BTreeMap::from([("a", addr)]));
    let replies = REQUESTS
        .iter()
        .map(|(path, lines)| {
            let req = format!("GET {path} HTTP/1.1\r\nhost: h\r\n{lines}connection: close\r\n\r\n");
            decoded(&rt.block_on(exchange(c.addr(), req.as_bytes())))
        })
        .collect();
    // `%ac/%fc/%bc/%sc/%rc` masked: a closed connection's count may still hold when the
    // next line is written, on either side (a race, not a difference).
    let logs = c
        .settled_lines()
        .iter()
        .map(|l| {
            l.split(' ')
                .map(|w| {
                    let counts = w.split('/').count() == 5
                        && w.split('/')
                            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                    if counts {
                        "CONNS"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let heads = heads.lock().unwrap().clone();
    (replies, heads, logs)
}

#[test]
fn responses_are_compressed_as_haproxy_compresses_them() {
    if !haproxy_available() {
        return;
    }
    let haproxy = run(Kind::Haproxy);
    let lbtop = run(Kind::Lbtop);
    for (i, (h, l)) in haproxy.0.iter().zip(&lbtop.0).enumerate() {
        assert_eq!(h.0, l.0, "head for {:?}", REQUESTS[i]);
        assert_eq!(h.1, l.1, "body for {:?}", REQUESTS[i]);
    }
    let encoded = |i: usize| haproxy.0[i].0.contains("content-encoding: ");
    assert!(encoded(0) && !encoded(1) && encoded(2) && !encoded(4));
    assert_eq!(haproxy.1, lbtop.1, "what the server received");
    // Not the chunked response's line: HAProxy's `%B` for any chunked response is one more
    // than lbtop's, compressed or not (a difference that predates compression).
    let unchunked = |logs: &[String]| -> Vec<String> {
        logs.iter()
            .filter(|l| !l.contains("chunked=1"))
            .cloned()
            .collect()
    };
    assert_eq!(unchunked(&haproxy.2), unchunked(&lbtop.2), "log lines");
    assert_eq!(haproxy.2.len(), REQUESTS.len());
}

/// The stats page is compressed like any response (its content differs between the two, so
/// the heads are compared, and the decoded body must be the CSV).
#[test]
fn the_stats_page_is_compressed_too() {
    if !haproxy_available() {
        return;
    }
    let cfg = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
        timeout server 5s\nfrontend f\n    bind 127.0.0.1:{PORT}\n    compression algo gzip\n    \
        stats enable\n    stats uri /st\n    default_backend b\nbackend b\n    server a {a}\n";
    let requests = [
        "GET /st;csv HTTP/1.1\r\nhost: h\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n",
        "GET /st;csv HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n",
        "GET /st;csv HTTP/1.0\r\naccept-encoding: gzip\r\n\r\n",
    ];
    let heads = |kind| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let addr = common::backend::refused_addr();
        let c = Contender::start(kind, cfg, &BTreeMap::from([("a", addr)]));
        requests
            .iter()
            .map(|r| {
                let (head, body) = decoded(&rt.block_on(exchange(c.addr(), r.as_bytes())));
                assert!(body.starts_with(b"# pxname,"), "{kind:?}: {head}");
                head
            })
            .collect::<Vec<_>>()
    };
    let haproxy = heads(Kind::Haproxy);
    assert!(
        haproxy[0].contains("content-encoding: gzip"),
        "{}",
        haproxy[0]
    );
    assert_eq!(haproxy, heads(Kind::Lbtop));
}
