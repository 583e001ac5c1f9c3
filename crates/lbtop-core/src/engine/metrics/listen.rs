//! `[global] metrics = "addr"` (TOML): a listener of its own that answers `GET /metrics`
//! as the exporter does, one request per connection. Every read and write has a deadline,
//! and at most [`MAX_SCRAPES`] connections are served at once.

use super::answer::response;
use super::{render, Query};
use crate::engine::Shared;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;

const MAX_SCRAPES: usize = 16;
const MAX_HEAD: usize = 8192;
const DEADLINE: Duration = Duration::from_secs(5);

/// Accepts scrapes on `listener` until the engine stops.
pub(crate) async fn serve(shared: Arc<Shared>, listener: std::net::TcpListener) {
    let Ok(listener) = listener
        .set_nonblocking(true)
        .and_then(|_| TcpListener::from_std(listener))
    else {
        return;
    };
    let slots = Arc::new(Semaphore::new(MAX_SCRAPES));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors and the like: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = timeout(DEADLINE, one(&shared, stream)).await;
            drop(slot);
        });
    }
}

/// One request: the metrics for `GET|HEAD /metrics[?query]`, a 404 for any other path, a
/// 400 for what is not a request.
async fn one(shared: &Shared, mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let out = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        match answer(shared, &buf) {
            Some(out) => break out,
            None if buf.len() < MAX_HEAD => continue,
            None => break plain(400, "Bad Request"),
        }
    };
    stream.write_all(&out).await?;
    stream.shutdown().await
}

/// The answer to a complete head in `buf`; `None` while it is incomplete.
fn answer(shared: &Shared, buf: &[u8]) -> Option<Vec<u8>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let (method, target) = match req.parse(buf) {
        Ok(httparse::Status::Partial) => return None,
        Err(_) => return Some(plain(400, "Bad Request")),
        Ok(httparse::Status::Complete(_)) => (req.method?, req.path?),
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/metrics" {
        return Some(plain(404, "Not Found"));
    }
    if !matches!(method, "GET" | "HEAD") {
        return Some(plain(405, "Method Not Allowed"));
    }
    let Some(q) = Query::parse(query) else {
        return Some(plain(400, "Bad Request"));
    };
    let body = render(shared, q);
    Some(response(
        &body,
        false,
        hyper::Version::HTTP_11,
        method == "HEAD",
    ))
}

fn plain(status: u16, reason: &str) -> Vec<u8> {
    let body = format!("{status} {reason}\n");
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
