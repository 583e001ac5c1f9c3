//! Server addresses that follow the client: no port (or `+N`/`-N`), or an unspecified IP
//! (`*:80`), as HAProxy 2.6 connects them (docs/haproxy-semantics.md §36).

use super::Server;
use std::net::SocketAddr;

impl Server {
    /// Where a connection goes for a client that reached `dst`, when the server is at `addr`,
    /// as HAProxy 2.6 does (docs/haproxy-semantics.md §36): an unspecified IP is `dst`'s, a
    /// mapped port (`port_offset`) is `dst`'s plus the offset, wrapping as HAProxy's 16 bits do.
    pub fn connect_addr(addr: SocketAddr, port_offset: Option<i32>, dst: SocketAddr) -> SocketAddr {
        let ip = match addr.ip().is_unspecified() {
            true => dst.ip(),
            false => addr.ip(),
        };
        let port = match port_offset {
            Some(n) => (i32::from(dst.port()).wrapping_add(n)) as u16,
            None => addr.port(),
        };
        SocketAddr::new(ip, port)
    }

    /// Whether its connections depend on where the client connected (see
    /// [`Server::connect_addr`]).
    pub fn follows_client(addr: SocketAddr, port_offset: Option<i32>) -> bool {
        port_offset.is_some() || addr.ip().is_unspecified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_follow_the_clients_address_and_port() {
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        let dst = a("127.0.0.5:20000");
        let to = |addr: &str, off| Server::connect_addr(a(addr), off, dst).to_string();
        assert_eq!(to("10.0.0.1:80", None), "10.0.0.1:80");
        assert_eq!(to("10.0.0.1:0", Some(0)), "10.0.0.1:20000");
        assert_eq!(to("10.0.0.1:0", Some(7)), "10.0.0.1:20007");
        assert_eq!(to("10.0.0.1:0", Some(-3)), "10.0.0.1:19997");
        assert_eq!(to("0.0.0.0:80", None), "127.0.0.5:80");
        assert_eq!(to("0.0.0.0:0", Some(0)), "127.0.0.5:20000");
        // 16 bits, as in HAProxy.
        let high = Server::connect_addr(a("10.0.0.1:0"), Some(100), a("1.2.3.4:65500"));
        assert_eq!(high.port(), 64);
        assert!(!Server::follows_client(a("10.0.0.1:80"), None));
        assert!(Server::follows_client(a("0.0.0.0:80"), None));
    }
}
