//! Checking and folding: the `Raw*` structs become the checked model ([`Config`] and its
//! frontends, backends, servers, demo, ui, global and log targets), with names resolved
//! to indices and `[defaults]` folded into every proxy.

use super::raw::RawConfig;
use crate::config::{Config, ConfigError, Global};
use std::collections::HashMap;
use std::path::Path;

mod defaults;
mod demo;
mod global;
mod logs;
mod options;
mod proxies;
mod scalars;
mod servers;
mod ui;

pub(super) struct Resolver<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

pub(super) type Res<T> = Result<T, ConfigError>;

impl Resolver<'_> {
    pub(super) fn resolve(&self, raw: RawConfig) -> Res<Config> {
        let global = Global {
            maxconn: match &raw.global {
                Some(g) => self.opt_int(&g.maxconn, "global: 'maxconn'", 1, u32::MAX.into())?,
                None => None,
            },
            nbthread: match &raw.global {
                Some(g) => self.opt_int(&g.nbthread, "global: 'nbthread'", 1, 64)?,
                None => None,
            },
            log: match &raw.global {
                Some(g) => self.logs(&g.log, "global")?,
                None => Vec::new(),
            },
            stats_socket: match raw.global.as_ref().and_then(|g| g.stats_socket.as_ref()) {
                Some(s) => Some(self.stats_socket(s)?),
                None => None,
            },
        };
        let defaults = self.defaults(raw.defaults)?;

        let mut backends = Vec::with_capacity(raw.backend.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for b in &raw.backend {
            let backend = self.backend(b, &defaults)?;
            self.unique(&mut seen, &b.get_ref().name, "backend")?;
            backends.push(backend);
        }

        let mut frontends = Vec::with_capacity(raw.frontend.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in &raw.frontend {
            let frontend = self.frontend(f, &defaults, &backends)?;
            self.unique(&mut seen, &f.get_ref().name, "frontend")?;
            frontends.push(frontend);
        }

        let demo = match raw.demo {
            Some(d) => Some(self.demo(d, &frontends)?),
            None => None,
        };

        let ui = self.ui(raw.ui)?;

        Ok(Config {
            source: self.path.to_path_buf(),
            global,
            frontends,
            backends,
            demo,
            ui,
            warnings: Vec::new(),
        })
    }
}
