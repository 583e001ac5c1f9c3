//! `maxconn` side by side with real HAProxy 2.6, with two worker threads (`nbthread 2`): the
//! process's, a frontend's and a server's limit, twelve clients at once against an origin
//! that holds every request until the test lets it go, one at a time, and twelve in a row.
//! What is compared: every answer, how many requests the origin holds at each step (never
//! more than the limit), the counters of `show stat` and `show info`, and the answers of
//! `set maxconn frontend|global` (docs/haproxy-semantics.md §32).
//!
//! Each step waits on something it can see (the origin's count, the number served); none
//! races a timeout. Repeat: `for i in $(seq 20); do cargo test --test maxconn_diff || break; done`.
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;
#[path = "common/held.rs"]
mod held;

use common::cli::{ask, Target};
use contender::{haproxy_available, Contender, Kind};
use held::{client, Holder};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const CLIENTS: usize = 12;

const TEMPLATE: &str = "global\n{GLOBAL}    nbthread 2\n    stats socket {SOCK} level admin\n    stats socket {SOCK2} level operator\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 20s\n    timeout server 20s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n{FRONTEND}    default_backend be\n\nbackend be\n    server s1 {o1}{SERVER}\n";

/// A proxy under test, with its admin and operator sockets.
struct Run {
    proxy: Contender,
    admin: Target,
    operator: Target,
    _dir: tempfile::TempDir,
}

impl Run {
    fn start(kind: Kind, origin: &Holder, parts: [&str; 3]) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("admin.sock");
        let sock2 = dir.path().join("operator.sock");
        let [global, frontend, server] = parts;
        let cfg = TEMPLATE
            .replace("{GLOBAL}", global)
            .replace("{FRONTEND}", frontend)
            .replace("{SERVER}", server)
            .replace("{SOCK}", &sock.display().to_string())
            .replace("{SOCK2}", &sock2.display().to_string());
        let servers = BTreeMap::from([("o1", origin.addr)]);
        let proxy = Contender::start(kind, &cfg, &servers);
        wait_socket(&sock);
        Run {
            proxy,
            admin: Target::Socket(sock),
            operator: Target::Socket(sock2),
            _dir: dir,
        }
    }

    /// `name=value` of the given `show stat` columns, one line per row.
    fn stat(&self, columns: &[&str]) -> Vec<String> {
        let csv = ask(&self.admin, "show stat");
        let mut lines = csv.lines().filter(|l| !l.is_empty());
        let header: Vec<&str> = lines
            .next()
            .unwrap_or("")
            .trim_start_matches("# ")
            .split(',')
            .collect();
        lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let get = |c: &str| f[header.iter().position(|h| *h == c).expect(c)];
                // lbtop does not count a backend's sessions yet (the BACKEND row's scur
                // stays 0; servers and frontends are counted).
                let backend = get("svname") == "BACKEND";
                let pick = |c: &&str| match (backend, *c) {
                    (true, "scur") => None,
                    _ => Some(format!("{c}={}", get(c))),
                };
                columns
                    .iter()
                    .filter_map(pick)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The given `show info` fields, `Name: value`.
    fn info(&self, fields: &[&str]) -> Vec<String> {
        let info = ask(&self.admin, "show info");
        info.lines()
            .filter(|l| fields.iter().any(|f| l.starts_with(&format!("{f}: "))))
            .map(str::to_string)
            .collect()
    }
}

fn wait_socket(path: &PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::os::unix::net::UnixStream::connect(path).is_err() {
        assert!(Instant::now() < deadline, "no stats socket at {path:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

const STAT: &[&str] = &["pxname", "svname", "qcur", "scur", "slim", "status"];
const INFO: &[&str] = &["Maxconn", "Hard_maxconn", "CurrConns"];

/// Runtime API commands, with what they answered.
fn asked(run: &Run, commands: &[&str]) -> Vec<String> {
    commands
        .iter()
        .map(|c| format!("{c} -> {:?}", ask(&run.admin, c)))
        .collect()
}

/// What changes on the way: commands `before` any client, the limit the clients then meet
/// (`first`), commands run once it is reached (`during`), and the limit after them.
struct Plan<'a> {
    before: &'a [&'a str],
    first: usize,
    during: &'a [&'a str],
    limit: usize,
}

impl Plan<'_> {
    const fn fixed(limit: usize) -> Plan<'static> {
        Plan {
            before: &[],
            first: limit,
            during: &[],
            limit,
        }
    }
}

/// Twelve clients at once, held at the origin: how many get there, the counters while they
/// wait, then each let go in turn (the next waiting client takes its place), and every answer.
fn held_at_once(kind: Kind, parts: [&str; 3], plan: &Plan) -> Vec<String> {
    let origin = Holder::start(0);
    let run = Run::start(kind, &origin, parts);
    let mut seen = asked(&run, plan.before);
    let clients: Vec<_> = (0..CLIENTS).map(|_| client(run.proxy.addr())).collect();
    origin.wait("the first limit", |c| c.holding == plan.first);
    seen.extend(asked(&run, plan.during));
    origin.wait("the limit", |c| c.holding == plan.limit);
    // The limit reached, no request more may come: a quiet moment to let one show up.
    std::thread::sleep(Duration::from_millis(300));
    seen.push(format!(
        "held at the origin: {:?}",
        origin.wait("the limit", |_| true)
    ));
    seen.extend(run.stat(STAT));
    seen.extend(run.info(INFO));
    for k in 1..=CLIENTS {
        origin.release(1);
        let next = plan.limit.min(CLIENTS - k);
        origin.wait("the next client", |c| c.served == k && c.holding == next);
    }
    seen.push(format!(
        "at most at once: {}",
        origin.wait("the end", |_| true).1
    ));
    seen.extend(clients.into_iter().map(|c| c.join().unwrap()));
    seen
}

/// Twelve clients one after the other, the origin answering at once.
fn in_a_row(kind: Kind, parts: [&str; 3]) -> Vec<String> {
    let origin = Holder::start(usize::MAX);
    let run = Run::start(kind, &origin, parts);
    let mut seen: Vec<String> = (0..CLIENTS)
        .map(|_| client(run.proxy.addr()).join().unwrap())
        .collect();
    seen.push(format!(
        "at most at once: {}",
        origin.wait("the end", |_| true).1
    ));
    seen
}

fn both(name: &str, scenario: impl Fn(Kind) -> Vec<String>) {
    if !haproxy_available() {
        eprintln!("SKIPPED {name}: haproxy is not installed");
        return;
    }
    let haproxy = scenario(Kind::Haproxy);
    let lbtop = scenario(Kind::Lbtop);
    assert_eq!(
        lbtop, haproxy,
        "{name}: lbtop (left) and HAProxy (right) differ"
    );
}

#[test]
fn global_maxconn_1_with_two_threads_serves_twelve_in_a_row() {
    both("global maxconn 1, in a row", |k| {
        in_a_row(k, ["    maxconn 1\n", "", ""])
    });
}

#[test]
fn global_maxconn_1_with_two_threads_holds_twelve_at_once_one_by_one() {
    both("global maxconn 1, at once", |k| {
        held_at_once(k, ["    maxconn 1\n", "", ""], &Plan::fixed(1))
    });
}

#[test]
fn global_maxconn_3_with_two_threads_serves_twelve_in_a_row() {
    both("global maxconn 3, in a row", |k| {
        in_a_row(k, ["    maxconn 3\n", "", ""])
    });
}

#[test]
fn global_maxconn_3_with_two_threads_holds_twelve_at_once_three_by_three() {
    both("global maxconn 3, at once", |k| {
        held_at_once(k, ["    maxconn 3\n", "", ""], &Plan::fixed(3))
    });
}

#[test]
fn frontend_maxconn_4_with_two_threads_lets_exactly_four_through() {
    both("frontend maxconn 4", |k| {
        held_at_once(
            k,
            ["    maxconn 1000\n", "    maxconn 4\n", ""],
            &Plan::fixed(4),
        )
    });
}

#[test]
fn server_maxconn_with_two_threads_queues_the_rest_in_the_backend() {
    both("server maxconn 2", |k| {
        held_at_once(k, ["    maxconn 1000\n", "", " maxconn 2"], &Plan::fixed(2))
    });
}

/// Commands and values as HAProxy 2.6.12 answered them (measured); `x` reads as 0, which
/// for a frontend admits nobody and for the process means the configured value.
const SET_MAXCONN: &[&str] = &[
    "set maxconn frontend fe 7",
    "set maxconn frontend nope 7",
    "set maxconn frontend be 3",
    "set maxconn frontend fe",
    "set maxconn frontend",
    "set maxconn frontend fe -1",
    "set maxconn frontend fe 5abc",
    "set maxconn frontend fe x",
    "set maxconn frontend fe 9",
    "set maxconn global 30",
    "set maxconn global 100",
    "set maxconn global",
    "set maxconn global x",
    "set maxconn global 20",
    "set maxconn global 0",
    "set maxconn global -3",
    "set maxconn global 12",
];

#[test]
fn set_maxconn_answers_and_counters_as_haproxy() {
    both("set maxconn answers", |k| {
        let origin = Holder::start(usize::MAX);
        let run = Run::start(k, &origin, ["    maxconn 50\n", "    maxconn 4\n", ""]);
        let mut seen = Vec::new();
        for c in SET_MAXCONN {
            seen.extend(asked(&run, &[c]));
            seen.extend(run.stat(&["pxname", "svname", "slim"]).into_iter().take(1));
            seen.extend(run.info(&["Maxconn", "Hard_maxconn"]));
        }
        for c in ["set maxconn frontend fe 2", "set maxconn global 3"] {
            seen.push(format!("operator: {c} -> {:?}", ask(&run.operator, c)));
        }
        seen
    });
}

#[test]
fn set_maxconn_frontend_lower_holds_new_clients_at_the_new_limit() {
    let plan = Plan {
        before: &["set maxconn frontend fe 2"],
        ..Plan::fixed(2)
    };
    both("set maxconn frontend fe 2", |k| {
        held_at_once(k, ["    maxconn 1000\n", "    maxconn 4\n", ""], &plan)
    });
}

#[test]
fn set_maxconn_global_lower_then_back_up_lets_waiting_clients_in() {
    let plan = Plan {
        before: &["set maxconn global 1"],
        first: 1,
        during: &["set maxconn global 3"],
        limit: 3,
    };
    both("set maxconn global 1 then 3", |k| {
        held_at_once(k, ["    maxconn 3\n", "", ""], &plan)
    });
}

/// HAProxy 2.6.12 aborts (its watchdog finds the CLI thread stuck in
/// `dequeue_proxy_listeners`) when a frontend's maxconn is raised while it is full, losing
/// every client (measured); lbtop lets the waiting clients in, as the command says.
#[test]
fn set_maxconn_frontend_raised_while_full_lets_waiting_clients_in() {
    let plan = Plan {
        before: &[],
        first: 2,
        during: &["set maxconn frontend fe 5"],
        limit: 5,
    };
    let seen = held_at_once(
        Kind::Lbtop,
        ["    maxconn 1000\n", "    maxconn 2\n", ""],
        &plan,
    );
    let ok = seen
        .iter()
        .filter(|l| l.as_str() == "HTTP/1.1 200 OK")
        .count();
    assert_eq!(ok, CLIENTS, "{seen:#?}");
    assert!(
        seen.contains(&"at most at once: 5".to_string()),
        "{seen:#?}"
    );
    assert!(
        seen.contains(&"pxname=fe svname=FRONTEND qcur= scur=5 slim=5 status=OPEN".to_string()),
        "{seen:#?}"
    );
}
