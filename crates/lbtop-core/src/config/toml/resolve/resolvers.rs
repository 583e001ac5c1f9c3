//! `[[resolvers]]`: HAProxy's `resolvers` sections (docs/haproxy-semantics.md §19).

use super::super::raw::{RawDuration, RawResolvers};
use super::{Res, Resolver};
use crate::config::{Backend, ConfigError, Nameserver, Resolvers, Warning};
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

impl Resolver<'_> {
    /// Every `[[resolvers]]` table, each name used once.
    pub(super) fn resolvers(&self, raw: &[Spanned<RawResolvers>]) -> Res<Vec<Resolvers>> {
        let mut seen = HashMap::new();
        let mut out = Vec::with_capacity(raw.len());
        for r in raw {
            self.name(&r.get_ref().name, "resolvers")?;
            self.unique(&mut seen, &r.get_ref().name, "resolvers")?;
            out.push(self.one_resolvers(r)?);
        }
        Ok(out)
    }

    fn one_resolvers(&self, raw: &Spanned<RawResolvers>) -> Res<Resolvers> {
        let r = raw.get_ref();
        let who = format!("resolvers '{}'", r.name.get_ref());
        let mut out = Resolvers::new(r.name.get_ref().clone(), self.line(raw.span().start));
        let mut seen = HashMap::new();
        for ns in &r.nameserver {
            let ns = ns.get_ref();
            self.name(&ns.name, &format!("{who}: nameserver"))?;
            self.unique(&mut seen, &ns.name, &format!("{who}: nameserver"))?;
            let bare = ns.address.get_ref().trim();
            let bare = bare.strip_prefix("udp@").unwrap_or(bare);
            let addr = bare.parse().map_err(|_| {
                let a = ns.address.get_ref();
                self.at(
                    &ns.address,
                    format!("{who}: nameserver address '{a}' is not an ip:port address"),
                )
            })?;
            out.nameservers.push(Nameserver {
                name: ns.name.get_ref().clone(),
                addr,
            });
        }
        if let Some(h) = &r.hold {
            let hold = &mut out.hold;
            for (slot, v, key) in [
                (&mut hold.valid, &h.valid, "valid"),
                (&mut hold.nx, &h.nx, "nx"),
                (&mut hold.other, &h.other, "other"),
                (&mut hold.refused, &h.refused, "refused"),
                (&mut hold.timeout, &h.timeout, "timeout"),
                (&mut hold.obsolete, &h.obsolete, "obsolete"),
            ] {
                self.set(slot, v, &format!("{who}: 'hold.{key}'"), true)?;
            }
        }
        if let Some(t) = &r.timeout {
            self.set(
                &mut out.resolve,
                &t.resolve,
                &format!("{who}: 'timeout.resolve'"),
                false,
            )?;
            self.set(
                &mut out.retry,
                &t.retry,
                &format!("{who}: 'timeout.retry'"),
                false,
            )?;
        }
        if out.nameservers.is_empty() {
            self.warnings.borrow_mut().push(Warning {
                line: out.line,
                message: format!("{who} has no nameservers configured!"),
            });
        }
        let what = format!("{who}: 'resolve-retries'");
        if let Some(n) = self.opt_int(&r.resolve_retries, &what, 0, 1000)? {
            out.retries = n;
        }
        Ok(out)
    }

    /// A duration into `slot` when given; 0 only where `zero` may be.
    fn set(
        &self,
        slot: &mut Duration,
        v: &Option<Spanned<RawDuration>>,
        what: &str,
        zero: bool,
    ) -> Res<()> {
        let Some(raw) = v else { return Ok(()) };
        let d = self.duration(raw, what)?;
        if d.is_zero() && !zero {
            return Err(self.at(raw, format!("{what} must be greater than 0")));
        }
        *slot = d;
        Ok(())
    }

    /// Every server naming a resolvers section finds it, as HAProxy checks after reading.
    pub(super) fn check_resolvers(&self, resolvers: &[Resolvers], backends: &[Backend]) {
        for b in backends {
            for s in &b.servers {
                let Some(name) = &s.resolvers else { continue };
                if !resolvers.iter().any(|r| r.name == *name) {
                    self.errors.borrow_mut().push(ConfigError {
                        file: self.path.to_path_buf(),
                        line: s.line,
                        message: format!(
                            "backend '{}', server '{}': unable to find required resolvers '{name}'",
                            b.name, s.name
                        ),
                    });
                }
            }
        }
    }
}
