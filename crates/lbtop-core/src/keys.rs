//! The key vocabulary: the views, the actions keys ask for, the keys themselves and the one
//! table of bindings. It drives key handling, the footer and the help popup, so the three can
//! never disagree. `[ui.keys]` in `config.toml` rebinds actions by name; a key bound to two
//! actions that can fire in the same view is a configuration error, found at load.
//!
//! No terminal here: a [`Key`] is what the table spells, and the dashboard turns the
//! terminal's key events into one before asking [`Keymap::action_for`].

use std::fmt;

/// The screens, in key order (`1`..`7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Status,
    Traffic,
    Http,
    Errors,
    L4L7,
    Log,
    /// What lbtop loaded, as `lbtop check` prints it, and the keys in force.
    Config,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Status,
        View::Traffic,
        View::Http,
        View::Errors,
        View::L4L7,
        View::Log,
        View::Config,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Status => "Status",
            View::Traffic => "Traffic",
            View::Http => "HTTP",
            View::Errors => "Errors",
            View::L4L7 => "L4/L7",
            View::Log => "Log",
            View::Config => "Config",
        }
    }

    /// The four views that list servers (and so have a selection, a filter and a sort).
    pub fn has_servers(self) -> bool {
        self.index() < 4
    }

    /// The view `by` steps along, wrapping around (Tab, Shift-Tab).
    pub fn step(self, by: isize) -> View {
        let n = View::ALL.len() as isize;
        View::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // Everywhere.
    ViewStatus,
    ViewTraffic,
    ViewHttp,
    ViewErrors,
    ViewL4L7,
    ViewLog,
    ViewConfig,
    NextView,
    PrevView,
    CaptureTraffic,
    DemoTraffic,
    Help,
    Close,
    Quit,
    /// The `:` prompt: a runtime API command, as on the stats socket.
    Command,
    // The server views (1-4).
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Drain,
    Maint,
    Ready,
    /// Read the configuration file again (asks first).
    Reload,
    WeightUp,
    WeightDown,
    /// Type a weight: a number or a percentage, as `set server … weight`.
    SetWeight,
    /// Drain, then maintenance once the sessions reach 0.
    DrainThenMaint,
    /// The selected server's detail pane.
    Detail,
    ToggleChecks,
    Filter,
    /// Only the servers that are not plainly UP, or all again.
    DownOnly,
    SortNext,
    SortReverse,
    DemoServer,
    DemoHealthPage,
    /// `lbtop attach`: which node actions go to (all, or one).
    PickNode,
    // The live views (5, 6).
    Pause,
    // The log view (6).
    LogUp,
    LogDown,
    LogLess,
    LogMore,
    LogCaptureLess,
    LogCaptureMore,
    LogPageUp,
    LogPageDown,
    LogTargets,
    LogFocus,
    LogHideOff,
    /// Search the log; next and previous match.
    LogSearch,
    LogSearchNext,
    LogSearchPrev,
    /// Only one server's lines, cycling through the servers, then all again.
    LogServer,
}

impl Action {
    /// Whether it changes the balancer or the lab; read-only mode refuses these.
    pub fn mutates(self) -> bool {
        self.is_admin() || self.is_demo() || self == Action::Reload
    }
    // The `:` prompt is not here: in read-only mode it runs at the `user` level instead.

    /// Acts on the selected server through the engine.
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Action::Drain
                | Action::Maint
                | Action::Ready
                | Action::WeightUp
                | Action::WeightDown
                | Action::SetWeight
                | Action::DrainThenMaint
                | Action::ToggleChecks
        )
    }

    pub fn is_demo(self) -> bool {
        matches!(
            self,
            Action::DemoServer | Action::DemoHealthPage | Action::DemoTraffic
        )
    }

    /// Only means something under `lbtop attach`.
    pub fn is_attach(self) -> bool {
        self == Action::PickNode
    }

    /// The name `[ui.keys]` uses.
    pub fn name(self) -> &'static str {
        binding(self).name
    }

    pub fn from_name(name: &str) -> Option<Action> {
        BINDINGS.iter().find(|b| b.name == name).map(|b| b.action)
    }
}

/// Where a binding works: a set of views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(u8);

impl Scope {
    pub const ALL: Scope = Scope(0b111_1111);
    /// The four server tables: Status, Traffic, HTTP, Errors.
    pub const SERVERS: Scope = Scope(0b000_1111);
    pub const L4L7: Scope = Scope(0b001_0000);
    pub const LOG: Scope = Scope(0b010_0000);
    pub const LIVE: Scope = Scope(0b011_0000);
    pub const CONFIG: Scope = Scope(0b100_0000);
    /// The views with a list to move along: the server tables and the config view.
    pub const LISTS: Scope = Scope(0b100_1111);

    pub fn contains(self, view: View) -> bool {
        self.0 & (1 << view.index()) != 0
    }

    pub fn overlaps(self, other: Scope) -> bool {
        self.0 & other.0 != 0
    }

    /// Words for the help popup.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::ALL => "everywhere",
            Scope::SERVERS => "server views (1-4)",
            Scope::L4L7 => "L4/L7 view (5)",
            Scope::LOG => "log view (6)",
            Scope::LIVE => "L4/L7 and log views (5, 6)",
            Scope::CONFIG => "config view (7)",
            Scope::LISTS => "server and config views (1-4, 7)",
            _ => "some views",
        }
    }
}

/// A key that is not a character: the names the table and `[ui.keys]` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
    /// Shift-Tab.
    BackTab,
    Esc,
    Enter,
    Backspace,
    Delete,
    Insert,
    /// A function key; `[ui.keys]` accepts F1 to F12.
    F(u8),
}

/// A key as the table spells it. A terminal key press is one of these when it is a character
/// without Ctrl (Shift allowed, since `?` or `+` need it on most layouts: [`Key::Char`]), a
/// character with Ctrl ([`Key::Ctrl`]), or a named key without Ctrl ([`Key::Code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A printable key; Shift is allowed since `?` or `+` need it on most layouts.
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    /// Reads a key as `config.toml` writes it: `"d"`, `"+"`, `"PgUp"`, `"Tab"`, `"F5"`,
    /// `"Ctrl-x"`, `"Space"`. Names are case-insensitive; single characters are not.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return if c.is_control() {
                Err(format!("cannot use control character {c:?} as a key"))
            } else {
                Ok(Key::Char(c))
            };
        }
        let lower = text.to_ascii_lowercase();
        for prefix in ["ctrl-", "ctrl+", "c-"] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let mut cs = rest.chars();
                return match (cs.next(), cs.next()) {
                    (Some(c), None) if c.is_ascii_alphanumeric() => Ok(Key::Ctrl(c)),
                    _ => Err(format!(
                        "cannot read key '{text}': Ctrl goes with one letter or digit, as \"Ctrl-x\""
                    )),
                };
            }
        }
        let code = match lower.as_str() {
            "space" => return Ok(Key::Char(' ')),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" | "s-tab" => KeyCode::BackTab,
            "esc" | "escape" => KeyCode::Esc,
            "enter" | "return" => KeyCode::Enter,
            "backspace" => KeyCode::Backspace,
            "del" | "delete" => KeyCode::Delete,
            "ins" | "insert" => KeyCode::Insert,
            f if f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                return Err(format!(
                    "cannot read key '{text}': use one character (\"d\", \"+\"), a name \
                     (\"Up\", \"PgDn\", \"Home\", \"Tab\", \"Esc\", \"Enter\", \"Space\", \"F5\") \
                     or \"Ctrl-x\""
                ))
            }
        };
        Ok(Key::Code(code))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Char(' ') => f.write_str("Space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Ctrl(c) => write!(f, "Ctrl-{}", c.to_ascii_uppercase()),
            Key::Code(code) => f.write_str(match code {
                KeyCode::Up => "↑",
                KeyCode::Down => "↓",
                KeyCode::Left => "←",
                KeyCode::Right => "→",
                KeyCode::PageUp => "PgUp",
                KeyCode::PageDown => "PgDn",
                KeyCode::Home => "Home",
                KeyCode::End => "End",
                KeyCode::Tab => "Tab",
                KeyCode::BackTab => "S-Tab",
                KeyCode::Esc => "Esc",
                KeyCode::Enter => "Enter",
                KeyCode::Backspace => "Backspace",
                KeyCode::Delete => "Del",
                KeyCode::Insert => "Ins",
                KeyCode::F(n) => return write!(f, "F{n}"),
            }),
        }
    }
}

/// One action's default keys and its words.
pub struct Binding {
    pub action: Action,
    /// The name in `[ui.keys]`.
    pub name: &'static str,
    pub keys: &'static [Key],
    pub scope: Scope,
    /// A word or two for the footer; `None` keeps the footer short.
    pub footer: Option<&'static str>,
    /// The sentence in the help popup.
    pub help: &'static str,
}

const fn b(
    action: Action,
    name: &'static str,
    keys: &'static [Key],
    scope: Scope,
    footer: Option<&'static str>,
    help: &'static str,
) -> Binding {
    Binding {
        action,
        name,
        keys,
        scope,
        footer,
        help,
    }
}

use Action as A;
use Key::{Char as C, Code};

/// The default keymap, in the order help lists it.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b(A::ViewStatus, "view-status", &[C('1')], Scope::ALL, None, "status view: every server, grouped per proxy"),
    b(A::ViewTraffic, "view-traffic", &[C('2')], Scope::ALL, None, "traffic view: rates over the last minutes, bytes"),
    b(A::ViewHttp, "view-http", &[C('3')], Scope::ALL, None, "HTTP view: response codes, latency p50/p90/p99"),
    b(A::ViewErrors, "view-errors", &[C('4')], Scope::ALL, None, "errors view: connect/response errors, retries, downtime"),
    b(A::ViewL4L7, "view-l4l7", &[C('5')], Scope::ALL, None, "L4/L7 view: each layer's recent decisions, live"),
    b(A::ViewLog, "view-log", &[C('6')], Scope::ALL, None, "log view: every line, per-topic levels, scroll-back"),
    b(A::ViewConfig, "view-config", &[C('7')], Scope::ALL, None, "config view: what lbtop loaded (as lbtop check), the keys"),
    b(A::NextView, "next-view", &[Code(KeyCode::Tab)], Scope::ALL, Some("views"), "next view"),
    b(A::PrevView, "prev-view", &[Code(KeyCode::BackTab)], Scope::ALL, None, "previous view"),
    b(A::CaptureTraffic, "capture-traffic", &[C('c')], Scope::ALL, Some("capture"), "traffic lines into the log on/off (CPU at high rates)"),
    b(A::DemoTraffic, "demo-traffic", &[C('t')], Scope::ALL, Some("traffic"), "start/stop the demo traffic generator"),
    b(A::Reload, "reload", &[C('R')], Scope::ALL, None, "reload the configuration file, as SIGHUP does (asks first)"),
    b(A::Command, "command", &[C(':')], Scope::ALL, Some("cmd"), "runtime API prompt: show stat, set server … (Tab, ↑/↓)"),
    b(A::Help, "help", &[C('?')], Scope::ALL, Some("help"), "show/hide this help"),
    b(A::Close, "close", &[Code(KeyCode::Esc)], Scope::ALL, None, "close a popup, clear the filter, follow the log again"),
    b(A::Quit, "quit", &[C('q'), Key::Ctrl('c')], Scope::ALL, Some("quit"), "quit"),
    b(A::Up, "up", &[C('k'), Code(KeyCode::Up)], Scope::LISTS, None, "select the previous server"),
    b(A::Down, "down", &[C('j'), Code(KeyCode::Down)], Scope::LISTS, Some("select"), "select the next row (BACKEND: d/r/m/M act on all)"),
    b(A::PageUp, "page-up", &[Code(KeyCode::PageUp)], Scope::LISTS, None, "select a page up"),
    b(A::PageDown, "page-down", &[Code(KeyCode::PageDown)], Scope::LISTS, None, "select a page down"),
    b(A::Home, "home", &[Code(KeyCode::Home), C('g')], Scope::LISTS, None, "select the first server"),
    b(A::End, "end", &[Code(KeyCode::End), C('G')], Scope::LISTS, None, "select the last server"),
    b(A::Drain, "drain", &[C('d')], Scope::SERVERS, Some("drain"), "drain the selected server or backend (no new traffic)"),
    b(A::Maint, "maint", &[C('m')], Scope::SERVERS, Some("maint"), "put the selected server in maintenance (asks first)"),
    b(A::Ready, "ready", &[C('r')], Scope::SERVERS, Some("ready"), "make the selected server ready again (set state ready)"),
    b(A::WeightUp, "weight-up", &[C('+')], Scope::SERVERS, None, "raise the selected server's weight by 1 (max 256)"),
    b(A::WeightDown, "weight-down", &[C('-')], Scope::SERVERS, Some("weight"), "lower the selected server's weight by 1 (0: no traffic)"),
    b(A::SetWeight, "set-weight", &[C('w')], Scope::SERVERS, None, "type a weight: a number, or a % of the configured one"),
    b(A::DrainThenMaint, "drain-then-maint", &[C('M')], Scope::SERVERS, None, "drain, then maint at 0 sessions (asks; ends with lbtop)"),
    b(A::Detail, "detail", &[Code(KeyCode::Enter)], Scope::SERVERS, Some("detail"), "open the selected server's detail pane (Esc closes)"),
    b(A::ToggleChecks, "toggle-checks", &[C('h')], Scope::SERVERS, Some("checks"), "disable/enable the selected server's health checks"),
    b(A::Filter, "filter", &[C('/')], Scope::SERVERS, Some("filter"), "filter servers by name, address or status (Esc clears)"),
    b(A::DownOnly, "down-only", &[C('!')], Scope::SERVERS, None, "only servers that are not plainly UP; again: all"),
    b(A::SortNext, "sort", &[C('o')], Scope::SERVERS, Some("sort"), "sort by the next column; after the last one, config order"),
    b(A::SortReverse, "sort-reverse", &[C('O')], Scope::SERVERS, None, "reverse the sort order"),
    b(A::DemoServer, "demo-server", &[C('s')], Scope::SERVERS, Some("web"), "stop/start the demo web server behind the selected server"),
    b(A::DemoHealthPage, "demo-health-page", &[C('x')], Scope::SERVERS, Some("page"), "delete/restore that demo server's health_check.html"),
    b(A::PickNode, "pick-node", &[C('n')], Scope::SERVERS, Some("node"), "attach: send actions to all nodes, or to the next one alone"),
    b(A::Pause, "pause", &[C('p')], Scope::LIVE, Some("pause"), "pause/resume (the log freezes as shown; PgUp scrolls back)"),
    b(A::LogUp, "log-up", &[C('k'), Code(KeyCode::Up)], Scope::LOG, None, "select the previous topic"),
    b(A::LogDown, "log-down", &[C('j'), Code(KeyCode::Down)], Scope::LOG, Some("topic"), "select the next topic"),
    b(A::LogLess, "log-show-less", &[Code(KeyCode::Left)], Scope::LOG, None, "show fewer levels of the selected topic"),
    b(A::LogMore, "log-show-more", &[Code(KeyCode::Right)], Scope::LOG, Some("shown"), "show more levels of the selected topic"),
    b(A::LogCaptureLess, "log-capture-less", &[C('-')], Scope::LOG, None, "capture fewer levels of the selected topic"),
    b(A::LogCaptureMore, "log-capture-more", &[C('+')], Scope::LOG, Some("captured"), "capture more levels of the selected topic (traffic: Info)"),
    b(A::LogPageUp, "log-page-up", &[Code(KeyCode::PageUp)], Scope::LOG, None, "scroll the log back"),
    b(A::LogPageDown, "log-page-down", &[Code(KeyCode::PageDown)], Scope::LOG, Some("scroll"), "scroll the log forward"),
    b(A::LogTargets, "log-topics", &[C('h')], Scope::LOG, None, "show/hide the topic list"),
    b(A::LogFocus, "log-focus", &[C('f')], Scope::LOG, Some("focus"), "show the selected topic only, or all again"),
    b(A::LogHideOff, "log-hide-off", &[C(' ')], Scope::LOG, None, "hide/show topics whose capture is off"),
    b(A::LogSearch, "log-search", &[C('/')], Scope::LOG, Some("search"), "search the log (Enter keeps, Esc clears)"),
    b(A::LogSearchNext, "log-search-next", &[C('n')], Scope::LOG, None, "the next match of the search"),
    b(A::LogSearchPrev, "log-search-prev", &[C('N')], Scope::LOG, None, "the previous match of the search"),
    b(A::LogServer, "log-server", &[C('s')], Scope::LOG, None, "only one server's lines: each server in turn, then all"),
];

fn binding(action: Action) -> &'static Binding {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .expect("every action has a binding")
}

/// Keys written the way help and the footer show them: `k/↑`.
pub fn label(keys: &[Key]) -> String {
    keys.iter()
        .map(Key::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// A bad `[ui.keys]` entry: which one (its index in the order given), which part of it is
/// wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub entry: usize,
    pub part: EntryPart,
    pub message: String,
}

/// The part of a `[ui.keys]` entry an error is about, so a message can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPart {
    /// The action name (`dran = "d"`).
    Action,
    /// Its keys (`drain = "Ctrl-"`, a key listed twice, one bound twice, none for quit).
    Keys,
}

/// The keys in force: the defaults with `[ui.keys]` laid over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    keys: Vec<Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            keys: BINDINGS.iter().map(|b| b.keys.to_vec()).collect(),
        }
    }
}

impl Keymap {
    /// Lays `(action name, keys)` entries over the defaults. An entry replaces all of its
    /// action's keys. Errors name the entry: unknown action, unreadable key, a key that two
    /// actions share in some view, or `quit` left without a key.
    pub fn with_overrides<'a, I, K>(entries: I) -> Result<Keymap, KeyError>
    where
        I: IntoIterator<Item = (&'a str, K)>,
        K: IntoIterator<Item = &'a str>,
    {
        let mut map = Keymap::default();
        // Which entry set each action's keys, for the error's line.
        let mut set_by: Vec<Option<usize>> = vec![None; BINDINGS.len()];
        for (entry, (name, keys)) in entries.into_iter().enumerate() {
            let Some(i) = BINDINGS.iter().position(|b| b.name == name) else {
                let names: Vec<&str> = BINDINGS.iter().map(|b| b.name).collect();
                return Err(KeyError {
                    entry,
                    part: EntryPart::Action,
                    message: format!(
                        "unknown action '{name}' in [ui.keys]{}; actions are: {}",
                        did_you_mean(name, &names),
                        names.join(", ")
                    ),
                });
            };
            let mut parsed = Vec::new();
            for k in keys {
                let key = Key::parse(k).map_err(|message| KeyError {
                    entry,
                    part: EntryPart::Keys,
                    message: format!("[ui.keys] '{name}': {message}"),
                })?;
                if parsed.contains(&key) {
                    return Err(KeyError {
                        entry,
                        part: EntryPart::Keys,
                        message: format!("[ui.keys] '{name}': key '{k}' is listed twice"),
                    });
                }
                parsed.push(key);
            }
            map.keys[i] = parsed;
            set_by[i] = Some(entry);
        }
        let quit = BINDINGS.iter().position(|b| b.action == Action::Quit);
        if let Some(q) = quit.filter(|&q| map.keys[q].is_empty()) {
            return Err(KeyError {
                entry: set_by[q].unwrap_or(0),
                part: EntryPart::Keys,
                message: "[ui.keys] 'quit' needs at least one key".into(),
            });
        }
        map.check_conflicts(&set_by)?;
        Ok(map)
    }

    fn check_conflicts(&self, set_by: &[Option<usize>]) -> Result<(), KeyError> {
        for i in 0..BINDINGS.len() {
            for j in i + 1..BINDINGS.len() {
                if !BINDINGS[i].scope.overlaps(BINDINGS[j].scope) {
                    continue;
                }
                let Some(key) = self.keys[i].iter().find(|k| self.keys[j].contains(k)) else {
                    continue;
                };
                // Report at the entry that caused it (the later one when both were set).
                let entry = match (set_by[i], set_by[j]) {
                    (Some(a), Some(b)) => a.max(b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => 0,
                };
                let who = |n: usize| {
                    let how = if set_by[n].is_some() {
                        "set in [ui.keys]"
                    } else {
                        "default"
                    };
                    format!("'{}' ({how})", BINDINGS[n].name)
                };
                return Err(KeyError {
                    entry,
                    part: EntryPart::Keys,
                    message: format!(
                        "duplicate key binding: '{key}' is bound to both {} and {}",
                        who(i),
                        who(j)
                    ),
                });
            }
        }
        Ok(())
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        BINDINGS
            .iter()
            .position(|b| b.action == action)
            .map_or(&[], |i| &self.keys[i])
    }

    pub fn label(&self, action: Action) -> String {
        label(self.keys(action))
    }

    /// The action a key means in a view, if any.
    pub fn action_for(&self, view: View, key: Key) -> Option<Action> {
        BINDINGS
            .iter()
            .zip(&self.keys)
            .find(|(b, keys)| b.scope.contains(view) && keys.contains(&key))
            .map(|(b, _)| b.action)
    }

    /// Bindings with the keys in force, for help and the footer.
    pub fn bindings(&self) -> impl Iterator<Item = (&'static Binding, &[Key])> {
        BINDINGS.iter().zip(self.keys.iter().map(Vec::as_slice))
    }
}

/// ` (did you mean 'drain'?)` for a near miss.
fn did_you_mean(name: &str, names: &[&str]) -> String {
    crate::suggest::closest(name, names)
        .map_or_else(String::new, |n| format!(" (did you mean '{n}'?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_cycle_both_ways() {
        assert_eq!(View::Config.step(1), View::Status);
        assert_eq!(View::Status.step(-1), View::Config);
        assert_eq!(View::Http.step(1), View::Errors);
    }

    #[test]
    fn letters_arrows_and_ctrl_c_resolve() {
        let m = Keymap::default();
        let v = View::Status;
        assert_eq!(m.action_for(v, Key::Char('j')), Some(Action::Down));
        assert_eq!(m.action_for(v, Key::Code(KeyCode::Up)), Some(Action::Up));
        assert_eq!(
            m.action_for(View::Log, Key::Code(KeyCode::Up)),
            Some(Action::LogUp)
        );
        assert_eq!(m.action_for(v, Key::Ctrl('c')), Some(Action::Quit));
        assert_eq!(m.action_for(v, Key::Char('?')), Some(Action::Help));
        assert_eq!(m.action_for(v, Key::Char('+')), Some(Action::WeightUp));
        assert_eq!(
            m.action_for(View::Log, Key::Char('+')),
            Some(Action::LogCaptureMore)
        );
        // Ctrl-D is not `d`: a stray chord must not drain a server.
        assert_eq!(m.action_for(v, Key::Ctrl('d')), None);
        // Server actions do nothing on the log view.
        assert_eq!(m.action_for(View::Log, Key::Char('d')), None);
        assert_eq!(m.action_for(v, Key::Char('Z')), None);
    }

    #[test]
    fn defaults_have_no_conflicts_and_unique_names() {
        assert_eq!(
            Keymap::with_overrides(Vec::<(&str, Vec<&str>)>::new()),
            Ok(Keymap::default())
        );
        for (i, a) in BINDINGS.iter().enumerate() {
            assert!(
                !BINDINGS[i + 1..].iter().any(|b| b.name == a.name),
                "{}",
                a.name
            );
            assert!(!BINDINGS[i + 1..].iter().any(|b| b.action == a.action));
        }
    }

    #[test]
    fn keys_parse_and_print() {
        assert_eq!(Key::parse("d"), Ok(Key::Char('d')));
        assert_eq!(Key::parse("D"), Ok(Key::Char('D')));
        assert_eq!(Key::parse("PgUp"), Ok(Key::Code(KeyCode::PageUp)));
        assert_eq!(Key::parse("pagedown"), Ok(Key::Code(KeyCode::PageDown)));
        assert_eq!(Key::parse("Ctrl-X"), Ok(Key::Ctrl('x')));
        assert_eq!(Key::parse("space"), Ok(Key::Char(' ')));
        assert_eq!(Key::parse("F5"), Ok(Key::Code(KeyCode::F(5))));
        assert_eq!(Key::parse("S-Tab"), Ok(Key::Code(KeyCode::BackTab)));
        assert!(Key::parse("F13").is_err());
        assert!(Key::parse("Hyper-x").is_err());
        assert!(Key::parse("").is_err());
        assert_eq!(Key::Ctrl('c').to_string(), "Ctrl-C");
        assert_eq!(label(&[Key::Char('k'), Key::Code(KeyCode::Up)]), "k/↑");
    }

    #[test]
    fn overrides_replace_keys_and_catch_mistakes() {
        let m = Keymap::with_overrides([("drain", vec!["D"])]).unwrap();
        assert_eq!(m.keys(Action::Drain), &[Key::Char('D')]);
        let e = Keymap::with_overrides([("drian", vec!["D"])]).unwrap_err();
        assert!(e.message.contains("unknown action 'drian'"), "{e:?}");
        assert!(e.message.contains("did you mean 'drain'"), "{e:?}");
        let e = Keymap::with_overrides([("ready", vec!["Z"]), ("drain", vec!["x"])]).unwrap_err();
        assert_eq!(e.entry, 1);
        assert!(e.message.contains("'drain'"), "{e:?}");
        assert!(e.message.contains("'demo-health-page'"), "{e:?}");
        // The same key in views that never meet is fine.
        assert!(Keymap::with_overrides([("log-focus", vec!["d"])]).is_ok());
        let e = Keymap::with_overrides([("quit", Vec::<&str>::new())]).unwrap_err();
        assert!(e.message.contains("'quit' needs"), "{e:?}");
        let e = Keymap::with_overrides([("help", vec!["Hyper"])]).unwrap_err();
        assert!(e.message.contains("cannot read key 'Hyper'"), "{e:?}");
    }
}
