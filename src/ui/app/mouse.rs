//! The mouse: a click selects the server row under it or switches to the tab under it; the
//! wheel moves the selection (server views), pages the log (view 6), scrolls the config
//! (view 7) or the help popup. Where rows and tabs are comes from the drawing code's own
//! layout functions.

use super::App;
use crate::keys::View;
use crate::ui::header;
use crate::ui::layout;
use crate::ui::servers::Row;
use crate::ui::table::{self, RowId, Tables};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use tui_logger::TuiWidgetEvent;

impl App {
    /// A mouse event from the terminal. Returns whether anything on screen changed.
    pub fn on_mouse(&mut self, m: MouseEvent) -> bool {
        // The wheel scrolls the help popup; a question is answered with keys.
        if self.show_help {
            let by: i32 = match m.kind {
                MouseEventKind::ScrollDown => 1,
                MouseEventKind::ScrollUp => -1,
                _ => return false,
            };
            self.help_scroll = (i32::from(self.help_scroll) + by).clamp(0, 200) as u16;
            return true;
        }
        // A question, the `:` prompt or its answer pane, and a search being typed take keys
        // only; what is under them is not what the click would hit.
        let typing = self.prompt.editing().is_some() || self.log_search.editing().is_some();
        if self.admin.confirm().is_some() || typing || self.prompt.pane().is_some() {
            return false;
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.wheel(1),
            MouseEventKind::ScrollUp => self.wheel(-1),
            MouseEventKind::Down(MouseButton::Left) => self.click(m.column, m.row),
            _ => false,
        }
    }

    fn wheel(&mut self, by: isize) -> bool {
        match self.view {
            // The search's results replace the log's pages while it is on.
            View::Log if self.log_search.active() => return false,
            View::Log if by < 0 => self.log.page_up(),
            View::Log => self.log.transition(TuiWidgetEvent::NextPageKey),
            View::L4L7 => return false,
            _ => self.move_selection(by),
        }
        true
    }

    fn click(&mut self, x: u16, y: u16) -> bool {
        let Some(size) = self.size else {
            return false;
        };
        let Some(areas) = layout::areas(size, self.view, || self.tables_height()) else {
            return false;
        };
        if y == areas.top.y + header::TABS_LINE {
            if let Some(view) =
                header::tab_at(self.view, areas.top.width, x.saturating_sub(areas.top.x))
            {
                self.show(view);
                return true;
            }
            return false;
        }
        let position = ratatui::layout::Position { x, y };
        if !self.view.has_servers() || !areas.body.contains(position) {
            return false;
        }
        let tables = Tables {
            theme: self.theme,
            view: self.view,
            stats: &self.stats,
            servers: &self.servers,
            admin: &self.admin,
            node: self.node,
        };
        let row = match table::row_at(areas.body, &tables, x, y) {
            Some(RowId::Server(id)) => Row::Server(id),
            // A BACKEND row: its actions act on each of its servers.
            Some(RowId::Backend(b)) => Row::Backend(b),
            // FRONTEND rows: nothing to act on.
            Some(RowId::Frontend(_)) | None => return false,
        };
        self.servers.select(self.view, &self.stats, row)
    }
}
