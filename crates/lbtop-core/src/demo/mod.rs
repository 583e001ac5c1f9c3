//! Embedded demo web servers and a traffic generator: the seed's two Apaches and a browser,
//! inside lbtop, so the lab is live with nothing else installed.

mod page;
mod traffic;
mod web;

use crate::config::Config;
use crate::events::{Command, Event, EventSender, Level, Topic};
use std::net::SocketAddr;
use web::WebServer;

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
#[error("demo server '{name}': cannot bind {addr}: {source}")]
pub struct DemoError {
    pub name: String,
    pub addr: SocketAddr,
    pub source: std::io::Error,
}

pub struct Demo {
    servers: Vec<WebServer>,
    traffic: traffic::Generator,
    events: EventSender,
}

impl Demo {
    /// Starts the demo servers (and the traffic generator if configured to start).
    /// Must be called inside a tokio runtime; returns `None` when the config has no `[demo]`.
    pub async fn start(config: &Config, events: EventSender) -> Result<Option<Demo>, DemoError> {
        let Some(demo) = &config.demo else {
            return Ok(None);
        };
        let mut servers = Vec::new();
        for s in &demo.servers {
            // Made absolute against the config file's folder when the config was loaded.
            let root = s.root.clone();
            servers.push(WebServer::start(&s.name, s.bind, root).await?);
        }
        let targets: Vec<SocketAddr> = demo
            .traffic
            .frontends
            .iter()
            .map(|&i| config.frontends[i].binds[0].addr)
            .collect();
        let mut traffic = traffic::Generator::new(targets, demo.traffic.rate);
        if demo.traffic.start {
            traffic.start();
        }
        Ok(Some(Demo {
            servers,
            traffic,
            events,
        }))
    }

    /// Names and addresses of the demo servers, for the dashboard's demo keys.
    pub fn servers(&self) -> Vec<(String, SocketAddr)> {
        self.servers
            .iter()
            .map(|s| (s.name.clone(), s.addr))
            .collect()
    }

    pub fn traffic_running(&self) -> bool {
        self.traffic.running()
    }

    /// Carries out a demo command and logs what happened, in the seed's terms.
    pub async fn apply(&mut self, command: &Command) -> Result<(), String> {
        let text = match command {
            Command::DemoServer { name, running } => {
                let server = self.server(name)?;
                if *running {
                    server.resume().await.map_err(|e| e.to_string())?;
                    format!("demo: {name} started (like `systemctl start apache2`)")
                } else {
                    server.stop();
                    format!("demo: {name} stopped (like `systemctl stop apache2`)")
                }
            }
            Command::DemoHealthPage { name, present } => {
                self.server(name)?.set_health_page(*present);
                let verb = if *present { "restored" } else { "deleted" };
                format!("demo: {name}: health_check.html {verb}")
            }
            Command::DemoTraffic { running } => {
                if *running {
                    self.traffic.start();
                } else {
                    self.traffic.stop();
                }
                let word = if *running { "started" } else { "stopped" };
                format!("demo: traffic generator {word}")
            }
            _ => return Err("not a demo command".into()),
        };
        self.events.log(Level::Notice, Topic::System, text.clone());
        // The watcher waits for this to say the command is done.
        let command = command.clone();
        self.events.send(Event::Done { command, text });
        Ok(())
    }

    fn server(&mut self, name: &str) -> Result<&mut WebServer, String> {
        self.servers
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("no demo server named '{name}'"))
    }

    pub fn stop(&mut self) {
        self.traffic.stop();
        for s in &mut self.servers {
            s.stop();
        }
    }
}
