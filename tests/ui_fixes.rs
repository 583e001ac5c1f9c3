//! Issue 15's "broken or wrong" items, on the dashboard's real loop (`ui::run_with`) over
//! the seed's lab, in-process on ratatui's TestBackend, with scripted keys and a clock that
//! moves only while the script waits: what the status line says after the demo keys and a
//! weight of 0, the filter hint going away, `o` as help describes it, `p` freezing the log
//! exactly, and the event strip cutting between words.

mod common;

use common::dashboard::{row, status_line, Run};
use lbtop::events::{Level, Snapshot};
use lbtop::ui::inject_log_line;
use lbtop::ui::script::{ManualClock, Script};
use std::sync::{Arc, Mutex};

/// Runs the dashboard at `width`x`height` over a fresh lab until the script quits; returns
/// the last screen and the engine's state then.
fn run(width: u16, height: u16, script: impl FnOnce(Script) -> Script) -> (String, Snapshot) {
    let clock = ManualClock::new();
    let mut script = script(Script::new(&clock));
    let snapshot = Run::sized(width, height).over_lab(&mut script, &clock);
    assert_eq!(script.remaining(), 0, "the loop returned early");
    (script.screen().to_string(), snapshot)
}

fn all_checked_up(screen: &str) -> bool {
    [("web10", 0), ("web11", 0), ("web10", 1), ("web11", 1)]
        .into_iter()
        .all(|(name, n)| {
            let r = row(screen, name, n);
            r.contains(" UP ") && !r.contains("UP 1/2")
        })
}

fn web11_selected(script: Script) -> Script {
    script
        .wait_until("every server checked UP", all_checked_up)
        .key('j')
        .wait_until("hoge/web11 selected", |s| row(s, "web11", 0).contains('▶'))
}

/// Item 1: `x`, `s` and `t` end with what the demo did, not with "… deleting".
#[test]
fn the_demo_keys_say_what_the_demo_did() {
    let (screen, _) = run(150, 45, |script| {
        web11_selected(script)
            .key('x')
            .wait_until("x confirmed", |s| {
                status_line(s).contains("demo: web11: health_check.html deleted")
            })
            .key('x')
            .wait_until("x again confirmed", |s| {
                status_line(s).contains("demo: web11: health_check.html restored")
            })
            .key('s')
            .wait_until("s confirmed", |s| {
                status_line(s).contains("demo: web11 stopped (like `systemctl stop apache2`)")
            })
            .key('s')
            .wait_until("s again confirmed", |s| {
                status_line(s).contains("demo: web11 started (like `systemctl start apache2`)")
            })
            .key('t')
            .wait_until("t confirmed", |s| {
                status_line(s).contains("demo: traffic generator started")
            })
            .key('t')
            .wait_until("t again confirmed", |s| {
                status_line(s).contains("demo: traffic generator stopped")
            })
            .key('q')
    });
    assert!(!status_line(&screen).contains('…'), "{screen}");
}

/// Item 9: a weight of 0 is confirmed in the row's words (UP, as HAProxy says), and refusals
/// speak no Rust.
#[test]
fn weight_zero_is_confirmed_as_the_row_shows_it() {
    let (screen, snap) = run(150, 45, |script| {
        web11_selected(script)
            .key('-')
            .wait_until("the weight confirmed", |s| {
                status_line(s).contains("hoge/web11 weight is now 0: no new traffic (UP)")
            })
            .key('-')
            .wait_for("hoge/web11: weight is already 0 (it goes from 0 to 256)")
            .key('q')
    });
    assert!(row(&screen, "web11", 0).contains(" UP "), "{screen}");
    assert!(!screen.contains("..="), "{screen}");
    assert_eq!(snap.backends[0].servers[1].weight, 0);
}

/// Item 9: the filter's hint is there while typing, and only then (it stayed on the status
/// line after Enter and in other views).
#[test]
fn the_filter_hint_goes_after_enter_and_on_another_view() {
    let hint = |s: &str| s.contains("Enter keeps") || s.contains("filter: type to match");
    let (screen, _) = run(150, 45, move |script| {
        script
            .wait_until("every server checked UP", all_checked_up)
            .key('/')
            .wait_until("the prompt", hint)
            .key('w')
            .key('e')
            .key('b')
            .key('1')
            .key('1')
            .code(crossterm::event::KeyCode::Enter)
            .wait_until("the hint gone after Enter", move |s| {
                !hint(s) && row(s, "web10", 0).is_empty()
            })
            .key('/')
            .wait_until("the prompt again", hint)
            .code(crossterm::event::KeyCode::Tab)
            .wait_until("the traffic view, no hint", move |s| {
                !hint(s) && s.contains("req/s")
            })
            // Typing ended with the view: `q` quits rather than joining the filter.
            .key('q')
    });
    assert!(!hint(&screen), "{screen}");
}

/// Item 7: `o` walks the columns one by one, then goes back to configuration order, as
/// help now says.
#[test]
fn o_walks_the_columns_then_config_order_as_help_says() {
    // The status view sorts by name, status, lastchg, wght, cur, max, total and lbtot.
    let columns = 8;
    run(150, 45, |script| {
        let mut script = script
            .wait_until("every server checked UP", all_checked_up)
            .key('?')
            .wait_for("sort by the next column; after the last one, config order")
            .code(crossterm::event::KeyCode::Esc);
        for _ in 0..columns {
            script = script.key('o');
        }
        script
            .wait_until("a sort in force, not config order yet", |s| {
                !status_line(s).contains("servers in configuration order")
            })
            .key('o')
            .wait_for("servers in configuration order")
            .key('q')
    });
}

/// The log pane's rows: between its top border (the row with the ` log ` title) and its
/// bottom border.
fn log_rows(screen: &str) -> Vec<String> {
    let rows: Vec<&str> = screen.lines().collect();
    let top = rows
        .iter()
        .position(|r| r.contains(" log "))
        .expect("log pane");
    let bottom = (top + 1..rows.len())
        .find(|&i| rows[i].contains('└'))
        .expect("bottom border");
    rows[top + 1..bottom]
        .iter()
        .map(|r| r.to_string())
        .collect()
}

/// Item 8: `p` freezes exactly the lines on screen; lines logged meanwhile wait for the
/// resume.
#[test]
fn p_freezes_the_log_exactly_as_shown() {
    let before = Arc::new(Mutex::new(Vec::new()));
    let paused = Arc::new(Mutex::new(Vec::new()));
    let frames = Arc::new(Mutex::new(0));
    let (b, p, f) = (before.clone(), paused.clone(), frames.clone());
    let (screen, _) = run(120, 30, move |script| {
        script
            .wait_until("every server checked UP", all_checked_up)
            .key('6')
            .wait_until("lines logged before the pause", |_| {
                for n in 0..40 {
                    inject_log_line(Level::Notice, "system", &format!("before-pause line {n}"));
                }
                true
            })
            .wait_for("before-pause line 39")
            .wait_until("the screen at the pause", move |s| {
                *b.lock().unwrap() = log_rows(s);
                true
            })
            .key('p')
            .wait_for("PAUSED")
            .wait_until("lines logged while paused", |_| {
                for n in 0..5 {
                    inject_log_line(Level::Notice, "system", &format!("while-paused line {n}"));
                }
                true
            })
            .wait_until("ten frames while paused", move |s| {
                p.lock().unwrap().push(log_rows(s));
                let mut n = f.lock().unwrap();
                *n += 1;
                *n >= 10
            })
            .key('p')
            .wait_for("while-paused line 4")
            .key('q')
    });
    let before = before.lock().unwrap().clone();
    assert!(
        before.iter().any(|r| r.contains("before-pause line 39")),
        "{before:#?}"
    );
    for shown in paused.lock().unwrap().iter() {
        assert_eq!(shown, &before, "the paused log moved");
    }
    assert!(!screen.contains("PAUSED"), "{screen}");
}

/// Item 9: at 80 columns a long event is one row, cut between words with `…`.
#[test]
fn the_event_strip_cuts_between_words() {
    const START: &str = "Server hoge/web11 is DOWN, reason:";
    let long = "Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404, info: \
                \"Not Found\", check duration: 1ms. 1 active and 0 backup servers left.";
    let seen = Arc::new(Mutex::new(String::new()));
    let keep = seen.clone();
    run(80, 24, move |script| {
        script
            .wait_until("every server checked UP", all_checked_up)
            // Logged again each frame until a frame shows it: other tests' lines may push
            // it out of the strip's few rows first.
            .wait_until("the long event on screen", move |s| {
                if s.contains(START) {
                    *keep.lock().unwrap() = s.to_string();
                    return true;
                }
                inject_log_line(Level::Alert, "health", long);
                false
            })
            .key('q')
    });
    let screen = seen.lock().unwrap().clone();
    let rows: Vec<&str> = screen.lines().collect();
    let i = rows
        .iter()
        .position(|r| r.contains(START))
        .expect("the event");
    let shown = rows[i].trim_end();
    assert!(shown.ends_with('…'), "{screen}");
    // Cut after a whole word of the message: what is shown is a prefix up to a space.
    let kept = shown.trim_end_matches('…');
    let message = &kept[kept.find("Server").unwrap()..];
    assert!(long.starts_with(message), "{shown}");
    assert_eq!(long.as_bytes().get(message.len()), Some(&b' '), "{shown}");
    // No continuation row: the rest of the message is nowhere on screen.
    assert!(!screen.contains("servers left"), "{screen}");
}
