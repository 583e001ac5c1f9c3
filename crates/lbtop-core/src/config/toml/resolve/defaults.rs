//! `[defaults]`: what every proxy inherits, and how a proxy's own tables fold over it.

use super::super::raw::RawDefaults;
use super::{Res, Resolver};
use crate::config::{ForwardFor, HealthCheck, HttpReuse, LogTarget, Mode, Options, Timeouts};

/// Options as written in one table: `None` inherits.
#[derive(Default, Clone)]
pub(super) struct PartialOptions {
    pub(super) log_health_checks: Option<bool>,
    pub(super) disable_on_404: Option<bool>,
    pub(super) httplog: Option<bool>,
    pub(super) tcplog: Option<bool>,
    pub(super) dontlognull: Option<bool>,
    pub(super) dontlog_normal: Option<bool>,
    pub(super) log_separate_errors: Option<bool>,
    pub(super) http_server_close: Option<bool>,
    pub(super) httpclose: Option<bool>,
    pub(super) redispatch: Option<bool>,
    pub(super) allbackups: Option<bool>,
    pub(super) http_pretend_keepalive: Option<bool>,
    pub(super) clitcpka: Option<bool>,
    pub(super) srvtcpka: Option<bool>,
    pub(super) forwardfor: Option<Option<ForwardFor>>,
}

impl PartialOptions {
    pub(super) fn over(
        &self,
        base: &PartialOptions,
        retries: u32,
        http_reuse: HttpReuse,
    ) -> Options {
        let flag = |own: Option<bool>, def: Option<bool>| own.or(def).unwrap_or(false);
        Options {
            log_health_checks: flag(self.log_health_checks, base.log_health_checks),
            httplog: flag(self.httplog, base.httplog),
            // The TOML form has only `httplog`; `log_format` writes anything else.
            httpslog: false,
            tcplog: flag(self.tcplog, base.tcplog),
            dontlognull: flag(self.dontlognull, base.dontlognull),
            dontlog_normal: flag(self.dontlog_normal, base.dontlog_normal),
            log_separate_errors: flag(self.log_separate_errors, base.log_separate_errors),
            http_server_close: flag(self.http_server_close, base.http_server_close),
            httpclose: flag(self.httpclose, base.httpclose),
            compression: None,
            redispatch: flag(self.redispatch, base.redispatch),
            // The TOML form has no key for it yet.
            abortonclose: false,
            disable_on_404: flag(self.disable_on_404, base.disable_on_404),
            prefer_last_server: false,
            persist: false,
            allbackups: flag(self.allbackups, base.allbackups),
            forwardfor: self
                .forwardfor
                .clone()
                .or_else(|| base.forwardfor.clone())
                .flatten(),
            retries,
            http_reuse,
            errorfiles: Vec::new(),
            http_pretend_keepalive: flag(self.http_pretend_keepalive, base.http_pretend_keepalive),
            clitcpka: flag(self.clitcpka, base.clitcpka),
            srvtcpka: flag(self.srvtcpka, base.srvtcpka),
            log_format: None,
            unique_id_format: None,
            unique_id_header: None,
        }
    }
}

pub(super) fn fold_timeouts(own: &Timeouts, base: &Timeouts) -> Timeouts {
    Timeouts {
        connect: own.connect.or(base.connect),
        client: own.client.or(base.client),
        server: own.server.or(base.server),
        check: own.check.or(base.check),
        http_request: own.http_request.or(base.http_request),
        queue: own.queue.or(base.queue),
        http_keep_alive: own.http_keep_alive.or(base.http_keep_alive),
        tarpit: own.tarpit.or(base.tarpit),
        tunnel: own.tunnel.or(base.tunnel),
        client_fin: own.client_fin.or(base.client_fin),
        server_fin: own.server_fin.or(base.server_fin),
    }
}

/// What `[defaults]` contributes once checked.
pub(super) struct Defaults {
    pub(super) mode: Option<Mode>,
    pub(super) retries: u32,
    pub(super) http_reuse: HttpReuse,
    pub(super) maxconn: Option<u32>,
    pub(super) httpchk: Option<HealthCheck>,
    pub(super) options: PartialOptions,
    pub(super) timeouts: Timeouts,
    pub(super) log_global: Option<bool>,
    /// Targets every proxy starts with; its own `log` tables are added after them.
    pub(super) log: Vec<LogTarget>,
    pub(super) log_tag: Option<String>,
}

impl Resolver<'_> {
    pub(super) fn defaults(&self, raw: Option<RawDefaults>) -> Res<Defaults> {
        let Some(raw) = raw else {
            return Ok(Defaults {
                mode: None,
                retries: 3,
                http_reuse: HttpReuse::Safe,
                maxconn: None,
                httpchk: None,
                options: PartialOptions::default(),
                timeouts: Timeouts::default(),
                log_global: None,
                log: Vec::new(),
                log_tag: None,
            });
        };
        let who = "defaults";
        Ok(Defaults {
            mode: self.mode(&raw.mode, who)?,
            retries: self
                .opt_int(&raw.retries, "defaults: 'retries'", 0, u32::MAX.into())?
                .unwrap_or(3),
            http_reuse: self.http_reuse(&raw.http_reuse, who)?.unwrap_or_default(),
            maxconn: self.opt_int(&raw.maxconn, "defaults: 'maxconn'", 1, u32::MAX.into())?,
            httpchk: match &raw.httpchk {
                Some(h) => Some(self.httpchk(h, who)?),
                None => None,
            },
            options: self.options(raw.option.as_ref(), who)?,
            timeouts: self.timeouts(raw.timeout.as_ref(), who)?,
            log_global: raw.log_global,
            log: self.logs(&raw.log, who)?,
            log_tag: self.log_tag(&raw.log_tag, who)?,
        })
    }
}
