//! Drawing the prompt: the line being typed on the status line with a hint (or Tab's
//! choices) above it, and a long answer's pane over the view, as text.

use super::{Pane, Prompt};
use crate::ui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// The pane over `view` (the area between header and footer), then the prompt over the two
/// footer lines `bottom`.
pub fn render(frame: &mut Frame, view: Rect, bottom: Rect, theme: Theme, p: &Prompt, user: bool) {
    if let Some(pane) = p.pane() {
        render_pane(frame, view, theme, pane);
    }
    let Some(edit) = p.editing() else {
        return;
    };
    let [hint, line] = rows(bottom);
    frame.render_widget(Clear, bottom);
    let hint_text = if p.choices().is_empty() {
        let level = if user {
            " · read-only: runs at the user level"
        } else {
            ""
        };
        Line::from(Span::styled(
            format!("runtime API: Enter runs · Tab completes · ↑/↓ history · Esc cancels{level}"),
            theme.dim(),
        ))
    } else {
        Line::from(vec![
            Span::styled("Tab: ", theme.dim()),
            Span::raw(p.choices().join("  ")),
        ])
    };
    frame.render_widget(Paragraph::new(hint_text), hint);
    edit.render(frame, line, ":", theme.key());
}

fn rows(area: Rect) -> [Rect; 2] {
    let top = Rect { height: 1, ..area };
    let low = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1.min(area.height),
        ..area
    };
    [top, low]
}

/// How many answer lines the pane shows in `view`.
pub fn page(view: Rect) -> usize {
    view.height.saturating_sub(2) as usize
}

fn render_pane(frame: &mut Frame, area: Rect, theme: Theme, pane: &Pane) {
    let shown = page(area);
    let total = pane.lines.len();
    let top = pane.top.min(total.saturating_sub(shown.max(1)));
    let last = (top + shown).min(total);
    let title = Line::from(vec![
        Span::styled(format!(" :{} ", pane.line), theme.title()),
        Span::styled(
            format!(
                " lines {}-{last} of {total} · ↑/↓ PgUp/PgDn ←/→ scroll · Esc closes ",
                top + 1
            ),
            theme.dim(),
        ),
    ]);
    let lines: Vec<Line> = pane.lines[top..last]
        .iter()
        .map(|l| Line::from(l.chars().skip(pane.left).collect::<String>()))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(title);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
