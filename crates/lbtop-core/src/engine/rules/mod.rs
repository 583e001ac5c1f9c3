//! What request rules (ACL conditions, `use_backend`, `http-request`) read and decide at run
//! time. The rules themselves are compiled at load in `config::acl`; here is the read-only
//! view of a request they look at ([`ReqView`]).

#[cfg(test)]
mod cost;
mod reply;
mod route;
mod view;

pub use reply::Reply;
pub use route::{Decision, Route, Routing};
pub use view::{ReqView, Version};
