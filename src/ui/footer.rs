//! The bottom two lines: the keys that work in this view (from the keymap in force), then the
//! result of the last action, the filter being typed, and how the view is sorted.

use super::app::{StatusLine, Tone};
use super::input::KeysInForce;
use super::servers::ServerList;
use super::theme::Theme;
use crate::keys::{Action, Binding, Keymap, Scope, View};
use ratatui::layout::Rect;
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
    let lines = vec![keys_line(f), status_line(f)];
    frame.render_widget(Paragraph::new(lines), area);
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

fn keys_line(f: &Footer) -> Line<'static> {
    let theme = f.theme;
    let mut spans = Vec::new();
    if f.keys.read_only {
        spans.push(Span::styled(" read-only ", theme.badge()));
        spans.push(Span::raw(" "));
    }
    for (keys, word) in items(f.keys, f.view) {
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {word}  ")));
    }
    Line::from(spans)
}

fn first(map: &Keymap, action: Action) -> Option<String> {
    map.keys(action).first().map(ToString::to_string)
}

/// Pairs read as one item: `j/k select`, `+/- weight`, `1-6/Tab views`.
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
            ]
            .iter()
            .filter_map(|&a| first(map, a))
            .collect();
            let numbered = views == ["1", "2", "3", "4", "5", "6"];
            let views = if numbered {
                "1-6".to_string()
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

fn status_line(f: &Footer) -> Line<'static> {
    let theme = f.theme;
    let mut spans = Vec::new();
    let (filter, editing) = f.servers.filter();
    if editing {
        spans.push(Span::styled("/", theme.key()));
        spans.push(Span::raw(filter.to_string()));
        spans.push(Span::styled("▏", theme.key()));
        spans.push(Span::styled(
            "  Enter keeps the filter, Esc clears it",
            theme.dim(),
        ));
        return Line::from(spans);
    }
    match f.status {
        Some(s) => {
            let style = match s.tone {
                Tone::Info => Style::new(),
                Tone::Ok => theme.ok(),
                Tone::Error => theme.error(),
            };
            spans.push(Span::styled(s.text.clone(), style));
        }
        None => spans.push(Span::styled("press ? for help", theme.dim())),
    }
    if f.view.has_servers() {
        if !filter.is_empty() {
            spans.push(Span::raw("   "));
            spans.push(Span::styled(format!(" filter /{filter} "), theme.badge()));
        }
        let sort = f.servers.sort(f.view);
        if let Some(key) = sort.key {
            let dir = if sort.reverse {
                "reversed"
            } else {
                key.direction()
            };
            spans.push(Span::raw("   "));
            spans.push(Span::styled(
                format!("sorted by {} ({dir})", key.title()),
                theme.dim(),
            ));
        }
    }
    Line::from(spans)
}
