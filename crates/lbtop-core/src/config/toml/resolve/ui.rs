//! `[ui]`: refresh, theme and key bindings.

use super::super::raw::{Ordered, RawDuration, RawKeyList, RawUi};
use super::{Res, Resolver};
use crate::config::{UiConfig, UiTheme};
use crate::keys::{EntryPart, Keymap};
use std::time::Duration;
use toml::Spanned;

impl Resolver<'_> {
    /// `[ui]`: refresh, theme and key bindings.
    pub(super) fn ui(&self, raw: Option<RawUi>) -> Res<UiConfig> {
        let mut ui = UiConfig::default();
        let Some(raw) = raw else { return Ok(ui) };
        if let Some(refresh) = &raw.refresh {
            ui.refresh = self.ui_refresh(refresh)?;
        }
        if let Some(theme) = &raw.theme {
            ui.theme = self.ui_theme(theme)?;
        }
        if let Some(Ordered(entries)) = &raw.keys {
            ui.keys = self.ui_keys(entries)?;
        }
        Ok(ui)
    }

    fn ui_refresh(&self, refresh: &Spanned<RawDuration>) -> Res<Duration> {
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
        Ok(d)
    }

    fn ui_theme(&self, theme: &Spanned<String>) -> Res<UiTheme> {
        match theme.get_ref().as_str() {
            "default" => Ok(UiTheme::Default),
            "mono" => Ok(UiTheme::Mono),
            other => Err(self.at(
                theme,
                format!("ui: 'theme' must be \"default\" or \"mono\", got \"{other}\""),
            )),
        }
    }

    /// `[ui.keys]` laid over the default key map.
    fn ui_keys(&self, entries: &[(Spanned<String>, Spanned<RawKeyList>)]) -> Res<Keymap> {
        let checked = Keymap::with_overrides(entries.iter().map(|(name, keys)| {
            (
                name.get_ref().as_str(),
                keys.get_ref().0.iter().map(String::as_str),
            )
        }));
        checked.map_err(|e| {
            // Unknown actions point at the name, bad keys at the value.
            let span = match entries.get(e.entry).or(entries.last()) {
                Some((name, _)) if e.part == EntryPart::Action => name.span(),
                Some((_, keys)) => keys.span(),
                None => 0..0,
            };
            self.err(span, e.message)
        })
    }
}
