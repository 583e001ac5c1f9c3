//! Where each backend's table goes in the body, and which row is drawn where: drawing and
//! clicks both use this, so a click lands on the row drawn under it.

use super::{groups, note, Group, Tables, TABLE_CHROME};
use crate::events::ServerId;
use crate::ui::nodes;
use crate::ui::servers::Row;
use ratatui::layout::Rect;

/// A row of a server table, as a click finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowId {
    Frontend(usize),
    Server(ServerId),
    Backend(usize),
}

/// Where the server views put their parts in the body: the tables, a note under them and,
/// attached, the nodes panel at the bottom.
pub(super) struct Parts {
    pub(super) tables: Rect,
    pub(super) note: Option<Rect>,
    pub(super) panel: Option<Rect>,
}

pub(super) fn parts(area: Rect, t: &Tables) -> Parts {
    // Whether the note fits is judged on the whole body, the nodes panel included.
    let note = note(t.view, t.stats.attached()).filter(|_| area.height > 8);
    let mut tables = area;
    let panel = t.stats.fleet().map(|fleet| {
        let h = nodes::height(fleet).min(area.height / 2);
        tables.height -= h;
        Rect {
            y: area.bottom() - h,
            height: h,
            ..area
        }
    });
    let note = note.filter(|_| tables.height > 1).map(|_| {
        tables.height -= 1;
        Rect {
            y: tables.bottom(),
            height: 1,
            ..tables
        }
    });
    Parts {
        tables,
        note,
        panel,
    }
}

/// One backend's table on screen: which group, where, and its first row shown when it
/// scrolls (kept so the selected row shows).
pub(super) struct Placed {
    pub(super) g: usize,
    pub(super) rect: Rect,
    pub(super) offset: usize,
}

/// Where each table goes: drawing and clicks both use this, so a click lands on the row
/// drawn under it.
pub(super) fn place(area: Rect, groups: &[Group], selected: Option<Row>) -> Vec<Placed> {
    let heights: Vec<u16> = groups.iter().map(Group::height).collect();
    let with_selection = selected
        .and_then(|r| groups.iter().position(|g| g.b == r.backend()))
        .unwrap_or(0);
    let first = first_visible(&heights, area.height, with_selection);
    let mut placed = Vec::new();
    let mut y = area.y;
    for (g, group) in groups.iter().enumerate().skip(first) {
        let left = area.bottom().saturating_sub(y);
        if left < TABLE_CHROME {
            break;
        }
        let h = heights[g].min(left);
        let rows = usize::from(h - TABLE_CHROME);
        let offset = group
            .selected_row(selected)
            .map_or(0, |i| (i + 1).saturating_sub(rows));
        let rect = Rect {
            y,
            height: h,
            ..area
        };
        placed.push(Placed { g, rect, offset });
        y += h;
    }
    placed
}

/// The table row drawn at `(x, y)` of a frame whose server view body is `area`.
pub fn row_at(area: Rect, t: &Tables, x: u16, y: u16) -> Option<RowId> {
    let snap = t.stats.snapshot()?;
    let groups = groups(t.view, t.stats, t.servers, snap);
    place(parts(area, t).tables, &groups, t.servers.selected_row())
        .into_iter()
        .find_map(|p| {
            // Inside the borders, below the header row.
            let inner = p.rect.inner(ratatui::layout::Margin::new(1, 1));
            let inside = (inner.left()..inner.right()).contains(&x)
                && (inner.top() + 1..inner.bottom()).contains(&y);
            inside
                .then(|| groups[p.g].row(p.offset + usize::from(y - inner.top() - 1)))
                .flatten()
        })
}

/// The first group to draw so the selected one is on screen: scroll whole tables, and let
/// the table itself scroll rows when one group alone is taller than the area.
pub(super) fn first_visible(heights: &[u16], avail: u16, selected: usize) -> usize {
    let selected = selected.min(heights.len().saturating_sub(1));
    let mut first = 0;
    while first < selected && heights[first..=selected].iter().sum::<u16>() > avail {
        first += 1;
    }
    first
}
