//! The `global` section's keywords, `stats` and its `socket` options, and the `log` line that
//! proxies share.

use super::super::values::{int, log_addr, octal_mode};
use super::env;
use super::ssl;
use super::table::{find, names, suggest, with_sections, Args, Row, Sections, Status, Stmt};
use super::tune::TUNE;
use super::{Parser, Res};
use crate::config::{parse_duration, LogFormat, LogTarget, StatsSocket};

/// How a global keyword is read.
type GlobalFn = fn(&mut Parser, &Stmt) -> Res<()>;

const MAX: i64 = u32::MAX as i64;

const fn kw(name: &'static str, args: Args, how: GlobalFn) -> Row<GlobalFn> {
    Row {
        name,
        args,
        sections: Sections::GLOBAL,
        status: Status::Implemented,
        how,
    }
}

/// Checked (`args`, then `how`), then ignored with a warning saying `why`.
const fn ignored(
    name: &'static str,
    args: Args,
    why: &'static str,
    how: GlobalFn,
) -> Row<GlobalFn> {
    Row {
        status: Status::Ignored(why),
        ..kw(name, args, how)
    }
}

const fn unsupported(name: &'static str) -> Row<GlobalFn> {
    Row {
        status: Status::Unsupported,
        ..kw(name, Args::Any, accept)
    }
}

const NO_CHROOT: &str = "lbtop does not chroot";
const NO_USER: &str = "lbtop does not change user";
const NO_GROUP: &str = "lbtop does not change group";
const NO_NODE: &str =
    "lbtop's stats page does not show it ('stats show-node <name>' in a proxy names the node)";
const NO_DESC: &str =
    "lbtop's stats page does not show it ('stats show-desc <text>' in a proxy gives one)";
const NO_TLS_SERVER: &str =
    "lbtop speaks to 'ssl' servers with rustls's own versions and suites (TLSv1.2 and TLSv1.3, \
     AES-GCM and ChaCha20)";
const ONE: Args = Args::Count(1, 1);
const SOME: Args = Args::Count(1, usize::MAX);

/// The `global` keywords: those lbtop reads, those it ignores, those it refuses.
pub(super) static GLOBAL: &[Row<GlobalFn>] = &[
    kw("log", Args::Any, log),
    kw("log-send-hostname", Args::Any, log_send_hostname),
    kw("log-tag", Args::One("a tag for use in syslog"), log_tag),
    kw("maxconn", Args::One("an integer"), maxconn),
    kw("nbthread", Args::One("an integer"), nbthread),
    kw("stats", Args::Any, stats),
    kw("setenv", Args::Any, env::setenv),
    kw("presetenv", Args::Any, env::presetenv),
    kw("unsetenv", Args::Any, env::unsetenv),
    kw("resetenv", Args::Any, env::resetenv),
    ignored("chroot", ONE, NO_CHROOT, accept),
    ignored("pidfile", ONE, "lbtop does not write a pid file", accept),
    ignored(
        "httpclient.resolvers.prefer",
        ONE,
        "it tunes HAProxy's internal HTTP client (for Lua scripts), which lbtop does not have",
        accept,
    ),
    ignored("user", ONE, NO_USER, accept),
    ignored("group", ONE, NO_GROUP, accept),
    ignored("uid", ONE, NO_USER, unsigned),
    ignored("gid", ONE, NO_GROUP, unsigned),
    ignored(
        "daemon",
        Args::Count(0, 0),
        "lbtop stays in the foreground",
        accept,
    ),
    ignored("node", Args::Count(0, 1), NO_NODE, accept),
    ignored("description", SOME, NO_DESC, accept),
    ignored(
        "ulimit-n",
        ONE,
        "lbtop does not change its file-descriptor limit",
        unsigned,
    ),
    kw("ca-base", ONE, ssl::crt_base),
    kw("crt-base", ONE, ssl::crt_base),
    kw("ssl-default-bind-ciphers", ONE, ssl::default_bind_ciphers),
    kw(
        "ssl-default-bind-ciphersuites",
        ONE,
        ssl::default_bind_ciphers,
    ),
    kw("ssl-default-bind-options", SOME, ssl::default_bind_options),
    kw("ssl-server-verify", ONE, ssl::server_verify),
    ignored("ssl-default-server-ciphers", SOME, NO_TLS_SERVER, accept),
    ignored(
        "ssl-default-server-ciphersuites",
        SOME,
        NO_TLS_SERVER,
        accept,
    ),
    ignored("ssl-default-server-options", SOME, NO_TLS_SERVER, accept),
    ignored(
        "ssl-dh-param-file",
        SOME,
        "rustls has no finite-field DHE suites: it negotiates ECDHE only",
        accept,
    ),
    ignored(
        "master-worker",
        Args::Count(0, 1),
        "lbtop runs as one process, with no master to manage workers",
        accept,
    ),
    kw("nbproc", Args::Any, nbproc),
    ignored(
        "cpu-map",
        Args::Count(2, usize::MAX),
        "lbtop does not pin its threads to CPUs",
        accept,
    ),
    kw("spread-checks", Args::Any, spread_checks),
    kw("hard-stop-after", ONE, hard_stop_after),
    ignored(
        "quiet",
        Args::Count(0, 0),
        "lbtop always prints its load warnings: they say where it differs from HAProxy",
        accept,
    ),
    ignored(
        "maxpipes",
        ONE,
        "lbtop does not splice data through pipes",
        unsigned,
    ),
    unsupported("lua-load"),
    kw(
        "server-state-file",
        Args::Any,
        super::server_state::server_state_file,
    ),
    kw(
        "server-state-base",
        Args::Any,
        super::server_state::server_state_base,
    ),
    unsupported("maxsslconn"),
    unsupported("maxconnrate"),
];

/// `stats <what>` in `global`.
pub(super) static STATS: &[Row<GlobalFn>] = &[
    kw("socket", Args::Any, stats_socket),
    kw("timeout", Args::One("a time value"), stats_timeout),
    kw("maxconn", Args::One("an integer"), stats_maxconn),
    // HAProxy 2.6 still takes it without a word (it has had one process since 2.5).
    ignored(
        "bind-process",
        Args::Any,
        "lbtop is one process, which serves the stats socket",
        accept,
    ),
];

/// How a `stats socket` option is read: the socket so far and the option's value.
type SocketFn = fn(&mut StatsSocket, &str) -> Result<(), String>;

/// The options after `stats socket <path>`, each with one value.
pub(super) static SOCKET_OPTIONS: &[Row<SocketFn>] = &[
    socket_option(
        "level",
        "user, operator or admin",
        Status::Implemented,
        level,
    ),
    socket_option("mode", "an octal mode", Status::Implemented, mode),
    socket_option("expose-fd", "an argument", Status::Implemented, expose_fd),
    socket_option("user", "an argument", UNUSED, keep),
    socket_option("group", "an argument", UNUSED, keep),
    socket_option("uid", "an argument", UNUSED, keep),
    socket_option("gid", "an argument", UNUSED, keep),
];

const UNUSED: Status = Status::Ignored("lbtop does not use it");

const fn socket_option(
    name: &'static str,
    expects: &'static str,
    status: Status,
    how: SocketFn,
) -> Row<SocketFn> {
    Row {
        name,
        args: Args::One(expects),
        sections: Sections::GLOBAL,
        status,
        how,
    }
}

impl Parser<'_> {
    /// A statement of the `global` section.
    pub(super) fn global_statement(&mut self, no: usize, w: &[String]) -> Res<()> {
        let kw = w[0].as_str();
        let st = Stmt {
            no,
            kw,
            args: &w[1..],
        };
        let Some(row) = find(GLOBAL, kw).or_else(|| find(TUNE, kw)) else {
            let mut known = names(GLOBAL);
            known.extend(names(TUNE));
            return Err(self.err(
                no,
                format!(
                    "unknown keyword '{kw}' in 'global' section{}",
                    suggest(kw, &with_sections(known))
                ),
            ));
        };
        self.global_row(row, &st, &format!("'{kw}'"))
    }

    /// Reads `st` with `row`; messages name the keyword as `display` (`'maxconn'`,
    /// `'stats timeout'`).
    fn global_row(&mut self, row: &Row<GlobalFn>, st: &Stmt, display: &str) -> Res<()> {
        if row.status == Status::Unsupported {
            return Err(self.err(
                st.no,
                format!("global: {display} is not supported by lbtop"),
            ));
        }
        row.args
            .check(st.args, &format!("global: {display}"))
            .map_err(|m| self.err(st.no, m))?;
        (row.how)(self, st)?;
        if let Some(w) = row.status.warning(display) {
            self.warn(st.no, w);
        }
        Ok(())
    }
}

/// Accepts what the row's arguments check let through.
fn accept(_: &mut Parser, _: &Stmt) -> Res<()> {
    Ok(())
}

/// A number HAProxy would take (`uid 99`), though lbtop ignores it.
fn unsigned(p: &mut Parser, st: &Stmt) -> Res<()> {
    int(st.arg(), &format!("global: '{}'", st.kw), 0, MAX).map_err(|m| p.err(st.no, m))?;
    Ok(())
}

fn log(p: &mut Parser, st: &Stmt) -> Res<()> {
    if st.arg() == "global" {
        return Err(p.err(
            st.no,
            "global: 'log global' is meaningless in the global section \
             (it is how proxies use these targets)",
        ));
    }
    let target = log_target(st.args).map_err(|m| p.err(st.no, format!("global: {m}")))?;
    p.global.log.push(target);
    Ok(())
}

/// `log-send-hostname [<name>]`: without a name, the machine's. HAProxy reads only the first
/// word and lets any others pass, so lbtop does too.
fn log_send_hostname(p: &mut Parser, st: &Stmt) -> Res<()> {
    p.global.log_send_hostname = Some(st.arg().to_string());
    Ok(())
}

fn log_tag(p: &mut Parser, st: &Stmt) -> Res<()> {
    p.global.log_tag = Some(st.arg().to_string());
    Ok(())
}

fn maxconn(p: &mut Parser, st: &Stmt) -> Res<()> {
    if let Some(first) = p.global_maxconn {
        return Err(p.err(
            st.no,
            format!("global: 'maxconn' already specified at line {first}"),
        ));
    }
    let n = int(st.arg(), "global: 'maxconn'", 1, MAX).map_err(|m| p.err(st.no, m))?;
    p.global.maxconn = Some(n);
    p.global_maxconn = Some(st.no);
    Ok(())
}

/// HAProxy 2.6 refuses `nbproc` whatever its value.
fn nbproc(p: &mut Parser, st: &Stmt) -> Res<()> {
    Err(p.err(
        st.no,
        "global: 'nbproc' is not supported any more since HAProxy 2.5 (threads are used \
         instead: see 'nbthread')",
    ))
}

/// `spread-checks <0..50>`: each interval between checks varies by up to this percentage.
fn spread_checks(p: &mut Parser, st: &Stmt) -> Res<()> {
    let [value] = st.args else {
        return Err(p.err(
            st.no,
            "global: 'spread-checks' expects an integer argument (0..50)",
        ));
    };
    let n = int(value, "global: 'spread-checks'", 0, 50).map_err(|m| p.err(st.no, m))?;
    p.global.spread_checks = n;
    Ok(())
}

fn hard_stop_after(p: &mut Parser, st: &Stmt) -> Res<()> {
    let d = parse_duration(st.arg())
        .map_err(|e| p.err(st.no, format!("global: 'hard-stop-after': {e}")))?;
    p.global.hard_stop_after = Some(d);
    Ok(())
}

fn nbthread(p: &mut Parser, st: &Stmt) -> Res<()> {
    let n = int(st.arg(), "global: 'nbthread'", 1, 64).map_err(|m| p.err(st.no, m))?;
    p.global.nbthread = Some(n);
    Ok(())
}

/// `stats <what> ...`: the sub-keyword is a row of [`STATS`].
fn stats(p: &mut Parser, st: &Stmt) -> Res<()> {
    let sub = st.arg();
    let Some(row) = find(STATS, sub) else {
        return Err(p.err(
            st.no,
            format!(
                "global: unknown keyword 'stats {sub}'{}",
                suggest(sub, &names(STATS))
            ),
        ));
    };
    let inner = Stmt {
        no: st.no,
        kw: sub,
        args: &st.args[1..],
    };
    p.global_row(row, &inner, &format!("'stats {sub}'"))
}

/// `stats timeout <time>`: HAProxy refuses 0 ("expects a positive value").
fn stats_timeout(p: &mut Parser, st: &Stmt) -> Res<()> {
    let d = parse_duration(st.arg())
        .map_err(|e| p.err(st.no, format!("global: 'stats timeout': {e}")))?;
    if d.is_zero() {
        return Err(p.err(st.no, "global: 'stats timeout' expects a positive value"));
    }
    p.global.stats_timeout = Some(d);
    Ok(())
}

fn stats_maxconn(p: &mut Parser, st: &Stmt) -> Res<()> {
    let n = int(st.arg(), "global: 'stats maxconn'", 1, MAX).map_err(|m| p.err(st.no, m))?;
    p.global.stats_maxconn = Some(n);
    Ok(())
}

/// `stats socket <path> [<option> <value>]...`.
fn stats_socket(p: &mut Parser, st: &Stmt) -> Res<()> {
    let no = st.no;
    let Some(path) = st.args.first().filter(|p| !p.is_empty()) else {
        return Err(p.err(
            no,
            "global: 'stats socket' expects an address or a path to a UNIX socket",
        ));
    };
    let mut socket = StatsSocket {
        path: path.clone(),
        level: "operator".into(),
        mode: None,
        expose_fd_listeners: false,
    };
    let mut words = st.args[1..].iter();
    while let Some(key) = words.next() {
        let Some(row) = find(SOCKET_OPTIONS, key) else {
            return Err(p.err(
                no,
                format!(
                    "global: 'stats socket': unknown keyword '{key}'{}",
                    suggest(key, &names(SOCKET_OPTIONS))
                ),
            ));
        };
        let what = format!("global: 'stats socket': '{key}'");
        let value: Vec<String> = words.by_ref().take(row.args.taken()).cloned().collect();
        row.args.check(&value, &what).map_err(|m| p.err(no, m))?;
        let v = value.first().map_or("", String::as_str);
        (row.how)(&mut socket, v).map_err(|m| p.err(no, m))?;
        if let Some(w) = row.status.warning(&format!("'stats socket ... {key}'")) {
            p.warn(no, w);
        }
    }
    p.global.stats_sockets.push(socket);
    Ok(())
}

fn level(s: &mut StatsSocket, v: &str) -> Result<(), String> {
    if !StatsSocket::LEVELS.contains(&v) {
        return Err(format!(
            "global: 'stats socket': 'level' only supports 'user', 'operator' and 'admin' \
             (got '{v}'){}",
            suggest(v, &StatsSocket::LEVELS)
        ));
    }
    s.level = v.to_string();
    Ok(())
}

fn mode(s: &mut StatsSocket, v: &str) -> Result<(), String> {
    s.mode = Some(octal_mode(v).map_err(|m| format!("global: 'stats socket': 'mode' {m}"))?);
    Ok(())
}

/// `expose-fd listeners`, the only kind HAProxy 2.6 knows.
fn expose_fd(s: &mut StatsSocket, v: &str) -> Result<(), String> {
    if v != "listeners" {
        return Err(format!(
            "global: 'stats socket': 'expose-fd' only supports 'listeners' (got '{v}')"
        ));
    }
    s.expose_fd_listeners = true;
    Ok(())
}

/// Takes the value, which lbtop has no use for.
fn keep(_: &mut StatsSocket, _: &str) -> Result<(), String> {
    Ok(())
}

/// `log <addr> [len <N>] [format <F>] <facility> [<max level> [<min level>]]`; `args` starts
/// at the address.
pub(super) fn log_target(args: &[String]) -> Result<LogTarget, String> {
    let usage = "'log' expects <address> and <facility> as arguments (e.g. log 127.0.0.1 local0)";
    let Some(addr) = args.first() else {
        return Err(usage.into());
    };
    let addr = log_addr(addr).map_err(|m| format!("log: address {m}"))?;
    let mut i = 1;
    let mut len = LogTarget::DEFAULT_LEN;
    let mut format = None;
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
        let f = LogFormat::from_name(v).ok_or_else(|| {
            format!(
                "log: unknown log format '{v}' (one of {}){}",
                names.join(", "),
                suggest(v, &names)
            )
        })?;
        format = Some(f);
        i += 2;
    }
    if args.get(i).map(String::as_str) == Some("sample") {
        return Err(
            "log: 'sample' (sending only some of the messages) is not supported by lbtop; \
             without it every message is sent"
                .into(),
        );
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
