//! `unique-id-format` / `unique-id-header`: each request's ID, written once when its head is
//! in, sent to the server as a header and logged as `%ID` (docs/haproxy-semantics.md §25).

use super::frontend::FrontendRt;
use super::log::Names;
use crate::config::{Config, LineFormat};
use hyper::header::{HeaderName, HeaderValue};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

/// A frontend's compiled `unique-id-format` and its header.
pub struct UniqueIdRt {
    format: LineFormat,
    pub(super) header: Option<HeaderName>,
    /// For the names the format may write (`%f`).
    config: Arc<Config>,
}

/// One request's ID: its text for `%ID`, its `%rt`, and the header value for the server.
pub struct UniqueId {
    pub text: Box<str>,
    pub counter: u64,
    pub value: Option<HeaderValue>,
}

impl UniqueIdRt {
    /// `None` without a `unique-id-format`: nothing is written, no cost per request.
    pub fn new(config: &Arc<Config>, index: usize) -> Option<Box<UniqueIdRt>> {
        let o = &config.frontends[index].options;
        let format = o.unique_id_format.clone()?;
        Some(Box::new(UniqueIdRt {
            format,
            header: o
                .unique_id_header
                .as_deref()
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            config: config.clone(),
        }))
    }

    /// The ID of a request on a connection from `client` to `to`, accepted at `accepted`.
    pub fn render(
        &self,
        fe: &FrontendRt,
        (client, to): (SocketAddr, SocketAddr),
        accepted: SystemTime,
        tls: Option<Arc<crate::tls::TlsFacts>>,
    ) -> UniqueId {
        let mut record = fe.new_record(client, accepted, None);
        record.frontend_addr = Some(to);
        record.tls = tls;
        record.counter = super::frontend::next_counter();
        let text = match Names::of(&self.config, &record) {
            Some(n) => super::logfmt::render(&self.format, &n, &record),
            None => String::new(),
        };
        UniqueId {
            value: self
                .header
                .as_ref()
                .and_then(|_| HeaderValue::from_str(&text).ok()),
            text: text.into(),
            counter: record.counter,
        }
    }
}
