//! `[[backend.server]]`: one server of a backend.

use super::super::raw::{RawDuration, RawServer};
use super::{Res, Resolver};
use crate::config::Server;
use std::time::Duration;
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn server(&self, raw: &Spanned<RawServer>, backend: &str) -> Res<Server> {
        let s = raw.get_ref();
        self.name(&s.name, &format!("{backend}: server"))?;
        let who = format!("{backend}: server '{}'", s.name.get_ref());
        let addr = self.addr(&s.address, &format!("{who}: 'address'"), false)?;
        let weight = self
            .opt_int(&s.weight, &format!("{who}: 'weight'"), 0, 256)?
            .unwrap_or(1);
        let inter = match &s.inter {
            None => Server::DEFAULT_INTER,
            Some(d) => {
                let key = format!("{who}: 'inter'");
                let v = self.duration(d, &key)?;
                if v.is_zero() {
                    return Err(self.at(d, format!("{key} must be greater than 0")));
                }
                v
            }
        };
        let max = u32::MAX.into();
        let fall = self.opt_int(&s.fall, &format!("{who}: 'fall'"), 1, max)?;
        let rise = self.opt_int(&s.rise, &format!("{who}: 'rise'"), 1, max)?;
        // As in HAProxy, `maxconn 0` means no limit.
        let maxconn = self
            .opt_int(&s.maxconn, &format!("{who}: 'maxconn'"), 0, max)?
            .filter(|&n| n > 0);
        let positive = |v: &Option<Spanned<RawDuration>>, key: &str| -> Res<Option<Duration>> {
            let Some(d) = v else { return Ok(None) };
            let key = format!("{who}: '{key}'");
            let v = self.duration(d, &key)?;
            if v.is_zero() {
                return Err(self.at(d, format!("{key} must be greater than 0")));
            }
            Ok(Some(v))
        };
        let fastinter = positive(&s.fastinter, "fastinter")?;
        let downinter = positive(&s.downinter, "downinter")?;
        // `slowstart 0` is HAProxy's way of saying "off".
        let slowstart = match &s.slowstart {
            None => None,
            Some(d) => Some(self.duration(d, &format!("{who}: 'slowstart'"))?),
        }
        .filter(|d| !d.is_zero());
        Ok(Server {
            name: s.name.get_ref().clone(),
            addr,
            weight,
            check: s.check.unwrap_or(false),
            inter,
            fall: fall.unwrap_or(Server::DEFAULT_FALL),
            rise: rise.unwrap_or(Server::DEFAULT_RISE),
            backup: s.backup.unwrap_or(false),
            maxconn,
            disabled: s.disabled.unwrap_or(false),
            fastinter,
            downinter,
            slowstart,
            line: self.line(raw.span().start),
        })
    }
}
