//! A proxy's stats page settings, as its `stats` keywords give them.

use crate::config::acl::{Cond, Env};
use crate::engine::rules::ReqView;
use std::time::Duration;

/// A proxy's stats page: `stats enable`, `uri`, `realm`, `auth`, `refresh`, `hide-version`,
/// `show-legends`, `show-node`, `show-desc` and `scope` (any of them turns the page on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsPage {
    /// Requests whose path starts with it get the page.
    pub uri: String,
    /// `None`: HAProxy's default realm, [`StatsPage::DEFAULT_REALM`].
    pub realm: Option<String>,
    /// `stats auth user:password` lines; none means no authentication.
    pub auth: Vec<(String, String)>,
    /// `stats refresh`; `None` (or 0) sends no refresh header.
    pub refresh: Option<Duration>,
    pub hide_version: bool,
    pub show_legends: bool,
    /// `show-node [name]`: `Some("")` shows the host name.
    pub show_node: Option<String>,
    /// `show-desc [text]`.
    pub show_desc: Option<String>,
    /// `scope <proxy>` lines: only these proxies are listed (`.` is the serving proxy).
    pub scope: Vec<String>,
    /// `stats admin if <cond>`: who may change servers' states from the page.
    pub admin: Option<StatsAdmin>,
    /// Line of the first `stats` keyword that turned it on.
    pub line: usize,
}

impl StatsPage {
    pub const DEFAULT_URI: &'static str = "/haproxy?stats";
    pub const DEFAULT_REALM: &'static str = "HAProxy Statistics";

    /// The page HAProxy's `stats enable` gives, turned on at `line`.
    pub fn new(line: usize) -> StatsPage {
        StatsPage {
            uri: StatsPage::DEFAULT_URI.into(),
            realm: None,
            auth: Vec::new(),
            refresh: None,
            hide_version: false,
            show_legends: false,
            show_node: None,
            show_desc: None,
            scope: Vec::new(),
            admin: None,
            line,
        }
    }

    /// The realm the 401 names.
    pub fn realm(&self) -> &str {
        self.realm.as_deref().unwrap_or(StatsPage::DEFAULT_REALM)
    }
}

/// `stats admin if|unless <condition>`: the condition, compiled against the proxy's ACLs
/// as they stood on its line (HAProxy's predefined `TRUE` and `LOCALHOST` included),
/// evaluated on each stats request.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsAdmin(pub Cond);

// `Cond` compares by its words, which is an equivalence.
impl Eq for StatsAdmin {}

impl StatsAdmin {
    /// The condition as written after `stats admin`.
    pub fn words(&self) -> String {
        self.0.to_string()
    }

    /// Whether the stats request `v` may use the admin form.
    pub fn allows(&self, v: &ReqView, env: &Env) -> bool {
        self.0.eval(v, env)
    }
}
