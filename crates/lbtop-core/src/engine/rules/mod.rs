//! What request rules (ACL conditions, `use_backend`, `http-request`) read and decide at run
//! time. The rules themselves are compiled at load in `config::acl`; here is the read-only
//! view of a request they look at ([`ReqView`]).

mod auth;
#[cfg(test)]
mod cost;
mod edit;
mod reply;
mod response;
mod route;
mod tcp;
mod view;

pub use auth::Auth;
pub use edit::{Edited, EditedResponse, Lines};
pub use reply::{answered, failed_rewrite, Ctx as ReplyCtx, Reply};
pub use response::{rewrite_response, Outcome, ResponseRules};
pub use route::{Decision, Route, Routing};
pub use tcp::{tcp_view, Content};
pub use view::{ReqView, ResView, Version};
