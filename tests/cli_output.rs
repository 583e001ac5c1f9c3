//! What the command line prints when things go wrong around it: a reader that closes the
//! pipe early (`lbtop check | head -3`) and a configuration file that is not there.

mod common;

use common::{lab_toml, write_config, Ports};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// Runs lbtop with its stdout a pipe whose reader is gone before lbtop writes; returns how
/// it ended and what it said on stderr.
fn with_stdout_closed(args: &[&str], dir: &Path) -> (ExitStatus, String) {
    let mut child = Command::new(LBTOP)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lbtop");
    // The read end closes now, before lbtop can have written anything.
    drop(child.stdout.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lbtop {args:?} still runs 30 s after its stdout closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("stderr");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Ended as `seq 10 | true` ends `seq`: killed by SIGPIPE (141 in a shell), nothing said.
fn assert_quiet_sigpipe(args: &[&str], status: ExitStatus, stderr: &str) {
    assert_eq!(
        status.signal(),
        Some(libc::SIGPIPE),
        "lbtop {args:?}: {status:?}; stderr:\n{stderr}"
    );
    assert_eq!(stderr, "", "lbtop {args:?}");
}

#[test]
fn printing_commands_end_quietly_when_stdout_closes() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for args in [
        vec!["check", config],
        vec!["check", "--config", config],
        vec!["export", config],
        vec!["--help"],
        vec!["attach", "--help"],
        vec!["--version"],
    ] {
        let (status, stderr) = with_stdout_closed(&args, here);
        assert_quiet_sigpipe(&args, status, &stderr);
    }
}

#[test]
fn headless_stops_the_engine_quietly_when_stdout_closes() {
    let ports = Ports::new();
    let (dir, path) = write_config("lab.toml", &lab_toml(ports, "200ms", true));
    let args = ["--headless", "--config", path.to_str().unwrap()];
    // The first health check's line finds the pipe closed.
    let (status, stderr) = with_stdout_closed(&args, dir.path());
    assert_quiet_sigpipe(&args, status, &stderr);
    // The engine stopped with it: nothing listens on the frontend any more.
    let addr = format!("127.0.0.1:{}", ports.http);
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

/// stderr and the exit code of lbtop run in `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(LBTOP)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run lbtop");
    assert!(out.stdout.is_empty(), "{args:?}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_file_names_the_path_tried_the_directory_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    let cwd = cwd.display();
    for (args, name) in [
        (&[][..], "config.toml"),
        (&["--headless"][..], "config.toml"),
        (&["check", "missing.cfg"][..], "missing.cfg"),
        (&["export", "--config", "missing.cfg"][..], "missing.cfg"),
    ] {
        let (code, err) = run_in(&cwd_path(&dir), args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_eq!(
            err,
            format!(
                "{name}: cannot read {cwd}/{name} (relative to the current directory, {cwd}): \
                 No such file or directory (os error 2)\n\
                 lbtop: --config FILE (or -c FILE) reads another configuration file\n"
            ),
            "{args:?}"
        );
    }
    // An absolute path needs no directory; still no line number.
    let (code, err) = run_in(&cwd_path(&dir), &["check", "/nonexistent/lbtop.toml"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("/nonexistent/lbtop.toml: cannot read: No such file or directory"),
        "{err}"
    );
    assert!(!err.contains(":0:"), "{err}");
}

fn cwd_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().canonicalize().unwrap()
}
