//! Printing when the reader may go away first (`lbtop check | head -3`,
//! `lbtop --headless | head -2`).
//!
//! Rust starts programs with SIGPIPE ignored, so a write to a closed pipe fails with EPIPE
//! instead of killing the process. lbtop keeps it that way while it runs: the engine's
//! sockets, pipes and log writers see an error they handle, never a signal. Where lbtop
//! prints, a closed stdout ends it quietly, as coreutils end: nothing on stderr, and killed
//! by SIGPIPE at the very end ([`exit`]), which a shell reports as 141.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

/// Where a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Why printing stopped.
#[derive(Debug, thiserror::Error)]
pub enum Gone {
    /// The reader closed the pipe (EPIPE).
    #[error("the output was closed")]
    Closed,
    /// Any other failure (a full disk).
    #[error("cannot write: {0}")]
    Failed(#[source] io::Error),
}

/// Writes `text` whole to `stream`, under its lock, and flushes it.
pub fn write(stream: Stream, text: &str) -> Result<(), Gone> {
    let written = match stream {
        Stream::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Stderr => io::stderr().lock().write_all(text.as_bytes()),
    };
    written.map_err(|e| match e.kind() {
        io::ErrorKind::BrokenPipe => Gone::Closed,
        _ => Gone::Failed(e),
    })
}

/// What a printing command prints, on stdout.
pub fn print(text: &str) -> Result<(), Gone> {
    write(Stream::Stdout, text)
}

/// One message line on stderr. A closed stderr leaves nobody to tell, so its failure is
/// dropped.
pub fn warn(text: &str) {
    let _ = write(Stream::Stderr, &format!("{text}\n"));
}

/// The exit of a command whose printing stopped: killed by SIGPIPE for a closed pipe, as
/// `seq 10 | true` ends `seq`; 1 and the reason for any other failure.
pub fn exit(gone: Gone) -> ExitCode {
    if let Gone::Closed = gone {
        die_by_sigpipe();
        // SIGPIPE blocked by whoever started lbtop: the status a shell would have shown.
        return ExitCode::from(141);
    }
    warn(&format!("lbtop: {gone}"));
    ExitCode::from(1)
}

/// `--help` and `--version`, printed as clap would (styled on a terminal), a closed pipe
/// ending lbtop as above.
pub fn help(e: &clap::Error) -> ExitCode {
    let styled = e.render();
    let text = match io::stdout().is_terminal() {
        true => styled.ansi().to_string(),
        false => styled.to_string(),
    };
    match print(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(gone) => exit(gone),
    }
}

fn die_by_sigpipe() {
    // SAFETY: sets one signal's action back to the default and raises it in this thread; the
    // last thing lbtop does, once the engine has stopped.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
}
