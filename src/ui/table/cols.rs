//! The server views' columns: titles, how important each is when the terminal is narrow,
//! the sort keys they show, and the header row.

use super::Tables;
use crate::config::Mode;
use crate::keys::View;
use crate::ui::columns::{Fit, Txt};
use crate::ui::servers::SortKey;

pub(super) struct Col {
    pub(super) title: &'static str,
    /// How important the column is when the terminal is narrow: 0 stays, higher goes first.
    pub(super) priority: u8,
    pub(super) sort: Option<SortKey>,
}

const fn col(title: &'static str, priority: u8, sort: Option<SortKey>) -> Col {
    Col {
        title,
        priority,
        sort,
    }
}

/// The Traffic view's sparkline: it takes what the other columns leave.
const HISTORY: &str = "history (5s/cell)";

use SortKey as K;

pub(super) const STATUS_COLS: &[Col] = &[
    col("name", 0, Some(K::Name)),
    col("status", 0, Some(K::Status)),
    col("lastchg", 6, Some(K::LastChange)),
    col("last check", 1, None),
    col("wght", 2, Some(K::Weight)),
    col("act", 11, None),
    col("bck", 12, None),
    col("cur", 4, Some(K::Cur)),
    col("max", 8, Some(K::Max)),
    col("limit", 7, None),
    col("total", 5, Some(K::Total)),
    col("lbtot", 10, Some(K::Lbtot)),
    col("queue", 9, None),
    col("address", 3, None),
];

pub(super) const TRAFFIC_COLS: &[Col] = &[
    col("name", 0, Some(K::Name)),
    col("status", 0, Some(K::Status)),
    col("req/s", 1, Some(K::Rate)),
    col(HISTORY, 2, None),
    col("peak", 7, None),
    col("cur", 3, Some(K::Cur)),
    col("total", 4, Some(K::Total)),
    col("bytes in", 8, Some(K::BytesIn)),
    col("bytes out", 9, Some(K::BytesOut)),
    col("in/s", 5, None),
    col("out/s", 6, None),
];

pub(super) const HTTP_COLS: &[Col] = &[
    col("name", 0, Some(K::Name)),
    col("status", 0, Some(K::Status)),
    col("1xx", 11, None),
    col("2xx", 1, Some(K::Http2xx)),
    col("3xx", 8, None),
    col("4xx", 2, Some(K::Http4xx)),
    col("5xx", 3, Some(K::Http5xx)),
    col("other", 10, None),
    col("p50", 4, Some(K::P50)),
    col("p90", 6, Some(K::P90)),
    col("p99", 5, Some(K::P99)),
    col("samples", 9, None),
    col("total", 7, Some(K::Total)),
];

pub(super) const ERROR_COLS: &[Col] = &[
    col("name", 0, Some(K::Name)),
    col("status", 0, Some(K::Status)),
    col("econ", 2, Some(K::ConnErrors)),
    col("eresp", 3, Some(K::RespErrors)),
    col("retries", 7, Some(K::Retries)),
    col("redisp", 8, Some(K::Redispatches)),
    col("chkfail", 1, Some(K::FailedChecks)),
    col("chkdown", 5, Some(K::DownTransitions)),
    col("downtime", 6, Some(K::Downtime)),
    col("lastchg", 9, Some(K::LastChange)),
    col("last check", 4, None),
];

pub(super) fn columns(view: View) -> &'static [Col] {
    match view {
        View::Traffic => TRAFFIC_COLS,
        View::Http => HTTP_COLS,
        View::Errors => ERROR_COLS,
        _ => STATUS_COLS,
    }
}

pub(super) fn fits(view: View) -> Vec<Fit> {
    columns(view)
        .iter()
        .map(|c| Fit {
            priority: c.priority,
            fill: c.title == HISTORY,
        })
        .collect()
}

/// Column titles, with the sort arrow on the sorted one and shorter forms of long titles.
pub(super) fn header_cells(t: &Tables, mode: Mode) -> Vec<Txt> {
    let sort = t.servers.sort(t.view);
    columns(t.view)
        .iter()
        .map(|c| {
            let title = match (t.view, c.title, mode) {
                (View::Traffic, "req/s", Mode::Tcp) => "conn/s",
                _ => c.title,
            };
            let arrow = match (sort.key, c.sort) {
                (Some(k), Some(mine)) if k == mine => {
                    let up = (k == SortKey::Name) != sort.reverse;
                    if up {
                        "▲"
                    } else {
                        "▼"
                    }
                }
                _ => "",
            };
            let mut txt = Txt::new(format!("{title}{arrow}"));
            if let Some(short) = short_title(title) {
                txt = txt.or(format!("{short}{arrow}"));
            }
            txt
        })
        .collect()
}

/// Shorter titles for the long ones, used only when the full title does not fit.
fn short_title(title: &str) -> Option<&'static str> {
    Some(match title {
        HISTORY => "history",
        "last check" => "check",
        "downtime" => "down",
        "bytes in" => "B in",
        "bytes out" => "B out",
        "samples" => "n",
        "retries" => "retry",
        _ => return None,
    })
}
