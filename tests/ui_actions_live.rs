//! The server actions of issue #15 through the dashboard's real loop (`ui::run_with` on a
//! TestBackend, scripted keys, a clock that moves only while the script waits) over a real
//! engine on 127.0.0.1: the detail pane shows a real check's reply and HAProxy's transition
//! line; drain-then-maint ends in MAINT once a held-open session closes; `w 50%` gives the
//! weight real HAProxy gives.

mod common;
#[path = "common/contender.rs"]
mod contender;
#[path = "common/held.rs"]
mod held;

use common::cli::{ask, Target};
use common::{free_port, Lab};
use contender::{haproxy_available, Contender, Kind};
use held::Holder;
use lbtop::config::Config;
use lbtop::engine::{Engine, Handle};
use lbtop::events::{self, EventReceiver, ServerStatus, Snapshot};
use lbtop::ui::script::{ManualClock, Script};
use lbtop::ui::UiOptions;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs the dashboard over `handle` until the script quits; the last screen.
fn dashboard(
    runtime: &Runtime,
    handle: &Handle,
    rx: EventReceiver,
    demo: Option<lbtop::demo::Demo>,
    script: impl FnOnce(Script) -> Script,
) -> String {
    let opts = UiOptions {
        refresh: Duration::from_millis(100),
        read_only: false,
        demo_servers: demo.as_ref().map(|d| d.servers()).unwrap_or_default(),
        traffic_running: false,
    };
    let (commands, routed) = mpsc::unbounded_channel();
    let keep = commands.clone();
    runtime.spawn(lbtop::app::route(routed, handle.clone(), demo));
    let clock = ManualClock::new();
    let mut script = script(Script::new(&clock));
    let source = lbtop::ui::EngineSource {
        handle: handle.clone(),
        commands,
    };
    let ended = lbtop::ui::run_with(
        TestBackend::new(150, 45),
        &mut script,
        &clock,
        Arc::new(source),
        rx,
        opts,
    );
    drop(keep);
    if let Err(e) = ended {
        panic!("the dashboard stopped with an error: {e:#}");
    }
    assert_eq!(
        script.remaining(),
        0,
        "the loop returned before the script ended"
    );
    script.screen().to_string()
}

/// An engine from haproxy.cfg text.
fn engine(runtime: &Runtime, cfg: &str) -> (Engine, EventReceiver) {
    let config = Config::parse(Path::new("/tmp/ui_actions_live.cfg"), cfg).expect("config");
    let (tx, rx) = events::channel();
    let engine = runtime
        .block_on(Engine::start(Arc::new(config), tx))
        .expect("engine starts");
    (engine, rx)
}

fn row(screen: &str, needle: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_default()
        .to_string()
}

fn status(snap: &Snapshot, backend: usize, server: usize) -> ServerStatus {
    snap.backends[backend].servers[server].status
}

#[test]
fn the_detail_pane_shows_a_real_checks_reply_and_haproxys_down_line() {
    let runtime = runtime();
    let lab = runtime.block_on(Lab::start("200ms", false));
    let Lab {
        handle,
        engine,
        demo,
        rx,
        ..
    } = lab;
    let screen = dashboard(&runtime, &handle, rx, Some(demo), |script| {
        script
            .wait_until("hoge/web11 checked UP", |s| {
                let r = row(s, " web11 ");
                r.contains(" UP ") && r.contains("L7OK")
            })
            .key('j')
            .code(crossterm::event::KeyCode::Enter)
            .wait_for("hoge/web11 · detail")
            .wait_until("the reply of a passed check", |s| {
                row(s, "│reply ").contains("HTTP/1.") && row(s, "│reply ").contains(" 200")
            })
            // The demo key deletes web11's health page: its checks get a 404.
            .key('x')
            .wait_until("web11's DOWN line in the pane, and DOWN", |s| {
                row(s, "│changes ")
                    .contains("Server hoge/web11 is DOWN, reason: Layer7 wrong status, code: 404")
                    && row(s, "│status ").contains("DOWN")
            })
            .key('q')
    });
    assert!(row(&screen, "│reply ").contains(" 404 "), "{screen}");
    assert!(row(&screen, "│last chk ").contains("L7STS 404"), "{screen}");
    assert!(row(&screen, "│status ").contains("DOWN"), "{screen}");
    assert!(
        row(&screen, "│check ").contains("httpchk GET /health_check.html HTTP/1.0"),
        "{screen}"
    );
    if let Some(engine) = engine {
        runtime.block_on(engine.shutdown());
    }
}

#[test]
fn d_on_a_backend_row_drains_each_of_its_servers_after_one_question() {
    let runtime = runtime();
    let lab = runtime.block_on(Lab::start("200ms", false));
    let Lab {
        handle,
        engine,
        demo,
        rx,
        ..
    } = lab;
    let screen = dashboard(&runtime, &handle, rx, Some(demo), |script| {
        script
            .wait_until("hoge's servers checked UP", |s| {
                [" web10 ", " web11 "].iter().all(|name| {
                    let r = row(s, name);
                    r.contains(" UP ") && !r.contains("UP 1/2") && r.contains("L7OK")
                })
            })
            .key('j')
            .key('j')
            .wait_until("hoge's BACKEND row selected", |s| {
                row(s, " BACKEND ").contains('▶')
            })
            .key('d')
            .wait_for("drain hoge: web10, web11?")
            .key('y')
            .wait_until("both of hoge's servers DRAIN", |s| {
                let drained = |n: usize| {
                    s.lines()
                        .filter(|l| l.contains(" web10 ") || l.contains(" web11 "))
                        .nth(n)
                        .is_some_and(|l| l.contains(" DRAIN ") && !l.contains('…'))
                };
                drained(0) && drained(1)
            })
            .key('q')
    });
    let snap = handle.snapshot();
    assert_eq!(status(&snap, 0, 0), ServerStatus::Drain, "{screen}");
    assert_eq!(status(&snap, 0, 1), ServerStatus::Drain, "{screen}");
    assert!(
        status(&snap, 1, 0) != ServerStatus::Drain,
        "hoge_l4 untouched: {screen}"
    );
    assert!(
        status(&snap, 1, 1) != ServerStatus::Drain,
        "hoge_l4 untouched: {screen}"
    );
    if let Some(engine) = engine {
        runtime.block_on(engine.shutdown());
    }
}

/// One backend, its first server in front of an origin that holds each request.
const HELD: &str = "\
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend main
  bind 127.0.0.1:{PORT}
  default_backend hoge
backend hoge
  server web10 {web10}
  server web11 127.0.0.1:9
";

#[test]
fn drain_then_maint_ends_in_maint_once_a_held_session_closes() {
    let runtime = runtime();
    let holder = Holder::start(0);
    let port = free_port();
    let cfg = HELD
        .replace("{PORT}", &port.to_string())
        .replace("{web10}", &holder.addr.to_string());
    let (engine, rx) = engine(&runtime, &cfg);
    let handle = engine.handle();
    // One request, held open by the origin: web10 has a session.
    let client = held::client(([127, 0, 0, 1], port).into());
    holder.wait("one request held", |c| c.holding == 1);
    let released = std::cell::Cell::new(false);
    let release = std::rc::Rc::new(released);
    let seen = release.clone();
    let holder = Arc::new(holder);
    let origin = holder.clone();
    let screen = dashboard(&runtime, &handle, rx, None, move |script| {
        script
            .wait_until("web10 with its session", |s| {
                row(s, " web10 ").contains(" 1 ")
            })
            .key('M')
            .wait_for("drain then maint hoge/web10?")
            .key('y')
            // The session is still open: the dashboard waits, and says so.
            .wait_until("the progress, then the session ends", move |s| {
                let shown = s.contains("hoge/web10 draining: 1 session left …")
                    && row(s, " web10 ").contains("DRAIN→M 1");
                if shown && !seen.get() {
                    seen.set(true);
                    origin.release(1);
                }
                shown
            })
            .wait_for("drained, now in MAINT: hoge/web10")
            .wait_until("web10 shown MAINT", |s| {
                row(s, " web10 ").contains(" MAINT ")
            })
            .key('q')
    });
    assert!(release.get());
    assert_eq!(
        client.join().unwrap(),
        "HTTP/1.1 200 OK",
        "the held request finished"
    );
    let snap = handle.snapshot();
    assert_eq!(status(&snap, 0, 0), ServerStatus::Maint, "{screen}");
    assert_eq!(
        status(&snap, 0, 1),
        ServerStatus::NoCheck,
        "web11 untouched"
    );
    runtime.block_on(engine.shutdown());
}

/// Weights 10 and 3, and a stats socket for HAProxy.
const WEIGHTS: &str = "\
global
  stats socket {DIR}/admin.sock level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend main
  bind 127.0.0.1:{PORT}
  default_backend hoge
backend hoge
  server web10 127.0.0.1:9 weight 10
  server web11 127.0.0.1:10 weight 3
";

/// HAProxy 2.6's weight after `set server hoge/<server> weight <value>`.
fn haproxy_weight(server: &str, value: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let template = WEIGHTS.replace("{DIR}", &dir.path().display().to_string());
    let haproxy = Contender::start(Kind::Haproxy, &template, &BTreeMap::new());
    haproxy.wait_listening(&template);
    let socket = Target::Socket(dir.path().join("admin.sock"));
    let answer = ask(&socket, &format!("set server hoge/{server} weight {value}"));
    assert_eq!(answer, "\n", "HAProxy took it");
    let weight = ask(&socket, &format!("get weight hoge/{server}"));
    weight
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn w_50_percent_gives_the_weight_haproxy_gives() {
    if !haproxy_available() {
        return;
    }
    let expected = [
        ("web10", haproxy_weight("web10", "50%")),
        ("web11", haproxy_weight("web11", "50%")),
    ];
    assert_eq!(expected[0].1, "5");
    assert_eq!(expected[1].1, "1");

    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let cfg = WEIGHTS
        .replace("{DIR}", &dir.path().display().to_string())
        .replace("{PORT}", &free_port().to_string());
    let (engine, rx) = engine(&runtime, &cfg);
    let handle = engine.handle();
    let screen = dashboard(&runtime, &handle, rx, None, |script| {
        let typed = |script: Script| {
            script
                .key('w')
                .key('5')
                .key('0')
                .key('%')
                .code(crossterm::event::KeyCode::Enter)
        };
        let script = script.wait_for(" web10 ");
        typed(script)
            .wait_for("hoge/web10 weight is now 5")
            .key('j')
            .wait_until("web11 selected", |s| row(s, " web11 ").contains('▶'))
            .pipe(typed)
            .wait_for("hoge/web11 weight is now 1")
            .key('q')
    });
    let snap = handle.snapshot();
    for (i, (name, weight)) in expected.iter().enumerate() {
        assert_eq!(
            snap.backends[0].servers[i].weight.to_string(),
            *weight,
            "{name}: {screen}"
        );
    }
    // The socket of lbtop agrees too, through the same parser.
    let lbtop = Target::Socket(dir.path().join("admin.sock"));
    assert_eq!(ask(&lbtop, "get weight hoge/web10"), "5 (initial 10)\n\n");
    runtime.block_on(engine.shutdown());
}

trait Pipe: Sized {
    fn pipe(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }
}

impl Pipe for Script {}
