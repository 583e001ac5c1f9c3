//! Differential tests of the runtime API (`stats socket`): the same haproxy.cfg given to real
//! HAProxy 2.6 and to lbtop, each with its sockets in its own temporary directory; the same
//! scripted sessions at each level must get the same bytes back, and the write commands must
//! change the same things (the weights `get weight` reports, the syslog lines, which server
//! answers traffic). docs/haproxy-semantics.md §27.1.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::Origin;
use common::get;
use contender::{haproxy_available, mask_syslog, Contender, Kind};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TEMPLATE: &str = "global
    log {LOG} local0 debug
    stats socket {DIR}/admin.sock level admin mode 600
    stats socket {DIR}/oper.sock level operator
    stats socket {DIR}/user.sock level user
    stats timeout 5s

defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{PORT}
    default_backend hoge

backend hoge
    balance roundrobin
    server web11 {web11} weight 10
    server web12 {web12} check inter 500ms

backend st
    balance source
    server a {a}
";

const WAIT: Duration = Duration::from_secs(10);

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One proxy with its sockets and origins (`web13` is in no config: `set server ... addr`
/// moves `web11` there).
struct Proxy {
    c: Contender,
    dir: tempfile::TempDir,
    origins: BTreeMap<&'static str, Origin>,
}

impl Proxy {
    fn start(rt: &tokio::runtime::Runtime, kind: Kind) -> Proxy {
        Proxy::start_with(rt, kind, TEMPLATE, &["web11", "web12", "web13", "a"])
    }

    /// `template` with its `{DIR}` and the origins `names` (those named `stuck...` never
    /// answer).
    fn start_with(
        rt: &tokio::runtime::Runtime,
        kind: Kind,
        template: &str,
        names: &[&'static str],
    ) -> Proxy {
        let origins: BTreeMap<&str, Origin> = names
            .iter()
            .map(|&n| {
                let delay = if n.starts_with("stuck") { 60 } else { 0 };
                (n, rt.block_on(Origin::start(n, Duration::from_secs(delay))))
            })
            .collect();
        let addrs = origins.iter().map(|(&n, o)| (n, o.addr)).collect();
        let dir = tempfile::tempdir().unwrap();
        let text = template.replace("{DIR}", &dir.path().display().to_string());
        let c = Contender::start(kind, &text, &addrs);
        wait_socket(&dir.path().join("admin.sock"));
        Proxy { c, dir, origins }
    }

    fn sock(&self, level: &str) -> PathBuf {
        self.dir.path().join(format!("{level}.sock"))
    }

    /// Sends `input` as socat does (then half-closes) and returns the whole answer, with the
    /// origins' ports named so both proxies' answers compare.
    fn ask(&self, level: &str, input: &str) -> String {
        let mut s = UnixStream::connect(self.sock(level)).expect("connect to the stats socket");
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(input.as_bytes()).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out)
            .expect("the answer within the timeout");
        self.mask(&String::from_utf8_lossy(&out))
    }

    /// `text` with the origins' ports named.
    fn mask(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (name, o) in &self.origins {
            text = text.replace(&o.addr.port().to_string(), &format!("{name}:port"));
        }
        text
    }

    /// Which servers answer `n` requests through the frontend.
    fn traffic(&self, rt: &tokio::runtime::Runtime, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| rt.block_on(get(self.c.addr(), "/")).server().to_string())
            .collect()
    }

    /// The syslog lines about servers so far, masked.
    fn server_lines(&self) -> Vec<String> {
        self.c
            .settled_lines()
            .iter()
            .map(|l| mask_syslog(l))
            .filter(|l| l.contains(" Server ") || l.contains("no server available"))
            .collect()
    }
}

fn wait_socket(path: &Path) {
    let deadline = std::time::Instant::now() + WAIT;
    while UnixStream::connect(path).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "no socket at {path:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// As [`same`], on proxies started by `start`.
fn same_with(
    what: &str,
    start: impl Fn(&tokio::runtime::Runtime, Kind) -> Proxy,
    scenario: impl Fn(&tokio::runtime::Runtime, &Proxy) -> Vec<String>,
) -> Vec<String> {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return Vec::new();
    }
    let rt = rt();
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|k| scenario(&rt, &start(&rt, k)));
    assert_eq!(
        haproxy, lbtop,
        "{what}: HAProxy (left) and lbtop (right) differ"
    );
    haproxy
}

/// Runs `scenario` on HAProxy then on lbtop, asserts both gave the same transcript and
/// returns it (empty when HAProxy is missing).
fn same(
    what: &str,
    scenario: impl Fn(&tokio::runtime::Runtime, &Proxy) -> Vec<String>,
) -> Vec<String> {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return Vec::new();
    }
    let rt = rt();
    let [haproxy, lbtop] =
        [Kind::Haproxy, Kind::Lbtop].map(|k| scenario(&rt, &Proxy::start(&rt, k)));
    for (h, l) in haproxy.iter().zip(&lbtop) {
        assert_eq!(h, l, "{what}: HAProxy (left) and lbtop (right) differ");
    }
    assert_eq!(
        haproxy.len(),
        lbtop.len(),
        "{what}: transcripts of different lengths"
    );
    haproxy
}

/// Each input, on the socket of `level`, and its answer.
fn transcript(p: &Proxy, level: &str, inputs: &[&str]) -> Vec<String> {
    inputs
        .iter()
        .map(|i| format!("{level} {i:?} -> {:?}", p.ask(level, i)))
        .collect()
}

#[test]
fn answers_and_errors_match_byte_for_byte() {
    let _ = same("answers", |_, p| {
        transcript(
            p,
            "admin",
            &[
                "get weight hoge/web11\n",
                "get weight hoge/web11;get weight hoge/web12\n",
                "get weight\n",
                "get weight hoge\n",
                "get weight nob/x\n",
                "get weight hoge/nos\n",
                "get weight hoge\\/web11\n",
                "get weight \"hoge/web11\"\n",
                "get  weight\thoge/web11\r\n",
                "show backend\n",
                "set weight hoge/web11\n",
                "set weight hoge/web11 abc\n",
                "set weight hoge/web11 300\n",
                "set weight hoge/web11 -1\n",
                "set weight hoge/web11 5x\n",
                "set weight hoge/web11 -5%\n",
                "set weight st/a 50\n",
                "set server hoge/web11\n",
                "set server hoge/web11 foo\n",
                "set server hoge/web11 state\n",
                "set server hoge/web11 state foo\n",
                "set server hoge/web11 health foo\n",
                "set server hoge/web11 weight\n",
                "set server hoge/web11 addr\n",
                "set server hoge/web11 addr foo\n",
                "set server hoge/web11 agent up\n",
                "set server hoge/web11 check-port\n",
                "set server hoge/web11 check-port 80\n",
                "set server hoge/web12 check-port abc\n",
                "set server hoge/web12 check-port 80x\n",
                "set server hoge/web12 check-port 70000\n",
                "set server hoge/web12 check-port -5\n",
                "set server hoge/web11 agent-addr\n",
                "set server hoge/web11 agent-addr 1.2.3.4\n",
                "set server hoge/web11 agent-port\n",
                "set server hoge/web11 agent-port 80\n",
                "set server hoge/web11 agent-send foo\n",
                "set server hoge/web11 agent\n",
                "set server hoge/web11 check-addr\n",
                "set server hoge/web11 check-addr 1.2.3.4\n",
                "set server hoge/web12 check-addr foo\n",
                "set server hoge/web12 check-addr 127.0.0.1 port abc\n",
                "set server hoge/web11 fqdn foo.example\n",
                "set server nob/x state ready\n",
                "set server hoge/nos state ready\n",
                "set server hoge state ready\n",
                "enable health hoge/web11\n",
                "disable health hoge/web11\n",
                "enable agent hoge/web11\n",
                "disable agent hoge/web11\n",
                "enable server nob/x\n",
                "disable server hoge/nos\n",
                "shutdown sessions server\n",
                "shutdown sessions server hoge/x\n",
                "set timeout cli\n",
                "set timeout cli abc\n",
                "set timeout cli 0\n",
                "set timeout foo 5\n",
                "set timeout cli 5s\n",
                "show cli level\n",
                "quit\n",
                "get weight hoge/web11",
                "",
            ],
        )
    });
}

/// Several commands a line, several lines, and `prompt` sessions, as scripts write them.
#[test]
fn sessions_match() {
    let _ = same("sessions", |_, p| {
        transcript(
            p,
            "admin",
            &[
                "get weight hoge/web11\nget weight hoge/web12\n",
                "get weight hoge/web11;quit;get weight hoge/web12\n",
                "prompt\n",
                "prompt\nget weight hoge/web11\nprompt\n",
                "prompt\nquit\n",
                "prompt\nset weight hoge/web11 10; get weight hoge/web11\nhelp help\nquit\n",
                "prompt\nprompt\nget weight hoge/web11\n",
                "operator\nshow cli level\n",
                "operator;set weight hoge/web11 5\n",
                "user;clear counters;show cli level\n",
                "operator;user;operator\n",
            ],
        )
    });
}

/// Which commands each level may run: `Permission denied` or the command's own answer.
#[test]
fn levels_match() {
    let inputs = [
        "set weight hoge/web11 10\n",
        "set server hoge/web11 state ready\n",
        "set server\n",
        "disable server hoge/web11\n",
        "enable server hoge/web11\n",
        "enable health hoge/web12\n",
        "disable agent hoge/web11\n",
        "shutdown sessions server hoge/web11\n",
        "clear counters\n",
        "clear counters all\n",
        "set server hoge/web11 health up\n",
        "operator\n",
        "user\n",
        "show cli level\n",
        "get weight hoge/web11\n",
        "show backend\n",
        "set timeout cli 5\n",
    ];
    let _ = same("levels", |_, p| {
        let mut t = transcript(p, "user", &inputs);
        t.extend(transcript(p, "oper", &inputs));
        t
    });
}

/// `help` and the answer to an unknown command: lbtop lists only what it has, so its lines
/// must be HAProxy's very lines, in HAProxy's order, under the same header and above the same
/// `help`/`prompt`/`quit` trailer.
#[test]
fn listings_are_haproxys_lines() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let rt = rt();
    let h = Proxy::start(&rt, Kind::Haproxy);
    let l = Proxy::start(&rt, Kind::Lbtop);
    for input in [
        "help\n",
        "help set\n",
        "help help\n",
        "disable\n",
        "\n",
        "get weight hoge/web11;\n",
        "shutdown sessions\n",
    ] {
        for level in ["admin", "user"] {
            let (hs, ls) = (h.ask(level, input), l.ask(level, input));
            let kept: Vec<&str> = hs.lines().filter(|x| ls.lines().any(|y| y == *x)).collect();
            let ours: Vec<&str> = ls.lines().collect();
            assert_eq!(kept, ours, "{input:?} at {level}: lbtop's listing is not HAProxy's, filtered\nHAProxy:\n{hs}\nlbtop:\n{ls}");
            assert!(
                ls.ends_with("  quit                                    : disconnect\n\n"),
                "{ls}"
            );
        }
    }
    let help = l.ask("admin", "help\n");
    for line in [
        "  get weight <bk>/<srv>                   : report a server's current weight",
        "  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl",
        "  shutdown sessions server <bk>/<srv>     : kill sessions on a server",
        "  clear counters [all]                    : clear max statistics counters (or all counters)",
        "  show backend                            : list backends in the current running config",
    ] {
        assert!(help.lines().any(|x| x == line), "help lacks {line:?}:\n{help}");
    }
    // A misspelt command gets the look-alikes both know.
    assert_eq!(
        h.ask("admin", "get wieght\n"),
        l.ask("admin", "get wieght\n")
    );
}

/// Each write command, its answer, what `get weight` says after, the log lines, and which
/// servers take the traffic.
#[test]
fn writes_change_the_same_things() {
    let t = same("writes", |rt, p| {
        let mut t = Vec::new();
        let step = |t: &mut Vec<String>, level: &str, input: &str, requests: usize| {
            t.push(format!("{:?} -> {:?}", p.mask(input), p.ask(level, input)));
            if requests > 0 {
                let mut seen = p.traffic(rt, requests);
                seen.sort();
                seen.dedup();
                t.push(format!("  served by {seen:?}"));
            }
        };
        step(
            &mut t,
            "admin",
            "set weight hoge/web11 50%\nget weight hoge/web11\n",
            0,
        );
        step(
            &mut t,
            "admin",
            "set server hoge/web11 weight 0\nget weight hoge/web11\n",
            4,
        );
        // Weight 0 is not DRAIN: HAProxy's status word follows the admin state alone.
        t.push(format!(
            "web11 at weight 0: {}",
            stat_status(&p.ask("admin", "show stat\n"), "hoge", "web11")
        ));
        step(&mut t, "admin", "set server hoge/web11 weight 10\n", 0);
        step(&mut t, "admin", "set weight st/a 0%\nget weight st/a\n", 0);
        step(
            &mut t,
            "admin",
            "set weight st/a 100%\nget weight st/a\n",
            0,
        );
        step(&mut t, "admin", "set server hoge/web11 state maint\n", 4);
        p.c.sink.wait("is going DOWN for maintenance", WAIT);
        step(&mut t, "admin", "set server hoge/web11 state ready\n", 0);
        p.c.sink.wait("leaving forced maintenance", WAIT);
        step(&mut t, "admin", "set server hoge/web11 state drain\n", 4);
        p.c.sink.wait("enters drain state", WAIT);
        step(&mut t, "admin", "set server hoge/web11 state ready\n", 0);
        p.c.sink.wait("leaving forced drain", WAIT);
        step(&mut t, "admin", "disable server hoge/web11\n", 4);
        step(&mut t, "admin", "enable server hoge/web11\n", 0);
        // `enable server` leaves drain too; drain from maintenance is its own pair of lines.
        step(&mut t, "admin", "set server hoge/web11 state drain\n", 0);
        step(&mut t, "admin", "enable server hoge/web11\n", 0);
        step(&mut t, "admin", "disable server hoge/web11\n", 0);
        step(&mut t, "admin", "set server hoge/web11 state drain\n", 0);
        p.c.sink.wait("remains in forced drain mode", WAIT);
        step(&mut t, "admin", "enable server hoge/web11\n", 0);
        step(&mut t, "admin", "set server hoge/web11 health down\n", 4);
        p.c.sink.wait("is DOWN, changed from CLI", WAIT);
        step(&mut t, "admin", "set server hoge/web11 health up\n", 0);
        p.c.sink.wait("is UP, changed from CLI", WAIT);
        step(
            &mut t,
            "admin",
            "disable health hoge/web12\nenable health hoge/web12\n",
            0,
        );
        step(&mut t, "admin", "shutdown sessions server hoge/web11\n", 0);
        step(&mut t, "oper", "clear counters\n", 0);
        step(&mut t, "admin", "clear counters all\n", 0);
        // Checks follow `check-port`: a port nobody listens on takes web12 down, its own
        // port (or 0, the server's port) brings it back.
        let dead = common::backend::refused_addr().port();
        let answer = p.ask(
            "admin",
            &format!("set server hoge/web12 check-port {dead}\n"),
        );
        t.push(format!("check-port DEAD -> {answer:?}"));
        p.c.sink.wait("Server hoge/web12 is DOWN", WAIT);
        step(&mut t, "admin", "set server hoge/web12 check-port 0\n", 0);
        p.c.sink.wait("Server hoge/web12 is UP", WAIT);
        // And `check-addr`: nothing listens on 127.0.0.2.
        let from = p.c.sink.count();
        step(
            &mut t,
            "admin",
            "set server hoge/web12 check-addr 127.0.0.2\n",
            0,
        );
        wait_after(p, from, "Server hoge/web12 is DOWN");
        let from = p.c.sink.count();
        step(
            &mut t,
            "admin",
            "set server hoge/web12 check-addr 127.0.0.1\n",
            0,
        );
        wait_after(p, from, "Server hoge/web12 is UP");
        let web13 = p.origins["web13"].addr.port();
        step(&mut t, "admin", "set server hoge/web12 state maint\n", 0);
        p.c.sink.wait("Server hoge/web12 is going DOWN", WAIT);
        step(
            &mut t,
            "admin",
            &format!("set server hoge/web11 addr 127.0.0.1 port {web13}\n"),
            4,
        );
        step(&mut t, "admin", "set server hoge/web11 addr 127.0.0.1\n", 0);
        t.extend(p.server_lines());
        t
    });
    // Not vacuous: the changes took, and were logged.
    for want in [
        "\"set weight hoge/web11 50%\\nget weight hoge/web11\\n\" -> \"\\n5 (initial 10)\\n\\n\"",
        "  served by [\"web12\"]",
        "  served by [\"web13\"]",
        "<129>  Server hoge/web11 is DOWN, changed from CLI. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "<133>  Server hoge/web11 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    ] {
        assert!(t.iter().any(|l| l == want), "missing {want}\n{t:#?}");
    }
}

/// Waits for a syslog line with `needle` among those after the first `from`.
/// The `status` column of one row of a `show stat` answer.
fn stat_status(csv: &str, proxy: &str, server: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "status")
        .expect("a status column");
    let row = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&proxy) && f.get(1) == Some(&server))
        .expect("the server's row");
    row[at].to_string()
}

fn wait_after(p: &Proxy, from: usize, needle: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while !p.c.sink.lines_from(from).iter().any(|l| l.contains(needle)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no new line with {needle:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The shapes Ansible's haproxy module sends: one command through `socat stdio`, the socket
/// named as the module names it.
#[test]
fn socat_scripts_work() {
    if !haproxy_available()
        || std::process::Command::new("socat")
            .arg("-V")
            .output()
            .is_err()
    {
        eprintln!("SKIPPED: haproxy or socat is not installed");
        return;
    }
    let _ = same("socat", |_, p| {
        let sock = p.sock("admin");
        [
            "disable server hoge/web11",
            "set server hoge/web11 state drain",
            "get weight hoge/web11",
            "enable server hoge/web11",
        ]
        .iter()
        .map(|cmd| {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "echo '{cmd}' | socat stdio unix-connect:{}",
                    sock.display()
                ))
                .output()
                .expect("socat runs");
            format!("{cmd} -> {:?}", String::from_utf8_lossy(&out.stdout))
        })
        .collect()
    });
}

/// `shutdown sessions server` ends a session waiting on the server: the client gets a 502
/// and the log line says `KH--` (killed while waiting for the response head).
#[test]
fn shutdown_sessions_kills_what_runs() {
    const STUCK: &str = "global
    log {LOG} local0 debug
    stats socket {DIR}/admin.sock level admin

defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{PORT}
    default_backend slowb

backend slowb
    server s {stuck}
";
    let t = same_with(
        "shutdown sessions",
        |rt, k| Proxy::start_with(rt, k, STUCK, &["stuck"]),
        |rt, p| {
            let addr = p.c.addr();
            let pending = rt.spawn(async move { get(addr, "/").await.status });
            let deadline = std::time::Instant::now() + WAIT;
            // Once the server has the request head, the proxy is waiting for the response.
            while p.origins["stuck"].heads().is_empty() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the request never reached the server"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            let answer = p.ask("admin", "shutdown sessions server slowb/s\n");
            let status = rt.block_on(pending).unwrap();
            p.c.sink.wait(" slowb/s ", WAIT);
            let mut t = vec![format!("{answer:?}"), format!("client got {status}")];
            t.extend(
                p.c.settled_lines()
                    .iter()
                    .map(|l| mask_syslog(l))
                    .filter(|l| l.contains(" slowb/s ")),
            );
            t
        },
    );
    if !t.is_empty() {
        assert_eq!(t[1], "client got 502");
        assert!(t[2].contains(" KH-- "), "{t:?}");
    }
}
