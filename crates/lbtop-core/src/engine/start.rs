//! Starting an engine: binding its listeners (or taking those a previous engine hands on),
//! its TLS acceptors, its runtime API and metrics listeners, and planning its checks.

use super::backend::BackendRt;
use super::{check, cli, listen, sockets, StartError};
use crate::config::{Config, Server};
use std::sync::Arc;

/// `nbthread`, else one worker per core.
pub(crate) fn worker_count(config: &Config) -> usize {
    config.global.nbthread.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    )
}

/// Every `stats socket`, bound before anything runs so a bad one fails the start.
pub(super) fn cli_all(
    config: &Config,
    inherited: &mut sockets::Inventory,
) -> Result<Vec<cli::listen::CliListener>, StartError> {
    let bind = |s: &crate::config::StatsSocket| {
        let taken = match cli::listen::parse_where(&s.path) {
            cli::listen::Where::Tcp(a) => a.parse().ok().map(|a| inherited.take(a)),
            cli::listen::Where::Unix(_) => None,
        };
        let taken = taken.and_then(|mut t| (!t.is_empty()).then(|| t.swap_remove(0)));
        cli::listen::bind(s, taken).map_err(|source| StartError::Cli {
            path: s.path.clone(),
            source,
        })
    };
    config.global.stats_sockets.iter().map(bind).collect()
}

/// `[frontend][bind][worker]`.
pub(super) type Listeners = Vec<Vec<Vec<std::net::TcpListener>>>;

/// `[global] metrics = "addr"`: its listener, bound before anything starts.
pub(super) fn bind_metrics(
    config: &Config,
    inherited: &mut sockets::Inventory,
) -> Result<Option<std::net::TcpListener>, StartError> {
    let Some(addr) = config.global.metrics else {
        return Ok(None);
    };
    if let Some(kept) = inherited.take(addr).pop() {
        return Ok(Some(kept));
    }
    // SO_REUSEPORT: an upgraded process that did not get this socket can bind beside it.
    let bound =
        cli::listen::shared_listener(&addr.to_string()).map_err(|source| StartError::Bind {
            frontend: "(metrics)".into(),
            addr,
            source,
        })?;
    Ok(Some(bound))
}

/// Copies of the listening sockets, `(address, socket)`, kept to hand on.
pub(super) fn hold_copies<'a>(
    listeners: impl Iterator<Item = &'a std::net::TcpListener>,
) -> Vec<(std::net::SocketAddr, std::net::TcpListener)> {
    listeners
        .filter_map(|l| Some((l.local_addr().ok()?, l.try_clone().ok()?)))
        .collect()
}

pub(super) fn bind_all(
    config: &Config,
    workers: usize,
    inherited: &mut sockets::Inventory,
) -> Result<Listeners, StartError> {
    let mut out = Vec::new();
    for fe in &config.frontends {
        let mut binds = Vec::new();
        for b in &fe.binds {
            let group =
                listen::bind_group(b, workers, inherited).map_err(|source| StartError::Bind {
                    frontend: fe.name.clone(),
                    addr: b.addr,
                    source,
                })?;
            binds.push(group);
        }
        out.push(binds);
    }
    Ok(out)
}

/// The TLS acceptor of every `ssl` bind, `[frontend][bind]`; the binds of one line share one.
pub(super) fn tls_all(
    config: &Config,
) -> Result<Vec<Vec<Option<tokio_rustls::TlsAcceptor>>>, StartError> {
    let mut by_line: std::collections::HashMap<usize, tokio_rustls::TlsAcceptor> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for fe in &config.frontends {
        let mut binds = Vec::new();
        for b in &fe.binds {
            let Some(tls) = &b.tls else {
                binds.push(None);
                continue;
            };
            if let Some(a) = by_line.get(&b.line).filter(|_| b.line > 0) {
                binds.push(Some(a.clone()));
                continue;
            }
            let server =
                crate::tls::server_config(tls, fe.mode).map_err(|message| StartError::Tls {
                    frontend: fe.name.clone(),
                    addr: b.addr,
                    message,
                })?;
            let acceptor = tokio_rustls::TlsAcceptor::from(server);
            by_line.insert(b.line, acceptor.clone());
            binds.push(Some(acceptor));
        }
        out.push(binds);
    }
    Ok(out)
}

/// One plan per checked server, staggered over the smallest interval as HAProxy does (docs/haproxy-semantics.md §1.3).
pub(super) fn check_plans(config: &Config, backends: &[Arc<BackendRt>]) -> Vec<check::CheckPlan> {
    let checked: Vec<(usize, usize, &Server)> = config
        .backends
        .iter()
        .enumerate()
        .flat_map(|(b, be)| {
            be.servers
                .iter()
                .enumerate()
                .map(move |(s, srv)| (b, s, srv))
        })
        .filter(|(_, _, srv)| srv.check)
        .collect();
    let n = checked.len().max(1) as u32;
    let min_inter = checked
        .iter()
        .map(|(_, _, s)| s.inter)
        .min()
        .unwrap_or(Server::DEFAULT_INTER);
    checked
        .iter()
        .enumerate()
        .map(|(k, &(b, s, srv))| {
            let be = &config.backends[b];
            check::CheckPlan {
                backend: backends[b].clone(),
                server: s,
                check_addr: srv.check_addr,
                check_port: srv.check_port,
                check: be.check.clone(),
                disable_on_404: be.options.disable_on_404,
                inter: srv.inter,
                fastinter: srv.fastinter,
                downinter: srv.downinter,
                connect_timeout: be.timeouts.connect,
                check_timeout: be.timeouts.check,
                first_delay: min_inter.min(srv.inter) * k as u32 / n,
                spread: config.global.spread_checks,
                // `send-proxy` implies it for checks; a v1 server gets v1 there too.
                send_proxy: match (srv.send_proxy, srv.check_send_proxy) {
                    (Some(v), _) => Some(v),
                    (None, true) => Some(crate::config::ProxyVersion::V1),
                    (None, false) => None,
                },
            }
        })
        .collect()
}
