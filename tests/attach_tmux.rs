//! `lbtop attach` end to end in tmux, as a person would use it: two real HAProxy 2.6 on
//! loopback (stats sockets at level admin in a temp dir), `lbtop attach h1.sock h2.sock`, both
//! nodes and the servers' statuses on screen; web11 drained on h2 alone through the keys (`n`
//! picks the node), seen on h2 only, on screen and through socat's `show stat`; then h1 killed
//! by its PID, and the dashboard marks it dead and goes on for h2. The HTTP and L4/L7 views say
//! what is not available when attached.

mod common;

use common::free_port;
use common::term::{available, status_by_socat, Tmux};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// A real HAProxy in the foreground, killed (by its PID) when dropped.
struct Haproxy {
    child: Child,
    socket: PathBuf,
}

impl Haproxy {
    fn start(dir: &Path, name: &str, servers: &[(&str, u16)]) -> Haproxy {
        let socket = dir.join(format!("{name}.sock"));
        let mut cfg = format!(
            "global\n    stats socket {} level admin\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
             timeout server 5s\n\
             frontend fe\n    bind 127.0.0.1:{}\n    default_backend hoge\n\
             backend hoge\n",
            socket.display(),
            free_port()
        );
        for (server, port) in servers {
            cfg.push_str(&format!(
                "    server {server} 127.0.0.1:{port} check inter 200ms\n"
            ));
        }
        let path = dir.join(format!("{name}.cfg"));
        std::fs::write(&path, cfg).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy");
        Haproxy { child, socket }
    }

    /// `kill -9 <pid>`: the node disappears without a word.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first screen row naming `name` with a space each side.
fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    let needle = format!(" {name} ");
    screen.lines().find(|l| l.contains(&needle)).unwrap_or("")
}

/// The nodes panel's line for node `name`.
fn node_row<'a>(screen: &'a str, name: &str) -> &'a str {
    let start = format!("{name} ");
    screen
        .lines()
        .find(|l| l.trim_start_matches(['│', '▶', ' ']).starts_with(&start))
        .unwrap_or("")
}

#[test]
fn attach_drains_on_one_node_and_outlives_a_dead_one() {
    if !available("tmux", "-V") || !available("haproxy", "-v") || !available("socat", "-V") {
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
    let mut h1 = Haproxy::start(dir.path(), "h1", &servers);
    let h2 = Haproxy::start(dir.path(), "h2", &servers);
    let command = format!(
        "{LBTOP} attach --refresh-ms 200 {} {}; echo LBTOP-EXITED $?; sleep 30",
        h1.socket.display(),
        h2.socket.display()
    );
    let tmux = Tmux::start("attach", 150, 45, &command);

    // Both nodes answer, and both servers are UP on both.
    tmux.wait("both nodes and servers up", |s| {
        s.contains("attached: 2/2 nodes answering")
            && row(s, "web10").contains("UP on 2/2: h1,h2")
            && row(s, "web11").contains("UP on 2/2: h1,h2")
    });

    // Select web11, pick h2 alone (all → h1 → h2), drain.
    tmux.keys(&["j"]);
    tmux.wait("web11 selected", |s| row(s, "web11").contains('▶'));
    tmux.keys(&["n"]);
    tmux.wait("h1 picked", |s| s.contains("actions → h1 only"));
    tmux.keys(&["n"]);
    tmux.wait("h2 picked", |s| s.contains("actions → h2 only"));
    tmux.keys(&["d"]);
    let screen = tmux.wait("web11 draining on h2 only", |s| {
        row(s, "web11").contains("UP on 1/2: h1 · DRAIN on 1/2: h2")
    });
    assert!(row(&screen, "web10").contains("UP on 2/2"), "{screen}");
    tmux.wait("h2's answer", |s| {
        s.contains("set server hoge/web11 state drain → h2: done")
    });
    assert_eq!(status_by_socat(&h2.socket, "web11"), "DRAIN");
    assert_eq!(status_by_socat(&h1.socket, "web11"), "UP");

    // h1 dies: it is marked dead with its error, and h2 goes on.
    h1.kill();
    let screen = tmux.wait("h1 marked dead", |s| {
        s.contains("attached: 1/2 nodes answering")
            && row(s, "web11").contains("DRAIN on 1/2: h2 · dead: h1")
    });
    assert!(node_row(&screen, "h1").contains("DEAD"), "{screen}");
    assert!(
        node_row(&screen, "h1").contains("Connection refused"),
        "{screen}"
    );
    assert!(node_row(&screen, "h2").contains("HAProxy 2.6"), "{screen}");
    tmux.keys(&["r"]);
    tmux.wait("web11 ready again on h2", |s| {
        row(s, "web11").contains("UP on 1/2: h2 · dead: h1")
    });
    assert_eq!(status_by_socat(&h2.socket, "web11"), "UP");

    // What only an embedded engine knows says so, instead of zeros.
    tmux.keys(&["3"]);
    tmux.wait("the HTTP view without percentiles", |s| {
        row(s, "web11").contains("n/a") && s.contains("not available when attached")
    });
    tmux.keys(&["5"]);
    tmux.wait("the L4/L7 view's word", |s| {
        s.contains("per-request decisions are not available when attached")
    });

    // The log view has the lines derived from the polls.
    tmux.keys(&["6"]);
    tmux.wait("derived lines in the log", |s| {
        s.contains("[h2] Server hoge/web11 is now DRAIN (was UP; derived from polls)")
            && s.contains("[h1] node not answering")
    });

    tmux.keys(&["q"]);
    let screen = tmux.wait("lbtop exited", |s| s.contains("LBTOP-EXITED"));
    assert!(screen.contains("LBTOP-EXITED 0"), "{screen}");
    drop(h2);
}
