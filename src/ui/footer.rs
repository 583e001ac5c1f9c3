//! The bottom two lines: the keys that work now, and the result of the last action.

use super::app::{App, Tone};
use super::keymap::BINDINGS;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let lines = vec![keys_line(app), status_line(app)];
    frame.render_widget(Paragraph::new(lines), area);
}

fn keys_line(app: &App) -> Line<'static> {
    let theme = app.theme;
    let mut spans = Vec::new();
    if app.read_only {
        spans.push(Span::styled(" read-only ", theme.badge()));
        spans.push(Span::raw(" "));
    }
    for b in BINDINGS {
        let Some((keys, word)) = b.footer else {
            continue;
        };
        // Only keys that would do something: no actions in read-only, no demo keys without a lab.
        if (app.read_only && b.action.mutates()) || (b.action.is_demo() && !app.has_demo()) {
            continue;
        }
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {word}  ")));
    }
    Line::from(spans)
}

fn status_line(app: &App) -> Line<'static> {
    let theme = app.theme;
    match app.status_line() {
        Some(s) => {
            let style = match s.tone {
                Tone::Info => ratatui::style::Style::new(),
                Tone::Ok => theme.ok(),
                Tone::Error => theme.error(),
            };
            Line::from(Span::styled(s.text.clone(), style))
        }
        None => Line::from(Span::styled("press ? for help", theme.dim())),
    }
}
