//! `server <name> <ip:port> [<parameter>]...` and `default-server [<parameter>]...`: one row
//! per parameter, which also says how `lbtop export` and `lbtop check` write it back.

use super::super::describe::fmt_duration;
use super::super::values::int;
use super::names::{init_addr, server_target};
use super::sections::Ctx;
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::host::resolve_opts;
use crate::config::{parse_duration, InitAddr, Prefer, ProxyVersion, Server};
use std::net::SocketAddr;
use std::time::Duration;

/// What `default-server` sets: a server without a name or an address yet, with HAProxy's
/// defaults for the rest. A `server` line starts as a copy.
#[derive(Debug, Clone)]
pub(super) struct DefaultServer(Server);

impl Default for DefaultServer {
    fn default() -> Self {
        DefaultServer(Server {
            name: String::new(),
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            weight: 1,
            check: false,
            inter: Server::DEFAULT_INTER,
            fall: Server::DEFAULT_FALL,
            rise: Server::DEFAULT_RISE,
            backup: false,
            maxconn: None,
            disabled: false,
            fastinter: None,
            downinter: None,
            slowstart: None,
            check_addr: None,
            check_port: None,
            maxqueue: None,
            shutdown_on_down: false,
            shutdown_backups_on_up: false,
            send_proxy: None,
            check_send_proxy: false,
            host: None,
            init_addr: None,
            resolvers: None,
            resolve_prefer: None,
            allow_dup_ip: false,
            ignore_weight: false,
            tls: crate::config::ServerTls::default(),
            check_ssl: None,
            cookie: None,
            port_offset: None,
            check_sni: None,
            line: 0,
        })
    }
}

/// A server parameter: how it is read, and its words in an exported `server` line and in
/// `lbtop check`'s description (`None`: nothing to say for this server).
#[derive(Clone, Copy)]
pub(super) struct ServerKw {
    read: Read,
    export: Words,
    describe: Words,
}

#[derive(Clone, Copy)]
enum Read {
    /// A flag: no value.
    Flag(fn(&mut Server)),
    /// One value, and how messages name the parameter (`backend 'b': server 's': 'inter'`).
    Value(fn(&mut Server, &str, &str) -> Result<(), String>),
}

type Words = fn(&Server) -> Option<String>;

const fn flag(
    name: &'static str,
    read: fn(&mut Server),
    export: Words,
    describe: Words,
) -> Row<ServerKw> {
    Row {
        name,
        args: Args::None,
        sections: Sections::BE,
        status: Status::Implemented,
        how: ServerKw {
            read: Read::Flag(read),
            export,
            describe,
        },
    }
}

const fn value(
    name: &'static str,
    read: fn(&mut Server, &str, &str) -> Result<(), String>,
    export: Words,
    describe: Words,
) -> Row<ServerKw> {
    Row {
        args: Args::One("an argument"),
        how: ServerKw {
            read: Read::Value(read),
            export,
            describe,
        },
        ..flag(name, |_| {}, none, none)
    }
}

const fn unsupported(name: &'static str) -> Row<ServerKw> {
    Row {
        status: Status::Unsupported,
        ..flag(name, |_| {}, none, none)
    }
}

/// Nothing to write.
fn none(_: &Server) -> Option<String> {
    None
}

/// The server parameters, in the order `lbtop export` writes them; then those lbtop refuses.
pub(super) static SERVER: &[Row<ServerKw>] = &[
    flag(
        "check",
        |p| p.check = true,
        |s| s.check.then(|| "check".into()),
        |s| {
            Some(match s.check {
                true => format!(
                    "check inter {} fall {} rise {}",
                    fmt_duration(s.inter),
                    s.fall,
                    s.rise
                ),
                false => "no check".into(),
            })
        },
    ),
    flag("no-check", |p| p.check = false, none, none),
    value(
        "inter",
        |p, v, what| time(v, what, false).map(|x| p.inter = x),
        |s| {
            (s.check || s.inter != Server::DEFAULT_INTER)
                .then(|| format!("inter {}", fmt_duration(s.inter)))
        },
        none, // in `check`'s words
    ),
    value(
        "fastinter",
        |p, v, what| time(v, what, false).map(|x| p.fastinter = Some(x)),
        |s| {
            s.fastinter
                .map(|d| format!("fastinter {}", fmt_duration(d)))
        },
        |s| {
            s.fastinter
                .map(|d| format!("fastinter {}", fmt_duration(d)))
        },
    ),
    value(
        "downinter",
        |p, v, what| time(v, what, false).map(|x| p.downinter = Some(x)),
        |s| {
            s.downinter
                .map(|d| format!("downinter {}", fmt_duration(d)))
        },
        |s| {
            s.downinter
                .map(|d| format!("downinter {}", fmt_duration(d)))
        },
    ),
    value(
        "fall",
        |p, v, what| int(v, what, 1, MAX).map(|x| p.fall = x),
        |s| (s.check || s.fall != Server::DEFAULT_FALL).then(|| format!("fall {}", s.fall)),
        none, // in `check`'s words
    ),
    value(
        "rise",
        |p, v, what| int(v, what, 1, MAX).map(|x| p.rise = x),
        |s| (s.check || s.rise != Server::DEFAULT_RISE).then(|| format!("rise {}", s.rise)),
        none, // in `check`'s words
    ),
    value(
        "weight",
        |p, v, what| int(v, what, 0, 256).map(|x| p.weight = x),
        |s| (s.weight != 1).then(|| format!("weight {}", s.weight)),
        none, // always first in `lbtop check`, see `describe_words`
    ),
    flag(
        "backup",
        |p| p.backup = true,
        |s| s.backup.then(|| "backup".into()),
        |s| s.backup.then(|| "backup".into()),
    ),
    flag("no-backup", |p| p.backup = false, none, none),
    value(
        "maxconn",
        // As in HAProxy, `maxconn 0` means no limit.
        |p, v, what| int(v, what, 0, MAX).map(|x| p.maxconn = Some(x).filter(|&n| n > 0)),
        |s| s.maxconn.map(|m| format!("maxconn {m}")),
        |s| s.maxconn.map(|m| format!("maxconn {m}")),
    ),
    flag(
        "disabled",
        |p| p.disabled = true,
        |s| s.disabled.then(|| "disabled".into()),
        |s| s.disabled.then(|| "disabled".into()),
    ),
    flag("enabled", |p| p.disabled = false, none, none),
    value(
        "slowstart",
        // `slowstart 0` is off.
        |p, v, what| time(v, what, true).map(|x| p.slowstart = Some(x).filter(|d| !d.is_zero())),
        |s| {
            s.slowstart
                .map(|d| format!("slowstart {}", fmt_duration(d)))
        },
        |s| {
            s.slowstart
                .map(|d| format!("slowstart {}", fmt_duration(d)))
        },
    ),
    flag("no-slowstart", |p| p.slowstart = None, none, none),
    value(
        "addr",
        |p, v, what| {
            v.parse()
                .map(|a| p.check_addr = Some(a))
                .map_err(|_| format!("{what}: invalid IP address '{v}'"))
        },
        |s| s.check_addr.map(|a| format!("addr {a}")),
        |s| s.check_addr.map(|a| format!("addr {a}")),
    ),
    value(
        "port",
        |p, v, what| int(v, what, 1, 65535).map(|x| p.check_port = Some(x as u16)),
        |s| s.check_port.map(|n| format!("port {n}")),
        |s| s.check_port.map(|n| format!("port {n}")),
    ),
    value(
        "cookie",
        |p, v, _| {
            p.cookie = Some(v.to_string());
            Ok(())
        },
        |s| s.cookie.as_ref().map(|c| format!("cookie {c}")),
        |s| s.cookie.as_ref().map(|c| format!("cookie {c}")),
    ),
    value(
        "maxqueue",
        // As in HAProxy, `maxqueue 0` means no limit.
        |p, v, what| int(v, what, 0, MAX).map(|x| p.maxqueue = Some(x).filter(|&n| n > 0)),
        |s| s.maxqueue.map(|m| format!("maxqueue {m}")),
        |s| s.maxqueue.map(|m| format!("maxqueue {m}")),
    ),
    value(
        "on-marked-down",
        |p, v, what| match v {
            "shutdown-sessions" => {
                p.shutdown_on_down = true;
                Ok(())
            }
            _ => Err(format!("{what} expects 'shutdown-sessions', got '{v}'")),
        },
        |s| {
            s.shutdown_on_down
                .then(|| "on-marked-down shutdown-sessions".into())
        },
        |s| {
            s.shutdown_on_down
                .then(|| "on-marked-down shutdown-sessions".into())
        },
    ),
    value(
        "on-marked-up",
        |p, v, what| match v {
            "shutdown-backup-sessions" => {
                p.shutdown_backups_on_up = true;
                Ok(())
            }
            _ => Err(format!(
                "{what} expects 'shutdown-backup-sessions', got '{v}'"
            )),
        },
        |s| {
            s.shutdown_backups_on_up
                .then(|| "on-marked-up shutdown-backup-sessions".into())
        },
        |s| {
            s.shutdown_backups_on_up
                .then(|| "on-marked-up shutdown-backup-sessions".into())
        },
    ),
    Row {
        status: NO_OBSERVE,
        ..value(
            "on-error",
            |_, v, what| match v {
                "fastinter" | "fail-check" | "sudden-death" | "mark-down" => Ok(()),
                _ => Err(format!(
                    "{what} expects one of 'fastinter', 'fail-check', 'sudden-death' or \
                     'mark-down' but got '{v}'"
                )),
            },
            none,
            none,
        )
    },
    Row {
        status: NO_OBSERVE,
        ..value(
            "error-limit",
            |_, v, what| int(v, what, 1, MAX).map(|_| ()),
            none,
            none,
        )
    },
    flag(
        "send-proxy",
        |p| p.send_proxy = Some(ProxyVersion::V1),
        |s| (s.send_proxy == Some(ProxyVersion::V1)).then(|| "send-proxy".into()),
        |s| (s.send_proxy == Some(ProxyVersion::V1)).then(|| "send-proxy".into()),
    ),
    flag(
        "send-proxy-v2",
        |p| p.send_proxy = Some(ProxyVersion::V2),
        |s| (s.send_proxy == Some(ProxyVersion::V2)).then(|| "send-proxy-v2".into()),
        |s| (s.send_proxy == Some(ProxyVersion::V2)).then(|| "send-proxy-v2".into()),
    ),
    flag("no-send-proxy", |p| p.send_proxy = None, none, none),
    flag("no-send-proxy-v2", |p| p.send_proxy = None, none, none),
    flag(
        "check-send-proxy",
        |p| p.check_send_proxy = true,
        |s| s.check_send_proxy.then(|| "check-send-proxy".into()),
        |s| s.check_send_proxy.then(|| "check-send-proxy".into()),
    ),
    flag(
        "no-check-send-proxy",
        |p| p.check_send_proxy = false,
        none,
        none,
    ),
    value(
        "init-addr",
        |p, v, what| init_addr(v, what).map(|m| p.init_addr = Some(m)),
        |s| s.init_addr.as_deref().map(init_addr_words),
        |s| s.init_addr.as_deref().map(init_addr_words),
    ),
    value(
        "resolvers",
        |p, v, _| {
            p.resolvers = Some(v.to_string());
            Ok(())
        },
        |s| s.resolvers.as_ref().map(|r| format!("resolvers {r}")),
        |s| s.resolvers.as_ref().map(|r| format!("resolvers {r}")),
    ),
    value(
        "resolve-prefer",
        |p, v, what| Prefer::parse(v, what).map(|x| p.resolve_prefer = Some(x)),
        |s| s.resolve_prefer.map(prefer_words),
        |s| s.resolve_prefer.map(prefer_words),
    ),
    value(
        "resolve-opts",
        resolve_opts,
        resolve_opts_words,
        resolve_opts_words,
    ),
    flag(
        "ssl",
        |p| p.tls.enabled = true,
        |s| s.tls.words(),
        |s| s.tls.words(),
    ),
    flag("no-ssl", |p| p.tls.enabled = false, none, none),
    value("verify", server_verify, none, none),
    value(
        "ca-file",
        |p, v, _| {
            p.tls.ca_file = Some(v.to_string());
            Ok(())
        },
        none,
        none,
    ),
    value("sni", server_sni, none, none),
    value("alpn", server_alpn, none, none),
    flag(
        "check-ssl",
        |p| p.check_ssl = Some(true),
        |s| (s.check_ssl == Some(true)).then(|| "check-ssl".into()),
        |s| (s.check_ssl == Some(true)).then(|| "check-ssl".into()),
    ),
    flag(
        "no-check-ssl",
        |p| p.check_ssl = Some(false),
        |s| (s.check_ssl == Some(false)).then(|| "no-check-ssl".into()),
        |s| (s.check_ssl == Some(false)).then(|| "no-check-ssl".into()),
    ),
    value(
        "check-sni",
        |p, v, _| {
            p.check_sni = Some(v.to_string());
            Ok(())
        },
        |s| s.check_sni.as_ref().map(|n| format!("check-sni {n}")),
        |s| s.check_sni.as_ref().map(|n| format!("check-sni {n}")),
    ),
    unsupported("agent-check"),
    unsupported("agent-inter"),
    unsupported("agent-port"),
    unsupported("agent-send"),
    unsupported("agent-addr"),
    unsupported("check-alpn"),
    unsupported("check-proto"),
    unsupported("crt"),
    unsupported("id"),
    unsupported("minconn"),
    unsupported("namespace"),
    unsupported("observe"),
    unsupported("pool-max-conn"),
    unsupported("proto"),
    unsupported("redir"),
    unsupported("resolve-net"),
    unsupported("source"),
    unsupported("track"),
    unsupported("tfo"),
    unsupported("ws"),
];

const MAX: i64 = u32::MAX as i64;

fn server_verify(p: &mut Server, v: &str, what: &str) -> Result<(), String> {
    p.tls.verify = Some(match v {
        "none" => false,
        "required" => true,
        _ => return Err(format!("{what} expects 'none' or 'required', got '{v}'")),
    });
    Ok(())
}

fn server_sni(p: &mut Server, v: &str, what: &str) -> Result<(), String> {
    let sni = crate::config::ServerSni::parse(v).ok_or_else(|| {
        format!(
            "{what} '{v}': lbtop takes 'sni str(<name>)' or 'sni req.hdr(host)' (other sample \
             expressions are not supported)"
        )
    })?;
    p.tls.sni = Some(sni);
    Ok(())
}

/// lbtop speaks HTTP/1.1 to servers (or relays bytes in TCP mode), so it offers only that.
fn server_alpn(p: &mut Server, v: &str, what: &str) -> Result<(), String> {
    let list: Vec<String> = v.split(',').map(str::to_string).collect();
    if list.iter().any(|x| x != "http/1.1" && x != "http/1.0") {
        return Err(format!(
            "{what} '{v}': lbtop speaks HTTP/1.1 to servers; offer 'http/1.1' only"
        ));
    }
    p.tls.alpn = Some(list);
    Ok(())
}

fn prefer_words(p: Prefer) -> String {
    match p {
        Prefer::Ipv4 => "resolve-prefer ipv4".into(),
        Prefer::Ipv6 => "resolve-prefer ipv6".into(),
    }
}

fn resolve_opts_words(s: &Server) -> Option<String> {
    let opts: Vec<&str> = [
        (s.allow_dup_ip, "allow-dup-ip"),
        (s.ignore_weight, "ignore-weight"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    (!opts.is_empty()).then(|| format!("resolve-opts {}", opts.join(",")))
}

/// `on-error` and `error-limit` act on the errors `observe` counts in traffic.
const NO_OBSERVE: Status = Status::Ignored(
    "it acts on the errors that 'observe' counts, and lbtop has no 'observe' (it is refused): \
     without it HAProxy does nothing with it either",
);
/// `init-addr last,libc`.
fn init_addr_words(methods: &[InitAddr]) -> String {
    let words: Vec<String> = methods.iter().map(ToString::to_string).collect();
    format!("init-addr {}", words.join(","))
}

/// A check timer with characters after its unit (`inter 1s[`): HAProxy 2.6 reads the number
/// and unit and only warns about the rest (measured); `3x`, with no unit, stays an error.
/// The value it reads and the first character left over.
fn timer_junk<'a>(key: &str, v: &'a str) -> Option<(&'a str, char)> {
    if !matches!(key, "inter" | "fastinter" | "downinter") {
        return None;
    }
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &v[digits..];
    let unit = ["us", "ms", "s", "m", "h", "d"]
        .into_iter()
        .find(|u| rest.starts_with(u))?;
    let end = digits + unit.len();
    let junk = v[end..].chars().next()?;
    (digits > 0).then_some((&v[..end], junk))
}

/// A time value; 0 only if `zero` may be.
fn time(v: &str, what: &str, zero: bool) -> Result<Duration, String> {
    let d = parse_duration(v).map_err(|m| format!("{what}: {m}"))?;
    if d.is_zero() && !zero {
        return Err(format!("{what} must be greater than 0"));
    }
    Ok(d)
}

/// The parameters of an exported `server` line: health settings whenever the server is
/// checked, other settings when they differ from HAProxy's defaults.
pub(in crate::config) fn export_words(s: &Server) -> Vec<String> {
    SERVER.iter().filter_map(|r| (r.how.export)(s)).collect()
}

/// `lbtop check`'s words for a server: its weight first, then what lbtop applies, then what
/// it keeps without applying yet.
pub(in crate::config) fn describe_words(s: &Server) -> Vec<String> {
    let applied = SERVER.iter().filter(|r| r.status == Status::Implemented);
    let kept = SERVER
        .iter()
        .filter(|r| matches!(r.status, Status::NotApplied(_)));
    std::iter::once(format!("weight {}", s.weight))
        .chain(applied.chain(kept).filter_map(|r| (r.how.describe)(s)))
        .collect()
}

impl Parser<'_> {
    /// `server <name> <ip:port> [<parameter>]...`, `args` starting at the name; `template`
    /// is the section's `default-server`.
    pub(super) fn server(
        &mut self,
        no: usize,
        args: &[String],
        ctx: &Ctx,
        template: &DefaultServer,
    ) -> Res<Server> {
        let who = ctx.who.as_str();
        let (Some(name), Some(addr)) = (args.first(), args.get(1)) else {
            return Err(self.err(
                no,
                format!("{who}: 'server' expects <name> and <addr>:<port> as arguments"),
            ));
        };
        self.check_name(no, "server", name)
            .map_err(|e| self.err(no, format!("{who}: {}", e.message)))?;
        let swho = format!("{who}: server '{name}'");
        // HAProxy expands `$VAR` in addresses, quoted or not.
        let target = server_target(&self.env.expand(addr))
            .map_err(|m| self.err(no, format!("{swho}: address {m}")))?;
        let mut server = Server {
            name: name.clone(),
            line: no,
            ..template.0.clone()
        };
        self.server_params(no, &args[2..], &mut server, &swho)?;
        let proxy = ctx.proxy.map_or("", |i| self.proxies[i].name.as_str());
        let at = format!("'server {proxy}/{name}'");
        self.server_tls(no, &mut server, &at)?;
        self.place(no, &mut server, &target, &swho)?;
        Ok(server)
    }

    /// The parameters after `server <name> <addr>` (or after `default-server`), read into
    /// `p`; `who` names the server in messages.
    fn server_params(&mut self, no: usize, args: &[String], p: &mut Server, who: &str) -> Res<()> {
        let mut words = args.iter();
        while let Some(key) = words.next() {
            let Some(row) = find(SERVER, key) else {
                return Err(self.err(
                    no,
                    format!(
                        "{who}: unknown keyword '{key}'{}",
                        suggest(key, &names(SERVER))
                    ),
                ));
            };
            if row.status == Status::Unsupported {
                return Err(self.err(no, format!("{who}: '{key}' is not supported by lbtop")));
            }
            let what = format!("{who}: '{key}'");
            let value: Vec<String> = words.by_ref().take(row.args.taken()).cloned().collect();
            row.args.check(&value, &what).map_err(|m| self.err(no, m))?;
            match row.how.read {
                Read::Flag(set) => set(p),
                Read::Value(read) => {
                    let mut v = value.first().map_or("", String::as_str);
                    if let Some((good, junk)) = timer_junk(key, v) {
                        self.warn(no, format!("{what}: unexpected character '{junk}' after the timer value '{v}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported; HAProxy 2.6 reads it as '{good}' with this warning, and so does lbtop"));
                        v = good;
                    }
                    read(p, v, &what).map_err(|m| self.err(no, m))?;
                }
            }
            if let Some(w) = row.status.warning(&what) {
                self.warn(no, w);
            }
        }
        Ok(())
    }

    /// `default-server [<parameter>]...`.
    pub(super) fn default_server(
        &mut self,
        no: usize,
        args: &[String],
        ctx: &Ctx,
        template: &mut DefaultServer,
    ) -> Res<()> {
        let who = format!("{}: default-server", ctx.who);
        self.server_params(no, args, &mut template.0, &who)
    }
}
