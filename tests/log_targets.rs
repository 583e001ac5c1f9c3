//! Differential tests of the `log` plumbing: the same haproxy.cfg given to real HAProxy 2.6 and
//! to `lbtop --headless`, the same requests, and each log target read back the way a user
//! would: the process's stdout (a pipe, and a file it was redirected to), its stderr, and a
//! UNIX datagram socket bound here. Timestamps, PIDs, client ports and durations are masked;
//! every other byte, framing included, must match.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::{refused_addr, Origin};
use common::{free_port, get};
use contender::{haproxy_available, is_timers, mask_timers, Kind, LBTOP};
use std::io::Read;
use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One proxy under test: stdout where the test says (a pipe read by a thread here, a file,
/// or nowhere), stderr to a file in its own folder.
struct Run {
    child: Child,
    port: u16,
    /// `{PORT2}`, for a second frontend.
    port2: u16,
    dir: tempfile::TempDir,
    piped: Arc<Mutex<String>>,
}

impl Run {
    /// Renders `template` (`{PORT}`, `{PORT2}`, `{DIR}`, `{a}`, `{dead}`) and starts `kind`;
    /// a piped stdout is read as it comes.
    fn start(kind: Kind, template: &str, a: SocketAddr, stdout: Stdio) -> Run {
        Run::spawn(kind, template, a, stdout, true, None)
    }

    /// As `start`, with stdout a pipe nobody reads until [`Run::kill_and_read_held`].
    fn start_unread(kind: Kind, template: &str, a: SocketAddr) -> Run {
        Run::spawn(kind, template, a, Stdio::piped(), false, None)
    }

    /// Stops the proxy and returns what waited in its unread stdout pipe.
    fn kill_and_read_held(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut out = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            let _ = pipe.read_to_string(&mut out);
        }
        out
    }

    /// `fd3`: a descriptor the child gets as its descriptor 3.
    fn spawn(
        kind: Kind,
        template: &str,
        a: SocketAddr,
        stdout: Stdio,
        read: bool,
        fd3: Option<i32>,
    ) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let (port, port2) = (free_port(), free_port());
        let cfg = template
            .replace("{PORT}", &port.to_string())
            .replace("{PORT2}", &port2.to_string())
            .replace("{DIR}", &dir.path().display().to_string())
            .replace("{a}", &a.to_string())
            .replace("{dead}", &refused_addr().to_string());
        let path = dir.path().join("test.cfg");
        std::fs::write(&path, &cfg).unwrap();
        let mut command = match kind {
            Kind::Haproxy => {
                let mut c = Command::new("haproxy");
                c.args(["-db", "-f"]).arg(&path);
                c
            }
            Kind::Lbtop => {
                let mut c = Command::new(LBTOP);
                c.args(["--headless", "--config"]).arg(&path);
                c
            }
        };
        let stderr = std::fs::File::create(dir.path().join("stderr")).unwrap();
        if let Some(fd) = fd3 {
            use std::os::unix::process::CommandExt;
            // SAFETY: dup2 and fcntl are async-signal-safe, as pre_exec requires. When `fd`
            // is already 3, dup2 does nothing, so its close-on-exec flag is cleared directly.
            unsafe {
                command.pre_exec(move || {
                    let rc = if fd == 3 {
                        libc::fcntl(3, libc::F_SETFD, 0)
                    } else {
                        libc::dup2(fd, 3)
                    };
                    match rc {
                        -1 => Err(std::io::Error::last_os_error()),
                        _ => Ok(()),
                    }
                });
            }
        }
        let child = command
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start the proxy");
        let mut run = Run {
            child,
            port,
            port2,
            dir,
            piped: Arc::default(),
        };
        if let Some(mut out) = run.child.stdout.take_if(|_| read) {
            let keep = run.piped.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = out.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    keep.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        run.wait_listening(kind, &cfg);
        run
    }

    /// A file for stdout in a fresh folder of its own (the proxy's folder is made in `start`).
    fn stdout_file(scratch: &Path) -> (Stdio, PathBuf) {
        let path = scratch.join("stdout");
        let file = std::fs::File::create(&path).unwrap();
        (Stdio::from(file), path)
    }

    /// Waits until the proxy answers a whole request (`GET /probe`, whose log lines the tests
    /// leave out): once its answer has ended, the proxy is done with that connection, so it
    /// never counts in a later line's connection counts.
    fn wait_listening(&self, kind: Kind, cfg: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(self.addr()) {
                use std::io::Write;
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                s.write_all(PROBE).unwrap();
                let mut answer = Vec::new();
                let _ = s.read_to_end(&mut answer);
                assert!(
                    answer.starts_with(b"HTTP/1.1 200"),
                    "{kind:?}: probe answered {answer:?}"
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{kind:?} did not start with:\n{cfg}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    /// What the proxy wrote to its piped stdout so far.
    fn stdout(&self) -> String {
        self.piped.lock().unwrap().clone()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

const PROBE: &[u8] = b"GET /probe HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n";

/// Waits until `read()` holds `n` lines besides the probe's (or says why not) and returns them.
fn wait_lines(what: &str, n: usize, read: impl Fn() -> String) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = read();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.contains("GET /probe "))
            .map(str::to_string)
            .collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: wanted {n} lines, got:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_same(what: &str, haproxy: &[String], lbtop: &[String]) {
    assert_eq!(
        haproxy,
        lbtop,
        "{what}: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
}

/// Masks what varies run to run in a framed line: syslog and ISO dates, the PID after the tag,
/// the client port, the accept date, the timers and the connection counts.
fn mask(line: &str) -> String {
    let line = mask_shapes(line, "Mmm dd dd:dd:dd", "DATE");
    let line = mask_shapes(&line, "dddd-dd-ddTdd:dd:dd.dddddd+00:00", "ISO");
    let line = mask_shapes(&line, "[dd/Mmm/dddd:dd:dd:dd.ddd]", "[ACCEPT]");
    let mut timers_seen = false;
    line.split(' ')
        .map(|w| {
            if let Some((tag, rest)) = w.split_once('[') {
                if rest.ends_with("]:")
                    && rest[..rest.len() - 2].bytes().all(|b| b.is_ascii_digit())
                {
                    return format!("{tag}[PID]:");
                }
            }
            if w.contains("127.0.0.1:") {
                let at = w.find("127.0.0.1:").unwrap();
                return format!("{}127.0.0.1:PORT", &w[..at]);
            }
            // The first such word holds the timers. The second, the connection counts
            // (`%ac/%fc/%bc/%sc/%rc`), is masked too: HAProxy lowers `%ac` a moment after the
            // previous client saw its connection end, so it races any test; haproxy_diff.rs
            // compares the counts where a scenario pins them down.
            if is_timers(w) {
                let first = !timers_seen;
                timers_seen = true;
                return if first {
                    mask_timers(w)
                } else {
                    "C/C/C/C/C".into()
                };
            }
            w.to_string()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces every substring shaped like `shape` (`d` a digit, `M` an uppercase letter, `m` a
/// lowercase one, anything else itself) with `with`.
fn mask_shapes(s: &str, shape: &str, with: &str) -> String {
    let fits = |w: &[u8]| {
        w.iter().zip(shape.bytes()).all(|(&c, p)| match p {
            b'd' => c.is_ascii_digit() || (c == b' ' && shape.starts_with("Mmm")),
            b'M' => c.is_ascii_uppercase(),
            b'm' => c.is_ascii_lowercase(),
            _ => c == p,
        })
    };
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if i + shape.len() <= bytes.len() && fits(&bytes[i..i + shape.len()]) {
            out.push_str(with);
            i += shape.len();
        } else {
            out.push(bytes[i] as char);
            i += 1;
        }
    }
    out
}

/// The RFC5424 process id: `<134>1 ISO - haproxy 123 - - ` → `... haproxy PID - - `.
fn mask_5424_pid(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    if words.len() > 6 && words[0].ends_with(">1") && words[5] == "-" && words[6] == "-" {
        let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        w[4] = "PID".into();
        return w.join(" ");
    }
    line.to_string()
}

fn masked(text: &str) -> Vec<String> {
    text.lines().map(|l| mask_5424_pid(&mask(l))).collect()
}

const FORMATS: [&str; 8] = [
    "local", "rfc3164", "rfc5424", "short", "priority", "timed", "iso", "raw",
];

const DEFAULTS: &str = "defaults\n    mode http\n    log global\n    option httplog\n    option dontlognull\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

/// `log stdout format <F> local0` for every format, one request: the framing of each.
#[test]
fn stdout_carries_each_format_as_haproxy_frames_it() {
    if !haproxy_available() {
        return;
    }
    let mut cfg = String::from("global\n");
    for f in FORMATS {
        cfg += &format!("    log stdout format {f} local0\n");
    }
    cfg += DEFAULTS;
    cfg += "frontend fe\n    bind 127.0.0.1:{PORT}\n    default_backend be\nbackend be\n    server a {a}\n";
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::start(kind, &cfg, origin.addr, Stdio::piped());
        assert_eq!(rt.block_on(get(run.addr(), "/x")).status, 200);
        masked(&wait_lines("stdout", FORMATS.len(), || run.stdout()).join("\n"))
    });
    assert_same("log stdout, every format", &haproxy, &lbtop);
    assert_eq!(haproxy.len(), FORMATS.len(), "{haproxy:#?}");
    assert_eq!(
        haproxy[0],
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [ACCEPT] fe be/a T/T/T/T/T 200 60 - - ---- C/C/C/C/C 0/0 \"GET /x HTTP/1.1\""
    );
}

/// `log-send-hostname`, `log-tag` (global and in a proxy) and `log stderr`.
#[test]
fn stderr_with_hostname_and_tags() {
    if !haproxy_available() {
        return;
    }
    let cfg = format!(
        "global\n    log stderr format rfc3164 local1\n    log stderr format rfc5424 local1 info\n    log stderr local1\n    log stderr format local local1\n    log-send-hostname myhost\n    log-tag mytag\n{DEFAULTS}frontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\nfrontend fe2\n    bind 127.0.0.1:{{PORT2}}\n    log-tag other\n    default_backend be\nbackend be\n    server a {{a}}\n"
    );
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::start(kind, &cfg, origin.addr, Stdio::null());
        assert_eq!(rt.block_on(get(run.addr(), "/one")).status, 200);
        let second = SocketAddr::from(([127, 0, 0, 1], run.port2));
        assert_eq!(rt.block_on(get(second, "/two")).status, 200);
        let lines = wait_lines("stderr", 8, || only_traffic(&run.stderr()));
        sorted(lines.iter().map(|l| mask_5424_pid(&mask(l))).collect())
    });
    assert_same(
        "log stderr with log-send-hostname and log-tag",
        &haproxy,
        &lbtop,
    );
    let has = |start: &str| haproxy.iter().any(|l| l.starts_with(start));
    // No `format`, or `format rfc3164`: the host name; `format local`: none.
    assert!(has("<142>DATE myhost mytag[PID]: "), "{haproxy:#?}");
    assert!(has("<142>DATE mytag[PID]: "), "{haproxy:#?}");
    assert!(has("<142>1 ISO myhost other PID - - "), "{haproxy:#?}");
}

/// The traffic lines in a stream that may hold other things (HAProxy's notices, lbtop's
/// warnings or its own headless lines).
fn only_traffic(text: &str) -> String {
    text.lines()
        .filter(|l| l.contains("\"GET /"))
        .filter(|l| l.starts_with('<'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A UNIX datagram socket bound here, named both ways (`unix@path` and a bare path), one in
/// `global` (reached through `log global`) and one a proxy's own.
#[test]
fn a_unix_datagram_socket_gets_each_line() {
    if !haproxy_available() {
        return;
    }
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let sockets = tempfile::tempdir().unwrap();
        let path = sockets.path().join("log");
        let sink = UnixDatagram::bind(&path).unwrap();
        sink.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let cfg = format!(
            "global\n    log unix@{0} local2\n{DEFAULTS}frontend fe\n    bind 127.0.0.1:{{PORT}}\n    log {0} format rfc5424 local3 notice\n    log {0} len 80 format raw local4\n    log {0} format raw local5\n    default_backend be\nbackend be\n    server a {{a}}\n",
            path.display()
        );
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::start(kind, &cfg, origin.addr, Stdio::null());
        assert_eq!(rt.block_on(get(run.addr(), "/sock")).status, 200);
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 70_000];
        // Three datagrams a request (the notice-capped rfc5424 target drops the info line):
        // the probe's, then this request's.
        for _ in 0..6 {
            let n = sink.recv(&mut buf).expect("a datagram");
            raw.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        assert!(raw[0].contains("GET /probe ") && raw[2].contains("GET /probe "), "{raw:#?}");
        let raw = raw.split_off(3);
        drop(run);
        // `len 80` on a socket: the first 80 bytes of the line, then a newline. Where the cut
        // falls in the masked text depends on run-to-run widths, so it is checked here.
        let (cut, whole) = (&raw[1], &raw[2]);
        assert_eq!(cut.len(), 81, "{kind:?}: {raw:#?}");
        assert_eq!(cut[..80], whole[..80], "{kind:?}: {raw:#?}");
        assert!(cut.ends_with('\n'), "{kind:?}: {raw:#?}");
        [&raw[0], &raw[2]].map(|l| mask(l)).to_vec()
    });
    assert_same("log to a UNIX datagram socket", &haproxy, &lbtop);
    assert!(
        haproxy[0].starts_with("<150>DATE haproxy[PID]: "),
        "{haproxy:?}"
    );
}

/// stdout redirected to a file; `option dontlog-normal` and `option log-separate-errors` on
/// one frontend, `log-separate-errors` alone on another: which sessions are logged, at which
/// level (`format priority` shows it).
#[test]
fn dontlog_normal_and_log_separate_errors_in_a_file() {
    if !haproxy_available() {
        return;
    }
    let cfg = format!(
        "global\n    log stdout format priority local0\n{DEFAULTS}frontend quiet\n    bind 127.0.0.1:{{PORT}}\n    option dontlog-normal\n    option log-separate-errors\n    default_backend be\nfrontend loud\n    bind 127.0.0.1:{{PORT2}}\n    option log-separate-errors\n    default_backend dead\nbackend be\n    server a {{a}}\nbackend dead\n    retries 0\n    server d {{dead}}\n"
    );
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let scratch = tempfile::tempdir().unwrap();
        let (stdout, file) = Run::stdout_file(scratch.path());
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::start(kind, &cfg, origin.addr, stdout);
        let loud = SocketAddr::from(([127, 0, 0, 1], run.port2));
        // quiet: a normal 200 (not logged) and a client that gives up mid-head (err);
        // loud: a 503 (err). Then quiet's error again, last: once its line is there, a line
        // for quiet's 200 would have been too.
        assert_eq!(rt.block_on(get(run.addr(), "/normal")).status, 200);
        cut(run.addr(), "/cut1");
        // And on loud a connection that sends nothing: `option dontlognull` hides it.
        drop(std::net::TcpStream::connect(loud).unwrap());
        assert_eq!(rt.block_on(get(loud, "/fine")).status, 503);
        cut(run.addr(), "/cut2");
        let lines = wait_lines("stdout file", 3, || {
            std::fs::read_to_string(&file).unwrap_or_default()
        });
        sorted(masked(&lines.join("\n")))
    });
    assert_same("dontlog-normal and log-separate-errors", &haproxy, &lbtop);
    assert_eq!(haproxy.len(), 3, "{haproxy:#?}");
    assert!(
        haproxy.iter().all(|l| l.starts_with("<131>")),
        "{haproxy:#?}"
    );
    assert_eq!(haproxy.iter().filter(|l| l.contains(" CR-- ")).count(), 2);
}

/// `log /no/such/dir/log`: both start and serve; the first failed send is reported once on
/// stderr, in HAProxy's words; the other target keeps working.
#[test]
fn a_missing_socket_path_is_reported_once_and_never_stops_the_proxy() {
    if !haproxy_available() {
        return;
    }
    let cfg = format!(
        "global\n    log {{DIR}}/no/such/dir/log local0\n    log {{DIR}}/no/such/other local0\n    log stdout format raw local0\n{DEFAULTS}frontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\nbackend be\n    server a {{a}}\n"
    );
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::start(kind, &cfg, origin.addr, Stdio::piped());
        for path in ["/1", "/2", "/3"] {
            assert_eq!(rt.block_on(get(run.addr(), path)).status, 200);
        }
        let lines = wait_lines("stdout", 3, || run.stdout());
        // The alert comes before the first line reaches stdout in both.
        let mut out: Vec<String> = run
            .stderr()
            .lines()
            .filter(|l| l.starts_with("[ALERT]"))
            .map(mask_alert_pid)
            .collect();
        out.extend(masked(&lines.join("\n")));
        out
    });
    assert_same("a log socket that does not exist", &haproxy, &lbtop);
    assert_eq!(
        haproxy[0],
        "[ALERT]    (PID) : sendmsg()/writev() failed in logger #1: No such file or directory (errno=2)"
    );
    assert_eq!(haproxy.len(), 4, "one alert, three lines: {haproxy:#?}");
}

/// `[ALERT]    (1234) : ...` → `[ALERT]    (PID) : ...`.
fn mask_alert_pid(line: &str) -> String {
    match (line.find('('), line.find(')')) {
        (Some(a), Some(b)) if a < b => format!("{}(PID){}", &line[..a], &line[b + 1..]),
        _ => line.to_string(),
    }
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// A client that sends part of a head for `path`, then closes its side, and waits for the
/// proxy to close: a `CR--` session.
fn cut(addr: SocketAddr, path: &str) {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\n").as_bytes())
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
}

/// Nobody reads stdout: HAProxy and lbtop both keep serving every request at full speed and
/// drop the lines that do not fit; what did fit is whole lines.
#[test]
fn a_full_stdout_pipe_never_stops_the_traffic() {
    if !haproxy_available() {
        return;
    }
    let cfg = format!(
        "global\n    log stdout format raw local0\n{DEFAULTS}frontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\nbackend be\n    server a {{a}}\n"
    );
    // Lines of about 1 KiB: a 64 KiB pipe holds some 60 of them, lbtop's queue 1024 more.
    let path = format!("/{}", "p".repeat(1000));
    let requests = 1500;
    let rt = rt();
    for kind in [Kind::Haproxy, Kind::Lbtop] {
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::start_unread(kind, &cfg, origin.addr);
        let started = Instant::now();
        let addr = run.addr();
        let statuses = rt.block_on(async {
            let clients = (0..4).map(|_| {
                let path = path.clone();
                tokio::spawn(async move {
                    let mut ok = 0;
                    for _ in 0..requests / 4 {
                        ok += usize::from(get(addr, &path).await.status == 200);
                    }
                    ok
                })
            });
            let mut ok = 0;
            for c in clients {
                ok += c.await.unwrap();
            }
            ok
        });
        assert_eq!(statuses, requests, "{kind:?}: every request answered");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{kind:?} took {:?}",
            started.elapsed()
        );
        let held = run.kill_and_read_held();
        let lines: Vec<&str> = held
            .lines()
            .filter(|l| !l.contains("GET /probe "))
            .collect();
        assert!(
            !lines.is_empty() && lines.len() < requests,
            "{kind:?}: {} lines",
            lines.len()
        );
        for l in &lines {
            assert!(
                l.starts_with("127.0.0.1:") && l.len() == 1023,
                "{kind:?}: {l:?}"
            );
        }
        assert!(held.ends_with('\n'), "{kind:?}: a cut line");
    }
}

/// `lbtop --headless` with `log stdout`: stdout carries only the framed log lines, whole, and
/// the headless printer's lines go to stderr, whole too, under concurrent traffic.
#[test]
fn headless_lines_move_to_stderr_when_a_log_target_is_stdout() {
    let rt = rt();
    let origin = rt.block_on(Origin::start("a", Duration::ZERO));
    let cfg = format!(
        "global\n    log stdout local0\n{DEFAULTS}frontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\nbackend be\n    server a {{a}}\n"
    );
    let run = Run::start(Kind::Lbtop, &cfg, origin.addr, Stdio::piped());
    let addr = run.addr();
    rt.block_on(async {
        let clients: Vec<_> = (0..8)
            .map(|c| {
                tokio::spawn(async move {
                    for i in 0..25 {
                        assert_eq!(get(addr, &format!("/c{c}/{i}")).await.status, 200);
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
    let out = wait_lines("stdout", 200, || run.stdout());
    for l in &out {
        let m = mask(l);
        assert!(
            m.starts_with("<134>DATE haproxy[PID]: 127.0.0.1:PORT [ACCEPT] fe be/a ")
                && m.ends_with(" HTTP/1.1\""),
            "{l:?}"
        );
    }
    let err = wait_lines("stderr", 200, || {
        run.stderr()
            .lines()
            .filter(|l| l.contains(" fe be/a "))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    for l in &err {
        let m = mask_shapes(l, "dd/Mmm/dddd:dd:dd:dd.ddd", "DATE");
        assert!(
            m.starts_with("DATE 127.0.0.1:") && m.ends_with(" HTTP/1.1\""),
            "{l:?}"
        );
    }
}

/// `fd@3` (a pipe the test hands the proxy as its descriptor 3) gets the lines; `fd@999`, not
/// open, is reported once as a bad descriptor and stops nothing. (A low number would race:
/// HAProxy writes to whatever its own descriptor of that number is at the time.)
#[test]
fn an_inherited_descriptor_gets_the_lines() {
    if !haproxy_available() {
        return;
    }
    let cfg = format!(
        "global\n    log fd@3 format rfc5424 local0\n    log fd@999 local0\n{DEFAULTS}frontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\nbackend be\n    server a {{a}}\n"
    );
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 fills the two-element array it is given.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let [read_end, write_end] = fds;
        let origin = rt.block_on(Origin::start("a", Duration::ZERO));
        let run = Run::spawn(
            kind,
            &cfg,
            origin.addr,
            Stdio::null(),
            true,
            Some(write_end),
        );
        // SAFETY: the child has its copy; the parent's write end must close for EOF.
        unsafe { libc::close(write_end) };
        // SAFETY: read_end is this test's own, open descriptor.
        let mut pipe = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(read_end) };
        assert_eq!(rt.block_on(get(run.addr(), "/fd")).status, 200);
        let lines = Arc::new(Mutex::new(String::new()));
        let keep = lines.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    return;
                }
                keep.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let got = wait_lines("fd@3", 1, || lines.lock().unwrap().clone());
        let mut out: Vec<String> = run
            .stderr()
            .lines()
            .filter(|l| l.starts_with("[ALERT]"))
            .map(mask_alert_pid)
            .collect();
        out.extend(got.iter().map(|l| mask_5424_pid(&mask(l))));
        out
    });
    assert_same("log fd@3 and fd@999", &haproxy, &lbtop);
    assert_eq!(
        haproxy[0],
        "[ALERT]    (PID) : sendmsg()/writev() failed in logger #2: Bad file descriptor (errno=9)"
    );
    assert!(
        haproxy[1].starts_with("<134>1 ISO - haproxy PID - - "),
        "{haproxy:#?}"
    );
}
