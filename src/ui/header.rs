//! The top line: what is running, for how long, and how loaded.

use super::app::App;
use super::fmt;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    frame.render_widget(line(app), area);
}

fn line(app: &App) -> Line<'static> {
    let theme = app.theme;
    let mut spans = vec![Span::styled("lbtop", theme.title())];
    let Some(snap) = app.snapshot() else {
        spans.push(Span::styled("  waiting for the engine…", theme.dim()));
        return Line::from(spans);
    };
    spans.push(Span::raw(format!("  up {}  ", fmt::uptime(snap.uptime))));
    for fe in &snap.frontends {
        let badge = format!(" {} {} {} ", fe.name, fe.mode, fe.bind);
        spans.push(Span::styled(badge, theme.badge()));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(format!(
        " conns {}/{}",
        snap.cur_conns, snap.maxconn
    )));
    if app.has_demo() {
        let state = if app.traffic_running() { "on" } else { "off" };
        spans.push(Span::raw(format!("  traffic {state}")));
    }
    // Dropped records mean the log pane is missing traffic lines; say so rather than hide it.
    if snap.sessions_dropped > 0 {
        let text = format!("  {} log records dropped", snap.sessions_dropped);
        spans.push(Span::styled(text, theme.warn()));
    }
    Line::from(spans)
}
