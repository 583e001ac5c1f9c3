//! How long the rules take per request, measured apart from the network (run with
//! `cargo test --release -p lbtop-core rules_cost -- --ignored --nocapture`): the twenty
//! rules of the bench's `acl20` scenario on a `GET /` none of them takes, the view built
//! from the head included.

use super::{Decision, ReqView, Routing};
use crate::config::Config;
use crate::engine::backend::BackendRt;
use crate::events;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const CFG: &str = "frontend fe\n  mode http\n  bind 127.0.0.1:8080\n\
  acl r_api path_beg /api /internal\n  acl r_php path_end .php .asp\n\
  acl r_admin hdr(host) -i admin.example.com\n  acl r_static hdr_beg(host) -i static. cdn.\n\
  acl r_lan src 10.0.0.0/8 192.168.0.0/16\n  acl r_ver path_reg ^/v[0-9]+/\n\
  acl r_post method POST PUT\n  acl r_debug hdr_cnt(x-debug) gt 0\n\
  acl r_param url_param(debug) -m found\n  acl r_adm path_sub /admin/\n\
  http-request deny if r_adm r_lan\n  http-request deny if { hdr(user-agent) -m sub badbot }\n\
  http-request deny deny_status 429 if { path_beg /slow } r_post\n\
  http-request redirect prefix /v2 if { path_beg /v1/ }\n\
  http-request redirect scheme https if { hdr(x-forwarded-proto) -i http } r_admin\n\
  http-request return status 200 content-type text/plain string ok if { path /ping }\n\
  http-request tarpit if { path_end /wp-login.php }\n\
  http-request deny if { hdr_dom(host) -i evil.example }\n\
  http-request deny if r_debug !LOCALHOST\n  redirect location /maintenance if { path /down }\n\
  use_backend be2 if r_api r_post\n  use_backend be2 if r_php\n\
  use_backend be2 if r_admin || r_static\n  use_backend be2 if r_ver\n\
  use_backend be2 if r_param\n  use_backend be2 if { cook(session) -m found } { path_beg /app }\n\
  default_backend be\nbackend be\n  mode http\n  server s 127.0.0.1:1\n\
backend be2\n  mode http\n  server s 127.0.0.1:1\n";

#[test]
#[ignore = "a measurement: run it in release with --nocapture"]
fn rules_cost() {
    let config = Config::parse(Path::new("cost.cfg"), CFG).unwrap();
    let (tx, _rx) = events::channel();
    let now = std::time::Instant::now();
    let backends: Vec<Arc<BackendRt>> = config
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| Arc::new(BackendRt::new(i, b, tx.clone(), now, 1, None)))
        .collect();
    let routing = Routing::new(&config, 0, &backends);
    let head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n";
    let addr = "127.0.0.1:5000".parse().unwrap();
    // The best of several rounds: the machine is shared, and only the fastest round shows
    // what the rules themselves cost.
    let n = 200_000u32;
    let mut best = f64::MAX;
    for _ in 0..7 {
        let mut proxied = 0u32;
        let start = Instant::now();
        for _ in 0..n {
            let mut lines = [httparse::EMPTY_HEADER; 32];
            let v = ReqView::parse(std::hint::black_box(head), &mut lines, addr, addr).unwrap();
            if let Decision::Proxy(_) = routing.decide(&v, true, false) {
                proxied += 1;
            }
        }
        assert_eq!(proxied, n);
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(n));
    }
    let per = best;
    let mut parse_only = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..n {
            let mut lines = [httparse::EMPTY_HEADER; 32];
            let v = ReqView::parse(std::hint::black_box(head), &mut lines, addr, addr).unwrap();
            std::hint::black_box(v.method);
        }
        parse_only = parse_only.min(start.elapsed().as_nanos() as f64 / f64::from(n));
    }
    println!("the view alone: {parse_only:.0} ns");
    println!("20 rules: {per:.0} ns per request (view included)");
}
