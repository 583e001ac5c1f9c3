//! `lbtop export`: any configuration lbtop accepts, written back as an equivalent haproxy.cfg.
//!
//! The simplest form that is right: no `defaults` section, every proxy written out in full
//! with only the keywords its side can use (a frontend gets `timeout client`, a backend gets
//! `retries`, ...), so HAProxy warns about nothing it would ignore. Health checks use the
//! modern form (`option httpchk` plus `http-check send`). Words are quoted and escaped so
//! HAProxy's tokenizer reads them back unchanged. What HAProxy has no word for (lbtop's demo
//! servers and traffic, the dashboard's `[ui]`, and the load-time warnings) becomes comments.

use super::describe::{fmt_duration, log_target_args};
use super::haproxy::export_server;
use super::{
    Backend, Bind, Config, Frontend, HashType, HealthCheck, HttpReuse, LogTarget, Mode, Options,
    Resolvers, Server, StatsPage,
};
use std::fmt::Write as _;
use std::net::SocketAddr;

/// Indentation of the keywords inside a section.
const IN: &str = "    ";

#[path = "export_check.rs"]
mod check_export;
#[path = "export_rules.rs"]
mod rules_export;

impl Config {
    /// An haproxy.cfg that HAProxy 2.6 accepts and that means what this configuration means.
    pub fn to_haproxy_cfg(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# haproxy.cfg written by `lbtop export` from {}",
            one_line(&self.source.display().to_string())
        );
        out.push_str("# Every proxy is written out in full, so there is no defaults section.\n");
        if !self.warnings.is_empty() {
            out.push_str("#\n# lbtop loaded it with these warnings:\n");
            for w in &self.warnings {
                let _ = writeln!(out, "#   line {}: {}", w.line, one_line(&w.message));
            }
        }

        out.push_str("\nglobal\n");
        if let Some(m) = self.global.maxconn {
            let _ = writeln!(out, "{IN}maxconn {m}");
        }
        if let Some(n) = self.global.nbthread {
            let _ = writeln!(out, "{IN}nbthread {n}");
        }
        if self.global.spread_checks > 0 {
            let _ = writeln!(out, "{IN}spread-checks {}", self.global.spread_checks);
        }
        if let Some(d) = self.global.hard_stop_after {
            let _ = writeln!(out, "{IN}hard-stop-after {}", fmt_duration(d));
        }
        if let Some(base) = &self.global.server_state.base {
            let _ = writeln!(out, "{IN}server-state-base {}", quote_word(base));
        }
        if let Some(file) = &self.global.server_state.file {
            let _ = writeln!(out, "{IN}server-state-file {}", quote_word(file));
        }
        for t in &self.global.log {
            let _ = writeln!(out, "{IN}log {}", log_words(t));
        }
        match self.global.log_send_hostname.as_deref() {
            Some("") => {
                let _ = writeln!(out, "{IN}log-send-hostname");
            }
            Some(h) => {
                let _ = writeln!(out, "{IN}log-send-hostname {}", quote_word(h));
            }
            None => {}
        }
        log_tag(&mut out, &self.global.log_tag);
        for s in &self.global.stats_sockets {
            let mut line = format!("{IN}stats socket {} level {}", quote_word(&s.path), s.level);
            if let Some(m) = s.mode {
                let _ = write!(line, " mode {m:o}");
            }
            if s.expose_fd_listeners {
                line.push_str(" expose-fd listeners");
            }
            let _ = writeln!(out, "{line}");
        }
        if let Some(t) = self.global.stats_timeout {
            let _ = writeln!(out, "{IN}stats timeout {}", fmt_duration(t));
        }
        if let Some(n) = self.global.stats_maxconn {
            let _ = writeln!(out, "{IN}stats maxconn {n}");
        }

        for r in &self.global.resolvers {
            out.push('\n');
            export_resolvers(&mut out, r);
        }
        for u in &self.global.userlists {
            out.push('\n');
            u.export(&mut out);
        }
        for f in &self.frontends {
            out.push('\n');
            self.export_frontend(&mut out, f);
        }
        for b in self.backends.iter().filter(|b| !b.implicit) {
            out.push('\n');
            export_backend(&mut out, b);
        }
        if let Some(addr) = self.global.metrics {
            out.push('\n');
            let names: Vec<&str> = self.frontends.iter().map(|f| f.name.as_str()).collect();
            rules_export::metrics_frontend(&mut out, addr, &names);
        }

        if let Some(demo) = &self.demo {
            out.push_str("\n# lbtop's [demo] has no HAProxy equivalent. It was:\n");
            for s in &demo.servers {
                let _ = writeln!(
                    out,
                    "#   demo server {} {} root {}",
                    s.name,
                    s.bind,
                    one_line(&s.root.display().to_string())
                );
            }
            let names: Vec<&str> = demo
                .traffic
                .frontends
                .iter()
                .filter_map(|&i| self.frontends.get(i).map(|f| f.name.as_str()))
                .collect();
            let _ = writeln!(
                out,
                "#   demo traffic {}/s per frontend to {} ({} at start)",
                demo.traffic.rate,
                if names.is_empty() {
                    "(no frontend)".to_string()
                } else {
                    names.join(", ")
                },
                if demo.traffic.start {
                    "running"
                } else {
                    "stopped"
                }
            );
        }
        let _ = writeln!(
            out,
            "\n# lbtop's [ui] has no HAProxy equivalent: refresh {}",
            fmt_duration(self.ui.refresh)
        );
        out
    }

    fn export_frontend(&self, out: &mut String, f: &Frontend) {
        let _ = writeln!(out, "frontend {}", f.name);
        let _ = writeln!(out, "{IN}mode {}", f.mode);
        for b in &f.binds {
            let _ = writeln!(out, "{IN}bind {}", bind_line(b));
        }
        if let Some(m) = f.maxconn {
            let _ = writeln!(out, "{IN}maxconn {m}");
        }
        logs(out, f.log_global, &f.log);
        log_tag(out, &f.log_tag);
        let o = &f.options;
        // HAProxy falls back from httplog to tcplog in tcp mode: say so directly.
        if let Some(lf) = &o.log_format {
            let _ = writeln!(out, "{IN}log-format {}", quote_word(&lf.source));
        } else if o.httpslog && f.mode == Mode::Http {
            let _ = writeln!(out, "{IN}option httpslog");
        } else if o.httplog && f.mode == Mode::Http {
            let _ = writeln!(out, "{IN}option httplog");
        } else if o.tcplog || o.httplog {
            let _ = writeln!(out, "{IN}option tcplog");
        }
        if let Some(lf) = &o.unique_id_format {
            let _ = writeln!(out, "{IN}unique-id-format {}", quote_word(&lf.source));
        }
        if let Some(h) = &o.unique_id_header {
            let _ = writeln!(out, "{IN}unique-id-header {}", quote_word(h));
        }
        if o.clitcpka {
            let _ = writeln!(out, "{IN}option clitcpka");
        }
        for (name, on) in [
            ("dontlognull", o.dontlognull),
            ("dontlog-normal", o.dontlog_normal),
            ("log-separate-errors", o.log_separate_errors),
        ] {
            if on {
                let _ = writeln!(out, "{IN}option {name}");
            }
        }
        http_options(out, o, f.mode);
        captures(out, &f.captures);
        let t = &f.timeouts;
        for (name, v) in [
            ("client", t.client),
            ("http-request", t.http_request),
            ("http-keep-alive", t.http_keep_alive),
            ("tarpit", t.tarpit),
            ("client-fin", t.client_fin),
        ] {
            if let Some(d) = v {
                let _ = writeln!(out, "{IN}timeout {name} {}", fmt_duration(d));
            }
        }
        // After the ACLs: `stats admin` may name them.
        rules_export::rule_lines(out, &f.rules);
        stats_lines(out, f.stats.as_ref());
        if let Some(m) = &f.monitor {
            let _ = writeln!(out, "{IN}monitor-uri {}", quote_word(&m.uri));
            for c in &m.fail {
                let _ = writeln!(out, "{IN}monitor fail {c}");
            }
        }
        // A stats-only frontend's backend is lbtop's own: HAProxy needs none.
        if let Some(b) = self.backends.get(f.default_backend).filter(|b| !b.implicit) {
            let _ = writeln!(out, "{IN}default_backend {}", b.name);
        }
    }
}

/// A `resolvers` section, every setting written out.
fn export_resolvers(out: &mut String, r: &Resolvers) {
    let _ = writeln!(out, "resolvers {}", r.name);
    for n in &r.nameservers {
        let _ = writeln!(out, "{IN}nameserver {} {}", n.name, n.addr);
    }
    let h = &r.hold;
    for (event, d) in [
        ("valid", h.valid),
        ("nx", h.nx),
        ("other", h.other),
        ("refused", h.refused),
        ("timeout", h.timeout),
        ("obsolete", h.obsolete),
    ] {
        let _ = writeln!(out, "{IN}hold {event} {}", fmt_duration(d));
    }
    let _ = writeln!(out, "{IN}timeout resolve {}", fmt_duration(r.resolve));
    let _ = writeln!(out, "{IN}timeout retry {}", fmt_duration(r.retry));
    let _ = writeln!(out, "{IN}resolve_retries {}", r.retries);
    if let Some(n) = r.accepted_payload_size {
        let _ = writeln!(out, "{IN}accepted_payload_size {n}");
    }
}

/// The `stick` rules, after the `acl` lines their conditions name.
fn stick_lines(out: &mut String, b: &Backend) {
    for r in &b.stick_rules {
        let cond = r
            .cond
            .as_ref()
            .map(|c| format!(" {}", rules_export::words(&c.words)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{IN}stick {} {}{cond}",
            r.when.as_str(),
            quote_word(&r.fetch.words())
        );
    }
}

fn export_backend(out: &mut String, b: &Backend) {
    let _ = writeln!(out, "backend {}", b.name);
    let _ = writeln!(out, "{IN}mode {}", b.mode);
    match &b.hash_header {
        Some(h) => {
            let _ = writeln!(out, "{IN}balance {}", quote_word(&format!("hdr({h})")));
        }
        None => {
            let _ = writeln!(out, "{IN}balance {}", b.balance.as_str());
        }
    }
    if b.hash_type != HashType::default() {
        let _ = writeln!(out, "{IN}hash-type {}", b.hash_type.words());
    }
    logs(out, b.log_global, &b.log);
    log_tag(out, &b.log_tag);
    server_state(out, &b.server_state);
    let o = &b.options;
    let _ = writeln!(out, "{IN}retries {}", o.retries);
    if o.http_reuse != HttpReuse::default() {
        let _ = writeln!(out, "{IN}http-reuse {}", o.http_reuse.as_str());
    }
    for (name, on) in [
        ("redispatch", o.redispatch),
        ("abortonclose", o.abortonclose),
        ("prefer-last-server", o.prefer_last_server),
        ("persist", o.persist),
        ("allbackups", o.allbackups),
        ("srvtcpka", o.srvtcpka),
        ("log-health-checks", o.log_health_checks),
    ] {
        if on {
            let _ = writeln!(out, "{IN}option {name}");
        }
    }
    if o.disable_on_404 {
        let _ = writeln!(out, "{IN}http-check disable-on-404");
    }
    http_options(out, o, b.mode);
    if let Some(t) = &b.stick_table {
        let _ = writeln!(out, "{IN}stick-table {}", t.words());
    }
    if let Some(c) = &b.cookie {
        let words: Vec<String> = c.words().iter().map(|w| quote_word(w)).collect();
        let _ = writeln!(out, "{IN}cookie {}", words.join(" "));
    }
    match &b.check {
        HealthCheck::Http(c) => out.push_str(&check_export::httpchk_lines(c)),
        HealthCheck::Rules(rules) => out.push_str(&check_export::tcp_check_lines(rules)),
        HealthCheck::Proto(p) => {
            let _ = writeln!(out, "{IN}option {}", p.option_words());
        }
        HealthCheck::Tcp => {}
    }
    let t = &b.timeouts;
    for (name, v) in [
        ("connect", t.connect),
        ("server", t.server),
        ("queue", t.queue),
        ("check", t.check),
        ("http-request", t.http_request),
        ("http-keep-alive", t.http_keep_alive),
        ("tarpit", t.tarpit),
        ("tunnel", t.tunnel),
        ("server-fin", t.server_fin),
    ] {
        if let Some(d) = v {
            let _ = writeln!(out, "{IN}timeout {name} {}", fmt_duration(d));
        }
    }
    rules_export::rule_lines(out, &b.rules);
    stick_lines(out, b);
    stats_lines(out, b.stats.as_ref());
    for s in &b.servers {
        let _ = writeln!(out, "{IN}server {}", server_words(s));
    }
}

/// A proxy's `stats` keywords, one per line.
fn server_state(out: &mut String, s: &super::ServerStateFrom) {
    if s.load != super::LoadState::None {
        let _ = writeln!(out, "{IN}load-server-state-from-file {}", s.load.as_str());
    }
    if let Some(name) = &s.file_name {
        let _ = writeln!(out, "{IN}server-state-file-name {}", quote_word(name));
    }
}

fn stats_lines(out: &mut String, page: Option<&StatsPage>) {
    let Some(p) = page else {
        return;
    };
    let mut lines = vec!["enable".to_string(), format!("uri {}", quote_word(&p.uri))];
    if let Some(r) = &p.realm {
        lines.push(format!("realm {}", quote_word(r)));
    }
    for (user, pass) in &p.auth {
        lines.push(format!("auth {}", quote_word(&format!("{user}:{pass}"))));
    }
    if let Some(d) = p.refresh {
        lines.push(format!("refresh {}", fmt_duration(d)));
    }
    for (on, word) in [
        (p.hide_version, "hide-version"),
        (p.show_legends, "show-legends"),
    ] {
        if on {
            lines.push(word.to_string());
        }
    }
    for (value, word) in [(&p.show_node, "show-node"), (&p.show_desc, "show-desc")] {
        match value.as_deref() {
            Some("") => lines.push(word.to_string()),
            Some(v) => lines.push(format!("{word} {}", quote_word(v))),
            None => {}
        }
    }
    for s in &p.scope {
        lines.push(format!("scope {}", quote_word(s)));
    }
    if let Some(a) = &p.admin {
        lines.push(format!("admin {}", rules_export::words(&a.0.words)));
    }
    for l in lines {
        let _ = writeln!(out, "{IN}stats {l}");
    }
}

/// `log global` and the proxy's own targets.
fn logs(out: &mut String, global: bool, targets: &[LogTarget]) {
    if global {
        let _ = writeln!(out, "{IN}log global");
    }
    for t in targets {
        let _ = writeln!(out, "{IN}log {}", log_words(t));
    }
}

fn log_tag(out: &mut String, tag: &Option<String>) {
    if let Some(t) = tag {
        let _ = writeln!(out, "{IN}log-tag {}", quote_word(t));
    }
}

/// `compression` as its three keywords, each list on one line.
fn compression_lines(out: &mut String, c: &crate::config::Compression) {
    if !c.algos.is_empty() {
        let names: Vec<&str> = c.algos.iter().map(|a| a.name()).collect();
        let _ = writeln!(out, "{IN}compression algo {}", names.join(" "));
    }
    if !c.types.is_empty() {
        let types: Vec<String> = c.types.iter().map(|t| quote_word(t)).collect();
        let _ = writeln!(out, "{IN}compression type {}", types.join(" "));
    }
    if c.offload {
        let _ = writeln!(out, "{IN}compression offload");
    }
}

/// The HTTP options both sides of a proxy use (none in tcp mode, where HAProxy ignores them).
fn http_options(out: &mut String, o: &Options, mode: Mode) {
    if mode == Mode::Tcp {
        return;
    }
    if o.http_server_close {
        let _ = writeln!(out, "{IN}option http-server-close");
    }
    if o.httpclose {
        let _ = writeln!(out, "{IN}option httpclose");
    }
    if let Some(c) = &o.compression {
        compression_lines(out, c);
    }
    if o.http_pretend_keepalive {
        let _ = writeln!(out, "{IN}option http-pretend-keepalive");
    }
    if let Some(ff) = &o.forwardfor {
        let mut line = format!("{IN}option forwardfor");
        if let Some(net) = ff.except {
            let _ = write!(line, " except {net}");
        }
        if ff.header != "x-forwarded-for" {
            let _ = write!(line, " header {}", quote_word(&ff.header));
        }
        if ff.if_none {
            line.push_str(" if-none");
        }
        let _ = writeln!(out, "{line}");
    }
    for f in &o.errorfiles {
        let _ = writeln!(out, "{IN}errorfile {} {}", f.status, quote_word(&f.path));
    }
}

/// `web10 127.0.0.1:8010 check inter 3s fall 2 rise 2 ...`: the parameters come from the
/// server keyword table, in its order. A server written with a host name keeps it (HAProxy
/// resolves it again at start), not the address it resolved to.
fn server_words(s: &Server) -> String {
    let addr = match &s.host {
        Some(h) => format!("{}{}", h.name, port_words(s)),
        None => server_addr_words(s),
    };
    let mut w = vec![s.name.clone(), addr];
    w.extend(export_server(s));
    w.join(" ")
}

/// An IP server address; without its port, or with `+N`/`-N`, when it takes the port the
/// client reached (docs/haproxy-semantics.md §36).
pub(super) fn server_addr_words(s: &Server) -> String {
    match s.addr {
        SocketAddr::V6(a) => format!("[{}]{}", a.ip(), port_words(s)),
        SocketAddr::V4(a) => format!("{}{}", a.ip(), port_words(s)),
    }
}

/// `:80`; nothing, `:+N` or `:-N` for a port that follows the client's.
pub(super) fn port_words(s: &Server) -> String {
    match s.port_offset {
        None => format!(":{}", s.addr.port()),
        Some(0) => String::new(),
        Some(n) if n > 0 => format!(":+{n}"),
        Some(n) => format!(":{n}"),
    }
}

/// One socket and its options.
fn bind_line(b: &Bind) -> String {
    let mut w = vec![bind_words(b.addr)];
    match b.v6only {
        Some(true) => w.push("v6only".into()),
        Some(false) => w.push("v4v6".into()),
        None => {}
    }
    let flags = [
        (b.accept_proxy, "accept-proxy"),
        (b.defer_accept, "defer-accept"),
        (b.tfo, "tfo"),
    ];
    w.extend(flags.iter().filter(|f| f.0).map(|f| f.1.to_string()));
    if let Some(n) = &b.name {
        w.push(format!("name {}", quote_word(n)));
    }
    let values = [("id", b.id), ("backlog", b.backlog), ("maxconn", b.maxconn)];
    for (kw, v) in values {
        if let Some(v) = v {
            w.push(format!("{kw} {v}"));
        }
    }
    if let Some(tls) = &b.tls {
        w.extend(tls.words());
    }
    w.join(" ")
}

/// `*:80` for every IPv4 address, `[::1]:80`, `127.0.0.1:8080`.
fn bind_words(a: SocketAddr) -> String {
    if a.ip() == std::net::Ipv4Addr::UNSPECIFIED {
        format!("*:{}", a.port())
    } else {
        a.to_string()
    }
}

fn log_words(t: &LogTarget) -> String {
    log_target_args(t)
}

/// A word HAProxy's tokenizer reads back as exactly `w`: as it is when it holds nothing
/// special, else in double quotes with `"`, `\`, `$` and control characters escaped.
pub(crate) fn quote_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.bytes()
            .all(|b| b > b' ' && b != 0x7f && !b"\"'\\#$".contains(&b));
    if plain {
        return w.to_string();
    }
    let mut s = String::with_capacity(w.len() + 2);
    s.push('"');
    for c in w.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '$' => s.push_str("\\$"),
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn captures(out: &mut String, c: &super::Captures) {
    for (side, list) in [("request", &c.request), ("response", &c.response)] {
        for cap in list {
            let name = quote_word(&cap.name);
            let _ = writeln!(out, "{IN}capture {side} header {name} len {}", cap.len);
        }
    }
    if let Some(cap) = &c.cookie {
        let name = quote_word(&cap.name);
        let _ = writeln!(out, "{IN}capture cookie {name} len {}", cap.len);
    }
}

/// Comment text stays on its line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::super::haproxy::tokenize_line;
    use super::*;
    use std::path::Path;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn quoted_words_read_back_unchanged() {
        for w in [
            "plain",
            "",
            "two words",
            "a\"b",
            "back\\slash",
            "hash#tag",
            "it's",
            "$HOME",
            "${X}",
            "tab\there",
            "cr\r\nlf",
            "nul\0byte",
            "del\x7f",
            "ロードバランサ",
            "\\x41",
        ] {
            let line = format!("kw {} end", quote_word(w));
            let words = tokenize_line(&line, &no_env).unwrap();
            assert_eq!(words, ["kw", w, "end"], "{line:?}");
        }
        assert_eq!(quote_word("GET"), "GET");
        assert_eq!(quote_word("a b"), "\"a b\"");
    }

    #[test]
    fn quoting_survives_random_words() {
        // A tiny deterministic PRNG (xorshift64*).
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let alphabet: Vec<char> = " \t\r\n\"'\\#$x{}[]*-.:éロ\0\x0b\x0c\x7fab"
            .chars()
            .collect();
        for _ in 0..2000 {
            let len = (next() % 12) as usize;
            let w: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let words = tokenize_line(&format!("k {}", quote_word(&w)), &no_env).unwrap();
            let expected: Vec<&str> = if w.is_empty() {
                vec!["k"]
            } else {
                vec!["k", &w]
            };
            assert_eq!(words, expected, "{w:?}");
        }
    }

    /// Keeps what a side of a proxy uses, so a config and its export compare equal.
    fn normalized(c: &Config) -> Config {
        let mut c = c.clone();
        c.warnings.clear();
        c.demo = None;
        c.source = Default::default();
        for r in &mut c.global.resolvers {
            r.line = 0;
        }
        for u in &mut c.global.userlists {
            u.line = 0;
            u.groups.iter_mut().for_each(|g| g.line = 0);
            u.users.iter_mut().for_each(|x| x.line = 0);
        }
        for f in &mut c.frontends {
            let o = &mut f.options;
            let http = f.mode == Mode::Http;
            *o = Options {
                httplog: o.httplog && http,
                httpslog: o.httpslog && http,
                tcplog: (o.tcplog || o.httplog) && !(o.httplog && http),
                dontlognull: o.dontlognull,
                clitcpka: o.clitcpka,
                http_pretend_keepalive: o.http_pretend_keepalive && http,
                dontlog_normal: o.dontlog_normal,
                log_separate_errors: o.log_separate_errors,
                http_server_close: o.http_server_close && http,
                httpclose: o.httpclose && http,
                compression: o.compression.clone().filter(|_| http),
                forwardfor: o.forwardfor.clone().filter(|_| http),
                log_format: o
                    .log_format
                    .clone()
                    .map(|lf| super::super::LineFormat { line: 0, ..lf }),
                unique_id_format: o
                    .unique_id_format
                    .clone()
                    .map(|lf| super::super::LineFormat { line: 0, ..lf }),
                unique_id_header: o.unique_id_header.clone(),
                ..Options::default()
            };
            let t = &mut f.timeouts;
            *t = super::super::Timeouts {
                client: t.client,
                http_request: t.http_request,
                http_keep_alive: t.http_keep_alive,
                tarpit: t.tarpit,
                client_fin: t.client_fin,
                ..Default::default()
            };
            f.line = 0;
            for b in &mut f.binds {
                b.line = 0;
            }
            if let Some(p) = &mut f.stats {
                p.line = 0;
            }
            if let Some(m) = &mut f.monitor {
                m.line = 0;
            }
            f.rules.acls.iter_mut().for_each(|a| a.line = 0);
        }
        for b in &mut c.backends {
            let o = &mut b.options;
            if b.mode == Mode::Tcp {
                o.http_server_close = false;
                o.httpclose = false;
                o.compression = None;
                o.http_pretend_keepalive = false;
                o.forwardfor = None;
            }
            o.httplog = false;
            o.httpslog = false;
            o.tcplog = false;
            o.log_format = None;
            o.unique_id_format = None;
            o.unique_id_header = None;
            o.dontlognull = false;
            o.clitcpka = false;
            o.dontlog_normal = false;
            o.log_separate_errors = false;
            b.timeouts.client = None;
            b.timeouts.client_fin = None;
            b.line = 0;
            if let Some(p) = &mut b.stats {
                p.line = 0;
            }
            b.rules.acls.iter_mut().for_each(|a| a.line = 0);
            for s in &mut b.servers {
                s.line = 0;
            }
            if let Some(k) = &mut b.cookie {
                k.line = 0;
            }
            if let Some(t) = &mut b.stick_table {
                t.line = 0;
            }
            for r in &mut b.stick_rules {
                r.line = 0;
            }
        }
        c
    }

    #[test]
    fn cookies_and_stick_tables_round_trip() {
        let text = "defaults\n    mode http\n\
            backend b\n    option persist\n    \
            cookie SRV insert indirect nocache postonly preserve httponly secure domain .a.com \
            attr \"SameSite=Lax\"\n    \
            stick-table type string len 8 size 10k expire 2s nopurge\n    \
            stick on src\n    stick match req.cook(u)\n    stick store-request req.hdr(x-u)\n    \
            server s 127.0.0.1:80 cookie c1\n\
            backend p\n    cookie P prefix\n    server s 127.0.0.1:80 cookie a\n";
        let c = Config::parse(Path::new("s.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        for want in [
            "    option persist\n",
            "    cookie SRV insert indirect nocache postonly preserve httponly secure domain .a.com attr SameSite=Lax\n",
            "    stick-table type string len 8 size 10240 expire 2000ms nopurge\n",
            "    stick match req.cook(u)\n",
            "    server s 127.0.0.1:80 cookie c1",
            "    cookie P prefix\n",
        ] {
            assert!(out.contains(want), "missing {want:?} in:\n{out}");
        }
        round_trip(&c);
    }

    #[test]
    fn servers_that_follow_the_client_round_trip() {
        let text = "listen l\n    mode tcp\n    bind 127.0.0.1:20000-20001\n    \
            server a 10.0.0.1\n    server b 10.0.0.2:+100\n    server c [::1]:-10\n    \
            server d *:80\n    server e 10.0.0.3:0\n    server g localhost:+3\n    \
            server f 10.0.0.4:443 check check-ssl verify none check-sni a.example\n";
        let c = Config::parse(Path::new("s.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        for want in [
            "    server a 10.0.0.1\n",
            "    server b 10.0.0.2:+100\n",
            "    server c [::1]:-10\n",
            "    server d 0.0.0.0:80\n",
            "    server e 10.0.0.3\n",
            "    server g localhost:+3\n",
            "check-ssl check-sni a.example",
        ] {
            assert!(out.contains(want), "missing {want:?} in:\n{out}");
        }
        round_trip(&c);
    }

    fn round_trip(c: &Config) {
        let text = c.to_haproxy_cfg();
        let back = Config::parse(Path::new("export.cfg"), &text)
            .unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
        // The export warns only about what lbtop does not apply yet (and keeps for HAProxy).
        let not_applied = |w: &super::super::Warning| {
            w.message
                .contains("is accepted but lbtop does not apply it yet")
        };
        assert!(
            back.warnings.iter().all(not_applied),
            "{:?}\n---\n{text}",
            back.warnings
        );
        let (a, b) = (normalized(c), normalized(&back));
        assert_eq!(a.global, b.global);
        assert_eq!(a.frontends, b.frontends, "\n---\n{text}");
        assert_eq!(a.backends, b.backends, "\n---\n{text}");
    }

    #[test]
    fn the_default_config_round_trips() {
        let path = crate::config::testkit::repo_root().join("config.toml");
        let c = Config::load(&path).unwrap();
        let text = c.to_haproxy_cfg();
        for want in [
            "frontend main\n    mode http\n    bind 127.0.0.1:8080\n",
            "    option httpchk\n    http-check send meth GET uri /health_check.html ver HTTP/1.0 hdr User-agent Proxy-Check\n",
            "    server web10 127.0.0.1:8010 check inter 3s fall 2 rise 2\n",
            "    option forwardfor except 127.0.0.1/32\n",
            "#   demo server web10 127.0.0.1:8010 root ",
            "# lbtop's [ui] has no HAProxy equivalent: refresh 250ms",
            "    default_backend hoge_l4\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
        round_trip(&c);
    }

    #[test]
    fn the_seed_configs_round_trip() {
        for name in ["haproxy.cfg", "haproxy-loopback.cfg"] {
            let Some(path) = crate::config::testkit::seed_path(name) else {
                continue;
            };
            let c = Config::load(&path).unwrap();
            let text = c.to_haproxy_cfg();
            assert!(text.contains("    bind "), "{text}");
            assert!(!text.contains("\n    chroot"), "{text}");
            round_trip(&c);
        }
        if let Some(path) = crate::config::testkit::seed_path("haproxy.cfg") {
            let text = Config::load(&path).unwrap().to_haproxy_cfg();
            for want in [
                "global\n    maxconn 4000\n    log 127.0.0.1:514 local6 debug\n    stats socket /var/lib/haproxy/stats level operator\n",
                "frontend main\n    mode http\n    bind *:80\n    maxconn 3000\n    log global\n",
                "#   line 16: 'chroot' ignored",
                "    server web11 192.168.33.11:80 check inter 3s fall 2 rise 2\n",
            ] {
                assert!(text.contains(want), "missing {want:?} in:\n{text}");
            }
        }
    }

    #[test]
    fn monitor_and_httpclose_round_trip() {
        let text = "defaults\n    mode http\n    monitor-uri /healthz\n    option httpclose\n\
            frontend f\n    bind 127.0.0.1:8405\n    acl dead nbsrv(b) lt 1\n    \
            monitor fail if dead\n    monitor fail unless { src 127.0.0.1 }\n    \
            default_backend b\n\
            backend b\n    option http-server-close\n    compression algo gzip raw-deflate\n    \
            compression type text/html \"text/plain; charset=utf-8\"\n    compression offload\n    \
            server s 127.0.0.1:80\n";
        let c = Config::parse(Path::new("a.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        let want = "    acl dead nbsrv(b) lt 1\n    monitor-uri /healthz\n    \
            monitor fail if dead\n    monitor fail unless { src 127.0.0.1 }\n";
        assert!(out.contains(want), "{out}");
        assert!(out.contains("    option httpclose\n"), "{out}");
        assert!(out.contains("    option http-server-close\n"), "{out}");
        assert!(
            out.contains("    compression algo gzip raw-deflate\n"),
            "{out}"
        );
        assert!(out.contains("    compression offload\n"), "{out}");
        round_trip(&c);
    }

    #[test]
    fn stats_admin_conditions_round_trip() {
        let text = "defaults\n    mode http\n\
            listen st\n    bind 127.0.0.1:8404\n    acl local_net src 192.168.0.0/16\n    \
            stats admin if local_net || { src 10.0.0.0/8 } !METH_GET\n    \
            server s 127.0.0.1:80\n\
            frontend f\n    bind 127.0.0.1:8405\n    stats admin unless LOCALHOST\n    \
            default_backend st\n";
        let c = Config::parse(Path::new("a.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        let want = "    acl local_net src 192.168.0.0/16\n    stats enable\n    stats uri \
            /haproxy?stats\n    stats admin if local_net || { src 10.0.0.0/8 } !METH_GET\n";
        assert!(out.contains(want), "{out}");
        assert!(out.contains("    stats admin unless LOCALHOST\n"), "{out}");
        round_trip(&c);
    }

    #[test]
    fn userlists_round_trip() {
        let text = "userlist admins\n    group ops users alice\n    group dev\n    \
            user alice password $5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3\n    \
            user bob insecure-password \"pa ss#word\" groups dev,ops\n    \
            user carol insecure-password x\n\
            userlist other\n    user z insecure-password y\n\
            backend b\n    server s 127.0.0.1:80\n";
        let c = Config::parse(Path::new("u.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        let want = "userlist admins\n    group ops\n    group dev\n    \
            user alice password \"\\$5\\$saltsalt\\$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3\" \
            groups ops\n    user bob insecure-password \"pa ss#word\" groups ops,dev\n    \
            user carol insecure-password x\n\nuserlist other\n";
        assert!(out.contains(want), "{out}");
        round_trip(&c);
    }

    #[test]
    fn resolvers_sections_and_server_resolvers_round_trip() {
        let text = "resolvers dns\n    nameserver ns1 127.0.0.1:5353\n    nameserver ns2 udp@127.0.0.2:53\n    \
            hold valid 3s\n    hold nx 7s\n    timeout resolve 2s\n    resolve_retries 5\n\
            backend b\n    server s localhost:80 resolvers dns resolve-prefer ipv4 \
            resolve-opts allow-dup-ip,ignore-weight init-addr none\n";
        let c = Config::parse(Path::new("r.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        assert!(out.contains("resolvers dns\n    nameserver ns1 127.0.0.1:5353\n    nameserver ns2 127.0.0.2:53\n    hold valid 3s\n    hold nx 7s\n"), "{out}");
        assert!(
            out.contains(
                " resolvers dns resolve-prefer ipv4 resolve-opts allow-dup-ip,ignore-weight"
            ),
            "{out}"
        );
        round_trip(&c);
        let c = Config::parse(
            Path::new("r.cfg"),
            "resolvers d\n    accepted_payload_size 8192\n",
        )
        .unwrap();
        assert!(c
            .to_haproxy_cfg()
            .contains("    accepted_payload_size 8192\n"));
    }

    #[test]
    fn server_state_keywords_round_trip() {
        let c = Config::parse(
            Path::new("s.cfg"),
            "global\n    server-state-base /var/state\n    server-state-file \"all state\"\n\
             defaults\n    load-server-state-from-file global\n\
             backend a\n    server s 127.0.0.1:1\n\
             backend b\n    load-server-state-from-file local\n    server-state-file-name b.st\n\
             backend c\n    load-server-state-from-file none\n    server-state-file-name use-backend-name\n",
        )
        .unwrap();
        let out = c.to_haproxy_cfg();
        assert!(
            out.contains("    server-state-file \"all state\"\n"),
            "{out}"
        );
        assert!(out.contains("    server-state-file-name b.st\n"), "{out}");
        assert_eq!(
            c.backends[0].server_state.load,
            super::super::LoadState::Global
        );
        assert_eq!(c.backends[2].server_state, Default::default());
        round_trip(&c);
        let (path, global) = c
            .global
            .server_state
            .file_for("b", &c.backends[1].server_state)
            .unwrap();
        assert_eq!((path.to_str().unwrap(), global), ("/var/state/b.st", false));
    }

    #[test]
    fn everything_the_model_holds_round_trips() {
        let text = r#"
global
    maxconn 100
    nbthread 4
    log 127.0.0.1:5514 len 2048 format rfc5424 local0 info notice
    log [::1]:514 local7 err
    log stdout format raw local0
    log "/run/a dir/log" local1 notice
    log unix@rel/sock format local local2
    log fd@5 format iso local3
    log-send-hostname
    log-tag "my tag"
    stats socket "/tmp/a dir/lbtop.sock" level admin mode 660
    stats socket ipv4@127.0.0.1:9999 level user expose-fd listeners
    stats timeout 1m
    stats maxconn 3
defaults
    mode http
    log global
    log 10.0.0.1 daemon
    log-tag dtag
    option dontlog-normal
    option log-separate-errors
    option forwardfor except 10.0.0.0/8 header X-Client if-none
    option allbackups
    timeout client 5s
    timeout connect 1500ms
    timeout tunnel 1h
    timeout client-fin 2s
    timeout server-fin 3s
listen web
    bind [::1]:8080
    bind 127.0.0.1:8081,127.0.0.1:8090-8091 accept-proxy name "edge one" backlog 64 maxconn 9
    bind :::8082 v4v6 defer-accept tfo id 12
    bind ipv6@:8083 v6only
    log-tag web
    option http-server-close
    option http-pretend-keepalive
    maxconn 50
    balance static-rr
    option tcplog
    option httpchk POST "/a#frag" HTTP/1.1
    http-check send hdr Host "example.com" hdr X-Dollar "\$1 #2"
    server a 127.0.0.1:1 check inter 1s fastinter 200ms downinter 5s fall 1 rise 9 weight 0 backup maxconn 7 disabled slowstart 1m
    server b [::1]:2 inter 3s send-proxy check-send-proxy
    server v2 127.0.0.1:4 send-proxy-v2
listen stats
    mode http
    bind 127.0.0.1:8404
    stats uri /st
    stats realm "My Realm"
    stats auth admin:p#ss
    stats auth b:c
    stats refresh 10
    stats hide-version
    stats show-legends
    stats show-node
    stats show-desc "a b"
    stats scope web
    stats scope .
    stats admin if LOCALHOST
frontend page
    mode http
    bind 127.0.0.1:8405
    stats enable
frontend logged
    mode http
    bind 127.0.0.1:8406
    log-format "%{+Q}o %ci:%cp\ [%tr] \"\$x\" %% %hr"
    unique-id-format %{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    unique-id-header X-Unique-ID
    capture request header Host len 20
    capture request header "X-A B" len 5
    capture response header Content-Type len 30
    capture cookie SID= len 32
    default_backend web
frontend tcp
    mode tcp
    bind *:9000
    no log
    option clitcpka
    default_backend t
backend t
    mode tcp
    balance first
    hash-type consistent wt6 avalanche
    retries 0
    option tcp-check
    option srvtcpka
    tcp-check comment "say hi"
    tcp-check connect port 6379
    tcp-check send "PING\r\n"
    tcp-check send-binary 0d0A
    tcp-check expect ! rstring "^-ERR x"
    tcp-check expect binary 2b504f4e47
    server c 127.0.0.1:3
backend m
    mode tcp
    option smtpchk EHLO lb.example.com
    server m 127.0.0.1:4
backend r
    mode tcp
    option redis-check
    server r 127.0.0.1:5
backend p
    mode tcp
    option pgsql-check user "pg user"
    server p 127.0.0.1:6
backend y
    mode tcp
    option mysql-check user hc pre-41
    server y 127.0.0.1:7
backend l
    mode tcp
    option ldap-check
    server l 127.0.0.1:8
backend s
    mode tcp
    option ssl-hello-chk
    server s 127.0.0.1:9
"#;
        let c = Config::parse(Path::new("all.cfg"), text).unwrap();
        round_trip(&c);
    }

    /// A server written with a host name exports with the name (HAProxy resolves it again),
    /// its `init-addr` with it; `server-template` exports as the servers it made.
    #[test]
    fn host_names_export_as_names() {
        let text = "
frontend f
    bind 127.0.0.1:8080
    default_backend b
backend b
    server a localhost:81 check
    server b nosuchhost.invalid:82 init-addr none
    server c nosuchhost.invalid:83 init-addr 127.0.0.9
    server-template t 2 localhost:84
";
        let c = Config::parse(Path::new("names.cfg"), text).unwrap();
        let out = c.to_haproxy_cfg();
        for want in [
            "    server a localhost:81 check",
            "    server b nosuchhost.invalid:82 init-addr none\n",
            "    server c nosuchhost.invalid:83 init-addr 127.0.0.9\n",
            "    server t1 localhost:84\n    server t2 localhost:84\n",
        ] {
            assert!(out.contains(want), "missing {want:?} in:\n{out}");
        }
        round_trip(&c);
    }
}
