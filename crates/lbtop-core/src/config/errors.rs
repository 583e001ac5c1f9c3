//! What a configuration that loaded has to say ([`Warning`]), and what one that did not
//! ([`ConfigError`], every one of them in [`ConfigErrors`]).

use std::fmt;
use std::path::PathBuf;

/// A warning about a line that loaded anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// A configuration that failed to load: always names the file and the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Every error found in a configuration file, in file order, with the warnings read along
/// the way: what `lbtop check` lists, as `haproxy -c` lists every alert of a file at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    /// Never empty.
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<Warning>,
}

impl ConfigErrors {
    /// The first error of the file.
    pub fn first(self) -> ConfigError {
        self.errors
            .into_iter()
            .next()
            .expect("a ConfigErrors holds at least one error")
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> ConfigErrors {
        ConfigErrors {
            errors: vec![e],
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}
