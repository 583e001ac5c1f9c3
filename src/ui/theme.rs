//! Colours, after HAProxy's stats page legend. Every state is also spelled out in text, so the
//! plain theme (`theme = "mono"`, or `NO_COLOR`) loses nothing but the colour.

use crate::config::UiTheme;
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
pub const BROWN: Color = Color::Rgb(0xc0, 0x78, 0x20);
/// HAProxy's "going up" amber (`#ffd020` is too close to yellow on a terminal).
pub const AMBER: Color = Color::Rgb(0xff, 0x99, 0x20);

impl Theme {
    pub const COLORED: Theme = Theme { colored: true };
    pub const PLAIN: Theme = Theme { colored: false };

    /// Colours unless `NO_COLOR` is set to anything non-empty (https://no-color.org).
    pub fn from_env() -> Theme {
        Theme::resolve(UiTheme::Default, std::env::var_os("NO_COLOR"))
    }

    /// The configured theme, overruled by a non-empty `NO_COLOR`.
    pub fn resolve(configured: UiTheme, no_color: Option<std::ffi::OsString>) -> Theme {
        match (configured, no_color) {
            (_, Some(v)) if !v.is_empty() => Theme::PLAIN,
            (UiTheme::Mono, _) => Theme::PLAIN,
            (UiTheme::Default, _) => Theme::COLORED,
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
            // HAProxy paints NOLB the blue of DRAIN, a shade lighter.
            ServerStatus::Nolb | ServerStatus::NolbGoingDown { .. } => Color::LightBlue,
            ServerStatus::Maint => BROWN,
            ServerStatus::NoCheck => Color::DarkGray,
        };
        let style = self.fg(color);
        // Without colour, the states that need attention still stand out.
        match status {
            ServerStatus::Down | ServerStatus::Maint if !self.colored => {
                style.add_modifier(Modifier::BOLD)
            }
            _ => style,
        }
    }

    /// A BACKEND row's `UP` / `DOWN`, a FRONTEND row's `OPEN`.
    pub fn proxy_status(self, up: bool) -> Style {
        if up {
            self.fg(Color::Green)
        } else {
            self.fg(Color::Red).add_modifier(Modifier::BOLD)
        }
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

    /// FRONTEND and BACKEND rows: totals, set apart from the servers.
    pub fn aggregate(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
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

    /// The current view's tab.
    pub fn tab_active(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn tab(self) -> Style {
        self.fg(Color::Gray)
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

    /// Data that stopped arriving: loud, and loud without colour too.
    pub fn stale(self) -> Style {
        if self.colored {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn border(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn sparkline(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// A gauge by how full it is.
    pub fn gauge(self, ratio: f64) -> Style {
        let color = if ratio >= 0.9 {
            Color::Red
        } else if ratio >= 0.7 {
            Color::Yellow
        } else {
            Color::Green
        };
        self.fg(color)
    }

    /// A counter that counts trouble: plain at zero, red otherwise.
    pub fn trouble(self, n: u64) -> Style {
        if n == 0 {
            self.dim()
        } else {
            self.fg(Color::Red)
        }
    }

    /// HTTP status classes: 2xx green, 3xx cyan, 4xx yellow, 5xx red.
    pub fn http_class(self, class: usize) -> Style {
        match class {
            1 => self.ok(),
            2 => self.fg(Color::Cyan),
            3 => self.warn(),
            4 => self.error(),
            _ => Style::new(),
        }
    }

    /// The layer names on the L4/L7 view.
    pub fn layer(self, l7: bool) -> Style {
        let color = if l7 { Color::Magenta } else { Color::Blue };
        self.fg(color).add_modifier(Modifier::BOLD)
    }

    pub fn server_name(self) -> Style {
        self.fg(Color::White).add_modifier(Modifier::BOLD)
    }

    /// Something lbtop added or did on its own (a header, a new connection).
    pub fn added(self) -> Style {
        self.fg(Color::Magenta)
    }

    pub fn popup(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
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
            t.stale(),
            t.gauge(0.95),
            t.trouble(3),
            t.http_class(4),
            t.layer(true),
            t.aggregate(),
        ];
        for s in styles {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
    }

    #[test]
    fn status_colours_follow_haproxy_legend() {
        let t = Theme::COLORED;
        assert_eq!(t.status(ServerStatus::Up).fg, Some(Color::Green));
        assert_eq!(
            t.status(ServerStatus::GoingDown { x: 1, y: 2 }).fg,
            Some(Color::Yellow)
        );
        assert_eq!(t.status(ServerStatus::Down).fg, Some(Color::Red));
        assert_eq!(t.status(ServerStatus::Drain).fg, Some(Color::Blue));
        assert_eq!(t.status(ServerStatus::Maint).fg, Some(BROWN));
        assert_eq!(
            t.status(ServerStatus::GoingUp { x: 1, y: 2 }).fg,
            Some(AMBER)
        );
    }

    #[test]
    fn no_color_overrules_the_configured_theme() {
        use std::ffi::OsString;
        assert_eq!(Theme::resolve(UiTheme::Default, None), Theme::COLORED);
        assert_eq!(Theme::resolve(UiTheme::Mono, None), Theme::PLAIN);
        let set = Some(OsString::from("1"));
        assert_eq!(Theme::resolve(UiTheme::Default, set), Theme::PLAIN);
        let empty = Some(OsString::new());
        assert_eq!(Theme::resolve(UiTheme::Default, empty), Theme::COLORED);
    }
}
