//! Listening: the sockets of each `bind` (one per worker, sharing the port through
//! SO_REUSEPORT), what an accepted connection goes through (see [`super::accept`] for the
//! loop that accepts it under the `maxconn` limits), and the PROXY protocol header an `accept-proxy` bind reads before anything else
//! (docs/haproxy-semantics.md §17).

use super::frontend::FrontendRt;
use super::limit::Limit;
use super::proxy_proto::{self, Addrs, Header};
use super::sockets::Inventory;
use super::stream::Stream;
use super::{l4::tcp, l7};
use crate::config::Bind;
use crate::events::Level;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpSocket, TcpStream};

/// lbtop's listen queue when a bind sets no `backlog`.
const BACKLOG: u32 = 1024;

/// A bind at run time.
pub struct BindRt {
    /// The address it listens on (port 0 resolved).
    pub addr: SocketAddr,
    pub accept_proxy: bool,
    /// How error log lines name it: its `name`, else its id.
    pub label: String,
    /// Its own `maxconn`, shared by every worker.
    pub(super) limit: Option<Arc<Limit>>,
    /// `ssl`: the handshake every connection starts with (set when the engine starts).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

impl BindRt {
    pub fn new(bind: &Bind, label: String) -> BindRt {
        BindRt {
            addr: bind.addr,
            accept_proxy: bind.accept_proxy,
            label,
            limit: bind.maxconn.map(Limit::new),
            tls: None,
        }
    }
}

/// The listeners of `bind`, at least one per worker, all sharing its port through
/// SO_REUSEPORT: those `inherited` from the previous engine first (every one of them is kept,
/// since closing one would reset the clients in its queue), then new ones. Port 0 becomes the
/// port the first listener got.
pub fn bind_group(
    bind: &Bind,
    workers: usize,
    inherited: &mut Inventory,
) -> std::io::Result<Vec<std::net::TcpListener>> {
    let mut group = inherited.take(bind.addr);
    for l in &group {
        l.set_nonblocking(true)?;
    }
    if group.is_empty() {
        group.push(listen(bind, bind.addr)?);
    }
    let addr = group[0].local_addr()?;
    while group.len() < workers {
        group.push(listen(bind, addr)?);
    }
    Ok(group)
}

fn listen(bind: &Bind, addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    let fd = socket.as_raw_fd();
    if let (Some(only), false) = (bind.v6only, addr.is_ipv4()) {
        set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, i32::from(only))?;
    }
    if bind.defer_accept {
        // As HAProxy: accepted once data came, or after a second.
        set_int(fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, 1)?;
    }
    let backlog = bind.backlog.unwrap_or(BACKLOG);
    if bind.tfo {
        let queue = i32::try_from(backlog).unwrap_or(i32::MAX);
        set_int(fd, libc::IPPROTO_TCP, libc::TCP_FASTOPEN, queue)?;
    }
    socket.bind(addr)?;
    let listener = socket.listen(backlog)?;
    // Handed over as a std listener: it is registered with the worker's own runtime later.
    listener.into_std()
}

fn set_int(fd: i32, level: i32, name: i32, value: i32) -> std::io::Result<()> {
    // SAFETY: a valid socket, and a pointer to an int with its size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What the frontend's `tcp-request connection` rules make of the connection (`None`:
/// refused; else whether they ask for a PROXY header). They run before a PROXY header is
/// read, on the socket's own addresses, as HAProxy runs them (measured).
pub(super) fn accepted(stream: &TcpStream, client: SocketAddr, fe: &FrontendRt) -> Option<bool> {
    let Some(routing) = &fe.routing else {
        return Some(false);
    };
    routing.accepts_connection(client, stream.local_addr().ok()?)
}

/// Serves a connection (TLS first on an `ssl` bind); an HTTP one comes back for the caller
/// to close.
pub(super) async fn serve(
    stream: TcpStream,
    addrs: Addrs,
    fe: &Arc<FrontendRt>,
    bind: usize,
) -> Option<Stream> {
    let stream = match &fe.binds[bind].tls {
        None => Stream::Plain(stream),
        // Boxed: the handshake's state is larger than a plain connection's whole task.
        Some(acceptor) => {
            Box::pin(super::tls_accept::accept(
                stream, acceptor, &addrs, fe, bind,
            ))
            .await?
        }
    };
    match fe.http {
        true => Some(l7::conn::serve(stream, addrs, fe.clone()).await),
        // Boxed: an HTTP connection's task should not be sized for a TCP session.
        false => {
            Box::pin(tcp::serve(stream, addrs, fe.clone())).await;
            None
        }
    }
}

/// The connection's addresses: those of the socket, or on an `accept-proxy` bind those of the
/// PROXY header. `None` when the header failed: the failure is logged as HAProxy logs it and
/// the connection closed (reset, but for a timeout).
pub(super) async fn handshake(
    stream: &TcpStream,
    client: SocketAddr,
    fe: &FrontendRt,
    bind: usize,
    expect_proxy: bool,
) -> Option<Addrs> {
    let b = &fe.binds[bind];
    let local = || stream.local_addr().unwrap_or(b.addr);
    if !(b.accept_proxy || expect_proxy) {
        // The local address is looked up only for servers that are told it.
        let dst = if fe.backend.sends_proxy() {
            local()
        } else {
            b.addr
        };
        return Some(Addrs { src: client, dst });
    }
    let accepted = SystemTime::now();
    match read_header(stream, fe.client_timeout()).await {
        Ok(Header::Proxied(addrs)) => Some(addrs),
        Ok(Header::Local) => Some(Addrs {
            src: client,
            dst: local(),
        }),
        Err(failure) => {
            if failure.logged(fe.dontlognull()) {
                let line = format!(
                    "{}:{} [{}] {}/{}: {}",
                    client.ip(),
                    client.port(),
                    super::log::log_date(accepted),
                    fe.name,
                    b.label,
                    failure.message()
                );
                fe.log_error(Level::Info, &line);
            }
            if failure != Failure::Timeout {
                let _ = stream.set_zero_linger();
            }
            None
        }
    }
}

/// Why no header was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Header(proxy_proto::Error),
    /// The client closed before sending anything.
    Empty,
    /// A socket error.
    Aborted,
    Timeout,
}

impl Failure {
    fn message(self) -> &'static str {
        match self {
            Failure::Header(e) => e.message(),
            Failure::Empty => "Connection closed while waiting for PROXY protocol header",
            Failure::Aborted => "Connection error while waiting for PROXY protocol header",
            Failure::Timeout => "Timeout while waiting for PROXY protocol header",
        }
    }

    /// `option dontlognull` hides the connections that sent nothing.
    fn logged(self, dontlognull: bool) -> bool {
        !(dontlognull && matches!(self, Failure::Empty | Failure::Aborted))
    }
}

/// Waits (up to `timeout client`) for the first bytes, reads the header from them without
/// taking anything else off the socket, then takes exactly the header.
async fn read_header(stream: &TcpStream, limit: Option<Duration>) -> Result<Header, Failure> {
    let deadline = limit.map(|l| Instant::now() + l);
    let mut buf = vec![0u8; proxy_proto::MAX_HEADER];
    let peeked = within(deadline, stream.peek(&mut buf)).await?;
    let n = match peeked {
        Ok(0) => return Err(Failure::Empty),
        Ok(n) => n,
        Err(_) => return Err(Failure::Aborted),
    };
    let (header, len) = proxy_proto::parse(&buf[..n]).map_err(Failure::Header)?;
    // The header's bytes are already in the socket: this takes them and nothing more.
    within(deadline, take(stream, &mut buf[..len])).await??;
    Ok(header)
}

async fn take(stream: &TcpStream, buf: &mut [u8]) -> Result<(), Failure> {
    let mut taken = 0;
    while taken < buf.len() {
        stream.readable().await.map_err(|_| Failure::Aborted)?;
        match stream.try_read(&mut buf[taken..]) {
            Ok(0) => return Err(Failure::Aborted),
            Ok(k) => taken += k,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return Err(Failure::Aborted),
        }
    }
    Ok(())
}

async fn within<T>(
    deadline: Option<Instant>,
    f: impl std::future::Future<Output = T>,
) -> Result<T, Failure> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d.into(), f)
            .await
            .map_err(|_| Failure::Timeout),
        None => Ok(f.await),
    }
}
