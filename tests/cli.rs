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

/// `lbtop check` (exit 2, nothing on stdout) on `text` written as `name`: its stderr with the
/// file's path written as `F`.
fn check_errors(name: &str, text: &str) -> String {
    let (_dir, path) = write_config(name, text);
    let p = path.to_str().unwrap();
    let out = lbtop(&["check", "--config", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).replace(p, "F")
}

#[test]
fn check_lists_every_haproxy_error_and_warning_in_file_order_then_a_count() {
    let cfg = "global\n    maxcon 100\n\ndefaults\n    mode http\n    timeout client 5s\n    \
               tiemout server 5s\n\nfrontend main\n    bind 127.0.0.1:1\n    retries 3\n    \
               default_backend app\n\nbackend app\n    server s1 127.0.0.1:2 check inetr 2s\n";
    assert_eq!(
        check_errors("three.cfg", cfg),
        "F:2: unknown keyword 'maxcon' in 'global' section; did you mean 'maxconn'?\n\
         F:7: unknown keyword 'tiemout' in 'defaults' section; did you mean 'timeout'?\n\
         F:11: warning: 'retries' ignored because frontend 'main' has no backend capability\n\
         F:15: backend 'app': server 's1': unknown keyword 'inetr'; did you mean 'inter'?\n\
         lbtop: 3 errors and 1 warning in F\n"
    );
    // Running it is refused the same way, every error listed, before anything listens.
    let (_dir, path) = write_config("three.cfg", cfg);
    let out = lbtop(&["--headless", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.ends_with(
            "lbtop: 3 errors and 1 warning in {}\n"
                .replace("{}", path.to_str().unwrap())
                .as_str()
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 5, "{err}");
}

#[test]
fn one_bad_line_does_not_echo_into_bogus_errors() {
    // A section lbtop refuses: its lines are not errors of their own; the next section's are.
    let cfg = "peers mesh\n    peer lb1 127.0.0.1:1024\n    peer lb2 127.0.0.1:1025\n\n\
               backend app\n    server s1 127.0.0.1:2 chekc\n";
    assert_eq!(
        check_errors("sections.cfg", cfg),
        "F:1: 'peers' sections are not supported by lbtop\n\
         F:6: backend 'app': server 's1': unknown keyword 'chekc'; did you mean 'check'?\n\
         lbtop: 2 errors and 0 warnings in F\n"
    );
    // A proxy with a wrong name still opens, as in HAProxy: its lines are read in it.
    let cfg = "backend b@d\n    balance roundrobin\n    server s1 127.0.0.1:2 chekc\n";
    let err = check_errors("name.cfg", cfg);
    assert!(
        err.starts_with("F:1: character '@' is not permitted"),
        "{err}"
    );
    assert!(
        err.contains("\nF:3: backend 'b@d': server 's1': unknown keyword 'chekc'"),
        "{err}"
    );
    assert!(
        err.ends_with("lbtop: 2 errors and 0 warnings in F\n"),
        "{err}"
    );
    // The checks after reading (a backend found, a bind) run only on a file that read cleanly
    // (HAProxy: "Fatal errors found" before its own), so a typo does not bring theirs along.
    let cfg =
        "frontend main\n    bind 127.0.0.1:1\n    default_backend nope\n    opton httplog\n\n\
               frontend other\n    default_backend nope2\n";
    assert_eq!(
        check_errors("post.cfg", cfg),
        "F:4: unknown keyword 'opton' in 'frontend' section; did you mean 'option'?\n\
         lbtop: 1 error and 0 warnings in F\n"
    );
    let err = check_errors("post.cfg", &cfg.replace("    opton httplog\n", ""));
    assert!(
        err.starts_with("F:3: frontend 'main': unable to find required default_backend: 'nope'\n"),
        "{err}"
    );
    assert!(
        err.contains("\nF:5: frontend 'other' has no 'bind' line"),
        "{err}"
    );
    assert!(
        err.ends_with("lbtop: 2 errors and 0 warnings in F\n"),
        "{err}"
    );
}

#[test]
fn check_lists_every_toml_error() {
    // Every misspelt key, a misspelt required one (`nmae`) included, without its echo
    // ("missing required key 'name'").
    let toml = "[defaults]\nmode = \"http\"\nretires = 3\n\n[[frontend]]\nname = \"main\"\n\
                bind = \"127.0.0.1:1\"\ndefault_backend = \"hoge\"\nmaxcon = 10\n\n[[backend]]\n\
                name = \"hoge\"\n[[backend.server]]\nname = \"web10\"\naddress = \"127.0.0.1:2\"\n\
                inetr = \"3s\"\n[[backend.server]]\nnmae = \"web11\"\naddress = \"127.0.0.1:3\"\n";
    assert_eq!(
        check_errors("typos.toml", toml),
        "F:3: unknown key 'retires' in [defaults], did you mean 'retries'?\n\
         F:9: unknown key 'maxcon' in [[frontend]], did you mean 'maxconn'?\n\
         F:16: unknown key 'inetr' in [[backend.server]], did you mean 'inter'?\n\
         F:18: unknown key 'nmae' in [[backend.server]], did you mean 'name'?\n\
         lbtop: 4 errors and 0 warnings in F\n"
    );
    // Values wrong in several parts; the frontend of a backend in error is not blamed for it.
    let toml =
        "[[frontend]]\nname = \"main\"\nbind = \"127.0.0.1:1\"\ndefault_backend = \"bad\"\n\n\
                [[backend]]\nname = \"bad\"\nmode = \"tpc\"\n\n[[backend]]\nname = \"ok\"\n\
                balance = \"roundrobn\"\n\n[ui]\nrefresh = \"fast\"\n";
    let err = check_errors("values.toml", toml);
    let lines: Vec<&str> = err
        .lines()
        .map(|l| l.split(':').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        lines,
        ["8", "12", "15", " 3 errors and 0 warnings in F"],
        "{err}"
    );
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let out = lbtop(&["check", "--config", "/nonexistent/lbtop.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("/nonexistent/lbtop.toml: cannot read"),
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
