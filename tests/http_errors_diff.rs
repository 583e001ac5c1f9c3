//! Differential test of `http-errors` sections and `errorfiles` against real HAProxy 2.6: which
//! error page each status gets when `errorfile` and `errorfiles` lines are mixed (the last one
//! written for a status wins), when only some codes are taken, and when the section comes
//! after the proxy that names it. Also the load errors, which both must refuse.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::exchange;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;

/// A page with its origin in the body, so a reply says which file it came from.
fn page(dir: &Path, name: &str, status: &str) -> String {
    let path = dir.join(format!("{name}.http"));
    let body = format!("from {name}\n");
    let text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A port nothing listens on: every request to its server gets 503.
fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The frontend's error lines, between a `defaults` and the section (written last: HAProxy
/// resolves the name once the file is read).
fn config(dir: &Path, lines: &str) -> String {
    let s503 = page(dir, "section-503", "503 Service Unavailable");
    let s403 = page(dir, "section-403", "403 Forbidden");
    let p503 = page(dir, "proxy-503", "503 Service Unavailable");
    let lines = lines.replace("{p503}", &p503);
    format!(
        "global\n    log {{LOG}} local0\n\
defaults\n    mode http\n    log global\n    retries 0\n    timeout connect 1s\n    \
timeout client 5s\n    timeout server 5s\n\
frontend f\n    bind 127.0.0.1:{{PORT}}\n{lines}    http-request deny if {{ path /deny }}\n    \
default_backend b\n\
backend b\n    server a {{a}}\n\
http-errors pages\n    errorfile 503 {s503}\n    errorfile 403 {s403}\n"
    )
}

const SETUPS: &[&str] = &[
    "    errorfile 503 {p503}\n    errorfiles pages\n",
    "    errorfiles pages\n    errorfile 503 {p503}\n",
    "    errorfiles pages 403\n",
    "    errorfiles pages 503\n    errorfile 503 {p503}\n    errorfiles pages 403\n",
];

fn replies(kind: Kind, cfg: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = Contender::start(kind, cfg, &BTreeMap::from([("a", closed_port())]));
    [&b"/x"[..], b"/deny"]
        .iter()
        .map(|path| {
            let req = [
                b"GET ",
                *path,
                b" HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n",
            ]
            .concat();
            let reply = rt.block_on(exchange(c.addr(), &req));
            let text = String::from_utf8_lossy(&reply).into_owned();
            // The status line and the body say which page it was.
            let status = text.lines().next().unwrap_or("").to_string();
            let body = text
                .split_once("\r\n\r\n")
                .map_or("", |(_, b)| b)
                .to_string();
            format!("{status} | {}", body.lines().next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn errorfiles_take_a_sections_pages_as_haproxy_does() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for setup in SETUPS {
        let cfg = config(dir.path(), setup);
        let theirs = replies(Kind::Haproxy, &cfg);
        let ours = replies(Kind::Lbtop, &cfg);
        assert_eq!(ours, theirs, "setup:\n{setup}");
    }
    // What the setups must show, so that equal answers are not equal nothing.
    let first = replies(Kind::Lbtop, &config(dir.path(), SETUPS[0]));
    assert_eq!(
        first,
        [
            "HTTP/1.1 503 Service Unavailable | from section-503",
            "HTTP/1.1 403 Forbidden | from section-403"
        ]
    );
}

#[test]
fn bad_sections_and_names_are_refused_by_both() {
    if !haproxy_available() {
        eprintln!("SKIPPED: haproxy is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let good = config(dir.path(), "    errorfiles pages\n");
    let bad = [
        good.replace("errorfiles pages\n", "errorfiles nosuch\n"),
        good.replace("errorfiles pages\n", "errorfiles pages 999\n"),
        good.replace("http-errors pages\n", "http-errors\n"),
        format!("{good}http-errors pages\n"),
        good.replace("    errorfile 403", "    bogus 1 2\n    errorfile 403"),
    ];
    for cfg in bad {
        let file = dir.path().join("bad.cfg");
        let text = cfg
            .replace("{LOG}", "127.0.0.1:514")
            .replace("{PORT}", "1")
            .replace("{a}", "127.0.0.1:2");
        std::fs::write(&file, &text).unwrap();
        let haproxy = Command::new("haproxy")
            .arg("-c")
            .arg("-f")
            .arg(&file)
            .output()
            .unwrap();
        let lbtop = Command::new(env!("CARGO_BIN_EXE_lbtop"))
            .arg("check")
            .arg(&file)
            .output()
            .unwrap();
        assert!(!haproxy.status.success(), "HAProxy took:\n{text}");
        let said = String::from_utf8_lossy(&lbtop.stderr).into_owned()
            + &String::from_utf8_lossy(&lbtop.stdout);
        assert!(!lbtop.status.success(), "lbtop took:\n{text}");
        assert!(said.contains("bad.cfg:"), "no file:line in {said}");
    }
}
