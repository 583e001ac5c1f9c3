//! Every lbtop process's private hand-over endpoint: an abstract unix socket named from its
//! pid, `\0lbtop-upgrade-<pid>`, that gives the process's listening sockets (HAProxy's
//! `_getsocks` format, [`super::getsocks`]) to a peer of the same user, checked with
//! SO_PEERCRED. With it, `lbtop -sf <oldpid>` takes the old process's sockets without `-x`, so
//! the clients waiting in their accept queues are served by the new process instead of being
//! reset when the old one closes them (docs/haproxy-semantics.md §31).

use super::getsocks;
use super::sockets::Inventory;
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::Arc;

/// The abstract name of process `pid`'s endpoint (without the leading NUL).
pub fn name(pid: u32) -> String {
    format!("lbtop-upgrade-{pid}")
}

/// Binds this process's endpoint.
pub fn bind() -> io::Result<UnixListener> {
    let addr = SocketAddr::from_abstract_name(name(std::process::id()))?;
    let listener = UnixListener::bind_addr(&addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Where the sockets to give come from: the engine running now.
pub type Source = Arc<dyn Fn() -> io::Result<Inventory> + Send + Sync>;

/// Answers every peer until the runtime stops; one at a time, each bounded by
/// [`getsocks::TIMEOUT`] per read and write.
pub async fn serve(listener: UnixListener, sockets: Source) {
    let Ok(listener) = tokio::net::UnixListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        let sockets = sockets.clone();
        let _ = tokio::task::spawn_blocking(move || give(stream, &sockets)).await;
    }
}

/// Gives the sockets to a peer of this process's user that asked with `_getsocks`.
fn give(stream: UnixStream, sockets: &Source) -> io::Result<()> {
    let peer = getsockopt(&stream.as_fd(), PeerCredentials)?;
    if peer.uid() != euid() {
        return Ok(());
    }
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(getsocks::TIMEOUT))?;
    let mut asked = [0u8; getsocks::COMMAND.len()];
    (&stream).read_exact(&mut asked)?;
    if asked != getsocks::COMMAND {
        return Ok(());
    }
    let fds = sockets()?.into_fds();
    let borrowed: Vec<_> = fds.iter().map(|fd| fd.as_fd()).collect();
    getsocks::send(&stream, &borrowed)
}

/// The listening sockets of lbtop process `pid`, through its endpoint; `Ok(None)` when it has
/// none (it is gone, or it is not lbtop). The endpoint must belong to `pid` and this user.
pub fn fetch(pid: u32) -> io::Result<Option<Vec<OwnedFd>>> {
    let addr = SocketAddr::from_abstract_name(name(pid))?;
    let stream = match UnixStream::connect_addr(&addr) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(None),
        Err(e) => return Err(e),
    };
    let peer = getsockopt(&stream.as_fd(), PeerCredentials)?;
    if peer.pid() as u32 != pid || peer.uid() != euid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "'{}' belongs to process {} of user {}, not to process {pid} of this user",
                name(pid),
                peer.pid(),
                peer.uid()
            ),
        ));
    }
    getsocks::request(&stream).map(Some)
}

fn euid() -> libc::uid_t {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the endpoint's own process is in this test, so it serves itself: the sockets
    /// taken are the same sockets (same address), new descriptors.
    #[test]
    fn a_process_of_the_same_user_takes_the_sockets() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let listener = bind().unwrap();
        let copy = held.try_clone().unwrap();
        let source: Source = Arc::new(move || {
            let mut inv = Inventory::default();
            inv.add(addr, copy.try_clone()?.into());
            Ok(inv)
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.spawn(serve(listener, source));
        let asked = rt.spawn_blocking(|| fetch(std::process::id()));
        let got = rt.block_on(asked).unwrap().unwrap().unwrap();
        let inv = Inventory::from_fds(got);
        assert_eq!(inv.addrs(), [addr]);
    }

    #[test]
    fn no_endpoint_is_none() {
        // Pid 0 is never a process's own.
        assert!(fetch(0).unwrap().is_none());
    }
}
