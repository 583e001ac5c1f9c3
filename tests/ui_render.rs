//! The dashboard drawn on ratatui's TestBackend from hand-made snapshots: HAProxy's exact status
//! text, the legend colours, keys to commands, pending markers, help, read-only, tiny terminals.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lbtop::config::{Balance, Mode};
use lbtop::events::{
    AdminState, BackendSnap, CheckKind, CheckSnap, Command, Event, FrontendSnap, Latency, ServerId,
    ServerSnap, ServerStatus, Snapshot,
};
use lbtop::ui::{draw, App, Theme, UiOptions, BINDINGS, PENDING};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const WEB11: ServerId = ServerId {
    backend: 0,
    server: 1,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn check(kind: CheckKind, code: Option<u16>, ms: u64) -> Option<CheckSnap> {
    Some(CheckSnap {
        kind,
        code,
        duration: Duration::from_millis(ms),
    })
}

fn server(name: &str, at: &str, status: ServerStatus, last: Option<CheckSnap>) -> ServerSnap {
    ServerSnap {
        name: name.into(),
        addr: addr(at),
        status,
        last_check: last,
        since_change: Duration::from_secs(5),
        weight: 1,
        backup: false,
        cur_sessions: 0,
        max_sessions: 0,
        limit_sessions: None,
        total_sessions: 0,
        lbtot: 0,
        queue: 0,
        bytes_in: 0,
        bytes_out: 0,
        http_responses: [0; 6],
        connect_errors: 0,
        response_errors: 0,
        retries: 0,
        redispatches: 0,
        failed_checks: 0,
        down_transitions: 0,
        downtime: Duration::ZERO,
        latency: Latency::default(),
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
        latency: Latency::default(),
    }
}

fn frontend(name: &str, mode: Mode, bind: &str, backend: usize) -> FrontendSnap {
    FrontendSnap {
        name: name.into(),
        mode,
        bind: addr(bind),
        backend,
        cur_conns: 0,
        max_conns: 0,
        limit_conns: 2000,
        total_conns: 0,
        total_requests: 0,
        bytes_in: 0,
        bytes_out: 0,
    }
}

/// The seed lab: `hoge` (http) with web10 healthy and web11 in the given state, and `hoge_l4`.
fn snapshot(web11: ServerStatus) -> Snapshot {
    let web11_check = match web11 {
        ServerStatus::Maint => None,
        _ => check(CheckKind::L7Sts, Some(404), 2),
    };
    let hoge = backend(
        "hoge",
        Mode::Http,
        vec![
            server(
                "web10",
                "127.0.0.1:8001",
                ServerStatus::Up,
                check(CheckKind::L7Ok, Some(200), 3),
            ),
            server("web11", "127.0.0.1:8002", web11, web11_check),
        ],
    );
    let mut backup = server("db9", "127.0.0.1:9003", ServerStatus::NoCheck, None);
    backup.backup = true;
    let hoge_l4 = backend(
        "hoge_l4",
        Mode::Tcp,
        vec![
            server(
                "db1",
                "127.0.0.1:9001",
                ServerStatus::Down,
                check(CheckKind::L4Con, None, 0),
            ),
            backup,
        ],
    );
    Snapshot {
        uptime: Duration::from_secs(3723),
        frontends: vec![
            frontend("main", Mode::Http, "127.0.0.1:8080", 0),
            frontend("main_l4", Mode::Tcp, "127.0.0.1:8081", 1),
        ],
        backends: vec![hoge, hoge_l4],
        cur_conns: 3,
        maxconn: 4096,
        sessions_dropped: 0,
    }
}

fn opts() -> UiOptions {
    UiOptions {
        refresh: Duration::from_millis(250),
        read_only: false,
        demo_servers: vec![("web1".into(), addr("127.0.0.1:8001"))],
        traffic_running: true,
    }
}

fn app_with(web11: ServerStatus, theme: Theme) -> App {
    let mut app = App::new(&opts(), theme);
    app.update(snapshot(web11), Instant::now());
    app
}

fn press(app: &mut App, c: char) -> Option<Command> {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    terminal.backend().buffer().clone()
}

fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

fn screen(buf: &Buffer) -> String {
    rows(buf).join("\n")
}

/// The line that names a server.
fn row_of(buf: &Buffer, name: &str) -> String {
    rows(buf)
        .into_iter()
        .find(|r| r.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no row for {name} in\n{}", screen(buf)))
}

/// Where an ASCII text starts on the row that names a server: cell by cell, since some
/// symbols (`▶`, `│`) are several bytes but one cell.
fn cell_of(buf: &Buffer, row_name: &str, text: &str) -> (u16, u16) {
    let y = rows(buf)
        .iter()
        .position(|r| r.contains(&format!(" {row_name} ")))
        .expect("row") as u16;
    let width = buf.area.width;
    let chars: Vec<char> = text.chars().collect();
    let x = (0..width)
        .find(|&x| {
            chars.iter().enumerate().all(|(i, c)| {
                let at = x + i as u16;
                at < width && buf[(at, y)].symbol() == c.to_string()
            })
        })
        .unwrap_or_else(|| panic!("{text:?} not on {row_name}'s row"));
    (x, y)
}

#[test]
fn status_column_uses_haproxys_exact_words() {
    let cases = [
        (
            ServerStatus::GoingDown { x: 1, y: 2 },
            "UP 1/2",
            "hoge 2/2 UP",
        ),
        (ServerStatus::Down, "DOWN", "hoge 1/2 UP"),
        (
            ServerStatus::GoingUp { x: 1, y: 2 },
            "DOWN 1/2",
            "hoge 1/2 UP",
        ),
        (ServerStatus::Drain, "DRAIN", "hoge 2/2 UP"),
        (ServerStatus::Maint, "MAINT", "hoge 1/2 UP"),
    ];
    for (status, text, title) in cases {
        let buf = render(&app_with(status, Theme::COLORED), 120, 40);
        let row = row_of(&buf, "web11");
        assert!(
            row.contains(&format!(" {text} ")),
            "{text:?} missing: {row}"
        );
        assert!(screen(&buf).contains(title), "{title:?} missing");
    }
}

#[test]
fn shows_checks_backends_frontends_and_load() {
    let buf = render(&app_with(ServerStatus::Down, Theme::COLORED), 120, 40);
    let text = screen(&buf);
    assert!(row_of(&buf, "web10").contains("L7OK 200 in 3ms"));
    assert!(row_of(&buf, "web11").contains("L7STS 404"));
    assert!(row_of(&buf, "db1").contains("L4CON"));
    assert!(row_of(&buf, "db9").contains("no check"));
    assert!(text.contains("hoge 1/2 UP  http roundrobin"), "{text}");
    assert!(text.contains("hoge_l4 1/2 UP  tcp roundrobin"), "{text}");
    assert!(text.contains("main http 127.0.0.1:8080"));
    assert!(text.contains("main_l4 tcp 127.0.0.1:8081"));
    assert!(text.contains("conns 3/4096"));
    assert!(text.contains("up 0d 1h02m03s"));
    assert!(row_of(&buf, "web10").contains("127.0.0.1:8001"));
}

#[test]
fn backup_servers_are_marked() {
    let buf = render(&app_with(ServerStatus::Up, Theme::COLORED), 120, 40);
    let backup = row_of(&buf, "db9");
    let active = row_of(&buf, "db1");
    assert!(backup.contains(" Y "), "{backup}");
    assert!(!active.contains(" Y "), "{active}");
}

#[test]
fn down_is_red_and_drain_is_blue() {
    let buf = render(&app_with(ServerStatus::Down, Theme::COLORED), 120, 40);
    let at = cell_of(&buf, "web11", "DOWN");
    assert_eq!(buf[at].fg, Color::Red);

    let buf = render(&app_with(ServerStatus::Drain, Theme::COLORED), 120, 40);
    let at = cell_of(&buf, "web11", "DRAIN");
    assert_eq!(buf[at].fg, Color::Blue);

    let at = cell_of(&buf, "web10", "UP");
    assert_eq!(buf[at].fg, Color::Green);
}

#[test]
fn plain_theme_sets_no_colour_anywhere() {
    let mut app = app_with(ServerStatus::Down, Theme::PLAIN);
    press(&mut app, '?');
    for show_help in [true, false] {
        app.show_help = show_help;
        let buf = render(&app, 120, 40);
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                assert_eq!(
                    (cell.fg, cell.bg),
                    (Color::Reset, Color::Reset),
                    "at {x},{y}"
                );
            }
        }
        // The words still carry the state.
        assert!(row_of(&buf, "web11").contains("DOWN"));
    }
}

#[test]
fn selected_row_is_highlighted_without_colour() {
    let mut app = app_with(ServerStatus::Up, Theme::PLAIN);
    press(&mut app, 'j');
    let buf = render(&app, 120, 40);
    let (x, y) = cell_of(&buf, "web11", "web11");
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = cell_of(&buf, "web10", "web10");
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
    assert!(row_of(&buf, "web11").contains('▶'));
}

#[test]
fn drain_on_web11_sends_set_admin_and_shows_pending_until_confirmed() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    assert_eq!(press(&mut app, 'j'), None);
    assert_eq!(
        press(&mut app, 'd'),
        Some(Command::SetAdmin {
            server: WEB11,
            state: AdminState::Drain
        })
    );
    let buf = render(&app, 120, 40);
    assert!(row_of(&buf, "web11").contains(&format!("UP {PENDING}")));
    assert!(!row_of(&buf, "web10").contains(PENDING));
    assert!(screen(&buf).contains("set server hoge/web11 state drain"));

    // A change on another server confirms nothing.
    app.on_event(&Event::ServerChanged {
        server: ServerId {
            backend: 0,
            server: 0,
        },
        status: ServerStatus::Down,
    });
    assert!(app.is_pending(WEB11));
    // A snapshot from before the engine acted keeps the marker too.
    app.update(snapshot(ServerStatus::Up), Instant::now());
    assert!(app.is_pending(WEB11));

    app.on_event(&Event::ServerChanged {
        server: WEB11,
        status: ServerStatus::Drain,
    });
    let buf = render(&app, 120, 40);
    assert!(!row_of(&buf, "web11").contains(PENDING));
    assert!(screen(&buf).contains("hoge/web11 is now DRAIN"));
}

#[test]
fn maint_and_ready_target_the_selected_server() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    let web10 = ServerId {
        backend: 0,
        server: 0,
    };
    assert_eq!(
        press(&mut app, 'm'),
        Some(Command::SetAdmin {
            server: web10,
            state: AdminState::Maint
        })
    );
    // The snapshot showing MAINT is confirmation enough.
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[0].status = ServerStatus::Maint;
    app.update(snap, Instant::now());
    assert!(!app.is_pending(web10));
    assert_eq!(
        press(&mut app, 'r'),
        Some(Command::SetAdmin {
            server: web10,
            state: AdminState::Ready
        })
    );
}

#[test]
fn refused_command_shows_the_reason_and_drops_the_marker() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'j');
    let command = press(&mut app, 'd').expect("command");
    app.on_event(&Event::CommandFailed {
        command,
        reason: "server is in a backup farm".into(),
    });
    assert!(!app.is_pending(WEB11));
    let buf = render(&app, 120, 40);
    let text = screen(&buf);
    assert!(
        text.contains("set server hoge/web11 state drain failed: server is in a backup farm"),
        "{text}"
    );
}

#[test]
fn cursor_walks_across_backends_and_stops_at_the_ends() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'k');
    assert_eq!(
        app.selected(),
        Some(ServerId {
            backend: 0,
            server: 0
        })
    );
    for _ in 0..2 {
        press(&mut app, 'j');
    }
    assert_eq!(
        app.selected(),
        Some(ServerId {
            backend: 1,
            server: 0
        })
    );
    app.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(
        app.selected(),
        Some(ServerId {
            backend: 1,
            server: 1
        })
    );
    app.on_key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(
        app.selected(),
        Some(ServerId {
            backend: 1,
            server: 0
        })
    );
}

#[test]
fn help_lists_every_key_from_the_keymap() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    assert!(!screen(&render(&app, 120, 40)).contains("drain the selected server"));
    press(&mut app, '?');
    let text = screen(&render(&app, 120, 40));
    assert!(text.contains("drain"));
    for binding in BINDINGS {
        assert!(text.contains(binding.help), "help lacks {:?}", binding.help);
        assert!(
            text.contains(binding.label),
            "help lacks {:?}",
            binding.label
        );
    }
    // Keys other than close and quit do nothing while help is up.
    assert_eq!(press(&mut app, 'd'), None);
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(!app.show_help);
    assert!(!screen(&render(&app, 120, 40)).contains("drain the selected server"));
}

#[test]
fn read_only_refuses_every_action() {
    let mut o = opts();
    o.read_only = true;
    let mut app = App::new(&o, Theme::COLORED);
    app.update(snapshot(ServerStatus::Up), Instant::now());
    press(&mut app, 'j');
    for c in ['d', 'm', 'r', 's', 'x', 't'] {
        assert_eq!(press(&mut app, c), None, "{c} acted in read-only");
    }
    assert!(!app.is_pending(WEB11));
    assert_eq!(app.selected(), Some(WEB11), "moving still works");
    let buf = render(&app, 120, 40);
    let text = screen(&buf);
    assert!(text.contains("read-only: actions are disabled"));
    let footer = &rows(&buf)[39 - 1];
    assert!(footer.contains("read-only"), "{footer}");
    assert!(!footer.contains("drain"), "{footer}");
}

#[test]
fn demo_keys_toggle_the_lab_behind_the_selected_server() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    let web1 = || "web1".to_string();
    assert_eq!(
        press(&mut app, 's'),
        Some(Command::DemoServer {
            name: web1(),
            running: false
        })
    );
    assert_eq!(
        press(&mut app, 's'),
        Some(Command::DemoServer {
            name: web1(),
            running: true
        })
    );
    assert_eq!(
        press(&mut app, 'x'),
        Some(Command::DemoHealthPage {
            name: web1(),
            present: false
        })
    );
    assert_eq!(
        press(&mut app, 't'),
        Some(Command::DemoTraffic { running: false })
    );
    assert_eq!(
        press(&mut app, 't'),
        Some(Command::DemoTraffic { running: true })
    );

    // A refused stop leaves the server running, so the next `s` asks to stop again.
    let stop = press(&mut app, 's').unwrap();
    app.on_event(&Event::CommandFailed {
        command: stop.clone(),
        reason: "bind failed".into(),
    });
    assert_eq!(press(&mut app, 's'), Some(stop));

    press(&mut app, 'j');
    assert_eq!(press(&mut app, 's'), None);
    let text = screen(&render(&app, 120, 40));
    assert!(text.contains("no demo server at 127.0.0.1:8002"), "{text}");
}

#[test]
fn tiny_terminal_gets_a_clear_message() {
    let app = app_with(ServerStatus::Up, Theme::COLORED);
    let text = screen(&render(&app, 40, 10));
    assert!(text.contains("terminal too small: 40x10"), "{text}");
    assert!(text.contains("at least 60x15"), "{text}");
    assert!(!text.contains("web10"));
    // At the minimum size the dashboard itself appears.
    let text = screen(&render(&app, 60, 15));
    assert!(!text.contains("too small"));
    assert!(text.contains("hoge"));
}

#[test]
fn req_per_second_comes_from_two_snapshots() {
    let start = Instant::now();
    let mut app = App::new(&opts(), Theme::COLORED);
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[0].total_sessions = 100;
    snap.backends[0].servers[1].total_sessions = 7;
    app.update(snap.clone(), start);
    let web10 = ServerId {
        backend: 0,
        server: 0,
    };
    assert_eq!(app.rate(web10), None);
    assert!(row_of(&render(&app, 120, 40), "web10").contains(" - "));

    snap.backends[0].servers[0].total_sessions = 130;
    app.update(snap, start + Duration::from_secs(2));
    assert_eq!(app.rate(web10), Some(15.0));
    assert_eq!(app.rate(WEB11), Some(0.0));
    let buf = render(&app, 120, 40);
    assert!(row_of(&buf, "web10").contains("15.0"));
    assert!(row_of(&buf, "web10").contains(" 130 "));
}

#[test]
fn bytes_are_shown_in_human_units() {
    let mut app = App::new(&opts(), Theme::COLORED);
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[0].bytes_in = 1536;
    snap.backends[0].servers[0].bytes_out = 5 * 1024 * 1024;
    app.update(snap, Instant::now());
    let row = row_of(&render(&app, 120, 40), "web10");
    assert!(row.contains("1.5K") && row.contains("5.0M"), "{row}");
}

#[test]
fn quits_on_q_and_ctrl_c_but_not_before() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    assert!(!app.should_quit());
    press(&mut app, 'q');
    assert!(app.should_quit());

    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.should_quit());
}

#[test]
fn before_the_first_snapshot_it_says_so() {
    let mut app = App::new(&opts(), Theme::COLORED);
    let text = screen(&render(&app, 120, 40));
    assert!(text.contains("waiting for the engine"), "{text}");
    // Actions with nothing selected explain themselves instead of sending anything.
    assert_eq!(press(&mut app, 'd'), None);
    assert!(screen(&render(&app, 120, 40)).contains("no server selected"));
}

/// Not a check: prints a frame for eyes (`cargo test --test ui_render -- --nocapture`).
#[test]
fn print_a_frame() {
    let mut app = app_with(ServerStatus::Down, Theme::COLORED);
    press(&mut app, 'j');
    press(&mut app, 'd');
    let text = screen(&render(&app, 120, 40));
    println!("{text}");
    assert!(text.contains(PENDING));
}
