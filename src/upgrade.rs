//! `-sf`, `-st` and `-x`: a new lbtop started in place of running processes, with HAProxy's
//! command line (docs/haproxy-semantics.md §31). The new process takes the old one's listening
//! sockets (from its stats socket with `-x`, else from an old lbtop's private hand-over
//! endpoint), starts listening, and only then tells the old processes to stop.

use crate::engine::{getsocks, handover, sockets::Inventory, Handle};
use crate::events::{Event, EventSender, Level, LogLine, Topic};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::runtime::Runtime;

/// What the command line asked of the processes being replaced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Upgrade {
    /// `-sf` / `-st` pids, in order.
    pub old_pids: Vec<i32>,
    /// `-st`: SIGTERM (stop now) rather than `-sf`'s SIGUSR1 (finish, then stop).
    pub hard: bool,
    /// `-x <socket>`: the old process's stats socket, with `expose-fd listeners`.
    pub socket: Option<PathBuf>,
}

/// Takes HAProxy's single-dash flags out of the command line, leaving the rest to clap:
/// `-sf`/`-st` and the pids after them up to the next argument starting with `-`, and `-x`
/// with its path. After `--` nothing is taken.
pub fn split_args(args: Vec<OsString>) -> Result<(Upgrade, Vec<OsString>), String> {
    let mut up = Upgrade::default();
    let mut rest = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("--") => {
                rest.push(arg);
                rest.extend(it.by_ref());
            }
            Some(flag @ ("-sf" | "-st")) => {
                up.hard = flag == "-st";
                while let Some(pid) = it.next_if(|a| !a.to_string_lossy().starts_with('-')) {
                    up.old_pids.push(parse_pid(flag, &pid.to_string_lossy())?);
                }
            }
            Some("-x") => {
                let Some(path) = it.next_if(|a| !a.to_string_lossy().starts_with('-')) else {
                    return Err("Unix socket path expected with the -x flag".into());
                };
                if up.socket.is_some() {
                    eprintln!("lbtop: warning: -x option already set, overwriting the value");
                }
                up.socket = Some(PathBuf::from(path));
            }
            _ => rest.push(arg),
        }
    }
    Ok((up, rest))
}

/// A pid as HAProxy reads it (`strtol`, spaces allowed after it); 0 and below are refused.
fn parse_pid(flag: &str, word: &str) -> Result<i32, String> {
    let start = word.trim_start();
    let digits = start
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+')))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    let (number, left) = start.split_at(digits);
    if !left.trim().is_empty() {
        return Err(format!(
            "{flag} option: some bytes unconsumed in PID list {{{left}}}"
        ));
    }
    match number.parse::<i64>() {
        Ok(n) if n > 0 && n <= i64::from(i32::MAX) => Ok(n as i32),
        Ok(_) | Err(_) => Err(format!("{flag} option: invalid pid '{word}'")),
    }
}

/// Where the sockets came from, for the log line that says so.
pub struct Inherited {
    pub sockets: Inventory,
    pub note: Option<String>,
}

impl Upgrade {
    /// The listening sockets to start with: the old process's stats socket's with `-x`
    /// (failing the start if it cannot give them, as HAProxy does), else those of the first
    /// old lbtop that has a hand-over endpoint, else none (the binds open new sockets).
    /// `-x /dev/null` asks for none at all, as HAProxy reads it.
    pub fn inherit(&self) -> Result<Inherited, String> {
        match &self.socket {
            Some(path) if path.as_os_str() == "/dev/null" => Ok(Inherited {
                sockets: Inventory::default(),
                note: None,
            }),
            Some(path) => Upgrade::ask_stats_socket(path),
            None => Ok(self.ask_endpoints()),
        }
    }

    fn ask_stats_socket(path: &std::path::Path) -> Result<Inherited, String> {
        let shown = path.display();
        let stream = std::os::unix::net::UnixStream::connect(path)
            .map_err(|e| format!("failed to connect to the old process socket '{shown}': {e}"))?;
        let fds = getsocks::request(&stream).map_err(|e| format!("'{shown}': {e}"))?;
        let sockets = Inventory::from_fds(fds);
        let note = format!(
            "took {} listening sockets from '{shown}' ({})",
            sockets.len(),
            addrs(&sockets)
        );
        Ok(Inherited {
            sockets,
            note: Some(note),
        })
    }

    fn ask_endpoints(&self) -> Inherited {
        for &pid in &self.old_pids {
            match handover::fetch(pid as u32) {
                Ok(Some(fds)) => {
                    let sockets = Inventory::from_fds(fds);
                    let note = format!(
                        "took {} listening sockets from process {pid} ({})",
                        sockets.len(),
                        addrs(&sockets)
                    );
                    return Inherited {
                        sockets,
                        note: Some(note),
                    };
                }
                Ok(None) => {}
                Err(e) => eprintln!("lbtop: warning: process {pid}: {e}; binding new sockets"),
            }
        }
        Inherited {
            sockets: Inventory::default(),
            note: None,
        }
    }

    /// Tells each old process to stop, once this one listens: SIGUSR1 (`-sf`) or SIGTERM
    /// (`-st`). A pid that is gone is skipped, as HAProxy skips it. Returns one line per pid.
    pub fn stop_old(&self) -> Vec<String> {
        let (signal, name) = match self.hard {
            true => (libc::SIGTERM, "SIGTERM"),
            false => (libc::SIGUSR1, "SIGUSR1"),
        };
        let mut lines = Vec::new();
        for &pid in &self.old_pids {
            // SAFETY: kill has no memory preconditions; a bad pid only returns an error.
            let sent = unsafe { libc::kill(pid, signal) } == 0;
            lines.push(match sent {
                true => format!("sent {name} to the old process {pid}"),
                false => format!(
                    "could not signal the old process {pid}: {}",
                    std::io::Error::last_os_error()
                ),
            });
        }
        lines
    }
}

/// What `app::run` needs to take over from old processes: the sockets to start with, what to
/// log about them, and whom to stop once listening.
#[derive(Default)]
pub struct Takeover {
    pub sockets: Inventory,
    pub notes: Vec<String>,
    pub old: Upgrade,
    /// This process's hand-over endpoint, bound before any listener (so a process that
    /// listens can always be asked), served once the engine runs; `None`: not opened.
    pub endpoint: Option<std::io::Result<std::os::unix::net::UnixListener>>,
}

impl Takeover {
    /// Once the engine listens: serves this process's hand-over endpoint (giving the sockets
    /// of whichever configuration is current, `engine` following reloads), then stops the
    /// old processes; each step is logged as a notice.
    pub fn listening(self, runtime: &Runtime, engine: &Handle, events: &EventSender) {
        let mut lines = self.notes;
        match self.endpoint.unwrap_or_else(handover::bind) {
            Ok(listener) => {
                let engine = engine.clone();
                let source: handover::Source = Arc::new(move || engine.sockets());
                runtime.spawn(handover::serve(listener, source));
            }
            Err(e) => lines.push(format!(
                "no hand-over endpoint '@{}': {e}",
                handover::name(std::process::id())
            )),
        }
        lines.extend(self.old.stop_old());
        for text in lines {
            events.send(Event::Log(LogLine {
                level: Level::Notice,
                topic: Topic::System,
                text,
            }));
        }
    }
}

fn addrs(inv: &Inventory) -> String {
    let all: Vec<String> = inv.addrs().iter().map(|a| a.to_string()).collect();
    match all.is_empty() {
        true => "none usable".into(),
        false => all.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<(Upgrade, Vec<String>), String> {
        let args = line.split(' ').map(OsString::from).collect();
        split_args(args).map(|(u, rest)| {
            let rest = rest.into_iter().map(|a| a.into_string().unwrap()).collect();
            (u, rest)
        })
    }

    #[test]
    fn flags_as_haproxy_reads_them() {
        let (u, rest) = split("lbtop --headless -sf 12 34 --config f.cfg -x /run/s.sock").unwrap();
        assert_eq!(u.old_pids, [12, 34]);
        assert!(!u.hard);
        assert_eq!(u.socket, Some(PathBuf::from("/run/s.sock")));
        assert_eq!(rest, ["lbtop", "--headless", "--config", "f.cfg"]);
        let (u, rest) = split("lbtop -st 7 -c f.cfg").unwrap();
        assert_eq!((u.old_pids, u.hard), (vec![7], true));
        assert_eq!(rest, ["lbtop", "-c", "f.cfg"]);
        // No pid at all is allowed, as HAProxy allows it.
        let (u, _) = split("lbtop -sf --headless").unwrap();
        assert!(u.old_pids.is_empty());
        let (_, rest) = split("lbtop -- -sf 1").unwrap();
        assert_eq!(rest, ["lbtop", "--", "-sf", "1"]);
    }

    #[test]
    fn bad_flags_are_refused_with_haproxy_words() {
        let e = split("lbtop -sf 12x").unwrap_err();
        assert_eq!(e, "-sf option: some bytes unconsumed in PID list {x}");
        let e = split("lbtop -sf abc").unwrap_err();
        assert_eq!(e, "-sf option: some bytes unconsumed in PID list {abc}");
        assert!(split("lbtop -st 0")
            .unwrap_err()
            .contains("invalid pid '0'"));
        let e = split("lbtop -x --headless").unwrap_err();
        assert_eq!(e, "Unix socket path expected with the -x flag");
        let e = split("lbtop -x").unwrap_err();
        assert_eq!(e, "Unix socket path expected with the -x flag");
    }
}
