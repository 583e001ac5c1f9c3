//! Cookie persistence at run time (docs/haproxy-semantics.md §24): which server a request's
//! cookie names, whether it may go there, and what its response gets.

use super::h1::cookie::{RequestCookie, ResponseCookie, Strip};
use crate::config::{Backend, CookieMode};

/// A backend's `cookie`, with each server's value and `Set-Cookie` built once at start.
pub struct CookieRt {
    name: Box<[u8]>,
    mode: CookieMode,
    strip: Strip,
    nocache: bool,
    postonly: bool,
    preserve: bool,
    /// `option persist`: a cookie naming a DOWN server still sends the request there.
    persist: bool,
    /// Each server's cookie value.
    values: Vec<Option<Box<[u8]>>>,
    /// Each server's inserted `Set-Cookie` value.
    set_cookies: Vec<Box<[u8]>>,
}

/// What a request's cookie decided: HAProxy's third termination character, and the server
/// it goes to directly, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub flag: u8,
    pub server: Option<usize>,
}

impl CookieRt {
    pub fn new(cfg: &Backend) -> Option<CookieRt> {
        let c = cfg.cookie.as_ref()?;
        let strip = match c.mode {
            CookieMode::Insert if c.indirect => Strip::Whole,
            CookieMode::Prefix => Strip::Prefix,
            _ => Strip::Keep,
        };
        Some(CookieRt {
            name: c.name.as_bytes().into(),
            mode: c.mode,
            strip,
            nocache: c.nocache,
            postonly: c.postonly,
            preserve: c.preserve,
            persist: cfg.options.persist,
            values: cfg
                .servers
                .iter()
                .map(|s| s.cookie.as_ref().map(|v| v.as_bytes().into()))
                .collect(),
            set_cookies: cfg
                .servers
                .iter()
                .map(|s| c.set_cookie(s.cookie.as_deref()).into_bytes().into())
                .collect(),
        })
    }

    pub fn request(&self) -> RequestCookie<'_> {
        RequestCookie {
            name: &self.name,
            strip: self.strip,
        }
    }

    /// Where a request with this cookie value goes. `up` tells whether a server is UP (or
    /// draining: it still takes the clients that stick to it); a server in maintenance or
    /// DOWN is skipped, unless `option persist`, for another server with the same value.
    pub fn choose(&self, value: Option<&[u8]>, up: impl Fn(usize) -> bool) -> Choice {
        let Some(value) = value else {
            return Choice {
                flag: b'N',
                server: None,
            };
        };
        let mut named = self
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.as_deref() == Some(value))
            .map(|(i, _)| i)
            .peekable();
        if named.peek().is_none() {
            return Choice {
                flag: b'I',
                server: None,
            };
        }
        for i in named {
            let is_up = up(i);
            if is_up || self.persist {
                let flag = if is_up { b'V' } else { b'D' };
                return Choice {
                    flag,
                    server: Some(i),
                };
            }
        }
        Choice {
            flag: b'D',
            server: None,
        }
    }

    /// What the response of a request that went to `server` gets: `direct` when it went
    /// there by its cookie (nothing is inserted then).
    pub fn response(
        &self,
        server: usize,
        direct: bool,
        is_post: bool,
        cacheable_method: bool,
    ) -> ResponseCookie<'_> {
        let insert = self.mode == CookieMode::Insert && !direct && (!self.postonly || is_post);
        ResponseCookie {
            name: &self.name,
            mode: self.mode,
            server: self.values[server].as_deref(),
            insert: insert.then(|| &*self.set_cookies[server]),
            preserve: self.preserve,
            nocache: self.nocache && cacheable_method,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(persist: bool) -> CookieRt {
        CookieRt {
            name: (*b"SRV").into(),
            mode: CookieMode::Insert,
            strip: Strip::Whole,
            nocache: false,
            postonly: false,
            preserve: false,
            persist,
            values: vec![Some((*b"a").into()), Some((*b"b").into()), None],
            set_cookies: vec![(*b"x").into(); 3],
        }
    }

    #[test]
    fn a_cookie_names_a_server_when_it_may_take_the_request() {
        let all_up = |_| true;
        let c = rt(false);
        let choice = |flag, server| Choice { flag, server };
        assert_eq!(c.choose(None, all_up), choice(b'N', None));
        assert_eq!(c.choose(Some(b"zz"), all_up), choice(b'I', None));
        assert_eq!(c.choose(Some(b"b"), all_up), choice(b'V', Some(1)));
        assert_eq!(c.choose(Some(b"b"), |i| i != 1), choice(b'D', None));
        assert_eq!(
            rt(true).choose(Some(b"b"), |i| i != 1),
            choice(b'D', Some(1))
        );
    }
}
