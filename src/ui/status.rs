//! The status view: one table per backend, one row per server, like HAProxy's stats page.

use super::app::App;
use super::fmt;
use crate::events::{BackendSnap, ServerId, ServerSnap};
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use ratatui::Frame;

/// Shown beside the status while an admin action waits for the engine.
pub const PENDING: &str = "…";

const HEADERS: [&str; 11] = [
    "server",
    "status",
    "last check",
    "wght",
    "bck",
    "cur",
    "total",
    "req/s",
    "in",
    "out",
    "address",
];

const WIDTHS: [Constraint; 11] = [
    Constraint::Length(12),
    Constraint::Length(11),
    Constraint::Length(17),
    Constraint::Length(4),
    Constraint::Length(3),
    Constraint::Length(5),
    Constraint::Length(8),
    Constraint::Length(7),
    Constraint::Length(7),
    Constraint::Length(7),
    Constraint::Fill(1),
];

/// Borders and the header row around a backend's servers.
const TABLE_CHROME: u16 = 3;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let Some(snap) = app.snapshot() else {
        let msg = Paragraph::new("waiting for the first snapshot…").style(app.theme.dim());
        frame.render_widget(msg, area);
        return;
    };
    let heights: Vec<u16> = snap
        .backends
        .iter()
        .map(|b| b.servers.len() as u16 + TABLE_CHROME)
        .collect();
    let selected = app.selected().map_or(0, |id| id.backend);
    let first = first_visible(&heights, area.height, selected);
    let mut y = area.y;
    for (b, backend) in snap.backends.iter().enumerate().skip(first) {
        let left = area.bottom().saturating_sub(y);
        if left < TABLE_CHROME {
            break;
        }
        let h = heights[b].min(left);
        render_backend(
            frame,
            Rect {
                y,
                height: h,
                ..area
            },
            app,
            b,
            backend,
        );
        y += h;
    }
}

/// The first backend to draw so the selected one is on screen: scroll whole tables, and let
/// the table itself scroll rows when one backend alone is taller than the area.
fn first_visible(heights: &[u16], avail: u16, selected: usize) -> usize {
    let selected = selected.min(heights.len().saturating_sub(1));
    let mut first = 0;
    while first < selected && heights[first..=selected].iter().sum::<u16>() > avail {
        first += 1;
    }
    first
}

fn render_backend(frame: &mut Frame, area: Rect, app: &App, b: usize, backend: &BackendSnap) {
    let theme = app.theme;
    let rows = backend.servers.iter().enumerate().map(|(s, server)| {
        let id = ServerId {
            backend: b,
            server: s,
        };
        server_row(app, id, server)
    });
    let header = Row::new(HEADERS).style(theme.table_header());
    let table = Table::new(rows, WIDTHS)
        .header(header)
        .block(backend_block(app, backend))
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ")
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::default();
    if let Some(id) = app.selected().filter(|id| id.backend == b) {
        state.select(Some(id.server));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// ` hoge 1/2 UP  http roundrobin ` on the left, session counts on the right.
fn backend_block(app: &App, backend: &BackendSnap) -> Block<'static> {
    let theme = app.theme;
    let up = theme.up_count(backend.up_count(), backend.servers.len());
    let title = Line::from(vec![
        Span::styled(format!(" {} ", backend.name), theme.title()),
        Span::styled(backend.up_label(), up),
        Span::raw(format!("  {} {} ", backend.mode, backend.balance.as_str())),
    ]);
    let counts = format!(
        " cur {}  total {}  queue {} ",
        backend.cur_sessions, backend.total_sessions, backend.queue
    );
    Block::bordered()
        .border_style(theme.border())
        .title_top(title)
        .title_top(Line::from(counts).right_aligned())
}

fn server_row(app: &App, id: ServerId, server: &ServerSnap) -> Row<'static> {
    let mut status = server.status.to_string();
    if app.is_pending(id) {
        status = format!("{status} {PENDING}");
    }
    let check = server.last_check.map(|c| c.to_string()).unwrap_or_default();
    let cells = vec![
        Cell::from(server.name.clone()),
        Cell::from(status).style(app.theme.status(server.status)),
        Cell::from(check),
        Cell::from(server.weight.to_string()),
        Cell::from(if server.backup { "Y" } else { "-" }),
        Cell::from(server.cur_sessions.to_string()),
        Cell::from(server.total_sessions.to_string()),
        Cell::from(fmt::rate(app.rate(id))),
        Cell::from(fmt::bytes(server.bytes_in)),
        Cell::from(fmt::bytes(server.bytes_out)),
        Cell::from(server.addr.to_string()),
    ];
    Row::new(cells)
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
}
