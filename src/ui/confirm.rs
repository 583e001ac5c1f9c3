//! The question before maintenance, k9s-style: a box in the middle, `y` goes ahead, anything
//! else backs out.

use super::admin::Confirm;
use super::theme::Theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, theme: Theme, c: &Confirm) {
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
