//! Listening addresses (`bind`) and the PROXY protocol settings of servers.

use std::net::SocketAddr;

/// One listening socket of a frontend. A `bind` line with a list (`a:1,b:2`) or a port range
/// (`:8000-8010`) becomes one per address and port, each with the line's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub addr: SocketAddr,
    /// `v6only` is `Some(true)`, `v4v6` `Some(false)`; `None` keeps the system's default
    /// (`net.ipv6.bindv6only`, 0 on Linux: `:::80` takes IPv4 clients too).
    pub v6only: Option<bool>,
    /// `accept-proxy`: the client speaks the PROXY protocol first.
    pub accept_proxy: bool,
    /// `name`: how error log lines name it (`fe/name`); without it, its id.
    pub name: Option<String>,
    /// `id`, when given; see [`Bind::ids`] for the others.
    pub id: Option<u32>,
    /// `backlog`: the listen queue; lbtop's default is 1024.
    pub backlog: Option<u32>,
    /// `maxconn`: connections at once on this socket, within the frontend's own limit.
    pub maxconn: Option<u32>,
    /// `defer-accept`: the kernel accepts a connection once data arrives (TCP_DEFER_ACCEPT).
    pub defer_accept: bool,
    /// `tfo`: TCP Fast Open on the listener.
    pub tfo: bool,
    /// `ssl`: the bind terminates TLS with these settings.
    pub tls: Option<Box<super::BindTls>>,
    pub line: usize,
}

impl Bind {
    pub fn new(addr: SocketAddr) -> Bind {
        Bind {
            addr,
            v6only: None,
            accept_proxy: false,
            name: None,
            id: None,
            backlog: None,
            maxconn: None,
            defer_accept: false,
            tfo: false,
            tls: None,
            line: 0,
        }
    }

    /// The ids of a frontend's binds, as HAProxy 2.6 numbers its listeners
    /// (docs/haproxy-semantics.md §17.1): one with an `id` keeps it; the n-th otherwise gets
    /// n, or the next number above it that no `id` and no earlier bind took.
    pub fn ids(binds: &[Bind]) -> Vec<u32> {
        let mut taken: Vec<u32> = binds.iter().filter_map(|b| b.id).collect();
        let mut ids = Vec::with_capacity(binds.len());
        for (n, b) in binds.iter().enumerate() {
            let id = b.id.unwrap_or_else(|| {
                let mut id = n as u32 + 1;
                while taken.contains(&id) {
                    id += 1;
                }
                taken.push(id);
                id
            });
            ids.push(id);
        }
        ids
    }

    /// How error log lines name each bind: its `name`, else its id.
    pub fn labels(binds: &[Bind]) -> Vec<String> {
        binds
            .iter()
            .zip(Bind::ids(binds))
            .map(|(b, id)| b.name.clone().unwrap_or_else(|| id.to_string()))
            .collect()
    }
}

/// `send-proxy` (v1, text) or `send-proxy-v2` (binary) on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyVersion {
    V1,
    V2,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binds(ids: &[Option<u32>]) -> Vec<Bind> {
        ids.iter()
            .map(|&id| Bind {
                id,
                ..Bind::new(([127, 0, 0, 1], 80).into())
            })
            .collect()
    }

    #[test]
    fn ids_as_haproxy_numbers_listeners() {
        // Both measured with HAProxy 2.6.12's error log lines (`fe/<id>: ...`).
        assert_eq!(
            Bind::ids(&binds(&[None, Some(5), None, None])),
            [1, 5, 3, 4]
        );
        assert_eq!(
            Bind::ids(&binds(&[Some(2), None, None, None])),
            [2, 3, 4, 5]
        );
    }
}
