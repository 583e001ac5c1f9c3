//! The demo lab as the dashboard last asked it to be: each embedded web server running or
//! not, its health page there or not, and the traffic generator on or off.

use super::UiOptions;
use crate::events::Command;
use std::net::SocketAddr;

/// A demo web server and the state the dashboard last asked of it.
#[derive(Debug, Clone)]
struct DemoServer {
    name: String,
    addr: SocketAddr,
    running: bool,
    page_present: bool,
}

#[derive(Debug, Default)]
pub struct DemoLab {
    servers: Vec<DemoServer>,
    traffic_running: bool,
}

impl DemoLab {
    pub fn new(opts: &UiOptions) -> DemoLab {
        // The lab starts with every demo server up and its health page in place.
        let servers = opts
            .demo_servers
            .iter()
            .map(|(name, addr)| DemoServer {
                name: name.clone(),
                addr: *addr,
                running: true,
                page_present: true,
            })
            .collect();
        DemoLab {
            servers,
            traffic_running: opts.traffic_running,
        }
    }

    /// Whether the demo keys have anything to act on.
    pub fn has_demo(&self) -> bool {
        !self.servers.is_empty() || self.traffic_running
    }

    pub fn traffic_running(&self) -> bool {
        self.traffic_running
    }

    /// The demo server answering for a backend server at `addr`.
    pub(super) fn find(&self, addr: SocketAddr) -> Option<usize> {
        self.servers
            .iter()
            .position(|d| same_endpoint(d.addr, addr))
    }

    /// Starts or stops demo server `i`; returns the command and what the status line says.
    pub(super) fn toggle_server(&mut self, i: usize) -> (Command, String) {
        let d = &mut self.servers[i];
        d.running = !d.running;
        let (name, running) = (d.name.clone(), d.running);
        let verb = if running { "starting" } else { "stopping" };
        let text = format!("{verb} demo web server {name} …");
        (Command::DemoServer { name, running }, text)
    }

    /// Deletes or restores demo server `i`'s health page.
    pub(super) fn toggle_health_page(&mut self, i: usize) -> (Command, String) {
        let d = &mut self.servers[i];
        d.page_present = !d.page_present;
        let (name, present) = (d.name.clone(), d.page_present);
        let verb = if present { "restoring" } else { "deleting" };
        let text = format!("{verb} {name}'s health_check.html …");
        (Command::DemoHealthPage { name, present }, text)
    }

    pub(super) fn toggle_traffic(&mut self) -> (Command, String) {
        self.traffic_running = !self.traffic_running;
        let verb = if self.traffic_running {
            "starting"
        } else {
            "stopping"
        };
        (
            Command::DemoTraffic {
                running: self.traffic_running,
            },
            format!("{verb} the traffic generator …"),
        )
    }

    /// Forgets what a refused (or lost) demo command would have changed.
    pub(super) fn undo(&mut self, command: &Command) {
        match command {
            Command::DemoServer { name, running } => {
                if let Some(d) = self.servers.iter_mut().find(|d| &d.name == name) {
                    d.running = !running;
                }
            }
            Command::DemoHealthPage { name, present } => {
                if let Some(d) = self.servers.iter_mut().find(|d| &d.name == name) {
                    d.page_present = !present;
                }
            }
            Command::DemoTraffic { running } => self.traffic_running = !running,
            _ => {}
        }
    }
}

/// A demo server bound to 0.0.0.0:8001 answers for a backend server at 127.0.0.1:8001.
fn same_endpoint(bind: SocketAddr, server: SocketAddr) -> bool {
    bind == server || (bind.ip().is_unspecified() && bind.port() == server.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_bind_matches_loopback_server() {
        let bind: SocketAddr = "0.0.0.0:8001".parse().unwrap();
        assert!(same_endpoint(bind, "127.0.0.1:8001".parse().unwrap()));
        assert!(!same_endpoint(bind, "127.0.0.1:8002".parse().unwrap()));
        let exact: SocketAddr = "127.0.0.1:8001".parse().unwrap();
        assert!(!same_endpoint(exact, "127.0.0.2:8001".parse().unwrap()));
    }
}
