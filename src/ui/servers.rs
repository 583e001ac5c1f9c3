//! The server list the four server views share: which servers are listed (the filter), in
//! what order (each view's sort key), and which one the cursor is on.

use super::history::{Meter, Series};
use super::stats::Stats;
use crate::events::{ServerId, ServerSnap, ServerStatus};
use crate::keys::View;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::cmp::Ordering;

/// A column a server view can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Status,
    LastChange,
    Weight,
    Cur,
    Max,
    Total,
    Lbtot,
    Rate,
    BytesIn,
    BytesOut,
    Http2xx,
    Http4xx,
    Http5xx,
    P50,
    P90,
    P99,
    ConnErrors,
    RespErrors,
    Retries,
    Redispatches,
    FailedChecks,
    DownTransitions,
    Downtime,
}

use SortKey as K;

/// The columns each server view can be sorted by, left to right: the order `o` cycles in.
/// (The table draws the same columns; a test there checks they agree.)
pub fn sort_keys(view: View) -> &'static [SortKey] {
    match view {
        View::Status => &[
            K::Name,
            K::Status,
            K::LastChange,
            K::Weight,
            K::Cur,
            K::Max,
            K::Total,
            K::Lbtot,
        ],
        View::Traffic => &[
            K::Name,
            K::Status,
            K::Rate,
            K::Cur,
            K::Total,
            K::BytesIn,
            K::BytesOut,
        ],
        View::Http => &[
            K::Name,
            K::Status,
            K::Http2xx,
            K::Http4xx,
            K::Http5xx,
            K::P50,
            K::P90,
            K::P99,
            K::Total,
        ],
        View::Errors => &[
            K::Name,
            K::Status,
            K::ConnErrors,
            K::RespErrors,
            K::Retries,
            K::Redispatches,
            K::FailedChecks,
            K::DownTransitions,
            K::Downtime,
            K::LastChange,
        ],
        View::L4L7 | View::Log | View::Config => &[],
    }
}

impl SortKey {
    pub fn title(self) -> &'static str {
        match self {
            K::Name => "name",
            K::Status => "status",
            K::LastChange => "lastchg",
            K::Weight => "weight",
            K::Cur => "cur",
            K::Max => "max",
            K::Total => "total",
            K::Lbtot => "lbtot",
            K::Rate => "rate",
            K::BytesIn => "bytes in",
            K::BytesOut => "bytes out",
            K::Http2xx => "2xx",
            K::Http4xx => "4xx",
            K::Http5xx => "5xx",
            K::P50 => "p50",
            K::P90 => "p90",
            K::P99 => "p99",
            K::ConnErrors => "econ",
            K::RespErrors => "eresp",
            K::Retries => "retries",
            K::Redispatches => "redisp",
            K::FailedChecks => "chkfail",
            K::DownTransitions => "chkdown",
            K::Downtime => "downtime",
        }
    }

    /// Names A to Z and statuses worst first; numbers biggest first.
    pub fn direction(self) -> &'static str {
        match self {
            K::Name => "A→Z",
            K::Status => "worst first",
            _ => "highest first",
        }
    }

    fn number(self, meter: &Meter, id: ServerId, s: &ServerSnap) -> f64 {
        let q = |q: f64| s.latency.quantile(q).map_or(-1.0, |d| d.as_secs_f64());
        let rate = || meter.rate(Series::Server(id)).map_or(0.0, |r| r[0]);
        match self {
            K::Name => 0.0,
            K::Status => -status_rank(s.status),
            K::LastChange => s.since_change.as_secs_f64(),
            K::Weight => s.weight.into(),
            K::Cur => s.cur_sessions as f64,
            K::Max => s.max_sessions as f64,
            K::Total => s.total_sessions as f64,
            K::Lbtot => s.lbtot as f64,
            K::Rate => rate(),
            K::BytesIn => s.bytes_in as f64,
            K::BytesOut => s.bytes_out as f64,
            K::Http2xx => s.http_responses[1] as f64,
            K::Http4xx => s.http_responses[3] as f64,
            K::Http5xx => s.http_responses[4] as f64,
            K::P50 => q(0.5),
            K::P90 => q(0.9),
            K::P99 => q(0.99),
            K::ConnErrors => s.connect_errors as f64,
            K::RespErrors => s.response_errors as f64,
            K::Retries => s.retries as f64,
            K::Redispatches => s.redispatches as f64,
            K::FailedChecks => s.failed_checks as f64,
            K::DownTransitions => s.down_transitions as f64,
            K::Downtime => s.downtime.as_secs_f64(),
        }
    }

    /// In this key's natural direction; ties keep configuration order (the sort is stable).
    /// Rates come from `meter`.
    pub fn compare(
        self,
        meter: &Meter,
        (a_id, a): (ServerId, &ServerSnap),
        (b_id, b): (ServerId, &ServerSnap),
    ) -> Ordering {
        if self == K::Name {
            return a.name.cmp(&b.name);
        }
        let (x, y) = (self.number(meter, a_id, a), self.number(meter, b_id, b));
        y.partial_cmp(&x).unwrap_or(Ordering::Equal)
    }
}

/// Lower is worse.
fn status_rank(s: ServerStatus) -> f64 {
    match s {
        ServerStatus::Down => 0.0,
        ServerStatus::GoingUp { .. } => 1.0,
        ServerStatus::Maint => 2.0,
        ServerStatus::GoingDown { .. } => 3.0,
        ServerStatus::NolbGoingDown { .. } => 4.0,
        ServerStatus::DrainGoingDown { .. } => 4.5,
        ServerStatus::Nolb => 5.0,
        ServerStatus::Drain => 5.5,
        ServerStatus::NoCheck => 6.0,
        ServerStatus::Up => 7.0,
    }
}

/// How one server view is sorted: by a column (none = configuration order), maybe reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: Option<SortKey>,
    pub reverse: bool,
}

/// A row the cursor can rest on: a server, or a backend's BACKEND row (its actions then act
/// on each of its servers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Row {
    Server(ServerId),
    Backend(usize),
}

impl Row {
    pub fn backend(self) -> usize {
        match self {
            Row::Server(id) => id.backend,
            Row::Backend(b) => b,
        }
    }
}

/// Filter, sort per view and selection. The views passed in are server views; the others
/// walk the Status view's order (see `App::list_view`).
#[derive(Debug, Default)]
pub struct ServerList {
    selected: Option<Row>,
    filter: String,
    filter_editing: bool,
    /// `!`: only servers that are not plainly UP.
    down_only: bool,
    sort: [Sort; 4],
}

impl ServerList {
    /// The selected server; `None` also when the cursor is on a BACKEND row.
    pub fn selected(&self) -> Option<ServerId> {
        match self.selected? {
            Row::Server(id) => Some(id),
            Row::Backend(_) => None,
        }
    }

    /// The row the cursor is on.
    pub fn selected_row(&self) -> Option<Row> {
        self.selected
    }

    /// Puts the cursor on `row` (a click); returns whether that row is listed in `view`.
    pub fn select(&mut self, view: View, stats: &Stats, row: Row) -> bool {
        let listed = self.rows(view, stats).contains(&row);
        if listed {
            self.selected = Some(row);
        }
        listed
    }

    /// The server filter and whether it is being typed.
    pub fn filter(&self) -> (&str, bool) {
        (&self.filter, self.filter_editing)
    }

    pub fn sort(&self, view: View) -> Sort {
        self.sort.get(view.index()).copied().unwrap_or_default()
    }

    /// The servers listed in a server view, per backend, filtered and sorted.
    pub fn listed(&self, view: View, stats: &Stats) -> Vec<Vec<usize>> {
        let Some(snap) = stats.snapshot() else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        let sort = self.sort(view);
        snap.backends
            .iter()
            .enumerate()
            .map(|(b, be)| {
                let mut servers: Vec<usize> = (0..be.servers.len())
                    .filter(|&s| {
                        needle.is_empty() || matches_filter(&be.name, &be.servers[s], &needle)
                    })
                    .filter(|&s| !self.down_only || !plainly_up(&be.servers[s]))
                    .collect();
                if let Some(key) = sort.key {
                    servers.sort_by(|&x, &y| {
                        let id = |server| ServerId { backend: b, server };
                        let o = key.compare(
                            stats.meter(),
                            (id(x), &be.servers[x]),
                            (id(y), &be.servers[y]),
                        );
                        if sort.reverse {
                            o.reverse()
                        } else {
                            o
                        }
                    });
                }
                servers
            })
            .collect()
    }

    /// Every listed server, backend by backend: the order the cursor walks.
    pub fn ids(&self, view: View, stats: &Stats) -> Vec<ServerId> {
        self.listed(view, stats)
            .into_iter()
            .enumerate()
            .flat_map(|(b, servers)| {
                servers.into_iter().map(move |s| ServerId {
                    backend: b,
                    server: s,
                })
            })
            .collect()
    }

    /// Every row the cursor can rest on, as drawn: each backend's listed servers, then its
    /// BACKEND row (a backend the filter or `!` empties is not drawn, so not listed).
    pub fn rows(&self, view: View, stats: &Stats) -> Vec<Row> {
        let filtering = self.filtering();
        let mut rows = Vec::new();
        for (b, servers) in self.listed(view, stats).into_iter().enumerate() {
            if filtering && servers.is_empty() {
                continue;
            }
            rows.extend(
                servers
                    .into_iter()
                    .map(|server| Row::Server(ServerId { backend: b, server })),
            );
            rows.push(Row::Backend(b));
        }
        rows
    }

    /// Keeps the cursor on a row that is listed: the first server if it can.
    pub(super) fn fix_selection(&mut self, view: View, stats: &Stats) {
        let rows = self.rows(view, stats);
        if !self.selected.is_some_and(|r| rows.contains(&r)) {
            let first = rows.iter().find(|r| matches!(r, Row::Server(_)));
            self.selected = first.or(rows.first()).copied();
        }
    }

    /// Moves the cursor `step` rows, stopping at either end.
    pub(super) fn move_selection(&mut self, view: View, stats: &Stats, step: isize) {
        let rows = self.rows(view, stats);
        let Some(last) = rows.len().checked_sub(1) else {
            return;
        };
        let at = self
            .selected
            .and_then(|r| rows.iter().position(|&i| i == r))
            .unwrap_or(0);
        let to = at.saturating_add_signed(step).min(last);
        self.selected = Some(rows[to]);
    }

    /// The next column of `view`, then none again. Returns whether the servers went back to
    /// configuration order.
    pub(super) fn sort_next(&mut self, view: View) -> bool {
        let keys = sort_keys(view);
        let Some(sort) = self.sort.get_mut(view.index()) else {
            return false;
        };
        let next = match sort.key.and_then(|k| keys.iter().position(|&x| x == k)) {
            None => keys.first().copied(),
            Some(i) => keys.get(i + 1).copied(),
        };
        *sort = Sort {
            key: next,
            reverse: false,
        };
        next.is_none()
    }

    pub(super) fn sort_reverse(&mut self, view: View) {
        if let Some(sort) = self.sort.get_mut(view.index()) {
            if sort.key.is_some() {
                sort.reverse = !sort.reverse;
            }
        }
    }

    pub(super) fn start_filter(&mut self) {
        self.filter_editing = true;
    }

    pub(super) fn editing_filter(&self) -> bool {
        self.filter_editing
    }

    /// Typing into the filter. Returns whether the key was taken; the caller then fixes the
    /// selection.
    pub(super) fn edit_filter(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                self.filter_editing = false;
            }
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !ctrl => self.filter.push(c),
            _ => return false,
        }
        true
    }

    /// Whether some servers may be left out (a text filter, or `!`).
    pub fn filtering(&self) -> bool {
        !self.filter.is_empty() || self.down_only
    }

    /// Whether `!` (only servers that are not plainly UP) is on.
    pub fn down_only(&self) -> bool {
        self.down_only
    }

    /// `!`: only the servers that are not plainly UP, or all again. Returns whether it is on.
    pub(super) fn toggle_down_only(&mut self) -> bool {
        self.down_only = !self.down_only;
        self.down_only
    }

    /// Plainly UP servers of backend `b` that `!` hides (those the text filter matches).
    pub fn hidden_in(&self, view: View, stats: &Stats, b: usize) -> usize {
        if !self.down_only {
            return 0;
        }
        let Some(be) = stats.snapshot().and_then(|snap| snap.backends.get(b)) else {
            return 0;
        };
        let needle = self.filter.to_lowercase();
        let matching = be
            .servers
            .iter()
            .filter(|s| needle.is_empty() || matches_filter(&be.name, s, &needle))
            .count();
        let listed = self.listed(view, stats).get(b).map_or(0, Vec::len);
        matching - listed
    }

    /// Plainly UP servers that `!` hides, in every backend.
    pub fn hidden(&self, view: View, stats: &Stats) -> usize {
        let backends = stats.snapshot().map_or(0, |snap| snap.backends.len());
        (0..backends).map(|b| self.hidden_in(view, stats, b)).sum()
    }

    /// What the server views say when no server is listed.
    pub fn nothing_listed(&self, view: View, stats: &Stats) -> String {
        match (self.down_only, self.filter.is_empty()) {
            (true, true) => format!(
                "every server is UP: nothing to show with ! on ({} UP hidden; ! shows all)",
                self.hidden(view, stats)
            ),
            (true, false) => format!(
                "no server matches /{} that is not UP ({} UP hidden; ! shows all, Esc clears \
                 the filter)",
                self.filter,
                self.hidden(view, stats)
            ),
            _ => format!("no server matches /{} (Esc clears the filter)", self.filter),
        }
    }

    /// Clears a kept filter. Returns whether there was one.
    pub(super) fn clear_filter(&mut self) -> bool {
        let had = !self.filter.is_empty();
        self.filter.clear();
        had
    }
}

/// Plainly UP: serving, checks passing, nothing pending. `!` hides these and lists the rest
/// (DOWN, `UP 1/2` going down, `DOWN 1/2` coming up, DRAIN, MAINT). A server without checks
/// counts as UP: nothing says otherwise. Weight 0 takes no traffic, so it is listed too.
fn plainly_up(s: &ServerSnap) -> bool {
    s.weight > 0 && matches!(s.status, ServerStatus::Up | ServerStatus::NoCheck)
}

/// `/web1`, `/down`, `/8011`, `/hoge_l4/`: name, backend/name, address or status.
fn matches_filter(backend: &str, s: &ServerSnap, needle: &str) -> bool {
    let hay = format!("{backend}/{} {} {}", s.name, s.addr, s.status).to_lowercase();
    hay.contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_matches_names_addresses_and_states() {
        let s = ServerSnap {
            status: ServerStatus::Down,
            ..ServerSnap::idle("web11", "127.0.0.1:8011".parse().unwrap())
        };
        assert!(matches_filter("hoge", &s, "web11"));
        assert!(matches_filter("hoge", &s, "hoge/"));
        assert!(matches_filter("hoge", &s, ":8011"));
        assert!(matches_filter("hoge", &s, "down"));
        assert!(!matches_filter("hoge", &s, "web10"));
    }

    #[test]
    fn every_server_view_sorts_by_name_and_more() {
        for view in [View::Status, View::Traffic, View::Http, View::Errors] {
            let keys = sort_keys(view);
            assert!(keys.contains(&SortKey::Name), "{view:?}");
            assert!(keys.len() >= 4, "{view:?}");
        }
        assert!(sort_keys(View::Log).is_empty());
    }

    #[test]
    fn sort_cycles_through_the_columns_then_back_to_none() {
        let mut list = ServerList::default();
        let n = sort_keys(View::Http).len();
        for i in 0..n {
            assert!(!list.sort_next(View::Http));
            assert_eq!(list.sort(View::Http).key, Some(sort_keys(View::Http)[i]));
        }
        assert!(list.sort_next(View::Http), "past the last column");
        assert_eq!(list.sort(View::Http).key, None);
        assert!(!list.sort_next(View::Log), "no sort outside server views");
    }
}
