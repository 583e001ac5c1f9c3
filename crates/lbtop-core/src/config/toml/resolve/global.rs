//! `[global]`: the process-wide settings.

use super::super::messages::did_you_mean;
use super::super::raw::{RawGlobal, RawStatsSocket};
use super::{Res, Resolver};
use crate::config::values::octal_mode;
use crate::config::{Global, ServerStateGlobal, StatsSocket};
use toml::Spanned;

impl Resolver<'_> {
    /// `[global]`; without one, no limits, no log targets and no stats socket.
    pub(super) fn global(&self, raw: Option<&RawGlobal>) -> Res<Global> {
        let Some(g) = raw else {
            return Ok(Global {
                maxconn: None,
                nbthread: None,
                log: Vec::new(),
                log_send_hostname: None,
                log_tag: None,
                stats_sockets: Vec::new(),
                stats_timeout: None,
                stats_maxconn: None,
                resolvers: Vec::new(),
                userlists: Vec::new(),
                spread_checks: 0,
                server_state: Default::default(),
                metrics: None,
                hard_stop_after: None,
            });
        };
        Ok(Global {
            maxconn: self.opt_int(&g.maxconn, "global: 'maxconn'", 1, u32::MAX.into())?,
            nbthread: self.opt_int(&g.nbthread, "global: 'nbthread'", 1, 64)?,
            log: self.logs(&g.log, "global")?,
            log_send_hostname: g.log_send_hostname.clone(),
            log_tag: self.log_tag(&g.log_tag, "global")?,
            stats_sockets: match &g.stats_socket {
                Some(s) => vec![self.stats_socket(s)?],
                None => Vec::new(),
            },
            stats_timeout: None,
            stats_maxconn: None,
            resolvers: Vec::new(),
            userlists: Vec::new(),
            spread_checks: 0,
            server_state: ServerStateGlobal {
                file: self.state_path(&g.server_state_file, "server-state-file")?,
                base: self.state_path(&g.server_state_base, "server-state-base")?,
            },
            metrics: match &g.metrics {
                Some(m) => Some(self.metrics_addr(m)?),
                None => None,
            },
            hard_stop_after: match &g.hard_stop_after {
                Some(d) => Some(self.duration(d, "global: 'hard-stop-after'")?),
                None => None,
            },
        })
    }

    /// `metrics = "127.0.0.1:9101"`: where the metrics listener binds.
    fn metrics_addr(&self, raw: &Spanned<String>) -> Res<std::net::SocketAddr> {
        raw.get_ref().parse().map_err(|_| {
            self.at(
                raw,
                format!(
                    "global: 'metrics' expects an address and a port such as \"127.0.0.1:9101\", got '{}'",
                    raw.get_ref()
                ),
            )
        })
    }

    fn state_path(&self, v: &Option<Spanned<String>>, key: &str) -> Res<Option<String>> {
        match v {
            Some(p) if p.get_ref().is_empty() => {
                Err(self.at(p, format!("global: '{key}' must not be empty")))
            }
            Some(p) => Ok(Some(p.get_ref().clone())),
            None => Ok(None),
        }
    }

    fn stats_socket(&self, raw: &Spanned<RawStatsSocket>) -> Res<StatsSocket> {
        let s = raw.get_ref();
        let path = s.path.get_ref();
        if path.trim().is_empty() {
            return Err(self.at(&s.path, "global: stats-socket 'path' must not be empty"));
        }
        let level = match &s.level {
            None => "operator".to_string(),
            Some(l) if StatsSocket::LEVELS.contains(&l.get_ref().as_str()) => l.get_ref().clone(),
            Some(l) => {
                return Err(self.at(
                    l,
                    format!(
                        "global: stats-socket 'level' must be \"user\", \"operator\" or \"admin\", got '{}'{}",
                        l.get_ref(),
                        did_you_mean(l.get_ref(), &StatsSocket::LEVELS)
                    ),
                ))
            }
        };
        let mode = match &s.mode {
            None => None,
            Some(m) => Some(
                octal_mode(m.get_ref())
                    .map_err(|e| self.at(m, format!("global: stats-socket 'mode' {e}")))?,
            ),
        };
        let expose_fd_listeners = match &s.expose_fd {
            None => false,
            Some(v) if v.get_ref() == "listeners" => true,
            Some(v) => {
                return Err(self.at(
                    v,
                    format!(
                        "global: stats-socket 'expose-fd' only supports \"listeners\", got '{}'",
                        v.get_ref()
                    ),
                ))
            }
        };
        Ok(StatsSocket {
            path: path.clone(),
            level,
            mode,
            expose_fd_listeners,
        })
    }
}
