//! The dashboard's real loop (`ui::run_with`), in-process, on ratatui's TestBackend: the
//! seed's lab (engine and demo web servers on 127.0.0.1), keys pressed from a script once the
//! screen shows what a person would wait for, and a clock that moves only while the script
//! waits. What is checked is what a person would see, and what the engine then does.

mod common;

use common::dashboard::{row, status, status_line, Run};
use lbtop::events::{ServerStatus, Snapshot};
use lbtop::ui::script::{ManualClock, Script};
use lbtop::ui::PENDING;

const HOGE: usize = 0;
const HOGE_L4: usize = 1;
const WEB11: usize = 1;

/// Runs the dashboard over a fresh lab until the script quits; returns the last screen and
/// the engine's state then.
fn run(script: impl FnOnce(Script) -> Script) -> (String, Snapshot) {
    let clock = ManualClock::new();
    let mut script = script(Script::new(&clock));
    let snapshot = Run::sized(150, 45).over_lab(&mut script, &clock);
    assert_eq!(
        script.remaining(),
        0,
        "the loop returned before the script ended"
    );
    (script.screen().to_string(), snapshot)
}

/// Every server row shows `UP` after a passed check (servers start as `UP 1/2`, not yet
/// checked).
fn all_checked_up(screen: &str) -> bool {
    [("web10", 0), ("web11", 0), ("web10", 1), ("web11", 1)]
        .into_iter()
        .all(|(name, n)| {
            let r = row(screen, name, n);
            r.contains(" UP ") && !r.contains("UP 1/2") && r.contains("OK")
        })
}

/// Both demo servers passed their checks, and the cursor is on hoge/web11.
fn web11_selected(script: Script) -> Script {
    script
        .wait_until("every server checked UP", all_checked_up)
        .key('j')
        .wait_until("hoge/web11 selected", |s| row(s, "web11", 0).contains('▶'))
}

#[test]
fn d_drains_web11_and_q_quits() {
    let (screen, engine) = run(|script| {
        web11_selected(script)
            .key('d')
            .wait_for("hoge/web11 is now DRAIN")
            .wait_until("web11 shown DRAIN", |s| {
                let web11 = row(s, "web11", 0);
                web11.contains(" DRAIN ") && !web11.contains(PENDING)
            })
            .key('q')
    });
    // The screen: hoge's web11 is DRAIN, hoge_l4's (a different proxy) still UP.
    assert!(row(&screen, "web11", 0).contains(" DRAIN "), "{screen}");
    assert!(row(&screen, "web11", 1).contains(" UP "), "{screen}");
    assert!(row(&screen, "web10", 0).contains(" UP "), "{screen}");
    assert!(
        status_line(&screen).contains("hoge/web11 is now DRAIN"),
        "{screen}"
    );
    // The engine: the command went through, to that server only.
    assert_eq!(status(&engine, HOGE, WEB11), ServerStatus::Drain);
    assert_eq!(
        status(&engine, HOGE_L4, WEB11),
        ServerStatus::Up,
        "{screen}\n{engine:#?}"
    );
}

#[test]
fn maint_asks_first_and_x_takes_web11_down_for_http_checks_only() {
    let (screen, engine) = run(|script| {
        web11_selected(script)
            .key('m')
            .wait_for("Put hoge/web11 in maintenance (MAINT)?")
            .key('n')
            .wait_for("cancelled: hoge/web11 stays as it is")
            // The demo key deletes web11's health page: hoge checks it over HTTP.
            .key('x')
            .wait_for("demo: web11: health_check.html deleted")
            .wait_for("hoge 1 of 2 up")
            .wait_until("web11 shown DOWN in hoge", |s| {
                row(s, "web11", 0).contains(" DOWN ")
            })
            .key('q')
    });
    assert!(
        !screen.contains("Put hoge/web11 in maintenance"),
        "{screen}"
    );
    assert!(row(&screen, "web11", 0).contains("L7STS 404"), "{screen}");
    // hoge_l4 only connects, so web11 stays UP there: L7 sees what L4 cannot.
    assert!(row(&screen, "web11", 1).contains(" UP "), "{screen}");
    assert!(screen.contains("hoge_l4 2 of 2 up"), "{screen}");
    assert_eq!(status(&engine, HOGE, WEB11), ServerStatus::Down);
    assert_eq!(
        status(&engine, HOGE_L4, WEB11),
        ServerStatus::Up,
        "{screen}\n{engine:#?}"
    );
}
