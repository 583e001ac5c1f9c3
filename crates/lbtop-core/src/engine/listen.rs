//! Listening: the sockets of each `bind` (one per worker, sharing the port through
//! SO_REUSEPORT), their accept loops under the frontend's and the process's `maxconn`, and the
//! PROXY protocol header an `accept-proxy` bind reads before anything else
//! (docs/haproxy-semantics.md §17).

use super::frontend::FrontendRt;
use super::live::{self, Live, Session};
use super::proxy_proto::{self, Addrs, Header};
use super::sockets::Inventory;
use super::stream::Stream;
use super::{l4::tcp, l7};
use crate::config::{Bind, Mode};
use crate::events::Level;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
    limit: Option<Arc<Semaphore>>,
    /// `ssl`: the handshake every connection starts with (set when the engine starts).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

impl BindRt {
    pub fn new(bind: &Bind, label: String) -> BindRt {
        BindRt {
            addr: bind.addr,
            accept_proxy: bind.accept_proxy,
            label,
            limit: bind.maxconn.map(|m| Arc::new(Semaphore::new(m as usize))),
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

/// Accepts connections on one bind while under the bind's, the frontend's and the process's
/// maxconn; excess clients wait in the kernel's backlog, as with HAProxy. Each worker has its
/// own listener (SO_REUSEPORT), so a loop never holds a slot while it waits for a client: a
/// slot held by an idle worker would leave a client queued at another unserved. The loop
/// waits until a slot is free, accepts, and takes one; if another worker took it meanwhile,
/// the client waits for the next one before anything starts, as it would in the backlog.
pub async fn accept_loop(
    listener: TcpListener,
    fe: Arc<FrontendRt>,
    (bind, global, live): (usize, Arc<Semaphore>, Arc<Live>),
) {
    // Connections are tasks of their own, counted by the engine's stop: ending this loop
    // (a soft stop) leaves them running.
    let stop = live.stop.clone();
    loop {
        let (stream, client) = tokio::select! {
            biased;
            () = stop.begun() => return,
            accepted = accept(&listener, &fe, bind, &global) => match accepted {
                Some(pair) => pair,
                None => return,
            },
        };
        if fe.clitcpka {
            super::frontend::keepalive(&stream);
        }
        let ready = try_permits(&fe, bind, &global);
        let tracked = stop.track();
        let on = (fe.clone(), bind, global.clone(), live.clone());
        tokio::spawn(async move {
            connection(stream, client, ready, on).await;
            drop(tracked);
        });
    }
}

/// Waits for a free slot, then for a client; `None` when the limits are gone.
async fn accept(
    listener: &TcpListener,
    fe: &FrontendRt,
    bind: usize,
    global: &Arc<Semaphore>,
) -> Option<(TcpStream, SocketAddr)> {
    loop {
        until_free(fe, bind, global).await?;
        match listener.accept().await {
            Ok(pair) => return Some(pair),
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// One accepted client connection, from its slots to its close.
async fn connection(
    stream: TcpStream,
    client: SocketAddr,
    ready: Option<Permits>,
    (fe, bind, global, live): (Arc<FrontendRt>, usize, Arc<Semaphore>, Arc<Live>),
) {
    let permits = match ready {
        Some(p) => p,
        None => match permits(&fe, bind, &global).await {
            Some(p) => p,
            None => return,
        },
    };
    let c = &fe.counters;
    let cur = c.cur_conns.fetch_add(1, Relaxed) + 1;
    c.max_conns.fetch_max(cur, Relaxed);
    c.total_conns.fetch_add(1, Relaxed);
    fe.process_conns.fetch_add(1, Relaxed);
    let mut open = None;
    match accepted(&stream, client, &fe) {
        None => {
            // Closed with a reset, counted in `dcon` and never logged (measured).
            fe.counters.denied_conn.fetch_add(1, Relaxed);
            let _ = stream.set_zero_linger();
        }
        Some(expect_proxy) => {
            if let Some(addrs) = handshake(&stream, client, &fe, bind, expect_proxy).await {
                let http = fe.mode == Mode::Http;
                let session = Session::new(addrs.src, addrs.dst, fe.index, bind, http);
                let entry = live.open(super::workers::current(), session);
                let session = entry.as_ref().map(|e| e.session.clone());
                open = live::scope(session, serve(stream, addrs, &fe, bind)).await;
            }
        }
    }
    fe.counters.cur_conns.fetch_sub(1, Relaxed);
    fe.process_conns.fetch_sub(1, Relaxed);
    // Closed once no longer counted, as HAProxy does: a client that reconnects on
    // seeing the close finds this connection gone from `%ac/%fc`.
    if let Some(mut stream) = open {
        let limit = fe.client_timeout().unwrap_or(l7::conn::CLOSE_LIMIT);
        stream.close(limit).await;
    }
    drop(permits);
}

type Permits = [Option<OwnedSemaphorePermit>; 3];

/// The semaphores a connection on `bind` takes a slot of: the bind's own (if any), the
/// frontend's and the process's.
fn limits<'a>(
    fe: &'a FrontendRt,
    bind: usize,
    global: &'a Arc<Semaphore>,
) -> [Option<&'a Arc<Semaphore>>; 3] {
    [fe.binds[bind].limit.as_ref(), Some(&fe.limit), Some(global)]
}

/// Waits until each limit has a free slot, without keeping it.
async fn until_free(fe: &FrontendRt, bind: usize, global: &Arc<Semaphore>) -> Option<()> {
    for limit in limits(fe, bind, global).into_iter().flatten() {
        drop(limit.acquire().await.ok()?);
    }
    Some(())
}

/// A slot under every limit now, or none at all.
fn try_permits(fe: &FrontendRt, bind: usize, global: &Arc<Semaphore>) -> Option<Permits> {
    let mut out: Permits = [None, None, None];
    for (slot, limit) in out.iter_mut().zip(limits(fe, bind, global)) {
        if let Some(limit) = limit {
            *slot = Some(limit.clone().try_acquire_owned().ok()?);
        }
    }
    Some(out)
}

/// A slot under every limit, waiting for each in turn.
async fn permits(fe: &FrontendRt, bind: usize, global: &Arc<Semaphore>) -> Option<Permits> {
    let mut out: Permits = [None, None, None];
    for (slot, limit) in out.iter_mut().zip(limits(fe, bind, global)) {
        if let Some(limit) = limit {
            *slot = Some(limit.clone().acquire_owned().await.ok()?);
        }
    }
    Some(out)
}

/// What the frontend's `tcp-request connection` rules make of the connection (`None`:
/// refused; else whether they ask for a PROXY header). They run before a PROXY header is
/// read, on the socket's own addresses, as HAProxy runs them (measured).
fn accepted(stream: &TcpStream, client: SocketAddr, fe: &FrontendRt) -> Option<bool> {
    let Some(routing) = &fe.routing else {
        return Some(false);
    };
    routing.accepts_connection(client, stream.local_addr().ok()?)
}

/// Serves a connection (TLS first on an `ssl` bind); an HTTP one comes back for the caller
/// to close.
async fn serve(
    stream: TcpStream,
    addrs: Addrs,
    fe: &Arc<FrontendRt>,
    bind: usize,
) -> Option<Stream> {
    let stream = match &fe.binds[bind].tls {
        None => Stream::Plain(stream),
        Some(acceptor) => super::tls_accept::accept(stream, acceptor, &addrs, fe, bind).await?,
    };
    match fe.mode {
        Mode::Http => Some(l7::conn::serve(stream, addrs, fe.clone()).await),
        // Boxed: an HTTP connection's task should not be sized for a TCP session.
        Mode::Tcp => {
            Box::pin(tcp::serve(stream, addrs, fe.clone())).await;
            None
        }
    }
}

/// The connection's addresses: those of the socket, or on an `accept-proxy` bind those of the
/// PROXY header. `None` when the header failed: the failure is logged as HAProxy logs it and
/// the connection closed (reset, but for a timeout).
async fn handshake(
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
