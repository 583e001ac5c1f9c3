//! Listening sockets handed from one engine to the next: from the running configuration to a
//! reloaded one in the same process, or from an old process to its upgrade over a unix socket
//! (SCM_RIGHTS). A socket that is handed on is never closed, so a client waiting in its accept
//! queue is served by the next engine instead of being reset.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// Listening TCP sockets by the address they are bound to. One `bind` has one socket per
/// worker (SO_REUSEPORT), so one address may hold several.
#[derive(Debug, Default)]
pub struct Inventory {
    by_addr: HashMap<SocketAddr, Vec<OwnedFd>>,
}

impl Inventory {
    /// Sorts received descriptors by their bound address; a descriptor that is not a
    /// listening TCP socket is closed and skipped.
    pub fn from_fds(fds: impl IntoIterator<Item = OwnedFd>) -> Inventory {
        let mut inv = Inventory::default();
        for fd in fds {
            if let Some(addr) = listening_addr(&fd) {
                inv.add(addr, fd);
            }
        }
        inv
    }

    pub fn add(&mut self, addr: SocketAddr, fd: OwnedFd) {
        self.by_addr.entry(addr).or_default().push(fd);
    }

    /// Every socket bound to `addr`, taken out of the inventory. A port-0 address never
    /// matches: such a bind asks for a new port.
    pub fn take(&mut self, addr: SocketAddr) -> Vec<std::net::TcpListener> {
        if addr.port() == 0 {
            return Vec::new();
        }
        let fds = self.by_addr.remove(&addr).unwrap_or_default();
        fds.into_iter().map(std::net::TcpListener::from).collect()
    }

    /// How many sockets are left.
    pub fn len(&self) -> usize {
        self.by_addr.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The addresses left, sorted.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        let mut out: Vec<_> = self.by_addr.keys().copied().collect();
        out.sort();
        out
    }

    /// The sockets left, for sending them on.
    pub fn into_fds(self) -> Vec<OwnedFd> {
        self.by_addr.into_values().flatten().collect()
    }
}

/// The address a listening TCP socket is bound to; `None` for anything else.
pub fn listening_addr(fd: &impl AsFd) -> Option<SocketAddr> {
    let sock = socket2::SockRef::from(fd);
    if sock.r#type().ok()? != socket2::Type::STREAM {
        return None;
    }
    // SO_ACCEPTCONN: a bound but not listening socket has nothing to hand on.
    if !accepting(fd.as_fd().as_raw_fd()) {
        return None;
    }
    sock.local_addr().ok()?.as_socket()
}

fn accepting(fd: std::os::fd::RawFd) -> bool {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: a valid descriptor, and a pointer to an int with its size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    r == 0 && value != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_sorted_by_address_and_taken_once() {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = a.local_addr().unwrap();
        let not_listening = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let inv = Inventory::from_fds([
            OwnedFd::from(a),
            OwnedFd::from(b),
            OwnedFd::from(not_listening),
        ]);
        let mut inv = inv;
        assert_eq!(inv.len(), 2);
        assert_eq!(inv.take(addr).len(), 1);
        assert!(inv.take(addr).is_empty());
        assert_eq!(inv.len(), 1);
    }
}
