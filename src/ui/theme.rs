//! Colours, after HAProxy's stats page legend. Every state is also spelled out in text, so the
//! plain theme (for `NO_COLOR`) loses nothing but the colour.

use crate::events::ServerStatus;
use ratatui::style::{Color, Modifier, Style};

/// The styles the dashboard draws with. An explicit value, so tests can pick one without
/// touching the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether any colour is used at all.
    pub colored: bool,
}

/// HAProxy's "maintenance" brown (`#c07820` on the stats page).
const BROWN: Color = Color::Rgb(0xc0, 0x78, 0x20);
/// HAProxy's "going up" amber (`#ffd020` is too close to yellow on a terminal).
const AMBER: Color = Color::Rgb(0xff, 0x99, 0x20);

impl Theme {
    pub const COLORED: Theme = Theme { colored: true };
    pub const PLAIN: Theme = Theme { colored: false };

    /// Colours unless `NO_COLOR` is set to anything non-empty (https://no-color.org).
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::PLAIN,
            _ => Theme::COLORED,
        }
    }

    /// A foreground colour, or nothing in the plain theme.
    fn fg(self, color: Color) -> Style {
        if self.colored {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn status(self, status: ServerStatus) -> Style {
        let color = match status {
            ServerStatus::Up => Color::Green,
            ServerStatus::GoingDown { .. } => Color::Yellow,
            ServerStatus::GoingUp { .. } => AMBER,
            ServerStatus::Down => Color::Red,
            ServerStatus::Drain | ServerStatus::DrainGoingDown { .. } => Color::Blue,
            ServerStatus::Maint => BROWN,
            ServerStatus::NoCheck => Color::DarkGray,
        };
        self.fg(color)
    }

    /// The backend's `n/m UP` label: red when nothing is up, yellow when some are down.
    pub fn up_count(self, up: usize, total: usize) -> Style {
        let color = match up {
            0 => Color::Red,
            n if n < total => Color::Yellow,
            _ => Color::Green,
        };
        self.fg(color).add_modifier(Modifier::BOLD)
    }

    /// The selected row. Reversed rather than a background colour, so it shows without colour
    /// and never hides the status colour.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn badge(self) -> Style {
        if self.colored {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn table_header(self) -> Style {
        self.fg(Color::Gray).add_modifier(Modifier::UNDERLINED)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn border(self) -> Style {
        self.fg(Color::DarkGray)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_theme_has_no_colour() {
        let t = Theme::PLAIN;
        let styles = [
            t.status(ServerStatus::Down),
            t.status(ServerStatus::Drain),
            t.up_count(0, 2),
            t.selected(),
            t.title(),
            t.badge(),
            t.error(),
            t.border(),
        ];
        for s in styles {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
    }

    #[test]
    fn status_colours_follow_haproxy_legend() {
        let t = Theme::COLORED;
        assert_eq!(t.status(ServerStatus::Up).fg, Some(Color::Green));
        assert_eq!(t.status(ServerStatus::Down).fg, Some(Color::Red));
        assert_eq!(t.status(ServerStatus::Maint).fg, Some(BROWN));
        assert_eq!(
            t.status(ServerStatus::GoingUp { x: 1, y: 2 }).fg,
            Some(AMBER)
        );
    }
}
