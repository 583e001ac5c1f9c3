//! The balancer: listeners, backends, servers, balancing, health checks, and L4/L7 forwarding.
//! It knows nothing of terminals; it talks through [`crate::events`].

pub mod accept;
pub mod backend;
pub mod balance;
pub mod captures;
pub mod check;
pub mod check_proto;
pub mod cli;
pub mod client_gone;
pub mod connect;
pub mod counters;
pub mod frontend;
pub mod generation;
pub mod getsocks;
pub mod h1;
pub mod handover;
pub mod l4;
pub mod l7;
pub mod limit;
pub mod listen;
pub mod live;
pub mod log;
pub mod log_out;
mod log_sample;
pub mod logfmt;
pub mod metrics;
pub mod persist;
pub mod pool;
pub mod proxy_proto;
pub mod resolve;
pub mod rules;
pub mod slowstart;
pub mod sockets;
mod start;
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

use crate::config::Config;
use crate::events::{AdminState, Command, Event, EventSender, Snapshot};
use backend::BackendRt;
use frontend::FrontendRt;
pub use generation::handle::Handle;
use generation::handle::{Current, Gen};
pub(crate) use start::worker_count;
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
    /// The process's current generation, to reach the newest one and the reloader.
    current: std::sync::OnceLock<std::sync::Weak<Current>>,
}

impl Shared {
    /// Closes the copies kept to hand on: a socket no later engine holds closes.
    pub(crate) fn drop_sockets(&self) {
        self.sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Copies of the listening sockets (new descriptors for the same sockets), for the next
    /// engine to accept on.
    pub(crate) fn dup_sockets(&self) -> std::io::Result<sockets::Inventory> {
        let held = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        self.live.stop.hand_on();
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
/// for one backend; `None` when neither the frontend nor its default backend has rules (a
/// conditional `stick` rule counts: its condition is read where the rules run).
fn routing(
    config: &Config,
    index: usize,
    main: &FrontendRt,
    backends: &[Arc<BackendRt>],
    make: impl Fn(Arc<BackendRt>) -> FrontendRt,
) -> Option<Box<rules::Routing>> {
    let fe = &config.frontends[index];
    let be = &config.backends[fe.default_backend];
    let stick_conds = be.stick_rules.iter().any(|r| r.cond.is_some());
    if !fe.rules.any() && !be.rules.any() && !stick_conds {
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

/// A running engine: one configuration's listeners, workers, checks and tasks. Dropping it
/// stops every task.
pub struct Engine {
    gen: Gen,
    /// The generation its handles read; a reload puts the next engine there.
    current: Arc<Current>,
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
        inherited: sockets::Inventory,
    ) -> Result<Engine, StartError> {
        let parts = start_gen(config, events, inherited, None)?;
        let current = Current::new(parts.gen.clone());
        Ok(Engine::run(parts, current))
    }

    /// The next generation of `prior` (a reload): its servers and frontends keep their
    /// counters and states, and its handles read this one once the caller sets it current.
    pub(crate) async fn start_after(
        config: Arc<Config>,
        prior: &Engine,
    ) -> Result<Engine, StartError> {
        let inherited = prior.sockets().unwrap_or_default();
        let events = prior.gen.shared.events.clone();
        let parts = start_gen(config, events, inherited, Some(&prior.gen.shared))?;
        Ok(Engine::run(parts, prior.current.clone()))
    }

    /// Starts the tasks that run on the caller's runtime: checks, resolvers, the runtime
    /// API, the metrics listener and the commands.
    fn run(parts: Parts, current: Arc<Current>) -> Engine {
        let (shared, mut tasks) = (parts.gen.shared.clone(), JoinSet::new());
        for plan in start::check_plans(&shared.config, &shared.backends) {
            tasks.spawn(check::run(plan));
        }
        let global_log = proxy_log(&shared.logs, &shared.config, true, &[], &None).map(Arc::new);
        for section in resolve::plans(&shared.config, &shared.backends) {
            tasks.spawn(resolve::run(section, global_log.clone()));
        }
        if !parts.cli.is_empty() {
            tasks.spawn(cli::listen::run(shared.clone(), parts.cli));
        }
        if let Some(listener) = parts.scrapes {
            tasks.spawn(metrics::serve(shared.clone(), listener));
        }
        tasks.spawn(command_loop(shared.clone(), parts.command_rx));
        Engine {
            gen: parts.gen,
            current,
            tasks,
            workers: Some(parts.workers),
        }
    }

    pub fn handle(&self) -> Handle {
        Handle {
            current: self.current.clone(),
        }
    }

    /// Copies of every listening socket, for the next engine ([`Engine::start_with`]).
    pub fn sockets(&self) -> std::io::Result<sockets::Inventory> {
        self.gen.shared.dup_sockets()
    }

    /// Closes the listeners and stops every task, connections included.
    pub async fn shutdown(mut self) {
        self.gen.shared.drop_sockets();
        self.tasks.shutdown().await;
        if let Some(workers) = self.workers.take() {
            let _ = tokio::task::spawn_blocking(move || workers.stop()).await;
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // A handle may outlive the engine: the copies it keeps must not hold a port open.
        self.gen.shared.drop_sockets();
        if let Some(workers) = self.workers.take() {
            workers.stop();
        }
    }
}

/// A generation started, before its tasks on the caller's runtime run.
struct Parts {
    gen: Gen,
    cli: Vec<cli::listen::CliListener>,
    scrapes: Option<std::net::TcpListener>,
    command_rx: mpsc::UnboundedReceiver<Command>,
    workers: Workers,
}

/// Binds (or takes over) every listener, builds the frontends and backends (adopting
/// `prior`'s counters and states) and starts the worker threads.
fn start_gen(
    config: Arc<Config>,
    events: EventSender,
    mut inherited: sockets::Inventory,
    prior: Option<&Shared>,
) -> Result<Parts, StartError> {
    let now = Instant::now();
    let workers = start::worker_count(&config);
    let groups = start::bind_all(&config, workers, &mut inherited)?;
    let scrapes = start::bind_metrics(&config, &mut inherited)?;
    let mut acceptors = start::tls_all(&config)?;
    // Last: a UNIX stats socket replaces the running one's file.
    let cli = start::cli_all(&config, &mut inherited)?;
    drop(inherited);
    let served = cli.iter().filter_map(|c| c.tcp()).chain(scrapes.as_ref());
    let held = start::hold_copies(groups.iter().flatten().flatten().chain(served));
    let logs = log_out::LogOutputs::new();
    let live = Arc::new(live::Live::new(workers));
    let backends: Vec<Arc<BackendRt>> = config
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let log = proxy_log(&logs, &config, b.log_global, &b.log, &b.log_tag);
            let mut be = BackendRt::new(i, b, events.clone(), now, workers, log);
            be.live = Some(live.clone());
            if let Some(prior) = prior {
                generation::carry::counters(prior, &mut be);
            }
            Arc::new(be)
        })
        .collect();
    let maxconn = config.global.maxconn.unwrap_or(DEFAULT_MAXCONN);
    let process_conns = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let view = stats::View::default();
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
            if let Some(prior) = prior {
                generation::carry::frontend(prior, &mut fe);
            }
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
    let mut per_worker: Vec<Vec<workers::Listener>> = (0..workers).map(|_| Vec::new()).collect();
    for (f, binds) in groups.into_iter().enumerate() {
        for (b, group) in binds.into_iter().enumerate() {
            for (w, l) in group.into_iter().enumerate() {
                per_worker[w % workers].push((f, b, l));
            }
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    // Shared before the workers start, so a stats page asked for at once can be served.
    let shared = Arc::new(Shared {
        config,
        started: prior.map_or(now, |p| p.started),
        frontends,
        backends,
        events,
        maxconn,
        global: limit::Limit::new(maxconn),
        logs,
        live,
        sockets: std::sync::Mutex::new(held),
        current: Default::default(),
    });
    let _ = view.set(Arc::downgrade(&shared));
    match prior {
        // A reload keeps what the servers were; the state file is for a start.
        Some(prior) => generation::carry::states(prior, &shared),
        None => state_file::load(&shared.config, &shared.backends, &shared.events),
    }
    let global = shared.global.clone();
    let frontends = &shared.frontends;
    let started =
        Workers::start(per_worker, frontends, global, &shared.live).map_err(|source| {
            StartError::Bind {
                frontend: "(workers)".into(),
                addr: frontends
                    .first()
                    .map_or(([0, 0, 0, 0], 0).into(), |f| f.binds[0].addr),
                source,
            }
        })?;
    Ok(Parts {
        gen: Gen {
            shared,
            commands: tx,
        },
        cli,
        scrapes,
        command_rx: rx,
        workers: started,
    })
}

async fn command_loop(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Command>) {
    while let Some(command) = rx.recv().await {
        if let Command::Runtime { line, admin } = &command {
            let level = if *admin {
                cli::Level::Admin
            } else {
                cli::Level::User
            };
            // A one-shot session, as `echo line | socat` gets: `;` chains, `user`, `quit`.
            let mut session = cli::session::Session::new(level, std::time::Duration::from_secs(10));
            let text = session.line(&shared, line);
            shared.events.send(Event::Answered {
                command,
                ok: true,
                text,
            });
            continue;
        }
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
        Command::Runtime { .. } => {
            return Err("runtime commands are answered by the command loop".into())
        }
        Command::Reload => {
            if !shared.ask(generation::Control::Reload) {
                return Err("this engine was not started from a configuration file".into());
            }
        }
    }
    Ok(())
}
