//! Differential test of `http-check disable-on-404` (docs/haproxy-semantics.md §42): the
//! same haproxy.cfg given to real HAProxy 2.6 and to lbtop, the same origins, whose health
//! page answers 404 and then 200 again. The health lines (with `option log-health-checks`),
//! the stats CSV's status columns, which server answered each client, and the end of a
//! stopping server that stops answering must match.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use contender::{assert_same, haproxy_available, mask_syslog, Contender, Kind};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

const TEMPLATE: &str = "global\n    log {LOG} local0\n\
defaults\n    mode http\n    log global\n    option httplog\n\
\x20   timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
frontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\n\
backend be\n    option httpchk GET /health_check.html\n    http-check disable-on-404\n\
\x20   option log-health-checks\n    cookie S insert indirect nocache\n\
\x20   server a {a} check inter 100 rise 2 fall 2 cookie a\n\
\x20   server b {b} check inter 100 rise 2 fall 2 cookie b\n\
listen st\n    bind 127.0.0.1:{SPORT}\n    stats enable\n    stats uri /\n";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Which server answered a request with `cookie` (`-` for none), or its status.
fn ask(rt: &tokio::runtime::Runtime, addr: SocketAddr, cookie: &str) -> String {
    let cookie = match cookie {
        "-" => String::new(),
        c => format!("cookie: S={c}\r\n"),
    };
    let request = format!("GET / HTTP/1.1\r\nhost: lab\r\n{cookie}connection: close\r\n\r\n");
    let reply = common::parse_reply(&rt.block_on(common::exchange(addr, request.as_bytes())));
    match reply.status {
        200 => reply.body.trim().to_string(),
        other => other.to_string(),
    }
}

/// The stats CSV's `svname,status,weight,act,bck,check_status,check_code` for `be`.
fn csv(rt: &tokio::runtime::Runtime, port: u16) -> String {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let reply = rt.block_on(common::get(addr, "/;csv"));
    // The body may come chunked: the header is the line that starts with `# `.
    let first = reply
        .body
        .lines()
        .find(|l| l.starts_with("# "))
        .unwrap_or("");
    let head: Vec<&str> = first.split(',').collect();
    let col = |name: &str| head.iter().position(|h| h.trim_start_matches("# ") == name);
    let want = [
        "svname",
        "status",
        "weight",
        "act",
        "bck",
        "check_status",
        "check_code",
    ];
    let cols: Vec<usize> = want.iter().map(|n| col(n).expect(n)).collect();
    reply
        .body
        .lines()
        .filter(|l| l.starts_with("be,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            cols.iter().map(|&i| f[i]).collect::<Vec<_>>().join(",")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Waits for a line containing `needle` among those after the first `from`.
fn wait_after(c: &Contender, from: usize, needle: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while !c.sink.lines_from(from).iter().any(|l| l.contains(needle)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no new line with {needle:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scenario(kind: Kind) -> Vec<String> {
    let rt = rt();
    let mut origins: BTreeMap<&str, Origin> = ["a", "b"]
        .into_iter()
        .map(|n| (n, rt.block_on(Origin::start(n, Duration::ZERO))))
        .collect();
    let sport = common::free_port();
    let text = TEMPLATE.replace("{SPORT}", &sport.to_string());
    let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
    let c = Contender::start(kind, &text, &addrs);
    let mut out = Vec::new();
    // Both start UP 1/2 and reach full health with their first passing check.
    c.sink.wait("be/a succeeded", WAIT);
    c.sink.wait("be/b succeeded", WAIT);

    origins["a"].seen.healthy.store(false, SeqCst);
    c.sink.wait("Server be/a is stopping", WAIT);
    out.push(format!("a stopping: {}", csv(&rt, sport)));
    let who: Vec<String> = ["-", "-", "-", "-", "a", "b"]
        .iter()
        .map(|k| ask(&rt, c.addr(), k))
        .collect();
    out.push(format!("cookies - - - - a b went to {}", who.join(" ")));

    origins["b"].seen.healthy.store(false, SeqCst);
    c.sink.wait("backend be has no server available!", WAIT);
    out.push(format!("both stopping: {}", csv(&rt, sport)));
    let who: Vec<String> = ["-", "a", "b"]
        .iter()
        .map(|k| ask(&rt, c.addr(), k))
        .collect();
    out.push(format!("cookies - a b went to {}", who.join(" ")));

    for n in ["a", "b"] {
        origins[n].seen.healthy.store(true, SeqCst);
        c.sink.wait(&format!("Server be/{n} is UP"), WAIT);
    }
    out.push(format!("both up: {}", csv(&rt, sport)));

    // A stopping server that then fails its checks goes DOWN, logged as a notice.
    let from = c.sink.count();
    origins["a"].seen.healthy.store(false, SeqCst);
    wait_after(&c, from, "Server be/a is stopping");
    drop(origins.remove("a"));
    c.sink.wait("Server be/a is DOWN", WAIT);
    out.push(format!("a down: {}", csv(&rt, sport)));
    out.extend(
        c.settled_lines()
            .iter()
            .map(|l| mask_syslog(l))
            .filter(|l| !l.contains(" fe be/") && !l.contains(" st st/")),
    );
    out
}

#[test]
fn a_404_takes_a_server_out_of_rotation_as_in_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let haproxy = assert_same("disable-on-404", [Kind::Haproxy, Kind::Lbtop].map(scenario));
    let has = |needle: &str| haproxy.iter().any(|l| l.contains(needle));
    assert!(
        has("a stopping: a,NOLB,1,1,0,L7OKC,404 b,UP,1,1,0,L7OK,200 BACKEND,UP,1,1,0,,"),
        "{haproxy:#?}"
    );
    assert!(
        has("cookies - - - - a b went to b b b b a b"),
        "{haproxy:#?}"
    );
    assert!(has("cookies - a b went to 503 a b"), "{haproxy:#?}");
    assert!(
        has("<133>  Server be/a is stopping. 1 active and 0 backup servers online."),
        "{haproxy:#?}"
    );
    assert!(
        has("<133>  Server be/a is DOWN. 1 active and 0 backup servers left."),
        "{haproxy:#?}"
    );
}
