//! The dashboard's state: what was last sampled, what is selected, what is pending.
//! Pure: no terminal, no channels, so tests drive it with keys, events and fixture snapshots.

use super::keymap::{self, Action};
use super::log_pane::LogPane;
use super::theme::Theme;
use super::UiOptions;
use crate::events::{AdminState, Command, Event, ServerId, ServerSnap, ServerStatus, Snapshot};
use crossterm::event::{KeyEvent, KeyEventKind};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tui_logger::TuiWidgetEvent;

/// The screens. Only one for now; more views will join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Status,
}

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

/// A demo web server and the state the dashboard last asked of it.
#[derive(Debug, Clone)]
struct DemoServer {
    name: String,
    addr: SocketAddr,
    running: bool,
    page_present: bool,
}

/// Session totals at one instant, indexed like the snapshot's backends and servers.
type Totals = Vec<Vec<u64>>;

/// Rates are taken over about this long, so one busy tick does not make the number jump.
const RATE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct App {
    pub view: View,
    pub theme: Theme,
    pub read_only: bool,
    pub show_help: bool,
    quit: bool,
    snapshot: Option<Snapshot>,
    /// Recent totals, oldest first, for req/s.
    samples: VecDeque<(Instant, Totals)>,
    rates: Vec<Vec<Option<f64>>>,
    selected: Option<ServerId>,
    /// Admin actions sent but not yet seen applied.
    pending: HashMap<ServerId, AdminState>,
    demo: Vec<DemoServer>,
    traffic_running: bool,
    status: Option<StatusLine>,
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
            quit: false,
            snapshot: None,
            samples: VecDeque::new(),
            rates: Vec::new(),
            selected: None,
            pending: HashMap::new(),
            demo,
            traffic_running: opts.traffic_running,
            status: None,
            log: LogPane::new(),
        }
    }

    // ----- reading -----

    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    pub fn selected(&self) -> Option<ServerId> {
        self.selected
    }

    /// Requests (or TCP connections) per second; `None` until two samples exist.
    pub fn rate(&self, id: ServerId) -> Option<f64> {
        *self.rates.get(id.backend)?.get(id.server)?
    }

    pub fn is_pending(&self, id: ServerId) -> bool {
        self.pending.contains_key(&id)
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
        let changed = self.snapshot.as_ref() != Some(&snap);
        self.sample_rates(&snap, now);
        self.clear_reached(&snap);
        self.snapshot = Some(snap);
        self.fix_selection();
        changed
    }

    fn sample_rates(&mut self, snap: &Snapshot, now: Instant) {
        let totals: Totals = snap
            .backends
            .iter()
            .map(|b| b.servers.iter().map(|s| s.total_sessions).collect())
            .collect();
        self.samples.push_back((now, totals));
        // Keep one sample at least a window old as the baseline; drop anything older.
        while self.samples.len() > 2 && now.duration_since(self.samples[1].0) >= RATE_WINDOW {
            self.samples.pop_front();
        }
        let (first_at, first) = &self.samples[0];
        let (last_at, last) = &self.samples[self.samples.len() - 1];
        let secs = last_at.duration_since(*first_at).as_secs_f64();
        if secs > 0.0 {
            self.rates = rates_between(first, last, secs);
        } else if self.samples.len() == 1 {
            self.rates.clear();
        }
    }

    /// A pending action is done once the snapshot shows its state, even if the engine sends
    /// no ServerChanged (asking to drain a draining server changes nothing).
    fn clear_reached(&mut self, snap: &Snapshot) {
        self.pending.retain(|id, state| {
            let status = snap
                .backends
                .get(id.backend)
                .and_then(|b| b.servers.get(id.server))
                .map(|s| s.status);
            status.is_some_and(|st| !reached(*state, st))
        });
    }

    /// Keeps the cursor on a server that exists.
    fn fix_selection(&mut self) {
        let ids = self.server_ids();
        if !self.selected.is_some_and(|id| ids.contains(&id)) {
            self.selected = ids.first().copied();
        }
    }

    /// Every server, backend by backend: the order the cursor walks.
    pub fn server_ids(&self) -> Vec<ServerId> {
        let Some(snap) = &self.snapshot else {
            return Vec::new();
        };
        snap.backends
            .iter()
            .enumerate()
            .flat_map(|(b, be)| {
                (0..be.servers.len()).map(move |s| ServerId {
                    backend: b,
                    server: s,
                })
            })
            .collect()
    }

    fn selected_server(&self) -> Option<&ServerSnap> {
        let id = self.selected?;
        self.snapshot
            .as_ref()?
            .backends
            .get(id.backend)?
            .servers
            .get(id.server)
    }

    // ----- input -----

    /// Handles a key; returns the command to send to the engine, if any.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        // Windows reports releases too; act once per press.
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let action = keymap::action_for(&key)?;
        // While help is up only the keys that close it, or quit, do anything.
        if self.show_help && !matches!(action, Action::Help | Action::Close | Action::Quit) {
            return None;
        }
        self.act(action)
    }

    fn act(&mut self, action: Action) -> Option<Command> {
        if self.read_only && action.mutates() {
            self.say(Tone::Error, "read-only: actions are disabled");
            return None;
        }
        match action {
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::Drain => return self.set_admin(AdminState::Drain),
            Action::Maint => return self.set_admin(AdminState::Maint),
            Action::Ready => return self.set_admin(AdminState::Ready),
            Action::DemoServer => return self.toggle_demo_server(),
            Action::DemoHealthPage => return self.toggle_health_page(),
            Action::DemoTraffic => return Some(self.toggle_traffic()),
            Action::LogPageUp => self.log.transition(TuiWidgetEvent::PrevPageKey),
            Action::LogPageDown => self.log.transition(TuiWidgetEvent::NextPageKey),
            Action::LogTargets => self.log.transition(TuiWidgetEvent::HideKey),
            Action::Help => self.show_help = !self.show_help,
            Action::Close if self.show_help => self.show_help = false,
            Action::Close => self.log.transition(TuiWidgetEvent::EscapeKey),
            Action::Quit => self.quit = true,
        }
        None
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

    fn set_admin(&mut self, state: AdminState) -> Option<Command> {
        let Some(id) = self.selected_server().and(self.selected) else {
            self.say(Tone::Error, "no server selected");
            return None;
        };
        self.pending.insert(id, state);
        let label = self.server_label(id);
        self.say(Tone::Info, format!("set server {label} state {state} …"));
        Some(Command::SetAdmin { server: id, state })
    }

    /// The demo server the selected row points at, by address.
    fn selected_demo(&mut self) -> Option<usize> {
        let Some(addr) = self.selected_server().map(|s| s.addr) else {
            self.say(Tone::Error, "no server selected");
            return None;
        };
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
                if self.pending.remove(server).is_some() {
                    let label = self.server_label(*server);
                    self.say(Tone::Ok, format!("{label} is now {status}"));
                }
            }
            Event::CommandFailed { command, reason } => {
                self.undo(command);
                let what = self.describe(command);
                self.say(Tone::Error, format!("{what} failed: {reason}"));
            }
        }
    }

    /// Forgets what a refused command would have changed.
    fn undo(&mut self, command: &Command) {
        match command {
            Command::SetAdmin { server, .. } => {
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
            Command::SetWeight { .. } | Command::SetChecks { .. } => {}
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

/// Whether a server already shows the admin state that was asked for.
fn reached(state: AdminState, status: ServerStatus) -> bool {
    let draining = matches!(
        status,
        ServerStatus::Drain | ServerStatus::DrainGoingDown { .. }
    );
    match state {
        AdminState::Drain => draining,
        AdminState::Maint => status == ServerStatus::Maint,
        AdminState::Ready => !draining && status != ServerStatus::Maint,
    }
}

fn rates_between(first: &Totals, last: &Totals, secs: f64) -> Vec<Vec<Option<f64>>> {
    last.iter()
        .enumerate()
        .map(|(b, servers)| {
            servers
                .iter()
                .enumerate()
                .map(|(s, &now)| {
                    let then = *first.get(b)?.get(s)?;
                    // Counters only grow; a smaller one means a restart, not negative traffic.
                    Some(now.saturating_sub(then) as f64 / secs)
                })
                .collect()
        })
        .collect()
}

/// A demo server bound to 0.0.0.0:8001 answers for a backend server at 127.0.0.1:8001.
fn same_endpoint(bind: SocketAddr, server: SocketAddr) -> bool {
    bind == server || (bind.ip().is_unspecified() && bind.port() == server.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reached_states() {
        assert!(reached(AdminState::Drain, ServerStatus::Drain));
        assert!(!reached(AdminState::Drain, ServerStatus::Up));
        assert!(reached(AdminState::Maint, ServerStatus::Maint));
        assert!(reached(AdminState::Ready, ServerStatus::Down));
        assert!(!reached(AdminState::Ready, ServerStatus::Maint));
    }

    #[test]
    fn wildcard_bind_matches_loopback_server() {
        let bind: SocketAddr = "0.0.0.0:8001".parse().unwrap();
        assert!(same_endpoint(bind, "127.0.0.1:8001".parse().unwrap()));
        assert!(!same_endpoint(bind, "127.0.0.1:8002".parse().unwrap()));
        let exact: SocketAddr = "127.0.0.1:8001".parse().unwrap();
        assert!(!same_endpoint(exact, "127.0.0.2:8001".parse().unwrap()));
    }

    #[test]
    fn rates_survive_counter_resets_and_new_servers() {
        let first = vec![vec![10, 50]];
        let last = vec![vec![30, 40, 7]];
        let r = rates_between(&first, &last, 2.0);
        assert_eq!(r, vec![vec![Some(10.0), Some(0.0), None]]);
    }
}
