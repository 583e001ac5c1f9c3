//! `tcp-request connection` and `tcp-request content` rules at run time
//! (docs/haproxy-semantics.md §21.5): the first at accept, on the addresses alone; the
//! second on the connection's first bytes, held while a rule may still change its mind.

use super::route::holds;
use super::{ReqView, Routing, Version};
use crate::config::acl::{Cond, Fetch, Vars};
use crate::config::{TcpAction, TcpReqRule};
use crate::engine::l4::client_hello::{parse, Hello};
use std::net::SocketAddr;

/// What the content rules say about the bytes held so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// On to `use_backend` and a server.
    Accept,
    /// Close the connection.
    Reject,
    /// A rule may still match once more bytes come: read on (within `inspect-delay`).
    Wait,
}

/// A TCP connection as the rules see it: addresses, and no HTTP request.
pub fn tcp_view(src: SocketAddr, dst: SocketAddr) -> ReqView<'static> {
    ReqView {
        method: b"",
        target: b"",
        version: Version::Http11,
        headers: &[],
        src,
        dst,
        ssl: false,
        sni: None,
        res: None,
        unique_id: None,
    }
}

impl Routing {
    /// What the `tcp-request connection` rules make of a new connection: `None` to close it,
    /// else whether a PROXY header must come first (`expect-proxy layer4`, which does not end
    /// the rules).
    pub fn accepts_connection(&self, src: SocketAddr, dst: SocketAddr) -> Option<bool> {
        let view = tcp_view(src, dst);
        let nbsrv = |n: Option<&str>| self.nbsrv(self.default_backend, n);
        let vars = Vars::default();
        let mut env = self.env(usize::MAX, &nbsrv, &vars);
        env.be_id = self.fe_id;
        env.at_accept = true;
        let mut expect_proxy = false;
        for r in &self.rules.tcp.connection {
            if !holds(&r.cond, &view, &env) {
                continue;
            }
            match r.action {
                TcpAction::Accept => break,
                TcpAction::Reject => return None,
                TcpAction::ExpectProxy => expect_proxy = true,
            }
        }
        Some(expect_proxy)
    }

    /// Whether the frontend holds a connection's first bytes before routing it.
    pub fn inspects(&self) -> bool {
        !self.rules.tcp.content.is_empty()
    }

    /// Runs the `tcp-request content` rules on `held`. `last`: no more bytes will come
    /// (the delay ran out, the client closed, the buffer is full), so nothing waits.
    pub fn content(&self, v: &ReqView, held: &[u8], last: bool) -> Content {
        let nbsrv = |n: Option<&str>| self.nbsrv(self.default_backend, n);
        let vars = Vars::default();
        let mut env = self.env(usize::MAX, &nbsrv, &vars);
        env.be_id = self.fe_id;
        env.payload = Some(held);
        for r in &self.rules.tcp.content {
            let fired = holds(&r.cond, v, &env);
            if !last && !passed(r, fired) && r.cond.as_ref().is_some_and(|c| may_change(c, held)) {
                return Content::Wait;
            }
            if fired {
                return match r.action {
                    TcpAction::Reject => Content::Reject,
                    // `expect-proxy` is refused in content rules at load.
                    TcpAction::Accept | TcpAction::ExpectProxy => Content::Accept,
                };
            }
        }
        Content::Accept
    }
}

/// Whether the ACLs of the rule's condition matched (before `unless` turns it around):
/// HAProxy waits for more bytes only on a condition that did not.
fn passed(r: &TcpReqRule, fired: bool) -> bool {
    let unless = r.cond.as_ref().is_some_and(|c| c.unless);
    fired != unless
}

/// Whether a condition reads held bytes that may still grow into a match: `req.len` until
/// the last byte, `req.payload(o,n)` until `o+n` bytes are held, the ClientHello fetches
/// until the bytes say what they are.
fn may_change(c: &Cond, held: &[u8]) -> bool {
    let mut exprs = c.any.iter().flatten().flat_map(|t| t.acl.exprs.iter());
    exprs.any(|e| match &e.sample.fetch {
        Fetch::ReqPayload { offset, length } if *length > 0 => {
            held.len() < offset.saturating_add(*length)
        }
        f => f
            .reads_payload()
            .is_some_and(|hello_only| !hello_only || parse(held) == Hello::NeedMore),
    })
}
