//! The dashboard's state: what was last sampled, what is selected, filtered, sorted, pending
//! or awaiting confirmation, and the recent L4/L7 decisions. Pure: no terminal, no channels,
//! so tests drive it with keys, events, session records and fixture snapshots.

use super::history::{Meter, Series};
use super::input;
use super::log_pane::{self, LogPane};
use super::table::{self, SortKey};
use super::theme::Theme;
use super::UiOptions;
use crate::config::Config;
use crate::events::{
    AdminState, Command, Event, Level, ServerId, ServerSnap, ServerStatus, SessionRecord, Snapshot,
};
use crate::keys::{Action, Keymap, View};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tui_logger::TuiWidgetEvent;

/// How the status line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub tone: Tone,
}

/// An action sent to the engine and not yet seen applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Admin(AdminState),
    Weight(u32),
    Checks(bool),
}

/// A question to answer with `y` before anything is sent (k9s-style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub server: ServerId,
    pub title: String,
    pub question: String,
    pub detail: String,
}

/// How one server view is sorted: by a column (none = configuration order), maybe reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: Option<SortKey>,
    pub reverse: bool,
}

/// A demo web server and the state the dashboard last asked of it.
#[derive(Debug, Clone)]
struct DemoServer {
    name: String,
    addr: SocketAddr,
    running: bool,
    page_present: bool,
}

/// Recent decisions kept per frontend for the L4/L7 view.
pub const DECISIONS_KEPT: usize = 64;

/// No new snapshot for this long (or a snapshot this slow) and the header says the data is stale.
const STALE_AFTER: Duration = Duration::from_secs(2);
const SLOW_SNAPSHOT: Duration = Duration::from_secs(1);

/// The highest weight HAProxy accepts.
const MAX_WEIGHT: u32 = 256;

#[derive(Debug)]
pub struct App {
    pub view: View,
    pub theme: Theme,
    pub read_only: bool,
    pub show_help: bool,
    /// Lines the help popup is scrolled by (it may not fit a small terminal).
    help_scroll: u16,
    keymap: Keymap,
    config: Option<Arc<Config>>,
    refresh: Duration,
    quit: bool,
    snapshot: Option<Snapshot>,
    meter: Meter,
    selected: Option<ServerId>,
    pending: HashMap<ServerId, Pending>,
    confirm: Option<Confirm>,
    filter: String,
    filter_editing: bool,
    sort: [Sort; 4],
    demo: Vec<DemoServer>,
    traffic_running: bool,
    traffic_capture: bool,
    decisions: Vec<VecDeque<SessionRecord>>,
    decisions_paused: bool,
    log_paused: bool,
    status: Option<StatusLine>,
    // Staleness, on the dashboard's own clock.
    now: Option<Instant>,
    last_sample: Option<Instant>,
    last_progress: Option<Instant>,
    slow_snapshot: Option<Duration>,
    engine_gone: bool,
    /// Server rows that fit on screen, learnt at the last draw, for PgUp/PgDn.
    page: Cell<usize>,
    pub log: LogPane,
}

impl App {
    pub fn new(opts: &UiOptions, theme: Theme) -> App {
        // The lab starts with every demo server up and its health page in place.
        let demo = opts
            .demo_servers
            .iter()
            .map(|(name, addr)| DemoServer {
                name: name.clone(),
                addr: *addr,
                running: true,
                page_present: true,
            })
            .collect();
        App {
            view: View::Status,
            theme,
            read_only: opts.read_only,
            show_help: false,
            help_scroll: 0,
            keymap: Keymap::default(),
            config: None,
            refresh: opts.refresh,
            quit: false,
            snapshot: None,
            meter: Meter::default(),
            selected: None,
            pending: HashMap::new(),
            confirm: None,
            filter: String::new(),
            filter_editing: false,
            sort: [Sort::default(); 4],
            demo,
            traffic_running: opts.traffic_running,
            traffic_capture: false,
            decisions: Vec::new(),
            decisions_paused: false,
            log_paused: false,
            status: None,
            now: None,
            last_sample: None,
            last_progress: None,
            slow_snapshot: None,
            engine_gone: false,
            page: Cell::new(10),
            log: LogPane::new(),
        }
    }

    /// Keys from `[ui.keys]`.
    pub fn with_keymap(mut self, keymap: Keymap) -> App {
        self.keymap = keymap;
        self
    }

    /// The configuration, for the L4/L7 view's explanations (options like forwardfor).
    pub fn with_config(mut self, config: Arc<Config>) -> App {
        self.config = Some(config);
        self
    }

    // ----- reading -----

    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_deref()
    }

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    pub fn selected(&self) -> Option<ServerId> {
        self.selected
    }

    /// Requests (or TCP connections) per second; `None` until two samples exist.
    pub fn rate(&self, id: ServerId) -> Option<f64> {
        self.meter.rate(Series::Server(id)).map(|r| r[0])
    }

    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    pub fn is_pending(&self, id: ServerId) -> bool {
        self.pending.contains_key(&id)
    }

    pub fn pending(&self, id: ServerId) -> Option<Pending> {
        self.pending.get(&id).copied()
    }

    pub fn confirm(&self) -> Option<&Confirm> {
        self.confirm.as_ref()
    }

    /// The server filter and whether it is being typed.
    pub fn filter(&self) -> (&str, bool) {
        (&self.filter, self.filter_editing)
    }

    pub fn sort(&self, view: View) -> Sort {
        self.sort.get(view.index()).copied().unwrap_or_default()
    }

    pub fn status_line(&self) -> Option<&StatusLine> {
        self.status.as_ref()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the demo keys have anything to act on.
    pub fn has_demo(&self) -> bool {
        !self.demo.is_empty() || self.traffic_running
    }

    pub fn traffic_running(&self) -> bool {
        self.traffic_running
    }

    /// Whether finished sessions are formatted into traffic log lines.
    pub fn traffic_capture(&self) -> bool {
        self.traffic_capture
    }

    pub fn decisions(&self, frontend: usize) -> impl DoubleEndedIterator<Item = &SessionRecord> {
        self.decisions.get(frontend).into_iter().flatten()
    }

    pub fn decisions_paused(&self) -> bool {
        self.decisions_paused
    }

    pub fn log_paused(&self) -> bool {
        self.log_paused
    }

    pub fn help_scroll(&self) -> u16 {
        self.help_scroll
    }

    pub fn page_size(&self) -> usize {
        self.page.get()
    }

    /// Set by the server table at each draw.
    pub fn set_page_size(&self, rows: usize) {
        self.page.set(rows.max(1));
    }

    /// Why the data on screen may be old, if it may.
    pub fn stale(&self) -> Option<String> {
        if self.engine_gone {
            return Some("the engine has stopped answering".into());
        }
        let now = self.now?;
        if let Some(since) = self.last_progress {
            let quiet = now.saturating_duration_since(since);
            if quiet >= self.stale_after() {
                return Some(format!("no new data for {}s", quiet.as_secs()));
            }
        }
        self.slow_snapshot.map(|took| {
            format!(
                "engine slow: a snapshot took {}ms",
                took.as_millis().min(99_999)
            )
        })
    }

    fn stale_after(&self) -> Duration {
        STALE_AFTER.max(self.refresh * 4)
    }

    /// `hoge/web11`, as HAProxy names a server.
    pub fn server_label(&self, id: ServerId) -> String {
        self.snapshot
            .as_ref()
            .and_then(|s| {
                let b = s.backends.get(id.backend)?;
                Some(format!("{}/{}", b.name, b.servers.get(id.server)?.name))
            })
            .unwrap_or_else(|| format!("server #{}/{}", id.backend, id.server))
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            tone,
        });
    }

    // ----- sampling -----

    /// Takes a new snapshot. Returns whether anything on screen may have changed.
    pub fn update(&mut self, snap: Snapshot, now: Instant) -> bool {
        let changed = match &self.snapshot {
            Some(old) => !looks_the_same(old, &snap),
            None => true,
        };
        let rates_changed = self.meter.sample(&snap, now);
        let progressed = self
            .snapshot
            .as_ref()
            .is_none_or(|old| snap.uptime > old.uptime);
        let was_stale = self.stale();
        if progressed || self.last_progress.is_none() {
            self.last_progress = Some(now);
        }
        self.last_sample = Some(now);
        self.now = Some(now);
        self.clear_reached(&snap);
        self.snapshot = Some(snap);
        self.fix_selection();
        changed || rates_changed || was_stale != self.stale()
    }

    /// The clock moved without a snapshot. Returns whether the stale warning changed.
    pub fn tick(&mut self, now: Instant) -> bool {
        let before = self.stale();
        self.now = Some(now);
        before != self.stale()
    }

    /// How long the last snapshot took the engine; slow ones are flagged.
    pub fn note_snapshot_cost(&mut self, took: Duration) -> bool {
        let before = self.slow_snapshot;
        self.slow_snapshot = (took >= SLOW_SNAPSHOT).then_some(took);
        before != self.slow_snapshot
    }

    /// The engine's snapshot source is gone for good.
    pub fn engine_stopped(&mut self) -> bool {
        let was = self.engine_gone;
        self.engine_gone = true;
        !was
    }

    /// One finished request or connection, for the L4/L7 view. Returns whether it shows.
    pub fn on_session(&mut self, record: SessionRecord) -> bool {
        if self.decisions_paused {
            return false;
        }
        let f = record.frontend;
        if self.decisions.len() <= f {
            self.decisions.resize_with(f + 1, VecDeque::new);
        }
        let ring = &mut self.decisions[f];
        if ring.len() == DECISIONS_KEPT {
            ring.pop_front();
        }
        ring.push_back(record);
        self.view == View::L4L7
    }

    /// The traffic topic's capture level changed elsewhere (the log view's `+`/`-`).
    pub fn sync_traffic_capture(&mut self, on: bool) -> bool {
        let changed = self.traffic_capture != on;
        self.traffic_capture = on;
        if changed && on {
            self.log.show_traffic();
        }
        changed
    }

    /// A pending action is done once the snapshot shows it, even if the engine sends no
    /// ServerChanged (asking to drain a draining server changes nothing).
    fn clear_reached(&mut self, snap: &Snapshot) {
        let mut done = Vec::new();
        self.pending.retain(|id, pending| {
            let server = snap
                .backends
                .get(id.backend)
                .and_then(|b| b.servers.get(id.server));
            match server {
                Some(s) if reached(*pending, s) => {
                    done.push((*id, *pending, s.status));
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
        for (id, pending, status) in done {
            self.confirmed(id, pending, status);
        }
    }

    /// Says what the engine did about a pending action.
    fn confirmed(&mut self, id: ServerId, pending: Pending, status: ServerStatus) {
        let label = self.server_label(id);
        let text = match pending {
            Pending::Admin(_) => format!("{label} is now {status}"),
            Pending::Weight(w) => format!("{label} weight is now {w} ({status})"),
            Pending::Checks(on) => {
                let word = if on { "enabled" } else { "disabled" };
                format!("{label}: health checks {word}, now {status}")
            }
        };
        self.say(Tone::Ok, text);
    }

    /// Keeps the cursor on a server that is listed.
    fn fix_selection(&mut self) {
        let ids = self.server_ids();
        if !self.selected.is_some_and(|id| ids.contains(&id)) {
            self.selected = ids.first().copied();
        }
    }

    /// The servers listed in a server view, per backend, filtered and sorted.
    pub fn listed(&self, view: View) -> Vec<Vec<usize>> {
        let Some(snap) = &self.snapshot else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        let sort = self.sort(view);
        snap.backends
            .iter()
            .enumerate()
            .map(|(b, be)| {
                let mut servers: Vec<usize> = (0..be.servers.len())
                    .filter(|&s| {
                        needle.is_empty() || matches_filter(&be.name, &be.servers[s], &needle)
                    })
                    .collect();
                if let Some(key) = sort.key {
                    servers.sort_by(|&x, &y| {
                        let id = |server| ServerId { backend: b, server };
                        let o = key.compare(self, id(x), &be.servers[x], id(y), &be.servers[y]);
                        if sort.reverse {
                            o.reverse()
                        } else {
                            o
                        }
                    });
                }
                servers
            })
            .collect()
    }

    /// Every listed server, backend by backend: the order the cursor walks.
    pub fn server_ids(&self) -> Vec<ServerId> {
        let view = if self.view.has_servers() {
            self.view
        } else {
            View::Status
        };
        self.listed(view)
            .into_iter()
            .enumerate()
            .flat_map(|(b, servers)| {
                servers.into_iter().map(move |s| ServerId {
                    backend: b,
                    server: s,
                })
            })
            .collect()
    }

    fn server(&self, id: ServerId) -> Option<&ServerSnap> {
        self.snapshot
            .as_ref()?
            .backends
            .get(id.backend)?
            .servers
            .get(id.server)
    }

    fn selected_server(&self) -> Option<&ServerSnap> {
        self.server(self.selected?)
    }

    // ----- input -----

    /// Handles a key; returns the command to send to the engine, if any.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        // Windows reports releases too; act once per press.
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.quit = true;
            return None;
        }
        if let Some(confirm) = self.confirm.take() {
            return self.answer(confirm, key);
        }
        if self.filter_editing && self.edit_filter(&key) {
            return None;
        }
        if self.show_help && self.scroll_help(&key) {
            return None;
        }
        let action = input::action_for(&self.keymap, self.view, &key)?;
        // While help is up only the keys that close it, or quit, do anything.
        if self.show_help && !matches!(action, Action::Help | Action::Close | Action::Quit) {
            return None;
        }
        self.act(action)
    }

    fn answer(&mut self, confirm: Confirm, key: KeyEvent) -> Option<Command> {
        if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
            return self.set_admin(confirm.server, AdminState::Maint);
        }
        let label = self.server_label(confirm.server);
        self.say(Tone::Info, format!("cancelled: {label} stays as it is"));
        None
    }

    /// Arrows, j/k and PgUp/PgDn scroll the help popup. Returns whether the key was taken.
    fn scroll_help(&mut self, key: &KeyEvent) -> bool {
        let by: i32 = match key.code {
            KeyCode::Up | KeyCode::Char('k') => -1,
            KeyCode::Down | KeyCode::Char('j') => 1,
            KeyCode::PageUp => -10,
            KeyCode::PageDown => 10,
            KeyCode::Home => -1000,
            _ => return false,
        };
        self.help_scroll = (i32::from(self.help_scroll) + by).clamp(0, 200) as u16;
        true
    }

    /// Typing into the filter. Returns whether the key was taken.
    fn edit_filter(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                self.filter_editing = false;
            }
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !ctrl => self.filter.push(c),
            _ => return false,
        }
        self.fix_selection();
        true
    }

    fn act(&mut self, action: Action) -> Option<Command> {
        if self.read_only && action.mutates() {
            self.say(Tone::Error, "read-only: actions are disabled");
            return None;
        }
        match action {
            Action::ViewStatus => self.show(View::Status),
            Action::ViewTraffic => self.show(View::Traffic),
            Action::ViewHttp => self.show(View::Http),
            Action::ViewErrors => self.show(View::Errors),
            Action::ViewL4L7 => self.show(View::L4L7),
            Action::ViewLog => self.show(View::Log),
            Action::NextView => self.show(self.view.step(1)),
            Action::PrevView => self.show(self.view.step(-1)),
            Action::CaptureTraffic => self.toggle_capture(),
            Action::DemoTraffic => return Some(self.toggle_traffic()),
            Action::Help => {
                self.show_help = !self.show_help;
                self.help_scroll = 0;
            }
            Action::Close => self.close(),
            Action::Quit => self.quit = true,
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-(self.page_size() as isize)),
            Action::PageDown => self.move_selection(self.page_size() as isize),
            Action::Home => self.move_selection(isize::MIN),
            Action::End => self.move_selection(isize::MAX),
            Action::Drain => return self.admin_selected(AdminState::Drain),
            Action::Ready => return self.admin_selected(AdminState::Ready),
            Action::Maint => self.ask_maint(),
            Action::WeightUp => return self.step_weight(1),
            Action::WeightDown => return self.step_weight(-1),
            Action::ToggleChecks => return self.toggle_checks(),
            Action::Filter => {
                self.filter_editing = true;
                self.say(
                    Tone::Info,
                    "filter: type to match servers; Enter keeps, Esc clears",
                );
            }
            Action::SortNext => self.sort_next(),
            Action::SortReverse => self.sort_reverse(),
            Action::DemoServer => return self.toggle_demo_server(),
            Action::DemoHealthPage => return self.toggle_health_page(),
            Action::Pause => self.pause(),
            Action::LogUp => self.log.transition(TuiWidgetEvent::UpKey),
            Action::LogDown => self.log.transition(TuiWidgetEvent::DownKey),
            Action::LogLess => self.log.transition(TuiWidgetEvent::LeftKey),
            Action::LogMore => self.log.transition(TuiWidgetEvent::RightKey),
            Action::LogCaptureLess => self.log.transition(TuiWidgetEvent::MinusKey),
            Action::LogCaptureMore => self.log.transition(TuiWidgetEvent::PlusKey),
            Action::LogPageUp => {
                self.log_paused = true;
                self.log.transition(TuiWidgetEvent::PrevPageKey);
            }
            Action::LogPageDown => self.log.transition(TuiWidgetEvent::NextPageKey),
            Action::LogTargets => self.log.transition(TuiWidgetEvent::HideKey),
            Action::LogFocus => self.log.transition(TuiWidgetEvent::FocusKey),
            Action::LogHideOff => self.log.transition(TuiWidgetEvent::SpaceKey),
        }
        None
    }

    fn show(&mut self, view: View) {
        self.view = view;
        self.fix_selection();
    }

    /// Esc: the innermost thing that is open closes.
    fn close(&mut self) {
        if self.show_help {
            self.show_help = false;
        } else if self.view.has_servers() && !self.filter.is_empty() {
            self.filter.clear();
            self.fix_selection();
            self.say(Tone::Info, "filter cleared");
        } else if self.view == View::Log {
            self.follow_log();
        } else if self.view == View::L4L7 && self.decisions_paused {
            self.decisions_paused = false;
        }
    }

    fn follow_log(&mut self) {
        self.log_paused = false;
        self.log.transition(TuiWidgetEvent::EscapeKey);
    }

    fn pause(&mut self) {
        match self.view {
            View::Log if self.log_paused => self.follow_log(),
            View::Log => {
                // tui-logger's page mode: the view stops following new lines.
                self.log_paused = true;
                self.log.transition(TuiWidgetEvent::PrevPageKey);
            }
            _ => self.decisions_paused = !self.decisions_paused,
        }
    }

    fn toggle_capture(&mut self) {
        self.traffic_capture = !self.traffic_capture;
        log_pane::set_traffic_capture(self.traffic_capture);
        if self.traffic_capture {
            self.log.show_traffic();
            self.say(
                Tone::Info,
                "traffic capture on: every request becomes a log line (costs CPU at high rates)",
            );
        } else {
            self.say(
                Tone::Info,
                "traffic capture off: nothing is formatted per request",
            );
        }
    }

    fn move_selection(&mut self, step: isize) {
        let ids = self.server_ids();
        let Some(last) = ids.len().checked_sub(1) else {
            return;
        };
        let at = self
            .selected
            .and_then(|id| ids.iter().position(|&i| i == id))
            .unwrap_or(0);
        let to = at.saturating_add_signed(step).min(last);
        self.selected = Some(ids[to]);
    }

    fn sort_next(&mut self) {
        let keys = table::sort_keys(self.view);
        let Some(sort) = self.sort.get_mut(self.view.index()) else {
            return;
        };
        let next = match sort.key.and_then(|k| keys.iter().position(|&x| x == k)) {
            None => keys.first().copied(),
            Some(i) => keys.get(i + 1).copied(),
        };
        *sort = Sort {
            key: next,
            reverse: false,
        };
        // The footer shows the sort in force; only going back to none needs saying.
        if next.is_none() {
            self.say(Tone::Info, "servers in configuration order");
        }
    }

    fn sort_reverse(&mut self) {
        if let Some(sort) = self.sort.get_mut(self.view.index()) {
            if sort.key.is_some() {
                sort.reverse = !sort.reverse;
            }
        }
    }

    /// The selected server, or says there is none.
    fn target(&mut self) -> Option<(ServerId, ServerSnap)> {
        match self.selected.zip(self.selected_server().cloned()) {
            Some(found) => Some(found),
            None => {
                self.say(Tone::Error, "no server selected");
                None
            }
        }
    }

    fn admin_selected(&mut self, state: AdminState) -> Option<Command> {
        let (id, _) = self.target()?;
        self.set_admin(id, state)
    }

    fn set_admin(&mut self, id: ServerId, state: AdminState) -> Option<Command> {
        self.pending.insert(id, Pending::Admin(state));
        let label = self.server_label(id);
        self.say(Tone::Info, format!("set server {label} state {state} …"));
        Some(Command::SetAdmin { server: id, state })
    }

    fn ask_maint(&mut self) {
        let Some((id, server)) = self.target() else {
            return;
        };
        let label = self.server_label(id);
        self.confirm = Some(Confirm {
            server: id,
            title: "maintenance".into(),
            question: format!("Put {label} in maintenance (MAINT)?"),
            detail: format!(
                "It takes no new traffic and its health checks pause; {} session(s) in progress \
                 finish. r makes it ready again.",
                server.cur_sessions
            ),
        });
        self.say(
            Tone::Info,
            format!("maintenance for {label}? y confirms, any other key cancels"),
        );
    }

    fn step_weight(&mut self, by: i64) -> Option<Command> {
        let (id, server) = self.target()?;
        let current = match self.pending.get(&id) {
            Some(Pending::Weight(w)) => *w,
            _ => server.weight,
        };
        let weight = (i64::from(current) + by).clamp(0, i64::from(MAX_WEIGHT)) as u32;
        let label = self.server_label(id);
        if weight == current {
            self.say(
                Tone::Error,
                format!("{label}: weight is already {current} (range 0..={MAX_WEIGHT})"),
            );
            return None;
        }
        self.pending.insert(id, Pending::Weight(weight));
        self.say(Tone::Info, format!("set server {label} weight {weight} …"));
        Some(Command::SetWeight { server: id, weight })
    }

    fn toggle_checks(&mut self) -> Option<Command> {
        let (id, server) = self.target()?;
        let enabled = server.status != ServerStatus::NoCheck;
        let label = self.server_label(id);
        self.pending.insert(id, Pending::Checks(!enabled));
        let verb = if enabled { "disable" } else { "enable" };
        self.say(Tone::Info, format!("{verb} health {label} …"));
        Some(Command::SetChecks {
            server: id,
            enabled: !enabled,
        })
    }

    /// The demo server the selected row points at, by address.
    fn selected_demo(&mut self) -> Option<usize> {
        let (_, server) = self.target()?;
        let addr = server.addr;
        let found = self.demo.iter().position(|d| same_endpoint(d.addr, addr));
        if found.is_none() {
            self.say(Tone::Error, format!("no demo server at {addr}"));
        }
        found
    }

    fn toggle_demo_server(&mut self) -> Option<Command> {
        let i = self.selected_demo()?;
        let d = &mut self.demo[i];
        d.running = !d.running;
        let (name, running) = (d.name.clone(), d.running);
        let verb = if running { "starting" } else { "stopping" };
        self.say(Tone::Info, format!("{verb} demo web server {name} …"));
        Some(Command::DemoServer { name, running })
    }

    fn toggle_health_page(&mut self) -> Option<Command> {
        let i = self.selected_demo()?;
        let d = &mut self.demo[i];
        d.page_present = !d.page_present;
        let (name, present) = (d.name.clone(), d.page_present);
        let verb = if present { "restoring" } else { "deleting" };
        self.say(Tone::Info, format!("{verb} {name}'s health_check.html …"));
        Some(Command::DemoHealthPage { name, present })
    }

    fn toggle_traffic(&mut self) -> Command {
        self.traffic_running = !self.traffic_running;
        let verb = if self.traffic_running {
            "starting"
        } else {
            "stopping"
        };
        self.say(Tone::Info, format!("{verb} the traffic generator …"));
        Command::DemoTraffic {
            running: self.traffic_running,
        }
    }

    // ----- engine events -----

    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Log(_) => {}
            Event::ServerChanged { server, status } => {
                if let Some(pending) = self.pending.remove(server) {
                    self.confirmed(*server, pending, *status);
                }
            }
            Event::CommandFailed { command, reason } => {
                self.undo(command);
                let what = self.describe(command);
                let text = format!("{what} failed: {reason}");
                log_pane::emit(Level::Warning, "admin", &text);
                self.say(Tone::Error, text);
            }
        }
    }

    /// The engine's channel closed: say so instead of sending into the void.
    pub fn command_lost(&mut self, command: &Command) {
        self.undo(command);
        self.engine_gone = true;
        self.say(Tone::Error, "the engine has stopped; nothing was sent");
    }

    /// Forgets what a refused command would have changed.
    fn undo(&mut self, command: &Command) {
        match command {
            Command::SetAdmin { server, .. }
            | Command::SetWeight { server, .. }
            | Command::SetChecks { server, .. } => {
                self.pending.remove(server);
            }
            Command::DemoServer { name, running } => {
                if let Some(d) = self.demo.iter_mut().find(|d| &d.name == name) {
                    d.running = !running;
                }
            }
            Command::DemoHealthPage { name, present } => {
                if let Some(d) = self.demo.iter_mut().find(|d| &d.name == name) {
                    d.page_present = !present;
                }
            }
            Command::DemoTraffic { running } => self.traffic_running = !running,
        }
    }

    /// A command in the words of HAProxy's CLI where there are some.
    fn describe(&self, command: &Command) -> String {
        match command {
            Command::SetAdmin { server, state } => {
                format!("set server {} state {state}", self.server_label(*server))
            }
            Command::SetWeight { server, weight } => {
                format!("set server {} weight {weight}", self.server_label(*server))
            }
            Command::SetChecks { server, enabled } => {
                let verb = if *enabled { "enable" } else { "disable" };
                format!("{verb} health {}", self.server_label(*server))
            }
            Command::DemoServer { name, running } => {
                let verb = if *running { "start" } else { "stop" };
                format!("{verb} demo server {name}")
            }
            Command::DemoHealthPage { name, present } => {
                let verb = if *present { "restore" } else { "delete" };
                format!("{verb} {name}'s health_check.html")
            }
            Command::DemoTraffic { running } => {
                let verb = if *running { "start" } else { "stop" };
                format!("{verb} traffic")
            }
        }
    }
}

/// Whether a server already shows what was asked of it.
fn reached(pending: Pending, server: &ServerSnap) -> bool {
    let status = server.status;
    let draining = matches!(
        status,
        ServerStatus::Drain | ServerStatus::DrainGoingDown { .. }
    );
    match pending {
        Pending::Admin(AdminState::Drain) => draining,
        Pending::Admin(AdminState::Maint) => status == ServerStatus::Maint,
        Pending::Admin(AdminState::Ready) => !draining && status != ServerStatus::Maint,
        Pending::Weight(w) => server.weight == w,
        Pending::Checks(on) => (status != ServerStatus::NoCheck) == on,
    }
}

/// `/web1`, `/down`, `/8011`, `/hoge_l4/`: name, backend/name, address or status.
fn matches_filter(backend: &str, s: &ServerSnap, needle: &str) -> bool {
    let hay = format!("{backend}/{} {} {}", s.name, s.addr, s.status).to_lowercase();
    hay.contains(needle)
}

/// Equal as far as the screen can tell: times are shown in whole seconds.
fn looks_the_same(a: &Snapshot, b: &Snapshot) -> bool {
    fn coarse(s: &Snapshot) -> Snapshot {
        let secs = |d: Duration| Duration::from_secs(d.as_secs());
        let mut s = s.clone();
        s.uptime = secs(s.uptime);
        for b in &mut s.backends {
            for srv in &mut b.servers {
                srv.since_change = secs(srv.since_change);
                srv.downtime = secs(srv.downtime);
            }
        }
        s
    }
    a.backends.len() == b.backends.len() && coarse(a) == coarse(b)
}

/// A demo server bound to 0.0.0.0:8001 answers for a backend server at 127.0.0.1:8001.
fn same_endpoint(bind: SocketAddr, server: SocketAddr) -> bool {
    bind == server || (bind.ip().is_unspecified() && bind.port() == server.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(status: ServerStatus, weight: u32) -> ServerSnap {
        ServerSnap {
            status,
            weight,
            ..ServerSnap::idle("web11", "127.0.0.1:8011".parse().unwrap())
        }
    }

    #[test]
    fn reached_states() {
        let r = |p, st| reached(p, &srv(st, 1));
        assert!(r(Pending::Admin(AdminState::Drain), ServerStatus::Drain));
        assert!(!r(Pending::Admin(AdminState::Drain), ServerStatus::Up));
        assert!(r(Pending::Admin(AdminState::Maint), ServerStatus::Maint));
        assert!(r(Pending::Admin(AdminState::Ready), ServerStatus::Down));
        assert!(!r(Pending::Admin(AdminState::Ready), ServerStatus::Maint));
        assert!(r(Pending::Weight(1), ServerStatus::Up));
        assert!(!r(Pending::Weight(2), ServerStatus::Up));
        assert!(r(Pending::Checks(false), ServerStatus::NoCheck));
        assert!(!r(Pending::Checks(false), ServerStatus::Up));
    }

    #[test]
    fn filter_matches_names_addresses_and_states() {
        let s = srv(ServerStatus::Down, 1);
        assert!(matches_filter("hoge", &s, "web11"));
        assert!(matches_filter("hoge", &s, "hoge/"));
        assert!(matches_filter("hoge", &s, ":8011"));
        assert!(matches_filter("hoge", &s, "down"));
        assert!(!matches_filter("hoge", &s, "web10"));
    }

    #[test]
    fn wildcard_bind_matches_loopback_server() {
        let bind: SocketAddr = "0.0.0.0:8001".parse().unwrap();
        assert!(same_endpoint(bind, "127.0.0.1:8001".parse().unwrap()));
        assert!(!same_endpoint(bind, "127.0.0.1:8002".parse().unwrap()));
        let exact: SocketAddr = "127.0.0.1:8001".parse().unwrap();
        assert!(!same_endpoint(exact, "127.0.0.2:8001".parse().unwrap()));
    }
}
