//! The two proxies under test as child processes: real HAProxy (`haproxy -db -f cfg`) and lbtop
//! (`lbtop --headless --config cfg`), each given the same haproxy.cfg rendered from a template on
//! a free port, each logging by syslog to its own UDP sink. Shared by `haproxy_diff.rs` and
//! `h1_differential.rs` (included with `#[path]`, next to `mod common;`).
#![allow(dead_code)]

use crate::common::free_port;
use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

pub fn haproxy_available() -> bool {
    let ok = Command::new("haproxy")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("\n*** SKIPPED: haproxy is not installed; .ci/run installs it so CI always runs the differential suite ***\n");
    }
    ok
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Haproxy,
    Lbtop,
}

/// A UDP syslog sink: keeps `<PRI>message` of each datagram, header masked.
pub struct Sink {
    pub port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    pub fn start() -> Sink {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let keep = lines.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match socket.recv(&mut buf) {
                    Ok(n) => keep
                        .lock()
                        .unwrap()
                        .push(mask_syslog(&String::from_utf8_lossy(&buf[..n]))),
                    Err(e)
                        if e.kind() == std::io::ErrorKind::WouldBlock
                            || e.kind() == std::io::ErrorKind::TimedOut =>
                    {
                        if Arc::strong_count(&keep) == 1 {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        Sink { port, lines }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a line containing `needle`.
    pub fn wait(&self, needle: &str, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let lines = self.lines();
            if lines.iter().any(|l| l.contains(needle)) {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "no syslog line with {needle:?}; got:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `<181>Nov 25 09:00:00 haproxy[123]: Server be/a is UP. ...\n` → `<181> Server be/a is UP. ...`,
/// with what varies run to run masked: client ports, dates, timers, durations, byte counts.
pub fn mask_syslog(raw: &str) -> String {
    let raw = raw.trim_end_matches('\n');
    let (pri, rest) = raw
        .split_once('>')
        .map_or(("", raw), |(p, r)| (p.trim_start_matches('<'), r));
    let message = rest.split_once("]: ").map_or(rest, |(_, m)| m);
    format!("<{pri}> {}", mask_message(message))
}

/// `actconn/feconn/beconn/srv_conn/retries` → `CONNS`: a connection that just closed can
/// still count when the next line is written, in HAProxy as in lbtop, so the counts of
/// sessions open race the line (seen in HAProxy alone: `2/2/0/0/0` between two `1/1/0/0/0`).
pub fn mask_conns(line: &str) -> String {
    let conns = |w: &str| {
        let parts: Vec<&str> = w.split('/').collect();
        parts.len() == 5 && parts.iter().all(|p| p.parse::<u64>().is_ok())
    };
    let words: Vec<&str> = line
        .split(' ')
        .map(|w| if conns(w) { "CONNS" } else { w })
        .collect();
    words.join(" ")
}

/// What both contenders produced, the same or the test fails showing both; HAProxy's.
pub fn assert_same(what: &str, [haproxy, lbtop]: [Vec<String>; 2]) -> Vec<String> {
    assert_eq!(
        haproxy,
        lbtop,
        "{what}: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
    haproxy
}

pub fn mask_message(m: &str) -> String {
    let mut out = Vec::new();
    for (i, word) in m.split(' ').enumerate() {
        let masked = if word.starts_with("127.0.0.1:") && i == 0 {
            "127.0.0.1:PORT".to_string()
        } else if word.starts_with('[') && word.ends_with(']') && word.contains('/') {
            "[DATE]".to_string()
        } else if word.ends_with("ms,")
            && word[..word.len() - 3].bytes().all(|b| b.is_ascii_digit())
        {
            "Nms,".to_string()
        } else if word.ends_with("ms.")
            && word[..word.len() - 3].bytes().all(|b| b.is_ascii_digit())
        {
            "Nms.".to_string()
        } else if i == 4 && is_timers(word) {
            mask_timers(word)
        } else {
            word.to_string()
        };
        out.push(masked);
    }
    out.join(" ")
}

/// `0/0/1/2/3` (httplog) or `0/1/3` (tcplog): durations, but -1 (never reached) stays.
pub fn is_timers(w: &str) -> bool {
    let parts: Vec<&str> = w.split('/').collect();
    (parts.len() == 5 || parts.len() == 3)
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit())
        })
        && !w.contains('+')
}

pub fn mask_timers(w: &str) -> String {
    w.split('/')
        .map(|p| if p == "-1" { "-1" } else { "T" })
        .collect::<Vec<_>>()
        .join("/")
}

/// One proxy under test, fed a config rendered from a template.
pub struct Contender {
    pub kind: Kind,
    child: Child,
    pub port: u16,
    pub sink: Sink,
    _dir: tempfile::TempDir,
}

impl Contender {
    /// `template` uses `{PORT}`, `{LOG}` and `{name}` for each backend address in `servers`.
    pub fn start(kind: Kind, template: &str, servers: &BTreeMap<&str, SocketAddr>) -> Contender {
        let port = free_port();
        let sink = Sink::start();
        let mut cfg = template
            .replace("{PORT}", &port.to_string())
            .replace("{LOG}", &format!("127.0.0.1:{}", sink.port));
        for (name, addr) in servers {
            cfg = cfg.replace(&format!("{{{name}}}"), &addr.to_string());
        }
        Contender::launch(kind, &cfg, port, sink, &[])
    }

    pub fn wait_listening(&self, cfg: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(probe) = std::net::TcpStream::connect(self.addr()) {
                // Held open a moment: in tcp mode the proxy connects to the server at once,
                // and a probe closed before that connect completes is logged `CC` instead of
                // `--` (which the tcplog test filters out).
                std::thread::sleep(Duration::from_millis(50));
                drop(probe);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{:?} did not start with:\n{cfg}",
                self.kind
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Log lines so far, after a pause for stragglers, without the line for the harness's own
    /// start-up probe (a connection closed before any request: `400 0 ... CR--`, logged by both).
    pub fn settled_lines(&self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(300));
        self.sink
            .lines()
            .into_iter()
            .filter(|l| !(l.contains(" 400 0 - - CR-- ") && l.ends_with("\"<BADREQ>\"")))
            .collect()
    }
}

impl Drop for Contender {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    /// How many lines arrived so far.
    pub fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// The lines that arrived after the first `from`.
    pub fn lines_from(&self, from: usize) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .get(from..)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }
}

impl Contender {
    /// Whether the child is still running (it has not crashed or exited).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Contender {
    /// As [`Contender::start`], with environment variables set for the proxy (`{PORT}` in a
    /// value is the listening port) and `{name:port}` in the template replaced by the port
    /// of the server `name` alone.
    pub fn start_env(
        kind: Kind,
        template: &str,
        servers: &BTreeMap<&str, SocketAddr>,
        env: &[(&str, &str)],
    ) -> Contender {
        let port = free_port();
        let sink = Sink::start();
        let mut cfg = template.replace("{LOG}", &format!("127.0.0.1:{}", sink.port));
        for (name, addr) in servers {
            cfg = cfg.replace(&format!("{{{name}:port}}"), &addr.port().to_string());
        }
        Contender::launch(kind, &cfg, port, sink, env)
    }

    /// Writes `cfg`, starts the proxy on it (with `env`, `{PORT}` in a value being `port`) and
    /// waits until it listens.
    fn launch(kind: Kind, cfg: &str, port: u16, sink: Sink, env: &[(&str, &str)]) -> Contender {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("test.cfg");
        std::fs::write(&path, cfg).unwrap();
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
        for (name, value) in env {
            command.env(name, value.replace("{PORT}", &port.to_string()));
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the proxy");
        let contender = Contender {
            kind,
            child,
            port,
            sink,
            _dir: dir,
        };
        contender.wait_listening(cfg);
        // Let the probe's own session end first, so it never counts in `%ac/%fc` of the
        // scenario's first log line.
        std::thread::sleep(Duration::from_millis(200));
        contender
    }
}
