//! Health checks: a TCP connect, or an HTTP request whose status 200-399 passes (docs/haproxy-semantics.md §1.1-1.4).

use super::backend::BackendRt;
use super::proxy_proto::{self, Addrs};
use super::state::CheckOutcome;
use crate::config::{HealthCheck, HttpCheck, ProxyVersion};
use crate::events::CheckKind;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

/// What one server's check needs to know.
pub struct CheckPlan {
    pub backend: Arc<BackendRt>,
    pub server: usize,
    pub check: HealthCheck,
    pub inter: Duration,
    /// `fastinter`: the interval while the server's health is between its extremes (going up
    /// or down).
    pub fastinter: Option<Duration>,
    /// `downinter`: the interval while the server is down with no check passing.
    pub downinter: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub check_timeout: Option<Duration>,
    /// Start-up stagger, so checks do not all fire at once.
    pub first_delay: Duration,
    /// `check-send-proxy` (or `send-proxy`): the PROXY header each check starts with.
    pub send_proxy: Option<ProxyVersion>,
}

/// Runs checks forever, pausing while the server is in maintenance.
pub async fn run(plan: CheckPlan) {
    let server = &plan.backend.servers[plan.server];
    sleep(plan.first_delay).await;
    let request = match &plan.check {
        HealthCheck::Http(http) => Some(http_request(http)),
        _ => None,
    };
    let program = super::check_proto::compile(&plan.check);
    loop {
        if !plan.backend.checks_running(plan.server) {
            server.wake.notified().await;
            continue;
        }
        let outcome = match &program {
            Some(program) => super::check_proto::probe(server.addr(), program, &plan).await,
            None => probe(server.addr(), request.as_deref(), &plan).await,
        };
        plan.backend.record_check(plan.server, outcome);
        let (health, max) = plan.backend.health(plan.server);
        tokio::select! {
            _ = sleep(plan.next_interval(health, max)) => {}
            _ = server.wake.notified() => {}
        }
    }
}

impl CheckPlan {
    /// How long until the next check, from the server's health after the last one, as
    /// HAProxy chooses it (docs/haproxy-semantics.md §1.2): `inter` at full health, `downinter`
    /// (else `inter`) when down with none of its checks passing, `fastinter` (else `inter`)
    /// in between.
    pub fn next_interval(&self, health: u32, max: u32) -> Duration {
        if health == max {
            self.inter
        } else if health == 0 {
            self.downinter.unwrap_or(self.inter)
        } else {
            self.fastinter.unwrap_or(self.inter)
        }
    }
}

/// The bytes HAProxy sends: header names lower-cased, `connection: close` added for HTTP/1.1.
pub fn http_request(check: &HttpCheck) -> Vec<u8> {
    let mut req = format!("{} {} {}\r\n", check.method, check.path, check.version);
    for (name, value) in &check.headers {
        req.push_str(&format!("{}: {value}\r\n", name.to_ascii_lowercase()));
    }
    if check.version.eq_ignore_ascii_case("HTTP/1.1") {
        req.push_str("connection: close\r\n");
    }
    req.push_str("\r\n");
    req.into_bytes()
}

async fn probe(addr: SocketAddr, request: Option<&[u8]>, plan: &CheckPlan) -> CheckOutcome {
    let start = Instant::now();
    // With `timeout check`, connect is bounded by min(connect, inter) and the reply by
    // `timeout check`; without it the whole check is bounded by inter.
    let (connect_limit, reply_limit) = match plan.check_timeout {
        Some(check) => (
            plan.connect_timeout.unwrap_or(plan.inter).min(plan.inter),
            check,
        ),
        None => (plan.inter, plan.inter),
    };
    let mut stream = match timeout(connect_limit, TcpStream::connect(addr)).await {
        Err(_) => return outcome(CheckKind::L4Tout, None, None, start),
        Ok(Err(e)) => return outcome(CheckKind::L4Con, None, Some(connect_error(&e)), start),
        Ok(Ok(s)) => s,
    };
    if let Some(version) = plan.send_proxy {
        let header = check_header(&stream, version);
        let _ = timeout(connect_limit, stream.write_all(&header)).await;
    }
    let Some(request) = request else {
        return outcome(CheckKind::L4Ok, None, None, start);
    };
    let remaining = reply_limit
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1));
    match timeout(remaining, exchange(stream, request)).await {
        Err(_) => outcome(CheckKind::L7Tout, None, None, start),
        Ok(Err(_)) | Ok(Ok(None)) => outcome(CheckKind::L7Rsp, None, None, start),
        Ok(Ok(Some((code, reason)))) if (200..400).contains(&code) => {
            let _ = reason;
            outcome(CheckKind::L7Ok, Some(code), None, start)
        }
        Ok(Ok(Some((code, reason)))) => outcome(CheckKind::L7Sts, Some(code), Some(reason), start),
    }
}

/// What HAProxy 2.6 sends before a check (measured): v1 with the check connection's own
/// addresses, v2 as `LOCAL`.
fn check_header(stream: &TcpStream, version: ProxyVersion) -> Vec<u8> {
    match version {
        ProxyVersion::V1 => {
            let addrs = stream.local_addr().and_then(|src| {
                Ok(Addrs {
                    src,
                    dst: stream.peer_addr()?,
                })
            });
            proxy_proto::v1(addrs.ok())
        }
        ProxyVersion::V2 => proxy_proto::v2(None),
    }
}

fn outcome(
    kind: CheckKind,
    code: Option<u16>,
    info: Option<String>,
    start: Instant,
) -> CheckOutcome {
    CheckOutcome {
        kind,
        code,
        info,
        duration: start.elapsed(),
    }
}

/// HAProxy 2.6's wording for connect failures.
pub(super) fn connect_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "Connection refused".into(),
        _ => format!("General socket error ({e})"),
    }
}

/// Sends the request and reads the status line.
async fn exchange(mut stream: TcpStream, request: &[u8]) -> io::Result<Option<(u16, String)>> {
    stream.write_all(request).await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            return Ok(parse_status_line(&buf[..end]));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            // A response cut before its first line ends is as invalid as no response.
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 16 * 1024 {
            return Ok(None);
        }
    }
}

/// `HTTP/1.1 404 Not Found` → (404, "Not Found").
pub fn parse_status_line(line: &[u8]) -> Option<(u16, String)> {
    let line = std::str::from_utf8(line).ok()?;
    let rest = line.strip_prefix("HTTP/")?;
    let (_version, rest) = rest.split_once(' ')?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    (100..=999)
        .contains(&code)
        .then(|| (code, reason.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes_match_haproxy() {
        let seed = HttpCheck {
            method: "GET".into(),
            path: "/health_check.html".into(),
            version: "HTTP/1.0".into(),
            headers: vec![("User-agent".into(), "Proxy-Check".into())],
        };
        assert_eq!(
            http_request(&seed),
            b"GET /health_check.html HTTP/1.0\r\nuser-agent: Proxy-Check\r\n\r\n"
        );
        assert_eq!(
            http_request(&HttpCheck::default()),
            b"OPTIONS / HTTP/1.0\r\n\r\n"
        );
        let v11 = HttpCheck {
            version: "HTTP/1.1".into(),
            ..HttpCheck::default()
        };
        assert!(http_request(&v11).ends_with(b"connection: close\r\n\r\n"));
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 OK"),
            Some((200, "OK".into()))
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.0 404 Not Found"),
            Some((404, "Not Found".into()))
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.1 204"),
            Some((204, String::new()))
        );
        assert_eq!(parse_status_line(b"garbage"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 20 OK"), None);
        assert_eq!(parse_status_line(b"\xff\xfe"), None);
    }
}
