//! The detail pane (Enter on a server): drawn over the body, it follows the selection and
//! each snapshot. What the server is (address, check settings, weight, limits, admin
//! state), its last check's reply, its transitions and log lines since the dashboard
//! started, its latency per 5 seconds, and when attached, the server on each node.

use super::fmt;
use super::nodes;
use super::stats::Stats;
use super::theme::Theme;
use super::trail::{ServerTrail, Stamped};
use crate::config::{Config, Server};
use crate::events::{printable, ServerId, ServerSnap};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use std::collections::VecDeque;
use std::time::Duration;

/// What the pane draws from.
pub struct Detail<'a> {
    pub theme: Theme,
    pub stats: &'a Stats,
    pub selected: Option<ServerId>,
    pub config: Option<&'a Config>,
    pub trail: Option<&'a ServerTrail>,
    /// Attached: the node actions go to alone.
    pub node: Option<usize>,
    /// The drain-then-maint under way on it, in words.
    pub drain: Option<String>,
}

pub fn render(frame: &mut Frame, area: Rect, d: &Detail) {
    let theme = d.theme;
    let server = d.selected.and_then(|id| Some((id, d.stats.server(id)?)));
    let Some((id, s)) = server else {
        let block = Block::bordered().title(" detail · Esc closes ");
        let text = Paragraph::new("select a server (j/k)").block(block);
        frame.render_widget(text, area);
        return;
    };
    let label = d.stats.server_label(id);
    let title = format!(" {label} · detail · j/k: next server · Esc closes ");
    let block = Block::bordered()
        .border_style(theme.border())
        .title(Line::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = (inner.width as usize).saturating_sub(KEY_WIDTH);
    let mut lines = wrapped(facts(d, id, s), width);
    let room = (inner.height as usize).saturating_sub(lines.len());
    lines.extend(histories(d, id, room, width));
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|(key, value)| {
            Line::from(vec![
                Span::styled(format!("{key:<9} "), theme.key()),
                Span::raw(value),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The key column and its space.
const KEY_WIDTH: usize = 10;
/// A fact or a line of history takes at most this many lines; the last one is clipped.
const MAX_LINES: usize = 2;

/// Each fact on its lines, words kept whole where they fit.
fn wrapped(facts: Vec<Fact>, width: usize) -> Vec<Fact> {
    facts
        .into_iter()
        .flat_map(|(key, value)| {
            let keys = std::iter::once(key).chain(std::iter::repeat(""));
            keys.zip(wrap(&value, width)).collect::<Vec<_>>()
        })
        .collect()
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is cut),
/// at most [`MAX_LINES`]; what does not fit is marked `…`.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.chars().count() <= width || lines.len() + 1 == MAX_LINES {
            lines.push(fmt::clip(rest, width));
            break;
        }
        let cut = rest
            .char_indices()
            .nth(width)
            .map_or(rest.len(), |(i, _)| i);
        let at = rest[..cut].rfind(' ').filter(|&i| i > 0).unwrap_or(cut);
        lines.push(rest[..at].to_string());
        rest = rest[at..].trim_start();
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

type Fact = (&'static str, String);

/// The fixed part: the server, its check settings, the last check and its reply, latency.
fn facts(d: &Detail, id: ServerId, s: &ServerSnap) -> Vec<Fact> {
    let cfg = configured(d, id);
    let mut out = Vec::new();
    let status = match &d.drain {
        Some(drain) => format!("{}  ({drain})", s.status),
        None => s.status.to_string(),
    };
    out.push(("status", format!("{status}  admin {}", s.admin)));
    let initial = cfg.map_or(String::new(), |(_, c)| {
        format!(" (configured {})", c.weight)
    });
    let maxconn = s.limit_sessions.map_or("-".into(), |m| m.to_string());
    out.push((
        "server",
        format!(
            "{}  weight {}{initial}  maxconn {maxconn}  backup {}",
            s.addr,
            s.weight,
            yes_no(s.backup),
        ),
    ));
    out.push((
        "sessions",
        format!(
            "cur {}  max {}  total {}  queue {}  last change {} ago",
            s.cur_sessions,
            s.max_sessions,
            s.total_sessions,
            s.queue,
            fmt::age(s.since_change)
        ),
    ));
    out.extend(check_settings(cfg));
    out.extend(last_check(s));
    out.push(("latency", latency(d, s)));
    out
}

/// The configured backend's check and the configured server, matched by name.
fn configured<'a>(
    d: &Detail<'a>,
    id: ServerId,
) -> Option<(&'a crate::config::Backend, &'a Server)> {
    let snap = d.stats.snapshot()?;
    let b = snap.backends.get(id.backend)?;
    let s = b.servers.get(id.server)?;
    let cb = d.config?.backends.iter().find(|x| x.name == b.name)?;
    Some((cb, cb.servers.iter().find(|x| x.name == s.name)?))
}

fn check_settings(cfg: Option<(&crate::config::Backend, &Server)>) -> Vec<Fact> {
    let Some((b, s)) = cfg else {
        return vec![("check", "settings not known (no configuration file)".into())];
    };
    if !s.check {
        return vec![("check", "none (no `check` on this server)".into())];
    }
    let opt = |d: Option<Duration>| d.map_or("-".to_string(), secs);
    let port = s.check_port.map_or("-".into(), |p| p.to_string());
    vec![
        ("check", b.check.describe()),
        (
            "",
            format!(
                "inter {}  fastinter {}  downinter {}  rise {}  fall {}  port {port}",
                secs(s.inter),
                opt(s.fastinter),
                opt(s.downinter),
                s.rise,
                s.fall,
            ),
        ),
    ]
}

fn last_check(s: &ServerSnap) -> Vec<Fact> {
    let Some(c) = &s.last_check else {
        return vec![("last chk", "none (no checks, or paused in MAINT)".into())];
    };
    let mut text = fmt::check(c);
    if let Some(info) = &c.info {
        text.push_str(&format!("  info \"{info}\""));
    }
    let mut out = vec![("last chk", text)];
    if let Some(line) = c.status_line() {
        out.push(("reply", line));
    }
    if let Some(head) = &c.head {
        out.push(("bytes", printable(head)));
    }
    out
}

/// p50/p90/p99 now, and p99 per 5 s as a sparkline.
fn latency(d: &Detail, s: &ServerSnap) -> String {
    if d.stats.attached() {
        return "not available when attached (HAProxy's stats carry no histograms)".into();
    }
    let q = |q| fmt::latency(s.latency.quantile(q));
    let mut text = format!(
        "p50 {}  p90 {}  p99 {} (since start)",
        q(0.5),
        q(0.9),
        q(0.99)
    );
    let Some(t) = d.trail.filter(|t| !t.latency.is_empty()) else {
        return text;
    };
    let p99: Vec<f32> = t
        .latency
        .iter()
        .map(|p| p.map_or(0.0, |p| p[2].as_secs_f32()))
        .collect();
    let max = p99.iter().copied().fold(0.0, f32::max);
    let now = t.latency.back().copied().flatten();
    let last = |i: usize| fmt::latency(now.map(|p| p[i]));
    text.push_str(&format!(
        "  last 5s: {}/{}/{}  p99 per 5s: {}",
        last(0),
        last(1),
        last(2),
        fmt::sparkline(&p99, max, p99.len().min(30))
    ));
    text
}

/// The transitions, the other log lines and (attached) the nodes, in `room` lines.
fn histories(d: &Detail, id: ServerId, room: usize, width: usize) -> Vec<Fact> {
    let mut out = Vec::new();
    let empty = Default::default();
    let t = d.trail.unwrap_or(&empty);
    let nodes = d.stats.fleet().map_or(0, |f| f.nodes.len() + 1);
    let left = room.saturating_sub(nodes);
    // Transitions first: they say why; the log lines are kept at most half, and get what
    // the transitions leave.
    let log_room = (t.lines.len() * MAX_LINES).max(1).min(left / 2);
    let changes = (&t.transitions, "none since lbtop started");
    section(&mut out, "changes", changes, left - log_room, width);
    let lines = (&t.lines, "no other line names it");
    let used = out.len();
    section(&mut out, "log", lines, left - used, width);
    if let Some(fleet) = d.stats.fleet() {
        out.push(("nodes", String::new()));
        let copies = fleet.servers.get(&id);
        for (i, node) in fleet.nodes.iter().enumerate() {
            let copy = copies.and_then(|c| c.get(i)).and_then(Option::as_ref);
            let line = nodes::node_line(d.theme, node, copy, d.node == Some(i));
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            out.push(("", text));
        }
    }
    out
}

/// Newest first, in at most `room` lines, the first with the section's name; `none` when
/// there is nothing.
fn section(
    out: &mut Vec<Fact>,
    name: &'static str,
    (items, none): (&VecDeque<Stamped>, &str),
    room: usize,
    width: usize,
) {
    if room == 0 {
        return;
    }
    if items.is_empty() {
        out.push((name, none.to_string()));
        return;
    }
    let mut lines: Vec<Fact> = Vec::new();
    for item in items.iter().rev() {
        let key = if lines.is_empty() { name } else { "" };
        let mut entry = wrapped(vec![(key, format!("{} {}", item.at, item.text))], width);
        // The last entry that fits takes the lines left, clipped.
        entry.truncate(room - lines.len());
        lines.extend(entry);
        if lines.len() >= room {
            break;
        }
    }
    out.extend(lines);
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `2s`, `500ms`, as in a configuration.
fn secs(d: Duration) -> String {
    match d.as_millis() {
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}
