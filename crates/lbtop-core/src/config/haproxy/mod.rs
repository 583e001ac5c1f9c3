//! The HAProxy front end: `haproxy.cfg` → [`Config`].
//!
//! Two small, hand-written layers:
//!
//! - [`tokenize_line`] splits one line into words exactly as HAProxy 2.6 does (`parse_line()` in
//!   `src/tools.c`): blanks separate words; `"..."` and `'...'` quote (also in the middle of a
//!   word); outside single quotes a backslash escapes ` `, `\`, `#`, `"`, `'` and makes `\t`,
//!   `\n`, `\r` and `\xHH` the bytes they name (`\$` only inside double quotes; any other
//!   backslash stays as it is); `#` outside quotes starts a comment; a CR ends the line;
//!   `"$NAME"`, `"${NAME}"`, `"${NAME-default}"` and `"${NAME[*]}"` expand environment
//!   variables inside double quotes (plus `.LINE` and `.FILE`); at most 64 words a line.
//! - [`Parser`] reads statements into sections (`global`, `defaults`, `frontend`, `backend`,
//!   `listen`) with HAProxy's semantics: every `defaults` section starts from scratch and
//!   applies to the proxies after it (or to those naming it with `from`); a proxy starts
//!   as a copy of its defaults; a keyword a proxy cannot use (`retries` in a frontend,
//!   `maxconn` in a backend, ...) is ignored with HAProxy's warning.
//!
//! Every error names the file, the 1-based line and the keyword; nothing is half-loaded.
//! Things HAProxy accepts but lbtop has no use for (`chroot`, `user`, `daemon`, ...) load with
//! a [`Warning`] naming their line.

use super::suggest::closest;
use super::values::{
    balance_hdr, check_family, host_port, int, is_token, log_addr, octal_mode, parse_net,
    strip_family,
};
use super::{
    parse_duration, Backend, Balance, Config, ConfigError, ForwardFor, Frontend, Global,
    HealthCheck, HttpCheck, HttpReuse, LogFormat, LogTarget, Mode, Options, Server, StatsSocket,
    Timeouts, UiConfig, Warning,
};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The sections lbtop reads.
const SECTIONS: [&str; 5] = ["global", "defaults", "frontend", "backend", "listen"];

/// HAProxy sections lbtop does not read: an error rather than "unknown keyword".
const OTHER_SECTIONS: [&str; 13] = [
    "peers",
    "resolvers",
    "userlist",
    "program",
    "cache",
    "ring",
    "mailers",
    "http-errors",
    "log-forward",
    "fcgi-app",
    "crt-store",
    "traces",
    "namespace_list",
];

/// HAProxy's `MAX_LINE_ARGS`.
const MAX_WORDS: usize = 64;

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

pub(super) fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    parse_with_env(path, text, &|name| std::env::var(name).ok())
}

/// [`parse`] with environment variables looked up in `env` (tests pass a fixed map).
fn parse_with_env(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut p = Parser::new(path);
    let file = path.display().to_string();
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let lookup = |name: &str| match name {
            ".LINE" => Some(no.to_string()),
            ".FILE" => Some(file.clone()),
            _ if name.starts_with('.') => None,
            _ => env(name),
        };
        let words = tokenize_line(raw, &lookup).map_err(|m| p.err(no, m))?;
        if !words.is_empty() {
            p.statement(no, &words)?;
        }
    }
    p.finish()
}

// ---------------------------------------------------------------------------------------
// Words.

/// Splits one line into words as HAProxy does (see the module documentation). `env` answers
/// `$NAME` inside double quotes; an unknown name is empty, except internal `.NAME`s, which are
/// an error.
pub(super) fn tokenize_line(
    line: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    let b = line.as_bytes();
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let (mut squote, mut dquote) = (false, false);
    let mut quote_at = 0;
    let mut i = 0;
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    while i < b.len() {
        let c = b[i];
        match c {
            b'\0' => return Err(format!("NUL byte at column {}", i + 1)),
            b'\r' | b'\n' => break,
            b'#' if !squote && !dquote => break,
            b'"' if !squote => {
                dquote = !dquote;
                quote_at = i;
                i += 1;
            }
            b'\'' if !dquote => {
                squote = !squote;
                quote_at = i;
                i += 1;
            }
            b'\\' if !squote => {
                let (byte, used) = match b.get(i + 1) {
                    Some(&n @ (b' ' | b'\\' | b'#' | b'\'' | b'"')) => (n, 2),
                    Some(b'$') if dquote => (b'$', 2),
                    Some(b't') => (b'\t', 2),
                    Some(b'n') => (b'\n', 2),
                    Some(b'r') => (b'\r', 2),
                    Some(b'x') => {
                        let hex = b.get(i + 2..i + 4).and_then(|h| {
                            std::str::from_utf8(h)
                                .ok()
                                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                                .and_then(|h| u8::from_str_radix(h, 16).ok())
                        });
                        match hex {
                            Some(v) => (v, 4),
                            None => {
                                return Err(format!(
                                    "invalid or incomplete '\\x' escape at column {} \
                                     (two hex digits expected, e.g. \\x41)",
                                    i + 1
                                ))
                            }
                        }
                    }
                    // Not an escape: the backslash stays, the next byte is read normally.
                    _ => (b'\\', 1),
                };
                cur.push(byte);
                i += used;
            }
            b'$' if dquote => {
                i = expand_var(b, i, env, &mut words, &mut cur)?;
            }
            _ if is_blank(c) && !squote && !dquote => {
                words.push(std::mem::take(&mut cur));
                while i < b.len() && is_blank(b[i]) {
                    i += 1;
                }
            }
            _ => {
                cur.push(c);
                i += 1;
            }
        }
    }
    if squote || dquote {
        return Err(format!(
            "unmatched {} quote at column {}",
            if dquote { "double" } else { "single" },
            quote_at + 1
        ));
    }
    // As in HAProxy, an empty last word (trailing blanks, or a trailing `""`) does not count.
    if !cur.is_empty() {
        words.push(cur);
    }
    if words.len() > MAX_WORDS {
        return Err(format!(
            "too many words on one line ({}, HAProxy's limit is {MAX_WORDS}); \
             quote the ones that belong together",
            words.len()
        ));
    }
    words
        .into_iter()
        .enumerate()
        .map(|(n, w)| {
            String::from_utf8(w).map_err(|_| {
                format!(
                    "word {} is not valid UTF-8 once its '\\x' escapes are applied",
                    n + 1
                )
            })
        })
        .collect()
}

/// HAProxy's `isspace()` minus the line ends, which end the line before this is asked.
fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | 0x0b | 0x0c)
}

/// `$NAME`, `${NAME}`, `${NAME-default}` or `${NAME[*]}` starting at `b[at] == '$'` inside
/// double quotes; returns where reading resumes.
fn expand_var(
    b: &[u8],
    at: usize,
    env: &dyn Fn(&str) -> Option<String>,
    words: &mut Vec<Vec<u8>>,
    cur: &mut Vec<u8>,
) -> Result<usize, String> {
    let mut i = at + 1;
    let brace = b.get(i) == Some(&b'{');
    if brace {
        i += 1;
    }
    let start = i;
    match b.get(i) {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'.' => {}
        _ => {
            return Err(format!(
                "'$' at column {} does not start a variable name (write \\$ for a dollar sign)",
                at + 1
            ))
        }
    }
    if b[i] == b'.' {
        i += 1;
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    let name = std::str::from_utf8(&b[start..i]).unwrap_or_default();
    let mut value = env(name);
    if value.is_none() && name.starts_with('.') {
        return Err(format!(
            "unknown internal variable '{name}' (lbtop knows .LINE and .FILE)"
        ));
    }
    let mut split = false;
    if brace {
        if b.get(i) == Some(&b'[') {
            if b.get(i + 1..i + 3) != Some(b"*]") {
                return Err(format!(
                    "'${{{name}[' at column {} must be '${{{name}[*]}}'",
                    at + 1
                ));
            }
            split = true;
            i += 3;
        }
        if b.get(i) == Some(&b'-') {
            let end = b[i..].iter().position(|&c| c == b'}').map(|p| i + p);
            let Some(end) = end else {
                return Err(format!("unmatched '{{' at column {}", at + 2));
            };
            if value.is_none() {
                value = Some(String::from_utf8_lossy(&b[i + 1..end]).into_owned());
            }
            i = end;
        }
        if b.get(i) != Some(&b'}') {
            return Err(format!("unmatched '{{' at column {}", at + 2));
        }
        i += 1;
    }
    let value = value.unwrap_or_default();
    if split {
        let mut pieces = value
            .split(|c: char| c.is_ascii() && is_blank(c as u8))
            .peekable();
        while let Some(piece) = pieces.next() {
            cur.extend_from_slice(piece.as_bytes());
            if pieces.peek().is_some() && !piece.is_empty() {
                words.push(std::mem::take(cur));
            }
        }
    } else {
        cur.extend_from_slice(value.as_bytes());
    }
    Ok(i)
}

/// A listening address: `127.0.0.1:80`, `*:80`, `:80`, `[::1]:80`, `:::80`, `ipv4@…`.
fn bind_addr(s: &str) -> Result<SocketAddr, String> {
    if s.contains(',') {
        return Err(format!(
            "'{s}': lbtop listens on one address per frontend (no comma-separated lists)"
        ));
    }
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop listens on TCP addresses only (ip:port)"
        ));
    }
    let addr = host_port(rest, None, true).map_err(|e| format!("'{s}' {e}"))?;
    check_family(s, addr, family)
}

/// A server address: `192.168.33.10:80`, `[::1]:80`, `ipv6@::1:80`.
fn server_addr(s: &str) -> Result<SocketAddr, String> {
    let (rest, family) = strip_family(s, &["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"]);
    if rest.starts_with('/') || rest.contains('@') {
        return Err(format!(
            "'{s}': lbtop connects to TCP servers only (ip:port)"
        ));
    }
    let addr = host_port(rest, None, false).map_err(|e| format!("'{s}' {e}"))?;
    check_family(s, addr, family)
}

// ---------------------------------------------------------------------------------------
// Sections and keywords.

type Res<T> = Result<T, ConfigError>;

/// What a server line (or `default-server`) sets.
#[derive(Debug, Clone, PartialEq)]
struct ServerParams {
    weight: u32,
    check: bool,
    inter: Duration,
    fastinter: Option<Duration>,
    downinter: Option<Duration>,
    fall: u32,
    rise: u32,
    backup: bool,
    maxconn: Option<u32>,
    disabled: bool,
    slowstart: Option<Duration>,
}

impl Default for ServerParams {
    fn default() -> Self {
        ServerParams {
            weight: 1,
            check: false,
            inter: Server::DEFAULT_INTER,
            fastinter: None,
            downinter: None,
            fall: Server::DEFAULT_FALL,
            rise: Server::DEFAULT_RISE,
            backup: false,
            maxconn: None,
            disabled: false,
            slowstart: None,
        }
    }
}

/// Everything a `defaults` section sets, and so everything a proxy starts from.
#[derive(Debug, Clone, Default)]
struct Settings {
    mode: Option<Mode>,
    log_global: bool,
    log: Vec<LogTarget>,
    options: Options,
    maxconn: Option<u32>,
    timeouts: Timeouts,
    balance: Option<(Balance, Option<String>)>,
    /// `option httpchk` is on.
    httpchk: bool,
    /// The check request, from `option httpchk` and `http-check send`.
    request: Option<HttpCheck>,
    /// With its line.
    default_backend: Option<(String, usize)>,
    default_server: ServerParams,
    // What this very section did (reset when a proxy copies its defaults).
    /// The section wrote its own check rules: `http-check send` no longer starts afresh.
    own_rules: bool,
    /// Line of this section's `http-check send` (HAProxy takes one per rule set).
    own_send: Option<usize>,
    /// Which of `httplog`/`tcplog` this section set last.
    own_log_format: Option<&'static str>,
    /// Line of this section's first `http-check` rule, for "ignored" warnings.
    rules_line: Option<usize>,
}

impl Settings {
    /// What a new proxy (or `defaults ... from`) starts with.
    fn inherited(&self) -> Settings {
        Settings {
            own_rules: false,
            own_send: None,
            own_log_format: None,
            rules_line: self.rules_line,
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Defaults,
    Frontend,
    Backend,
    Listen,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Defaults => "defaults",
            Kind::Frontend => "frontend",
            Kind::Backend => "backend",
            Kind::Listen => "listen",
        }
    }
    /// HAProxy's frontend capability.
    fn fe(self) -> bool {
        self != Kind::Backend
    }
    /// HAProxy's backend capability.
    fn be(self) -> bool {
        self != Kind::Frontend
    }
}

struct Proxy {
    kind: Kind,
    name: String,
    line: usize,
    settings: Settings,
    /// The address and the line it came from.
    bind: Option<(SocketAddr, usize)>,
    servers: Vec<Server>,
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Global,
    Defaults,
    Proxy(usize),
}

/// What one statement in a `defaults`, `frontend`, `backend` or `listen` section is about.
struct Ctx {
    kind: Kind,
    /// `defaults`, `defaults 'web'`, `frontend 'main'`, ... for messages.
    who: String,
}

impl Ctx {
    /// HAProxy's "ignored because ... has no ... capability" for a keyword this section
    /// cannot use; `None` if it can.
    fn incapable(&self, fe: bool, be: bool, what: &str) -> Option<String> {
        if (fe && self.kind.fe()) || (be && self.kind.be()) {
            return None;
        }
        let missing = if fe { "frontend" } else { "backend" };
        Some(format!(
            "'{what}' ignored because {} has no {missing} capability",
            self.who
        ))
    }
}

/// Keywords of `defaults`, `frontend`, `backend` and `listen` sections that lbtop reads.
const PROXY_KEYWORDS: [&str; 19] = [
    "mode",
    "http-reuse",
    "log",
    "option",
    "no",
    "default",
    "http-check",
    "retries",
    "timeout",
    "maxconn",
    "balance",
    "default_backend",
    "default-server",
    "bind",
    "server",
    "description",
    "contimeout",
    "clitimeout",
    "srvtimeout",
];

/// HAProxy proxy keywords lbtop knows of but does not implement.
const PROXY_UNSUPPORTED: [&str; 51] = [
    "acl",
    "use_backend",
    "use-server",
    "http-request",
    "http-response",
    "http-after-response",
    "http-error",
    "tcp-request",
    "tcp-response",
    "tcp-check",
    "stick-table",
    "stick",
    "cookie",
    "hash-type",
    "hash-balance-factor",
    "fullconn",
    "errorfile",
    "errorfiles",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "monitor-uri",
    "monitor",
    "stats",
    "capture",
    "compression",
    "redirect",
    "id",
    "disabled",
    "enabled",
    "grace",
    "unique-id-format",
    "unique-id-header",
    "log-format",
    "log-format-sd",
    "error-log-format",
    "log-tag",
    "http-send-name-header",
    "source",
    "dispatch",
    "persist",
    "ignore-persist",
    "force-persist",
    "server-template",
    "email-alert",
    "external-check",
    "filter",
    "rate-limit",
    "declare",
    "backlog",
    "max-keep-alive-queue",
];

/// `option` names lbtop reads.
const OPTIONS: [&str; 12] = [
    "log-health-checks",
    "httplog",
    "tcplog",
    "dontlognull",
    "http-server-close",
    "http-keep-alive",
    "httpclose",
    "forwardfor",
    "redispatch",
    "allbackups",
    "httpchk",
    "tcp-check",
];

/// HAProxy options lbtop knows of but does not implement.
const OPTIONS_UNSUPPORTED: [&str; 40] = [
    "abortonclose",
    "accept-invalid-http-request",
    "accept-invalid-http-response",
    "checkcache",
    "clitcpka",
    "contstats",
    "disable-on-404",
    "external-check",
    "h1-case-adjust-bogus-client",
    "h1-case-adjust-bogus-server",
    "http-buffer-request",
    "http-ignore-probes",
    "http-no-delay",
    "http-pretend-keepalive",
    "http-restrict-req-hdr-names",
    "http-use-htx",
    "http-use-proxy-header",
    "http_proxy",
    "idle-close-on-response",
    "independent-streams",
    "ldap-check",
    "log-separate-errors",
    "logasap",
    "mysql-check",
    "nolinger",
    "originalto",
    "persist",
    "pgsql-check",
    "prefer-last-server",
    "redis-check",
    "smtpchk",
    "socket-stats",
    "splice-auto",
    "splice-request",
    "splice-response",
    "spop-check",
    "srvtcpka",
    "ssl-hello-chk",
    "tcpka",
    "transparent",
];

/// Global keywords lbtop reads.
const GLOBAL_KEYWORDS: [&str; 4] = ["log", "maxconn", "nbthread", "stats"];

/// Global keywords that configure things lbtop does not do: accepted with a warning.
const GLOBAL_IGNORED: [(&str, &str); 18] = [
    ("chroot", "lbtop does not chroot"),
    ("pidfile", "lbtop does not write a pid file"),
    ("user", "lbtop does not change user"),
    ("group", "lbtop does not change group"),
    ("uid", "lbtop does not change user"),
    ("gid", "lbtop does not change group"),
    ("daemon", "lbtop stays in the foreground"),
    ("node", "lbtop has no stats page to show it on"),
    ("description", "lbtop has no stats page to show it on"),
    (
        "ulimit-n",
        "lbtop does not change its file-descriptor limit",
    ),
    ("ca-base", "lbtop does not speak TLS"),
    ("crt-base", "lbtop does not speak TLS"),
    ("ssl-default-bind-ciphers", "lbtop does not speak TLS"),
    ("ssl-default-bind-ciphersuites", "lbtop does not speak TLS"),
    ("ssl-default-bind-options", "lbtop does not speak TLS"),
    ("ssl-default-server-ciphers", "lbtop does not speak TLS"),
    ("ssl-default-server-options", "lbtop does not speak TLS"),
    ("ssl-dh-param-file", "lbtop does not speak TLS"),
];

/// HAProxy global keywords lbtop knows of but does not implement.
const GLOBAL_UNSUPPORTED: [&str; 16] = [
    "master-worker",
    "nbproc",
    "cpu-map",
    "spread-checks",
    "hard-stop-after",
    "log-send-hostname",
    "log-tag",
    "setenv",
    "presetenv",
    "resetenv",
    "unsetenv",
    "lua-load",
    "server-state-file",
    "server-state-base",
    "maxsslconn",
    "maxconnrate",
];

/// `server` keywords lbtop reads.
const SERVER_KEYWORDS: [&str; 15] = [
    "check",
    "no-check",
    "inter",
    "fastinter",
    "downinter",
    "fall",
    "rise",
    "weight",
    "backup",
    "no-backup",
    "maxconn",
    "disabled",
    "enabled",
    "slowstart",
    "no-slowstart",
];

/// HAProxy server keywords lbtop knows of but does not implement.
const SERVER_UNSUPPORTED: [&str; 41] = [
    "addr",
    "agent-check",
    "agent-inter",
    "agent-port",
    "agent-send",
    "agent-addr",
    "alpn",
    "ca-file",
    "check-send-proxy",
    "check-ssl",
    "check-sni",
    "check-alpn",
    "check-proto",
    "cookie",
    "crt",
    "error-limit",
    "id",
    "init-addr",
    "maxqueue",
    "minconn",
    "namespace",
    "no-ssl",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-max-conn",
    "port",
    "proto",
    "redir",
    "resolvers",
    "resolve-prefer",
    "send-proxy",
    "send-proxy-v2",
    "sni",
    "source",
    "ssl",
    "track",
    "verify",
    "tfo",
    "ws",
];

/// `timeout <name>`: the ones lbtop uses, with who can use them (frontend, backend).
const TIMEOUTS: [(&str, bool, bool); 7] = [
    ("client", true, false),
    ("server", false, true),
    ("connect", false, true),
    ("check", false, true),
    ("queue", false, true),
    ("http-keep-alive", true, true),
    ("http-request", true, true),
];

/// `timeout <name>` HAProxy has but lbtop does not use.
const TIMEOUTS_IGNORED: [&str; 4] = ["tunnel", "tarpit", "client-fin", "server-fin"];

struct Parser<'a> {
    path: &'a Path,
    warnings: Vec<Warning>,
    section: Section,
    global: Global,
    /// Lines of global keywords HAProxy accepts only once.
    global_maxconn: Option<usize>,
    global_stats: Option<usize>,
    /// The `defaults` in force (the last one read).
    defaults: Settings,
    /// The `defaults` section being read: its name and line.
    defaults_name: Option<(String, usize)>,
    named: Vec<(String, usize, Settings)>,
    proxies: Vec<Proxy>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a Path) -> Parser<'a> {
        Parser {
            path,
            warnings: Vec::new(),
            section: Section::None,
            global: Global {
                maxconn: None,
                nbthread: None,
                log: Vec::new(),
                stats_socket: None,
            },
            global_maxconn: None,
            global_stats: None,
            defaults: Settings::default(),
            defaults_name: None,
            named: Vec::new(),
            proxies: Vec::new(),
        }
    }

    fn err(&self, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
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
            return self.open_section(no, w);
        }
        if OTHER_SECTIONS.contains(&kw) {
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
            Section::Global => self.global_keyword(no, w),
            Section::Defaults => {
                let ctx = Ctx {
                    kind: Kind::Defaults,
                    who: match &self.defaults_name {
                        Some((n, _)) => format!("defaults '{n}'"),
                        None => "defaults".into(),
                    },
                };
                let mut s = std::mem::take(&mut self.defaults);
                let r = self.setting(no, w, &mut s, &ctx);
                self.defaults = s;
                r
            }
            Section::Proxy(i) => self.proxy_keyword(no, w, i),
        }
    }

    /// Ends the section being read (a named `defaults` becomes available to `from`).
    fn close_section(&mut self) {
        if self.section == Section::Defaults {
            if let Some((name, line)) = self.defaults_name.take() {
                self.named.push((name, line, self.defaults.clone()));
            }
        }
        self.section = Section::None;
    }

    fn open_section(&mut self, no: usize, w: &[String]) -> Res<()> {
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
                    self.check_name(no, "defaults", name)?;
                    if let Some((_, line, _)) = self.named.iter().find(|(n, _, _)| n == name) {
                        return Err(self.err(
                            no,
                            format!("defaults section '{name}' is already defined at line {line}"),
                        ));
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
                self.check_name(no, kw, name)?;
                if let Some(p) = self.proxies.iter().find(|p| {
                    p.name == *name && ((p.kind.fe() && kind.fe()) || (p.kind.be() && kind.be()))
                }) {
                    return Err(self.err(
                        no,
                        format!(
                            "{kw} '{name}' has the same name as {} '{name}' declared at line {}",
                            p.kind.as_str(),
                            p.line
                        ),
                    ));
                }
                let mut proxy = Proxy {
                    kind,
                    name: name.clone(),
                    line: no,
                    settings: base,
                    bind: None,
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
                    let addr = bind_addr(first)
                        .map_err(|m| self.err(no, format!("{kw} '{name}': address {m}")))?;
                    proxy.bind = Some((addr, no));
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
    fn check_name(&self, no: usize, kw: &str, name: &str) -> Res<()> {
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

    // -- global -------------------------------------------------------------------------

    fn global_keyword(&mut self, no: usize, w: &[String]) -> Res<()> {
        let kw = w[0].as_str();
        let args = &w[1..];
        if let Some((_, why)) = GLOBAL_IGNORED.iter().find(|(k, _)| *k == kw) {
            let (min, max) = match kw {
                "daemon" => (0, 0),
                "node" => (0, 1),
                "description" => (1, usize::MAX),
                k if k.starts_with("ssl-") => (1, usize::MAX),
                _ => (1, 1),
            };
            if args.len() < min || args.len() > max {
                let want = match (min, max) {
                    (0, 0) => "no argument".to_string(),
                    (0, 1) => "at most one argument".to_string(),
                    (1, 1) => "one argument".to_string(),
                    _ => "an argument".to_string(),
                };
                return Err(self.err(no, format!("global: '{kw}' expects {want}")));
            }
            if matches!(kw, "uid" | "gid" | "ulimit-n") {
                int(&args[0], &format!("global: '{kw}'"), 0, u32::MAX.into())
                    .map_err(|m| self.err(no, m))?;
            }
            self.warn(no, format!("'{kw}' ignored: {why}"));
            return Ok(());
        }
        match kw {
            "log" => {
                if args.first().map(String::as_str) == Some("global") {
                    return Err(self.err(
                        no,
                        "global: 'log global' is meaningless in the global section \
                         (it is how proxies use these targets)",
                    ));
                }
                let target = log_target(args).map_err(|m| self.err(no, format!("global: {m}")))?;
                self.global.log.push(target);
            }
            "maxconn" => {
                if let Some(first) = self.global_maxconn {
                    return Err(self.err(
                        no,
                        format!("global: 'maxconn' already specified at line {first}"),
                    ));
                }
                let n = one_int(args, "global: 'maxconn'", 1, u32::MAX.into())
                    .map_err(|m| self.err(no, m))?;
                self.global.maxconn = Some(n);
                self.global_maxconn = Some(no);
            }
            "nbthread" => {
                let n = one_int(args, "global: 'nbthread'", 1, 64).map_err(|m| self.err(no, m))?;
                self.global.nbthread = Some(n);
            }
            "stats" => self.global_stats(no, args)?,
            _ if GLOBAL_UNSUPPORTED.contains(&kw) || kw.starts_with("tune.") => {
                return Err(self.err(no, format!("global: '{kw}' is not supported by lbtop")));
            }
            _ => {
                let mut known: Vec<&str> = GLOBAL_KEYWORDS.to_vec();
                known.extend(GLOBAL_IGNORED.iter().map(|(k, _)| *k));
                known.extend(GLOBAL_UNSUPPORTED);
                return Err(self.err(
                    no,
                    format!(
                        "unknown keyword '{kw}' in 'global' section{}",
                        suggest(kw, &known)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn global_stats(&mut self, no: usize, args: &[String]) -> Res<()> {
        let sub = args.first().map_or("", String::as_str);
        match sub {
            "socket" => {
                if let Some(first) = self.global_stats {
                    return Err(self.err(
                        no,
                        format!(
                            "global: lbtop supports one 'stats socket' (the first is at line {first})"
                        ),
                    ));
                }
                let Some(path) = args.get(1).filter(|p| !p.is_empty()) else {
                    return Err(self.err(
                        no,
                        "global: 'stats socket' expects an address or a path to a UNIX socket",
                    ));
                };
                let mut socket = StatsSocket {
                    path: path.clone(),
                    level: "operator".into(),
                    mode: None,
                };
                let mut i = 2;
                while i < args.len() {
                    let key = args[i].as_str();
                    let value = args.get(i + 1);
                    let need = |what: &str| {
                        value.ok_or_else(|| {
                            self.err(
                                no,
                                format!("global: 'stats socket': '{key}' expects {what}"),
                            )
                        })
                    };
                    match key {
                        "level" => {
                            let v = need("user, operator or admin")?;
                            if !StatsSocket::LEVELS.contains(&v.as_str()) {
                                return Err(self.err(
                                    no,
                                    format!(
                                        "global: 'stats socket': 'level' only supports 'user', \
                                         'operator' and 'admin' (got '{v}'){}",
                                        suggest(v, &StatsSocket::LEVELS)
                                    ),
                                ));
                            }
                            socket.level = v.clone();
                        }
                        "mode" => {
                            let v = need("an octal mode")?;
                            socket.mode = Some(octal_mode(v).map_err(|m| {
                                self.err(no, format!("global: 'stats socket': 'mode' {m}"))
                            })?);
                        }
                        "expose-fd" | "user" | "group" | "uid" | "gid" => {
                            need("an argument")?;
                            self.warn(
                                no,
                                format!("'stats socket ... {key}' ignored: lbtop does not use it"),
                            );
                        }
                        _ => {
                            return Err(self.err(
                                no,
                                format!(
                                    "global: 'stats socket': unknown keyword '{key}'{}",
                                    suggest(
                                        key,
                                        &[
                                            "level",
                                            "mode",
                                            "expose-fd",
                                            "user",
                                            "group",
                                            "uid",
                                            "gid"
                                        ]
                                    )
                                ),
                            ))
                        }
                    }
                    i += 2;
                }
                self.global.stats_socket = Some(socket);
                self.global_stats = Some(no);
            }
            "timeout" => {
                let what = "global: 'stats timeout'";
                let v = one_arg(&args[1..], what, "a time value").map_err(|m| self.err(no, m))?;
                parse_duration(v).map_err(|e| self.err(no, format!("{what}: {e}")))?;
                self.warn(no, "'stats timeout' ignored: lbtop has no runtime API yet");
            }
            "maxconn" => {
                one_int(&args[1..], "global: 'stats maxconn'", 1, u32::MAX.into())
                    .map_err(|m| self.err(no, m))?;
                self.warn(no, "'stats maxconn' ignored: lbtop has no runtime API yet");
            }
            _ => {
                return Err(self.err(
                    no,
                    format!(
                        "global: unknown keyword 'stats {sub}'{}",
                        suggest(sub, &["socket", "timeout", "maxconn"])
                    ),
                ))
            }
        }
        Ok(())
    }

    // -- proxies ------------------------------------------------------------------------

    fn proxy_keyword(&mut self, no: usize, w: &[String], i: usize) -> Res<()> {
        let kind = self.proxies[i].kind;
        let ctx = Ctx {
            kind,
            who: format!("{} '{}'", kind.as_str(), self.proxies[i].name),
        };
        match w[0].as_str() {
            "bind" => {
                if let Some(m) = ctx.incapable(true, false, "bind") {
                    self.warn(no, m);
                    return Ok(());
                }
                let Some(addr) = w.get(1) else {
                    return Err(self.err(no, format!("{}: 'bind' expects an address", ctx.who)));
                };
                if let Some(opt) = w.get(2) {
                    return Err(self.err(
                        no,
                        format!(
                            "{}: bind option '{opt}' is not supported by lbtop (only 'bind <ip:port>')",
                            ctx.who
                        ),
                    ));
                }
                let addr = bind_addr(addr)
                    .map_err(|m| self.err(no, format!("{}: 'bind' {m}", ctx.who)))?;
                if let Some((old, line)) = self.proxies[i].bind {
                    return Err(self.err(
                        no,
                        format!(
                            "{}: already listening on {old} (line {line}); lbtop binds one \
                             address per frontend",
                            ctx.who
                        ),
                    ));
                }
                self.proxies[i].bind = Some((addr, no));
                Ok(())
            }
            "server" => {
                if !kind.be() {
                    return Err(self.err(
                        no,
                        format!(
                            "'server' not allowed because {} has no backend capability",
                            ctx.who
                        ),
                    ));
                }
                let server = self.server(no, w, &ctx, &self.proxies[i].settings.default_server)?;
                if let Some(first) = self.proxies[i]
                    .servers
                    .iter()
                    .find(|s| s.name == server.name)
                {
                    return Err(self.err(
                        no,
                        format!(
                            "{}: another server named '{}' was already defined at line {}, \
                             please use distinct names",
                            ctx.who, server.name, first.line
                        ),
                    ));
                }
                self.proxies[i].servers.push(server);
                Ok(())
            }
            _ => {
                let mut s = std::mem::take(&mut self.proxies[i].settings);
                let r = self.setting(no, w, &mut s, &ctx);
                self.proxies[i].settings = s;
                r
            }
        }
    }

    /// A keyword of a `defaults`, `frontend`, `backend` or `listen` section (other than `bind`
    /// and `server`), applied to `s`.
    fn setting(&mut self, no: usize, w: &[String], s: &mut Settings, ctx: &Ctx) -> Res<()> {
        let who = ctx.who.as_str();
        let e = |m: String| self.err(no, format!("{who}: {m}"));
        let kw = w[0].as_str();
        let args = &w[1..];
        match kw {
            "no" => {
                let target = args.first().map_or("", String::as_str);
                match target {
                    "option" => self.option(no, &args[1..], s, ctx, true),
                    "log" if args.len() == 1 => {
                        s.log_global = false;
                        s.log.clear();
                        Ok(())
                    }
                    _ => Err(e(format!(
                        "'no {target}': lbtop supports 'no' only as 'no option ...' and 'no log'"
                    ))),
                }
            }
            "default" => Err(e(
                "'default option ...' is not supported by lbtop (leave the line out to keep \
                 the defaults' value, or use 'option' / 'no option')"
                    .into(),
            )),
            "option" => self.option(no, args, s, ctx, false),
            "mode" => {
                let m = one_arg(args, "'mode'", "http or tcp").map_err(e)?;
                s.mode = Some(match m {
                    "http" => Mode::Http,
                    "tcp" => Mode::Tcp,
                    _ => {
                        return Err(e(format!(
                            "unknown proxy mode '{m}' (lbtop supports 'http' and 'tcp'){}",
                            suggest(m, &["http", "tcp"])
                        )))
                    }
                });
                Ok(())
            }
            "log" => {
                if args.first().map(String::as_str) == Some("global") {
                    if let Some(extra) = args.get(1) {
                        return Err(e(format!("'log global' takes no argument, got '{extra}'")));
                    }
                    s.log_global = true;
                } else {
                    s.log.push(log_target(args).map_err(e)?);
                }
                Ok(())
            }
            "http-check" => {
                if let Some(m) = ctx.incapable(false, true, "http-check") {
                    self.warn(no, m);
                    return Ok(());
                }
                self.http_check(no, args, s, ctx)
            }
            "retries" => {
                if let Some(m) = ctx.incapable(false, true, "retries") {
                    self.warn(no, m);
                    return Ok(());
                }
                s.options.retries = one_int(args, "'retries'", 0, u32::MAX.into()).map_err(e)?;
                Ok(())
            }
            "http-reuse" => {
                if let Some(m) = ctx.incapable(false, true, "http-reuse") {
                    self.warn(no, m);
                    return Ok(());
                }
                let word = one_arg(args, "'http-reuse'", "never, safe, aggressive or always")
                    .map_err(e)?;
                s.options.http_reuse = HttpReuse::from_name(word).ok_or_else(|| {
                    e(format!(
                        "'http-reuse' expects never, safe, aggressive or always, got '{word}'"
                    ))
                })?;
                Ok(())
            }
            "timeout" => self.timeout(no, args, s, ctx),
            "contimeout" | "clitimeout" | "srvtimeout" => {
                let name = match kw {
                    "contimeout" => "connect",
                    "clitimeout" => "client",
                    _ => "server",
                };
                self.warn(
                    no,
                    format!(
                        "'{kw}' is the pre-1.5 form of 'timeout {name}' (HAProxy 2.1 and later \
                         refuse it); lbtop reads it as 'timeout {name}'"
                    ),
                );
                let mut t = vec![name.to_string()];
                t.extend(args.iter().cloned());
                self.timeout(no, &t, s, ctx)
            }
            "maxconn" => {
                if ctx.kind == Kind::Backend {
                    self.warn(
                        no,
                        format!(
                            "'maxconn' ignored because {who} has no frontend capability \
                             (lbtop limits servers with 'server ... maxconn')"
                        ),
                    );
                    return Ok(());
                }
                s.maxconn = Some(one_int(args, "'maxconn'", 1, u32::MAX.into()).map_err(e)?);
                Ok(())
            }
            "balance" => {
                if let Some(m) = ctx.incapable(false, true, "balance") {
                    self.warn(no, m);
                    return Ok(());
                }
                s.balance = Some(balance(args).map_err(e)?);
                Ok(())
            }
            "default_backend" => {
                if let Some(m) = ctx.incapable(true, false, "default_backend") {
                    self.warn(no, m);
                    return Ok(());
                }
                let name = one_arg(args, "'default_backend'", "a backend name").map_err(e)?;
                s.default_backend = Some((name.to_string(), no));
                Ok(())
            }
            "default-server" => {
                if !ctx.kind.be() {
                    return Err(e(format!(
                        "'default-server' not allowed because {who} has no backend capability"
                    )));
                }
                let mut params = s.default_server.clone();
                server_params(args, &mut params, &format!("{who}: default-server"))
                    .map_err(|m| self.err(no, m))?;
                s.default_server = params;
                Ok(())
            }
            "description" => {
                self.warn(
                    no,
                    "'description' ignored: lbtop has no stats page to show it on",
                );
                Ok(())
            }
            "bind" | "server" => Err(e(format!("'{kw}' not allowed in 'defaults' section"))),
            _ if PROXY_UNSUPPORTED.contains(&kw) => {
                Err(e(format!("'{kw}' is not supported by lbtop")))
            }
            _ => {
                let mut known: Vec<&str> = PROXY_KEYWORDS.to_vec();
                known.extend(PROXY_UNSUPPORTED);
                Err(self.err(
                    no,
                    format!(
                        "unknown keyword '{kw}' in '{}' section{}",
                        ctx.kind.as_str(),
                        suggest(kw, &known)
                    ),
                ))
            }
        }
    }

    /// `[no] option <name> [args]`.
    fn option(
        &mut self,
        no: usize,
        args: &[String],
        s: &mut Settings,
        ctx: &Ctx,
        negated: bool,
    ) -> Res<()> {
        let who = ctx.who.as_str();
        let e = |m: String| self.err(no, format!("{who}: {m}"));
        let Some(name) = args.first().map(String::as_str) else {
            return Err(e("'option' expects an option name".into()));
        };
        let rest = &args[1..];
        // Which side can use it: (frontend, backend).
        let (fe, be, negatable) = match name {
            "log-health-checks" | "redispatch" | "allbackups" => (false, true, true),
            "httpchk" | "tcp-check" => (false, true, false),
            "httplog" | "tcplog" => (true, false, false),
            "dontlognull" => (true, false, true),
            "http-server-close" | "http-keep-alive" | "httpclose" => (true, true, true),
            "forwardfor" => (true, true, false),
            _ if OPTIONS_UNSUPPORTED.contains(&name) => {
                return Err(e(format!("'option {name}' is not supported by lbtop")));
            }
            _ => {
                let mut known: Vec<&str> = OPTIONS.to_vec();
                known.extend(OPTIONS_UNSUPPORTED);
                return Err(e(format!(
                    "unknown option '{name}'{}",
                    suggest(name, &known)
                )));
            }
        };
        if negated && !negatable {
            return Err(e(format!(
                "negation/default is not supported for option '{name}' ('no option {name}')"
            )));
        }
        if matches!(name, "httplog" | "tcplog") && ctx.kind == Kind::Backend {
            self.warn(
                no,
                format!("{who} : 'option {name}' directive is ignored in backends"),
            );
            return Ok(());
        }
        if let Some(m) = ctx.incapable(fe, be, name) {
            self.warn(no, m);
            return Ok(());
        }
        let takes_args = matches!(name, "forwardfor" | "httpchk");
        if let (false, Some(extra)) = (takes_args, rest.first()) {
            return Err(e(format!(
                "'option {name}' cannot handle unexpected argument '{extra}'"
            )));
        }
        let on = !negated;
        let o = &mut s.options;
        match name {
            "log-health-checks" => o.log_health_checks = on,
            "redispatch" => o.redispatch = on,
            "allbackups" => o.allbackups = on,
            "dontlognull" => o.dontlognull = on,
            "httplog" | "tcplog" => {
                let other = if name == "httplog" {
                    "tcplog"
                } else {
                    "httplog"
                };
                if s.own_log_format == Some(other) {
                    self.warn(
                        no,
                        format!(
                            "'option {name}' overrides previous 'option {other}' in '{}' section",
                            ctx.kind.as_str()
                        ),
                    );
                }
                s.own_log_format = Some(if name == "httplog" {
                    "httplog"
                } else {
                    "tcplog"
                });
                o.httplog = name == "httplog";
                o.tcplog = name == "tcplog";
            }
            "http-server-close" => o.http_server_close = on,
            "http-keep-alive" => o.http_server_close = !on && o.http_server_close,
            "httpclose" => {
                o.http_server_close = on;
                if on {
                    self.warn(
                        no,
                        format!(
                            "'option {name}' is read as 'option http-server-close': lbtop \
                             keeps client connections alive and closes server ones"
                        ),
                    );
                }
            }
            "forwardfor" => {
                o.forwardfor = Some(forwardfor(rest).map_err(e)?);
            }
            "tcp-check" => {
                s.httpchk = false;
                s.request = None;
                s.own_rules = true;
                s.own_send = None;
            }
            "httpchk" => {
                let (check, legacy) = httpchk(rest).map_err(e)?;
                if legacy {
                    self.warn(
                        no,
                        "'option httpchk' : hiding headers or body at the end of the version \
                         string is deprecated. Please, consider to use 'http-check send' \
                         directive instead.",
                    );
                }
                s.httpchk = true;
                s.request = Some(check);
                s.own_rules = true;
                s.own_send = None;
            }
            _ => unreachable!("option {name} is in the table above"),
        }
        Ok(())
    }

    /// `http-check send meth <m> uri <u> ver <v> hdr <name> <value> ...`.
    fn http_check(&mut self, no: usize, args: &[String], s: &mut Settings, ctx: &Ctx) -> Res<()> {
        let who = ctx.who.as_str();
        let e = |m: String| self.err(no, format!("{who}: {m}"));
        let sub = args.first().map_or("", String::as_str);
        if sub != "send" {
            let known = [
                "send",
                "expect",
                "connect",
                "comment",
                "disable-on-404",
                "send-state",
                "set-var",
                "unset-var",
            ];
            if known.contains(&sub) {
                return Err(e(format!(
                    "'http-check {sub}' is not supported by lbtop (it checks 'send' requests \
                     and passes on status 200-399)"
                )));
            }
            return Err(e(format!(
                "unknown 'http-check' rule '{sub}'{}",
                suggest(sub, &known)
            )));
        }
        if let Some(first) = s.own_send {
            return Err(e(format!(
                "'http-check send': this section already has one at line {first} \
                 (lbtop supports one request per check)"
            )));
        }
        // A section's first rule starts a new rule set: the defaults' request is not merged.
        let mut req = match (&s.request, s.own_rules) {
            (Some(r), true) => r.clone(),
            _ => HttpCheck::default(),
        };
        let mut i = 1;
        while i < args.len() {
            let key = args[i].as_str();
            let value = |n: usize| {
                args.get(i + n).ok_or_else(|| {
                    e(match key {
                        "hdr" => {
                            "'http-check send' : 'hdr' expects <name> and <value> as arguments"
                                .into()
                        }
                        _ => format!("'http-check send' : '{key}' expects an argument"),
                    })
                })
            };
            match key {
                "meth" => req.method = check_word(value(1)?, "meth").map_err(e)?,
                "uri" => req.path = check_word(value(1)?, "uri").map_err(e)?,
                "ver" => req.version = check_word(value(1)?, "ver").map_err(e)?,
                "hdr" => {
                    let (name, v) = (value(1)?, value(2)?);
                    check_header(name, v).map_err(e)?;
                    req.headers.push((name.clone(), v.clone()));
                    i += 1;
                }
                "comment" => {
                    value(1)?;
                }
                "body" | "body-lf" | "uri-lf" => {
                    return Err(e(format!(
                        "'http-check send ... {key}' is not supported by lbtop"
                    )))
                }
                _ => {
                    return Err(e(format!(
                        "'http-check send' : expects 'comment', 'meth', 'uri', 'ver' or 'hdr' \
                         but got '{key}' as argument{}",
                        suggest(key, &["comment", "meth", "uri", "ver", "hdr"])
                    )))
                }
            }
            i += 2;
        }
        s.request = Some(req);
        s.own_rules = true;
        s.own_send = Some(no);
        s.rules_line = Some(no);
        Ok(())
    }

    /// `timeout <name> <value>`.
    fn timeout(&mut self, no: usize, args: &[String], s: &mut Settings, ctx: &Ctx) -> Res<()> {
        let who = ctx.who.as_str();
        let e = |m: String| self.err(no, format!("{who}: {m}"));
        let name = args.first().map_or("", String::as_str);
        if TIMEOUTS_IGNORED.contains(&name) {
            let v = one_arg(&args[1..], &format!("'timeout {name}'"), "a time value").map_err(e)?;
            parse_duration(v).map_err(|m| e(format!("'timeout {name}': {m}")))?;
            self.warn(
                no,
                format!("'timeout {name}' ignored: lbtop does not use it"),
            );
            return Ok(());
        }
        let Some(&(_, fe, be)) = TIMEOUTS.iter().find(|(n, _, _)| *n == name) else {
            let mut names: Vec<&str> = TIMEOUTS.iter().map(|(n, _, _)| *n).collect();
            names.extend(TIMEOUTS_IGNORED);
            return Err(e(format!(
                "'timeout' supports {} (got '{name}'){}",
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                suggest(name, &names)
            )));
        };
        let what = format!("'timeout {name}'");
        let v = one_arg(&args[1..], &what, "a time value").map_err(e)?;
        let d = parse_duration(v).map_err(|m| e(format!("{what}: {m}")))?;
        if let Some(m) = ctx.incapable(fe, be, &format!("timeout {name}")) {
            self.warn(no, m);
            return Ok(());
        }
        // As in HAProxy, 0 means "no timeout": the same as leaving it out.
        let d = Some(d).filter(|d| !d.is_zero());
        let t = &mut s.timeouts;
        match name {
            "client" => t.client = d,
            "server" => t.server = d,
            "connect" => t.connect = d,
            "check" => t.check = d,
            "queue" => t.queue = d,
            "http-keep-alive" => t.http_keep_alive = d,
            _ => t.http_request = d,
        }
        Ok(())
    }

    /// `server <name> <addr:port> [params]`.
    fn server(&self, no: usize, w: &[String], ctx: &Ctx, template: &ServerParams) -> Res<Server> {
        let who = ctx.who.as_str();
        let (Some(name), Some(addr)) = (w.get(1), w.get(2)) else {
            return Err(self.err(
                no,
                format!("{who}: 'server' expects <name> and <addr>:<port> as arguments"),
            ));
        };
        self.check_name(no, "server", name)
            .map_err(|e| self.err(no, format!("{who}: {}", e.message)))?;
        let swho = format!("{who}: server '{name}'");
        let addr = server_addr(addr).map_err(|m| self.err(no, format!("{swho}: address {m}")))?;
        let mut p = template.clone();
        server_params(&w[3..], &mut p, &swho).map_err(|m| self.err(no, m))?;
        Ok(Server {
            name: name.clone(),
            addr,
            weight: p.weight,
            check: p.check,
            inter: p.inter,
            fall: p.fall,
            rise: p.rise,
            backup: p.backup,
            maxconn: p.maxconn,
            disabled: p.disabled,
            fastinter: p.fastinter,
            downinter: p.downinter,
            slowstart: p.slowstart,
            line: no,
        })
    }

    // -- the end ------------------------------------------------------------------------

    fn finish(mut self) -> Res<Config> {
        self.close_section();
        let proxies = std::mem::take(&mut self.proxies);

        let mut backends: Vec<Backend> = Vec::new();
        for p in proxies.iter().filter(|p| p.kind.be()) {
            let s = &p.settings;
            let check = if s.httpchk {
                HealthCheck::Http(s.request.clone().unwrap_or_default())
            } else {
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
            let (balance, hash_header) = s.balance.clone().unwrap_or((Balance::RoundRobin, None));
            backends.push(Backend {
                name: p.name.clone(),
                mode: s.mode.unwrap_or(Mode::Tcp),
                balance,
                check,
                servers: p.servers.clone(),
                timeouts: s.timeouts,
                options: s.options.clone(),
                log_global: s.log_global,
                log: s.log.clone(),
                hash_header,
                line: p.line,
            });
        }

        let mut frontends = Vec::new();
        for p in proxies.iter().filter(|p| p.kind.fe()) {
            let s = &p.settings;
            let who = format!("{} '{}'", p.kind.as_str(), p.name);
            let Some((bind, _)) = p.bind else {
                return Err(self.err(
                    p.line,
                    format!("{who} has no 'bind' line (lbtop needs an address to listen on)"),
                ));
            };
            let (target, line) = match (&s.default_backend, p.kind) {
                (Some((name, line)), _) => (name.as_str(), *line),
                (None, Kind::Listen) => (p.name.as_str(), p.line),
                (None, _) => {
                    return Err(self.err(
                        p.line,
                        format!(
                            "{who} has no 'default_backend' (lbtop sends all of a frontend's \
                             traffic to it; 'use_backend' rules are not supported)"
                        ),
                    ))
                }
            };
            let Some(index) = backends.iter().position(|b| b.name == target) else {
                let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
                return Err(self.err(
                    line,
                    format!(
                        "{who}: unable to find required default_backend: '{target}'{}",
                        suggest(target, &names)
                    ),
                ));
            };
            let mode = s.mode.unwrap_or(Mode::Tcp);
            let backend = &backends[index];
            if backend.mode != mode {
                let line_of = |name: &str| {
                    proxies
                        .iter()
                        .find(|q| q.kind.be() && q.name == name)
                        .map_or(0, |q| q.line)
                };
                return Err(self.err(
                    line,
                    format!(
                        "{mode} {who} tries to use incompatible {} backend '{}' (line {}) as its \
                         default backend (see 'mode'){}",
                        backend.mode,
                        backend.name,
                        line_of(&backend.name),
                        if mode == Mode::Tcp {
                            "; HAProxy would upgrade the connection, lbtop does not"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            frontends.push(Frontend {
                name: p.name.clone(),
                bind,
                mode,
                default_backend: index,
                maxconn: s.maxconn,
                timeouts: s.timeouts,
                options: s.options.clone(),
                log_global: s.log_global,
                log: s.log.clone(),
                line: p.line,
            });
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
}

// ---------------------------------------------------------------------------------------
// Single keywords.

/// `; did you mean 'x'?` when one candidate is close.
fn suggest(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("; did you mean '{c}'?"),
        None => String::new(),
    }
}

/// Exactly one argument.
fn one_arg<'w>(args: &'w [String], what: &str, expects: &str) -> Result<&'w str, String> {
    match args {
        [one] => Ok(one.as_str()),
        [] => Err(format!("{what} expects {expects}")),
        [_, extra, ..] => Err(format!(
            "{what} cannot handle unexpected argument '{extra}'"
        )),
    }
}

fn one_int(args: &[String], what: &str, min: i64, max: i64) -> Result<u32, String> {
    int(one_arg(args, what, "an integer")?, what, min, max)
}

/// `log <addr> [len <N>] [format <F>] <facility> [<max level> [<min level>]]`; `args` starts
/// at the address.
fn log_target(args: &[String]) -> Result<LogTarget, String> {
    let usage = "'log' expects <address> and <facility> as arguments (e.g. log 127.0.0.1 local0)";
    let Some(addr) = args.first() else {
        return Err(usage.into());
    };
    let addr = log_addr(addr).map_err(|m| format!("log: address {m}"))?;
    let mut i = 1;
    let mut len = LogTarget::DEFAULT_LEN;
    let mut format = LogFormat::Local;
    if args.get(i).map(String::as_str) == Some("len") {
        let v = args.get(i + 1).ok_or("log: 'len' expects a length")?;
        len = int(v, "log: 'len'", 80, 65535)? as usize;
        i += 2;
    }
    if args.get(i).map(String::as_str) == Some("format") {
        let v = args
            .get(i + 1)
            .ok_or("log: 'format' expects a format name")?;
        let names: Vec<&str> = LogFormat::ALL.iter().map(|f| f.as_str()).collect();
        format = LogFormat::from_name(v).ok_or_else(|| {
            format!(
                "log: unknown log format '{v}' (one of {}){}",
                names.join(", "),
                suggest(v, &names)
            )
        })?;
        i += 2;
    }
    if args.get(i).map(String::as_str) == Some("sample") {
        return Err("log: 'sample' is not supported by lbtop".into());
    }
    let Some(facility) = args.get(i) else {
        return Err(usage.into());
    };
    let facility = LogTarget::facility_from_name(facility).ok_or_else(|| {
        format!(
            "log: unknown log facility '{facility}'{}",
            suggest(facility, &LogTarget::FACILITIES)
        )
    })?;
    let level = |name: &str| {
        LogTarget::level_from_name(name).ok_or_else(|| {
            format!(
                "log: unknown optional log level '{name}' (one of {}){}",
                LogTarget::LEVELS.join(", "),
                suggest(name, &LogTarget::LEVELS)
            )
        })
    };
    let mut target = LogTarget::new(addr, facility);
    target.len = len;
    target.format = format;
    if let Some(max) = args.get(i + 1) {
        target.max_level = level(max)?;
    }
    if let Some(min) = args.get(i + 2) {
        target.min_level = level(min)?;
    }
    if let Some(extra) = args.get(i + 3) {
        return Err(format!("log: cannot handle unexpected argument '{extra}'"));
    }
    Ok(target)
}

/// `balance <algorithm> [<arguments>]`.
fn balance(args: &[String]) -> Result<(Balance, Option<String>), String> {
    let supported = "'balance' only supports 'roundrobin', 'static-rr', 'leastconn', 'first', \
                     'source', 'uri', 'random' and 'hdr(<name>)'";
    let Some(algo) = args.first().map(String::as_str) else {
        return Err(format!("{supported}; it needs one"));
    };
    let plain = [
        Balance::RoundRobin,
        Balance::StaticRr,
        Balance::LeastConn,
        Balance::First,
        Balance::Source,
        Balance::Uri,
        Balance::Random,
    ];
    let result = if let Some(b) = plain.iter().find(|b| b.as_str() == algo) {
        (*b, None)
    } else if algo == "random(2)" {
        (Balance::Random, None)
    } else if let Some(arg) = algo.strip_prefix("hdr(") {
        balance_hdr(arg).map_err(|m| format!("'balance {algo}': {m}"))?
    } else if ["url_param", "hash"].contains(&algo)
        || algo.starts_with("rdp-cookie")
        || algo.starts_with("random(")
    {
        return Err(format!("'balance {algo}' is not supported by lbtop"));
    } else {
        let names: Vec<&str> = plain.iter().map(|b| b.as_str()).chain(["hdr"]).collect();
        return Err(format!(
            "{supported} (got '{algo}'){}",
            suggest(algo, &names)
        ));
    };
    if let Some(extra) = args.get(1) {
        return Err(format!(
            "'balance {algo} {extra}': options of the algorithm are not supported by lbtop"
        ));
    }
    Ok(result)
}

/// `option forwardfor [except <net>] [header <name>] [if-none]`.
fn forwardfor(args: &[String]) -> Result<ForwardFor, String> {
    let mut f = ForwardFor {
        except: None,
        header: "x-forwarded-for".into(),
        if_none: false,
    };
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "except" => {
                let v = args
                    .get(i + 1)
                    .ok_or("'option forwardfor except' expects <address>[/mask] as argument")?;
                f.except =
                    Some(parse_net(v).map_err(|m| format!("option 'forwardfor': 'except' {m}"))?);
                i += 2;
            }
            "header" => {
                let v = args
                    .get(i + 1)
                    .ok_or("'option forwardfor header' expects <header_name> as argument")?;
                if !is_token(v) {
                    return Err(format!(
                        "option 'forwardfor': 'header' '{v}' is not a valid header name"
                    ));
                }
                f.header = v.to_ascii_lowercase();
                i += 2;
            }
            "if-none" => {
                f.if_none = true;
                i += 1;
            }
            other => {
                return Err(format!(
                    "'option forwardfor' only supports optional values: 'except', 'header' and \
                     'if-none' (got '{other}'){}",
                    suggest(other, &["except", "header", "if-none"])
                ))
            }
        }
    }
    Ok(f)
}

/// `option httpchk [[<method>] <uri> [<version>]]`; also says whether the version hid
/// headers (HAProxy's deprecated `HTTP/1.0\r\nName:\ value` form).
fn httpchk(args: &[String]) -> Result<(HttpCheck, bool), String> {
    let mut c = HttpCheck::default();
    match args {
        [] => {}
        [uri] => c.path = check_word(uri, "uri")?,
        [meth, uri] => {
            c.method = check_word(meth, "method")?;
            c.path = check_word(uri, "uri")?;
        }
        [meth, uri, ver] => {
            c.method = check_word(meth, "method")?;
            c.path = check_word(uri, "uri")?;
            let mut parts = ver.split("\r\n");
            c.version = check_word(parts.next().unwrap_or_default(), "version")?;
            let mut legacy = false;
            for line in parts.by_ref() {
                legacy = true;
                if line.is_empty() {
                    break;
                }
                let Some((name, value)) = line.split_once(':') else {
                    return Err(format!(
                        "'option httpchk': hidden header '{line}' has no ':' (write Name:\\ value)"
                    ));
                };
                let value = value.trim_start_matches([' ', '\t']);
                check_header(name, value)?;
                c.headers.push((name.to_string(), value.to_string()));
            }
            let body: Vec<&str> = parts.collect();
            if body.iter().any(|b| !b.is_empty()) {
                return Err(
                    "'option httpchk': a check request body is not supported by lbtop".into(),
                );
            }
            return Ok((c, legacy));
        }
        [_, _, _, extra, ..] => {
            return Err(format!(
                "'option httpchk' cannot handle unexpected argument '{extra}'"
            ))
        }
    }
    Ok((c, false))
}

/// A method, URI or version: one word, nothing a request line could choke on.
fn check_word(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "health check {what} must be one word without spaces or control characters, got {s:?}"
        ));
    }
    Ok(s.to_string())
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    if !is_token(name) {
        return Err(format!(
            "health check header name {name:?} is not a valid header name"
        ));
    }
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(format!(
            "health check header '{name}' value may not contain line breaks"
        ));
    }
    Ok(())
}

/// The parameters after `server <name> <addr>` (or after `default-server`).
fn server_params(args: &[String], p: &mut ServerParams, who: &str) -> Result<(), String> {
    let mut i = 0;
    while i < args.len() {
        let key = args[i].as_str();
        let value = || {
            args.get(i + 1)
                .map(String::as_str)
                .ok_or_else(|| format!("{who}: '{key}' expects an argument"))
        };
        let time = |min_zero: bool| -> Result<Duration, String> {
            let v = value()?;
            let d = parse_duration(v).map_err(|m| format!("{who}: '{key}': {m}"))?;
            if d.is_zero() && !min_zero {
                return Err(format!("{who}: '{key}' must be greater than 0"));
            }
            Ok(d)
        };
        let max = u32::MAX.into();
        let mut used = 2;
        match key {
            "check" => {
                p.check = true;
                used = 1;
            }
            "no-check" => {
                p.check = false;
                used = 1;
            }
            "backup" => {
                p.backup = true;
                used = 1;
            }
            "no-backup" => {
                p.backup = false;
                used = 1;
            }
            "disabled" => {
                p.disabled = true;
                used = 1;
            }
            "enabled" => {
                p.disabled = false;
                used = 1;
            }
            "no-slowstart" => {
                p.slowstart = None;
                used = 1;
            }
            "inter" => p.inter = time(false)?,
            "fastinter" => p.fastinter = Some(time(false)?),
            "downinter" => p.downinter = Some(time(false)?),
            "slowstart" => p.slowstart = Some(time(true)?).filter(|d| !d.is_zero()),
            "fall" => p.fall = int(value()?, &format!("{who}: 'fall'"), 1, max)?,
            "rise" => p.rise = int(value()?, &format!("{who}: 'rise'"), 1, max)?,
            "weight" => p.weight = int(value()?, &format!("{who}: 'weight'"), 0, 256)?,
            // As in HAProxy, `maxconn 0` means no limit.
            "maxconn" => {
                p.maxconn =
                    Some(int(value()?, &format!("{who}: 'maxconn'"), 0, max)?).filter(|&n| n > 0)
            }
            _ if SERVER_UNSUPPORTED.contains(&key) => {
                return Err(format!("{who}: '{key}' is not supported by lbtop"));
            }
            _ => {
                let mut known: Vec<&str> = SERVER_KEYWORDS.to_vec();
                known.extend(SERVER_UNSUPPORTED);
                return Err(format!(
                    "{who}: unknown keyword '{key}'{}",
                    suggest(key, &known)
                ));
            }
        }
        i += used;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("8080".into()),
            "ADDRS" => Some("a  b\tc".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn words(line: &str) -> Vec<String> {
        tokenize_line(line, &env).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    fn word_err(line: &str) -> String {
        match tokenize_line(line, &env) {
            Ok(w) => panic!("{line:?} should fail, gave {w:?}"),
            Err(e) => e,
        }
    }

    fn ok(text: &str) -> Config {
        parse_with_env(Path::new("t.cfg"), text, &env)
            .unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
    }

    /// Parses `text`, expects an error at `line` whose message contains every `want`.
    fn fails(text: &str, line: usize, want: &[&str]) -> ConfigError {
        let e = match parse_with_env(Path::new("t.cfg"), text, &env) {
            Ok(_) => panic!("expected an error in:\n{text}"),
            Err(e) => e,
        };
        assert_eq!(e.line, line, "wrong line for: {e}");
        for w in want {
            assert!(e.message.contains(w), "{e} does not mention {w:?}");
        }
        e
    }

    fn warned(c: &Config, line: usize, want: &str) {
        assert!(
            c.warnings
                .iter()
                .any(|w| w.line == line && w.message.contains(want)),
            "no warning {want:?} at line {line} in {:#?}",
            c.warnings
        );
    }

    /// A frontend and a backend around `body` (which goes into the backend).
    fn with_backend(body: &str) -> String {
        format!("frontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n{body}")
    }

    // -- words ----------------------------------------------------------------------------

    #[test]
    fn blanks_separate_words() {
        assert_eq!(words("  mode \t http  "), ["mode", "http"]);
        assert_eq!(words("a\x0bb\x0cc"), ["a", "b", "c"]);
        assert!(words("").is_empty());
        assert!(words("   \t").is_empty());
    }

    #[test]
    fn comments_start_at_a_hash_outside_quotes() {
        assert!(words("# comment").is_empty());
        assert!(words("   ## ロードバランサの動作モード。").is_empty());
        assert_eq!(words("mode http # trailing"), ["mode", "http"]);
        assert_eq!(words("abc#def"), ["abc"]);
        assert_eq!(words("\"a#b\" 'c#d' e\\#f"), ["a#b", "c#d", "e#f"]);
    }

    #[test]
    fn quotes_group_and_may_sit_inside_a_word() {
        assert_eq!(words("a \"b c\" d"), ["a", "b c", "d"]);
        assert_eq!(words("a 'b c' d"), ["a", "b c", "d"]);
        assert_eq!(words("x\"y z\"w"), ["xy zw"]);
        assert_eq!(words("\"it's\" 'say \"hi\"'"), ["it's", "say \"hi\""]);
        // An empty word counts, except at the end of the line.
        assert_eq!(words("a \"\" b"), ["a", "", "b"]);
        assert_eq!(words("a ''"), ["a"]);
        assert_eq!(words("a \"\"   "), ["a", ""]);
    }

    #[test]
    fn backslash_escapes() {
        assert_eq!(
            words(r"User-agent:\ Proxy-Check"),
            ["User-agent: Proxy-Check"]
        );
        assert_eq!(
            words(r"HTTP/1.0\r\nUser-agent:\ Proxy-Check"),
            ["HTTP/1.0\r\nUser-agent: Proxy-Check"]
        );
        assert_eq!(words(r"a\tb"), ["a\tb"]);
        assert_eq!(words(r"a\\b"), [r"a\b"]);
        assert_eq!(words(r#"a\"b \'c"#), ["a\"b", "'c"]);
        assert_eq!(words(r"\x41\x6a"), ["Aj"]);
        // Not escapes: the backslash stays.
        assert_eq!(words(r"\1 \q a\"), [r"\1", r"\q", r"a\"]);
        // `\$` is an escape only inside double quotes.
        assert_eq!(words(r#"\$ "\$""#), [r"\$", "$"]);
        // Single quotes protect everything.
        assert_eq!(words(r"'a\ b\n$X'"), [r"a\ b\n$X"]);
        // Inside double quotes escapes still apply.
        assert_eq!(words(r#""a\"b\n""#), ["a\"b\n"]);
    }

    #[test]
    fn a_carriage_return_ends_the_line() {
        assert_eq!(words("mode http\r"), ["mode", "http"]);
        assert_eq!(words("mode http\rjunk"), ["mode", "http"]);
    }

    #[test]
    fn environment_variables_expand_inside_double_quotes_only() {
        assert_eq!(words("bind \":$PORT\""), ["bind", ":8080"]);
        assert_eq!(words("bind \":${PORT}\""), ["bind", ":8080"]);
        assert_eq!(words("x $PORT '$PORT'"), ["x", "$PORT", "$PORT"]);
        assert_eq!(words("x \"$NOPE\" y"), ["x", "", "y"]);
        assert_eq!(
            words("x \"${NOPE-dflt}\" \"${PORT-9}\""),
            ["x", "dflt", "8080"]
        );
        assert_eq!(words("x \"${ADDRS[*]}\" y"), ["x", "a", "b", "c", "y"]);
        assert_eq!(words("x \"${ADDRS}\""), ["x", "a  b\tc"]);
        assert_eq!(words("x \"[$EMPTY]\""), ["x", "[]"]);
        let lookup = |n: &str| (n == ".LINE").then(|| "7".to_string());
        assert_eq!(
            tokenize_line("x \"${.LINE}\"", &lookup).unwrap(),
            ["x", "7"]
        );
    }

    #[test]
    fn word_errors() {
        assert!(word_err("a \"b").contains("unmatched double quote at column 3"));
        assert!(word_err("a 'b").contains("unmatched single quote at column 3"));
        assert!(word_err(r"a \x4").contains("'\\x' escape at column 3"));
        assert!(word_err(r"a \xzz").contains("two hex digits"));
        assert!(word_err(r"a \xff").contains("not valid UTF-8"));
        assert!(word_err("a \"$1\"").contains("does not start a variable name"));
        assert!(word_err("a \"${X\"").contains("unmatched '{'"));
        assert!(word_err("a \"${X-y\"").contains("unmatched '{'"));
        assert!(word_err("a \"${X[1]}\"").contains("[*]"));
        assert!(word_err("a \"${.NOPE}\"").contains("unknown internal variable '.NOPE'"));
        assert!(word_err("a\0b").contains("NUL byte at column 2"));
        let many = vec!["w"; 65].join(" ");
        assert!(word_err(&many).contains("too many words"));
        assert_eq!(words(&vec!["w"; 64].join(" ")).len(), 64);
    }

    #[test]
    fn haproxy_syntax_is_recognised() {
        let p = |s: &str| Path::new(s).to_path_buf();
        assert!(is_haproxy(&p("x.cfg"), "[global]\n"));
        assert!(is_haproxy(&p("x"), "# hi\n\n  global\n"));
        assert!(is_haproxy(&p("x.conf"), "frontend main\n"));
        assert!(is_haproxy(&p("x.toml"), "#c\nbackend b\n"));
        assert!(!is_haproxy(&p("x.toml"), "[global]\nmaxconn = 1\n"));
        assert!(!is_haproxy(&p("x.toml"), "global = 1\n"));
        assert!(!is_haproxy(&p("x"), ""));
        // And Config::parse dispatches on it.
        let c = Config::parse(Path::new("lb.conf"), "backend b\n").unwrap();
        assert_eq!(c.backends[0].name, "b");
        assert!(Config::parse(Path::new("lb.cfg"), "[global]\n").is_err());
    }

    // -- the seed ---------------------------------------------------------------------------

    #[test]
    fn the_seed_loads_byte_for_byte() {
        let Some(path) = crate::config::testkit::seed_path("haproxy.cfg") else {
            return;
        };
        let bytes = std::fs::read(&path).unwrap();
        let text = std::str::from_utf8(&bytes).expect("the seed is UTF-8");
        assert!(text.contains("##ロードバランサの動作モード。"));
        let c = parse_with_env(&path, text, &|_| None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, Config::load(&path).unwrap());

        assert_eq!(c.global.maxconn, Some(4000));
        assert_eq!(c.global.nbthread, None);
        assert_eq!(
            c.global.log,
            [LogTarget {
                addr: "127.0.0.1:514".parse().unwrap(),
                facility: 22,
                max_level: 7,
                min_level: 0,
                len: 1024,
                format: LogFormat::Local,
            }]
        );
        assert_eq!(c.global.log[0].facility_name(), "local6");
        assert_eq!(
            c.global.stats_socket,
            Some(StatsSocket {
                path: "/var/lib/haproxy/stats".into(),
                level: "operator".into(),
                mode: None,
            })
        );

        assert_eq!(c.frontends.len(), 1);
        let main = &c.frontends[0];
        assert_eq!(main.name, "main");
        assert_eq!(main.line, 58);
        assert_eq!(main.bind, "0.0.0.0:80".parse().unwrap());
        assert_eq!(main.mode, Mode::Http);
        assert_eq!(c.backends[main.default_backend].name, "hoge");
        assert_eq!(main.maxconn, Some(3000));
        assert!(main.log_global && main.log.is_empty());
        assert!(main.options.httplog && main.options.dontlognull);
        assert!(!main.options.tcplog);
        assert!(main.options.http_server_close);

        let s10 = Some(Duration::from_secs(10));
        let m1 = Some(Duration::from_secs(60));
        let timeouts = Timeouts {
            connect: s10,
            client: m1,
            server: m1,
            check: s10,
            http_request: s10,
            queue: m1,
            http_keep_alive: s10,
        };
        assert_eq!(main.timeouts, timeouts);

        assert_eq!(c.backends.len(), 1);
        let hoge = &c.backends[0];
        assert_eq!((hoge.name.as_str(), hoge.line), ("hoge", 64));
        assert_eq!(hoge.mode, Mode::Http);
        assert_eq!(hoge.balance, Balance::RoundRobin);
        assert_eq!(hoge.hash_header, None);
        assert_eq!(
            hoge.check,
            HealthCheck::Http(HttpCheck {
                method: "GET".into(),
                path: "/health_check.html".into(),
                version: "HTTP/1.0".into(),
                headers: vec![("User-agent".into(), "Proxy-Check".into())],
            })
        );
        let o = &hoge.options;
        assert!(o.log_health_checks && o.http_server_close && o.redispatch);
        assert!(!o.allbackups);
        assert_eq!(o.retries, 3);
        assert_eq!(
            o.forwardfor,
            Some(ForwardFor {
                except: Some(parse_net("127.0.0.0/8").unwrap()),
                header: "x-forwarded-for".into(),
                if_none: false,
            })
        );
        assert_eq!(hoge.timeouts, timeouts);
        assert!(hoge.log_global);
        for (s, (name, addr, line)) in hoge.servers.iter().zip([
            ("web10", "192.168.33.10:80", 66),
            ("web11", "192.168.33.11:80", 67),
        ]) {
            assert_eq!(s.name, name);
            assert_eq!(s.addr, addr.parse().unwrap());
            assert_eq!(s.line, line);
            assert!(s.check);
            assert_eq!(s.inter, Duration::from_millis(3000));
            assert_eq!((s.fall, s.rise, s.weight), (2, 2, 1));
            assert!(!s.backup && !s.disabled);
            assert_eq!(
                (s.maxconn, s.fastinter, s.downinter, s.slowstart),
                (None, None, None, None)
            );
        }
        assert_eq!(hoge.servers.len(), 2);
        assert_eq!(c.demo, None);
        assert_eq!(c.ui, UiConfig::default());

        let lines: Vec<(usize, &str)> = c
            .warnings
            .iter()
            .map(|w| (w.line, w.message.split(':').next().unwrap_or("")))
            .collect();
        assert_eq!(
            lines,
            [
                (16, "'chroot' ignored"),
                (17, "'pidfile' ignored"),
                (19, "'user' ignored"),
                (20, "'group' ignored"),
                (21, "'daemon' ignored"),
                (40, "'option httpchk' "),
                (58, "frontend 'main'"),
            ]
        );
        warned(
            &c,
            40,
            "hiding headers or body at the end of the version string is deprecated",
        );
        warned(&c, 58, "('*:80') is deprecated HAProxy 1.x syntax");
        warned(&c, 58, "lbtop reads it as 'bind *:80'");
    }

    #[test]
    fn the_loopback_seed_is_the_seed_on_loopback() {
        let (Some(seed), Some(loopback)) = (
            crate::config::testkit::seed_path("haproxy.cfg"),
            crate::config::testkit::seed_path("haproxy-loopback.cfg"),
        ) else {
            return;
        };
        let a = Config::load(&seed).unwrap();
        let b = Config::load(&loopback).unwrap();
        assert_eq!(b.frontends[0].bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(b.global.log[0].addr, "127.0.0.1:5514".parse().unwrap());
        assert_eq!(
            b.global.stats_socket.as_ref().unwrap().path,
            "/tmp/lbtop-seed.sock"
        );
        let ports = [8010, 8011];
        for (s, port) in b.backends[0].servers.iter().zip(ports) {
            assert_eq!(s.addr, SocketAddr::from(([127, 0, 0, 1], port)));
        }
        // Only pidfile and the httpchk form are left to warn about.
        let msgs: Vec<usize> = b.warnings.iter().map(|w| w.line).collect();
        assert_eq!(msgs, [17, 40]);

        // Everything else is the same.
        let mut a2 = a.clone();
        a2.source = b.source.clone();
        a2.warnings = b.warnings.clone();
        a2.global.log = b.global.log.clone();
        a2.global.stats_socket = b.global.stats_socket.clone();
        a2.frontends[0].bind = b.frontends[0].bind;
        a2.frontends[0].line = b.frontends[0].line;
        a2.backends[0].line = b.backends[0].line;
        for (x, y) in a2.backends[0]
            .servers
            .iter_mut()
            .zip(&b.backends[0].servers)
        {
            x.addr = y.addr;
            x.line = y.line;
        }
        assert_eq!(a2, b);
    }

    // -- keywords -----------------------------------------------------------------------------

    #[test]
    fn global_keywords() {
        let c = ok("global
    log 127.0.0.1:5514 len 2048 format rfc5424 local0 info notice
    log udp@10.0.0.1 user
    log ipv6@::1 local7 emerg
    maxconn 100
    nbthread 4
    stats socket ipv4@127.0.0.1:9999 level admin mode 0600 expose-fd listeners
    stats timeout 30s
    stats maxconn 5
    uid 99
    node n1
    description two words
    ulimit-n 1000
    ca-base /etc/ssl/certs
");
        let g = &c.global;
        assert_eq!(g.maxconn, Some(100));
        assert_eq!(g.nbthread, Some(4));
        assert_eq!(g.log.len(), 3);
        let l = &g.log[0];
        assert_eq!(l.addr, "127.0.0.1:5514".parse().unwrap());
        assert_eq!((l.len, l.format), (2048, LogFormat::Rfc5424));
        assert_eq!((l.facility, l.max_level, l.min_level), (16, 6, 5));
        let l = &g.log[1];
        assert_eq!(l.addr, "10.0.0.1:514".parse().unwrap());
        assert_eq!(
            (l.facility, l.max_level, l.min_level, l.len),
            (1, 7, 0, 1024)
        );
        assert_eq!(g.log[2].addr, "[::1]:514".parse().unwrap());
        assert_eq!(g.log[2].max_level, 0);
        assert_eq!(
            g.stats_socket,
            Some(StatsSocket {
                path: "ipv4@127.0.0.1:9999".into(),
                level: "admin".into(),
                mode: Some(0o600),
            })
        );
        for (line, what) in [
            (7, "'stats socket ... expose-fd' ignored"),
            (8, "'stats timeout' ignored"),
            (9, "'stats maxconn' ignored"),
            (10, "'uid' ignored"),
            (11, "'node' ignored"),
            (12, "'description' ignored"),
            (13, "'ulimit-n' ignored"),
            (14, "'ca-base' ignored"),
        ] {
            warned(&c, line, what);
        }
        assert_eq!(c.warnings.len(), 8);
    }

    #[test]
    fn proxy_keywords_and_defaults_folding() {
        let c = ok("defaults
    mode http
    log global
    option httplog
    option forwardfor header X-Real-IP if-none
    option httpclose
    option allbackups
    retries 5
    timeout client 5s
    timeout connect 0
    timeout tunnel 1h
    contimeout 4s
    maxconn 10
    balance leastconn
    default-server inter 1s fall 5
    option log-health-checks
frontend f1
    bind :8080
    log 10.0.0.1 local0
    default_backend b1
frontend f2
    bind ipv6@:::8081
    mode tcp
    option tcplog
    option http-keep-alive
    no log
    maxconn 20
    default_backend t1
backend b1
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2 check weight 5 inter 2s backup maxconn 0 disabled slowstart 0
    server s3 127.0.0.1:3 fastinter 100ms downinter 9s slowstart 30s maxconn 8 no-check enabled
backend t1
    mode tcp
    balance random
    no option allbackups
    no option log-health-checks
    option redispatch
    server s 127.0.0.1:3 check
");
        warned(
            &c,
            6,
            "'option httpclose' is read as 'option http-server-close'",
        );
        warned(&c, 11, "'timeout tunnel' ignored");
        warned(
            &c,
            12,
            "'contimeout' is the pre-1.5 form of 'timeout connect'",
        );
        assert_eq!(c.warnings.len(), 3, "{:#?}", c.warnings);

        let f1 = &c.frontends[0];
        assert_eq!(f1.bind, "0.0.0.0:8080".parse().unwrap());
        assert_eq!((f1.mode, f1.maxconn), (Mode::Http, Some(10)));
        assert!(f1.options.httplog && f1.options.http_server_close);
        assert_eq!(
            f1.options.forwardfor,
            Some(ForwardFor {
                except: None,
                header: "x-real-ip".into(),
                if_none: true
            })
        );
        assert_eq!(f1.timeouts.client, Some(Duration::from_secs(5)));
        assert_eq!(
            f1.timeouts.connect,
            Some(Duration::from_secs(4)),
            "contimeout"
        );
        assert!(f1.log_global);
        assert_eq!(f1.log.len(), 1);
        assert_eq!(f1.log[0].facility_name(), "local0");

        let f2 = &c.frontends[1];
        assert_eq!(f2.bind, "[::]:8081".parse().unwrap());
        assert_eq!((f2.mode, f2.maxconn), (Mode::Tcp, Some(20)));
        assert!(f2.options.tcplog && !f2.options.httplog);
        assert!(
            !f2.options.http_server_close,
            "http-keep-alive undoes httpclose"
        );
        assert!(!f2.log_global && f2.log.is_empty(), "no log");
        assert_eq!(c.backends[f2.default_backend].name, "t1");

        let b1 = &c.backends[0];
        assert_eq!(b1.mode, Mode::Http);
        assert_eq!(b1.balance, Balance::LeastConn);
        assert_eq!(b1.options.retries, 5);
        assert!(b1.options.allbackups && b1.options.log_health_checks);
        assert_eq!(b1.check, HealthCheck::Tcp);
        let s = &b1.servers;
        assert_eq!(
            (s[0].inter, s[0].fall, s[0].check),
            (Duration::from_secs(1), 5, false)
        );
        assert_eq!(
            (s[1].inter, s[1].weight, s[1].maxconn),
            (Duration::from_secs(2), 5, None)
        );
        assert!(s[1].check && s[1].backup && s[1].disabled);
        assert_eq!(s[1].slowstart, None, "slowstart 0 is off");
        assert_eq!(s[2].fastinter, Some(Duration::from_millis(100)));
        assert_eq!(s[2].downinter, Some(Duration::from_secs(9)));
        assert_eq!(s[2].slowstart, Some(Duration::from_secs(30)));
        assert_eq!(s[2].maxconn, Some(8));
        assert!(!s[2].check && !s[2].disabled);
        assert_eq!(
            (s[2].inter, s[2].fall),
            (Duration::from_secs(1), 5),
            "default-server"
        );

        let t1 = &c.backends[1];
        assert_eq!(t1.balance, Balance::Random);
        assert!(!t1.options.allbackups && !t1.options.log_health_checks);
        assert!(t1.options.redispatch);
    }

    #[test]
    fn every_defaults_section_starts_afresh() {
        let c = ok("defaults
    mode http
    retries 7
frontend a
    bind :1
    default_backend a
backend a
defaults named
    timeout connect 3s
backend b
defaults
    mode http
backend c from named
backend d
defaults other from named
    retries 1
backend e from other
defaults named2 from other
backend f from named2
");
        let b = |n: &str| c.backend(n).unwrap();
        assert_eq!((b("a").mode, b("a").options.retries), (Mode::Http, 7));
        assert_eq!(c.frontends[0].mode, Mode::Http);
        assert_eq!((b("b").mode, b("b").options.retries), (Mode::Tcp, 3));
        assert_eq!(b("b").timeouts.connect, Some(Duration::from_secs(3)));
        assert_eq!(
            b("c").mode,
            Mode::Tcp,
            "from named, not from the last defaults"
        );
        assert_eq!(b("c").timeouts.connect, Some(Duration::from_secs(3)));
        assert_eq!((b("d").mode, b("d").timeouts.connect), (Mode::Http, None));
        assert_eq!(b("e").options.retries, 1);
        assert_eq!(b("e").timeouts.connect, Some(Duration::from_secs(3)));
        assert_eq!(b("f").options.retries, 1);

        fails(
            "defaults named\nbackend b from namd\n",
            2,
            &["defaults section 'namd' not found", "did you mean 'named'?"],
        );
        fails("backend b from\n", 1, &["needs a defaults name"]);
        fails(
            "defaults x\ndefaults x\n",
            2,
            &["'x' is already defined at line 1"],
        );
        fails(
            "backend b\ndefaults later\nbackend c from later extra\n",
            3,
            &["unexpected 'extra' after 'from later'"],
        );
    }

    #[test]
    fn listen_is_a_frontend_and_a_backend() {
        let c = ok("listen web
    bind 127.0.0.1:80
    mode http
    balance source
    server a 127.0.0.1:81
listen other 127.0.0.1:90
    mode http
    default_backend web
frontend web2
    bind 127.0.0.1:82
    mode http
    default_backend other
");
        assert_eq!(c.frontends.len(), 3);
        assert_eq!(c.backends.len(), 2);
        let web = &c.frontends[0];
        assert_eq!((web.name.as_str(), web.mode), ("web", Mode::Http));
        assert_eq!(c.backends[web.default_backend].name, "web");
        assert_eq!(c.backends[0].balance, Balance::Source);
        assert_eq!(c.backends[0].servers[0].name, "a");
        // In tcp mode, `listen other` could not send to `web`.
        fails(
            "listen web\n    bind :1\n    mode http\nlisten other :2\n    default_backend web\n",
            5,
            &["tcp listen 'other' tries to use incompatible http backend 'web' (line 1)"],
        );
        warned(&c, 6, "an address on the 'listen' line");
        let other = &c.frontends[1];
        assert_eq!(c.backends[other.default_backend].name, "web");
        // A frontend and a backend may share a name, a listen and either may not.
        fails(
            "listen x\n    bind :1\nfrontend x\n",
            3,
            &["frontend 'x' has the same name as listen 'x' declared at line 1"],
        );
        fails(
            "backend x\nlisten x\n",
            2,
            &["listen 'x' has the same name as backend 'x' declared at line 1"],
        );
    }

    #[test]
    fn http_checks_follow_haproxy_rule_sets() {
        // Observed on HAProxy 2.6 (bytes received by the server):
        let c = ok("defaults
    mode http
    option httpchk GET /d HTTP/1.0\\r\\nX:\\ y
backend b0
    option httpchk GET /a HTTP/1.1
    http-check send hdr Host x
backend b1
    http-check send meth POST uri /b
    option httpchk GET /a
backend b2
    http-check send uri /c
backend b3
    http-check send hdr Z w
backend b4
    option httpchk
    http-check send meth GET
backend b5
    option httpchk /only
backend b6
backend b7
    option tcp-check
");
        let req = |n: &str| match &c.backend(n).unwrap().check {
            HealthCheck::Http(h) => {
                let mut s = format!("{} {} {}", h.method, h.path, h.version);
                for (k, v) in &h.headers {
                    s.push_str(&format!(" [{k}: {v}]"));
                }
                s
            }
            HealthCheck::Tcp => "tcp".into(),
        };
        // `GET /a HTTP/1.1\r\nhost: x`
        assert_eq!(req("b0"), "GET /a HTTP/1.1 [Host: x]");
        // `option httpchk` after `http-check send` replaces it: `GET /a HTTP/1.0`
        assert_eq!(req("b1"), "GET /a HTTP/1.0");
        // A proxy's own rules do not start from its defaults' request: `OPTIONS /c HTTP/1.0`
        assert_eq!(req("b2"), "OPTIONS /c HTTP/1.0");
        assert_eq!(req("b3"), "OPTIONS / HTTP/1.0 [Z: w]");
        assert_eq!(req("b4"), "GET / HTTP/1.0");
        assert_eq!(req("b5"), "OPTIONS /only HTTP/1.0");
        // Nothing of its own: the defaults' whole request, legacy headers included.
        assert_eq!(req("b6"), "GET /d HTTP/1.0 [X: y]");
        assert_eq!(req("b7"), "tcp");
        // The defaults' legacy form warned once, on its line.
        warned(&c, 3, "hiding headers or body");

        let c = ok(&with_backend(
            "    option httpchk HEAD /hc HTTP/1.1\\r\\nHost:\\ example.com\\r\\nX-A:b\\r\\n\n",
        ));
        let HealthCheck::Http(h) = &c.backends[0].check else {
            panic!()
        };
        assert_eq!(
            h.headers,
            [
                ("Host".to_string(), "example.com".to_string()),
                ("X-A".to_string(), "b".to_string())
            ]
        );
        warned(&c, 5, "'option httpchk' : hiding headers");

        // Rules without `option httpchk` are ignored, as HAProxy warns.
        let c = ok(&with_backend("    http-check send meth GET\n"));
        assert_eq!(c.backends[0].check, HealthCheck::Tcp);
        warned(
            &c,
            5,
            "backend 'b' uses http-check rules without 'option httpchk'",
        );

        fails(
            &with_backend(
                "    option httpchk\n    http-check send meth GET\n    http-check send uri /x\n",
            ),
            7,
            &["already has one at line 6"],
        );
        fails(
            &with_backend("    option httpchk a b c d\n"),
            5,
            &["unexpected argument 'd'"],
        );
        fails(
            &with_backend("    option httpchk GET / HTTP/1.0\\r\\nbad\n"),
            5,
            &["hidden header 'bad' has no ':'"],
        );
        fails(
            &with_backend("    option httpchk GET / HTTP/1.0\\r\\n\\r\\nbody\n"),
            5,
            &["body is not supported"],
        );
        fails(
            &with_backend("    http-check send hdr Host\n"),
            5,
            &["'hdr' expects <name> and <value>"],
        );
        fails(
            &with_backend("    http-check send mthe GET\n"),
            5,
            &["got 'mthe'", "did you mean 'meth'?"],
        );
        fails(
            &with_backend("    http-check expect status 200\n"),
            5,
            &["'http-check expect' is not supported by lbtop"],
        );
        fails(
            &with_backend("    http-check send hdr \"Bad Name\" x\n"),
            5,
            &["not a valid header name"],
        );
    }

    #[test]
    fn keywords_a_side_cannot_use_are_ignored_with_haproxys_warning() {
        let c = ok("defaults
    mode http
    retries 4
frontend f
    bind :80
    retries 9
    balance first
    option redispatch
    option httpchk
    http-check send meth GET
    timeout server 3s
    option log-health-checks
    option allbackups
    default_backend b
backend b
    maxconn 5
    timeout client 3s
    default_backend b
    option dontlognull
    option httplog
    option tcplog
    bind :81
");
        for (line, what) in [
            (
                6,
                "'retries' ignored because frontend 'f' has no backend capability",
            ),
            (7, "'balance' ignored"),
            (8, "'redispatch' ignored"),
            (9, "'httpchk' ignored"),
            (10, "'http-check' ignored"),
            (11, "'timeout server' ignored because frontend 'f'"),
            (12, "'log-health-checks' ignored"),
            (13, "'allbackups' ignored"),
            (
                16,
                "'maxconn' ignored because backend 'b' has no frontend capability",
            ),
            (17, "'timeout client' ignored because backend 'b'"),
            (18, "'default_backend' ignored"),
            (19, "'dontlognull' ignored"),
            (
                20,
                "backend 'b' : 'option httplog' directive is ignored in backends",
            ),
            (21, "'option tcplog' directive is ignored in backends"),
            (22, "'bind' ignored because backend 'b'"),
        ] {
            warned(&c, line, what);
        }
        assert_eq!(c.warnings.len(), 15);
        let f = &c.frontends[0];
        assert_eq!(
            f.options.retries, 4,
            "the frontend's own retries is ignored"
        );
        assert!(!f.options.redispatch && f.timeouts.server.is_none());
        let b = &c.backends[0];
        assert!(b.timeouts.client.is_none() && !b.options.httplog && !b.options.dontlognull);
        fails(
            "frontend f\n    bind :1\n    server s 127.0.0.1:1\n",
            3,
            &["'server' not allowed because frontend 'f' has no backend capability"],
        );
        fails(
            "frontend f\n    default-server check\n",
            2,
            &["'default-server' not allowed"],
        );
        fails(
            "defaults\n    bind :80\n",
            2,
            &["'bind' not allowed in 'defaults' section"],
        );
        fails(
            "defaults\n    server s 127.0.0.1:1\n",
            2,
            &["'server' not allowed in 'defaults' section"],
        );
    }

    #[test]
    fn httplog_and_tcplog_override_each_other() {
        let c = ok("defaults\n    option httplog\n    option tcplog\n");
        warned(
            &c,
            3,
            "'option tcplog' overrides previous 'option httplog' in 'defaults' section",
        );
        let c = ok("defaults\n    option httplog\nfrontend f\n    bind :1\n    option tcplog\n    default_backend b\nbackend b\n");
        assert!(c.warnings.is_empty(), "inherited: no warning");
        assert!(c.frontends[0].options.tcplog && !c.frontends[0].options.httplog);
    }

    #[test]
    fn addresses() {
        let bind = |s: &str| {
            bind_addr(s)
                .unwrap_or_else(|e| panic!("{s}: {e}"))
                .to_string()
        };
        assert_eq!(bind("127.0.0.1:80"), "127.0.0.1:80");
        assert_eq!(bind("*:80"), "0.0.0.0:80");
        assert_eq!(bind(":80"), "0.0.0.0:80");
        assert_eq!(bind("ipv4@:80"), "0.0.0.0:80");
        assert_eq!(bind("[::1]:80"), "[::1]:80");
        assert_eq!(bind("::1:80"), "[::1]:80");
        assert_eq!(bind(":::80"), "[::]:80");
        assert_eq!(bind("ipv6@:80"), "[::]:80");
        assert_eq!(bind("tcp@10.1.2.3:0"), "10.1.2.3:0");
        for (bad, why) in [
            ("127.0.0.1", "has no port"),
            ("127.0.0.1:", "has no port"),
            ("localhost:80", "does not resolve host names"),
            ("1.2.3.4:80-81", "port range"),
            ("1.2.3.4:+1", "port range or offset"),
            ("1.2.3.4:70000", "invalid port '70000'"),
            (":80,:81", "one address per frontend"),
            ("/run/x.sock", "TCP addresses only"),
            ("unix@/run/x.sock", "TCP addresses only"),
            ("ipv4@[::1]:80", "IPv4 prefix on an IPv6 address"),
            ("ipv6@127.0.0.1:80", "IPv6 prefix on an IPv4 address"),
        ] {
            let e = bind_addr(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(
            server_addr("192.168.33.10:80").unwrap().to_string(),
            "192.168.33.10:80"
        );
        assert_eq!(
            server_addr("ipv6@::1:8080").unwrap().to_string(),
            "[::1]:8080"
        );
        assert!(server_addr("*:80")
            .unwrap_err()
            .contains("not an IP address: '*'"));
        assert!(server_addr(":80").unwrap_err().contains("has no address"));
        assert!(server_addr("10.0.0.1").unwrap_err().contains("has no port"));
        assert_eq!(log_addr("127.0.0.1").unwrap().to_string(), "127.0.0.1:514");
        assert_eq!(
            log_addr("udp@127.0.0.1:5514").unwrap().to_string(),
            "127.0.0.1:5514"
        );
        assert_eq!(log_addr("[::1]").unwrap().to_string(), "[::1]:514");
        assert_eq!(log_addr("[::1]:9").unwrap().to_string(), "[::1]:9");
        for bad in ["/dev/log", "stdout", "fd@2", "ring@buf", "tcp@1.2.3.4:514"] {
            assert!(
                log_addr(bad)
                    .unwrap_err()
                    .contains("only sends syslog over UDP"),
                "{bad}"
            );
        }
        assert_eq!(octal_mode("600"), Ok(0o600));
        assert_eq!(octal_mode("0660"), Ok(0o660));
        for bad in ["999", "", "-1", "+7", "77777", "6x"] {
            assert!(octal_mode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_line_the_keyword_and_the_closest_keyword() {
        let e = fails(
            "global\n    maxconn 10\n\ndefaults\n    optoin httplog\n",
            5,
            &[],
        );
        assert_eq!(
            e.to_string(),
            "t.cfg:5: unknown keyword 'optoin' in 'defaults' section; did you mean 'option'?"
        );
        let e = fails(
            &with_backend("    server web10 127.0.0.1:80 check inetr 3s\n"),
            5,
            &[],
        );
        assert_eq!(
            e.message,
            "backend 'b': server 'web10': unknown keyword 'inetr'; did you mean 'inter'?"
        );
        let cases: &[(&str, usize, &[&str])] = &[
            ("global\n  chrot /x\n", 2, &["unknown keyword 'chrot' in 'global' section; did you mean 'chroot'?"]),
            ("\n# c\nmode http\n", 3, &["unknown keyword 'mode' out of section"]),
            ("frontnd x\n", 1, &["out of section; did you mean 'frontend'?"]),
            ("frontend f\n    bnid :80\n", 2, &["in 'frontend' section; did you mean 'bind'?"]),
            ("backend b\n    xyzzy 1\n", 2, &["unknown keyword 'xyzzy' in 'backend' section"]),
            ("defaults\n    option httplgo\n", 2, &["unknown option 'httplgo'; did you mean 'httplog'?"]),
            ("defaults\n    option abortonclose\n", 2, &["'option abortonclose' is not supported by lbtop"]),
            ("defaults\n    no option httplog\n", 2, &["negation/default is not supported for option 'httplog'"]),
            ("defaults\n    no mode\n", 2, &["'no mode'"]),
            ("defaults\n    default option redispatch\n", 2, &["'default option ...' is not supported"]),
            ("defaults\n    no option forwardfor\n", 2, &["negation/default is not supported for option 'forwardfor'"]),
            ("defaults\n    option\n", 2, &["'option' expects an option name"]),
            ("defaults\n    option dontlognull x\n", 2, &["cannot handle unexpected argument 'x'"]),
            ("defaults\n    timeout conect 5s\n", 2, &["'timeout' supports", "(got 'conect'); did you mean 'connect'?"]),
            ("defaults\n    timeout client\n", 2, &["'timeout client' expects a time value"]),
            ("defaults\n    timeout client 5s 6s\n", 2, &["unexpected argument '6s'"]),
            ("defaults\n    timeout check 10S\n", 2, &["'timeout check'", "unknown time unit 'S'"]),
            ("defaults\n    clitimeout soon\n", 2, &["'timeout client'", "not a time value"]),
            ("defaults\n    balance roundrobbin\n", 2, &["'balance' only supports", "did you mean 'roundrobin'?"]),
            ("defaults\n    balance\n", 2, &["'balance' only supports"]),
            ("defaults\n    balance uri whole\n", 2, &["options of the algorithm are not supported"]),
            ("defaults\n    balance url_param id\n", 2, &["'balance url_param' is not supported"]),
            ("defaults\n    balance hdr()\n", 2, &["requires an http header field name"]),
            ("defaults\n    mode htp\n", 2, &["unknown proxy mode 'htp'", "did you mean 'http'?"]),
            ("defaults\n    mode health\n", 2, &["unknown proxy mode 'health'"]),
            ("defaults\n    retries -1\n", 2, &["'retries' must be at least 0, got -1"]),
            ("defaults\n    retries x\n", 2, &["'retries' expects an integer, got 'x'"]),
            ("defaults\n    maxconn 0\n", 2, &["'maxconn' must be at least 1, got 0"]),
            ("defaults\n    maxconn 99999999999\n", 2, &["'maxconn' must be at least 1"]),
            ("defaults\n    log 127.0.0.1 local9\n", 2, &["unknown log facility 'local9'", "did you mean 'local0'?"]),
            ("defaults\n    log 127.0.0.1 local0 bogus\n", 2, &["unknown optional log level 'bogus'"]),
            ("defaults\n    log 127.0.0.1 local0 info notice extra\n", 2, &["unexpected argument 'extra'"]),
            ("defaults\n    log 127.0.0.1 format raw len 100 local0\n", 2, &["unknown log facility 'len'"]),
            ("defaults\n    log 127.0.0.1 len 10 local0\n", 2, &["'len' must be between 80 and 65535, got 10"]),
            ("defaults\n    log 127.0.0.1 format json local0\n", 2, &["unknown log format 'json'"]),
            ("defaults\n    log 127.0.0.1 sample 1:2 local0\n", 2, &["'sample' is not supported"]),
            ("defaults\n    log 127.0.0.1\n", 2, &["expects <address> and <facility>"]),
            ("defaults\n    log /dev/log local0\n", 2, &["only sends syslog over UDP"]),
            ("defaults\n    log localhost local0\n", 2, &["does not resolve host names"]),
            ("defaults\n    log global x\n", 2, &["'log global' takes no argument"]),
            ("defaults\n    option forwardfor except\n", 2, &["expects <address>[/mask]"]),
            ("defaults\n    option forwardfor except 10.0.0.0/33\n", 2, &["prefix longer than 32"]),
            ("defaults\n    option forwardfor bogus\n", 2, &["only supports optional values"]),
            ("defaults\n    option forwardfor header\n", 2, &["expects <header_name>"]),
            ("defaults\n    use_backend b if x\n", 2, &["'use_backend' is not supported by lbtop"]),
            ("defaults\n    acl a src 1.2.3.4\n", 2, &["'acl' is not supported by lbtop"]),
            ("defaults\n    default_backend\n", 2, &["'default_backend' expects a backend name"]),
            ("defaults\n    default-server chekc\n", 2, &["default-server: unknown keyword 'chekc'; did you mean 'check'?"]),
            ("global\n    maxconn 1\n    maxconn 2\n", 3, &["'maxconn' already specified at line 2"]),
            ("global\n    nbthread 0\n", 2, &["'nbthread' must be between 1 and 64, got 0"]),
            ("global\n    chroot\n", 2, &["'chroot' expects one argument"]),
            ("global\n    daemon now\n", 2, &["'daemon' expects no argument"]),
            ("global\n    uid x\n", 2, &["'uid' expects an integer"]),
            ("global\n    log global\n", 2, &["'log global' is meaningless in the global section"]),
            ("global\n    stats socket\n", 2, &["expects an address or a path"]),
            ("global\n    stats socket /s level god\n", 2, &["'level' only supports"]),
            ("global\n    stats socket /s mode 999\n", 2, &["'999' is not an octal permission mode"]),
            ("global\n    stats socket /s level\n", 2, &["'level' expects"]),
            ("global\n    stats socket /s bogus 1\n", 2, &["unknown keyword 'bogus'"]),
            ("global\n    stats socket /a\n    stats socket /b\n", 3, &["one 'stats socket' (the first is at line 2)"]),
            ("global\n    stats sockt /a\n", 2, &["'stats sockt'", "did you mean 'socket'?"]),
            ("global\n    tune.bufsize 1\n", 2, &["'tune.bufsize' is not supported"]),
            ("global\n    nbproc 2\n", 2, &["'nbproc' is not supported"]),
            ("global x\n", 1, &["'global' takes no argument"]),
            ("peers p\n", 1, &["'peers' sections are not supported"]),
            (".if defined(X)\n", 1, &["conditional blocks"]),
            ("frontend\n", 1, &["'frontend' needs a name"]),
            ("frontend a!b\n", 1, &["character '!' is not permitted in frontend name 'a!b'"]),
            ("defaults a b\n", 1, &["'defaults' takes at most a name"]),
            ("backend b extra\n", 1, &["takes only a name"]),
            ("frontend f 1.2.3.4:80 1.2.3.4:81\n", 1, &["expected one address after the name"]),
            ("frontend f localhost:80\n", 1, &["frontend 'f': address 'localhost:80' is not an IP address"]),
            ("frontend f\n    bind :80 ssl crt /x.pem\n", 2, &["bind option 'ssl' is not supported"]),
            ("frontend f\n    bind\n", 2, &["'bind' expects an address"]),
            ("frontend f\n    bind :80\n    bind :81\n", 3, &["already listening on 0.0.0.0:80 (line 2)"]),
            ("frontend f *:80\n    bind :81\n", 2, &["already listening on 0.0.0.0:80 (line 1)"]),
            ("frontend f\n    bind 127.0.0.1\n", 2, &["'bind' '127.0.0.1' has no port"]),
            ("\n\nfrontend f\n    default_backend b\nbackend b\n", 3, &["frontend 'f' has no 'bind' line"]),
            ("frontend f\n    bind :1\n", 1, &["frontend 'f' has no 'default_backend'"]),
            ("frontend f\n    bind :1\n    default_backend hog\nbackend hoge\n", 3, &["unable to find required default_backend: 'hog'; did you mean 'hoge'?"]),
            ("frontend f\n    bind :1\n    default_backend f\n", 3, &["unable to find required default_backend: 'f'"]),
            ("frontend f\n    bind :1\n    mode http\n    default_backend b\nbackend b\n", 4, &["http frontend 'f' tries to use incompatible tcp backend 'b' (line 5) as its default backend (see 'mode')"]),
            ("frontend f\n    bind :1\n    default_backend b\nbackend b\n    mode http\n", 3, &["tcp frontend 'f'", "HAProxy would upgrade the connection, lbtop does not"]),
            ("frontend f\n  bind :1\n  default_backend b\nbackend b\n  server s 1.2.3.4:80\n  server s 1.2.3.4:81\n", 6, &["another server named 's' was already defined at line 5"]),
            ("backend b\n    server s\n", 2, &["expects <name> and <addr>:<port>"]),
            ("backend b\n    server s 1.2.3.4\n", 2, &["server 's': address '1.2.3.4' has no port"]),
            ("backend b\n    server s localhost:80\n", 2, &["does not resolve host names"]),
            ("backend b\n    server s/x 1.2.3.4:80\n", 2, &["not permitted in server name 's/x'"]),
            ("backend b\n    server s 1.2.3.4:80 weight 300\n", 2, &["backend 'b': server 's': 'weight' must be between 0 and 256, got 300"]),
            ("backend b\n    server s 1.2.3.4:80 weight\n", 2, &["'weight' expects an argument"]),
            ("backend b\n    server s 1.2.3.4:80 inter 0\n", 2, &["'inter' must be greater than 0"]),
            ("backend b\n    server s 1.2.3.4:80 inter 3x\n", 2, &["'inter'", "unknown time unit 'x'"]),
            ("backend b\n    server s 1.2.3.4:80 fastinter 0\n", 2, &["'fastinter' must be greater than 0"]),
            ("backend b\n    server s 1.2.3.4:80 fall 0\n", 2, &["'fall' must be at least 1, got 0"]),
            ("backend b\n    server s 1.2.3.4:80 rise 0\n", 2, &["'rise' must be at least 1"]),
            ("backend b\n    server s 1.2.3.4:80 maxconn -1\n", 2, &["'maxconn' must be at least 0, got -1"]),
            ("backend b\n    server s 1.2.3.4:80 cookie s1\n", 2, &["'cookie' is not supported by lbtop"]),
            ("backend b\n    server s 1.2.3.4:80 chekc\n", 2, &["unknown keyword 'chekc'; did you mean 'check'?"]),
            ("backend b\n    server s 1.2.3.4:80 zzz\n", 2, &["unknown keyword 'zzz'"]),
            ("defaults\n    mode \"http\n", 2, &["unmatched double quote at column 10"]),
            ("defaults\n    mode h\\x7\n", 2, &["'\\x' escape"]),
        ];
        for (text, line, want) in cases {
            fails(text, *line, want);
        }
        // The closest keyword is offered only when it is close.
        let e = fails("backend b\n    server s 1.2.3.4:80 zzz\n", 2, &[]);
        assert!(!e.message.contains("did you mean"), "{e}");
    }

    #[test]
    fn environment_variables_reach_the_config() {
        let c = ok("frontend f\n    bind \":${PORT}\"\n    default_backend b\nbackend b\n    server s \"127.0.0.1:${NOPE-81}\"\n");
        assert_eq!(c.frontends[0].bind.port(), 8080);
        assert_eq!(c.backends[0].servers[0].addr.port(), 81);
        // `${.LINE}` is `5`, which is no server keyword: the error proves it expanded.
        let e = fails(
            "backend b\n\n    server s 1.2.3.4:80 \"x${.LINE}\"\n",
            3,
            &[],
        );
        assert!(e.message.contains("unknown keyword 'x3'"), "{e}");
    }

    #[test]
    fn an_empty_file_is_an_empty_config() {
        let c = ok("");
        assert!(c.frontends.is_empty() && c.backends.is_empty() && c.warnings.is_empty());
        let c = ok("global\ndefaults\n");
        assert_eq!(c.global.maxconn, None);
    }

    #[test]
    fn mutated_seeds_never_panic() {
        let original = match crate::config::testkit::seed_path("haproxy.cfg") {
            Some(p) => std::fs::read(p).unwrap(),
            // Without the seed, mutate the export of lbtop's own config instead.
            None => {
                let p = crate::config::testkit::repo_root().join("config.toml");
                Config::load(&p).unwrap().to_haproxy_cfg().into_bytes()
            }
        };
        let alphabet = b" \t\n\r\"'\\#$:{}[]*@-_/.0123456789abksx\x00\x7f\xc3\xa9";
        let mut rng = crate::config::testkit::Rng(0x9E37_79B9_7F4A_7C15);
        let (mut oks, mut errs) = (0, 0);
        for round in 0..600 {
            let mut bytes = original.clone();
            crate::config::testkit::mutate(&mut bytes, &mut rng, alphabet);
            let text = String::from_utf8_lossy(&bytes);
            let lines = text.split('\n').count();
            match parse_with_env(Path::new("fuzz.cfg"), &text, &env) {
                Ok(c) => {
                    oks += 1;
                    for w in &c.warnings {
                        assert!((1..=lines).contains(&w.line), "round {round}: {w:?}");
                    }
                    // Whatever loads exports to something that loads the same way.
                    let again = parse_with_env(Path::new("again.cfg"), &c.to_haproxy_cfg(), &env);
                    assert!(again.is_ok(), "round {round}: {:?}", again.err());
                }
                Err(e) => {
                    errs += 1;
                    assert!(
                        (1..=lines).contains(&e.line),
                        "round {round}: line {} outside 1..={lines}: {e}",
                        e.line
                    );
                    assert!(!e.message.is_empty());
                }
            }
        }
        assert!(
            oks > 0 && errs > 0,
            "mutations should both pass and fail ({oks}/{errs})"
        );
    }
}
