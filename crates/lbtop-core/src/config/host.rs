//! A server address written as a host name, and how `init-addr` finds its first address.

use std::fmt;

/// A server address given as a host name (docs/haproxy-semantics.md §15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHost {
    /// As written, environment variables expanded: `localhost`, `db.internal`.
    pub name: String,
    /// `false`: no `init-addr` method found an address and the list ended with `none`, so
    /// the server starts in MAINT (HAProxy's "MAINT (resolution)").
    pub resolved: bool,
}

/// One method of `init-addr`, tried in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitAddr {
    /// The address saved in a server-state file (lbtop has none, so it never finds one).
    Last,
    /// The system resolver (`getaddrinfo`): its first answer.
    Libc,
    /// No address: the server starts in MAINT.
    None,
    /// This address.
    Ip(std::net::IpAddr),
}

impl fmt::Display for InitAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitAddr::Last => f.write_str("last"),
            InitAddr::Libc => f.write_str("libc"),
            InitAddr::None => f.write_str("none"),
            InitAddr::Ip(ip) => write!(f, "{ip}"),
        }
    }
}
