//! lbtop as a systemd service, with real processes and real sockets: `Type=notify` messages
//! over a unix datagram socket given as `NOTIFY_SOCKET` (READY once the port accepts,
//! RELOADING then READY around a reload, good or refused, STOPPING on SIGTERM and on a soft
//! stop), and headless lines framed for journald when `JOURNAL_STREAM` names
//! the stream (`<N>` and no date), dated otherwise.

mod common;

use common::free_port;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// One frontend on `port` in front of a server nobody listens on, checked every 100 ms: it goes
/// DOWN within half a second, which gives the headless printer lines of known levels.
fn cfg(port: u16, extra_global: &str) -> String {
    let dead = free_port();
    format!(
        "global\n{extra_global}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:{dead} check inter 100 fall 1\n"
    )
}

fn spawn(dir: &Path, cfg: &str, env: &[(&str, String)], out: Stdio, err: Stdio) -> Child {
    let path = dir.join("lbtop.cfg");
    std::fs::write(&path, cfg).unwrap();
    let mut command = Command::new(LBTOP);
    command
        .args(["--headless", "--config"])
        .arg(&path)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("JOURNAL_STREAM");
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start lbtop")
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    signal(child, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "lbtop did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn recv(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).expect("a notify message within 10 s");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// lbtop on a fresh port, told to notify a socket of ours: the socket (with a 10 s read
/// timeout), the port and the child.
fn notified(dir: &Path) -> (UnixDatagram, u16, Child) {
    let notify = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&notify).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = free_port();
    let env = [("NOTIFY_SOCKET", notify.display().to_string())];
    let child = spawn(dir, &cfg(port, ""), &env, Stdio::null(), Stdio::null());
    (socket, port, child)
}

#[test]
fn ready_once_the_port_accepts_and_stopping_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, port, mut child) = notified(dir.path());

    let ready = recv(&socket);
    // The first message is READY, and the port takes a connection the moment it arrives.
    let accepted = std::net::TcpStream::connect(("127.0.0.1", port));
    assert_eq!(
        ready,
        format!(
            "READY=1\nMAINPID={}\nSTATUS=serving 1 frontend on 1 address\n",
            child.id()
        )
    );
    assert!(accepted.is_ok(), "READY came before the port accepted");
    drop(accepted);

    let status = terminate(&mut child);
    assert_eq!(recv(&socket), "STOPPING=1\nSTATUS=stopping\n");
    assert!(status.success(), "{status:?}");
    socket.set_nonblocking(true).unwrap();
    assert!(
        socket.recv(&mut [0u8; 64]).is_err(),
        "nothing after STOPPING"
    );
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: a plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// `RELOADING=1\nMONOTONIC_USEC=<n>\nSTATUS=reloading\n`, the clock masked.
fn masked(message: &str) -> String {
    message
        .lines()
        .map(|l| match l.split_once('=') {
            Some(("MONOTONIC_USEC", v)) if v.parse::<u64>().is_ok_and(|n| n > 0) => {
                "MONOTONIC_USEC=N".to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn reloading_then_ready_around_a_reload_and_stopping_on_a_soft_stop() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, port, mut child) = notified(dir.path());
    let pid = child.id();
    let ready = format!("READY=1\nMAINPID={pid}\nSTATUS=serving 1 frontend on 1 address");
    assert_eq!(recv(&socket).trim_end(), ready);

    // A good file, one more frontend: the status says so.
    let second = free_port();
    let text = cfg(port, "").replace(
        "\nbackend be",
        &format!(
            "\nfrontend fe2\n    bind 127.0.0.1:{second}\n    default_backend be\n\nbackend be"
        ),
    );
    std::fs::write(dir.path().join("lbtop.cfg"), text).unwrap();
    signal(&child, libc::SIGHUP);
    let reloading = "RELOADING=1\nMONOTONIC_USEC=N\nSTATUS=reloading";
    assert_eq!(masked(&recv(&socket)), reloading);
    let two = format!("READY=1\nMAINPID={pid}\nSTATUS=serving 2 frontends on 2 addresses");
    assert_eq!(recv(&socket).trim_end(), two);
    assert!(std::net::TcpStream::connect(("127.0.0.1", second)).is_ok());

    // A broken file: READY again (the reload is over), the old configuration serving.
    std::fs::write(dir.path().join("lbtop.cfg"), "frontend\n    bindd x\n").unwrap();
    signal(&child, libc::SIGUSR2);
    assert_eq!(masked(&recv(&socket)), reloading);
    assert_eq!(
        recv(&socket).trim_end(),
        format!("{two}; the last reload was refused (see the log)")
    );

    signal(&child, libc::SIGUSR1);
    assert_eq!(
        recv(&socket).trim_end(),
        "STOPPING=1\nSTATUS=soft stop: finishing the sessions in flight"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after the soft stop");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
    socket.set_nonblocking(true).unwrap();
    assert!(
        socket.recv(&mut [0u8; 64]).is_err(),
        "STOPPING is said once"
    );
}

#[test]
fn a_notify_socket_gone_is_said_once_and_serving_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let gone = dir.path().join("nobody-here.sock").display().to_string();
    let mut child = spawn(
        dir.path(),
        &cfg(port, ""),
        &[("NOTIFY_SOCKET", gone)],
        Stdio::null(),
        Stdio::piped(),
    );
    wait_accepting(port);
    terminate(&mut child);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let said: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("NOTIFY_SOCKET"))
        .collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(said[0].starts_with("lbtop: cannot notify the service manager"));
}

fn wait_accepting(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "lbtop did not listen");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs lbtop with its `stream` ("stdout" or "stderr") sent to a file, `JOURNAL_STREAM` set
/// to that file's `device:inode` (plus `inode_shift`), until the server's DOWN line comes;
/// returns what the stream got.
fn headless_lines(stream: &str, extra_global: &str, inode_shift: u64) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream.txt");
    let file = std::fs::File::create(&path).unwrap();
    let meta = file.metadata().unwrap();
    let journal = format!("{}:{}", meta.dev(), meta.ino() + inode_shift);
    let (out, err) = match stream {
        "stdout" => (Stdio::from(file), Stdio::null()),
        _ => (Stdio::null(), Stdio::from(file)),
    };
    let env = [("JOURNAL_STREAM", journal)];
    let mut child = spawn(dir.path(), &cfg(free_port(), extra_global), &env, out, err);
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("no server available!") {
            break text;
        }
        assert!(Instant::now() < deadline, "no DOWN line; got:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    terminate(&mut child);
    text
}

const DOWN: &str =
    "Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\"";

#[test]
fn on_the_journal_lines_carry_their_priority_and_no_date() {
    let text = headless_lines("stdout", "", 0);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(&format!("<1>{DOWN}")), "{text}");
    assert_eq!(lines[1], "<0>backend be has no server available!", "{text}");
}

#[test]
fn beside_log_stdout_the_journal_is_stderr() {
    // HAProxy's own framing goes to stdout; the headless lines to stderr, the journal here.
    let text = headless_lines("stderr", "    log stdout format raw local0", 0);
    assert!(
        text.lines()
            .any(|l| l == "<0>backend be has no server available!"),
        "{text}"
    );
}

#[test]
fn elsewhere_lines_keep_their_date() {
    // JOURNAL_STREAM names another file: a child started from a unit's shell, say.
    let text = headless_lines("stdout", "", 1);
    let first = text.lines().next().unwrap();
    let (date, rest) = first.split_once(' ').unwrap();
    assert!(rest.starts_with(DOWN), "{text}");
    assert_eq!(date.len(), "27/Nov/2026:21:00:00.123".len(), "{first}");
    assert!(!text.contains("<1>") && !text.contains("<0>"), "{text}");
}
