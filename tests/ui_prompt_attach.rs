//! The `:` prompt under `lbtop attach`, against two real HAProxy 2.6 (stats sockets at level
//! admin in a temp dir), through the dashboard's real loop on a TestBackend: each node's
//! answer is said per node; a long answer shows whole, per node, in the pane; read-only
//! sends `user; <line>`, so HAProxy itself refuses `set server` with its own words.

mod common;

use common::free_port;
use common::term::available;
use crossterm::event::KeyCode;
use lbtop::attach::{Attach, Target};
use lbtop::ui::script::{ManualClock, Script};
use lbtop::ui::{AttachSource, UiOptions};
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A real HAProxy in the foreground, killed (by its PID) when dropped.
struct Haproxy {
    child: Child,
    socket: PathBuf,
}

impl Haproxy {
    fn start(dir: &Path, name: &str) -> Haproxy {
        let socket = dir.join(format!("{name}.sock"));
        let cfg = format!(
            "global\n    stats socket {} level admin\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
             timeout server 5s\n\
             frontend fe\n    bind 127.0.0.1:{}\n    default_backend hoge\n\
             backend hoge\n    server web10 127.0.0.1:{}\n    server web11 127.0.0.1:{}\n",
            socket.display(),
            free_port(),
            free_port(),
            free_port()
        );
        let path = dir.join(format!("{name}.cfg"));
        std::fs::write(&path, cfg).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy");
        Haproxy { child, socket }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

fn run_line(mut script: Script, line: &str) -> Script {
    script = script.key(':');
    for c in line.chars() {
        script = script.key(c);
    }
    script.code(KeyCode::Enter)
}

/// The dashboard attached to h1 and h2 until the script quits; the last screen, and what
/// `show servers state` says of web11 on each node then.
fn attached(
    read_only: bool,
    script: impl FnOnce(Script) -> Script,
) -> Option<(String, Vec<String>)> {
    if !available("haproxy", "-v") {
        eprintln!("\n*** SKIPPED: haproxy is not installed ***\n");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let nodes = [
        Haproxy::start(dir.path(), "h1"),
        Haproxy::start(dir.path(), "h2"),
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let targets: Vec<Target> = nodes
        .iter()
        .map(|n| Target::Unix(n.socket.clone()))
        .collect();
    let (tx, rx) = lbtop::events::channel();
    let refresh = Duration::from_millis(100);
    let attach = {
        let _entered = runtime.enter();
        Attach::start(targets.clone(), None, refresh, tx)
    };
    let opts = UiOptions {
        refresh,
        read_only,
        demo_servers: Vec::new(),
        traffic_running: false,
    };
    let clock = ManualClock::new();
    let mut script = script(Script::new(&clock).wait_until("both nodes up", |s| {
        s.lines().any(|l| l.contains(" web11 ")) && !s.contains("dead")
    }));
    let source = Arc::new(AttachSource(attach));
    let ended = lbtop::ui::run_with(
        TestBackend::new(150, 40),
        &mut script,
        &clock,
        source,
        rx,
        opts,
    );
    if let Err(e) = ended {
        panic!("the dashboard stopped with an error: {e:#}");
    }
    let states = targets
        .iter()
        .map(|t| {
            let answer = runtime.block_on(lbtop::attach::conn::ask(t, "show servers state hoge"));
            let answer = answer.unwrap_or_default();
            let web11 = answer
                .lines()
                .find(|l| l.contains(" web11 "))
                .unwrap_or_default();
            // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...
            web11.split(' ').nth(6).unwrap_or_default().to_string()
        })
        .collect();
    runtime.shutdown_background();
    Some((script.screen().to_string(), states))
}

#[test]
fn read_only_lines_run_at_the_user_level_on_each_node() {
    let Some((screen, states)) = attached(true, |script| {
        let script = run_line(script, "set server hoge/web11 state drain").wait_for(
            "set server hoge/web11 state drain → h1: Permission denied · h2: Permission denied",
        );
        run_line(script, "show stat")
            .wait_for(" :show stat ")
            .wait_until("both answers whole", |s| {
                s.contains("│show stat → h1: ")
                    && s.contains("│== h1 ==")
                    && s.contains("│== h2 ==")
            })
            .wait_for("│# pxname,svname,qcur,qmax,scur,smax,slim,stot")
            .code(KeyCode::Esc)
            .key('q')
    }) else {
        return;
    };
    // srv_admin_state 0: neither node drained anything.
    assert_eq!(states, ["0", "0"], "{screen}");
}

#[test]
fn admin_lines_are_answered_per_node() {
    let Some((screen, states)) = attached(false, |script| {
        let script = run_line(script, "set server hoge/web11 state drain")
            .wait_for("set server hoge/web11 state drain → h1: done · h2: done");
        run_line(script, "get weight hoge/nope")
            .wait_for("get weight hoge/nope → h1: No such server. · h2: No such server.")
            .key('q')
    }) else {
        return;
    };
    // srv_admin_state 8: drained by the runtime API (SRV_ADMF_DRAIN).
    assert_eq!(states, ["8", "8"], "{screen}");
    assert!(status_line(&screen).contains("No such server."), "{screen}");
}
