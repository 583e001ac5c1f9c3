//! The log pane: tui-logger's widget over the `log` records the runner emits for engine events
//! and traffic. Rendering reads tui-logger's global buffer, which exists (empty) even when no
//! logger is installed, so tests can draw it too.

use super::theme::Theme;
use crate::events::{Level, Topic};
use log::LevelFilter;
use ratatui::layout::Rect;
use ratatui::Frame;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerSmartWidget, TuiWidgetEvent, TuiWidgetState};

/// The topics the engine logs under; listed in the pane's target selector from the start.
const TOPICS: [Topic; 4] = [Topic::Health, Topic::Admin, Topic::Traffic, Topic::System];

/// The pane's scroll position, target filter and selector visibility.
pub struct LogPane {
    state: TuiWidgetState,
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
        LogPane { state }
    }

    pub fn transition(&self, event: TuiWidgetEvent) {
        self.state.transition(event);
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let widget = TuiLoggerSmartWidget::default()
            .title_log("log")
            .title_target("topics")
            .border_style(theme.border())
            .style_error(theme.error())
            .style_warn(theme.warn())
            .style_info(ratatui::style::Style::new())
            .style_debug(theme.dim())
            .style_trace(theme.dim())
            .highlight_style(theme.selected())
            .output_separator(' ')
            .output_timestamp(Some("%H:%M:%S".to_string()))
            .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
            .output_target(true)
            .output_file(false)
            .output_line(false)
            .state(&self.state);
        frame.render_widget(widget, area);
    }
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
