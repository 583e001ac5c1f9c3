//! The HAProxy front end: `haproxy.cfg` → [`Config`].
//!
//! [`tokenize`] splits each line into words exactly as HAProxy 2.6 does. [`Parser`] reads the
//! statements into sections ([`sections`]) with HAProxy's semantics: every `defaults` section
//! starts from scratch and applies to the proxies after it (or to those naming it with
//! `from`); a proxy starts as a copy of its defaults; a keyword a proxy cannot use (`retries`
//! in a frontend, `maxconn` in a backend, ...) is ignored with HAProxy's warning.
//!
//! Keywords are rows of tables ([`table`]), one module per family as HAProxy's `cfgparse-*.c`
//! files: [`global`], [`proxy`], [`option`], [`timeout`], [`server`] and [`http_check`]. A row
//! says what the keyword takes, where it may be written, how it is read and whether lbtop
//! implements it, ignores it with a warning, or refuses it. `acl`, `http-request`, `bind`
//! options or `stats` pages would each be one more family module and one more row in
//! [`proxy`].
//!
//! Server host names (`init-addr`, `server-template`) are resolved at start in [`names`];
//! `setenv` and `$VAR` in addresses live in [`env`].
//!
//! Every error names the file, the 1-based line and the keyword; nothing is half-loaded. As
//! `haproxy -c` does, reading goes on after an error so that one run reports every error of
//! the file (docs/haproxy-semantics.md §14): the cross-checks after reading (binds, backends
//! found, modes) run only on a file that read without error, so they never report what an
//! earlier error caused.
//! Things HAProxy accepts but lbtop has no use for (`chroot`, `user`, `daemon`, ...), or
//! does not apply yet, load with a [`Warning`] naming their line.

mod addr;
mod bind;
mod capture;
mod compression;
mod env;
mod errorfile;
mod global;
mod http_check;
mod http_edit;
mod http_request;
mod http_response;
mod monitor;
mod names;
mod option;
mod proxy;
mod resolvers;
mod rules;
mod sections;
mod server;
mod server_state;
mod ssl;
mod stats;
mod sticky;
mod table;
mod tcp_check;
mod tcp_request;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_checks;
#[cfg(test)]
mod tests_tls;
#[cfg(test)]
mod tests_userlist;
mod timeout;
mod tokenize;
mod tune;
mod unique_id;
mod userlist;

pub(super) use server::{describe_words as describe_server, export_words as export_server};
pub(super) use tokenize::tokenize_line;

use super::{
    Backend, Balance, Config, ConfigError, ConfigErrors, Frontend, Global, HealthCheck, Mode,
    UiConfig, Warning,
};
use sections::{Ctx, Kind, Proxy, Section, Settings, OTHER_SECTIONS, SECTIONS};
use std::path::Path;
use table::suggest;

type Res<T> = Result<T, ConfigError>;

/// Whether `Config::parse` should read this file as HAProxy syntax: a `.cfg` file, or text
/// whose first statement opens a section.
pub(super) fn is_haproxy(path: &Path, text: &str) -> bool {
    if path.extension().is_some_and(|e| e == "cfg") {
        return true;
    }
    // A section line, not a TOML `global = ...` key (HAProxy names cannot hold '=').
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| {
            let mut words = l.split_ascii_whitespace();
            words.next().is_some_and(|w| SECTIONS.contains(&w))
                && !words.next().is_some_and(|w| w.starts_with('='))
        })
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
    parse_all_with_env(path, text, &|name| std::env::var(name).ok())
}

/// [`parse_all_with_env`], the first error only.
#[cfg(test)]
fn parse_with_env(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    parse_all_with_env(path, text, env).map_err(ConfigErrors::first)
}

/// [`parse`] with environment variables looked up in `env` (tests pass a fixed map).
fn parse_all_with_env(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut p = Parser::new(path, env);
    let file = path.display().to_string();
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let lookup = |name: &str| match name {
            ".LINE" => Some(no.to_string()),
            ".FILE" => Some(file.clone()),
            _ if name.starts_with('.') => None,
            _ => p.env.get(name),
        };
        let read = match tokenize_line(raw, &lookup) {
            Ok(words) if words.is_empty() => Ok(()),
            Ok(words) => p.statement(no, &words),
            Err(m) => Err(p.err(no, m)),
        };
        if let Err(e) = read {
            p.errors.push(e);
        }
    }
    p.finish()
}

/// Reads statements one at a time into sections, then resolves them into a [`Config`].
struct Parser<'a> {
    path: &'a Path,
    warnings: Vec<Warning>,
    /// Every error so far; reading goes on after one.
    errors: Vec<ConfigError>,
    section: Section,
    global: Global,
    /// Lines of global keywords HAProxy accepts only once.
    global_maxconn: Option<usize>,
    /// The `defaults` in force (the last one read).
    defaults: Settings,
    /// The `defaults` section being read: its name and line.
    defaults_name: Option<(String, usize)>,
    named: Vec<(String, usize, Settings)>,
    proxies: Vec<Proxy>,
    /// The environment as `setenv` and friends left it so far.
    env: env::Env<'a>,
    /// `crt-base`, `ca-base` and the `ssl-default-bind-*` lines read so far.
    ssl: ssl::SslDefaults,
    /// Group memberships the `userlist` sections asked for, checked at the end.
    members: Vec<userlist::Member>,
    /// The `http-errors` sections.
    http_errors: Vec<errorfile::HttpErrors>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a Path, env: &'a dyn Fn(&str) -> Option<String>) -> Parser<'a> {
        Parser {
            env: env::Env::new(env),
            ssl: ssl::SslDefaults::default(),
            path,
            warnings: Vec::new(),
            errors: Vec::new(),
            section: Section::None,
            global: Global {
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
            },
            global_maxconn: None,
            defaults: Settings::default(),
            defaults_name: None,
            named: Vec::new(),
            proxies: Vec::new(),
            members: Vec::new(),
            http_errors: Vec::new(),
        }
    }

    fn err(&self, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// An error about a statement of the section `ctx` is about, named first.
    fn err_in(&self, line: usize, ctx: &Ctx, message: impl std::fmt::Display) -> ConfigError {
        self.err(line, format!("{}: {message}", ctx.who))
    }

    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            line,
            message: message.into(),
        });
    }

    fn statement(&mut self, no: usize, w: &[String]) -> Res<()> {
        let kw = w[0].as_str();
        if SECTIONS.contains(&kw) {
            let opened = self.open_section(no, w);
            if opened.is_err() && self.section == Section::None {
                // Its lines belong to no section lbtop could open: not errors of their own.
                self.section = Section::Skipped;
            }
            return opened;
        }
        if kw == "resolvers" {
            self.close_section();
            self.section = Section::Skipped;
            let i = self.open_resolvers(no, &w[1..])?;
            self.section = Section::Resolvers(i);
            return Ok(());
        }
        if kw == "http-errors" {
            self.close_section();
            self.section = Section::Skipped;
            let i = self.open_http_errors(no, &w[1..])?;
            self.section = Section::HttpErrors(i);
            return Ok(());
        }
        if kw == "userlist" {
            self.close_section();
            self.section = Section::Skipped;
            let i = self.open_userlist(no, &w[1..])?;
            self.section = Section::Userlist(i);
            return Ok(());
        }
        if OTHER_SECTIONS.contains(&kw) {
            self.close_section();
            self.section = Section::Skipped;
            return Err(self.err(no, format!("'{kw}' sections are not supported by lbtop")));
        }
        if kw.starts_with('.') {
            return Err(self.err(
                no,
                format!("'{kw}': conditional blocks and directives are not supported by lbtop"),
            ));
        }
        match self.section {
            Section::None => Err(self.err(
                no,
                format!(
                    "unknown keyword '{kw}' out of section{}",
                    suggest(kw, &SECTIONS)
                ),
            )),
            Section::Skipped => Ok(()),
            Section::Global => self.global_statement(no, w),
            Section::Resolvers(i) => self.resolvers_statement(no, i, w),
            Section::Userlist(i) => self.userlist_statement(no, i, w),
            Section::HttpErrors(i) => self.http_errors_statement(no, i, w),
            Section::Defaults => {
                let ctx = Ctx {
                    kind: Kind::Defaults,
                    who: match &self.defaults_name {
                        Some((n, _)) => format!("defaults '{n}'"),
                        None => "defaults".into(),
                    },
                    proxy: None,
                };
                let mut s = std::mem::take(&mut self.defaults);
                let r = self.proxy_statement(no, w, &ctx, &mut s);
                self.defaults = s;
                r
            }
            Section::Proxy(i) => {
                let kind = self.proxies[i].kind;
                let ctx = Ctx {
                    kind,
                    who: format!("{} '{}'", kind.as_str(), self.proxies[i].name),
                    proxy: Some(i),
                };
                let mut s = std::mem::take(&mut self.proxies[i].settings);
                let r = self.proxy_statement(no, w, &ctx, &mut s);
                self.proxies[i].settings = s;
                r
            }
        }
    }

    /// A proxy's stats page, unless it is in TCP mode, where HAProxy ignores it with this
    /// warning.
    fn stats_of(&mut self, p: &Proxy) -> Option<crate::config::StatsPage> {
        let page = p.settings.stats.clone()?;
        if p.settings.mode.unwrap_or(Mode::Tcp) == Mode::Tcp {
            let w = format!(
                "'stats' statement ignored for proxy '{}' as it requires HTTP mode",
                p.name
            );
            if !self.warnings.iter().any(|x| x.message == w) {
                self.warn(page.line, w);
            }
            return None;
        }
        Some(page)
    }

    /// A TCP frontend with `option httplog` or `httpslog` (its own or its defaults') writes
    /// tcplog, as HAProxy does, with HAProxy's warning on the option's line.
    fn http_log_in_tcp(&mut self, f: &Frontend, p: &Proxy) {
        let o = &f.options;
        let (Mode::Tcp, true, None) = (f.mode, o.httplog, &o.log_format) else {
            return;
        };
        let Some(line) = p.settings.log_option_line else {
            return;
        };
        let option = if o.httpslog { "httpslog" } else { "httplog" };
        let who = match p.kind {
            Kind::Listen => "proxy",
            _ => "frontend",
        };
        let w = format!(
            "'option {option}' not usable with {who} '{}' (needs 'mode http'). Falling back \
             to 'option tcplog'.",
            f.name
        );
        self.warn(line, w);
    }

    /// HAProxy ignores `monitor-uri` in a TCP frontend, with this warning.
    fn monitor_needs_http(&mut self, f: &mut Frontend) {
        if f.mode == Mode::Tcp {
            if let Some(m) = f.monitor.take() {
                let w = format!(
                    "monitor-uri will be ignored for frontend '{}' (needs 'mode http').",
                    f.name
                );
                self.warn(m.line, w);
            }
        }
    }

    // -- the end ------------------------------------------------------------------------

    /// `maxqueue` bounds a server's own queue, which HAProxy uses only for requests a hash
    /// sends to a full server; lbtop sends those to it anyway, so there it warns.
    fn warn_maxqueue(&mut self, p: &sections::Proxy, balance: Balance) {
        if !matches!(balance, Balance::Source | Balance::Uri | Balance::Hdr) {
            return;
        }
        for s in p.servers.iter().filter(|s| s.maxqueue.is_some()) {
            self.warn(
                s.line,
                format!(
                    "{} '{}': server '{}': 'maxqueue' is accepted but lbtop does not apply it \
                     yet: with 'balance {}', lbtop sends a request to its hashed server even \
                     when that server is full, where HAProxy queues it there",
                    p.kind.as_str(),
                    p.name,
                    s.name,
                    balance.as_str()
                ),
            );
        }
    }

    fn finish(mut self) -> Result<Config, ConfigErrors> {
        self.close_section();
        self.check_resolvers();
        self.check_userlists();
        self.resolve_errorfiles();
        if !self.errors.is_empty() {
            // As HAProxy: the cross-checks below run only on a file that read cleanly.
            return Err(self.into_errors());
        }
        let proxies = std::mem::take(&mut self.proxies);

        let mut backends: Vec<Backend> = Vec::new();
        for p in proxies.iter().filter(|p| p.kind.be()) {
            let s = &p.settings;
            let check = if s.httpchk {
                if !s.rules_send {
                    let e = self.err(
                        s.rules_line.unwrap_or(p.line),
                        format!(
                            "{} '{}': its own http-check rules start here and send no request \
                             (HAProxy would send nothing and every check would time out): \
                             write 'option httpchk' or 'http-check send' in this section too",
                            p.kind.as_str(),
                            p.name
                        ),
                    );
                    self.errors.push(e);
                }
                HealthCheck::Http(s.request.clone().unwrap_or_default())
            } else if let Some(proto) = &s.tcp_checks.proto {
                HealthCheck::Proto(proto.clone())
            } else if s.tcp_checks.on {
                HealthCheck::Rules(s.tcp_checks.rules.clone())
            } else {
                if let Some(line) = s.tcp_checks.line.filter(|_| !s.tcp_checks.rules.is_empty()) {
                    self.warn(
                        line,
                        format!(
                            "{} '{}' uses tcp-check rules without 'option tcp-check', so the \
                             rules are ignored",
                            p.kind.as_str(),
                            p.name
                        ),
                    );
                }
                if s.request.is_some() {
                    self.warn(
                        s.rules_line.unwrap_or(p.line),
                        format!(
                            "{} '{}' uses http-check rules without 'option httpchk', so the \
                             rules are ignored",
                            p.kind.as_str(),
                            p.name
                        ),
                    );
                }
                HealthCheck::Tcp
            };
            self.check_ports(p, &check);
            let (balance, hash_header) = s.balance.clone().unwrap_or((Balance::RoundRobin, None));
            self.warn_maxqueue(p, balance);
            let mode = s.mode.unwrap_or(Mode::Tcp);
            let (cookie, servers) = self.cookie_of(p, mode);
            self.check_stick(p, mode);
            backends.push(Backend {
                name: p.name.clone(),
                mode,
                balance,
                check,
                servers,
                timeouts: s.timeouts,
                options: s.options.clone(),
                log_global: s.log_global,
                log: s.log.clone(),
                log_tag: s.log_tag.clone(),
                hash_header,
                hash_type: s.hash_type,
                stats: self.stats_of(p),
                implicit: false,
                rules: rules::side_rules(p, false),
                cookie,
                stick_table: s.stick_table.clone(),
                stick_rules: s.stick_rules.clone(),
                server_state: s.server_state.clone(),
                line: p.line,
            });
        }
        for (i, p) in proxies.iter().filter(|p| p.kind.be()).enumerate() {
            let mut r = std::mem::take(&mut backends[i].rules);
            let mode = backends[i].mode;
            let nbsrv = p.kind == Kind::Backend;
            self.resolve_rules(p, &mut r, mode, nbsrv, (&backends, &proxies));
            backends[i].rules = r;
        }

        let mut frontends = Vec::new();
        for p in proxies.iter().filter(|p| p.kind.fe()) {
            let s = &p.settings;
            let who = format!("{} '{}'", p.kind.as_str(), p.name);
            if p.binds.is_empty() {
                self.errors.push(self.err(
                    p.line,
                    format!("{who} has no 'bind' line (lbtop needs an address to listen on)"),
                ));
                continue;
            }
            if let (None, Kind::Frontend, Some(page)) = (&s.default_backend, p.kind, &s.stats) {
                if s.mode == Some(Mode::Http) {
                    // A stats-only frontend: its other requests get HAProxy's 503.
                    backends.push(implicit_backend(p));
                    let mut f = frontend_of(p, Mode::Http, backends.len() - 1);
                    f.stats = Some(page.clone());
                    let all = (&backends[..], &proxies[..]);
                    self.resolve_rules(p, &mut f.rules, Mode::Http, true, all);
                    frontends.push(f);
                    continue;
                }
            }
            let (target, line) = match (&s.default_backend, p.kind) {
                (Some((name, line)), _) => (name.as_str(), *line),
                (None, Kind::Listen) => (p.name.as_str(), p.line),
                (None, _) => {
                    // No backend, or only `use_backend` rules (an HTTP-to-HTTPS redirect
                    // frontend, say): HAProxy answers what no rule takes with its 503
                    // (`<NOSRV>`, `SC--`), and closes a TCP connection.
                    let mode = s.mode.unwrap_or(Mode::Tcp);
                    let mut implicit = implicit_backend(p);
                    implicit.mode = mode;
                    backends.push(implicit);
                    let mut f = frontend_of(p, mode, backends.len() - 1);
                    self.resolve_rules(p, &mut f.rules, mode, true, (&backends, &proxies));
                    frontends.push(f);
                    continue;
                }
            };
            let Some(index) = backends.iter().position(|b| b.name == target) else {
                let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
                self.errors.push(self.err(
                    line,
                    format!(
                        "{who}: unable to find required default_backend: '{target}'{}",
                        suggest(target, &names)
                    ),
                ));
                continue;
            };
            let mode = s.mode.unwrap_or(Mode::Tcp);
            let backend = &backends[index];
            // HAProxy upgrades a TCP frontend's connection to HTTP for an HTTP backend; lbtop
            // does it when nothing in the frontend reads the connection before that (§40).
            if backend.mode != mode && !(mode == Mode::Tcp && rules::upgradable(&s.rules)) {
                let line_of = |name: &str| {
                    proxies
                        .iter()
                        .find(|q| q.kind.be() && q.name == name)
                        .map_or(0, |q| q.line)
                };
                self.errors.push(self.err(
                    line,
                    format!(
                        "{mode} {who} tries to use incompatible {} backend '{}' (line {}) as its \
                         default backend (see 'mode'){}",
                        backend.mode,
                        backend.name,
                        line_of(&backend.name),
                        if mode == Mode::Tcp {
                            "; HAProxy would upgrade the connection, lbtop does it only for a \
                             frontend with no 'use_backend', 'tcp-request content' or HTTP rules"
                        } else {
                            ""
                        }
                    ),
                ));
                continue;
            }
            let mut f = frontend_of(p, mode, index);
            f.stats = self.stats_of(p);
            self.resolve_rules(p, &mut f.rules, mode, true, (&backends, &proxies));
            self.check_log_format(&f, &who);
            self.http_log_in_tcp(&f, p);
            frontends.push(f);
        }

        for f in &mut frontends {
            self.monitor_needs_http(f);
        }
        if !self.errors.is_empty() {
            return Err(self.into_errors());
        }
        // In file order (post-parse warnings come last otherwise).
        self.warnings.sort_by_key(|w| w.line);
        Ok(Config {
            source: self.path.to_path_buf(),
            global: self.global,
            frontends,
            backends,
            demo: None,
            ui: UiConfig::default(),
            warnings: self.warnings,
        })
    }

    /// Every error and warning, each in file order.
    fn into_errors(mut self) -> ConfigErrors {
        self.errors.sort_by_key(|e| e.line);
        self.warnings.sort_by_key(|w| w.line);
        ConfigErrors {
            errors: self.errors,
            warnings: self.warnings,
        }
    }
}

/// A frontend from its section, sending its traffic to backend `index`.
fn frontend_of(p: &Proxy, mode: Mode, index: usize) -> Frontend {
    let s = &p.settings;
    Frontend {
        name: p.name.clone(),
        binds: p.binds.clone(),
        mode,
        default_backend: index,
        maxconn: s.maxconn,
        timeouts: s.timeouts,
        options: s.options.clone(),
        log_global: s.log_global,
        log: s.log.clone(),
        stats: None,
        log_tag: s.log_tag.clone(),
        rules: rules::side_rules(p, true),
        captures: s.captures.clone(),
        monitor: s.monitor.clone().filter(|m| !m.uri.is_empty()),
        line: p.line,
    }
}

/// The empty backend a stats-only frontend sends its other requests to (HAProxy's 503).
/// Nothing of it shows: with no servers it has nothing to time, check or log.
fn implicit_backend(p: &Proxy) -> Backend {
    Backend {
        name: p.name.clone(),
        mode: Mode::Http,
        balance: Balance::RoundRobin,
        check: HealthCheck::Tcp,
        servers: Vec::new(),
        timeouts: Default::default(),
        options: Default::default(),
        log_global: false,
        log: Vec::new(),
        log_tag: None,
        hash_header: None,
        hash_type: Default::default(),
        stats: None,
        implicit: true,
        rules: Default::default(),
        cookie: None,
        stick_table: None,
        stick_rules: Vec::new(),
        server_state: Default::default(),
        line: p.line,
    }
}
