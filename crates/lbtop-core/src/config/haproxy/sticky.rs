//! Persistence settings checked as a backend is finished (docs/haproxy-semantics.md §24).

use super::sections::Proxy;
use super::Parser;
use crate::config::{Cookie, Fetch, Mode, Server};

impl Parser<'_> {
    /// The backend's cookie and servers: in a backend that is not in HTTP mode, HAProxy
    /// ignores the cookie and the servers' cookie values, with these warnings.
    pub(super) fn cookie_of(&mut self, p: &Proxy, mode: Mode) -> (Option<Cookie>, Vec<Server>) {
        let mut servers = p.servers.clone();
        let Some(cookie) = &p.settings.cookie else {
            return (None, servers);
        };
        if mode == Mode::Http {
            return (Some(cookie.clone()), servers);
        }
        self.warn(
            cookie.line,
            format!(
                "cookie will be ignored for {} '{}' (needs 'mode http').",
                p.kind.as_str(),
                p.name
            ),
        );
        for s in servers.iter_mut().filter(|s| s.cookie.is_some()) {
            self.warn(
                s.line,
                format!(
                    "{} '{}' : ignoring cookie for server '{}' as HTTP mode is disabled.",
                    p.kind.as_str(),
                    p.name,
                    s.name
                ),
            );
            s.cookie = None;
        }
        (None, servers)
    }
}

impl Parser<'_> {
    /// `stick` rules need the backend's own table, and in TCP mode can only take `src`.
    pub(super) fn check_stick(&mut self, p: &Proxy, mode: Mode) {
        let s = &p.settings;
        let Some(first) = s.stick_rules.first() else {
            return;
        };
        if s.stick_table.is_none() {
            let e = self.err(
                first.line,
                format!(
                    "Proxy '{}': unable to find stick-table '{}'.",
                    p.name, p.name
                ),
            );
            self.errors.push(e);
        }
        for r in &s.stick_rules {
            if mode != Mode::Http && r.fetch != Fetch::Src {
                let e = self.err(
                    r.line,
                    format!(
                        "{} '{}': 'stick {} {}' reads the HTTP request, which a backend in \
                         'mode tcp' does not have (lbtop takes only 'src' there)",
                        p.kind.as_str(),
                        p.name,
                        r.when.as_str(),
                        r.fetch.words()
                    ),
                );
                self.errors.push(e);
            }
        }
    }
}
