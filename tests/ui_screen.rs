//! The dashboard's whole loop (`ui::run_with`) on a TestBackend of the sizes people use, over
//! the seed's lab: nothing cut at 80x24 or 60x15 (issue #15 item 3), the backend badge in
//! words (item 4), the status line's message kept apart from the sort (item 9), `!` listing
//! only the servers that are not plainly UP, and the mouse (click a row, click a tab, the
//! wheel). Keys and mouse events come from a script; the clock moves only while it waits.

mod common;

use common::cut;
use common::dashboard::Run;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use lbtop::ui::script::{ManualClock, Script};
use lbtop::ui::Input;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NAMES: [&str; 2] = ["web10", "web11"];

/// The script, keeping the last frame's cells too (for styles).
struct Recorder {
    script: Script,
    last: Option<Buffer>,
}

impl Input for Recorder {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        self.script.next(timeout)
    }

    fn shown(&mut self, screen: &Buffer) {
        self.script.shown(screen);
        self.last = Some(screen.clone());
    }
}

/// Runs the dashboard at `width`x`height` over a fresh lab until the script quits; returns
/// the last frame.
fn run(width: u16, height: u16, script: impl FnOnce(Script) -> Script) -> Buffer {
    let clock = ManualClock::new();
    let mut input = Recorder {
        script: script(Script::new(&clock)),
        last: None,
    };
    Run::sized(width, height).over_lab(&mut input, &clock);
    assert_eq!(input.script.remaining(), 0, "the loop ended early");
    input.last.expect("a frame was drawn")
}

fn lines(buf: &Buffer) -> Vec<String> {
    let a = buf.area;
    (a.top()..a.bottom())
        .map(|y| {
            (a.left()..a.right())
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

/// Where `text` starts on screen (column, row), in terminal cells.
fn find(screen: &str, text: &str, nth: usize) -> Option<(u16, u16)> {
    screen
        .lines()
        .enumerate()
        .flat_map(|(y, l)| {
            l.match_indices(text)
                .map(move |(i, _)| (l[..i].chars().count() as u16, y as u16))
        })
        .nth(nth)
}

/// Every server row on screen (a short terminal shows only hoge's) checked UP: servers start
/// as `UP 1/2`, not yet checked.
fn all_checked_up(screen: &str) -> bool {
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" web10 ") || l.contains(" web11 "))
        .collect();
    rows.len() >= 2
        && rows
            .iter()
            .all(|l| l.contains(" UP ") && !l.contains("UP 1/2") && l.contains("OK"))
}

/// A screen a script waits for.
type Ready = fn(&str) -> bool;

/// Screens seen while the script ran, by what was waited for.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Waits until `ready` holds and keeps that screen for the checks after the run.
fn keep(script: Script, seen: &Seen, what: &str, ready: Ready) -> Script {
    let seen = seen.clone();
    let name = what.to_string();
    script.wait_until(what, move |s| {
        let ok = ready(s);
        if ok {
            seen.lock().unwrap().push((name.clone(), s.to_string()));
        }
        ok
    })
}

/// Every view but the log (whose lines wrap where tui-logger wraps them) at one size: no
/// status code, address, server name or badge cut, the events strip included, and
/// `? help  q quit` in the footer.
fn nothing_cut_at(width: u16, height: u16) {
    let seen: Seen = Arc::default();
    run(width, height, |s| {
        let mut s = keep(s, &seen, "1 Status", |s| {
            all_checked_up(s) && s.contains("L7OK 200")
        });
        let views: [(char, &str, Ready); 5] = [
            ('2', "2 Traffic", |s| s.contains(" 2 Traffic ")),
            ('3', "3 HTTP", |s| s.contains(" 3 HTTP ")),
            ('4', "4 Errors", |s| s.contains(" 4 Errors ")),
            ('5', "5 L4/L7", |s| {
                s.contains(" 5 L4/L7 ") && s.contains("req/s")
            }),
            ('7', "7 Config", |s| s.contains(" 7 Config ")),
        ];
        for (key, what, ready) in views {
            s = keep(s.key(key), &seen, what, ready);
        }
        s.key('q')
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 6);
    for (view, screen) in seen.iter() {
        let problems = cut::problems(screen, &NAMES, &[]);
        assert!(problems.is_empty(), "{view}: {problems:#?}\n{screen}");
        let footer = screen.lines().rev().nth(1).unwrap_or_default();
        assert!(footer.contains("? help  q quit"), "{view}: {footer}");
    }
    // The server rows name their servers whole, at this size too.
    let status = &seen[0].1;
    for name in NAMES {
        assert!(status.contains(&format!(" {name} ")), "{status}");
    }
}

#[test]
fn nothing_is_cut_at_80x24() {
    nothing_cut_at(80, 24);
}

#[test]
fn nothing_is_cut_at_60x15() {
    nothing_cut_at(60, 15);
}

/// Both of hoge's servers lose their health page (`x`): the badge says the backend is DOWN,
/// in words, as the BACKEND row does; the servers keep HAProxy's words.
#[test]
fn the_badge_says_down_when_the_backend_is_down() {
    let buf = run(100, 30, |s| {
        s.wait_until("every server checked UP", all_checked_up)
            .key('x')
            .wait_for("hoge 1 of 2 up")
            .key('j')
            .key('x')
            .wait_for("hoge DOWN 0 of 2 up")
            .wait_until("the BACKEND row DOWN", |s| {
                s.lines()
                    .any(|l| l.contains("BACKEND") && l.contains(" DOWN "))
            })
            .key('q')
    });
    let screen = lines(&buf).join("\n");
    // (HAProxy's own log lines in the events strip say `status: 2/2 UP.` of a server's checks.)
    assert!(!cut::without_strip(&screen).contains("/2 UP"), "{screen}");
    assert!(screen.contains("hoge_l4 2 of 2 up"), "{screen}");
    // Header and table title alike; the word DOWN is red and bold where colour is on, but
    // the words alone say it.
    let (x, y) = find(&screen, "hoge DOWN 0 of 2 up", 0).unwrap();
    assert_eq!(y, 1, "the header's tabs line:\n{screen}");
    let down = &buf[(x + 5, y)];
    assert_eq!(down.fg, Color::Red, "{screen}");
    assert!(down.modifier.contains(Modifier::BOLD));
    assert!(
        find(&screen, "hoge DOWN 0 of 2 up", 1).is_some(),
        "{screen}"
    );
}

/// The message and the list's state each have their own part of the status line: the state
/// (`!`, the sort) at the right edge, shortened or left out whole when the line is narrow,
/// the message on the left, cut with `…` to its own part, and a gap between.
#[test]
fn the_status_line_keeps_the_message_apart_from_the_sort() {
    let buf = run(60, 15, |s| {
        s.wait_until("every server checked UP", all_checked_up)
            .key('o')
            .key('!')
            .wait_until("the message and the state", |s| {
                let status = s.lines().last().unwrap_or_default();
                status.starts_with("only servers not UP") && status.contains("sorted by name")
            })
            .key('q')
    });
    let status = lines(&buf).pop().unwrap();
    // 60 columns: the state takes at most half, so the sort loses its direction and stays
    // whole; the message gets what is left but the two-column gap.
    assert!(
        status.ends_with(" ! not UP only  sorted by name"),
        "{status:?}"
    );
    let message = &status[..status.find(" ! not UP only").unwrap()];
    assert!(message.ends_with("…  "), "{status:?}");
    // (How many are hidden depends on which checks have passed yet in hoge_l4, off screen.)
    assert!(message.starts_with("only servers not UP: "), "{status:?}");
}

/// `!`: with every server UP it says so rather than drawing empty tables; with hoge/web11 down
/// only it is listed, the table's title counts the UP servers hidden, the footer says `!` is
/// on, and `!` again shows all.
#[test]
fn down_only_lists_the_servers_that_are_not_up() {
    let seen: Seen = Arc::default();
    let buf = run(100, 30, |s| {
        let s = s
            .wait_until("every server checked UP", all_checked_up)
            .key('!');
        let s = keep(s, &seen, "all UP", |s| {
            s.contains("every server is UP: nothing to show with ! on (4 UP hidden")
        });
        let s = s
            .key('!')
            .key('j')
            .key('x')
            .wait_for("hoge 1 of 2 up")
            .key('!');
        let s = keep(s, &seen, "web11 alone", |s| {
            s.contains(" 1 UP hidden ") && s.contains(" ! not UP only ")
        });
        s.key('!').wait_for("all servers shown").key('q')
    });
    let seen = seen.lock().unwrap();
    // The header says `!` is on and how many it hides, whatever the tables show.
    let header = |i: usize| seen[i].1.lines().nth(1).unwrap_or_default().to_string();
    assert!(header(0).contains(" ! 4 UP hidden "), "{}", header(0));
    assert!(header(1).contains(" ! 3 UP hidden "), "{}", header(1));
    let web11_down = &seen[1].1;
    let rows: Vec<&str> = web11_down
        .lines()
        .filter(|l| l.starts_with('│') && l.contains(" web1"))
        .collect();
    assert_eq!(rows.len(), 1, "{web11_down}");
    assert!(
        rows[0].contains(" web11 ") && rows[0].contains("DOWN"),
        "{web11_down}"
    );
    // hoge_l4's servers are both UP: its table is left out, and its count is in the total.
    assert!(
        !web11_down.contains("hoge_l4 2 of 2 up  tcp"),
        "{web11_down}"
    );
    assert!(web11_down.contains("3 UP hidden"), "{web11_down}");
    // `!` again: all four rows back.
    let screen = lines(&buf).join("\n");
    let rows = screen
        .lines()
        .filter(|l| l.starts_with('│') && l.contains(" web1"));
    assert_eq!(rows.count(), 4, "{screen}");
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Event {
    Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(script: Script, at: (u16, u16)) -> Script {
    script.event(mouse(MouseEventKind::Down(MouseButton::Left), at.0, at.1))
}

/// At 80x24 the Status view draws hoge (frontend, two servers, total) then hoge_l4: its web11
/// is on row 13; the tabs line is row 1, where tab 7 is ` 7 ` at column 25 (the other tabs
/// than the current one show their number only at this width). The script checks the screen
/// agrees before it clicks.
const L4_WEB11: (u16, u16) = (4, 13);
const TAB_7: (u16, u16) = (26, 1);

/// A click on hoge_l4's web11 selects that row; the wheel moves the selection; a click on
/// tab 7 opens the config view, where the wheel scrolls; in the log it pages back.
#[test]
fn the_mouse_selects_rows_switches_tabs_and_scrolls() {
    let seen: Seen = Arc::default();
    run(80, 24, |s| {
        let s = s.wait_until("every server checked UP where the clicks go", |s| {
            all_checked_up(s)
                && find(s, " web11 ", 1).is_some_and(|(_, y)| y == L4_WEB11.1)
                && find(s, " 7 ", 0) == Some((TAB_7.0 - 1, TAB_7.1))
        });
        let s = click(s, L4_WEB11);
        let s = keep(s, &seen, "hoge_l4/web11 selected", |s| {
            s.lines()
                .filter(|l| l.contains(" web11 "))
                .nth(1)
                .is_some_and(|l| l.contains('▶'))
        });
        let s = s.event(mouse(MouseEventKind::ScrollUp, 10, 10));
        let s = keep(s, &seen, "the wheel moved up", |s| {
            s.lines()
                .filter(|l| l.contains(" web10 "))
                .nth(1)
                .is_some_and(|l| l.contains('▶'))
        });
        let s = click(s, TAB_7);
        let s = keep(s, &seen, "the config view", |s| {
            s.contains("configuration  line 1/")
        });
        let s = s.event(mouse(MouseEventKind::ScrollDown, 10, 10));
        let s = keep(s, &seen, "scrolled", |s| {
            s.contains("configuration  line 2/")
        });
        // The log pages back (tui-logger scrolls by pages), which pauses it.
        let s = s.key('6').wait_for(" 6 Log ");
        let s = s.event(mouse(MouseEventKind::ScrollUp, 40, 10));
        let s = keep(s, &seen, "the log paged back", |s| s.contains("PAUSED"));
        // The help popup scrolls under the wheel too.
        let s = s.key('?');
        let s = keep(s, &seen, "help", |s| s.contains(" help: Log view "));
        let s = s.event(mouse(MouseEventKind::ScrollDown, 40, 10));
        let before = seen.clone();
        s.wait_until("the help scrolled by a line", move |s| {
            let seen = before.lock().unwrap();
            let help = &seen.last().unwrap().1;
            // The popup's first line of text is the old second line.
            let body = |screen: &str| -> Vec<String> {
                screen
                    .lines()
                    .skip_while(|l| !l.contains(" help: Log view "))
                    .skip(1)
                    .take(3)
                    .map(String::from)
                    .collect()
            };
            let (old, new) = (body(help), body(s));
            new.len() == 3 && old.len() == 3 && new[0] == old[1] && new[1] == old[2]
        })
        .key('?')
        .key('q')
    });
    assert_eq!(seen.lock().unwrap().len(), 6);
}

#[test]
fn the_checks_find_what_the_issue_saw() {
    let names = NAMES;
    assert!(cut::problems("│ web10 UP L7OK 200 127.0.0.1:40211 │", &names, &[8080]).is_empty());
    assert_eq!(
        cut::problems("│ web10 UP L7OK 20│", &names, &[8080]).len(),
        1
    );
    assert_eq!(
        cut::problems("┌ L7 main 127.0.0.1:808┐", &names, &[8080]).len(),
        1
    );
    assert_eq!(
        cut::problems("hoge 1 of 2 up  hoge_l4 2", &names, &[8080]).len(),
        1
    );
    assert_eq!(cut::problems("│ web1 DOWN", &names, &[8080]).len(), 1);
    assert!(cut::problems("│ web… DOWN", &names, &[8080]).is_empty());
}

/// Every server row drawn, clicked, selects the server it names (and a BACKEND row, its
/// backend): at the sizes people use and
/// with the view scrolled (the cursor on the last server of a 60x15 screen), the rows under
/// the clicks come from the layout that drew them.
#[test]
fn a_click_selects_the_server_drawn_under_it() {
    use lbtop::ui::{draw, fixture, Theme, View};
    use ratatui::layout::Rect;
    use ratatui::Terminal;
    fixture::lab_log_lines();
    for (width, height, downs) in [(80, 24, 0), (60, 15, 0), (60, 15, 3), (150, 45, 2)] {
        let mut app = fixture::lab_app(Theme::PLAIN, View::Status);
        app.resize(Rect::new(0, 0, width, height));
        for _ in 0..downs {
            app.on_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE));
        }
        let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
        term.draw(|f| draw(f, &app)).unwrap();
        let screen = lines(term.backend().buffer());
        let mut clicked = 0;
        for (y, row) in screen.iter().enumerate() {
            let Some(name) = NAMES
                .iter()
                .find(|n| row.starts_with('│') && row.contains(&format!(" {n} ")))
            else {
                continue;
            };
            let click = mouse(MouseEventKind::Down(MouseButton::Left), 5, y as u16);
            let Event::Mouse(m) = click else {
                unreachable!()
            };
            app.on_mouse(m);
            let id = app.servers().selected().expect("a server selected");
            let snap = app.stats().snapshot().unwrap();
            let selected = &snap.backends[id.backend].servers[id.server].name;
            assert_eq!(selected, name, "{width}x{height} row {y}: {row}");
            // The selection did not scroll the tables: the same rows are still there.
            let mut again = Terminal::new(TestBackend::new(width, height)).unwrap();
            again.draw(|f| draw(f, &app)).unwrap();
            assert!(lines(again.backend().buffer())[y].contains(*name));
            clicked += 1;
        }
        assert!(clicked >= 2, "{width}x{height}:\n{}", screen.join("\n"));
        // A BACKEND row, clicked, puts the cursor on it (its actions act on its servers).
        let (y, _) = screen
            .iter()
            .enumerate()
            .find(|(_, r)| r.starts_with('│') && (r.contains(" BACKEND ") || r.contains(" BE ")))
            .expect("a BACKEND row on screen");
        let Event::Mouse(m) = mouse(MouseEventKind::Down(MouseButton::Left), 5, y as u16) else {
            unreachable!()
        };
        app.on_mouse(m);
        assert!(
            matches!(
                app.servers().selected_row(),
                Some(lbtop::ui::Row::Backend(_))
            ),
            "{width}x{height} row {y}"
        );
    }
}

/// The lab fixture (web11 DOWN, traffic, a sort, `!` off and on) drawn at widths from the
/// 60-column minimum to 160, short and tall: in views 1-5 and 7 nothing is cut, the
/// footer keeps `? help  q quit`, and the server rows name both servers whole.
#[test]
fn nothing_is_cut_at_any_width_from_60_to_160() {
    use lbtop::ui::{draw, fixture, Theme, View};
    use ratatui::Terminal;
    fixture::lab_log_lines();
    let ports = [8080, 8081, 8010, 8011];
    let views = [
        View::Status,
        View::Traffic,
        View::Http,
        View::Errors,
        View::L4L7,
        View::Config,
    ];
    // Every width at 80x24's height; every tenth at the shortest and a tall one. The sort and
    // `!` change the tables and the footer, the same in every server view.
    let sizes: Vec<(u16, u16)> = (60..=160)
        .map(|w| (w, 24))
        .chain((60..=160).step_by(10).flat_map(|w| [(w, 15), (w, 45)]))
        .collect();
    for view in views {
        let variants: &[&str] = match view {
            View::Status | View::Errors => &["", "o", "!"],
            _ => &[""],
        };
        for &keys in variants {
            let mut app = fixture::lab_app(Theme::PLAIN, view);
            for c in keys.chars() {
                app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            }
            for &(width, height) in &sizes {
                let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
                term.draw(|f| draw(f, &app)).unwrap();
                let screen = lines(term.backend().buffer()).join("\n");
                let at = format!("{width}x{height} {view:?} {keys:?}");
                let problems = cut::problems(&screen, &NAMES, &ports);
                assert!(problems.is_empty(), "{at}: {problems:#?}\n{screen}");
                let footer = screen.lines().rev().nth(1).unwrap_or_default();
                assert!(footer.contains("? help  q quit"), "{at}\n{screen}");
                if view.has_servers() && keys.is_empty() {
                    let rows = screen.lines().filter(|l| l.starts_with('│'));
                    let named = rows
                        .filter(|l| l.contains(" web10 ") || l.contains(" web11 "))
                        .count();
                    assert!(named >= 2, "{at}\n{screen}");
                }
            }
        }
    }
}
