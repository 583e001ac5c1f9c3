//! Where a backend's servers find the state saved before a restart: `server-state-file`,
//! `server-state-base`, `load-server-state-from-file`, `server-state-file-name`
//! (docs/haproxy-semantics.md §27.3).

use std::path::PathBuf;

/// `server-state-file` and `server-state-base` of `global`, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerStateGlobal {
    pub file: Option<String>,
    pub base: Option<String>,
}

/// `load-server-state-from-file`: which file a backend reads at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadState {
    /// `none`, HAProxy's default: nothing is read.
    #[default]
    None,
    /// `global`: the lines of this backend in `server-state-file`.
    Global,
    /// `local`: its own file, named by `server-state-file-name`.
    Local,
}

impl LoadState {
    pub fn parse(word: &str) -> Option<LoadState> {
        match word {
            "none" => Some(LoadState::None),
            "global" => Some(LoadState::Global),
            "local" => Some(LoadState::Local),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LoadState::None => "none",
            LoadState::Global => "global",
            LoadState::Local => "local",
        }
    }
}

/// A backend's `load-server-state-from-file` and `server-state-file-name`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerStateFrom {
    pub load: LoadState,
    /// `server-state-file-name <name>`; `None` (also `use-backend-name`, or no word) is the
    /// backend's name.
    pub file_name: Option<String>,
}

impl ServerStateGlobal {
    /// A name made absolute against `server-state-base` when it is relative, as HAProxy does.
    fn under_base(&self, name: &str) -> PathBuf {
        match &self.base {
            Some(base) if !name.starts_with('/') => PathBuf::from(base).join(name),
            _ => PathBuf::from(name),
        }
    }

    /// The file a backend reads, and whether it is the global one; `None` when it reads none.
    pub fn file_for(&self, backend: &str, from: &ServerStateFrom) -> Option<(PathBuf, bool)> {
        match from.load {
            LoadState::None => None,
            LoadState::Global => self.file.as_ref().map(|f| (self.under_base(f), true)),
            LoadState::Local => {
                let name = from.file_name.as_deref().unwrap_or(backend);
                Some((self.under_base(name), false))
            }
        }
    }
}
