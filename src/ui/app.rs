//! The dashboard's state, in pieces the views draw from: the sample ([`Stats`]), the server
//! list ([`ServerList`]: filter, sort, selection), admin actions ([`Admin`]: pending and the
//! question before maintenance), the log ([`LogPane`]), the demo lab ([`DemoLab`]) and the
//! recent L4/L7 decisions ([`Recent`]); [`App`] holds them with what is left (the view, the
//! help popup, the status line) and turns keys and engine events into changes and commands.
//! Pure: no terminal, no channels, so tests drive it with keys, events, session records and
//! fixture snapshots.

use super::admin::{self, Admin};
use super::config_view;
use super::input;
use super::lab::DemoLab;
use super::layout;
use super::log_pane::LogPane;
use super::recent::Recent;
use super::servers::ServerList;
use super::stats::Stats;
use super::table;
use super::theme::Theme;
use super::UiOptions;
use crate::config::Config;
use crate::events::{AdminState, Command, ServerId, SessionRecord, Snapshot};
use crate::keys::{Action, Keymap, View};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tui_logger::TuiWidgetEvent;

mod detail;
mod events;
mod filter;
mod mouse;
mod prompt;
mod rows;
mod search;

pub use detail::WeightEdit;

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

/// PgUp/PgDn before the terminal's size is known.
const DEFAULT_PAGE: usize = 10;

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
    quit: bool,
    status: Option<StatusLine>,
    /// The terminal's size, for what PgUp/PgDn move by; set by the loop, not by drawing.
    size: Option<Rect>,
    stats: Stats,
    servers: ServerList,
    admin: Admin,
    log: LogPane,
    lab: DemoLab,
    recent: Recent,
    /// Under `lbtop attach`: the node actions go to alone (`None`: every node).
    node: Option<usize>,
    /// Lines the config view is scrolled by.
    config_scroll: usize,
    prompt: super::prompt::Prompt,
    log_search: super::log_search::LogSearch,
    /// The detail pane covers the body (Enter; Esc closes).
    detail: bool,
    /// Each server's transitions, log lines and latency since the dashboard started.
    trail: super::trail::Trail,
    /// A weight being typed (`w`).
    weight_edit: Option<WeightEdit>,
    /// Commands besides a key's own, for the loop to send.
    outbox: Vec<Command>,
}

impl App {
    pub fn new(opts: &UiOptions, theme: Theme) -> App {
        App {
            view: View::Status,
            theme,
            read_only: opts.read_only,
            show_help: false,
            help_scroll: 0,
            keymap: Keymap::default(),
            config: None,
            quit: false,
            status: None,
            size: None,
            stats: Stats::new(opts.refresh),
            servers: ServerList::default(),
            admin: Admin::default(),
            log: LogPane::new(),
            lab: DemoLab::new(opts),
            recent: Recent::default(),
            node: None,
            config_scroll: 0,
            prompt: Default::default(),
            log_search: Default::default(),
            detail: false,
            trail: Default::default(),
            weight_edit: None,
            outbox: Vec::new(),
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

    // ----- the pieces -----

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn servers(&self) -> &ServerList {
        &self.servers
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    pub fn log(&self) -> &LogPane {
        &self.log
    }

    /// The log pane, for fixtures that freeze its clock.
    #[cfg(feature = "fixture")]
    pub(super) fn log_mut(&mut self) -> &mut LogPane {
        &mut self.log
    }

    pub fn lab(&self) -> &DemoLab {
        &self.lab
    }

    pub fn recent(&self) -> &Recent {
        &self.recent
    }

    // ----- the rest -----

    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_deref()
    }

    pub fn status_line(&self) -> Option<&StatusLine> {
        self.status.as_ref()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn help_scroll(&self) -> u16 {
        self.help_scroll
    }

    pub fn config_scroll(&self) -> usize {
        self.config_scroll
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            tone,
        });
    }

    /// The view whose order the cursor walks: the current one, or Status on the others.
    fn list_view(&self) -> View {
        if self.view.has_servers() {
            self.view
        } else {
            View::Status
        }
    }

    /// Every listed server, backend by backend: the order the cursor walks.
    pub fn server_ids(&self) -> Vec<ServerId> {
        self.servers.ids(self.list_view(), &self.stats)
    }

    /// The terminal is this big now (at start, on resize, before each frame).
    pub fn resize(&mut self, size: Rect) {
        self.size = Some(size);
    }

    /// The lines the current server view's tables need.
    pub(super) fn tables_height(&self) -> u16 {
        if self.detail {
            return u16::MAX; // the detail pane takes the body, the events strip at its least
        }
        table::height_needed(self.view, &self.stats, &self.servers)
    }

    /// Server rows one screen shows, for PgUp/PgDn: from the terminal's size and the layout,
    /// as the frame will be drawn.
    pub fn page_size(&self) -> usize {
        self.size
            .and_then(|size| layout::areas(size, self.view, || self.tables_height()))
            .map_or(DEFAULT_PAGE, |a| table::page_size(a.body, self.view))
    }

    // ----- sampling -----

    /// Takes a new snapshot. Returns whether anything on screen may have changed.
    pub fn update(&mut self, snap: Snapshot, now: Instant) -> bool {
        // Said with the names on screen until now.
        for (id, pending, status) in self.admin.settle(&snap) {
            // A drain-then-maint says its own progress.
            if self.admin.drains().job(id).is_some() {
                continue;
            }
            let text = admin::confirmed(&self.stats.server_label(id), pending, status);
            self.say(Tone::Ok, text);
        }
        self.trail.on_snapshot(&snap, now);
        self.step_drains(&snap);
        let changed = self.stats.update(snap, now);
        self.servers.fix_selection(self.list_view(), &self.stats);
        changed
    }

    /// Takes a new sample: the snapshot and, when attached, the nodes.
    pub fn update_sample(&mut self, sample: super::Sample, now: Instant) -> bool {
        let fleet_changed = self.stats.set_fleet(sample.fleet);
        if let Some(fleet) = self.stats.fleet() {
            if self.node.is_some_and(|n| n >= fleet.nodes.len()) {
                self.node = None;
            }
        }
        self.update(sample.snapshot, now) | fleet_changed
    }

    /// Under `lbtop attach`: the node actions go to alone (`None`: every node).
    pub fn node(&self) -> Option<usize> {
        self.node
    }

    /// The clock moved without a snapshot. Returns whether the stale warning changed.
    pub fn tick(&mut self, now: Instant) -> bool {
        self.stats.tick(now) | self.prompt_tick(now)
    }

    /// How long the last snapshot took the engine; slow ones are flagged.
    pub fn note_snapshot_cost(&mut self, took: Duration) -> bool {
        self.stats.note_snapshot_cost(took)
    }

    /// The engine's snapshot source is gone for good.
    pub fn engine_stopped(&mut self) -> bool {
        self.stats.engine_stopped()
    }

    /// One finished request or connection, for the L4/L7 view. Returns whether it shows.
    pub fn on_session(&mut self, record: SessionRecord) -> bool {
        self.recent.push(record) && self.view == View::L4L7
    }

    /// The traffic topic's capture level changed elsewhere (the log view's `+`/`-`).
    pub fn sync_traffic_capture(&mut self, on: bool) -> bool {
        self.log.sync_capture(on)
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
        if let Some(confirm) = self.admin.take_confirm() {
            let yes = matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'));
            if let Some(plan) = confirm.plan {
                return self.answer_plan(plan, yes);
            }
            let Some(server) = confirm.server else {
                return self.answer_reload(yes);
            };
            if yes {
                return self.set_admin(server, AdminState::Maint);
            }
            let label = self.stats.server_label(server);
            self.say(Tone::Info, format!("cancelled: {label} stays as it is"));
            return None;
        }
        if let Some(sent) = self.modal_key(&key) {
            return sent;
        }
        if self.weight_edit.is_some() {
            return self.edit_weight(&key);
        }
        if self.servers.editing_filter() && self.servers.edit_filter(&key) {
            self.servers.fix_selection(self.list_view(), &self.stats);
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
            Action::ViewConfig => self.show(View::Config),
            Action::NextView => self.show(self.view.step(1)),
            Action::PrevView => self.show(self.view.step(-1)),
            Action::CaptureTraffic => self.toggle_capture(),
            Action::DemoTraffic => {
                let sent = self.lab.toggle_traffic();
                return Some(self.send(sent));
            }
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
            Action::Command => self.open_prompt(),
            Action::SetWeight => self.ask_weight(),
            Action::DrainThenMaint => self.ask_drain_then_maint(),
            Action::Detail => self.open_detail(),
            Action::DownOnly => self.toggle_down_only(),
            Action::LogSearch => self.start_log_search(),
            Action::LogSearchNext => self.step_log_search(1),
            Action::LogSearchPrev => self.step_log_search(-1),
            Action::LogServer => self.next_log_server(),
            Action::Drain => return self.admin_row(AdminState::Drain),
            Action::Ready => return self.admin_row(AdminState::Ready),
            Action::Maint => return self.admin_row(AdminState::Maint),
            Action::Reload => {
                let path = self.config.as_ref().map(|c| c.source.display().to_string());
                let text = self.admin.ask_reload(&path.unwrap_or_default());
                self.say(Tone::Info, text);
            }
            Action::WeightUp => return self.step_weight(1),
            Action::WeightDown => return self.step_weight(-1),
            Action::ToggleChecks => {
                let (id, server) = self.target()?;
                let label = self.stats.server_label(id);
                let sent = self.admin.toggle_checks(id, &label, &server);
                return Some(self.send(sent));
            }
            Action::Filter => {
                // The prompt in the status line's place says how it works while it is typed.
                self.servers.start_filter();
            }
            Action::SortNext => {
                // The footer shows the sort in force; only going back to none needs saying.
                if self.servers.sort_next(self.view) {
                    self.say(Tone::Info, "servers in configuration order");
                }
            }
            Action::SortReverse => self.servers.sort_reverse(self.view),
            Action::DemoServer => {
                let i = self.selected_demo()?;
                let sent = self.lab.toggle_server(i);
                return Some(self.send(sent));
            }
            Action::DemoHealthPage => {
                let i = self.selected_demo()?;
                let sent = self.lab.toggle_health_page(i);
                return Some(self.send(sent));
            }
            Action::PickNode => self.pick_node(),
            Action::Pause => match self.view {
                View::Log => self.log.toggle_pause(),
                _ => self.recent.set_paused(!self.recent.paused()),
            },
            Action::LogUp => self.log.transition(TuiWidgetEvent::UpKey),
            Action::LogDown => self.log.transition(TuiWidgetEvent::DownKey),
            Action::LogLess => self.log.transition(TuiWidgetEvent::LeftKey),
            Action::LogMore => self.log.transition(TuiWidgetEvent::RightKey),
            Action::LogCaptureLess => self.log.transition(TuiWidgetEvent::MinusKey),
            Action::LogCaptureMore => self.log.transition(TuiWidgetEvent::PlusKey),
            Action::LogPageUp => self.log.page_up(),
            Action::LogPageDown => self.log.transition(TuiWidgetEvent::NextPageKey),
            Action::LogTargets => self.log.transition(TuiWidgetEvent::HideKey),
            Action::LogFocus => self.log.transition(TuiWidgetEvent::FocusKey),
            Action::LogHideOff => self.log.transition(TuiWidgetEvent::SpaceKey),
        }
        None
    }

    /// Says what is being sent (and to which node, when attached), and hands the command on.
    fn send(&mut self, (command, mut text): (Command, String)) -> Command {
        if let Some(name) = self.node_name() {
            text = format!("{text} (node {name} only)");
        }
        self.say(Tone::Info, text);
        command
    }

    fn node_name(&self) -> Option<String> {
        let fleet = self.stats.fleet()?;
        Some(fleet.nodes.get(self.node?)?.name.clone())
    }

    /// Attached: all nodes, then each node alone, then all again.
    fn pick_node(&mut self) {
        let Some(fleet) = self.stats.fleet() else {
            self.say(Tone::Error, "not attached: there is only this lbtop");
            return;
        };
        self.node = super::nodes::next(self.node, fleet.nodes.len());
        let text = super::nodes::choice(fleet, self.node);
        self.say(Tone::Info, text);
    }

    fn show(&mut self, view: View) {
        self.view = view;
        // Another view ends the typing, the filter kept as Enter keeps it.
        if self.servers.editing_filter() {
            self.servers.edit_filter(&KeyEvent::from(KeyCode::Enter));
        }
        self.servers.fix_selection(self.list_view(), &self.stats);
    }

    /// Esc: the innermost thing that is open closes.
    fn close(&mut self) {
        if self.show_help {
            self.show_help = false;
        } else if self.close_detail() || self.cancel_drains() {
        } else if self.view.has_servers() && self.servers.clear_filter() {
            self.servers.fix_selection(self.list_view(), &self.stats);
            self.say(Tone::Info, "filter cleared");
        } else if self.view == View::Log && self.clear_log_search() {
        } else if self.view == View::Log {
            self.log.follow();
        } else if self.view == View::L4L7 && self.recent.paused() {
            self.recent.set_paused(false);
        }
    }

    fn toggle_capture(&mut self) {
        if self.log.toggle_capture() {
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
        if self.view == View::Config {
            let total = config_view::tops(self.config(), &self.keymap, self.size);
            self.config_scroll = config_view::scrolled(self.config_scroll, step, total);
            return;
        }
        self.servers
            .move_selection(self.list_view(), &self.stats, step);
    }

    /// The demo server the selected row points at, by address.
    fn selected_demo(&mut self) -> Option<usize> {
        let (_, server) = self.target()?;
        let found = self.lab.find(server.addr);
        if found.is_none() {
            self.say(Tone::Error, format!("no demo server at {}", server.addr));
        }
        found
    }
}
