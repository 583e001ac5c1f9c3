//! The two top lines, on every view: uptime, a badge per frontend with its mode, current
//! connections against maxconn as a gauge; then the view tabs, each backend's `hoge 1 of 2 up`
//! (`hoge DOWN 0 of 2 up` when the backend is down),
//! and a loud warning when the data stopped coming.

use super::columns;
use super::fmt;
use super::lab::DemoLab;
use super::stats::Stats;
use super::theme::Theme;
use crate::config::Mode;
use crate::keys::View;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Cells of the connections gauge.
const GAUGE: usize = 10;

/// What the header shows: the sample, the current view, the demo and traffic capture.
#[derive(Clone, Copy)]
pub struct Header<'a> {
    pub theme: Theme,
    pub view: View,
    pub stats: &'a Stats,
    pub lab: &'a DemoLab,
    /// Whether traffic is captured (dropped records matter only then).
    pub capturing: bool,
    /// With `!` on: how many plainly UP servers it hides.
    pub hidden: Option<usize>,
}

pub fn render(frame: &mut Frame, area: Rect, h: &Header) {
    let width = usize::from(area.width);
    // Frontend badges lose their address first when the line does not fit.
    let mut first = top(h, true);
    if total(&first) > width {
        first = top(h, false);
    }
    let lines = vec![fit(first, width), fit(tabs(h, area.width), width)];
    frame.render_widget(Paragraph::new(lines), area);
}

/// A part of a header line and how much it matters (0: always shown; higher goes first).
struct Item {
    priority: u8,
    spans: Vec<Span<'static>>,
}

fn item(priority: u8, spans: Vec<Span<'static>>) -> Item {
    Item { priority, spans }
}

fn item_width(i: &Item) -> usize {
    i.spans.iter().map(Span::width).sum()
}

fn total(items: &[Item]) -> usize {
    items.iter().map(item_width).sum()
}

/// Drops whole items, the least important (then the rightmost) first, until the line fits
/// `width`, and marks the gap with `…`: no number or name is ever cut.
fn fit(mut items: Vec<Item>, width: usize) -> Line<'static> {
    let mut cut = false;
    while total(&items) + usize::from(cut) * 2 > width {
        let Some(drop) = (0..items.len())
            .filter(|&i| items[i].priority > 0)
            .max_by_key(|&i| (items[i].priority, i))
        else {
            break;
        };
        items.remove(drop);
        cut = true;
    }
    let mut spans: Vec<Span> = items.into_iter().flat_map(|i| i.spans).collect();
    if cut {
        spans.push(Span::raw(" …"));
    }
    Line::from(spans)
}

fn top(h: &Header, addresses: bool) -> Vec<Item> {
    let theme = h.theme;
    let mut items = vec![item(0, vec![Span::styled("lbtop", theme.title())])];
    let Some(snap) = h.stats.snapshot() else {
        let waiting = Span::styled("  waiting for the engine…", theme.dim());
        items.push(item(0, vec![waiting]));
        return items;
    };
    let uptime = format!("  up {}", fmt::uptime(snap.uptime));
    items.push(item(6, vec![Span::raw(uptime)]));
    for fe in &snap.frontends {
        let layer = match fe.mode {
            Mode::Http => "L7",
            Mode::Tcp => "L4",
        };
        let badge = if addresses {
            format!(" {} {} {} {layer} ", fe.name, fe.mode, fe.bind_label())
        } else {
            format!(" {} {} {layer} ", fe.name, fe.mode)
        };
        let spans = vec![Span::raw("  "), Span::styled(badge, theme.badge())];
        items.push(item(7, spans));
    }
    let ratio = if snap.maxconn == 0 {
        0.0
    } else {
        snap.cur_conns as f64 / f64::from(snap.maxconn)
    };
    let conns = format!("  conns {}/{}", snap.cur_conns, snap.maxconn);
    items.push(item(2, vec![Span::raw(conns)]));
    let (full, empty) = fmt::gauge(ratio, GAUGE);
    let gauge = vec![
        Span::raw(" "),
        Span::styled(full, theme.gauge(ratio)),
        Span::styled(empty, theme.dim()),
        Span::raw(format!(" {:.0}%", ratio * 100.0)),
    ];
    items.push(item(5, gauge));
    if let Some(fleet) = h.stats.fleet() {
        let live = fleet.nodes.iter().filter(|n| n.alive()).count();
        let text = format!("  attached: {live}/{} nodes answering", fleet.nodes.len());
        let style = if live == fleet.nodes.len() {
            ratatui::style::Style::new()
        } else {
            theme.warn()
        };
        items.push(item(1, vec![Span::styled(text, style)]));
    }
    if h.lab.has_demo() {
        let state = if h.lab.traffic_running() { "on" } else { "off" };
        items.push(item(4, vec![Span::raw(format!("  traffic {state}"))]));
    }
    // Dropped records mean the log is missing traffic lines; say so rather than hide it.
    if h.capturing && snap.sessions_dropped > 0 {
        let text = format!("  {} records dropped", snap.sessions_dropped);
        items.push(item(0, vec![Span::styled(text, theme.warn())]));
    }
    if snap.logs_dropped > 0 {
        let text = format!("  {} log lines dropped", snap.logs_dropped);
        items.push(item(0, vec![Span::styled(text, theme.warn())]));
    }
    items
}

/// Below this width the tabs other than the current one show their number only.
const FULL_TABS: u16 = 120;

/// The view tabs as drawn on a line `width` wide: each with its text and where it starts.
/// Drawing and clicks both use this, so a click switches to the tab drawn under it.
fn tab_texts(current: View, width: u16) -> Vec<(View, String, u16)> {
    let mut x = 0;
    View::ALL
        .iter()
        .map(|&view| {
            let text = if view == current || width >= FULL_TABS {
                format!(" {} {} ", view.index() + 1, view.title())
            } else {
                format!(" {} ", view.index() + 1)
            };
            let at = x;
            x += columns::width(&text) as u16;
            (view, text, at)
        })
        .collect()
}

/// The tab drawn at column `x` of the tabs line (the header's second line).
pub fn tab_at(current: View, width: u16, x: u16) -> Option<View> {
    tab_texts(current, width)
        .into_iter()
        .find(|(_, text, at)| (*at..*at + columns::width(text) as u16).contains(&x))
        .map(|(view, _, _)| view)
}

/// The header's second line (the tabs line) within the header's area.
pub const TABS_LINE: u16 = 1;

fn tabs(h: &Header, width: u16) -> Vec<Item> {
    let theme = h.theme;
    let mut items = Vec::new();
    for (view, text, _) in tab_texts(h.view, width) {
        let style = if view == h.view {
            theme.tab_active()
        } else {
            theme.tab()
        };
        items.push(item(0, vec![Span::styled(text, style)]));
    }
    items.push(item(0, vec![Span::raw(" ")]));
    if let Some(hidden) = h.hidden {
        let text = format!(" ! {hidden} UP hidden ");
        items.push(item(
            0,
            vec![Span::raw(" "), Span::styled(text, theme.warn())],
        ));
    }
    if let Some(snap) = h.stats.snapshot() {
        for b in &snap.backends {
            let (badge, up) = fmt::backend_badge(b);
            let style = if up {
                theme.up_count(b.up_count(), b.servers.len())
            } else {
                theme.proxy_status(false)
            };
            // Backends in trouble stay longest.
            let priority = match (up, b.up_count() == b.servers.len()) {
                (false, _) => 1,
                (true, false) => 2,
                (true, true) => 3,
            };
            let spans = vec![
                Span::raw(format!(" {} ", b.name)),
                Span::styled(badge, style),
                Span::raw(" "),
            ];
            items.push(item(priority, spans));
        }
    }
    if let Some(why) = h.stats.stale() {
        let spans = vec![
            Span::raw(" "),
            Span::styled(format!(" ⚠ STALE: {why} "), theme.stale()),
        ];
        items.push(item(0, spans));
    }
    items
}
