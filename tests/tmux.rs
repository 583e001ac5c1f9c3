//! Drives the real dashboard in tmux, as a person would: select web11, drain it, see the
//! traffic move, make it ready again, quit, and find the terminal restored; then put web11 in
//! maintenance through the confirmation, backing out once first.

mod common;

use common::{get, lab_toml, write_config, Ports};
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

    fn start(command: &str) -> Tmux {
        // One tmux server per test: tests in this file run in parallel.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("lbtop-test-{}-{n}", std::process::id());
        let t = Tmux { socket };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "lbtop",
                "-x",
                "150",
                "-y",
                "45",
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
    let tmux = Tmux::start(&command);
    tmux.wait("both backends up", |s| {
        s.contains("hoge 2 of 2 up") && s.contains("hoge_l4 2 of 2 up")
    });
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
