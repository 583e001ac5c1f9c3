//! `lbtop`: the command line.

use clap::{Parser, Subcommand};
use lbtop::app::{self, Watcher};
use lbtop::config::{Config, ConfigErrors, Warning};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An HAProxy-style L4/L7 load balancer you can watch.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file: TOML, or HAProxy syntax (a `.cfg` file).
    #[arg(long, short = 'c', global = true, default_value = "config.toml")]
    config: PathBuf,
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
    Check,
    /// Print the configuration as an equivalent haproxy.cfg (`haproxy -c -f` accepts it).
    Export,
}

fn main() -> ExitCode {
    // First, before lbtop opens any descriptor of its own.
    lbtop::engine::log_out::note_inherited_fds();
    let cli = Cli::parse();
    // `check` and a run alike list every error of the file, not only the first.
    let config = match Config::load_all(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            print_errors(&cli.config, &e);
            return ExitCode::from(2);
        }
    };
    for w in &config.warnings {
        eprintln!("{}", warning_line(&cli.config, w));
    }
    if let Some(Cmd::Export) = cli.command {
        print!("{}", config.to_haproxy_cfg());
        return ExitCode::SUCCESS;
    }
    if let Some(Cmd::Check) = cli.command {
        print!("{}", config.describe());
        println!("Configuration file is valid");
        return ExitCode::SUCCESS;
    }
    let watcher = if cli.headless {
        Watcher::Headless
    } else {
        Watcher::Dashboard {
            read_only: cli.read_only,
        }
    };
    match app::run(config, watcher) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lbtop: {e}");
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
    for (_, _, text) in &lines {
        eprintln!("{text}");
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "lbtop: {} and {} in {}",
        plural(e.errors.len(), "error"),
        plural(e.warnings.len(), "warning"),
        path.display()
    );
}

// mimalloc: measured against the system allocator in bench/ on the proxy's many small,
// short-lived allocations.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
