//! Single values: names, addresses, durations, bounded integers.

use super::super::raw::RawDuration;
use super::{Res, Resolver};
use crate::config::parse_duration;
use crate::config::values::in_range;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn name(&self, raw: &Spanned<String>, what: &str) -> Res<()> {
        let s = raw.get_ref();
        if s.is_empty() {
            return Err(self.at(raw, format!("{what}: 'name' must not be empty")));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.:".contains(*c)))
        {
            return Err(self.at(
                raw,
                format!(
                    "{what} '{s}': 'name' may only contain letters, digits, '-', '_', '.' and ':' \
                     (found {c:?})"
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn unique(
        &self,
        seen: &mut HashMap<String, usize>,
        name: &Spanned<String>,
        what: &str,
    ) -> Res<()> {
        if let Some(first) = seen.get(name.get_ref()) {
            return Err(self.at(
                name,
                format!(
                    "{what} '{}' is already defined at line {first}",
                    name.get_ref()
                ),
            ));
        }
        seen.insert(name.get_ref().clone(), self.line(name.span().start));
        Ok(())
    }

    /// A frontend's `bind`: one address, or several separated by commas as in HAProxy.
    pub(super) fn binds(&self, raw: &Spanned<String>, who: &str) -> Res<Vec<crate::config::Bind>> {
        let line = self.line(raw.span().start);
        raw.get_ref()
            .split(',')
            .map(|one| {
                let one = Spanned::new(raw.span(), one.to_string());
                let addr = self.addr(&one, &format!("{who}: 'bind'"), true)?;
                Ok(crate::config::Bind {
                    line,
                    ..crate::config::Bind::new(addr)
                })
            })
            .collect()
    }

    pub(super) fn addr(&self, raw: &Spanned<String>, what: &str, bind: bool) -> Res<SocketAddr> {
        let s = raw.get_ref().trim();
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Ok(a);
        }
        // HAProxy's `bind *:80` / `bind :80`: every IPv4 address.
        if bind {
            if let Some(port) = s.strip_prefix("*:").or_else(|| s.strip_prefix(':')) {
                if let Ok(port) = port.parse::<u16>() {
                    return Ok(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port));
                }
            }
        }
        Err(self.at(
            raw,
            format!(
                "{what} '{}' is not an ip:port address (e.g. 127.0.0.1:8080 or [::1]:8080)",
                raw.get_ref()
            ),
        ))
    }

    pub(super) fn duration(&self, raw: &Spanned<RawDuration>, what: &str) -> Res<Duration> {
        match raw.get_ref() {
            RawDuration::Text(t) => {
                parse_duration(t).map_err(|e| self.at(raw, format!("{what}: {e}")))
            }
            RawDuration::Millis(n) => u64::try_from(*n)
                .map(Duration::from_millis)
                .map_err(|_| self.at(raw, format!("{what} must not be negative, got {n}"))),
        }
    }

    pub(super) fn opt_int(
        &self,
        raw: &Option<Spanned<i64>>,
        what: &str,
        min: i64,
        max: i64,
    ) -> Res<Option<u32>> {
        let Some(v) = raw else { return Ok(None) };
        in_range(*v.get_ref(), what, min, max)
            .map(Some)
            .map_err(|m| self.at(v, m))
    }
}
