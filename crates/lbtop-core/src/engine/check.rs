//! Health checks: a TCP connect, or an HTTP request whose response passes the `expect`
//! rules, or with none has status 200-399 (docs/haproxy-semantics.md §1.1-1.5).

use super::backend::BackendRt;
use super::proxy_proto::{self, Addrs};
use super::state::CheckOutcome;
use super::stream::Stream;
use crate::config::{status_ranges, ExpectMatch, HealthCheck, HttpCheck, ProxyVersion};
use crate::events::CheckKind;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

/// What one server's check needs to know.
pub struct CheckPlan {
    pub backend: Arc<BackendRt>,
    pub server: usize,
    /// The server's own check address (`addr`): checks go there instead of to the server's
    /// current address.
    pub check_addr: Option<IpAddr>,
    /// The server's check `port`: it replaces the port of whichever address checks go to.
    pub check_port: Option<u16>,
    pub check: HealthCheck,
    /// `http-check disable-on-404`: a 404 from a server that is up passes conditionally.
    pub disable_on_404: bool,
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
    /// `spread-checks`: each interval varies by up to this percentage either way.
    pub spread: u32,
    /// `check-send-proxy` (or `send-proxy`): the PROXY header each check starts with.
    pub send_proxy: Option<ProxyVersion>,
}

/// Runs checks forever, pausing while the server is in maintenance.
pub async fn run(plan: CheckPlan) {
    let server = &plan.backend.servers[plan.server];
    sleep(plan.first_delay).await;
    let http = match &plan.check {
        HealthCheck::Http(http) => Some((http_request(http), Rules::new(http))),
        _ => None,
    };
    let program = super::check_proto::compile(&plan.check);
    let mut rng = seed(plan.server);
    loop {
        if !plan.backend.checks_running(plan.server) {
            server.wake.notified().await;
            continue;
        }
        // Every kind of check goes to the same place, looked up again each time: the
        // server's address may change while running (`resolvers`).
        let addr = server.check_target(server.addr());
        let outcome = match &program {
            Some(program) => super::check_proto::probe(addr, program, &plan).await,
            None => probe(addr, http.as_ref(), &plan).await,
        };
        plan.backend.record_check(plan.server, outcome);
        let (health, max) = plan.backend.health(plan.server);
        tokio::select! {
            _ = sleep(spread(plan.next_interval(health, max), plan.spread, &mut rng)) => {}
            _ = server.wake.notified() => {}
        }
    }
}

impl CheckPlan {
    /// Where a check goes when the server is at `current` (its resolved address now), as
    /// HAProxy does (docs/haproxy-semantics.md §19): its own `addr` if it has one, else
    /// `current`; its check `port`, if it has one, replaces the port of either.
    pub fn target(&self, current: SocketAddr) -> SocketAddr {
        check_target(self.check_addr, self.check_port, current)
    }

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

fn check_target(addr: Option<IpAddr>, port: Option<u16>, current: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.unwrap_or(current.ip()), port.unwrap_or(current.port()))
}

/// `interval` moved by a random amount up to `percent` of it either way, as `spread-checks`
/// asks (docs/haproxy-semantics.md §1.5).
pub fn spread(interval: Duration, percent: u32, rng: &mut u64) -> Duration {
    let ms = interval.as_millis() as u64;
    let reach = ms * u64::from(percent) / 100;
    if reach == 0 {
        return interval;
    }
    // xorshift64*: only the spread needs to be random, not unpredictable.
    *rng ^= *rng >> 12;
    *rng ^= *rng << 25;
    *rng ^= *rng >> 27;
    let draw = rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % (2 * reach + 1);
    Duration::from_millis(ms - reach + draw)
}

fn seed(server: usize) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (now ^ (server as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1
}

/// The bytes HAProxy sends: header names lower-cased, `connection: close` added for HTTP/1.1.
pub fn http_request(check: &HttpCheck) -> Vec<u8> {
    let mut req = format!("{} {} {}\r\n", check.method, check.path, check.version);
    for (name, value) in &check.headers {
        req.push_str(&format!("{}: {value}\r\n", name.to_ascii_lowercase()));
    }
    if !check.body.is_empty() {
        req.push_str(&format!("content-length: {}\r\n", check.body.len()));
    }
    if check.version.eq_ignore_ascii_case("HTTP/1.1") {
        req.push_str("connection: close\r\n");
    }
    req.push_str("\r\n");
    req.push_str(&check.body);
    req.into_bytes()
}

async fn probe(
    addr: SocketAddr,
    http: Option<&(Vec<u8>, Rules)>,
    plan: &CheckPlan,
) -> CheckOutcome {
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
    let stream = match &plan.backend.servers[plan.server].check_tls {
        None => Stream::Plain(stream),
        Some(tls) => match tls.handshake(stream, addr.ip(), None, connect_limit).await {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return outcome(CheckKind::L6Tout, None, None, start)
            }
            Err(e) => return outcome(CheckKind::L6Rsp, None, Some(handshake_error(&e)), start),
        },
    };
    let Some((request, rules)) = http else {
        let kind = match stream {
            Stream::Tls(_) => CheckKind::L6Ok,
            Stream::Plain(_) => CheckKind::L4Ok,
        };
        return outcome(kind, None, None, start);
    };
    let remaining = reply_limit
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1));
    match timeout(remaining, exchange(stream, request, rules.need_body)).await {
        Err(_) => outcome(CheckKind::L7Tout, None, None, start),
        Ok(Err(_)) | Ok(Ok(None)) => outcome(CheckKind::L7Rsp, None, None, start),
        Ok(Ok(Some(reply))) => {
            // Before any `expect` rule, and only while the server is up: a 404 from a
            // server that is down is a failure like any other (measured).
            let stopping =
                plan.disable_on_404 && reply.code == 404 && plan.backend.health_up(plan.server);
            let (kind, code, info) = match stopping {
                true => (CheckKind::L7OkCd, Some(404), None),
                false => rules.judge(&reply),
            };
            outcome(kind, code, info, start).with_head(&reply.head)
        }
    }
}

/// A check's response: its status line and as much of its body as the rules need.
pub struct Reply {
    pub code: u16,
    pub reason: String,
    pub body: Vec<u8>,
    /// Its first bytes, status line included (at most [`crate::events::CHECK_HEAD`]).
    pub head: Vec<u8>,
}

/// The `expect` rules, compiled once per server.
pub struct Rules {
    rules: Vec<Rule>,
    need_body: bool,
}

struct Rule {
    negate: bool,
    matcher: Matcher,
    comment: Option<String>,
}

enum Matcher {
    Status(Vec<(u16, u16)>),
    /// `None`: a pattern the engine refused (load checks it, so never in practice).
    Rstatus(Option<regex::Regex>),
    String(Vec<u8>),
    Rstring(Option<regex::bytes::Regex>),
}

impl Rules {
    pub fn new(check: &HttpCheck) -> Rules {
        let rules = check
            .expect
            .iter()
            .map(|e| Rule {
                negate: e.negate,
                comment: e.comment.clone(),
                matcher: match &e.what {
                    ExpectMatch::Status(p) => Matcher::Status(status_ranges(p).unwrap_or_default()),
                    ExpectMatch::Rstatus(p) => Matcher::Rstatus(regex::Regex::new(p).ok()),
                    ExpectMatch::String(p) => Matcher::String(p.as_bytes().to_vec()),
                    ExpectMatch::Rstring(p) => Matcher::Rstring(regex::bytes::Regex::new(p).ok()),
                },
            })
            .collect();
        Rules {
            rules,
            need_body: check.expect.iter().any(|e| e.what.needs_body()),
        }
    }

    /// The outcome HAProxy gives `reply` (docs/haproxy-semantics.md §1.5): the first rule
    /// that fails decides; a status rule fails as "wrong status" with the reason phrase, a
    /// content rule as "invalid response"; either adds its comment.
    pub fn judge(&self, reply: &Reply) -> (CheckKind, Option<u16>, Option<String>) {
        let code = reply.code;
        if self.rules.is_empty() {
            return match (200..400).contains(&code) {
                true => (CheckKind::L7Ok, Some(code), None),
                false => (CheckKind::L7Sts, Some(code), Some(reply.reason.clone())),
            };
        }
        for r in &self.rules {
            let found = r.matcher.found(reply);
            if found != r.negate {
                continue;
            }
            let with_comment = |text: &str| match &r.comment {
                Some(c) => format!("{text} comment: {c}"),
                None => text.to_string(),
            };
            return match (&r.matcher, r.negate) {
                (Matcher::Status(_) | Matcher::Rstatus(_), _) => (
                    CheckKind::L7Sts,
                    Some(code),
                    Some(with_comment(&reply.reason)),
                ),
                (_, false) => (
                    CheckKind::L7Rsp,
                    None,
                    Some(with_comment("HTTP content check did not match")),
                ),
                (_, true) => (
                    CheckKind::L7Rsp,
                    None,
                    Some(with_comment("HTTP check matched unwanted content")),
                ),
            };
        }
        (CheckKind::L7Ok, Some(code), None)
    }
}

impl Matcher {
    fn found(&self, reply: &Reply) -> bool {
        match self {
            Matcher::Status(ranges) => ranges
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&reply.code)),
            Matcher::Rstatus(re) => re
                .as_ref()
                .is_some_and(|re| re.is_match(&reply.code.to_string())),
            Matcher::String(s) => s.is_empty() || reply.body.windows(s.len()).any(|w| w == s),
            Matcher::Rstring(re) => re.as_ref().is_some_and(|re| re.is_match(&reply.body)),
        }
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

pub(super) fn outcome(
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
        head: None,
    }
}

/// HAProxy 2.6's wording for connect failures.
/// HAProxy's `info` for a check whose TLS handshake failed.
fn handshake_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionReset => "SSL handshake failure (Connection reset by peer)".into(),
        _ => "SSL handshake failure".into(),
    }
}

pub(super) fn connect_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "Connection refused".into(),
        _ => format!("General socket error ({e})"),
    }
}

/// HAProxy's check buffer (its default `tune.bufsize`): a body is matched on what fits.
const CHECK_BUF: usize = 16 * 1024;

/// Sends the request and reads the status line, and with `body` the whole response (to its
/// end, its Content-Length, or a full buffer).
async fn exchange(mut stream: Stream, request: &[u8], body: bool) -> io::Result<Option<Reply>> {
    stream.write_all(request).await?;
    stream.flush().await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let mut head: Option<(Reply, usize, Option<usize>)> = None;
    loop {
        if head.is_none() {
            head = read_head(&buf, body)?;
        }
        if let Some((reply, start, len)) = &mut head {
            let got = buf.len() - *start;
            if !body || len.is_some_and(|l| got >= l) || buf.len() >= CHECK_BUF {
                reply.body = buf[*start..].to_vec();
                reply.head = first_bytes(&buf);
                return Ok(head.map(|h| h.0));
            }
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            // A response cut before its first line ends is as invalid as no response; a
            // body ends with the connection.
            return Ok(head.map(|(mut r, start, _)| {
                r.body = buf[start.min(buf.len())..].to_vec();
                r.head = first_bytes(&buf);
                r
            }));
        }
        buf.extend_from_slice(&chunk[..n]);
        if head.is_none() && buf.len() > CHECK_BUF {
            return Ok(None);
        }
    }
}

/// The status line (and, when the body is wanted, the headers) once `buf` holds them: the
/// reply so far, where its body starts and its Content-Length. An invalid status line is
/// an error.
fn read_head(buf: &[u8], body: bool) -> io::Result<Option<(Reply, usize, Option<usize>)>> {
    let invalid = || io::Error::new(io::ErrorKind::InvalidData, "invalid status line");
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let (code, reason) = parse_status_line(&buf[..eol]).ok_or_else(invalid)?;
    let reply = Reply {
        code,
        reason,
        body: Vec::new(),
        head: Vec::new(),
    };
    if !body {
        return Ok(Some((reply, buf.len(), Some(0))));
    }
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    Ok(Some((reply, end + 4, content_length(&buf[eol + 2..end]))))
}

fn first_bytes(buf: &[u8]) -> Vec<u8> {
    buf[..buf.len().min(crate::events::CHECK_HEAD)].to_vec()
}

fn content_length(headers: &[u8]) -> Option<usize> {
    headers.split(|&b| b == b'\n').find_map(|line| {
        let line = std::str::from_utf8(line).ok()?;
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
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
    fn checks_follow_the_current_address_unless_addr_is_set() {
        let now: SocketAddr = "127.0.0.9:8080".parse().unwrap();
        let own: IpAddr = "127.0.0.7".parse().unwrap();
        assert_eq!(check_target(None, None, now), now);
        assert_eq!(
            check_target(None, Some(9000), now),
            "127.0.0.9:9000".parse().unwrap()
        );
        assert_eq!(
            check_target(Some(own), None, now),
            "127.0.0.7:8080".parse().unwrap()
        );
        assert_eq!(
            check_target(Some(own), Some(9000), now),
            "127.0.0.7:9000".parse().unwrap()
        );
    }

    #[test]
    fn request_bytes_match_haproxy() {
        let seed = HttpCheck {
            method: "GET".into(),
            path: "/health_check.html".into(),
            version: "HTTP/1.0".into(),
            headers: vec![("User-agent".into(), "Proxy-Check".into())],
            body: String::new(),
            expect: Vec::new(),
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
        // Measured on HAProxy 2.6: `http-check send meth POST uri /x ver HTTP/1.1 hdr Host
        // example body "hello world"`.
        let post = HttpCheck {
            method: "POST".into(),
            path: "/x".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("Host".into(), "example".into())],
            body: "hello world".into(),
            ..HttpCheck::default()
        };
        assert_eq!(
            http_request(&post),
            b"POST /x HTTP/1.1\r\nhost: example\r\ncontent-length: 11\r\nconnection: close\r\n\r\nhello world"
        );
    }

    #[test]
    fn spread_stays_within_its_percentage() {
        let mut rng = 7;
        let inter = Duration::from_millis(1000);
        assert_eq!(spread(inter, 0, &mut rng), inter);
        let draws: Vec<Duration> = (0..500).map(|_| spread(inter, 10, &mut rng)).collect();
        assert!(draws.iter().all(|d| (900..=1100).contains(&d.as_millis())));
        assert!(draws.iter().any(|d| d.as_millis() < 950));
        assert!(draws.iter().any(|d| d.as_millis() > 1050));
    }

    #[test]
    fn expect_rules_judge_as_haproxy() {
        use crate::config::{Expect, ExpectMatch};
        let reply = |code, reason: &str, body: &str| Reply {
            code,
            reason: reason.into(),
            body: body.as_bytes().to_vec(),
            head: Vec::new(),
        };
        let rules = |expect: Vec<Expect>| {
            Rules::new(&HttpCheck {
                expect,
                ..HttpCheck::default()
            })
        };
        let e = |negate, what, comment: Option<&str>| Expect {
            negate,
            what,
            comment: comment.map(String::from),
        };
        let none = rules(vec![]);
        assert_eq!(none.judge(&reply(302, "Found", "")).0, CheckKind::L7Ok);
        assert_eq!(
            none.judge(&reply(500, "Oops", "")),
            (CheckKind::L7Sts, Some(500), Some("Oops".into()))
        );
        let status = rules(vec![e(
            false,
            ExpectMatch::Status("200,204-206".into()),
            None,
        )]);
        assert_eq!(status.judge(&reply(205, "", "")).0, CheckKind::L7Ok);
        assert_eq!(status.judge(&reply(302, "Found", "")).0, CheckKind::L7Sts);
        let not_5xx = rules(vec![e(true, ExpectMatch::Rstatus("^5".into()), Some("c"))]);
        assert_eq!(not_5xx.judge(&reply(404, "", "")).0, CheckKind::L7Ok);
        assert_eq!(
            not_5xx.judge(&reply(503, "Busy", "")),
            (CheckKind::L7Sts, Some(503), Some("Busy comment: c".into()))
        );
        // Content rules ignore the status and fail as an invalid response, with no code.
        let body = rules(vec![e(false, ExpectMatch::String("up".into()), None)]);
        assert_eq!(body.judge(&reply(500, "", "is up")).0, CheckKind::L7Ok);
        assert_eq!(
            body.judge(&reply(200, "OK", "down")),
            (
                CheckKind::L7Rsp,
                None,
                Some("HTTP content check did not match".into())
            )
        );
        let unwanted = rules(vec![e(true, ExpectMatch::Rstring("err(or)?".into()), None)]);
        assert_eq!(
            unwanted.judge(&reply(200, "OK", "an error")).2,
            Some("HTTP check matched unwanted content".into())
        );
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
