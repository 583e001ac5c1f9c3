//! Regenerates `screenshots/*.svg` from a real run of the release binary, driven in tmux the
//! way a user would drive it. Run it through the script, which builds the binary first:
//!
//! ```text
//! scripts/screenshots.sh
//! ```
//!
//! It starts `lbtop` on the repository's `config.toml` in a private tmux server (its own
//! socket, 120x36), lets the demo traffic run, then presses the keys a user would: `j` `x`
//! (web11's health page goes, web11 goes DOWN in `hoge` only), `j` `d` (hoge_l4/web10
//! drains), `1`–`6` (`c` in the log view, so traffic lines show), `?`, and the status view
//! again at 80x24. Each screen is captured with its colours (`tmux capture-pane -e -p`) and
//! converted to SVG by `anstyle-svg`.
//!
//! Every step waits for text on the screen (polling, with a deadline) rather than for a fixed
//! time; only the warm-up, which lets counters and sparklines fill, is a fixed duration. When
//! a step times out, the run stops and prints what was on screen. It ends by itself, quits
//! lbtop with `q` and kills only the tmux server it started. If the lab's ports (8080, 8081,
//! 8010, 8011) are taken, it runs on a temporary copy of config.toml with free ports instead
//! (the pictures then show those ports).
//!
//! The build is the script's and not this program's: a `cargo build` started from inside
//! `cargo run` sees cargo's run-time environment and rebuilds the release binary each time.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long the demo traffic runs before the first key, and again after the experiment.
const WARM_UP: Duration = Duration::from_secs(20);
const SETTLE: Duration = Duration::from_secs(15);
/// How long any one step may wait for its text.
const STEP: Duration = Duration::from_secs(30);
const LAB_PORTS: [u16; 4] = [8080, 8081, 8010, 8011];

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("screenshots: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(binary) = std::env::args_os().nth(1).map(PathBuf::from) else {
        return Err("usage: scripts/screenshots.sh (it builds the release binary first)".into());
    };
    let binary = std::path::absolute(&binary).map_err(|e| e.to_string())?;
    if !binary.is_file() {
        return Err(format!("no lbtop binary at {}", binary.display()));
    }
    let (config, _keep) = lab_config(repo)?;
    let out = repo.join("screenshots");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tmux = Tmux::start(repo, &binary, &config, 120, 36)?;
    let result = script(&tmux, &out);
    tmux.quit();
    result
}

/// The user's session, screen by screen.
fn script(tmux: &Tmux, out: &Path) -> Res<()> {
    tmux.wait("both backends UP", |s| {
        s.contains("hoge 2 of 2 up") && s.contains("hoge_l4 2 of 2 up")
    })?;
    std::thread::sleep(WARM_UP);
    // The seed's experiment: web11 loses its health page (in memory), L7 sees it, L4 cannot.
    tmux.keys(&["j", "x"])?;
    tmux.wait("web11 DOWN", |s| s.contains("hoge/web11 is DOWN"))?;
    // Down past hoge's BACKEND row (the cursor rests there too) to hoge_l4/web10.
    tmux.keys(&["j", "j", "d"])?;
    tmux.wait("hoge_l4/web10 drained", |s| {
        s.contains("hoge_l4/web10 enters drain state")
    })?;
    std::thread::sleep(SETTLE);
    let views = [
        ("1", "1-status", "lastchg"),
        ("2", "2-traffic", "req/s"),
        ("3", "3-http", "p50"),
        ("4", "4-errors", "econ"),
        ("5", "5-l4l7", "→ GET"),
    ];
    for (key, name, needle) in views {
        tmux.keys(&[key])?;
        tmux.wait(name, |s| s.contains(needle))?;
        tmux.save(out, name)?;
    }
    tmux.keys(&["6", "c"])?;
    tmux.wait("traffic lines in the log", |s| s.contains("\"GET /"))?;
    tmux.save(out, "6-log")?;
    tmux.keys(&["1", "?"])?;
    tmux.wait("the help", |s| s.contains("Esc"))?;
    tmux.save(out, "7-help")?;
    // Enter on web11: its detail pane, with the check's 404 and the DOWN transition.
    tmux.keys(&["Escape", "1", "g", "j", "Enter"])?;
    tmux.wait("the detail pane", |s| s.contains("last chk"))?;
    tmux.save(out, "9-detail")?;
    tmux.keys(&["Escape", ":", "show servers state hoge", "Enter"])?;
    tmux.wait("a runtime API answer", |s| s.contains("srv_op_state"))?;
    tmux.save(out, "10-prompt")?;
    tmux.keys(&["Escape", "7"])?;
    tmux.wait("the config view", |s| s.contains("roundrobin"))?;
    tmux.save(out, "11-config")?;
    tmux.keys(&["Escape", "1"])?;
    tmux.resize(80, 24)?;
    tmux.wait("the status view at 80x24", |s| {
        s.lines().count() <= 24 && s.contains("web11")
    })?;
    tmux.save(out, "8-status-80x24")
}

/// config.toml itself when its ports are free (what `cargo run --release` opens); otherwise
/// a temporary copy on free ports with the roots made absolute. The guard keeps the copy.
fn lab_config(repo: &Path) -> Res<(PathBuf, Option<tempfile::TempDir>)> {
    let original = repo.join("config.toml");
    if LAB_PORTS
        .iter()
        .all(|&p| TcpListener::bind(("127.0.0.1", p)).is_ok())
    {
        return Ok((original, None));
    }
    let mut text = std::fs::read_to_string(&original).map_err(|e| e.to_string())?;
    for port in LAB_PORTS {
        let free = free_port()?;
        eprintln!("screenshots: port {port} is taken, the run uses {free}");
        text = text.replace(
            &format!("127.0.0.1:{port}\""),
            &format!("127.0.0.1:{free}\""),
        );
    }
    let assets = repo.join("assets");
    text = text.replace(
        "root = \"assets/",
        &format!("root = \"{}/", assets.display()),
    );
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    Ok((path, Some(dir)))
}

fn free_port() -> Res<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// A private tmux server running one lbtop; its socket lives in a temporary folder, which
/// goes with it.
struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    fn start(repo: &Path, binary: &Path, config: &Path, w: u16, h: u16) -> Res<Tmux> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
        let tmux = Tmux {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        };
        let (w, h) = (w.to_string(), h.to_string());
        let cwd = repo.to_string_lossy();
        let bin = binary.to_string_lossy();
        let cfg = config.to_string_lossy();
        let args = [
            "new-session",
            "-d",
            "-s",
            "lbtop",
            "-x",
            &w,
            "-y",
            &h,
            "-c",
            &cwd,
            &bin,
            "--config",
            &cfg,
        ];
        tmux.run(&args)?;
        Ok(tmux)
    }

    fn run(&self, args: &[&str]) -> Res<Output> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .output()
            .map_err(|e| format!("tmux: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("tmux {}: {}", args.join(" "), err.trim()));
        }
        Ok(out)
    }

    /// Presses keys one by one, each as its own tmux key name (`j`, `Escape`).
    fn keys(&self, keys: &[&str]) -> Res<()> {
        for key in keys {
            self.run(&["send-keys", "-t", "lbtop", key])?;
        }
        Ok(())
    }

    fn capture(&self, colours: bool) -> Res<String> {
        let mut args = vec!["capture-pane", "-t", "lbtop", "-p"];
        if colours {
            args.push("-e");
        }
        let out = self.run(&args)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Polls the screen until `probe` holds, for [`STEP`] at most.
    fn wait(&self, what: &str, probe: impl Fn(&str) -> bool) -> Res<()> {
        let deadline = Instant::now() + STEP;
        loop {
            let screen = self.capture(false)?;
            if probe(&screen) {
                // One more refresh, so the frame captured next is a whole one.
                std::thread::sleep(Duration::from_millis(300));
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no {what} on screen within {STEP:?}:\n{screen}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn resize(&self, w: u16, h: u16) -> Res<()> {
        let (w, h) = (w.to_string(), h.to_string());
        self.run(&["resize-window", "-t", "lbtop", "-x", &w, "-y", &h])
            .map(drop)
    }

    fn save(&self, dir: &Path, name: &str) -> Res<()> {
        let ansi = self.capture(true)?;
        let svg = anstyle_svg::Term::new().render_svg(&ansi);
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
        Ok(())
    }

    /// `q`, and waits (5 s at most) for lbtop to end; dropping the Tmux then ends its server.
    fn quit(&self) {
        let _ = self.keys(&["q"]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && self.run(&["has-session", "-t", "lbtop"]).is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    /// Only this socket's server, which only ran this lbtop (an error, a panic or a quit).
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
