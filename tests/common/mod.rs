//! Shared test support: a lab of real sockets on 127.0.0.1 (lbtop's engine plus its demo web
//! servers), free ports, a tiny raw HTTP client, and waiting for exact log lines.
#![allow(dead_code)]

pub mod backend;
pub mod cli;
pub mod cut;
pub mod dashboard;
pub mod echo;
pub mod load;
pub mod proxy;
pub mod term;
pub mod wire;

use lbtop::config::Config;
use lbtop::demo::Demo;
use lbtop::engine::{Engine, Handle};
use lbtop::events::{self, Command, Event, EventReceiver, Snapshot};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A port nobody is listening on right now. It is drawn below the kernel's ephemeral range
/// (32768 and up), so no outgoing connection can take it between now and its use, and never
/// twice in one test process: lbtop binds with SO_REUSEPORT (as HAProxy does), so two tests
/// given the same port would silently share it.
pub fn free_port() -> u16 {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mix = (seed ^ n.wrapping_mul(0x9E37_79B9)).wrapping_mul(0x85EB_CA6B);
        let port = 20_000 + (mix % 12_000) as u16;
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        let given = given.get_or_insert_with(HashSet::new);
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
}

/// Ports for one lab: two demo servers, an HTTP and a TCP frontend.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub web10: u16,
    pub web11: u16,
    pub http: u16,
    pub tcp: u16,
}

impl Ports {
    pub fn new() -> Ports {
        Ports {
            web10: free_port(),
            web11: free_port(),
            http: free_port(),
            tcp: free_port(),
        }
    }
}

/// The seed's set-up on free ports, with a fast check interval so tests run in seconds.
pub fn lab_toml(p: Ports, inter: &str, log_health_checks: bool) -> String {
    // Both backends balance over the same two servers, checked alike.
    let servers: String = [("web10", p.web10), ("web11", p.web11)]
        .iter()
        .map(|(name, port)| {
            format!(
                "[[backend.server]]\nname = \"{name}\"\naddress = \"127.0.0.1:{port}\"\ncheck = true\ninter = \"{inter}\"\nfall = 2\nrise = 2\n"
            )
        })
        .collect();
    format!(
        r#"
[defaults]
mode = "http"
retries = 3
[defaults.option]
log-health-checks = {log_health_checks}
httplog = true
http-server-close = true
forwardfor = {{ except = "127.0.0.0/8" }}
redispatch = true
[defaults.timeout]
connect = "1s"
client = "5s"
server = "5s"
check = "1s"

[[frontend]]
name = "main"
bind = "127.0.0.1:{http}"
default_backend = "hoge"

[[frontend]]
name = "main_l4"
bind = "127.0.0.1:{tcp}"
mode = "tcp"
default_backend = "hoge_l4"

[[backend]]
name = "hoge"
httpchk = {{ method = "GET", path = "/health_check.html", version = "HTTP/1.0", headers = {{ "User-agent" = "Proxy-Check" }} }}
{servers}
[[backend]]
name = "hoge_l4"
mode = "tcp"
{servers}
[demo]
[[demo.server]]
name = "web10"
bind = "127.0.0.1:{web10}"
root = "{assets}/web10"
[[demo.server]]
name = "web11"
bind = "127.0.0.1:{web11}"
root = "{assets}/web11"
"#,
        http = p.http,
        tcp = p.tcp,
        web10 = p.web10,
        web11 = p.web11,
        assets = assets_dir().display(),
        servers = servers,
    )
}

pub fn assets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// Writes a config file into a fresh temporary folder; keep the guard alive while it is used.
pub fn write_config(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

/// A running engine with its demo servers and event stream.
pub struct Lab {
    pub ports: Ports,
    pub engine: Option<Engine>,
    pub handle: Handle,
    pub demo: Demo,
    pub rx: EventReceiver,
    /// Every log line seen so far, in order.
    pub lines: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Lab {
    pub async fn start(inter: &str, log_health_checks: bool) -> Lab {
        let ports = Ports::new();
        let (dir, path) = write_config("lab.toml", &lab_toml(ports, inter, log_health_checks));
        let config = Arc::new(Config::load(&path).expect("lab config is valid"));
        let (tx, rx) = events::channel();
        let demo = Demo::start(&config, tx.clone())
            .await
            .expect("demo servers start")
            .expect("config has a demo");
        let engine = Engine::start(config, tx).await.expect("engine starts");
        Lab {
            ports,
            handle: engine.handle(),
            engine: Some(engine),
            demo,
            rx,
            lines: Vec::new(),
            _dir: dir,
        }
    }

    pub fn http_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ports.http))
    }

    pub fn tcp_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ports.tcp))
    }

    pub async fn demo(&mut self, command: Command) {
        self.demo.apply(&command).await.expect("demo command");
    }

    /// Waits until a log line equal to `expected` arrives (durations masked as `Nms`, see
    /// [`mask`]); returns every line seen meanwhile, masked.
    pub async fn wait_line(&mut self, expected: &str, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = tokio::time::timeout(left, self.rx.events.recv()).await;
            match event {
                Ok(Some(Event::Log(line))) => {
                    let text = mask(&line.text);
                    self.lines.push(text.clone());
                    seen.push(text.clone());
                    if text == expected {
                        return seen;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!(
                    "no line {expected:?} within {within:?}; saw:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    /// Waits until `probe` holds for a snapshot.
    pub async fn wait_snapshot(&self, what: &str, probe: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let snap = self.handle.snapshot();
            if probe(&snap) {
                return snap;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {snap:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Status text of a server, as the dashboard shows it.
    pub fn status(&self, backend: usize, server: usize) -> String {
        self.handle.snapshot().backends[backend].servers[server]
            .status
            .to_string()
    }

    pub async fn stop(mut self) {
        self.demo.stop();
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
        }
    }
}

/// A response as a client sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    /// A header's value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Which demo server answered.
    pub fn server(&self) -> &str {
        self.header("x-server").unwrap_or("?")
    }
}

/// One request on its own connection (`connection: close`), read to the end.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    let request = format!("GET {path} HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n");
    let raw = exchange(addr, request.as_bytes()).await;
    parse_reply(&raw)
}

/// Sends bytes on a fresh connection, half-closes, and reads everything back.
pub async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let work = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(bytes).await.expect("write");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.expect("read");
        out
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("exchange finished in time")
}

pub fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// Replaces the one part of a health line that varies run to run: `check duration: 13ms`
/// becomes `check duration: Nms`.
pub fn mask(line: &str) -> String {
    const KEY: &str = "check duration: ";
    let Some(at) = line.find(KEY) else {
        return line.to_string();
    };
    let start = at + KEY.len();
    let digits = line[start..].bytes().take_while(u8::is_ascii_digit).count();
    format!("{}N{}", &line[..start], &line[start + digits..])
}
