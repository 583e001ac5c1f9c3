//! The request rules of a proxy, compiled at load (docs/haproxy-semantics.md §21): its `acl`
//! lines (kept as written for `lbtop export`; conditions hold the compiled ACLs),
//! `http-request` and `http-response` rules, `redirect` lines, `use_backend` and `use-server`
//! rules.

use super::acl::{Cond, Fmt};
pub use super::edit::{Edit, NameMatch, Rx};

/// Every rule of one side of a proxy; all empty for a proxy without rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProxyRules {
    pub acls: Vec<AclLine>,
    pub http_request: Vec<HttpRule>,
    /// `http-response` rules: their actions are edits ([`HttpAction::Edit`]).
    pub http_response: Vec<HttpRule>,
    /// The `redirect` keyword's lines, run after the `http-request` rules.
    pub redirects: Vec<HttpRule>,
    /// A frontend's `use_backend` rules, in order.
    pub use_backends: Vec<UseBackend>,
    /// A backend's `use-server` rules, in order.
    pub use_servers: Vec<UseServer>,
    /// `tcp-request inspect-delay`, `tcp-request connection` and `tcp-request content`.
    pub tcp: TcpRules,
}

/// A frontend's `tcp-request` lines (docs/haproxy-semantics.md §21.5).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TcpRules {
    /// How long content rules may wait for the client's first bytes (`None`: not set).
    pub inspect_delay: Option<std::time::Duration>,
    /// The line of `inspect-delay`, and its value as written, for `lbtop export`.
    pub inspect_delay_words: Option<String>,
    /// Run at accept, on the connection's addresses.
    pub connection: Vec<TcpReqRule>,
    /// Run on the client's first bytes, before `use_backend`.
    pub content: Vec<TcpReqRule>,
}

/// One `tcp-request connection|content` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TcpReqRule {
    pub action: TcpAction,
    pub cond: Option<Cond>,
    pub line: usize,
}

/// What a `tcp-request` rule does: a row of `config/haproxy/tcp_request.rs` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpAction {
    /// Stops the evaluation of the rules: the connection goes on.
    Accept,
    /// Closes the connection at once.
    Reject,
    /// `expect-proxy layer4` (connection rules only): a PROXY header must come first, as on
    /// an `accept-proxy` bind; the rules go on.
    ExpectProxy,
}

impl TcpAction {
    /// The action's words as written, for `lbtop export`.
    pub fn words(self) -> Vec<String> {
        let w: &[&str] = match self {
            TcpAction::Accept => &["accept"],
            TcpAction::Reject => &["reject"],
            TcpAction::ExpectProxy => &["expect-proxy", "layer4"],
        };
        w.iter().map(|x| x.to_string()).collect()
    }
}

impl ProxyRules {
    /// Whether a request must be looked at by rules at all.
    pub fn any(&self) -> bool {
        !(self.http_request.is_empty()
            && self.redirects.is_empty()
            && self.use_backends.is_empty()
            && self.use_servers.is_empty()
            && self.tcp.connection.is_empty()
            && self.tcp.content.is_empty())
    }
}

/// An `acl <name> ...` line as written.
#[derive(Debug, Clone, PartialEq)]
pub struct AclLine {
    pub name: String,
    pub words: Vec<String>,
    pub line: usize,
}

/// One `http-request` rule (or `redirect` line): its action and condition.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRule {
    pub action: HttpAction,
    pub cond: Option<Cond>,
    /// The action's words as written (without the condition), for `lbtop export`.
    pub words: Vec<String>,
    pub line: usize,
}

/// What an `http-request` rule does. Each variant is one row of the action table
/// (`config/haproxy/http_request.rs`) and one arm of `engine::rules::run`.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpAction {
    /// Stops the evaluation of the rules: the request goes on.
    Allow,
    /// Answers HAProxy's page for `status` (403 by default).
    Deny {
        status: u16,
    },
    /// Holds the request for `timeout tarpit`, then answers `status` (500 by default).
    Tarpit {
        status: u16,
    },
    Redirect(Redirect),
    Return(Return),
    /// `deny` with any of `return`'s options (`status`, `hdr`, `content-type`, `string`,
    /// ...): answered as `return` builds it (no error page), logged and counted as a deny.
    DenyWith(Return),
    /// `auth [realm <realm>]`: HAProxy's 401 asking for basic credentials; the realm is the
    /// proxy's name when none is given (filled in at load).
    Auth {
        realm: Option<String>,
    },
    /// `set-var(<name>) <expr>`, or `unset-var(<name>)` (`expr` `None`): goes on.
    SetVar {
        name: String,
        expr: Option<super::acl::Sample>,
    },
    /// Rewrites the message and goes on to the next rule (docs/haproxy-semantics.md §21.4).
    Edit(Edit),
    /// `use-service <name>`: a service built into the proxy answers the request.
    UseService(Service),
}

/// The services `http-request use-service` can hand a request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `prometheus-exporter`: the metrics in Prometheus' text format
    /// (docs/haproxy-semantics.md §28).
    PrometheusExporter,
}

impl HttpAction {
    /// Whether the action ends the request's rules (every action lbtop has but `allow`
    /// answers the client itself).
    pub fn answers(&self) -> bool {
        !matches!(
            self,
            HttpAction::Allow | HttpAction::Edit(_) | HttpAction::SetVar { .. }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Location,
    Prefix,
    Scheme,
}

/// `redirect location|prefix|scheme <to> [code N] [drop-query] [append-slash]
/// [set-cookie NAME[=VALUE]] [clear-cookie NAME]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    pub kind: RedirectKind,
    pub to: Fmt,
    pub code: u16,
    pub drop_query: bool,
    pub append_slash: bool,
    pub set_cookie: Option<String>,
    pub clear_cookie: Option<String>,
}

/// `return [status N] [content-type T] [string S | lf-string F | file F] [hdr N V]...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Return {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: ReturnBody,
    /// `hdr <name> <fmt>` lines, names lower-cased, in order.
    pub headers: Vec<(String, Fmt)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReturnBody {
    None,
    /// `string` or the bytes of `file`.
    Bytes(Vec<u8>),
    /// `lf-string`: built per request.
    Format(Fmt),
}

/// `use_backend <name|%[expr]> [if|unless cond]`.
#[derive(Debug, Clone, PartialEq)]
pub struct UseBackend {
    pub target: BackendTarget,
    pub cond: Option<Cond>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BackendTarget {
    /// A backend by index into `Config::backends`, and its name as written.
    Named(usize, String),
    /// A name built per request; an unknown name falls to `default_backend`.
    Dynamic(Fmt),
}

/// `use-server <server> [if|unless cond]`.
#[derive(Debug, Clone, PartialEq)]
pub struct UseServer {
    /// Index into the backend's servers, and its name.
    pub server: usize,
    pub name: String,
    pub cond: Option<Cond>,
    pub line: usize,
}
