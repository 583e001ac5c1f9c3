//! The log: tui-logger's smart widget on the log view (per-topic levels, scroll-back, pause,
//! topic focus), and a short strip of recent events under the other views so an action's
//! result is always in sight. Rendering reads tui-logger's global buffer, which exists (empty)
//! even when no logger is installed, so tests can draw it too.
//!
//! Traffic lines are the expensive ones; they are captured only when the `traffic` topic's
//! capture level is raised (`c`, or `+` on the topic), and formatted only then.
//!
//! tui-logger keeps the widgets' scroll state behind a lock of its own, so moving through the
//! log and drawing it both go through [`TuiWidgetState`]; lbtop's own state here (paused,
//! capturing) changes only on keys.

use super::theme::Theme;
use crate::events::{Level, Topic};
use log::LevelFilter;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;
use tui_logger::{
    TuiLoggerLevelOutput, TuiLoggerSmartWidget, TuiLoggerWidget, TuiWidgetEvent, TuiWidgetState,
};

/// The topics the engine logs under; listed in the pane's topic selector from the start.
pub const TOPICS: [Topic; 4] = [Topic::Health, Topic::Admin, Topic::Traffic, Topic::System];

/// The log view's state (scroll position, shown levels, selector), the strip's, how
/// timestamps are printed, whether the view is paused and whether traffic is captured.
pub struct LogPane {
    state: TuiWidgetState,
    strip: TuiWidgetState,
    /// A strftime format; a fixed text (no `%`) freezes the clock for screenshots.
    clock: String,
    paused: bool,
    /// Whether finished sessions are formatted into traffic log lines.
    capture: bool,
}

impl std::fmt::Debug for LogPane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogPane").finish_non_exhaustive()
    }
}

impl Default for LogPane {
    fn default() -> Self {
        Self::new()
    }
}

impl LogPane {
    pub fn new() -> LogPane {
        let mut state = TuiWidgetState::new().set_default_display_level(LevelFilter::Info);
        for topic in TOPICS {
            state = state.set_level_for_target(topic.as_str(), LevelFilter::Debug);
        }
        // The strip is for events; traffic lines would drown them.
        let strip = TuiWidgetState::new()
            .set_default_display_level(LevelFilter::Info)
            .set_level_for_target(Topic::Traffic.as_str(), LevelFilter::Off);
        LogPane {
            state,
            strip,
            clock: "%H:%M:%S".into(),
            paused: false,
            capture: false,
        }
    }

    /// Whether the log view stopped following new lines.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Whether finished sessions are formatted into traffic log lines.
    pub fn capturing(&self) -> bool {
        self.capture
    }

    /// How each line's time is printed (a strftime format, or a frozen text).
    pub fn clock(&self) -> &str {
        &self.clock
    }

    /// Prints this text instead of each line's time (fixtures and screenshots).
    pub fn freeze_clock(&mut self, text: &str) {
        self.clock = text.replace('%', "");
    }

    /// Shows the traffic topic again once it is captured: tui-logger lowers a topic's shown
    /// level to its captured level (off at start) and never raises it by itself.
    pub fn show_traffic(&mut self) {
        self.state = std::mem::take(&mut self.state)
            .set_level_for_target(Topic::Traffic.as_str(), LevelFilter::Debug);
    }

    /// A key for tui-logger's smart widget (scroll, levels, topic selector).
    pub(super) fn transition(&mut self, event: TuiWidgetEvent) {
        self.state.transition(event);
    }

    /// Page mode: the view stops following new lines.
    pub(super) fn page_up(&mut self) {
        self.paused = true;
        self.transition(TuiWidgetEvent::PrevPageKey);
    }

    /// Follows new lines again.
    pub(super) fn follow(&mut self) {
        self.paused = false;
        self.transition(TuiWidgetEvent::EscapeKey);
    }

    pub(super) fn toggle_pause(&mut self) {
        if self.paused {
            self.follow();
        } else {
            self.page_up();
        }
    }

    /// `c`: traffic capture on or off, in the logger too. Returns whether it is now on.
    pub(super) fn toggle_capture(&mut self) -> bool {
        self.capture = !self.capture;
        set_traffic_capture(self.capture);
        if self.capture {
            self.show_traffic();
        }
        self.capture
    }

    /// The traffic topic's capture level changed elsewhere (the log view's `+`/`-`). Returns
    /// whether that is news.
    pub(super) fn sync_capture(&mut self, on: bool) -> bool {
        let changed = self.capture != on;
        self.capture = on;
        if changed && on {
            self.show_traffic();
        }
        changed
    }

    /// The log view's title: whether traffic is captured (and the key that turns it on), and
    /// whether the view is paused.
    fn title(&self, theme: Theme, capture_key: &str) -> Line<'static> {
        let mut spans = vec![Span::styled(" log ", theme.title())];
        if self.capture {
            spans.push(Span::styled(" traffic capture ON ", theme.badge()));
        } else {
            spans.push(Span::styled(
                format!(" traffic capture off ({capture_key} turns it on) "),
                theme.dim(),
            ));
        }
        if self.paused {
            spans.push(Span::styled(" PAUSED (Esc follows) ", theme.stale()));
        }
        Line::from(spans)
    }

    /// The full log view; `capture_key` is the key that turns traffic capture on.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: Theme, capture_key: &str) {
        let widget = TuiLoggerSmartWidget::default()
            .title_log(self.title(theme, capture_key))
            .title_target("topics")
            .border_style(theme.border())
            .style_error(theme.error())
            .style_warn(theme.warn())
            .style_info(ratatui::style::Style::new())
            .style_debug(theme.dim())
            .style_trace(theme.dim())
            .highlight_style(theme.selected())
            .style_show(theme.selected())
            .style_hide(ratatui::style::Style::new())
            .style_off(theme.dim())
            .output_separator(' ')
            .output_timestamp(Some(self.clock.clone()))
            .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
            .output_target(true)
            .output_file(false)
            .output_line(false)
            .state(&self.state);
        frame.render_widget(widget, area);
    }

    /// The last few events, under the other views.
    pub fn render_strip(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let title = Line::from(vec![
            Span::styled(" events ", theme.title()),
            Span::styled("(6: full log) ", theme.dim()),
        ]);
        let widget = TuiLoggerWidget::default()
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(theme.border())
                    .title(title),
            )
            .style_error(theme.error())
            .style_warn(theme.warn())
            .style_info(ratatui::style::Style::new())
            .style_debug(theme.dim())
            .style_trace(theme.dim())
            .output_separator(' ')
            .output_timestamp(Some(self.clock.clone()))
            .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
            .output_target(true)
            .output_file(false)
            .output_line(false)
            .state(&self.strip);
        frame.render_widget(widget, area);
    }
}

/// Raises or lowers the capture level of the `traffic` topic in the logger itself, so the
/// log view's selector shows the same thing.
pub fn set_traffic_capture(on: bool) {
    let level = if on {
        LevelFilter::Info
    } else {
        LevelFilter::Off
    };
    tui_logger::set_level_for_target(Topic::Traffic.as_str(), level);
}

/// Whether the logger would keep a traffic line right now (one check per batch, not per line).
pub fn traffic_captured() -> bool {
    log::log_enabled!(target: "traffic", log::Level::Info)
}

/// Syslog severities folded onto `log`'s five levels.
pub fn log_level(level: Level) -> log::Level {
    match level {
        Level::Emerg | Level::Alert | Level::Crit | Level::Err => log::Level::Error,
        Level::Warning => log::Level::Warn,
        Level::Notice | Level::Info => log::Level::Info,
        Level::Debug => log::Level::Debug,
    }
}

/// Sends one line to the `log` facade, under its topic as target.
pub fn emit(level: Level, topic: &str, text: &str) {
    log::log!(target: topic, log_level(level), "{text}");
}

/// Puts a line straight into tui-logger's buffer, logger installed or not (fixtures, tests).
pub fn inject(level: Level, topic: &str, text: &str) {
    tui_logger::Drain::new().log(
        &log::Record::builder()
            .level(log_level(level))
            .target(topic)
            .args(format_args!("{text}"))
            .build(),
    );
    tui_logger::move_events();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_levels_fold_like_haproxy_severities() {
        assert_eq!(log_level(Level::Emerg), log::Level::Error);
        assert_eq!(log_level(Level::Err), log::Level::Error);
        assert_eq!(log_level(Level::Warning), log::Level::Warn);
        assert_eq!(log_level(Level::Notice), log::Level::Info);
        assert_eq!(log_level(Level::Debug), log::Level::Debug);
    }
}
