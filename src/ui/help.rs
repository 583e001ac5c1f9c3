//! The help popup, written from the keymap in force, so it lists exactly the keys that exist:
//! the keys that work everywhere, then this view's own, then the status legend.

use super::app::App;
use super::status::PENDING;
use crate::events::ServerStatus;
use crate::keys::{label, Scope, View};
use ratatui::layout::{Constraint, Layout, Rect};
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

/// Wide enough for two columns side by side.
const TWO_COLUMNS: u16 = 110;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let global = section(app, Scope::ALL, app.view);
    let mut local = section(app, view_scope(app.view), app.view);
    local.extend(notes(app));
    let wide = area.width >= TWO_COLUMNS;
    let body_height = if wide {
        global.len().max(local.len())
    } else {
        global.len() + local.len()
    } as u16;
    let legend = legend_lines(app);
    let height = (body_height + legend.len() as u16 + 2).min(area.height);
    let width = if wide {
        area.width.saturating_sub(4).min(160)
    } else {
        80
    };
    let popup = area.centered(Constraint::Max(width), Constraint::Length(height));
    let inner_height = height.saturating_sub(2 + legend.len() as u16);
    let overflow = body_height.saturating_sub(inner_height);
    let scroll = app.help_scroll().min(overflow);
    let hint = if overflow > 0 {
        " ↑↓ scroll · Esc or ? to close "
    } else {
        " Esc or ? to close "
    };
    let block = Block::bordered()
        .title(format!(" help: {} view ", app.view.title()))
        .title_bottom(Line::from(hint).right_aligned())
        .border_style(app.theme.key());
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [body, foot] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(legend.len() as u16)])
            .areas(inner);
    // Not wrapped: on a narrow screen a cut-off sentence reads better than broken columns.
    if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(body);
        frame.render_widget(Paragraph::new(global).scroll((scroll, 0)), left);
        frame.render_widget(Paragraph::new(local).scroll((scroll, 0)), right);
    } else {
        let mut all = global;
        all.extend(local);
        frame.render_widget(Paragraph::new(all).scroll((scroll, 0)), body);
    }
    frame.render_widget(Paragraph::new(legend), foot);
}

/// The scope whose keys a view adds to the global ones.
fn view_scope(view: View) -> Scope {
    match view {
        View::L4L7 => Scope::L4L7,
        View::Log => Scope::LOG,
        _ => Scope::SERVERS,
    }
}

/// A heading, then one line per binding that works in `view` with exactly this scope (or,
/// for the view's section, any narrower scope that includes the view).
fn section(app: &App, scope: Scope, view: View) -> Vec<Line<'static>> {
    let theme = app.theme;
    let heading = if scope == Scope::ALL {
        "everywhere".to_string()
    } else {
        format!("{} view", view.title())
    };
    let mut lines = vec![Line::styled(format!(" {heading}"), theme.title())];
    for (b, keys) in app.keymap().bindings() {
        let global = b.scope == Scope::ALL;
        if global != (scope == Scope::ALL) || !b.scope.contains(view) {
            continue;
        }
        if b.action.is_demo() && !app.has_demo() {
            continue;
        }
        let keys = if keys.is_empty() {
            "(unbound)".to_string()
        } else {
            label(keys)
        };
        let mut style = ratatui::style::Style::new();
        if app.read_only && b.action.mutates() {
            style = theme.dim();
        }
        lines.push(Line::from(vec![
            Span::styled(format!(" {keys:>10}  "), theme.key()),
            Span::styled(b.help, style),
        ]));
    }
    lines
}

fn notes(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let mut lines = Vec::new();
    if app.view.has_servers() {
        lines.push(Line::styled(
            "  maint asks first: y confirms, any other key cancels",
            theme.dim(),
        ));
        lines.push(Line::styled(
            "  filter: type, Enter keeps it, Esc clears it",
            theme.dim(),
        ));
    }
    if app.read_only {
        lines.push(Line::styled(
            " read-only: actions are disabled (dimmed above)",
            theme.error(),
        ));
    }
    lines
}

/// The status colours, each spelled out, as on HAProxy's stats page.
fn legend_lines(app: &App) -> Vec<Line<'static>> {
    let mut spans = vec![Span::raw(" status: ")];
    for status in LEGEND {
        spans.push(Span::styled(status.to_string(), app.theme.status(status)));
        spans.push(Span::raw("  "));
    }
    vec![
        Line::raw(""),
        Line::from(spans),
        Line::styled(
            format!(
                " UP x/y: up, failing checks   DOWN x/y: down, passing checks   {PENDING} pending"
            ),
            app.theme.dim(),
        ),
    ]
}
