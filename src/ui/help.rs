//! The help popup, written from the keymap table so it lists exactly the keys that exist.

use super::app::App;
use super::keymap::BINDINGS;
use super::status::PENDING;
use crate::events::ServerStatus;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

/// Every status, in the order of HAProxy's stats legend.
const LEGEND: [ServerStatus; 7] = [
    ServerStatus::Up,
    ServerStatus::GoingDown { x: 1, y: 2 },
    ServerStatus::GoingUp { x: 1, y: 2 },
    ServerStatus::Down,
    ServerStatus::Drain,
    ServerStatus::Maint,
    ServerStatus::NoCheck,
];

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let lines = lines(app);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Max(76), Constraint::Length(height));
    let block = Block::bordered()
        .title(" help ")
        .title_bottom(Line::from(" Esc or ? to close ").right_aligned())
        .border_style(app.theme.key());
    frame.render_widget(Clear, popup);
    // Not wrapped: on a narrow screen a cut-off sentence reads better than broken columns.
    let text = Paragraph::new(lines).block(block);
    frame.render_widget(text, popup);
}

fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:>8}  ", b.label), theme.key()),
                Span::raw(b.help),
            ])
        })
        .collect();
    if app.read_only {
        let refused: Vec<&str> = BINDINGS
            .iter()
            .filter(|b| b.action.mutates())
            .map(|b| b.label)
            .collect();
        let text = format!(" read-only: {} are disabled", refused.join(" "));
        lines.push(Line::styled(text, theme.error()));
    }
    lines.push(Line::raw(""));
    lines.push(legend(app));
    lines.push(Line::styled(
        format!(" UP x/y: up, failing checks   DOWN x/y: down, passing checks   {PENDING} pending"),
        theme.dim(),
    ));
    lines
}

/// The status colours, each spelled out, as on HAProxy's stats page.
fn legend(app: &App) -> Line<'static> {
    let mut spans = vec![Span::raw(" status: ")];
    for status in LEGEND {
        spans.push(Span::styled(status.to_string(), app.theme.status(status)));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}
