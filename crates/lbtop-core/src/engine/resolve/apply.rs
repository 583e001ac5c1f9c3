//! What an answer does to a server: a new address, or MAINT (resolution), with the lines
//! HAProxy logs for each (measured, docs/haproxy-semantics.md §19).

use super::{By, Requester};
use crate::engine::log_out::ProxyLog;
use crate::events::{AdminState, Level, Topic};
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

/// Gives requester `k` an address from `answer`, as HAProxy picks one (measured, §19): a
/// server that took its address from an answer keeps it while the answer holds it. Otherwise
/// each address scores 2 when no other server of its backend took it from this resolution
/// (such an address is passed over, unless `resolve-opts allow-dup-ip`) and 1 when it is
/// the server's current one; the first best wins, and the answer turns by one, so the next
/// server starts from the next address. No address left: MAINT ("No IP for server ").
/// Returns whether the server left MAINT (its checks are to start).
pub(super) fn new_answer(
    requesters: &[Requester],
    k: usize,
    taken: &mut [Option<IpAddr>],
    answer: &mut [IpAddr],
    by: &By,
    global_log: Option<&ProxyLog>,
) -> bool {
    if taken[k].is_some_and(|ip| answer.contains(&ip)) {
        return false;
    }
    let req = &requesters[k];
    let server = &req.backend.servers[req.server];
    let current = server.resolved().then(|| server.addr().ip());
    let used = |ip: IpAddr| {
        requesters
            .iter()
            .enumerate()
            .any(|(j, o)| j != k && Arc::ptr_eq(&o.backend, &req.backend) && taken[j] == Some(ip))
    };
    let mut best: Option<(u8, IpAddr)> = None;
    for &ip in answer.iter() {
        let score = match used(ip) {
            true if !req.allow_dup_ip => continue,
            true => 0,
            false => 2,
        } + u8::from(current == Some(ip));
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, ip));
        }
    }
    let Some((_, ip)) = best else {
        taken[k] = None;
        lost(req, "No IP for server ");
        return false;
    };
    taken[k] = Some(ip);
    answer.rotate_left(1);
    current != Some(ip) && moved(req, current, ip, by, global_log)
}

/// The server's address changes: HAProxy's line, and out of MAINT when it had none (then
/// `true`).
fn moved(
    req: &Requester,
    current: Option<IpAddr>,
    ip: IpAddr,
    by: &By,
    log: Option<&ProxyLog>,
) -> bool {
    let server = &req.backend.servers[req.server];
    let from = current.map_or("(none)".to_string(), |c| c.to_string());
    let by = match by {
        By::Nameserver(section, ns) => format!("{section}/{ns}"),
        By::Cache => "DNS cache".to_string(),
    };
    let text = format!(
        "{} changed its IP from {from} to {ip} by {by}.",
        server.full_name
    );
    // HAProxy sends this line to the global log targets only.
    if let Some(log) = log {
        log.send(Level::Notice, &text);
    }
    req.backend.tell(Level::Notice, Topic::Admin, text);
    server.set_addr(Some(ip));
    current.is_none() && resolves_again(req)
}

/// A server that had no address has one: it leaves MAINT (resolution), unless it was also
/// put in maintenance, where it stays (measured, with `disabled`).
fn resolves_again(req: &Requester) -> bool {
    let host = &req.host;
    let server = &req.backend.servers[req.server];
    if server.maint_wanted.load(Relaxed) {
        let ps = &server.full_name;
        for text in [
            format!("Server {ps} ('{host}') resolves again but remains in maintenance."),
            format!("Server {ps} administratively READY thanks to valid DNS answer."),
        ] {
            req.backend.log(Level::Notice, Topic::Admin, text);
        }
        return false;
    }
    req.backend.change(
        req.server,
        Topic::Admin,
        |state, now| {
            (state.admin == AdminState::Maint)
                .then(|| (state.apply_admin(AdminState::Ready, now), ()))
        },
        |_, who, t, _, _| {
            let ps = who.proxy_server;
            let up = if t.is_up { "UP" } else { "DOWN" };
            vec![
                (
                    Level::Notice,
                    format!("Server {ps} ('{host}') is {up}/READY (resolves again)."),
                ),
                (
                    Level::Notice,
                    format!("Server {ps} administratively READY thanks to valid DNS answer."),
                ),
            ]
        },
    );
    true
}

/// The resolution failed for longer than its `hold`: the server loses its address and goes
/// to MAINT (resolution), HAProxy's maintenance line saying why.
pub(super) fn lost(req: &Requester, reason: &str) {
    let server = &req.backend.servers[req.server];
    if !server.resolved() {
        return;
    }
    server.set_addr(None);
    req.backend.change(
        req.server,
        Topic::Admin,
        |state, now| {
            let from = state.admin;
            server
                .maint_wanted
                .store(from == AdminState::Maint, Relaxed);
            Some((state.apply_admin(AdminState::Maint, now), from))
        },
        |state, who, t, tally, &from| {
            let line = state.admin_line(from, who, t, tally);
            line.into_iter()
                .map(|(level, text)| (level, with_reason(&text, reason)))
                .collect()
        },
    );
}

/// `... for maintenance. 1 active ...` → `... for maintenance (DNS NX status). 1 active ...`.
fn with_reason(text: &str, reason: &str) -> String {
    text.replacen("maintenance.", &format!("maintenance ({reason})."), 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reason_follows_the_word_maintenance() {
        assert_eq!(
            super::with_reason("Server b/s is going DOWN for maintenance. 0 active and 0 backup servers left.", "DNS NX status"),
            "Server b/s is going DOWN for maintenance (DNS NX status). 0 active and 0 backup servers left."
        );
    }
}
