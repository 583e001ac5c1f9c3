//! Persistence for one request (docs/haproxy-semantics.md §24): where its cookie or the
//! backend's stick table sends it, what its response gets of the cookie, and what the stick
//! table keeps of it.

use super::proxy::{Answer, Exchange};
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::cookie::ResponseCookie;
use crate::engine::h1::head::Head;
use crate::engine::stick::Sample;
use crate::events::SessionRecord;
use std::net::IpAddr;

/// The server the request's cookie or the stick table sends it to, if any (the cookie is
/// asked first), with what the stick rules read of it; notes the cookie's log character.
pub(super) fn decide<'h>(
    fe: &FrontendRt,
    (src, skip): (IpAddr, u64),
    head: &'h Head,
    record: &mut SessionRecord,
) -> (Option<usize>, Sample<'h>) {
    let backend = &fe.backend;
    let choice = backend.choose_by_cookie(head.cookie.as_deref());
    if let Some(c) = choice {
        record.cookie_flags = [c.flag, b'N'];
    }
    let by_cookie = choice.and_then(|c| c.server);
    let sample = Sample {
        src,
        values: &head.stick_values,
        skip,
    };
    let stuck = match (&backend.stick, by_cookie) {
        (Some(st), None) => st.lookup(&sample, |i| backend.is_up(i)),
        _ => None,
    };
    // Sent by its cookie or by the stick table: either way no cookie is inserted (measured).
    (by_cookie.or(stuck), sample)
}

/// What the response from `server` gets of the backend's cookie; `direct` is the server the
/// request's cookie or the stick table sent it to, if it is still there.
pub(super) fn response_cookie<'a>(
    fe: &'a FrontendRt,
    head: &Head,
    server: usize,
    direct: Option<usize>,
) -> Option<ResponseCookie<'a>> {
    let c = fe.backend.cookie.as_ref()?;
    let direct = direct == Some(server);
    Some(c.response(server, direct, head.is_post, head.cacheable_method))
}

/// The server that answered, under the key of the backend's storing `stick` rule.
pub(super) fn stick_store(fe: &FrontendRt, sample: &Sample<'_>, server: usize) {
    if let Some(st) = &fe.backend.stick {
        st.store(sample, server);
    }
}

impl Exchange {
    /// The response's cookie character, when the backend has a cookie.
    pub(super) fn note_cookie(&mut self, answer: &Answer) {
        if answer.response.cookie_flag != b'-' {
            self.record.cookie_flags[1] = answer.response.cookie_flag;
        }
    }
}
