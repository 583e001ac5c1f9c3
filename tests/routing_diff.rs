//! Differential tests of ACLs and routing: the same haproxy.cfg given to real HAProxy 2.6 and
//! to lbtop, the same real backends, the same requests. What a client sees (status, which
//! server answered, the whole answer when the proxy answers itself) and the httplog lines
//! (timers and ports masked) must match (docs/haproxy-semantics.md §21).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::{exchange, parse_reply};
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const GLOBAL: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    timeout tarpit 300ms\n";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits until the sink holds `n` lines (each request is logged before the next is sent, so
/// the lines keep the requests' order).
fn wait_lines(c: &Contender, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.sink.count() < n {
        assert!(Instant::now() < deadline, "{:?}: no log line {n}", c.kind);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a client saw, in one line: the whole answer when the proxy answered itself, else
/// the status and the server that answered.
fn seen(raw: &[u8]) -> String {
    let r = parse_reply(raw);
    match r.header("x-server") {
        Some(server) => format!("{} from {server}", r.status),
        None => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Runs `requests` (raw, each on its own connection) through HAProxy then lbtop with fresh
/// origins `names`; returns, per proxy, what each client saw, the log lines and, when the
/// template has a `listen stats` on `{STATS}`, the request counters of its CSV.
fn both(names: &[&str], template: &str, requests: &[String]) -> [Vec<String>; 2] {
    let rt = rt();
    [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origins: BTreeMap<&str, Origin> = names
            .iter()
            .map(|&n| (n, rt.block_on(Origin::start(n, Duration::ZERO))))
            .collect();
        let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
        let stats = common::free_port();
        let template = template.replace("{STATS}", &stats.to_string());
        let c = Contender::start(kind, &template, &addrs);
        let before = c.sink.count();
        let mut out = Vec::new();
        for (i, req) in requests.iter().enumerate() {
            out.push(seen(&rt.block_on(exchange(c.addr(), req.as_bytes()))));
            wait_lines(&c, before + i + 1);
        }
        out.extend(c.sink.lines_from(before).iter().map(|l| mask_conns(l)));
        if template.contains("listen stats") {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], stats));
            let raw = rt.block_on(exchange(addr, get("/stats;csv", "").as_bytes()));
            let reply = parse_reply(&raw);
            let body = match reply.header("transfer-encoding") {
                Some(_) => dechunk(&reply.body),
                None => reply.body,
            };
            out.extend(counters(&body));
        }
        out
    })
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

/// `%ac/%fc/%bc/%sc/%rc` masked: a connection whose close the client has seen may still be
/// counted when the next one is logged, in HAProxy as in lbtop, by a few microseconds.
fn mask_conns(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let masked = words.iter().enumerate().map(|(i, w)| {
        let conns = i == 11 && w.split('/').count() == 5;
        if conns {
            "CONNS"
        } else {
            w
        }
    });
    masked.collect::<Vec<_>>().join(" ")
}

/// A chunked body's data.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The request counters of the CSV's frontend and backend rows (not the stats proxy's own).
fn counters(csv: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let head: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let at = |name: &str| head.iter().position(|h| *h == name).unwrap();
    // Not `req_tot`: HAProxy counts the harness's start-up probe (a connection closed before
    // any request) there, lbtop does not; that is no rule's doing.
    let keep = [
        "stot",
        "dreq",
        "dresp",
        "intercepted",
        "hrsp_2xx",
        "hrsp_3xx",
        "hrsp_4xx",
        "hrsp_5xx",
    ];
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() > 2 && f[0] != "stats" && (f[1] == "FRONTEND" || f[1] == "BACKEND"))
        .map(|f| {
            let vals: Vec<String> = keep.iter().map(|k| format!("{k}={}", f[at(k)])).collect();
            format!("{} {} {}", f[0], f[1], vals.join(" "))
        })
        .collect()
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: lab\r\n{extra}connection: close\r\n\r\n")
}

/// A host router with a map file, `/api` vs static by path, deny by source, every redirect
/// form, `http-request return`, `allow`, `tarpit`, `use-server`, predefined ACLs and a
/// dynamic `use_backend` with `lower` and `map` (an unknown host falls to the default).
#[test]
fn routing_rules_answer_and_log_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("hosts.map");
    std::fs::write(
        &map,
        "# host backend\nwww.example.com app\napi.example.com api\n",
    )
    .unwrap();
    let frontend = r#"
frontend fe
    bind 127.0.0.1:{PORT}
    acl is_api path_beg /api
    acl blocked src 127.0.0.0/8
    http-request deny if blocked { hdr(x-block) -m found }
    http-request deny deny_status 429 if { path /slow }
    http-request deny deny_status 403 hdr X-Blocked-By "lab-%[path]" if { path /blocked }
    http-request deny status 429 content-type text/plain string "slow down" hdr x-a b if { path /slow2 }
    http-request deny status 404 if { path /deny404 }
    http-request deny hdr x-z 1 if { path /denyhdr }
    http-request set-var(txn.flag) bool(TRUE) if { path /flag }
    http-request return status 200 content-type text/plain lf-string "len=%[path,length] flag=%[var(txn.flag),bool]" if { var(txn.flag),bool }
    http-request return status 200 content-type text/plain string long if { path,length gt 20 } !{ bool(0) }
    http-request tarpit if { path /tarpit }
    http-request return status 200 content-type text/plain string pong if { path /ping }
    http-request return status 404 if { path /gone }
    http-request return status 200 content-type text/plain lf-string "m=%[method] p=%[path]" if { path_beg /echo }
    http-request allow if { path /allowed }
    http-request deny if { path_beg /allowed }
    http-request redirect scheme https code 301 if { path /secure }
    http-request redirect prefix /v2 drop-query if { path_beg /v1 }
    http-request redirect location /new code 308 if { path /old }
    redirect location /kw set-cookie SEEN=1 if { path /kw }
    redirect prefix http://other.example append-slash if { path_beg /move }
    redirect code 301 prefix / append-slash drop-query if { path /docs }
    http-request return status 204 hdr A-B "x y" hdr C %[path] if { path /pre }
    http-request return status 404 hdr X 1 content-type text/plain string hi if { path /hdr }
    use_backend api if is_api METH_GET || is_api METH_POST
    use_backend %[req.hdr(host),lower,map({MAP})] if { hdr(x-dyn) -m found }
    use_backend static if { path_end .css .js } !{ hdr_cnt(cookie) gt 0 }
    default_backend app
backend app
    use-server a2 if { path /pin }
    server a1 {a}
    server a2 {b}
backend api
    http-request deny if { path /api/private }
    server c {c}
backend static
    server d {d}
listen stats
    bind 127.0.0.1:{STATS}
    stats enable
    stats uri /stats
"#;
    let template = format!("{GLOBAL}{frontend}").replace("{MAP}", &map.display().to_string());
    let requests = [
        get("/", ""),
        get("/pin", ""),
        get("/api/users", ""),
        "DELETE /api/users HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n".to_string(),
        get("/api/private", ""),
        get("/x", "x-block: 1\r\n"),
        get("/slow", ""),
        get("/blocked", ""),
        get("/slow2", ""),
        get("/deny404", ""),
        get("/denyhdr", ""),
        get("/flag", ""),
        get("/a/path/longer/than/twenty", ""),
        get("/tarpit", ""),
        get("/ping", ""),
        get("/gone", ""),
        get("/echo/x?y=1", ""),
        get("/allowed", ""),
        get("/allowed2", ""),
        get("/secure?a=1", ""),
        get("/v1/a?b=1", ""),
        get("/old", ""),
        get("/kw", ""),
        get("/move/x?q", ""),
        get("/docs?x=1", ""),
        get("/pre", ""),
        get("/hdr", ""),
        get("/style.css", ""),
        get("/style.css", "cookie: a=1\r\n"),
        "GET / HTTP/1.1\r\nhost: WWW.Example.com\r\nx-dyn: 1\r\nconnection: close\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nhost: API.example.com\r\nx-dyn: 1\r\nconnection: close\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nhost: nope.example\r\nx-dyn: 1\r\nconnection: close\r\n\r\n".into(),
        "GET /old HTTP/1.0\r\n\r\n".into(),
        // More header lines than lbtop's rules view keeps on the stack.
        {
            let many: String = (0..40).map(|i| format!("x-h{i}: {i}\r\n")).collect();
            format!("GET /many HTTP/1.1\r\nhost: api.example.com\r\n{many}x-dyn: 1\r\nconnection: close\r\n\r\n")
        },
    ];
    let out = assert_same("routing", both(&["a", "b", "c", "d"], &template, &requests));
    // A few things spelt out, so that a change in both would still be caught.
    let has = |needle: &str| out.iter().any(|l| l.contains(needle));
    assert!(
        has(" fe fe/<NOSRV> T/-1/-1/-1/T 403 192 - - PR-- "),
        "{out:#?}"
    );
    assert!(
        has(" fe api/<NOSRV> T/-1/-1/-1/T 403 192 - - PR-- "),
        "{out:#?}"
    );
    assert!(has(" fe fe/<NOSRV> -1/T/-1/-1/T 500 "), "{out:#?}");
    assert!(has(" fe fe/<NOSRV> T/-1/-1/-1/T 301 "), "{out:#?}");
    assert!(
        has("location: http://other.example/move/x?q/\r\n"),
        "{out:#?}"
    );
    assert!(has(" fe static/d "), "{out:#?}");
    assert!(has(" fe app/a2 "), "{out:#?}");
    // Denies: x-block, /slow, the four denies with `return` options, /tarpit, /allowed2 and
    // the backend's /api/private; redirects and returns: fourteen.
    assert!(
        has("fe FRONTEND stot=35 dreq=9 dresp=0 intercepted=14 "),
        "{out:#?}"
    );
    // `bool()`, `,bool` and `,length` (an integer: `gt 20` compares numbers).
    assert!(has("len=5 flag=1"), "{out:#?}");
    assert!(has("\r\n\r\nlong"), "{out:#?}");
    // A deny with `return` options answers as `return` does, and logs as a deny.
    assert!(
        has("HTTP/1.1 403 Forbidden\r\nx-blocked-by: lab-/blocked\r\ncontent-length: 0\r\n"),
        "{out:#?}"
    );
    assert!(
        has(" fe fe/<NOSRV> T/-1/-1/-1/T 429 99 - - PR-- "),
        "{out:#?}"
    );
    assert!(has("api BACKEND stot=4 dreq=1 "), "{out:#?}");
}

/// `use_backend` in a TCP frontend, on the port the client connected to.
#[test]
fn tcp_use_backend_by_destination_port() {
    if !haproxy_available() {
        return;
    }
    let port2 = common::free_port();
    let template = format!(
        "{GLOBAL}\nfrontend t\n    mode tcp\n    option tcplog\n    bind 127.0.0.1:{{PORT}}\n    \
         bind 127.0.0.1:{port2}\n    use_backend tb if {{ dst_port {port2} }}\n    \
         default_backend ta\nbackend ta\n    mode tcp\n    server a {{a}}\n\
         backend tb\n    mode tcp\n    server b {{b}}\n"
    );
    let rt = rt();
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origins: BTreeMap<&str, Origin> = ["a", "b"]
            .iter()
            .map(|&n| (n, rt.block_on(Origin::start(n, Duration::ZERO))))
            .collect();
        let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
        let c = Contender::start(kind, &template, &addrs);
        let before = c.sink.count();
        let mut seen_by = Vec::new();
        for (i, port) in [c.port, port2, c.port].into_iter().enumerate() {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let raw = rt.block_on(exchange(addr, get("/", "").as_bytes()));
            seen_by.push(seen(&raw));
            wait_lines(&c, before + i + 1);
        }
        seen_by.extend(c.sink.lines_from(before).into_iter().map(|l| mask_tcp(&l)));
        seen_by
    });
    let out = assert_same("tcp use_backend", out);
    assert_eq!(
        out[..3],
        ["200 from a", "200 from b", "200 from a"],
        "{out:#?}"
    );
}

/// The tcplog line's timers, byte count and connection counts vary with the connection's
/// timing (see `mask_conns`).
fn mask_tcp(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| if [5, 6, 8].contains(&i) { "X" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A frontend with no backend at all, as an HTTP-to-HTTPS redirect frontend is written:
/// HAProxy loads it, redirects what its rule takes and answers the rest with its 503
/// (`<NOSRV>`, `SC--`); a TCP frontend without a backend closes its connections.
#[test]
fn a_frontend_without_a_backend_redirects_and_answers_503() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend http\n    bind 127.0.0.1:{{PORT}}\n    \
         redirect scheme https code 301 if {{ hdr(host) -i r.example }}\n"
    );
    let requests = [
        get("/x", ""),
        "GET /x HTTP/1.1\r\nhost: r.example\r\nconnection: close\r\n\r\n".to_string(),
    ];
    let out = assert_same("no backend", both(&[], &template, &requests));
    assert!(out[0].starts_with("HTTP/1.1 503 "), "{out:#?}");
    assert!(out[1].contains("location: https://r.example/x"), "{out:#?}");
    let has = |want: &str| out.iter().any(|l| l.contains(want));
    assert!(has(" http http/<NOSRV> -1/-1/-1/-1/"), "{out:#?}");
    assert!(has(" 503 217 - - SC-- "), "{out:#?}");
    assert!(has(" 301 91 - - LR-- "), "{out:#?}");

    let tcp = format!(
        "{GLOBAL}\nfrontend t\n    mode tcp\n    option tcplog\n    bind 127.0.0.1:{{PORT}}\n"
    );
    let rt = rt();
    let out = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let c = Contender::start(kind, &tcp, &BTreeMap::new());
        let before = c.sink.count();
        let raw = rt.block_on(send_until_closed(c.addr(), b"hello"));
        wait_lines(&c, before + 1);
        let mut seen = vec![format!("client got {} bytes", raw.len())];
        seen.extend(c.sink.lines_from(before).into_iter().map(|l| mask_tcp(&l)));
        seen
    });
    let out = assert_same("tcp without a backend", out);
    assert!(out[1].contains(" t t/<NOSRV> "), "{out:#?}");
}

/// Sends `bytes` and reads until the proxy closes. A reset counts as a close: whether the
/// proxy's close finds the bytes unread (a reset) or not yet arrived (a FIN) is timing, in
/// both proxies (CI saw lbtop's reset once under load).
async fn send_until_closed(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let work = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        // The close may already be here: a failed write is the same close.
        let _ = s.write_all(bytes).await;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = s.read(&mut buf).await {
            out.extend_from_slice(&buf[..n]);
        }
        out
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("closed within 10 s")
}

/// `http-response deny|return|allow`: the server's response is replaced by the rule's
/// answer (`PH--` for a deny, `LH--` for a return, `Tr` -1, `%B` with the server's bytes
/// read), or the rules after an `allow` do not run.
#[test]
fn response_rules_answer_in_place_of_the_server_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let backend = r#"
frontend fe
    bind 127.0.0.1:{PORT}
    default_backend app
backend app
    http-response deny if { res.hdr(x-act) -m str deny }
    http-response deny deny_status 503 if { res.hdr(x-act) -m str deny503 }
    http-response deny hdr x-d 1 if { res.hdr(x-act) -m str denyhdr }
    http-response return status 404 content-type text/plain string gone hdr x-r 1 if { res.hdr(x-act) -m str ret }
    http-response return if { res.hdr(x-act) -m str empty }
    http-response allow if { res.hdr(x-act) -m str allow }
    http-response set-header x-after 1
    server a1 {a}
listen stats
    bind 127.0.0.1:{STATS}
    stats enable
    stats uri /stats
"#;
    let template = format!("{GLOBAL}{backend}");
    let act = |a: &str| get("/", &format!("x-reply: x-act: {a}\r\n"));
    let requests = [
        act("deny"),
        act("deny503"),
        act("denyhdr"),
        act("ret"),
        act("empty"),
        act("allow"),
        act("none"),
        "HEAD / HTTP/1.1\r\nhost: lab\r\nx-reply: x-act: ret\r\nconnection: close\r\n\r\n".into(),
    ];
    let out = assert_same("response rules", both(&["a"], &template, &requests));
    let has = |needle: &str| out.iter().any(|l| l.contains(needle));
    assert!(has("HTTP/1.1 502 Bad Gateway\r\n"), "{out:#?}");
    assert!(has(" fe app/a1 T/T/T/-1/T 502 "), "{out:#?}");
    assert!(has("\r\nx-r: 1\r\n"), "{out:#?}");
    assert!(has(" LH-- "), "{out:#?}");
    // The three denies count in `dresp`; the backend counts the answers the client got.
    assert!(
        has("app BACKEND stot=8 dreq=0 dresp=3 intercepted= hrsp_2xx=3 hrsp_3xx=0 hrsp_4xx=2 hrsp_5xx=3"),
        "{out:#?}"
    );
}

/// A response rule's answer to a HEAD has no body, with no log configured either. (The
/// engine reads HEAD from the request itself: the request line it also has is kept only for
/// sampled requests, which the dashboard's sampling leaves out.)
#[test]
fn a_response_rules_answer_to_a_head_has_no_body_without_logs() {
    if !haproxy_available() {
        return;
    }
    let template = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
frontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend app\n\
backend app\n    http-response return status 404 content-type text/plain string gone if { res.hdr(x-act) -m str ret }\n\
\x20   server a1 {a}\n";
    let head = "HEAD / HTTP/1.1\r\nhost: lab\r\nx-reply: x-act: ret\r\nconnection: close\r\n\r\n";
    let rt = rt();
    let seen = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let a = rt.block_on(Origin::start("a", Duration::ZERO));
        let addrs = [("a", a.addr)].into_iter().collect();
        let c = Contender::start(kind, template, &addrs);
        seen(&rt.block_on(exchange(c.addr(), head.as_bytes())))
    });
    assert_eq!(seen[0], seen[1], "HAProxy (left) and lbtop (right) differ");
    assert!(
        seen[0].ends_with("content-type: text/plain\r\nconnection: close\r\n\r\n"),
        "{seen:?}"
    );
}
