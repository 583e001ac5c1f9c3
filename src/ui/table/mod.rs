//! The four server views (Status, Traffic, HTTP, Errors): one table per backend, grouped like
//! HAProxy's stats page — the FRONTEND rows that feed the backend, its servers, then a
//! BACKEND row with the totals. Each view has its own columns; all share selection, the
//! filter, sorting and scrolling.

mod cols;
mod place;

use crate::config::Mode;
use crate::events::{BackendSnap, FrontendSnap, ServerId, Snapshot};
use crate::keys::View;
use crate::ui::admin::Admin;
use crate::ui::columns::{self, plan, Plan, Txt};
use crate::ui::fmt;
use crate::ui::history::Series;
use crate::ui::nodes;
use crate::ui::rows::Cells;
use crate::ui::servers::{Row as ListRow, ServerList};
use crate::ui::stats::Stats;
use crate::ui::theme::Theme;
use cols::{fits, header_cells};
use place::{parts, place, Placed};
pub use place::{row_at, RowId};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use ratatui::Frame;

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
    let parts = parts(area, t);
    if let (Some(fleet), Some(panel)) = (t.stats.fleet(), parts.panel) {
        let n = nodes::Nodes {
            theme: t.theme,
            stats: t.stats,
            fleet,
            selected: t.servers.selected(),
            node: t.node,
        };
        nodes::render(frame, panel, &n);
    }
    if let (Some(text), Some(line)) = (note(t.view, t.stats.attached()), parts.note) {
        frame.render_widget(
            Paragraph::new(fmt::clip(text, line.width as usize)).style(t.theme.dim()),
            line,
        );
    }
    let groups = groups(t.view, t.stats, t.servers, snap);
    if groups.is_empty() {
        let text = t.servers.nothing_listed(t.view, t.stats);
        frame.render_widget(
            Paragraph::new(text)
                .style(t.theme.warn())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            parts.tables,
        );
        return;
    }
    // One plan for every table, so the columns line up from one table to the next.
    let inner = parts.tables.width.saturating_sub(2 + SYMBOL);
    let plan = plan_columns(t, &groups, inner);
    for p in place(parts.tables, &groups, t.servers.selected_row()) {
        render_group(frame, &p, t, &groups[p.g], &plan);
    }
}

/// Which columns fit in `width`, measured on every row of every table.
fn plan_columns(t: &Tables, groups: &[Group], width: u16) -> Plan {
    let mut cells = Vec::new();
    for g in groups {
        cells.push(header_cells(t, g.backend.mode));
        let ctx = cells_ctx(t, g, 0);
        cells.extend(group_rows(&ctx, g).into_iter().map(|(row, _)| row));
    }
    plan(&fits(t.view), &cells, width)
}

fn cells_ctx<'a>(t: &Tables<'a>, g: &Group, fill: usize) -> Cells<'a> {
    Cells {
        theme: t.theme,
        view: t.view,
        stats: t.stats,
        admin: t.admin,
        selected: t.servers.selected(),
        mode: g.backend.mode,
        fill,
        scale: group_scale(t.stats, g, fill),
    }
}

/// A group's rows, each with whether it is a total (FRONTEND, BACKEND).
fn group_rows(ctx: &Cells, g: &Group) -> Vec<(Vec<Txt>, bool)> {
    let mut rows = Vec::new();
    for &(f, fe) in &g.frontends {
        rows.push((ctx.frontend_cells(f, fe), true));
    }
    for &s in &g.servers {
        let id = ServerId {
            backend: g.b,
            server: s,
        };
        rows.push((ctx.server_cells(id, &g.backend.servers[s]), false));
    }
    rows.push((ctx.backend_cells(g.b, g.backend), true));
    rows
}

/// The backends to show, each with the frontends that feed it and its listed servers.
fn groups<'a>(
    view: View,
    stats: &Stats,
    servers: &ServerList,
    snap: &'a Snapshot,
) -> Vec<Group<'a>> {
    let listed = servers.listed(view, stats);
    let filtering = servers.filtering();
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

    /// The table row the cursor is on (a server's, or the BACKEND row), if in this table.
    fn selected_row(&self, selected: Option<ListRow>) -> Option<usize> {
        match selected.filter(|r| r.backend() == self.b)? {
            ListRow::Server(id) => {
                let pos = self.servers.iter().position(|&s| s == id.server)?;
                Some(self.frontends.len() + pos)
            }
            ListRow::Backend(_) => Some(self.frontends.len() + self.servers.len()),
        }
    }

    /// What row `i` of the table is.
    fn row(&self, i: usize) -> Option<RowId> {
        let f = self.frontends.len();
        let s = self.servers.len();
        match i {
            i if i < f => Some(RowId::Frontend(self.frontends[i].0)),
            i if i < f + s => Some(RowId::Server(ServerId {
                backend: self.b,
                server: self.servers[i - f],
            })),
            i if i == f + s => Some(RowId::Backend(self.b)),
            _ => None,
        }
    }
}

fn render_group(frame: &mut Frame, p: &Placed, t: &Tables, g: &Group, plan: &Plan) {
    let theme = t.theme;
    let fill = plan.fill_width(&fits(t.view)).unwrap_or(0);
    let ctx = cells_ctx(t, g, fill.into());
    let pick = |cells: &[Txt]| -> Vec<Cell<'static>> {
        plan.shown
            .iter()
            .map(|&(c, w)| {
                let txt = &cells[c];
                Cell::from(txt.fit(w.into())).style(txt.style)
            })
            .collect()
    };
    let mut rows = group_rows(&ctx, g);
    // The BACKEND row under the cursor (its actions act on each of its servers): its name
    // reversed, as a selected server's is.
    let backend_selected = t.servers.selected_row() == Some(ListRow::Backend(g.b));
    if let (true, Some((cells, _))) = (backend_selected, rows.last_mut()) {
        cells[0] = Txt::new("BACKEND").or("BE").style(theme.selected());
    }
    let rows: Vec<Row> = rows
        .iter()
        .map(|(cells, total)| {
            let row = Row::new(pick(cells));
            if *total {
                row.style(theme.aggregate())
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = plan
        .shown
        .iter()
        .map(|&(_, w)| Constraint::Length(w))
        .collect();
    let hidden = t.servers.hidden_in(t.view, t.stats, g.b);
    let table = Table::new(rows, widths)
        .header(Row::new(pick(&header_cells(t, g.backend.mode))).style(theme.table_header()))
        .block(group_block(theme, t.view, g.backend, p.rect.width, hidden))
        .row_highlight_style(Style::new().add_modifier(ratatui::style::Modifier::BOLD))
        .highlight_symbol("▶ ")
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::new()
        .with_offset(p.offset)
        .with_selected(g.selected_row(t.servers.selected_row()));
    frame.render_stateful_widget(table, p.rect, &mut state);
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

/// ` hoge 1 of 2 up  http roundrobin ` on the left, session counts on the right; what does
/// not fit in `width` goes whole, the least important first, and the name and the badge stay.
fn group_block(
    theme: Theme,
    view: View,
    backend: &BackendSnap,
    width: u16,
    hidden: usize,
) -> Block<'static> {
    let (badge, up) = fmt::backend_badge(backend);
    let style = if up {
        theme.up_count(backend.up_count(), backend.servers.len())
    } else {
        theme.proxy_status(false)
    };
    let mut left = vec![
        Span::styled(format!(" {} ", backend.name), theme.title()),
        Span::styled(badge, style),
        Span::raw(" "),
    ];
    let mut extra = vec![Span::raw(format!(
        " {} {} ",
        backend.mode,
        backend.balance.as_str()
    ))];
    if hidden > 0 {
        extra.insert(
            0,
            Span::styled(format!(" {hidden} UP hidden "), theme.warn()),
        );
    }
    let mut right: Vec<String> = match (view, backend.mode) {
        (View::Http, Mode::Tcp) => vec![" tcp: no HTTP here; latency = whole connection ".into()],
        _ => vec![
            format!(" cur {}", backend.cur_sessions),
            format!("  total {}", backend.total_sessions),
            format!("  queue {} ", backend.queue),
        ],
    };
    // Corners, and a gap between the two titles.
    let room = usize::from(width).saturating_sub(3);
    let spans_width = |s: &[Span]| s.iter().map(Span::width).sum::<usize>();
    let right_width = |r: &[String]| r.iter().map(|s| columns::width(s)).sum::<usize>();
    if spans_width(&left) + right_width(&right) > room && right.len() == 1 {
        right = vec![" tcp: no HTTP ".into()];
    }
    let least_right = right.first().map_or(0, |s| columns::width(s));
    for span in extra {
        if spans_width(&left) + span.width() + least_right <= room {
            left.push(span);
        }
    }
    // Totals go before the queue, the queue before current sessions (one cell kept for the
    // space before the corner).
    while !right.is_empty() && spans_width(&left) + right_width(&right) + 1 > room {
        let drop = if right.len() == 3 { 1 } else { right.len() - 1 };
        right.remove(drop);
    }
    let mut right = right.concat();
    if !right.is_empty() && !right.ends_with(' ') {
        right.push(' ');
    }
    Block::bordered()
        .border_style(theme.border())
        .title_top(Line::from(left))
        .title_top(Line::from(right).right_aligned())
}

#[cfg(test)]
mod tests {
    use super::cols::*;
    use super::place::first_visible;
    use super::*;
    use crate::ui::servers::SortKey;

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
