//! `lbtop`: the command line.

use clap::{Parser, Subcommand};
use lbtop::app::{self, Watcher};
use lbtop::config::Config;
use std::path::PathBuf;
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
    let config = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    for w in &config.warnings {
        eprintln!(
            "{}:{}: warning: {}",
            cli.config.display(),
            w.line,
            w.message
        );
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

// mimalloc: measured against the system allocator in bench/ on the proxy's many small,
// short-lived allocations.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
