//! Seamless upgrade between processes (docs/haproxy-semantics.md §31), with real processes
//! started and stopped by pid: `_getsocks` as HAProxy 2.6 answers it, `lbtop -x` taking the
//! sockets of a running HAProxy, the old lbtop's hand-over endpoint for `-sf` alone, clients
//! queued in a handed-over socket surviving the old process, and `-st`.
//!
//! Skips, loudly, the HAProxy parts only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::free_port;
use contender::haproxy_available;
use lbtop::engine::{getsocks, sockets::listening_addr};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// One proxy process, killed (SIGKILL, by its pid) when dropped.
struct Proc {
    child: Child,
    out: PathBuf,
}

impl Proc {
    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
    }

    /// SIGSTOP, and until every thread is stopped: a signal is only queued when kill returns.
    fn stop(&self) {
        self.signal(libc::SIGSTOP);
        let tasks = format!("/proc/{}/task", self.pid());
        wait_for("every thread stopped", || {
            let all = std::fs::read_dir(&tasks).unwrap();
            all.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
                .all(|stat| {
                    // `pid (comm) S ...`: the state follows the last `)`.
                    let state = stat.rsplit_once(')').map(|(_, r)| r.trim_start());
                    state.is_some_and(|s| s.starts_with('T') || s.starts_with('t'))
                })
        });
    }

    /// Whether it exited within `within`.
    fn exits_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// What it printed (stdout and stderr).
    fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(program: &str, args: &[&str], dir: &Path, name: &str) -> Proc {
    let out = dir.join(format!("{name}.out"));
    let file = std::fs::File::create(&out).unwrap();
    let child = Command::new(program)
        .args(args)
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    Proc { child, out }
}

fn lbtop(cfg: &Path, extra: &[&str], name: &str) -> Proc {
    let mut args = vec!["--headless", "--config", cfg.to_str().unwrap()];
    args.extend_from_slice(extra);
    start(LBTOP, &args, cfg.parent().unwrap(), name)
}

fn haproxy(cfg: &Path) -> Proc {
    let args = ["-db", "-f", cfg.to_str().unwrap()];
    start("haproxy", &args, cfg.parent().unwrap(), "haproxy")
}

/// A config answering `answer` itself on each port, with an `expose-fd` stats socket
/// (`fd.sock`) and a plain one (`plain.sock`).
fn write_cfg(dir: &Path, file: &str, ports: &[u16], answer: &str) -> PathBuf {
    let binds: String = ports
        .iter()
        .map(|p| format!("    bind 127.0.0.1:{p}\n"))
        .collect();
    let text = format!(
        "global\n    nbthread 1\n    stats socket {d}/fd.sock level user expose-fd listeners\n    stats socket {d}/plain.sock level admin\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n{binds}    http-request return status 200 content-type text/plain string \"{answer}\"\n",
        d = dir.display()
    );
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A connection to the stats socket at `path`, once it is there (a proxy may listen on its
/// ports a moment before its stats socket).
fn connect_cli(path: &Path) -> UnixStream {
    let mut s = None;
    wait_for(&format!("{}", path.display()), || {
        s = UnixStream::connect(path).ok();
        s.is_some()
    });
    s.unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A request sent on a new connection: the body answered, or why there was none.
fn send_request(port: u16) -> Result<TcpStream, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn read_body(mut s: TcpStream) -> Result<String, String> {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    match text.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_string()),
        _ => Err(format!("no answer ({} bytes)", raw.len())),
    }
}

fn get(port: u16) -> Result<String, String> {
    read_body(send_request(port)?)
}

/// The kernel's identity of a socket (its inode), the same in every process holding it.
fn inode(fd: &impl AsRawFd) -> u64 {
    // SAFETY: fstat on a valid descriptor into a zeroed stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) }, 0);
    st.st_ino
}

/// The socket inodes process `pid` holds.
fn socket_inodes(pid: i32) -> Vec<u64> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap();
    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// What a `_getsocks` answer looked like, descriptors reduced to what they are.
#[derive(Debug, PartialEq)]
struct Answer {
    announced: usize,
    /// Per message after the count: (bytes, descriptors).
    shape: Vec<(usize, usize)>,
    all_zero: bool,
    /// The TCP listeners' addresses, sorted, and how many other sockets came.
    tcp: Vec<SocketAddr>,
    other: usize,
}

fn ask(sock: &Path) -> (Answer, Vec<OwnedFd>) {
    let stream = connect_cli(sock);
    let got = getsocks::exchange(&stream).unwrap();
    let mut tcp: Vec<SocketAddr> = got.fds.iter().filter_map(listening_addr).collect();
    tcp.sort();
    let answer = Answer {
        announced: got.announced,
        shape: got.messages.iter().map(|(d, n)| (d.len(), *n)).collect(),
        all_zero: got.messages.iter().all(|(d, _)| d.iter().all(|&b| b == 0)),
        other: got.fds.len() - tcp.len(),
        tcp,
    };
    (answer, got.fds)
}

/// What a socket without `expose-fd listeners` answers: the bytes before it closes.
fn refused(sock: &Path) -> Vec<u8> {
    let mut s = connect_cli(sock);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(getsocks::COMMAND).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

/// The same cfg (two binds, an `expose-fd listeners` socket at `level user`, a plain one) to
/// HAProxy and lbtop, read by the same client: the same count first, one message with every
/// descriptor described by 6 zero bytes, the same TCP listeners; HAProxy also gives its two
/// unix stats sockets, lbtop only TCP listeners. Without `expose-fd`, both close at once.
#[test]
fn getsocks_answers_as_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    let mut answers = Vec::new();
    for kind in ["haproxy", "lbtop"] {
        let dir = tempfile::tempdir().unwrap();
        let ports = [free_port(), free_port()];
        let cfg = write_cfg(dir.path(), "p.cfg", &ports, kind);
        let _p = match kind {
            "haproxy" => haproxy(&cfg),
            _ => lbtop(&cfg, &[], "lbtop"),
        };
        wait_listening(ports[0]);
        let (answer, _fds) = ask(&dir.path().join("fd.sock"));
        let mut want: Vec<SocketAddr> = ports
            .iter()
            .map(|&p| SocketAddr::from(([127, 0, 0, 1], p)))
            .collect();
        want.sort();
        assert_eq!(answer.tcp, want, "{kind}");
        assert_eq!(refused(&dir.path().join("plain.sock")), b"", "{kind}");
        answers.push(answer);
    }
    let (h, l) = (&answers[0], &answers[1]);
    assert_eq!(
        h.other, 2,
        "HAProxy gives its unix stats sockets too: {h:?}"
    );
    assert_eq!(l.other, 0, "{l:?}");
    for a in [h, l] {
        let n = a.tcp.len() + a.other;
        assert_eq!(a.announced, n, "{a:?}");
        assert_eq!(a.shape, [(6 * n, n)], "{a:?}");
        assert!(a.all_zero, "{a:?}");
    }
}

/// `lbtop -sf <haproxy pid> -x <its stats socket>`: lbtop accepts on HAProxy's very socket,
/// HAProxy finishes and exits, and every request after that is lbtop's.
#[test]
fn lbtop_takes_over_from_haproxy() {
    if !haproxy_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let old_cfg = write_cfg(dir.path(), "h.cfg", &[port], "haproxy");
    let mut old = haproxy(&old_cfg);
    wait_listening(port);
    assert_eq!(get(port).unwrap(), "haproxy");
    let sock = dir.path().join("fd.sock");
    let (_, fds) = ask(&sock);
    let theirs: Vec<u64> = fds
        .iter()
        .filter(|fd| listening_addr(*fd).is_some())
        .map(inode)
        .collect();
    let new_cfg = write_cfg(dir.path(), "l.cfg", &[port], "lbtop");
    let pid = old.pid().to_string();
    let new = lbtop(
        &new_cfg,
        &["-sf", &pid, "-x", sock.to_str().unwrap()],
        "lbtop",
    );
    assert!(
        old.exits_within(Duration::from_secs(10)),
        "HAProxy soft-stops"
    );
    wait_for("the new process's notes", || {
        new.output().contains("sent SIGUSR1 to the old process")
    });
    let out = new.output();
    assert!(
        out.contains(&format!(
            "took 1 listening sockets from '{}'",
            sock.display()
        )),
        "{out}"
    );
    let held = socket_inodes(new.pid());
    assert!(
        theirs.iter().all(|i| held.contains(i)),
        "{theirs:?} in {held:?}"
    );
    for _ in 0..20 {
        assert_eq!(get(port).unwrap(), "lbtop");
    }
}

/// Clients queued in a socket handed over with `-x` are served by the new process when the
/// old one dies; with new sockets (`-x /dev/null`, HAProxy's `-sf` without `-x`), those queued
/// in the old process's own socket are reset. Both processes are stopped (SIGSTOP) while the
/// clients connect, so the queues fill, then the old one is killed and the new one resumed.
#[test]
fn queued_clients_survive_the_old_process_only_when_handed_over() {
    let (handed, lost_handed) = queue_run(true);
    let (fresh, lost_fresh) = queue_run(false);
    eprintln!(
        "queued clients: handed over {handed} answered, {lost_handed} lost; \
         new sockets {fresh} answered, {lost_fresh} lost"
    );
    assert_eq!((handed, lost_handed), (QUEUED, 0));
    assert!(
        lost_fresh > 0,
        "SO_REUSEPORT spreads 20 clients over both sockets"
    );
}

const QUEUED: usize = 20;

fn queue_run(hand_over: bool) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let a_cfg = write_cfg(dir.path(), "a.cfg", &[port], "A");
    let a = lbtop(&a_cfg, &[], "a");
    wait_listening(port);
    let b_cfg = write_cfg(&dir.path().join("b"), "b.cfg", &[port], "B");
    drop(connect_cli(&dir.path().join("fd.sock")));
    let from = match hand_over {
        true => dir.path().join("fd.sock"),
        false => PathBuf::from("/dev/null"),
    };
    let b = lbtop(&b_cfg, &["-x", from.to_str().unwrap()], "b");
    wait_for("B to serve", || get(port).is_ok_and(|body| body == "B"));
    a.stop();
    b.stop();
    let clients: Vec<_> = (0..QUEUED).map(|_| send_request(port)).collect();
    a.signal(libc::SIGKILL);
    drop(a);
    b.signal(libc::SIGCONT);
    let answered = clients
        .into_iter()
        .filter_map(Result::ok)
        .map(read_body)
        .filter(|r| r.as_deref() == Ok("B"))
        .count();
    (answered, QUEUED - answered)
}

/// Adds a TCP `stats socket` on `port` to the config at `path`.
fn with_tcp_cli(path: &Path, port: u16) {
    let text = std::fs::read_to_string(path).unwrap().replace(
        "    nbthread 1\n",
        &format!("    nbthread 1\n    stats socket ipv4@127.0.0.1:{port} level admin\n"),
    );
    std::fs::write(path, text).unwrap();
}

/// `-sf <old pid>` alone between two lbtops: the new one takes the old one's sockets through
/// its hand-over endpoint (the very sockets: same inodes) and the old one is told to stop. A
/// TCP `stats socket` on the same port in both does not stop the new one from starting.
#[test]
fn sf_alone_takes_the_old_lbtop_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port()];
    let cli = free_port();
    let a_cfg = write_cfg(dir.path(), "a.cfg", &ports, "A");
    with_tcp_cli(&a_cfg, cli);
    let mut a = lbtop(&a_cfg, &[], "a");
    wait_listening(ports[0]);
    let (_, fds) = ask(&dir.path().join("fd.sock"));
    let theirs: Vec<u64> = fds.iter().map(inode).collect();
    let b_cfg = write_cfg(dir.path(), "b.cfg", &ports, "B");
    with_tcp_cli(&b_cfg, cli);
    let pid = a.pid().to_string();
    let b = lbtop(&b_cfg, &["-sf", &pid], "b");
    assert!(a.exits_within(Duration::from_secs(10)), "the old one stops");
    // The two binds' sockets and the TCP stats socket's.
    let note = format!("took 3 listening sockets from process {pid}");
    wait_for(&note, || b.output().contains(&note));
    let held = socket_inodes(b.pid());
    assert!(
        theirs.iter().all(|i| held.contains(i)),
        "{theirs:?} in {held:?}"
    );
    for port in ports {
        assert_eq!(get(port).unwrap(), "B");
    }
    let mut s = TcpStream::connect(("127.0.0.1", cli)).unwrap();
    s.write_all(b"show cli level\n").unwrap();
    let mut level = String::new();
    s.read_to_string(&mut level).unwrap();
    assert_eq!(level, "admin\n\n");
}

/// `-x` that cannot get the sockets stops the new process before anything, as HAProxy does
/// without master-worker: exit 1, and the old one keeps serving, untouched.
#[test]
fn a_failed_x_leaves_the_old_process_serving() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let a_cfg = write_cfg(dir.path(), "a.cfg", &[port], "A");
    let mut a = lbtop(&a_cfg, &[], "a");
    wait_listening(port);
    let b_cfg = write_cfg(&dir.path().join("b"), "b.cfg", &[port], "B");
    let pid = a.pid().to_string();
    let plain = dir.path().join("plain.sock");
    drop(connect_cli(&plain));
    let mut b = lbtop(&b_cfg, &["-sf", &pid, "-x", plain.to_str().unwrap()], "b");
    assert!(b.exits_within(Duration::from_secs(10)));
    assert_eq!(b.child.wait().unwrap().code(), Some(1));
    let out = b.output();
    assert!(
        out.contains("failed to get the sockets from the old process!"),
        "{out}"
    );
    assert!(!a.exits_within(Duration::from_millis(200)), "untouched");
    assert_eq!(get(port).unwrap(), "A");
}

/// `-st`: the old process is stopped at once (SIGTERM), a request still waiting on its server
/// with it; the new one serves.
#[test]
fn st_stops_the_old_one_hard() {
    let dir = tempfile::tempdir().unwrap();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free_port();
    let text = format!(
        "global\n    nbthread 1\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\nbackend be\n    server s1 {}\n",
        silent.local_addr().unwrap()
    );
    let a_cfg = dir.path().join("a.cfg");
    std::fs::write(&a_cfg, text).unwrap();
    let mut a = lbtop(&a_cfg, &[], "a");
    wait_listening(port);
    let waiting = send_request(port).unwrap();
    // The request reached the server: lbtop connected to it.
    silent.set_nonblocking(true).unwrap();
    let mut held = None;
    wait_for("lbtop to connect to the server", || {
        held = silent.accept().ok();
        held.is_some()
    });
    let b_cfg = write_cfg(dir.path(), "b.cfg", &[port], "B");
    let pid = a.pid().to_string();
    let b = lbtop(&b_cfg, &["-st", &pid], "b");
    assert!(a.exits_within(Duration::from_secs(5)), "stopped at once");
    assert!(read_body(waiting).is_err(), "cut, not finished");
    let note = format!("sent SIGTERM to the old process {pid}");
    wait_for(&note, || b.output().contains(&note));
    assert_eq!(get(port).unwrap(), "B");
}

/// Requests sent and answered by a steady client, by kind and cause.
#[derive(Default, Debug)]
struct Tally {
    sent: AtomicU64,
    answered: AtomicU64,
    refused: AtomicU64,
    cut: AtomicU64,
    /// Requests sent again on a new connection because the reused one closed before any
    /// byte of the answer (an old process closing its idle keep-alive connections).
    retried: AtomicU64,
    new_connections: AtomicU64,
}

/// One request on `conn` (a new connection when `None`); the connection back when it may
/// carry another request. As HTTP clients do (RFC 9112 §9.3.1), a GET whose reused
/// connection closes before any byte of the answer is sent again once, on a new connection.
fn one_request(
    port: u16,
    conn: Option<TcpStream>,
    keep_alive: bool,
    tally: &Tally,
) -> Option<TcpStream> {
    tally.sent.fetch_add(1, Relaxed);
    let reused = conn.is_some();
    match exchange(port, conn, keep_alive, tally) {
        Ok(next) => next,
        Err(nothing_came) if reused && nothing_came => {
            tally.retried.fetch_add(1, Relaxed);
            exchange(port, None, keep_alive, tally).unwrap_or_else(|_| {
                tally.cut.fetch_add(1, Relaxed);
                None
            })
        }
        Err(_) => {
            tally.cut.fetch_add(1, Relaxed);
            None
        }
    }
}

/// Sends one request and reads its answer: `Err(true)` when nothing at all came back.
fn exchange(
    port: u16,
    conn: Option<TcpStream>,
    keep_alive: bool,
    tally: &Tally,
) -> Result<Option<TcpStream>, bool> {
    let mut s = match conn {
        Some(s) => s,
        None => {
            tally.new_connections.fetch_add(1, Relaxed);
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => s,
                Err(_) => {
                    tally.refused.fetch_add(1, Relaxed);
                    return Err(false);
                }
            }
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let close = if keep_alive {
        ""
    } else {
        "Connection: close\r\n"
    };
    let request = format!("GET / HTTP/1.1\r\nHost: x\r\n{close}\r\n");
    if s.write_all(request.as_bytes()).is_err() {
        return Err(true);
    }
    let mut raw = Vec::new();
    match read_response(&mut s, &mut raw) {
        Some(again) => {
            tally.answered.fetch_add(1, Relaxed);
            Ok((keep_alive && again).then_some(s))
        }
        None => Err(raw.is_empty()),
    }
}

/// Reads one whole response (head and `Content-Length` body) into `raw`; `Some(keep the
/// connection)`.
fn read_response(s: &mut TcpStream, raw: &mut Vec<u8>) -> Option<bool> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())?;
            if raw.len() >= end + 4 + len {
                return Some(
                    head.starts_with("http/1.1 200") && !head.contains("connection: close"),
                );
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Ten upgrades lbtop → lbtop, five with `-x` and five with `-sf` alone, under a steady
/// client (two keep-alive connections and two clients opening a connection per request):
/// every request sent is answered. Each old process soft-stops on SIGUSR1 and closes its idle
/// keep-alive connections, so a keep-alive client may send its next request again on a new
/// connection, as HTTP clients do; those are counted apart.
#[test]
fn ten_upgrades_under_load_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let sock = dir.path().join("fd.sock");
    let cfg = write_cfg(dir.path(), "u.cfg", &[port], "ok");
    let mut current = lbtop(&cfg, &[], "gen0");
    wait_listening(port);
    drop(connect_cli(&sock));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (stop, tally) = (stop.clone(), tally.clone());
            std::thread::spawn(move || {
                let mut conn = None;
                while !stop.load(Relaxed) {
                    conn = one_request(port, conn, i < 2, &tally);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    for generation in 1..=10 {
        let pid = current.pid().to_string();
        let mut args = vec!["-sf", pid.as_str()];
        if generation % 2 == 0 {
            args.extend(["-x", sock.to_str().unwrap()]);
        }
        let next = lbtop(&cfg, &args, &format!("gen{generation}"));
        assert!(
            current.exits_within(Duration::from_secs(10)),
            "gen {generation}"
        );
        current = next;
        drop(connect_cli(&sock));
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let t = &*tally;
    let (sent, answered) = (t.sent.load(Relaxed), t.answered.load(Relaxed));
    eprintln!(
        "10 upgrades: {sent} sent, {answered} answered, {} refused, {} cut, {} sent again after an idle keep-alive close, {} new connections",
        t.refused.load(Relaxed),
        t.cut.load(Relaxed),
        t.retried.load(Relaxed),
        t.new_connections.load(Relaxed)
    );
    assert!(sent > 100, "{t:?}");
    assert_eq!(sent, answered, "{t:?}");
}

/// The hand-over endpoint gives nothing to another user (SO_PEERCRED). This test binary is
/// started again as `nobody` to ask root's lbtop for its sockets (the lbtop binary would refuse
/// before asking: it checks the endpoint's owner too): it reads nothing, and the old lbtop
/// keeps serving. Runs only as root, who can switch users.
#[test]
fn the_endpoint_refuses_another_user() {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("*** SKIPPED: needs root to start a process as another user ***");
        return;
    }
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let a_cfg = write_cfg(dir.path(), "a.cfg", &[port], "A");
    let mut a = lbtop(&a_cfg, &[], "a");
    wait_listening(port);
    let asked = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "ask_as_another_user", "--nocapture"])
        .env("LBTOP_ASK_PID", a.pid().to_string())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&asked.stdout);
    let err = String::from_utf8_lossy(&asked.stderr);
    assert!(said.contains("read 0 bytes"), "{said}{err}");
    assert!(!a.exits_within(Duration::from_millis(100)), "A untouched");
    assert_eq!(get(port).unwrap(), "A");
}

/// The other half of [`the_endpoint_refuses_another_user`]: does nothing unless started by it.
#[test]
fn ask_as_another_user() {
    use std::os::linux::net::SocketAddrExt;
    let Ok(pid) = std::env::var("LBTOP_ASK_PID") else {
        return;
    };
    let name = lbtop::engine::handover::name(pid.parse().unwrap());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).unwrap();
    let mut s = UnixStream::connect_addr(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The endpoint may have closed already: refused before the command was read.
    let _ = s.write_all(getsocks::COMMAND);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    println!("read {} bytes", got.len());
}
