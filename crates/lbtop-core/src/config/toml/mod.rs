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

use super::{Config, ConfigError};
use std::path::Path;

mod messages;
mod raw;
mod resolve;
#[cfg(test)]
mod tests;

use raw::RawConfig;
use resolve::Resolver;

pub(super) fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let r = Resolver {
        path,
        text,
        warnings: Default::default(),
    };
    let raw: RawConfig = ::toml::from_str(text).map_err(|e| r.toml_error(&e))?;
    r.resolve(raw)
}
