//! The four server views (Status, Traffic, HTTP, Errors): one table per backend, grouped like
//! HAProxy's stats page — the FRONTEND rows that feed the backend, its servers, then a
//! BACKEND row with the totals. Each view has its own columns; all share selection, the
//! filter, sorting and scrolling.

use super::admin::Admin;
use super::fmt;
use super::history::Series;
use super::nodes;
use super::rows::Cells;
use super::servers::{Row as ListRow, ServerList, SortKey};
use super::stats::Stats;
use super::theme::Theme;
use crate::config::Mode;
use crate::events::{BackendSnap, FrontendSnap, ServerId, Snapshot};
use crate::keys::View;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use ratatui::Frame;

struct Col {
    title: &'static str,
    width: u16,
    sort: Option<SortKey>,
}

const fn col(title: &'static str, width: u16, sort: Option<SortKey>) -> Col {
    Col { title, width, sort }
}

/// A width that takes what is left (address, sparkline).
const FILL: u16 = 0;

use SortKey as K;

const STATUS_COLS: &[Col] = &[
    col("name", 14, Some(K::Name)),
    col("status", 11, Some(K::Status)),
    col("lastchg", 7, Some(K::LastChange)),
    col("last check", 16, None),
    col("wght", 5, Some(K::Weight)),
    col("act", 3, None),
    col("bck", 3, None),
    col("cur", 4, Some(K::Cur)),
    col("max", 4, Some(K::Max)),
    col("limit", 5, None),
    col("total", 7, Some(K::Total)),
    col("lbtot", 7, Some(K::Lbtot)),
    col("queue", 5, None),
    col("address", FILL, None),
];

const TRAFFIC_COLS: &[Col] = &[
    col("name", 14, Some(K::Name)),
    col("status", 11, Some(K::Status)),
    col("req/s", 7, Some(K::Rate)),
    col("history (5s/cell)", FILL, None),
    col("peak", 6, None),
    col("cur", 4, Some(K::Cur)),
    col("total", 7, Some(K::Total)),
    col("bytes in", 8, Some(K::BytesIn)),
    col("bytes out", 9, Some(K::BytesOut)),
    col("in/s", 6, None),
    col("out/s", 6, None),
];

const HTTP_COLS: &[Col] = &[
    col("name", 14, Some(K::Name)),
    col("status", 11, Some(K::Status)),
    col("1xx", 5, None),
    col("2xx", 7, Some(K::Http2xx)),
    col("3xx", 5, None),
    col("4xx", 5, Some(K::Http4xx)),
    col("5xx", 5, Some(K::Http5xx)),
    col("other", 5, None),
    col("p50", 7, Some(K::P50)),
    col("p90", 7, Some(K::P90)),
    col("p99", 7, Some(K::P99)),
    col("samples", 8, None),
    col("total", FILL, Some(K::Total)),
];

const ERROR_COLS: &[Col] = &[
    col("name", 14, Some(K::Name)),
    col("status", 11, Some(K::Status)),
    col("econ", 5, Some(K::ConnErrors)),
    col("eresp", 5, Some(K::RespErrors)),
    col("retries", 7, Some(K::Retries)),
    col("redisp", 6, Some(K::Redispatches)),
    col("chkfail", 7, Some(K::FailedChecks)),
    col("chkdown", 7, Some(K::DownTransitions)),
    col("downtime", 8, Some(K::Downtime)),
    col("lastchg", 7, Some(K::LastChange)),
    col("last check", FILL, None),
];

fn columns(view: View) -> &'static [Col] {
    match view {
        View::Traffic => TRAFFIC_COLS,
        View::Http => HTTP_COLS,
        View::Errors => ERROR_COLS,
        _ => STATUS_COLS,
    }
}

/// Borders and the header row around a backend's rows.
const TABLE_CHROME: u16 = 3;
/// The highlight symbol's width.
const SYMBOL: u16 = 2;

/// What one view notes under its tables (`attached`: the data is `lbtop attach`'s).
fn note(view: View, attached: bool) -> Option<&'static str> {
    match view {
        View::Http if attached => Some(
            "attached: latency percentiles are not available when attached (HAProxy's stats \
             carry no histograms); response codes and totals are summed over the nodes",
        ),
        View::Traffic => Some(
            "history: sessions per second (HTTP: requests, TCP: connections), one cell per 5 s, \
             newest on the right; bars share a scale within each backend",
        ),
        View::Http => Some(
            "p50/p90/p99 from histograms of all requests since start (±19%); HAProxy's stats \
             page only averages its last 1024. TCP: whole connections",
        ),
        View::Errors => Some(
            "econ: connect errors  eresp: response errors  retries/redisp: retried or sent \
             elsewhere  chkfail: failed checks  chkdown: UP→DOWN  downtime: total time DOWN",
        ),
        _ => None,
    }
}

/// What the server tables draw: the sampled data, the server list and the pending actions.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    pub theme: Theme,
    /// One of the four server views.
    pub view: View,
    pub stats: &'a Stats,
    pub servers: &'a ServerList,
    pub admin: &'a Admin,
    /// Attached: the node actions go to alone (`None`: all).
    pub node: Option<usize>,
}

/// Server rows that fit in `area` (the view's body) for PgUp/PgDn: what the tables show when
/// one backend's table fills the area.
pub fn page_size(area: Rect, view: View) -> usize {
    let height = match note(view, false) {
        Some(_) if area.height > 8 => area.height - 1,
        _ => area.height,
    };
    (height.saturating_sub(TABLE_CHROME + 2) as usize).max(1)
}

pub fn render(frame: &mut Frame, area: Rect, t: &Tables) {
    let Some(snap) = t.stats.snapshot() else {
        let msg = Paragraph::new("waiting for the first snapshot…").style(t.theme.dim());
        frame.render_widget(msg, area);
        return;
    };
    let mut area = area;
    // Whether the note fits is judged on the whole body, the nodes panel included.
    let note = note(t.view, t.stats.attached()).filter(|_| area.height > 8);
    if let Some(fleet) = t.stats.fleet() {
        area = nodes_panel(frame, area, t, fleet);
    }
    if let Some(text) = note.filter(|_| area.height > 1) {
        let line = Rect {
            y: area.bottom() - 1,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(fmt::clip(text, area.width as usize)).style(t.theme.dim()),
            line,
        );
        area.height -= 1;
    }
    let groups = groups(t.view, t.stats, t.servers, snap);
    if groups.is_empty() {
        let text = format!(
            "no server matches /{} (Esc clears the filter)",
            t.servers.filter().0
        );
        frame.render_widget(Paragraph::new(text).style(t.theme.warn()), area);
        return;
    }
    let heights: Vec<u16> = groups.iter().map(Group::height).collect();
    let selected = t
        .servers
        .selected_row()
        .and_then(|r| groups.iter().position(|g| g.b == r.backend()))
        .unwrap_or(0);
    let first = first_visible(&heights, area.height, selected);
    let mut y = area.y;
    for (g, group) in groups.iter().enumerate().skip(first) {
        let left = area.bottom().saturating_sub(y);
        if left < TABLE_CHROME {
            break;
        }
        let h = heights[g].min(left);
        let rect = Rect {
            y,
            height: h,
            ..area
        };
        render_group(frame, rect, t, group);
        y += h;
    }
}

/// Attached: the nodes panel at the bottom of `area`; returns what is left for the tables.
fn nodes_panel(frame: &mut Frame, area: Rect, t: &Tables, fleet: &crate::attach::Fleet) -> Rect {
    let h = nodes::height(fleet).min(area.height / 2);
    let panel = Rect {
        y: area.bottom() - h,
        height: h,
        ..area
    };
    let n = nodes::Nodes {
        theme: t.theme,
        stats: t.stats,
        fleet,
        selected: t.servers.selected(),
        node: t.node,
    };
    nodes::render(frame, panel, &n);
    Rect {
        height: area.height - h,
        ..area
    }
}

/// The backends to show, each with the frontends that feed it and its listed servers.
fn groups<'a>(
    view: View,
    stats: &Stats,
    servers: &ServerList,
    snap: &'a Snapshot,
) -> Vec<Group<'a>> {
    let listed = servers.listed(view, stats);
    let filtering = !servers.filter().0.is_empty();
    snap.backends
        .iter()
        .enumerate()
        .filter(|(b, _)| !filtering || !listed[*b].is_empty())
        .map(|(b, backend)| Group {
            b,
            backend,
            frontends: snap
                .frontends
                .iter()
                .enumerate()
                .filter(|(_, f)| f.backend == b)
                .collect(),
            servers: listed[b].clone(),
        })
        .collect()
}

/// The lines a view needs to show every listed row, its note included.
pub fn height_needed(view: View, stats: &Stats, servers: &ServerList) -> u16 {
    let Some(snap) = stats.snapshot() else {
        return 1;
    };
    let tables: u16 = groups(view, stats, servers, snap)
        .iter()
        .map(Group::height)
        .sum();
    let panel = stats.fleet().map_or(0, super::nodes::height);
    tables.max(1) + u16::from(note(view, stats.attached()).is_some()) + panel
}

struct Group<'a> {
    b: usize,
    backend: &'a BackendSnap,
    frontends: Vec<(usize, &'a FrontendSnap)>,
    servers: Vec<usize>,
}

impl Group<'_> {
    fn height(&self) -> u16 {
        (self.frontends.len() + self.servers.len() + 1) as u16 + TABLE_CHROME
    }
}

/// The first group to draw so the selected one is on screen: scroll whole tables, and let
/// the table itself scroll rows when one group alone is taller than the area.
fn first_visible(heights: &[u16], avail: u16, selected: usize) -> usize {
    let selected = selected.min(heights.len().saturating_sub(1));
    let mut first = 0;
    while first < selected && heights[first..=selected].iter().sum::<u16>() > avail {
        first += 1;
    }
    first
}

fn render_group(frame: &mut Frame, area: Rect, t: &Tables, g: &Group) {
    let (theme, view) = (t.theme, t.view);
    let cols = columns(view);
    let fixed: u16 = cols.iter().map(|c| c.width).sum();
    let spacing = cols.len() as u16 - 1;
    let fill = area.width.saturating_sub(2 + SYMBOL + fixed + spacing);
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| match c.width {
            FILL => Constraint::Length(fill),
            w => Constraint::Length(w),
        })
        .collect();
    let ctx = Cells {
        theme,
        view,
        stats: t.stats,
        admin: t.admin,
        selected: t.servers.selected(),
        mode: g.backend.mode,
        fill: fill as usize,
        scale: group_scale(t.stats, g, fill as usize),
    };
    let mut rows: Vec<Row> = Vec::new();
    for &(f, fe) in &g.frontends {
        rows.push(Row::new(ctx.frontend_cells(f, fe)).style(theme.aggregate()));
    }
    for &s in &g.servers {
        let id = ServerId {
            backend: g.b,
            server: s,
        };
        rows.push(Row::new(ctx.server_cells(id, &g.backend.servers[s])));
    }
    let mut backend = ctx.backend_cells(g.b, g.backend);
    let backend_selected = t.servers.selected_row() == Some(ListRow::Backend(g.b));
    if backend_selected {
        backend[0] = Cell::from("BACKEND").style(theme.selected());
    }
    rows.push(Row::new(backend).style(theme.aggregate()));

    let sort = t.servers.sort(view);
    let header: Vec<String> = cols
        .iter()
        .map(|c| {
            let title = match (view, c.title, g.backend.mode) {
                (View::Traffic, "req/s", Mode::Tcp) => "conn/s",
                _ => c.title,
            };
            match (sort.key, c.sort) {
                (Some(k), Some(mine)) if k == mine => {
                    let up = (k == SortKey::Name) != sort.reverse;
                    format!("{title}{}", if up { "▲" } else { "▼" })
                }
                _ => title.to_string(),
            }
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.table_header()))
        .block(group_block(theme, view, g.backend))
        .row_highlight_style(Style::new().add_modifier(ratatui::style::Modifier::BOLD))
        .highlight_symbol("▶ ")
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::default();
    if let Some(id) = t.servers.selected().filter(|id| id.backend == g.b) {
        if let Some(pos) = g.servers.iter().position(|&s| s == id.server) {
            state.select(Some(g.frontends.len() + pos));
        }
    }
    if backend_selected {
        state.select(Some(g.frontends.len() + g.servers.len()));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// The largest history value among a group's servers, so their bars compare.
fn group_scale(stats: &Stats, g: &Group, width: usize) -> f32 {
    g.servers
        .iter()
        .flat_map(|&s| {
            stats.meter().history(
                Series::Server(ServerId {
                    backend: g.b,
                    server: s,
                }),
                width,
            )
        })
        .fold(0.0, f32::max)
}

/// ` hoge 1/2 UP  http roundrobin ` on the left, session counts on the right.
fn group_block(theme: Theme, view: View, backend: &BackendSnap) -> Block<'static> {
    let up = theme.up_count(backend.up_count(), backend.servers.len());
    let title = Line::from(vec![
        Span::styled(format!(" {} ", backend.name), theme.title()),
        Span::styled(backend.up_label(), up),
        Span::raw(format!("  {} {} ", backend.mode, backend.balance.as_str())),
    ]);
    let right = match (view, backend.mode) {
        (View::Http, Mode::Tcp) => " tcp: no HTTP here; latency = whole connection ".to_string(),
        _ => format!(
            " cur {}  total {}  queue {} ",
            backend.cur_sessions, backend.total_sessions, backend.queue
        ),
    };
    Block::bordered()
        .border_style(theme.border())
        .title_top(title)
        .title_top(Line::from(right).right_aligned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolls_whole_tables_to_keep_the_selection_visible() {
        let heights = [5, 5, 5];
        assert_eq!(first_visible(&heights, 20, 2), 0);
        assert_eq!(first_visible(&heights, 10, 2), 1);
        assert_eq!(first_visible(&heights, 4, 2), 2);
        assert_eq!(first_visible(&heights, 10, 0), 0);
        assert_eq!(first_visible(&[], 10, 0), 0);
    }

    #[test]
    fn sortable_columns_are_the_server_lists_sort_keys_in_order() {
        for view in [View::Status, View::Traffic, View::Http, View::Errors] {
            let drawn: Vec<SortKey> = columns(view).iter().filter_map(|c| c.sort).collect();
            assert_eq!(drawn, crate::ui::servers::sort_keys(view), "{view:?}");
        }
    }

    #[test]
    fn page_size_is_what_one_table_shows() {
        let area = |height| Rect::new(0, 0, 150, height);
        // The note line, then borders, the header row, a frontend and the backend row.
        assert_eq!(page_size(area(30), View::Traffic), 24);
        assert_eq!(page_size(area(30), View::Status), 25);
        assert_eq!(page_size(area(8), View::Traffic), 3);
        assert_eq!(page_size(area(2), View::Status), 1);
    }

    #[test]
    fn column_counts_match_cells() {
        // Each view's cell builders must fill every column; checked by the render tests too.
        assert_eq!(STATUS_COLS.len(), 14);
        assert_eq!(TRAFFIC_COLS.len(), 11);
        assert_eq!(HTTP_COLS.len(), 13);
        assert_eq!(ERROR_COLS.len(), 11);
    }
}
