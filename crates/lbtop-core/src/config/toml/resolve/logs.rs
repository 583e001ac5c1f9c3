//! `[[global.log]]`, `[[defaults.log]]`, `[[frontend.log]]`, `[[backend.log]]`: syslog targets.

use super::super::messages::did_you_mean;
use super::super::raw::RawLog;
use super::{Res, Resolver};
use crate::config::values::log_addr;
use crate::config::{LogFormat, LogTarget};
use toml::Spanned;

impl Resolver<'_> {
    /// `[[global.log]]` / `[[defaults.log]]` / `[[frontend.log]]` / `[[backend.log]]`.
    pub(super) fn logs(&self, raw: &[Spanned<RawLog>], who: &str) -> Res<Vec<LogTarget>> {
        raw.iter().map(|l| self.log(l.get_ref(), who)).collect()
    }

    fn log(&self, l: &RawLog, who: &str) -> Res<LogTarget> {
        let addr = log_addr(l.address.get_ref())
            .map_err(|m| self.at(&l.address, format!("{who}: log 'address' {m}")))?;
        let facility = l.facility.get_ref();
        let Some(facility) = LogTarget::facility_from_name(facility) else {
            return Err(self.at(
                &l.facility,
                format!(
                    "{who}: log 'facility' '{facility}' is not a syslog facility{} (one of {})",
                    did_you_mean(facility, &LogTarget::FACILITIES),
                    LogTarget::FACILITIES.join(", ")
                ),
            ));
        };
        let mut target = LogTarget::new(addr, facility);
        target.max_level = self.log_level(&l.level, who, "level", 7)?;
        target.min_level = self.log_level(&l.minlevel, who, "minlevel", 0)?;
        if let Some(len) = self.opt_int(&l.len, &format!("{who}: log 'len'"), 80, 65535)? {
            target.len = len as usize;
        }
        if let Some(f) = &l.format {
            target.format = Some(self.log_format(f, who)?);
        }
        Ok(target)
    }

    /// `level` / `minlevel`: a syslog level name, `default` when left out.
    fn log_level(&self, v: &Option<Spanned<String>>, who: &str, key: &str, default: u8) -> Res<u8> {
        let Some(v) = v else { return Ok(default) };
        LogTarget::level_from_name(v.get_ref()).ok_or_else(|| {
            self.at(
                v,
                format!(
                    "{who}: log '{key}' '{}' is not a syslog level{} (one of {})",
                    v.get_ref(),
                    did_you_mean(v.get_ref(), &LogTarget::LEVELS),
                    LogTarget::LEVELS.join(", ")
                ),
            )
        })
    }

    /// `log-tag = "name"`: HAProxy takes any word but an empty one.
    pub(super) fn log_tag(&self, v: &Option<Spanned<String>>, who: &str) -> Res<Option<String>> {
        match v {
            Some(t) if t.get_ref().is_empty() => Err(self.at(
                t,
                format!("{who}: 'log-tag' expects a tag for use in syslog"),
            )),
            Some(t) => Ok(Some(t.get_ref().clone())),
            None => Ok(None),
        }
    }

    fn log_format(&self, f: &Spanned<String>, who: &str) -> Res<LogFormat> {
        let names: Vec<&str> = LogFormat::ALL.iter().map(|f| f.as_str()).collect();
        LogFormat::from_name(f.get_ref()).ok_or_else(|| {
            self.at(
                f,
                format!(
                    "{who}: log 'format' '{}' is unknown{} (one of {})",
                    f.get_ref(),
                    did_you_mean(f.get_ref(), &names),
                    names.join(", ")
                ),
            )
        })
    }
}
