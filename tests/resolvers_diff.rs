//! Differential tests for `resolvers` sections: real HAProxy 2.6 and lbtop, each given the
//! same haproxy.cfg, both asking a tiny DNS server this test runs on 127.0.0.1 (UDP, A records
//! from a table the test changes). Origins listen on 127.0.0.2 and 127.0.0.3 on one port, so
//! which one answers shows which address a server has. Compared: who answers, and the syslog
//! lines of each server in order (address changes, MAINT (resolution) and back).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::free_port;
use contender::{haproxy_available, Contender, Kind};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

type Table = Arc<Mutex<HashMap<String, Vec<Ipv4Addr>>>>;

/// A DNS server on 127.0.0.1: A records from `table`, NXDOMAIN for a name not in it, an
/// empty answer for any other type. It stops when the table is dropped everywhere else.
fn dns_server(table: Table) -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut buf = [0u8; 512];
        while Arc::strong_count(&table) > 1 {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            if let Some(answer) = answer(&buf[..n], &table) {
                let _ = socket.send_to(&answer, from);
            }
        }
    });
    port
}

/// The answer to one query, written by hand (not with lbtop's codec, which is under test).
fn answer(q: &[u8], table: &Table) -> Option<Vec<u8>> {
    let mut at = 12;
    let mut labels = Vec::new();
    while *q.get(at)? != 0 {
        let len = usize::from(q[at]);
        labels.push(String::from_utf8_lossy(q.get(at + 1..at + 1 + len)?).to_lowercase());
        at += 1 + len;
    }
    let question = q.get(12..at + 5)?;
    let qtype = u16::from_be_bytes([q[at + 1], q[at + 2]]);
    let addrs = table.lock().unwrap().get(&labels.join(".")).cloned();
    let (rcode, addrs) = match addrs {
        None => (3, vec![]),
        Some(_) if qtype != 1 => (0, vec![]),
        Some(a) => (0, a),
    };
    let mut out = vec![
        q[0],
        q[1],
        0x81,
        0x80 | rcode,
        0,
        1,
        0,
        addrs.len() as u8,
        0,
        0,
        0,
        0,
    ];
    out.extend_from_slice(question);
    for ip in addrs {
        out.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4]);
        out.extend_from_slice(&ip.octets());
    }
    Some(out)
}

/// An HTTP origin on `ip:port` whose body is its name.
fn origin(ip: Ipv4Addr, port: u16, name: &'static str) {
    let listener = TcpListener::bind((ip, port)).unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream, name));
        }
    });
}

fn serve(mut s: TcpStream, name: &str) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{name}",
        name.len()
    );
    let _ = s.write_all(reply.as_bytes());
}

/// Names and their A records, as `set` takes them.
type Entries<'a> = [(&'a str, &'a [[u8; 4]])];

fn set(table: &Table, entries: &Entries) {
    let mut t = table.lock().unwrap();
    t.clear();
    for (name, ips) in entries {
        t.insert(
            name.to_string(),
            ips.iter().map(|&o| Ipv4Addr::from(o)).collect(),
        );
    }
}

/// Which origin answers `n` requests, sorted (the rotation's order is not what is tested).
fn answers(c: &Contender, n: usize) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut seen: Vec<String> = (0..n)
        .map(|_| rt.block_on(common::get(c.addr(), "/")).body)
        .collect();
    seen.sort();
    seen
}

/// The log lines naming `who` (`b/s1`), in order; connection lines left out.
fn lines_of(c: &Contender, who: &str) -> Vec<String> {
    let word = format!(" {who} ");
    c.sink
        .lines()
        .into_iter()
        .filter(|l| !l.contains("Connect from") && l.contains(&word))
        .collect()
}

const WAIT: Duration = Duration::from_secs(15);

// `hold valid 10s` in every scenario: HAProxy still asks every `timeout resolve` (1s), and so
// must lbtop (asserted once, below).

fn config(dns: u16, port: u16, servers: &str) -> String {
    format!(
        "global\n    log {{LOG}} local0\n\nresolvers dns\n    nameserver ns1 127.0.0.1:{dns}\n    hold valid 10s\n    hold nx 1s\n    timeout resolve 1s\n    timeout retry 500ms\n\ndefaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend b\n\nbackend b\n{servers}",
    ) .replace("{port}", &port.to_string())
}

/// A name that does not resolve at start starts in MAINT and comes up when it appears; a
/// changed address moves new requests to it; NXDOMAIN for longer than `hold nx` puts the
/// server in MAINT (DNS NX status). Same answers, same lines, as HAProxy.
#[test]
fn servers_follow_their_names_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let port = free_port();
    origin(Ipv4Addr::new(127, 0, 0, 2), port, "o2");
    origin(Ipv4Addr::new(127, 0, 0, 3), port, "o3");
    let servers = "    server s1 app.test:{port} resolvers dns\n    server s2 late.test:{port} resolvers dns\n";
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let table: Table = Arc::default();
        set(&table, &[("app.test", &[[127, 0, 0, 2]])]);
        let dns = dns_server(table.clone());
        let c = Contender::start(kind, &config(dns, port, servers), &BTreeMap::new());
        c.sink.wait("b/s1 administratively READY", WAIT);
        let mut seen = answers(&c, 2);
        set(
            &table,
            &[
                ("app.test", &[[127, 0, 0, 3]]),
                ("late.test", &[[127, 0, 0, 2]]),
            ],
        );
        let changed = std::time::Instant::now();
        c.sink.wait("b/s1 changed its IP from 127.0.0.2", WAIT);
        // Well before `hold valid` (10s): the name is asked every `timeout resolve`.
        let late = changed.elapsed();
        assert!(late < Duration::from_secs(6), "{kind:?} took {late:?}");
        c.sink.wait("b/s2 administratively READY", WAIT);
        seen.extend(answers(&c, 4));
        set(&table, &[("app.test", &[[127, 0, 0, 3]])]);
        c.sink.wait("(DNS NX status)", WAIT);
        seen.extend(answers(&c, 2));
        std::thread::sleep(Duration::from_millis(300));
        seen.extend(lines_of(&c, "b/s1"));
        seen.extend(lines_of(&c, "b/s2"));
        seen
    });
    assert_eq!(runs[0], runs[1], "HAProxy (left) and lbtop (right) differ");
    let text = runs[0].join("\n");
    for want in [
        "<133> b/s1 changed its IP from (none) to 127.0.0.2 by dns/ns1.",
        "<133> Server b/s1 ('app.test') is UP/READY (resolves again).",
        "<133> b/s1 changed its IP from 127.0.0.2 to 127.0.0.3 by dns/ns1.",
        "<129> Server b/s2 is going DOWN for maintenance (DNS NX status). 1 active and 0 backup servers left.",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert_eq!(&runs[0][..2], ["o2", "o2"]);
    assert_eq!(&runs[0][2..6], ["o2", "o2", "o3", "o3"]);
    assert_eq!(&runs[0][6..8], ["o3", "o3"]);
}

/// `server-template` with `resolvers`: the slots take the answer's addresses, one each, in
/// order (the first by the name server, the others "by DNS cache"), and a slot left without
/// an address stays in MAINT. A `disabled` server whose name appears stays in MAINT too.
#[test]
fn template_slots_fill_from_the_answer_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let port = free_port();
    origin(Ipv4Addr::new(127, 0, 0, 2), port, "o2");
    origin(Ipv4Addr::new(127, 0, 0, 3), port, "o3");
    let servers = "    server-template t 3 app.test:{port} resolvers dns\n    server d dis.test:{port} resolvers dns disabled\n";
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let table: Table = Arc::default();
        let both: &[[u8; 4]] = &[[127, 0, 0, 2], [127, 0, 0, 3]];
        set(
            &table,
            &[("app.test", both), ("dis.test", &[[127, 0, 0, 2]])],
        );
        let dns = dns_server(table.clone());
        let c = Contender::start(kind, &config(dns, port, servers), &BTreeMap::new());
        c.sink.wait("b/t2 administratively READY", WAIT);
        c.sink.wait("b/d administratively READY", WAIT);
        // Another round: nothing changes, nothing is logged.
        std::thread::sleep(Duration::from_millis(2500));
        let mut seen = answers(&c, 4);
        for t in ["b/t1", "b/t2", "b/t3", "b/d"] {
            seen.extend(lines_of(&c, t));
        }
        seen
    });
    assert_eq!(runs[0], runs[1], "HAProxy (left) and lbtop (right) differ");
    let text = runs[0].join("\n");
    for want in [
        "<133> b/t1 changed its IP from (none) to 127.0.0.2 by dns/ns1.",
        "<133> b/t2 changed its IP from (none) to 127.0.0.3 by DNS cache.",
        // `disabled`: it takes the address but stays in maintenance.
        "<133> Server b/d ('dis.test') resolves again but remains in maintenance.",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(!text.contains("b/t3"), "{text}");
    assert_eq!(&runs[0][..4], ["o2", "o2", "o3", "o3"]);
}

/// Servers sharing a name that resolved at start (`localhost`, by the system resolver): on
/// the first answer each takes an address no other has taken, in turn, and the one left
/// without goes to MAINT ("No IP for server ").
#[test]
fn servers_sharing_a_name_share_out_the_answer_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let port = free_port();
    origin(Ipv4Addr::new(127, 0, 0, 2), port, "o2");
    origin(Ipv4Addr::new(127, 0, 0, 3), port, "o3");
    let mut servers = String::new();
    for s in ["s1", "s2", "s3"] {
        servers +=
            &format!("    server {s} localhost:{{port}} resolvers dns resolve-prefer ipv4\n");
    }
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let table: Table = Arc::default();
        set(&table, &[("localhost", &[[127, 0, 0, 2], [127, 0, 0, 3]])]);
        let dns = dns_server(table.clone());
        let c = Contender::start(kind, &config(dns, port, &servers), &BTreeMap::new());
        c.sink.wait("No IP for server", WAIT);
        std::thread::sleep(Duration::from_millis(2500));
        let mut seen = answers(&c, 4);
        for s in ["b/s1", "b/s2", "b/s3"] {
            seen.extend(lines_of(&c, s));
        }
        seen
    });
    assert_eq!(runs[0], runs[1], "HAProxy (left) and lbtop (right) differ");
    let text = runs[0].join("\n");
    for want in [
        "<133> b/s1 changed its IP from 127.0.0.1 to 127.0.0.2 by dns/ns1.",
        "<133> b/s2 changed its IP from 127.0.0.1 to 127.0.0.3 by DNS cache.",
        "<129> Server b/s3 is going DOWN for maintenance (No IP for server ). 2 active and 0 backup servers left.",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert_eq!(&runs[0][..4], ["o2", "o2", "o3", "o3"]);
}

/// The dashboard's snapshot shows the address a server has now; a server in MAINT
/// (resolution) stays there when told ready, and leaves it when its name appears.
#[test]
fn the_snapshot_follows_the_address() {
    use lbtop::config::Config;
    use lbtop::engine::Engine;
    use lbtop::events::{self, AdminState, Command, ServerId};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let table: Table = Arc::default();
        let dns = dns_server(table.clone());
        let text = config(dns, 8080, "    server s1 app.test:{port} resolvers dns\n")
            .replace("{LOG}", "127.0.0.1:9")
            .replace("{PORT}", &free_port().to_string());
        let config = Config::parse(std::path::Path::new("t.cfg"), &text).unwrap();
        let (tx, _rx) = events::channel();
        let engine = Engine::start(Arc::new(config), tx).await.unwrap();
        let handle = engine.handle();
        let s1 = ServerId {
            backend: 0,
            server: 0,
        };
        handle.command(Command::SetAdmin {
            server: s1,
            state: AdminState::Ready,
        });
        handle.command(Command::SetWeight {
            server: s1,
            weight: 7,
        });
        let server = || handle.snapshot().backends[0].servers[0].clone();
        let wait = |what: &str, ok: &dyn Fn(&lbtop::events::ServerSnap) -> bool| {
            let deadline = std::time::Instant::now() + WAIT;
            while !ok(&server()) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{what}: {:?}",
                    server().status
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait("weight applied", &|s| s.weight == 7);
        assert_eq!(server().status.to_string(), "MAINT");
        set(&table, &[("app.test", &[[127, 0, 0, 2]])]);
        wait("resolved", &|s| s.addr.to_string() == "127.0.0.2:8080");
        assert_ne!(server().status.to_string(), "MAINT");
        set(&table, &[("app.test", &[[127, 0, 0, 3]])]);
        wait("moved", &|s| s.addr.to_string() == "127.0.0.3:8080");
        engine.shutdown().await;
    });
}

/// A server that is DOWN by its checks when its name goes away: "was DOWN and now enters
/// maintenance (DNS NX status)."
#[test]
fn a_down_server_whose_name_goes_away_enters_maintenance_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let port = free_port();
    origin(Ipv4Addr::new(127, 0, 0, 2), port, "o2");
    // Nothing listens on 127.0.0.9: its checks fail.
    let servers = "    server s1 app.test:{port} resolvers dns check inter 300ms fall 1 rise 1\n    server s2 b.test:{port} resolvers dns\n";
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let table: Table = Arc::default();
        set(
            &table,
            &[
                ("app.test", &[[127, 0, 0, 9]]),
                ("b.test", &[[127, 0, 0, 2]]),
            ],
        );
        let dns = dns_server(table.clone());
        let c = Contender::start(kind, &config(dns, port, servers), &BTreeMap::new());
        c.sink.wait("Server b/s1 is DOWN", WAIT);
        set(&table, &[("b.test", &[[127, 0, 0, 2]])]);
        c.sink
            .wait("b/s1 was DOWN and now enters maintenance", WAIT);
        std::thread::sleep(Duration::from_millis(300));
        let mut seen = answers(&c, 2);
        seen.extend(lines_of(&c, "b/s1"));
        seen
    });
    let masked = runs.map(|r| r.iter().map(|l| common::mask(l)).collect::<Vec<_>>());
    assert_eq!(
        masked[0], masked[1],
        "HAProxy (left) and lbtop (right) differ"
    );
    let text = masked[0].join("\n");
    let want = "Server b/s1 was DOWN and now enters maintenance (DNS NX status).";
    assert!(text.contains(want), "missing {want:?} in\n{text}");
    assert_eq!(&masked[0][..2], ["o2", "o2"]);
}

/// Checks follow a server's address when its name moves, unless the server has its own check
/// `addr`, which they keep to; a check `port` replaces the port of the new address. s1 and s3
/// (s3 once its name appears) start at 127.0.0.9 (nothing listens: DOWN) and come UP once
/// their names move to where an origin answers; s2's name stays at 127.0.0.9 but its checks
/// go to `addr 127.0.0.2`.
#[test]
fn checks_follow_the_resolved_address_unless_addr_is_set_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let port = free_port();
    let cport = free_port();
    origin(Ipv4Addr::new(127, 0, 0, 2), port, "o2");
    // Only the check port answers on 127.0.0.3.
    origin(Ipv4Addr::new(127, 0, 0, 3), cport, "c3");
    let servers = format!(
        "    server s1 app.test:{{port}} resolvers dns check inter 300ms fall 1 rise 1\n    server s2 own.test:{{port}} resolvers dns check inter 300ms fall 1 rise 1 addr 127.0.0.2\n    server s3 port.test:{{port}} resolvers dns check inter 300ms fall 1 rise 1 port {cport}\n"
    );
    let runs = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let table: Table = Arc::default();
        let at9: &[[u8; 4]] = &[[127, 0, 0, 9]];
        // One step at a time, so the servers' counts in each line do not race.
        set(&table, &[("app.test", at9), ("own.test", at9)]);
        let dns = dns_server(table.clone());
        let c = Contender::start(kind, &config(dns, port, &servers), &BTreeMap::new());
        c.sink.wait("Server b/s1 is DOWN", WAIT);
        let steps: [(&Entries, &str); 3] = [
            (
                &[("app.test", at9), ("own.test", at9), ("port.test", at9)],
                "Server b/s3 is DOWN",
            ),
            (
                &[
                    ("app.test", &[[127, 0, 0, 2]]),
                    ("own.test", at9),
                    ("port.test", at9),
                ],
                "Server b/s1 is UP",
            ),
            (
                &[
                    ("app.test", &[[127, 0, 0, 2]]),
                    ("own.test", at9),
                    ("port.test", &[[127, 0, 0, 3]]),
                ],
                "Server b/s3 is UP",
            ),
        ];
        for (entries, line) in steps {
            set(&table, entries);
            c.sink.wait(line, WAIT);
        }
        std::thread::sleep(Duration::from_millis(700));
        let mut seen = Vec::new();
        for who in ["b/s1", "b/s2", "b/s3"] {
            seen.extend(lines_of(&c, who).iter().map(|l| common::mask(l)));
        }
        seen
    });
    assert_eq!(runs[0], runs[1], "HAProxy (left) and lbtop (right) differ");
    let text = runs[0].join("\n");
    assert!(
        !text.contains("Server b/s2 is DOWN"),
        "s2 went DOWN:\n{text}"
    );
}
