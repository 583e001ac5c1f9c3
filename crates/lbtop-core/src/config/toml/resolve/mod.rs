//! Checking and folding: the `Raw*` structs become the checked model ([`Config`] and its
//! frontends, backends, servers, demo, ui, global and log targets), with names resolved
//! to indices and `[defaults]` folded into every proxy.

use super::raw::RawConfig;
use crate::config::{Config, ConfigError, Warning};
use std::cell::RefCell;
use std::path::Path;

mod defaults;
mod demo;
mod global;
mod logs;
mod options;
mod proxies;
mod scalars;
mod servers;
mod stats;
mod ui;

pub(super) struct Resolver<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    /// What loads but is not applied, said at load as the HAProxy side says it.
    pub(super) warnings: RefCell<Vec<Warning>>,
}

pub(super) type Res<T> = Result<T, ConfigError>;

impl Resolver<'_> {
    /// A setting lbtop reads (and exports) but does not apply yet, and what happens instead.
    pub(super) fn not_applied(&self, pos: usize, what: &str, instead: &str) {
        self.warnings.borrow_mut().push(Warning {
            line: self.line(pos),
            message: format!("{what} is accepted but lbtop does not apply it yet: {instead}"),
        });
    }

    pub(super) fn resolve(&self, raw: RawConfig) -> Res<Config> {
        let global = self.global(raw.global.as_ref())?;
        let defaults = self.defaults(raw.defaults)?;
        let backends = self.backends(&raw.backend, &defaults)?;
        let frontends = self.frontends(&raw.frontend, &defaults, &backends)?;

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
            warnings: self.warnings.take(),
        })
    }
}
