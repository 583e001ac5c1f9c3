//! A fixed, made-up run of the default lab for the tests: frontends `main`
//! (http, 127.0.0.1:8080) and `main_l4` (tcp, 127.0.0.1:8081) in front of `hoge` and
//! `hoge_l4`, each with web10 (127.0.0.1:8010) and web11 (127.0.0.1:8011). Five and a half
//! minutes of demo traffic; at 3:30 web11's `health_check.html` is deleted, so `hoge` (HTTP
//! check) takes web11 DOWN while `hoge_l4` (TCP check) keeps it UP.
//!
//! Everything comes from a fixed seed and a fixed clock: the same call draws the same screen.
//!
//! Test data, compiled only with the `fixture` feature (the tests).

use super::app::App;
use super::log_pane;
use super::theme::Theme;
use super::UiOptions;
use crate::config::{Balance, Config, Mode};
use crate::events::{
    BackendSnap, CheckKind, CheckSnap, FrontendSnap, Latency, Level, ServerId, ServerSnap,
    ServerStatus, SessionRecord, Snapshot, Termination,
};
use crate::keys::View;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the made-up run lasts, in seconds.
pub const RUN_SECS: u64 = 330;
/// When web11's health page goes away (the first failing check), in seconds.
pub const PAGE_DELETED: u64 = 204;
/// When `hoge` marks web11 DOWN (fall 2, inter 3s).
pub const WEB11_DOWN: u64 = 210;
/// The wall clock the fixture's log lines show.
pub const CLOCK: &str = "08:42:17";

const SEED: u64 = 0x1b70_9e5e_ed00_2024;

/// The lab as `config.toml` writes it (demo roots are not read).
pub const LAB_TOML: &str = r#"
[global]
maxconn = 4000

[defaults]
mode = "http"
maxconn = 3000
[defaults.option]
log-health-checks = true
httplog = true
http-server-close = true
forwardfor = { except = "127.0.0.0/8" }
redispatch = true

[[frontend]]
name = "main"
bind = "127.0.0.1:8080"
default_backend = "hoge"

[[frontend]]
name = "main_l4"
bind = "127.0.0.1:8081"
mode = "tcp"
default_backend = "hoge_l4"

[[backend]]
name = "hoge"
httpchk = { method = "GET", path = "/health_check.html", version = "HTTP/1.0" }
[[backend.server]]
name = "web10"
address = "127.0.0.1:8010"
check = true
inter = "3s"
fall = 2
rise = 2
[[backend.server]]
name = "web11"
address = "127.0.0.1:8011"
check = true
inter = "3s"
fall = 2
rise = 2

[[backend]]
name = "hoge_l4"
mode = "tcp"
[[backend.server]]
name = "web10"
address = "127.0.0.1:8010"
check = true
inter = "3s"
[[backend.server]]
name = "web11"
address = "127.0.0.1:8011"
check = true
inter = "3s"
"#;

pub fn lab_config() -> Arc<Config> {
    Arc::new(Config::parse(Path::new("lab.toml"), LAB_TOML).expect("the fixture's config parses"))
}

pub fn options() -> UiOptions {
    UiOptions {
        refresh: Duration::from_millis(250),
        read_only: false,
        demo_servers: vec![
            ("web10".into(), addr("127.0.0.1:8010")),
            ("web11".into(), addr("127.0.0.1:8011")),
        ],
        traffic_running: true,
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("fixture address")
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Roughly log-normal around `median` (a product of uniform factors).
    fn latency(&mut self, median_us: u64) -> Duration {
        let mut f = 1.0f64;
        for _ in 0..3 {
            f *= 0.6 + (self.below(1000) as f64 / 1000.0) * 0.9;
        }
        // A slow tail: one in fifty takes several times longer.
        if self.below(50) == 0 {
            f *= 3.0 + self.below(5) as f64;
        }
        Duration::from_micros((median_us as f64 * f) as u64)
    }
}

/// Per-second traffic over the whole run, so any instant's counters are exact sums.
struct Timeline {
    /// HTTP requests per second that reached web10 and web11 (hoge).
    http: Vec<[u64; 2]>,
    /// TCP connections per second to web10 and web11 (hoge_l4).
    tcp: Vec<[u64; 2]>,
    /// Of the HTTP requests: 3xx and 4xx.
    http_3xx: Vec<[u64; 2]>,
    http_4xx: Vec<[u64; 2]>,
}

const HTTP_IN: u64 = 92;
const HTTP_OUT: u64 = 486;
const TCP_IN: u64 = 78;
const TCP_OUT: u64 = 1_302;

fn timeline() -> Timeline {
    let mut rng = Rng(SEED);
    let mut t = Timeline {
        http: Vec::new(),
        tcp: Vec::new(),
        http_3xx: Vec::new(),
        http_4xx: Vec::new(),
    };
    for s in 0..=RUN_SECS {
        // Two bursts of browsing on top of the demo generator's steady trickle.
        let burst = if (60..110).contains(&s) || (250..290).contains(&s) {
            12
        } else {
            0
        };
        let n = 14 + rng.below(7) + burst;
        let http = if s < WEB11_DOWN {
            [n.div_ceil(2), n / 2]
        } else {
            [n, 0]
        };
        let c = 4 + rng.below(4);
        t.tcp.push([c.div_ceil(2), c / 2]);
        let redirects = http.map(|k| u64::from(k > 0 && rng.below(40) == 0));
        let missing = http.map(|k| u64::from(k > 0 && rng.below(30) == 0));
        t.http.push(http);
        t.http_3xx.push(redirects);
        t.http_4xx.push(missing);
    }
    t
}

fn sum(v: &[[u64; 2]], upto: u64, i: usize) -> u64 {
    v.iter().take(upto as usize + 1).map(|x| x[i]).sum()
}

fn check(kind: CheckKind, code: Option<u16>, ms: u64) -> Option<CheckSnap> {
    Some(CheckSnap::new(kind, code, Duration::from_millis(ms)))
}

fn server(name: &str, at: &str) -> ServerSnap {
    ServerSnap::idle(name, addr(at))
}

/// The lab's counters and states `at` seconds into the run. Latency histograms are filled
/// only when `latency` is set (they are the costly part and only the last frame shows them).
pub fn snapshot_at(at: u64, latency: bool) -> Snapshot {
    let tl = timeline();
    let at = at.min(RUN_SECS);
    let uptime = Duration::from_secs(at);
    let mut rng = Rng(SEED ^ 0x5eed);

    let mut hoge = Vec::new();
    for (i, (name, a)) in [("web10", "127.0.0.1:8010"), ("web11", "127.0.0.1:8011")]
        .into_iter()
        .enumerate()
    {
        let mut s = server(name, a);
        let n = sum(&tl.http, at, i);
        let r3 = sum(&tl.http_3xx, at, i);
        let r4 = sum(&tl.http_4xx, at, i);
        s.total_sessions = n;
        s.lbtot = n;
        s.bytes_in = n * HTTP_IN;
        s.bytes_out = n * HTTP_OUT;
        s.http_responses = [0, n - r3 - r4, r3, r4, 0, 0];
        s.max_sessions = [4, 3][i];
        s.cur_sessions = u64::from(i == 0 && at.is_multiple_of(3));
        s.last_check = check(CheckKind::L7Ok, Some(200), 1);
        s.since_change = uptime;
        if latency {
            let median = [1_700, 2_300][i];
            let samples: Vec<Duration> = (0..n).map(|_| rng.latency(median)).collect();
            s.latency = Latency::from_samples(&samples);
        }
        hoge.push(s);
    }
    let web11 = &mut hoge[1];
    if at >= PAGE_DELETED {
        web11.last_check = check(CheckKind::L7Sts, Some(404), 1);
        web11.failed_checks = (at - PAGE_DELETED) / 3 + 1;
    }
    if at >= WEB11_DOWN {
        web11.status = ServerStatus::Down;
        web11.since_change = Duration::from_secs(at - WEB11_DOWN);
        web11.down_transitions = 1;
        web11.downtime = Duration::from_secs(at - WEB11_DOWN);
        // Only the checks that moved the health counter count as failures.
        web11.failed_checks = 2;
    } else if at >= PAGE_DELETED {
        web11.status = ServerStatus::GoingDown { x: 1, y: 2 };
        web11.since_change = Duration::from_secs(at - PAGE_DELETED);
    }

    let mut l4 = Vec::new();
    for (i, (name, a)) in [("web10", "127.0.0.1:8010"), ("web11", "127.0.0.1:8011")]
        .into_iter()
        .enumerate()
    {
        let mut s = server(name, a);
        let n = sum(&tl.tcp, at, i);
        s.total_sessions = n;
        s.lbtot = n;
        s.bytes_in = n * TCP_IN;
        s.bytes_out = n * TCP_OUT;
        s.max_sessions = [2, 2][i];
        s.cur_sessions = u64::from(at % 2 == i as u64);
        s.last_check = check(CheckKind::L4Ok, None, 0);
        s.since_change = uptime;
        if latency {
            let median = [11_000, 12_500][i];
            let samples: Vec<Duration> = (0..n).map(|_| rng.latency(median)).collect();
            s.latency = Latency::from_samples(&samples);
        }
        l4.push(s);
    }

    let backend = |name: &str, mode, servers: Vec<ServerSnap>| {
        let mut latency = Latency::default();
        for s in &servers {
            latency.merge(&s.latency);
        }
        BackendSnap {
            name: name.into(),
            mode,
            balance: Balance::RoundRobin,
            total_sessions: servers.iter().map(|s| s.total_sessions).sum(),
            cur_sessions: servers.iter().map(|s| s.cur_sessions).sum(),
            queue: 0,
            denied_req: 0,
            denied_resp: 0,
            http_responses: [0; 6],
            since_change: Duration::ZERO,
            down_transitions: 0,
            downtime: Duration::ZERO,
            latency,
            servers,
        }
    };
    let hoge = backend("hoge", Mode::Http, hoge);
    let l4 = backend("hoge_l4", Mode::Tcp, l4);
    let frontend = |name: &str, mode, bind: &str, b: usize, be: &BackendSnap, bin, bout| {
        let total = be.total_sessions;
        FrontendSnap {
            name: name.into(),
            mode,
            binds: vec![addr(bind)],
            backend: b,
            cur_conns: be.cur_sessions,
            max_conns: be.servers.iter().map(|s| s.max_sessions).sum(),
            limit_conns: 3000,
            total_conns: total,
            total_requests: if mode == Mode::Http { total } else { 0 },
            bytes_in: total * bin,
            bytes_out: total * bout,
            http_responses: [0; 6],
            intercepted: 0,
            req_errors: 0,
            denied_req: 0,
            denied_resp: 0,
            denied_conn: 0,
        }
    };
    let frontends = vec![
        frontend(
            "main",
            Mode::Http,
            "127.0.0.1:8080",
            0,
            &hoge,
            HTTP_IN,
            HTTP_OUT,
        ),
        frontend(
            "main_l4",
            Mode::Tcp,
            "127.0.0.1:8081",
            1,
            &l4,
            TCP_IN,
            TCP_OUT,
        ),
    ];
    Snapshot {
        uptime,
        cur_conns: frontends.iter().map(|f| f.cur_conns).sum(),
        frontends,
        backends: vec![hoge, l4],
        maxconn: 4000,
        sessions_dropped: 0,
        logs_dropped: 0,
    }
}

/// When the fixture's sessions started: a fixed wall clock.
fn start_time(secs: u64) -> SystemTime {
    // 2025-11-25 08:36:47 UTC, so the run ends at 08:42:17.
    UNIX_EPOCH + Duration::from_secs(1_764_059_807 + secs)
}

/// The last requests through `main` (all to web10, since web11 is DOWN in `hoge`) and the
/// last connections through `main_l4` (alternating, since TCP checks still pass).
pub fn decisions() -> Vec<SessionRecord> {
    let mut rng = Rng(SEED ^ 0xdec1);
    let pages = [
        "GET / HTTP/1.1",
        "GET /index.html HTTP/1.1",
        "GET /about.html HTTP/1.1",
        "GET /index.html HTTP/1.1",
        "GET /img/logo.png HTTP/1.1",
        "GET /missing.html HTTP/1.1",
    ];
    let mut out = Vec::new();
    for i in 0..40u64 {
        let lan = i % 9 == 4;
        let client = if lan {
            addr(&format!("192.168.1.23:{}", 51_000 + i * 3))
        } else {
            addr(&format!("127.0.0.1:{}", 40_000 + i * 7))
        };
        let page = pages[rng.below(pages.len() as u64) as usize];
        let status = if page.contains("missing") { 404 } else { 200 };
        let ta = 1 + rng.below(4) as i64;
        out.push(SessionRecord {
            config: None,
            frontend: 0,
            backend: 0,
            server: Some(0),
            client,
            start: start_time(RUN_SECS - 40 + i),
            timers: [0, 0, 0, ta - 1, ta],
            status: Some(status),
            bytes_out: if status == 200 { HTTP_OUT } else { 212 },
            bytes_in: HTTP_IN,
            log_bytes_in: None,
            termination: Termination::NORMAL,
            retries: 0,
            redispatched: false,
            request: Some(page.into()),
            reused: false,
            forwarded_for: lan.then(|| "192.168.1.23".to_string()),
            process_conns: 1,
            backend_queue: 0,
            backend_conns: 0,
            server_conns: 0,
            frontend_conns: 1,
            stats_page: None,
            service: None,
            by_frontend: false,
            rule_line: None,
            tls: None,
            from_server: true,
            cookie_flags: *b"--",
            captures: None,
            frontend_addr: None,
            backend_source: None,
            counter: 0,
            log_count: 0,
            unique_id: None,
        });
        let tt = 9 + rng.below(8) as i64;
        out.push(SessionRecord {
            config: None,
            frontend: 1,
            backend: 1,
            server: Some((i % 2) as usize),
            client: addr(&format!("127.0.0.1:{}", 46_000 + i * 5)),
            start: start_time(RUN_SECS - 40 + i),
            timers: [-1, 0, 0, -1, tt],
            status: None,
            bytes_out: TCP_OUT + rng.below(40),
            bytes_in: TCP_IN,
            log_bytes_in: None,
            termination: Termination::NORMAL,
            retries: 0,
            redispatched: false,
            request: None,
            reused: false,
            forwarded_for: None,
            process_conns: 1,
            backend_queue: 0,
            backend_conns: 0,
            server_conns: 0,
            frontend_conns: 1,
            stats_page: None,
            service: None,
            by_frontend: false,
            rule_line: None,
            tls: None,
            from_server: true,
            cookie_flags: *b"--",
            captures: None,
            frontend_addr: None,
            backend_source: None,
            counter: 0,
            log_count: 0,
            unique_id: None,
        });
    }
    out
}

/// The lab at the end of the run, on `view`, with hoge/web11 selected.
pub fn lab_app(theme: Theme, view: View) -> App {
    let mut app = App::new(&options(), theme).with_config(lab_config());
    app.log_mut().freeze_clock(CLOCK);
    app.freeze_trail_clock(CLOCK);
    let base = Instant::now();
    for t in 0..=RUN_SECS {
        let snap = snapshot_at(t, t == RUN_SECS);
        app.update(snap, base + Duration::from_secs(t));
    }
    for r in decisions() {
        app.on_session(r);
    }
    // Select hoge/web11: the server this story is about.
    let web11 = ServerId {
        backend: 0,
        server: 1,
    };
    while app.servers().selected().is_some_and(|id| id != web11) {
        let before = app.servers().selected();
        app.on_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Down,
        ));
        if app.servers().selected() == before {
            break;
        }
    }
    app.view = view;
    app
}

/// What the lab logged during the run, put into tui-logger's buffer (it is global: call once).
pub fn lab_log_lines() {
    #[rustfmt::skip]
    let lines: [(Level, &str, &str); 8] = [
        (Level::Notice, "health", "Health check for server hoge/web10 succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 2/2 UP."),
        (Level::Notice, "health", "Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 2/2 UP."),
        (Level::Notice, "system", "demo: web11: health_check.html deleted"),
        (Level::Notice, "health", "Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: 1ms, status: 1/2 UP."),
        (Level::Notice, "health", "Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: 1ms, status: 0/2 DOWN."),
        (Level::Alert, "health", "Server hoge/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."),
        (Level::Info, "traffic", "127.0.0.1:40273 [25/Nov/2026:08:42:16.412] main hoge/web10 0/0/0/1/2 200 486 - - ---- 1/1/0/0/0 0/0 \"GET /index.html HTTP/1.1\""),
        (Level::Info, "traffic", "127.0.0.1:46195 [25/Nov/2026:08:42:16.907] main_l4 hoge_l4/web11 0/0/12 1302 -- 1/1/0/0/0 0/0"),
    ];
    for topic in log_pane::TOPICS {
        tui_logger::set_level_for_target(topic.as_str(), log::LevelFilter::Debug);
    }
    // As if the user had pressed `c`: the fixture's log has traffic lines.
    log_pane::set_traffic_capture(true);
    for (level, topic, text) in lines {
        log_pane::inject(level, topic, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_tells_the_story() {
        let end = snapshot_at(RUN_SECS, false);
        let hoge = &end.backends[0];
        assert_eq!(hoge.servers[1].status, ServerStatus::Down);
        assert_eq!(end.backends[1].servers[1].status, ServerStatus::Up);
        assert_eq!(hoge.up_label(), "1/2 UP");
        // Deterministic.
        assert_eq!(snapshot_at(100, false), snapshot_at(100, false));
        let mid = snapshot_at(PAGE_DELETED + 1, false);
        assert_eq!(
            mid.backends[0].servers[1].status,
            ServerStatus::GoingDown { x: 1, y: 2 }
        );
        assert!(lab_config().frontends.len() == 2);
        assert_eq!(decisions().len(), 80);
    }
}
