//! The balancer: listeners, backends, servers, balancing, health checks, and L4/L7 forwarding.
//! It knows nothing of terminals; it talks through [`crate::events`].

pub mod accept;
pub mod backend;
pub mod balance;
pub mod captures;
pub mod check;
pub mod check_proto;
pub mod cli;
pub mod connect;
pub mod counters;
pub mod frontend;
pub mod h1;
pub mod l4;
pub mod l7;
pub mod limit;
pub mod listen;
pub mod live;
pub mod log;
pub mod log_out;
pub mod logfmt;
pub mod metrics;
pub mod persist;
pub mod pool;
pub mod proxy_proto;
pub mod resolve;
pub mod rules;
pub mod slowstart;
pub mod sockets;
pub mod state;
mod state_file;
pub mod stats;
pub mod stick;
pub mod stream;
pub mod syslog;
mod tls_accept;
pub mod tls_connect;
pub mod unique_id;
pub mod workers;

use crate::config::{Config, Server};
use crate::events::{AdminState, Command, Event, EventSender, Snapshot};
use backend::BackendRt;
use frontend::FrontendRt;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use workers::Workers;

/// HAProxy derives its default from the file descriptor limit; lbtop picks a fixed, safe value.
pub const DEFAULT_MAXCONN: u32 = 4096;

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("frontend '{frontend}': cannot bind {addr}: {source}")]
    Bind {
        frontend: String,
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("global: 'stats socket {path}': {source}")]
    Cli {
        path: String,
        source: std::io::Error,
    },
    #[error("frontend '{frontend}': bind {addr} ssl: {message}")]
    Tls {
        frontend: String,
        addr: std::net::SocketAddr,
        message: String,
    },
}

/// What the handle and the tasks share.
pub(crate) struct Shared {
    config: Arc<Config>,
    started: Instant,
    frontends: Vec<Arc<FrontendRt>>,
    backends: Vec<Arc<BackendRt>>,
    events: EventSender,
    /// The global `maxconn` from the config (`Hard_maxconn`): `set maxconn global` may lower
    /// the limit in force, `global`, and raise it back up to this.
    maxconn: u32,
    /// Connections at once over the whole process, shared by every worker.
    global: Arc<limit::Limit>,
    logs: Arc<log_out::LogOutputs>,
    /// The sessions and captured errors the runtime API reads.
    live: Arc<live::Live>,
    /// A copy of every listening socket, `(address, socket)`, to hand on to the next engine
    /// (a reload, or an upgrade asking through the stats socket).
    sockets: std::sync::Mutex<Vec<(std::net::SocketAddr, std::net::TcpListener)>>,
}

impl Shared {
    /// Copies of the listening sockets (new descriptors for the same sockets), for the next
    /// engine to accept on.
    pub(crate) fn dup_sockets(&self) -> std::io::Result<sockets::Inventory> {
        let held = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let mut inv = sockets::Inventory::default();
        for (addr, l) in held.iter() {
            inv.add(*addr, l.try_clone()?.into());
        }
        Ok(inv)
    }
}

impl Shared {
    /// Every counter and state now, for the dashboard and the stats page alike.
    fn snapshot(&self) -> Snapshot {
        let s = self;
        let now = Instant::now();
        let frontends: Vec<_> = s.frontends.iter().map(|f| f.snapshot()).collect();
        Snapshot {
            uptime: now - s.started,
            cur_conns: frontends.iter().map(|f| f.cur_conns).sum(),
            frontends,
            backends: s
                .backends
                .iter()
                .map(|b| b.snapshot(&s.config, now))
                .collect(),
            maxconn: s.global.size(),
            sessions_dropped: s.events.dropped(),
            logs_dropped: s.logs.dropped(),
        }
    }
}

/// A cheap, clonable view of a running engine: read snapshots, send commands.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
}

impl Handle {
    /// Reads every counter and state now. The data path never waits on it.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Queues a command; its outcome arrives as an [`Event`].
    pub fn command(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.shared.config
    }

    /// Runs one runtime API command at `level` and returns HAProxy's answer
    /// (docs/haproxy-semantics.md §27).
    pub fn cli(&self, level: cli::Level, line: &str) -> String {
        cli::run_line(&self.shared, level, line)
    }

    /// Tells the watcher that a command carried out elsewhere (by the demo) failed.
    pub fn report_failure(&self, command: Command, reason: String) {
        self.shared
            .events
            .send(Event::CommandFailed { command, reason });
    }

    /// Each frontend's first listen address, in configuration order (useful when binding
    /// port 0).
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.shared
            .frontends
            .iter()
            .map(|f| f.binds[0].addr)
            .collect()
    }
}

/// A proxy's log, from its `log` lines and `log-tag`.
fn proxy_log(
    out: &Arc<log_out::LogOutputs>,
    config: &Config,
    log_global: bool,
    own: &[crate::config::LogTarget],
    tag: &Option<String>,
) -> Option<log_out::ProxyLog> {
    log_out::ProxyLog::new(out, &config.global, log_global, own, tag.as_deref())
}

/// A frontend's traffic log: only with `option httplog` or `tcplog`.
/// A frontend's rules and the routes they take, each route the frontend as `make` builds it
/// for one backend; `None` when neither the frontend nor its default backend has rules.
fn routing(
    config: &Config,
    index: usize,
    main: &FrontendRt,
    backends: &[Arc<BackendRt>],
    make: impl Fn(Arc<BackendRt>) -> FrontendRt,
) -> Option<Box<rules::Routing>> {
    let fe = &config.frontends[index];
    if !fe.rules.any() && !config.backends[fe.default_backend].rules.any() {
        return None;
    }
    let mut routing = rules::Routing::new(config, index, backends);
    for b in routing.reachable(config) {
        let mut route = make(backends[b].clone());
        route.share(main);
        routing.routes[b] = Some(Arc::new(route));
    }
    Some(Box::new(routing))
}

fn traffic_log(
    out: &Arc<log_out::LogOutputs>,
    config: &Config,
    index: usize,
) -> Option<log_out::ProxyLog> {
    let fe = &config.frontends[index];
    if !fe.options.logs_traffic() {
        return None;
    }
    proxy_log(out, config, fe.log_global, &fe.log, &fe.log_tag)
}

/// A running engine. Dropping it stops every task.
pub struct Engine {
    handle: Handle,
    tasks: JoinSet<()>,
    workers: Option<Workers>,
}

impl Engine {
    /// Binds every listener first (so a bad bind fails before anything runs), then starts the
    /// worker threads, and the checks and commands on the current tokio runtime.
    pub async fn start(config: Arc<Config>, events: EventSender) -> Result<Engine, StartError> {
        Engine::start_with(config, events, sockets::Inventory::default()).await
    }

    /// As [`Engine::start`], accepting on the `inherited` sockets of a previous engine where
    /// a bind's address matches. Sockets no bind asks for are closed.
    pub async fn start_with(
        config: Arc<Config>,
        events: EventSender,
        mut inherited: sockets::Inventory,
    ) -> Result<Engine, StartError> {
        let now = Instant::now();
        let workers = worker_count(&config);
        let groups = bind_all(&config, workers, &mut inherited)?;
        drop(inherited);
        let held = hold_copies(&groups);
        let scrapes = bind_metrics(&config)?;
        let mut acceptors = tls_all(&config)?;
        let cli = cli_all(&config)?;
        let logs = log_out::LogOutputs::new();
        let backends: Vec<Arc<BackendRt>> = config
            .backends
            .iter()
            .enumerate()
            .map(|(i, b)| {
                Arc::new(BackendRt::new(
                    i,
                    b,
                    events.clone(),
                    now,
                    workers,
                    proxy_log(&logs, &config, b.log_global, &b.log, &b.log_tag),
                ))
            })
            .collect();
        let maxconn = config.global.maxconn.unwrap_or(DEFAULT_MAXCONN);
        let process_conns = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let view = stats::View::default();
        let live = Arc::new(live::Live::new(workers));
        let frontends: Vec<Arc<FrontendRt>> = groups
            .iter()
            .enumerate()
            .map(|(i, group)| {
                let be = backends[config.frontends[i].default_backend].clone();
                let mut fe = FrontendRt::new(
                    i,
                    &config,
                    be,
                    events.clone(),
                    maxconn,
                    process_conns.clone(),
                    traffic_log(&logs, &config, i),
                );
                for ((b, listeners), tls) in fe.binds.iter_mut().zip(group).zip(&mut acceptors[i]) {
                    b.addr = listeners[0].local_addr().unwrap_or(b.addr);
                    b.tls = tls.take();
                }
                fe.stats = stats::StatsRt::for_frontend(&config, i, &view);
                fe.live = live.clone();
                fe.view = view.clone();
                // Its own alerts go to its `log` targets, whatever its log options.
                let f = &config.frontends[i];
                fe.alerts = proxy_log(&logs, &config, f.log_global, &f.log, &f.log_tag);
                fe.routing = routing(&config, i, &fe, &backends, |b| {
                    let log = traffic_log(&logs, &config, i);
                    let pc = process_conns.clone();
                    FrontendRt::new(i, &config, b, events.clone(), maxconn, pc, log)
                });
                Arc::new(fe)
            })
            .collect();
        // listeners[worker]: (frontend, bind, socket); inherited sockets beyond one per
        // worker are shared out, so every one of them is accepted on.
        let mut per_worker: Vec<Vec<workers::Listener>> =
            (0..workers).map(|_| Vec::new()).collect();
        for (f, binds) in groups.into_iter().enumerate() {
            for (b, group) in binds.into_iter().enumerate() {
                for (w, l) in group.into_iter().enumerate() {
                    per_worker[w % workers].push((f, b, l));
                }
            }
        }
        // Shared before the workers start, so a stats page asked for at once can be served.
        let shared = Arc::new(Shared {
            config,
            started: now,
            frontends,
            backends,
            events,
            maxconn,
            global: limit::Limit::new(maxconn),
            logs,
            live,
            sockets: std::sync::Mutex::new(held),
        });
        let _ = view.set(Arc::downgrade(&shared));
        state_file::load(&shared.config, &shared.backends, &shared.events);
        let global = shared.global.clone();
        let frontends = &shared.frontends;
        let workers =
            Workers::start(per_worker, frontends, global, &shared.live).map_err(|source| {
                StartError::Bind {
                    frontend: "(workers)".into(),
                    addr: frontends
                        .first()
                        .map_or(([0, 0, 0, 0], 0).into(), |f| f.binds[0].addr),
                    source,
                }
            })?;
        let mut tasks = JoinSet::new();
        for plan in check_plans(&shared.config, &shared.backends) {
            tasks.spawn(check::run(plan));
        }
        let global_log = proxy_log(&shared.logs, &shared.config, true, &[], &None).map(Arc::new);
        for section in resolve::plans(&shared.config, &shared.backends) {
            tasks.spawn(resolve::run(section, global_log.clone()));
        }
        if !cli.is_empty() {
            tasks.spawn(cli::listen::run(shared.clone(), cli));
        }
        if let Some(listener) = scrapes {
            tasks.spawn(metrics::serve(shared.clone(), listener));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tasks.spawn(command_loop(shared.clone(), rx));
        Ok(Engine {
            handle: Handle {
                shared,
                commands: tx,
            },
            tasks,
            workers: Some(workers),
        })
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Copies of every listening socket, for the next engine ([`Engine::start_with`]).
    pub fn sockets(&self) -> std::io::Result<sockets::Inventory> {
        self.handle.shared.dup_sockets()
    }

    /// Closes the listeners and stops every task, connections included.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
        if let Some(workers) = self.workers.take() {
            let _ = tokio::task::spawn_blocking(move || workers.stop()).await;
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(workers) = self.workers.take() {
            workers.stop();
        }
    }
}

/// `nbthread`, else one worker per core.
fn worker_count(config: &Config) -> usize {
    config.global.nbthread.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    )
}

/// Every `stats socket`, bound before anything runs so a bad one fails the start.
fn cli_all(config: &Config) -> Result<Vec<cli::listen::CliListener>, StartError> {
    let bind = |s: &crate::config::StatsSocket| {
        cli::listen::bind(s).map_err(|source| StartError::Cli {
            path: s.path.clone(),
            source,
        })
    };
    config.global.stats_sockets.iter().map(bind).collect()
}

/// `[frontend][bind][worker]`.
type Listeners = Vec<Vec<Vec<std::net::TcpListener>>>;

/// `[global] metrics = "addr"`: its listener, bound before anything starts.
fn bind_metrics(config: &Config) -> Result<Option<std::net::TcpListener>, StartError> {
    let Some(addr) = config.global.metrics else {
        return Ok(None);
    };
    let bound = std::net::TcpListener::bind(addr).map_err(|source| StartError::Bind {
        frontend: "(metrics)".into(),
        addr,
        source,
    })?;
    Ok(Some(bound))
}

/// Copies of the listening sockets, `(address, socket)`, kept to hand on.
fn hold_copies(groups: &Listeners) -> Vec<(std::net::SocketAddr, std::net::TcpListener)> {
    let all = groups.iter().flatten().flatten();
    all.filter_map(|l| Some((l.local_addr().ok()?, l.try_clone().ok()?)))
        .collect()
}

fn bind_all(
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
fn tls_all(config: &Config) -> Result<Vec<Vec<Option<tokio_rustls::TlsAcceptor>>>, StartError> {
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
fn check_plans(config: &Config, backends: &[Arc<BackendRt>]) -> Vec<check::CheckPlan> {
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

async fn command_loop(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Command>) {
    while let Some(command) = rx.recv().await {
        if let Err(reason) = apply(&shared, &command) {
            shared.events.send(Event::CommandFailed { command, reason });
        }
    }
}

pub(crate) fn apply(shared: &Shared, command: &Command) -> Result<(), String> {
    let backend = |id: crate::events::ServerId| {
        shared
            .backends
            .get(id.backend)
            .filter(|b| id.server < b.servers.len())
            .ok_or_else(|| "No such server.".to_string())
    };
    match *command {
        Command::SetAdmin { server, state } => {
            let backend = backend(server)?;
            // A server whose name did not resolve (`init-addr none`) has no address: HAProxy
            // takes the command and leaves it in MAINT (resolution), measured; so does lbtop.
            // "maint" is remembered for when the name resolves (§19).
            let s = &backend.servers[server.server];
            match s.resolved() {
                true => backend.set_admin(server.server, state),
                false => s.maint_wanted.store(state == AdminState::Maint, Relaxed),
            }
        }
        Command::SetWeight { server, weight } => {
            if weight > 256 {
                return Err("Weight must be between 0 and 256.".into());
            }
            backend(server)?.set_weight(server.server, weight)
        }
        Command::SetChecks { server, enabled } => {
            backend(server)?.set_checks(server.server, enabled)?
        }
        Command::DemoServer { .. }
        | Command::DemoHealthPage { .. }
        | Command::DemoTraffic { .. } => {
            return Err("demo commands go to the demo, not the engine".into())
        }
    }
    Ok(())
}
