//! Asking a runtime API (`stats socket`) one command, the same way for HAProxy and lbtop.
//! Until lbtop serves its socket, lbtop is asked in process through `Handle::cli`; switching
//! to the socket is the one line in [`ask`].

use lbtop::engine::cli::Level;
use lbtop::engine::Handle;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// Who answers.
pub enum Target {
    /// A unix `stats socket`, asked as `socat` does: one line, then read to the end.
    Socket(PathBuf),
    /// A running lbtop engine, asked in process at `admin` level.
    Engine(Handle),
}

/// The whole answer to one command line.
pub fn ask(target: &Target, line: &str) -> String {
    match target {
        Target::Socket(path) => ask_socket(path, line),
        Target::Engine(handle) => handle.cli(Level::Admin, line),
    }
}

fn ask_socket(path: &PathBuf, line: &str) -> String {
    let mut s = UnixStream::connect(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => panic!("reading the answer to {line:?}: {e}"),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
