//! The whole frame: header, the current view, the log pane, the footer, and popups on top.

use super::app::{App, View};
use super::{footer, header, help, status};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Below this the tables and the log pane cannot both make sense.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, app);
        return;
    }
    let [top, body, logs, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Percentage(40),
        Constraint::Length(2),
    ])
    .areas(area);
    header::render(frame, top, app);
    match app.view {
        View::Status => status::render(frame, body, app),
    }
    app.log.render(frame, logs, app.theme);
    footer::render(frame, bottom, app);
    if app.show_help {
        help::render(frame, area, app);
    }
}

fn too_small(frame: &mut Frame, area: Rect, app: &App) {
    let lines = vec![
        Line::from(format!(
            "terminal too small: {}x{}",
            area.width, area.height
        )),
        Line::from(format!("lbtop needs at least {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::from("(q quits)"),
    ];
    let middle = area.centered_vertically(Constraint::Length(lines.len() as u16));
    let msg = Paragraph::new(lines)
        .centered()
        .style(app.theme.warn())
        .wrap(Wrap { trim: true });
    frame.render_widget(msg, middle);
}
