//! Admin actions on servers: what was sent to the engine and not yet seen applied (shown as
//! `…` beside the status), and the question waiting for `y` before maintenance.
//!
//! Each action returns the command to send and what the status line says; the caller picks
//! the server (the selection) and names it.

use super::app::Tone;
use super::drain::Drains;
use crate::events::{AdminState, Command, Lifecycle, ServerId, ServerSnap, ServerStatus, Snapshot};
use std::collections::HashMap;

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
    /// The server to put in maintenance; `None`: the question is a reload.
    pub server: Option<ServerId>,
    pub title: String,
    pub question: String,
    pub detail: String,
    /// What `y` does when the question is about several servers or drain-then-maint.
    pub plan: Option<Plan>,
}

/// What `y` to a question about a backend's servers, or to drain-then-maint, does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// One `set server … state` per server.
    Admin(AdminState, Vec<ServerId>),
    /// Drain each, then maintenance once its sessions reach 0.
    DrainThenMaint(Vec<ServerId>),
}

/// The highest weight HAProxy accepts.
const MAX_WEIGHT: u32 = 256;

#[derive(Debug, Default)]
pub struct Admin {
    pending: HashMap<ServerId, Pending>,
    /// Pending servers the engine said it changed, with the snapshots seen since: done once
    /// a snapshot shows what was asked, or at the third whatever it shows (a weight of 0
    /// keeps `ready` from ever reading as asked). Not at the first: it may have been taken
    /// before the engine acted.
    moved: HashMap<ServerId, u32>,
    confirm: Option<Confirm>,
    drains: Drains,
}

impl Admin {
    pub fn is_pending(&self, id: ServerId) -> bool {
        self.pending.contains_key(&id)
    }

    pub fn pending(&self, id: ServerId) -> Option<Pending> {
        self.pending.get(&id).copied()
    }

    /// The question on screen, if one is.
    pub fn confirm(&self) -> Option<&Confirm> {
        self.confirm.as_ref()
    }

    /// The question being answered: any key answers it, so it goes away.
    pub(super) fn take_confirm(&mut self) -> Option<Confirm> {
        self.confirm.take()
    }

    pub(super) fn set_admin(
        &mut self,
        id: ServerId,
        label: &str,
        state: AdminState,
    ) -> (Command, String) {
        self.pending.insert(id, Pending::Admin(state));
        (
            Command::SetAdmin { server: id, state },
            format!("set server {label} state {state} …"),
        )
    }

    /// Asks before maintenance. Returns what the status line says meanwhile.
    pub(super) fn ask_maint(&mut self, id: ServerId, label: &str, server: &ServerSnap) -> String {
        self.confirm = Some(Confirm {
            server: Some(id),
            title: "maintenance".into(),
            question: format!("Put {label} in maintenance (MAINT)?"),
            detail: format!(
                "It takes no new traffic and its health checks pause; {} session(s) in progress \
                 finish. r makes it ready again.",
                server.cur_sessions
            ),
            plan: None,
        });
        format!("maintenance for {label}? y confirms, any other key cancels")
    }

    /// One weight step from what is shown (or already asked for); the error says why not.
    pub(super) fn step_weight(
        &mut self,
        id: ServerId,
        label: &str,
        server: &ServerSnap,
        by: i64,
    ) -> Result<(Command, String), String> {
        let current = match self.pending.get(&id) {
            Some(Pending::Weight(w)) => *w,
            _ => server.weight,
        };
        let weight = (i64::from(current) + by).clamp(0, i64::from(MAX_WEIGHT)) as u32;
        if weight == current {
            return Err(format!(
                "{label}: weight is already {current} (it goes from 0 to {MAX_WEIGHT})"
            ));
        }
        self.pending.insert(id, Pending::Weight(weight));
        Ok((
            Command::SetWeight { server: id, weight },
            format!("set server {label} weight {weight} …"),
        ))
    }

    /// Health checks off if the row shows them on, and the other way round.
    pub(super) fn toggle_checks(
        &mut self,
        id: ServerId,
        label: &str,
        server: &ServerSnap,
    ) -> (Command, String) {
        let enabled = server.status != ServerStatus::NoCheck;
        self.pending.insert(id, Pending::Checks(!enabled));
        let verb = if enabled { "disable" } else { "enable" };
        (
            Command::SetChecks {
                server: id,
                enabled: !enabled,
            },
            format!("{verb} health {label} …"),
        )
    }

    /// The engine says a server changed: whatever was pending on it is done, and is said
    /// with the next snapshot, the one the row shows.
    pub(super) fn engine_moved(&mut self, id: ServerId) {
        if self.pending.contains_key(&id) {
            self.moved.entry(id).or_insert(0);
        }
    }

    /// A pending action is done once the snapshot shows it, even if the engine sends no
    /// ServerChanged (asking to drain a draining server changes nothing). Returns those done,
    /// with the status they ended in; pending actions on servers gone are dropped.
    pub(super) fn settle(&mut self, snap: &Snapshot) -> Vec<(ServerId, Pending, ServerStatus)> {
        let mut done = Vec::new();
        for seen in self.moved.values_mut() {
            *seen += 1;
        }
        let moved = &self.moved;
        let overdue = |id: &ServerId| moved.get(id).is_some_and(|&seen| seen >= 3);
        self.pending.retain(|id, pending| {
            let server = snap
                .backends
                .get(id.backend)
                .and_then(|b| b.servers.get(id.server));
            match server {
                Some(s) if overdue(id) || reached(*pending, s) => {
                    done.push((*id, *pending, s.status));
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
        let pending = &self.pending;
        self.moved.retain(|id, _| pending.contains_key(id));
        done
    }

    /// Asks before a reload. Returns what the status line says meanwhile.
    pub(super) fn ask_reload(&mut self, path: &str) -> String {
        self.confirm = Some(Confirm {
            server: None,
            title: "reload".into(),
            question: format!("Reload the configuration from {path}?"),
            detail: "Sessions running finish on the old configuration; servers keep their \
                     state and counters unless the file changed them. An invalid file \
                     changes nothing."
                .into(),
            plan: None,
        });
        "reload the configuration? y confirms, any other key cancels".into()
    }

    /// Forgets what a refused (or lost) admin command would have changed.
    pub(super) fn undo(&mut self, command: &Command) {
        if let Command::SetAdmin { server, .. }
        | Command::SetWeight { server, .. }
        | Command::SetChecks { server, .. } = command
        {
            self.pending.remove(server);
            self.moved.remove(server);
        }
    }
}

impl Admin {
    /// The drain-then-maint jobs running.
    pub fn drains(&self) -> &Drains {
        &self.drains
    }

    pub(super) fn drains_mut(&mut self) -> &mut Drains {
        &mut self.drains
    }

    /// A typed weight, already checked: the command and what the status line says.
    pub(super) fn set_weight(
        &mut self,
        id: ServerId,
        label: &str,
        typed: &str,
        weight: u32,
    ) -> (Command, String) {
        self.pending.insert(id, Pending::Weight(weight));
        let text = match typed.trim() == weight.to_string() {
            true => format!("set server {label} weight {weight} …"),
            false => format!("set server {label} weight {typed} (= {weight}) …"),
        };
        (Command::SetWeight { server: id, weight }, text)
    }

    /// Asks before acting on every server of a backend (`drain hoge: web10, web11?`).
    /// Returns what the status line says meanwhile.
    pub(super) fn ask_backend(&mut self, backend: &str, plan: Plan, names: &[String]) -> String {
        let (verb, title, detail) = match &plan {
            Plan::Admin(AdminState::Drain, _) => (
                "drain",
                "drain a backend",
                "Each takes no new traffic; its sessions finish. r makes them ready again.",
            ),
            Plan::Admin(AdminState::Maint, _) => (
                "maint",
                "maintenance of a backend",
                "Each takes no traffic and its checks pause. r makes them ready again.",
            ),
            Plan::Admin(AdminState::Ready, _) => (
                "ready",
                "ready a backend",
                "Each leaves drain or maintenance and takes traffic again once its checks pass.",
            ),
            Plan::DrainThenMaint(_) => (
                "drain then maint",
                "drain, then maintenance",
                "Each is drained now and put in maintenance once its sessions reach 0. Esc \
                 cancels; it stops if lbtop quits (they stay DRAIN).",
            ),
        };
        let question = match names.is_empty() {
            true => format!("{verb} {backend}?"),
            false => format!("{verb} {backend}: {}?", names.join(", ")),
        };
        let status = format!("{question} y/n");
        self.confirm = Some(Confirm {
            server: None,
            title: title.into(),
            question,
            detail: detail.into(),
            plan: Some(plan),
        });
        status
    }
}

/// A command in the words of HAProxy's CLI where there are some.
pub(super) fn describe(stats: &super::stats::Stats, command: &Command) -> String {
    let label = |id: &ServerId| stats.server_label(*id);
    match command {
        Command::SetAdmin { server, state } => {
            format!("set server {} state {state}", label(server))
        }
        Command::SetWeight { server, weight } => {
            format!("set server {} weight {weight}", label(server))
        }
        Command::SetChecks { server, enabled } => {
            let verb = if *enabled { "enable" } else { "disable" };
            format!("{verb} health {}", label(server))
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
        Command::Reload => "reload".into(),
        Command::Runtime { line, .. } => line.clone(),
    }
}

/// What the status line says of a reload's or a soft stop's progress; `None` at the end of
/// a soft stop, which ends the dashboard.
pub(super) fn lifecycle_status(step: &Lifecycle) -> Option<(Tone, String)> {
    Some(match step {
        Lifecycle::Reloading => (Tone::Info, "reloading the configuration …".into()),
        Lifecycle::Reloaded { ok: true, text } => (Tone::Ok, text.clone()),
        Lifecycle::Reloaded { ok: false, text } => {
            let first = text.lines().next().unwrap_or_default();
            let text = format!("reload failed, the old configuration still serves: {first}");
            (Tone::Error, text)
        }
        Lifecycle::Stopping => {
            let text = "soft stop: no new connections, running sessions finish";
            (Tone::Info, text.into())
        }
        Lifecycle::Stopped => return None,
    })
}

/// The answer to the reload question: what the status line says, and the command if `y`.
pub(super) fn answer_reload(yes: bool) -> (&'static str, Option<Command>) {
    match yes {
        true => ("reload …", Some(Command::Reload)),
        false => ("cancelled: no reload", None),
    }
}

/// What the status line says once the engine did what was asked.
pub(super) fn confirmed(label: &str, pending: Pending, status: ServerStatus) -> String {
    match pending {
        Pending::Admin(_) => format!("{label} is now {status}"),
        // The status is the row's (a weight of 0 reads DRAIN there).
        Pending::Weight(0) => format!("{label} weight is now 0: no new traffic ({status})"),
        Pending::Weight(w) => format!("{label} weight is now {w} ({status})"),
        Pending::Checks(on) => {
            let word = if on { "enabled" } else { "disabled" };
            format!("{label}: health checks {word}, now {status}")
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
    fn weight_counts_from_the_pending_value_and_stays_in_range() {
        let mut admin = Admin::default();
        let id = ServerId {
            backend: 0,
            server: 1,
        };
        let s = srv(ServerStatus::Up, 255);
        let (command, _) = admin.step_weight(id, "hoge/web11", &s, 1).unwrap();
        assert_eq!(
            command,
            Command::SetWeight {
                server: id,
                weight: 256
            }
        );
        let refused = admin.step_weight(id, "hoge/web11", &s, 1).unwrap_err();
        assert_eq!(
            refused,
            "hoge/web11: weight is already 256 (it goes from 0 to 256)"
        );
        assert_eq!(admin.pending(id), Some(Pending::Weight(256)));
    }
}
