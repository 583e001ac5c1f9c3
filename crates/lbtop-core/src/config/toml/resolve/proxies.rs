//! `[[frontend]]` and `[[backend]]`: each checked, its default_backend found, `[defaults]`
//! folded in.

use super::super::messages::did_you_mean;
use super::super::raw::{RawBackend, RawFrontend};
use super::defaults::{fold_timeouts, Defaults};
use super::{Res, Resolver};
use crate::config::values::balance_hdr;
use crate::config::{Backend, Balance, Frontend, HealthCheck, HttpReuse, Mode};
use std::collections::HashMap;
use toml::Spanned;

impl Resolver<'_> {
    /// Every `[[backend]]`, in file order, each name used once: those that check out, and
    /// the names of those that do not (their errors are kept).
    pub(super) fn backends(
        &self,
        raw: &[Spanned<RawBackend>],
        defaults: &Defaults,
    ) -> (Vec<Backend>, Vec<String>) {
        let mut backends = Vec::with_capacity(raw.len());
        let mut failed = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for b in raw {
            let backend = self.keep(self.backend(b, defaults));
            let unique = self.keep(self.unique(&mut seen, &b.get_ref().name, "backend"));
            match (backend, unique) {
                (Some(backend), Some(())) => backends.push(backend),
                _ => failed.push(b.get_ref().name.get_ref().clone()),
            }
        }
        (backends, failed)
    }

    /// Every `[[frontend]]`, in file order, each name used once; `None` when one does not
    /// check out (its error is kept). A frontend whose backend did not check out is passed
    /// over: its "unknown backend" would only echo that backend's error.
    pub(super) fn frontends(
        &self,
        raw: &[Spanned<RawFrontend>],
        defaults: &Defaults,
        backends: &[Backend],
        failed_backends: &[String],
    ) -> Option<Vec<Frontend>> {
        let mut frontends = Some(Vec::with_capacity(raw.len()));
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in raw {
            let unique = self.keep(self.unique(&mut seen, &f.get_ref().name, "frontend"));
            let frontend = if failed_backends.contains(f.get_ref().default_backend.get_ref()) {
                None
            } else {
                self.keep(self.frontend(f, defaults, backends))
            };
            match (frontend, unique, frontends.as_mut()) {
                (Some(frontend), Some(()), Some(list)) => list.push(frontend),
                _ => frontends = None,
            }
        }
        frontends.filter(|_| failed_backends.is_empty())
    }

    fn frontend(
        &self,
        raw: &Spanned<RawFrontend>,
        defaults: &Defaults,
        backends: &[Backend],
    ) -> Res<Frontend> {
        let f = raw.get_ref();
        self.name(&f.name, "frontend")?;
        let who = format!("frontend '{}'", f.name.get_ref());
        let binds = self.binds(&f.bind, &who)?;
        let mode = self
            .mode(&f.mode, &who)?
            .or(defaults.mode)
            .unwrap_or(Mode::Tcp);
        let index = self.default_backend(&f.default_backend, &who, mode, backends)?;

        let maxconn = self
            .opt_int(&f.maxconn, &format!("{who}: 'maxconn'"), 1, u32::MAX.into())?
            .or(defaults.maxconn);
        let mut options = self.options(f.option.as_ref(), &who)?.over(
            &defaults.options,
            defaults.retries,
            defaults.http_reuse,
        );
        if let Some(lf) = self.line_format(&f.log_format, &who, mode)? {
            options.log_format = Some(lf);
            options.httplog = false;
            options.tcplog = false;
        }
        let timeouts = fold_timeouts(
            &self.timeouts(f.timeout.as_ref(), &who)?,
            &defaults.timeouts,
        );
        let mut log = defaults.log.clone();
        log.extend(self.logs(&f.log, &who)?);

        Ok(Frontend {
            name: f.name.get_ref().clone(),
            binds,
            mode,
            default_backend: index,
            maxconn,
            timeouts,
            options,
            log_global: f.log_global.or(defaults.log_global).unwrap_or(false),
            log,
            stats: self.stats(f.stats.as_ref(), mode, &who)?,
            log_tag: self.log_tag(&f.log_tag, &who)?.or(defaults.log_tag.clone()),
            rules: Default::default(),
            captures: self.captures(&f.capture, &who)?,
            monitor: f.monitor_uri.as_ref().map(|u| crate::config::Monitor {
                uri: u.get_ref().clone(),
                line: self.line(u.span().start),
                fail: Vec::new(),
            }),
            line: self.line(raw.span().start),
        })
    }

    /// The index of the backend a frontend names, which must be in the frontend's mode.
    fn default_backend(
        &self,
        target: &Spanned<String>,
        who: &str,
        mode: Mode,
        backends: &[Backend],
    ) -> Res<usize> {
        let name = target.get_ref();
        let Some(index) = backends.iter().position(|b| &b.name == name) else {
            let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
            return Err(self.at(
                target,
                format!(
                    "{who}: 'default_backend' names unknown backend '{name}'{}",
                    did_you_mean(name, &names)
                ),
            ));
        };
        let backend = &backends[index];
        if backend.mode != mode {
            return Err(self.at(
                target,
                format!(
                    "{who} is in {mode} mode but its default_backend '{}' is in {} mode \
                     (a frontend and its backend must use the same mode)",
                    backend.name, backend.mode
                ),
            ));
        }
        Ok(index)
    }

    fn backend(&self, raw: &Spanned<RawBackend>, defaults: &Defaults) -> Res<Backend> {
        let b = raw.get_ref();
        self.name(&b.name, "backend")?;
        let who = format!("backend '{}'", b.name.get_ref());
        let mode = self
            .mode(&b.mode, &who)?
            .or(defaults.mode)
            .unwrap_or(Mode::Tcp);
        let (balance, hash_header) = match &b.balance {
            None => (Balance::RoundRobin, None),
            Some(s) => self.balance(s, &who)?,
        };
        let retries = self
            .opt_int(&b.retries, &format!("{who}: 'retries'"), 0, u32::MAX.into())?
            .unwrap_or(defaults.retries);
        let http_reuse = self
            .http_reuse(&b.http_reuse, &who)?
            .unwrap_or(defaults.http_reuse);
        let check = match &b.httpchk {
            Some(h) => self.httpchk(h, &who)?,
            None => defaults.httpchk.clone().unwrap_or(HealthCheck::Tcp),
        };
        let options =
            self.options(b.option.as_ref(), &who)?
                .over(&defaults.options, retries, http_reuse);
        let timeouts = fold_timeouts(
            &self.timeouts(b.timeout.as_ref(), &who)?,
            &defaults.timeouts,
        );
        let servers = self.servers(&b.server, &who)?;
        // As in HAProxy, a proxy's own `log` lines add to those of its defaults.
        let mut log = defaults.log.clone();
        log.extend(self.logs(&b.log, &who)?);

        Ok(Backend {
            name: b.name.get_ref().clone(),
            mode,
            balance,
            check,
            servers,
            timeouts,
            options,
            log_global: b.log_global.or(defaults.log_global).unwrap_or(false),
            log,
            log_tag: self.log_tag(&b.log_tag, &who)?.or(defaults.log_tag.clone()),
            hash_header,
            // No TOML key for it yet: haproxy.cfg only.
            hash_type: Default::default(),
            stats: None,
            implicit: false,
            // Rules are haproxy.cfg only.
            rules: Default::default(),
            cookie: None,
            stick_table: None,
            stick_rules: Vec::new(),
            server_state: self.server_state(b, &who)?,
            line: self.line(raw.span().start),
        })
    }

    fn server_state(&self, b: &RawBackend, who: &str) -> Res<crate::config::ServerStateFrom> {
        let load = match &b.load_server_state {
            None => crate::config::LoadState::None,
            Some(w) => crate::config::LoadState::parse(w.get_ref()).ok_or_else(|| {
                self.at(
                    w,
                    format!(
                        "{who}: 'load-server-state-from-file' expects \"global\", \"local\" or \"none\", got '{}'",
                        w.get_ref()
                    ),
                )
            })?,
        };
        let file_name = b
            .server_state_file_name
            .as_ref()
            .map(|n| n.get_ref().clone())
            .filter(|n| !n.is_empty() && n != "use-backend-name");
        Ok(crate::config::ServerStateFrom { load, file_name })
    }

    pub(super) fn http_reuse(
        &self,
        raw: &Option<Spanned<String>>,
        who: &str,
    ) -> Res<Option<HttpReuse>> {
        let Some(m) = raw else { return Ok(None) };
        match HttpReuse::from_name(m.get_ref()) {
            Some(r) => Ok(Some(r)),
            None => Err(self.at(
                m,
                format!(
                    "{who}: 'http-reuse' must be never, safe, aggressive or always, got '{}'{}",
                    m.get_ref(),
                    did_you_mean(m.get_ref(), &HttpReuse::NAMES)
                ),
            )),
        }
    }

    pub(super) fn mode(&self, raw: &Option<Spanned<String>>, who: &str) -> Res<Option<Mode>> {
        let Some(m) = raw else { return Ok(None) };
        match m.get_ref().as_str() {
            "http" => Ok(Some(Mode::Http)),
            "tcp" => Ok(Some(Mode::Tcp)),
            other => Err(self.at(
                m,
                format!(
                    "{who}: 'mode' must be \"http\" or \"tcp\", got '{other}'{}",
                    did_you_mean(other, &["http", "tcp"])
                ),
            )),
        }
    }

    /// An algorithm name, or `hdr(<name>)` (then with the header name).
    fn balance(&self, raw: &Spanned<String>, who: &str) -> Res<(Balance, Option<String>)> {
        const ALL: [Balance; 7] = [
            Balance::RoundRobin,
            Balance::StaticRr,
            Balance::LeastConn,
            Balance::First,
            Balance::Source,
            Balance::Uri,
            Balance::Random,
        ];
        let s = raw.get_ref();
        if let Some(b) = ALL.iter().find(|b| b.as_str() == s) {
            return Ok((*b, None));
        }
        if let Some(arg) = s.strip_prefix("hdr(") {
            return balance_hdr(arg).map_err(|m| self.at(raw, format!("{who}: 'balance' {m}")));
        }
        let mut names: Vec<&str> = ALL.iter().map(|b| b.as_str()).collect();
        names.push("hdr(<name>)");
        Err(self.at(
            raw,
            format!(
                "{who}: unknown 'balance' algorithm '{s}'{} (one of {})",
                did_you_mean(s, &names),
                names.join(", ")
            ),
        ))
    }
}
