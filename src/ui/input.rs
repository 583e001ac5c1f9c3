//! From the terminal to the key vocabulary: a crossterm key event becomes a [`Key`] that the
//! keymap in force (`crate::keys`, no terminal there) resolves to an action.
//!
//! The matching rules: a character without Ctrl is [`Key::Char`] (Shift allowed, since `?` or
//! `+` need it on most layouts), a character with Ctrl is [`Key::Ctrl`], a named key without
//! Ctrl is [`Key::Code`]. Anything else (a named key with Ctrl, media keys, modifiers alone)
//! is no key of the table.

use crate::keys::{Action, Key, KeyCode, Keymap, View};
use crossterm::event::{KeyCode as TermCode, KeyEvent, KeyModifiers};

/// The table's key for a terminal key event, if it can be one.
pub fn key_of(ev: &KeyEvent) -> Option<Key> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let code = match ev.code {
        TermCode::Char(c) if ctrl => return Some(Key::Ctrl(c)),
        TermCode::Char(c) => return Some(Key::Char(c)),
        _ if ctrl => return None,
        TermCode::Up => KeyCode::Up,
        TermCode::Down => KeyCode::Down,
        TermCode::Left => KeyCode::Left,
        TermCode::Right => KeyCode::Right,
        TermCode::PageUp => KeyCode::PageUp,
        TermCode::PageDown => KeyCode::PageDown,
        TermCode::Home => KeyCode::Home,
        TermCode::End => KeyCode::End,
        TermCode::Tab => KeyCode::Tab,
        TermCode::BackTab => KeyCode::BackTab,
        TermCode::Esc => KeyCode::Esc,
        TermCode::Enter => KeyCode::Enter,
        TermCode::Backspace => KeyCode::Backspace,
        TermCode::Delete => KeyCode::Delete,
        TermCode::Insert => KeyCode::Insert,
        TermCode::F(n) => KeyCode::F(n),
        _ => return None,
    };
    Some(Key::Code(code))
}

/// The keys in force, as the footer and help list them: the keymap, whether actions are
/// disabled (read-only), and whether the demo keys have anything to act on.
#[derive(Debug, Clone, Copy)]
pub struct KeysInForce<'a> {
    pub map: &'a Keymap,
    pub read_only: bool,
    pub demo: bool,
    /// Whether the dashboard is attached to HAProxy nodes (the node key works).
    pub attached: bool,
}

/// The action a terminal key event means in a view, if any.
pub fn action_for(keymap: &Keymap, view: View, ev: &KeyEvent) -> Option<Action> {
    keymap.action_for(view, key_of(ev)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: TermCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn letters_arrows_and_ctrl_c_resolve() {
        let m = &Keymap::default();
        let none = KeyModifiers::NONE;
        let v = View::Status;
        assert_eq!(
            action_for(m, v, &key(TermCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(action_for(m, v, &key(TermCode::Up, none)), Some(Action::Up));
        assert_eq!(
            action_for(m, View::Log, &key(TermCode::Up, none)),
            Some(Action::LogUp)
        );
        assert_eq!(
            action_for(m, v, &key(TermCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(m, v, &key(TermCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            action_for(m, v, &key(TermCode::Char('+'), KeyModifiers::SHIFT)),
            Some(Action::WeightUp)
        );
        assert_eq!(
            action_for(m, View::Log, &key(TermCode::Char('+'), none)),
            Some(Action::LogCaptureMore)
        );
        // Ctrl-D is not `d`: a stray chord must not drain a server.
        assert_eq!(
            action_for(m, v, &key(TermCode::Char('d'), KeyModifiers::CONTROL)),
            None
        );
        // Server actions do nothing on the log view.
        assert_eq!(
            action_for(m, View::Log, &key(TermCode::Char('d'), none)),
            None
        );
        assert_eq!(action_for(m, v, &key(TermCode::Char('Z'), none)), None);
    }

    #[test]
    fn named_keys_need_no_ctrl_and_shift_is_allowed() {
        let m = &Keymap::default();
        let v = View::Status;
        // A named key with Ctrl is no key of the table.
        assert_eq!(
            action_for(m, v, &key(TermCode::Tab, KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(
            action_for(m, v, &key(TermCode::Tab, KeyModifiers::NONE)),
            Some(Action::NextView)
        );
        assert_eq!(
            action_for(m, v, &key(TermCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevView)
        );
        assert_eq!(
            action_for(m, v, &key(TermCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::End)
        );
        assert_eq!(
            key_of(&key(TermCode::F(5), KeyModifiers::ALT)),
            Some(Key::Code(KeyCode::F(5)))
        );
        assert_eq!(key_of(&key(TermCode::Null, KeyModifiers::NONE)), None);
        assert_eq!(key_of(&key(TermCode::CapsLock, KeyModifiers::NONE)), None);
    }
}
