//! Frontends at run time: the listener's accept loop, connection limits, and the settings each
//! request needs, worked out once from the configuration.

use super::backend::BackendRt;
use super::connect::RetryPolicy;
use super::limit::Limit;
use super::listen::BindRt;
use super::log_out::ProxyLog;
use super::rules::ReqView;
use crate::config::acl::{Env, Vars};
use crate::config::{Balance, Bind, Captures, Config, HttpReuse, IpNet, Mode};
use crate::events::{EventSender, FrontendSnap, Level, SessionRecord, Termination, Topic};
use hyper::header::{HeaderName, HeaderValue};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[derive(Debug, Default)]
pub struct FrontendCounters {
    pub cur_conns: AtomicU64,
    pub max_conns: AtomicU64,
    pub total_conns: AtomicU64,
    pub requests: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Responses by class (1xx..5xx, other), all of them: relayed, error pages, stats pages.
    pub http_responses: [AtomicU64; 6],
    /// Stats pages, redirects and `http-request return` answered (HAProxy's `intercepted`).
    pub intercepted: AtomicU64,
    /// Requests denied by its rules or its backends' (HAProxy's `dreq`).
    pub denied_req: AtomicU64,
    /// Responses refused by its backends' `http-response deny` (HAProxy's `dresp`).
    pub denied_resp: AtomicU64,
    /// Request heads refused or never completed (HAProxy's `ereq`).
    pub req_errors: AtomicU64,
    /// Connections closed by a `tcp-request connection reject` (HAProxy's `dcon`): counted
    /// in `total_conns`, never sessions.
    pub denied_conn: AtomicU64,
    /// Traffic lines written (`%lc`).
    pub logged: AtomicU64,
}

/// How long a frontend stays quiet after saying it ran out of file descriptors.
const RESOURCE_QUIET: Duration = Duration::from_secs(60);

/// Sessions recorded in the process (`%rt`).
static RECORDED: AtomicU64 = AtomicU64::new(0);

/// The next `%rt`, taken once per recorded session or per request with a unique ID.
pub fn next_counter() -> u64 {
    RECORDED.fetch_add(1, Relaxed)
}

impl FrontendCounters {
    pub fn response(&self, status: u16) {
        self.http_responses[super::backend::status_class(status)].fetch_add(1, Relaxed);
    }
}

pub struct FrontendRt {
    /// The configuration it was built from (its session records name it).
    pub config: Arc<Config>,
    pub index: usize,
    pub name: String,
    pub mode: Mode,
    /// Whether it speaks HTTP: its mode, or a TCP frontend whose default backend is HTTP,
    /// which HAProxy upgrades to HTTP (docs/haproxy-semantics.md §40).
    pub http: bool,
    /// Its binds, in the file's order.
    pub binds: Vec<BindRt>,
    pub backend: Arc<BackendRt>,
    /// Shared by the frontend's routes (one `FrontendRt` per backend it may use).
    pub counters: Arc<FrontendCounters>,
    /// `maxconn` slots, shared by every bind in every worker; `set maxconn frontend`
    /// resizes it.
    pub(crate) limit: Arc<Limit>,
    /// Where the frontend's own alerts go (its `log` targets, httplog or not), set when the
    /// engine starts.
    pub(super) alerts: Option<ProxyLog>,
    /// When (seconds since the epoch) running out of file descriptors was last logged.
    starved: AtomicU64,
    /// Connections across all frontends.
    pub process_conns: Arc<AtomicU64>,
    /// The frontend has no backend of its own (a stats-only frontend): HAProxy logs its
    /// other requests with `TR` at -1.
    pub no_backend: bool,
    /// The stats pages this frontend answers itself, in the order they are tried.
    pub stats: Vec<Arc<super::stats::StatsRt>>,
    /// The runtime API's view of the traffic (set when the engine starts; shared by routes).
    pub live: Arc<super::live::Live>,
    /// The running engine, for the answers built from its snapshot (the exporter's).
    pub(crate) view: super::stats::View,
    events: EventSender,
    /// With `log` targets and httplog/tcplog: where traffic lines go, and the config to word them.
    traffic_log: Option<(ProxyLog, Arc<Config>)>,
    /// The log format writes `%bi`/`%bp`: each session reads its server socket's address.
    backend_source: bool,
    forwardfor: Option<(Option<IpNet>, HeaderName)>,
    forwardfor_if_none: bool,
    /// `errorfile` pages by status: the backend's, else the frontend's.
    errorfiles: std::collections::HashMap<u16, super::l7::pages::CustomPage>,
    server_close: bool,
    /// The frontend's own `option httpclose`: its clients are answered `connection: close`
    /// and closed after each response (a backend's only closes server connections).
    client_close: bool,
    /// `option http-pretend-keepalive` on either side.
    pretend_keepalive: bool,
    /// `compression` on either side; `None` without.
    compression: Option<super::h1::compress::CompressRt>,
    http_reuse: HttpReuse,
    /// `option prefer-last-server`, where HAProxy applies it: not with an algorithm that
    /// hashes (HAProxy's `BE_LB_KIND_HI`: source, uri, hdr, random).
    prefer_last: bool,
    retry: RetryPolicy,
    http_request_timeout: Option<Duration>,
    keep_alive_timeout: Option<Duration>,
    server_timeout: Option<Duration>,
    client_timeout: Option<Duration>,
    tunnel_timeout: Option<Duration>,
    client_fin_timeout: Option<Duration>,
    server_fin_timeout: Option<Duration>,
    dontlognull: bool,
    hashes_uri: bool,
    hash_header: Option<HeaderName>,
    /// `option clitcpka`: SO_KEEPALIVE on accepted connections.
    pub(super) clitcpka: bool,
    /// The frontend's rules and the routes they may take; `None` for a frontend without
    /// rules, whose requests all go to `backend` with nothing evaluated.
    pub routing: Option<Box<super::rules::Routing>>,
    /// The `http-response` rules of this frontend and backend; `None` without any.
    pub response_rules: Option<Box<super::rules::ResponseRules>>,
    /// The `capture` lines; `None` without any.
    captures: Option<Captures>,
    /// `unique-id-format`; `None` without one.
    pub unique_id: Option<Box<super::unique_id::UniqueIdRt>>,
}

impl FrontendRt {
    pub fn new(
        index: usize,
        config: &Arc<Config>,
        backend: Arc<BackendRt>,
        events: EventSender,
        default_maxconn: u32,
        process_conns: Arc<AtomicU64>,
        traffic_log: Option<ProxyLog>,
    ) -> FrontendRt {
        let fe = &config.frontends[index];
        let traffic_log = traffic_log.map(|l| (l, config.clone()));
        let backend_source = traffic_log.is_some()
            && config.frontends[index]
                .options
                .log_format
                .as_ref()
                .is_some_and(|lf| lf.wants_backend_source());
        let be = &config.backends[backend.index];
        // HAProxy honours these options when either side sets them, but for the
        // `option forwardfor` of a TCP frontend, which it ignores even once upgraded.
        let forwardfor = (fe.mode == Mode::Http)
            .then_some(fe.options.forwardfor.as_ref())
            .flatten()
            .or(be.options.forwardfor.as_ref());
        let forwardfor_if_none = forwardfor.is_some_and(|f| f.if_none);
        let forwardfor = forwardfor.map(|f| {
            let name = HeaderName::from_bytes(f.header.as_bytes())
                .unwrap_or(HeaderName::from_static("x-forwarded-for"));
            (f.except, name)
        });
        let maxconn = fe.maxconn.unwrap_or(default_maxconn);
        let response_rules =
            super::rules::ResponseRules::new(config, index, backend.index).map(Box::new);
        let labels = Bind::labels(&fe.binds);
        FrontendRt {
            config: config.clone(),
            index,
            name: fe.name.clone(),
            mode: fe.mode,
            http: fe.mode == Mode::Http || be.mode == Mode::Http,
            binds: fe
                .binds
                .iter()
                .zip(labels)
                .map(|(b, label)| BindRt::new(b, label))
                .collect(),
            backend,
            counters: Arc::default(),
            limit: Limit::new(maxconn),
            alerts: None,
            starved: AtomicU64::new(0),
            process_conns,
            stats: Vec::new(),
            live: Arc::new(super::live::Live::new(0)),
            view: Default::default(),
            no_backend: be.implicit,
            events,
            traffic_log,
            backend_source,
            forwardfor,
            forwardfor_if_none,
            captures: Some(fe.captures.clone()).filter(|c| !c.is_empty()),
            errorfiles: fe
                .options
                .errorfiles
                .iter()
                .chain(&be.options.errorfiles)
                .filter_map(|f| Some((f.status, super::l7::pages::CustomPage::new(&f.bytes)?)))
                .collect(),
            server_close: [&fe.options, &be.options]
                .iter()
                .any(|o| o.http_server_close || o.httpclose),
            client_close: fe.options.httpclose,
            compression: super::h1::compress::CompressRt::new(&fe.options, &be.options),
            pretend_keepalive: fe.options.http_pretend_keepalive
                || be.options.http_pretend_keepalive,
            http_reuse: be.options.http_reuse,
            prefer_last: be.options.prefer_last_server
                && !matches!(
                    be.balance,
                    Balance::Source | Balance::Uri | Balance::Hdr | Balance::Random
                ),
            retry: RetryPolicy {
                retries: be.options.retries,
                redispatch: be.options.redispatch,
                connect_timeout: be.timeouts.connect.unwrap_or(Duration::from_secs(5)),
                // `timeout queue` defaults to `timeout connect`.
                queue_timeout: be
                    .timeouts
                    .queue
                    .or(be.timeouts.connect)
                    .unwrap_or(Duration::from_secs(5)),
                balance: be.balance,
                direct: false,
                abortonclose: be.options.abortonclose,
            },
            http_request_timeout: fe.timeouts.http_request.or(fe.timeouts.client),
            keep_alive_timeout: fe
                .timeouts
                .http_keep_alive
                .or(fe.timeouts.http_request)
                .or(fe.timeouts.client),
            server_timeout: be.timeouts.server,
            client_timeout: fe.timeouts.client,
            tunnel_timeout: be.timeouts.tunnel,
            client_fin_timeout: fe.timeouts.client_fin,
            server_fin_timeout: be.timeouts.server_fin,
            dontlognull: fe.options.dontlognull,
            clitcpka: fe.options.clitcpka,
            hashes_uri: be.balance == Balance::Uri,
            hash_header: be
                .hash_header
                .as_deref()
                .filter(|_| be.balance == Balance::Hdr)
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            routing: None,
            response_rules,
            unique_id: super::unique_id::UniqueIdRt::new(config, index),
        }
    }

    /// Makes this the frontend `main` as it serves another backend: the same counters and
    /// connection slots.
    pub fn share(&mut self, main: &FrontendRt) {
        self.counters = main.counters.clone();
        self.live = main.live.clone();
        self.limit = main.limit.clone();
    }

    /// The frontend as it serves `backend` (`None`: its default backend).
    pub fn route(&self, backend: Option<usize>) -> &FrontendRt {
        self.route_arc(backend).map_or(self, |f| f.as_ref())
    }

    /// As [`FrontendRt::route`], for a route other than the default one.
    pub fn route_arc(&self, backend: Option<usize>) -> Option<&Arc<FrontendRt>> {
        let routes = &self.routing.as_ref()?.routes;
        routes.get(backend?)?.as_ref()
    }

    /// The `X-Forwarded-For` value for a client, unless `except` covers it. Built once per
    /// connection.
    pub fn forwarded_for(&self, client: SocketAddr) -> Option<HeaderValue> {
        let (except, _) = self.forwardfor.as_ref()?;
        if except.is_some_and(|net| net.contains(client.ip())) {
            return None;
        }
        HeaderValue::from_str(&client.ip().to_string()).ok()
    }

    /// The `errorfile` page for `status`, if one is configured.
    pub fn errorfile(&self, status: u16) -> Option<&super::l7::pages::CustomPage> {
        self.errorfiles.get(&status)
    }

    pub fn forwardfor_if_none(&self) -> bool {
        self.forwardfor_if_none
    }

    pub fn forwardfor_header(&self) -> Option<&HeaderName> {
        self.forwardfor.as_ref().map(|(_, name)| name)
    }

    pub fn server_close(&self) -> bool {
        self.server_close
    }

    /// The `compression` lines in force, if any.
    pub fn compression(&self) -> Option<&super::h1::compress::CompressRt> {
        self.compression.as_ref()
    }

    /// Whether the client connection closes after each response (`option httpclose` in the
    /// frontend).
    pub fn client_close(&self) -> bool {
        self.client_close
    }

    /// Whether requests to the server say `connection: close` under `server_close`: not with
    /// `option http-pretend-keepalive` (docs/haproxy-semantics.md §3.2c), unless the client
    /// connection closes too (measured with a frontend's `httpclose`).
    pub fn asks_server_to_close(&self) -> bool {
        self.client_close || (self.server_close && !self.pretend_keepalive)
    }

    /// The source of a server connection, when the log line writes it (`%bi:%bp`).
    pub fn backend_source(&self, server: &tokio::net::TcpStream) -> Option<std::net::SocketAddr> {
        self.backend_source
            .then(|| server.local_addr().ok())
            .flatten()
    }

    pub fn http_reuse(&self) -> HttpReuse {
        self.http_reuse
    }

    pub fn prefer_last(&self) -> bool {
        self.prefer_last
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    pub fn http_request_timeout(&self) -> Option<Duration> {
        self.http_request_timeout
    }

    pub fn keep_alive_timeout(&self) -> Option<Duration> {
        self.keep_alive_timeout
    }

    /// The `capture` lines, for a request the watcher gets (`sampled`).
    pub fn captures(&self, sampled: bool) -> Option<&Captures> {
        self.captures.as_ref().filter(|_| sampled)
    }

    pub fn dontlognull(&self) -> bool {
        self.dontlognull
    }

    /// The idle limits of a TCP session or a tunnel: [`Self::tcp_idle_timeout`], shortened
    /// on a half-closed side by `timeout client-fin` / `server-fin`.
    pub(crate) fn idle_limits(&self) -> crate::engine::l4::activity::IdleLimits {
        crate::engine::l4::activity::IdleLimits {
            base: self.tcp_idle_timeout(),
            client_fin: self.client_fin_timeout,
            server_fin: self.server_fin_timeout,
        }
    }

    /// The idle limit of a TCP session or an upgraded connection, and the flags it ends
    /// with: `timeout tunnel` (`cD`) when set, else the shorter of `timeout client` (`cD`)
    /// and `timeout server` (`sD`) (measured; docs/haproxy-semantics.md §23).
    pub fn tcp_idle_timeout(&self) -> (Option<Duration>, Termination) {
        if self.tunnel_timeout.is_some() {
            return (self.tunnel_timeout, Termination::new(b'c', b'D'));
        }
        let client = (self.client_timeout, Termination::new(b'c', b'D'));
        let server = (self.server_timeout, Termination::new(b's', b'D'));
        match (client.0, server.0) {
            (Some(c), Some(s)) if s < c => server,
            (None, Some(_)) => server,
            _ => client,
        }
    }

    /// How long a client may stall in the middle of a request: silent while sending its body,
    /// or not reading the response.
    pub fn client_timeout(&self) -> Option<Duration> {
        self.client_timeout
    }

    pub fn server_timeout(&self) -> Option<Duration> {
        self.server_timeout
    }

    pub fn hashes_uri(&self) -> bool {
        self.hashes_uri
    }

    /// The header `balance hdr(<name>)` hashes on.
    pub fn hash_header(&self) -> Option<&HeaderName> {
        self.hash_header.as_ref()
    }

    pub fn new_record(
        &self,
        client: SocketAddr,
        start: SystemTime,
        request: Option<String>,
    ) -> SessionRecord {
        SessionRecord {
            config: Some(self.config.clone()),
            frontend: self.index,
            backend: self.backend.index,
            server: None,
            client,
            start,
            timers: [-1; 5],
            status: None,
            bytes_out: 0,
            bytes_in: 0,
            log_bytes_in: None,
            termination: Termination::NORMAL,
            retries: 0,
            redispatched: false,
            request,
            reused: false,
            forwarded_for: None,
            process_conns: 0,
            frontend_conns: 0,
            backend_queue: 0,
            backend_conns: 0,
            server_conns: 0,
            stats_page: None,
            service: None,
            by_frontend: false,
            rule_line: None,
            tls: None,
            from_server: false,
            cookie_flags: *b"--",
            captures: None,
            frontend_addr: None,
            backend_source: None,
            counter: 0,
            log_count: 0,
            unique_id: None,
        }
    }

    /// Sends a line that is not a session's (a failed PROXY header) where traffic lines go.
    /// HAProxy 2.6 logs these only for a frontend that logs traffic (measured).
    /// An accept failed for want of `what` (`process FD limit`, ...): HAProxy's line, at
    /// most once per [`RESOURCE_QUIET`] for this frontend (HAProxy repeats it at each retry,
    /// ten times a second; near the limit a listener flaps between accepting and failing).
    pub(super) fn out_of_resources(&self, what: &str) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs().max(1));
        let last = self.starved.load(Relaxed);
        let quiet = last != 0 && now < last + RESOURCE_QUIET.as_secs();
        if quiet
            || self
                .starved
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_err()
        {
            return;
        }
        let maxsock = super::limit::open_files();
        let advice = match what {
            "process FD limit" => "Please check 'ulimit-n' and restart.",
            _ => "Please check system tunables.",
        };
        let text = format!(
            "Proxy {} reached {what} (maxsock={maxsock}). {advice}",
            self.name
        );
        if let Some(log) = &self.alerts {
            log.send(Level::Emerg, &text);
        }
        self.events.log(Level::Emerg, Topic::System, text);
    }

    pub fn log_error(&self, level: Level, line: &str) {
        if let Some((log, config)) = &self.traffic_log {
            let o = &config.frontends[self.index].options;
            if o.logs_traffic() {
                log.send(level, line);
            }
        }
    }

    /// Whether to build a record for a session starting now.
    pub fn sample(&self) -> bool {
        self.traffic_log.is_some() || self.events.sample()
    }

    /// Reports a finished session that reached the backend; never waits. Only sampled
    /// sessions are sent on.
    pub fn finish(&self, record: SessionRecord, sampled: bool) {
        self.backend.counters.total_sessions.fetch_add(1, Relaxed);
        self.report(record, sampled);
    }

    /// Reports a session the frontend ended itself, before any backend (a refused or
    /// unfinished request head): HAProxy counts it on the frontend only.
    pub fn report(&self, mut record: SessionRecord, sampled: bool) {
        record.frontend_conns = self.counters.cur_conns.load(Relaxed);
        record.process_conns = self.process_conns.load(Relaxed);
        if sampled || self.traffic_log.is_some() {
            if record.unique_id.is_none() {
                record.counter = next_counter();
            }
            let sessions = |s: &super::backend::ServerRt| s.counters.cur_sessions.load(Relaxed);
            record.backend_conns = self.backend.servers.iter().map(sessions).sum();
            record.server_conns = record
                .server
                .and_then(|i| self.backend.servers.get(i))
                .map_or(0, sessions);
            if record.stats_page.is_some() {
                // Answered by the proxy itself: no backend connection in it.
                record.backend_conns = 0;
            }
        }
        self.count(&record);
        if let Some((log, config)) = &self.traffic_log {
            record.log_count = self.counters.logged.load(Relaxed);
            if let Some((level, line)) = super::log::session_log(config, &record) {
                self.counters.logged.fetch_add(1, Relaxed);
                log.send(level, &line);
            }
        }
        if sampled {
            self.events.session(record);
        }
    }

    /// Counts a session's bytes and its status, as [`FrontendRt::report`] does, without
    /// logging it (a `monitor-uri` request).
    pub fn count(&self, record: &SessionRecord) {
        self.counters.bytes_out.fetch_add(record.bytes_out, Relaxed);
        self.counters.bytes_in.fetch_add(record.bytes_in, Relaxed);
        if let (Mode::Http, Some(status)) = (self.mode, record.status) {
            self.counters.response(status);
        }
    }

    /// The frontend's `monitor-uri`, if it has one.
    pub fn monitor(&self) -> Option<&crate::config::Monitor> {
        self.config.frontends.get(self.index)?.monitor.as_ref()
    }

    /// Whether `cond` holds for the request `v`, evaluated as HAProxy evaluates a frontend's
    /// conditions outside its rules (`stats admin`, `monitor fail`): with the frontend's
    /// proxy ids and the servers' states.
    pub(crate) fn holds(&self, cond: &crate::config::acl::Cond, v: &ReqView) -> bool {
        let vars = Vars::default();
        match self.routing.as_deref() {
            Some(r) => {
                let nbsrv = |n: Option<&str>| r.nbsrv(r.default_backend, n);
                cond.eval(v, &r.env(r.default_backend, &nbsrv, &vars))
            }
            None => {
                let nbsrv = |_: Option<&str>| self.backend.nbsrv();
                let env = Env {
                    fe_id: 0,
                    be_id: 0,
                    nbsrv: &nbsrv,
                    users: None,
                    vars: Some(&vars),
                    payload: None,
                    at_accept: false,
                };
                cond.eval(v, &env)
            }
        }
    }

    pub fn snapshot(&self) -> FrontendSnap {
        let c = &self.counters;
        FrontendSnap {
            name: self.name.clone(),
            mode: self.mode,
            binds: self.binds.iter().map(|b| b.addr).collect(),
            backend: self.backend.index,
            cur_conns: c.cur_conns.load(Relaxed),
            max_conns: c.max_conns.load(Relaxed),
            limit_conns: self.limit.size(),
            total_conns: c.total_conns.load(Relaxed),
            total_requests: c.requests.load(Relaxed),
            bytes_in: c.bytes_in.load(Relaxed),
            bytes_out: c.bytes_out.load(Relaxed),
            http_responses: std::array::from_fn(|i| c.http_responses[i].load(Relaxed)),
            intercepted: c.intercepted.load(Relaxed),
            req_errors: c.req_errors.load(Relaxed),
            denied_req: c.denied_req.load(Relaxed),
            denied_resp: c.denied_resp.load(Relaxed),
            denied_conn: c.denied_conn.load(Relaxed),
        }
    }
}

/// SO_KEEPALIVE with the system's idle time, interval and count, as HAProxy sets it for
/// `option clitcpka` and `option srvtcpka`. A failure only loses the probes.
pub fn keepalive(stream: &tokio::net::TcpStream) {
    let _ = socket2::SockRef::from(stream).set_keepalive(true);
}

impl FrontendCounters {
    /// `clear counters` (the maximum) or `clear counters all` (every total too).
    pub fn clear(&self, all: bool) {
        self.max_conns.store(0, Relaxed);
        if !all {
            return;
        }
        let totals = [
            &self.total_conns,
            &self.requests,
            &self.bytes_in,
            &self.bytes_out,
            &self.intercepted,
            &self.denied_req,
            &self.denied_resp,
            &self.req_errors,
            &self.denied_conn,
        ];
        for c in totals.into_iter().chain(&self.http_responses) {
            c.store(0, Relaxed);
        }
    }
}
