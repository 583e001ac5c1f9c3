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
//!
//! Pausing (`p`) freezes the lines on screen as they are: tui-logger can only page, putting
//! the top line in the middle (half a screen back), so the pane keeps a copy of the lines it
//! last drew and draws that copy while paused ([`Frozen`]). Paging from there, or a key that
//! changes what the pane lists, hands over to tui-logger's own scroll-back.

use super::theme::Theme;
use crate::events::{Level, Topic};
use log::LevelFilter;
use ratatui::buffer::Cell;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;
use std::cell::RefCell;
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
    /// The lines drawn last while following (written while drawing, hence the cell).
    drawn: RefCell<Option<Frozen>>,
    /// While paused: the lines on screen when `p` was pressed.
    frozen: Option<Frozen>,
}

/// The log lines of one frame: the cells inside the log's border.
#[derive(Debug, Clone, PartialEq)]
struct Frozen {
    area: Rect,
    cells: Vec<Cell>,
}

impl Frozen {
    fn copy(buf: &ratatui::buffer::Buffer, area: Rect) -> Frozen {
        let cells = area.positions().map(|p| buf[p].clone()).collect();
        Frozen { area, cells }
    }

    fn paste(&self, buf: &mut ratatui::buffer::Buffer) {
        for (p, cell) in self.area.positions().zip(&self.cells) {
            buf[p] = cell.clone();
        }
    }
}

/// The lines of the log pane inside `area` as tui-logger drew it: inside the border of its
/// last block (the topic list, when shown, is the first one).
fn lines_area(buf: &ratatui::buffer::Buffer, area: Rect) -> Option<Rect> {
    let left = (area.left()..area.right())
        .rev()
        .find(|&x| buf[(x, area.top())].symbol() == "┌")?;
    let width = area.right().checked_sub(left + 2)?;
    let height = area.height.checked_sub(2)?;
    Some(Rect::new(left + 1, area.top() + 1, width, height))
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
            drawn: RefCell::new(None),
            frozen: None,
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

    /// A key for tui-logger's smart widget (scroll, levels, topic selector). Anything but
    /// moving through the topic list ends a freeze: tui-logger's scroll-back takes over,
    /// anchored where the freeze was.
    pub(super) fn transition(&mut self, event: TuiWidgetEvent) {
        use TuiWidgetEvent::{DownKey, MinusKey, PlusKey, UpKey};
        if !matches!(event, UpKey | DownKey | PlusKey | MinusKey) {
            self.frozen = None;
        }
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
        self.frozen = None;
        self.transition(TuiWidgetEvent::EscapeKey);
    }

    /// `p`: freezes the lines on screen, or follows again.
    pub(super) fn toggle_pause(&mut self) {
        if self.paused {
            return self.follow();
        }
        // tui-logger pages back from the top line drawn last: PgUp from the freeze lands
        // a whole screen before it, where a reader expects.
        self.page_up();
        self.frozen = self.drawn.get_mut().take();
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
        self.keep_or_freeze(frame.buffer_mut(), area);
    }

    /// Following: keeps a copy of the lines just drawn, for `p`. Frozen: draws the copy
    /// over tui-logger's lines, unless the pane moved (a resize, the topic list shown).
    fn keep_or_freeze(&self, buf: &mut ratatui::buffer::Buffer, area: Rect) {
        let Some(lines) = lines_area(buf, area) else {
            return;
        };
        match &self.frozen {
            Some(frozen) if frozen.area == lines => frozen.paste(buf),
            Some(_) => {}
            None if !self.paused => *self.drawn.borrow_mut() = Some(Frozen::copy(buf, lines)),
            None => {}
        }
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
            // One row per event, cut between words: the strip never wraps.
            .formatter(Box::new(super::strip::StripFormatter {
                clock: self.clock.clone(),
                theme,
            }))
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
