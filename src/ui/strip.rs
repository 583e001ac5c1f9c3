//! The event strip's rows: one per event, cut between words with `…` when the row is too
//! narrow. tui-logger's own formatter wraps mid-word (`DOW` / `N.`), and a wrapped event
//! takes the row of another.

use super::theme::Theme;
use ratatui::style::Style;
use ratatui::text::Line;
use tui_logger::{ExtLogRecord, LogFormatter};

/// Formats events as the log view does (`08:42:17 W health Server …`), one row each.
pub(super) struct StripFormatter {
    /// A strftime format, or a fixed text (fixtures).
    pub clock: String,
    pub theme: Theme,
}

impl LogFormatter for StripFormatter {
    fn min_width(&self) -> u16 {
        12
    }

    fn format(&self, width: usize, evt: &ExtLogRecord) -> Vec<Line<'_>> {
        let (level, style) = match evt.level {
            log::Level::Error => ("E", self.theme.error()),
            log::Level::Warn => ("W", self.theme.warn()),
            log::Level::Info => ("I", Style::new()),
            log::Level::Debug => ("D", self.theme.dim()),
            log::Level::Trace => ("T", self.theme.dim()),
        };
        let time = evt.timestamp.strftime(&self.clock);
        let mut lines = evt.msg().lines();
        let first = lines.next().unwrap_or_default();
        let text = format!("{time} {level} {} {first}", evt.target());
        let more = lines.next().is_some();
        vec![Line::styled(fit(&text, width, more), style)]
    }
}

/// `text` in `width` columns: whole when it fits; else up to the last whole word that fits,
/// then `…`. `more`: lines follow that the strip does not show, also marked `…`.
pub fn fit(text: &str, width: usize, more: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() + usize::from(more) <= width {
        return if more {
            format!("{text}…")
        } else {
            text.into()
        };
    }
    let room = width.saturating_sub(1);
    let head = &chars[..room];
    // The cut falls between two words, or goes back to the last space.
    let end = match chars[room] == ' ' {
        true => room,
        false => head.iter().rposition(|&c| c == ' ').unwrap_or(0),
    };
    let kept: String = head[..end].iter().collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn cuts_between_words_with_an_ellipsis() {
        let line = "01:02:03 W health Server hoge/web11 is DOWN. 1 active";
        assert_eq!(fit(line, 80, false), line);
        assert_eq!(
            fit(line, 44, false),
            "01:02:03 W health Server hoge/web11 is…"
        );
        assert_eq!(
            fit(line, 45, false),
            "01:02:03 W health Server hoge/web11 is DOWN.…"
        );
        assert_eq!(
            fit(line, 43, false),
            "01:02:03 W health Server hoge/web11 is…"
        );
        assert_eq!(
            fit(line, 40, false),
            "01:02:03 W health Server hoge/web11 is…"
        );
        assert_eq!(
            fit(line, 39, false),
            "01:02:03 W health Server hoge/web11 is…"
        );
        assert_eq!(fit(line, 38, false), "01:02:03 W health Server hoge/web11…");
        assert_eq!(fit("abc def", 7, true), "abc…");
        assert_eq!(fit("abc def", 8, true), "abc def…");
        assert_eq!(fit("abcdef", 4, false), "…");
    }
}
