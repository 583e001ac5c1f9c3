//! Differential tests of the rewriting rules (`http-request set-header`..., `http-response
//! set-header`..., `set-status`): the same haproxy.cfg given to real HAProxy 2.6 and to lbtop,
//! the same origins, the same requests. The origin answers with the request head it received
//! as its body, and with `Server`/`X-Powered-By` headers to strip, so the client's bytes show
//! both the head that reached the origin and the response head the client got; the httplog
//! lines (timers and ports masked) must match too (docs/haproxy-semantics.md §21.4).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::exchange;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const GLOBAL: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An origin that answers every request with the head it received as its body, named in
/// `x-server`, with the headers sites usually strip; `/status/NNN` answers status NNN.
async fn echo_origin(name: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(echo(s, name));
        }
    });
    addr
}

async fn echo(mut s: TcpStream, name: &str) {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    };
    let head = &buf[..end];
    let text = String::from_utf8_lossy(head);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|t| t.strip_prefix("/status/"))
        .and_then(|c| c.get(..3))
        .unwrap_or("200")
        .to_string();
    let mut reply = format!(
        "HTTP/1.1 {status} Whatever\r\nServer: Apache/2.4\r\nX-Powered-By: PHP/8.1\r\n\
         X-Multi: a, b\r\nX-Server: {name}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        head.len()
    )
    .into_bytes();
    reply.extend_from_slice(head);
    let _ = s.write_all(&reply).await;
}

fn wait_lines(c: &Contender, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.sink.count() < n {
        assert!(Instant::now() < deadline, "{:?}: no log line {n}", c.kind);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `requests` (each on its own connection) through HAProxy then lbtop; per proxy, every
/// answer's bytes then the log lines.
fn both(names: &[&'static str], template: &str, requests: &[String]) -> [Vec<String>; 2] {
    let rt = rt();
    [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let addrs: BTreeMap<&str, SocketAddr> = names
            .iter()
            .map(|&n| (n, rt.block_on(echo_origin(n))))
            .collect();
        let c = Contender::start(kind, template, &addrs);
        let before = c.sink.count();
        let mut out = Vec::new();
        for (i, req) in requests.iter().enumerate() {
            let raw = rt.block_on(exchange(c.addr(), req.as_bytes()));
            out.push(String::from_utf8_lossy(&raw).into_owned());
            wait_lines(&c, before + i + 1);
        }
        out.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        out
    })
}

/// `%ac/%fc/%bc/%sc/%rc` masked: a connection whose close the client has seen may still be
/// counted when the next one is logged, in HAProxy as in lbtop, by a few microseconds.
fn mask_conns(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let masked = words.iter().enumerate().map(|(i, w)| {
        if i == 11 && w.split('/').count() == 5 {
            "CONNS"
        } else {
            w
        }
    });
    masked.collect::<Vec<_>>().join(" ")
}

fn assert_same(what: &str, [haproxy, lbtop]: [Vec<String>; 2]) -> Vec<String> {
    for (h, l) in haproxy.iter().zip(&lbtop) {
        assert_eq!(h, l, "{what}: HAProxy (left) and lbtop (right) differ");
    }
    assert_eq!(
        haproxy.len(),
        lbtop.len(),
        "{what}:\n{haproxy:#?}\n{lbtop:#?}"
    );
    haproxy
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: lab\r\n{extra}connection: close\r\n\r\n")
}

/// Every request action, in order, each later rule and `use_backend` reading the request as
/// the earlier ones left it.
#[test]
fn request_rewrites_reach_the_origin_as_haproxy_sends_them() {
    if !haproxy_available() {
        return;
    }
    let frontend = r#"
frontend fe
    bind 127.0.0.1:{PORT}
    http-request set-header X-Forwarded-Proto http
    http-request add-header X-Add one
    http-request add-header X-Add two
    http-request set-header X-Host %[req.hdr(host)]
    http-request del-header X-Del-Me
    http-request del-header x-beg- -m beg
    http-request del-header ^x-re[0-9]$ -m reg
    http-request replace-header X-Rep old new
    http-request replace-value X-Val ^a$ z
    http-request replace-value X-Val2 b Q\0
    http-request set-header X-Missing %[req.hdr(nothere)]
    http-request replace-path ^/api(/.*) \1
    http-request set-path /p%[path] if { path_beg /pre }
    http-request set-query a=%[query] if { path_beg /q }
    http-request set-query %[req.hdr(x-q)] if { path_beg /eq }
    http-request set-uri /u?v if { path /uri }
    http-request set-method POST if { path /meth }
    http-request set-header X-Seen %[method]:%[path]:%[query]
    http-request set-header X-Esc "%[req.hdr(x-in),regsub(z,\"\x01\x7f\r\n\tz\")]"
    http-request deny if { path /p/pre/deny }
    use_backend other if { path_beg /x }
    default_backend app
backend app
    server a {a}
backend other
    http-request set-header X-Backend %[path]
    server o {o}
"#;
    let template = format!("{GLOBAL}{frontend}");
    let requests = [
        get(
            "/api/x?q=1",
            "X-Del-Me: 1\r\nX-Beg-A: 1\r\nX-beg-b: 2\r\nX-Re1: 1\r\nX-Re12: 1\r\n\
             X-Rep: v-old-x\r\nX-Val: a, b,a\r\nX-Val2: ab, b\r\nX-Add: zero\r\n\
             X-Forwarded-Proto: https\r\n",
        ),
        get("/pre/a", ""),
        get("/pre/deny", ""),
        get("/q?b=2", ""),
        get("/q", ""),
        get("/eq?b=1", ""),
        get("/eq", ""),
        get("/uri?x", ""),
        get("/meth", ""),
        get("/", "x-in: azb\"c#%\r\n"),
        "GET http://lab/api/abs?k HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n".into(),
        "GET /api/old HTTP/1.0\r\nhost: lab\r\n\r\n".into(),
    ];
    let out = assert_same("request rewrites", both(&["a", "o"], &template, &requests));
    let has = |needle: &str| out.iter().any(|l| l.contains(needle));
    assert!(has("GET /x?q=1 HTTP/1.1\r\n"), "{out:#?}");
    assert!(has("x-val: z, b,z\r\n"), "{out:#?}");
    assert!(has("x-backend: /x\r\n"), "{out:#?}");
    assert!(has(" fe other/o "), "{out:#?}");
    assert!(has("x-esc: a%01%7F%0D%0A\tzb\"c#%\r\n"), "{out:#?}");
}

/// The common response shapes: HSTS, stripping `Server` and `X-Powered-By`, a status set
/// (with and without a reason) read by later conditions, the backend's rules before the
/// frontend's, and `%B` counting the rewritten head.
#[test]
fn response_rewrites_reach_the_client_as_haproxy_sends_them() {
    if !haproxy_available() {
        return;
    }
    let frontend = r#"
frontend fe
    bind 127.0.0.1:{PORT}
    http-response set-header Strict-Transport-Security "max-age=31536000; includeSubDomains"
    http-response del-header Server
    http-response del-header X-Powered-By
    http-response replace-value X-Multi ^b$ c
    http-response set-status 503 if { status 500 }
    http-response set-status 202 reason "Fine Thanks" if { status 404 } { res.hdr(x-multi) -m sub c }
    http-response set-status 299 if { status 201 }
    http-response set-header X-Fe %[status]:%[res.hdr_cnt(x-multi)]:%[src]
    http-response add-header X-Be-Was %[res.hdr(x-fe)] if { shdr(x-fe) -m found }
    default_backend app
backend app
    http-response set-header X-Fe be-first
    http-response replace-header X-Server ^(.*)$ <\1>
    server a {a}
"#;
    let template = format!("{GLOBAL}{frontend}");
    let requests = [
        get("/", ""),
        get("/status/500", ""),
        get("/status/404", ""),
        get("/status/201", ""),
        "HEAD / HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n".into(),
        "GET / HTTP/1.0\r\nhost: lab\r\n\r\n".into(),
    ];
    let out = assert_same("response rewrites", both(&["a"], &template, &requests));
    let has = |needle: &str| out.iter().any(|l| l.contains(needle));
    assert!(
        has("strict-transport-security: max-age=31536000"),
        "{out:#?}"
    );
    assert!(!has("server: Apache"), "{out:#?}");
    assert!(has("HTTP/1.1 503 Service Unavailable\r\n"), "{out:#?}");
    assert!(has(" fe app/a ") && has(" 503 "), "{out:#?}");
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("authorization: Basic {token}\r\n")
}

/// Basic auth on `/admin` with a userlist: HAProxy's 401 (realm as given, or the proxy's
/// name), then 200 with the right password, for a plain and a bcrypt user, a wrong password
/// refused, and a group required on `/ops`; the 401's bytes and log lines as HAProxy's.
#[test]
fn basic_auth_with_a_userlist_answers_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    // The bcrypt hash is of `hunter2` (made with `mkpasswd` on Debian 12).
    let config = r#"
userlist admins
    group ops
    user alice insecure-password secret groups ops
    user bob password $2b$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.
frontend fe
    bind 127.0.0.1:{PORT}
    http-request auth if { path_beg /admin } !{ http_auth(admins) }
    http-request auth realm "Ops only" if { path_beg /ops } !{ http_auth_group(admins) ops }
    http-request set-header X-Authed yes if { http_auth(admins) }
    default_backend app
backend app
    server a {a}
"#;
    let template = format!("{GLOBAL}{config}");
    let requests = [
        get("/admin", ""),
        get("/admin", &basic("alice", "secret")),
        get("/admin", &basic("bob", "hunter2")),
        get("/admin", &basic("bob", "hunter2")),
        get("/admin", &basic("bob", "wrong")),
        get("/admin", &basic("nobody", "secret")),
        get("/admin", "authorization: Basic !!!\r\n"),
        get("/ops", &basic("bob", "hunter2")),
        get("/ops", &basic("alice", "secret")),
        "GET /admin HTTP/1.0\r\nhost: lab\r\n\r\n".into(),
    ];
    let out = assert_same("basic auth", both(&["a"], &template, &requests));
    let has = |needle: &str| out.iter().any(|l| l.contains(needle));
    assert!(has("www-authenticate: Basic realm=\"fe\"\r\n"), "{out:#?}");
    assert!(
        has("www-authenticate: Basic realm=\"Ops only\"\r\n"),
        "{out:#?}"
    );
    assert!(has("x-authed: yes\r\n"), "{out:#?}");
    assert!(
        has(" fe fe/<NOSRV> T/-1/-1/-1/T 401 247 - - LR-- CONNS "),
        "{out:#?}"
    );
}

/// `set-var` then the variable in a later header, in an ACL that picks the backend, and in a
/// backend's rule; a sample without a value and `unset-var`.
#[test]
fn variables_set_by_rules_are_read_as_haproxy_reads_them() {
    if !haproxy_available() {
        return;
    }
    let config = r#"
frontend fe
    bind 127.0.0.1:{PORT}
    http-request set-var(txn.tenant) req.hdr(host),field(1,.),lower
    http-request set-var(txn.tenant) req.hdr(x-none) if { path /none }
    http-request unset-var(txn.tenant) if { path /unset }
    http-request set-var(req.p) path
    http-request set-header X-Tenant %[var(txn.tenant)]
    acl enterprise var(txn.tenant) -m str acme globex
    use_backend dedicated if enterprise
    default_backend shared
backend dedicated
    http-request set-header X-Path-Var %[var(req.p)]
    server d {d}
backend shared
    server s {s}
"#;
    let template = format!("{GLOBAL}{config}");
    let host = |h: &str, path: &str| {
        format!("GET {path} HTTP/1.1\r\nhost: {h}\r\nconnection: close\r\n\r\n")
    };
    let requests = [
        host("ACME.example.com", "/a"),
        host("other.example.com", "/b"),
        host("globex.example.com", "/none"),
        host("acme.example.com", "/unset"),
    ];
    let out = assert_same("variables", both(&["d", "s"], &template, &requests));
    let has = |needle: &str| out.iter().any(|l| l.contains(needle));
    assert!(has("x-tenant: acme\r\nx-path-var: /a\r\n"), "{out:#?}");
    assert!(has(" fe dedicated/d "), "{out:#?}");
}

/// A rewrite that leaves a request line a server would misread (a blank in the path) is not
/// sent: lbtop answers 500 and closes, where HAProxy sends `GET /a b HTTP/1.1` (a deliberate
/// difference, docs/haproxy-semantics.md §21.4).
#[test]
fn a_rewrite_that_breaks_the_request_line_is_answered_500() {
    let config = "\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    http-request set-path %[req.hdr(x)]\n    default_backend app\nbackend app\n    server a {a}\n";
    let template = format!("{GLOBAL}{config}");
    let rt = rt();
    let addrs: BTreeMap<&str, SocketAddr> = [("a", rt.block_on(echo_origin("a")))].into();
    let c = Contender::start(Kind::Lbtop, &template, &addrs);
    let raw = rt.block_on(exchange(c.addr(), get("/", "x: /a b\r\n").as_bytes()));
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 500 "), "{text}");
    assert!(
        text.contains("connection: close\r\n") || text.contains("Connection: close\r\n"),
        "{text}"
    );
    let fine = rt.block_on(exchange(c.addr(), get("/", "x: /b\r\n").as_bytes()));
    assert!(String::from_utf8_lossy(&fine).contains("GET /b HTTP/1.1\r\n"));
}
