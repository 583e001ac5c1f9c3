//! The dashboard's server actions of issue #15, on an [`App`] fed hand-made snapshots and
//! drawn on ratatui's TestBackend: the detail pane (Enter), typed weights (`w`), actions on
//! a whole backend from its BACKEND row, and drain-then-maintenance (`M`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lbtop::config::{Balance, Config, Mode};
use lbtop::events::{
    AdminState, BackendSnap, CheckKind, CheckSnap, Command, Event, FrontendSnap, Latency, Level,
    LogLine, ServerId, ServerSnap, ServerStatus, Snapshot, Topic,
};
use lbtop::ui::{draw, App, Row, Theme, UiOptions};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WEB10: ServerId = ServerId {
    backend: 0,
    server: 0,
};
const WEB11: ServerId = ServerId {
    backend: 0,
    server: 1,
};

/// The configuration the snapshots below come from: web10's configured weight is 10.
const CFG: &str = "\
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend main
  bind 127.0.0.1:8080
  default_backend hoge
backend hoge
  option httpchk GET /health_check.html HTTP/1.0
  http-check expect status 200
  server web10 127.0.0.1:8001 weight 10 check inter 2s rise 2 fall 3
  server web11 127.0.0.1:8002 check inter 2s fastinter 500ms rise 2 fall 3 port 9000 maxconn 30
backend hoge_l4
  mode tcp
  server db1 127.0.0.1:9001 check
";

fn server(name: &str, port: u16, status: ServerStatus, check: Option<CheckSnap>) -> ServerSnap {
    ServerSnap {
        status,
        last_check: check,
        since_change: Duration::from_secs(5),
        ..ServerSnap::idle(name, format!("127.0.0.1:{port}").parse().unwrap())
    }
}

fn backend(name: &str, mode: Mode, servers: Vec<ServerSnap>) -> BackendSnap {
    BackendSnap {
        name: name.into(),
        mode,
        balance: Balance::RoundRobin,
        servers,
        total_sessions: 0,
        cur_sessions: 0,
        queue: 0,
        denied_req: 0,
        denied_resp: 0,
        http_responses: [0; 6],
        since_change: Duration::ZERO,
        down_transitions: 0,
        downtime: Duration::ZERO,
        latency: Latency::default(),
    }
}

/// web11's last check failed with a 404 whose reply carries a terminal escape.
fn web11_check() -> Option<CheckSnap> {
    let mut c = CheckSnap::new(CheckKind::L7Sts, Some(404), Duration::from_millis(2));
    c.info = Some("Not Found".into());
    let reply = b"HTTP/1.1 404 Not Found\r\nserver: \x1b[2Jdemo\r\n\r\n";
    c.head = Some(Arc::from(&reply[..]));
    Some(c)
}

fn snapshot(web11: ServerStatus, web11_cur: u64) -> Snapshot {
    let ok = CheckSnap::new(CheckKind::L7Ok, Some(200), Duration::from_millis(3));
    let mut w11 = server("web11", 8002, web11, web11_check());
    w11.cur_sessions = web11_cur;
    w11.limit_sessions = Some(30);
    let hoge = backend(
        "hoge",
        Mode::Http,
        vec![server("web10", 8001, ServerStatus::Up, Some(ok)), w11],
    );
    let db1 = server("db1", 9001, ServerStatus::Up, None);
    Snapshot {
        uptime: Duration::from_secs(60),
        frontends: vec![FrontendSnap {
            name: "main".into(),
            mode: Mode::Http,
            binds: vec!["127.0.0.1:8080".parse().unwrap()],
            backend: 0,
            cur_conns: 0,
            max_conns: 0,
            limit_conns: 2000,
            total_conns: 0,
            total_requests: 0,
            bytes_in: 0,
            bytes_out: 0,
            http_responses: [0; 6],
            intercepted: 0,
            req_errors: 0,
            denied_req: 0,
            denied_resp: 0,
            denied_conn: 0,
        }],
        backends: vec![hoge, backend("hoge_l4", Mode::Tcp, vec![db1])],
        cur_conns: 0,
        maxconn: 4096,
        sessions_dropped: 0,
        logs_dropped: 0,
    }
}

fn app() -> App {
    let opts = UiOptions {
        refresh: Duration::from_millis(250),
        read_only: false,
        demo_servers: Vec::new(),
        traffic_running: false,
    };
    let config = Config::parse(Path::new("/tmp/actions.cfg"), CFG).expect("config");
    let mut app = App::new(&opts, Theme::COLORED).with_config(Arc::new(config));
    app.freeze_trail_clock("08:42:17");
    app.update(snapshot(ServerStatus::Up, 0), Instant::now());
    app
}

fn press(app: &mut App, c: char) -> Option<Command> {
    key(app, KeyCode::Char(c))
}

fn key(app: &mut App, code: KeyCode) -> Option<Command> {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, c);
    }
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    terminal.backend().buffer().clone()
}

fn screen(app: &App) -> String {
    let buf = render(app, 140, 40);
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn status_line(app: &App) -> String {
    app.status_line()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn log(app: &mut App, text: &str) {
    app.on_event(&Event::Log(LogLine {
        level: Level::Notice,
        topic: Topic::Health,
        text: text.into(),
    }));
}

fn row<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?}:\n{screen}"))
}

// ---------------------------------------------------------------------------------------
// The detail pane.

#[test]
fn enter_opens_a_live_detail_pane_that_follows_the_selection_and_esc_closes() {
    let mut app = app();
    let down = "Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404, info: \
                \"Not Found\", check duration: 2ms. 1 active and 0 backup servers left. 0 \
                sessions active, 0 requeued, 0 remaining in queue.";
    log(&mut app, down);
    log(
        &mut app,
        "Health check for server hoge/web11 failed, reason: Layer7 wrong status",
    );
    log(
        &mut app,
        "Server hoge/web10 is UP, reason: Layer7 check passed.",
    );
    press(&mut app, 'j');
    assert_eq!(press(&mut app, '\n'), None);
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("hoge/web11 · detail"), "{s}");
    // What it is: address, weight, maxconn, backup, admin state; the check's settings.
    assert!(row(&s, "│status ").contains("UP  admin ready"), "{s}");
    let server = row(&s, "│server ");
    assert!(
        server.contains("127.0.0.1:8002  weight 1 (configured 1)  maxconn 30  backup no"),
        "{server}"
    );
    assert!(
        s.contains("httpchk GET /health_check.html HTTP/1.0, expect status 200"),
        "{s}"
    );
    assert!(
        s.contains("inter 2s  fastinter 500ms  downinter -  rise 2  fall 3  port 9000"),
        "{s}"
    );
    // The last check's reply: HAProxy's info, the status line, the bytes escaped.
    assert!(s.contains("L7STS 404 in 2ms  info \"Not Found\""), "{s}");
    assert!(row(&s, "│reply ").contains("HTTP/1.1 404 Not Found"), "{s}");
    assert!(
        row(&s, "│bytes ").contains(r"HTTP/1.1 404 Not Found\r\nserver: \x1b[2Jdemo"),
        "{s}"
    );
    // Its transitions with their reasons, stamped; the other lines that name it.
    assert!(
        row(&s, "│changes ").contains(&format!("08:42:17 {}", &down[..60])),
        "{s}"
    );
    assert!(
        row(&s, "│log ").contains("Health check for server hoge/web11 failed"),
        "{s}"
    );
    assert!(
        !s.contains("hoge/web10 is UP"),
        "web10's line is web10's: {s}"
    );
    // The tables are covered.
    assert!(!s.contains(" BACKEND "), "{s}");

    // Live: the next snapshot shows in the pane. A DOWN server can be in drain too: the
    // pane says the admin state the engine holds, not one guessed from the status word.
    let mut snap = snapshot(ServerStatus::Down, 0);
    snap.backends[0].servers[1].admin = AdminState::Drain;
    app.update(snap, Instant::now());
    assert!(row(&screen(&app), "│status ").contains("DOWN  admin drain"));
    // It follows the selection.
    press(&mut app, 'k');
    let s = screen(&app);
    assert!(s.contains("hoge/web10 · detail"), "{s}");
    assert!(s.contains("weight 1 (configured 10)"), "{s}");
    assert!(
        row(&s, "│changes ").contains("Server hoge/web10 is UP"),
        "{s}"
    );
    key(&mut app, KeyCode::Esc);
    let s = screen(&app);
    assert!(!s.contains("· detail"), "{s}");
    assert!(s.contains(" BACKEND "), "{s}");
}

#[test]
fn the_detail_pane_charts_latency_per_five_seconds() {
    let mut app = app();
    let t0 = Instant::now();
    let mut lat = Latency::default();
    for (i, ms) in [1u64, 2, 40].into_iter().enumerate() {
        lat.merge(&Latency::from_samples(&[Duration::from_millis(ms); 20]));
        let mut snap = snapshot(ServerStatus::Up, 0);
        snap.backends[0].servers[0].latency = lat.clone();
        app.update(snap, t0 + Duration::from_secs(5 * (i as u64 + 1)));
    }
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    let latency = row(&s, "│latency ");
    // Since start the 1 ms and 2 ms requests dominate; the last 5 s were all about 40 ms.
    assert!(latency.contains("p50 2.0ms"), "{latency}");
    assert!(latency.contains("last 5s: 40ms/40ms/40ms"), "{latency}");
    assert!(latency.contains("p99 per 5s: "), "{latency}");
}

#[test]
fn enter_on_a_backend_row_says_the_pane_is_for_a_server() {
    let mut app = app();
    press(&mut app, 'G');
    key(&mut app, KeyCode::Enter);
    assert!(!app.detail_open());
    assert_eq!(
        status_line(&app),
        "the detail pane shows a server: select one"
    );
}

// ---------------------------------------------------------------------------------------
// Typed weights.

#[test]
fn w_sets_a_number_or_a_percentage_as_haproxy_parses_them() {
    let mut app = app();
    assert_eq!(press(&mut app, 'w'), None);
    type_text(&mut app, "50%");
    let s = screen(&app);
    let last = s.lines().last().unwrap();
    assert!(
        last.starts_with("weight for hoge/web10 (0-256, or N% of 10; now 1): 50%"),
        "{last}"
    );
    // Keys go to the line while it is typed: `5` and `%` did nothing else.
    let sent = key(&mut app, KeyCode::Enter);
    assert_eq!(
        sent,
        Some(Command::SetWeight {
            server: WEB10,
            weight: 5
        })
    );
    assert_eq!(
        status_line(&app),
        "set server hoge/web10 weight 50% (= 5) …"
    );
    // A number, as is.
    press(&mut app, 'w');
    type_text(&mut app, "256");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        Some(Command::SetWeight {
            server: WEB10,
            weight: 256
        })
    );
    assert_eq!(status_line(&app), "set server hoge/web10 weight 256 …");
    // HAProxy's words for what it refuses; nothing is sent.
    for (typed, answer) in [
        (
            "257",
            "Absolute weight can only be between 0 and 256 inclusive.",
        ),
        (
            "-1",
            "Absolute weight can only be between 0 and 256 inclusive.",
        ),
        ("abc", "Empty weight string empty or preceded by garbage"),
        ("", "Require <weight> or <weight%>."),
    ] {
        press(&mut app, 'w');
        type_text(&mut app, typed);
        assert_eq!(key(&mut app, KeyCode::Enter), None, "{typed:?}");
        assert_eq!(
            status_line(&app),
            format!("set server hoge/web10 weight {typed}: {answer}")
        );
    }
    // Esc leaves it; `-` still steps (from the 256 asked for).
    press(&mut app, 'w');
    type_text(&mut app, "3");
    assert_eq!(key(&mut app, KeyCode::Esc), None);
    assert_eq!(status_line(&app), "weight unchanged");
    assert_eq!(
        press(&mut app, '-'),
        Some(Command::SetWeight {
            server: WEB10,
            weight: 255
        })
    );
}

// ---------------------------------------------------------------------------------------
// Backend-wide actions.

#[test]
fn on_a_backend_row_d_r_m_ask_once_naming_the_servers_then_send_one_command_each() {
    let mut app = app();
    press(&mut app, 'j');
    press(&mut app, 'j');
    assert_eq!(app.servers().selected_row(), Some(Row::Backend(0)));
    let s = screen(&app);
    assert!(row(&s, " BACKEND ").contains('▶'), "{s}");
    assert!(!row(&s, " web11 ").contains('▶'), "{s}");

    assert_eq!(press(&mut app, 'd'), None);
    assert_eq!(status_line(&app), "drain hoge: web10, web11? y/n");
    assert!(screen(&app).contains("drain hoge: web10, web11?"));
    assert_eq!(press(&mut app, 'y'), None);
    let drain = |server| Command::SetAdmin {
        server,
        state: AdminState::Drain,
    };
    assert_eq!(app.take_commands(), vec![drain(WEB10), drain(WEB11)]);
    assert_eq!(
        status_line(&app),
        "set server hoge/web10, hoge/web11 state drain …"
    );

    // `n` sends nothing.
    press(&mut app, 'm');
    assert_eq!(status_line(&app), "maint hoge: web10, web11? y/n");
    press(&mut app, 'n');
    assert!(app.take_commands().is_empty());
    assert_eq!(
        status_line(&app),
        "cancelled: hoge/web10, hoge/web11 stay as they are"
    );
    press(&mut app, 'r');
    press(&mut app, 'y');
    assert_eq!(app.take_commands().len(), 2);
    // One-server keys say what works on a BACKEND row.
    assert_eq!(press(&mut app, '+'), None);
    assert_eq!(
        status_line(&app),
        "on a BACKEND row only d, r, m and M act (on each server)"
    );
}

// ---------------------------------------------------------------------------------------
// Drain, then maintenance.

#[test]
fn m_drains_then_puts_in_maint_once_the_sessions_reach_zero() {
    let mut app = app();
    press(&mut app, 'j');
    assert_eq!(press(&mut app, 'M'), None);
    assert_eq!(status_line(&app), "drain then maint hoge/web11? y/n");
    press(&mut app, 'y');
    assert_eq!(
        app.take_commands(),
        vec![Command::SetAdmin {
            server: WEB11,
            state: AdminState::Drain
        }]
    );
    app.update(snapshot(ServerStatus::Drain, 3), Instant::now());
    assert!(app.take_commands().is_empty(), "3 sessions left");
    assert_eq!(
        status_line(&app),
        "hoge/web11 draining: 3 sessions left … (Esc cancels)"
    );
    assert!(row(&screen(&app), " web11 ").contains("DRAIN→M 3"));
    app.update(snapshot(ServerStatus::Drain, 0), Instant::now());
    assert_eq!(
        app.take_commands(),
        vec![Command::SetAdmin {
            server: WEB11,
            state: AdminState::Maint
        }]
    );
    app.update(snapshot(ServerStatus::Maint, 0), Instant::now());
    assert_eq!(status_line(&app), "drained, now in MAINT: hoge/web11");
    assert!(!row(&screen(&app), " web11 ").contains("→M"));
}

#[test]
fn drain_then_maint_is_cancelled_by_esc_or_by_r_on_it() {
    let mut app = app();
    press(&mut app, 'j');
    press(&mut app, 'j');
    // On the backend row: both servers.
    press(&mut app, 'M');
    assert_eq!(
        status_line(&app),
        "drain then maint hoge: web10, web11? y/n"
    );
    press(&mut app, 'y');
    assert_eq!(app.take_commands().len(), 2);
    let mut snap = snapshot(ServerStatus::Drain, 2);
    snap.backends[0].servers[0].status = ServerStatus::Drain;
    snap.backends[0].servers[0].cur_sessions = 1;
    app.update(snap.clone(), Instant::now());
    assert_eq!(
        status_line(&app),
        "hoge/web10 draining: 1 session left … · hoge/web11 draining: 2 sessions left … (Esc cancels)"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        status_line(&app),
        "drain-then-maint cancelled: hoge/web10, hoge/web11 stay as they are now"
    );
    snap.backends[0].servers[1].cur_sessions = 0;
    app.update(snap, Instant::now());
    assert!(app.take_commands().is_empty(), "no MAINT after a cancel");

    // `r` on the server stops it and readies the server.
    press(&mut app, 'k');
    press(&mut app, 'M');
    press(&mut app, 'y');
    app.take_commands();
    let ready = press(&mut app, 'r');
    assert_eq!(
        ready,
        Some(Command::SetAdmin {
            server: WEB11,
            state: AdminState::Ready
        })
    );
    app.update(snapshot(ServerStatus::Drain, 0), Instant::now());
    assert!(app.take_commands().is_empty(), "no MAINT after r");
}

#[test]
fn attached_the_detail_pane_has_a_line_per_node() {
    use lbtop::attach::{Fleet, NodeSummary, OnNode};
    use lbtop::ui::Sample;
    let mut app = app();
    let snap = snapshot(ServerStatus::Up, 0);
    let mut drained = snap.backends[0].servers[1].clone();
    drained.status = ServerStatus::Drain;
    let node = |name: &str, error: Option<&str>| NodeSummary {
        name: name.into(),
        target: format!("/run/{name}.sock"),
        info: None,
        error: error.map(String::from),
    };
    let mut fleet = Fleet {
        nodes: vec![node("h1", None), node("h2", Some("connection refused"))],
        ..Fleet::default()
    };
    fleet.servers.insert(
        WEB11,
        vec![
            Some(OnNode {
                server: drained,
                state: None,
            }),
            None,
        ],
    );
    let sample = Sample {
        snapshot: snap,
        fleet: Some(fleet),
    };
    app.update_sample(sample, Instant::now());
    press(&mut app, 'j');
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(row(&s, "│nodes").contains("nodes"), "{s}");
    assert!(s.contains("polling /run/h1.sock"), "{s}");
    assert!(
        s.contains("DEAD  connection refused  (/run/h2.sock)"),
        "{s}"
    );
    assert!(
        row(&s, "│latency ").contains("not available when attached"),
        "{s}"
    );
}

#[test]
fn at_80x24_the_detail_pane_wraps_rather_than_cuts_and_the_weight_prompt_fits() {
    let mut app = app();
    log(
        &mut app,
        "Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404, info: \"Not Found\", \
         check duration: 2ms. 1 active and 0 backup servers left.",
    );
    press(&mut app, 'j');
    key(&mut app, KeyCode::Enter);
    let text = |app: &App| {
        let buf = render(app, 80, 24);
        (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
    };
    let s = text(&app);
    let all = s.join("\n");
    assert!(row(&all, "│status ").contains("UP  admin ready"), "{all}");
    assert!(
        row(&all, "│server ").contains("maxconn 30  backup no"),
        "{all}"
    );
    assert!(
        row(&all, "│changes ").contains("Layer7 wrong status,"),
        "{all}"
    );
    assert!(
        all.contains("│          code: 404, info: \"Not Found\""),
        "{all}"
    );
    press(&mut app, 'w');
    let s = text(&app);
    assert!(
        s[23].starts_with("weight for hoge/web11 (0-256, or N% of 1; now 1):"),
        "{}",
        s[23]
    );
}
