//! One line of typed text (the `:` prompt, a typed weight, a log search): the editing keys
//! come from `tui-input` (←/→, Home/End, Backspace/Del, Ctrl-A/E/U/W), Enter and Esc end
//! it, and the caller sees each key's outcome.

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

/// What a key did to the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The text or the cursor changed (or nothing did).
    Typed,
    /// Enter: the text as it stands.
    Done(String),
    /// Esc: give up.
    Cancelled,
    /// A key the line does not use (↑/↓, Tab, PgUp …), for the caller to take.
    Other(KeyEvent),
}

#[derive(Debug, Default, Clone)]
pub struct LineEdit {
    input: Input,
}

impl LineEdit {
    pub fn new(text: &str) -> LineEdit {
        LineEdit {
            input: Input::new(text.to_string()),
        }
    }

    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// Replaces the text, the cursor at its end (history, completion).
    pub fn set(&mut self, text: &str) {
        self.input = Input::new(text.to_string());
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> Edit {
        if key.kind == KeyEventKind::Release {
            return Edit::Typed;
        }
        match key.code {
            KeyCode::Enter => return Edit::Done(self.text().to_string()),
            KeyCode::Esc => return Edit::Cancelled,
            KeyCode::Up | KeyCode::Down | KeyCode::Tab | KeyCode::BackTab => {
                return Edit::Other(*key)
            }
            KeyCode::PageUp | KeyCode::PageDown => return Edit::Other(*key),
            _ => {}
        }
        match self.input.handle_event(&TermEvent::Key(*key)) {
            Some(_) => Edit::Typed,
            None => Edit::Other(*key),
        }
    }

    /// Draws `prompt` then the text, scrolled so the cursor shows, and puts the terminal's
    /// cursor there.
    pub fn render(&self, frame: &mut Frame, area: Rect, prompt: &str, style: Style) {
        let room = (area.width as usize).saturating_sub(prompt.chars().count() + 1);
        let scroll = self.input.visual_scroll(room);
        let shown: String = self.text().chars().skip(scroll).collect();
        let line = Line::from(vec![
            Span::styled(prompt.to_string(), style),
            Span::raw(shown),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let x = prompt.chars().count() + self.input.visual_cursor().saturating_sub(scroll);
        let x = area.x.saturating_add(x.min(area.width as usize) as u16);
        frame.set_cursor_position(Position::new(x, area.y));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_editing_and_the_two_ends() {
        let mut l = LineEdit::default();
        for c in "show stat".chars() {
            assert_eq!(l.on_key(&key(KeyCode::Char(c))), Edit::Typed);
        }
        assert_eq!(l.on_key(&key(KeyCode::Backspace)), Edit::Typed);
        assert_eq!(l.text(), "show sta");
        assert_eq!(l.on_key(&key(KeyCode::Left)), Edit::Typed);
        l.on_key(&key(KeyCode::Char('X')));
        assert_eq!(l.text(), "show stXa");
        assert!(matches!(l.on_key(&key(KeyCode::Tab)), Edit::Other(_)));
        assert_eq!(
            l.on_key(&key(KeyCode::Enter)),
            Edit::Done("show stXa".into())
        );
        assert_eq!(l.on_key(&key(KeyCode::Esc)), Edit::Cancelled);
        l.set("set weight");
        assert_eq!(l.text(), "set weight");
    }
}
