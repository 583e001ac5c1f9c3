//! The TOML front end: `config.toml` → [`Config`].
//!
//! Two passes. First serde reads the text into the `Raw*` structs of [`raw`] that mirror the
//! file (every table `deny_unknown_fields`, every value that needs checking wrapped in
//! [`toml::Spanned`] so it keeps its byte offsets). Then [`Resolver`] ([`resolve`]) checks
//! ranges, resolves names to indices and folds `[defaults]` into every proxy. Any problem is
//! a [`ConfigError`] naming the file, the 1-based line and the keyword, worded in
//! [`messages`]; nothing is half-loaded.
//!
//! The `line` of a frontend, backend or server is the line of its `[[frontend]]`,
//! `[[backend]]` or `[[backend.server]]` header (for an inline table, the line of its `{`).

use super::{Config, ConfigErrors};
use std::path::Path;

mod messages;
mod raw;
mod read;
mod resolve;
#[cfg(test)]
mod tests;

use read::read;
use resolve::Resolver;

/// [`parse_all`], the first error only.
#[cfg(test)]
fn parse(path: &Path, text: &str) -> Result<Config, super::ConfigError> {
    parse_all(path, text).map_err(ConfigErrors::first)
}

/// Reads `config.toml` text, reporting every error.
pub(super) fn parse_all(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
    let r = Resolver {
        path,
        text,
        warnings: Default::default(),
        errors: Default::default(),
    };
    // As in haproxy.cfg, the checks after reading run only on a file that read cleanly.
    let outcome = read(path, text).and_then(|raw| r.resolve(raw));
    outcome.map_err(|mut errors| {
        errors.sort_by_key(|e| e.line);
        let mut warnings = r.warnings.take();
        warnings.sort_by_key(|w| w.line);
        ConfigErrors { errors, warnings }
    })
}
