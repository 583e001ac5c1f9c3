//! Differential tests of server addresses that follow the client (docs/haproxy-semantics.md
//! §36): a server without a port (or with `+N`/`-N`) gets the port the client reached, a
//! server at `*:port` the address the client reached. The same haproxy.cfg goes to real
//! HAProxy 2.6 and to lbtop; what must match: which fake server (address and port) answered
//! each client, the `%si:%sp` each session logged, and the health lines of servers checked
//! through `port` and `tcp-check connect port`.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::free_port;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A fake server: answers any request with an HTTP response whose body names the address
/// and port it was reached at, then closes.
fn fake(addr: SocketAddr) -> Option<SocketAddr> {
    let listener = TcpListener::bind(addr).ok()?;
    let at = listener.local_addr().ok()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, at));
        }
    });
    Some(at)
}

fn answer(mut s: TcpStream, at: SocketAddr) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    // A check connects and may send nothing: answer once the head is in, or at its end.
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let body = format!("fake@{at}");
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(reply.as_bytes());
}

fn ip(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// A fake at `ip`, on a port `port_of(p)` for a free port `p` of 127.0.0.1; returns `p`.
fn fake_near(at: IpAddr, port_of: impl Fn(u16) -> u16) -> u16 {
    loop {
        let p = free_port();
        if fake(SocketAddr::new(at, port_of(p))).is_some() {
            return p;
        }
    }
}

/// The ports of one run, and fakes listening where each server should lead.
struct Plan {
    /// `bind 127.0.0.1:P-P+1`, server `127.0.0.2` (no port).
    range: u16,
    /// `bind 127.0.0.1:Q`, server `127.0.0.3:+7`.
    plus: u16,
    /// `bind 127.0.0.1:R`, server `127.0.0.4:-3`.
    minus: u16,
    /// `bind 127.0.0.5:S`, server `*:T`.
    star: (u16, u16),
    /// `mode http`, `bind 127.0.0.1:H`, server `127.0.0.6`.
    http: u16,
    /// Checked servers: `tcp-check connect port C` to 127.0.0.7, `port D` to 127.0.0.8.
    checks: (u16, u16),
    /// `bind 127.0.0.1:N`, server `localhost:+5` (a host name follows the client's port too).
    name: u16,
    /// A checked server at `*:E` (its checks have no client: 0.0.0.0 is this host).
    star_check: u16,
}

impl Plan {
    fn new() -> Plan {
        let range = loop {
            let p = free_port();
            let next = SocketAddr::new(ip(1), p + 1);
            if TcpListener::bind(next).is_ok()
                && fake(SocketAddr::new(ip(2), p)).is_some()
                && fake(SocketAddr::new(ip(2), p + 1)).is_some()
            {
                break p;
            }
        };
        let plus = fake_near(ip(3), |p| p + 7);
        let minus = fake_near(ip(4), |p| p - 3);
        let star = (free_port(), fake_near(ip(5), |p| p));
        let http = fake_near(ip(6), |p| p);
        let checks = (fake_near(ip(7), |p| p), fake_near(ip(8), |p| p));
        let star_check = fake_near(ip(1), |p| p);
        let name = fake_near(ip(1), |p| p + 5);
        Plan {
            name,
            star_check,
            range,
            plus,
            minus,
            star,
            http,
            checks,
        }
    }

    fn cfg(&self) -> String {
        let p = self.range;
        format!(
            "global\n    log {{LOG}} local0 debug\n\n\
             defaults\n    mode tcp\n    log global\n    option log-health-checks\n    \
             log-format \"%ft %b/%s %si:%sp %fi:%fp\"\n    \
             timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n\
             # Takes the harness's start-up probe.\n\
             listen f\n    bind 127.0.0.1:{{PORT}}\n    server s 127.0.0.1:1\n\n\
             listen range\n    bind 127.0.0.1:{p}-{}\n    server s 127.0.0.2\n\n\
             listen plus\n    bind 127.0.0.1:{}\n    server s 127.0.0.3:+7\n\n\
             listen minus\n    bind 127.0.0.1:{}\n    server s 127.0.0.4:-3\n\n\
             listen star\n    bind 127.0.0.5:{}\n    server s *:{}\n\n\
             listen name\n    bind 127.0.0.1:{}\n    server s localhost:+5\n\n\
             listen http\n    mode http\n    bind 127.0.0.1:{}\n    server s 127.0.0.6\n\n\
             backend tcpchk\n    option tcp-check\n    tcp-check connect port {}\n    \
             server s 127.0.0.7 check inter 300 rise 1 fall 1\n\n\
             backend portchk\n    server s 127.0.0.8 check port {} inter 300 rise 1 fall 1\n\n\
             backend starchk\n    server s *:{} check inter 300 rise 1 fall 1\n",
            p + 1,
            self.plus,
            self.minus,
            self.star.0,
            self.star.1,
            self.name,
            self.http,
            self.checks.0,
            self.checks.1,
            self.star_check,
        )
    }

    /// Where the clients connect.
    fn clients(&self) -> Vec<SocketAddr> {
        vec![
            SocketAddr::new(ip(1), self.range),
            SocketAddr::new(ip(1), self.range + 1),
            SocketAddr::new(ip(1), self.plus),
            SocketAddr::new(ip(1), self.minus),
            SocketAddr::new(ip(5), self.star.0),
            SocketAddr::new(ip(1), self.name),
            SocketAddr::new(ip(1), self.http),
        ]
    }
}

/// The body a client got (the fake that answered), or what went wrong.
fn ask(to: SocketAddr) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&to, Duration::from_secs(2)) else {
        return format!("{to}: no connection");
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    format!("{to} -> {body}")
}

/// What one proxy shows: each client's answer, the session log lines, the health lines.
fn observe(kind: Kind, plan: &Plan) -> (Vec<String>, Vec<String>) {
    let c = Contender::start(kind, &plan.cfg(), &BTreeMap::new());
    let answers: Vec<String> = plan.clients().into_iter().map(ask).collect();
    for name in ["tcpchk", "portchk", "starchk"] {
        c.sink.wait(
            &format!("Health check for server {name}/s "),
            Duration::from_secs(10),
        );
    }
    for name in ["range", "plus", "minus", "star", "name", "http"] {
        c.sink
            .wait(&format!("> {name} {name}/s "), Duration::from_secs(10));
    }
    let mut lines: Vec<String> = c
        .sink
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("<134> f "))
        .filter(|l| !l.contains("Health check") || first_of(&c, l))
        .collect();
    lines.sort();
    (answers, lines)
}

/// Keeps one health line per server (the first).
fn first_of(c: &Contender, line: &str) -> bool {
    let server = line.split(' ').nth(5).unwrap_or("");
    c.sink
        .lines()
        .into_iter()
        .find(|l| l.contains("Health check") && l.split(' ').nth(5) == Some(server))
        .is_some_and(|first| first == line)
}

#[test]
fn servers_without_a_port_or_address_follow_the_client_as_in_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let plan = Plan::new();
    let (h_answers, h_lines) = observe(Kind::Haproxy, &plan);
    let (l_answers, l_lines) = observe(Kind::Lbtop, &plan);
    assert_eq!(h_answers, l_answers, "which fake answered each client");
    assert_eq!(
        h_lines,
        l_lines,
        "log lines differ\nHAProxy:\n{}\nlbtop:\n{}",
        h_lines.join("\n"),
        l_lines.join("\n")
    );
    // A check of `*:port` has no client to follow: it reaches this host.
    assert!(
        h_lines
            .iter()
            .any(|l| l.contains("Health check for server starchk/s succeeded")),
        "{h_lines:#?}"
    );
    // And they are the ones HAProxy is documented to reach (§36).
    let (p, star) = (plan.range, plan.star);
    for want in [
        format!("fake@127.0.0.2:{p}"),
        format!("fake@127.0.0.2:{}", p + 1),
        format!("fake@127.0.0.3:{}", plan.plus + 7),
        format!("fake@127.0.0.4:{}", plan.minus - 3),
        format!("fake@127.0.0.5:{}", star.1),
        format!("fake@127.0.0.1:{}", plan.name + 5),
        format!("fake@127.0.0.6:{}", plan.http),
    ] {
        assert!(
            h_answers.iter().any(|a| a.ends_with(&want)),
            "{want} in {h_answers:#?}"
        );
    }
}

/// A checked server without a port needs a check port: HAProxy refuses the file, and so
/// does lbtop, naming the line.
#[test]
fn a_checked_server_without_a_port_or_check_port_is_refused_by_both() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("plain", "    server s 127.0.0.1 check\n"),
        ("offset", "    server s 127.0.0.1:+1 check\n"),
        (
            "httpchk",
            "    option httpchk\n    server s 127.0.0.1 check\n",
        ),
        (
            "rule-without-port",
            "    option tcp-check\n    tcp-check connect\n    server s 127.0.0.1 check\n",
        ),
    ] {
        let cfg = format!(
            "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    \
             timeout server 1s\n\nlisten l\n    bind 127.0.0.1:{}\n{body}",
            free_port()
        );
        let path = dir.path().join(format!("{name}.cfg"));
        std::fs::write(&path, &cfg).unwrap();
        let h = std::process::Command::new("haproxy")
            .arg("-c")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        let l = std::process::Command::new(contender::LBTOP)
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        let l_err =
            String::from_utf8_lossy(&l.stderr).to_string() + &String::from_utf8_lossy(&l.stdout);
        assert!(!h.status.success(), "{name}: HAProxy accepted it");
        assert!(!l.status.success(), "{name}: lbtop accepted it");
        let line = cfg.lines().count();
        assert!(
            l_err.contains(&format!(
                "{name}.cfg:{line}: listen 'l': server 's' has neither"
            )),
            "{name}: {l_err}"
        );
    }
}

/// What the stats socket shows of such servers: `show stat` writes the offset signed in
/// `addr`, `show servers state` as its unsigned 32 bits in `srv_port`.
#[test]
fn the_stats_socket_shows_port_offsets_as_haproxy() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let sock = dir.path().join(format!("{kind:?}.sock"));
        let cfg = format!(
            "global\n    stats socket {} level admin\n\n\
             defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    \
             timeout server 5s\n\n\
             listen l\n    bind 127.0.0.1:{{PORT}}\n    server a 127.0.0.2\n    \
             server b 127.0.0.3:+5\n    server c *:80\n    server d [::1]:-5\n",
            sock.display()
        );
        let _c = Contender::start(kind, &cfg, &BTreeMap::new());
        let stat = socket_ask(&sock, "show stat");
        let addrs: Vec<String> = stat
            .lines()
            .filter(|l| l.starts_with("l,") && !l.contains("FRONTEND") && !l.contains("BACKEND"))
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{} {}", f[1], f.get(73).copied().unwrap_or("?"))
            })
            .collect();
        let state = socket_ask(&sock, "show servers state");
        let ports: Vec<String> = state
            .lines()
            .filter(|l| l.starts_with("2 l "))
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                format!("{} {} {}", f[3], f[4], f[18])
            })
            .collect();
        (addrs, ports)
    });
    assert_eq!(
        haproxy.0,
        [
            "a 127.0.0.2:0",
            "b 127.0.0.3:5",
            "c 0.0.0.0:80",
            "d [::1]:-5"
        ]
    );
    assert_eq!(haproxy, lbtop, "HAProxy (left), lbtop (right)");
}

fn socket_ask(path: &std::path::Path, command: &str) -> String {
    let mut s = std::os::unix::net::UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{command}\n").as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}
