//! `show servers state [<backend>]`: each server's state in the numbers HAProxy 2.6 writes,
//! the format of its server-state file (docs/haproxy-semantics.md §27.3).

use super::{Cmd, Level};
use crate::config::{Config, Server};
use crate::engine::backend::BackendRt;
use crate::engine::state::ServerState;
use crate::engine::Shared;
use crate::events::{AdminState, CheckKind};
use std::fmt::Write;
use std::time::Instant;

pub(crate) static ROWS: &[Cmd] = &[Cmd {
    words: &["show", "servers", "state"],
    help: "show servers state [<backend>]          : dump volatile server information (all or for a single backend)",
    level: Level::User,
    run: show,
}];

/// The version line and the header of the dump, as HAProxy 2.6 writes them.
pub(crate) const VERSION: &str = "1";
pub(crate) const HEADER: &str = "# be_id be_name srv_id srv_name srv_addr srv_op_state \
     srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status \
     srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id \
     srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr \
     srv_agent_addr srv_agent_port";

/// HAProxy's admin-state bits (`srv_admin_state`).
pub(crate) mod admin {
    pub const FMAINT: u32 = 0x01;
    pub const CMAINT: u32 = 0x04;
    pub const FDRAIN: u32 = 0x08;
    pub const RMAINT: u32 = 0x20;
}

/// HAProxy's check-state bits (`srv_check_state`).
pub(crate) mod check_state {
    pub const CONFIGURED: u32 = 0x02;
    pub const ENABLED: u32 = 0x04;
    pub const PAUSED: u32 = 0x08;
}

fn show(shared: &Shared, args: &[&str]) -> String {
    let ids = proxy_ids(&shared.config);
    let backends: Vec<&BackendRt> = match args.first() {
        None => shared.backends.iter().map(|b| &**b).collect(),
        // A backend by name, or by id as `#<id>` (measured).
        Some(word) => match shared
            .backends
            .iter()
            .find(|b| names(word, b, ids[b.index]))
        {
            Some(b) if !shared.config.backends[b.index].implicit => vec![b],
            _ => return "Can't find backend.\n\n".into(),
        },
    };
    let mut out = format!("{VERSION}\n{HEADER}\n");
    let now = Instant::now();
    for b in backends {
        let cfg = &shared.config.backends[b.index];
        if cfg.implicit {
            continue;
        }
        for (i, (st, ramping)) in b.server_states(now).iter().enumerate() {
            let line = server_line(ids[b.index], b, i, &cfg.servers[i], st, *ramping, now);
            let _ = writeln!(out, "{line}");
        }
    }
    out.push('\n');
    out
}

fn names(word: &str, b: &BackendRt, id: u32) -> bool {
    match word.strip_prefix('#') {
        Some(n) => n.parse() == Ok(id),
        None => b.name == word,
    }
}

/// Each backend's proxy id (`be_id`, `iid`): HAProxy numbers every proxy in the order of the
/// file, a `listen` once, after the one of the `stats socket` when there is one (measured).
pub(crate) fn proxy_ids(config: &Config) -> Vec<u32> {
    let mut lines: Vec<usize> = config.frontends.iter().map(|f| f.line).collect();
    lines.extend(
        config
            .backends
            .iter()
            .filter(|b| !b.implicit)
            .map(|b| b.line),
    );
    lines.sort_unstable();
    lines.dedup();
    let first = if !config.global.stats_sockets.is_empty() {
        2
    } else {
        1
    };
    config
        .backends
        .iter()
        .map(|b| {
            let at = lines.binary_search(&b.line).unwrap_or(0);
            first + at as u32
        })
        .collect()
}

fn server_line(
    be_id: u32,
    b: &BackendRt,
    i: usize,
    cfg: &Server,
    st: &ServerState,
    ramping: bool,
    now: Instant,
) -> String {
    let rt = &b.servers[i];
    let addr = rt.addr();
    let ip = match rt.resolved() {
        true => addr.ip().to_string(),
        false => "-".into(),
    };
    let (status, result) = check_numbers(st);
    let health = st.health.value;
    let fqdn = cfg.host.as_ref().map_or("-", |h| h.name.as_str());
    let check_port = cfg.check_port.unwrap_or(0);
    let check_addr = cfg.check_addr.map_or("-".into(), |a| a.to_string());
    format!(
        "{be_id} {} {} {} {ip} {} {} {} {} {} {status} {result} {health} {} 0 0 0 {fqdn} {} - {} \
         {check_port} {check_addr} {check_addr} {check_port}",
        b.name,
        i + 1,
        rt.name,
        op_state(st, ramping),
        admin_bits(
            cfg,
            st,
            rt.resolved(),
            rt.maint_wanted.load(std::sync::atomic::Ordering::Relaxed)
        ),
        st.weight,
        cfg.weight,
        (now - st.last_change).as_secs(),
        check_bits(cfg, st),
        // HAProxy writes a port offset as its unsigned 32 bits (-5 is 4294967291).
        cfg.port_offset.map_or(u32::from(addr.port()), |n| n as u32),
        u8::from(cfg.tls.enabled),
    )
}

/// `srv_op_state`: 0 stopped, 1 starting (slowstart ramp), 2 running, 3 stopping (NOLB).
fn op_state(st: &ServerState, ramping: bool) -> u32 {
    match (st.is_up(), ramping) {
        (false, _) => 0,
        (true, _) if st.stopping => 3,
        (true, true) => 1,
        (true, false) => 2,
    }
}

/// `srv_admin_state`: forced maint or drain, `disabled` in the config (which HAProxy keeps
/// even once the server is readied), and maintenance for want of an address.
fn admin_bits(cfg: &Server, st: &ServerState, resolved: bool, maint_wanted: bool) -> u32 {
    let mut bits = if cfg.disabled { admin::CMAINT } else { 0 };
    if !resolved {
        bits |= admin::RMAINT;
        if maint_wanted {
            bits |= admin::FMAINT;
        }
        return bits;
    }
    match st.admin {
        AdminState::Maint => bits | admin::FMAINT,
        AdminState::Drain => bits | admin::FDRAIN,
        AdminState::Ready => bits,
    }
}

/// `srv_check_state`: configured, enabled, paused. A checked server in maintenance has its
/// checks paused; an unchecked one only when `disabled` (measured).
fn check_bits(cfg: &Server, st: &ServerState) -> u32 {
    if !st.checks_configured {
        return if cfg.disabled { check_state::PAUSED } else { 0 };
    }
    let mut bits = check_state::CONFIGURED;
    if st.checks_enabled {
        bits |= check_state::ENABLED;
    }
    if st.admin == AdminState::Maint {
        bits |= check_state::PAUSED;
    }
    bits
}

/// `srv_check_status` (HAProxy's `HCHK_STATUS_*` numbers) and `srv_check_result`
/// (0 unknown, 2 failed, 3 passed, 4 passed conditionally).
fn check_numbers(st: &ServerState) -> (u32, u32) {
    let Some(kind) = st.last_check.as_ref().map(|c| c.kind) else {
        return (1, 0);
    };
    let result = if kind == CheckKind::Ini {
        0
    } else if kind == CheckKind::L7OkCd {
        4
    } else if kind.passed() {
        3
    } else {
        2
    };
    (status_code(kind), result)
}

/// `HCHK_STATUS_*` as HAProxy 2.6 numbers them.
pub(crate) fn status_code(kind: CheckKind) -> u32 {
    match kind {
        CheckKind::Ini => 1,
        CheckKind::SockErr => 5,
        CheckKind::L4Ok => 6,
        CheckKind::L4Tout => 7,
        CheckKind::L4Con => 8,
        CheckKind::L6Ok => 9,
        CheckKind::L6Tout => 10,
        CheckKind::L6Rsp => 11,
        CheckKind::L7Tout => 12,
        CheckKind::L7Rsp => 13,
        CheckKind::L7Ok => 15,
        CheckKind::L7OkCd => 16,
        CheckKind::L7Sts => 17,
    }
}

/// The check kind a `srv_check_status` number names, for reading a state file.
pub(crate) fn kind_of(code: u32) -> Option<CheckKind> {
    let all = [
        CheckKind::Ini,
        CheckKind::SockErr,
        CheckKind::L4Ok,
        CheckKind::L4Tout,
        CheckKind::L4Con,
        CheckKind::L6Ok,
        CheckKind::L6Tout,
        CheckKind::L6Rsp,
        CheckKind::L7Tout,
        CheckKind::L7Rsp,
        CheckKind::L7Ok,
        CheckKind::L7OkCd,
        CheckKind::L7Sts,
    ];
    all.into_iter().find(|&k| status_code(k) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Measured with HAProxy 2.6: proxies are numbered in file order, a `listen` once, after
    /// the `stats socket`'s own proxy.
    #[test]
    fn proxy_ids_follow_the_file() {
        let text = "global\n    stats socket /tmp/x.sock\nbackend bb\n    server s1 127.0.0.1:1\n\
                    listen li\n    bind 127.0.0.1:1\n    server z 127.0.0.1:2\n\
                    frontend fe\n    bind 127.0.0.1:2\n    default_backend bb\n\
                    backend b3\n    server s1 127.0.0.1:1\n";
        let c = Config::parse(std::path::Path::new("t.cfg"), text).unwrap();
        let names: Vec<&str> = c.backends.iter().map(|b| b.name.as_str()).collect();
        let ids = proxy_ids(&c);
        let of = |n| ids[names.iter().position(|x| *x == n).unwrap()];
        assert_eq!((of("bb"), of("li"), of("b3")), (2, 3, 5));
        let c = Config::parse(std::path::Path::new("t.cfg"), &text[36..]).unwrap();
        assert_eq!(proxy_ids(&c)[0], 1, "no stats socket: from 1");
    }

    #[test]
    fn status_codes_read_back() {
        for k in [
            CheckKind::Ini,
            CheckKind::L4Con,
            CheckKind::L7Ok,
            CheckKind::L7Sts,
        ] {
            assert_eq!(kind_of(status_code(k)), Some(k));
        }
        assert_eq!(status_code(CheckKind::L4Con), 8);
        assert_eq!(status_code(CheckKind::L7Ok), 15);
        assert_eq!(kind_of(99), None);
    }
}
