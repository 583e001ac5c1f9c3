//! The demo lab as a user runs it: `lbtop --headless` on a config whose demo servers serve a
//! folder of their own, the seed's experiment done on disk (`rm health_check.html`), a root
//! that is wrong, and the built-in traffic as it shows in the log lines.

mod common;

use common::{assets_dir, lab_toml, write_config, Ports};
use lbtop::config::Config;
use lbtop::demo::Demo;
use lbtop::engine::Engine;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// `lbtop --headless` started from `cwd`, its stdout lines collected on a thread.
struct Headless {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Headless {
    fn start(config: &Path, cwd: &Path) -> Headless {
        let mut child = Command::new(LBTOP)
            .args(["--headless", "--config"])
            .arg(config)
            .current_dir(cwd)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn lbtop");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Headless {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (15 s at most) for a line that `matches`, durations masked; returns it.
    fn wait_for(&mut self, what: &str, mut matches: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok(line) = self
                .lines
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                let masked = common::mask(&line);
                self.seen.push(masked.clone());
                if matches(&masked) {
                    return masked;
                }
            }
        }
        panic!("no line {what:?}; saw:\n{}", self.seen.join("\n"));
    }

    /// Waits for a line ending with `suffix` (the headless timestamp prefix is free-form).
    fn wait(&mut self, suffix: &str) -> String {
        self.wait_for(suffix, |l| l.ends_with(suffix))
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (10 s at most) until something accepts connections on `addr`.
fn wait_listening(addr: std::net::SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Copies `from` (files and folders) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The lab config with relative roots (`assets/web10`, `assets/web11`).
fn relative_lab(ports: Ports, inter: &str, log_health_checks: bool) -> String {
    let absolute = assets_dir().display().to_string();
    lab_toml(ports, inter, log_health_checks).replace(&absolute, "assets")
}

/// The seed's experiment, on disk: a copy of the demo roots next to the config, lbtop started
/// from another folder, `rm assets/web11/health_check.html`, and HAProxy's lines (measured
/// against HAProxy 2.6 in front of nginx: docs/haproxy-semantics.md, "The demo lab").
#[test]
fn deleting_the_health_page_on_disk_takes_the_server_down_and_restoring_it_brings_it_up() {
    let ports = Ports::new();
    let (dir, path) = write_config("lab.toml", &relative_lab(ports, "200ms", false));
    copy_tree(&assets_dir(), &dir.path().join("assets"));
    let elsewhere = tempfile::tempdir().unwrap();
    let mut lbtop = Headless::start(&path, elsewhere.path());
    // The relative root was found although lbtop runs from another folder.
    let page = dir.path().join("assets/web11/health_check.html");
    let addr = format!("127.0.0.1:{}", ports.web11).parse().unwrap();
    wait_listening(addr);
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(
        rt.block_on(common::get(addr, "/health_check.html")).status,
        200
    );

    let kept = std::fs::read(&page).unwrap();
    std::fs::remove_file(&page).unwrap();
    let reply = rt.block_on(common::get(addr, "/health_check.html"));
    assert_eq!(reply.head.lines().next(), Some("HTTP/1.1 404 Not Found"));
    assert!(
        reply.body.contains("<title>404 Not Found</title>"),
        "{}",
        reply.body
    );
    lbtop.wait("Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");

    std::fs::write(&page, kept).unwrap();
    lbtop.wait("Server hoge/web11 is UP, reason: Layer7 check passed, code: 200, check duration: Nms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
    // The L4 backend only connects: it never saw web11 go down.
    assert!(
        lbtop.seen.iter().all(|l| !l.contains("hoge_l4/web11")),
        "{:#?}",
        lbtop.seen
    );
}

/// A root that does not exist is refused at load, naming the file, the line and `root`.
#[test]
fn a_missing_root_is_a_config_error_naming_the_line() {
    let ports = Ports::new();
    let text = relative_lab(ports, "1s", true);
    let (dir, path) = write_config("lab.toml", &text);
    copy_tree(
        &assets_dir().join("web10"),
        &dir.path().join("assets/web10"),
    );
    let line = 1 + text
        .lines()
        .position(|l| l == "root = \"assets/web11\"")
        .unwrap();
    let out = Command::new(LBTOP)
        .args(["check", "--config"])
        .arg(&path)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let missing = dir.path().join("assets/web11");
    let want = format!(
        "{}:{line}: demo server 'web11': 'root' {}: No such file or directory",
        path.display(),
        missing.display()
    );
    assert_eq!(err.lines().next(), Some(want.as_str()), "{err}");
}

/// Path, status, timers and client address of an httplog line:
/// `127.0.0.2:40000 [date] main hoge/web10 0/0/0/1/1 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`.
struct Logged {
    client: String,
    tr: i64,
    status: u16,
    path: String,
}

fn parse_httplog(line: &str) -> Option<Logged> {
    let (_, rest) = line.split_once("127.0.0.")?;
    let client = format!("127.0.0.{}", rest.split(':').next()?);
    let (_, after_date) = rest.split_once("] main ")?;
    let fields: Vec<&str> = after_date.split(' ').collect();
    let tr = fields.get(1)?.split('/').nth(3)?.parse().ok()?;
    let status = fields.get(2)?.parse().ok()?;
    let (_, request) = line.split_once(" \"GET ")?;
    let path = request.split(' ').next()?.to_string();
    Some(Logged {
        client,
        tr,
        status,
        path,
    })
}

/// The built-in traffic asks pages, a stylesheet, an image, a missing favicon, a folder
/// without its slash and a slow page, from three loopback addresses: all of it in the log.
#[test]
fn demo_traffic_shows_paths_statuses_and_clients_in_the_log() {
    let ports = Ports::new();
    let traffic = "[demo.traffic]\nfrontends = [\"main\"]\nrate = 20\nstart = true\n";
    let (_dir, path) = write_config(
        "lab.toml",
        &format!("{}{traffic}", lab_toml(ports, "1s", false)),
    );
    let mut lbtop = Headless::start(&path, Path::new("/"));
    let want = [
        ("/", 200),
        ("/style.css", 200),
        ("/logo.svg", 200),
        ("/favicon.ico", 404),
        ("/docs", 301),
        ("/docs/", 200),
        ("/slow/", 200),
        ("/index.html", 200),
    ];
    let mut seen = BTreeSet::new();
    let mut clients = BTreeSet::new();
    let mut slow_tr = None;
    lbtop.wait_for("every path and client", |line| {
        let Some(l) = parse_httplog(line) else {
            return false;
        };
        if l.path == "/slow/" {
            slow_tr = Some(l.tr);
        }
        seen.insert((l.path, l.status));
        clients.insert(l.client);
        want.iter()
            .all(|(p, s)| seen.contains(&(p.to_string(), *s)))
            && clients.len() == 3
    });
    let expected: BTreeSet<(String, u16)> = want.iter().map(|(p, s)| (p.to_string(), *s)).collect();
    assert_eq!(seen, expected, "only these paths, with these statuses");
    assert_eq!(
        clients.into_iter().collect::<Vec<_>>(),
        ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    );
    assert!(slow_tr.unwrap() >= 1200, "the slow page's Tr: {slow_tr:?}");
}

/// `option forwardfor except 127.0.0.1` (as in config.toml): the traffic's clients from
/// 127.0.0.2 and 127.0.0.3 get their own `X-Forwarded-For`, the one from 127.0.0.1 none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_traffic_clients_get_their_own_forwarded_for() {
    let ports = Ports::new();
    let text = lab_toml(ports, "1s", false).replace("127.0.0.0/8", "127.0.0.1");
    let traffic = "[demo.traffic]\nfrontends = [\"main\"]\nrate = 20\nstart = true\n";
    let (_dir, path) = write_config("lab.toml", &format!("{text}{traffic}"));
    let config = Arc::new(Config::load(&path).expect("valid"));
    let (tx, mut rx) = lbtop::events::channel();
    let engine = Engine::start(config.clone(), tx.clone())
        .await
        .expect("engine starts");
    let mut demo = Demo::start(&config, tx)
        .await
        .expect("demo")
        .expect("a demo");
    let mut seen = std::collections::BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while seen.len() < 3 {
        let record = tokio::time::timeout_at(deadline, rx.sessions.recv())
            .await
            .unwrap_or_else(|_| panic!("three clients within 15 s: {seen:?}"))
            .expect("channel open");
        seen.insert(record.client.ip().to_string(), record.forwarded_for);
    }
    let seen: Vec<(String, Option<String>)> = seen.into_iter().collect();
    assert_eq!(
        seen,
        [
            ("127.0.0.1".to_string(), None),
            ("127.0.0.2".to_string(), Some("127.0.0.2".to_string())),
            ("127.0.0.3".to_string(), Some("127.0.0.3".to_string())),
        ]
    );
    demo.stop();
    engine.shutdown().await;
}

/// What a demo server answers, as Apache does: a folder without its slash is a 301 to the
/// slashed path on the Host asked for, then its index; a missing file is a 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_server_redirects_a_folder_and_answers_404_like_apache() {
    let lab = common::Lab::start("1s", true).await;
    let web10 = format!("127.0.0.1:{}", lab.ports.web10).parse().unwrap();
    let reply = common::get(web10, "/docs").await;
    assert_eq!(
        reply.head.lines().next(),
        Some("HTTP/1.1 301 Moved Permanently")
    );
    assert_eq!(reply.header("location"), Some("http://lab/docs/"));
    assert!(
        reply.body.contains("<a href=\"http://lab/docs/\">here</a>"),
        "{}",
        reply.body
    );
    let reply = common::get(web10, "/docs/").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.contains("<h1>web10: docs</h1>"),
        "{}",
        reply.body
    );
    let reply = common::get(web10, "/favicon.ico").await;
    assert_eq!(reply.head.lines().next(), Some("HTTP/1.1 404 Not Found"));
    assert_eq!(
        reply.body,
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n"
    );
    assert_eq!(common::get(web10, "/../config.toml").await.status, 404);
    lab.stop().await;
}
