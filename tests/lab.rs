//! The seed's lab, end to end on 127.0.0.1: lbtop's engine in front of its two demo web servers.

mod common;

use common::{exchange, get, parse_reply, Lab};
use lbtop::events::{AdminState, Command, ServerId};
use std::time::Duration;

const HOGE: usize = 0;
const HOGE_L4: usize = 1;
const WEB10: usize = 0;
const WEB11: usize = 1;

fn web11() -> ServerId {
    ServerId {
        backend: HOGE,
        server: WEB11,
    }
}

async fn servers_answering(lab: &Lab, n: usize) -> Vec<String> {
    let mut who = Vec::new();
    for _ in 0..n {
        let reply = get(lab.http_addr(), "/").await;
        assert_eq!(reply.status, 200, "{reply:?}");
        who.push(reply.server().to_string());
    }
    who
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roundrobin_alternates_through_the_l7_frontend() {
    let lab = Lab::start("1s", true).await;
    let mut bodies = Vec::new();
    for _ in 0..6 {
        let reply = get(lab.http_addr(), "/").await;
        assert_eq!(reply.status, 200);
        let page = if reply
            .body
            .contains("<h1 style=\"color:#0057b8\">web10</h1>")
        {
            "web10"
        } else if reply
            .body
            .contains("<h1 style=\"color:#b85c00\">web11</h1>")
        {
            "web11"
        } else {
            panic!("unexpected page: {}", reply.body)
        };
        bodies.push(page);
    }
    assert_eq!(
        bodies,
        ["web10", "web11", "web10", "web11", "web10", "web11"]
    );
    let snap = lab.handle.snapshot();
    let hoge = &snap.backends[HOGE];
    assert_eq!(hoge.servers[WEB10].total_sessions, 3);
    assert_eq!(hoge.servers[WEB11].total_sessions, 3);
    assert_eq!(hoge.servers[WEB10].http_responses[1], 3, "three 2xx");
    // Each request head is 48 bytes: `GET / HTTP/1.1`, host and connection headers.
    assert_eq!(hoge.servers[WEB10].bytes_in, 3 * 48);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l4_frontend_relays_bytes_and_pins_the_connection() {
    let lab = Lab::start("1s", true).await;
    // Two requests on one connection: L4 cannot see them, so both reach the same server.
    let two = b"GET / HTTP/1.1\r\nhost: a\r\n\r\nGET /health_check.html HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n";
    let raw = exchange(lab.tcp_addr(), two).await;
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    let servers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("x-server: "))
        .collect();
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[0], servers[1], "one L4 connection, one server");
    let snap = lab
        .wait_snapshot("bytes counted", |s| {
            s.backends[HOGE_L4]
                .servers
                .iter()
                .map(|v| v.bytes_out)
                .sum::<u64>()
                > 0
        })
        .await;
    let moved: u64 = snap.backends[HOGE_L4]
        .servers
        .iter()
        .map(|s| s.bytes_out)
        .sum();
    assert_eq!(
        moved,
        raw.len() as u64,
        "bytes out equal what the client read"
    );
    let sent: u64 = snap.backends[HOGE_L4]
        .servers
        .iter()
        .map(|s| s.bytes_in)
        .sum();
    assert_eq!(sent, two.len() as u64);
    // The next connection goes to the other server.
    let next = parse_reply(&exchange(lab.tcp_addr(), b"GET / HTTP/1.0\r\n\r\n").await);
    assert_ne!(next.server(), servers[0]);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_experiment_health_page_deleted_then_restored() {
    let mut lab = Lab::start("200ms", true).await;
    let t = Duration::from_secs(10);
    lab.wait_line("Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 2/2 UP.", t).await;
    assert_eq!(lab.status(HOGE, WEB11), "UP");

    lab.demo(Command::DemoHealthPage {
        name: "web11".into(),
        present: false,
    })
    .await;
    // `x` is an in-memory toggle: the checkout keeps its file.
    assert!(common::assets_dir()
        .join("web11/health_check.html")
        .is_file());
    lab.wait_line("Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: Nms, status: 1/2 UP.", t).await;
    let seen = lab.wait_line("Server hoge/web11 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", t).await;
    assert_eq!(
        seen[seen.len() - 2],
        "Health check for server hoge/web11 failed, reason: Layer7 wrong status, code: 404, info: \"Not Found\", check duration: Nms, status: 0/2 DOWN."
    );
    assert_eq!(lab.status(HOGE, WEB11), "DOWN");
    assert_eq!(lab.handle.snapshot().backends[HOGE].up_label(), "1/2 UP");
    // The L4 backend only connects, so it still sees web11 as UP: L7 sees what L4 cannot.
    assert_eq!(lab.status(HOGE_L4, WEB11), "UP");
    assert!(servers_answering(&lab, 6)
        .await
        .iter()
        .all(|s| s == "web10"));

    lab.demo(Command::DemoHealthPage {
        name: "web11".into(),
        present: true,
    })
    .await;
    lab.wait_line("Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 1/2 DOWN.", t).await;
    let seen = lab.wait_line("Server hoge/web11 is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.", t).await;
    assert_eq!(
        seen[seen.len() - 2],
        "Health check for server hoge/web11 succeeded, reason: Layer7 check passed, code: 200, check duration: Nms, status: 2/2 UP."
    );
    assert_eq!(lab.status(HOGE, WEB11), "UP");
    let who = servers_answering(&lab, 4).await;
    assert!(who.iter().any(|s| s == "web11"), "{who:?}");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_server_fails_layer4_and_without_log_health_checks_says_why() {
    let mut lab = Lab::start("200ms", false).await;
    let t = Duration::from_secs(10);
    lab.wait_snapshot("first checks", |s| {
        s.backends[HOGE].servers[WEB11].status.to_string() == "UP"
    })
    .await;
    lab.demo(Command::DemoServer {
        name: "web11".into(),
        running: false,
    })
    .await;
    let seen = lab.wait_line("Server hoge/web11 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", t).await;
    assert!(
        seen.iter().all(|l| !l.starts_with("Health check for")),
        "log-health-checks is off: {seen:?}"
    );
    let snap = lab.handle.snapshot();
    let check = snap.backends[HOGE].servers[WEB11]
        .last_check
        .clone()
        .unwrap();
    assert_eq!(check.to_string(), "L4CON");
    assert!(servers_answering(&lab, 4)
        .await
        .iter()
        .all(|s| s == "web10"));
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_and_maint_keep_new_requests_off_a_server() {
    let mut lab = Lab::start("200ms", true).await;
    let t = Duration::from_secs(10);
    lab.handle.command(Command::SetAdmin {
        server: web11(),
        state: AdminState::Drain,
    });
    lab.wait_line("Server hoge/web11 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.", t).await;
    assert!(lab.status(HOGE, WEB11).starts_with("DRAIN"));
    assert!(servers_answering(&lab, 6)
        .await
        .iter()
        .all(|s| s == "web10"));

    lab.handle.command(Command::SetAdmin {
        server: web11(),
        state: AdminState::Ready,
    });
    lab.wait_line("Server hoge/web11 is UP (leaving forced drain).", t)
        .await;
    let who = servers_answering(&lab, 4).await;
    assert_eq!(who.iter().filter(|s| *s == "web11").count(), 2, "{who:?}");

    lab.handle.command(Command::SetAdmin {
        server: web11(),
        state: AdminState::Maint,
    });
    lab.wait_line("Server hoge/web11 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", t).await;
    assert_eq!(lab.status(HOGE, WEB11), "MAINT");
    assert!(lab.handle.snapshot().backends[HOGE].servers[WEB11]
        .last_check
        .is_none());
    assert!(servers_answering(&lab, 6)
        .await
        .iter()
        .all(|s| s == "web10"));

    lab.handle.command(Command::SetAdmin {
        server: web11(),
        state: AdminState::Ready,
    });
    lab.wait_line(
        "Server hoge/web11 is UP/READY (leaving forced maintenance).",
        t,
    )
    .await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_servers_down_gives_haproxys_503() {
    let mut lab = Lab::start("200ms", true).await;
    let t = Duration::from_secs(10);
    for name in ["web10", "web11"] {
        lab.demo(Command::DemoServer {
            name: name.into(),
            running: false,
        })
        .await;
    }
    lab.wait_line("backend hoge has no server available!", t)
        .await;
    let reply = get(lab.http_addr(), "/").await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        reply.body,
        "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
    );
    assert_eq!(reply.header("content-length"), Some("107"));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    assert_eq!(lab.handle.snapshot().backends[HOGE].up_label(), "0/2 UP");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_skipped_for_excepted_loopback_and_traffic_is_logged() {
    let lab = Lab::start("1s", true).await;
    let reply = get(lab.http_addr(), "/").await;
    assert_eq!(reply.status, 200);
    let mut rx = lab.rx;
    let record = tokio::time::timeout(Duration::from_secs(5), rx.sessions.recv())
        .await
        .expect("a session record")
        .expect("channel open");
    assert_eq!(record.status, Some(200));
    assert_eq!(record.forwarded_for, None, "127.0.0.0/8 is excepted");
    let line = lbtop::engine::log::format_session(&lab.handle.config(), &record).unwrap();
    assert!(
        line.contains(" main hoge/web10 ")
            && line.ends_with(" ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\""),
        "{line}"
    );
}
