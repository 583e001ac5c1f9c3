//! The command-line contract: `check`, config errors, `--headless`, and bind failures.

mod common;

use common::{lab_toml, write_config, Ports};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

fn lbtop(args: &[&str]) -> std::process::Output {
    Command::new(LBTOP).args(args).output().expect("run lbtop")
}

#[test]
fn check_prints_what_it_understood_of_the_default_config() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml");
    let out = lbtop(&["check", "--config", config]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for expected in [
        "frontend main",
        "127.0.0.1:8080",
        "frontend main_l4",
        "backend hoge",
        "httpchk GET /health_check.html HTTP/1.0 (User-agent: Proxy-Check)",
        "server web10  127.0.0.1:8010  weight 1  check inter 3s fall 2 rise 2",
        "server web11  127.0.0.1:8011  weight 1  check inter 3s fall 2 rise 2",
        "Configuration file is valid",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn config_errors_name_file_line_and_keyword_and_exit_2() {
    let bad = "[[frontend]]\nname = \"main\"\nbind = \"127.0.0.1:8080\"\ndefault_backend = \"hoge\"\n\n[[backend]]\nname = \"hoge\"\n[[backend.server]]\nname = \"web10\"\naddress = \"127.0.0.1:8010\"\ninetr = \"3s\"\n";
    let (_dir, path) = write_config("bad.toml", bad);
    let out = lbtop(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!("{}:11: unknown key 'inetr'", path.display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.contains("did you mean 'inter'?"), "{err}");
    // Running (not just checking) a bad config fails the same way.
    let out = lbtop(&["--headless", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let out = lbtop(&["check", "--config", "/nonexistent/lbtop.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("/nonexistent/lbtop.toml:0: cannot read"),
        "{err}"
    );
}

#[test]
fn bind_failure_names_frontend_and_address_and_exits_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut ports = Ports::new();
    ports.http = port;
    let (_dir, path) = write_config("lab.toml", &lab_toml(ports, "1s", true));
    let out = lbtop(&["--headless", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!("lbtop: frontend 'main': cannot bind 127.0.0.1:{port}: Address already in use (os error 98)")
    );
}

/// Starts `lbtop --headless`, collects its stdout lines on a thread.
struct Headless {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Headless {
    fn start(config: &std::path::Path) -> Headless {
        let mut child = Command::new(LBTOP)
            .args(["--headless", "--config", config.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn lbtop");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Headless {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line ending with `suffix` (the timestamp prefix is free-form).
    fn wait(&mut self, suffix: &str) {
        self.wait_for(suffix, |l| l.ends_with(suffix));
    }

    fn wait_for(&mut self, what: &str, matches: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let masked = common::mask(&line);
                self.seen.push(masked.clone());
                if matches(&masked) {
                    return;
                }
            }
        }
        panic!("no line {what:?}; saw:\n{}", self.seen.join("\n"));
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("lbtop did not exit on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn headless_prints_haproxy_lines_and_exits_0_on_sigterm() {
    let ports = Ports::new();
    let (_dir, path) = write_config("lab.toml", &lab_toml(ports, "200ms", true));
    let mut lbtop = Headless::start(&path);
    lbtop.wait("Health check for server hoge/web10 succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 2/2 UP.");
    lbtop.wait("Health check for server hoge_l4/web11 succeeded, reason: Layer4 check passed, check duration: Nms, status: 2/2 UP.");
    let addr = format!("127.0.0.1:{}", ports.http);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reply = rt.block_on(common::get(addr.parse().unwrap(), "/x"));
    assert_eq!(reply.status, 404);
    lbtop.wait_for("the httplog line", |l| {
        l.contains(" [")
            && l.contains("] main hoge/web10 ")
            && l.contains(" 404 ")
            && l.ends_with(" - - ---- 1/1/0/0/0 0/0 \"GET /x HTTP/1.1\"")
    });
    let status = lbtop.terminate();
    assert_eq!(status.code(), Some(0));
    // The listener is closed: nothing answers on the frontend any more.
    assert!(std::net::TcpStream::connect(&addr).is_err());
}
