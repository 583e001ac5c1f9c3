//! The configuration model and its parsers.
//!
//! Everything is checked once, here, at load time: the rest of lbtop takes a
//! [`Config`] as proof that names resolve, numbers are in range and addresses
//! parse. Defaults are already folded into every frontend and backend.

pub mod acl;
mod bind;
mod compression;
mod describe;
pub mod edit;
mod errors;
mod export;
mod follow;
mod haproxy;
mod hash_type;
mod health;
mod host;
mod log;
mod log_sample;
mod logformat;
mod monitor;
mod rules;
mod server_state;
mod stats;
mod stick;
mod sticky;
mod tcp_check;
#[cfg(test)]
pub(crate) mod testkit;
mod tls;
mod toml;
mod userlist;
mod values;

pub use bind::{Bind, ProxyVersion};
pub use compression::{Algo, Compression};
pub use errors::{ConfigError, ConfigErrors, Warning};
pub use hash_type::{HashFn, HashType};
pub use health::{status_ranges, Expect, ExpectMatch, HealthCheck, HttpCheck};
pub use host::{Hold, InitAddr, Nameserver, Prefer, Resolvers, ServerHost};
pub use log::{LogAddr, LogFormat, LogTarget};
pub use log_sample::{LogFetch, LogSample};
pub use logformat::{Capture, Captures, Flags, Item, LineFormat, Var, HTTPLOG, HTTPSLOG, TCPLOG};
pub use monitor::Monitor;
pub use rules::{
    AclLine, BackendTarget, Edit, HttpAction, HttpRule, NameMatch, ProxyRules, Redirect,
    RedirectKind, Return, ReturnBody, Rx, Service, TcpAction, TcpReqRule, TcpRules, UseBackend,
    UseServer,
};
pub use server_state::{LoadState, ServerStateFrom, ServerStateGlobal};
pub use stats::{StatsAdmin, StatsPage};
pub use stick::{parse_rule, parse_table, Fetch, KeyType, StickRule, StickTable, StickWhen};
pub use sticky::{parse_cookie, Cookie, CookieMode};
pub use tcp_check::{parse_hex, to_hex, ExpectKind, ProtoCheck, TcpExpect, TcpRule};
pub use tls::{BindTls, ServerSni, ServerTls, TlsVersion, Verify};
pub use userlist::{Password, User, UserGroup, Userlist};
pub use values::parse_duration;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A fully resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from; relative paths in it resolve against its folder.
    pub source: PathBuf,
    pub global: Global,
    pub frontends: Vec<Frontend>,
    pub backends: Vec<Backend>,
    pub demo: Option<Demo>,
    pub ui: UiConfig,
    /// Things that loaded but deserve a word (deprecated or ignored keywords), with their line.
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    /// Process-wide connection limit; `None` means "from the file descriptor limit".
    pub maxconn: Option<u32>,
    /// Worker threads (`nbthread`); `None` means one per core.
    pub nbthread: Option<u32>,
    /// Log targets (`log <target> <facility> ...`); proxies use them through `log global`.
    pub log: Vec<LogTarget>,
    /// `log-send-hostname [<name>]`: the host name the `rfc3164` and `rfc5424` formats
    /// carry; `Some("")` is the machine's own name. Without it HAProxy writes `localhost`
    /// (rfc3164) or `-` (rfc5424).
    pub log_send_hostname: Option<String>,
    /// `log-tag <tag>`: the program name in syslog headers; `haproxy` when unset.
    pub log_tag: Option<String>,
    /// `stats socket <path> [level L] [mode M]` lines: the runtime API's listeners.
    pub stats_sockets: Vec<StatsSocket>,
    /// `stats timeout`: how long a runtime API session may stay idle (10 s when unset).
    pub stats_timeout: Option<std::time::Duration>,
    /// `stats maxconn`: runtime API sessions at once (10 when unset).
    pub stats_maxconn: Option<u32>,
    /// `resolvers` sections, in file order.
    pub resolvers: Vec<Resolvers>,
    /// `userlist` sections, in file order.
    pub userlists: Vec<Userlist>,
    /// `spread-checks`: each interval between checks varies by up to this percentage
    /// (0..=50, 0 = none).
    pub spread_checks: u32,
    /// `server-state-file` and `server-state-base`.
    pub server_state: ServerStateGlobal,
    /// `metrics = "addr"` (TOML only): a listener answering `GET /metrics` with the
    /// Prometheus exporter's text (docs/haproxy-semantics.md §28).
    pub metrics: Option<std::net::SocketAddr>,
    /// `hard-stop-after`: how long a soft stop (SIGUSR1, or the old configuration after a
    /// reload) may wait for its sessions before they are killed (docs/haproxy-semantics.md
    /// §30); `None` waits for ever, as HAProxy does.
    pub hard_stop_after: Option<Duration>,
}

/// `stats socket <path> [level <L>] [mode <M>] [expose-fd listeners]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsSocket {
    /// A UNIX socket path, or an `ipv4@addr:port`-style address, as written.
    pub path: String,
    /// `user`, `operator` (the default) or `admin`.
    pub level: String,
    /// UNIX permissions of the socket file (`mode 600` is `Some(0o600)`).
    pub mode: Option<u32>,
    /// `expose-fd listeners`: the socket answers `_getsocks` with the listening sockets, for
    /// a new process started with `-x` (docs/haproxy-semantics.md §31).
    pub expose_fd_listeners: bool,
}

impl StatsSocket {
    pub const LEVELS: [&'static str; 3] = ["user", "operator", "admin"];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Http,
    Tcp,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Http => "http",
            Mode::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HAProxy's timeouts. `None` means unset, with HAProxy's fallbacks applied by the engine
/// (http-request falls back to client, queue to connect, http-keep-alive to http-request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    pub connect: Option<Duration>,
    pub client: Option<Duration>,
    pub server: Option<Duration>,
    pub check: Option<Duration>,
    pub http_request: Option<Duration>,
    pub queue: Option<Duration>,
    pub http_keep_alive: Option<Duration>,
    /// How long `http-request tarpit` holds a request (docs/haproxy-semantics.md §21.3).
    pub tarpit: Option<Duration>,
    /// `timeout tunnel`: the idle limit of a TCP session or an upgraded (`101`) connection,
    /// in place of the shorter of `client` and `server`.
    pub tunnel: Option<Duration>,
    /// `timeout client-fin`: the idle limit once lbtop has closed its half of the client
    /// connection, when shorter (docs/haproxy-semantics.md §23.3).
    pub client_fin: Option<Duration>,
    /// `timeout server-fin`: likewise for the server connection.
    pub server_fin: Option<Duration>,
}

/// `option forwardfor [except <net>] [header <name>] [if-none]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardFor {
    pub except: Option<IpNet>,
    /// Header name, lower-case as HAProxy writes it: `x-forwarded-for` by default.
    pub header: String,
    /// `if-none`: only add the header when the request has none.
    pub if_none: bool,
}

/// An address and prefix length, for `except 127.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub addr: std::net::IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::*;
        let ip = match ip {
            V6(v6) => v6.to_ipv4_mapped().map(V4).unwrap_or(V6(v6)),
            v4 => v4,
        };
        match (self.addr, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The `option` flags a proxy carries once defaults are folded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub log_health_checks: bool,
    pub httplog: bool,
    /// `option httpslog`: `httplog` is set too; the line ends with the TLS details.
    pub httpslog: bool,
    pub tcplog: bool,
    pub dontlognull: bool,
    /// `option dontlog-normal`: only sessions with an error are logged.
    pub dontlog_normal: bool,
    /// `option log-separate-errors`: sessions with an error are logged at `err`, not `info`.
    pub log_separate_errors: bool,
    /// `option http-server-close`: a new server connection per request.
    pub http_server_close: bool,
    /// `option httpclose`: in a frontend, the client connection closes after each response
    /// and the server one too; in a backend only, the server connection (docs/haproxy-semantics.md
    /// §37). At most one of this and `http_server_close` is set: the last one written wins.
    pub httpclose: bool,
    /// `compression algo|type|offload`; `None` without any `compression` line.
    pub compression: Option<Compression>,
    pub forwardfor: Option<ForwardFor>,
    pub redispatch: bool,
    /// `option abortonclose`: a client that closes (or resets) its connection while its
    /// request waits in the queue, for a connect, or (HTTP) for the response head ends the
    /// request there (docs/haproxy-semantics.md §41).
    pub abortonclose: bool,
    /// `http-check disable-on-404`: an UP server whose HTTP check answers 404 goes NOLB
    /// (stopping): it keeps its persistent clients and takes no new ones
    /// (docs/haproxy-semantics.md §42).
    pub disable_on_404: bool,
    /// `option prefer-last-server`: a client's next request goes to the server its own kept
    /// connection goes to, while that server is usable (not with hashing algorithms).
    pub prefer_last_server: bool,
    /// `option persist`: a request whose cookie names a DOWN server still goes to it.
    pub persist: bool,
    /// Connection attempts after the first; HAProxy's default is 3.
    pub retries: u32,
    /// `option allbackups`: with no active server left, balance over every usable backup
    /// instead of only the first one.
    pub allbackups: bool,
    /// `http-reuse`: which idle server connections a request may use.
    pub http_reuse: HttpReuse,
    /// `errorfile <code> <file>`: what lbtop answers instead of its own page for a status,
    /// one per status, read when the config loads.
    pub errorfiles: Vec<ErrorFile>,
    /// `option http-pretend-keepalive`: with `http-server-close`, requests still go to the
    /// server worded for keep-alive (no `connection: close`).
    pub http_pretend_keepalive: bool,
    /// `option clitcpka` (or `tcpka` in a frontend): SO_KEEPALIVE on client connections.
    pub clitcpka: bool,
    /// `option srvtcpka` (or `tcpka` in a backend): SO_KEEPALIVE on server connections.
    pub srvtcpka: bool,
    /// `log-format`: the traffic line, when written after any `option httplog`/`tcplog`
    /// (the last of the three wins).
    pub log_format: Option<LineFormat>,
    /// `unique-id-format`: the request's ID, rendered once its head is in (`%ID`).
    pub unique_id_format: Option<LineFormat>,
    /// `unique-id-header`: the request header that carries the ID to the server.
    pub unique_id_header: Option<String>,
}

/// One `errorfile`: the file's bytes, an HTTP response (checked at load).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFile {
    pub status: u16,
    /// As written, for `lbtop export`.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// `http-reuse never|safe|aggressive|always` (HAProxy's default is `safe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpReuse {
    /// A server connection serves one client connection only.
    Never,
    /// A client connection's first request never gets a connection another client used.
    #[default]
    Safe,
    /// As `safe`, but a first request may take a connection that has carried two requests.
    Aggressive,
    /// Any idle connection serves any request.
    Always,
}

impl HttpReuse {
    pub const NAMES: [&'static str; 4] = ["never", "safe", "aggressive", "always"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn from_name(name: &str) -> Option<HttpReuse> {
        let all = [Self::Never, Self::Safe, Self::Aggressive, Self::Always];
        all.into_iter().find(|r| r.as_str() == name)
    }
}

impl Options {
    /// A traffic line is written: `option httplog`, `option tcplog` or `log-format`.
    pub fn logs_traffic(&self) -> bool {
        self.httplog || self.tcplog || self.log_format.is_some()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            log_health_checks: false,
            httplog: false,
            httpslog: false,
            tcplog: false,
            dontlognull: false,
            dontlog_normal: false,
            log_separate_errors: false,
            http_server_close: false,
            httpclose: false,
            compression: None,
            forwardfor: None,
            redispatch: false,
            abortonclose: false,
            disable_on_404: false,
            prefer_last_server: false,
            persist: false,
            retries: 3,
            allbackups: false,
            errorfiles: Vec::new(),
            http_reuse: HttpReuse::Safe,
            http_pretend_keepalive: false,
            clitcpka: false,
            srvtcpka: false,
            log_format: None,
            unique_id_format: None,
            unique_id_header: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Frontend {
    pub name: String,
    /// Its listening sockets, at least one, in the file's order.
    pub binds: Vec<Bind>,
    pub mode: Mode,
    /// Index into [`Config::backends`].
    pub default_backend: usize,
    pub maxconn: Option<u32>,
    pub timeouts: Timeouts,
    pub options: Options,
    /// `log global`: send this proxy's logs to [`Global::log`] too.
    pub log_global: bool,
    /// The proxy's own `log <target>` lines (those of its `defaults` first).
    pub log: Vec<LogTarget>,
    /// The stats page this proxy serves (`stats enable`, `stats uri`, ...); `None` when off.
    pub stats: Option<StatsPage>,
    /// `log-tag <tag>` for this proxy's messages; `None` uses [`Global::log_tag`].
    pub log_tag: Option<String>,
    /// `acl`, `http-request`, `redirect` and `use_backend` lines.
    pub rules: ProxyRules,
    /// `capture request|response header` and `capture cookie`.
    pub captures: Captures,
    /// `monitor-uri` (and its `monitor fail` conditions); `None` without one.
    pub monitor: Option<Monitor>,
    /// Line of the frontend's definition, for messages.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    Source,
    Uri,
    Random,
    /// `hdr(<name>)`: the header is in [`Backend::hash_header`].
    Hdr,
}

impl Balance {
    pub fn as_str(self) -> &'static str {
        match self {
            Balance::RoundRobin => "roundrobin",
            Balance::StaticRr => "static-rr",
            Balance::LeastConn => "leastconn",
            Balance::First => "first",
            Balance::Source => "source",
            Balance::Uri => "uri",
            Balance::Random => "random",
            Balance::Hdr => "hdr",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub name: String,
    pub mode: Mode,
    pub balance: Balance,
    pub check: HealthCheck,
    pub servers: Vec<Server>,
    pub timeouts: Timeouts,
    pub options: Options,
    /// `log global`, as on [`Frontend::log_global`].
    pub log_global: bool,
    /// The proxy's own `log <target>` lines.
    pub log: Vec<LogTarget>,
    /// `log-tag <tag>`, as on [`Frontend::log_tag`].
    pub log_tag: Option<String>,
    /// The header name of `balance hdr(<name>)`, as written; `None` for other algorithms.
    pub hash_header: Option<String>,
    /// `hash-type`: how `source`, `uri` and `hdr` map their hash to a server.
    pub hash_type: HashType,
    /// The stats page of this proxy, as on [`Frontend::stats`]: served for requests that
    /// reach this backend.
    pub stats: Option<StatsPage>,
    /// Made by lbtop for a frontend that has a stats page and no backend (HAProxy answers
    /// its other requests 503): no servers, not exported, not listed on the page.
    pub implicit: bool,
    /// `acl`, `http-request`, `redirect` and `use-server` lines.
    pub rules: ProxyRules,
    /// `cookie`: persistence by a cookie naming the server.
    pub cookie: Option<Cookie>,
    /// `stick-table`, and the `stick` rules that use it.
    pub stick_table: Option<StickTable>,
    pub stick_rules: Vec<StickRule>,
    /// `load-server-state-from-file` and `server-state-file-name`.
    pub server_state: ServerStateFrom,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub name: String,
    /// An unspecified IP (`*:80`, `0.0.0.0:80`) stands for the address the client reached
    /// (see [`Server::connect_addr`]).
    pub addr: SocketAddr,
    /// `Some(n)`: the address had no port, port 0, or `+n`/`-n`; connections go to the port
    /// the client reached plus `n` (the port in `addr` is then 0).
    pub port_offset: Option<i32>,
    /// 0..=256, default 1.
    pub weight: u32,
    /// Health checks enabled (`check`).
    pub check: bool,
    pub inter: Duration,
    pub fall: u32,
    pub rise: u32,
    pub backup: bool,
    pub maxconn: Option<u32>,
    /// `disabled`: starts in MAINT.
    pub disabled: bool,
    /// `fastinter`: check interval while the server is going up or down; `None` uses `inter`.
    pub fastinter: Option<Duration>,
    /// `downinter`: check interval while the server is fully down; `None` uses `inter`.
    pub downinter: Option<Duration>,
    /// `slowstart`: weight ramp-up after coming back UP; `None` (or `slowstart 0`) is off.
    pub slowstart: Option<Duration>,
    /// `addr`: checks go to this address instead of the server's.
    pub check_addr: Option<std::net::IpAddr>,
    /// `port`: checks go to this port instead of the server's.
    pub check_port: Option<u16>,
    /// `maxqueue`: how many requests may wait in this server's own queue (`None`: no limit).
    /// Requests balanced by round robin, leastconn, first or random wait in the backend's
    /// queue instead, in HAProxy too, where it does not apply.
    pub maxqueue: Option<u32>,
    /// `on-marked-down shutdown-sessions`: its sessions end when checks mark it DOWN.
    pub shutdown_on_down: bool,
    /// `on-marked-up shutdown-backup-sessions`: the backup servers' sessions end when
    /// checks mark this (non-backup) server UP.
    pub shutdown_backups_on_up: bool,
    /// `send-proxy` / `send-proxy-v2`: a PROXY protocol header starts every connection.
    pub send_proxy: Option<ProxyVersion>,
    /// `check-send-proxy`: checks start with one too (implied by `send-proxy`).
    pub check_send_proxy: bool,
    /// The host name the address was written with, resolved once at start; `None` for an
    /// IP address.
    pub host: Option<ServerHost>,
    /// `init-addr`: how a host name gets its first address; `None` is HAProxy's default,
    /// `last,libc`.
    pub init_addr: Option<Vec<InitAddr>>,
    /// `resolvers <name>`: re-resolve the host name while running with that section.
    pub resolvers: Option<String>,
    /// `resolve-prefer`; `None` is HAProxy's default, ipv6.
    pub resolve_prefer: Option<Prefer>,
    /// `resolve-opts allow-dup-ip`: may take an address another server of the backend with
    /// the same host name has (HAProxy's default, `prevent-dup-ip`, does not).
    pub allow_dup_ip: bool,
    /// `resolve-opts ignore-weight`: kept for export; it is about SRV weights only.
    pub ignore_weight: bool,
    /// `ssl` and its settings: TLS to the server.
    pub tls: ServerTls,
    /// `check-ssl` (`Some(true)`) or `no-check-ssl` (`Some(false)`); see
    /// [`Server::checks_use_tls`].
    pub check_ssl: Option<bool>,
    /// `check-sni <name>`: the SNI of the checks' TLS handshakes (they send none without it,
    /// whatever `sni` says: that one is for traffic).
    pub check_sni: Option<String>,
    /// `cookie <value>`: the value of the backend's persistence cookie naming this server.
    pub cookie: Option<String>,
    pub line: usize,
}

impl Server {
    pub const DEFAULT_INTER: Duration = Duration::from_secs(2);
    pub const DEFAULT_RISE: u32 = 2;
    pub const DEFAULT_FALL: u32 = 3;

    /// Whether health checks speak TLS: `check-ssl` says so; otherwise they follow `ssl` when
    /// they go to the server's own address and port (no `addr`, no `port`), as in HAProxy.
    pub fn checks_use_tls(&self) -> bool {
        self.check_ssl
            .unwrap_or(self.tls.enabled && self.check_addr.is_none() && self.check_port.is_none())
    }

    /// Starts in MAINT: `disabled`, or a host name that did not resolve (`init-addr none`).
    pub fn starts_in_maint(&self) -> bool {
        self.disabled || self.unresolved()
    }

    /// Its host name did not resolve at start (`init-addr ... none`): it has no address and
    /// stays in MAINT whatever it is told.
    pub fn unresolved(&self) -> bool {
        self.host.as_ref().is_some_and(|h| !h.resolved)
    }
}

/// Embedded web servers that stand in for the seed's two Apaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    pub servers: Vec<DemoServer>,
    pub traffic: DemoTraffic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoServer {
    pub name: String,
    pub bind: SocketAddr,
    /// Folder of pages it serves (resolved against the config file's folder).
    pub root: PathBuf,
}

/// The built-in traffic generator.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoTraffic {
    /// Frontends it sends to, by index into [`Config::frontends`].
    pub frontends: Vec<usize>,
    /// Requests (or connections, for TCP frontends) per second, per frontend.
    pub rate: u32,
    /// Whether it runs from start-up.
    pub start: bool,
}

/// `[ui]`: how the dashboard looks and which keys it answers to.
#[derive(Debug, Clone, PartialEq)]
pub struct UiConfig {
    /// How often the dashboard samples the engine.
    pub refresh: Duration,
    /// `theme = "default" | "mono"`; `NO_COLOR` in the environment overrules it.
    pub theme: UiTheme,
    /// The keys in force: the defaults with `[ui.keys]` laid over them (action name → the
    /// keys that replace its defaults, e.g. `drain = "D"`, `up = ["k", "Up"]`). Checked at
    /// load: known actions, readable keys, no duplicates.
    pub keys: crate::keys::Keymap,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            refresh: Duration::from_millis(250),
            theme: UiTheme::Default,
            keys: crate::keys::Keymap::default(),
        }
    }
}

/// The dashboard's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UiTheme {
    /// HAProxy's stats-page colours.
    #[default]
    Default,
    /// No colour at all; states stay readable as words, bold and reverse video.
    Mono,
}

impl UiTheme {
    pub fn as_str(self) -> &'static str {
        match self {
            UiTheme::Default => "default",
            UiTheme::Mono => "mono",
        }
    }
}

impl Config {
    /// Reads and checks a configuration file; the first error if it has any.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_all(path).map_err(ConfigErrors::first)
    }

    /// Reads and checks a configuration file; every error if it has any.
    pub fn load_all(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: 0,
            message: cannot_read(path, &e),
        })?;
        Config::parse_all(path, &text)
    }

    /// Checks configuration text as if read from `path`; the first error if it has any.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::parse_all(path, text).map_err(ConfigErrors::first)
    }

    /// Checks configuration text as if read from `path`, reporting every error.
    /// HAProxy syntax when the file name ends in `.cfg` or the text clearly is HAProxy's
    /// (its first statement opens a `global`, `defaults`, `frontend`, `backend` or `listen`
    /// section); TOML otherwise.
    pub fn parse_all(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
        if haproxy::is_haproxy(path, text) {
            haproxy::parse(path, text)
        } else {
            toml::parse_all(path, text)
        }
    }

    pub fn backend(&self, name: &str) -> Option<&Backend> {
        self.backends.iter().find(|b| b.name == name)
    }

    /// The folder relative paths resolve against.
    pub fn base_dir(&self) -> &Path {
        self.source
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

/// Why a file could not be read, and where it was looked for: a relative path is read from
/// the current directory, which a user starting lbtop elsewhere may not think of.
fn cannot_read(path: &Path, e: &std::io::Error) -> String {
    match std::env::current_dir() {
        Ok(dir) if path.is_relative() => format!(
            "cannot read {} (relative to the current directory, {}): {e}",
            dir.join(path).display(),
            dir.display()
        ),
        _ => format!("cannot read: {e}"),
    }
}
