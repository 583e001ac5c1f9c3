//! HAProxy's log lines for traffic (httplog / tcplog, docs/haproxy-semantics.md §4.2-4.3), built from session records
//! by whoever watches, never on the data path.

use crate::config::{Backend, Config, Frontend, LineFormat, Mode, HTTPLOG, HTTPSLOG, TCPLOG};
use crate::events::{Level, SessionRecord};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The traffic line for a finished session and the level it is logged at, or `None` when it
/// is not logged: `option dontlog-normal` keeps only sessions with an error, and `option
/// log-separate-errors` logs those at `err` instead of `info` (docs/haproxy-semantics.md §4.5).
pub fn session_log(config: &Config, r: &SessionRecord) -> Option<(Level, String)> {
    let fe = config.frontends.get(r.frontend)?;
    let error = is_error(fe.mode, r);
    if fe.options.dontlog_normal && !error {
        return None;
    }
    let line = format_session(config, r)?;
    let level = if error && fe.options.log_separate_errors {
        Level::Err
    } else {
        Level::Info
    };
    Some((level, line))
}

/// HAProxy's "error" for these two options: a redispatch, a termination cause other than
/// none or a local answer, retries on a session that otherwise ended well, or an HTTP
/// status of 500 and above.
fn is_error(mode: Mode, r: &SessionRecord) -> bool {
    let cause = r.termination.cause;
    r.redispatched
        || !matches!(cause, b'-' | b'L')
        || (cause == b'-' && r.retries > 0)
        || (mode == Mode::Http && r.status.is_some_and(|s| s >= 500))
}

/// The names a line shows for a session: its proxies, and the backend and server as logged.
pub struct Names<'a> {
    /// The configuration the session ran on (proxy ids for `fe_id`/`be_id` samples).
    pub config: &'a Config,
    pub fe: &'a Frontend,
    pub be: &'a Backend,
    pub backend: &'a str,
    pub server: &'a str,
}

impl<'a> Names<'a> {
    pub fn of(config: &'a Config, r: &'a SessionRecord) -> Option<Names<'a>> {
        let fe = config.frontends.get(r.frontend)?;
        let be = config.backends.get(r.backend)?;
        let server = match (&r.stats_page, r.service) {
            (_, Some(name)) => name,
            (Some(_), None) => "<STATS>",
            (None, None) => r
                .server
                .and_then(|s| be.servers.get(s))
                .map_or("<NOSRV>", |s| s.name.as_str()),
        };
        // A request refused before any backend was chosen is logged against the frontend, a
        // stats page against the proxy that served it.
        let backend = match (fe.mode, &r.request, &r.stats_page) {
            (_, _, Some(by)) => by.as_str(),
            _ if r.by_frontend => fe.name.as_str(),
            (Mode::Http, None, _) => fe.name.as_str(),
            _ => be.name.as_str(),
        };
        Some(Names {
            config,
            fe,
            be,
            backend,
            server,
        })
    }
}

/// The traffic line for a finished session (its `log-format`, httplog or tcplog), or `None`
/// when its frontend logs no traffic. All three are compiled formats (docs/haproxy-semantics.md
/// §25).
pub fn format_session(config: &Config, r: &SessionRecord) -> Option<String> {
    let n = Names::of(config, r)?;
    let fe = n.fe;
    if !fe.options.logs_traffic() {
        return None;
    }
    // `option dontlognull`: a TCP connection that moved no data is not logged.
    // Not for a TCP frontend upgraded to HTTP: it logs its requests as HTTP does (§40).
    let tcp = fe.mode == Mode::Tcp && n.be.mode == Mode::Tcp;
    if fe.options.dontlognull && tcp && r.bytes_in == 0 && r.bytes_out == 0 {
        return None;
    }
    let lf = match &fe.options.log_format {
        Some(lf) => lf,
        None => builtin(fe.mode, fe.options.httpslog),
    };
    Some(super::logfmt::render(lf, &n, r))
}

/// `option httplog`, `httpslog` and `tcplog` are HAProxy's formats, compiled once; a TCP
/// frontend with an HTTP one writes tcplog, as HAProxy falls back.
fn builtin(mode: Mode, httpslog: bool) -> &'static LineFormat {
    static HTTP: OnceLock<LineFormat> = OnceLock::new();
    static HTTPS: OnceLock<LineFormat> = OnceLock::new();
    static TCP: OnceLock<LineFormat> = OnceLock::new();
    let (cell, text) = match (mode, httpslog) {
        (Mode::Http, false) => (&HTTP, HTTPLOG),
        (Mode::Http, true) => (&HTTPS, HTTPSLOG),
        (Mode::Tcp, _) => (&TCP, TCPLOG),
    };
    cell.get_or_init(|| LineFormat::compile(text, 0).expect("HAProxy's own formats compile"))
}

/// `24/Nov/2026:23:28:07.077` (UTC).
pub fn log_date(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, day, h, mi, s) = civil(d.as_secs());
    format!(
        "{day:02}/{}/{y}:{h:02}:{mi:02}:{s:02}.{:03}",
        MONTHS[mo as usize - 1],
        d.subsec_millis()
    )
}

/// `Nov 25 08:40:00`, the RFC3164 timestamp (day space-padded), UTC.
pub fn syslog_date(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (_, mo, day, h, mi, s) = civil(d.as_secs());
    format!("{} {day:>2} {h:02}:{mi:02}:{s:02}", MONTHS[mo as usize - 1])
}

/// `2026-11-25T08:40:00.123456+00:00`: the `rfc5424`, `timed` and `iso` timestamp (UTC).
pub fn iso_micros(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, day, h, mi, s) = civil(d.as_secs());
    format!(
        "{y}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}.{:06}+00:00",
        d.subsec_micros()
    )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch to (year, month, day, hour, minute, second), UTC.
fn civil(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        // 2026-11-24 23:28:07.077 UTC
        let t = UNIX_EPOCH + Duration::from_millis(1_795_562_887_077);
        assert_eq!(log_date(t), "24/Nov/2026:23:28:07.077");
        // 2026-11-04 08:00:00 UTC: the day is space-padded.
        let t = UNIX_EPOCH + Duration::from_secs(1_793_779_200);
        assert_eq!(syslog_date(t), "Nov  4 08:00:00");
        assert_eq!(log_date(UNIX_EPOCH), "01/Jan/1970:00:00:00.000");
        // 2024-02-29 12:00:00 UTC, a leap day.
        let t = UNIX_EPOCH + Duration::from_secs(1_709_208_000);
        assert_eq!(log_date(t), "29/Feb/2024:12:00:00.000");
    }
}
