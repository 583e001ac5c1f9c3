//! The one table of keys: it drives key handling, the footer and the help popup, so the three
//! can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Drain,
    Maint,
    Ready,
    DemoServer,
    DemoHealthPage,
    DemoTraffic,
    LogPageUp,
    LogPageDown,
    LogTargets,
    Help,
    Close,
    Quit,
}

impl Action {
    /// Whether it changes the balancer or the lab; read-only mode refuses these.
    pub fn mutates(self) -> bool {
        self.is_admin() || self.is_demo()
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Action::Drain | Action::Maint | Action::Ready)
    }

    pub fn is_demo(self) -> bool {
        matches!(
            self,
            Action::DemoServer | Action::DemoHealthPage | Action::DemoTraffic
        )
    }
}

/// A key as the table spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable key; Shift is allowed since `?` needs it on most layouts.
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Char(c) => !ctrl && ev.code == KeyCode::Char(c),
            Key::Ctrl(c) => ctrl && ev.code == KeyCode::Char(c),
            Key::Code(code) => !ctrl && ev.code == code,
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written in the footer and help.
    pub label: &'static str,
    pub action: Action,
    /// Keys and a word or two for the footer; `None` keeps the footer short.
    pub footer: Option<(&'static str, &'static str)>,
    /// The sentence in the help popup.
    pub help: &'static str,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Key::Code(KeyCode::Up), Key::Char('k')],
        label: "↑/k",
        action: Action::Up,
        footer: None,
        help: "select the previous server",
    },
    Binding {
        keys: &[Key::Code(KeyCode::Down), Key::Char('j')],
        label: "↓/j",
        action: Action::Down,
        footer: Some(("↑↓/jk", "select")),
        help: "select the next server",
    },
    Binding {
        keys: &[Key::Char('d')],
        label: "d",
        action: Action::Drain,
        footer: Some(("d", "drain")),
        help: "drain the selected server (set state drain: no new traffic)",
    },
    Binding {
        keys: &[Key::Char('m')],
        label: "m",
        action: Action::Maint,
        footer: Some(("m", "maint")),
        help: "put the selected server in maintenance (set state maint)",
    },
    Binding {
        keys: &[Key::Char('r')],
        label: "r",
        action: Action::Ready,
        footer: Some(("r", "ready")),
        help: "make the selected server ready again (set state ready)",
    },
    Binding {
        keys: &[Key::Char('s')],
        label: "s",
        action: Action::DemoServer,
        footer: Some(("s", "web on/off")),
        help: "stop/start the demo web server behind the selected server",
    },
    Binding {
        keys: &[Key::Char('x')],
        label: "x",
        action: Action::DemoHealthPage,
        footer: Some(("x", "health page")),
        help: "delete/restore that demo server's health_check.html",
    },
    Binding {
        keys: &[Key::Char('t')],
        label: "t",
        action: Action::DemoTraffic,
        footer: Some(("t", "traffic")),
        help: "start/stop the traffic generator",
    },
    Binding {
        keys: &[Key::Code(KeyCode::PageUp)],
        label: "PgUp",
        action: Action::LogPageUp,
        footer: None,
        help: "scroll the log back",
    },
    Binding {
        keys: &[Key::Code(KeyCode::PageDown)],
        label: "PgDn",
        action: Action::LogPageDown,
        footer: Some(("PgUp/PgDn", "log")),
        help: "scroll the log forward",
    },
    Binding {
        keys: &[Key::Char('h')],
        label: "h",
        action: Action::LogTargets,
        footer: None,
        help: "show/hide the log's target list",
    },
    Binding {
        keys: &[Key::Char('?')],
        label: "?",
        action: Action::Help,
        footer: Some(("?", "help")),
        help: "show/hide this help",
    },
    Binding {
        keys: &[Key::Code(KeyCode::Esc)],
        label: "Esc",
        action: Action::Close,
        footer: None,
        help: "close this help; follow the log live again",
    },
    Binding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "q/Ctrl-C",
        action: Action::Quit,
        footer: Some(("q", "quit")),
        help: "quit",
    },
];

/// The action bound to a key, if any.
pub fn action_for(ev: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn letters_arrows_and_ctrl_c_resolve() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            action_for(&key(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(action_for(&key(KeyCode::Up, none)), Some(Action::Up));
        assert_eq!(
            action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        // Ctrl-D is not `d`: a stray chord must not drain a server.
        assert_eq!(
            action_for(&key(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(action_for(&key(KeyCode::Char('Z'), none)), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let keys: Vec<Key> = BINDINGS
            .iter()
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} bound twice");
        }
    }
}
