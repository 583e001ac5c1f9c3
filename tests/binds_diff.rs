//! Differential tests for binds and the PROXY protocol: the same haproxy.cfg to real HAProxy
//! 2.6 and to lbtop, the same clients, recording origins that keep the raw bytes they got;
//! what the clients, the origins and the syslog sink see must match (ports masked).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::free_port;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const GLOBAL: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

/// An origin that keeps the raw bytes of each connection up to the end of its first request
/// head (a PROXY header included), answers `ok` and closes.
struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keep = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let keep = keep.clone();
                std::thread::spawn(move || record(stream, &keep));
            }
        });
        Recorder { addr, seen }
    }

    /// What the connections carrying `needle` brought, in order.
    fn with(&self, needle: &str) -> Vec<Vec<u8>> {
        let seen = self.seen.lock().unwrap();
        let has = |b: &Vec<u8>| String::from_utf8_lossy(b).contains(needle);
        seen.iter().filter(|b| has(b)).cloned().collect()
    }

    fn wait_for(&self, needle: &str) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.with(needle);
            if !got.is_empty() || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn record(mut stream: TcpStream, seen: &Mutex<Vec<Vec<u8>>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    // A head ends at the first blank line after the request line.
    let ended = |b: &[u8]| {
        let start = b.windows(7).position(|w| w == b" HTTP/1")?;
        b[start..].windows(4).position(|w| w == b"\r\n\r\n")
    };
    while ended(&got).is_none() {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
    seen.lock().unwrap().push(got);
    let _ =
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n");
}

/// Bytes as text, with what is not printable escaped.
fn escaped(b: &[u8]) -> String {
    b.iter()
        .flat_map(|&c| std::ascii::escape_default(c))
        .map(char::from)
        .collect()
}

/// `127.0.0.1:<port>` for each name, fresh for each contender.
fn ports(names: &[&'static str]) -> BTreeMap<&'static str, SocketAddr> {
    names
        .iter()
        .map(|&n| (n, SocketAddr::from(([127, 0, 0, 1], free_port()))))
        .collect()
}

/// Runs `scenario` against HAProxy, then lbtop, each with fresh recorders (`o1`, `o2`, ...)
/// and extra frontend ports (`P2`, `P3`, ...), and checks that both transcripts match.
fn same<F>(
    what: &str,
    template: &str,
    recorders: usize,
    extra: &[&'static str],
    scenario: F,
) -> Vec<String>
where
    F: Fn(&Contender, &BTreeMap<&str, SocketAddr>, &[Recorder]) -> Vec<String>,
{
    const NAMES: [&str; 4] = ["o1", "o2", "o3", "o4"];
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origins: Vec<Recorder> = (0..recorders).map(|_| Recorder::start()).collect();
        let mut addrs = ports(extra);
        for (name, o) in NAMES.iter().zip(&origins) {
            addrs.insert(name, o.addr);
        }
        let c = Contender::start(kind, template, &addrs);
        addrs.insert("PORT", c.addr());
        scenario(&c, &addrs, &origins)
    });
    assert_eq!(
        haproxy,
        lbtop,
        "{what}: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
    haproxy
}

/// The log lines so far, with `%ac/%fc/%bc/%sc/%rc` masked: a connection that just closed
/// may still count there in either proxy, so they race with the next request.
fn settled(c: &Contender) -> Vec<String> {
    let counts = |w: &str| {
        let parts: Vec<&str> = w.split('/').collect();
        parts.len() == 5
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    c.settled_lines()
        .into_iter()
        .map(|l| {
            let words: Vec<&str> = l
                .split(' ')
                .map(|w| if counts(w) { "CONNS" } else { w })
                .collect();
            words.join(" ")
        })
        .collect()
}

/// Sends `bytes`, then reads the answer: its first line, or how the connection ended.
fn send(to: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    if !bytes.is_empty() {
        s.write_all(bytes).unwrap();
    }
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) if got.is_empty() => "closed".into(),
        Ok(_) => String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "reset".into(),
        Err(e) => format!("error {:?}", e.kind()),
    }
}

#[test]
fn two_bind_lines_and_a_list_are_served_and_logged_by_their_frontend() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    bind {{P2}},{{P3}} name two\n    default_backend be\n\nfrontend other\n    bind {{P4}}\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    let lines = same("binds", &template, 1, &["P2", "P3", "P4"], |c, addrs, _| {
        let mut seen = Vec::new();
        for (port, path) in [("PORT", "/a"), ("P2", "/b"), ("P3", "/c"), ("P4", "/d")] {
            let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            seen.push(format!(
                "{port} {path}: {}",
                send(addrs[port], request.as_bytes())
            ));
        }
        c.sink.wait("GET /d", Duration::from_secs(5));
        seen.extend(settled(c));
        seen
    });
    assert!(
        lines.contains(&"P3 /c: HTTP/1.1 200 OK".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("] fe be/s1 ") && l.ends_with("\"GET /c HTTP/1.1\"")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("] other be/s1 ") && l.ends_with("\"GET /d HTTP/1.1\"")),
        "{lines:#?}"
    );
}

/// `PROXY TCP4 127.0.0.1 127.0.0.1 SPORT FPORT\r\n...` with the client's port and the
/// frontend's masked, in text or binary.
fn masked_header(raw: &[u8], frontend: u16) -> String {
    let text = escaped(raw);
    if raw.starts_with(b"PROXY ") {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(raw.len());
        let line = String::from_utf8_lossy(&raw[..line_end]);
        let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
        if words.len() == 6 {
            words[4] = "SPORT".into();
            if words[5] == frontend.to_string() {
                words[5] = "FPORT".into();
            }
        }
        return format!("{}{}", words.join(" "), escaped(&raw[line_end..]));
    }
    let mut b = raw.to_vec();
    if b.len() >= 28 && b[13] == 0x11 {
        b[24..26].copy_from_slice(b"SP");
        if u16::from_be_bytes([b[26], b[27]]) == frontend {
            b[26..28].copy_from_slice(b"FP");
        }
        return escaped(&b);
    }
    text
}

#[test]
fn send_proxy_and_send_proxy_v2_write_the_same_bytes_in_http_and_tcp_mode() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend h1\n    bind 127.0.0.1:{{PORT}}\n    default_backend bh1\nfrontend h2\n    bind {{P2}}\n    default_backend bh2\nfrontend t1\n    mode tcp\n    bind {{P3}}\n    default_backend bt1\nfrontend t2\n    mode tcp\n    bind {{P4}}\n    default_backend bt2\n\nbackend bh1\n    server s {{o1}} send-proxy\nbackend bh2\n    server s {{o2}} send-proxy-v2\nbackend bt1\n    mode tcp\n    server s {{o3}} send-proxy\nbackend bt2\n    mode tcp\n    server s {{o4}} send-proxy-v2\n"
    );
    let seen = same(
        "send-proxy",
        &template,
        4,
        &["P2", "P3", "P4"],
        |_, addrs, origins| {
            let mut seen = Vec::new();
            for (port, origin) in ["PORT", "P2", "P3", "P4"].iter().zip(origins) {
                let request = format!("GET /{port} HTTP/1.1\r\nhost: x\r\n\r\n");
                seen.push(format!("{port}: {}", send(addrs[port], request.as_bytes())));
                for raw in origin.wait_for(&format!("GET /{port} ")) {
                    seen.push(masked_header(&raw, addrs[port].port()));
                }
            }
            seen
        },
    );
    assert!(
        seen.iter()
            .any(|l| l
                .starts_with("PROXY TCP4 127.0.0.1 127.0.0.1 SPORT FPORT\\r\\nGET /PORT HTTP/1.1")),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|l| l.starts_with("\\r\\n\\r\\n\\x00\\r\\nQUIT\\n!\\x11\\x00\\x0c\\x7f\\x00\\x00\\x01\\x7f\\x00\\x00\\x01SPFPGET /P4 ")),
        "{seen:#?}"
    );
}

#[test]
fn checks_carry_the_proxy_header_too() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    option httpchk GET /chk\n    server a {{o1}} check inter 200 check-send-proxy\n    server b {{o2}} check inter 200 send-proxy-v2\n"
    );
    let seen = same("check-send-proxy", &template, 2, &[], |_, _, origins| {
        origins
            .iter()
            .map(|o| {
                let first = o
                    .wait_for("GET /chk ")
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                // The check's own addresses: its source port and the origin's port vary.
                masked_header(&first, 0).replace(&o.addr.port().to_string(), "OPORT")
            })
            .collect()
    });
    assert_eq!(
        seen,
        [
            "PROXY TCP4 127.0.0.1 127.0.0.1 SPORT OPORT\\r\\nGET /chk HTTP/1.0\\r\\n\\r\\n",
            "\\r\\n\\r\\n\\x00\\r\\nQUIT\\n \\x00\\x00\\x00GET /chk HTTP/1.0\\r\\n\\r\\n",
        ]
    );
}

fn v2_header(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(&sport.to_be_bytes());
    h.extend_from_slice(&dport.to_be_bytes());
    h
}

#[test]
fn accept_proxy_takes_the_client_address_from_the_header() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} accept-proxy\n    option forwardfor\n    default_backend be\nfrontend ft\n    mode tcp\n    option tcplog\n    bind {{P2}} accept-proxy\n    default_backend bt\n\nbackend be\n    server s {{o1}}\nbackend bt\n    mode tcp\n    server s {{o2}} send-proxy\n"
    );
    let lines = same(
        "accept-proxy",
        &template,
        2,
        &["P2"],
        |c, addrs, origins| {
            let get =
                |path: &str| format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            let v1 = [
                &b"PROXY TCP4 10.1.2.3 10.9.9.9 5555 80\r\n"[..],
                get("/v1").as_bytes(),
            ]
            .concat();
            let v2 = [
                v2_header([10, 4, 5, 6], [10, 7, 7, 7], 4444, 8080),
                get("/v2").into_bytes(),
            ]
            .concat();
            let local = [
                &b"\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00"[..],
                get("/local").as_bytes(),
            ]
            .concat();
            let unknown = [&b"PROXY UNKNOWN\r\n"[..], get("/unknown").as_bytes()].concat();
            let v6 = [
                &b"PROXY TCP6 2001:db8::1 2001:db8::2 6666 443\r\n"[..],
                get("/v6").as_bytes(),
            ]
            .concat();
            let mut seen = Vec::new();
            for (name, bytes) in [
                ("v1", v1.clone()),
                ("v2", v2),
                ("local", local),
                ("unknown", unknown),
                ("v6", v6),
            ] {
                seen.push(format!("{name}: {}", send(addrs["PORT"], &bytes)));
                for raw in origins[0].wait_for(&format!("GET /{name} ")) {
                    let text = String::from_utf8_lossy(&raw).into_owned();
                    let xff = text.lines().find(|l| l.starts_with("x-forwarded-for"));
                    seen.push(format!("  origin got {xff:?}"));
                }
            }
            seen.push(format!("tcp v1: {}", send(addrs["P2"], &v1)));
            for raw in origins[1].wait_for("GET /v1 ") {
                seen.push(masked_header(&raw, 0));
            }
            c.sink.wait("] ft bt/s ", Duration::from_secs(5));
            // Either proxy may log a request just after the next one was answered: sorted.
            let mut lines = settled(c);
            lines.sort();
            seen.extend(lines);
            seen
        },
    );
    for want in [
        "  origin got Some(\"x-forwarded-for: 10.1.2.3\")",
        "  origin got Some(\"x-forwarded-for: 10.4.5.6\")",
        "  origin got Some(\"x-forwarded-for: 2001:db8::1\")",
        "PROXY TCP4 10.1.2.3 10.9.9.9 SPORT 80\\r\\nGET /v1 HTTP/1.1\\r\\nhost: x\\r\\nconnection: close\\r\\n\\r\\n",
    ] {
        assert!(lines.contains(&want.to_string()), "missing {want:?} in {lines:#?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("<182> 10.4.5.6:4444 [DATE] fe be/s ")),
        "{lines:#?}"
    );
}

#[test]
fn a_connection_without_a_valid_header_is_refused_and_logged() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}    timeout http-request 10s\n    timeout client 1s\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}} accept-proxy\n    bind {{P2}} accept-proxy name edge\n    default_backend be\nfrontend quiet\n    option dontlognull\n    bind {{P3}} accept-proxy\n    default_backend be\n\nbackend be\n    server s {{o1}}\n"
    );
    let lines = same("refusals", &template, 1, &["P2", "P3"], |c, addrs, _| {
        let mut seen = Vec::new();
        let cases: [(&str, &str, &[u8]); 11] = [
            ("garbage", "PORT", b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"),
            ("named", "P2", b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"),
            ("short", "PORT", b"hello"),
            ("cut", "PORT", b"PROXY TCP4 10.1.2.3 10.9"),
            ("family", "PORT", b"PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\nGET / HTTP/1.0\r\n\r\n"),
            ("port", "PORT", b"PROXY TCP4 1.2.3.4 1.2.3.4 0 2\r\nGET / HTTP/1.0\r\n\r\n"),
            ("proto", "PORT", b"PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\nGET / HTTP/1.0\r\n\r\n"),
            ("v2 cmd", "PORT", b"\r\n\r\n\0\r\nQUIT\n\x22\x11\x00\x00GET / HTTP/1.0\r\n\r\n"),
            ("v2 udp", "PORT", b"\r\n\r\n\0\r\nQUIT\n\x21\x12\x00\x0c\x0a\x00\x00\x01\x0a\x00\x00\x02\x00\x01\x00\x02GET / HTTP/1.0\r\n\r\n"),
            ("unknown with addresses", "PORT", b"PROXY UNKNOWN 1.2.3.4 1.2.3.4 1 2\r\nGET / HTTP/1.0\r\n\r\n"),
            ("dontlognull", "P3", b"garbage that is long enough"),
        ];
        for (name, port, bytes) in cases {
            let from = c.sink.count();
            seen.push(format!("{name}: {}", send(addrs[port], bytes)));
            // Each refusal's line before the next case, so the order is the same.
            let deadline = Instant::now() + Duration::from_secs(2);
            while c.sink.count() == from && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        for (name, port) in [("empty", "PORT"), ("empty quiet", "P3")] {
            let s = TcpStream::connect(addrs[port]).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            drop(s);
            seen.push(name.to_string());
        }
        // Silence: `timeout client` (1s) closes it, not `timeout http-request` (10s).
        let started = Instant::now();
        let outcome = send(addrs["PORT"], b"");
        let secs = started.elapsed().as_secs_f64();
        seen.push(format!("silent: {outcome} after about {}s", secs.round()));
        c.sink.wait("Timeout while waiting", Duration::from_secs(5));
        seen.extend(settled(c));
        seen
    });
    for want in [
        "garbage: reset",
        "silent: closed after about 1s",
        "<182> 127.0.0.1:PORT [DATE] fe/1: Received something which does not look like a PROXY protocol header",
        "<182> 127.0.0.1:PORT [DATE] fe/edge: Received something which does not look like a PROXY protocol header",
        "<182> 127.0.0.1:PORT [DATE] fe/1: Timeout while waiting for PROXY protocol header",
    ] {
        assert!(lines.contains(&want.to_string()), "missing {want:?} in {lines:#?}");
    }
}

/// Whether `s` gets an answer within `wait`: its first line, or `None`.
fn answer_within(s: &mut TcpStream, wait: Duration) -> Option<String> {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut got = [0u8; 512];
    match s.read(&mut got) {
        Ok(n) if n > 0 => Some(
            String::from_utf8_lossy(&got[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        ),
        _ => None,
    }
}

#[test]
fn maxconn_on_a_bind_holds_further_clients_in_the_backlog() {
    if !haproxy_available() {
        return;
    }
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    bind {{P2}} maxconn 1\n    default_backend be\n\nbackend be\n    server s {{o1}}\n"
    );
    let request = b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    same("bind maxconn", &template, 1, &["P2"], |_, addrs, _| {
        let mut seen = Vec::new();
        for port in ["PORT", "P2"] {
            // A silent client holds the bind's only slot...
            let holder = TcpStream::connect(addrs[port]).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            // ...so the next one is accepted only once it leaves.
            let mut next = TcpStream::connect(addrs[port]).unwrap();
            next.write_all(request).unwrap();
            let early = answer_within(&mut next, Duration::from_millis(500));
            seen.push(format!("{port} while the first is open: {early:?}"));
            drop(holder);
            if early.is_none() {
                let late = answer_within(&mut next, Duration::from_secs(5));
                seen.push(format!("{port} once it left: {late:?}"));
            }
        }
        seen
    });
}
