//! The commands that read or change one server, and `show backend` / `clear counters`,
//! with HAProxy 2.6's answers, measured (docs/haproxy-semantics.md §27.1). Admin states,
//! weights and checks go through the engine's `apply`, as the dashboard's commands do, so
//! both log the same lines and the dashboard sees the change.

use super::{Cmd, Level, Shared};
use crate::config::{Backend, Balance};
use crate::engine::backend::{BackendRt, ForcedHealth, NO_PORT};
use crate::events::{AdminState, Command, ServerId};
use std::sync::atomic::Ordering::Relaxed;

const fn row(
    words: &'static [&'static str],
    help: &'static str,
    level: Level,
    run: fn(&Shared, &[&str]) -> String,
) -> Cmd {
    Cmd {
        words,
        help,
        level,
        run,
    }
}

pub(crate) static ROWS: &[Cmd] = &[
    row(&["show", "backend"], "show backend                            : list backends in the current running config", Level::User, show_backend),
    row(&["get", "weight"], "get weight <bk>/<srv>                   : report a server's current weight", Level::User, get_weight),
    row(&["set", "weight"], "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)", Level::Admin, set_weight),
    row(&["set", "server"], "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl", Level::Admin, set_server),
    row(&["enable", "server"], "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)", Level::Admin, enable_server),
    row(&["disable", "server"], "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)", Level::Admin, disable_server),
    row(&["enable", "health"], "enable health                           : enable health checks", Level::Admin, enable_health),
    row(&["disable", "health"], "disable health                          : disable health checks", Level::Admin, disable_health),
    row(&["enable", "agent"], "enable agent                            : enable agent checks", Level::Admin, enable_agent),
    row(&["disable", "agent"], "disable agent                           : disable agent checks", Level::Admin, disable_agent),
    row(&["shutdown", "sessions", "server"], "shutdown sessions server <bk>/<srv>     : kill sessions on a server", Level::Admin, shutdown_sessions),
    row(&["clear", "counters"], "clear counters [all]                    : clear max statistics counters (or all counters)", Level::Operator, clear_max),
    row(&["clear", "counters", "all"], "", Level::Admin, clear_all),
];

/// A server named `<backend>/<server>`, or HAProxy's answer when there is none.
struct Target<'a> {
    rt: &'a BackendRt,
    cfg: &'a Backend,
    server: usize,
}

impl Target<'_> {
    fn id(&self) -> ServerId {
        ServerId {
            backend: self.rt.index,
            server: self.server,
        }
    }
}

fn target<'a>(shared: &'a Shared, arg: Option<&&str>) -> Result<Target<'a>, String> {
    let Some((b, s)) = arg.and_then(|a| a.split_once('/')) else {
        return Err("Require 'backend/server'.\n\n".into());
    };
    let config = &shared.config;
    let Some(bi) = config
        .backends
        .iter()
        .position(|x| x.name == b && !x.implicit)
    else {
        return Err("No such backend.\n\n".into());
    };
    let cfg = &config.backends[bi];
    let Some(server) = cfg.servers.iter().position(|x| x.name == s) else {
        return Err("No such server.\n\n".into());
    };
    Ok(Target {
        rt: &shared.backends[bi],
        cfg,
        server,
    })
}

/// Runs `f` on the named server, or answers why not.
fn on_server(shared: &Shared, args: &[&str], f: impl FnOnce(&Target, &[&str]) -> String) -> String {
    match target(shared, args.first()) {
        Ok(t) => f(&t, &args[1..]),
        Err(e) => e,
    }
}

fn show_backend(shared: &Shared, _: &[&str]) -> String {
    let mut out = String::from("# name\n");
    for b in shared.config.backends.iter().filter(|b| !b.implicit) {
        out.push_str(&b.name);
        out.push('\n');
    }
    out.push('\n');
    out
}

fn get_weight(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, _| {
        let initial = t.cfg.servers[t.server].weight;
        format!("{} (initial {initial})\n\n", t.rt.user_weight(t.server))
    })
}

fn set_weight(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, rest| {
        weight(shared, t, rest.first().copied())
    })
}

/// Whether the balancer can change a server's weight on the fly (HAProxy's dynamic
/// algorithms); the static ones only take a server out (0) or back (its initial weight).
pub fn dynamic(b: &Backend) -> bool {
    match b.balance {
        Balance::RoundRobin | Balance::LeastConn | Balance::First | Balance::Random => true,
        Balance::StaticRr => false,
        Balance::Source | Balance::Uri | Balance::Hdr => b.hash_type.consistent,
    }
}

/// `N` (0..256) or `N%` of the initial weight; the texts are HAProxy's, some without the
/// blank line.
fn weight(shared: &Shared, t: &Target, value: Option<&str>) -> String {
    let initial = t.cfg.servers[t.server].weight;
    match parse_weight(value.unwrap_or_default(), initial, dynamic(t.cfg)) {
        Ok(w) => apply(
            shared,
            Command::SetWeight {
                server: t.id(),
                weight: w,
            },
        ),
        Err(text) => text.into(),
    }
}

/// The weight `set server <b>/<s> weight <value>` sets on a server configured with weight
/// `initial` in a backend whose algorithm is `dynamic` (or not), or HAProxy 2.6's answer
/// when it refuses, exactly (docs/haproxy-semantics.md §27.1). The socket and the
/// dashboard's `w` both parse with this, so they agree.
pub fn parse_weight(value: &str, initial: u32, dynamic: bool) -> Result<u32, &'static str> {
    if value.is_empty() {
        return Err("Require <weight> or <weight%>.\n\n");
    }
    let initial = i64::from(initial);
    let (number, tail) = leading_int(value);
    let Some(n) = number else {
        return Err("Empty weight string empty or preceded by garbage\n");
    };
    let w = if tail == "%" {
        if n < 0 {
            return Err("Relative weight must be positive.\n\n");
        }
        (initial.saturating_mul(n) / 100).min(256)
    } else if !(0..=256).contains(&n) {
        return Err("Absolute weight can only be between 0 and 256 inclusive.\n\n");
    } else if !tail.is_empty() {
        return Err("Trailing garbage in weight string\n");
    } else {
        n
    };
    if w != 0 && w != initial && !dynamic {
        return Err(
            "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n",
        );
    }
    Ok(w as u32)
}

/// C's `strtol`: optional spaces and sign, then digits; the number (if any) and the rest.
pub(super) fn leading_int(s: &str) -> (Option<i64>, &str) {
    let t = s.trim_start();
    let sign_len = usize::from(t.starts_with(['+', '-']));
    let digits = t[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (None, s);
    }
    let end = sign_len + digits;
    let n = t[..end].parse::<i64>().unwrap_or(if t.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    });
    (Some(n), &t[end..])
}

/// Through the engine's `apply`; an empty answer when it took.
fn apply(shared: &Shared, command: Command) -> String {
    match crate::engine::apply(shared, &command) {
        Ok(()) => "\n".into(),
        Err(e) => format!("{e}\n\n"),
    }
}

const SET_SERVER_USAGE: &str = "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n\n";

fn set_server(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, rest| {
        match rest {
        ["state", rest @ ..] => match rest.first().copied() {
            Some("ready") => admin(shared, t, AdminState::Ready),
            Some("drain") => admin(shared, t, AdminState::Drain),
            Some("maint") => admin(shared, t, AdminState::Maint),
            _ => "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n".into(),
        },
        ["health", rest @ ..] => match rest.first().copied() {
            Some("up") => health(t, ForcedHealth::Up),
            Some("down") => health(t, ForcedHealth::Down),
            Some("stopping") => "lbtop: 'set server <srv> health stopping' is not supported (lbtop has no stopping state).\n\n".into(),
            _ => "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n".into(),
        },
        ["weight", rest @ ..] => weight(shared, t, rest.first().copied()),
        ["addr", rest @ ..] => addr(t, rest),
        ["check-port", rest @ ..] => check_port(t, rest.first().copied()),
        ["check-addr", rest @ ..] => check_addr(t, rest),
        [word @ ("agent" | "agent-addr" | "agent-port" | "agent-send"), rest @ ..] => {
            no_agent(word, rest.first().copied())
        }
        ["fqdn", ..] if t.cfg.servers[t.server].resolvers.is_none() => {
            "set server <b>/<s> fqdn failed because no resolution is configured.\n\n".into()
        }
        [word @ ("fqdn" | "ssl"), ..] => {
            format!("lbtop: 'set server <srv> {word}' is not supported.\n\n")
        }
        _ => SET_SERVER_USAGE.into(),
    }
    })
}

fn admin(shared: &Shared, t: &Target, state: AdminState) -> String {
    apply(
        shared,
        Command::SetAdmin {
            server: t.id(),
            state,
        },
    )
}

fn health(t: &Target, to: ForcedHealth) -> String {
    t.rt.force_health(t.server, to);
    "\n".into()
}

/// `addr <ip> [port <port>]`, answered as HAProxy words what changed.
fn addr(t: &Target, args: &[&str]) -> String {
    let Some(ip_word) = args.first() else {
        return "set server <b>/<s> addr requires an address and optionally a port.\n\n".into();
    };
    let Ok(ip) = ip_word.parse::<std::net::IpAddr>() else {
        return format!("Invalid addr '{ip_word}' by 'stats socket command'\n\n");
    };
    let server = &t.rt.servers[t.server];
    let old = server.addr();
    let mut msg = if old.ip() != ip || !server.resolved() {
        format!("IP changed from '{}' to '{ip}'", old.ip())
    } else {
        "no need to change the addr".to_string()
    };
    let mut port = None;
    if args.get(1) == Some(&"port") {
        let word = args.get(2).copied().unwrap_or("");
        match word.parse::<u16>() {
            Ok(p) if p == old.port() => msg.push_str(", no need to change the port"),
            Ok(p) => {
                msg.push_str(&format!(", port changed from '{}' to '{p}'", old.port()));
                port = Some(p);
            }
            Err(_) => msg.push_str(&format!(", problem converting port '{word}' to an int")),
        }
    }
    t.rt.set_server_addr(t.server, Some(ip), port);
    format!("{msg} by 'stats socket command'\n\n")
}

/// `check-port <port>`: checks go there from the next one on (0: the server's own port).
/// Some of HAProxy's answers here have no blank line.
fn check_port(t: &Target, value: Option<&str>) -> String {
    let Some(value) = value else {
        return "set server <b>/<s> check-port requires a port.\n\n".into();
    };
    if !t.cfg.servers[t.server].check {
        return "health checks are not enabled on this server\n".into();
    }
    let (number, tail) = leading_int(value);
    let Some(n) = number.filter(|_| tail.is_empty()) else {
        return "provided port is not an integer\n".into();
    };
    let Ok(port) = u16::try_from(n) else {
        return "provided port is invalid\n".into();
    };
    let port = if port == 0 { NO_PORT } else { u32::from(port) };
    t.rt.servers[t.server].check_port.store(port, Relaxed);
    "\n".into()
}

/// `check-addr <ip> [port <port>]`: checks go there from the next one on.
fn check_addr(t: &Target, args: &[&str]) -> String {
    let Some(word) = args.first() else {
        return "set server <b>/<s> check-addr requires an address and optionally a port.\n\n"
            .into();
    };
    if !t.cfg.servers[t.server].check {
        return "health checks are not enabled on this server\n".into();
    }
    let Ok(ip) = word.parse::<std::net::IpAddr>() else {
        return format!("invalid addr '{word}'\n");
    };
    if args.get(1) == Some(&"port") {
        let answer = check_port(t, Some(args.get(2).copied().unwrap_or("")));
        if answer != "\n" {
            return answer;
        }
    }
    let server = &t.rt.servers[t.server];
    *server.check_addr.lock().unwrap_or_else(|e| e.into_inner()) = Some(ip);
    "\n".into()
}

/// lbtop has no agent checks: what HAProxy answers for a server without one.
fn no_agent(word: &str, value: Option<&str>) -> String {
    match (word, value) {
        ("agent-addr", None) => {
            "set server <b>/<s> agent-addr requires an address and optionally a port.\n\n".into()
        }
        ("agent-port", None) => "set server <b>/<s> agent-port requires a port.\n\n".into(),
        ("agent-addr" | "agent-port", Some(_)) => {
            "agent checks are not enabled on this server\n".into()
        }
        _ => "agent checks are not enabled on this server.\n\n".into(),
    }
}

fn enable_server(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, _| admin(shared, t, AdminState::Ready))
}

fn disable_server(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, _| admin(shared, t, AdminState::Maint))
}

fn enable_health(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, _| {
        apply(
            shared,
            Command::SetChecks {
                server: t.id(),
                enabled: true,
            },
        )
    })
}

/// On a server without checks, HAProxy answers nothing.
fn disable_health(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, _| {
        if !t.cfg.servers[t.server].check {
            return "\n".into();
        }
        apply(
            shared,
            Command::SetChecks {
                server: t.id(),
                enabled: false,
            },
        )
    })
}

/// lbtop has no agent checks: HAProxy's answers for a server without one.
fn enable_agent(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |_, _| {
        "Agent was not configured on this server, cannot enable.\n\n".into()
    })
}

fn disable_agent(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |_, _| "\n".into())
}

fn shutdown_sessions(shared: &Shared, args: &[&str]) -> String {
    on_server(shared, args, |t, _| {
        t.rt.shutdown_sessions(t.server);
        "\n".into()
    })
}

fn clear_max(shared: &Shared, _: &[&str]) -> String {
    clear(shared, false)
}

fn clear_all(shared: &Shared, _: &[&str]) -> String {
    clear(shared, true)
}

fn clear(shared: &Shared, all: bool) -> String {
    for b in &shared.backends {
        b.clear_counters(all);
    }
    for f in &shared.frontends {
        f.counters.clear(all);
    }
    "\n".into()
}

#[cfg(test)]
mod weight_tests {
    use super::parse_weight;

    /// HAProxy 2.6.12's answers to `set server hoge/web10 weight <v>` (configured weight 10;
    /// web11: 1), measured on its stats socket.
    #[test]
    fn weights_parse_as_haproxy_answers() {
        assert_eq!(parse_weight("0", 10, true), Ok(0));
        assert_eq!(parse_weight("256", 10, true), Ok(256));
        assert_eq!(parse_weight("50%", 10, true), Ok(5));
        assert_eq!(parse_weight("300%", 10, true), Ok(30));
        assert_eq!(parse_weight("50%", 1, true), Ok(0));
        assert_eq!(parse_weight("300%", 1, true), Ok(3));
        let range = "Absolute weight can only be between 0 and 256 inclusive.\n\n";
        assert_eq!(parse_weight("257", 10, true), Err(range));
        assert_eq!(parse_weight("-1", 10, true), Err(range));
        assert_eq!(
            parse_weight("abc", 10, true),
            Err("Empty weight string empty or preceded by garbage\n")
        );
        assert_eq!(
            parse_weight("", 10, true),
            Err("Require <weight> or <weight%>.\n\n")
        );
        assert_eq!(
            parse_weight("5x", 10, true),
            Err("Trailing garbage in weight string\n")
        );
        assert!(parse_weight("5", 10, false)
            .unwrap_err()
            .contains("static LB"));
        assert_eq!(parse_weight("100%", 10, false), Ok(10));
    }
}
