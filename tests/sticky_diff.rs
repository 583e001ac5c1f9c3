//! Differential tests of persistence (docs/haproxy-semantics.md §24): the same requests
//! through the same haproxy.cfg to real HAProxy 2.6 and to lbtop must give the same server,
//! the same `Set-Cookie` / `Cache-Control` bytes, the same `Cookie` lines at the servers and
//! the same log lines, cookie flags included.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::{exchange, parse_reply};
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::time::Duration;

const NAMES: [&str; 3] = ["s1", "s2", "s3"];

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A `listen` section with `lines` and servers s1 (cookie c1), s2 (cookie c2, then
/// `s2_extra`) and s3 (no cookie), each an origin named after it.
fn template(lines: &str, s2_extra: &str) -> String {
    format!(
        "global\n    log {{LOG}} local0\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nlisten l\n    bind 127.0.0.1:{{PORT}}\n{lines}    server s1 {{s1}} cookie c1\n    server s2 {{s2}} cookie c2{s2_extra}\n    server s3 {{s3}}\n"
    )
}

/// One request line per entry: `METHOD extra-header-lines`, each sent on its own connection.
/// Returns what the client saw (server, status, the cookie and cache lines of the head), the
/// `cookie` lines each origin received, and the traffic log lines.
fn transcript(kind: Kind, cfg: &str, requests: &[&str], wait_down: bool) -> Vec<String> {
    let rt = rt();
    let origins: Vec<Origin> = NAMES
        .iter()
        .map(|n| rt.block_on(Origin::start(n, Duration::ZERO)))
        .collect();
    let mut addrs: BTreeMap<&str, std::net::SocketAddr> = BTreeMap::new();
    for (n, o) in NAMES.iter().zip(&origins) {
        addrs.insert(n, o.addr);
    }
    let c = Contender::start(kind, cfg, &addrs);
    if wait_down {
        c.sink.wait("s2 is DOWN", Duration::from_secs(10));
    }
    let mut out = Vec::new();
    for r in requests {
        let (method, extra) = r.split_once(' ').unwrap_or((r, ""));
        let raw = format!("{method} / HTTP/1.1\r\nhost: h\r\n{extra}connection: close\r\n\r\n");
        let reply = parse_reply(&rt.block_on(exchange(c.addr(), raw.as_bytes())));
        let cookie_lines: Vec<&str> = reply
            .head
            .lines()
            .filter(|l| l.starts_with("set-cookie") || l.starts_with("cache-control"))
            .collect();
        out.push(format!(
            "{} {} {cookie_lines:?}",
            reply.status,
            reply.header("x-server").unwrap_or("-")
        ));
    }
    for o in &origins {
        for h in o.heads() {
            let cookies: Vec<&str> = h.lines().filter(|l| l.starts_with("cookie")).collect();
            out.push(format!("{} got {cookies:?}", o.name));
        }
    }
    let logs = c.settled_lines();
    out.extend(
        logs.iter()
            .filter(|l| l.contains(" l l/"))
            .map(|l| mask_conns(l)),
    );
    out
}

/// `%ac/%fc` count connections open in the process, which may still include the harness's
/// start-up probe while the proxy closes it: masked, the rest of the field kept.
fn mask_conns(line: &str) -> String {
    let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
    if let Some(w) = words.get_mut(11) {
        // `%bc` too: HAProxy now and then still counts the previous request's server
        // connection when the next one logs (seen as 1 instead of 0 under load).
        if let Some(rest) = w.splitn(4, '/').nth(3).map(str::to_string) {
            *w = format!("A/F/B/{rest}");
        }
    }
    words.join(" ")
}

/// The transcript of both proxies, asserted equal; HAProxy's is returned.
fn same(cfg: &str, requests: &[&str], wait_down: bool) -> Vec<String> {
    let haproxy = transcript(Kind::Haproxy, cfg, requests, wait_down);
    let lbtop = transcript(Kind::Lbtop, cfg, requests, wait_down);
    assert_eq!(haproxy, lbtop, "with:\n{cfg}");
    haproxy
}

fn has(t: &[String], needle: &str) {
    assert!(t.iter().any(|l| l.contains(needle)), "{needle} in {t:#?}");
}

const EXPIRES: &str = "x-reply: expires: Thu, 01 Jan 2037 00:00:00 GMT\r\n";

#[test]
fn insert_mode_sets_strips_and_flags_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let cfg = template(
        "    cookie SRV insert indirect nocache httponly secure domain .a.com attr SameSite=Lax\n",
        "",
    );
    let requests = [
        "GET ".to_string(),
        format!("GET {EXPIRES}"),
        "GET ".to_string(),
        "GET cookie: a=1; SRV=c2; b=2\r\n".to_string(),
        "GET cookie: SRV=zz\r\n".to_string(),
        "GET cookie: SRV=c1\r\nx-reply: set-cookie: SRV=mine\r\n".to_string(),
        format!("POST content-length: 0\r\n{EXPIRES}"),
        "GET cookie: SRV=c2\r\ncookie: SRV=c1; x=1\r\n".to_string(),
    ];
    let requests: Vec<&str> = requests.iter().map(String::as_str).collect();
    let t = same(&cfg, &requests, false);
    has(
        &t,
        "set-cookie: SRV=c1; path=/; domain=.a.com; HttpOnly; Secure; SameSite=Lax\"",
    );
    has(&t, "SameSite=Lax\", \"cache-control: private\"]");
    has(
        &t,
        "set-cookie: SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; domain=.a.com",
    );
    has(&t, "s2 got [\"cookie: a=1; b=2\"]");
    for flags in [" --NI ", " --VN ", " --II ", " --VD "] {
        has(&t, flags);
    }
}

#[test]
fn rewrite_and_prefix_modes_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let requests = [
        "GET x-reply: set-cookie: SRV=mine; path=/x\r\n",
        "GET cookie: SRV=c2\r\nx-reply: set-cookie: SRV=new\r\n",
        "GET x-reply: set-cookie: SRV=s3own\r\n",
        "GET cookie: x=1; SRV=c2~sess1; y=2\r\n",
        "GET cookie: SRV=zz~sess1\r\n",
        "GET cookie: SRV=c1\r\n",
    ];
    let t = same(&template("    cookie SRV rewrite\n", ""), &requests, false);
    has(&t, "set-cookie: SRV=c1; path=/x");
    has(&t, " --NR ");
    has(&t, " --VR ");
    let t = same(&template("    cookie SRV prefix\n", ""), &requests, false);
    has(&t, "set-cookie: SRV=c1~mine; path=/x");
    has(&t, "s2 got [\"cookie: x=1; SRV=sess1; y=2\"]");
    has(&t, " --IN ");
}

#[test]
fn preserve_and_postonly_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let requests = [
        "GET ",
        "POST content-length: 0\r\n",
        "POST content-length: 0\r\nx-reply: set-cookie: SRV=x\r\n",
        "POST content-length: 0\r\ncookie: SRV=c1\r\n",
    ];
    let cfg = template("    cookie SRV insert preserve postonly\n", "");
    let t = same(&cfg, &requests, false);
    has(&t, " --NN ");
    has(&t, " --NI ");
    has(&t, " --NP ");
}

#[test]
fn a_client_sticks_to_its_server_for_ten_requests() {
    if !haproxy_available() {
        return;
    }
    let mut requests = vec!["GET "];
    requests.extend(["GET cookie: SRV=c2\r\n"; 10]);
    let t = same(
        &template("    cookie SRV insert indirect\n", ""),
        &requests,
        false,
    );
    let to_s2 = t.iter().filter(|l| l.starts_with("200 s2 []")).count();
    assert_eq!(to_s2, 10, "{t:#?}");
}

#[test]
fn a_cookie_for_a_draining_server_sticks_for_one_in_maintenance_it_does_not() {
    if !haproxy_available() {
        return;
    }
    let requests = ["GET cookie: SRV=c2\r\n", "GET cookie: SRV=c2\r\n"];
    let cookie = "    cookie SRV insert indirect\n";
    let t = same(&template(cookie, " weight 0"), &requests, false);
    has(&t, "l/s2 T/T/T/T/T 200 ");
    has(&t, " --VN ");
    let t = same(&template(cookie, " disabled"), &requests, false);
    has(&t, " --DI ");
    assert!(!t.iter().any(|l| l.contains("l/s2")), "{t:#?}");
}

#[test]
fn a_cookie_for_a_down_server_with_and_without_persist() {
    if !haproxy_available() {
        return;
    }
    let dead = common::backend::refused_addr();
    let down =
        |lines: &str| template(lines, " check inter 100 fall 1").replace("{s2}", &dead.to_string());
    let requests = ["GET cookie: SRV=c2\r\n"];
    let cookie = "    cookie SRV insert indirect\n";
    // Balanced elsewhere, and given a new cookie.
    let t = same(&down(cookie), &requests, true);
    has(&t, " --DI ");
    // `option persist`: sent to the DOWN server anyway; with `option redispatch` it moves
    // on after the failed connect.
    let t = same(
        &down(&format!(
            "{cookie}    option persist\n    option redispatch\n    retries 1\n"
        )),
        &requests,
        true,
    );
    has(&t, " --DI A/F/B/0/+1 ");
    let t = same(
        &down(&format!("{cookie}    option persist\n    retries 0\n")),
        &requests,
        true,
    );
    has(&t, "l/s2 T/T/-1/-1/T 503 217 - - SCDN ");
}

/// A `listen` section in `mode` with `lines`, and servers s1, s2, s3.
fn table_template(mode: &str, lines: &str) -> String {
    let log = if mode == "tcp" { "tcplog" } else { "httplog" };
    format!(
        "global\n    log {{LOG}} local0\n\ndefaults\n    mode {mode}\n    log global\n    option {log}\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nlisten l\n    bind 127.0.0.1:{{PORT}}\n{lines}    server s1 {{s1}}\n    server s2 {{s2}}\n    server s3 {{s3}}\n"
    )
}

/// One step of a stick-table scenario: a request from a source address with extra header
/// lines, or a pause.
enum Step {
    From(&'static str, &'static str),
    Pause(Duration),
}

/// Which server answered each request.
fn sticky_servers(kind: Kind, cfg: &str, steps: &[Step]) -> Vec<String> {
    let rt = rt();
    let origins: Vec<Origin> = NAMES
        .iter()
        .map(|n| rt.block_on(Origin::start(n, Duration::ZERO)))
        .collect();
    let addrs: BTreeMap<&str, std::net::SocketAddr> = NAMES
        .iter()
        .copied()
        .zip(origins.iter().map(|o| o.addr))
        .collect();
    let c = Contender::start(kind, cfg, &addrs);
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Pause(d) => std::thread::sleep(*d),
            Step::From(src, extra) => {
                let raw = format!("GET / HTTP/1.1\r\nhost: h\r\n{extra}connection: close\r\n\r\n");
                let reply = parse_reply(&rt.block_on(from(src, c.addr(), raw.as_bytes())));
                out.push(format!("{src} {extra:?} -> {}", reply.server()));
            }
        }
    }
    out
}

/// Sends bytes from the local address `src` and reads everything back.
async fn from(src: &str, to: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let work = async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{src}:0").parse().unwrap()).unwrap();
        let mut s = socket.connect(to).await.expect("connect");
        s.write_all(bytes).await.expect("write");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.expect("read");
        out
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("exchange finished in time")
}

fn same_servers(cfg: &str, steps: &[Step]) -> Vec<String> {
    let haproxy = sticky_servers(Kind::Haproxy, cfg, steps);
    let lbtop = sticky_servers(Kind::Lbtop, cfg, steps);
    assert_eq!(haproxy, lbtop, "with:\n{cfg}");
    haproxy
}

use Step::From;

/// Sources .1 and .2 take the two entries of a table of 2; .1 is used again, so .3 takes the
/// place of .2, the least recently used, which is balanced afresh and in turn takes the place
/// of .1, balanced afresh too.
const PURGE: [Step; 6] = [
    From("127.0.0.1", ""),
    From("127.0.0.2", ""),
    From("127.0.0.1", ""),
    From("127.0.0.3", ""),
    From("127.0.0.2", ""),
    From("127.0.0.1", ""),
];

#[test]
fn stick_on_src_across_tcp_connections_and_a_full_table() {
    if !haproxy_available() {
        return;
    }
    let t = same_servers(
        &table_template(
            "tcp",
            "    stick-table type ip size 2 expire 30s\n    stick on src\n",
        ),
        &PURGE,
    );
    assert_eq!(
        t.iter()
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect::<Vec<_>>(),
        ["s1", "s2", "s1", "s3", "s1", "s2"],
        "{t:#?}"
    );
    let t = same_servers(
        &table_template(
            "tcp",
            "    stick-table type ip size 2 expire 30s nopurge\n    stick on src\n",
        ),
        &PURGE,
    );
    assert!(t[4].ends_with("s2"), "with nopurge .2 still sticks: {t:#?}");
}

#[test]
fn a_stick_entry_expires_after_its_time_unused() {
    if !haproxy_available() {
        return;
    }
    // Well inside `expire 1s`, then well past it.
    let steps = [
        From("127.0.0.1", ""),
        Step::Pause(Duration::from_millis(200)),
        From("127.0.0.1", ""),
        Step::Pause(Duration::from_millis(2000)),
        From("127.0.0.1", ""),
    ];
    let cfg = table_template(
        "tcp",
        "    stick-table type ip size 10 expire 1s\n    stick on src\n",
    );
    let t = same_servers(&cfg, &steps);
    assert!(t[1].ends_with("s1") && t[2].ends_with("s2"), "{t:#?}");
}

#[test]
fn stick_on_a_header_and_match_by_cookie_in_http_mode() {
    if !haproxy_available() {
        return;
    }
    let steps = [
        From("127.0.0.1", "x-k: abcdef\r\n"),
        From("127.0.0.1", "x-k: b\r\n"),
        From("127.0.0.1", "x-k: abcdzz\r\n"),
        From("127.0.0.1", "x-k: q, b\r\n"),
        From("127.0.0.1", ""),
    ];
    let cfg = table_template(
        "http",
        "    stick-table type string len 4 size 10 expire 30s\n    stick on req.hdr(x-k)\n",
    );
    same_servers(&cfg, &steps);
    let steps = [
        From("127.0.0.1", "x-u: u1\r\n"),
        From("127.0.0.1", "cookie: a=1; u=u1\r\n"),
        From("127.0.0.1", "x-u: u2\r\n"),
        From("127.0.0.1", "cookie: u=u2\r\nx-u: u2\r\n"),
        From("127.0.0.1", "cookie: u=u1\r\n"),
    ];
    let cfg = table_template(
        "http",
        "    stick-table type string size 10\n    stick match req.cook(u)\n    stick store-request req.hdr(x-u)\n",
    );
    let t = same_servers(&cfg, &steps);
    assert!(t[1].ends_with("s1") && t[4].ends_with("s1"), "{t:#?}");
}

#[test]
fn a_request_the_stick_table_sends_gets_no_inserted_cookie() {
    if !haproxy_available() {
        return;
    }
    let cfg = template(
        "    cookie SRV insert indirect\n    stick-table type string size 10\n    stick on req.hdr(x-k)\n",
        "",
    );
    let requests = [
        "GET x-k: a\r\n",
        "GET x-k: a\r\ncookie: SRV=c2\r\n",
        "GET x-k: a\r\n",
        "GET x-k: c\r\ncookie: SRV=zz\r\n",
    ];
    let t = same(&cfg, &requests, false);
    has(&t, "200 s2 []");
    has(&t, " --NN ");
}

/// Two requests at once whose cookie names s2, which takes one at a time: where each went,
/// and how many s2 served at once.
fn sticky_under_maxconn(kind: Kind) -> (Vec<String>, usize) {
    let rt = rt();
    let origins: Vec<Origin> = NAMES
        .iter()
        .map(|n| {
            let delay = if *n == "s2" { 300 } else { 0 };
            rt.block_on(Origin::start(n, Duration::from_millis(delay)))
        })
        .collect();
    let addrs: BTreeMap<&str, std::net::SocketAddr> = NAMES
        .iter()
        .copied()
        .zip(origins.iter().map(|o| o.addr))
        .collect();
    let cfg = template("    cookie SRV insert indirect\n", " maxconn 1");
    let c = Contender::start(kind, &cfg, &addrs);
    let raw = b"GET / HTTP/1.1\r\nhost: h\r\ncookie: SRV=c2\r\nconnection: close\r\n\r\n";
    // The second request is sent once the first is at s2: sent at the same instant, two of
    // HAProxy's threads now and then both found s2 free (peak 2), which is not what this
    // test is about.
    let at = c.addr();
    let s2 = origins[1].seen.clone();
    let (a, b) = rt.block_on(async move {
        let first = tokio::spawn(exchange(at, raw));
        let at_s2 = async {
            while s2.active.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), at_s2)
            .await
            .expect("s2 got no request");
        let b = exchange(at, raw).await;
        (first.await.unwrap(), b)
    });
    let servers = [a, b]
        .iter()
        .map(|r| parse_reply(r).server().to_string())
        .collect();
    (
        servers,
        origins[1]
            .seen
            .peak
            .load(std::sync::atomic::Ordering::SeqCst),
    )
}

#[test]
fn a_sticky_server_at_its_maxconn_queues_its_clients() {
    if !haproxy_available() {
        return;
    }
    let haproxy = sticky_under_maxconn(Kind::Haproxy);
    assert_eq!(haproxy, (vec!["s2".to_string(), "s2".to_string()], 1));
    assert_eq!(sticky_under_maxconn(Kind::Lbtop), haproxy);
}

/// Captures and the cookie's flags share the traffic line: httplog shows `%CC %CS`, the
/// captured headers and `--NI`-style flags together, and a `log-format` gets both from
/// `%CC`/`%CS` and `%tsc` (docs/haproxy-semantics.md §24.1 and §25).
#[test]
fn captures_and_cookie_flags_in_one_line_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let captures = "    cookie SRV insert indirect\n    capture cookie SRV len 20\n    capture request header host len 10\n    capture response header x-server len 10\n";
    let requests = [
        "GET ",
        "GET cookie: a=1; SRV=c2\r\n",
        "GET cookie: SRV=zz\r\n",
        "GET x-reply: set-cookie: SRV=mine\r\n",
    ];
    let t = same(&template(captures, ""), &requests, false);
    // The cookie lbtop inserts is not the server's: `%CS` stays empty (HAProxy too).
    has(&t, " 62 - - --NI ");
    has(&t, " SRV=c2 - --VN A/F/B/0/0 0/0 {h} {s2} ");
    has(&t, " SRV=zz - --II ");
    has(&t, " - SRV=mine --NI ");
    let lf = format!("{captures}    log-format \"%f %b/%s %CC %CS %tsc %hr %hs\"\n");
    let t = same(&template(&lf, ""), &requests, false);
    has(&t, " SRV=c2 - --VN {h} {s2}");
    has(&t, " SRV=zz - --II {h} {s2}");
}

/// `stick ... if|unless <cond>`: a rule whose condition does not hold neither looks up nor
/// stores; another rule's still does.
#[test]
fn stick_rules_with_conditions_apply_only_where_they_hold() {
    if !haproxy_available() {
        return;
    }
    let steps = [
        From("127.0.0.1", "x-k: a\r\n"),
        From("127.0.0.1", "x-k: a\r\nx-skip: 1\r\n"),
        From("127.0.0.1", "x-k: a\r\n"),
        From("127.0.0.1", "x-k: b\r\nx-skip: 1\r\n"),
        From("127.0.0.1", "x-k: b\r\nx-skip: 1\r\n"),
        From("127.0.0.1", "x-k: b\r\n"),
        From("127.0.0.1", "x-k: b\r\n"),
        From("127.0.0.1", "x-u: u1\r\n"),
        From("127.0.0.1", "x-u: u1\r\n"),
        From("127.0.0.1", "x-u: u1\r\nx-m: 1\r\n"),
    ];
    let cfg = table_template(
        "http",
        "    acl skip req.hdr(x-skip) -m found\n    stick-table type string len 8 size 10 expire 30s\n    \
         stick on req.hdr(x-k) unless skip\n    stick match req.hdr(x-u) if { req.hdr(x-m) -m found }\n    \
         stick store-request req.hdr(x-u)\n",
    );
    let t = same_servers(&cfg, &steps);
    // The skipped request was balanced (s2), and the next one found `a` again (s1).
    assert!(
        t[0].ends_with("s1") && t[1].ends_with("s2") && t[2].ends_with("s1"),
        "{t:#?}"
    );
    let steps = [
        From("127.0.0.1", ""),
        From("127.0.0.2", ""),
        From("127.0.0.2", ""),
        From("127.0.0.1", ""),
        From("127.0.0.2", ""),
        From("127.0.0.1", ""),
    ];
    let cfg = table_template(
        "tcp",
        "    stick-table type ip size 10 expire 30s\n    stick on src if { src 127.0.0.1 }\n",
    );
    let t = same_servers(&cfg, &steps);
    assert!(t[3].ends_with(&t[0][t[0].len() - 2..]), "{t:#?}");
}
