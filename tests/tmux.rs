//! Drives the real dashboard in tmux, as a person would: select web11, drain it, see the
//! traffic move, make it ready again, quit, and find the terminal restored; then put web11 in
//! maintenance through the confirmation, backing out once first.

mod common;

use common::{cut, get, lab_toml, write_config, Ports};
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// One private tmux server (its own socket), killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn start(command: &str, (width, height): (u16, u16)) -> Tmux {
        // One tmux server per test: tests in this file run in parallel.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("lbtop-test-{}-{n}", std::process::id());
        let t = Tmux { socket };
        let (w, h) = (width.to_string(), height.to_string());
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "lbtop",
                "-x",
                &w,
                "-y",
                &h,
                command,
            ])
            .status
            .success();
        assert!(ok, "tmux new-session failed");
        t
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &str) {
        assert!(self
            .cmd(&["send-keys", "-t", "lbtop", keys])
            .status
            .success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-t", "lbtop", "-p"]).stdout)
            .into_owned()
    }

    fn wait(&self, what: &str, probe: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if probe(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// The status cell of the first `web11` row (backend hoge comes first on screen).
fn web11_row(screen: &str) -> &str {
    screen.lines().find(|l| l.contains(" web11 ")).unwrap_or("")
}

fn answering(rt: &tokio::runtime::Runtime, addr: SocketAddr, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| rt.block_on(get(addr, "/")).server().to_string())
        .collect()
}

/// The seed's lab on free ports, its dashboard open in tmux with both backends up; `None`
/// (said loudly) where tmux is missing.
fn lab_dashboard() -> Option<(Tmux, Ports, tempfile::TempDir)> {
    lab_dashboard_at((150, 45), |s| {
        s.contains("hoge 2 of 2 up") && s.contains("hoge_l4 2 of 2 up")
    })
}

/// The same at `size`, waiting until `ready`.
fn lab_dashboard_at(
    size: (u16, u16),
    ready: impl Fn(&str) -> bool,
) -> Option<(Tmux, Ports, tempfile::TempDir)> {
    if !Tmux::available() {
        eprintln!("\n*** SKIPPED: tmux is not installed; .ci/run installs it so CI always runs this ***\n");
        return None;
    }
    let ports = Ports::new();
    let (dir, path) = write_config("lab.toml", &lab_toml(ports, "500ms", true));
    let command = format!(
        "{LBTOP} --config {}; echo LBTOP-EXITED $?; sleep 30",
        path.display()
    );
    let tmux = Tmux::start(&command, size);
    tmux.wait("the dashboard ready", ready);
    Some((tmux, ports, dir))
}

#[test]
fn drain_and_ready_web11_from_the_keyboard() {
    let Some((tmux, ports, _dir)) = lab_dashboard() else {
        return;
    };

    tmux.keys("j");
    tmux.keys("d");
    let screen = tmux.wait("web11 draining", |s| web11_row(s).contains("DRAIN"));
    assert!(
        screen.contains("hoge 1 of 2 up") || screen.contains("hoge 2 of 2 up"),
        "{screen}"
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], ports.http));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let who = answering(&rt, addr, 6);
    assert!(who.iter().all(|s| s == "web10"), "{who:?}");
    tmux.wait("the drain line in the log", |s| {
        s.contains("Server hoge/web11 enters drain state.")
    });

    tmux.keys("r");
    tmux.wait("web11 ready", |s| {
        let row = web11_row(s);
        row.contains(" UP ") && !row.contains("DRAIN")
    });
    let who = answering(&rt, addr, 4);
    assert!(who.iter().any(|s| s == "web11"), "{who:?}");

    tmux.keys("q");
    let screen = tmux.wait("lbtop exited", |s| s.contains("LBTOP-EXITED"));
    assert!(screen.contains("LBTOP-EXITED 0"), "{screen}");
    assert!(
        !screen.contains("hoge 2 of 2 up"),
        "the dashboard is gone:\n{screen}"
    );
}

#[test]
fn maint_asks_for_confirmation_first() {
    let Some((tmux, ports, _dir)) = lab_dashboard() else {
        return;
    };

    // Asked, and backed out of: nothing changes.
    tmux.keys("j");
    tmux.keys("m");
    tmux.wait("the question", |s| {
        s.contains("Put hoge/web11 in maintenance (MAINT)?")
    });
    tmux.keys("n");
    let screen = tmux.wait("the question gone", |s| {
        !s.contains("Put hoge/web11 in maintenance") && s.contains("cancelled")
    });
    assert!(web11_row(&screen).contains(" UP "), "{screen}");
    assert!(!screen.contains("MAINT "), "{screen}");

    // Asked again, and confirmed.
    tmux.keys("m");
    tmux.wait("the question", |s| {
        s.contains("Put hoge/web11 in maintenance (MAINT)?")
    });
    tmux.keys("y");
    tmux.wait("web11 in maintenance", |s| web11_row(s).contains("MAINT"));
    tmux.wait("the maintenance line in the log", |s| {
        s.contains("Server hoge/web11 is going DOWN for maintenance.")
    });
    tmux.wait("the confirmation", |s| {
        s.contains("hoge/web11 is now MAINT")
    });
    let addr = SocketAddr::from(([127, 0, 0, 1], ports.http));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let who = answering(&rt, addr, 4);
    assert!(who.iter().all(|s| s == "web10"), "{who:?}");

    tmux.keys("r");
    tmux.wait("web11 back", |s| {
        let row = web11_row(s);
        row.contains(" UP") && !row.contains("MAINT")
    });
    tmux.keys("q");
    let screen = tmux.wait("lbtop exited", |s| s.contains("LBTOP-EXITED"));
    assert!(screen.contains("LBTOP-EXITED 0"), "{screen}");
}

impl Tmux {
    /// A tmux format variable of the pane (`#{mouse_any_flag}`: whether the program asked
    /// for mouse reports).
    fn var(&self, name: &str) -> String {
        let format = format!("#{{{name}}}");
        let out = self.cmd(&["display-message", "-p", "-t", "lbtop", &format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Like `wait`, on a screen that stayed the same for a moment: a capture taken while the
    /// terminal is half redrawn would mix two frames.
    fn settled(&self, what: &str, probe: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = String::new();
        loop {
            let screen = self.screen();
            if screen == last && probe(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            last = screen;
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Bytes as the terminal would send them (a mouse report, say).
    fn raw(&self, bytes: &[u8]) {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut args = vec!["send-keys", "-t", "lbtop", "-H"];
        args.extend(hex.iter().map(String::as_str));
        assert!(self.cmd(&args).status.success());
    }
}

/// Server rows on screen (a short terminal shows only hoge's) checked UP.
fn checked_up(s: &str) -> bool {
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains(" web10 ") || l.contains(" web11 "))
        .collect();
    rows.len() >= 2
        && rows
            .iter()
            .all(|l| l.contains(" UP ") && !l.contains("UP 1/2") && l.contains("OK"))
}

/// Views 1-5 and 7 of the real binary at `size`, with the demo's traffic flowing: no status
/// code, address, server name or badge cut (see tests/common/cut.rs), `? help  q quit` in
/// the footer, the events strip included.
fn nothing_cut_in_tmux(size: (u16, u16)) {
    let Some((tmux, _ports, _dir)) = lab_dashboard_at(size, checked_up) else {
        return;
    };
    // The demo's traffic, so the views carry client addresses and status codes.
    if tmux.screen().contains("traffic off") {
        tmux.keys("t");
    }
    let views = [
        ("1", " 1 Status "),
        ("2", " 2 Traffic "),
        ("3", " 3 HTTP "),
        ("4", " 4 Errors "),
        ("5", " 5 L4/L7 "),
        ("7", " 7 Config "),
    ];
    for (key, tab) in views {
        tmux.keys(key);
        let screen = tmux.settled(tab, |s| {
            // The L4/L7 view is checked once it shows requests.
            s.lines().nth(1).is_some_and(|l| l.contains(tab)) && (key != "5" || s.contains(" → "))
        });
        let problems = cut::problems(&screen, &["web10", "web11"], &[]);
        assert!(problems.is_empty(), "{tab}: {problems:#?}\n{screen}");
        let footer = screen.lines().rev().nth(1).unwrap_or_default();
        assert!(
            footer.contains("? help  q quit"),
            "{tab}: {footer}\n{screen}"
        );
    }
    tmux.keys("q");
    tmux.wait("lbtop exited", |s| s.contains("LBTOP-EXITED"));
}

#[test]
fn nothing_is_cut_at_80x24() {
    nothing_cut_in_tmux((80, 24));
}

#[test]
fn nothing_is_cut_at_60x15() {
    nothing_cut_in_tmux((60, 15));
}

/// The real terminal: mouse reports on while lbtop runs (a click on tab 7 switches views),
/// and off again once it quits, so the shell gets no stray mouse reports.
#[test]
fn mouse_capture_is_on_while_running_and_off_after() {
    let Some((tmux, _ports, _dir)) = lab_dashboard_at((80, 24), checked_up) else {
        return;
    };
    assert_eq!(tmux.var("mouse_any_flag"), "1", "mouse reports asked for");
    // A left click at column 27, row 2 (1-based), as an SGR report: tab ` 7 ` at 80 columns.
    tmux.raw(b"\x1b[<0;27;2M");
    tmux.raw(b"\x1b[<0;27;2m");
    tmux.wait("the config view", |s| s.contains("configuration  line 1/"));
    tmux.keys("q");
    let screen = tmux.wait("lbtop exited", |s| s.contains("LBTOP-EXITED"));
    assert!(screen.contains("LBTOP-EXITED 0"), "{screen}");
    assert_eq!(tmux.var("mouse_any_flag"), "0", "mouse reports off again");
    assert_eq!(tmux.var("alternate_on"), "0", "main screen back");
}
