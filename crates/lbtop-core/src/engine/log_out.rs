//! Where log messages leave the process, and the one rule they all follow: the data path never
//! waits for them (docs/haproxy-semantics.md §4.1).
//!
//! - UDP and UNIX datagram targets are sent to from the caller on non-blocking sockets: a full
//!   socket buffer drops the message and counts it, as HAProxy does.
//! - File descriptors (`stdout`, `stderr`, `fd@N`) are written by one writer thread fed through
//!   a bounded queue: a full queue (a pipe nobody reads) drops and counts. HAProxy makes the
//!   descriptor itself non-blocking instead; lbtop leaves the shared descriptor alone so its
//!   own printing (`--headless`) keeps blocking writes, and takes Rust's stdout lock for each
//!   whole message, so a `log stdout` line and a headless line never mix within a line.
//! - A send that fails otherwise (no such socket, nobody listening, a bad descriptor) is
//!   reported once for the whole process on stderr, in HAProxy's words, and never stops lbtop.

use super::syslog::{frame, hostname, Header};
use crate::config::{Global, LogAddr, LogTarget};
use crate::events::Level;
use std::io::{self, Write};
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// Messages waiting for the descriptor writer; past this they are dropped.
const FD_QUEUE: usize = 1024;

/// Set while the dashboard draws on the terminal: descriptors that are terminals get no log
/// lines then (the dashboard's own log view shows them).
static TERMINAL_OWNED: AtomicBool = AtomicBool::new(false);

/// The descriptors above stderr that the process was started with (`fd@N` targets), noted by
/// [`note_inherited_fds`] before lbtop opens any of its own.
static INHERITED: OnceLock<Vec<i32>> = OnceLock::new();

/// Notes which descriptors above 2 are open now, at the start of `main`: only those are ever
/// written as `fd@N`, so a log line can never land on one of lbtop's own sockets. Another
/// `fd@N` fails as a closed descriptor does in HAProxy (reported once, then dropped).
pub fn note_inherited_fds() {
    let listed: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&fd| fd > 2)
                .collect()
        })
        .unwrap_or_default();
    // The listing's own descriptor is in the list; it is closed by now.
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    let open = |&fd: &i32| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
    let _ = INHERITED.set(listed.into_iter().filter(open).collect());
}

/// Says whether the dashboard owns the terminal.
pub fn set_terminal_owned(owned: bool) {
    TERMINAL_OWNED.store(owned, Relaxed);
}

/// Whether any `log` line in the configuration writes to file descriptor `fd`.
pub fn writes_to_fd(config: &crate::config::Config, fd: i32) -> bool {
    let own = |t: &LogTarget| t.addr == LogAddr::Fd(fd);
    config.global.log.iter().any(own)
        || config.frontends.iter().any(|f| f.log.iter().any(own))
        || config.backends.iter().any(|b| b.log.iter().any(own))
}

/// The process's ways out, shared by every proxy.
pub struct LogOutputs {
    udp4: Option<UdpSocket>,
    udp6: Option<UdpSocket>,
    unix: Option<UnixDatagram>,
    fds: SyncSender<FdWrite>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    dropped: AtomicU64,
    alerted: AtomicBool,
}

/// One message for a descriptor; `logger` numbers its target for the failure alert (`None`
/// for the alert itself).
struct FdWrite {
    fd: i32,
    bytes: Vec<u8>,
    logger: Option<usize>,
}

impl LogOutputs {
    pub fn new() -> Arc<LogOutputs> {
        let udp = |any: &str| {
            UdpSocket::bind(any)
                .ok()
                .filter(|s| s.set_nonblocking(true).is_ok())
        };
        let unix = UnixDatagram::unbound()
            .ok()
            .filter(|s| s.set_nonblocking(true).is_ok());
        let (tx, rx) = sync_channel(FD_QUEUE);
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        // Detached: it ends when every sender is gone, or with the process.
        let _ = std::thread::Builder::new()
            .name("lbtop-log".into())
            .spawn(move || write_fds(rx, &shared));
        Arc::new(LogOutputs {
            udp4: udp("0.0.0.0:0"),
            udp6: udp("[::]:0"),
            unix,
            fds: tx,
            counters,
        })
    }

    /// Messages dropped so far because a way out was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Relaxed)
    }

    fn send(&self, addr: &LogAddr, logger: usize, bytes: Vec<u8>) {
        let sent = match addr {
            LogAddr::Udp(a) => {
                let socket = if a.is_ipv4() { &self.udp4 } else { &self.udp6 };
                socket.as_ref().map(|s| s.send_to(&bytes, a))
            }
            LogAddr::Unix(p) => self.unix.as_ref().map(|s| s.send_to(&bytes, p)),
            LogAddr::Fd(fd) => {
                let logger = Some(logger);
                self.queue(FdWrite {
                    fd: *fd,
                    bytes,
                    logger,
                });
                return;
            }
        };
        match sent {
            Some(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => self.drop_one(),
            Some(Err(e)) => {
                if let Some(alert) = alert_once(&self.counters, logger, &e) {
                    self.queue(FdWrite {
                        fd: 2,
                        bytes: alert,
                        logger: None,
                    });
                }
            }
            _ => {}
        }
    }

    fn queue(&self, w: FdWrite) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.fds.try_send(w) {
            self.drop_one();
        }
    }

    fn drop_one(&self) {
        self.counters.dropped.fetch_add(1, Relaxed);
    }
}

/// HAProxy's alert for a failed send, the first time only.
fn alert_once(c: &Counters, logger: usize, e: &io::Error) -> Option<Vec<u8>> {
    if c.alerted.swap(true, Relaxed) {
        return None;
    }
    let errno = e.raw_os_error().unwrap_or(0);
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    Some(
        format!(
            "[ALERT]    ({}) : sendmsg()/writev() failed in logger #{logger}: {text} (errno={errno})\n",
            std::process::id()
        )
        .into_bytes(),
    )
}

/// The descriptor writer: blocking writes, off the data path.
fn write_fds(rx: Receiver<FdWrite>, c: &Counters) {
    while let Ok(w) = rx.recv() {
        if TERMINAL_OWNED.load(Relaxed) && is_terminal(w.fd) {
            continue;
        }
        if let (Err(e), Some(logger)) = (write_fd(w.fd, &w.bytes), w.logger) {
            let quiet = TERMINAL_OWNED.load(Relaxed) && is_terminal(2);
            if let Some(alert) = alert_once(c, logger, &e).filter(|_| !quiet) {
                let _ = io::stderr().lock().write_all(&alert);
            }
        }
    }
}

fn is_terminal(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor number.
    unsafe { libc::isatty(fd) == 1 }
}

/// One whole message on `fd`; stdout and stderr through Rust's own handles, so their locks
/// keep each message in one piece next to lbtop's other printing.
fn write_fd(fd: i32, bytes: &[u8]) -> io::Result<()> {
    match fd {
        1 => {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        2 => io::stderr().lock().write_all(bytes),
        _ if INHERITED.get().is_some_and(|fds| fds.contains(&fd)) => write_raw(fd, bytes),
        _ => Err(io::Error::from_raw_os_error(libc::EBADF)),
    }
}

fn write_raw(fd: i32, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice to a descriptor lbtop does not own or close.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// A proxy's log: its targets (the global ones first with `log global`, then its own), its
/// syslog header, and the shared ways out.
pub struct ProxyLog {
    targets: Vec<LogTarget>,
    header: Header,
    out: Arc<LogOutputs>,
}

impl ProxyLog {
    /// `None` when the proxy logs nowhere.
    pub fn new(
        out: &Arc<LogOutputs>,
        global: &Global,
        log_global: bool,
        own: &[LogTarget],
        tag: Option<&str>,
    ) -> Option<ProxyLog> {
        let mut targets = Vec::new();
        if log_global {
            targets.extend(global.log.iter().cloned());
        }
        targets.extend(own.iter().cloned());
        if targets.is_empty() {
            return None;
        }
        let hostname = global.log_send_hostname.as_ref().map(|h| match h.as_str() {
            "" => hostname(),
            name => name.to_string(),
        });
        let tag = tag.or(global.log_tag.as_deref());
        Some(ProxyLog {
            targets,
            header: Header {
                tag: tag.unwrap_or(Header::DEFAULT_TAG).to_string(),
                hostname,
                pid: std::process::id(),
            },
            out: out.clone(),
        })
    }

    /// Sends `message` to every target whose maximum level lets it through; never waits.
    pub fn send(&self, level: Level, message: &str) {
        let now = SystemTime::now();
        let level = level as u8;
        for (i, t) in self.targets.iter().enumerate() {
            if level > t.max_level {
                continue;
            }
            let bytes = frame(t, &self.header, level.max(t.min_level), message, now);
            self.out.send(&t.addr, i + 1, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LogFormat;
    use std::time::Duration;

    fn global() -> Global {
        Global {
            maxconn: None,
            nbthread: None,
            log: Vec::new(),
            log_send_hostname: None,
            log_tag: None,
            stats_sockets: Vec::new(),
            stats_timeout: None,
            stats_maxconn: None,
            resolvers: Vec::new(),
            userlists: Vec::new(),
            spread_checks: 0,
            server_state: Default::default(),
            metrics: None,
            hard_stop_after: None,
        }
    }

    /// A fresh folder for one test's sockets, removed when the test ends (lbtop-core has no
    /// tempfile dependency).
    struct Scratch(std::path::PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = std::path::Path;
        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lbtop-log-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    #[test]
    fn levels_above_max_are_dropped_and_min_raises() {
        let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
        sink.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut t = LogTarget::new(LogAddr::Udp(sink.local_addr().unwrap()), 22);
        t.format = Some(LogFormat::Priority);
        t.max_level = 5; // notice
        t.min_level = 3; // err
        let log = ProxyLog::new(&LogOutputs::new(), &global(), false, &[t], None).unwrap();
        log.send(Level::Info, "dropped");
        log.send(Level::Emerg, "raised");
        let mut buf = [0u8; 256];
        let n = sink.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"<179>raised\n");
    }

    #[test]
    fn ipv6_targets_get_their_own_socket() {
        let Ok(sink) = UdpSocket::bind("[::1]:0") else {
            return; // no IPv6 loopback here
        };
        sink.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut t = LogTarget::new(LogAddr::Udp(sink.local_addr().unwrap()), 16);
        t.format = Some(LogFormat::Raw);
        let log = ProxyLog::new(&LogOutputs::new(), &global(), false, &[t], None).unwrap();
        log.send(Level::Info, "v6");
        let mut buf = [0u8; 64];
        let n = sink.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"v6\n");
    }

    #[test]
    fn a_unix_socket_gets_the_framed_message_and_a_missing_one_is_no_error() {
        let dir = scratch("unix");
        let path = dir.join("log");
        let sink = UnixDatagram::bind(&path).unwrap();
        sink.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut t = LogTarget::new(LogAddr::Unix(path), 16);
        t.format = Some(LogFormat::Raw);
        let gone = LogTarget::new(LogAddr::Unix(dir.join("nobody")), 16);
        let out = LogOutputs::new();
        let log = ProxyLog::new(&out, &global(), false, &[gone, t], None).unwrap();
        log.send(Level::Info, "hello");
        let mut buf = [0u8; 256];
        let n = sink.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello\n");
        assert!(
            out.counters.alerted.load(Relaxed),
            "the missing socket was reported"
        );
    }

    #[test]
    fn a_full_socket_drops_and_counts_without_waiting() {
        let dir = scratch("full");
        let path = dir.join("log");
        let _sink = UnixDatagram::bind(&path).unwrap(); // never read
        let t = LogTarget::new(LogAddr::Unix(path), 16);
        let out = LogOutputs::new();
        let log = ProxyLog::new(&out, &global(), false, &[t], None).unwrap();
        let text = "x".repeat(900);
        for _ in 0..10_000 {
            log.send(Level::Info, &text);
        }
        assert!(out.dropped() > 0);
    }
}
