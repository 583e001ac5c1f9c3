//! The file as written: serde structs that mirror `config.toml` table by table.
//!
//! Every table is `deny_unknown_fields`, and every value that needs checking is wrapped in
//! [`Spanned`] so it keeps its byte offsets for the error that names its line. The names
//! matter: serde's messages say `expected struct RawFrontend`, which
//! `messages::tidy_struct_names` rewrites as `expected a table`.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) global: Option<RawGlobal>,
    pub(super) defaults: Option<RawDefaults>,
    #[serde(default)]
    pub(super) frontend: Vec<Spanned<RawFrontend>>,
    #[serde(default)]
    pub(super) backend: Vec<Spanned<RawBackend>>,
    pub(super) demo: Option<RawDemo>,
    pub(super) ui: Option<RawUi>,
    /// `[[resolvers]]`: HAProxy's `resolvers` sections.
    #[serde(default)]
    pub(super) resolvers: Vec<Spanned<RawResolvers>>,
    /// `[[userlist]]`: HAProxy's `userlist` sections.
    #[serde(default)]
    pub(super) userlist: Vec<Spanned<RawUserlist>>,
}

/// `userlist <name>`: `name`, `groups = ["g", ...]`, and `[[userlist.user]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUserlist {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) groups: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) user: Vec<Spanned<RawUser>>,
}

/// `user <name> password <hash> | insecure-password <text> [groups g1,g2]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUser {
    pub(super) name: Spanned<String>,
    pub(super) password: Option<Spanned<String>>,
    #[serde(rename = "insecure-password")]
    pub(super) insecure_password: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) groups: Vec<Spanned<String>>,
}

/// `resolvers <name>`: `name`, `nameserver = [{ name, address }]`, `hold = { valid, nx,
/// other, refused, timeout, obsolete }`, `timeout = { resolve, retry }`, `resolve-retries`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResolvers {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) nameserver: Vec<Spanned<RawNameserver>>,
    pub(super) hold: Option<RawHold>,
    pub(super) timeout: Option<RawResolversTimeouts>,
    #[serde(rename = "resolve-retries")]
    pub(super) resolve_retries: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNameserver {
    pub(super) name: Spanned<String>,
    pub(super) address: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHold {
    pub(super) valid: Option<Spanned<RawDuration>>,
    pub(super) nx: Option<Spanned<RawDuration>>,
    pub(super) other: Option<Spanned<RawDuration>>,
    pub(super) refused: Option<Spanned<RawDuration>>,
    pub(super) timeout: Option<Spanned<RawDuration>>,
    pub(super) obsolete: Option<Spanned<RawDuration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResolversTimeouts {
    pub(super) resolve: Option<Spanned<RawDuration>>,
    pub(super) retry: Option<Spanned<RawDuration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGlobal {
    pub(super) maxconn: Option<Spanned<i64>>,
    pub(super) nbthread: Option<Spanned<i64>>,
    /// `[[global.log]]`: one table per `log <addr> ... <facility> [<level> [<minlevel>]]`.
    #[serde(default)]
    pub(super) log: Vec<Spanned<RawLog>>,
    /// `log-send-hostname = "name"`; `""` is the machine's own name.
    #[serde(rename = "log-send-hostname")]
    pub(super) log_send_hostname: Option<String>,
    #[serde(rename = "log-tag")]
    pub(super) log_tag: Option<Spanned<String>>,
    /// `[global.stats-socket]`: `stats socket <path> [level L] [mode M]`.
    #[serde(rename = "stats-socket")]
    pub(super) stats_socket: Option<Spanned<RawStatsSocket>>,
    /// `server-state-file = "path"`, `server-state-base = "dir"`.
    #[serde(rename = "server-state-file")]
    pub(super) server_state_file: Option<Spanned<String>>,
    #[serde(rename = "server-state-base")]
    pub(super) server_state_base: Option<Spanned<String>>,
    /// `metrics = "127.0.0.1:9101"`: a Prometheus listener of its own.
    pub(super) metrics: Option<Spanned<String>>,
    /// `hard-stop-after = "30s"`: the bound of a soft stop.
    #[serde(rename = "hard-stop-after")]
    pub(super) hard_stop_after: Option<Spanned<RawDuration>>,
}

/// A syslog target: `{ address = "127.0.0.1:514", facility = "local6", level = "debug",
/// minlevel = "emerg", len = 1024, format = "local" }` (only `address` and `facility` required).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    pub(super) address: Spanned<String>,
    pub(super) facility: Spanned<String>,
    pub(super) level: Option<Spanned<String>>,
    pub(super) minlevel: Option<Spanned<String>>,
    pub(super) len: Option<Spanned<i64>>,
    pub(super) format: Option<Spanned<String>>,
}

/// `{ path = "/run/lbtop.sock", level = "admin", mode = "600", expose-fd = "listeners" }`
/// (mode in octal digits).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatsSocket {
    pub(super) path: Spanned<String>,
    pub(super) level: Option<Spanned<String>>,
    pub(super) mode: Option<Spanned<String>>,
    #[serde(rename = "expose-fd")]
    pub(super) expose_fd: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) mode: Option<Spanned<String>>,
    pub(super) retries: Option<Spanned<i64>>,
    #[serde(rename = "http-reuse")]
    pub(super) http_reuse: Option<Spanned<String>>,
    pub(super) maxconn: Option<Spanned<i64>>,
    pub(super) httpchk: Option<Spanned<BoolOr<RawHttpChk>>>,
    pub(super) option: Option<RawOptions>,
    pub(super) timeout: Option<RawTimeouts>,
    /// `log-global = true` is HAProxy's `log global`.
    #[serde(rename = "log-global")]
    pub(super) log_global: Option<bool>,
    /// `[[defaults.log]]`: the proxies' own targets (HAProxy's `log <addr> ...` in a proxy).
    #[serde(default)]
    pub(super) log: Vec<Spanned<RawLog>>,
    #[serde(rename = "log-tag")]
    pub(super) log_tag: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawOptions {
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
    pub(super) forwardfor: Option<Spanned<BoolOr<RawForwardFor>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForwardFor {
    pub(super) except: Option<Spanned<String>>,
    pub(super) header: Option<Spanned<String>>,
    #[serde(rename = "if-none")]
    pub(super) if_none: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTimeouts {
    pub(super) connect: Option<Spanned<RawDuration>>,
    pub(super) client: Option<Spanned<RawDuration>>,
    pub(super) server: Option<Spanned<RawDuration>>,
    pub(super) check: Option<Spanned<RawDuration>>,
    pub(super) http_request: Option<Spanned<RawDuration>>,
    pub(super) queue: Option<Spanned<RawDuration>>,
    pub(super) http_keep_alive: Option<Spanned<RawDuration>>,
    pub(super) tunnel: Option<Spanned<RawDuration>>,
    pub(super) client_fin: Option<Spanned<RawDuration>>,
    pub(super) server_fin: Option<Spanned<RawDuration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFrontend {
    pub(super) name: Spanned<String>,
    pub(super) bind: Spanned<String>,
    pub(super) mode: Option<Spanned<String>>,
    pub(super) default_backend: Spanned<String>,
    pub(super) maxconn: Option<Spanned<i64>>,
    pub(super) option: Option<RawOptions>,
    pub(super) timeout: Option<RawTimeouts>,
    #[serde(rename = "log-global")]
    pub(super) log_global: Option<bool>,
    #[serde(default)]
    pub(super) log: Vec<Spanned<RawLog>>,
    #[serde(rename = "log-tag")]
    pub(super) log_tag: Option<Spanned<String>>,
    pub(super) stats: Option<Spanned<RawStats>>,
    /// HAProxy's `log-format`: wins over the `httplog`/`tcplog` options.
    #[serde(rename = "log-format")]
    pub(super) log_format: Option<Spanned<String>>,
    pub(super) capture: Option<RawCaptures>,
    /// HAProxy's `monitor-uri`: answered 200 by the frontend itself, not logged.
    #[serde(rename = "monitor-uri")]
    pub(super) monitor_uri: Option<Spanned<String>>,
}

/// `capture = { request = [{ name = "Host", len = 64 }], response = [...], cookie = { ... } }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCaptures {
    #[serde(default)]
    pub(super) request: Vec<RawCapture>,
    #[serde(default)]
    pub(super) response: Vec<RawCapture>,
    pub(super) cookie: Option<RawCapture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapture {
    pub(super) name: Spanned<String>,
    pub(super) len: Spanned<i64>,
}

/// `stats = { uri = "/stats", auth = ["admin:pass"], realm = "...", refresh = "10s",
/// hide-version = true }`: the frontend's stats page.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStats {
    pub(super) uri: Option<Spanned<String>>,
    pub(super) realm: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) auth: Vec<Spanned<String>>,
    pub(super) refresh: Option<Spanned<RawDuration>>,
    #[serde(rename = "hide-version", default)]
    pub(super) hide_version: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBackend {
    pub(super) name: Spanned<String>,
    pub(super) mode: Option<Spanned<String>>,
    pub(super) balance: Option<Spanned<String>>,
    pub(super) retries: Option<Spanned<i64>>,
    #[serde(rename = "http-reuse")]
    pub(super) http_reuse: Option<Spanned<String>>,
    pub(super) httpchk: Option<Spanned<BoolOr<RawHttpChk>>>,
    pub(super) option: Option<RawOptions>,
    pub(super) timeout: Option<RawTimeouts>,
    #[serde(rename = "log-global")]
    pub(super) log_global: Option<bool>,
    #[serde(default)]
    pub(super) log: Vec<Spanned<RawLog>>,
    #[serde(rename = "log-tag")]
    pub(super) log_tag: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) server: Vec<Spanned<RawServer>>,
    /// `load-server-state-from-file = "global"|"local"|"none"`.
    #[serde(rename = "load-server-state-from-file")]
    pub(super) load_server_state: Option<Spanned<String>>,
    /// `server-state-file-name = "name"`.
    #[serde(rename = "server-state-file-name")]
    pub(super) server_state_file_name: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttpChk {
    pub(super) method: Option<Spanned<String>>,
    pub(super) path: Option<Spanned<String>>,
    pub(super) version: Option<Spanned<String>>,
    pub(super) headers: Option<RawHeaders>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) name: Spanned<String>,
    pub(super) address: Spanned<String>,
    pub(super) weight: Option<Spanned<i64>>,
    pub(super) check: Option<bool>,
    pub(super) inter: Option<Spanned<RawDuration>>,
    pub(super) fall: Option<Spanned<i64>>,
    pub(super) rise: Option<Spanned<i64>>,
    pub(super) backup: Option<bool>,
    pub(super) maxconn: Option<Spanned<i64>>,
    pub(super) disabled: Option<bool>,
    pub(super) fastinter: Option<Spanned<RawDuration>>,
    pub(super) downinter: Option<Spanned<RawDuration>>,
    pub(super) slowstart: Option<Spanned<RawDuration>>,
    /// `resolvers = "dns"`: the `[[resolvers]]` section that asks the name again while running.
    pub(super) resolvers: Option<Spanned<String>>,
    #[serde(rename = "resolve-prefer")]
    pub(super) resolve_prefer: Option<Spanned<String>>,
    /// `resolve-opts = "allow-dup-ip,ignore-weight"`, as HAProxy writes it.
    #[serde(rename = "resolve-opts")]
    pub(super) resolve_opts: Option<Spanned<String>>,
    /// Checks go to this address or port instead of the server's.
    pub(super) addr: Option<Spanned<String>>,
    pub(super) port: Option<Spanned<i64>>,
    pub(super) maxqueue: Option<Spanned<i64>>,
    #[serde(rename = "on-marked-down")]
    pub(super) on_marked_down: Option<Spanned<String>>,
    #[serde(rename = "on-marked-up")]
    pub(super) on_marked_up: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDemo {
    #[serde(default)]
    pub(super) server: Vec<Spanned<RawDemoServer>>,
    pub(super) traffic: Option<RawTraffic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDemoServer {
    pub(super) name: Spanned<String>,
    pub(super) bind: Spanned<String>,
    pub(super) root: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTraffic {
    pub(super) frontends: Option<Vec<Spanned<String>>>,
    pub(super) rate: Option<Spanned<i64>>,
    pub(super) start: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUi {
    pub(super) refresh: Option<Spanned<RawDuration>>,
    pub(super) theme: Option<Spanned<String>>,
    pub(super) keys: Option<RawUiKeys>,
}

/// `[ui.keys]`: `action = "key"` or `action = ["key", ...]`, in file order.
type RawUiKeys = Ordered<RawKeyList>;

pub(super) struct RawKeyList(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for RawKeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawKeyList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key like \"d\", \"PgUp\", \"Ctrl-x\", or an array of them")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawKeyList, E> {
                Ok(RawKeyList(vec![s.to_owned()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawKeyList, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = seq.next_element::<String>()? {
                    v.push(k);
                }
                Ok(RawKeyList(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// `true`, `false`, or a table (`forwardfor`, `httpchk`).
pub(super) enum BoolOr<T> {
    Bool(bool),
    Table(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for BoolOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = BoolOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or a table")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
                Ok(BoolOr::Bool(b))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(BoolOr::Table)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A time value: `"3s"` or an integer number of milliseconds.
pub(super) enum RawDuration {
    Text(String),
    Millis(i64),
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a time value like \"3s\", \"250ms\", \"1m\" or an integer (milliseconds)",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawDuration, E> {
                Ok(RawDuration::Text(s.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RawDuration, E> {
                Ok(RawDuration::Millis(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<RawDuration, E> {
                Ok(RawDuration::Millis(i64::try_from(n).unwrap_or(i64::MAX)))
            }
        }
        d.deserialize_any(V)
    }
}

/// `headers = { "User-agent" = "Proxy-Check" }`, in file order.
type RawHeaders = Ordered<String>;

/// A table kept in file order with positions (toml's own tables are sorted), so values keep
/// the order the user wrote and errors can name their line.
pub(super) struct Ordered<V>(pub(super) Vec<(Spanned<String>, Spanned<V>)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<V>>()? {
                    v.push(entry);
                }
                v.sort_by_key(|(k, _)| k.span().start);
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(Entries(std::marker::PhantomData))
    }
}
