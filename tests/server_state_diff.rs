//! Differential tests of `show servers state` and of server state across a restart
//! (`server-state-file`, `server-state-base`, `load-server-state-from-file global|local`,
//! `server-state-file-name`): the same haproxy.cfg to real HAProxy 2.6 (asked on its own
//! `stats socket`) and to lbtop (asked in-process through `Handle::cli`, the path its socket
//! uses). Both put servers in maintenance and drain, change a weight and disable checks; their
//! dumps must match in every column but the seconds since the last change. Each dump is then
//! written as the state file, both restart on it, and must come back with the same states,
//! weights, start-up lines and traffic share. Also: a config changed since the dump, a local
//! file, a missing or broken file, and a file HAProxy wrote with moved addresses.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use common::{free_port, get};
use contender::haproxy_available;
use lbtop::config::Config;
use lbtop::engine::cli::Level;
use lbtop::engine::{Engine, Handle};
use lbtop::events::{self, AdminState, Command, Event, EventReceiver, ServerId};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The column of `srv_time_since_last_change`, the only one that differs by timing.
const SINCE: usize = 9;

fn cfg(dir: &Path, port: u16, s: &BTreeMap<&str, SocketAddr>) -> String {
    format!(
        "global\n    stats socket {dir}/admin.sock level admin\n    server-state-file {dir}/state\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
         timeout server 5s\n    load-server-state-from-file global\n\
         frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
         backend be\n    balance roundrobin\n\
         \x20   server a {a} check inter 200\n    server b {b} check inter 200\n\
         \x20   server c {c} weight 10\n    server d {d} check inter 200\n\
         \x20   server dead {dead} check inter 200\n    server off {a} disabled\n\
         \x20   server pc {b} check inter 200 port {bp}\n    server np {c} port {cp}\n\
         \x20   server dh {d} check inter 200 port {dp}\n",
        dir = dir.display(),
        a = s["a"],
        b = s["b"],
        c = s["c"],
        d = s["d"],
        dead = s["dead"],
        bp = s["b"].port(),
        cp = s["c"].port(),
        dp = s["d"].port(),
    )
}

/// One proxy under test: how to ask it a runtime API command.
trait Runtime {
    fn cli(&mut self, line: &str) -> String;
}

struct Haproxy {
    child: Child,
    sock: PathBuf,
}

impl Haproxy {
    fn start(cfg_path: &Path, sock: PathBuf, port: u16) -> Haproxy {
        let _ = std::fs::remove_file(&sock);
        let child = std::process::Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(cfg_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start haproxy");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(sock.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()) {
            assert!(Instant::now() < deadline, "haproxy did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Haproxy { child, sock }
    }

    /// Stops it and returns what it printed on stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

impl Runtime for Haproxy {
    fn cli(&mut self, line: &str) -> String {
        let mut s = std::os::unix::net::UnixStream::connect(&self.sock).expect("stats socket");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).expect("an answer in time");
        out
    }
}

struct Lbtop {
    engine: Engine,
    handle: Handle,
    rx: EventReceiver,
}

impl Lbtop {
    async fn start(cfg_path: &Path) -> Lbtop {
        let config = Arc::new(Config::load(cfg_path).expect("config"));
        let (tx, rx) = events::channel();
        let engine = Engine::start(config, tx).await.expect("start");
        Lbtop {
            handle: engine.handle(),
            engine,
            rx,
        }
    }

    /// The warnings it logged so far.
    fn warnings(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.events.try_recv() {
            if let Event::Log(l) = e {
                out.push(l.text);
            }
        }
        out
    }
}

impl Runtime for Lbtop {
    fn cli(&mut self, line: &str) -> String {
        self.handle.cli(Level::Admin, line)
    }
}

/// The rows of a dump, split into words, the time column replaced, the "check in progress"
/// bit of `srv_check_state` dropped (it only says a check is running at that instant).
fn rows(dump: &str) -> Vec<Vec<String>> {
    dump.lines()
        .skip(2)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut w: Vec<String> = l.split(' ').map(str::to_string).collect();
            w[SINCE] = "T".into();
            w[13] = (w[13].parse::<u32>().unwrap() & !1).to_string();
            w
        })
        .collect()
}

fn row<'a>(rows: &'a [Vec<String>], name: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[3] == name)
        .expect("a row per server")
}

/// Waits until the state shows the changes made and every check has an answer.
async fn settled(p: &mut dyn Runtime, changed: bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let dump = p.cli("show servers state");
        let r = rows(&dump);
        let checked = ["b", "d", "pc", "dh"].iter().all(|n| row(&r, n)[11] == "3");
        let dead = row(&r, "dead")[5] == "0" && row(&r, "dead")[11] == "2";
        let admin = !changed
            || (row(&r, "a")[6] == "1"
                && row(&r, "b")[6] == "8"
                && row(&r, "c")[7] == "5"
                && row(&r, "dh")[13] == "2");
        if checked && dead && admin {
            return dump;
        }
        assert!(Instant::now() < deadline, "never settled:\n{dump}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Which server answered each of `n` requests, counted.
async fn share(port: u16, n: usize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let reply = get(SocketAddr::from(([127, 0, 0, 1], port)), "/").await;
        *out.entry(reply.server().to_string()).or_insert(0) += 1;
    }
    out
}

/// The lines each proxy prints at start about the state it took from the file.
fn restored_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter(|l| l.contains("server-state") || l.contains("remains in forced drain"))
        .map(|l| l.split(" : ").last().unwrap_or(l).to_string())
        .collect();
    out.sort();
    out
}

struct Outcome {
    before: String,
    after_start: String,
    after: String,
    traffic: BTreeMap<String, usize>,
    lines: Vec<String>,
    file_since_c: u64,
}

fn since(dump: &str, name: &str) -> u64 {
    let line = dump
        .lines()
        .find(|l| l.split(' ').nth(3) == Some(name))
        .unwrap();
    line.split(' ').nth(SINCE).unwrap().parse().unwrap()
}

async fn run_haproxy(servers: &BTreeMap<&str, SocketAddr>) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("h.cfg");
    std::fs::write(&path, cfg(dir.path(), port, servers)).unwrap();
    let sock = dir.path().join("admin.sock");
    let mut h = Haproxy::start(&path, sock.clone(), port);
    settled(&mut h, false).await;
    for c in [
        "set server be/a state maint",
        "set server be/b state drain",
        "set weight be/c 5",
        "disable health be/dh",
    ] {
        h.cli(c);
    }
    let before = settled(&mut h, true).await;
    std::fs::write(dir.path().join("state"), &before).unwrap();
    h.stop();
    let mut h = Haproxy::start(&path, sock, port);
    let after_start = h.cli("show servers state");
    let after = settled(&mut h, true).await;
    let traffic = share(port, 18).await;
    let lines = restored_lines(&h.stop());
    Outcome {
        file_since_c: since(&before, "c"),
        before,
        after_start,
        after,
        traffic,
        lines,
    }
}

async fn run_lbtop(servers: &BTreeMap<&str, SocketAddr>) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("l.cfg");
    std::fs::write(&path, cfg(dir.path(), port, servers)).unwrap();
    let mut l = Lbtop::start(&path).await;
    settled(&mut l, false).await;
    let id = |server| ServerId { backend: 0, server };
    l.handle.command(Command::SetAdmin {
        server: id(0),
        state: AdminState::Maint,
    });
    l.handle.command(Command::SetAdmin {
        server: id(1),
        state: AdminState::Drain,
    });
    l.handle.command(Command::SetWeight {
        server: id(2),
        weight: 5,
    });
    l.handle.command(Command::SetChecks {
        server: id(8),
        enabled: false,
    });
    let before = settled(&mut l, true).await;
    std::fs::write(dir.path().join("state"), &before).unwrap();
    l.engine.shutdown().await;
    let mut l = Lbtop::start(&path).await;
    let after_start = l.cli("show servers state");
    let after = settled(&mut l, true).await;
    let traffic = share(port, 18).await;
    let lines = restored_lines(&l.warnings().join("\n"));
    l.engine.shutdown().await;
    Outcome {
        file_since_c: since(&before, "c"),
        before,
        after_start,
        after,
        traffic,
        lines,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_state_matches_and_survives_a_restart() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let mut origins = Vec::new();
    let mut servers = BTreeMap::new();
    for name in ["a", "b", "c", "d"] {
        let o = Origin::start(name, Duration::ZERO).await;
        servers.insert(name, o.addr);
        origins.push(o);
    }
    servers.insert("dead", refused_addr());
    let h = run_haproxy(&servers).await;
    let l = run_lbtop(&servers).await;
    let header = |d: &str| d.lines().take(2).collect::<Vec<_>>().join("\n");
    assert_eq!(header(&l.before), header(&h.before));
    assert!(l.before.ends_with("\n\n") && h.before.ends_with("\n\n"));
    assert_eq!(rows(&l.before), rows(&h.before), "before the restart");
    // Right after the restart, before any check: the state is the file's.
    assert_eq!(rows(&l.after_start), rows(&h.after_start), "at start");
    assert_eq!(rows(&l.after), rows(&h.after), "once checked again");
    for (o, who) in [(&h, "haproxy"), (&l, "lbtop")] {
        assert!(
            since(&o.after_start, "c") >= o.file_since_c,
            "{who} kept the time of the last change:\n{}",
            o.after_start
        );
    }
    assert_eq!(l.traffic, h.traffic, "who answers after the restart");
    assert_eq!(l.lines, h.lines, "what each says at start");
    // Not vacuous: the drain and the maintenance came back, and so did the weight.
    assert!(
        h.lines
            .iter()
            .any(|m| m.contains("be/b remains in forced drain")),
        "{:?}",
        h.lines
    );
    // `a`'s origin serves `a` (maintenance) and `off` (disabled) only: it gets nothing.
    assert!(!h.traffic.contains_key("a"), "{:?}", h.traffic);
    assert!(h.traffic["c"] > h.traffic["d"], "{:?}", h.traffic);
    for m in [
        "be/pc', agent checks",
        "be/np', health checks",
        "be/dh', health checks",
    ] {
        assert!(h.lines.iter().any(|l| l.contains(m)), "{m}: {:?}", h.lines);
    }
    eprintln!("{:?}\n{:?}", h.lines, h.traffic);
}

/// The warning each prints about the state file itself.
fn file_warnings(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("server state file"))
        .map(|l| l.split("config : ").last().unwrap_or(l).to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_backend_one_backend_and_bad_files() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let mut servers = BTreeMap::new();
    for name in ["a", "b", "c", "d", "dead"] {
        servers.insert(name, refused_addr());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.cfg");
    let state = dir.path().join("state");
    let row = "3 be 1 a 127.0.0.1 2 1 1 1 0 1 0 2 0 0 0 0 - 1 - 0 0 - - 0";
    // No file, another version, no version line, a short line: each is one warning, and
    // nothing is applied (server `a` would be in maintenance).
    for content in [
        None,
        Some(format!("2\n{row}\n")),
        Some(format!("{row}\n")),
        Some(format!("1\n# c\n{row}\n3 be 2 b 127.0.0.1 2 0\n")),
    ] {
        let _ = std::fs::remove_file(&state);
        if let Some(c) = &content {
            std::fs::write(&state, c).unwrap();
        }
        let port = free_port();
        std::fs::write(&path, cfg(dir.path(), port, &servers)).unwrap();
        let mut h = Haproxy::start(&path, dir.path().join("admin.sock"), port);
        let h_dump = h.cli("show servers state be");
        // Unknown names and ids, a frontend's id, a backend by `#<id>`, extra words.
        let asks = ["nope", "#9", "#2", "#3", "be extra", "fe"];
        let h_answers: Vec<String> = asks
            .iter()
            .map(|a| h.cli(&format!("show servers state {a}")))
            .collect();
        let h_told = file_warnings(&h.stop());
        let mut l = Lbtop::start(&path).await;
        for (a, h_answer) in asks.iter().zip(&h_answers) {
            let l_answer = l.cli(&format!("show servers state {a}"));
            assert_eq!(rows(&l_answer).len(), rows(h_answer).len(), "{a}");
            assert_eq!(l_answer.lines().next(), h_answer.lines().next(), "{a}");
        }
        let l_dump = l.cli("show servers state be");
        assert_eq!(rows(&l_dump)[0][6], "0", "{content:?}");
        assert_eq!(rows(&l_dump)[0][6], rows(&h_dump)[0][6]);
        assert_eq!(
            file_warnings(&l.warnings().join("\n")),
            h_told,
            "{content:?}"
        );
        assert_eq!(h_told.len(), 1, "{content:?}");
        l.engine.shutdown().await;
    }
}

/// A backend reading its own file (`local`, under `server-state-base`), restarted on a
/// config that changed since the dump: `disabled` added to one server and removed from
/// another, a configured weight changed. HAProxy then keeps the config's word for those.
fn local_cfg(dir: &Path, port: u16, s: &BTreeMap<&str, SocketAddr>, changed: bool) -> String {
    let (p_extra, q_weight, s_extra) = match changed {
        false => ("", 1, " disabled"),
        true => (" disabled", 3, ""),
    };
    format!(
        "global\n    stats socket {dir}/admin.sock level admin\n    server-state-base {dir}\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
         timeout server 5s\n\
         frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
         backend be\n    load-server-state-from-file local\n    server-state-file-name be.st\n\
         \x20   server p {a} check inter 200{p_extra}\n    server q {b} weight {q_weight}\n\
         \x20   server r {c} weight 4\n    server s {d}{s_extra}\n    server t {a}\n",
        dir = dir.display(),
        a = s["a"],
        b = s["b"],
        c = s["c"],
        d = s["d"],
    )
}

const LOCAL_CHANGES: [&str; 4] = [
    "set server be/p state maint",
    "set server be/q state drain",
    "set weight be/r 2",
    "set server be/s state ready",
];

/// Waits until `p`'s first check answered (it is the only checked server).
async fn checked(p: &mut dyn Runtime) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let dump = p.cli("show servers state be");
        if row(&rows(&dump), "p")[11] == "3" {
            return dump;
        }
        assert!(Instant::now() < deadline, "never checked:\n{dump}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A line for another backend, which a local file should not hold.
const STRAY: &str = "3 other 1 p 127.0.0.1 2 1 1 1 0 1 0 2 0 0 0 0 - 1 - 0 0 - - 0\n";

fn mismatches(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("mismatch"))
        .map(|l| l.split("config : ").last().unwrap_or(l).to_string())
        .collect()
}

async fn local_haproxy(servers: &BTreeMap<&str, SocketAddr>) -> (String, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("h.cfg");
    let sock = dir.path().join("admin.sock");
    std::fs::write(&path, local_cfg(dir.path(), port, servers, false)).unwrap();
    let mut h = Haproxy::start(&path, sock.clone(), port);
    checked(&mut h).await;
    for c in LOCAL_CHANGES {
        h.cli(c);
    }
    let before = h.cli("show servers state be");
    std::fs::write(dir.path().join("be.st"), format!("{before}{STRAY}")).unwrap();
    h.stop();
    std::fs::write(&path, local_cfg(dir.path(), port, servers, true)).unwrap();
    let mut h = Haproxy::start(&path, sock, port);
    let after = h.cli("show servers state be");
    (before, after, mismatches(&h.stop()))
}

async fn local_lbtop(servers: &BTreeMap<&str, SocketAddr>) -> (String, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("l.cfg");
    std::fs::write(&path, local_cfg(dir.path(), port, servers, false)).unwrap();
    let mut l = Lbtop::start(&path).await;
    checked(&mut l).await;
    let id = |server| ServerId { backend: 0, server };
    for (server, state) in [
        (0, AdminState::Maint),
        (1, AdminState::Drain),
        (3, AdminState::Ready),
    ] {
        l.handle.command(Command::SetAdmin {
            server: id(server),
            state,
        });
    }
    l.handle.command(Command::SetWeight {
        server: id(2),
        weight: 2,
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let before = loop {
        let dump = l.cli("show servers state be");
        if row(&rows(&dump), "s")[6] == "4" && row(&rows(&dump), "r")[7] == "2" {
            break dump;
        }
        assert!(Instant::now() < deadline, "commands not applied:\n{dump}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    std::fs::write(dir.path().join("be.st"), format!("{before}{STRAY}")).unwrap();
    l.engine.shutdown().await;
    std::fs::write(&path, local_cfg(dir.path(), port, servers, true)).unwrap();
    let mut l = Lbtop::start(&path).await;
    let after = l.cli("show servers state be");
    let told = mismatches(&l.warnings().join("\n"));
    l.engine.shutdown().await;
    (before, after, told)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_file_and_a_config_that_changed() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let mut origins = Vec::new();
    let mut servers = BTreeMap::new();
    for name in ["a", "b", "c", "d"] {
        let o = Origin::start(name, Duration::ZERO).await;
        servers.insert(name, o.addr);
        origins.push(o);
    }
    let (h_before, h_after, h_told) = local_haproxy(&servers).await;
    let (l_before, l_after, l_told) = local_lbtop(&servers).await;
    assert_eq!(l_told, h_told);
    assert_eq!(h_told.len(), 1);
    assert_eq!(rows(&l_before), rows(&h_before), "before the restart");
    assert_eq!(rows(&l_after), rows(&h_after), "after the restart");
    // Not vacuous: the file's drain and weight came back, the config won where it changed.
    let r = rows(&h_after);
    assert_eq!(row(&r, "q")[6..8], ["8", "3"]);
    assert_eq!(row(&r, "r")[7], "2");
    assert_eq!(row(&r, "p")[6], "5");
    assert_eq!(row(&r, "s")[6], "0");
}

/// A file HAProxy wrote, read by both: servers written with a host name take the saved
/// address when `init-addr` starts with `last` (the default), not when it starts with
/// `libc`; a server written with an IP address keeps it; a changed port comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_haproxy_wrote_with_moved_addresses() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let origin = Origin::start("o", Duration::ZERO).await;
    let p = origin.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.cfg");
    let sock = dir.path().join("admin.sock");
    let write = |port: u16| {
        let text = format!(
            "global\n    stats socket {d}/admin.sock level admin\n    server-state-file {d}/state\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
             timeout server 5s\n    load-server-state-from-file global\n\
             frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
             backend be\n    server h localhost:{p}\n    server hl localhost:{p} init-addr libc,last\n\
             \x20   server ip 127.0.0.1:{p}\n    server moved 127.0.0.1:{p}\n",
            d = dir.path().display()
        );
        std::fs::write(&path, text).unwrap();
    };
    let port = free_port();
    write(port);
    let mut h = Haproxy::start(&path, sock.clone(), port);
    for s in ["h", "hl", "ip"] {
        h.cli(&format!("set server be/{s} addr 127.0.0.2"));
    }
    h.cli(&format!(
        "set server be/moved addr 127.0.0.1 port {}",
        p + 1
    ));
    let saved = h.cli("show servers state");
    assert!(saved.contains(" h 127.0.0.2 "), "{saved}");
    std::fs::write(dir.path().join("state"), &saved).unwrap();
    h.stop();
    let mut h = Haproxy::start(&path, sock, port);
    let h_after = h.cli("show servers state");
    h.stop();
    let port = free_port();
    write(port);
    let mut l = Lbtop::start(&path).await;
    let l_after = l.cli("show servers state");
    l.engine.shutdown().await;
    assert_eq!(rows(&l_after), rows(&h_after));
    let r = rows(&h_after);
    assert_eq!(
        (row(&r, "h")[4].as_str(), row(&r, "hl")[4].as_str()),
        ("127.0.0.2", "127.0.0.1")
    );
    assert_eq!(row(&r, "moved")[18], (p + 1).to_string());
}
