//! The bottom two lines: the keys that work in this view (from the keymap in force), then the
//! result of the last action, the filter being typed, and how the view is sorted.

use super::app::{StatusLine, Tone};
use super::input::KeysInForce;
use super::servers::ServerList;
use super::theme::Theme;
use super::{columns, fmt};
use crate::keys::{Action, Binding, Keymap, Scope, View};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// What the footer shows: the keys of the view, the last action's result, the filter and
/// the sort.
#[derive(Clone, Copy)]
pub struct Footer<'a> {
    pub theme: Theme,
    pub view: View,
    pub keys: KeysInForce<'a>,
    pub status: Option<&'a StatusLine>,
    pub servers: &'a ServerList,
}

pub fn render(frame: &mut Frame, area: Rect, f: &Footer) {
    let width = usize::from(area.width);
    let [keys, status] = Layout::vertical([Constraint::Length(1); 2]).areas(area);
    frame.render_widget(Paragraph::new(keys_line(f, width)), keys);
    // The last message on the left, the list's state (filter, `!`, sort) on the right, each
    // in its own area: one never runs into the other.
    let state = list_state(f, width / 2);
    let state_width = state.width() as u16;
    let [message, _, right] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::from(state_width > 0) * 2),
        Constraint::Length(state_width),
    ])
    .areas(status);
    frame.render_widget(Paragraph::new(message_line(f, message.width)), message);
    frame.render_widget(Paragraph::new(state).right_aligned(), right);
}

/// The footer's items for a view: `(keys, word)`, only keys that would do something. This
/// view's own keys come first, then help and quit, then the rest (cut first when narrow).
pub fn items(keys: KeysInForce, view: View) -> Vec<(String, &'static str)> {
    let map = keys.map;
    let mut bindings: Vec<&Binding> = map
        .bindings()
        .map(|(b, _)| b)
        .filter(|b| b.scope.contains(view))
        .filter(|b| !(keys.read_only && b.action.mutates()))
        .filter(|b| !b.action.is_demo() || keys.demo)
        .filter(|b| !b.action.is_attach() || keys.attached)
        .collect();
    bindings.sort_by_key(|b| match b.action {
        _ if b.scope != Scope::ALL => 0,
        Action::Help | Action::Quit => 1,
        _ => 2,
    });
    bindings
        .into_iter()
        .filter_map(|b| Some((footer_label(map, b)?, b.footer?)))
        .collect()
}

/// The keys that fit `width`: help and quit always, then the others in order while they fit.
fn keys_line(f: &Footer, width: usize) -> Line<'static> {
    let theme = f.theme;
    let mut spans = Vec::new();
    let mut used = 0;
    if f.keys.read_only {
        spans.push(Span::styled(" read-only ", theme.badge()));
        spans.push(Span::raw(" "));
        used += 12;
    }
    let items = items(f.keys, f.view);
    let cost = |(keys, word): &(String, &str)| columns::width(keys) + columns::width(word) + 3;
    let kept: usize = items
        .iter()
        .filter(|(_, word)| KEPT.contains(word))
        .map(cost)
        .sum();
    used += kept;
    for item in items {
        let always = KEPT.contains(&item.1);
        if !always {
            if used + cost(&item) > width {
                continue;
            }
            used += cost(&item);
        }
        spans.push(Span::styled(item.0, theme.key()));
        spans.push(Span::raw(format!(" {}  ", item.1)));
    }
    Line::from(spans)
}

/// Footer words that are always shown, however narrow: how to learn the rest and leave.
const KEPT: [&str; 2] = ["help", "quit"];

fn first(map: &Keymap, action: Action) -> Option<String> {
    map.keys(action).first().map(ToString::to_string)
}

/// Pairs read as one item: `j/k select`, `+/- weight`, `1-7/Tab views`.
fn footer_label(map: &Keymap, b: &Binding) -> Option<String> {
    b.footer?;
    let pair = |a: Action, z: Action| match (first(map, a), first(map, z)) {
        (Some(a), Some(z)) => Some(format!("{a}/{z}")),
        (a, z) => a.or(z),
    };
    match b.action {
        Action::Down => pair(Action::Down, Action::Up),
        Action::WeightDown => pair(Action::WeightUp, Action::WeightDown),
        Action::LogDown => pair(Action::LogDown, Action::LogUp),
        Action::LogMore => pair(Action::LogLess, Action::LogMore),
        Action::LogCaptureMore => pair(Action::LogCaptureMore, Action::LogCaptureLess),
        Action::LogPageDown => pair(Action::LogPageUp, Action::LogPageDown),
        Action::NextView => {
            let views: Vec<String> = [
                Action::ViewStatus,
                Action::ViewTraffic,
                Action::ViewHttp,
                Action::ViewErrors,
                Action::ViewL4L7,
                Action::ViewLog,
                Action::ViewConfig,
            ]
            .iter()
            .filter_map(|&a| first(map, a))
            .collect();
            let numbered = views == ["1", "2", "3", "4", "5", "6", "7"];
            let views = if numbered {
                "1-7".to_string()
            } else {
                views.join("")
            };
            match first(map, Action::NextView) {
                Some(tab) if views.is_empty() => Some(tab),
                Some(tab) => Some(format!("{views}/{tab}")),
                None => Some(views).filter(|v| !v.is_empty()),
            }
        }
        action => first(map, action),
    }
}

/// The filter being typed, or the last action's result, cut with `…` to `width`.
fn message_line(f: &Footer, width: u16) -> Line<'static> {
    let theme = f.theme;
    let (filter, editing) = f.servers.filter();
    if editing {
        return Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(filter.to_string()),
            Span::styled("▏", theme.key()),
            Span::styled("  Enter keeps the filter, Esc clears it", theme.dim()),
        ]);
    }
    let width = usize::from(width);
    match f.status {
        Some(s) => {
            let style = match s.tone {
                Tone::Info => Style::new(),
                Tone::Ok => theme.ok(),
                Tone::Error => theme.error(),
            };
            Line::styled(fmt::clip(&s.text, width), style)
        }
        None => Line::styled("press ? for help", theme.dim()),
    }
}

/// How the server list stands, in at most `room` cells: the kept filter, `!`, then the sort
/// (shorter, then left out, when there is no room).
fn list_state(f: &Footer, room: usize) -> Line<'static> {
    let theme = f.theme;
    if !f.view.has_servers() {
        return Line::default();
    }
    let mut parts: Vec<(Vec<String>, Style)> = Vec::new();
    let (filter, editing) = f.servers.filter();
    if !filter.is_empty() && !editing {
        parts.push((vec![format!(" filter /{filter} ")], theme.badge()));
    }
    if f.servers.down_only() {
        parts.push((vec![" ! not UP only ".into(), " ! ".into()], theme.badge()));
    }
    let sort = f.servers.sort(f.view);
    if let Some(key) = sort.key {
        let dir = if sort.reverse {
            "reversed"
        } else {
            key.direction()
        };
        let full = format!("sorted by {} ({dir})", key.title());
        parts.push((
            vec![full, format!("sorted by {}", key.title())],
            theme.dim(),
        ));
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    for (forms, style) in parts {
        let gap = usize::from(!spans.is_empty());
        let Some(text) = forms
            .into_iter()
            .find(|t| used + gap + columns::width(t) <= room)
        else {
            continue;
        };
        if gap == 1 {
            spans.push(Span::raw(" "));
        }
        used += gap + columns::width(&text);
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}
