//! Soft stop and reload of the real binary, driven by signals and the runtime API as an
//! operator drives them, and compared with HAProxy 2.6 on the same haproxy.cfg where HAProxy
//! has the same thing (docs/haproxy-semantics.md §30). Every wait is bounded and waits for
//! something a person would see (a log line, an answer, an exit), never for time to pass.

mod common;

use common::free_port;
use common::term::{available, Tmux};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");
const WAIT: Duration = Duration::from_secs(15);

/// An origin that answers `GET /sleep/<ms>` after that long, keep-alive, with its name in
/// the body; it counts the request heads it has read.
struct Origin {
    addr: SocketAddr,
    heads: Arc<AtomicUsize>,
}

impl Origin {
    fn start(name: &'static str) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(AtomicUsize::new(0));
        let seen = heads.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || serve_origin(conn, name, &seen));
            }
        });
        Origin { addr, heads }
    }

    fn heads(&self) -> usize {
        self.heads.load(Ordering::SeqCst)
    }
}

fn serve_origin(conn: TcpStream, name: &str, seen: &AtomicUsize) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
        }
        seen.fetch_add(1, Ordering::SeqCst);
        let ms = path.strip_prefix("/sleep/").and_then(|m| m.parse().ok());
        std::thread::sleep(Duration::from_millis(ms.unwrap_or(0)));
        let body = format!("{name}\n");
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
        if conn.write_all((head + &body).as_bytes()).is_err() {
            return;
        }
    }
}

/// `lbtop --headless` or `haproxy -db` on a config file, its stdout collected line by line.
struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Lbtop,
    Haproxy,
}

impl Proc {
    fn start(kind: Kind, cfg: &Path) -> Proc {
        let mut cmd = match kind {
            Kind::Lbtop => {
                let mut c = Command::new(LBTOP);
                c.arg("--headless").arg("--config").arg(cfg);
                c
            }
            Kind::Haproxy => {
                let mut c = Command::new("haproxy");
                c.arg("-db").arg("-f").arg(cfg);
                c
            }
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the proxy");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let keep = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    keep.lock().unwrap().push(line);
                }
            });
        }
        Proc { child, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until `n` lines contain `needle`; returns every line so far.
    fn wait_count(&self, needle: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let lines = self.lines();
            if lines.iter().filter(|l| l.contains(needle)).count() >= n {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "no {n}x {needle:?} within {WAIT:?}; output:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn wait_line(&self, needle: &str) -> Vec<String> {
        self.wait_count(needle, 1)
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([sig, &pid]).status().unwrap();
        assert!(sent.success());
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {WAIT:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn haproxy_available() -> bool {
    let ok = available("haproxy", "-v");
    if !ok {
        eprintln!("\n*** SKIPPED the HAProxy half: haproxy is not installed ***\n");
    }
    ok
}

/// Waits until `addr` accepts a connection.
fn wait_listening(addr: SocketAddr) {
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{addr} never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One request on a new connection; the whole answer (the proxy closes after it).
fn request(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn write_cfg(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn soft_stop_cfg(port: u16, origin: SocketAddr, hard_stop_after: &str) -> String {
    format!(
        "global\n    log stdout format raw local0\n    hard-stop-after {hard_stop_after}\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 30s\n    \
         timeout server 30s\n\
         frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
         backend be\n    server s1 {origin}\n"
    )
}

/// 50 requests held at the server, SIGUSR1: every one answered 200 with `Connection:
/// close`, new connections refused, exit 0; HAProxy's stop lines, the same from both.
fn soft_stop_run(kind: Kind) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::start("s1");
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let cfg = write_cfg(
        dir.path(),
        "s.cfg",
        &soft_stop_cfg(port, origin.addr, "20s"),
    );
    let mut proc = Proc::start(kind, &cfg);
    wait_listening(addr);
    let before = origin.heads();
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(WAIT)).unwrap();
            s.write_all(b"GET /sleep/1500 HTTP/1.1\r\nhost: x\r\n\r\n")
                .unwrap();
            std::thread::spawn(move || {
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                out
            })
        })
        .collect();
    // Every request is at the server before the signal.
    let deadline = Instant::now() + WAIT;
    while origin.heads() < before + 50 {
        assert!(
            Instant::now() < deadline,
            "{kind:?}: requests never reached the server"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    proc.signal("-USR1");
    proc.wait_line("Proxy be stopped");
    let refused = TcpStream::connect(addr).map_err(|e| e.kind());
    assert_eq!(
        refused.err(),
        Some(std::io::ErrorKind::ConnectionRefused),
        "{kind:?}: a new connection after SIGUSR1"
    );
    let answers: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    for a in &answers {
        assert!(a.starts_with("HTTP/1.1 200 OK\r\n"), "{kind:?}: {a:?}");
        assert!(a.contains("\r\nconnection: close\r\n"), "{kind:?}: {a:?}");
        assert!(a.ends_with("s1\n"), "{kind:?}: {a:?}");
    }
    assert_eq!(answers.len(), 50);
    assert!(
        proc.wait_exit().success(),
        "{kind:?}: exit 0 after a soft stop"
    );
    stop_lines(&proc.lines())
}

/// The lines HAProxy and lbtop both print about stopping (HAProxy's `<HTTPCLIENT>` and
/// `GLOBAL` internal proxies left out: lbtop has neither).
fn stop_lines(lines: &[String]) -> Vec<String> {
    let ours = |l: &&String| {
        (l.contains("stopped (cumulated") || l.contains("hard-stop"))
            && !l.contains("<HTTPCLIENT>")
            && !l.contains("GLOBAL")
            && !l.starts_with('[')
    };
    // lbtop's headless copies on stderr carry a date first; stdout's lines are HAProxy's.
    let mut out: Vec<String> = lines
        .iter()
        .filter(ours)
        .filter(|l| !l.starts_with(|c: char| c.is_ascii_digit()))
        .cloned()
        .collect();
    out.dedup();
    out
}

#[test]
fn soft_stop_answers_fifty_requests_in_flight_then_exits_0() {
    // 51: the probe that waited for the listener counts too, in both.
    let ours = soft_stop_run(Kind::Lbtop);
    assert_eq!(
        ours,
        [
            "Proxy fe stopped (cumulated conns: FE: 51, BE: 0).",
            "Proxy be stopped (cumulated conns: FE: 0, BE: 50).",
        ]
    );
    if haproxy_available() {
        assert_eq!(soft_stop_run(Kind::Haproxy), ours);
    }
}

/// `hard-stop-after 1s` and a request the server holds for 10 s: the client gets HAProxy's
/// 502 (`KH--`), the lines say why, and the process exits 0.
fn hard_stop_run(kind: Kind) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::start("s1");
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let cfg = write_cfg(dir.path(), "h.cfg", &soft_stop_cfg(port, origin.addr, "1s"));
    let mut proc = Proc::start(kind, &cfg);
    wait_listening(addr);
    let before = origin.heads();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"GET /sleep/10000 HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while origin.heads() == before {
        assert!(
            Instant::now() < deadline,
            "the request never reached the server"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let signalled = Instant::now();
    proc.signal("-USR1");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let took = signalled.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "{kind:?}: cut after {took:?}"
    );
    assert!(proc.wait_exit().success(), "{kind:?}: exit 0");
    (answer, stop_lines(&proc.lines()))
}

#[test]
fn hard_stop_after_cuts_a_longer_request_with_haproxys_502() {
    let (answer, lines) = hard_stop_run(Kind::Lbtop);
    assert!(
        answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n") && answer.contains("connection: close"),
        "{answer:?}"
    );
    assert_eq!(
        lines,
        [
            "Proxy fe stopped (cumulated conns: FE: 2, BE: 0).",
            "Proxy be stopped (cumulated conns: FE: 0, BE: 1).",
            "soft-stop running for too long, performing a hard-stop.",
            "Proxy fe hard-stopped (1 remaining conns will be closed).",
        ]
    );
    if haproxy_available() {
        assert_eq!(hard_stop_run(Kind::Haproxy), (answer, lines));
    }
}

fn reload_cfg(port: u16, sock: &Path, s1: SocketAddr, s2: SocketAddr, extra: &str) -> String {
    format!(
        "global\n    stats socket {} level admin\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n\
         frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
         backend be\n{extra}",
        sock.display()
    )
    .replace("{s1}", &s1.to_string())
    .replace("{s2}", &s2.to_string())
}

/// `show stat`'s rows as `name: field=value ...` for the columns asked, read by the header.
fn stat(sock: &Path, row: &str, columns: &[&str]) -> String {
    let csv = ask(sock, "show stat");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let line = lines
        .find(|l| l.split(',').take(2).collect::<Vec<_>>().join("/") == row)
        .unwrap_or_else(|| panic!("no row {row} in {csv}"));
    let values: Vec<&str> = line.split(',').collect();
    let pick = |c: &&str| {
        let i = header.iter().position(|h| h == c).unwrap();
        format!("{c}={}", values[i])
    };
    columns.iter().map(pick).collect::<Vec<_>>().join(" ")
}

fn ask(sock: &Path, line: &str) -> String {
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

const TWO: &str = "    server s1 {s1} weight 10\n    server s2 {s2}\n";

/// lbtop running `reload_cfg` with servers s1 and s2, listening, and what the tests poke.
struct TwoServers {
    dir: tempfile::TempDir,
    o1: Origin,
    o2: Origin,
    port: u16,
    addr: SocketAddr,
    sock: PathBuf,
    proc: Proc,
}

fn two_servers() -> TwoServers {
    let dir = tempfile::tempdir().unwrap();
    let (o1, o2) = (Origin::start("s1"), Origin::start("s2"));
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let sock = dir.path().join("lbtop.sock");
    let cfg = write_cfg(
        dir.path(),
        "r.cfg",
        &reload_cfg(port, &sock, o1.addr, o2.addr, TWO),
    );
    let proc = Proc::start(Kind::Lbtop, &cfg);
    wait_listening(addr);
    TwoServers {
        dir,
        o1,
        o2,
        port,
        addr,
        sock,
        proc,
    }
}

#[test]
fn a_reload_keeps_drain_and_counters_and_takes_the_files_new_weight() {
    let TwoServers {
        dir,
        o1,
        o2,
        port,
        addr,
        sock,
        proc,
    } = two_servers();
    // Weights 10 and 1: s2 gets 2 of these 22.
    for _ in 0..22 {
        assert!(request(addr, "/").starts_with("HTTP/1.1 200"));
    }
    assert_eq!(ask(&sock, "set server be/s2 state drain"), "\n");
    let s2_before = stat(&sock, "be/s2", &["stot", "bout"]);
    assert_eq!(s2_before, "stot=2 bout=104");
    let fe_before = stat(&sock, "fe/FRONTEND", &["stot"]);
    let o3 = Origin::start("s3");
    let three = format!(
        "    server s1 {{s1}} weight 20\n    server s2 {{s2}}\n    server s3 {}\n",
        o3.addr
    );
    write_cfg(
        dir.path(),
        "r.cfg",
        &reload_cfg(port, &sock, o1.addr, o2.addr, &three),
    );
    proc.signal("-HUP");
    proc.wait_line("reload: +1 server, 1 weight changed");
    assert_eq!(
        stat(&sock, "be/s2", &["status", "weight"]),
        "status=DRAIN weight=1",
        "s2 stays drained"
    );
    assert_eq!(
        stat(&sock, "be/s2", &["stot", "bout"]),
        s2_before,
        "and keeps its counters"
    );
    assert_eq!(
        stat(&sock, "be/s1", &["weight"]),
        "weight=20",
        "the file's weight wins"
    );
    assert_eq!(
        stat(&sock, "be/s3", &["status", "stot"]),
        "status=no check stot=0"
    );
    let fe_after = stat(&sock, "fe/FRONTEND", &["stot"]);
    assert_eq!(fe_after, fe_before, "the frontend keeps its counters");
    // The drained server gets nothing new; s1 and the new s3 share the traffic.
    let answered: Vec<String> = (0..23).map(|_| request(addr, "/")).collect();
    assert!(answered.iter().all(|a| a.starts_with("HTTP/1.1 200")));
    assert!(answered.iter().any(|a| a.ends_with("s3\n")));
    assert!(!answered.iter().any(|a| a.ends_with("s2\n")));
    assert_eq!(
        stat(&sock, "be/s2", &["stot"]),
        s2_before.split(' ').next().unwrap()
    );
    // The same reload again changes nothing.
    proc.signal("-USR2");
    proc.wait_line("reload: no change");
}

#[test]
fn an_invalid_reload_keeps_serving_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (o1, o2) = (Origin::start("s1"), Origin::start("s2"));
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let sock = dir.path().join("lbtop.sock");
    let good = reload_cfg(port, &sock, o1.addr, o2.addr, TWO);
    let cfg = write_cfg(dir.path(), "r.cfg", &good);
    let proc = Proc::start(Kind::Lbtop, &cfg);
    wait_listening(addr);
    write_cfg(dir.path(), "r.cfg", &format!("{good}    bogus_kw 1\n"));
    let check = Command::new(LBTOP)
        .arg("check")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr).to_string();
    let first = said.lines().next().unwrap().to_string();
    let at = format!("{}:14: unknown keyword 'bogus_kw'", cfg.display());
    assert!(first.starts_with(&at), "{said}");
    proc.signal("-USR2");
    let lines = proc.wait_line("Loading failure!");
    // The same words as `lbtop check`, line for line.
    for l in said.lines() {
        assert!(
            lines.iter().any(|o| o.ends_with(l)),
            "{l:?} not in\n{}",
            lines.join("\n")
        );
    }
    assert!(
        request(addr, "/").starts_with("HTTP/1.1 200"),
        "still serving"
    );
    // Fixed, and asked through the runtime API this time.
    write_cfg(dir.path(), "r.cfg", &good.replace("weight 10", "weight 30"));
    assert_eq!(ask(&sock, "reload"), "\n");
    proc.wait_line("reload: 1 weight changed");
    assert_eq!(stat(&sock, "be/s1", &["weight"]), "weight=30");
}

/// Two clients loop while the proxy is reloaded 20 times (SIGHUP and SIGUSR2 in turn): one
/// keeps its connection alive, one opens a connection per request. Every request sent is
/// answered. A keep-alive client whose idle connection is closed by the old configuration
/// before it sent anything sends again on a new one, as HTTP clients do.
#[test]
fn twenty_reloads_under_load_lose_no_request() {
    let TwoServers {
        dir,
        o1,
        o2,
        port,
        addr,
        sock,
        proc,
    } = two_servers();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let keep = spawn_client(addr, true, stop.clone());
    let fresh = spawn_client(addr, false, stop.clone());
    for i in 0..20 {
        let weight = format!("weight {}", 10 + i % 2);
        write_cfg(
            dir.path(),
            "r.cfg",
            &reload_cfg(
                port,
                &sock,
                o1.addr,
                o2.addr,
                &TWO.replace("weight 10", &weight),
            ),
        );
        proc.signal(if i % 2 == 0 { "-HUP" } else { "-USR2" });
        proc.wait_count("Loading success.", i + 1);
        // Both clients go on between two reloads.
        proc.wait_count("Former generation", i + 1);
    }
    stop.store(true, Ordering::SeqCst);
    let (k, f) = (keep.join().unwrap(), fresh.join().unwrap());
    eprintln!(
        "keep-alive: sent {} answered {} (sent again after an idle close: {}); \
         new connections: sent {} answered {}",
        k.sent, k.answered, k.again, f.sent, f.answered
    );
    assert!(k.sent > 20 && f.sent > 20, "{k:?} {f:?}");
    assert_eq!(k.sent, k.answered, "{k:?}");
    assert_eq!(f.sent, f.answered, "{f:?}");
}

#[derive(Debug, Default)]
struct Count {
    sent: usize,
    answered: usize,
    again: usize,
}

fn spawn_client(
    addr: SocketAddr,
    keep_alive: bool,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Count> {
    std::thread::spawn(move || {
        let mut c = Count::default();
        let mut conn: Option<BufReader<TcpStream>> = None;
        while !stop.load(Ordering::SeqCst) {
            c.sent += 1;
            let reused = conn.is_some();
            match exchange(&mut conn, addr, keep_alive) {
                Ok(()) => c.answered += 1,
                // Closed before a byte of the answer on a reused connection: sent again.
                Err(0) if reused => {
                    c.again += 1;
                    if exchange(&mut conn, addr, keep_alive).is_ok() {
                        c.answered += 1;
                    }
                }
                Err(_) => {}
            }
        }
        c
    })
}

/// One request and its whole answer on `conn` (a new connection when there is none);
/// `Err(bytes of answer read)` when it fails.
fn exchange(
    conn: &mut Option<BufReader<TcpStream>>,
    addr: SocketAddr,
    keep_alive: bool,
) -> Result<(), usize> {
    if conn.is_none() {
        let s = TcpStream::connect(addr).map_err(|_| 0usize)?;
        s.set_read_timeout(Some(WAIT)).unwrap();
        *conn = Some(BufReader::new(s));
    }
    let r = conn.as_mut().unwrap();
    let close = if keep_alive {
        ""
    } else {
        "connection: close\r\n"
    };
    let head = format!("GET / HTTP/1.1\r\nhost: x\r\n{close}\r\n");
    let fail = |conn: &mut Option<_>, n| {
        *conn = None;
        Err(n)
    };
    if r.get_mut().write_all(head.as_bytes()).is_err() {
        return fail(conn, 0);
    }
    let (mut status, mut len, mut closes) = (String::new(), 0usize, !keep_alive);
    if r.read_line(&mut status).unwrap_or(0) == 0 {
        return fail(conn, 0);
    }
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 {
            return fail(conn, status.len());
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        closes |= lower.starts_with("connection: close");
        if h == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; len];
    if r.read_exact(&mut body).is_err() || !status.starts_with("HTTP/1.1 200") {
        return fail(conn, status.len());
    }
    if closes {
        *conn = None;
    }
    Ok(())
}

/// The dashboard: `R` asks first, `y` reloads, and the status line says what changed.
#[test]
fn the_dashboard_reloads_with_r_then_y_and_shows_what_changed() {
    if !available("tmux", "-V") {
        eprintln!("\n*** SKIPPED: tmux is not installed ***\n");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (o1, o2) = (Origin::start("s1"), Origin::start("s2"));
    let port = free_port();
    let sock = dir.path().join("lbtop.sock");
    let cfg = write_cfg(
        dir.path(),
        "r.cfg",
        &reload_cfg(port, &sock, o1.addr, o2.addr, TWO),
    );
    let command = format!("{LBTOP} --config {}", cfg.display());
    let tmux = Tmux::start("reload", 160, 40, &command);
    tmux.wait("the dashboard", |s| s.contains(" s2 "));
    assert_eq!(ask(&sock, "set server be/s2 state drain"), "\n");
    let row = |s: &str, name: &str| {
        let found = s.lines().find(|l| l.contains(&format!(" {name} ")));
        found.unwrap_or_default().to_string()
    };
    tmux.wait("s2 drained", |s| row(s, "s2").contains("DRAIN"));
    let three = "    server s1 {s1} weight 20\n    server s2 {s2}\n    server s3 {s2}\n";
    write_cfg(
        dir.path(),
        "r.cfg",
        &reload_cfg(port, &sock, o1.addr, o2.addr, three),
    );
    tmux.keys(&["R"]);
    tmux.wait("the question", |s| {
        s.contains("Reload the configuration from")
    });
    tmux.keys(&["y"]);
    let screen = tmux.wait("the summary", |s| {
        s.contains("reload: +1 server, 1 weight changed") && s.contains(" s3 ")
    });
    assert!(
        !screen.contains("Reload the configuration from"),
        "{screen}"
    );
}
