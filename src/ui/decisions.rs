//! The L4/L7 view: what each layer decides, live. One panel per frontend, side by side, newest
//! decision first: an HTTP frontend's requests (client → `GET /path` → server, new or reused
//! server connection, the headers lbtop added) next to a TCP frontend's connections (client →
//! server, pinned for the connection's life, bytes and duration, no HTTP at all). Underneath,
//! a few plain sentences on what the difference means, written from the configuration.

use super::columns;
use super::fmt;
use super::history::Series;
use super::recent::{Recent, DECISIONS_KEPT};
use super::stats::Stats;
use super::theme::Theme;
use crate::config::{Config, HealthCheck, Mode};
use crate::events::{BackendSnap, FrontendSnap, SessionRecord, Snapshot, Termination};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;
use std::collections::BTreeMap;

/// At most this many panels side by side.
const MAX_PANELS: usize = 3;

/// What the L4/L7 view draws: the sample, the recent decisions and the configuration (for
/// the explanations).
#[derive(Clone, Copy)]
pub struct Decisions<'a> {
    pub theme: Theme,
    pub stats: &'a Stats,
    pub recent: &'a Recent,
    pub config: Option<&'a Config>,
}

pub fn render(frame: &mut Frame, area: Rect, d: &Decisions) {
    let Some(snap) = d.stats.snapshot() else {
        let msg = Paragraph::new("waiting for the first snapshot…").style(d.theme.dim());
        frame.render_widget(msg, area);
        return;
    };
    if d.stats.attached() {
        let text = "per-request decisions are not available when attached: HAProxy's stats \
                    socket carries counters, not requests. Views 1-4 show what the stats carry.";
        let msg = Paragraph::new(text)
            .style(d.theme.dim())
            .wrap(Wrap { trim: true });
        frame.render_widget(msg, area);
        return;
    }
    if snap.frontends.is_empty() {
        frame.render_widget(Paragraph::new("no frontends configured"), area);
        return;
    }
    let explain = explanation(d, snap);
    let inner = area.width.saturating_sub(2).max(1) as usize;
    let needed: usize = explain
        .iter()
        .map(|l| wrapped_height(&l.to_string(), inner))
        .sum::<usize>()
        + 2;
    let explain_height = (needed as u16).min(area.height / 2).max(3);
    let [panels, bottom] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(explain_height)]).areas(area);
    let shown: Vec<(usize, &FrontendSnap)> =
        snap.frontends.iter().enumerate().take(MAX_PANELS).collect();
    let cols = Layout::horizontal(vec![Constraint::Fill(1); shown.len()]).split(panels);
    for (&(f, fe), &rect) in shown.iter().zip(cols.iter()) {
        panel(frame, rect, d, snap, f, fe);
    }
    let block = Block::bordered()
        .border_style(d.theme.border())
        .title(Line::styled(" what each layer does ", d.theme.title()));
    frame.render_widget(
        Paragraph::new(explain)
            .block(block)
            .wrap(Wrap { trim: true }),
        bottom,
    );
}

fn layer(mode: Mode) -> &'static str {
    match mode {
        Mode::Http => "L7",
        Mode::Tcp => "L4",
    }
}

fn panel(
    frame: &mut Frame,
    area: Rect,
    d: &Decisions,
    snap: &Snapshot,
    f: usize,
    fe: &FrontendSnap,
) {
    let theme = d.theme;
    let l7 = fe.mode == Mode::Http;
    let backend = snap.backends.get(fe.backend);
    let be_name = backend.map_or("?", |b| b.name.as_str());
    let balance = backend.map_or("?", |b| b.balance.as_str());
    let unit = if l7 { "req/s" } else { "conn/s" };
    let rate = d.stats.meter().rate(Series::Frontend(f)).map(|r| r[0]);
    let mut right = vec![(1, vec![Span::raw(format!(" {} {unit} ", fmt::rate(rate)))])];
    if d.recent.paused() {
        right.push((0, vec![Span::styled(" PAUSED ", theme.stale())]));
    }
    // Corners and a gap; the address and the rate go whole rather than cut.
    let room = usize::from(area.width).saturating_sub(3);
    let (right, _) = columns::fit_pieces(right, room / 2);
    let left = vec![
        (
            0,
            vec![Span::styled(
                format!(" {} ", layer(fe.mode)),
                theme.layer(l7),
            )],
        ),
        (
            0,
            vec![Span::styled(format!("{} ", fe.name), theme.title())],
        ),
        (4, vec![Span::raw(format!("{} ", fe.mode))]),
        (2, vec![Span::raw(format!("{} ", fe.bind_label()))]),
        (3, vec![Span::raw(format!("→ {be_name} ({balance}) "))]),
    ];
    let (title, _) = columns::fit_pieces(left, room.saturating_sub(right.width()));
    let block = Block::bordered()
        .border_style(theme.border())
        .title_top(title)
        .title_top(right.right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let records: Vec<&SessionRecord> = d.recent.decisions(f).rev().collect();
    let mut lines = vec![summary(theme, backend, &records, l7)];
    if records.is_empty() {
        let hint = if l7 {
            "no requests yet: try curl http://".to_string() + &fe.bind().to_string() + "/"
        } else {
            "no connections yet: try nc ".to_string()
                + &fe.bind().ip().to_string()
                + " "
                + &fe.bind().port().to_string()
        };
        lines.push(Line::styled(hint, theme.dim()));
    }
    let room = (inner.height as usize).saturating_sub(1) / 2;
    for r in records.iter().take(room) {
        // A routed request names its own backend, not necessarily the frontend's default.
        let routed = snap.backends.get(r.backend);
        let server = server_name(routed, r).map(|s| match (r.backend != fe.backend, routed) {
            (true, Some(b)) => format!("{}/{s}", b.name),
            _ => s.to_string(),
        });
        let server = server.as_deref();
        if l7 {
            lines.extend(http_lines(theme, r, server, inner.width.into()));
        } else {
            lines.extend(tcp_lines(theme, r, server));
        }
    }
    // A line longer than the panel loses whole pieces at its end, never half a value.
    let width = usize::from(inner.width);
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| columns::fit_end(l, width))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn server_name<'a>(backend: Option<&'a BackendSnap>, r: &SessionRecord) -> Option<&'a str> {
    let s = r.server?;
    backend?.servers.get(s).map(|s| s.name.as_str())
}

/// `last 64: web10 ×40  web11 ×24 · …`: how the layer spread the recent ones.
fn summary(
    theme: Theme,
    backend: Option<&BackendSnap>,
    records: &[&SessionRecord],
    l7: bool,
) -> Line<'static> {
    if records.is_empty() {
        return Line::styled(format!("keeps the last {DECISIONS_KEPT}"), theme.dim());
    }
    let mut per: BTreeMap<usize, usize> = BTreeMap::new();
    for r in records {
        *per.entry(r.server.unwrap_or(usize::MAX)).or_default() += 1;
    }
    let mut spans = vec![Span::styled(
        format!("last {}: ", records.len()),
        theme.dim(),
    )];
    for (s, n) in per {
        let name = backend
            .and_then(|b| b.servers.get(s))
            .map_or("<NOSRV>", |s| s.name.as_str());
        // One piece, so a narrow panel never shows a name without its count.
        spans.push(Span::styled(format!("{name} ×{n}"), theme.server_name()));
        spans.push(Span::raw(" "));
    }
    if l7 {
        let reused = records.iter().filter(|r| r.reused).count();
        let xff = records.iter().filter(|r| r.forwarded_for.is_some()).count();
        spans.push(Span::styled(
            format!(
                "· conns {} new {reused} reused · XFF added {xff}",
                records.len() - reused
            ),
            theme.dim(),
        ));
    } else {
        let bytes: u64 = records.iter().map(|r| r.bytes_in + r.bytes_out).sum();
        spans.push(Span::styled(
            format!("· {} relayed · no HTTP seen", fmt::bytes(bytes)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

/// The total time, in the whole milliseconds HAProxy's timers have.
fn total_ms(r: &SessionRecord) -> String {
    match r.timers[4] {
        t if t < 0 => "-".to_string(),
        0 => "<1ms".to_string(),
        t => format!("{t}ms"),
    }
}

fn flags(r: &SessionRecord, l7: bool) -> Option<String> {
    if r.termination == Termination::NORMAL {
        return None;
    }
    let f = if l7 {
        r.termination.http(r.cookie_flags).to_vec()
    } else {
        r.termination.tcp().to_vec()
    };
    Some(String::from_utf8_lossy(&f).into_owned())
}

/// Two lines: `client → GET /path → server`, then status, time, connection and headers. The
/// path is cut (with `…`) to leave the server's name whole in `width`.
fn http_lines(
    theme: Theme,
    r: &SessionRecord,
    server: Option<&str>,
    width: usize,
) -> Vec<Line<'static>> {
    let request = r.request.as_deref().unwrap_or("<BADREQ>");
    // The version adds nothing here: `GET /index.html`.
    let request = request
        .rsplit_once(' ')
        .filter(|(_, v)| v.starts_with("HTTP/"))
        .map_or(request, |(r, _)| r);
    let client = r.client.to_string();
    let server = server_span(theme, server);
    let room = width.saturating_sub(columns::width(&client) + 6 + server.width());
    let first = Line::from(vec![
        Span::styled(client, theme.dim()),
        Span::styled(" → ", theme.dim()),
        Span::styled(
            fmt::clip(request, room.clamp(1, 40)),
            ratatui::style::Style::new().bold(),
        ),
        Span::styled(" → ", theme.dim()),
        server,
    ]);
    let mut second = vec![Span::raw("    ")];
    match r.status {
        Some(code) => {
            let class = usize::from(code / 100).saturating_sub(1).min(5);
            second.push(Span::styled(code.to_string(), theme.http_class(class)));
        }
        None => second.push(Span::raw("-")),
    }
    second.push(Span::raw(format!(" · {} · ", total_ms(r))));
    if r.reused {
        second.push(Span::raw("reused server conn"));
    } else {
        second.push(Span::styled("new server conn", theme.added()));
    }
    match &r.forwarded_for {
        Some(xff) => {
            second.push(Span::raw(" · "));
            second.push(Span::styled(
                format!("+X-Forwarded-For: {xff}"),
                theme.added(),
            ));
        }
        None => second.push(Span::styled(" · no header added", theme.dim())),
    }
    if r.retries > 0 || r.redispatched {
        let redispatched = if r.redispatched { ", redispatched" } else { "" };
        second.push(Span::styled(
            format!(" · {} retries{redispatched}", r.retries),
            theme.warn(),
        ));
    }
    if let Some(line) = r.rule_line {
        second.push(Span::styled(
            format!(" · rule at line {line}"),
            theme.added(),
        ));
    }
    if let Some(f) = flags(r, true) {
        second.push(Span::styled(format!(" · {f}"), theme.error()));
    }
    vec![first, Line::from(second)]
}

/// Two lines: `client ⇒ server (pinned)`, then bytes each way and how long it lasted.
fn tcp_lines(theme: Theme, r: &SessionRecord, server: Option<&str>) -> Vec<Line<'static>> {
    let first = Line::from(vec![
        Span::styled(r.client.to_string(), theme.dim()),
        Span::styled(" ⇒ ", theme.dim()),
        server_span(theme, server),
        Span::styled("  pinned for the whole connection", theme.dim()),
    ]);
    let mut second = vec![
        Span::raw("    "),
        Span::raw(format!("↑{} in", fmt::bytes(r.bytes_in))),
        Span::raw(format!(" ↓{} out", fmt::bytes(r.bytes_out))),
        Span::raw(format!(" · {}", total_ms(r))),
        Span::styled(" · bytes only, no HTTP", theme.dim()),
    ];
    if let Some(line) = r.rule_line {
        second.push(Span::styled(
            format!(" · rule at line {line}"),
            theme.added(),
        ));
    }
    if let Some(f) = flags(r, false) {
        second.push(Span::styled(format!(" · {f}"), theme.error()));
    }
    vec![first, Line::from(second)]
}

fn server_span(theme: Theme, server: Option<&str>) -> Span<'static> {
    match server {
        Some(name) => Span::styled(name.to_string(), theme.server_name()),
        None => Span::styled("<NOSRV>", theme.error()),
    }
}

/// One short paragraph per shown frontend, from the configuration when there is one.
fn explanation(d: &Decisions, snap: &Snapshot) -> Vec<Line<'static>> {
    let theme = d.theme;
    snap.frontends
        .iter()
        .enumerate()
        .take(MAX_PANELS)
        .map(|(f, fe)| {
            let be = snap.backends.get(fe.backend);
            let be_name = be.map_or("?", |b| b.name.as_str());
            let cfg_fe = d.config.and_then(|c| c.frontends.get(f));
            let cfg_be = d.config.and_then(|c| c.backends.get(fe.backend));
            let text = match fe.mode {
                Mode::Http => {
                    let xff = match cfg_fe.and_then(|c| c.options.forwardfor.as_ref()) {
                        Some(ff) => match ff.except {
                            Some(net) => format!(
                                "adds {} (except for clients in {net})",
                                header_name(&ff.header)
                            ),
                            None => format!("adds {}", header_name(&ff.header)),
                        },
                        None if cfg_fe.is_some() => "adds no header (no option forwardfor)".into(),
                        None => "can add headers such as X-Forwarded-For".into(),
                    };
                    let conns = match cfg_fe.map(|c| (c.options.httpclose, c.options.http_server_close)) {
                        Some((true, _)) => "closes the client and server connections after each response (httpclose)",
                        Some((_, true)) => "opens a new server connection per request (http-server-close)",
                        Some(_) => "may reuse an idle server connection",
                        None => "opens or reuses a server connection",
                    };
                    let check = match cfg_be.map(|b| &b.check) {
                        Some(HealthCheck::Http(h)) => format!(
                            " Its health check asks {} {}, so a missing page takes a server DOWN here.",
                            h.method, h.path
                        ),
                        Some(HealthCheck::Tcp) => " Its health check is only a TCP connect.".into(),
                        Some(HealthCheck::Rules(_) | HealthCheck::Proto(_)) => {
                            " Its health check talks the server's protocol (tcp-check).".into()
                        }
                        None => String::new(),
                    };
                    format!(
                        "lbtop reads every request and picks a server for each one, so one \
                         client's requests spread over {be_name}'s servers. It sees method, path \
                         and status, {xff}, and {conns}.{check}"
                    )
                }
                Mode::Tcp => {
                    let check = match cfg_be.map(|b| &b.check) {
                        Some(HealthCheck::Tcp) => {
                            " Its health check is a TCP connect: a web server that answers 404 still passes."
                        }
                        Some(HealthCheck::Http(_)) => " Its health check is HTTP.",
                        Some(HealthCheck::Rules(_) | HealthCheck::Proto(_)) => {
                            " Its health check talks the server's protocol (tcp-check)."
                        }
                        None => "",
                    };
                    format!(
                        "lbtop picks a server once per connection and relays bytes; everything \
                         sent on that connection goes to the same server of {be_name} (pinned). \
                         No requests, paths, status codes or added headers: only addresses, \
                         bytes and time.{check}"
                    )
                }
            };
            Line::from(vec![
                Span::styled(
                    format!("{} {} ({}): ", layer(fe.mode), fe.name, fe.mode),
                    theme.layer(fe.mode == Mode::Http),
                ),
                Span::raw(text),
            ])
        })
        .collect()
}

/// Lines a paragraph takes when wrapped at word boundaries, as `Wrap { trim: true }` does.
fn wrapped_height(text: &str, width: usize) -> usize {
    let mut lines = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if used > 0 && used + 1 + w > width {
            lines += 1;
            used = 0;
        }
        used += if used == 0 { w } else { w + 1 };
        // A word longer than the line breaks mid-word.
        while used > width {
            lines += 1;
            used -= width;
        }
    }
    lines
}

/// `x-forwarded-for` → `X-Forwarded-For`, as people write it.
fn header_name(h: &str) -> String {
    h.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_lines() {
        assert_eq!(wrapped_height("aaa bbb ccc", 7), 2);
        assert_eq!(wrapped_height("aaa bbb", 7), 1);
        assert_eq!(wrapped_height("", 7), 1);
        assert_eq!(wrapped_height("aaaaaaaaaa", 4), 3);
    }

    #[test]
    fn header_names_are_capitalised() {
        assert_eq!(header_name("x-forwarded-for"), "X-Forwarded-For");
        assert_eq!(header_name("via"), "Via");
    }
}
