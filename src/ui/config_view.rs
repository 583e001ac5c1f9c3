//! The config view (7): what lbtop loaded, in the words `lbtop check` prints, its warnings
//! with their lines, and the keys in force. Read-only; it scrolls.

use super::theme::Theme;
use crate::config::Config;
use crate::keys::{label, Keymap};
use ratatui::layout::Rect;
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

/// The view's text, line by line, as plain strings with a flag for headings.
pub fn lines(config: Option<&Config>, keys: &Keymap) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    match config {
        Some(c) => {
            out.extend(c.describe().lines().map(|l| (false, l.to_string())));
            if !c.warnings.is_empty() {
                out.push((false, String::new()));
                out.push((true, "warnings".to_string()));
                for w in &c.warnings {
                    let at = format!("{}:{}", c.source.display(), w.line);
                    out.push((false, format!("  {at}: {}", w.message)));
                }
            }
        }
        None => out.push((false, "attached without a configuration file".to_string())),
    }
    out.push((false, String::new()));
    out.push((true, "keys ([ui.keys] rebinds them by name)".to_string()));
    for (b, k) in keys.bindings() {
        let k = if k.is_empty() {
            "(unbound)".into()
        } else {
            label(k)
        };
        out.push((false, format!("  {k:>10}  {:<18} {}", b.name, b.help)));
    }
    out
}

/// The scroll offset after moving `step` lines, kept within `total` lines.
pub fn scrolled(offset: usize, step: isize, total: usize) -> usize {
    let last = total.saturating_sub(1) as isize;
    (offset as isize).saturating_add(step).clamp(0, last.max(0)) as usize
}

pub fn render(frame: &mut Frame, area: Rect, v: &ConfigView) {
    let all = lines(v.config, v.keys);
    let title = format!(" configuration · line {}/{} ", v.scroll + 1, all.len());
    let shown: Vec<Line> = all
        .into_iter()
        .skip(v.scroll)
        .map(|(heading, text)| match heading {
            true => Line::from(Span::styled(text, v.theme.title())),
            false => Line::from(text),
        })
        .collect();
    let block = Block::default().borders(Borders::TOP).title(title);
    frame.render_widget(Paragraph::new(shown).block(block), area);
}
