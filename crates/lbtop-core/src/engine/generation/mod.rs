//! Engine generations: a reload starts the new configuration's engine beside the running
//! one, hands it the listening sockets, makes it current, and soft-stops the old one
//! (docs/haproxy-semantics.md §30).

pub(crate) mod carry;
pub(crate) mod handle;
mod process;
mod soft;
pub mod stop;
pub mod summary;

pub use handle::Control;
pub use process::{Loader, Process};
