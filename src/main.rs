//! `lbtop`: the command line.

use clap::{Parser, Subcommand};
use lbtop::app::{self, Watcher};
use lbtop::attach::Target;
use lbtop::config::{Config, ConfigErrors, Warning};
use lbtop::out::{self, warn};
use lbtop::upgrade::{self, Takeover, Upgrade};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An HAProxy-style L4/L7 load balancer you can watch.
///
/// Upgrading in place, with HAProxy's flags: `-sf <pid>...` starts in place of the running
/// processes and lets them finish (SIGUSR1) once this one listens, `-st <pid>...` stops them
/// at once (SIGTERM), and `-x <socket>` takes the listening sockets from an old lbtop's or
/// HAProxy's stats socket declared with `expose-fd listeners`. Without `-x`, an old lbtop
/// hands its sockets over by itself.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file: TOML, or HAProxy syntax (a `.cfg` file) [default: config.toml].
    /// With `attach`, optional: it only labels what the nodes report.
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// Run the balancer without the dashboard, printing one log line per event.
    #[arg(long)]
    headless: bool,
    /// Dashboard only: disable every action key.
    #[arg(long)]
    read_only: bool,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check the configuration and print what lbtop understood.
    Check {
        /// The configuration file, as `--config FILE`.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Print the configuration as an equivalent haproxy.cfg (`haproxy -c -f` accepts it).
    Export {
        /// The configuration file, as `--config FILE`.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// The dashboard over real HAProxy processes, polled through their stats sockets.
    Attach {
        /// A stats socket: a unix socket path, `host:port` or `ipv4@host:port`.
        #[arg(required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// How often each node is polled, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        refresh_ms: u64,
    },
}

fn main() -> ExitCode {
    // First, before lbtop opens any descriptor of its own.
    lbtop::engine::log_out::note_inherited_fds();
    // HAProxy's single-dash `-sf`, `-st` and `-x` first; clap reads the rest.
    let (upgrade, args) = match upgrade::split_args(std::env::args_os().collect()) {
        Ok(split) => split,
        Err(e) => {
            warn(&format!("lbtop: {e}"));
            return ExitCode::from(1);
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // --help and --version: stdout, which may be a pipe closed early.
        Err(e) if !e.use_stderr() => return out::help(&e),
        Err(e) => e.exit(),
    };
    if upgrade != Upgrade::default() && cli.command.is_some() {
        warn("lbtop: -sf, -st and -x only apply when running the balancer");
        return ExitCode::from(1);
    }
    if let Some(Cmd::Attach {
        targets,
        refresh_ms,
    }) = &cli.command
    {
        return attach(&cli, targets, *refresh_ms);
    }
    let Some(path) = config_path(&cli) else {
        return ExitCode::from(2);
    };
    let Some(config) = load(&path) else {
        return ExitCode::from(2);
    };
    let printed = match cli.command {
        Some(Cmd::Export { .. }) => Some(config.to_haproxy_cfg()),
        Some(Cmd::Check { .. }) => Some(config.describe() + "Configuration file is valid\n"),
        _ => None,
    };
    if let Some(text) = printed {
        return match out::print(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(gone) => out::exit(gone),
        };
    }
    let watcher = if cli.headless {
        Watcher::Headless
    } else {
        Watcher::Dashboard {
            read_only: cli.read_only,
        }
    };
    let Some(takeover) = take_over(upgrade) else {
        return ExitCode::from(1);
    };
    let reload_path = path.clone();
    let load: lbtop::engine::generation::Loader = std::sync::Arc::new(move || {
        Config::load_all(&reload_path).map_err(|e| error_text(&reload_path, &e))
    });
    match app::run(config, watcher, load, takeover) {
        Ok(()) => ExitCode::SUCCESS,
        // The headless lines' reader went away: the engine has stopped, lbtop ends quietly.
        Err(app::RunError::Output(gone)) => out::exit(gone),
        Err(e) => {
            warn(&format!("lbtop: {e}"));
            ExitCode::from(1)
        }
    }
}

/// The file to read: `check FILE` and `export FILE`, or `--config FILE`, or config.toml.
fn config_path(cli: &Cli) -> Option<PathBuf> {
    let file = match &cli.command {
        Some(Cmd::Check { file } | Cmd::Export { file }) => file.clone(),
        _ => None,
    };
    match (file, cli.config.clone()) {
        (Some(a), Some(b)) if a != b => {
            warn("lbtop: two configuration files given: name one, as FILE or as --config FILE");
            None
        }
        (Some(path), _) | (None, Some(path)) => Some(path),
        (None, None) => Some(PathBuf::from("config.toml")),
    }
}

/// The old processes' sockets, once the configuration is known to be good; `None` when `-x`
/// could not get them (HAProxy exits then too, leaving the old process serving).
fn take_over(old: Upgrade) -> Option<Takeover> {
    match old.inherit() {
        Ok(inherited) => Some(Takeover {
            sockets: inherited.sockets,
            notes: inherited.note.into_iter().collect(),
            old,
            endpoint: Some(lbtop::engine::handover::bind()),
        }),
        Err(e) => {
            warn(&format!("lbtop: {e}"));
            warn("lbtop: failed to get the sockets from the old process!");
            None
        }
    }
}

/// `check` and a run alike list every error of the file, not only the first.
fn load(path: &Path) -> Option<Config> {
    match Config::load_all(path) {
        Ok(config) => {
            for w in &config.warnings {
                warn(&warning_line(path, w));
            }
            Some(config)
        }
        Err(e) => {
            print_errors(path, &e);
            if e.errors.iter().any(|e| e.is_file_level()) {
                warn("lbtop: --config FILE (or -c FILE) reads another configuration file");
            }
            None
        }
    }
}

fn attach(cli: &Cli, targets: &[String], refresh_ms: u64) -> ExitCode {
    let mut parsed = Vec::new();
    for t in targets {
        match Target::parse(t) {
            Ok(target) => parsed.push(target),
            Err(e) => {
                warn(&format!("lbtop attach: {t}: {e}"));
                return ExitCode::from(2);
            }
        }
    }
    let config = match &cli.config {
        Some(path) => match load(path) {
            Some(c) => Some(c),
            None => return ExitCode::from(2),
        },
        None => None,
    };
    let refresh = std::time::Duration::from_millis(refresh_ms.max(10));
    match app::attach(parsed, config, refresh, cli.read_only) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("lbtop: {e}"));
            ExitCode::from(1)
        }
    }
}

fn warning_line(path: &Path, w: &Warning) -> String {
    format!("{}:{}: warning: {}", path.display(), w.line, w.message)
}

/// Errors and warnings merged in file order (an error before a warning of the same line),
/// then how many of each, as `haproxy -c` lists its alerts and warnings as it reads.
fn print_errors(path: &Path, e: &ConfigErrors) {
    warn(error_text(path, e).trim_end());
}

/// What [`print_errors`] prints; a failed reload logs the same lines.
fn error_text(path: &Path, e: &ConfigErrors) -> String {
    let mut lines: Vec<(usize, bool, String)> = e
        .errors
        .iter()
        .map(|err| (err.line, false, err.to_string()))
        .chain(
            e.warnings
                .iter()
                .map(|w| (w.line, true, warning_line(path, w))),
        )
        .collect();
    lines.sort_by_key(|(line, is_warning, _)| (*line, *is_warning));
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut out = String::new();
    for (_, _, text) in &lines {
        out.push_str(text);
        out.push('\n');
    }
    // A file that could not be read has no errors to count.
    if e.errors.iter().all(|e| e.is_file_level()) && e.warnings.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "lbtop: {} and {} in {}\n",
        plural(e.errors.len(), "error"),
        plural(e.warnings.len(), "warning"),
        path.display()
    ));
    out
}

// mimalloc: measured against the system allocator in bench/ on the proxy's many small,
// short-lived allocations.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
