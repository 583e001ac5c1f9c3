//! The whole frame: header, the current view, a strip of recent events, the footer, and
//! popups (help, a confirmation) on top.

use super::app::App;
use super::{decisions, footer, header, help, table};
use crate::keys::View;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

/// Below this the tables cannot make sense.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Lines of the events strip under the non-log views, by terminal height.
fn strip_height(height: u16) -> u16 {
    match height {
        0..=19 => 0,
        20..=29 => 4,
        30..=39 => 6,
        _ => 8,
    }
}

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, app);
        return;
    }
    // Header and footer take two lines each; the view and the events strip share the rest.
    // A server view takes what its tables need and leaves the remainder to the events.
    let avail = area.height.saturating_sub(4);
    let strip = match app.view {
        View::Log => 0,
        View::L4L7 => strip_height(area.height),
        _ if strip_height(area.height) == 0 => 0,
        view => {
            let body = table::height_needed(app, view)
                .min(avail.saturating_sub(strip_height(area.height)))
                .max(4);
            avail.saturating_sub(body)
        }
    };
    let [top, body, events, bottom] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(strip),
        Constraint::Length(2),
    ])
    .areas(area);
    header::render(frame, top, app);
    match app.view {
        View::Status | View::Traffic | View::Http | View::Errors => {
            table::render(frame, body, app, app.view)
        }
        View::L4L7 => decisions::render(frame, body, app),
        View::Log => app.log.render(frame, body, app.theme, log_title(app)),
    }
    if strip > 0 {
        app.log.render_strip(frame, events, app.theme);
    }
    footer::render(frame, bottom, app);
    if app.show_help {
        help::render(frame, area, app);
    }
    if app.confirm().is_some() {
        confirm(frame, area, app);
    }
}

fn log_title(app: &App) -> Line<'static> {
    let theme = app.theme;
    let mut spans = vec![Span::styled(" log ", theme.title())];
    if app.traffic_capture() {
        spans.push(Span::styled(" traffic capture ON ", theme.badge()));
    } else {
        let key = app.keymap().label(crate::keys::Action::CaptureTraffic);
        spans.push(Span::styled(
            format!(" traffic capture off ({key} turns it on) "),
            theme.dim(),
        ));
    }
    if app.log_paused() {
        spans.push(Span::styled(" PAUSED (Esc follows) ", theme.stale()));
    }
    Line::from(spans)
}

/// k9s-style: a box in the middle, `y` goes ahead, anything else backs out.
fn confirm(frame: &mut Frame, area: Rect, app: &App) {
    let Some(c) = app.confirm() else {
        return;
    };
    let theme = app.theme;
    let lines = vec![
        Line::styled(c.question.clone(), theme.popup()),
        Line::raw(""),
        Line::raw(c.detail.clone()),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" y ", theme.badge()),
            Span::raw(" yes, go ahead     "),
            Span::styled(" n/Esc ", theme.badge()),
            Span::raw(" no, leave it"),
        ]),
    ];
    let popup = area.centered(Constraint::Max(64), Constraint::Length(9));
    let block = Block::bordered()
        .title(format!(" confirm {} ", c.title))
        .border_style(theme.popup());
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        popup,
    );
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
