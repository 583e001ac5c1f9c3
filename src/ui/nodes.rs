//! `lbtop attach`: the nodes panel under the server tables. One line per node: its name, where
//! it is polled, how it answers (or its error, greyed), and the selected server as that node
//! sees it: the per-node breakdown of the row above. The node actions go to is marked.

use super::fmt;
use super::stats::Stats;
use super::theme::Theme;
use crate::attach::{Fleet, NodeSummary, OnNode};
use crate::events::ServerId;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// What the panel draws.
pub struct Nodes<'a> {
    pub theme: Theme,
    pub stats: &'a Stats,
    pub fleet: &'a Fleet,
    pub selected: Option<ServerId>,
    /// The node actions go to alone (`None`: all).
    pub node: Option<usize>,
}

/// `n`: all nodes, then each node alone in turn, then all again.
pub fn next(current: Option<usize>, count: usize) -> Option<usize> {
    match current {
        None if count > 0 => Some(0),
        Some(n) if n + 1 < count => Some(n + 1),
        _ => None,
    }
}

/// What the status line says about where actions go now.
pub fn choice(fleet: &Fleet, node: Option<usize>) -> String {
    match node.and_then(|n| fleet.nodes.get(n)) {
        Some(node) => format!("actions go to node {} only (n: next)", node.name),
        None => format!(
            "actions go to all {} nodes (n: one node)",
            fleet.nodes.len()
        ),
    }
}

/// Lines the panel takes for `fleet`: a line per node and the borders.
pub fn height(fleet: &Fleet) -> u16 {
    fleet.nodes.len() as u16 + 2
}

pub fn render(frame: &mut Frame, area: Rect, n: &Nodes) {
    let theme = n.theme;
    let label = n.selected.map(|id| n.stats.server_label(id));
    let target = match n.node.and_then(|i| n.fleet.nodes.get(i)) {
        Some(node) => format!("actions → {} only", node.name),
        None => "actions → all nodes".to_string(),
    };
    let title = match &label {
        Some(l) => format!(" nodes · {l} on each · {target} "),
        None => format!(" nodes · {target} "),
    };
    let copies = n.selected.and_then(|id| n.fleet.servers.get(&id));
    let lines: Vec<Line> = n
        .fleet
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let copy = copies.and_then(|c| c.get(i)).and_then(Option::as_ref);
            node_line(theme, node, copy, n.node == Some(i))
        })
        .collect();
    let block = Block::bordered()
        .border_style(theme.border())
        .title(Line::styled(title, theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub(super) fn node_line(
    theme: Theme,
    node: &NodeSummary,
    copy: Option<&OnNode>,
    chosen: bool,
) -> Line<'static> {
    let mark = if chosen { "▶ " } else { "  " };
    let mut spans = vec![
        Span::raw(mark),
        Span::styled(format!("{:<10} ", node.name), theme.title()),
    ];
    if let Some(error) = &node.error {
        // A poll that ran out of time may be a busy node rather than a dead one.
        let word = if error.starts_with("no answer within") {
            "SLOW"
        } else {
            "DEAD"
        };
        let text = format!("{word}  {error}  ({})", node.target);
        spans.push(Span::styled(text, theme.dim()));
        return Line::from(spans);
    }
    let Some(info) = &node.info else {
        spans.push(Span::styled(
            format!("polling {}…", node.target),
            theme.dim(),
        ));
        return Line::from(spans);
    };
    spans.push(Span::raw(format!(
        "HAProxy {} pid {} up {}s  ",
        info.version,
        info.pid,
        info.uptime.as_secs()
    )));
    match copy {
        Some(c) => spans.extend(server_spans(theme, c)),
        None => spans.push(Span::styled("(no such server here)", theme.dim())),
    }
    Line::from(spans)
}

/// The server as one node sees it: status, weight, last check, sessions, admin flags.
fn server_spans(theme: Theme, c: &OnNode) -> Vec<Span<'static>> {
    let s = &c.server;
    let check = s.last_check.as_ref().map(fmt::check).unwrap_or_default();
    let mut text = format!(
        " weight {}  {check}  cur {}  total {}",
        s.weight, s.cur_sessions, s.total_sessions
    );
    // `show servers state`: srv_admin_state, srv_op_state, srv_check_health.
    if let Some(state) = c.state {
        text.push_str(&format!(
            "  adm 0x{:x} op {} chk {}",
            state.admin, state.op, state.check_health
        ));
    }
    vec![
        Span::styled(
            format!("{:<9}", s.status.to_string()),
            theme.status(s.status),
        ),
        Span::raw(text),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn n_walks_all_then_each_node_then_all() {
        let walk: Vec<Option<usize>> =
            std::iter::successors(Some(None), |c| Some(super::next(*c, 2)))
                .take(4)
                .collect();
        assert_eq!(walk, [None, Some(0), Some(1), None]);
        assert_eq!(super::next(None, 0), None);
    }
}
