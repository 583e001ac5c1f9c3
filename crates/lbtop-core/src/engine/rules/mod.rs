//! What request rules (ACL conditions, `use_backend`, `http-request`) read and decide at run
//! time. The rules themselves are compiled at load in `config::acl`; here is the read-only
//! view of a request they look at ([`ReqView`]).

mod view;

pub use view::{ReqView, Version};
