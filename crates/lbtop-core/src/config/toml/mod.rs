//! The TOML front end: `config.toml` → [`Config`].
//!
//! Two passes. First serde reads the text into `Raw*` structs that mirror the file (every
//! table `deny_unknown_fields`, every value that needs checking wrapped in [`Spanned`] so
//! it keeps its byte offsets). Then [`Resolver`] checks ranges, resolves names to indices
//! and folds `[defaults]` into every proxy. Any problem is a [`ConfigError`] naming the
//! file, the 1-based line and the keyword; nothing is half-loaded.
//!
//! The `line` of a frontend, backend or server is the line of its `[[frontend]]`,
//! `[[backend]]` or `[[backend.server]]` header (for an inline table, the line of its `{`).

use super::values::{balance_hdr, in_range, is_token, log_addr, octal_mode, parse_net};
use super::{
    parse_duration, Backend, Balance, Config, ConfigError, Demo, DemoServer, DemoTraffic,
    ForwardFor, Frontend, Global, HealthCheck, HttpCheck, HttpReuse, LogFormat, LogTarget, Mode,
    Options, Server, StatsSocket, Timeouts, UiConfig,
};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

mod messages;
mod raw;

use messages::did_you_mean;
use raw::{
    BoolOr, Ordered, RawBackend, RawConfig, RawDefaults, RawDemo, RawDuration, RawForwardFor,
    RawFrontend, RawHttpChk, RawLog, RawOptions, RawServer, RawStatsSocket, RawTimeouts, RawUi,
};

pub(super) fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let r = Resolver { path, text };
    let raw: RawConfig = ::toml::from_str(text).map_err(|e| r.toml_error(&e))?;
    r.resolve(raw)
}

// ---------------------------------------------------------------------------------------
// Checking and folding.

struct Resolver<'a> {
    path: &'a Path,
    text: &'a str,
}

type Res<T> = Result<T, ConfigError>;

/// Options as written in one table: `None` inherits.
#[derive(Default, Clone)]
struct PartialOptions {
    log_health_checks: Option<bool>,
    httplog: Option<bool>,
    tcplog: Option<bool>,
    dontlognull: Option<bool>,
    http_server_close: Option<bool>,
    redispatch: Option<bool>,
    allbackups: Option<bool>,
    forwardfor: Option<Option<ForwardFor>>,
}

impl PartialOptions {
    fn over(&self, base: &PartialOptions, retries: u32, http_reuse: HttpReuse) -> Options {
        let flag = |own: Option<bool>, def: Option<bool>| own.or(def).unwrap_or(false);
        Options {
            log_health_checks: flag(self.log_health_checks, base.log_health_checks),
            httplog: flag(self.httplog, base.httplog),
            tcplog: flag(self.tcplog, base.tcplog),
            dontlognull: flag(self.dontlognull, base.dontlognull),
            http_server_close: flag(self.http_server_close, base.http_server_close),
            redispatch: flag(self.redispatch, base.redispatch),
            allbackups: flag(self.allbackups, base.allbackups),
            forwardfor: self
                .forwardfor
                .clone()
                .or_else(|| base.forwardfor.clone())
                .flatten(),
            retries,
            http_reuse,
        }
    }
}

fn fold_timeouts(own: &Timeouts, base: &Timeouts) -> Timeouts {
    Timeouts {
        connect: own.connect.or(base.connect),
        client: own.client.or(base.client),
        server: own.server.or(base.server),
        check: own.check.or(base.check),
        http_request: own.http_request.or(base.http_request),
        queue: own.queue.or(base.queue),
        http_keep_alive: own.http_keep_alive.or(base.http_keep_alive),
    }
}

/// What `[defaults]` contributes once checked.
struct Defaults {
    mode: Option<Mode>,
    retries: u32,
    http_reuse: HttpReuse,
    maxconn: Option<u32>,
    httpchk: Option<HealthCheck>,
    options: PartialOptions,
    timeouts: Timeouts,
    log_global: Option<bool>,
    /// Targets every proxy starts with; its own `log` tables are added after them.
    log: Vec<LogTarget>,
}

impl Resolver<'_> {
    fn resolve(&self, raw: RawConfig) -> Res<Config> {
        let global = Global {
            maxconn: match &raw.global {
                Some(g) => self.opt_int(&g.maxconn, "global: 'maxconn'", 1, u32::MAX.into())?,
                None => None,
            },
            nbthread: match &raw.global {
                Some(g) => self.opt_int(&g.nbthread, "global: 'nbthread'", 1, 64)?,
                None => None,
            },
            log: match &raw.global {
                Some(g) => self.logs(&g.log, "global")?,
                None => Vec::new(),
            },
            stats_socket: match raw.global.as_ref().and_then(|g| g.stats_socket.as_ref()) {
                Some(s) => Some(self.stats_socket(s)?),
                None => None,
            },
        };
        let defaults = self.defaults(raw.defaults)?;

        let mut backends = Vec::with_capacity(raw.backend.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for b in &raw.backend {
            let backend = self.backend(b, &defaults)?;
            self.unique(&mut seen, &b.get_ref().name, "backend")?;
            backends.push(backend);
        }

        let mut frontends = Vec::with_capacity(raw.frontend.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in &raw.frontend {
            let frontend = self.frontend(f, &defaults, &backends)?;
            self.unique(&mut seen, &f.get_ref().name, "frontend")?;
            frontends.push(frontend);
        }

        let demo = match raw.demo {
            Some(d) => Some(self.demo(d, &frontends)?),
            None => None,
        };

        let ui = self.ui(raw.ui)?;

        Ok(Config {
            source: self.path.to_path_buf(),
            global,
            frontends,
            backends,
            demo,
            ui,
            warnings: Vec::new(),
        })
    }

    /// `[ui]`: refresh, theme and key bindings.
    fn ui(&self, raw: Option<RawUi>) -> Res<UiConfig> {
        let mut ui = UiConfig::default();
        let Some(raw) = raw else { return Ok(ui) };
        if let Some(refresh) = &raw.refresh {
            let d = self.duration(refresh, "ui: 'refresh'")?;
            if d < Duration::from_millis(10) || d > Duration::from_secs(10) {
                return Err(self.at(
                    refresh,
                    format!(
                        "ui: 'refresh' must be between 10ms and 10s, got {}",
                        super::describe::fmt_duration(d)
                    ),
                ));
            }
            ui.refresh = d;
        }
        if let Some(theme) = &raw.theme {
            ui.theme = match theme.get_ref().as_str() {
                "default" => super::UiTheme::Default,
                "mono" => super::UiTheme::Mono,
                other => {
                    return Err(self.at(
                        theme,
                        format!("ui: 'theme' must be \"default\" or \"mono\", got \"{other}\""),
                    ))
                }
            };
        }
        if let Some(Ordered(entries)) = &raw.keys {
            let checked =
                crate::keys::Keymap::with_overrides(entries.iter().map(|(name, keys)| {
                    (
                        name.get_ref().as_str(),
                        keys.get_ref().0.iter().map(String::as_str),
                    )
                }));
            ui.keys = checked.map_err(|e| {
                // Unknown actions point at the name, bad keys at the value.
                let span = match entries.get(e.entry).or(entries.last()) {
                    Some((name, _)) if e.message.starts_with("unknown action") => name.span(),
                    Some((_, keys)) => keys.span(),
                    None => 0..0,
                };
                self.err(span, e.message)
            })?;
        }
        Ok(ui)
    }

    fn defaults(&self, raw: Option<RawDefaults>) -> Res<Defaults> {
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
        })
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
        let bind = self.addr(&f.bind, &format!("{who}: 'bind'"), true)?;
        let mode = self
            .mode(&f.mode, &who)?
            .or(defaults.mode)
            .unwrap_or(Mode::Tcp);

        let target = f.default_backend.get_ref();
        let Some(index) = backends.iter().position(|b| &b.name == target) else {
            let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
            return Err(self.at(
                &f.default_backend,
                format!(
                    "{who}: 'default_backend' names unknown backend '{target}'{}",
                    did_you_mean(target, &names)
                ),
            ));
        };
        let backend = &backends[index];
        if backend.mode != mode {
            return Err(self.at(
                &f.default_backend,
                format!(
                    "{who} is in {mode} mode but its default_backend '{}' is in {} mode \
                     (a frontend and its backend must use the same mode)",
                    backend.name, backend.mode
                ),
            ));
        }

        let maxconn = self
            .opt_int(&f.maxconn, &format!("{who}: 'maxconn'"), 1, u32::MAX.into())?
            .or(defaults.maxconn);
        let options = self.options(f.option.as_ref(), &who)?.over(
            &defaults.options,
            defaults.retries,
            defaults.http_reuse,
        );
        let timeouts = fold_timeouts(
            &self.timeouts(f.timeout.as_ref(), &who)?,
            &defaults.timeouts,
        );
        let mut log = defaults.log.clone();
        log.extend(self.logs(&f.log, &who)?);

        Ok(Frontend {
            name: f.name.get_ref().clone(),
            bind,
            mode,
            default_backend: index,
            maxconn,
            timeouts,
            options,
            log_global: f.log_global.or(defaults.log_global).unwrap_or(false),
            log,
            line: self.line(raw.span().start),
        })
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

        let mut servers = Vec::with_capacity(b.server.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in &b.server {
            let server = self.server(s, &who)?;
            self.unique(&mut seen, &s.get_ref().name, &format!("{who}: server"))?;
            servers.push(server);
        }
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
            hash_header,
            line: self.line(raw.span().start),
        })
    }

    fn server(&self, raw: &Spanned<RawServer>, backend: &str) -> Res<Server> {
        let s = raw.get_ref();
        self.name(&s.name, &format!("{backend}: server"))?;
        let who = format!("{backend}: server '{}'", s.name.get_ref());
        let addr = self.addr(&s.address, &format!("{who}: 'address'"), false)?;
        let weight = self
            .opt_int(&s.weight, &format!("{who}: 'weight'"), 0, 256)?
            .unwrap_or(1);
        let inter = match &s.inter {
            None => Server::DEFAULT_INTER,
            Some(d) => {
                let key = format!("{who}: 'inter'");
                let v = self.duration(d, &key)?;
                if v.is_zero() {
                    return Err(self.at(d, format!("{key} must be greater than 0")));
                }
                v
            }
        };
        let max = u32::MAX.into();
        let fall = self.opt_int(&s.fall, &format!("{who}: 'fall'"), 1, max)?;
        let rise = self.opt_int(&s.rise, &format!("{who}: 'rise'"), 1, max)?;
        // As in HAProxy, `maxconn 0` means no limit.
        let maxconn = self
            .opt_int(&s.maxconn, &format!("{who}: 'maxconn'"), 0, max)?
            .filter(|&n| n > 0);
        let positive = |v: &Option<Spanned<RawDuration>>, key: &str| -> Res<Option<Duration>> {
            let Some(d) = v else { return Ok(None) };
            let key = format!("{who}: '{key}'");
            let v = self.duration(d, &key)?;
            if v.is_zero() {
                return Err(self.at(d, format!("{key} must be greater than 0")));
            }
            Ok(Some(v))
        };
        let fastinter = positive(&s.fastinter, "fastinter")?;
        let downinter = positive(&s.downinter, "downinter")?;
        // `slowstart 0` is HAProxy's way of saying "off".
        let slowstart = match &s.slowstart {
            None => None,
            Some(d) => Some(self.duration(d, &format!("{who}: 'slowstart'"))?),
        }
        .filter(|d| !d.is_zero());
        Ok(Server {
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
            line: self.line(raw.span().start),
        })
    }

    fn demo(&self, raw: RawDemo, frontends: &[Frontend]) -> Res<Demo> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        let mut servers = Vec::with_capacity(raw.server.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in &raw.server {
            let s = s.get_ref();
            self.name(&s.name, "demo server")?;
            let who = format!("demo server '{}'", s.name.get_ref());
            let bind = self.addr(&s.bind, &format!("{who}: 'bind'"), true)?;
            if s.root.get_ref().trim().is_empty() {
                return Err(self.at(&s.root, format!("{who}: 'root' must not be empty")));
            }
            self.unique(&mut seen, &s.name, "demo server")?;
            servers.push(DemoServer {
                name: s.name.get_ref().clone(),
                bind,
                root: base.join(s.root.get_ref()),
            });
        }

        let mut traffic = DemoTraffic {
            frontends: (0..frontends.len()).collect(),
            rate: 5,
            start: false,
        };
        if let Some(t) = raw.traffic {
            if let Some(list) = &t.frontends {
                let names: Vec<&str> = frontends.iter().map(|f| f.name.as_str()).collect();
                traffic.frontends.clear();
                for name in list {
                    let n = name.get_ref();
                    let Some(i) = names.iter().position(|f| f == n) else {
                        return Err(self.at(
                            name,
                            format!(
                                "demo traffic: 'frontends' names unknown frontend '{n}'{}",
                                did_you_mean(n, &names)
                            ),
                        ));
                    };
                    if traffic.frontends.contains(&i) {
                        return Err(
                            self.at(name, format!("demo traffic: 'frontends' lists '{n}' twice"))
                        );
                    }
                    traffic.frontends.push(i);
                }
            }
            let max = u32::MAX.into();
            if let Some(rate) = self.opt_int(&t.rate, "demo traffic: 'rate'", 1, max)? {
                traffic.rate = rate;
            }
            traffic.start = t.start.unwrap_or(false);
        }
        Ok(Demo { servers, traffic })
    }

    // -- single values ------------------------------------------------------------------

    /// `[[global.log]]` / `[[defaults.log]]` / `[[frontend.log]]` / `[[backend.log]]`.
    fn logs(&self, raw: &[Spanned<RawLog>], who: &str) -> Res<Vec<LogTarget>> {
        raw.iter().map(|l| self.log(l.get_ref(), who)).collect()
    }

    fn log(&self, l: &RawLog, who: &str) -> Res<LogTarget> {
        let addr = log_addr(l.address.get_ref())
            .map_err(|m| self.at(&l.address, format!("{who}: log 'address' {m}")))?;
        let facility = l.facility.get_ref();
        let Some(facility) = LogTarget::facility_from_name(facility) else {
            return Err(self.at(
                &l.facility,
                format!(
                    "{who}: log 'facility' '{facility}' is not a syslog facility{} (one of {})",
                    did_you_mean(facility, &LogTarget::FACILITIES),
                    LogTarget::FACILITIES.join(", ")
                ),
            ));
        };
        let level = |v: &Option<Spanned<String>>, key: &str, default: u8| -> Res<u8> {
            let Some(v) = v else { return Ok(default) };
            LogTarget::level_from_name(v.get_ref()).ok_or_else(|| {
                self.at(
                    v,
                    format!(
                        "{who}: log '{key}' '{}' is not a syslog level{} (one of {})",
                        v.get_ref(),
                        did_you_mean(v.get_ref(), &LogTarget::LEVELS),
                        LogTarget::LEVELS.join(", ")
                    ),
                )
            })
        };
        let mut target = LogTarget::new(addr, facility);
        target.max_level = level(&l.level, "level", 7)?;
        target.min_level = level(&l.minlevel, "minlevel", 0)?;
        if let Some(len) = self.opt_int(&l.len, &format!("{who}: log 'len'"), 80, 65535)? {
            target.len = len as usize;
        }
        if let Some(f) = &l.format {
            let names: Vec<&str> = LogFormat::ALL.iter().map(|f| f.as_str()).collect();
            target.format = LogFormat::from_name(f.get_ref()).ok_or_else(|| {
                self.at(
                    f,
                    format!(
                        "{who}: log 'format' '{}' is unknown{} (one of {})",
                        f.get_ref(),
                        did_you_mean(f.get_ref(), &names),
                        names.join(", ")
                    ),
                )
            })?;
        }
        Ok(target)
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
        Ok(StatsSocket {
            path: path.clone(),
            level,
            mode,
        })
    }

    fn options(&self, raw: Option<&RawOptions>, who: &str) -> Res<PartialOptions> {
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
            httplog: o.httplog,
            tcplog: o.tcplog,
            dontlognull: o.dontlognull,
            http_server_close: o.http_server_close,
            redispatch: o.redispatch,
            allbackups: o.allbackups,
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

    fn timeouts(&self, raw: Option<&RawTimeouts>, who: &str) -> Res<Timeouts> {
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
        })
    }

    fn httpchk(&self, raw: &Spanned<BoolOr<RawHttpChk>>, who: &str) -> Res<HealthCheck> {
        let t = match raw.get_ref() {
            BoolOr::Bool(false) => return Ok(HealthCheck::Tcp),
            BoolOr::Bool(true) => return Ok(HealthCheck::Http(HttpCheck::default())),
            BoolOr::Table(t) => t,
        };
        let mut check = HttpCheck::default();
        let word = |v: &Option<Spanned<String>>, key: &str, out: &mut String| -> Res<()> {
            if let Some(v) = v {
                let s = v.get_ref();
                if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(self.at(
                        v,
                        format!(
                            "{who}: httpchk '{key}' must be one word without spaces, got '{s}'"
                        ),
                    ));
                }
                *out = s.clone();
            }
            Ok(())
        };
        word(&t.method, "method", &mut check.method)?;
        word(&t.path, "path", &mut check.path)?;
        word(&t.version, "version", &mut check.version)?;
        if let Some(Ordered(headers)) = &t.headers {
            for (name, value) in headers {
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
                check
                    .headers
                    .push((name.get_ref().clone(), value.get_ref().clone()));
            }
        }
        Ok(HealthCheck::Http(check))
    }

    fn http_reuse(&self, raw: &Option<Spanned<String>>, who: &str) -> Res<Option<HttpReuse>> {
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

    fn mode(&self, raw: &Option<Spanned<String>>, who: &str) -> Res<Option<Mode>> {
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

    fn name(&self, raw: &Spanned<String>, what: &str) -> Res<()> {
        let s = raw.get_ref();
        if s.is_empty() {
            return Err(self.at(raw, format!("{what}: 'name' must not be empty")));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.:".contains(*c)))
        {
            return Err(self.at(
                raw,
                format!(
                    "{what} '{s}': 'name' may only contain letters, digits, '-', '_', '.' and ':' \
                     (found {c:?})"
                ),
            ));
        }
        Ok(())
    }

    fn unique(
        &self,
        seen: &mut HashMap<String, usize>,
        name: &Spanned<String>,
        what: &str,
    ) -> Res<()> {
        if let Some(first) = seen.get(name.get_ref()) {
            return Err(self.at(
                name,
                format!(
                    "{what} '{}' is already defined at line {first}",
                    name.get_ref()
                ),
            ));
        }
        seen.insert(name.get_ref().clone(), self.line(name.span().start));
        Ok(())
    }

    fn addr(&self, raw: &Spanned<String>, what: &str, bind: bool) -> Res<SocketAddr> {
        let s = raw.get_ref().trim();
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Ok(a);
        }
        // HAProxy's `bind *:80` / `bind :80`: every IPv4 address.
        if bind {
            if let Some(port) = s.strip_prefix("*:").or_else(|| s.strip_prefix(':')) {
                if let Ok(port) = port.parse::<u16>() {
                    return Ok(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port));
                }
            }
        }
        Err(self.at(
            raw,
            format!(
                "{what} '{}' is not an ip:port address (e.g. 127.0.0.1:8080 or [::1]:8080)",
                raw.get_ref()
            ),
        ))
    }

    fn duration(&self, raw: &Spanned<RawDuration>, what: &str) -> Res<Duration> {
        match raw.get_ref() {
            RawDuration::Text(t) => {
                parse_duration(t).map_err(|e| self.at(raw, format!("{what}: {e}")))
            }
            RawDuration::Millis(n) => u64::try_from(*n)
                .map(Duration::from_millis)
                .map_err(|_| self.at(raw, format!("{what} must not be negative, got {n}"))),
        }
    }

    fn opt_int(
        &self,
        raw: &Option<Spanned<i64>>,
        what: &str,
        min: i64,
        max: i64,
    ) -> Res<Option<u32>> {
        let Some(v) = raw else { return Ok(None) };
        in_range(*v.get_ref(), what, min, max)
            .map(Some)
            .map_err(|m| self.at(v, m))
    }
}

#[cfg(test)]
mod tests;
