//! Backends and their servers at run time: counters, states, balancing and the transitions that
//! health checks and admin commands cause.

use super::balance::{Balancer, PickKey};
use super::log_out::ProxyLog;
use super::slowstart::Warmup;
use super::state::{CheckOutcome, Line, ServerState, Tally, Transition, Who};
use crate::config::{Backend, ProxyVersion};
use crate::events::{AdminState, Event, EventSender, Level, ServerId, Topic};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use warm::{next_warm, push_weight, warm};

mod admin;
mod direct;
mod queue;
mod snap;
mod warm;

pub use super::counters::{status_class, Counters};
pub use admin::ForcedHealth;
pub use queue::QueueGuard;

pub struct ServerRt {
    pub id: ServerId,
    pub name: String,
    /// `backend/server`, as messages print it.
    pub full_name: String,
    /// Where new connections and checks go; a `resolvers` section may change it while running.
    addr: Mutex<SocketAddr>,
    /// The address has no port of its own: connections go to the client's port plus this
    /// (see [`crate::config::Server::connect_addr`]).
    pub port_offset: Option<i32>,
    /// It has an address: an IP, a name that resolved, or one that resolved since. Without,
    /// the server stays in MAINT (resolution) whatever it is told.
    resolved: AtomicBool,
    /// While it has no address: whether it was also put in maintenance (`disabled`, or told
    /// so), so that it stays there when its name resolves again.
    pub maint_wanted: AtomicBool,
    /// Where checks go: the check `port` (`set server ... check-port` changes it), or
    /// [`NO_PORT`] for the server's own.
    pub check_port: std::sync::atomic::AtomicU32,
    /// The check `addr` (`set server ... check-addr` changes it): checks go there instead of
    /// to the server's address.
    pub check_addr: Mutex<Option<std::net::IpAddr>>,
    pub backup: bool,
    pub maxconn: Option<u32>,
    /// `send-proxy` / `send-proxy-v2`: the header each new connection starts with.
    pub send_proxy: Option<ProxyVersion>,
    /// `ssl`: the TLS handshake each new connection makes after that.
    pub tls: Option<super::tls_connect::ServerTlsRt>,
    /// The handshake health checks make (`check-ssl`, or `ssl` inherited).
    pub check_tls: Option<super::tls_connect::ServerTlsRt>,
    pub counters: std::sync::Arc<Counters>,
    /// Wakes the check task, e.g. when a server leaves maintenance.
    pub wake: Notify,
    shutdown_on_down: bool,
    shutdown_backups_on_up: bool,
    /// Idle keep-alive connections to this server, one pool per worker thread so a reused
    /// connection stays on the thread that uses it.
    pools: Box<[super::pool::Pool]>,
}

/// Bumped whenever any server's address changes (DNS, `set server ... addr`): a connection
/// whose request began at an older value may lead to the old address.
static ADDR_EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The current address epoch, read when a request begins.
pub fn addr_epoch() -> u64 {
    ADDR_EPOCH.load(std::sync::atomic::Ordering::Acquire)
}

/// Called with the server's address lock held, after the change.
pub(super) fn addr_changed() {
    ADDR_EPOCH.fetch_add(1, std::sync::atomic::Ordering::Release);
}

/// No check port of its own: checks go to the server's port.
pub const NO_PORT: u32 = u32::MAX;

impl ServerRt {
    /// The check port in force, if the server has one.
    pub fn check_port(&self) -> Option<u16> {
        u16::try_from(self.check_port.load(Relaxed)).ok()
    }

    /// Where checks go now, given the server's current address.
    pub fn check_target(&self, current: SocketAddr) -> SocketAddr {
        let ip = *self.check_addr.lock().unwrap_or_else(|e| e.into_inner());
        let port = self.check_port().unwrap_or(current.port());
        SocketAddr::new(ip.unwrap_or(current.ip()), port)
    }

    pub fn addr(&self) -> SocketAddr {
        *self.addr.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where a connection for a client that reached `dst` goes now.
    pub fn connect_addr(&self, dst: SocketAddr) -> SocketAddr {
        crate::config::Server::connect_addr(self.addr(), self.port_offset, dst)
    }

    pub fn resolved(&self) -> bool {
        self.resolved.load(Relaxed)
    }

    /// Keeps an idle connection for reuse, unless a server's address changed since its
    /// request began (`epoch`, from [`addr_epoch`]): a request after the change must reach
    /// the new address. An epoch, not the socket's peer address: that would cost a system
    /// call per request.
    /// A server whose address follows the client's ([`Self::connect_addr`]) keeps none:
    /// HAProxy reuses such a connection only for the same destination.
    pub fn keep_idle(&self, stream: tokio::net::TcpStream, proven: bool, epoch: u64) {
        let follows = crate::config::Server::follows_client(self.addr(), self.port_offset);
        if epoch == addr_epoch() && !follows {
            self.pool().put(stream, proven)
        } else {
            super::pool::close_hard(stream)
        }
    }

    /// A new address from DNS (`None`: it has none now). Idle connections to the old one
    /// are closed, so new requests go to the new one.
    pub(super) fn set_addr(&self, ip: Option<std::net::IpAddr>) {
        let mut addr = self.addr.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ip) = ip {
            addr.set_ip(ip);
        }
        self.resolved.store(ip.is_some(), Relaxed);
        addr_changed();
        drop(addr);
        for pool in self.pools.iter() {
            pool.clear();
        }
    }

    /// The idle-connection pool of the calling worker thread.
    pub fn pool(&self) -> &super::pool::Pool {
        &self.pools[super::workers::current() % self.pools.len()]
    }

    fn busy(&self) -> bool {
        self.maxconn
            .is_some_and(|m| self.counters.cur_sessions.load(Relaxed) >= u64::from(m))
    }
}

/// What changes rarely: states and the balancer, under one lock per backend.
struct Core {
    states: Vec<ServerState>,
    /// Each server's `slowstart` ramp, and when the next ramping weight moves.
    warmups: Vec<Warmup>,
    next_warm: Option<Instant>,
    balancer: Balancer,
    /// The backend's own state: when it last gained or lost its last usable server, how
    /// often it lost it, and for how long.
    own: BackendState,
}

#[derive(Debug, Clone, Copy)]
struct BackendState {
    last_change: Instant,
    down_transitions: u64,
    down_since: Option<Instant>,
    downtime: Duration,
}

impl BackendState {
    fn moved(&mut self, usable: bool, now: Instant) {
        self.last_change = now;
        match (usable, self.down_since.take()) {
            (false, _) => {
                self.down_transitions += 1;
                self.down_since = Some(now);
            }
            (true, Some(since)) => self.downtime += now - since,
            (true, None) => {}
        }
    }

    fn downtime(&self, now: Instant) -> Duration {
        self.downtime + self.down_since.map_or(Duration::ZERO, |s| now - s)
    }
}

pub struct BackendRt {
    pub index: usize,
    pub name: String,
    pub servers: Vec<ServerRt>,
    pub counters: std::sync::Arc<Counters>,
    log_health_checks: bool,
    /// `option srvtcpka`: SO_KEEPALIVE on server connections.
    pub srvtcpka: bool,
    /// Sessions waiting for a server slot, and the signal that one freed.
    queued: AtomicU64,
    /// Sessions that have left the queue for a server (HAProxy's queue index).
    dequeued: AtomicU64,
    freed: Notify,
    /// Where this backend's `log` lines send its health and admin lines.
    log: Option<ProxyLog>,
    core: Mutex<Core>,
    events: EventSender,
    /// `cookie`: persistence by a cookie naming the server.
    pub cookie: Option<super::persist::CookieRt>,
    /// `stick-table` and its `stick` rules.
    pub stick: Option<super::stick::StickRt>,
    /// The engine's sessions, which a server's `shutdown-sessions` ends (none in unit tests).
    pub live: Option<std::sync::Arc<super::live::Live>>,
}

impl BackendRt {
    pub fn new(
        index: usize,
        cfg: &Backend,
        events: EventSender,
        now: Instant,
        workers: usize,
        log: Option<ProxyLog>,
    ) -> BackendRt {
        let servers = cfg
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| ServerRt {
                id: ServerId {
                    backend: index,
                    server: i,
                },
                name: s.name.clone(),
                full_name: format!("{}/{}", cfg.name, s.name),
                addr: Mutex::new(s.addr),
                port_offset: s.port_offset,
                resolved: AtomicBool::new(!s.unresolved()),
                maint_wanted: AtomicBool::new(s.disabled),
                check_port: s.check_port.map_or(NO_PORT, u32::from).into(),
                check_addr: Mutex::new(s.check_addr),
                backup: s.backup,
                maxconn: s.maxconn,
                send_proxy: s.send_proxy,
                tls: super::tls_connect::ServerTlsRt::new(&s.tls),
                check_tls: super::tls_connect::ServerTlsRt::for_checks(s),
                counters: Default::default(),
                wake: Notify::new(),
                shutdown_on_down: s.shutdown_on_down,
                shutdown_backups_on_up: s.shutdown_backups_on_up,
                pools: (0..workers.max(1)).map(|_| Default::default()).collect(),
            })
            .collect();
        let states: Vec<ServerState> = cfg
            .servers
            .iter()
            .map(|s| ServerState::new(s.weight, s.check, s.rise, s.fall, s.starts_in_maint(), now))
            .collect();
        let lb_servers: Vec<(u32, bool)> = states
            .iter()
            .zip(&cfg.servers)
            .map(|(st, s)| (st.effective_weight(), s.backup))
            .collect();
        BackendRt {
            index,
            name: cfg.name.clone(),
            servers,
            counters: Default::default(),
            log_health_checks: cfg.options.log_health_checks,
            srvtcpka: cfg.options.srvtcpka,
            queued: AtomicU64::new(0),
            dequeued: AtomicU64::new(0),
            freed: Notify::new(),
            log,
            core: Mutex::new(Core {
                states,
                warmups: cfg
                    .servers
                    .iter()
                    .map(|s| Warmup::new(s.slowstart))
                    .collect(),
                next_warm: None,
                balancer: Balancer::new(cfg.balance, &lb_servers, cfg.options.allbackups)
                    .with_hash(cfg.hash_type),
                own: BackendState {
                    last_change: now,
                    down_transitions: 0,
                    down_since: None,
                    downtime: Duration::ZERO,
                },
            }),
            events,
            cookie: super::persist::CookieRt::new(cfg),
            stick: super::stick::StickRt::new(cfg),
            live: None,
        }
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic elsewhere must not wedge the balancer: the state is still consistent.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Chooses a server other than `avoid` for a new session and opens the session on it.
    /// The session is counted before the lock is let go: two picks at once must not both
    /// see the last free slot under a server's `maxconn`.
    pub fn pick(&self, key: PickKey<'_>, avoid: Option<usize>) -> Option<usize> {
        let busy = |i: usize| self.servers[i].busy() || Some(i) == avoid;
        let load = |i: usize| self.servers[i].counters.cur_sessions.load(Relaxed);
        let mut core = self.core();
        if core.next_warm.is_some_and(|t| Instant::now() >= t) {
            warm(&mut core, Instant::now());
        }
        let forced = key
            .forced
            .filter(|&i| core.balancer.usable(i) && Some(i) != avoid);
        let last = key.last.filter(|&i| core.balancer.usable(i) && !busy(i));
        let forced = forced.or(last);
        // Hashing ignores `busy`, so it can still land on `avoid`.
        let chosen = match forced {
            Some(i) => i,
            None => core
                .balancer
                .pick(key, &busy, &load)
                .filter(|&i| Some(i) != avoid)?,
        };
        let counters = &self.servers[chosen].counters;
        counters.open();
        drop(core);
        counters.lbtot.fetch_add(1, Relaxed);
        Some(chosen)
    }

    /// A line for the watcher only.
    pub(super) fn tell(&self, level: Level, topic: Topic, text: String) {
        self.events.log(level, topic, text);
    }

    /// A line for the watcher and for the backend's `log` targets.
    pub(super) fn log(&self, level: Level, topic: Topic, text: String) {
        if let Some(log) = &self.log {
            log.send(level, &text);
        }
        self.events.log(level, topic, text);
    }

    /// Ends a session on a server, handing its slot to a queued session if any.
    pub fn release(&self, server: usize) {
        self.servers[server].counters.close();
        // Pairs with the fence in `connect::assign_queued`: either the queued session sees
        // this slot free, or this sees it queued.
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        if self.queued.load(Relaxed) > 0 {
            self.freed.notify_one();
        }
    }

    /// Resolves when a server slot frees up.
    pub fn slot_freed(&self) -> tokio::sync::futures::Notified<'_> {
        self.freed.notified()
    }

    /// Counts a session in the backend queue while the guard lives.
    pub fn enqueue(&self) -> QueueGuard<'_> {
        let position = self.queued.fetch_add(1, Relaxed) + 1;
        QueueGuard(&self.queued, position)
    }

    /// How many sessions have left the queue for a server so far.
    pub fn dequeues(&self) -> u64 {
        self.dequeued.load(Relaxed)
    }

    /// A queued session got a server.
    pub fn note_dequeued(&self) {
        self.dequeued.fetch_add(1, Relaxed);
    }

    /// Whether some server is sent a PROXY header (and so needs the client's addresses).
    pub fn sends_proxy(&self) -> bool {
        self.servers.iter().any(|s| s.send_proxy.is_some())
    }

    pub fn any_usable(&self) -> bool {
        self.core().balancer.any_usable()
    }

    /// HAProxy's `nbsrv` for this backend.
    pub fn nbsrv(&self) -> u32 {
        self.core().balancer.usable_count()
    }

    /// Whether checks should run for this server now, and its check interval inputs.
    pub fn checks_running(&self, server: usize) -> bool {
        self.core().states[server].checks_running()
    }

    /// Health value and its maximum, for check scheduling.
    pub fn health(&self, server: usize) -> (u32, u32) {
        let core = self.core();
        let h = core.states[server].health;
        (h.value, h.max())
    }

    /// Whether the server's health counter says up (HAProxy's "not stopped").
    pub fn health_up(&self, server: usize) -> bool {
        self.core().states[server].health.is_up()
    }

    pub fn record_check(&self, server: usize, outcome: CheckOutcome) {
        let moved = self.change(
            server,
            Topic::Health,
            |state, now| {
                // A check that was in flight when maintenance began must not move the health.
                if !state.checks_running() {
                    return None;
                }
                let t = state.apply_check(outcome, now);
                let moved = (t.was_up, t.is_up);
                Some((t, moved))
            },
            |state, who, t, tally, _| state.check_lines(who, t, tally),
        );
        let s = &self.servers[server];
        match moved {
            Some((true, false)) if s.shutdown_on_down => self.kill_sessions(server, b'D'),
            Some((false, true)) if s.shutdown_backups_on_up && !s.backup => {
                for (b, _) in self.servers.iter().enumerate().filter(|(_, b)| b.backup) {
                    self.kill_sessions(b, b'U');
                }
            }
            _ => {}
        }
    }

    /// Ends every session on `server`, with the cause HAProxy logs: `D` when it went DOWN
    /// (`on-marked-down shutdown-sessions`), `U` when an active server came UP
    /// (`on-marked-up shutdown-backup-sessions`), `K` when an admin asked.
    pub fn kill_sessions(&self, server: usize, cause: u8) {
        if let Some(live) = &self.live {
            live.kill_server(self.index, server, cause);
        }
    }

    pub fn set_admin(&self, server: usize, to: AdminState) {
        let from = self.change(
            server,
            Topic::Admin,
            |state, now| {
                let from = state.admin;
                Some((state.apply_admin(to, now), from))
            },
            |state, who, t, tally, &from| {
                let mut lines: Vec<Line> =
                    state.admin_line(from, who, t, tally).into_iter().collect();
                // Out of maintenance into drain, and up: HAProxy says it stays drained.
                if from == AdminState::Maint && state.admin == AdminState::Drain && t.is_up {
                    let text = format!("Server {} remains in forced drain mode.", who.proxy_server);
                    lines.push((Level::Notice, text));
                }
                lines
            },
        );
        if from.is_some_and(|from| from == AdminState::Maint && to != AdminState::Maint) {
            self.servers[server].wake.notify_one();
        }
    }

    pub fn set_weight(&self, server: usize, weight: u32) {
        let name = &self.servers[server].full_name;
        self.change(
            server,
            Topic::Admin,
            |state, _| Some((reweigh(state, |s| s.weight = weight), ())),
            |_, _, _, _, _| Vec::new(),
        );
        // HAProxy logs no line for a weight change: the watcher alone is told.
        let text = format!("Weight of server {name} set to {weight}.");
        self.tell(Level::Notice, Topic::Admin, text);
    }

    pub fn set_checks(&self, server: usize, enabled: bool) -> Result<(), String> {
        if !self.core().states[server].checks_configured {
            return Err("Health check was not configured on this server, cannot enable.".into());
        }
        let name = &self.servers[server].full_name;
        self.change(
            server,
            Topic::Admin,
            |state, _| {
                let t = reweigh(state, |s| {
                    s.checks_enabled = enabled;
                    if enabled {
                        s.health.value = s.health.rise;
                        s.last_check = None;
                    }
                });
                Some((t, ()))
            },
            |_, _, _, _, _| Vec::new(),
        );
        // As for weights, HAProxy logs nothing here.
        let word = if enabled { "enabled" } else { "disabled" };
        let text = format!("Health checks {word} for server {name}.");
        self.tell(Level::Notice, Topic::Admin, text);
        if enabled {
            self.servers[server].wake.notify_one();
        }
        Ok(())
    }

    /// Every change of a server's state, whatever caused it, takes the same steps: under the
    /// lock, `apply` changes the state (or declines, `None`), the balancer gets the new
    /// weight and `lines` words the change with what is left; then, with the lock released,
    /// the lines are logged, "no server available" when it was the last one, and the watcher
    /// told.
    pub(super) fn change<X>(
        &self,
        server: usize,
        topic: Topic,
        apply: impl FnOnce(&mut ServerState, Instant) -> Option<(Transition, X)>,
        lines: impl FnOnce(&ServerState, &Who<'_>, &Transition, &Tally, &X) -> Vec<Line>,
    ) -> Option<X> {
        let now = Instant::now();
        let mut core = self.core();
        let had_usable = core.balancer.any_usable();
        let was_up = core.states[server].is_up();
        let (t, extra) = apply(&mut core.states[server], now)?;
        match (was_up, core.states[server].is_up()) {
            (false, true) => core.warmups[server].start(now),
            (_, false) => core.warmups[server].stop(),
            (true, true) => {}
        }
        let tally = self.settle(&mut core, server, now);
        let lines = lines(&core.states[server], &self.who(server), &t, &tally, &extra);
        let no_server = self.lost_all(&core, had_usable);
        let usable = core.balancer.any_usable();
        if usable != had_usable {
            core.own.moved(usable, now);
        }
        let status = core.states[server].status();
        drop(core);
        for (level, text) in lines {
            self.log(level, topic, text);
        }
        self.after_change(server, &t, status, no_server);
        Some(extra)
    }

    /// Pushes the server's new effective weight to the balancer and counts what is left.
    fn settle(&self, core: &mut Core, server: usize, now: Instant) -> Tally {
        push_weight(core, server, now);
        core.next_warm = next_warm(core, now);
        let usable = |backup: bool| {
            core.states
                .iter()
                .zip(&self.servers)
                .filter(|(st, s)| s.backup == backup && st.effective_weight() > 0)
                .count()
        };
        let counters = &self.servers[server].counters;
        Tally {
            active: usable(false),
            backup: usable(true),
            sessions: counters.cur_sessions.load(Relaxed),
            queued: 0,
        }
    }

    /// Whether this change took the last usable server away.
    fn lost_all(&self, core: &Core, had_usable: bool) -> bool {
        had_usable && !core.balancer.any_usable()
    }

    fn after_change(
        &self,
        server: usize,
        t: &Transition,
        status: crate::events::ServerStatus,
        no_server: bool,
    ) {
        if no_server {
            self.log(
                Level::Emerg,
                Topic::Health,
                format!("backend {} has no server available!", self.name),
            );
        }
        if t.moved {
            self.events.send(Event::ServerChanged {
                server: self.servers[server].id,
                status,
            });
        }
    }

    pub(super) fn who(&self, server: usize) -> Who<'_> {
        Who {
            proxy_server: &self.servers[server].full_name,
            backup: self.servers[server].backup,
            log_health_checks: self.log_health_checks,
        }
    }
}

/// A change that only moves the server's effective weight, always reported.
fn reweigh(state: &mut ServerState, change: impl FnOnce(&mut ServerState)) -> Transition {
    let was_up = state.effective_weight() > 0;
    change(state);
    Transition {
        was_up,
        is_up: state.effective_weight() > 0,
        moved: true,
        was_stopping: state.stopping,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// Many threads picking at once never put two sessions on a `maxconn 1` server.
    #[test]
    fn concurrent_picks_respect_maxconn() {
        let cfg = Config::parse(
            std::path::Path::new("t.cfg"),
            "backend be\n    server a 127.0.0.1:1 maxconn 1\n",
        )
        .unwrap();
        let (events, _rx) = crate::events::channel();
        let be = BackendRt::new(0, &cfg.backends[0], events, Instant::now(), 1, None);
        let overlaps = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200_000 {
                        if let Some(i) = be.pick(PickKey::default(), None) {
                            if be.servers[i].counters.cur_sessions.load(Relaxed) > 1 {
                                overlaps.fetch_add(1, Relaxed);
                            }
                            be.release(i);
                        }
                    }
                });
            }
        });
        assert_eq!(overlaps.load(Relaxed), 0);
        assert_eq!(be.servers[0].counters.max_sessions.load(Relaxed), 1);
    }
}
