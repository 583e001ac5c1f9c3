//! The stats CSV (`<stats uri>;csv`, and later the runtime API's `show stat`): HAProxy 2.6's
//! header line and columns in its order, one FRONTEND row, a row per server and a BACKEND
//! row per proxy in configuration order (docs/haproxy-semantics.md §18).
//!
//! A field is filled when lbtop knows it. What lbtop never does (compression, denies, caching,
//! TLS, HTTP/2) is a true 0, written as HAProxy writes it; what lbtop does not measure (rates,
//! time averages, agent checks) stays empty.

use super::{Proxy, ProxyKind};
use crate::config::{Backend, Balance, Config};
use crate::events::{BackendSnap, FrontendSnap, ServerSnap, ServerStatus, Snapshot};

/// HAProxy 2.6's columns, in order; `-` separates its own fields from its modules' ones.
pub const COLUMNS: [&str; 128] = [
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "scur",
    "smax",
    "slim",
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "lastchg",
    "downtime",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "rate",
    "rate_lim",
    "rate_max",
    "check_status",
    "check_code",
    "check_duration",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "hanafail",
    "req_rate",
    "req_rate_max",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "lastsess",
    "last_chk",
    "last_agt",
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "agent_status",
    "agent_code",
    "agent_duration",
    "check_desc",
    "agent_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "agent_rise",
    "agent_fall",
    "agent_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "conn_rate",
    "conn_rate_max",
    "conn_tot",
    "intercepted",
    "dcon",
    "dses",
    "wrew",
    "connect",
    "reuse",
    "cache_lookups",
    "cache_hits",
    "srv_icur",
    "src_ilim",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "eint",
    "idle_conn_cur",
    "safe_conn_cur",
    "used_conn_cur",
    "need_conn_est",
    "uweight",
    "agg_server_status",
    "agg_server_check_status",
    "agg_check_status",
    "-",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
    "h2_headers_rcvd",
    "h2_data_rcvd",
    "h2_settings_rcvd",
    "h2_rst_stream_rcvd",
    "h2_goaway_rcvd",
    "h2_detected_conn_protocol_errors",
    "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp",
    "h2_goaway_resp",
    "h2_open_connections",
    "h2_backend_open_streams",
    "h2_total_connections",
    "h2_backend_total_streams",
    "h1_open_connections",
    "h1_open_streams",
    "h1_total_connections",
    "h1_total_streams",
    "h1_bytes_in",
    "h1_bytes_out",
    "h1_spliced_bytes_in",
    "h1_spliced_bytes_out",
];

/// Counters a proxy row (FRONTEND, BACKEND) has for things lbtop never does: always 0. The
/// last three are a frontend's only.
const PROXY_ZEROS: [&str; 29] = [
    "dreq",
    "dresp",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "wrew",
    "eint",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
    "h2_headers_rcvd",
    "h2_data_rcvd",
    "h2_settings_rcvd",
    "h2_rst_stream_rcvd",
    "h2_goaway_rcvd",
    "h2_detected_conn_protocol_errors",
    "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp",
    "h2_goaway_resp",
    "h2_open_connections",
    "h2_backend_open_streams",
    "h2_total_connections",
    "h2_backend_total_streams",
    "h1_spliced_bytes_in",
    "h1_spliced_bytes_out",
    "dcon",
    "dses",
    "ereq",
];

const FRONTEND_ONLY: usize = 3;

/// The cache's counters: 0 on an HTTP proxy row, empty in TCP mode, as HAProxy fills them.
const CACHE: [&str; 2] = ["cache_lookups", "cache_hits"];

/// The same for a server row.
const SERVER_ZEROS: [&str; 6] = [
    "dresp",
    "wrew",
    "eint",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
];

const HRSP: [&str; 6] = [
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
];

/// The header line: `# pxname,svname,...,` and a newline.
pub fn header() -> String {
    let mut s = String::from("# ");
    for c in COLUMNS {
        s.push_str(c);
        s.push(',');
    }
    s.push('\n');
    s
}

/// The whole CSV for `proxies` (already in order and scope), from one snapshot.
pub fn render(cfg: &Config, snap: &Snapshot, proxies: &[Proxy]) -> String {
    let mut out = header();
    for p in proxies {
        for row in rows(cfg, snap, p) {
            out.push_str(&row.line());
        }
    }
    out
}

/// A proxy's rows: FRONTEND, then each server and BACKEND.
pub fn rows(cfg: &Config, snap: &Snapshot, p: &Proxy) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(f) = p.frontend.and_then(|i| snap.frontends.get(i)) {
        rows.push(frontend_row(p, f));
    }
    if let Some((i, b)) = p.backend.and_then(|i| Some((i, snap.backends.get(i)?))) {
        let servers = &cfg.backends[i].servers;
        for (sid, (s, conf)) in b.servers.iter().zip(servers).enumerate() {
            rows.push(server_row(p, b, s, conf, sid + 1));
        }
        // HAProxy's default `fullconn`: a tenth of the frontends' limits that reach it,
        // rounded up (measured: 4 gives 1, 9985 gives 999).
        let limits = snap.frontends.iter().filter(|f| f.backend == i);
        let fullconn = limits
            .map(|f| u64::from(f.limit_conns))
            .sum::<u64>()
            .div_ceil(10);
        rows.push(backend_row(p, b, &cfg.backends[i], fullconn));
    }
    rows
}

/// Where `column` is in [`COLUMNS`]: looked up in a map, as a poll of a thousand servers
/// sets tens of thousands of fields.
fn index(column: &str) -> Option<usize> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&str, usize>> =
        std::sync::OnceLock::new();
    let map = INDEX.get_or_init(|| COLUMNS.iter().enumerate().map(|(i, c)| (*c, i)).collect());
    map.get(column).copied()
}

/// With `;up` on the stats page, or `up`/`no-maint` on `show stat`, HAProxy's BACKEND
/// status counts its servers not stopped over all of them: `UP (3/4)`, `UP (0/0)`.
pub fn tally(rows: &mut [Row]) {
    let stopped = |s: &str| s.starts_with("DOWN") || s.starts_with("MAINT");
    let servers = rows.iter().filter(|r| r.get("type") == "2");
    let total = servers.clone().count();
    let up = servers.filter(|r| !stopped(r.get("status"))).count();
    for r in rows.iter_mut().filter(|r| r.get("type") == "1") {
        let status = format!("{} ({up}/{total})", r.get("status"));
        r.set("status", status);
    }
}

/// One CSV line's fields, by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(Vec<String>);

impl Row {
    fn new(p: &Proxy, svname: &str, kind: ProxyKind, mode: &str) -> Row {
        let mut r = Row(vec![String::new(); COLUMNS.len()]);
        r.set("pxname", &p.name);
        r.set("svname", svname);
        r.set("pid", 1);
        r.set("iid", p.iid);
        r.set("type", kind as u8);
        r.set("mode", mode);
        r.set("-", "-");
        r
    }

    /// Sets the field of `column` (one of [`COLUMNS`]).
    pub(crate) fn set(&mut self, column: &str, value: impl ToString) {
        let i = index(column).unwrap_or_else(|| panic!("no stats column {column}"));
        self.0[i] = value.to_string();
    }

    fn zeros(&mut self, columns: &[&str]) {
        for c in columns {
            self.set(c, 0);
        }
    }

    /// The field of `column`.
    pub fn get(&self, column: &str) -> &str {
        index(column).map_or("", |i| self.0[i].as_str())
    }

    /// The field of the `i`th column.
    pub fn field(&self, i: usize) -> &str {
        self.0.get(i).map_or("", String::as_str)
    }

    /// The CSV line, with HAProxy's trailing comma. Fields are names and numbers: a comma in
    /// one (a check's text) becomes a space, as HAProxy's CSV never quotes.
    pub fn line(&self) -> String {
        let mut s = String::new();
        for f in &self.0 {
            s.push_str(&f.replace([',', '\n'], " "));
            s.push(',');
        }
        s.push('\n');
        s
    }
}

fn frontend_row(p: &Proxy, f: &FrontendSnap) -> Row {
    let mut r = Row::new(p, "FRONTEND", ProxyKind::Frontend, f.mode.as_str());
    r.zeros(&PROXY_ZEROS);
    r.set("ereq", f.req_errors);
    r.set("scur", f.cur_conns);
    r.set("smax", f.max_conns);
    r.set("slim", f.limit_conns);
    // A connection a `tcp-request connection` rule refused never became a session.
    r.set("stot", f.total_conns - f.denied_conn.min(f.total_conns));
    r.set("bin", f.bytes_in);
    r.set("bout", f.bytes_out);
    r.set("status", "OPEN");
    r.set("sid", 0);
    r.set("rate_lim", 0);
    r.set("conn_tot", f.total_conns);
    r.set("dreq", f.denied_req);
    r.set("dresp", f.denied_resp);
    r.set("dcon", f.denied_conn);
    r.set("h1_open_connections", f.cur_conns);
    r.set("h1_total_connections", f.total_conns);
    if f.mode == crate::config::Mode::Http {
        for (c, n) in HRSP.iter().zip(f.http_responses) {
            r.set(c, n);
        }
        // A request that failed to parse was still a request (HAProxy counts it in both).
        r.set("req_tot", f.total_requests + f.intercepted + f.req_errors);
        r.set("intercepted", f.intercepted);
        r.set("h1_total_streams", f.total_requests + f.intercepted);
        r.zeros(&CACHE);
    } else {
        r.set("req_tot", 0);
    }
    r
}

/// `10.0.0.1:-5`, `[::1]:7`.
fn offset_addr(addr: std::net::SocketAddr, n: i32) -> String {
    match addr {
        std::net::SocketAddr::V6(a) => format!("[{}]:{n}", a.ip()),
        std::net::SocketAddr::V4(a) => format!("{}:{n}", a.ip()),
    }
}

fn server_row(
    p: &Proxy,
    b: &BackendSnap,
    s: &ServerSnap,
    conf: &crate::config::Server,
    sid: usize,
) -> Row {
    let mut r = Row::new(p, &s.name, ProxyKind::Server, b.mode.as_str());
    r.zeros(&SERVER_ZEROS);
    r.set("qcur", s.queue);
    r.set("scur", s.cur_sessions);
    r.set("smax", s.max_sessions);
    if let Some(l) = s.limit_sessions {
        r.set("slim", l);
    }
    r.set("stot", s.total_sessions);
    r.set("bin", s.bytes_in);
    r.set("bout", s.bytes_out);
    r.set("econ", s.connect_errors);
    r.set("eresp", s.response_errors);
    r.set("wretr", s.retries);
    r.set("wredis", s.redispatches);
    r.set("dresp", s.denied_resp);
    r.set("status", s.status);
    r.set("weight", s.ramp.map_or(s.weight, |ramp| ramp.weight));
    r.set("uweight", s.weight);
    if let Some(ramp) = s.ramp {
        r.set("throttle", ramp.throttle);
    }
    r.set("act", u8::from(!s.backup));
    r.set("bck", u8::from(s.backup));
    r.set("lastchg", s.since_change.as_secs());
    r.set("sid", sid);
    r.set("lbtot", s.lbtot);
    // A port that follows the client's shows as its offset, signed (`10.0.0.1:-5`), as in
    // HAProxy (docs/haproxy-semantics.md §36).
    match conf.port_offset {
        Some(n) => r.set("addr", offset_addr(s.addr, n)),
        None => r.set("addr", s.addr),
    }
    if let Some(c) = &conf.cookie {
        r.set("cookie", c);
    }
    if let Some(q) = conf.maxqueue {
        r.set("qlimit", q);
    }
    if b.mode == crate::config::Mode::Http {
        for (c, n) in HRSP.iter().zip(s.http_responses) {
            r.set(c, n);
        }
        r.set("req_tot", s.total_sessions);
    }
    if conf.check {
        check_fields(&mut r, s, conf);
    }
    r
}

/// What a checked server's row adds: its check's result and its health counter.
fn check_fields(r: &mut Row, s: &ServerSnap, conf: &crate::config::Server) {
    r.set("chkfail", s.failed_checks);
    r.set("chkdown", s.down_transitions);
    r.set("downtime", s.downtime.as_secs());
    r.set("check_rise", conf.rise);
    r.set("check_fall", conf.fall);
    if let Some(h) = health(s.status, conf.rise, conf.fall) {
        r.set("check_health", h);
    }
    if let Some(c) = &s.last_check {
        r.set("check_status", c.kind.short());
        r.set("check_desc", c.kind.text());
        r.set("check_duration", c.duration.as_millis());
        if let Some(code) = c.code {
            r.set("check_code", code);
        }
    }
}

/// The health counter behind a status (docs/haproxy-semantics.md §1.2): rise+fall-1 when
/// fully up, 0 when down.
fn health(status: ServerStatus, rise: u32, fall: u32) -> Option<u32> {
    Some(match status {
        ServerStatus::Up | ServerStatus::Drain | ServerStatus::Nolb => rise + fall - 1,
        ServerStatus::GoingDown { x, .. }
        | ServerStatus::DrainGoingDown { x, .. }
        | ServerStatus::NolbGoingDown { x, .. } => rise + x - 1,
        ServerStatus::Down => 0,
        ServerStatus::GoingUp { x, .. } => x,
        ServerStatus::Maint | ServerStatus::NoCheck => return None,
    })
}

fn backend_row(p: &Proxy, b: &BackendSnap, conf: &Backend, fullconn: u64) -> Row {
    let mut r = Row::new(p, "BACKEND", ProxyKind::Backend, b.mode.as_str());
    r.set("algo", algo(conf.balance));
    if let Some(c) = &conf.cookie {
        r.set("cookie", &c.name);
    }
    r.zeros(&PROXY_ZEROS[..PROXY_ZEROS.len() - FRONTEND_ONLY]);
    let sum = |f: fn(&ServerSnap) -> u64| b.servers.iter().map(f).sum::<u64>();
    r.set("qcur", b.queue);
    r.set("scur", b.cur_sessions);
    r.set("slim", fullconn);
    r.set("stot", b.total_sessions);
    r.set("dreq", b.denied_req);
    r.set("dresp", b.denied_resp);
    r.set("bin", sum(|s| s.bytes_in));
    r.set("bout", sum(|s| s.bytes_out));
    r.set("econ", sum(|s| s.connect_errors));
    r.set("eresp", sum(|s| s.response_errors));
    r.set("wretr", sum(|s| s.retries));
    r.set("wredis", sum(|s| s.redispatches));
    r.set("lbtot", sum(|s| s.lbtot));
    r.set("sid", 0);
    r.set("lastchg", b.since_change.as_secs());
    r.set("chkdown", b.down_transitions);
    if !b.servers.is_empty() {
        r.set("downtime", b.downtime.as_secs());
    }
    // A draining or stopping (NOLB) server takes no new traffic: HAProxy counts it nowhere
    // here.
    let draining = |s: &ServerSnap| {
        matches!(
            s.status,
            ServerStatus::Drain
                | ServerStatus::DrainGoingDown { .. }
                | ServerStatus::Nolb
                | ServerStatus::NolbGoingDown { .. }
        )
    };
    let usable = |backup: bool| {
        b.servers
            .iter()
            .filter(move |s| s.backup == backup && s.status.is_up() && s.weight > 0 && !draining(s))
    };
    let (act, bck) = (usable(false).count(), usable(true).count());
    // Backups carry the weight only when no active server is left. A server warming up after
    // `slowstart` counts at its effective weight; the sum is rounded up, as HAProxy does.
    let eweight = |s: &ServerSnap| s.ramp.map_or(s.weight * 16, |r| r.eweight);
    let weight: u32 = match act {
        0 => usable(true).map(eweight).sum::<u32>(),
        _ => usable(false).map(eweight).sum::<u32>(),
    }
    .div_ceil(16);
    // HAProxy calls a backend with no server at all UP.
    let up = b.servers.is_empty() || act + bck > 0;
    r.set("status", if up { "UP" } else { "DOWN" });
    r.set("weight", weight);
    r.set("act", act);
    r.set("bck", bck);
    let carrying = usable(act == 0);
    r.set("uweight", carrying.map(|s| s.weight).sum::<u32>());
    r.set("h1_open_connections", 0);
    r.set("h1_open_streams", 0);
    r.set("h1_total_connections", sum(|s| s.total_sessions));
    r.set("h1_total_streams", sum(|s| s.total_sessions));
    if b.mode == crate::config::Mode::Http {
        for (c, n) in HRSP.iter().zip(b.http_responses) {
            r.set(c, n);
        }
        r.set("req_tot", b.total_sessions);
        r.zeros(&CACHE);
    }
    r
}

/// The `algo` column: the `balance` keyword's word, `unknown` for `random` (as HAProxy 2.6
/// prints it).
fn algo(balance: Balance) -> &'static str {
    match balance {
        Balance::Random => "unknown",
        b => b.as_str(),
    }
}
