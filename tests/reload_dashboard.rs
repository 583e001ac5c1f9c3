//! The dashboard under a reload that came from outside it: SIGHUP or SIGUSR2 sent to its
//! PID after its file was edited. It keeps running and shows the reload and its result on
//! the status line, and the engine's lines (`Loading success.`, `Loading failure!` and the
//! errors) in the event strip.

mod common;

use common::free_port;
use common::term::{available, Tmux};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

fn cfg(port: u16, servers: &str) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    \
         timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    \
         default_backend be\n\nbackend be\n{servers}"
    )
}

/// The PID the shell in tmux wrote before it became lbtop.
fn read_pid(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(pid) = std::fs::read_to_string(path) {
            if !pid.trim().is_empty() {
                return pid.trim().to_string();
            }
        }
        assert!(Instant::now() < deadline, "no pid in {}", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(name: &str, pid: &str) {
    let sent = Command::new("kill").args([name, pid]).status().unwrap();
    assert!(sent.success(), "kill {name} {pid}");
}

/// The status line: the screen's last line with text.
fn status_line(screen: &str) -> &str {
    screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

#[test]
fn sighup_and_sigusr2_reload_the_dashboard_which_shows_the_result() {
    if !available("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (port, p1, p2) = (free_port(), free_port(), free_port());
    let file = dir.path().join("lb.cfg");
    let one = format!("    server s1 127.0.0.1:{p1}\n");
    std::fs::write(&file, cfg(port, &one)).unwrap();
    let pid_file = dir.path().join("pid");
    let command = format!(
        "sh -c 'echo $$ > {}; exec {LBTOP} --config {}'; echo LBTOP-EXITED $?; sleep 30",
        pid_file.display(),
        file.display()
    );
    let tmux = Tmux::start("hup", 120, 30, &command);
    tmux.wait("the dashboard", |s| s.contains(" s1 "));
    let pid = read_pid(&pid_file);

    // An added server, by SIGHUP.
    let two = format!("{one}    server s2 127.0.0.1:{p2} weight 3\n");
    std::fs::write(&file, cfg(port, &two)).unwrap();
    signal("-HUP", &pid);
    let screen = tmux.wait("the reload's summary", |s| {
        status_line(s).contains("reload: +1 server") && s.contains(" s2 ")
    });
    assert!(screen.contains("Loading success."), "{screen}");
    assert!(!screen.contains("LBTOP-EXITED"), "{screen}");

    // A broken file, by SIGUSR2: the old configuration serves on, and the screen says why.
    let broken = format!("{two}    server s3 127.0.0.1:{p2} wieght 3\n");
    std::fs::write(&file, cfg(port, &broken)).unwrap();
    signal("-USR2", &pid);
    let screen = tmux.wait("the failure", |s| {
        status_line(s).contains("reload failed, the old configuration still serves")
    });
    let status = status_line(&screen);
    assert!(
        status.contains("lb.cfg:14: backend 'be': server 's3'"),
        "{screen}"
    );
    assert!(screen.contains("Loading failure!"), "{screen}");
    assert!(
        screen.contains(" s2 ") && !screen.contains(" s3 "),
        "{screen}"
    );

    tmux.keys(&["q"]);
    let screen = tmux.wait("lbtop exited", |s| s.contains("LBTOP-EXITED"));
    assert!(screen.contains("LBTOP-EXITED 0"), "{screen}");
}
