//! Sections: `global`, `defaults`, `frontend`, `backend` and `listen` headers, and what a
//! proxy inherits. Every `defaults` section starts from scratch (or from the one it names with
//! `from`) and applies to the proxies after it, or to those naming it with `from`; a proxy
//! starts as a copy of its defaults.

use super::names::bind_targets;
use super::server::DefaultServer;
use super::table::suggest;
use super::{Parser, Res};
use crate::config::{
    Balance, Bind, HttpCheck, LogTarget, Mode, Options, Server, StatsPage, Timeouts,
};

/// The sections lbtop reads.
pub(super) const SECTIONS: [&str; 5] = ["global", "defaults", "frontend", "backend", "listen"];

/// HAProxy sections lbtop does not read: an error rather than "unknown keyword".
pub(super) const OTHER_SECTIONS: [&str; 10] = [
    "peers",
    "program",
    "cache",
    "ring",
    "mailers",
    "log-forward",
    "fcgi-app",
    "crt-store",
    "traces",
    "namespace_list",
];

/// Everything a `defaults` section sets, and so everything a proxy starts from.
#[derive(Debug, Clone, Default)]
pub(super) struct Settings {
    pub(super) mode: Option<Mode>,
    pub(super) log_global: bool,
    pub(super) log: Vec<LogTarget>,
    pub(super) log_tag: Option<String>,
    pub(super) options: Options,
    pub(super) maxconn: Option<u32>,
    pub(super) timeouts: Timeouts,
    pub(super) balance: Option<(Balance, Option<String>)>,
    pub(super) hash_type: crate::config::HashType,
    /// `option httpchk` is on.
    pub(super) httpchk: bool,
    /// The check request, from `option httpchk` and `http-check send`.
    pub(super) request: Option<HttpCheck>,
    /// With its line.
    pub(super) default_backend: Option<(String, usize)>,
    pub(super) default_server: DefaultServer,
    /// The stats page (`stats enable`, `stats uri`, ...).
    pub(super) stats: Option<StatsPage>,
    /// `cookie`.
    pub(super) cookie: Option<crate::config::Cookie>,
    /// `errorfile` and `errorfiles` lines, in order (folded into `options.errorfiles` at the
    /// end, when every `http-errors` section is known).
    pub(super) errors: Vec<super::errorfile::ErrorDirective>,
    /// `stick-table`, and the `stick` rules.
    pub(super) stick_table: Option<crate::config::StickTable>,
    pub(super) stick_rules: Vec<crate::config::StickRule>,
    /// `load-server-state-from-file`, `server-state-file-name`.
    pub(super) server_state: crate::config::ServerStateFrom,
    /// `capture` lines (frontends only, so never inherited).
    pub(super) captures: crate::config::Captures,
    /// `monitor-uri` with its line (inherited from `defaults`) and the `monitor fail`
    /// conditions (frontends only).
    pub(super) monitor: Option<crate::config::Monitor>,
    // What this very section did (reset when a proxy copies its defaults).
    /// The section wrote its own check rules: `http-check send` no longer starts afresh.
    pub(super) own_rules: bool,
    /// Line of this section's `http-check send` (HAProxy takes one per rule set).
    pub(super) own_send: Option<usize>,
    /// Which of `httplog`/`tcplog` this section set last.
    pub(super) own_log_format: Option<&'static str>,
    /// Line of the `option httplog`/`httpslog` in force, here or in the defaults: HAProxy
    /// names it when a TCP frontend falls back to tcplog.
    pub(super) log_option_line: Option<usize>,
    /// Line of this section's first `http-check` rule, for "ignored" warnings.
    pub(super) rules_line: Option<usize>,
    /// The rule set has a request (`option httpchk` or `http-check send`): one a section
    /// starts with `http-check expect` has none until it writes one.
    pub(super) rules_send: bool,
    /// The text of the last `http-check comment` rule, for the rules after it.
    pub(super) rules_comment: Option<String>,
    /// `option tcp-check` or a protocol check, and the `tcp-check` rules.
    pub(super) tcp_checks: super::tcp_check::TcpChecks,
    /// `acl`, `http-request`, `redirect`, `use_backend` and `use-server` lines (backend and
    /// server names are resolved once every section is read).
    pub(super) rules: crate::config::ProxyRules,
    /// The ACLs defined so far, for the conditions after them.
    pub(super) acl_defs: Vec<std::sync::Arc<crate::config::acl::Acl>>,
    /// Backends named by `nbsrv(<backend>)`, with their line.
    pub(super) nbsrv_names: Vec<(String, usize)>,
    /// The userlists `http_auth` fetches name, with their lines, checked once all is read.
    pub(super) userlist_names: Vec<(String, usize)>,
}

impl Settings {
    /// What a new proxy (or `defaults ... from`) starts with.
    pub(super) fn inherited(&self) -> Settings {
        Settings {
            own_rules: false,
            own_send: None,
            own_log_format: None,
            log_option_line: self.log_option_line,
            rules_line: self.rules_line,
            tcp_checks: super::tcp_check::TcpChecks {
                own: false,
                ..self.tcp_checks.clone()
            },
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Defaults,
    Frontend,
    Backend,
    Listen,
}

impl Kind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Kind::Defaults => "defaults",
            Kind::Frontend => "frontend",
            Kind::Backend => "backend",
            Kind::Listen => "listen",
        }
    }
    /// HAProxy's frontend capability.
    pub(super) fn fe(self) -> bool {
        self != Kind::Backend
    }
    /// HAProxy's backend capability.
    pub(super) fn be(self) -> bool {
        self != Kind::Frontend
    }
}

pub(super) struct Proxy {
    pub(super) kind: Kind,
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) settings: Settings,
    /// Its listening sockets, in the file's order.
    pub(super) binds: Vec<Bind>,
    pub(super) servers: Vec<Server>,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Section {
    None,
    /// After a section lbtop cannot open (refused, or its header line was wrong): its lines
    /// are passed over until the next section, rather than each read as an error.
    Skipped,
    Global,
    Defaults,
    Proxy(usize),
    /// A `resolvers` section, by index into `Global::resolvers`.
    Resolvers(usize),
    /// A `userlist` section, by index into `Global::userlists`.
    Userlist(usize),
    /// An `http-errors` section, by index into `Parser::http_errors`.
    HttpErrors(usize),
}

/// What one statement in a `defaults`, `frontend`, `backend` or `listen` section is about.
pub(super) struct Ctx {
    pub(super) kind: Kind,
    /// `defaults`, `defaults 'web'`, `frontend 'main'`, ... for messages.
    pub(super) who: String,
    /// The proxy being read, by index into `Parser::proxies`; `None` in `defaults`.
    pub(super) proxy: Option<usize>,
}

impl Parser<'_> {
    /// Ends the section being read (a named `defaults` becomes available to `from`).
    pub(super) fn close_section(&mut self) {
        if self.section == Section::Defaults {
            if let Some((name, line)) = self.defaults_name.take() {
                self.named.push((name, line, self.defaults.clone()));
            }
        }
        self.section = Section::None;
    }

    pub(super) fn open_section(&mut self, no: usize, w: &[String]) -> Res<()> {
        self.close_section();
        let kw = w[0].as_str();
        let args = &w[1..];
        // `from <defaults>` may end any section line but `global`'s.
        let (args, from) = match args.iter().position(|a| a == "from") {
            Some(i) if kw != "global" => {
                let Some(name) = args.get(i + 1) else {
                    return Err(self.err(no, format!("'{kw} ... from' needs a defaults name")));
                };
                if let Some(extra) = args.get(i + 2) {
                    return Err(self.err(
                        no,
                        format!("'{kw}': unexpected '{extra}' after 'from {name}'"),
                    ));
                }
                (&args[..i], Some(name.as_str()))
            }
            _ => (args, None),
        };
        let base = match from {
            None => self.defaults.inherited(),
            Some(name) => match self.named.iter().rev().find(|(n, _, _)| n == name) {
                Some((_, _, s)) => s.inherited(),
                None => {
                    let names: Vec<&str> = self.named.iter().map(|(n, _, _)| n.as_str()).collect();
                    return Err(self.err(
                        no,
                        format!(
                            "{kw}: defaults section '{name}' not found (it must come before){}",
                            suggest(name, &names)
                        ),
                    ));
                }
            },
        };
        match kw {
            "global" => {
                if let Some(a) = args.first() {
                    return Err(self.err(no, format!("'global' takes no argument, got '{a}'")));
                }
                self.section = Section::Global;
            }
            "defaults" => {
                if args.len() > 1 {
                    return Err(self.err(
                        no,
                        format!("'defaults' takes at most a name, got '{}'", args[1]),
                    ));
                }
                if let Some(name) = args.first() {
                    // A wrong name is an error, but the section still opens, as in HAProxy.
                    self.check_name(no, "defaults", name)
                        .unwrap_or_else(|e| self.errors.push(e));
                    if let Some((_, line, _)) = self.named.iter().find(|(n, _, _)| n == name) {
                        let e = self.err(
                            no,
                            format!("defaults section '{name}' is already defined at line {line}"),
                        );
                        self.errors.push(e);
                    }
                    self.defaults_name = Some((name.clone(), no));
                }
                // Each defaults section starts afresh (or from the one it names).
                self.defaults = match from {
                    Some(_) => base,
                    None => Settings::default(),
                };
                self.section = Section::Defaults;
            }
            _ => {
                let kind = match kw {
                    "frontend" => Kind::Frontend,
                    "backend" => Kind::Backend,
                    _ => Kind::Listen,
                };
                let Some(name) = args.first() else {
                    return Err(self.err(no, format!("'{kw}' needs a name")));
                };
                // A wrong or taken name is an error, but the section still opens, so its
                // lines are read (and checked) in it, as in HAProxy.
                self.check_name(no, kw, name)
                    .unwrap_or_else(|e| self.errors.push(e));
                if let Some(p) = self.proxies.iter().find(|p| {
                    p.name == *name && ((p.kind.fe() && kind.fe()) || (p.kind.be() && kind.be()))
                }) {
                    let e = self.err(
                        no,
                        format!(
                            "{kw} '{name}' has the same name as {} '{name}' declared at line {}",
                            p.kind.as_str(),
                            p.line
                        ),
                    );
                    self.errors.push(e);
                }
                let mut proxy = Proxy {
                    kind,
                    name: name.clone(),
                    line: no,
                    settings: base,
                    binds: Vec::new(),
                    servers: Vec::new(),
                };
                let addrs = &args[1..];
                if let Some(first) = addrs.first() {
                    if kind == Kind::Backend {
                        return Err(self.err(
                            no,
                            format!("'backend {name}' takes only a name (and 'from <defaults>'), got '{first}'"),
                        ));
                    }
                    if addrs.len() > 1 {
                        return Err(self.err(
                            no,
                            format!(
                                "'{kw} {name}': expected one address after the name, got '{}'",
                                addrs.join(" ")
                            ),
                        ));
                    }
                    let addrs = bind_targets(&self.env.expand(first))
                        .map_err(|m| self.err(no, format!("{kw} '{name}': address {m}")))?;
                    proxy.binds = addrs
                        .into_iter()
                        .map(|a| Bind {
                            line: no,
                            ..Bind::new(a)
                        })
                        .collect();
                    self.warn(
                        no,
                        format!(
                            "{kw} '{name}': an address on the '{kw}' line ('{first}') is \
                             deprecated HAProxy 1.x syntax that HAProxy 2.6 refuses (\"please \
                             use the 'bind' keyword for listening addresses\"); lbtop reads it \
                             as 'bind {first}'"
                        ),
                    );
                }
                self.proxies.push(proxy);
                self.section = Section::Proxy(self.proxies.len() - 1);
            }
        }
        Ok(())
    }

    /// HAProxy's rule for proxy names: letters, digits, `-`, `_`, `.` and `:`.
    pub(super) fn check_name(&self, no: usize, kw: &str, name: &str) -> Res<()> {
        if name.is_empty() {
            return Err(self.err(no, format!("'{kw}' needs a name")));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.:".contains(*c)))
        {
            return Err(self.err(
                no,
                format!(
                    "character {c:?} is not permitted in {kw} name '{name}' \
                     (letters, digits, '-', '_', '.' and ':' only)"
                ),
            ));
        }
        Ok(())
    }
}
