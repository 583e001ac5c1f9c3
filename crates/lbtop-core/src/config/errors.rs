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

/// A configuration that failed to load: always names the file, and the line unless the
/// error is the file's as a whole (`line` 0: it could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl ConfigError {
    /// The file as a whole, not one of its lines (it could not be read).
    pub fn is_file_level(&self) -> bool {
        self.line == 0
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match self.line {
            0 => write!(f, "{file}: {}", self.message),
            line => write!(f, "{file}:{line}: {}", self.message),
        }
    }
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
