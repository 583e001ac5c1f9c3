//! HAProxy's frontend, backend and server families that lbtop has the data for, each read
//! from the stats CSV row HAProxy's exporter reads too (its fields are the exporter's
//! source), with HAProxy's names, help texts and labels (measured on 2.6.12).

use super::expose::{Family, Kind, Labels, Value};
use crate::config::{Config, Mode};
use crate::engine::stats::{csv, Proxy, ProxyKind};
use crate::events::{ServerSnap, ServerStatus, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Frontend,
    Backend,
    Server,
}

impl Scope {
    fn bit(self) -> u8 {
        match self {
            Scope::Frontend => FE,
            Scope::Backend => BE,
            Scope::Server => SV,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Scope::Frontend => "haproxy_frontend_",
            Scope::Backend => "haproxy_backend_",
            Scope::Server => "haproxy_server_",
        }
    }
}

const FE: u8 = 1;
const BE: u8 = 2;
const SV: u8 = 4;
const ALL: u8 = FE | BE | SV;

/// Where a family's value comes from.
#[derive(Debug, Clone, Copy)]
enum Src {
    /// A CSV column; an empty field is `NaN`, as HAProxy writes it.
    Col(&'static str),
    /// A CSV column HAProxy exports for HTTP proxies only.
    Http(&'static str),
    /// One-hot over the states.
    Status,
    /// One-hot over the check results (checked servers only).
    CheckStatus,
    /// The check's HTTP code, 0 for a check with none (checked servers only).
    CheckCode,
    /// The check's duration in seconds (checked servers only).
    CheckDuration,
    /// `http_responses_total{code}` (HTTP proxies only).
    Codes,
    /// A backend's servers counted by state.
    AggServer,
    /// A backend's checked servers counted by check result.
    AggCheck,
}

struct Def {
    name: &'static str,
    scopes: u8,
    src: Src,
    help: &'static str,
}

const fn def(name: &'static str, scopes: u8, src: Src, help: &'static str) -> Def {
    Def {
        name,
        scopes,
        src,
        help,
    }
}

use Src::*;

/// The families lbtop claims, in HAProxy's order. Left out (no data in lbtop): max_queue,
/// the backend's max_sessions, the rates and their maxima, queue_limit, client and server
/// aborts, last_session_seconds, the time averages and maxima, connection attempts and
/// reuses, and the idle-connection gauges (docs/haproxy-semantics.md §28).
static DEFS: &[Def] = &[
    def("current_queue", BE | SV, Col("qcur"), "Number of current queued connections"),
    def("current_sessions", ALL, Col("scur"), "Number of current sessions on the frontend, backend or server"),
    def("max_sessions", FE | SV, Col("smax"), "Highest value of current sessions encountered since process started"),
    def("limit_sessions", ALL, Col("slim"), "Frontend/listener/server's maxconn, backend's fullconn"),
    def("sessions_total", ALL, Col("stot"), "Total number of sessions since process started"),
    def("bytes_in_total", ALL, Col("bin"), "Total number of request bytes since process started"),
    def("bytes_out_total", ALL, Col("bout"), "Total number of response bytes since process started"),
    def("requests_denied_total", FE | BE, Col("dreq"), "Total number of denied requests since process started"),
    def("responses_denied_total", ALL, Col("dresp"), "Total number of denied responses since process started"),
    def("request_errors_total", FE, Col("ereq"), "Total number of invalid requests since process started"),
    def("connection_errors_total", BE | SV, Col("econ"), "Total number of failed connections to server since the worker process started"),
    def("response_errors_total", BE | SV, Col("eresp"), "Total number of invalid responses since the worker process started"),
    def("retry_warnings_total", BE | SV, Col("wretr"), "Total number of server connection retries since the worker process started"),
    def("redispatch_warnings_total", BE | SV, Col("wredis"), "Total number of server redispatches due to connection failures since the worker process started"),
    def("status", ALL, Status, "Current status of the service, per state label value."),
    def("limit_session_rate", FE, Col("rate_lim"), "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"),
    def("weight", BE | SV, Col("weight"), "Server's effective weight, or sum of active servers' effective weights for a backend"),
    def("active_servers", BE, Col("act"), "Total number of active UP servers with a non-zero weight"),
    def("backup_servers", BE, Col("bck"), "Total number of backup UP servers with a non-zero weight"),
    def("check_failures_total", SV, Col("chkfail"), "Total number of failed individual health checks per server/backend, since the worker process started"),
    def("check_up_down_total", BE | SV, Col("chkdown"), "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"),
    def("check_last_change_seconds", BE | SV, Col("lastchg"), "How long ago the last server state changed, in seconds"),
    def("downtime_seconds_total", BE | SV, Col("downtime"), "Total time spent in DOWN state, for server or backend"),
    def("current_throttle", SV, Col("throttle"), "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"),
    def("loadbalanced_total", BE | SV, Col("lbtot"), "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"),
    def("check_status", SV, CheckStatus, "Status of last health check, per state label value."),
    def("check_code", SV, CheckCode, "layer5-7 code, if available of the last health check."),
    def("check_duration_seconds", SV, CheckDuration, "Total duration of the latest server health check, in seconds."),
    def("http_responses_total", ALL, Codes, "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"),
    def("http_requests_total", FE | BE, Http("req_tot"), "Total number of HTTP requests processed by this object since the worker process started"),
    def("http_comp_bytes_in_total", FE | BE, Http("comp_in"), "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"),
    def("http_comp_bytes_out_total", FE | BE, Http("comp_out"), "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"),
    def("http_comp_bytes_bypassed_total", FE | BE, Http("comp_byp"), "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"),
    def("http_comp_responses_total", FE | BE, Http("comp_rsp"), "Total number of HTTP responses that were compressed for this object since the worker process started"),
    def("connections_total", FE, Col("conn_tot"), "Total number of new connections accepted on this frontend since the worker process started"),
    def("intercepted_requests_total", FE, Http("intercepted"), "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"),
    def("denied_connections_total", FE, Col("dcon"), "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
    def("denied_sessions_total", FE, Col("dses"), "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
    def("failed_header_rewriting_total", ALL, Col("wrew"), "Total number of failed HTTP header rewrites since the worker process started"),
    def("http_cache_lookups_total", FE | BE, Http("cache_lookups"), "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"),
    def("http_cache_hits_total", FE | BE, Http("cache_hits"), "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"),
    def("internal_errors_total", ALL, Col("eint"), "Total number of internal errors since process started"),
    def("uweight", BE | SV, Col("uweight"), "Server's user weight, or sum of active servers' user weights for a backend"),
    def("agg_server_status", BE, AggServer, "Backend's aggregated gauge of servers' status"),
    def("agg_server_check_status", BE, AggServer, "Backend's aggregated gauge of servers' state check status"),
    def("agg_check_status", BE, AggCheck, "Backend's aggregated gauge of servers' state check status"),
];

const PROXY_STATES: [&str; 2] = ["DOWN", "UP"];
const SERVER_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];
const CHECK_STATES: [&str; 16] = [
    "HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP",
    "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK",
];
const CODES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];
const HRSP: [&str; 6] = [
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
];

/// One frontend, backend or server as a family sees it.
struct Object<'a> {
    labels: Labels,
    row: csv::Row,
    http: bool,
    /// The servers: itself for a server, all of them for a backend.
    servers: Vec<&'a ServerSnap>,
    checked: bool,
}

/// `scope`'s families for `proxies`.
pub fn proxy_families(
    cfg: &Config,
    snap: &Snapshot,
    proxies: &[Proxy],
    scope: Scope,
    no_maint: bool,
) -> Vec<Family> {
    let objects: Vec<Object> = proxies
        .iter()
        .flat_map(|p| objects(cfg, snap, p, scope, no_maint))
        .collect();
    let defs = DEFS.iter().filter(|d| d.scopes & scope.bit() != 0);
    defs.map(|d| family(d, scope, &objects)).collect()
}

fn family(d: &Def, scope: Scope, objects: &[Object]) -> Family {
    let mut f = Family::named(format!("{}{}", scope.prefix(), d.name), d.help);
    for o in objects {
        samples(&mut f, d.src, scope, o);
    }
    f
}

fn samples(f: &mut Family, src: Src, scope: Scope, o: &Object) {
    let field = |c: &str| o.row.get(c).parse::<f64>().unwrap_or(f64::NAN);
    match src {
        Col(c) => f.push(o.labels.clone(), field(c)),
        Http(c) if o.http => f.push(o.labels.clone(), field(c)),
        Codes if o.http => {
            for (code, c) in CODES.iter().zip(HRSP) {
                f.push(with(&o.labels, "code", code), field(c));
            }
        }
        Status => {
            let state = state(scope, o);
            let states: &[&str] = match scope {
                Scope::Server => &SERVER_STATES,
                _ => &PROXY_STATES,
            };
            one_hot(f, &o.labels, states, |s| u64::from(s == state));
        }
        CheckStatus if o.checked => {
            let now = o.row.get("check_status").trim_start_matches("* ");
            one_hot(f, &o.labels, &CHECK_STATES, |s| u64::from(s == now));
        }
        CheckCode if o.checked => f.push(o.labels.clone(), field("check_code").max(0.0)),
        CheckDuration if o.checked => {
            f.push(o.labels.clone(), field("check_duration").max(0.0) / 1000.0)
        }
        AggServer => {
            let of = |s: &&ServerSnap| server_state(s.status);
            one_hot(f, &o.labels, &SERVER_STATES, |st| {
                o.servers.iter().filter(|s| of(s) == st).count() as u64
            });
        }
        AggCheck => {
            let result = |s: &&ServerSnap| s.last_check.as_ref().map(|c| c.kind.short());
            one_hot(f, &o.labels, &CHECK_STATES, |st| {
                o.servers.iter().filter(|s| result(s) == Some(st)).count() as u64
            });
        }
        _ => {}
    }
}

fn one_hot(f: &mut Family, labels: &Labels, states: &[&'static str], n: impl Fn(&str) -> u64) {
    for s in states {
        f.push(with(labels, "state", s), n(s) as f64);
    }
}

fn with(labels: &Labels, key: &'static str, value: &str) -> Labels {
    let mut l = labels.clone();
    l.push((key, value.to_string()));
    l
}

fn state(scope: Scope, o: &Object) -> &'static str {
    match scope {
        Scope::Server => o.servers.first().map_or("UP", |s| server_state(s.status)),
        _ => match o.row.get("status") {
            "OPEN" | "UP" => "UP",
            _ => "DOWN",
        },
    }
}

/// HAProxy's exporter state of a server.
fn server_state(s: ServerStatus) -> &'static str {
    match s {
        ServerStatus::Up | ServerStatus::GoingDown { .. } | ServerStatus::NoCheck => "UP",
        ServerStatus::Down | ServerStatus::GoingUp { .. } => "DOWN",
        ServerStatus::Drain | ServerStatus::DrainGoingDown { .. } => "DRAIN",
        ServerStatus::Nolb | ServerStatus::NolbGoingDown { .. } => "NOLB",
        ServerStatus::Maint => "MAINT",
    }
}

fn objects<'a>(
    cfg: &'a Config,
    snap: &'a Snapshot,
    p: &Proxy,
    scope: Scope,
    no_maint: bool,
) -> Vec<Object<'a>> {
    let rows = csv::rows(cfg, snap, p);
    let proxy = vec![("proxy", p.name.clone())];
    let kind = |r: &csv::Row| r.get("type").parse::<u8>().ok();
    let want = match scope {
        Scope::Frontend => ProxyKind::Frontend,
        Scope::Backend => ProxyKind::Backend,
        Scope::Server => ProxyKind::Server,
    } as u8;
    let backend = p
        .backend
        .and_then(|i| Some((snap.backends.get(i)?, &cfg.backends[i])));
    let mut servers = backend.map(|(b, c)| b.servers.iter().zip(&c.servers));
    let mut out = Vec::new();
    for row in rows {
        let server = match kind(&row) == Some(ProxyKind::Server as u8) {
            true => servers.as_mut().and_then(Iterator::next),
            false => None,
        };
        if kind(&row) != Some(want) {
            continue;
        }
        let http = row.get("mode") == Mode::Http.as_str();
        let mut o = Object {
            labels: proxy.clone(),
            row,
            http,
            servers: backend.map_or(Vec::new(), |(b, _)| b.servers.iter().collect()),
            checked: false,
        };
        if let Some((s, conf)) = server {
            if no_maint && s.status == ServerStatus::Maint {
                continue;
            }
            o.labels.push(("server", s.name.clone()));
            o.servers = vec![s];
            o.checked = conf.check;
        }
        out.push(o);
    }
    out
}

/// lbtop's own histogram of each server's (`Scope::Server`) or backend's response times.
pub fn latency(snap: &Snapshot, proxies: &[Proxy], scope: Scope, no_maint: bool) -> Family {
    let (name, help) = match scope {
        Scope::Server => ("lbtop_server_response_seconds", HELP_SERVER),
        _ => ("lbtop_backend_response_seconds", HELP_BACKEND),
    };
    let mut f = Family::new(name, help, Kind::Histogram);
    for p in proxies {
        let Some(b) = p.backend.and_then(|i| snap.backends.get(i)) else {
            continue;
        };
        let proxy = vec![("proxy", p.name.clone())];
        if scope != Scope::Server {
            f.samples.push((proxy, buckets(&b.latency)));
            continue;
        }
        let shown = |s: &&ServerSnap| !(no_maint && s.status == ServerStatus::Maint);
        for s in b.servers.iter().filter(shown) {
            let labels = with(&proxy, "server", &s.name);
            f.samples.push((labels, buckets(&s.latency)));
        }
    }
    f
}

const HELP_SERVER: &str =
    "Total time of each request (HAProxy's Ta) or TCP connection the server served, in seconds";
const HELP_BACKEND: &str =
    "Total time of each request (HAProxy's Ta) or TCP connection the backend's servers served, in seconds";

fn buckets(l: &crate::events::Latency) -> Value {
    Value::Buckets(l.sum_seconds(), l.octaves())
}
