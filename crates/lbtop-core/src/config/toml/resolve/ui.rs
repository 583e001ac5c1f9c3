//! `[ui]`: refresh, theme and key bindings.

use super::super::raw::{Ordered, RawUi};
use super::{Res, Resolver};
use crate::config::UiConfig;
use std::time::Duration;

impl Resolver<'_> {
    /// `[ui]`: refresh, theme and key bindings.
    pub(super) fn ui(&self, raw: Option<RawUi>) -> Res<UiConfig> {
        let mut ui = UiConfig::default();
        let Some(raw) = raw else { return Ok(ui) };
        if let Some(refresh) = &raw.refresh {
            let d = self.duration(refresh, "ui: 'refresh'")?;
            if d < Duration::from_millis(10) || d > Duration::from_secs(10) {
                return Err(self.at(
                    refresh,
                    format!(
                        "ui: 'refresh' must be between 10ms and 10s, got {}",
                        crate::config::describe::fmt_duration(d)
                    ),
                ));
            }
            ui.refresh = d;
        }
        if let Some(theme) = &raw.theme {
            ui.theme = match theme.get_ref().as_str() {
                "default" => crate::config::UiTheme::Default,
                "mono" => crate::config::UiTheme::Mono,
                other => {
                    return Err(self.at(
                        theme,
                        format!("ui: 'theme' must be \"default\" or \"mono\", got \"{other}\""),
                    ))
                }
            };
        }
        if let Some(Ordered(entries)) = &raw.keys {
            let checked =
                crate::keys::Keymap::with_overrides(entries.iter().map(|(name, keys)| {
                    (
                        name.get_ref().as_str(),
                        keys.get_ref().0.iter().map(String::as_str),
                    )
                }));
            ui.keys = checked.map_err(|e| {
                // Unknown actions point at the name, bad keys at the value.
                let span = match entries.get(e.entry).or(entries.last()) {
                    Some((name, _)) if e.message.starts_with("unknown action") => name.span(),
                    Some((_, keys)) => keys.span(),
                    None => 0..0,
                };
                self.err(span, e.message)
            })?;
        }
        Ok(ui)
    }
}
