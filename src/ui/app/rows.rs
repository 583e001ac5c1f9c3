//! Actions on the selected row: a server, or a BACKEND row whose actions go to each of its
//! servers after one question; and drain-then-maintenance.

use super::{App, Tone};
use crate::events::{AdminState, Command, ServerId, ServerSnap, Snapshot};
use crate::ui::admin::{Pending, Plan};
use crate::ui::servers::Row;

impl App {
    /// The selected server, or says there is none.
    pub(super) fn target(&mut self) -> Option<(ServerId, ServerSnap)> {
        let selected = self.servers.selected();
        let server = selected.and_then(|id| self.stats.server(id)).cloned();
        match selected.zip(server) {
            Some(found) => Some(found),
            None if self.servers.selected_row().is_some() => {
                let text = "on a BACKEND row only d, r, m and M act (on each server)";
                self.say(Tone::Error, text);
                None
            }
            None => {
                self.say(Tone::Error, "no server selected");
                None
            }
        }
    }

    pub(super) fn admin_selected(&mut self, state: AdminState) -> Option<Command> {
        let (id, _) = self.target()?;
        self.set_admin(id, state)
    }

    pub(super) fn set_admin(&mut self, id: ServerId, state: AdminState) -> Option<Command> {
        let label = self.stats.server_label(id);
        let sent = self.admin.set_admin(id, &label, state);
        Some(self.send(sent))
    }

    pub(super) fn ask_maint(&mut self) {
        let Some((id, server)) = self.target() else {
            return;
        };
        let label = self.stats.server_label(id);
        let text = self.admin.ask_maint(id, &label, &server);
        self.say(Tone::Info, text);
    }

    pub(super) fn step_weight(&mut self, by: i64) -> Option<Command> {
        let (id, server) = self.target()?;
        let label = self.stats.server_label(id);
        match self.admin.step_weight(id, &label, &server, by) {
            Ok(sent) => Some(self.send(sent)),
            Err(why) => {
                self.say(Tone::Error, why);
                None
            }
        }
    }

    /// `d`, `m`, `r`: on a server as before; on a BACKEND row, one question naming its
    /// servers. `r` also stops a drain-then-maint on what it readies.
    pub(super) fn admin_row(&mut self, state: AdminState) -> Option<Command> {
        if let Some(Row::Backend(b)) = self.servers.selected_row() {
            self.ask_backend(b, Plan::Admin(state, Vec::new()));
            return None;
        }
        if state == AdminState::Ready {
            if let Some(id) = self.servers.selected() {
                self.stop_drains(&[id]);
            }
        }
        match state {
            AdminState::Maint => {
                self.ask_maint();
                None
            }
            _ => self.admin_selected(state),
        }
    }

    /// `M`: drain, then maintenance once the sessions reach 0, for a server or a backend.
    pub(super) fn ask_drain_then_maint(&mut self) {
        match self.servers.selected_row() {
            Some(Row::Backend(b)) => self.ask_backend(b, Plan::DrainThenMaint(Vec::new())),
            Some(Row::Server(id)) => {
                let label = self.stats.server_label(id);
                let plan = Plan::DrainThenMaint(vec![id]);
                let text = self.admin.ask_backend(&label, plan, &[]);
                self.say(Tone::Info, text);
            }
            None => self.say(Tone::Error, "no server selected"),
        }
    }

    /// The question for every server of backend `b`, `plan` filled with them.
    fn ask_backend(&mut self, b: usize, plan: Plan) {
        let Some(backend) = self.stats.snapshot().and_then(|s| s.backends.get(b)) else {
            return;
        };
        let ids: Vec<ServerId> = (0..backend.servers.len())
            .map(|server| ServerId { backend: b, server })
            .collect();
        if ids.is_empty() {
            self.say(Tone::Error, format!("{} has no servers", backend.name));
            return;
        }
        let names: Vec<String> = backend.servers.iter().map(|s| s.name.clone()).collect();
        let name = backend.name.clone();
        let plan = match plan {
            Plan::Admin(state, _) => Plan::Admin(state, ids),
            Plan::DrainThenMaint(_) => Plan::DrainThenMaint(ids),
        };
        let text = self.admin.ask_backend(&name, plan, &names);
        self.say(Tone::Info, text);
    }

    /// The answer to a question with a plan: one command per server.
    pub(super) fn answer_plan(&mut self, plan: Plan, yes: bool) -> Option<Command> {
        let ids = match &plan {
            Plan::Admin(_, ids) | Plan::DrainThenMaint(ids) => ids.clone(),
        };
        let labels: Vec<String> = ids.iter().map(|&id| self.stats.server_label(id)).collect();
        if !yes {
            let text = format!("cancelled: {} stay as they are", labels.join(", "));
            self.say(Tone::Info, text);
            return None;
        }
        let state = match plan {
            Plan::Admin(state, _) => state,
            Plan::DrainThenMaint(_) => AdminState::Drain,
        };
        if state == AdminState::Ready {
            self.stop_drains(&ids);
        }
        for (&id, label) in ids.iter().zip(&labels) {
            let (command, _) = self.admin.set_admin(id, label, state);
            self.outbox.push(command);
            if matches!(plan, Plan::DrainThenMaint(_)) {
                self.admin.drains_mut().start(id, label);
            }
        }
        let text = match plan {
            Plan::DrainThenMaint(_) => format!(
                "set server {} state drain …, then maint once each has no session",
                labels.join(", ")
            ),
            _ => format!("set server {} state {state} …", labels.join(", ")),
        };
        self.say_sent(text);
        None
    }

    /// Says what was sent, and to which node when attached.
    fn say_sent(&mut self, mut text: String) {
        if let Some(name) = self.node_name() {
            text = format!("{text} (node {name} only)");
        }
        self.say(Tone::Info, text);
    }

    /// After each snapshot: MAINT for the drained servers whose sessions reached 0, and
    /// the progress on the status line.
    pub(super) fn step_drains(&mut self, snap: &Snapshot) {
        if self.admin.drains().is_empty() {
            return;
        }
        let pending: Vec<ServerId> = snap
            .backends
            .iter()
            .enumerate()
            .flat_map(|(b, be)| {
                (0..be.servers.len()).map(move |server| ServerId { backend: b, server })
            })
            .filter(|&id| self.admin.pending(id) == Some(Pending::Admin(AdminState::Drain)))
            .collect();
        let step = self
            .admin
            .drains_mut()
            .step(snap, |id| pending.contains(&id));
        for id in step.maint {
            let label = self.stats.server_label(id);
            let (command, _) = self.admin.set_admin(id, &label, AdminState::Maint);
            self.outbox.push(command);
        }
        if !step.stopped.is_empty() {
            let text = format!(
                "drain-then-maint stopped: {} ready again",
                step.stopped.join(", ")
            );
            self.say(Tone::Info, text);
        }
        if !step.done.is_empty() {
            let text = format!("drained, now in MAINT: {}", step.done.join(", "));
            self.say(Tone::Ok, text);
        }
        if let Some(text) = self.admin.drains_mut().fresh_progress() {
            self.say(Tone::Info, text);
        }
    }

    /// Stops drain-then-maint on these servers (they stay as they are now).
    fn stop_drains(&mut self, ids: &[ServerId]) {
        let stopped = self.admin.drains_mut().cancel(ids);
        if !stopped.is_empty() {
            let text = format!("drain-then-maint stopped for {}", stopped.join(", "));
            self.say(Tone::Info, text);
        }
    }

    /// Esc: stops every drain-then-maint. Returns whether one ran.
    pub(super) fn cancel_drains(&mut self) -> bool {
        let stopped = self.admin.drains_mut().cancel_all();
        if stopped.is_empty() {
            return false;
        }
        let text = format!(
            "drain-then-maint cancelled: {} stay as they are now",
            stopped.join(", ")
        );
        self.say(Tone::Info, text);
        true
    }
}
