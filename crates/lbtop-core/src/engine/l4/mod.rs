//! TCP mode: a client connection spliced to one server, bytes passed as they come.

pub mod splice;
pub mod tcp;
