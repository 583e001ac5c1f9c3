//! HTTP mode: a client connection's requests, each proxied to a server with lbtop's HTTP/1
//! codec ([`super::h1`]): the connection loop and HAProxy's 400/408 treatment of every head
//! (`conn`), one request's exchange with a server, its retries and connection reuse
//! (`proxy`), its cookie and stick-table persistence (`persist`), HAProxy's own error pages (`pages`), the `monitor-uri` answer (`monitor`) and how one is sent (`reply`), and the body relays with their inactivity
//! timeouts (`relay`).

mod answer;
mod compressed;
pub mod conn;
mod monitor;
pub mod pages;
mod persist;
pub mod proxy;
pub mod relay;
pub mod reply;
mod session;
mod tunnel;
