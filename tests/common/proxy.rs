//! An engine under test on a free loopback port, with one frontend `fe` and one backend `be`.

use super::{free_port, write_config};
use lbtop::config::Config;
use lbtop::engine::{log::format_session, Engine, Handle};
use lbtop::events::{self, EventReceiver, SessionRecord};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub struct Proxy {
    engine: Option<Engine>,
    pub handle: Handle,
    pub rx: EventReceiver,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// `backend` is the body of a `[[backend]]` named `be` (servers included); `extra` goes
    /// into `[defaults]`.
    pub async fn start(defaults: &str, backend: &str) -> Proxy {
        let port = free_port();
        let mode = if defaults.contains("mode =") {
            ""
        } else {
            "mode = \"http\"\n"
        };
        let text = format!(
            "[defaults]\n{mode}{defaults}\n\n[[frontend]]\nname = \"fe\"\nbind = \"127.0.0.1:{port}\"\ndefault_backend = \"be\"\n\n[[backend]]\nname = \"be\"\n{backend}\n"
        );
        let (dir, path) = write_config("t.toml", &text);
        let config = Arc::new(Config::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}")));
        let (tx, rx) = events::channel();
        let engine = Engine::start(config, tx).await.expect("start");
        Proxy {
            handle: engine.handle(),
            engine: Some(engine),
            rx,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: dir,
        }
    }

    pub async fn record(&mut self) -> SessionRecord {
        tokio::time::timeout(Duration::from_secs(10), self.rx.sessions.recv())
            .await
            .expect("a session record in time")
            .expect("open channel")
    }

    pub async fn log_line(&mut self) -> String {
        let record = self.record().await;
        format_session(&self.handle.config(), &record).expect("httplog on")
    }

    pub async fn stop(mut self) {
        if let Some(e) = self.engine.take() {
            e.shutdown().await;
        }
    }
}

pub fn server(name: &str, addr: SocketAddr, extra: &str) -> String {
    format!("[[backend.server]]\nname = \"{name}\"\naddress = \"{addr}\"\n{extra}\n")
}
