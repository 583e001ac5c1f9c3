//! The `stats socket` listeners: a UNIX socket (with its `mode`) or a TCP address, each with
//! its `level`; `stats maxconn` sessions at once, each idle at most `stats timeout`
//! (docs/haproxy-semantics.md §27.1). They run as tokio tasks apart from the workers, and
//! commands only read snapshots or take a backend's lock briefly, as the dashboard does.

use super::session::{serve, serve_unix, Session};
use super::Level;
use crate::config::StatsSocket;
use crate::engine::Shared;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// HAProxy's defaults for the CLI frontend: 10 sessions, 10 s.
pub const DEFAULT_MAXCONN: u32 = 10;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound `stats socket`.
pub struct CliListener {
    socket: Socket,
    level: Level,
    /// `expose-fd listeners`: `_getsocks` gives the listening sockets.
    expose_fd: bool,
}

enum Socket {
    Unix(std::os::unix::net::UnixListener),
    Tcp(std::net::TcpListener),
}

/// Where a `stats socket` line points: `unix@<path>` or a path, else an `ipv4@`/`ipv6@`
/// prefixed or bare `addr:port`.
pub enum Where {
    Unix(String),
    Tcp(String),
}

pub fn parse_where(path: &str) -> Where {
    if let Some(p) = path.strip_prefix("unix@") {
        return Where::Unix(p.to_string());
    }
    for prefix in ["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"] {
        if let Some(a) = path.strip_prefix(prefix) {
            return Where::Tcp(tcp_addr(a));
        }
    }
    if !path.starts_with('/')
        && path
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        return Where::Tcp(tcp_addr(path));
    }
    Where::Unix(path.to_string())
}

/// `*:port` and `:port` listen on every IPv4 address, as HAProxy's do.
fn tcp_addr(a: &str) -> String {
    match a.rsplit_once(':') {
        Some(("" | "*", port)) => format!("0.0.0.0:{port}"),
        Some((host, port)) if host.contains(':') && !host.starts_with('[') => {
            format!("[{host}]:{port}")
        }
        _ => a.to_string(),
    }
}

/// Binds one `stats socket`, or takes `kept`, the TCP socket a previous engine listened on
/// at the same address. A UNIX socket file left by an earlier run is replaced, as HAProxy
/// replaces it.
pub fn bind(s: &StatsSocket, kept: Option<std::net::TcpListener>) -> std::io::Result<CliListener> {
    let level = Level::parse(&s.level).unwrap_or(Level::Operator);
    let socket = match (parse_where(&s.path), kept) {
        (Where::Unix(path), _) => Socket::Unix(bind_unix(&path, s.mode)?),
        (Where::Tcp(_), Some(l)) => Socket::Tcp(l),
        (Where::Tcp(addr), None) => Socket::Tcp(shared_listener(&addr)?),
    };
    if let Socket::Tcp(l) = &socket {
        l.set_nonblocking(true)?;
    }
    Ok(CliListener {
        socket,
        level,
        expose_fd: s.expose_fd_listeners,
    })
}

/// A TCP listener on `addr` that a new process can bind too while this one runs (an upgrade,
/// `-sf`), as HAProxy binds every listener with SO_REUSEPORT.
pub fn shared_listener(addr: &str) -> std::io::Result<std::net::TcpListener> {
    use std::net::ToSocketAddrs;
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Binds under a temporary name and renames it into place: a reload replaces the socket
/// file in one step, so a client never finds the path missing.
fn bind_unix(path: &str, mode: Option<u32>) -> std::io::Result<std::os::unix::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_socket()) {
        return Err(std::io::ErrorKind::AddrInUse.into());
    }
    let tmp = format!("{path}.{}.tmp", std::process::id());
    let _ = std::fs::remove_file(&tmp);
    let l = std::os::unix::net::UnixListener::bind(&tmp)?;
    let placed = mode
        .map_or(Ok(()), |m| {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(m))
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    l.set_nonblocking(true)?;
    Ok(l)
}

impl CliListener {
    /// The listening TCP socket, for the next engine to take over.
    pub fn tcp(&self) -> Option<&std::net::TcpListener> {
        match &self.socket {
            Socket::Tcp(l) => Some(l),
            Socket::Unix(_) => None,
        }
    }
}

/// Serves every listener until the engine stops; one `stats maxconn` budget for them all.
pub(crate) async fn run(shared: Arc<Shared>, listeners: Vec<CliListener>) {
    let g = &shared.config.global;
    let permits = Arc::new(Semaphore::new(
        g.stats_maxconn.unwrap_or(DEFAULT_MAXCONN) as usize
    ));
    let timeout = g.stats_timeout.unwrap_or(DEFAULT_TIMEOUT);
    let mut tasks = JoinSet::new();
    for l in listeners {
        tasks.spawn(accept_loop(shared.clone(), l, permits.clone(), timeout));
    }
    while tasks.join_next().await.is_some() {}
}

/// Past `stats maxconn` sessions, a new client waits unserved (and the listener stops
/// accepting behind it) until one ends, as HAProxy's paused listener leaves them waiting.
async fn accept_loop(
    shared: Arc<Shared>,
    l: CliListener,
    permits: Arc<Semaphore>,
    timeout: Duration,
) {
    let listener = match l.socket {
        Socket::Unix(u) => tokio::net::UnixListener::from_std(u).map(Tokio::Unix),
        Socket::Tcp(t) => tokio::net::TcpListener::from_std(t).map(Tokio::Tcp),
    };
    let Ok(listener) = listener else {
        return;
    };
    loop {
        let mut session = Session::new(l.level, timeout);
        session.expose_fd = l.expose_fd;
        let shared = shared.clone();
        match &listener {
            Tokio::Unix(u) => match u.accept().await {
                Ok((io, _)) => {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    // Detached: a session outlives this listener's engine (a reload), each
                    // of its commands run on the newest one.
                    tokio::spawn(async move {
                        serve_unix(&shared, io, session).await;
                        drop(permit)
                    });
                }
                Err(_) => pause().await,
            },
            Tokio::Tcp(t) => match t.accept().await {
                Ok((io, _)) => {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    // Detached: a session outlives this listener's engine (a reload), each
                    // of its commands run on the newest one.
                    tokio::spawn(async move {
                        serve(&shared, io, session).await;
                        drop(permit)
                    });
                }
                Err(_) => pause().await,
            },
        }
    }
}

enum Tokio {
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
}

/// After a failed accept (out of descriptors), a short rest rather than a busy loop.
async fn pause() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}
