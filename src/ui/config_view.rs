//! The config view (7): what lbtop loaded, in the words `lbtop check` prints (its warnings
//! first, as `file:line: warning: …`, then the description and the verdict), and the keys
//! in force once `[ui.keys]` is laid over the defaults. Long lines wrap under their value
//! instead of being cut. Read-only; it scrolls by lines. After a reload it shows the new
//! configuration (the loop hands it over with `App::set_config`).

use super::theme::Theme;
use crate::config::Config;
use crate::keys::{label, Keymap};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// What the config view draws from.
pub struct ConfigView<'a> {
    pub theme: Theme,
    pub config: Option<&'a Config>,
    pub keys: &'a Keymap,
    /// Lines scrolled off the top.
    pub scroll: usize,
}

/// What a line is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Heading,
    Text,
    Warning,
    /// `Configuration file is valid`.
    Verdict,
    /// A key `[ui.keys]` changed.
    Rebound,
}

/// The view's text, line by line.
pub fn lines(config: Option<&Config>, keys: &Keymap) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    match config {
        Some(c) => described(c, &mut out),
        None => out.push((
            Kind::Text,
            "attached without a configuration file (--config names one)".to_string(),
        )),
    }
    out.push((Kind::Text, String::new()));
    out.push((
        Kind::Heading,
        "keys in force (the defaults, with [ui.keys] laid over them)".to_string(),
    ));
    for (b, k) in keys.bindings() {
        let shown = match k.is_empty() {
            true => "(unbound)".to_string(),
            false => label(k),
        };
        let text = format!("  {shown:>10}  {:<18} {}", b.name, b.help);
        match k == b.keys {
            true => out.push((Kind::Text, text)),
            false => {
                let default = label(b.keys);
                out.push((
                    Kind::Rebound,
                    format!("{text}  ([ui.keys]; default {default})"),
                ));
            }
        }
    }
    out
}

/// `lbtop check`'s output: the warnings it writes to stderr first, then what it prints.
fn described(c: &Config, out: &mut Vec<(Kind, String)>) {
    if !c.warnings.is_empty() {
        out.push((Kind::Heading, format!("warnings ({})", c.warnings.len())));
        for w in &c.warnings {
            let at = format!("{}:{}", c.source.display(), w.line);
            out.push((Kind::Warning, format!("{at}: warning: {}", w.message)));
        }
        out.push((Kind::Text, String::new()));
    }
    // describe() ends with the warnings again, by line only: they are above, with the file.
    let text = c.describe();
    let body = text.split("\nwarnings\n").next().unwrap_or_default();
    for l in body.lines() {
        let heading = !l.is_empty() && !l.starts_with(' ');
        let kind = if heading { Kind::Heading } else { Kind::Text };
        out.push((kind, l.to_string()));
    }
    out.push((Kind::Verdict, "Configuration file is valid".to_string()));
}

/// The scroll offset after moving `step` lines, kept within `total` lines.
pub fn scrolled(offset: usize, step: isize, total: usize) -> usize {
    let last = total.saturating_sub(1) as isize;
    (offset as isize).saturating_add(step).clamp(0, last.max(0)) as usize
}

/// How many first lines there are to scroll through on a terminal of `size`: the last page
/// ends with the last line, wrapped as drawn.
pub fn tops(config: Option<&Config>, keys: &Keymap, size: Option<Rect>) -> usize {
    let body = size.and_then(|s| super::layout::areas(s, crate::keys::View::Config, || 0));
    let body = body.map_or(Rect::new(0, 0, 80, 20), |a| a.body);
    let all = lines(config, keys);
    let width = body.width as usize;
    let mut room = body.height.saturating_sub(1) as usize;
    let mut top = all.len();
    while top > 0 {
        let rows = wrap(&all[top - 1].1, width).len();
        if rows > room {
            break;
        }
        room -= rows;
        top -= 1;
    }
    top + 1
}

pub fn render(frame: &mut Frame, area: Rect, v: &ConfigView) {
    let all = lines(v.config, v.keys);
    let title = Line::from(vec![
        Span::styled(" configuration ", v.theme.title()),
        Span::styled(
            format!(
                " line {}/{} · ↑/↓ PgUp/PgDn scroll ",
                v.scroll + 1,
                all.len()
            ),
            v.theme.dim(),
        ),
    ]);
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(v.theme.border())
        .title(title);
    let width = block.inner(area).width as usize;
    let rows = area.height as usize;
    let shown: Vec<Line> = all
        .into_iter()
        .skip(v.scroll)
        .flat_map(|(kind, text)| {
            let style = style(v.theme, kind);
            wrap(&text, width)
                .into_iter()
                .map(move |row| Line::from(Span::styled(row, style)))
        })
        .take(rows)
        .collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

fn style(theme: Theme, kind: Kind) -> Style {
    match kind {
        Kind::Heading => theme.title(),
        Kind::Text => Style::new(),
        Kind::Warning => theme.warn(),
        Kind::Verdict => theme.ok(),
        Kind::Rebound => theme.key(),
    }
}

/// `text` in rows of `width` at most, broken at spaces where it can be; the rows after the
/// first start under the value (`  option           a, b, …` goes on under `a`).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width || width == 0 {
        return vec![text.to_string()];
    }
    let indent = value_column(&chars)
        .filter(|&c| c <= width / 2)
        .unwrap_or(4.min(width / 2));
    let mut rows = Vec::new();
    let mut rest: &[char] = &chars;
    let mut room = width;
    while !rest.is_empty() {
        let cut = match rest.len() <= room {
            true => rest.len(),
            // The last space that fits, else a hard break (a word wider than the view).
            false => rest[..=room]
                .iter()
                .rposition(|&c| c == ' ')
                .filter(|&i| i > 0)
                .unwrap_or(room),
        };
        let row: String = rest[..cut].iter().collect();
        let pad = if rows.is_empty() { 0 } else { indent };
        rows.push(format!("{}{}", " ".repeat(pad), row.trim_end()));
        rest = &rest[cut..];
        while rest.first() == Some(&' ') {
            rest = &rest[1..];
        }
        room = width - indent;
    }
    rows
}

/// Where the value starts on a `  key   value` line: after the leading spaces, the first
/// word and the spaces after it.
fn value_column(chars: &[char]) -> Option<usize> {
    let lead = chars.iter().position(|&c| c != ' ')?;
    let word = lead + chars[lead..].iter().position(|&c| c == ' ')?;
    let value = word + chars[word..].iter().position(|&c| c != ' ')?;
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_under_their_value_and_lose_nothing() {
        let line = "  option           log-health-checks, httplog, dontlognull, forwardfor except 127.0.0.0/8";
        let rows = wrap(line, 50);
        assert_eq!(
            rows,
            [
                "  option           log-health-checks, httplog,",
                "                   dontlognull, forwardfor except",
                "                   127.0.0.0/8",
            ]
        );
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&rows.join(" ")), words(line));
        // A word wider than the view breaks where it must, and goes on under the value.
        let rows = wrap("  root   /a/very/long/path/that/does/not/fit", 20);
        assert_eq!(
            rows.concat().replace(' ', ""),
            "root/a/very/long/path/that/does/not/fit"
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 20), "{rows:?}");
    }

    #[test]
    fn rebound_keys_say_so() {
        let keys = Keymap::with_overrides([("drain", ["D"])]).unwrap();
        let all = lines(None, &keys);
        let drain = all.iter().find(|(_, t)| t.contains(" drain ")).unwrap();
        assert_eq!(drain.0, Kind::Rebound);
        assert!(drain.1.starts_with("           D  drain "), "{}", drain.1);
        assert!(drain.1.ends_with("([ui.keys]; default d)"), "{}", drain.1);
        let maint = all.iter().find(|(_, t)| t.contains(" maint ")).unwrap();
        assert_eq!(maint.0, Kind::Text);
    }
}
