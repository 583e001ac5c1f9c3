//! Server addresses given as host names, resolved once at start as HAProxy 2.6 does without
//! a `resolvers` section; `init-addr`; and `server-template` (docs/haproxy-semantics.md
//! §15).

use super::super::values::{host_name_port, resolve_first, strip_family, Family};
use super::addr::{bind_addrs, server_addr};
use super::sections::Ctx;
use super::server::DefaultServer;
use super::{Parser, Res};
use crate::config::{HealthCheck, InitAddr, Server, ServerHost, TcpRule};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Where a `server` line says to connect.
pub(super) enum Target {
    /// An IP address, and the offset to the client's port when it has none of its own.
    Ip(SocketAddr, Option<i32>),
    Name {
        host: String,
        port: u16,
        family: Family,
        /// As for an IP address: no port, `+N` or `-N` follow the client's port.
        offset: Option<i32>,
    },
}

/// A server address: an IP address and port as [`server_addr`] reads them, or else a host
/// name and port (`localhost:8080`, `ipv4@db:5432`). The error is [`server_addr`]'s.
pub(super) fn server_target(s: &str) -> Result<Target, String> {
    let ip_err = match server_addr(s) {
        Ok((a, offset)) => return Ok(Target::Ip(a, offset)),
        Err(e) => e,
    };
    // `_http._tcp.name`: HAProxy asks for SRV records, which give the ports too.
    if s.starts_with('_') && (s.contains("._tcp.") || s.contains("._udp.")) {
        return Err(format!(
            "'{s}' names DNS SRV records, which lbtop does not support (A/AAAA names only)"
        ));
    }
    if let Some((host, offset, family)) = name_offset(s) {
        return Ok(Target::Name {
            host,
            port: 0,
            family,
            offset: Some(offset),
        });
    }
    if let Some((host, port, family)) = name_port(s) {
        return Ok(Target::Name {
            host,
            port,
            family,
            // Port 0 is no port, as for an IP address.
            offset: (port == 0).then_some(0),
        });
    }
    Err(ip_err)
}

/// A host name without a port (`db`), or with `+N`/`-N` (`db:+1`), and its offset.
fn name_offset(s: &str) -> Option<(String, i32, Family)> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    let (host, offset) = match rest.rsplit_once(':') {
        None => (rest, 0),
        Some((host, p)) if p.starts_with(['+', '-']) => {
            let n = i32::from(p[1..].parse::<u16>().ok()?);
            (host, if p.starts_with('-') { -n } else { n })
        }
        Some(_) => return None,
    };
    // The same characters as `name:port` takes.
    host_name_port(&format!("{host}:1"))?;
    Some((host.to_string(), offset, family))
}

/// The listening addresses of a `bind` word, as [`bind_addrs`] reads them (lists, port
/// ranges), each item that is a host name and port resolved now by the system resolver, as
/// HAProxy does (`bind localhost:8080` listens on 127.0.0.1).
pub(super) fn bind_targets(s: &str) -> Result<Vec<SocketAddr>, String> {
    let mut all = Vec::new();
    for one in s.split(',') {
        let ip_err = match bind_addrs(one) {
            Ok(a) => {
                all.extend(a);
                continue;
            }
            Err(e) => e,
        };
        let (host, port, family) = name_port(one).ok_or(ip_err)?;
        let addr = resolve_first(&host, port, family)
            .ok_or_else(|| format!("invalid address: '{host}' in '{s}' (it does not resolve)"))?;
        all.push(addr);
    }
    Ok(all)
}

/// `name:port` with an optional `ipv4@`-style prefix, when the name looks like a host name.
fn name_port(s: &str) -> Option<(String, u16, Family)> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    let (host, port) = host_name_port(rest)?;
    Some((host.to_string(), port, family))
}

/// `init-addr <method>[,<method>...]`: `last`, `libc`, `none` or an IP address.
pub(super) fn init_addr(v: &str, what: &str) -> Result<Vec<InitAddr>, String> {
    v.split(',')
        .map(|m| match m {
            "last" => Ok(InitAddr::Last),
            "libc" => Ok(InitAddr::Libc),
            "none" => Ok(InitAddr::None),
            _ => m.parse::<IpAddr>().map(InitAddr::Ip).map_err(|_| {
                format!(
                    "{what}: unknown init-addr method '{m}', supported methods are 'libc', \
                     'last', 'none' or an IP address"
                )
            }),
        })
        .collect()
}

/// What `init-addr` found for a host name: an address, or none (MAINT), with a warning
/// when the system resolver failed first.
struct Found {
    addr: Option<SocketAddr>,
    warning: Option<String>,
}

/// Tries the `init-addr` methods in order, as HAProxy does at start.
fn first_address(
    host: &str,
    port: u16,
    family: Family,
    methods: &[InitAddr],
) -> Result<Found, String> {
    let mut libc_failed = false;
    for m in methods {
        match m {
            // The server-state file's address is applied later, at start (§27.3).
            InitAddr::Last => {}
            InitAddr::Libc => match resolve_first(host, port, family) {
                Some(a) => {
                    return Ok(Found {
                        addr: Some(a),
                        warning: None,
                    })
                }
                None => libc_failed = true,
            },
            InitAddr::None => {
                return Ok(Found {
                    addr: None,
                    warning: libc_failed
                        .then(|| format!("could not resolve address '{host}', disabling server")),
                })
            }
            InitAddr::Ip(ip) => {
                return Ok(Found {
                    addr: Some(SocketAddr::new(*ip, port)),
                    warning: libc_failed.then(|| {
                        format!(
                            "could not resolve address '{host}', falling back to configured \
                             address"
                        )
                    }),
                })
            }
        }
    }
    Err(match libc_failed {
        true => format!("could not resolve address '{host}'"),
        false => format!("no method found to resolve address '{host}'"),
    })
}

const DEFAULT_INIT_ADDR: [InitAddr; 2] = [InitAddr::Last, InitAddr::Libc];

impl Parser<'_> {
    /// Gives `server` the address `target` names, resolving a host name with its
    /// `init-addr` methods; `who` names the server in messages.
    pub(super) fn place(
        &mut self,
        no: usize,
        server: &mut Server,
        target: &Target,
        who: &str,
    ) -> Res<()> {
        let (host, port, family) = match target {
            Target::Ip(a, offset) => {
                server.addr = *a;
                server.port_offset = *offset;
                return Ok(());
            }
            Target::Name {
                host,
                port,
                family,
                offset,
            } => {
                server.port_offset = *offset;
                (host, *port, *family)
            }
        };
        let methods = server.init_addr.as_deref().unwrap_or(&DEFAULT_INIT_ADDR);
        let found = match first_address(host, port, family, methods) {
            // With `resolvers` the name may appear later: HAProxy starts the server in MAINT.
            Err(_) if server.resolvers.is_some() => Found {
                addr: None,
                warning: Some(format!(
                    "could not resolve address '{host}', disabling server"
                )),
            },
            found => found.map_err(|m| self.err(no, format!("{who}: {m}")))?,
        };
        if let Some(w) = found.warning {
            self.warn(no, format!("{who}: {w}"));
        }
        server.addr = found
            .addr
            .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
        server.host = Some(ServerHost {
            name: host.clone(),
            resolved: found.addr.is_some(),
        });
        Ok(())
    }

    /// Refuses, as HAProxy does, a checked server of `p` whose address has no port when no
    /// check `port` and no `tcp-check connect port` says where its checks go.
    pub(super) fn check_ports(&mut self, p: &super::sections::Proxy, check: &HealthCheck) {
        let rules_say = match check {
            HealthCheck::Rules(rules) => {
                let mut actions = rules.iter().filter(|r| !matches!(r, TcpRule::Comment(_)));
                let first_connects = matches!(actions.next(), Some(TcpRule::Connect { .. }));
                let ports = rules.iter().all(|r| match r {
                    TcpRule::Connect { port } => port.is_some(),
                    _ => true,
                });
                first_connects && ports
            }
            _ => false,
        };
        for s in &p.servers {
            if s.check && s.port_offset.is_some() && s.check_port.is_none() && !rules_say {
                let e = self.err(
                    s.line,
                    format!(
                        "{} '{}': server '{}' has neither service port nor check port (its \
                         address takes the port the client reached): give it 'port <n>', or \
                         start its checks with 'tcp-check connect port <n>'",
                        p.kind.as_str(),
                        p.name,
                        s.name
                    ),
                );
                self.errors.push(e);
            }
        }
    }

    /// `server-template <prefix> <num | low-high> <address> [<parameter>]...`: the servers
    /// `<prefix><n>` for n in 1..=num (or low..=high), each a `server` line of its own.
    pub(super) fn server_template(
        &mut self,
        no: usize,
        args: &[String],
        ctx: &Ctx,
        template: &DefaultServer,
    ) -> Res<Vec<Server>> {
        let who = ctx.who.as_str();
        let [prefix, range, addr, params @ ..] = args else {
            return Err(self.err(
                no,
                format!(
                    "{who}: 'server-template' expects <prefix> <nb | range> <addr>[:<port>] \
                     as arguments"
                ),
            ));
        };
        let Some((low, high)) = template_range(range) else {
            return Err(self.err(
                no,
                format!("{who}: wrong server-template number or range arg '{range}'"),
            ));
        };
        let mut servers = Vec::new();
        for n in low..=high {
            let mut line = vec![format!("{prefix}{n}"), addr.clone()];
            line.extend(params.iter().cloned());
            servers.push(self.server(no, &line, ctx, template)?);
        }
        Ok(servers)
    }
}

/// `3` is 1..=3, `2-5` is 2..=5; as HAProxy reads them, with `strtol()`: the digits at the
/// start count and the rest is ignored (`1-2-3` is 1..=2), and 0 or a reversed range is
/// wrong.
fn template_range(s: &str) -> Option<(u32, u32)> {
    fn leading(s: &str) -> (u32, &str) {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        (s[..end].parse().unwrap_or(0), &s[end..])
    }
    let (low, rest) = leading(s);
    let (low, high) = match rest.strip_prefix('-') {
        Some(r) => (low, leading(r).0),
        None => (1, low),
    };
    // HAProxy refuses a template of no server; lbtop also one of more than 10000 (each
    // server's name is resolved at start, one lookup each).
    (low >= 1 && high >= low && high - low < 10_000).then_some((low, high))
}
