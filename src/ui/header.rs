//! The two top lines, on every view: uptime, a badge per frontend with its mode, current
//! connections against maxconn as a gauge; then the view tabs, each backend's `hoge 1/2 UP`,
//! and a loud warning when the data stopped coming.

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
}

pub fn render(frame: &mut Frame, area: Rect, h: &Header) {
    // Frontend badges lose their address first when the line does not fit.
    let mut first = top(h, true);
    if first.width() > area.width as usize {
        first = top(h, false);
    }
    frame.render_widget(Paragraph::new(vec![first, tabs(h)]), area);
}

fn top(h: &Header, addresses: bool) -> Line<'static> {
    let theme = h.theme;
    let mut spans = vec![Span::styled("lbtop", theme.title())];
    let Some(snap) = h.stats.snapshot() else {
        spans.push(Span::styled("  waiting for the engine…", theme.dim()));
        return Line::from(spans);
    };
    spans.push(Span::raw(format!("  up {}  ", fmt::uptime(snap.uptime))));
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
        spans.push(Span::styled(badge, theme.badge()));
        spans.push(Span::raw(" "));
    }
    let ratio = if snap.maxconn == 0 {
        0.0
    } else {
        snap.cur_conns as f64 / f64::from(snap.maxconn)
    };
    let (full, empty) = fmt::gauge(ratio, GAUGE);
    spans.push(Span::raw(format!(
        " conns {}/{} ",
        snap.cur_conns, snap.maxconn
    )));
    spans.push(Span::styled(full, theme.gauge(ratio)));
    spans.push(Span::styled(empty, theme.dim()));
    spans.push(Span::raw(format!(" {:.0}%", ratio * 100.0)));
    if let Some(fleet) = h.stats.fleet() {
        let live = fleet.nodes.iter().filter(|n| n.alive()).count();
        let text = format!("  attached: {live}/{} nodes answering", fleet.nodes.len());
        let style = if live == fleet.nodes.len() {
            ratatui::style::Style::new()
        } else {
            theme.warn()
        };
        spans.push(Span::styled(text, style));
    }
    if h.lab.has_demo() {
        let state = if h.lab.traffic_running() { "on" } else { "off" };
        spans.push(Span::raw(format!("  traffic {state}")));
    }
    // Dropped records mean the log is missing traffic lines; say so rather than hide it.
    if h.capturing && snap.sessions_dropped > 0 {
        let text = format!("  {} records dropped", snap.sessions_dropped);
        spans.push(Span::styled(text, theme.warn()));
    }
    if snap.logs_dropped > 0 {
        let text = format!("  {} log lines dropped", snap.logs_dropped);
        spans.push(Span::styled(text, theme.warn()));
    }
    Line::from(spans)
}

fn tabs(h: &Header) -> Line<'static> {
    let theme = h.theme;
    let mut spans = Vec::new();
    for view in View::ALL {
        let text = format!(" {} {} ", view.index() + 1, view.title());
        let style = if view == h.view {
            theme.tab_active()
        } else {
            theme.tab()
        };
        spans.push(Span::styled(text, style));
    }
    spans.push(Span::raw("  "));
    if let Some(snap) = h.stats.snapshot() {
        for b in &snap.backends {
            spans.push(Span::raw(format!(" {} ", b.name)));
            spans.push(Span::styled(
                b.up_label(),
                theme.up_count(b.up_count(), b.servers.len()),
            ));
            spans.push(Span::raw(" "));
        }
    }
    if let Some(why) = h.stats.stale() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" ⚠ STALE: {why} "), theme.stale()));
    }
    Line::from(spans)
}
