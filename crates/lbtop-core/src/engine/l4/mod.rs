//! TCP mode: a client connection spliced to one server, bytes passed as they come.

pub(crate) mod activity;
pub mod client_hello;
pub mod inspect;
pub mod splice;
pub mod tcp;
