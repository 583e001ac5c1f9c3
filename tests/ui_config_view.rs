//! The config view (7) through the dashboard's real loop on an 80x30 TestBackend, over a
//! reloadable engine started from an haproxy.cfg: what `lbtop check` prints (the warning
//! with its file and line first, the sections, the verdict), long lines wrapped under their
//! value rather than cut, the keys at the end, and the new configuration after `R`, `y`.

mod common;

use common::free_port;
use lbtop::config::Config;
use lbtop::engine::generation::{Loader, Process};
use lbtop::ui::script::{ManualClock, Script};
use lbtop::ui::{EngineSource, UiOptions};
use ratatui::backend::TestBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const WIDTH: u16 = 80;

fn cfg(port: u16, servers: &str) -> String {
    format!(
        "global\n    pidfile /tmp/lbtop-never-written.pid\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
         timeout server 5s\n    option httplog\n    option http-server-close\n    \
         option redispatch\n    option dontlognull\n    option forwardfor except 127.0.0.0/8\n\
         frontend fe\n    bind 127.0.0.1:{port}\n    default_backend hoge\n\
         backend hoge\n{servers}"
    )
}

fn server(name: &str) -> String {
    format!("    server {name} 127.0.0.1:{}\n", free_port())
}

/// The view's rows (between the header and the footer), trimmed and joined by spaces, so a
/// wrapped line reads whole.
fn flat(screen: &str) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    let body = &rows[2..rows.len().saturating_sub(2)];
    body.iter()
        .flat_map(|r| r.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ")
}

fn row<'a>(screen: &'a str, start: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_default()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_config_view_reads_like_check_wraps_long_lines_and_follows_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.cfg");
    let port = free_port();
    let web10 = server("web10");
    write(&path, &cfg(port, &web10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = Arc::new(Config::load(&path).expect("valid"));
    let reload_path = path.clone();
    let load: Loader = Arc::new(move || Config::load(&reload_path).map_err(|e| e.to_string()));
    let (tx, rx) = lbtop::events::channel();
    let process = runtime
        .block_on(Process::start(config, tx, Default::default(), load))
        .expect("starts");
    let (commands, routed) = mpsc::unbounded_channel();
    runtime.spawn(lbtop::app::route(routed, process.handle(), None));
    let opts = UiOptions {
        refresh: Duration::from_millis(100),
        read_only: false,
        demo_servers: Vec::new(),
        traffic_running: false,
    };
    let warning = format!(
        "{}:2: warning: 'pidfile' ignored: lbtop does not write a pid file",
        path.display()
    );
    let second = path.clone();
    let clock = ManualClock::new();
    let mut script = Script::new(&clock)
        .wait_for(" web10 ")
        .key('7')
        .wait_for(" configuration ")
        .wait_until("the warning, with its file and line", move |s| {
            flat(s).contains(&format!("warnings (1) {warning}"))
        })
        .wait_until("the option line wrapped under its value", |s| {
            let first = row(s, "  option           httplog, dontlognull,");
            let next = s.lines().skip_while(|l| !l.starts_with("  option ")).nth(1);
            !first.is_empty() && next.is_some_and(|n| n.starts_with(&" ".repeat(19)))
        })
        .key('G')
        .wait_until("the last key", |s| {
            flat(s).contains("s log-server only one server's lines")
        })
        .key('g')
        .wait_until("the top again", |s| flat(s).contains("frontend fe (line"))
        .wait_until("the change on disk", move |_| {
            write(&second, &cfg(port, &format!("{web10}{}", server("web12"))));
            true
        })
        .key('R')
        .wait_for("Reload the configuration from")
        .key('y')
        .wait_for("reload: +1 server")
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .key('j')
        .wait_until("the new server in the view", |s| {
            flat(s).contains("server web12 127.0.0.1:")
        })
        .key('q');
    let source = EngineSource {
        handle: process.handle(),
        commands,
    };
    let ended = lbtop::ui::run_with(
        TestBackend::new(WIDTH, 30),
        &mut script,
        &clock,
        Arc::new(source),
        rx,
        opts,
    );
    runtime.block_on(process.shutdown());
    if let Err(e) = ended {
        panic!("the dashboard stopped with an error: {e:#}");
    }
    let screen = script.screen();
    assert!(
        flat(screen).contains("Configuration file is valid"),
        "{screen}"
    );
    assert!(flat(screen).contains("backend hoge (line"), "{screen}");
    // Nothing runs past the edge: every row fits, so no value was cut by the terminal.
    assert!(screen.lines().all(|l| l.chars().count() <= WIDTH as usize));
}
