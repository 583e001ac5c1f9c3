//! A proxy's `option`, `timeout` and `httpchk` tables.

use super::super::raw::{
    BoolOr, Ordered, RawDuration, RawForwardFor, RawHttpChk, RawOptions, RawTimeouts,
};
use super::defaults::PartialOptions;
use super::{Res, Resolver};
use crate::config::values::{is_token, parse_net};
use crate::config::{ForwardFor, HealthCheck, HttpCheck, Timeouts};
use std::time::Duration;
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn options(&self, raw: Option<&RawOptions>, who: &str) -> Res<PartialOptions> {
        let Some(o) = raw else {
            return Ok(PartialOptions::default());
        };
        let forwardfor = match &o.forwardfor {
            None => None,
            Some(ff) => Some(match ff.get_ref() {
                BoolOr::Bool(false) => None,
                BoolOr::Bool(true) => Some(ForwardFor {
                    except: None,
                    header: "x-forwarded-for".into(),
                    if_none: false,
                }),
                BoolOr::Table(t) => Some(self.forwardfor(t, who)?),
            }),
        };
        Ok(PartialOptions {
            log_health_checks: o.log_health_checks,
            disable_on_404: o.disable_on_404,
            httplog: o.httplog,
            tcplog: o.tcplog,
            dontlognull: o.dontlognull,
            dontlog_normal: o.dontlog_normal,
            log_separate_errors: o.log_separate_errors,
            http_server_close: o.http_server_close,
            httpclose: o.httpclose,
            redispatch: o.redispatch,
            allbackups: o.allbackups,
            http_pretend_keepalive: o.http_pretend_keepalive,
            clitcpka: o.clitcpka,
            srvtcpka: o.srvtcpka,
            forwardfor,
        })
    }

    fn forwardfor(&self, t: &RawForwardFor, who: &str) -> Res<ForwardFor> {
        let except = match &t.except {
            None => None,
            Some(e) => Some(
                parse_net(e.get_ref())
                    .map_err(|m| self.at(e, format!("{who}: option 'forwardfor': 'except' {m}")))?,
            ),
        };
        let header = match &t.header {
            None => "x-forwarded-for".to_string(),
            Some(h) => {
                if !is_token(h.get_ref()) {
                    return Err(self.at(
                        h,
                        format!(
                            "{who}: option 'forwardfor': 'header' '{}' is not a valid header name",
                            h.get_ref()
                        ),
                    ));
                }
                h.get_ref().to_ascii_lowercase()
            }
        };
        Ok(ForwardFor {
            except,
            header,
            if_none: t.if_none.unwrap_or(false),
        })
    }

    pub(super) fn timeouts(&self, raw: Option<&RawTimeouts>, who: &str) -> Res<Timeouts> {
        let Some(t) = raw else {
            return Ok(Timeouts::default());
        };
        let one = |v: &Option<Spanned<RawDuration>>, key: &str| -> Res<Option<Duration>> {
            let Some(v) = v else { return Ok(None) };
            let what = format!("{who}: timeout '{key}'");
            let d = self.duration(v, &what)?;
            if d.is_zero() {
                return Err(self.at(
                    v,
                    format!("{what} must be greater than 0 (leave it out for no timeout)"),
                ));
            }
            Ok(Some(d))
        };
        Ok(Timeouts {
            connect: one(&t.connect, "connect")?,
            client: one(&t.client, "client")?,
            server: one(&t.server, "server")?,
            check: one(&t.check, "check")?,
            http_request: one(&t.http_request, "http-request")?,
            queue: one(&t.queue, "queue")?,
            http_keep_alive: one(&t.http_keep_alive, "http-keep-alive")?,
            tarpit: None,
            tunnel: one(&t.tunnel, "tunnel")?,
            client_fin: one(&t.client_fin, "client-fin")?,
            server_fin: one(&t.server_fin, "server-fin")?,
        })
    }

    pub(super) fn httpchk(&self, raw: &Spanned<BoolOr<RawHttpChk>>, who: &str) -> Res<HealthCheck> {
        let t = match raw.get_ref() {
            BoolOr::Bool(false) => return Ok(HealthCheck::Tcp),
            BoolOr::Bool(true) => return Ok(HealthCheck::Http(HttpCheck::default())),
            BoolOr::Table(t) => t,
        };
        let mut check = HttpCheck::default();
        self.httpchk_word(&t.method, who, "method", &mut check.method)?;
        self.httpchk_word(&t.path, who, "path", &mut check.path)?;
        self.httpchk_word(&t.version, who, "version", &mut check.version)?;
        if let Some(Ordered(headers)) = &t.headers {
            for (name, value) in headers {
                self.httpchk_header(name, value, who)?;
                check
                    .headers
                    .push((name.get_ref().clone(), value.get_ref().clone()));
            }
        }
        Ok(HealthCheck::Http(check))
    }

    /// `method`, `path` or `version` of `httpchk`: one word, written over `out` if given.
    fn httpchk_word(
        &self,
        v: &Option<Spanned<String>>,
        who: &str,
        key: &str,
        out: &mut String,
    ) -> Res<()> {
        if let Some(v) = v {
            let s = v.get_ref();
            if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(self.at(
                    v,
                    format!("{who}: httpchk '{key}' must be one word without spaces, got '{s}'"),
                ));
            }
            *out = s.clone();
        }
        Ok(())
    }

    /// One entry of `httpchk`'s `headers`: a header name, and a value on one line.
    fn httpchk_header(
        &self,
        name: &Spanned<String>,
        value: &Spanned<String>,
        who: &str,
    ) -> Res<()> {
        if !is_token(name.get_ref()) {
            return Err(self.at(
                name,
                format!(
                    "{who}: httpchk header name '{}' is not a valid header name",
                    name.get_ref()
                ),
            ));
        }
        if value
            .get_ref()
            .chars()
            .any(|c| c == '\r' || c == '\n' || c == '\0')
        {
            return Err(self.at(
                value,
                format!(
                    "{who}: httpchk header '{}' value may not contain line breaks",
                    name.get_ref()
                ),
            ));
        }
        Ok(())
    }
}
