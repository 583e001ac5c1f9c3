//! Differential HTTP/1 fuzzing: the same bytes sent through real HAProxy 2.6 and through lbtop,
//! both started once per config variant from the same haproxy.cfg, each in front of its own
//! recording origin (tests/h1diff/origin.rs: raw TCP, its own strict parser). A case diverges
//! when lbtop forwards something HAProxy does not, frames or splits it differently, or the
//! client gets different statuses, response boundaries, bodies or connection ends, or the
//! access log (status, termination flags) differs. Divergences are counted per class (a short
//! key such as `origin:seq:-/R` = "lbtop forwarded a request HAProxy did not") and each class
//! gets one example, minimised when time allows.
//!
//! Variants: `ka` (`option http-keep-alive`), `sc` (`option http-server-close`): generated
//! requests (CL/TE games, chunk sizes, obs-fold, Host games, bare LF, control bytes,
//! Connection tokens, Expect, Upgrade, versions, methods, pipelining, split writes, head size
//! and header count near the limits); `hostile`: plain requests, generated bad responses from
//! the origin (CL+TE, TE gzip, 1xx, 101, extra bytes, late data, closes, stalls, ...).
//!
//! Short mode (CI): `cargo test --release --test h1_differential` — a seeded run of about a
//! minute that FAILS on any divergence and prints every class with an example.
//!
//! Long mode: `scripts/h1-fuzz.sh [cases] [seed]`, or the environment directly:
//! * `H1DIFF_CASES=100000` number of cases (default 700)
//! * `H1DIFF_SEED=7` seed (default 1); the same seed and case count give the same cases
//! * `H1DIFF_LANES=2` proxy pairs per variant running cases side by side (default 1; the
//!   slower hostile variant always gets three times as many)
//! * `H1DIFF_VARIANTS=ka,sc,hostile` which variants
//! * `H1DIFF_MAX_SECS=3600` stop starting cases after this long (default 240)
//! * `H1DIFF_MIN_SECS=60` time for minimising the examples (default 8)
//! * `H1DIFF_IGNORE=client:end,log:` class prefixes that do not fail the run
//! * `H1DIFF_ONLY=17` run only case 17 and print both sides in full
//! * `H1DIFF_REPORT=path` where the full report goes (default: cargo's target tmp dir)
//! * `H1DIFF_SELF_CHECK=1` HAProxy on both sides: every divergence is then noise of the harness
//!   (timing), which is how the harness itself is checked
//!
//! Classes prefixed `deliberate:` come from cases that use one of the README's deliberate
//! differences (see `DELIBERATE` below); they are reported but do not fail the run.
//!
//! Classes prefixed `stricter:` (HAProxy forwarded what the strict origin calls garbage, and
//! lbtop refused the request with a 4xx) are reported but do not fail the run.
//!
//! Skips, loudly, when `haproxy` is not installed.

#[path = "h1diff/client.rs"]
mod client;
mod common;
#[path = "h1diff/compare.rs"]
mod compare;
#[path = "common/contender.rs"]
mod contender;
#[path = "h1diff/generate.rs"]
mod generate;
#[path = "h1diff/hostile.rs"]
mod hostile;
#[path = "h1diff/origin.rs"]
mod origin;

use compare::{escape, log_entry, render, Side};
use contender::{haproxy_available, Contender, Kind};
use generate::{request_case, Case, Ending};
use origin::{Mode, Origin};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Variant {
    name: &'static str,
    option: &'static str,
    hostile: bool,
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "ka",
        option: "option http-keep-alive",
        hostile: false,
    },
    Variant {
        name: "sc",
        option: "option http-server-close",
        hostile: false,
    },
    Variant {
        name: "hostile",
        option: "option http-keep-alive",
        hostile: true,
    },
];

fn template(option: &str) -> String {
    format!(
        "global\n    maxconn 1000\n    log {{LOG}} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    {option}\n    timeout connect 1s\n    timeout client 600ms\n    timeout server 600ms\n    timeout http-request 600ms\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    server a {{a}}\n"
    )
}

struct Settings {
    cases: u64,
    seed: u64,
    lanes: usize,
    variants: Vec<usize>,
    max: Duration,
    minimise: Duration,
    ignore: Vec<String>,
    only: Option<u64>,
    report: std::path::PathBuf,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl Settings {
    fn from_env() -> Settings {
        let variants = std::env::var("H1DIFF_VARIANTS")
            .map(|v| {
                v.split(',')
                    .filter_map(|n| VARIANTS.iter().position(|x| x.name == n.trim()))
                    .collect()
            })
            .unwrap_or_else(|_| (0..VARIANTS.len()).collect::<Vec<_>>());
        Settings {
            cases: env("H1DIFF_CASES", 700),
            seed: env("H1DIFF_SEED", 1),
            lanes: env("H1DIFF_LANES", 1usize).max(1),
            variants,
            max: Duration::from_secs(env("H1DIFF_MAX_SECS", 240)),
            minimise: Duration::from_secs(env("H1DIFF_MIN_SECS", 8)),
            ignore: std::env::var("H1DIFF_IGNORE")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            only: std::env::var("H1DIFF_ONLY")
                .ok()
                .and_then(|v| v.parse().ok()),
            report: std::env::var("H1DIFF_REPORT")
                .map(Into::into)
                .unwrap_or_else(|_| {
                    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("h1diff-report.txt")
                }),
        }
    }
}

/// One proxy with its origin.
struct Pair {
    kind: Kind,
    proxy: Contender,
    origin: Origin,
    template: String,
}

impl Pair {
    fn start(kind: Kind, template: &str) -> Pair {
        let origin = Origin::start();
        let proxy = Contender::start(kind, template, &BTreeMap::from([("a", origin.addr)]));
        Pair {
            kind,
            proxy,
            origin,
            template: template.to_string(),
        }
    }

    /// Runs one side of a case.
    fn run(&mut self, case: &Case) -> Side {
        let mode = case.hostile.clone().map_or(Mode::Normal, Mode::Hostile);
        self.origin.begin_case(mode);
        let from = self.proxy.sink.count();
        let observation = client::drive(self.proxy.addr(), case);
        // Wait for the log lines (one per final response) and stragglers at the origin.
        let expected = observation
            .responses
            .iter()
            .filter(|r| !(r.status.len() == 3 && r.status.starts_with('1')))
            .count();
        let deadline = Instant::now() + Duration::from_millis(300);
        while self.proxy.sink.count() - from < expected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut last = self.proxy.sink.count();
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let now = self.proxy.sink.count();
            if now == last || Instant::now() > deadline + Duration::from_millis(300) {
                break;
            }
            last = now;
        }
        let log = self
            .proxy
            .sink
            .lines_from(from)
            .iter()
            .filter_map(|l| log_entry(l))
            .collect();
        let events = self.origin.end_case();
        let crashed = !self.proxy.alive();
        if crashed {
            eprintln!(
                "h1diff: {:?} died during case {}; restarting it",
                self.kind, case.id
            );
            self.proxy = Contender::start(
                self.kind,
                &self.template,
                &BTreeMap::from([("a", self.origin.addr)]),
            );
        }
        Side {
            client: observation,
            origin: events,
            log,
            crashed,
        }
    }
}

struct Lane {
    variant: usize,
    haproxy: Pair,
    lbtop: Pair,
}

impl Lane {
    fn start(variant: usize) -> Lane {
        let t = template(VARIANTS[variant].option);
        let (haproxy, lbtop) = std::thread::scope(|s| {
            let h = s.spawn(|| Pair::start(Kind::Haproxy, &t));
            let other = if std::env::var_os("H1DIFF_SELF_CHECK").is_some() {
                Kind::Haproxy
            } else {
                Kind::Lbtop
            };
            let t = &t;
            let l = s.spawn(move || Pair::start(other, t));
            (h.join().unwrap(), l.join().unwrap())
        });
        Lane {
            variant,
            haproxy,
            lbtop,
        }
    }

    /// Both sides of a case, at the same time.
    fn run(&mut self, case: &Case) -> (Side, Side) {
        let (h, l) = (&mut self.haproxy, &mut self.lbtop);
        std::thread::scope(|s| {
            let a = s.spawn(|| h.run(case));
            let b = s.spawn(|| l.run(case));
            (a.join().unwrap(), b.join().unwrap())
        })
    }
}

fn make_case(seed: u64, id: u64, variant: usize) -> Case {
    if VARIANTS[variant].hostile {
        let mut tricks = Vec::new();
        let plan = hostile::plan(seed, id, &mut tricks);
        Case {
            id,
            variant,
            writes: Vec::new(),
            ending: Ending::Wait,
            tricks,
            hostile: Some(plan),
        }
    } else {
        request_case(seed, id, variant)
    }
}

fn fin_race(case: &Case) -> bool {
    case.hostile.is_none() && case.ending == Ending::FinNow
}

struct Example {
    case: Case,
    haproxy: String,
    lbtop: String,
    minimised: Option<(Case, String, String)>,
    reproduced: Option<bool>,
}

#[derive(Default)]
struct Report {
    run: u64,
    per_variant: BTreeMap<usize, u64>,
    diverged: u64,
    classes: BTreeMap<String, (u64, Example)>,
    /// Classes seen once but not on the re-run: count, first case.
    flaky: BTreeMap<String, (u64, u64)>,
    tricks: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Report {
    fn add(&mut self, case: &Case, classes: Vec<String>, h: &Side, l: &Side) {
        self.run += 1;
        *self.per_variant.entry(case.variant).or_default() += 1;
        if classes.is_empty() {
            return;
        }
        self.diverged += 1;
        for class in classes {
            let per = self.tricks.entry(class.clone()).or_default();
            for t in &case.tricks {
                *per.entry(t.clone()).or_default() += 1;
            }
            let size = |c: &Case| c.bytes().len() + c.tricks.len() * 8;
            let entry = self.classes.entry(class).or_insert_with(|| {
                (
                    0,
                    Example {
                        case: case.clone(),
                        haproxy: render(h),
                        lbtop: render(l),
                        minimised: None,
                        reproduced: None,
                    },
                )
            });
            entry.0 += 1;
            if size(case) < size(&entry.1.case) {
                entry.1 = Example {
                    case: case.clone(),
                    haproxy: render(h),
                    lbtop: render(l),
                    minimised: None,
                    reproduced: None,
                };
            }
        }
    }
}

fn describe_case(case: &Case) -> String {
    let mut s = format!(
        "case {} ({}, {:?}), tricks: {}",
        case.id,
        VARIANTS[case.variant].name,
        case.ending,
        case.tricks.join(" ")
    );
    if let Some(plan) = &case.hostile {
        s.push_str(&format!(
            "\n    client flow: {:?}{}; origin answers the first request with:",
            plan.flow,
            if plan.early {
                " (answered before its body)"
            } else {
                ""
            }
        ));
        for act in &plan.first {
            match act {
                hostile::Act::Send(b) => s.push_str(&format!(" send \"{}\"", escape(b))),
                hostile::Act::SleepMs(ms) => s.push_str(&format!(" sleep {ms}ms")),
                hostile::Act::Close => s.push_str(" close"),
            }
        }
    } else if case.writes.len() == 1 {
        s.push_str(&format!("\n    bytes: \"{}\"", escape(&case.writes[0])));
    } else {
        for (i, w) in case.writes.iter().enumerate() {
            s.push_str(&format!("\n    write {}: \"{}\"", i + 1, escape(w)));
        }
    }
    s
}

/// Shrinks a request case line by line while it still shows `class`.
fn minimise(
    lane: &mut Lane,
    case: &Case,
    class: &str,
    deadline: Instant,
) -> (bool, Option<(Case, String, String)>) {
    let check = |lane: &mut Lane, c: &Case| -> Option<(String, String)> {
        let (h, l) = lane.run(c);
        compare::diff(&h, &l, fin_race(c))
            .iter()
            .any(|k| k == class)
            .then(|| (render(&h), render(&l)))
    };
    let Some(mut best_render) = check(lane, case) else {
        return (false, None);
    };
    if case.hostile.is_some() || Instant::now() > deadline {
        return (true, None);
    }
    let mut cur = Case {
        writes: vec![case.bytes()],
        ..case.clone()
    };
    if cur.writes != case.writes {
        match check(lane, &cur) {
            Some(r) => best_render = r,
            None => return (true, None),
        }
    }
    let lines = |b: &[u8]| -> Vec<Vec<u8>> {
        b.split_inclusive(|&c| c == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    let mut changed = true;
    while changed && Instant::now() < deadline {
        changed = false;
        let ls = lines(&cur.writes[0]);
        for i in (0..ls.len()).rev() {
            if Instant::now() > deadline {
                break;
            }
            let mut shorter = ls.clone();
            shorter.remove(i);
            let candidate = Case {
                writes: vec![shorter.concat()],
                ..cur.clone()
            };
            if candidate.writes[0].is_empty() {
                continue;
            }
            if let Some(r) = check(lane, &candidate) {
                cur = candidate;
                best_render = r;
                changed = true;
                break;
            }
        }
    }
    if cur.writes == case.writes {
        return (true, None);
    }
    (true, Some((cur, best_render.0, best_render.1)))
}

#[test]
fn h1_differential() {
    if !haproxy_available() {
        return;
    }
    let settings = Settings::from_env();
    let started = Instant::now();
    if let Some(id) = settings.only {
        let variant = settings.variants[(id % settings.variants.len() as u64) as usize];
        let case = make_case(settings.seed, id, variant);
        let mut lane = Lane::start(variant);
        let (h, l) = lane.run(&case);
        println!("{}", describe_case(&case));
        println!("  HAProxy: {}", render(&h));
        println!("  lbtop:   {}", render(&l));
        println!("  HAProxy raw: \"{}\"", escape(&h.client.raw));
        println!("  lbtop raw:   \"{}\"", escape(&l.client.raw));
        println!("  classes: {:?}", compare::diff(&h, &l, fin_race(&case)));
        return;
    }
    // Cases are numbered 0.., and case i belongs to variant i mod the number of variants.
    let nv = settings.variants.len() as u64;
    let queues: Vec<Vec<u64>> = (0..settings.variants.len())
        .map(|k| (0..settings.cases).filter(|i| i % nv == k as u64).collect())
        .collect();
    let mut lanes: Vec<Lane> = std::thread::scope(|s| {
        let handles: Vec<_> = settings
            .variants
            .iter()
            .flat_map(|&v| {
                let n = if VARIANTS[v].hostile { 3 } else { 1 } * settings.lanes;
                (0..n).map(move |_| v)
            })
            .map(|v| s.spawn(move || Lane::start(v)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let next: Vec<AtomicUsize> = queues.iter().map(|_| AtomicUsize::new(0)).collect();
    let report = Mutex::new(Report::default());
    let stop_at = started + settings.max;
    std::thread::scope(|s| {
        for lane in lanes.iter_mut() {
            let k = settings
                .variants
                .iter()
                .position(|&v| v == lane.variant)
                .unwrap();
            let (queue, next, report, seed) = (&queues[k], &next[k], &report, settings.seed);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= queue.len() || Instant::now() > stop_at {
                    return;
                }
                let case = make_case(seed, queue[i], lane.variant);
                let (h, l) = lane.run(&case);
                let mut classes = deliberate(&case, compare::diff(&h, &l, fin_race(&case)));
                // A divergence counts when it shows again on a second run of the case; what
                // does not is timing, reported apart.
                let mut flaky = Vec::new();
                if !classes.is_empty() {
                    let (h2, l2) = lane.run(&case);
                    let again = deliberate(&case, compare::diff(&h2, &l2, fin_race(&case)));
                    (classes, flaky) = classes.into_iter().partition(|c| again.contains(c));
                }
                let mut report = report.lock().unwrap();
                for class in flaky {
                    let entry = report.flaky.entry(class).or_insert((0, case.id));
                    entry.0 += 1;
                }
                report.add(&case, classes, &h, &l);
                if report.run % 1000 == 0 {
                    eprintln!(
                        "h1diff: {} cases, {} diverged, {} classes, {:.0}s",
                        report.run,
                        report.diverged,
                        report.classes.len(),
                        started.elapsed().as_secs_f64()
                    );
                }
            });
        }
    });
    let mut report = report.into_inner().unwrap();
    let ran_for = started.elapsed();
    // Minimise (and re-check) one example per class, within the time budget.
    let min_deadline = Instant::now() + settings.minimise;
    let classes: Vec<String> = report.classes.keys().cloned().collect();
    let mut done = BTreeSet::new();
    for class in classes {
        if Instant::now() > min_deadline {
            break;
        }
        let (_, example) = report.classes.get_mut(&class).unwrap();
        let key = (example.case.id, example.case.variant);
        let lane = lanes
            .iter_mut()
            .find(|l| l.variant == example.case.variant)
            .unwrap();
        let per_class = Instant::now() + Duration::from_secs(3);
        let (reproduced, minimised) =
            minimise(lane, &example.case, &class, per_class.min(min_deadline));
        example.reproduced = Some(reproduced);
        example.minimised = minimised;
        done.insert(key);
    }
    drop(lanes);
    // The report.
    let ignored = |c: &str| {
        c.starts_with("stricter:")
            || c.starts_with("deliberate:")
            || settings.ignore.iter().any(|p| c.starts_with(p.as_str()))
    };
    let mut text = String::new();
    let per_variant: Vec<String> = report
        .per_variant
        .iter()
        .map(|(v, n)| format!("{}: {n}", VARIANTS[*v].name))
        .collect();
    text.push_str(&format!(
        "h1diff: seed {} — {} cases ({}) in {:.1}s (+{:.1}s minimising); {} diverged; {} classes\n",
        settings.seed,
        report.run,
        per_variant.join(", "),
        ran_for.as_secs_f64(),
        started.elapsed().saturating_sub(ran_for).as_secs_f64(),
        report.diverged,
        report.classes.len()
    ));
    text.push_str(concat!(
        "\nClasses read `where:what:HAProxy/lbtop`. where: origin (what reached the server), client\n",
        "(what the client got), log (the access log line). origin:seq:X/Y = the n-th thing the\n",
        "origin saw: R request, G(why) garbage its strict parser refused, I incomplete request, T\n",
        "tunnelled bytes, - nothing. client:end: prompt = closed within 300 ms of the last write,\n",
        "timeout = closed later, hang = still open at the deadline. tag proxy = a response the\n",
        "proxy made up; G = the origin's answer to garbage.\n",
        "\nclass                                                 cases  top tricks\n"
    ));
    for (class, (count, _)) in &report.classes {
        let mut tricks: Vec<(&String, &u64)> = report.tricks[class].iter().collect();
        tricks.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = tricks
            .iter()
            .take(4)
            .map(|(t, n)| format!("{t}({n})"))
            .collect();
        text.push_str(&format!(
            "{}{class:<52} {count:>5}  {}\n",
            if ignored(class) { "(ignored) " } else { "" },
            top.join(" ")
        ));
    }
    if !report.flaky.is_empty() {
        text.push_str("\ntiming-dependent (diverged once, not on the re-run; not failing):\n");
        for (class, (count, id)) in &report.flaky {
            text.push_str(&format!(
                "  {class:<52} {count:>5}  e.g. H1DIFF_ONLY={id}\n"
            ));
        }
    }
    for (class, (count, ex)) in &report.classes {
        text.push_str(&format!("\n=== {class} — {count} cases"));
        match ex.reproduced {
            Some(false) => {
                text.push_str(" (example did NOT reproduce on a re-run: timing-dependent)")
            }
            Some(true) => text.push_str(" (reproduced)"),
            None => {}
        }
        text.push_str(&format!("\n  {}\n", describe_case(&ex.case)));
        let variants: Vec<&str> = settings
            .variants
            .iter()
            .map(|&v| VARIANTS[v].name)
            .collect();
        text.push_str(&format!(
            "    again: H1DIFF_SEED={} H1DIFF_VARIANTS={} H1DIFF_ONLY={} cargo test --release --test h1_differential -- --nocapture\n",
            settings.seed,
            variants.join(","),
            ex.case.id
        ));
        text.push_str(&format!(
            "    HAProxy: {}\n    lbtop:   {}\n",
            ex.haproxy, ex.lbtop
        ));
        if let Some((m, h, l)) = &ex.minimised {
            text.push_str(&format!(
                "  minimised: \"{}\"\n    HAProxy: {h}\n    lbtop:   {l}\n",
                escape(&m.bytes())
            ));
        }
    }
    let _ = std::fs::write(&settings.report, &text);
    println!("{text}");
    println!("(report written to {})", settings.report.display());
    let failing: Vec<&String> = report.classes.keys().filter(|c| !ignored(c)).collect();
    assert!(
        failing.is_empty(),
        "{} divergence classes between HAProxy and lbtop (see above; report in {}): {:?}",
        failing.len(),
        settings.report.display(),
        failing
    );
}

/// Tricks whose handling differs from HAProxy's on purpose, each listed in the README's
/// "Deliberate differences": obs-fold, versions other than HTTP/1.0 and 1.1 and control bytes
/// in header values are refused (400, or 502 in a response); CONNECT tunnels are not relayed
/// (upgrades are: docs/haproxy-semantics.md §23); an early response cuts the request body
/// off; status codes outside 100-999 are a 502.
const DELIBERATE: [&str; 14] = [
    "tab-separators",
    "leading-space-name",
    "obs-fold",
    "trailer-obs-fold",
    "resp-obs-fold",
    "http/1.2",
    "http/2.0",
    "http/3.0",
    "ctl-in-value",
    "resp-nul-in-value",
    "method-CONNECT",
    "flow-earlypost",
    "resp-status-2000",
    "resp-status-099",
];

/// Classes of a case that uses a deliberate difference are reported as `deliberate:` and do
/// not fail the run.
fn deliberate(case: &Case, classes: Vec<String>) -> Vec<String> {
    // A server that answers before the body is in: lbtop stops reading the body, HAProxy
    // reads on and logs the client's close (`CD--`) instead of a normal end.
    // The same with a body too long to wait for: HAProxy waits for it until `timeout client`
    // (`cD--`), lbtop closes once the answer is sent.
    let early_response = !classes.is_empty()
        && classes.iter().any(|c| c.starts_with("log:flags:"))
        && classes.iter().all(|c| {
            matches!(
                c.as_str(),
                "log:flags:CD--/----" | "log:flags:cD--/----" | "client:end:timeout/prompt"
            )
        });
    // A head within a few bytes of HAProxy's buffer limit: HAProxy may send it to the server
    // incomplete (then answers 504 at `timeout server`), or drop a request pipelined behind
    // it; lbtop forwards the whole head and serves what follows. Seen up to 5 bytes away
    // (long run, seed 21), where HAProxy's own header edits move its edge: 8 covers that.
    let near_limit = case.tricks.iter().any(|t| {
        t.strip_prefix("head-size-limit")
            .and_then(|d| d.parse::<i64>().ok())
            .is_some_and(|d| d.abs() <= 8)
    }) && !classes.is_empty()
        && classes.iter().all(|c| {
            matches!(
                c.as_str(),
                "client:status:-/200"
                    | "origin:seq:-/R"
                    | "client:status:504/200"
                    | "client:status:504/400"
                    | "origin:seq:I/R"
                    | "origin:seq:I/-"
                    | "log:flags:sH--/----"
                    | "log:flags:sH--/PR--"
                    | "log:request"
                    | "client:end:timeout/prompt"
                    | "client:error-page-body:400"
                    | "client:framing:none/cl"
                    | "log:flags:PH--/PR--"
                    | "log:status:-1/400"
                    | "origin:incomplete-head"
                    | "client:status:-/100"
                    | "client:status:-/400"
                    | "client:status:100/400"
                    | "log:flags:SD--/----"
                    | "log:flags:CL--/PR--"
            ) || c.starts_with("log:server:")
        });
    // A client that half-closes inside a request body: both proxies answer it the same (or
    // not at all); which end each logs (`CR`/`CL`/`CD`, status 0 or -1) and whether the head
    // had already gone to the server depend on when the FIN was read.
    let abort_timing = matches!(case.ending, Ending::FinNow | Ending::QuietClose)
        && !classes.is_empty()
        && classes.iter().all(|c| {
            c.starts_with("log:")
                || matches!(
                    c.as_str(),
                    "origin:seq:-/I" | "origin:seq:-/G(content-length-huge)"
                )
        });
    // HAProxy 2.6 edits a `Connection` header in its buffer as it parses it (taking `close`
    // out); when the head comes in several writes it parses the edited bytes again, forwards
    // a mangled header (`close, content-length` as `content-length-length`) and forgets the
    // `close`. lbtop reads the bytes as sent and closes.
    let reparsed_connection = case.tricks.iter().any(|t| t == "split-writes")
        && hop_token_among_others(&case.bytes())
        && !classes.is_empty()
        && classes.iter().all(|c| {
            matches!(
                c.as_str(),
                "origin:connection-tokens"
                    | "client:connection-header:-/close"
                    | "client:connection-header:close/keep-alive"
                    | "client:end:timeout/prompt"
                    | "client:status:200/-"
                    | "client:status:408/-"
                    | "client:status:400/200"
                    | "client:status:-/200"
                    | "origin:seq:R/-"
                    | "origin:seq:-/R"
            ) || c.starts_with("log:")
        });
    // A request pipelined behind another, then the client's FIN at once: HAProxy serves it or
    // drops it by timing (measured: the same bytes, two runs, one answer then two); lbtop
    // serves it. HAProxy's answers are the first of lbtop's.
    // An idle tunnel whose client and server timeouts are equal: which side HAProxy names
    // depends on the order its timers were last re-armed (measured both ways for one shape);
    // both close it at the same time.
    let tunnel_tie = !classes.is_empty()
        && classes
            .iter()
            .all(|c| matches!(c.as_str(), "log:flags:cD--/sD--" | "log:flags:sD--/cD--"));
    // A head both refuse, sending nothing on: HAProxy at the bad line (a `Content-Length` of
    // `0,1` before the head has ended: 400), lbtop once the head ends or times out (408).
    let refused_either_way = !classes.is_empty()
        && classes.iter().all(|c| {
            matches!(
                c.as_str(),
                "client:status:400/408"
                    | "client:end:prompt/timeout"
                    | "log:flags:PR--/cR--"
                    | "log:status:400/408"
            )
        });
    let pipelined_before_fin = case.ending == Ending::FinNow
        && !classes.is_empty()
        && classes.iter().all(|c| {
            matches!(c.as_str(), "client:status:-/200" | "origin:seq:-/R") || c.starts_with("log:")
        });
    // A chunk error both refuse with 400: HAProxy finds it before or after it sent the head
    // on depending on how much of the body its reads had gathered; lbtop looks at what came
    // with the head. Only the log (PR or PH, server or none) and an incomplete request at
    // the origin can differ.
    let chunk_error_timing = !classes.is_empty()
        && classes.iter().all(|c| {
            matches!(
                c.as_str(),
                "log:flags:PH--/PR--"
                    | "log:flags:PR--/PH--"
                    | "origin:seq:-/I"
                    | "origin:seq:I/-"
                    | "log:request"
            ) || c.starts_with("log:server:")
        });
    // A byte lbtop refuses in the target (0x80 and up) in a request HAProxy refuses later
    // for another reason (422 for `gzip, chunked`, 413): both refuse; lbtop's 400 comes first.
    let stricter_refusal = case.tricks.iter().any(|t| t.starts_with("ctl-in-target-"))
        && !classes.is_empty()
        && classes.iter().all(|c| {
            c.starts_with("log:")
                || c.strip_prefix("client:status:4")
                    .is_some_and(|rest| rest.ends_with("/400"))
        });
    let deliberate_trick = case
        .tricks
        .iter()
        .any(|t| DELIBERATE.contains(&t.as_str()) || t.starts_with("ctl-in-value"))
        || control_byte_in_head(&case.bytes());
    let bytes = case.bytes();
    let deliberate_trick = deliberate_trick
        || obs_fold_in_head(&bytes)
        || tab_in_request_line(&bytes)
        || odd_version(&bytes);
    if deliberate_trick
        || early_response
        || chunk_error_timing
        || near_limit
        || abort_timing
        || reparsed_connection
        || pipelined_before_fin
        || tunnel_tie
        || refused_either_way
        || stricter_refusal
    {
        classes
            .into_iter()
            .map(|c| format!("deliberate:{c}"))
            .collect()
    } else {
        classes
    }
}

/// A `Connection` header listing `close` or `keep-alive` beside other tokens: the one HAProxy
/// edits in its buffer (and, when the head comes in pieces, parses again).
fn hop_token_among_others(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').any(|line| {
        let line = line.to_ascii_lowercase();
        let Some(value) = line.strip_prefix(b"connection:") else {
            return false;
        };
        let tokens: Vec<&[u8]> = value
            .split(|&b| b == b',')
            .map(|t| t.trim_ascii())
            .collect();
        tokens.len() > 1
            && tokens
                .iter()
                .any(|t| *t == b"close".as_slice() || *t == b"keep-alive".as_slice())
    })
}

/// A request line whose version is `HTTP/x.y` but neither 1.0 nor 1.1 (a mutation can make
/// `HTTP/0.1`): lbtop refuses it, HAProxy forwards it (a README deliberate difference).
fn odd_version(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').any(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(at) = line.windows(6).rposition(|w| w == b" HTTP/") else {
            return false;
        };
        let version = &line[at + 1..];
        version.len() == 8
            && version[5].is_ascii_digit()
            && version[6] == b'.'
            && version[7].is_ascii_digit()
            && version != b"HTTP/1.0"
            && version != b"HTTP/1.1"
    })
}

/// A tab between the method, the target and the version (also one a mutation put there), in
/// the first request line or in any line of the case that ends like one (a pipelined
/// request): lbtop refuses it, HAProxy takes it (a README deliberate difference).
fn tab_in_request_line(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|&b| b != b'\r' && b != b'\n');
    let line = &bytes[start.unwrap_or(bytes.len())..];
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    line[..end].contains(&b'\t')
        || bytes.split(|&b| b == b'\n').any(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            line.contains(&b'\t')
                && line.len() > 9
                && matches!(line[line.len() - 9], b' ' | b'\t')
                && line[line.len() - 8..].starts_with(b"HTTP/")
        })
}

/// A header line continued on the next (obs-fold: a line that starts with a blank) in the
/// first head, or after any header line of a pipelined one: lbtop refuses it, HAProxy joins
/// the lines (a deliberate difference).
fn obs_fold_in_head(bytes: &[u8]) -> bool {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    bytes[..end]
        .windows(2)
        .any(|w| w[0] == b'\n' && matches!(w[1], b' ' | b'\t'))
        || lines.windows(2).any(|pair| {
            let header = pair[0].contains(&b':') && !pair[0].starts_with(b" ");
            header && matches!(pair[1].first(), Some(b' ' | b'\t'))
        })
}

/// A control byte (other than tab, CR and LF) in a request head: lbtop refuses it wherever it
/// stands, HAProxy forwards it inside a header value (a deliberate difference). Any line of
/// the case that reads as a start line or a header counts, so pipelined heads count too.
fn control_byte_in_head(bytes: &[u8]) -> bool {
    let control = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f;
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    bytes[..end].iter().any(|&b| control(b))
        || bytes.split(|&b| b == b'\n').any(|line| {
            let head_like = line.contains(&b':') || line.windows(5).any(|w| w == b"HTTP/");
            head_like && line.iter().any(|&b| control(b))
        })
}
