//! Differential tests: the same haproxy.cfg given to real HAProxy 2.6 and to lbtop, the same
//! real backends and the same requests; what a user can observe must match: status codes,
//! bodies, headers reaching the backends, the order of servers, and the syslog lines (with
//! timestamps, PIDs, ports and durations masked).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use common::{exchange, free_port, get, parse_reply, Reply};
use contender::{haproxy_available, Contender, Kind, LBTOP};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

const GLOBAL: &str = "global\n    maxconn 1000\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `scenario` against HAProxy and then lbtop, each with fresh backends, and returns both
/// transcripts.
fn both<F>(names: &[&str], template: &str, scenario: F) -> [Vec<String>; 2]
where
    F: Fn(&tokio::runtime::Runtime, &Contender, &BTreeMap<&str, Origin>) -> Vec<String>,
{
    let rt = rt();
    [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origins: BTreeMap<&str, Origin> = names
            .iter()
            .map(|&n| (n, rt.block_on(Origin::start(n, Duration::ZERO))))
            .collect();
        let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
        let c = Contender::start(kind, template, &addrs);
        scenario(&rt, &c, &origins)
    })
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

fn servers_in_order(rt: &tokio::runtime::Runtime, c: &Contender, n: usize) -> String {
    (0..n)
        .map(|_| rt.block_on(get(c.addr(), "/")).server().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn seed_experiment(log_health_checks: bool) -> Vec<String> {
    let option = if log_health_checks {
        "    option log-health-checks\n"
    } else {
        ""
    };
    let template = format!(
        "{GLOBAL}{option}    option httpchk GET /health_check.html HTTP/1.0\\r\\nUser-agent:\\ Proxy-Check\n\nfrontend main\n    bind 127.0.0.1:{{PORT}}\n    default_backend hoge\n\nbackend hoge\n    balance roundrobin\n    server web10 {{web10}} check inter 300 fall 2 rise 2\n    server web11 {{web11}} check inter 300 fall 2 rise 2\n"
    );
    let t = Duration::from_secs(10);
    assert_same(
        "seed experiment",
        both(&["web10", "web11"], &template, |_, c, origins| {
            if log_health_checks {
                c.sink.wait("hoge/web11 succeeded", t);
            } else {
                std::thread::sleep(Duration::from_millis(800));
            }
            origins["web11"].seen.healthy.store(false, SeqCst);
            c.sink.wait("Server hoge/web11 is DOWN", t);
            origins["web11"].seen.healthy.store(true, SeqCst);
            c.sink.wait("Server hoge/web11 is UP", t);
            c.settled_lines()
        }),
    )
}

#[test]
fn seed_check_experiment_with_log_health_checks() {
    if !haproxy_available() {
        return;
    }
    let lines = seed_experiment(true);
    assert!(lines.contains(&"<181> Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: Nms, status: 1/2 UP.".to_string()), "{lines:#?}");
    assert!(lines.contains(&"<177> Server hoge/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.".to_string()), "{lines:#?}");
    assert!(lines.contains(&"<181> Server hoge/web11 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.".to_string()), "{lines:#?}");
}

#[test]
fn seed_check_experiment_without_log_health_checks() {
    if !haproxy_available() {
        return;
    }
    let lines = seed_experiment(false);
    assert_eq!(lines, [
        "<177> Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<181> Server hoge/web11 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    ]);
}

#[test]
fn refusing_server_and_all_servers_down() {
    if !haproxy_available() {
        return;
    }
    let dead = refused_addr();
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}} check inter 300\n    server b {dead} check inter 300\n"
    );
    let lines = assert_same(
        "refusing server, then all down",
        both(&["a"], &template, |rt, c, origins| {
            c.sink.wait("Server be/b is DOWN", Duration::from_secs(10));
            let mut seen = c.settled_lines();
            let ok = rt.block_on(get(c.addr(), "/"));
            seen.push(format!("reply {} from {}", ok.status, ok.server()));
            let _ = origins;
            seen
        }),
    );
    assert_eq!(lines[0], "<177> Server be/b is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");

    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {dead} check inter 300\n"
    );
    let lines = assert_same(
        "all servers down",
        both(&[], &template, |rt, c, _| {
            c.sink
                .wait("has no server available", Duration::from_secs(10));
            let reply = rt.block_on(get(c.addr(), "/"));
            let mut seen = vec![format!("{} {}", reply.status, reply.body)];
            c.sink.wait("<NOSRV>", Duration::from_secs(5));
            seen.extend(c.settled_lines());
            seen
        }),
    );
    assert!(lines[0].starts_with("503 <html><body><h1>503 Service Unavailable</h1>"));
    assert!(
        lines.contains(&"<176> backend be has no server available!".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l
            .starts_with("<182> 127.0.0.1:PORT [DATE] fe be/<NOSRV> T/-1/-1/-1/T 503 217 ")
            && l.ends_with(" - - SC-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"")),
        "{lines:#?}"
    );
}

fn weighted(balance: &str) -> String {
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    balance {balance}\n    server a {{a}} weight 5\n    server b {{b}} weight 2\n    server c {{c}} weight 1\n"
    );
    assert_same(
        balance,
        both(&["a", "b", "c"], &template, |rt, c, _| {
            vec![servers_in_order(rt, c, 16)]
        }),
    )
    .remove(0)
}

#[test]
fn weighted_roundrobin_5_2_1() {
    if !haproxy_available() {
        return;
    }
    assert_eq!(weighted("roundrobin"), "a a b a a c a b a a b a a c a b");
}

#[test]
fn static_rr_5_2_1() {
    if !haproxy_available() {
        return;
    }
    assert_eq!(weighted("static-rr"), "a a b a a b a c a a b a a b a c");
}

#[test]
fn redispatch_after_a_refused_connect() {
    if !haproxy_available() {
        return;
    }
    let dead = refused_addr();
    let template = format!(
        "{GLOBAL}    retries 2\n    option redispatch\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server dead {dead}\n    server live {{live}}\n"
    );
    let lines = assert_same(
        "redispatch",
        both(&["live"], &template, |rt, c, _| {
            let reply = rt.block_on(get(c.addr(), "/"));
            let mut seen = vec![format!("{} from {}", reply.status, reply.server())];
            c.sink.wait("be/live", Duration::from_secs(5));
            seen.extend(c.settled_lines().into_iter().map(|l| mask_bytes(&l)));
            seen
        }),
    );
    assert_eq!(lines[0], "200 from live");
    assert!(
        lines[1].contains(" fe be/live ") && lines[1].contains(" ---- 1/1/0/0/+1 0/0 "),
        "{lines:#?}"
    );
}

/// Response sizes depend on headers that differ between servers' replies (HAProxy and lbtop
/// relay the same bytes; the origin's date-less replies keep this equal, but masking keeps the
/// comparison about what matters).
fn mask_bytes(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    match words
        .iter()
        .position(|w| w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit()))
    {
        Some(i) if i + 1 < words.len() && i > 4 => {
            let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
            w[i + 1] = "B".into();
            w.join(" ")
        }
        _ => line.to_string(),
    }
}

#[test]
fn forwardfor_with_and_without_except() {
    if !haproxy_available() {
        return;
    }
    for (option, expect) in [
        ("option forwardfor", Some("x-forwarded-for: 127.0.0.1")),
        ("option forwardfor except 127.0.0.0/8", None),
    ] {
        let template = format!(
            "{GLOBAL}    {option}\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}}\n"
        );
        let heads = assert_same(
            option,
            both(&["a"], &template, |rt, c, origins| {
                let raw = b"GET /x HTTP/1.1\r\nhost: h\r\nX-Forwarded-For: 1.2.3.4\r\nconnection: close\r\n\r\n";
                rt.block_on(exchange(c.addr(), raw));
                origins["a"]
                    .heads()
                    .iter()
                    .flat_map(|h| h.lines().map(str::to_string).collect::<Vec<_>>())
                    .filter(|l| l.to_ascii_lowercase().starts_with("x-forwarded-for"))
                    .collect()
            }),
        );
        let mut want = vec!["x-forwarded-for: 1.2.3.4".to_string()];
        want.extend(expect.map(str::to_string));
        assert_eq!(heads, want, "{option}");
    }
}

#[test]
fn server_close_versus_keep_alive_backend_connections() {
    if !haproxy_available() {
        return;
    }
    for (option, expected) in [("", 1), ("option http-server-close", 5)] {
        let template = format!(
            "{GLOBAL}    {option}\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}}\n"
        );
        let got = assert_same(
            option,
            both(&["a"], &template, |rt, c, origins| {
                let raw = b"GET / HTTP/1.1\r\nhost: h\r\n\r\n".repeat(4);
                let mut all = raw.clone();
                all.extend_from_slice(b"GET / HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n");
                let out = rt.block_on(exchange(c.addr(), &all));
                let text = String::from_utf8_lossy(&out);
                vec![
                    format!("{} responses", text.matches("HTTP/1.1 200 OK").count()),
                    format!("{} backend connections", origins["a"].connections()),
                ]
            }),
        );
        assert_eq!(
            got,
            [
                "5 responses".to_string(),
                format!("{expected} backend connections")
            ]
        );
    }
}

fn timeout_case(
    timeouts: &str,
    server_extra: &str,
    delay: Duration,
    act: impl Fn(&tokio::runtime::Runtime, &Contender) -> Reply,
) -> Vec<String> {
    let template = format!(
        "{GLOBAL}{timeouts}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}} {server_extra}\n"
    );
    let rt = rt();
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let slow = rt.block_on(Origin::start("a", delay));
        let addrs = BTreeMap::from([("a", slow.addr)]);
        let c = Contender::start(kind, &template, &addrs);
        let reply = act(&rt, &c);
        let mut seen = vec![format!("{} {}", reply.status, reply.body)];
        c.sink.wait("\"", Duration::from_secs(5));
        seen.extend(c.settled_lines());
        seen
    });
    assert_same(timeouts, runs)
}

#[test]
fn timeout_server_gives_504() {
    if !haproxy_available() {
        return;
    }
    let lines = timeout_case(
        "    timeout server 300ms\n",
        "",
        Duration::from_secs(2),
        |rt, c| rt.block_on(get(c.addr(), "/")),
    );
    assert!(lines[0].starts_with("504 <html><body><h1>504 Gateway Time-out</h1>"));
    assert!(
        lines[1].contains(" fe be/a T/T/T/-1/T 504 ") && lines[1].contains(" sH-- "),
        "{lines:#?}"
    );
}

#[test]
fn timeout_http_request_gives_408() {
    if !haproxy_available() {
        return;
    }
    let lines = timeout_case(
        "    timeout http-request 300ms\n",
        "",
        Duration::ZERO,
        |rt, c| parse_reply(&rt.block_on(exchange(c.addr(), b"GET / HTTP/1.1\r\nhost: h\r\n"))),
    );
    assert!(lines[0].starts_with("408 <html><body><h1>408 Request Time-out</h1>"));
    assert!(
        lines[1].contains(" fe fe/<NOSRV> -1/-1/-1/-1/T 408 0 - - cR-- "),
        "{lines:#?}"
    );
}

#[test]
fn timeout_queue_gives_503_and_maxconn_queues() {
    if !haproxy_available() {
        return;
    }
    let lines = timeout_case(
        "    timeout queue 200ms\n",
        "maxconn 1",
        Duration::from_millis(1200),
        |rt, c| {
            let addr = c.addr();
            let first = rt.spawn(async move { get(addr, "/").await });
            std::thread::sleep(Duration::from_millis(150));
            let second = rt.block_on(get(addr, "/"));
            assert_eq!(rt.block_on(first).unwrap().status, 200);
            second
        },
    );
    assert!(lines[0].starts_with("503 <html><body><h1>503 Service Unavailable</h1>"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" fe be/<NOSRV> T/T/-1/-1/T 503 217 ")
                && l.contains(" - - sQ-- 2/2/1/0/0 0/1 ")),
        "{lines:#?}"
    );

    // maxconn 1 with a queue: three at once are served one after the other.
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}} maxconn 1\n"
    );
    let rt = rt();
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let slow = rt.block_on(Origin::start("a", Duration::from_millis(150)));
        let c = Contender::start(kind, &template, &BTreeMap::from([("a", slow.addr)]));
        let addr = c.addr();
        let handles: Vec<_> = (0..3)
            .map(|_| rt.spawn(async move { get(addr, "/").await.status }))
            .collect();
        let statuses: Vec<String> = handles
            .into_iter()
            .map(|h| rt.block_on(h).unwrap().to_string())
            .collect();
        vec![
            statuses.join(" "),
            format!("peak {}", slow.seen.peak.load(SeqCst)),
        ]
    });
    assert_eq!(assert_same("maxconn 1", runs), ["200 200 200", "peak 1"]);
}

#[test]
fn deliberate_difference_legacy_frontend_address_form() {
    // HAProxy 2.6 refuses `frontend main *:80`; lbtop accepts it with a deprecation warning.
    if !haproxy_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legacy.cfg");
    let port = free_port();
    std::fs::write(
        &path,
        format!("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend main 127.0.0.1:{port}\n    default_backend be\n\nbackend be\n    server a 127.0.0.1:1\n"),
    )
    .unwrap();
    let haproxy = Command::new("haproxy")
        .args(["-c", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        !haproxy.status.success(),
        "HAProxy 2.6 refuses the legacy form"
    );
    let lbtop = Command::new(LBTOP)
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(lbtop.status.success());
    let warnings = String::from_utf8_lossy(&lbtop.stderr);
    assert!(warnings.contains("legacy.cfg:7: warning:"), "{warnings}");
    let _ = dir;
}

#[test]
fn balance_hdr_hashes_the_header_and_falls_back_to_roundrobin() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    balance hdr(X-Key)\n    server a {{a}}\n    server b {{b}}\n    server c {{c}}\n"
    );
    let order = assert_same(
        "balance hdr",
        both(&["a", "b", "c"], &template, |rt, c, _| {
            let mut who = Vec::new();
            for key in ["k1", "k2", "k1", "", "", ""] {
                let extra = if key.is_empty() {
                    String::new()
                } else {
                    format!("x-key: {key}\r\n")
                };
                let raw = format!("GET / HTTP/1.1\r\nhost: h\r\n{extra}connection: close\r\n\r\n");
                who.push(
                    parse_reply(&rt.block_on(exchange(c.addr(), raw.as_bytes())))
                        .server()
                        .to_string(),
                );
            }
            vec![who.join(" ")]
        }),
    );
    assert_eq!(order, ["a b a a b c"]);
}

#[test]
fn backup_servers_with_and_without_allbackups() {
    if !haproxy_available() {
        return;
    }
    let dead = refused_addr();
    for (option, expected) in [("", "d d d d"), ("    option allbackups\n", "d e d e")] {
        let template = format!(
            "{GLOBAL}{option}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {dead} check inter 200\n    server d {{d}} backup\n    server e {{e}} backup\n"
        );
        let got = assert_same(
            "backups",
            both(&["d", "e"], &template, |rt, c, _| {
                c.sink.wait("Server be/a is DOWN", Duration::from_secs(10));
                let mut seen: Vec<String> = c.settled_lines();
                seen.push(servers_in_order(rt, c, 4));
                seen
            }),
        );
        assert_eq!(got.last().unwrap(), expected, "{option}");
        assert!(got[0].ends_with("0 active and 2 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."), "{got:#?}");
    }
}

#[test]
fn tcp_mode_with_tcplog() {
    if !haproxy_available() {
        return;
    }
    let template = "global\n    maxconn 1000\n    log {LOG} local6 debug\n\ndefaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\nbackend be\n    server a {a}\n";
    let lines = assert_same(
        "tcplog",
        both(&["a"], template, |rt, c, _| {
            let raw = rt.block_on(exchange(c.addr(), b"GET / HTTP/1.0\r\n\r\n"));
            let mut seen = vec![format!("{} bytes back", raw.len())];
            c.sink.wait(" fe be/a ", Duration::from_secs(5));
            seen.extend(
                c.settled_lines()
                    .into_iter()
                    .filter(|l| !l.contains(" 0 -- ")),
            );
            seen
        }),
    );
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[1].starts_with("<182> 127.0.0.1:PORT [DATE] fe be/a T/T/T "),
        "{lines:#?}"
    );
    assert!(lines[1].ends_with(" -- 1/1/0/0/0 0/0"), "{lines:#?}");
}

/// `fastinter` and `downinter`: a server going down is checked every `fastinter`, one that is
/// down every `downinter`, one fully up every `inter`. Told apart by how soon a failing server
/// is marked DOWN and by how many checks reach it in a second, in buckets wide enough for
/// scheduling noise.
#[test]
fn fastinter_and_downinter_pace_the_checks() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}    option httpchk GET /health_check.html\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}} check inter 1s fastinter 100ms downinter 150ms fall 5 rise 2\n"
    );
    // No client traffic here: every connection the server sees is a check.
    let checks = |o: &Origin| o.connections();
    let lines = assert_same(
        "check pacing",
        both(&["a"], &template, |_, c, origins| {
            let a = &origins["a"];
            // Fully up: `inter`, about one check a second.
            std::thread::sleep(Duration::from_millis(2500));
            let before = checks(a);
            std::thread::sleep(Duration::from_millis(1000));
            let up = checks(a) - before;
            // Failing: four more failures at `fastinter` after the first, so DOWN well
            // before the four seconds `inter` would take.
            a.seen.healthy.store(false, SeqCst);
            // (`wait` fails the test if the line does not come in time.)
            c.sink
                .wait("Server be/a is DOWN", Duration::from_millis(2600));
            // Down: `downinter`, several checks a second.
            let before = checks(a);
            std::thread::sleep(Duration::from_millis(1000));
            let down = checks(a) - before;
            vec![
                format!(
                    "checks a second when up: {}",
                    if up <= 2 { "at most 2" } else { "more" }
                ),
                "down within 2.6 s of failing".to_string(),
                format!(
                    "checks a second when down: {}",
                    if down >= 4 { "4 or more" } else { "fewer" }
                ),
            ]
        }),
    );
    assert_eq!(
        lines,
        [
            "checks a second when up: at most 2",
            "down within 2.6 s of failing",
            "checks a second when down: 4 or more",
        ]
    );
}
