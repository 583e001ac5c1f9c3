//! Differential tests of health-check rules and server check options: the same haproxy.cfg
//! given to real HAProxy 2.6 and to lbtop, the same real backends; the syslog lines of the
//! checks (durations masked) and what clients see must match.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use common::get;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

const GLOBAL: &str = "global\n    maxconn 1000\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

const WAIT: Duration = Duration::from_secs(10);

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `scenario` against HAProxy and then lbtop, each with fresh origins `names`; the
/// template may also use `{APORT}`, the port of origin `a`, `{DEADPORT}`, a port with
/// nothing listening, and `{PORT2}`, a second free port the scenario is given.
fn both<F>(names: &[&str], template: &str, scenario: F) -> [Vec<String>; 2]
where
    F: Fn(&tokio::runtime::Runtime, &Contender, &BTreeMap<&str, Origin>, u16) -> Vec<String>,
{
    let rt = rt();
    [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origins: BTreeMap<&str, Origin> = names
            .iter()
            .map(|&n| (n, rt.block_on(Origin::start(n, delay(n)))))
            .collect();
        let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
        let port2 = common::free_port();
        let mut text = template
            .replace("{DEADPORT}", &refused_addr().port().to_string())
            .replace("{PORT2}", &port2.to_string());
        if let Some(a) = origins.get("a") {
            text = text.replace("{APORT}", &a.addr.port().to_string());
        }
        let c = Contender::start(kind, &text, &addrs);
        scenario(&rt, &c, &origins, port2)
    })
}

/// Origins named `slow...` take two seconds to answer, and `stuck...` ones a minute (their
/// health checks none): a request to a `stuck` server ends only when the proxy ends it, so a
/// test that waits for a check to end it does not race the answer on a loaded machine.
fn delay(name: &str) -> Duration {
    if name.starts_with("slow") {
        Duration::from_secs(2)
    } else if name.starts_with("stuck") {
        Duration::from_secs(60)
    } else {
        Duration::ZERO
    }
}

fn assert_same(what: &str, [haproxy, lbtop]: [Vec<String>; 2]) -> Vec<String> {
    assert_eq!(
        haproxy,
        lbtop,
        "{what}: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
    haproxy
}

/// `http-check expect` in each of its forms, failing and passing, and checks sent to
/// another `addr`/`port` than the server's: the DOWN and UP lines HAProxy logs, in the
/// order of the backends (each backend's own lines keep their order).
#[test]
fn expect_rules_and_check_ports_log_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let check = "check inter 200 fall 1 rise 1";
    let httpchk = "    option httpchk GET /health_check.html\n";
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend elsewhere\n\n\
         backend status\n{httpchk}    http-check expect status 404\n    server a {{a}} {check}\n\n\
         backend nomatch\n{httpchk}    http-check expect string nope\n    server a {{a}} {check}\n\n\
         backend unwanted\n{httpchk}    http-check comment \"says ok\"\n    http-check expect ! rstring ^ok\n    server a {{a}} {check}\n\n\
         backend negated\n{httpchk}    http-check expect ! status 200-299,302 comment \"not 2xx\"\n    server a {{a}} {check}\n\n\
         backend flips\n{httpchk}    http-check expect rstatus ^2\n    http-check expect string ok\n    server b {{b}} {check}\n\n\
         backend elsewhere\n    server c 127.0.0.1:{{DEADPORT}} {check} port {{APORT}}\n    server d {{a}} {check} addr 127.0.0.1 port {{DEADPORT}}\n\n\
         backend tcprules\n    option tcp-check\n    tcp-check connect\n    server e 127.0.0.1:{{DEADPORT}} {check} port {{APORT}}\n    server f {{a}} {check} addr 127.0.0.1 port {{DEADPORT}}\n"
    );
    let lines = assert_same(
        "expect rules",
        both(&["a", "b"], &template, |rt, c, origins, _| {
            for down in [
                "status/a",
                "nomatch/a",
                "unwanted/a",
                "negated/a",
                "elsewhere/d",
                "tcprules/f",
            ] {
                c.sink.wait(&format!("Server {down} is DOWN"), WAIT);
            }
            origins["b"].seen.healthy.store(false, SeqCst);
            c.sink.wait("Server flips/b is DOWN", WAIT);
            origins["b"].seen.healthy.store(true, SeqCst);
            c.sink.wait("Server flips/b is UP", WAIT);
            // `c`'s checks reach `a` and pass, but its own address refuses.
            let reply = rt.block_on(get(c.addr(), "/"));
            c.sink.wait(" fe elsewhere/", WAIT);
            let mut seen = by_backend(c.settled_lines());
            seen.push(format!("client got {}", reply.status));
            seen
        }),
    );
    let want = [
        "<177> Server elsewhere/d is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<177> Server flips/b is DOWN, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<181> Server flips/b is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
        "<177> Server negated/a is DOWN, reason: Layer7 wrong status, code: 200, info: \"OK comment: not 2xx\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<177> Server nomatch/a is DOWN, reason: Layer7 invalid response, info: \"HTTP content check did not match\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<177> Server status/a is DOWN, reason: Layer7 wrong status, code: 200, info: \"OK\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<177> Server unwanted/a is DOWN, reason: Layer7 invalid response, info: \"HTTP check matched unwanted content comment: says ok\", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
    ];
    for line in want {
        assert!(
            lines.iter().any(|l| l == line),
            "missing {line}\n{lines:#?}"
        );
    }
    // `tcp-check` rules go to the check `addr`/`port` too: `e`'s pass, `f`'s are refused.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Server tcprules/f is DOWN"))
            && !lines.iter().any(|l| l.contains("tcprules/e")),
        "{lines:#?}"
    );
    assert_eq!(lines.last().unwrap(), "client got 503");
}

/// The check lines sorted by backend (the name after `Server `), keeping each backend's
/// order; other lines (the client's request) after them.
fn by_backend(lines: Vec<String>) -> Vec<String> {
    // "backend X has no server available!" lines of different backends come in the order their
    // checks happen to end: sorted by backend after the server lines.
    let key = |l: &String| {
        l.split_once("Server ")
            .and_then(|(_, r)| r.split_once('/'))
            .map(|(b, _)| b.to_string())
            .or_else(|| {
                l.split_once("> backend ")
                    .and_then(|(_, r)| r.split_once(' '))
                    .map(|(b, _)| format!("~{b}"))
            })
            .unwrap_or_else(|| "~".into())
    };
    let mut lines = lines;
    lines.sort_by_key(key);
    lines
}

/// `option forwardfor if-none`: the header is added only to requests that lack it (names
/// compared without case), on the header `header` names; the origin sees the same header
/// lines from both.
#[test]
fn forwardfor_if_none_keeps_a_clients_own_header() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    option forwardfor if-none\n    default_backend be\n\nfrontend real\n    bind 127.0.0.1:{{PORT2}}\n    option forwardfor header X-Real-IP if-none\n    default_backend be\n\nbackend be\n    server a {{a}}\n"
    );
    let requests = [
        "",
        "X-Forwarded-For: 10.1.2.3\r\n",
        "x-forwarded-for: 10.1.2.4\r\nX-Forwarded-For: 10.1.2.5\r\n",
        "X-Real-IP: 10.9.9.9\r\n",
    ];
    let lines = assert_same(
        "forwardfor if-none",
        both(&["a"], &template, |rt, c, origins, real| {
            let mut seen = Vec::new();
            for (port, name) in [(c.port, "fe"), (real, "real")] {
                for extra in requests {
                    let raw = format!(
                        "GET /{name} HTTP/1.1\r\nhost: lab\r\n{extra}connection: close\r\n\r\n"
                    );
                    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
                    let reply = rt.block_on(common::exchange(addr, raw.as_bytes()));
                    seen.push(format!("{name}: {}", String::from_utf8_lossy(&reply[..12])));
                }
            }
            for head in origins["a"].heads() {
                let lines: Vec<&str> = head
                    .lines()
                    .filter(|l| {
                        let l = l.to_ascii_lowercase();
                        l.starts_with("x-forwarded-for") || l.starts_with("x-real-ip")
                    })
                    .collect();
                seen.push(format!(
                    "{} -> {lines:?}",
                    head.lines().next().unwrap_or("")
                ));
            }
            seen
        }),
    );
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(
        has(r#"GET /fe HTTP/1.1 -> ["x-forwarded-for: 10.1.2.3"]"#),
        "{lines:#?}"
    );
    assert!(
        has(r#"GET /real HTTP/1.1 -> ["x-real-ip: 10.9.9.9"]"#),
        "{lines:#?}"
    );
}

/// `on-marked-down shutdown-sessions`: a request waiting on a server that checks mark DOWN
/// gets HAProxy's 502 (`DH--`); `on-marked-up shutdown-backup-sessions`: one waiting on a
/// backup server gets it (`UH--`) when the active server comes back UP. HAProxy's count of
/// sessions in its DOWN line races with the kill (0 or 1), so it is masked. Whether the
/// killed session's line comes before or after the DOWN line races too (lbtop's came after
/// once in CI): see `by_kind`.
#[test]
fn marked_down_and_up_end_sessions_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let check = "check inter 200 fall 1 rise 1";
    let template = format!(
        "{GLOBAL}    option httpchk GET /health_check.html\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend down\n\nfrontend fe2\n    bind 127.0.0.1:{{PORT2}}\n    default_backend up\n\n\
         backend down\n    timeout server 30s\n    server stuck {{stuck}} {check} on-marked-down shutdown-sessions\n\n\
         backend up\n    timeout server 30s\n    server a {{a}} {check} on-marked-up shutdown-backup-sessions\n    server stuck2 {{stuck2}} {check} backup\n"
    );
    let lines = assert_same(
        "shutdown sessions",
        both(
            &["a", "stuck", "stuck2"],
            &template,
            |rt, c, origins, port2| {
                let addr = c.addr();
                let waiting = rt.spawn(async move { common::get(addr, "/").await.status });
                wait_in_progress(&origins["stuck"]);
                origins["stuck"].seen.healthy.store(false, SeqCst);
                let first = rt.block_on(waiting).unwrap();
                origins["a"].seen.healthy.store(false, SeqCst);
                c.sink.wait("Server up/a is DOWN", WAIT);
                let fe2 = std::net::SocketAddr::from(([127, 0, 0, 1], port2));
                let waiting = rt.spawn(async move { common::get(fe2, "/").await.status });
                wait_in_progress(&origins["stuck2"]);
                origins["a"].seen.healthy.store(true, SeqCst);
                let second = rt.block_on(waiting).unwrap();
                c.sink.wait("Server up/a is UP", WAIT);
                c.sink.wait(" fe down/stuck ", WAIT);
                c.sink.wait(" fe2 up/stuck2 ", WAIT);
                let mut seen = by_kind(&c.settled_lines());
                seen.push(format!("clients got {first} and {second}"));
                seen
            },
        ),
    );
    let has = |want: &str| lines.iter().any(|l| l.contains(want));
    assert!(
        has(" fe down/stuck T/T/T/-1/T 502 209 - - DH-- "),
        "{lines:#?}"
    );
    assert!(
        has(" fe2 up/stuck2 T/T/T/-1/T 502 209 - - UH-- "),
        "{lines:#?}"
    );
    assert_eq!(lines.last().unwrap(), "clients got 502 and 502");
}

/// Waits until `origin` holds a client's request (not a check): only then may a check mark
/// its server DOWN or another UP, or the request would never reach it. A fixed pause raced
/// the 200 ms check interval on a loaded machine.
fn wait_in_progress(origin: &Origin) {
    let deadline = std::time::Instant::now() + WAIT;
    while origin.seen.active.load(SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} got no request",
            origin.name
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn mask_active(line: &str) -> String {
    match line.split_once(" sessions active,") {
        Some((head, tail)) => {
            let head = head.rsplit_once(' ').map_or(head, |(h, _)| h);
            format!("{head} N sessions active,{tail}")
        }
        None => line.to_string(),
    }
}

/// The server's lines in their order, then the sessions' in theirs: a session killed by a
/// check logs when its own task ends, so how the two kinds interleave races in both proxies.
fn by_kind(lines: &[String]) -> Vec<String> {
    let (mut server, sessions): (Vec<String>, Vec<String>) = lines
        .iter()
        .map(|l| mask_active(l))
        .partition(|l| !l.contains(" [DATE] "));
    server.extend(sessions);
    server
}

/// The same in TCP mode: the connection to a server checks mark DOWN is closed, logged `D-`.
/// Its line and the DOWN line race as above.
#[test]
fn marked_down_ends_tcp_sessions_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    mode tcp\n    option tcplog\n    bind 127.0.0.1:{{PORT}}\n    default_backend down\n\n\
         backend down\n    mode tcp\n    timeout server 30s\n    option httpchk GET /health_check.html\n    server stuck {{stuck}} check inter 200 fall 1 rise 1 on-marked-down shutdown-sessions\n"
    );
    let lines = assert_same(
        "shutdown tcp sessions",
        both(&["stuck"], &template, |rt, c, origins, _| {
            let addr = c.addr();
            let request = b"GET / HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n";
            let waiting = rt.spawn(async move { common::exchange(addr, request).await.len() });
            wait_in_progress(&origins["stuck"]);
            origins["stuck"].seen.healthy.store(false, SeqCst);
            let got = rt.block_on(waiting).unwrap();
            c.sink.wait(" fe down/stuck ", WAIT);
            let mut seen = by_kind(&c.settled_lines());
            seen.push(format!("client got {got} bytes"));
            seen
        }),
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" fe down/stuck T/T/T 0 D- ")),
        "{lines:#?}"
    );
}

/// `1/1/0/0/0` (the connection counts of an httplog line) → `C/C/C/C/C`.
fn mask_conns(line: &str) -> String {
    let words: Vec<String> = line
        .split(' ')
        .map(|w| {
            let parts: Vec<&str> = w.split('/').collect();
            let counts = parts.len() == 5
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            match counts {
                true => "C/C/C/C/C".to_string(),
                false => w.to_string(),
            }
        })
        .collect();
    words.join(" ")
}

/// `errorfile`: HAProxy's 503 is replaced by the file, re-written as HAProxy writes it (header
/// names lower-cased, an HTTP/1.0 file's `Connection` dropped), the body left out for HEAD,
/// and the log counting the file's bytes; the frontend's file serves when the backend has
/// none. The bytes on the wire must be the same.
#[test]
fn errorfile_replaces_the_503_byte_for_byte() {
    if !haproxy_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("503-old.http");
    std::fs::write(
        &old,
        "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nX-Custom: Yes\r\n\r\n<html>maint</html>\n",
    )
    .unwrap();
    let new = dir.path().join("503-new.http");
    std::fs::write(
        &new,
        "HTTP/1.1 503 Down For Maintenance\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nmaint\n",
    )
    .unwrap();
    let (old, new) = (old.display(), new.display());
    let template = format!(
        "{GLOBAL}    retries 0\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    errorfile 503 {new}\n    default_backend be\n\nfrontend fe2\n    bind 127.0.0.1:{{PORT2}}\n    errorfile 503 {new}\n    default_backend plain\n\n\
         backend be\n    errorfile 503 {old}\n    server dead 127.0.0.1:{{DEADPORT}}\n\nbackend plain\n    server dead 127.0.0.1:{{DEADPORT}}\n"
    );
    let lines = assert_same(
        "errorfile",
        both(&[], &template, |rt, c, _, port2| {
            let fe2 = std::net::SocketAddr::from(([127, 0, 0, 1], port2));
            let mut seen = Vec::new();
            for (addr, method) in [(c.addr(), "GET"), (c.addr(), "HEAD"), (fe2, "GET")] {
                let raw = format!("{method} / HTTP/1.1\r\nhost: lab\r\n\r\n");
                let reply = rt.block_on(common::exchange(addr, raw.as_bytes()));
                seen.push(String::from_utf8_lossy(&reply).into_owned());
            }
            // The connection counts race with the harness's own probe connection.
            seen.extend(c.settled_lines().iter().map(|l| mask_conns(l)));
            seen
        }),
    );
    assert_eq!(lines[0], "HTTP/1.0 503 Service Unavailable\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nx-custom: Yes\r\n\r\n<html>maint</html>\n");
    assert!(lines[2].ends_with("\r\n\r\nmaint\n"), "{lines:#?}");
}

/// `maxqueue` with round robin (the kubeadm API balancer's `default-server ... maxconn 250
/// maxqueue 256` shape, scaled down): requests past `maxconn` wait in the backend's queue,
/// where `maxqueue` does not apply, so with `maxconn 1 maxqueue 1` three requests at once are
/// all served, one after the other, in HAProxy as in lbtop.
#[test]
fn maxqueue_leaves_round_robin_requests_in_the_backend_queue() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}    timeout queue 10s\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\n\
         backend be\n    default-server maxconn 1 maxqueue 1\n    server slow {{slow}}\n"
    );
    let lines = assert_same(
        "maxqueue",
        both(&["slow"], &template, |rt, c, origins, _| {
            let addr = c.addr();
            let asks: Vec<_> = (0..3)
                .map(|_| rt.spawn(async move { common::get(addr, "/").await.status }))
                .collect();
            let statuses: Vec<String> = asks
                .into_iter()
                .map(|a| rt.block_on(a).unwrap().to_string())
                .collect();
            vec![
                format!("statuses {}", statuses.join(" ")),
                format!("origin peak {}", origins["slow"].seen.peak.load(SeqCst)),
            ]
        }),
    );
    assert_eq!(lines, ["statuses 200 200 200", "origin peak 1"]);
}
