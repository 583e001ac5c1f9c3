//! The `:` prompt, the log search and the log's server filter, through the dashboard's real
//! loop (`ui::run_with`) on a TestBackend over the seed's lab: keys pressed from a script once
//! the screen shows what a person would wait for, a clock that moves only while the script
//! waits. What is checked is the screen's text, and what the engine then does.

mod common;

use common::dashboard::{self, row, status, status_line, Run};
use crossterm::event::KeyCode;
use lbtop::config::Config;
use lbtop::events::{Command, ServerStatus, SessionRecord, Snapshot};
use lbtop::ui::script::{ManualClock, Script};
use lbtop::ui::{EngineSource, Sample, Source};
use std::sync::Arc;

const HOGE: usize = 0;
const HOGE_L4: usize = 1;
const WEB11: usize = 1;

/// Types `text`, one key per character.
fn typed(mut script: Script, text: &str) -> Script {
    for c in text.chars() {
        script = script.key(c);
    }
    script
}

/// `:`, the line, Enter.
fn run_line(script: Script, line: &str) -> Script {
    typed(script.key(':'), line).code(KeyCode::Enter)
}

/// Every server shows `UP` after a passed check.
fn all_checked_up(screen: &str) -> bool {
    [("web10", 0), ("web11", 0), ("web10", 1), ("web11", 1)]
        .into_iter()
        .all(|(name, n)| {
            let r = row(screen, name, n);
            r.contains(" UP ") && !r.contains("UP 1/2") && r.contains("OK")
        })
}

fn checked(script: Script) -> Script {
    script.wait_until("every server checked UP", all_checked_up)
}

/// The engine, with runtime lines dropped instead of sent: nothing ever answers them.
struct Mute(EngineSource);

impl Source for Mute {
    fn sample(&self) -> Sample {
        self.0.sample()
    }
    fn config(&self) -> Option<Arc<Config>> {
        self.0.config()
    }
    fn command(&self, command: Command, node: Option<usize>) -> Result<(), Command> {
        match command {
            Command::Runtime { .. } => Ok(()),
            other => self.0.command(other, node),
        }
    }
    fn session_line(&self, record: &SessionRecord) -> Option<String> {
        self.0.session_line(record)
    }
}

struct How {
    read_only: bool,
    mute: bool,
}

const PLAIN: How = How {
    read_only: false,
    mute: false,
};

/// Runs the dashboard over a fresh lab until the script quits; returns the last screen and
/// the engine's state then.
fn run(how: How, script: impl FnOnce(Script) -> Script) -> (String, Snapshot) {
    let clock = ManualClock::new();
    let mut script = script(Script::new(&clock));
    let run = Run {
        read_only: how.read_only,
        source: if how.mute { mute } else { dashboard::engine },
        ..Run::sized(150, 45)
    };
    let snapshot = run.over_lab(&mut script, &clock);
    assert_eq!(script.remaining(), 0, "the loop returned early");
    (script.screen().to_string(), snapshot)
}

fn mute(source: EngineSource) -> Arc<dyn Source> {
    Arc::new(Mute(source))
}

#[test]
fn colon_set_server_drains_web11_and_show_stat_shows_the_csv() {
    let (screen, engine) = run(PLAIN, |script| {
        let script = run_line(checked(script), "set server hoge/web11 state drain")
            .wait_for("set server hoge/web11 state drain → done")
            .wait_until("web11 shown DRAIN", |s| {
                row(s, "web11", 0).contains(" DRAIN ")
            });
        run_line(script, "show stat")
            .wait_for(" :show stat ")
            .wait_for("# pxname,svname,qcur,qmax,scur,smax,slim,stot")
            .wait_for("show stat: the answer is above (Esc closes)")
            // The pane scrolls, and takes the keys while it is up: `d` drains nothing.
            .code(KeyCode::Right)
            .wait_until("scrolled right", |s| {
                !s.contains("# pxname") && s.contains("│,svname,qcur,qmax")
            })
            .key('d')
            .code(KeyCode::Home)
            .wait_for("# pxname,svname")
            .code(KeyCode::Esc)
            .wait_until("the pane closed", |s| !s.contains(" :show stat "))
            .key('q')
    });
    // The status line's pointer to the pane goes with the pane.
    assert!(!screen.contains("the answer is above"), "{screen}");
    assert!(row(&screen, "web11", 0).contains(" DRAIN "), "{screen}");
    assert!(row(&screen, "web10", 0).contains(" UP "), "{screen}");
    assert_eq!(status(&engine, HOGE, WEB11), ServerStatus::Drain);
    assert_eq!(status(&engine, HOGE_L4, WEB11), ServerStatus::Up);
    assert_eq!(status(&engine, HOGE, 0), ServerStatus::Up, "{screen}");
}

#[test]
fn help_shows_haproxys_words_and_the_history_recalls_the_line() {
    let (screen, _) = run(PLAIN, |script| {
        run_line(checked(script), "help")
            .wait_for("The following commands are valid at this level:")
            .wait_for("set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl")
            .code(KeyCode::Esc)
            .key(':')
            .code(KeyCode::Up)
            .wait_until("help recalled", |s| status_line(s).starts_with(":help"))
            .code(KeyCode::Esc)
            .key('q')
    });
    assert!(!screen.contains("The following commands"), "{screen}");
}

#[test]
fn tab_completes_command_words_backends_and_servers() {
    let (screen, engine) = run(PLAIN, |script| {
        let script = typed(checked(script).key(':'), "se")
            .code(KeyCode::Tab)
            .wait_until("set", |s| status_line(s).starts_with(":set "));
        let script = typed(script, "ser")
            .code(KeyCode::Tab)
            .wait_until("set server", |s| status_line(s).starts_with(":set server "));
        let script = typed(script, "ho")
            .code(KeyCode::Tab)
            .wait_for("Tab: hoge/  hoge_l4/")
            .key('/')
            .key('w')
            .code(KeyCode::Tab)
            .wait_for("Tab: web10  web11")
            .wait_until("hoge/web1", |s| {
                status_line(s).starts_with(":set server hoge/web1 ")
            });
        let script = typed(script, "1")
            .code(KeyCode::Tab)
            .key('s')
            .key('t')
            .code(KeyCode::Tab)
            .key('d')
            .code(KeyCode::Tab)
            .wait_until("the whole line", |s| {
                status_line(s).starts_with(":set server hoge/web11 state drain ")
            })
            .code(KeyCode::Enter)
            .wait_for("set server hoge/web11 state drain → done");
        script.key('q')
    });
    assert_eq!(
        status(&engine, HOGE, WEB11),
        ServerStatus::Drain,
        "{screen}"
    );
}

#[test]
fn read_only_runs_at_the_user_level_and_shows_haproxys_refusal() {
    let how = How {
        read_only: true,
        mute: false,
    };
    let (screen, engine) = run(how, |script| {
        let script = typed(
            checked(script).key(':'),
            "set server hoge/web11 state drain",
        )
        .wait_for("read-only: runs at the user level")
        .code(KeyCode::Enter)
        .wait_for("set server hoge/web11 state drain → Permission denied");
        let script = run_line(script, "get weight hoge/web11")
            .wait_for("get weight hoge/web11 → 1 (initial 1)");
        // The socket's own session: the level, and a `;` chain run in turn.
        run_line(script, "show cli level; operator")
            .wait_for(" :show cli level; operator ")
            .wait_for("│user ")
            .wait_for("│Permission denied")
            .code(KeyCode::Esc)
            .wait_until("the pane closed", |s| !s.contains(" :show cli level"))
            .key('q')
    });
    assert!(row(&screen, "web11", 0).contains(" UP "), "{screen}");
    assert_eq!(status(&engine, HOGE, WEB11), ServerStatus::Up);
}

#[test]
fn an_answer_that_never_comes_times_out_on_the_status_line() {
    let how = How {
        read_only: false,
        mute: true,
    };
    let (screen, _) = run(how, |script| {
        run_line(checked(script), "show info")
            .wait_for("show info: waiting for the answer …")
            .wait_for("show info: no answer within 5 s")
            .key('q')
    });
    assert!(
        status_line(&screen).contains("no answer within 5 s"),
        "{screen}"
    );
}

/// The log view's rows that are log lines (a time, a level letter, a topic).
fn log_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|l| l.contains(" I health ") || l.contains(" I admin "))
        .collect()
}

/// `match 3/17` on the status line, as numbers.
fn place(screen: &str) -> Option<(usize, usize)> {
    let text = status_line(screen).trim().strip_prefix("match ")?;
    let (at, total) = text.split_once('/')?;
    Some((at.parse().ok()?, total.parse().ok()?))
}

#[test]
fn slash_searches_the_log_and_n_moves_between_matches() {
    let (screen, _) = run(PLAIN, |script| {
        let script = checked(script)
            .key('6')
            .wait_for("Health check for server hoge/web11 succeeded");
        typed(script.key('/'), "hoge/web11")
            .wait_for(" /hoge/web11 · match ")
            .code(KeyCode::Enter)
            // The newest match first, then older ones with N and back with n.
            .wait_until("match n/n", |s| {
                place(s).is_some_and(|(a, t)| a == t && t >= 1)
            })
            .key('N')
            .wait_until("an older match", |s| {
                place(s).is_some_and(|(a, t)| a + 1 == t || t == 1)
            })
            .key('n')
            .wait_until("the newest again", |s| {
                place(s).is_some_and(|(a, t)| a == t)
            })
            .wait_until("only the search's view", |s| !s.contains("traffic capture"))
            .code(KeyCode::Esc)
            .wait_for("search cleared")
            .wait_for("traffic capture off")
            .key('/')
            .key('z')
            .key('z')
            .code(KeyCode::Enter)
            .wait_for("/zz · no match for zz")
            .wait_until("said", |s| status_line(s).starts_with("no match for zz"))
            .code(KeyCode::Esc)
            .wait_for("traffic capture off")
            .key('q')
    });
    assert!(!screen.contains("no match for zz ·"), "{screen}");
}

#[test]
fn s_shows_one_servers_lines_in_turn_then_all() {
    let only = |server: &'static str| {
        move |s: &str| {
            let rows = log_rows(s);
            s.contains(&format!(" only {server} "))
                && !rows.is_empty()
                && rows.iter().all(|r| r.contains(&format!(" {server} ")))
        }
    };
    let (screen, _) = run(PLAIN, |script| {
        checked(script)
            .key('6')
            .wait_for("Health check for server hoge_l4/web11 succeeded")
            .key('s')
            .wait_for("log: only hoge/web10's lines")
            .wait_until("hoge/web10's lines only", only("hoge/web10"))
            .key('s')
            .wait_until("hoge/web11's lines only", only("hoge/web11"))
            // A search looks through the server's lines only.
            .key('/')
            .key('L')
            .key('a')
            .key('y')
            .code(KeyCode::Enter)
            .wait_until("matches", |s| place(s).is_some_and(|(a, t)| a == t))
            .wait_until("still web11's", only("hoge/web11"))
            .code(KeyCode::Esc)
            .wait_for("search cleared")
            .key('s')
            .wait_until("hoge_l4/web10's lines only", only("hoge_l4/web10"))
            .key('s')
            .wait_until("hoge_l4/web11's lines only", only("hoge_l4/web11"))
            .key('s')
            .wait_for("log: every line again")
            .wait_for("traffic capture off")
            .key('q')
    });
    assert!(!screen.contains(" only "), "{screen}");
}
