//! `[[backend.server]]`: one server of a backend.

use super::super::raw::{RawDuration, RawServer};
use super::{Res, Resolver};
use crate::config::host::resolve_opts;
use crate::config::values::{host_name_port, resolve_first, Family};
use crate::config::{Prefer, Server, ServerHost, Warning};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use toml::Spanned;

impl Resolver<'_> {
    /// A backend's servers, in file order, each name used once in the backend.
    pub(super) fn servers(&self, raw: &[Spanned<RawServer>], backend: &str) -> Res<Vec<Server>> {
        let mut servers = Vec::with_capacity(raw.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in raw {
            let server = self.server(s, backend)?;
            self.unique(&mut seen, &s.get_ref().name, &format!("{backend}: server"))?;
            servers.push(server);
        }
        Ok(servers)
    }

    fn server(&self, raw: &Spanned<RawServer>, backend: &str) -> Res<Server> {
        let s = raw.get_ref();
        self.name(&s.name, &format!("{backend}: server"))?;
        let who = format!("{backend}: server '{}'", s.name.get_ref());
        let (addr, host) = self.server_address(&s.address, &who, s.resolvers.is_some())?;
        let weight = self
            .opt_int(&s.weight, &format!("{who}: 'weight'"), 0, 256)?
            .unwrap_or(1);
        let inter = self
            .positive(&s.inter, &who, "inter")?
            .unwrap_or(Server::DEFAULT_INTER);
        let max = u32::MAX.into();
        let fall = self.opt_int(&s.fall, &format!("{who}: 'fall'"), 1, max)?;
        let rise = self.opt_int(&s.rise, &format!("{who}: 'rise'"), 1, max)?;
        // As in HAProxy, `maxconn 0` means no limit.
        let maxconn = self
            .opt_int(&s.maxconn, &format!("{who}: 'maxconn'"), 0, max)?
            .filter(|&n| n > 0);
        let fastinter = self.positive(&s.fastinter, &who, "fastinter")?;
        let downinter = self.positive(&s.downinter, &who, "downinter")?;
        // `slowstart 0` is HAProxy's way of saying "off".
        let slowstart = match &s.slowstart {
            None => None,
            Some(d) => Some(self.duration(d, &format!("{who}: 'slowstart'"))?),
        }
        .filter(|d| !d.is_zero());
        let mut server = Server {
            name: s.name.get_ref().clone(),
            addr,
            weight,
            check: s.check.unwrap_or(false),
            inter,
            fall: fall.unwrap_or(Server::DEFAULT_FALL),
            rise: rise.unwrap_or(Server::DEFAULT_RISE),
            backup: s.backup.unwrap_or(false),
            maxconn,
            disabled: s.disabled.unwrap_or(false),
            fastinter,
            downinter,
            slowstart,
            check_addr: match &s.addr {
                Some(a) => Some(a.get_ref().parse().map_err(|_| {
                    self.at(
                        a,
                        format!("{who}: 'addr': invalid IP address '{}'", a.get_ref()),
                    )
                })?),
                None => None,
            },
            check_port: self
                .opt_int(&s.port, &format!("{who}: 'port'"), 1, 65535)?
                .map(|p| p as u16),
            maxqueue: self
                .opt_int(&s.maxqueue, &format!("{who}: 'maxqueue'"), 0, max)?
                .filter(|&n| n > 0),
            shutdown_on_down: self.one_word(
                &s.on_marked_down,
                &who,
                "on-marked-down",
                "shutdown-sessions",
            )?,
            shutdown_backups_on_up: self.one_word(
                &s.on_marked_up,
                &who,
                "on-marked-up",
                "shutdown-backup-sessions",
            )?,
            send_proxy: None,
            check_send_proxy: false,
            host,
            init_addr: None,
            resolvers: s.resolvers.as_ref().map(|r| r.get_ref().clone()),
            resolve_prefer: None,
            allow_dup_ip: false,
            ignore_weight: false,
            tls: Default::default(),
            check_ssl: None,
            cookie: None,
            port_offset: None,
            check_sni: None,
            line: self.line(raw.span().start),
        };
        if let Some(p) = &s.resolve_prefer {
            let what = format!("{who}: 'resolve-prefer'");
            let prefer = Prefer::parse(p.get_ref(), &what).map_err(|m| self.at(p, m))?;
            server.resolve_prefer = Some(prefer);
        }
        if let Some(o) = &s.resolve_opts {
            let what = format!("{who}: 'resolve-opts'");
            resolve_opts(&mut server, o.get_ref(), &what).map_err(|m| self.at(o, m))?;
        }
        Ok(server)
    }

    /// A key whose one value is `word` (`on-marked-down = "shutdown-sessions"`): whether it
    /// is set.
    fn one_word(&self, v: &Option<Spanned<String>>, who: &str, key: &str, word: &str) -> Res<bool> {
        match v {
            None => Ok(false),
            Some(s) if s.get_ref() == word => Ok(true),
            Some(s) => Err(self.at(
                s,
                format!("{who}: '{key}' expects '{word}', got '{}'", s.get_ref()),
            )),
        }
    }

    /// A server timer that may be left out but not set to 0.
    fn positive(
        &self,
        v: &Option<Spanned<RawDuration>>,
        who: &str,
        key: &str,
    ) -> Res<Option<Duration>> {
        let Some(d) = v else { return Ok(None) };
        let key = format!("{who}: '{key}'");
        let v = self.duration(d, &key)?;
        if v.is_zero() {
            return Err(self.at(d, format!("{key} must be greater than 0")));
        }
        Ok(Some(v))
    }

    /// `address = "127.0.0.1:8080"`, or a host name (`"localhost:8080"`) resolved once now
    /// by the system resolver, as HAProxy's default `init-addr last,libc` does. With
    /// `resolvers` a name that does not resolve yet starts the server in MAINT, as in HAProxy.
    fn server_address(
        &self,
        raw: &Spanned<String>,
        who: &str,
        resolvers: bool,
    ) -> Res<(SocketAddr, Option<ServerHost>)> {
        let what = format!("{who}: 'address'");
        let written = raw.get_ref().trim();
        let Some((host, port)) =
            host_name_port(written).filter(|_| written.parse::<SocketAddr>().is_err())
        else {
            return Ok((self.addr(raw, &what, false)?, None));
        };
        match resolve_first(host, port, Family::Any) {
            Some(addr) => Ok((
                addr,
                Some(ServerHost {
                    name: host.to_string(),
                    resolved: true,
                }),
            )),
            None if resolvers => {
                self.warnings.borrow_mut().push(Warning {
                    line: self.line(raw.span().start),
                    message: format!("{who}: could not resolve address '{host}', disabling server"),
                });
                let host = ServerHost {
                    name: host.to_string(),
                    resolved: false,
                };
                Ok((
                    SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
                    Some(host),
                ))
            }
            None => Err(self.at(raw, format!("{what}: could not resolve address '{host}'"))),
        }
    }
}
