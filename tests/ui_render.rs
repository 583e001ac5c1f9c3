//! The dashboard drawn on ratatui's TestBackend from hand-made snapshots and from the lab
//! fixture: HAProxy's exact status text, the legend colours, every view, keys to commands,
//! pending markers and confirmations, filter and sort, help from the keymap, `[ui]` config,
//! read-only, stale data, tiny and resized terminals.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lbtop::config::{Balance, Mode};
use lbtop::config::{Config, UiTheme};
use lbtop::events::{
    AdminState, BackendSnap, CheckKind, CheckSnap, Command, Event, FrontendSnap, Latency, ServerId,
    ServerSnap, ServerStatus, Snapshot,
};
use lbtop::ui::{
    draw, fixture, label, Action, App, Key, Keymap, Pending, Row, Theme, UiOptions, View, BINDINGS,
    PENDING,
};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

const WEB11: ServerId = ServerId {
    backend: 0,
    server: 1,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn check(kind: CheckKind, code: Option<u16>, ms: u64) -> Option<CheckSnap> {
    Some(CheckSnap::new(kind, code, Duration::from_millis(ms)))
}

fn server(name: &str, at: &str, status: ServerStatus, last: Option<CheckSnap>) -> ServerSnap {
    ServerSnap {
        status,
        last_check: last,
        since_change: Duration::from_secs(5),
        ..ServerSnap::idle(name, addr(at))
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

fn frontend(name: &str, mode: Mode, bind: &str, backend: usize) -> FrontendSnap {
    FrontendSnap {
        name: name.into(),
        mode,
        binds: vec![addr(bind)],
        backend,
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
        logs_dropped: 0,
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

fn key(app: &mut App, code: KeyCode) -> Option<Command> {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, c);
    }
}

fn lab(view: View) -> App {
    fixture::lab_app(Theme::COLORED, view)
}

/// The text of every row that mentions `needle`.
fn rows_with(buf: &Buffer, needle: &str) -> Vec<String> {
    rows(buf)
        .into_iter()
        .filter(|r| r.contains(needle))
        .collect()
}

/// Where a text starts on screen (first match, cell by cell).
fn find(buf: &Buffer, text: &str) -> (u16, u16) {
    let chars: Vec<String> = text.chars().map(|c| c.to_string()).collect();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let hit = chars.iter().enumerate().all(|(i, c)| {
                let at = x + i as u16;
                at < buf.area.width && buf[(at, y)].symbol() == c
            });
            if hit {
                return (x, y);
            }
        }
    }
    panic!("{text:?} not on screen:\n{}", screen(buf));
}

// ---------------------------------------------------------------------------------------
// The status view, from hand-made snapshots.

#[test]
fn status_column_uses_haproxys_exact_words() {
    let cases = [
        (
            ServerStatus::GoingDown { x: 1, y: 2 },
            "UP 1/2",
            "hoge 2 of 2 up",
        ),
        (ServerStatus::Down, "DOWN", "hoge 1 of 2 up"),
        (
            ServerStatus::GoingUp { x: 1, y: 2 },
            "DOWN 1/2",
            "hoge 1 of 2 up",
        ),
        (ServerStatus::Drain, "DRAIN", "hoge 2 of 2 up"),
        (ServerStatus::Nolb, "NOLB", "hoge 2 of 2 up"),
        (
            ServerStatus::NolbGoingDown { x: 1, y: 2 },
            "NOLB 1/2",
            "hoge 2 of 2 up",
        ),
        (ServerStatus::Maint, "MAINT", "hoge 1 of 2 up"),
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

/// A server ramping back up after `slowstart` shows its weight now, marked as rising.
#[test]
fn a_ramping_server_shows_its_weight_now() {
    let mut snap = snapshot(ServerStatus::Up);
    let web11 = &mut snap.backends[0].servers[1];
    web11.weight = 10;
    web11.ramp = Some(lbtop::events::Ramp {
        weight: 4,
        throttle: 31,
        eweight: 50,
    });
    let mut app = App::new(&opts(), Theme::COLORED);
    app.update(snap, Instant::now());
    let buf = render(&app, 150, 40);
    assert!(
        row_of(&buf, "web11").contains(" 4↗ "),
        "{}",
        row_of(&buf, "web11")
    );
    assert!(!row_of(&buf, "web10").contains('↗'));
}

#[test]
fn shows_checks_backends_frontends_and_load() {
    let buf = render(&app_with(ServerStatus::Down, Theme::COLORED), 150, 40);
    let text = screen(&buf);
    assert!(row_of(&buf, "web10").contains("L7OK 200 in 3ms"));
    assert!(row_of(&buf, "web11").contains("L7STS 404 in 2ms"));
    assert!(row_of(&buf, "db1").contains("L4CON in 0ms"));
    assert!(row_of(&buf, "db9").contains("no check"));
    assert!(text.contains("hoge 1 of 2 up  http roundrobin"), "{text}");
    assert!(text.contains("hoge_l4 1 of 2 up  tcp roundrobin"), "{text}");
    assert!(text.contains("main http 127.0.0.1:8080 L7"));
    assert!(text.contains("main_l4 tcp 127.0.0.1:8081 L4"));
    assert!(text.contains("conns 3/4096"));
    assert!(text.contains("up 0d 1h02m03s"));
    assert!(row_of(&buf, "web10").contains("127.0.0.1:8001"));
    // Time since the last change, HAProxy's lastchg.
    assert!(row_of(&buf, "web10").contains(" 5s "));
}

#[test]
fn groups_like_haproxys_stats_page_frontend_servers_backend() {
    let buf = render(&app_with(ServerStatus::Down, Theme::COLORED), 150, 40);
    let lines = rows(&buf);
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    let fe = at("FRONTEND");
    let web10 = at(" web10 ");
    let be = at("BACKEND");
    assert!(fe < web10 && web10 < be, "{}", screen(&buf));
    let fe_row = &lines[fe];
    assert!(
        fe_row.contains("OPEN") && fe_row.contains("2000"),
        "{fe_row}"
    );
    assert!(fe_row.contains("main http 127.0.0.1:8080"), "{fe_row}");
    // hoge: web10 usable (weight 1), web11 DOWN: weight 1, 1 active, 0 backup.
    let be_row = &lines[be];
    assert!(be_row.contains(" UP "), "{be_row}");
    assert!(be_row.contains("hoge roundrobin"), "{be_row}");
    let (x, y) = find(&buf, "OPEN");
    assert_eq!(buf[(x, y)].fg, Color::Green, "OPEN is green");
    // hoge_l4's only active server is DOWN, its backup has no check: still UP on the backup.
    let l4_be = &rows_with(&buf, "BACKEND")[1];
    assert!(l4_be.contains(" UP "), "{l4_be}");
}

#[test]
fn backup_servers_are_marked_in_the_act_and_bck_columns() {
    let buf = render(&app_with(ServerStatus::Up, Theme::COLORED), 150, 40);
    let header = rows_with(&buf, "lastchg")[0].clone();
    let act = header.find(" act ").expect("act column") + 1;
    let bck = header.find(" bck ").expect("bck column") + 1;
    let cell = |row: &str, at: usize| row.chars().nth(at).unwrap();
    // Column offsets in chars (the header has no multi-byte symbols before them).
    let backup = row_of(&buf, "db9");
    let active = row_of(&buf, "db1");
    let (act, bck) = (header[..act].chars().count(), header[..bck].chars().count());
    assert_eq!(
        (cell(&backup, act), cell(&backup, bck)),
        ('-', 'Y'),
        "{backup}"
    );
    assert_eq!(
        (cell(&active, act), cell(&active, bck)),
        ('Y', '-'),
        "{active}"
    );
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

    let buf = render(&app_with(ServerStatus::Maint, Theme::COLORED), 120, 40);
    let at = cell_of(&buf, "web11", "MAINT");
    assert_eq!(buf[at].fg, Color::Rgb(0xc0, 0x78, 0x20), "HAProxy's brown");

    let buf = render(
        &app_with(ServerStatus::GoingDown { x: 1, y: 2 }, Theme::COLORED),
        120,
        40,
    );
    let at = cell_of(&buf, "web11", "UP 1/2");
    assert_eq!(buf[at].fg, Color::Yellow);
}

#[test]
fn plain_theme_sets_no_colour_anywhere_on_any_view() {
    fixture::lab_log_lines();
    for view in View::ALL {
        let mut app = fixture::lab_app(Theme::PLAIN, view);
        for show_help in [true, false] {
            app.show_help = show_help;
            let buf = render(&app, 150, 45);
            for y in 0..buf.area.height {
                for x in 0..buf.area.width {
                    let cell = &buf[(x, y)];
                    assert_eq!(
                        (cell.fg, cell.bg),
                        (Color::Reset, Color::Reset),
                        "{view:?} help={show_help} at {x},{y}:\n{}",
                        screen(&buf)
                    );
                }
            }
        }
    }
    // The words still carry the state.
    let app = fixture::lab_app(Theme::PLAIN, View::Status);
    assert!(row_of(&render(&app, 150, 45), "web11").contains("DOWN"));
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

// ---------------------------------------------------------------------------------------
// Actions.

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
    assert!(app.admin().is_pending(WEB11));
    // A snapshot from before the engine acted keeps the marker too.
    app.update(snapshot(ServerStatus::Up), Instant::now());
    assert!(app.admin().is_pending(WEB11));

    app.on_event(&Event::ServerChanged {
        server: WEB11,
        status: ServerStatus::Drain,
    });
    // Said with the snapshot that shows it, in the row's words.
    app.update(snapshot(ServerStatus::Drain), Instant::now());
    let buf = render(&app, 120, 40);
    assert!(!row_of(&buf, "web11").contains(PENDING));
    assert!(screen(&buf).contains("hoge/web11 is now DRAIN"));
}

#[test]
fn maint_asks_first_and_only_y_goes_ahead() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'j');
    assert_eq!(
        press(&mut app, 'm'),
        None,
        "nothing is sent before the answer"
    );
    let text = screen(&render(&app, 120, 40));
    assert!(
        text.contains("Put hoge/web11 in maintenance (MAINT)?"),
        "{text}"
    );
    assert!(text.contains("confirm maintenance"), "{text}");
    // Any other key backs out, and does nothing else (n, Esc, even d).
    for no in [KeyCode::Char('n'), KeyCode::Esc, KeyCode::Char('d')] {
        if app.admin().confirm().is_none() {
            assert_eq!(press(&mut app, 'm'), None);
        }
        assert!(app.admin().confirm().is_some());
        assert_eq!(key(&mut app, no), None);
        assert!(app.admin().confirm().is_none());
        assert!(!app.admin().is_pending(WEB11));
    }
    assert!(screen(&render(&app, 120, 40)).contains("cancelled: hoge/web11 stays as it is"));

    press(&mut app, 'm');
    assert_eq!(
        press(&mut app, 'y'),
        Some(Command::SetAdmin {
            server: WEB11,
            state: AdminState::Maint
        })
    );
    assert_eq!(
        app.admin().pending(WEB11),
        Some(Pending::Admin(AdminState::Maint))
    );
    assert!(!screen(&render(&app, 120, 40)).contains("Put hoge/web11"));
}

#[test]
fn maint_and_ready_target_the_selected_server() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    let web10 = ServerId {
        backend: 0,
        server: 0,
    };
    press(&mut app, 'm');
    assert_eq!(
        press(&mut app, 'y'),
        Some(Command::SetAdmin {
            server: web10,
            state: AdminState::Maint
        })
    );
    // The snapshot showing MAINT is confirmation enough.
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[0].status = ServerStatus::Maint;
    app.update(snap, Instant::now());
    assert!(!app.admin().is_pending(web10));
    assert_eq!(
        press(&mut app, 'r'),
        Some(Command::SetAdmin {
            server: web10,
            state: AdminState::Ready
        })
    );
}

#[test]
fn weight_keys_step_by_one_within_0_to_256() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'j');
    assert_eq!(
        press(&mut app, '+'),
        Some(Command::SetWeight {
            server: WEB11,
            weight: 2
        })
    );
    // Pressed again before the engine answered: counts from the pending value.
    assert_eq!(
        press(&mut app, '+'),
        Some(Command::SetWeight {
            server: WEB11,
            weight: 3
        })
    );
    let buf = render(&app, 150, 40);
    let row = row_of(&buf, "web11");
    assert!(row.contains("1→3"), "{row}");
    assert!(row.contains(PENDING), "{row}");
    app.on_event(&Event::ServerChanged {
        server: WEB11,
        status: ServerStatus::Up,
    });
    // Said with the next sample, in the row's words.
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[1].weight = 3;
    app.update(snap, Instant::now());
    assert!(screen(&render(&app, 150, 40)).contains("hoge/web11 weight is now 3 (UP)"));

    // Down to zero, then no further.
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[1].weight = 0;
    app.update(snap, Instant::now());
    assert_eq!(press(&mut app, '-'), None);
    assert!(screen(&render(&app, 150, 40)).contains("weight is already 0"));
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[1].weight = 256;
    app.update(snap, Instant::now());
    assert_eq!(press(&mut app, '+'), None);
    assert_eq!(
        press(&mut app, '-'),
        Some(Command::SetWeight {
            server: WEB11,
            weight: 255
        })
    );
    // The snapshot showing the new weight clears the marker.
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[1].weight = 255;
    app.update(snap, Instant::now());
    assert!(!app.admin().is_pending(WEB11));
}

#[test]
fn h_toggles_health_checks_from_what_the_row_shows() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'j');
    assert_eq!(
        press(&mut app, 'h'),
        Some(Command::SetChecks {
            server: WEB11,
            enabled: false
        })
    );
    assert!(screen(&render(&app, 120, 40)).contains("disable health hoge/web11"));
    // db9 shows `no check`: h asks to enable. (End is hoge_l4's BACKEND row; db9 is above.)
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Up);
    let db9 = ServerId {
        backend: 1,
        server: 1,
    };
    assert_eq!(app.servers().selected(), Some(db9));
    assert_eq!(
        press(&mut app, 'h'),
        Some(Command::SetChecks {
            server: db9,
            enabled: true
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
    assert!(!app.admin().is_pending(WEB11));
    let buf = render(&app, 120, 40);
    let text = screen(&buf);
    assert!(
        text.contains("set server hoge/web11 state drain failed: server is in a backup farm"),
        "{text}"
    );

    let command = press(&mut app, 'h').expect("command");
    app.on_event(&Event::CommandFailed {
        command,
        reason: "Health check was not configured on this server, cannot enable.".into(),
    });
    assert!(!app.admin().is_pending(WEB11));
    assert!(screen(&render(&app, 120, 40)).contains("disable health hoge/web11 failed"));
}

#[test]
fn read_only_refuses_every_action() {
    let mut o = opts();
    o.read_only = true;
    let mut app = App::new(&o, Theme::COLORED);
    app.update(snapshot(ServerStatus::Up), Instant::now());
    press(&mut app, 'j');
    for c in ['d', 'm', 'r', 's', 'x', 't', '+', '-', 'h'] {
        assert_eq!(press(&mut app, c), None, "{c} acted in read-only");
        assert!(app.admin().confirm().is_none(), "{c} asked in read-only");
    }
    assert!(!app.admin().is_pending(WEB11));
    assert_eq!(app.servers().selected(), Some(WEB11), "moving still works");
    let buf = render(&app, 120, 40);
    let text = screen(&buf);
    assert!(text.contains("read-only: actions are disabled"));
    let footer = &rows(&buf)[39 - 1];
    assert!(footer.contains("read-only"), "{footer}");
    assert!(!footer.contains("drain"), "{footer}");
    assert!(!footer.contains("weight"), "{footer}");
    // Views, filter and sort still work.
    press(&mut app, '2');
    assert_eq!(app.view, View::Traffic);
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

// ---------------------------------------------------------------------------------------
// Moving, filtering, sorting.

#[test]
fn cursor_walks_across_backends_and_stops_at_the_ends() {
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'k');
    assert_eq!(
        app.servers().selected(),
        Some(ServerId {
            backend: 0,
            server: 0
        })
    );
    // web10, web11, then hoge's BACKEND row, then hoge_l4's first server.
    for _ in 0..2 {
        press(&mut app, 'j');
    }
    assert_eq!(app.servers().selected_row(), Some(Row::Backend(0)));
    assert_eq!(app.servers().selected(), None);
    press(&mut app, 'j');
    assert_eq!(
        app.servers().selected(),
        Some(ServerId {
            backend: 1,
            server: 0
        })
    );
    // db9, then hoge_l4's BACKEND row, where the cursor stops.
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.servers().selected_row(), Some(Row::Backend(1)));
    key(&mut app, KeyCode::Up);
    assert_eq!(
        app.servers().selected(),
        Some(ServerId {
            backend: 1,
            server: 1
        })
    );
    // The last row is the last BACKEND row.
    let last = Some(Row::Backend(1));
    key(&mut app, KeyCode::Home);
    assert_eq!(app.servers().selected(), app.server_ids().first().copied());
    key(&mut app, KeyCode::End);
    assert_eq!(app.servers().selected_row(), last);
    press(&mut app, 'g');
    assert_eq!(app.servers().selected(), app.server_ids().first().copied());
    press(&mut app, 'G');
    assert_eq!(app.servers().selected_row(), last);
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.servers().selected(), app.server_ids().first().copied());
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.servers().selected_row(), last);
}

#[test]
fn slash_filters_servers_and_esc_clears() {
    let mut app = app_with(ServerStatus::Down, Theme::COLORED);
    press(&mut app, '/');
    type_text(&mut app, "web11");
    // While typing, letters are the filter, not keys: `d` did not drain anything.
    assert!(!app.admin().is_pending(WEB11));
    let buf = render(&app, 120, 40);
    let text = screen(&buf);
    assert!(text.contains("/web11▏"), "{text}");
    assert!(!text.contains(" web10 "), "{text}");
    assert!(!text.contains("db1"), "hoge_l4 has no match: {text}");
    assert_eq!(app.server_ids(), vec![WEB11]);
    assert_eq!(app.servers().selected(), Some(WEB11));
    key(&mut app, KeyCode::Enter);
    // Now keys act again, on the filtered list.
    assert!(press(&mut app, 'd').is_some());
    assert!(screen(&render(&app, 120, 40)).contains("filter /web11"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.servers().filter(), ("", false));
    assert_eq!(app.server_ids().len(), 4);

    // By status, and nothing matching says so.
    press(&mut app, '/');
    type_text(&mut app, "down");
    let db1 = ServerId {
        backend: 1,
        server: 0,
    };
    assert_eq!(app.server_ids(), vec![WEB11, db1]);
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "zzz");
    let text = screen(&render(&app, 120, 40));
    assert!(text.contains("no server matches /dowzzz"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.servers().filter(), ("", false));
}

#[test]
fn columns_sort_and_reverse() {
    let mut snap = snapshot(ServerStatus::Down);
    snap.backends[0].servers[0].total_sessions = 10;
    snap.backends[0].servers[1].total_sessions = 99;
    let mut app = App::new(&opts(), Theme::COLORED);
    app.update(snap, Instant::now());
    let order = |app: &App| -> Vec<usize> {
        app.server_ids()
            .into_iter()
            .filter(|id| id.backend == 0)
            .map(|id| id.server)
            .collect()
    };
    assert_eq!(order(&app), vec![0, 1]);
    press(&mut app, 'o'); // name
    assert_eq!(
        app.servers().sort(View::Status).key.map(|k| k.title()),
        Some("name")
    );
    press(&mut app, 'O');
    assert_eq!(order(&app), vec![1, 0], "name, reversed");
    press(&mut app, 'o'); // status, worst first
    assert_eq!(order(&app), vec![1, 0]);
    let buf = render(&app, 150, 40);
    assert!(screen(&buf).contains("status▼"), "{}", screen(&buf));
    assert!(screen(&buf).contains("sorted by status (worst first)"));
    // Cycle on to `total`.
    while app.servers().sort(View::Status).key.map(|k| k.title()) != Some("total") {
        press(&mut app, 'o');
    }
    assert_eq!(order(&app), vec![1, 0], "99 before 10");
    press(&mut app, 'O');
    assert_eq!(order(&app), vec![0, 1]);
    // Past the last column: back to configuration order.
    for _ in 0..20 {
        if app.servers().sort(View::Status).key.is_none() {
            break;
        }
        press(&mut app, 'o');
    }
    assert_eq!(app.servers().sort(View::Status).key, None);
    assert_eq!(order(&app), vec![0, 1]);
    // Each view keeps its own sort.
    press(&mut app, '2');
    press(&mut app, 'o');
    assert!(app.servers().sort(View::Traffic).key.is_some());
    assert_eq!(app.servers().sort(View::Status).key, None);
}

// ---------------------------------------------------------------------------------------
// Views, header, help, footer.

#[test]
fn number_keys_and_tab_switch_views_and_the_tab_shows_which() {
    let mut app = lab(View::Status);
    for (c, view) in ['1', '2', '3', '4', '5', '6', '7']
        .into_iter()
        .zip(View::ALL)
    {
        press(&mut app, c);
        assert_eq!(app.view, view);
        let buf = render(&app, 150, 45);
        let tab = format!(" {c} {} ", view.title());
        let (x, y) = find(&buf, &tab);
        assert!(
            buf[(x + 1, y)].modifier.contains(Modifier::REVERSED),
            "{tab}"
        );
        // The header stays on every view.
        let text = screen(&buf);
        assert!(text.contains("up 0d 0h05m30s"), "{view:?}");
        assert!(text.contains("hoge 1 of 2 up"), "{view:?}");
        assert!(text.contains("hoge_l4 2 of 2 up"), "{view:?}");
    }
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Status);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, View::Config);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.view, View::Log);
}

#[test]
fn header_has_badges_a_connection_gauge_and_backend_counts() {
    let mut snap = snapshot(ServerStatus::Down);
    snap.cur_conns = 3700;
    let mut app = App::new(&opts(), Theme::COLORED);
    app.update(snap, Instant::now());
    let buf = render(&app, 150, 40);
    let top = &rows(&buf)[0];
    assert!(top.contains("conns 3700/4096 ██████████ 90%"), "{top}");
    let (x, y) = find(&buf, "█");
    assert_eq!(buf[(x, y)].fg, Color::Red, "90% full is red");
    let (x, y) = find(&buf, " main http");
    assert_eq!(buf[(x, y)].bg, Color::Cyan, "a badge");
    let tabs = &rows(&buf)[1];
    assert!(
        tabs.contains("hoge 1 of 2 up") && tabs.contains("hoge_l4 1 of 2 up"),
        "{tabs}"
    );
}

#[test]
fn stale_data_is_flagged_in_the_header() {
    let start = Instant::now();
    let mut app = App::new(&opts(), Theme::COLORED);
    app.update(snapshot(ServerStatus::Up), start);
    assert!(app.stats().stale().is_none());
    assert!(!app.tick(start + Duration::from_millis(500)));
    // No snapshot for five seconds.
    assert!(app.tick(start + Duration::from_secs(5)));
    let text = screen(&render(&app, 150, 40));
    assert!(text.contains("STALE: no new data for 5s"), "{text}");
    // A snapshot whose uptime did not move is no news either.
    app.update(snapshot(ServerStatus::Up), start + Duration::from_secs(6));
    assert!(app.stats().stale().is_some());
    let mut later = snapshot(ServerStatus::Up);
    later.uptime += Duration::from_secs(6);
    app.update(later, start + Duration::from_secs(6));
    assert!(app.stats().stale().is_none());
    // A slow snapshot is flagged even when it arrives.
    assert!(app.note_snapshot_cost(Duration::from_millis(1500)));
    assert!(screen(&render(&app, 150, 40)).contains("engine slow: a snapshot took 1500ms"));
    assert!(app.note_snapshot_cost(Duration::from_millis(2)));
    assert!(app.engine_stopped());
    assert!(screen(&render(&app, 150, 40)).contains("the engine has stopped answering"));
}

#[test]
fn help_is_generated_from_the_keymap_for_each_view() {
    let mut app = lab(View::Status);
    assert!(!screen(&render(&app, 150, 45)).contains("drain the selected server"));
    for view in View::ALL {
        app.view = view;
        app.show_help = false;
        press(&mut app, '?');
        assert!(app.show_help);
        // The help scrolls when it is longer than the screen: read it all, page by page.
        let mut text = screen(&render(&app, 150, 45));
        for _ in 0..4 {
            key(&mut app, KeyCode::PageDown);
            text.push_str(&screen(&render(&app, 150, 45)));
        }
        for (binding, keys) in app.keymap().bindings() {
            if !binding.scope.contains(view) {
                continue;
            }
            assert!(
                text.contains(binding.help),
                "{view:?} help lacks {:?}\n{text}",
                binding.help
            );
            assert!(text.contains(&label(keys)), "{view:?} help lacks {keys:?}");
        }
        assert!(text.contains(&format!("help: {} view", view.title())));
    }
    app.view = View::Status;
    // Keys other than close and quit do nothing while help is up.
    assert_eq!(press(&mut app, 'd'), None);
    key(&mut app, KeyCode::Esc);
    assert!(!app.show_help);
    assert!(!screen(&render(&app, 150, 45)).contains("drain the selected server"));
}

#[test]
fn footer_shows_the_keys_of_the_current_view() {
    let mut app = lab(View::Status);
    let footer = |app: &App| rows(&render(app, 150, 45))[43].clone();
    let f = footer(&app);
    for item in [
        "j/k select",
        "d drain",
        "m maint",
        "+/- weight",
        "h checks",
        "/ filter",
        "? help",
        "q quit",
    ] {
        assert!(f.contains(item), "{item:?} not in {f}");
    }
    press(&mut app, '5');
    let f = footer(&app);
    assert!(f.contains("p pause") && !f.contains("drain"), "{f}");
    press(&mut app, '6');
    let f = footer(&app);
    assert!(f.contains("+/- captured") && f.contains("j/k topic"), "{f}");
    assert!(!f.contains("weight"), "{f}");
}

// ---------------------------------------------------------------------------------------
// Each view on the lab fixture.

#[test]
fn status_view_on_the_lab() {
    let buf = render(&lab(View::Status), 150, 45);
    let text = screen(&buf);
    let web11 = &rows_with(&buf, " web11 ");
    // hoge (HTTP check) has web11 DOWN; hoge_l4 (TCP check) still UP.
    assert!(web11[0].contains(" DOWN ") && web11[0].contains("L7STS 404 in 1ms"));
    assert!(web11[0].contains("2m00s"), "{}", web11[0]);
    assert!(web11[1].contains(" UP ") && web11[1].contains("L4OK in 0ms"));
    assert!(web11[0].contains('▶'), "web11 is selected");
    for header in [
        "lastchg",
        "last check",
        "wght",
        "act",
        "bck",
        "cur",
        "max",
        "limit",
        "total",
        "lbtot",
        "queue",
    ] {
        assert!(text.contains(header), "{header}");
    }
    let be = &rows_with(&buf, "BACKEND")[0];
    assert!(be.contains("6743"), "{be}");
    // The events strip shows the story.
    assert!(text.contains("events (6: full log)"));
}

#[test]
fn traffic_view_draws_rate_sparklines_and_bytes() {
    let buf = render(&lab(View::Traffic), 150, 45);
    let text = screen(&buf);
    assert!(text.contains("req/s") && text.contains("conn/s"), "{text}");
    assert!(text.contains("history (5s/cell)"));
    let web10 = &rows_with(&buf, " web10 ")[0];
    assert!(web10.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)), "{web10}");
    assert!(
        web10.contains("422.0K") && web10.contains("2.2M"),
        "{web10}"
    );
    // web11 went DOWN two minutes ago: its line ends in a gap, web10's does not.
    let web11 = &rows_with(&buf, " web11 ")[0];
    let tail = |row: &str| -> String {
        row.split("0.0 ")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(50)
            .collect()
    };
    assert!(tail(web11).contains("      "), "{web11}");
    let y = rows(&buf).iter().position(|r| r == web10).unwrap() as u16;
    let bar = (0..150u16)
        .find(|&x| "▁▂▃▄▅▆▇█".contains(buf[(x, y)].symbol()) && !buf[(x, y)].symbol().is_empty())
        .expect("a bar");
    assert_eq!(buf[(bar, y)].fg, Color::Cyan, "sparkline colour");
}

#[test]
fn http_view_shows_response_classes_and_percentiles() {
    let app = lab(View::Http);
    let snap = app.stats().snapshot().unwrap().clone();
    let buf = render(&app, 150, 45);
    let text = screen(&buf);
    for h in ["1xx", "2xx", "3xx", "4xx", "5xx", "p50", "p90", "p99"] {
        assert!(text.contains(h), "{h}");
    }
    let web10 = &snap.backends[0].servers[0];
    let row = &rows_with(&buf, " web10 ")[0];
    assert!(row.contains(&web10.http_responses[1].to_string()), "{row}");
    for q in [0.5, 0.9, 0.99] {
        let d = web10.latency.quantile(q).unwrap();
        let shown = if d.as_micros() < 10_000 {
            format!("{:.1}ms", d.as_micros() as f64 / 1000.0)
        } else {
            format!("{}ms", d.as_millis())
        };
        assert!(row.contains(&shown), "p{q} {shown} not in {row}");
    }
    // The backend row has its own percentiles, from the merged histogram.
    let be = &rows_with(&buf, "BACKEND")[0];
    assert!(be.contains("ms"), "{be}");
    // TCP has no HTTP.
    let l4 = &rows_with(&buf, " web10 ")[1];
    assert_eq!(l4.matches(" - ").count(), 6, "{l4}");
    assert!(text.contains("tcp: no HTTP here"));
    assert!(text.contains("HAProxy's stats page only averages its last 1024"));
    // 4xx is yellow.
    let n4 = web10.http_responses[3].to_string();
    let y = rows(&buf).iter().position(|r| r == row).unwrap() as u16;
    let x = (0..150u16).find(|&x| {
        let s: String = (x..x + n4.len() as u16)
            .map(|i| buf[(i, y)].symbol())
            .collect();
        s == n4 && buf[(x, y)].fg == Color::Yellow
    });
    assert!(x.is_some(), "a yellow {n4} on {row}");
}

#[test]
fn errors_view_counts_failures_and_downtime() {
    let buf = render(&lab(View::Errors), 150, 45);
    let text = screen(&buf);
    for h in [
        "econ", "eresp", "retries", "redisp", "chkfail", "chkdown", "downtime",
    ] {
        assert!(text.contains(h), "{h}");
    }
    let web11 = &rows_with(&buf, " web11 ")[0];
    assert!(
        web11.contains("  2  ") && web11.contains("  1  "),
        "{web11}"
    );
    assert!(web11.contains("2m00s"), "{web11}");
    let y = rows(&buf).iter().position(|r| r == web11).unwrap() as u16;
    let red = (0..150u16).any(|x| buf[(x, y)].symbol() == "2" && buf[(x, y)].fg == Color::Red);
    assert!(red, "failed checks in red: {web11}");
}

#[test]
fn l4l7_view_shows_each_layers_decisions_side_by_side() {
    let app = lab(View::L4L7);
    let buf = render(&app, 150, 45);
    let text = screen(&buf);
    // Panels side by side: both titles on one row.
    let titles = &rows_with(&buf, "L7 main http")[0];
    assert!(titles.contains("L4 main_l4 tcp"), "{titles}");
    // L7: a request, the server it went to, a new server connection, the header added.
    assert!(text.contains("→ GET /index.html → web10"), "{text}");
    assert!(text.contains("new server conn"));
    assert!(text.contains("+X-Forwarded-For: 192.168.1.23"));
    assert!(
        text.contains("no header added"),
        "loopback clients are excepted"
    );
    // L4: pinned connections with bytes and time, and no HTTP anywhere in that panel.
    assert!(text.contains("⇒ web11  pinned for the whole connection"));
    assert!(text.contains("↑78B in ↓1.3K out"));
    let half = 75;
    for row in rows(&buf).iter().skip(3).take(25) {
        let right: String = row.chars().skip(half).collect();
        assert!(!right.contains("GET "), "HTTP in the L4 panel: {right}");
    }
    // Spread: all of the last 40 requests went to web10 (web11 is DOWN in hoge), the
    // connections alternate.
    assert!(text.contains("last 40: web10 ×40"), "{text}");
    assert!(text.contains("last 40: web10 ×20 web11 ×20"), "{text}");
    // The explanation comes from the configuration.
    assert!(text.contains("what each layer does"));
    assert!(text.contains("adds X-Forwarded-For (except for clients in 127.0.0.0/8)"));
    assert!(text.contains("GET /health_check.html"));
    assert!(text.contains("Its health check is a TCP connect"));
}

/// A request a rule sent to another backend names that backend's server, and the rule's
/// line: with `use_backend`, the frontend's default backend is not where it went.
#[test]
fn l4l7_view_names_the_backend_and_rule_a_request_was_routed_by() {
    let mut app = lab(View::L4L7);
    let mut routed = fixture::decisions().remove(0);
    assert_eq!(routed.frontend, 0);
    routed.backend = 1;
    routed.server = Some(1);
    routed.rule_line = Some(23);
    routed.request = Some("GET /api/x HTTP/1.1".into());
    app.on_session(routed);
    let text = screen(&render(&app, 150, 45));
    let line = text
        .lines()
        .find(|l| l.contains("GET /api/x"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("→ GET /api/x → hoge_l4/web11"), "{line}");
    assert!(text.contains("rule at line 23"), "{text}");
}

#[test]
fn l4l7_ring_is_bounded_and_pause_freezes_it() {
    let mut app = lab(View::L4L7);
    let one = fixture::decisions().remove(0);
    for _ in 0..500 {
        app.on_session(one.clone());
    }
    assert_eq!(app.recent().decisions(0).count(), lbtop::ui::DECISIONS_KEPT);
    press(&mut app, 'p');
    assert!(app.recent().paused());
    assert!(screen(&render(&app, 150, 45)).contains("PAUSED"));
    let mut other = one.clone();
    other.request = Some("GET /while-paused HTTP/1.1".into());
    assert!(!app.on_session(other.clone()));
    assert!(!screen(&render(&app, 150, 45)).contains("/while-paused"));
    key(&mut app, KeyCode::Esc);
    assert!(!app.recent().paused());
    assert!(app.on_session(other));
    assert!(screen(&render(&app, 150, 45)).contains("GET /while-paused → web10"));
}

#[test]
fn log_view_uses_the_smart_widget_and_traffic_capture_is_off_by_default() {
    let mut app = lab(View::Log);
    assert!(!app.log().capturing());
    lbtop::ui::inject_log_line(
        lbtop::events::Level::Alert,
        "health",
        "Server hoge/web11 is DOWN. (log view test line)",
    );
    let buf = render(&app, 150, 45);
    let text = screen(&buf);
    assert!(text.contains("topics"), "{text}");
    assert!(text.contains("(log view test line)"), "{text}");
    assert!(
        text.contains("traffic capture off (c turns it on)"),
        "{text}"
    );
    // No events strip on the log view itself.
    assert!(!text.contains("events (6: full log)"));
    press(&mut app, 'c');
    assert!(app.log().capturing());
    assert!(screen(&render(&app, 150, 45)).contains("traffic capture ON"));
    press(&mut app, 'c');
    assert!(!app.log().capturing());
    // Pause is tui-logger's page mode; Esc follows again.
    press(&mut app, 'p');
    assert!(app.log().paused());
    assert!(screen(&render(&app, 150, 45)).contains("PAUSED"));
    key(&mut app, KeyCode::Esc);
    assert!(!app.log().paused());
    // Server keys mean something else here: `h` hides the topic list, `d` does nothing.
    assert_eq!(press(&mut app, 'd'), None);
    press(&mut app, 'h');
    assert!(!screen(&render(&app, 150, 45)).contains("topics"));
    press(&mut app, 'h');
}

// ---------------------------------------------------------------------------------------
// Configuration: [ui] keys and theme.

fn ui_config(ui: &str) -> Result<Config, lbtop::config::ConfigError> {
    Config::parse(
        Path::new("ui.toml"),
        &format!("[ui]\nrefresh = \"250ms\"\n{ui}"),
    )
}

#[test]
fn ui_keys_and_theme_come_from_config() {
    let c =
        ui_config("theme = \"mono\"\n[ui.keys]\ndrain = \"D\"\nup = [\"i\", \"Up\"]\n").unwrap();
    assert_eq!(c.ui.theme, UiTheme::Mono);
    assert_eq!(c.ui.keys.keys(Action::Drain), &[Key::Char('D')]);
    assert_eq!(
        Theme::resolve(c.ui.theme, None),
        Theme::PLAIN,
        "mono is the plain theme"
    );
    let mut app = App::new(&opts(), Theme::COLORED).with_keymap(c.ui.keys.clone());
    app.update(snapshot(ServerStatus::Up), Instant::now());
    press(&mut app, 'j');
    assert_eq!(press(&mut app, 'd'), None, "d is no longer drain");
    assert!(matches!(
        press(&mut app, 'D'),
        Some(Command::SetAdmin { .. })
    ));
    press(&mut app, 'i');
    assert_eq!(
        app.servers().selected().map(|id| id.server),
        Some(0),
        "i moves up"
    );
    assert_eq!(app.keymap().label(Action::Up), "i/↑");
    let buf = render(&app, 150, 40);
    assert!(rows(&buf)[38].contains("D drain"), "{}", rows(&buf)[38]);
    app.show_help = true;
    assert!(screen(&render(&app, 150, 40)).contains("D  drain the selected server"));
    assert_eq!(ui_config("").unwrap().ui.theme, UiTheme::Default);
}

#[test]
fn bad_ui_keys_are_config_errors_with_the_line() {
    let e = ui_config("[ui.keys]\ndrian = \"D\"\n").unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("unknown action 'drian'"), "{e}");
    assert!(e.message.contains("did you mean 'drain'"), "{e}");

    let e = ui_config("[ui.keys]\nhelp = \"Hyper-x\"\n").unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("cannot read key 'Hyper-x'"), "{e}");

    // A key another action already has in the same view.
    let e = ui_config("[ui.keys]\nready = \"Z\"\ndrain = \"m\"\n").unwrap_err();
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("duplicate key binding"), "{e}");
    assert!(
        e.message.contains("'drain'") && e.message.contains("'maint'"),
        "{e}"
    );

    // Two entries that collide name both.
    let e = ui_config("[ui.keys]\ndrain = \"z\"\nready = [\"r\", \"z\"]\n").unwrap_err();
    assert_eq!(e.line, 5, "{e}");
    assert!(
        e.message.contains("'drain'") && e.message.contains("'ready'"),
        "{e}"
    );

    // The same key in views that never meet is fine (log-focus is on the log view only).
    assert!(ui_config("[ui.keys]\nlog-focus = \"d\"\n").is_ok());

    let e = ui_config("theme = \"neon\"\n").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(
        e.message
            .contains("'theme' must be \"default\" or \"mono\""),
        "{e}"
    );

    let e = ui_config("[ui.keys]\ndrain = 5\n").unwrap_err();
    assert_eq!(e.line, 4, "{e}");

    let e = ui_config("[ui.keys]\nquit = []\n").unwrap_err();
    assert!(e.message.contains("'quit' needs at least one key"), "{e}");
}

#[test]
fn every_default_binding_has_a_unique_name_and_help() {
    for b in BINDINGS {
        assert_eq!(Action::from_name(b.name), Some(b.action));
        assert!(!b.help.is_empty());
    }
    assert_eq!(ui_config("").unwrap().ui.keys, Keymap::default());
}

// ---------------------------------------------------------------------------------------
// Terminals.

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
fn every_view_draws_at_every_size() {
    fixture::lab_log_lines();
    for view in View::ALL {
        let mut app = lab(view);
        for (w, h) in [
            (60, 15),
            (61, 16),
            (80, 24),
            (100, 30),
            (150, 45),
            (220, 60),
            (59, 40),
        ] {
            for help in [false, true] {
                app.show_help = help;
                let text = screen(&render(&app, w, h));
                if w < 60 {
                    assert!(text.contains("too small"));
                } else if help {
                    assert!(text.contains("help: "), "{view:?} {w}x{h}:\n{text}");
                } else {
                    assert!(text.contains("lbtop"), "{view:?} {w}x{h}:\n{text}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rates and bytes.

#[test]
fn req_per_second_comes_from_two_snapshots() {
    let start = Instant::now();
    let mut app = App::new(&opts(), Theme::COLORED);
    app.view = View::Traffic;
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[0].total_sessions = 100;
    snap.backends[0].servers[1].total_sessions = 7;
    app.update(snap.clone(), start);
    let web10 = ServerId {
        backend: 0,
        server: 0,
    };
    assert_eq!(app.stats().rate(web10), None);
    assert!(row_of(&render(&app, 150, 40), "web10").contains(" - "));

    snap.backends[0].servers[0].total_sessions = 130;
    app.update(snap, start + Duration::from_secs(2));
    assert_eq!(app.stats().rate(web10), Some(15.0));
    assert_eq!(app.stats().rate(WEB11), Some(0.0));
    let buf = render(&app, 150, 40);
    assert!(row_of(&buf, "web10").contains("15.0"));
    assert!(row_of(&buf, "web10").contains(" 130 "));
}

#[test]
fn bytes_are_shown_in_human_units() {
    let mut app = App::new(&opts(), Theme::COLORED);
    app.view = View::Traffic;
    let mut snap = snapshot(ServerStatus::Up);
    snap.backends[0].servers[0].bytes_in = 1536;
    snap.backends[0].servers[0].bytes_out = 5 * 1024 * 1024;
    app.update(snap, Instant::now());
    let row = row_of(&render(&app, 150, 40), "web10");
    assert!(row.contains("1.5K") && row.contains("5.0M"), "{row}");
}

#[test]
fn redraws_only_when_something_visible_changed() {
    let start = Instant::now();
    let mut app = App::new(&opts(), Theme::COLORED);
    assert!(app.update(snapshot(ServerStatus::Up), start));
    // The first rates appear (`-` becomes `0.0`).
    let mut snap = snapshot(ServerStatus::Up);
    snap.uptime += Duration::from_millis(300);
    assert!(app.update(snap, start + Duration::from_millis(300)));
    // Same counters, same second: nothing to draw.
    let mut snap = snapshot(ServerStatus::Up);
    snap.uptime += Duration::from_millis(600);
    assert!(!app.update(snap, start + Duration::from_millis(600)));
    let mut snap = snapshot(ServerStatus::Up);
    snap.uptime += Duration::from_secs(1);
    assert!(
        app.update(snap, start + Duration::from_secs(1)),
        "the clock moved"
    );
    let mut snap = snapshot(ServerStatus::Down);
    snap.uptime += Duration::from_secs(1);
    assert!(app.update(snap, start + Duration::from_millis(1100)));
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

    // Ctrl-C quits even from a question or while typing a filter.
    let mut app = app_with(ServerStatus::Up, Theme::COLORED);
    press(&mut app, 'm');
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
    assert_eq!(press(&mut app, '+'), None);
    press(&mut app, '5');
    assert!(screen(&render(&app, 120, 40)).contains("waiting for the first snapshot"));
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

#[test]
fn help_scrolls_when_the_terminal_is_small() {
    let mut app = lab(View::Status);
    press(&mut app, '?');
    let text = screen(&render(&app, 90, 24));
    assert!(text.contains("↑↓ scroll"), "{text}");
    assert!(!text.contains("delete/restore that demo server"), "{text}");
    for _ in 0..30 {
        press(&mut app, 'j');
    }
    assert!(app.show_help, "j scrolls, it does not close");
    let text = screen(&render(&app, 90, 24));
    assert!(text.contains("delete/restore that demo server"), "{text}");
    assert_eq!(
        app.servers().selected(),
        Some(WEB11),
        "the selection did not move"
    );
}

#[test]
fn narrow_header_drops_addresses_before_anything_else() {
    let app = lab(View::Status);
    let top = &rows(&render(&app, 90, 24))[0];
    assert!(
        top.contains(" main http L7 ") && top.contains("conns 2/4000"),
        "{top}"
    );
    let top = &rows(&render(&app, 150, 24))[0];
    assert!(top.contains(" main http 127.0.0.1:8080 L7 "), "{top}");
}

#[test]
fn a_frontend_with_several_binds_shows_the_first_and_how_many_more() {
    let mut snap = snapshot(ServerStatus::Up);
    snap.frontends[0].binds = vec![
        addr("127.0.0.1:8080"),
        addr("[::1]:8080"),
        addr("127.0.0.1:8090"),
    ];
    let mut app = App::new(&opts(), Theme::COLORED);
    app.update(snap, Instant::now());
    let text = screen(&render(&app, 150, 40));
    assert!(text.contains("main http 127.0.0.1:8080 +2 L7"), "{text}");
}
