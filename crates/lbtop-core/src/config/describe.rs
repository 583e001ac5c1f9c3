//! `lbtop check`: what lbtop understood, in HAProxy's words.
//!
//! Log settings print as HAProxy writes them whichever syntax they came from: a proxy's
//! `log  global` is TOML's `log-global = true`, and each `log <addr> <facility> <level>` target
//! is a `[[global.log]]` (or `[[defaults.log]]`, `[[frontend.log]]`, `[[backend.log]]`) table.

use super::export::{port_words, server_addr_words};
use super::haproxy::describe_server;
use super::{
    Backend, Config, ForwardFor, Frontend, HealthCheck, LogTarget, Mode, Options, Server,
    StatsPage, StatsSocket, Timeouts,
};
use std::fmt::Write as _;
use std::time::Duration;

/// A duration as HAProxy would write it: the largest unit that divides it exactly
/// (`3s`, `1m`, `250ms`, `100us`).
pub(crate) fn fmt_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us == 0 {
        return "0ms".into();
    }
    const UNITS: [(u128, &str); 6] = [
        (86_400_000_000, "d"),
        (3_600_000_000, "h"),
        (60_000_000, "m"),
        (1_000_000, "s"),
        (1_000, "ms"),
        (1, "us"),
    ];
    let (n, unit) = UNITS
        .iter()
        .find(|(n, _)| us.is_multiple_of(*n))
        .copied()
        .unwrap_or((1, "us"));
    format!("{}{unit}", us / n)
}

/// Width of the key column in `key  value` lines.
const KEY: usize = 16;

fn kv(out: &mut String, key: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {key:<KEY$} {value}");
}

fn timeouts_line(t: &Timeouts) -> String {
    let all = [
        ("connect", t.connect),
        ("client", t.client),
        ("server", t.server),
        ("check", t.check),
        ("http-request", t.http_request),
        ("queue", t.queue),
        ("http-keep-alive", t.http_keep_alive),
        ("tarpit", t.tarpit),
        ("tunnel", t.tunnel),
        ("client-fin", t.client_fin),
        ("server-fin", t.server_fin),
    ];
    let set: Vec<String> = all
        .iter()
        .filter_map(|(k, v)| v.map(|d| format!("{k} {}", fmt_duration(d))))
        .collect();
    if set.is_empty() {
        "(none set)".into()
    } else {
        set.join(", ")
    }
}

fn forwardfor(f: &ForwardFor) -> String {
    let mut s = "forwardfor".to_string();
    if let Some(net) = f.except {
        let _ = write!(s, " except {net}");
    }
    if f.header != "x-forwarded-for" {
        let _ = write!(s, " header {}", f.header);
    }
    if f.if_none {
        s.push_str(" if-none");
    }
    s
}

/// `127.0.0.1:514 len 2048 format rfc5424 local6 info notice`, HAProxy's argument order,
/// defaults left out (the max level is always shown).
pub(crate) fn log_target_args(t: &LogTarget) -> String {
    let mut s = super::export::quote_word(&t.addr.to_string());
    if t.len != LogTarget::DEFAULT_LEN {
        let _ = write!(s, " len {}", t.len);
    }
    if let Some(f) = t.format {
        let _ = write!(s, " format {}", f.as_str());
    }
    let _ = write!(
        s,
        " {} {}",
        t.facility_name(),
        LogTarget::level_name(t.max_level)
    );
    if t.min_level != 0 {
        let _ = write!(s, " {}", LogTarget::level_name(t.min_level));
    }
    s
}

/// A proxy's `log` lines on one line: `global`, `global, 10.0.0.1:514 local0 info`, `(none)`.
fn proxy_log_line(global: bool, targets: &[LogTarget]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if global {
        parts.push("global".into());
    }
    parts.extend(targets.iter().map(log_target_args));
    if parts.is_empty() {
        "(none)".into()
    } else {
        parts.join(", ")
    }
}

/// `/run/lbtop.sock level admin mode 600`.
fn stats_socket_args(s: &StatsSocket) -> String {
    let mut out = format!("{} level {}", s.path, s.level);
    if let Some(m) = s.mode {
        let _ = write!(out, " mode {m:o}");
    }
    if s.expose_fd_listeners {
        out.push_str(" expose-fd listeners");
    }
    out
}

fn options_line(o: &Options, mode: Mode) -> String {
    let mut on: Vec<String> = [
        ("log-health-checks", o.log_health_checks),
        ("httplog", o.httplog),
        ("tcplog", o.tcplog),
        ("dontlognull", o.dontlognull),
        ("dontlog-normal", o.dontlog_normal),
        ("log-separate-errors", o.log_separate_errors),
        ("http-server-close", o.http_server_close),
        ("httpclose", o.httpclose),
        ("redispatch", o.redispatch),
        ("abortonclose", o.abortonclose),
        ("http-check disable-on-404", o.disable_on_404),
        ("prefer-last-server", o.prefer_last_server),
        ("persist", o.persist),
        ("allbackups", o.allbackups),
        ("http-pretend-keepalive", o.http_pretend_keepalive),
        ("clitcpka", o.clitcpka),
        ("srvtcpka", o.srvtcpka),
    ]
    .iter()
    .filter(|(_, v)| *v)
    .map(|(k, _)| k.to_string())
    .collect();
    if let Some(f) = &o.forwardfor {
        on.push(forwardfor(f));
    }
    let mut s = if on.is_empty() {
        "(none)".to_string()
    } else {
        on.join(", ")
    };
    if mode == Mode::Tcp {
        let http_only: Vec<&str> = [
            ("httplog", o.httplog),
            ("http-server-close", o.http_server_close),
            ("httpclose", o.httpclose),
            ("forwardfor", o.forwardfor.is_some()),
        ]
        .iter()
        .filter(|(_, v)| *v)
        .map(|(k, _)| *k)
        .collect();
        if !http_only.is_empty() {
            let _ = write!(s, "  [not used in tcp mode: {}]", http_only.join(", "));
        }
    }
    s
}

impl HealthCheck {
    /// As `lbtop check` words it (the dashboard's detail pane too).
    pub fn describe(&self) -> String {
        check_line(self)
    }
}

/// `httpchk GET /health_check.html HTTP/1.0 (User-agent: Proxy-Check)` or `tcp connect`.
fn check_line(c: &HealthCheck) -> String {
    match c {
        HealthCheck::Tcp => "tcp connect".into(),
        HealthCheck::Http(h) => {
            let mut s = format!("httpchk {} {} {}", h.method, h.path, h.version);
            if !h.headers.is_empty() {
                let hs: Vec<String> = h.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                let _ = write!(s, " ({})", hs.join(", "));
            }
            if !h.body.is_empty() {
                let _ = write!(s, ", body of {} bytes", h.body.len());
            }
            for e in &h.expect {
                let (key, pattern) = e.what.words();
                let bang = if e.negate { "! " } else { "" };
                let _ = write!(s, ", expect {bang}{key} {pattern}");
            }
            s
        }
        HealthCheck::Rules(rules) if rules.is_empty() => "tcp-check (connect)".into(),
        HealthCheck::Rules(rules) => format!("tcp-check ({} rules)", rules.len()),
        HealthCheck::Proto(p) => p.option_words(),
    }
}

/// `weight 1  check inter 2s fall 3 rise 2  backup`: the words come from the server keyword
/// table.
fn server_line(s: &Server) -> String {
    describe_server(s).join("  ")
}

impl Config {
    /// A human-readable account of the loaded configuration, for `lbtop check`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "configuration {}", self.source.display());
        out.push('\n');

        out.push_str("global\n");
        match self.global.maxconn {
            Some(m) => kv(&mut out, "maxconn", m),
            None => kv(&mut out, "maxconn", "(from the file descriptor limit)"),
        }
        if let Some(n) = self.global.nbthread {
            kv(&mut out, "nbthread", n);
        }
        if self.global.spread_checks > 0 {
            kv(
                &mut out,
                "spread-checks",
                format!("{}%", self.global.spread_checks),
            );
        }
        if let Some(d) = self.global.hard_stop_after {
            kv(&mut out, "hard-stop-after", format!("{d:?}"));
        }
        for t in &self.global.log {
            kv(&mut out, "log", log_target_args(t));
        }
        if let Some(h) = &self.global.log_send_hostname {
            kv(
                &mut out,
                "log-send-hostname",
                if h.is_empty() {
                    "(this machine's name)"
                } else {
                    h
                },
            );
        }
        if let Some(t) = &self.global.log_tag {
            kv(&mut out, "log-tag", t);
        }
        for s in &self.global.stats_sockets {
            kv(&mut out, "stats socket", stats_socket_args(s));
        }

        for r in &self.global.resolvers {
            let _ = writeln!(out, "\nresolvers {}", r.name);
            for n in &r.nameservers {
                kv(&mut out, "nameserver", format!("{} {}", n.name, n.addr));
            }
            let h = &r.hold;
            let hold = [
                ("valid", h.valid),
                ("nx", h.nx),
                ("other", h.other),
                ("refused", h.refused),
                ("timeout", h.timeout),
                ("obsolete", h.obsolete),
            ]
            .map(|(k, d)| format!("{k} {}", fmt_duration(d)));
            kv(&mut out, "hold", hold.join(", "));
            let timeouts = format!(
                "resolve {}, retry {} ({} tries)",
                fmt_duration(r.resolve),
                fmt_duration(r.retry),
                r.retries
            );
            kv(&mut out, "timeout", timeouts);
        }

        for u in &self.global.userlists {
            let _ = writeln!(out, "\nuserlist {}", u.name);
            for user in &u.users {
                // How the password is kept, never the password.
                let mut kept = match &user.password {
                    super::Password::Insecure(_) => "insecure-password".to_string(),
                    super::Password::Hash(h) => h.scheme.name().to_string(),
                };
                if !user.groups.is_empty() {
                    let _ = write!(kept, ", groups {}", user.groups.join(","));
                }
                kv(&mut out, &format!("user {}", user.name), kept);
            }
        }

        for f in &self.frontends {
            out.push('\n');
            self.describe_frontend(&mut out, f);
        }
        for b in self.backends.iter().filter(|b| !b.implicit) {
            out.push('\n');
            describe_backend(&mut out, b);
        }

        if let Some(demo) = &self.demo {
            out.push_str("\ndemo\n");
            let name_w = demo.servers.iter().map(|s| s.name.len()).max().unwrap_or(0);
            let bind_w = demo
                .servers
                .iter()
                .map(|s| s.bind.to_string().len())
                .max()
                .unwrap_or(0);
            for s in &demo.servers {
                let _ = writeln!(
                    out,
                    "  server {:<name_w$}  {:<bind_w$}  root {}",
                    s.name,
                    s.bind.to_string(),
                    s.root.display()
                );
            }
            let t = &demo.traffic;
            let names: Vec<&str> = t
                .frontends
                .iter()
                .filter_map(|&i| self.frontends.get(i).map(|f| f.name.as_str()))
                .collect();
            let to = if names.is_empty() {
                "(no frontend)".to_string()
            } else {
                names.join(", ")
            };
            let _ = writeln!(
                out,
                "  traffic {}/s per frontend to {to}, {}",
                t.rate,
                if t.start {
                    "running at start"
                } else {
                    "stopped at start"
                }
            );
        }

        out.push_str("\nui\n");
        kv(&mut out, "refresh", fmt_duration(self.ui.refresh));

        if !self.warnings.is_empty() {
            out.push_str("\nwarnings\n");
            for w in &self.warnings {
                let _ = writeln!(out, "  line {}: {}", w.line, w.message);
            }
        }
        out
    }

    fn describe_frontend(&self, out: &mut String, f: &Frontend) {
        let _ = writeln!(out, "frontend {}  (line {})", f.name, f.line);
        let binds: Vec<String> = f.binds.iter().map(describe_bind).collect();
        kv(out, "bind", binds.join(", "));
        kv(out, "mode", f.mode);
        let backend = match self.backends.get(f.default_backend) {
            Some(b) if b.implicit => "(none: other requests get 503)",
            Some(b) => b.name.as_str(),
            None => "?",
        };
        kv(out, "default_backend", backend);
        match f.maxconn {
            Some(m) => kv(out, "maxconn", m),
            None => kv(out, "maxconn", "(global)"),
        }
        kv(out, "timeout", timeouts_line(&f.timeouts));
        kv(out, "option", options_line(&f.options, f.mode));
        kv(out, "log", proxy_log_line(f.log_global, &f.log));
        if let Some(p) = &f.stats {
            kv(out, "stats", stats_line(p));
        }
        if let Some(t) = &f.log_tag {
            kv(out, "log-tag", t);
        }
        if let Some(lf) = &f.options.log_format {
            kv(out, "log-format", &lf.source);
        }
        if !f.captures.is_empty() {
            kv(out, "capture", captures_line(&f.captures));
        }
        if let Some(m) = &f.monitor {
            kv(
                out,
                "monitor-uri",
                format!("{} ({} fail conditions)", m.uri, m.fail.len()),
            );
        }
        compression_line(out, &f.options);
    }
}

/// `algo gzip, type text/html text/plain, offload`.
fn compression_line(out: &mut String, o: &Options) {
    let Some(c) = &o.compression else { return };
    let algos: Vec<&str> = c.algos.iter().map(|a| a.name()).collect();
    let mut words = Vec::new();
    if !algos.is_empty() {
        words.push(format!("algo {}", algos.join(" ")));
    }
    if !c.types.is_empty() {
        words.push(format!("type {}", c.types.join(" ")));
    }
    if c.offload {
        words.push("offload".into());
    }
    kv(out, "compression", words.join(", "));
}

/// `request Host/64, response Content-Type/32, cookie SID/20`.
fn captures_line(c: &super::Captures) -> String {
    let sides = [("request", &c.request), ("response", &c.response)];
    let mut words: Vec<String> = sides
        .iter()
        .flat_map(|(side, list)| {
            list.iter()
                .map(move |k| format!("{side} {}/{}", k.name, k.len))
        })
        .collect();
    if let Some(k) = &c.cookie {
        words.push(format!("cookie {}/{}", k.name, k.len));
    }
    words.join(", ")
}

/// `127.0.0.1:80` and what its options change (`accept-proxy`, `v6only`, ...).
fn describe_bind(b: &super::Bind) -> String {
    let mut s = b.addr.to_string();
    for (on, word) in [
        (b.accept_proxy, "accept-proxy"),
        (b.v6only == Some(true), "v6only"),
        (b.v6only == Some(false), "v4v6"),
    ] {
        if on {
            s.push(' ');
            s.push_str(word);
        }
    }
    if let Some(tls) = &b.tls {
        let n = tls.crts.len();
        let _ = write!(s, " ssl ({n} crt{})", if n == 1 { "" } else { "s" });
    }
    s
}

/// `/stats, 2 accounts (realm "HAProxy Statistics"), refresh 10s`.
fn stats_line(p: &StatsPage) -> String {
    let mut s = p.uri.clone();
    match p.auth.len() {
        0 => s.push_str(", no authentication"),
        n => {
            let _ = write!(s, ", {n} account(s) (realm \"{}\")", p.realm());
        }
    }
    if let Some(d) = p.refresh {
        let _ = write!(s, ", refresh {}", fmt_duration(d));
    }
    s
}

fn describe_backend(out: &mut String, b: &Backend) {
    let _ = writeln!(out, "backend {}  (line {})", b.name, b.line);
    kv(out, "mode", b.mode);
    match &b.hash_header {
        Some(h) => kv(out, "balance", format!("hdr({h})")),
        None => kv(out, "balance", b.balance.as_str()),
    }
    kv(out, "check", check_line(&b.check));
    kv(out, "retries", b.options.retries);
    kv(out, "http-reuse", b.options.http_reuse.as_str());
    kv(out, "timeout", timeouts_line(&b.timeouts));
    kv(out, "option", options_line(&b.options, b.mode));
    kv(out, "log", proxy_log_line(b.log_global, &b.log));
    compression_line(out, &b.options);
    if let Some(p) = &b.stats {
        kv(out, "stats", stats_line(p));
    }
    if let Some(t) = &b.log_tag {
        kv(out, "log-tag", t);
    }
    if let Some(c) = &b.cookie {
        kv(out, "cookie", c.words().join(" "));
    }
    if let Some(t) = &b.stick_table {
        kv(out, "stick-table", t.words());
    }
    for r in &b.stick_rules {
        kv(
            out,
            "stick",
            format!("{} {}", r.when.as_str(), r.fetch.words()),
        );
    }
    if b.servers.is_empty() {
        kv(out, "servers", "(none)");
        return;
    }
    let name_w = b.servers.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let addr_w = b
        .servers
        .iter()
        .map(|s| address_words(s).len())
        .max()
        .unwrap_or(0);
    for s in &b.servers {
        let _ = writeln!(
            out,
            "  server {:<name_w$}  {:<addr_w$}  {}",
            s.name,
            address_words(s),
            server_line(s)
        );
    }
}

/// `127.0.0.1:80` (`127.0.0.1:+1` when it takes the client's port); a host name with what it resolved to at start: `localhost:80
/// (127.0.0.1)`, or `db:80 (unresolved: MAINT)`.
fn address_words(s: &Server) -> String {
    match &s.host {
        None => server_addr_words(s),
        Some(h) if h.resolved => format!("{}{} ({})", h.name, port_words(s), s.addr.ip()),
        Some(h) => format!("{}{} (unresolved: MAINT)", h.name, port_words(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_haproxy() {
        assert_eq!(fmt_duration(Duration::from_secs(3)), "3s");
        assert_eq!(fmt_duration(Duration::from_secs(60)), "1m");
        assert_eq!(fmt_duration(Duration::from_secs(90)), "90s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(fmt_duration(Duration::from_micros(100)), "100us");
        assert_eq!(fmt_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(fmt_duration(Duration::ZERO), "0ms");
    }

    #[test]
    fn describes_logs_sockets_and_server_extras() {
        let text = "global
    nbthread 2
    log 127.0.0.1 local6 debug
    log 10.0.0.1:5514 len 2048 format raw local0 info notice
    stats socket /run/lbtop.sock level admin mode 600
frontend f
    bind 127.0.0.1:80
    default_backend b
backend b
    log global
    log 10.0.0.2 user
    option allbackups
    option forwardfor if-none
    server s 127.0.0.1:81 check fastinter 500ms downinter 5s slowstart 1m
";
        let c = Config::parse(std::path::Path::new("d.cfg"), text).unwrap();
        let out = c.describe();
        for want in [
            "  nbthread         2\n",
            "  log              127.0.0.1:514 local6 debug\n",
            "  log              10.0.0.1:5514 len 2048 format raw local0 info notice\n",
            "  stats socket     /run/lbtop.sock level admin mode 600\n",
            "  log              (none)\n",
            "  log              global, 10.0.0.2:514 user debug\n",
            "allbackups, forwardfor if-none",
            "check inter 2s fall 3 rise 2  fastinter 500ms  downinter 5s  slowstart 1m",
        ] {
            assert!(out.contains(want), "missing {want:?} in:\n{out}");
        }
    }

    #[test]
    fn describes_the_default_config() {
        let path = crate::config::testkit::repo_root().join("config.toml");
        let config = Config::load(&path).expect("config.toml loads");
        let text = config.describe();
        for want in [
            "frontend main  (line ",
            "  bind             127.0.0.1:8080",
            "  default_backend  hoge",
            "  maxconn          3000",
            "httpchk GET /health_check.html HTTP/1.0 (User-agent: Proxy-Check)",
            "  check            tcp connect",
            "  server web10  127.0.0.1:8010  weight 1  check inter 3s fall 2 rise 2",
            "forwardfor except 127.0.0.1/32",
            "http-request 10s",
            "queue 1m",
            "[not used in tcp mode: httplog, http-server-close, forwardfor]",
            "traffic 5/s per frontend to main, main_l4, running at start",
            "  refresh          250ms",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
    }
}
