//! Checking and folding: the `Raw*` structs become the checked model ([`Config`] and its
//! frontends, backends, servers, demo, ui, global and log targets), with names resolved
//! to indices and `[defaults]` folded into every proxy.

use super::raw::RawConfig;
use crate::config::{Config, ConfigError, Warning};
use std::cell::RefCell;
use std::path::Path;

mod capture;
mod defaults;
mod demo;
mod global;
mod logs;
mod options;
mod proxies;
mod resolvers;
mod scalars;
mod servers;
mod stats;
mod ui;
mod userlists;

pub(super) struct Resolver<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    /// What loads but is not applied, said at load as the HAProxy side says it.
    pub(super) warnings: RefCell<Vec<Warning>>,
    /// Every error found so far: checking goes on after one, part by part.
    pub(super) errors: RefCell<Vec<ConfigError>>,
}

pub(super) type Res<T> = Result<T, ConfigError>;

impl Resolver<'_> {
    /// A setting lbtop reads (and exports) but does not apply yet, and what happens instead.
    /// No setting needs it today; kept as the way to add one.
    #[allow(dead_code)]
    pub(super) fn not_applied(&self, pos: usize, what: &str, instead: &str) {
        self.warnings.borrow_mut().push(Warning {
            line: self.line(pos),
            message: format!("{what} is accepted but lbtop does not apply it yet: {instead}"),
        });
    }

    /// The value, or `None` with its error kept.
    pub(super) fn keep<T>(&self, r: Res<T>) -> Option<T> {
        r.map_err(|e| self.errors.borrow_mut().push(e)).ok()
    }

    /// Checks every part of the file, keeping every error. A part that depends on another
    /// (a proxy on `[defaults]`, a frontend on its backend, `[demo]` on the frontends) is
    /// checked only when that one is sound, so no error is the echo of another.
    pub(super) fn resolve(&self, raw: RawConfig) -> Result<Config, Vec<ConfigError>> {
        let mut global = self.keep(self.global(raw.global.as_ref()));
        let resolvers = self.keep(self.resolvers(&raw.resolvers));
        let userlists = self.keep(self.userlists(&raw.userlist));
        let ui = self.keep(self.ui(raw.ui));
        let defaults = self.keep(self.defaults(raw.defaults));
        let (mut backends, mut frontends, mut demo) = (None, None, None);
        if let Some(defaults) = &defaults {
            let (sound, failed) = self.backends(&raw.backend, defaults);
            frontends = self.frontends(&raw.frontend, defaults, &sound, &failed);
            backends = failed.is_empty().then_some(sound);
        }
        if let Some(frontends) = &frontends {
            demo = match raw.demo {
                Some(d) => self.keep(self.demo(d, frontends)).map(Some),
                None => Some(None),
            };
        }
        if let (Some(g), Some(r), Some(b)) = (&mut global, resolvers, &backends) {
            self.check_resolvers(&r, b);
            g.resolvers = r;
        }
        if let (Some(g), Some(u)) = (&mut global, userlists) {
            g.userlists = u;
        }
        match (global, ui, backends, frontends, demo) {
            (Some(global), Some(ui), Some(backends), Some(frontends), Some(demo))
                if self.errors.borrow().is_empty() =>
            {
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
            _ => Err(self.errors.take()),
        }
    }
}
