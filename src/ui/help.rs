//! The help popup, written from the keymap in force, so it lists exactly the keys that exist:
//! the keys that work everywhere, then this view's own, then the status legend.

use super::input::KeysInForce;
use super::status::PENDING;
use super::theme::Theme;
use crate::events::ServerStatus;
use crate::keys::{label, Scope, View};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

/// Every status, in the order of HAProxy's stats legend.
const LEGEND: [ServerStatus; 8] = [
    ServerStatus::Up,
    ServerStatus::GoingDown { x: 1, y: 2 },
    ServerStatus::GoingUp { x: 1, y: 2 },
    ServerStatus::Down,
    ServerStatus::Nolb,
    ServerStatus::Drain,
    ServerStatus::Maint,
    ServerStatus::NoCheck,
];

/// Wide enough for two columns side by side.
const TWO_COLUMNS: u16 = 110;

/// What the help popup lists: the keys in force on a view, scrolled by some lines.
#[derive(Clone, Copy)]
pub struct Help<'a> {
    pub theme: Theme,
    pub view: View,
    pub keys: KeysInForce<'a>,
    /// Lines asked to scroll by; drawing stops at the last line.
    pub scroll: u16,
}

pub fn render(frame: &mut Frame, area: Rect, h: &Help) {
    let global = section(h, Scope::ALL);
    let mut local = section(h, view_scope(h.view));
    local.extend(notes(h));
    let wide = area.width >= TWO_COLUMNS;
    let body_height = if wide {
        global.len().max(local.len())
    } else {
        global.len() + local.len()
    } as u16;
    let legend = legend_lines(h.theme);
    let height = (body_height + legend.len() as u16 + 2).min(area.height);
    let width = if wide {
        area.width.saturating_sub(4).min(160)
    } else {
        80
    };
    let popup = area.centered(Constraint::Max(width), Constraint::Length(height));
    let inner_height = height.saturating_sub(2 + legend.len() as u16);
    let overflow = body_height.saturating_sub(inner_height);
    let scroll = h.scroll.min(overflow);
    let hint = if overflow > 0 {
        " ↑↓ scroll · Esc or ? to close "
    } else {
        " Esc or ? to close "
    };
    let block = Block::bordered()
        .title(format!(" help: {} view ", h.view.title()))
        .title_bottom(Line::from(hint).right_aligned())
        .border_style(h.theme.key());
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
        View::Config => Scope::CONFIG,
        _ => Scope::SERVERS,
    }
}

/// A heading, then one line per binding that works in `view` with exactly this scope (or,
/// for the view's section, any narrower scope that includes the view).
fn section(h: &Help, scope: Scope) -> Vec<Line<'static>> {
    let (theme, view) = (h.theme, h.view);
    let heading = if scope == Scope::ALL {
        "everywhere".to_string()
    } else {
        format!("{} view", view.title())
    };
    let mut lines = vec![Line::styled(format!(" {heading}"), theme.title())];
    for (b, keys) in h.keys.map.bindings() {
        let global = b.scope == Scope::ALL;
        if global != (scope == Scope::ALL) || !b.scope.contains(view) {
            continue;
        }
        if b.action.is_demo() && !h.keys.demo {
            continue;
        }
        let keys = if keys.is_empty() {
            "(unbound)".to_string()
        } else {
            label(keys)
        };
        let mut style = ratatui::style::Style::new();
        if h.keys.read_only && b.action.mutates() {
            style = theme.dim();
        }
        lines.push(Line::from(vec![
            Span::styled(format!(" {keys:>10}  "), theme.key()),
            Span::styled(b.help, style),
        ]));
    }
    lines
}

fn notes(h: &Help) -> Vec<Line<'static>> {
    let theme = h.theme;
    let mut lines = Vec::new();
    if h.view.has_servers() {
        lines.push(Line::styled(
            "  maint asks first: y confirms, any other key cancels",
            theme.dim(),
        ));
        lines.push(Line::styled(
            "  filter: type, Enter keeps it, Esc clears it",
            theme.dim(),
        ));
    }
    lines.push(Line::styled(
        "  mouse: click a row or a tab, the wheel scrolls; Shift+drag selects text",
        theme.dim(),
    ));
    if h.keys.read_only {
        lines.push(Line::styled(
            " read-only: actions are disabled (dimmed above)",
            theme.error(),
        ));
    }
    lines
}

/// The status colours, each spelled out, as on HAProxy's stats page.
fn legend_lines(theme: Theme) -> Vec<Line<'static>> {
    let mut spans = vec![Span::raw(" status: ")];
    for status in LEGEND {
        spans.push(Span::styled(status.to_string(), theme.status(status)));
        spans.push(Span::raw("  "));
    }
    vec![
        Line::raw(""),
        Line::from(spans),
        Line::styled(
            format!(
                " UP x/y: up, failing checks   DOWN x/y: down, passing checks   {PENDING} pending"
            ),
            theme.dim(),
        ),
        Line::styled(
            " NOLB: up, its check answers 404 (disable-on-404)   NOLB, DRAIN: no new clients",
            theme.dim(),
        ),
    ]
}
