//! A server address written as a host name, and how `init-addr` finds its first address.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

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
    /// The address saved in a server-state file: applied at start, after `libc` answered
    /// (docs/haproxy-semantics.md §27.3), so it never finds one here.
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

/// A `resolvers <name>` section: where and how often servers that name it re-resolve their
/// host names while running (docs/haproxy-semantics.md §19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolvers {
    pub name: String,
    /// `nameserver <id> <ip:port>`, asked over UDP in this order.
    pub nameservers: Vec<Nameserver>,
    /// `hold <status> <time>`.
    pub hold: Hold,
    /// `timeout resolve`: the time between two resolutions of a name (default 1s).
    pub resolve: Duration,
    /// `timeout retry`: how long to wait for an answer before asking again (default 1s).
    pub retry: Duration,
    /// `resolve_retries`: how many times to ask before the resolution times out (default 3).
    pub retries: u32,
    /// `accepted_payload_size`, kept for export (lbtop asks without EDNS0, as 512 bytes).
    pub accepted_payload_size: Option<u32>,
    pub line: usize,
}

impl Resolvers {
    pub fn new(name: String, line: usize) -> Resolvers {
        Resolvers {
            name,
            nameservers: Vec::new(),
            hold: Hold::default(),
            resolve: Duration::from_secs(1),
            retry: Duration::from_secs(1),
            retries: 3,
            accepted_payload_size: None,
            line,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nameserver {
    pub name: String,
    pub addr: SocketAddr,
}

/// How long the last good answer stands after each kind of failure; HAProxy 2.6's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// Between two resolutions that both answered.
    pub valid: Duration,
    pub nx: Duration,
    pub other: Duration,
    pub refused: Duration,
    pub timeout: Duration,
    pub obsolete: Duration,
}

impl Default for Hold {
    fn default() -> Hold {
        let s30 = Duration::from_secs(30);
        Hold {
            valid: Duration::from_secs(10),
            nx: s30,
            other: s30,
            refused: s30,
            timeout: s30,
            obsolete: Duration::ZERO,
        }
    }
}

/// `resolve-prefer`: the address family asked for first (HAProxy's default is ipv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    Ipv4,
    Ipv6,
}

impl Prefer {
    /// `ipv4` or `ipv6`; the message is HAProxy's.
    pub(crate) fn parse(v: &str, what: &str) -> Result<Prefer, String> {
        match v {
            "ipv4" => Ok(Prefer::Ipv4),
            "ipv6" => Ok(Prefer::Ipv6),
            _ => Err(format!("{what} expects either ipv4 or ipv6 as argument")),
        }
    }
}

/// `resolve-opts <opt>[,<opt>...]` into `s`; the message is HAProxy's.
pub(crate) fn resolve_opts(s: &mut super::Server, v: &str, what: &str) -> Result<(), String> {
    for opt in v.split(',') {
        match opt {
            "allow-dup-ip" => s.allow_dup_ip = true,
            "prevent-dup-ip" => s.allow_dup_ip = false,
            "ignore-weight" => s.ignore_weight = true,
            _ => {
                return Err(format!(
                    "{what} : unknown resolve-opts option '{opt}', supported methods are \
                     'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'"
                ))
            }
        }
    }
    Ok(())
}
