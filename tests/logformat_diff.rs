//! `log-format` and `capture` side by side with real HAProxy 2.6: the same haproxy.cfg, the same
//! requests, and the same log lines, byte for byte once the fields that depend on time (dates,
//! timers, the pid, counters) are masked. The formats are ones real configs use.
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::exchange;
use contender::{haproxy_available, Contender, Kind};
use regex::Regex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CFG: &str = "global\n    log {LOG} local0 info\n\ndefaults\n    mode http\n    log global\n    option dontlognull\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{PORT}\n{LINES}    default_backend be\n\nbackend be\n    server s1 {a}\n";

/// What the origin answers every request with: response headers worth capturing.
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-R: r1\"#x\r\nX-R: second-value-long\r\nSet-Cookie: SID=abc; path=/\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nhello";

/// An origin that reads a request head and answers [`ANSWER`], then closes.
async fn origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let read = async {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return false,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    true
                };
                if tokio::time::timeout(Duration::from_secs(5), read).await == Ok(true) {
                    let _ = s.write_all(ANSWER).await;
                }
            });
        }
    });
    addr
}

/// The requests every case sends, one connection each.
const REQUESTS: &[&[u8]] = &[
    b"GET /p?q=1 HTTP/1.1\r\nHost: www.example.com\r\nX-A: a\"b#c{d|e}\\g \r\nX-A: second\r\nUser-Agent: curl/8.0 (x)\r\nCookie: x=1; SID=zzzzzzzzzz\r\nConnection: close\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    b"POST /form?a=%22b HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    b"GARBAGE\r\n\r\n",
];

/// The lines `lines` (captures, a `log-format`) make each proxy write for [`REQUESTS`], with
/// the listening port and the origin's. `option dontlognull` keeps the harness's start-up
/// probe (a connection that sends nothing) out of the log on both sides.
fn lines_of(kind: Kind, lines: &str, rt: &tokio::runtime::Runtime) -> (Vec<String>, [u16; 2]) {
    let a = rt.block_on(origin());
    let cfg = CFG.replace("{LINES}", lines);
    let c = Contender::start(kind, &cfg, &BTreeMap::from([("a", a)]));
    for (i, raw) in REQUESTS.iter().enumerate() {
        rt.block_on(exchange(c.addr(), raw));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while c.sink.count() < i + 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "{kind:?}: no line for request {i} with\n{lines}\ngot {:?}",
                c.sink.lines()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    (c.sink.lines(), [c.port, a.port()])
}

/// Masks what depends on time or on the run: dates, each number (decimal or hexadecimal) in
/// what `masks` match (timers, the pid, counters) but -1, then the two ports.
fn masked(lines: &[String], [port, origin]: [u16; 2], masks: &[&str]) -> Vec<String> {
    let date = Regex::new(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d(\.\d{3})?").unwrap();
    let number = Regex::new(r"-?[0-9A-F]+").unwrap();
    let masks: Vec<Regex> = masks.iter().map(|m| Regex::new(m).unwrap()).collect();
    lines
        .iter()
        .map(|l| {
            let mut l = date.replace_all(l, "DATE").into_owned();
            for m in &masks {
                l = m
                    .replace_all(&l, |c: &regex::Captures| {
                        number
                            .replace_all(&c[0], |n: &regex::Captures| match &n[0] {
                                "-1" => "-1".to_string(),
                                _ => "N".to_string(),
                            })
                            .into_owned()
                    })
                    .into_owned();
            }
            l.replace(&port.to_string(), "PORT")
                .replace(&origin.to_string(), "SPORT")
                .replace(&format!("{origin:04X}"), "SPORT")
        })
        .collect()
}

/// Real-world formats (HAProxy's httplog written out, JSON for Loki/ELK, pipes for a SIEM,
/// the Kubernetes ingress one with its sample expression replaced), with captures, and what to
/// mask in each. Lines shaped like httplog need nothing more: the syslog sink already masks
/// their client port, date and timers.
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "httplog written out",
        "    capture request header Host len 10\n    capture request header X-A len 12\n    capture response header X-R len 8\n    capture cookie SID len 8\n    log-format \"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r\"\n",
        &[],
    ),
    (
        "option httplog with captures",
        "    option httplog\n    capture request header X-A len 5\n    capture request header User-Agent len 64\n    capture response header Content-Type len 20\n    capture response header Set-Cookie len 40\n",
        &[],
    ),
    (
        "JSON for Loki",
        "    log-format \"{\\\"client\\\":\\\"%ci\\\",\\\"backend\\\":\\\"%b\\\",\\\"server\\\":\\\"%s\\\",\\\"status\\\":%ST,\\\"Tr\\\":%Tr,\\\"Tt\\\":%Ta,\\\"tsc\\\":\\\"%tsc\\\",\\\"req\\\":\\\"%{+Q}r\\\"}\"\n",
        &[r#""T[rt]":-?\d+"#],
    ),
    (
        "JSON with a timestamp",
        "    log-format \"{\\\"type\\\":\\\"haproxy\\\",\\\"timestamp\\\":%Ts,\\\"frontend\\\":\\\"%f\\\",\\\"client_ip\\\":\\\"%ci\\\",\\\"status\\\":%ST,\\\"response_time\\\":%Tr,\\\"backend\\\":\\\"%b/%s\\\"}\"\n",
        &[r#""timestamp":\d+"#, r#""response_time":-?\d+"#],
    ),
    (
        "pipes, quoted and escaped",
        "    capture request header X-A len 40\n    capture cookie SI len 5\n    log-format %ci|%Ts|%ft|%b|%s|%TR|%Tw|%Tc|%Tr|%Ta|%ST|%B|%U|%CC|%CS|%ts|%ac|%fc|%bc|%sc|%rc|%sq|%bq|%HM|%HP|%HPO|%HQ|%HV|%HU|%ID|%{+Q}hrl|%{+E}hr|%{+Q,+E}r|%fi:%fp|%si:%sp|%{+X}si:%{+X}sp|%pid|%H|%%\\ done\n",
        &[r"\|\d{10}\|", r"(\|-?\d+){5}\|", r"\|\d+\|[^|]*\|% done$"],
    ),
    (
        "Kubernetes ingress, its %[var(txn.base)] as %HU",
        "    option dontlognull\n    capture request header Host len 64\n    log-format '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs \"%HM %HU %HV\"'\n",
        &[],
    ),
    (
        "spaces, %o and dates",
        "    capture request header Host len 3\n    log-format \"  %{+Q}o %b   %hr %hs %f %{-Q}o %s %t %tr %trg %T [%ms] %{+X}Ts\"\n",
        &[r"\[\d+\]", r" [0-9A-F]{8}$"],
    ),
];

#[test]
fn log_formats_and_captures_write_what_haproxy_writes() {
    if !haproxy_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for (name, lines, masks) in CASES {
        let (h, hp) = lines_of(Kind::Haproxy, lines, &rt);
        let (l, lp) = lines_of(Kind::Lbtop, lines, &rt);
        let (h, l) = (masked(&h, hp, masks), masked(&l, lp, masks));
        eprintln!("{name}:\n  {}", h.join("\n  "));
        assert_eq!(h, l, "{name}: HAProxy (left) and lbtop (right) differ");
    }
}
