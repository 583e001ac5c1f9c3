//! Out of file descriptors (`ulimit -n` reached), lbtop alone: a child lbtop started under a
//! low RLIMIT_NOFILE, enough held clients to use every descriptor it has. The listener must
//! pause with one line (HAProxy's words, measured: `Proxy fe reached process FD limit
//! (maxsock=N). Please check 'ulimit-n' and restart.`), use next to no CPU while stuck, never
//! crash, and serve again once descriptors are free (docs/haproxy-semantics.md §32).
//!
//! HAProxy 2.6 is not run side by side: as root it raises its own limit, and as another user
//! it refuses to start unless `no strict-limits` is set; measured that way, it logs the same
//! line at every retry, ten times a second.
//!
//! Each step waits on something it can see (a client held at the origin or answered, the line
//! in the syslog sink); the one fixed wait is the second over which CPU use is measured.
//! Repeat: `for i in $(seq 20); do cargo test --test fd_limit || break; done`.

mod common;
#[path = "common/contender.rs"]
mod contender;
#[path = "common/held.rs"]
mod held;

use common::free_port;
use contender::{Sink, LBTOP};
use held::{client, Holder};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LINE: &str = "Proxy fe reached process FD limit (maxsock=";

/// Descriptors beyond what lbtop opens to start (its workers' pollers, listeners, log
/// socket, stdio): room for a few proxied requests (two each), then none.
const SPARE: u64 = 12;

struct Lbtop {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Lbtop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lbtop {
    fn start(origin: &Holder, sink: &Sink, nofile: u64) -> Lbtop {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let cfg = format!(
            "global\n    maxconn 1000\n    nbthread 2\n    log 127.0.0.1:{} local0 debug\n\ndefaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 20s\n    timeout server 20s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\nbackend be\n    server s1 {}\n",
            sink.port, origin.addr
        );
        let path = dir.path().join("fd.cfg");
        std::fs::write(&path, cfg).unwrap();
        let mut command = Command::new(LBTOP);
        command.args(["--headless", "--config"]).arg(&path);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: only setrlimit, which is async-signal-safe, runs in the child before exec.
        unsafe {
            command.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: nofile,
                    rlim_max: nofile,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let child = command.spawn().expect("start lbtop");
        let lbtop = Lbtop {
            child,
            port,
            _dir: dir,
        };
        lbtop.wait_listening();
        lbtop
    }

    fn addr(&self) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listening = || {
            let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
            let port = format!(":{:04X} ", self.port);
            // State 0A: a listening socket.
            tcp.lines().any(|l| l.contains(&port) && l.contains(" 0A "))
        };
        while !listening() {
            assert!(Instant::now() < deadline, "lbtop did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn open_fds(&self) -> u64 {
        let dir = format!("/proc/{}/fd", self.child.id());
        std::fs::read_dir(dir).map_or(0, |d| d.count() as u64)
    }

    /// User and system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which ends with `)`): utime and stime are 14 and 15.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split(' ').collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn logged(sink: &Sink) -> usize {
    sink.lines().iter().filter(|l| l.contains(LINE)).count()
}

#[test]
fn out_of_fds_pauses_with_one_line_and_serves_again_once_they_are_free() {
    let origin = Holder::start(0);
    let sink = Sink::start();
    // Started once unlimited to learn how many descriptors lbtop needs to run.
    let baseline = Lbtop::start(&origin, &sink, 1024).open_fds();
    let mut lbtop = Lbtop::start(&origin, &sink, baseline + SPARE);
    let mut clients = Vec::new();
    // One client at a time, each waited for (held at the origin, answered, or the line
    // logged), until the line says the listener ran out.
    let deadline = Instant::now() + Duration::from_secs(20);
    while logged(&sink) == 0 {
        assert!(
            clients.len() < 40 && Instant::now() < deadline,
            "never ran out of fds"
        );
        let held = origin.wait("", |_| true).0;
        clients.push(client(lbtop.addr()));
        let last = clients.last().unwrap();
        while origin.wait("", |_| true).0 == held && !last.is_finished() && logged(&sink) == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // Stuck with clients waiting: next to no CPU (a spinning loop would take the whole
    // second), and still running.
    let before = lbtop.cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let used = lbtop.cpu_ticks() - before;
    assert!(
        used <= 10,
        "{used} ticks of CPU in one second while out of fds"
    );
    assert!(lbtop.alive(), "lbtop died out of fds");
    // Once the origin answers, descriptors come back and the waiting clients are served.
    origin.release(usize::MAX);
    for c in clients {
        let status = c.join().unwrap();
        assert!(status.starts_with("HTTP/1.1 "), "a client got {status:?}");
    }
    assert_eq!(client(lbtop.addr()).join().unwrap(), "HTTP/1.1 200 OK");
    assert!(lbtop.alive());
    let lines: Vec<String> = sink
        .lines()
        .into_iter()
        .filter(|l| l.contains(LINE))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    // Emergency severity (local0: facility 16, <128>), as HAProxy sends it.
    assert!(lines[0].starts_with("<128>"), "{}", lines[0]);
    assert!(
        lines[0].ends_with(&format!(
            "{LINE}{}). Please check 'ulimit-n' and restart.",
            baseline + SPARE
        )),
        "{}",
        lines[0]
    );
}
