//! hatop 0.8.2 (Debian's curses client for HAProxy's stats socket) driven in tmux against
//! lbtop's runtime API and against real HAProxy 2.6 on the same cfg: hatop connects (it speaks
//! `prompt`, `set timeout cli`, `show info`, `show stat`), shows the same rows and statuses for
//! both, and its CLI view drains and readies a server, which `show stat` over socat confirms.

mod common;

use common::free_port;
use common::term::{available, status_by_socat, Tmux};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// HAProxy or lbtop in the foreground on `cfg`, killed by its PID when dropped.
struct Proxy {
    child: Child,
    socket: PathBuf,
}

impl Proxy {
    fn start(dir: &Path, kind: &str, servers: &[(&str, u16)]) -> Proxy {
        let socket = dir.join(format!("{kind}.sock"));
        let mut cfg = format!(
            "global\n    stats socket {} level admin\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
             timeout server 5s\n\
             frontend fe\n    bind 127.0.0.1:{}\n    default_backend hoge\n\
             backend hoge\n    balance roundrobin\n",
            socket.display(),
            free_port()
        );
        for (server, port) in servers {
            cfg.push_str(&format!(
                "    server {server} 127.0.0.1:{port} check inter 200ms\n"
            ));
        }
        let path = dir.join(format!("{kind}.cfg"));
        std::fs::write(&path, cfg).unwrap();
        let mut command = match kind {
            "haproxy" => {
                let mut c = Command::new("haproxy");
                c.arg("-db").arg("-f").arg(&path);
                c
            }
            _ => {
                let mut c = Command::new(LBTOP);
                c.arg("--headless").arg("--config").arg(&path);
                c
            }
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the proxy");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "{kind} made no stats socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Proxy { child, socket }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first words of hatop's row for `name` in the STATUS view: NAME W STATUS CHECK.
fn row(screen: &str, name: &str) -> Vec<String> {
    screen
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .map(|l| l.split_whitespace().take(4).map(String::from).collect())
        .unwrap_or_default()
}

/// What hatop shows for one proxy, and what its CLI view did to web11.
fn drive(dir: &Path, kind: &str, servers: &[(&str, u16)]) -> Vec<Vec<String>> {
    let proxy = Proxy::start(dir, kind, servers);
    let tmux = Tmux::start(
        &format!("hatop-{kind}"),
        140,
        40,
        &format!("hatop -s {}", proxy.socket.display()),
    );
    let up = |s: &str| {
        row(s, "web10").get(2).is_some_and(|w| w == "UP")
            && row(s, "web11").get(2).is_some_and(|w| w == "UP")
    };
    let screen = tmux.wait("both servers UP in hatop", up);
    assert!(screen.contains(">>> hoge"), "{screen}");
    let mut seen: Vec<Vec<String>> = ["FRONTEND", "web10", "web11", "BACKEND"]
        .iter()
        .map(|n| row(&screen, n))
        .collect();
    // hatop's CLI view (key 5) sends what is typed through its prompt-mode session.
    tmux.keys(&["5"]);
    tmux.wait("the CLI view", |s| s.contains("command line"));
    tmux.keys(&["set server hoge/web11 state drain", "Enter"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_by_socat(&proxy.socket, "web11") != "DRAIN" {
        assert!(Instant::now() < deadline, "{kind}: web11 never DRAIN");
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys(&["Escape", "1"]);
    let drained = tmux.wait("web11 DRAIN in hatop", |s| {
        row(s, "web11").get(2).is_some_and(|w| w == "DRAIN")
    });
    seen.push(row(&drained, "web11"));
    tmux.keys(&["5"]);
    tmux.wait("the CLI view again", |s| s.contains("command line"));
    tmux.keys(&["set server hoge/web11 state ready", "Enter"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_by_socat(&proxy.socket, "web11") != "UP" {
        assert!(Instant::now() < deadline, "{kind}: web11 never back UP");
        std::thread::sleep(Duration::from_millis(50));
    }
    seen
}

#[test]
fn hatop_shows_lbtop_as_it_shows_haproxy_and_drains_through_it() {
    if !available("tmux", "-V") || !available("haproxy", "-v") || !available("socat", "-V") {
        return;
    }
    if Command::new("hatop").arg("--version").output().is_err() {
        eprintln!("\n*** SKIPPED: hatop is not installed; .ci/run installs it ***\n");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The servers only need to accept connections: the checks are plain TCP connects.
    let web10 = TcpListener::bind("127.0.0.1:0").unwrap();
    let web11 = TcpListener::bind("127.0.0.1:0").unwrap();
    let servers = [
        ("web10", web10.local_addr().unwrap().port()),
        ("web11", web11.local_addr().unwrap().port()),
    ];
    let haproxy = drive(dir.path(), "haproxy", &servers);
    let lbtop = drive(dir.path(), "lbtop", &servers);
    assert_eq!(haproxy[1], ["web10", "1", "UP", "L4OK"], "{haproxy:?}");
    assert_eq!(lbtop, haproxy, "hatop's rows: lbtop vs HAProxy");
}
