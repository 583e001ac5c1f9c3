//! Sessions sent to a server by its persistence cookie rather than by the balancer
//! (docs/haproxy-semantics.md §24).

use super::BackendRt;
use crate::engine::persist::Choice;

impl BackendRt {
    /// Whether a server may take a session its cookie names: UP or draining, not DOWN or in
    /// maintenance.
    pub fn is_up(&self, server: usize) -> bool {
        self.core().states[server].is_up()
    }

    /// What the request's persistence cookie decides (`None`: the backend has no cookie).
    pub fn choose_by_cookie(&self, value: Option<&[u8]>) -> Option<Choice> {
        let cookie = self.cookie.as_ref()?;
        Some(cookie.choose(value, |i| self.is_up(i)))
    }

    /// Opens a session on `server` if it is below its `maxconn`, under the balancer's lock
    /// as [`BackendRt::pick`] does. The balancer is not asked, and `lbtot` not counted: the
    /// server was not load-balanced.
    pub fn pick_direct(&self, server: usize) -> Option<usize> {
        let core = self.core();
        if self.servers[server].busy() {
            return None;
        }
        self.servers[server].counters.open();
        drop(core);
        Some(server)
    }
}
