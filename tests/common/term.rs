//! What the tmux-driven tests share: a private tmux server, a bounded wait on the screen, and
//! a server's status read from `show stat` through socat, as an operator checks it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One private tmux server (its own socket) with one session, killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a `width`x`height` session; `tag` keeps concurrent tests apart.
    pub fn start(tag: &str, width: u16, height: u16, command: &str) -> Tmux {
        let t = Tmux {
            socket: format!("lbtop-{tag}-{}", std::process::id()),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let args = ["new-session", "-d", "-s", "t", "-x", &w, "-y", &h, command];
        assert!(t.cmd(&args).status.success(), "tmux new-session failed");
        t
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// `tmux send-keys`: each item is a key name or literal text.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        assert!(self.cmd(&args).status.success());
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-t", "t", "-p"]).stdout).into_owned()
    }

    /// Polls the screen until `probe` holds; bounded, so a screen that never gets there fails
    /// with what it showed.
    pub fn wait(&self, what: &str, probe: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if probe(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// Whether `program arg` runs; says so loudly when it does not (CI installs it).
pub fn available(program: &str, arg: &str) -> bool {
    let ok = Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("\n*** SKIPPED: {program} is not installed; .ci/run installs it so CI always runs this ***\n");
    }
    ok
}

/// `server`'s `status` in `show stat`, asked through socat and read by the header line.
pub fn status_by_socat(socket: &Path, server: &str) -> String {
    let out = Command::new("socat")
        .arg("-")
        .arg(format!("UNIX-CONNECT:{}", socket.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"show stat\n")?;
            child.wait_with_output()
        })
        .expect("run socat");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .unwrap_or_else(|| panic!("no header in:\n{text}"))
        .split(',')
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (sv, status) = (col("svname"), col("status"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|cells| cells.get(sv) == Some(&server))
        .map(|cells| cells[status].to_string())
        .unwrap_or_else(|| panic!("no {server} in:\n{text}"))
}
