//! The attach source against fake nodes: two that answer as HAProxy does (a unix socket and
//! `host:port`), one that accepts and never answers. The silent one times out on its own task while the
//! other is shown; a command sent to one node reaches that node only.

use super::*;
use crate::events::{AdminState, ServerId, ServerStatus};
use std::sync::Mutex as StdMutex;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

const STAT: &str = "# pxname,svname,status,weight,stot\n\
                    hoge,web11,UP,1,3\nhoge,BACKEND,UP,1,3\n\n";

/// A node answering `show info`, `show stat` and `show servers state`, and other lines with
/// HAProxy's empty line; it records every line.
fn answering(path: &std::path::Path, seen: Arc<StdMutex<Vec<String>>>) {
    let listener = UnixListener::bind(path).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, seen.clone()));
        }
    });
}

/// The same node on TCP (`host:port`); returns its address.
async fn answering_tcp(seen: Arc<StdMutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, seen.clone()));
        }
    });
    addr
}

async fn answer<S>(stream: S, seen: Arc<StdMutex<Vec<String>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    seen.lock().unwrap().push(line.trim().to_string());
    let answer = match line.trim() {
        "show info" => "Name: HAProxy\nVersion: 2.6.12\nPid: 42\nUptime_sec: 5\n\n",
        "show stat" => STAT,
        "show servers state" => "1\n# be_name srv_name srv_admin_state\nhoge web11 8\n\n",
        _ => "\n",
    };
    let _ = stream.get_mut().write_all(answer.as_bytes()).await;
}

/// A node that takes connections and never says a word.
fn silent(path: &std::path::Path) {
    let listener = UnixListener::bind(path).unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
}

async fn wait_for(attach: &Attach, what: &str, probe: impl Fn(&Fleet) -> bool) -> Fleet {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, fleet) = attach.sample();
        if probe(&fleet) {
            return fleet;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {fleet:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_silent_node_times_out_alone_and_commands_reach_the_chosen_node() {
    let dir = tempfile::tempdir().unwrap();
    let (good, quiet) = (dir.path().join("h1.sock"), dir.path().join("h2.sock"));
    let seen1 = Arc::new(StdMutex::new(Vec::new()));
    let seen3 = Arc::new(StdMutex::new(Vec::new()));
    answering(&good, seen1.clone());
    silent(&quiet);
    // The third node is polled over TCP.
    let tcp = answering_tcp(seen3.clone()).await;
    let targets = [
        Target::Unix(good),
        Target::Unix(quiet),
        Target::parse(&tcp).unwrap(),
    ];
    let (tx, mut rx) = crate::events::channel();
    let attach = Attach::start(targets.to_vec(), None, Duration::from_millis(50), tx);

    // The answering nodes show long before the silent one's poll runs out (1 s).
    let fleet = wait_for(&attach, "h1 and the TCP node answering", |f| {
        f.nodes[0].alive() && f.nodes[2].alive()
    })
    .await;
    let web11 = ServerId {
        backend: 0,
        server: 0,
    };
    let (snap, _) = attach.sample();
    assert_eq!(snap.backends[0].servers[0].total_sessions, 6);
    assert_eq!(
        fleet.servers[&web11][0]
            .as_ref()
            .unwrap()
            .state
            .unwrap()
            .admin,
        8
    );
    let fleet = wait_for(&attach, "h2 timed out", |f| f.nodes[1].error.is_some()).await;
    assert_eq!(
        fleet.nodes[1].error.as_deref(),
        Some("no answer within 1000ms")
    );
    assert_eq!(
        fleet.breakdown(web11),
        format!("UP on 2/3: h1,{tcp} · dead: h2")
    );
    // Meanwhile h1 went on being polled every 50 ms, on its own task.
    let polls = |seen: &StdMutex<Vec<String>>| {
        let seen = seen.lock().unwrap();
        seen.iter().filter(|l| *l == "show info").count()
    };
    assert!(polls(&seen1) >= 3, "h1 polled {} times", polls(&seen1));
    let sets = |seen: &StdMutex<Vec<String>>| -> Vec<String> {
        let seen = seen.lock().unwrap();
        seen.iter()
            .filter(|l| l.starts_with("set "))
            .cloned()
            .collect()
    };

    // Drain on the TCP node alone.
    let drain = Command::SetAdmin {
        server: web11,
        state: AdminState::Drain,
    };
    attach.command(drain.clone(), Some(2));
    let answered = loop {
        match rx.events.recv().await.expect("events") {
            Event::Answered { command, ok, text } => break (command, ok, text),
            _ => continue,
        }
    };
    assert_eq!(
        answered,
        (
            drain,
            true,
            format!("set server hoge/web11 state drain → {tcp}: done")
        )
    );
    assert_eq!(sets(&seen3), ["set server hoge/web11 state drain"]);
    assert!(sets(&seen1).is_empty());
    assert_eq!(snap.backends[0].servers[0].status, ServerStatus::Up);
}

/// A typed line's answers: `user; <line>` gets the `user` command's empty line first
/// (measured on HAProxy 2.6: `"\nPermission denied\n\n"`), dropped; a long answer is kept
/// whole per node; a node that does not answer is said, and makes it not ok.
#[test]
fn runtime_answers_per_node() {
    let denied = vec![
        ("h1".to_string(), Ok("\nPermission denied\n\n".to_string())),
        ("h2".to_string(), Ok("\n\n".to_string())),
    ];
    assert_eq!(
        runtime_answers("set server a/b state drain", true, denied),
        (
            true,
            "set server a/b state drain → h1: Permission denied · h2: done".to_string()
        )
    );
    let stat = vec![
        (
            "h1".to_string(),
            Ok("# pxname,svname\nfe,FRONTEND\n\n".to_string()),
        ),
        ("h2".to_string(), Err("no answer in time".to_string())),
    ];
    assert_eq!(
        runtime_answers("show stat", false, stat),
        (
            false,
            "show stat → h1: 2 lines · h2: no answer in time\n== h1 ==\n# pxname,svname\nfe,FRONTEND"
                .to_string()
        )
    );
}
