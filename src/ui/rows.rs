//! The cells of a server table's rows, per view: a FRONTEND row for each frontend that feeds
//! the backend, a row per listed server, and the BACKEND row with the totals.

use super::admin::{Admin, Pending};
use super::columns::Txt;
use super::fmt;
use super::history::Series;
use super::stats::Stats;
use super::status::{self, PENDING};
use super::theme::Theme;
use crate::config::Mode;
use crate::events::{BackendSnap, FrontendSnap, ServerId, ServerSnap};
use crate::keys::View;

/// What the cells of one backend's table are made from.
pub(super) struct Cells<'a> {
    pub theme: Theme,
    /// One of the four server views.
    pub view: View,
    pub stats: &'a Stats,
    pub admin: &'a Admin,
    pub selected: Option<ServerId>,
    /// The backend's mode: TCP rows have no HTTP.
    pub mode: Mode,
    /// Width of the fill column.
    pub fill: usize,
    /// The sparkline scale for server rows.
    pub scale: f32,
}

fn num(n: u64) -> Txt {
    Txt::from(fmt::count(n))
}

fn blank() -> Txt {
    Txt::from("")
}

impl Cells<'_> {
    pub(super) fn server_cells(&self, id: ServerId, s: &ServerSnap) -> Vec<Txt> {
        let theme = self.theme;
        let pending = self.admin.pending(id);
        let mut status = s.status.to_string();
        if let Some(job) = self.admin.drains().job(id) {
            status = format!("{status}{}", job.marker());
        } else if pending.is_some() {
            status = format!("{status} {PENDING}");
        }
        let status = Txt::new(status).style(theme.status(s.status));
        // The selected row is bold with a reversed name; reversing the whole row would hide
        // the status colour and invert the sparkline.
        let mut name = Txt::name(s.name.clone());
        if self.selected == Some(id) {
            name = name.style(theme.selected());
        }
        let check = || {
            s.last_check.as_ref().map_or_else(Txt::default, |c| {
                Txt::new(fmt::check(c)).or(fmt::check_short(c))
            })
        };
        match self.view {
            View::Traffic => {
                let mut cells = vec![name, status];
                cells.extend(self.traffic_cells(
                    Series::Server(id),
                    Some(self.scale),
                    [s.cur_sessions, s.total_sessions, s.bytes_in, s.bytes_out],
                ));
                cells
            }
            View::Http => {
                let mut cells = vec![name, status];
                cells.extend(self.responses(&s.http_responses));
                cells.extend(self.latency_cells(&s.latency));
                cells.push(num(s.total_sessions));
                cells
            }
            View::Errors => vec![
                name,
                status,
                Txt::from(s.connect_errors.to_string()).style(theme.trouble(s.connect_errors)),
                Txt::from(s.response_errors.to_string()).style(theme.trouble(s.response_errors)),
                Txt::from(s.retries.to_string()).style(theme.trouble(s.retries)),
                Txt::from(s.redispatches.to_string()).style(theme.trouble(s.redispatches)),
                Txt::from(s.failed_checks.to_string()).style(theme.trouble(s.failed_checks)),
                Txt::from(s.down_transitions.to_string()).style(theme.trouble(s.down_transitions)),
                Txt::from(fmt::age(s.downtime)).style(theme.trouble(s.downtime.as_secs())),
                Txt::from(fmt::age(s.since_change)),
                check(),
            ],
            _ => {
                // A server warming up after `slowstart` shows its weight now, rising.
                let weight = match (pending, s.ramp) {
                    (Some(Pending::Weight(w)), _) => format!("{}→{w}", s.weight),
                    (_, Some(ramp)) => format!("{}↗", ramp.weight),
                    _ => s.weight.to_string(),
                };
                let (act, bck) = if s.backup { ("-", "Y") } else { ("Y", "-") };
                vec![
                    name,
                    status,
                    Txt::from(fmt::age(s.since_change)),
                    check(),
                    Txt::from(weight),
                    Txt::from(act),
                    Txt::from(bck),
                    num(s.cur_sessions),
                    num(s.max_sessions),
                    Txt::from(s.limit_sessions.map_or("-".into(), |l| l.to_string())),
                    num(s.total_sessions),
                    num(s.lbtot),
                    num(s.queue),
                    self.address(id, s),
                ]
            }
        }
    }

    /// The server's address; attached, where each node stands instead (`UP on 1/2: h1 · ...`).
    fn address(&self, id: ServerId, s: &ServerSnap) -> Txt {
        match self.stats.fleet() {
            Some(fleet) => Txt::new(fleet.breakdown(id)).or(s.addr.to_string()),
            None => Txt::new(s.addr.to_string()),
        }
    }

    /// p50, p90, p99 and the sample count; attached, HAProxy's stats have none of them.
    fn latency_cells(&self, l: &crate::events::Latency) -> Vec<Txt> {
        if self.stats.attached() {
            return (0..4)
                .map(|_| Txt::from("n/a").style(self.theme.dim()))
                .collect();
        }
        latency_cells(l)
    }

    /// 1xx..5xx and other; dashes for TCP, which has no HTTP.
    fn responses(&self, r: &[u64; 6]) -> Vec<Txt> {
        let theme = self.theme;
        (0..6)
            .map(|class| match self.mode {
                Mode::Tcp => Txt::from("-").style(theme.dim()),
                Mode::Http => {
                    let style = if r[class] == 0 {
                        theme.dim()
                    } else {
                        theme.http_class(class)
                    };
                    Txt::from(fmt::count(r[class])).style(style)
                }
            })
            .collect()
    }

    pub(super) fn frontend_cells(&self, f: usize, fe: &FrontendSnap) -> Vec<Txt> {
        let theme = self.theme;
        let meter = self.stats.meter();
        let name = Txt::new("FRONTEND").or("FRONT").or("FE");
        let open = Txt::from("OPEN").style(theme.proxy_status(true));
        let cells = match self.view {
            View::Traffic => {
                let series = Series::Frontend(f);
                let rate = meter.rate(series);
                let hist = meter.history(series, self.fill);
                let peak = hist.iter().copied().fold(0.0, f32::max);
                let total = match fe.mode {
                    Mode::Http => fe.total_requests,
                    Mode::Tcp => fe.total_conns,
                };
                vec![
                    name,
                    open,
                    Txt::from(fmt::rate(rate.map(|r| r[0]))),
                    Txt::from(fmt::sparkline(&hist, peak, self.fill)).style(theme.sparkline()),
                    Txt::from(fmt::compact_rate(peak)),
                    num(fe.cur_conns),
                    num(total),
                    Txt::from(fmt::bytes(fe.bytes_in)),
                    Txt::from(fmt::bytes(fe.bytes_out)),
                    Txt::from(fmt::byte_rate(rate.map(|r| r[1]))),
                    Txt::from(fmt::byte_rate(rate.map(|r| r[2]))),
                ]
            }
            View::Http => {
                let total = match fe.mode {
                    Mode::Http => fe.total_requests,
                    Mode::Tcp => fe.total_conns,
                };
                let mut cells = vec![name, open];
                cells.extend((0..6).map(|_| blank()));
                cells.extend((0..4).map(|_| blank()));
                cells.push(num(total));
                cells
            }
            View::Errors => {
                let mut cells = vec![name, open];
                cells.extend((0..8).map(|_| blank()));
                let text = format!("{} {}", fe.name, fe.bind_label());
                // HAProxy's request counters: refused heads, denied, answered by the proxy.
                let cell = if fe.req_errors + fe.denied_req + fe.intercepted > 0 {
                    let (e, d, i) = (fe.req_errors, fe.denied_req, fe.intercepted);
                    Txt::new(format!("{text}  ereq {e}  dreq {d}  intercepted {i}"))
                        .or(format!("ereq {e}  dreq {d}  intercepted {i}"))
                        .or(format!("ereq {e} dreq {d} int {i}"))
                } else {
                    Txt::new(text).or(fe.bind_label())
                };
                cells.push(cell);
                cells
            }
            _ => vec![
                name,
                open,
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                num(fe.cur_conns),
                num(fe.max_conns),
                Txt::from(fe.limit_conns.to_string()),
                num(fe.total_conns),
                blank(),
                blank(),
                Txt::new(format!("{} {} {}", fe.name, fe.mode, fe.bind_label()))
                    .or(fe.bind_label()),
            ],
        };
        cells
    }

    /// The Traffic view's cells after name and status: rate, sparkline (on `scale`, or its
    /// own peak), peak, current and total sessions, bytes in and out, and byte rates.
    fn traffic_cells(
        &self,
        series: Series,
        scale: Option<f32>,
        [cur, total, bytes_in, bytes_out]: [u64; 4],
    ) -> Vec<Txt> {
        let meter = self.stats.meter();
        let rate = meter.rate(series);
        let hist = meter.history(series, self.fill);
        let peak = hist.iter().copied().fold(0.0, f32::max);
        let scale = scale.unwrap_or(peak);
        vec![
            Txt::from(fmt::rate(rate.map(|r| r[0]))),
            Txt::from(fmt::sparkline(&hist, scale, self.fill)).style(self.theme.sparkline()),
            Txt::from(fmt::compact_rate(peak)),
            num(cur),
            num(total),
            Txt::from(fmt::bytes(bytes_in)),
            Txt::from(fmt::bytes(bytes_out)),
            Txt::from(fmt::byte_rate(rate.map(|r| r[1]))),
            Txt::from(fmt::byte_rate(rate.map(|r| r[2]))),
        ]
    }

    pub(super) fn backend_cells(&self, b: usize, be: &BackendSnap) -> Vec<Txt> {
        let theme = self.theme;
        let up = status::backend_up(be);
        let name = Txt::new("BACKEND").or("BE");
        let status = Txt::from(if up { "UP" } else { "DOWN" }).style(theme.proxy_status(up));
        let sum = |f: fn(&ServerSnap) -> u64| be.servers.iter().map(f).sum::<u64>();
        match self.view {
            View::Traffic => {
                let mut cells = vec![name, status];
                cells.extend(self.traffic_cells(
                    Series::Backend(b),
                    None,
                    [
                        be.cur_sessions,
                        be.total_sessions,
                        sum(|s| s.bytes_in),
                        sum(|s| s.bytes_out),
                    ],
                ));
                cells
            }
            View::Http => {
                let mut responses = [0u64; 6];
                for s in &be.servers {
                    for (t, n) in responses.iter_mut().zip(s.http_responses) {
                        *t += n;
                    }
                }
                let mut cells = vec![name, status];
                cells.extend(self.responses(&responses));
                cells.extend(self.latency_cells(&be.latency));
                cells.push(num(be.total_sessions));
                cells
            }
            View::Errors => {
                let n = |v: u64| Txt::from(v.to_string()).style(theme.trouble(v));
                vec![
                    name,
                    status,
                    n(sum(|s| s.connect_errors)),
                    n(sum(|s| s.response_errors)),
                    n(sum(|s| s.retries)),
                    n(sum(|s| s.redispatches)),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                ]
            }
            _ => {
                let (act, bck) = status::usable_counts(be);
                vec![
                    name,
                    status,
                    blank(),
                    blank(),
                    Txt::from(status::usable_weight(be).to_string()),
                    Txt::from(act.to_string()),
                    Txt::from(bck.to_string()),
                    num(be.cur_sessions),
                    blank(),
                    blank(),
                    num(be.total_sessions),
                    num(sum(|s| s.lbtot)),
                    num(be.queue),
                    Txt::new(format!("{} {}", be.name, be.balance.as_str()))
                        .or(be.balance.as_str()),
                ]
            }
        }
    }
}

/// p50, p90, p99 and the sample count.
fn latency_cells(l: &crate::events::Latency) -> Vec<Txt> {
    let n = l.count();
    let mut cells: Vec<Txt> = [0.5, 0.9, 0.99]
        .iter()
        .map(|&q| Txt::from(fmt::latency(l.quantile(q))))
        .collect();
    cells.push(if n == 0 { Txt::from("-") } else { num(n) });
    cells
}
