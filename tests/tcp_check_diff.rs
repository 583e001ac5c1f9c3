//! Differential tests of the protocol health checks (`option tcp-check` rules, `option
//! redis-check`, `option smtpchk`): the same haproxy.cfg to real HAProxy 2.6 and to lbtop,
//! each checking its own fresh fake servers over real sockets. What must match: the bytes each
//! fake server received on its first check connection, and the `option log-health-checks`
//! line each server's first check logged (durations masked).
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use common::backend::refused_addr;
use contender::{haproxy_available, Contender, Kind};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a fake server answers.
#[derive(Clone, Copy)]
enum Script {
    /// `+PONG` to a PING, `role:master` to `info`, `+OK` and a close to `QUIT`.
    Redis,
    /// A `220` banner, `250` to each line, `221 bye` to `QUIT`.
    Smtp,
    /// `-ERR nope` to the first bytes, then a close.
    ErrClose,
    /// `hello world` at once, then a close.
    Closer,
    /// Sends back what it reads.
    Echo,
    /// Reads and never answers.
    Silent,
    /// A MySQL 8.0.19 handshake at once; to a login, OK when `true`, else an error packet.
    Mysql(bool),
    /// An LDAP bind response with this result code.
    Ldap(u8),
    /// These bytes to the first bytes read.
    Reply(&'static [u8]),
    /// These bytes to the first bytes read, then a close.
    ReplyClose(&'static [u8]),
    /// Closes at once.
    Shut,
    /// Closes after the first bytes read, answering nothing.
    HangUp,
}

/// MySQL 8.0.19's initial handshake packet (as HAProxy's own regression test sends it).
const MYSQL_HANDSHAKE: &str = "4A0000000A382E302E3139000A0000006F3C025E6249410D00FFFFFF0200FFC715000000000000000000007C182159106E2761144322200063616368696E675F736861325F70617373776F726400";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// What a MySQL fake answers to a login.
fn mysql_reply(ok: bool) -> Vec<u8> {
    if ok {
        unhex("0700000200000002000000")
    } else {
        let mut body = vec![0xff, 0x15, 0x04];
        body.extend_from_slice(b"#28000Access denied for user 'haproxy_check'");
        let mut p = vec![body.len() as u8, 0, 0, 2];
        p.extend_from_slice(&body);
        p
    }
}

/// A fake server on a free port; keeps the bytes of each connection it served.
struct Fake {
    addr: SocketAddr,
    conns: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Fake {
    fn start(script: Script) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(Mutex::new(Vec::new()));
        let keep = conns.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let keep = keep.clone();
                std::thread::spawn(move || {
                    let got = serve(stream, script);
                    keep.lock().unwrap().push(got);
                });
            }
        });
        Fake { addr, conns }
    }

    /// The bytes of the first connection that ended, if one has.
    fn first(&self) -> Option<Vec<u8>> {
        self.conns.lock().unwrap().first().cloned()
    }
}

/// One connection: answers per `script`, returns what it read. Every read is bounded.
fn serve(mut s: TcpStream, script: Script) -> Vec<u8> {
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let mut got = Vec::new();
    let greeting: Vec<u8> = match script {
        Script::Smtp => b"220 banner here\r\n".to_vec(),
        Script::Closer => b"hello world\r\n".to_vec(),
        Script::Mysql(_) => unhex(MYSQL_HANDSHAKE),
        _ => Vec::new(),
    };
    if s.write_all(&greeting).is_err() || matches!(script, Script::Closer | Script::Shut) {
        return got;
    }
    let mut buf = [0u8; 4096];
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => n,
        };
        got.extend_from_slice(&buf[..n]);
        let chunk = String::from_utf8_lossy(&buf[..n]).into_owned();
        let (reply, close): (Vec<u8>, bool) = match script {
            Script::Redis if chunk.contains("QUIT") => (b"+OK\r\n".to_vec(), true),
            Script::Redis if chunk.contains("info") => {
                (b"# Replication\r\nrole:master\r\n".to_vec(), false)
            }
            Script::Redis => (b"+PONG\r\n".to_vec(), false),
            Script::Smtp if chunk.starts_with("QUIT") => (b"221 bye\r\n".to_vec(), true),
            Script::Smtp => (b"250 hello-reply\r\n".to_vec(), false),
            Script::ErrClose => (b"-ERR nope\r\n".to_vec(), true),
            Script::Echo => (buf[..n].to_vec(), false),
            Script::Mysql(ok) => (mysql_reply(ok), false),
            Script::Ldap(code) => (
                vec![
                    0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04,
                    0x00,
                ],
                false,
            ),
            Script::Reply(bytes) => (bytes.to_vec(), false),
            Script::ReplyClose(bytes) => (bytes.to_vec(), true),
            Script::HangUp => (Vec::new(), true),
            Script::Shut => (Vec::new(), true),
            Script::Silent | Script::Closer => (Vec::new(), false),
        };
        if s.write_all(&reply).is_err() || close {
            return got;
        }
    }
}

const HEAD: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode tcp\n    log global\n    option log-health-checks\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    timeout check 600ms\n\nfrontend f\n    bind 127.0.0.1:{PORT}\n    default_backend front\n\n# Takes the harness's start-up probe, so no fake sees it.\nbackend front\n    server s 127.0.0.1:1\n";

/// One backend per entry: its name, its check lines, the fake its server is.
type Case = (&'static str, &'static str, Option<Script>);

/// What one proxy shows: each backend's first health line, and the first bytes each fake got.
fn observe(kind: Kind, cases: &[Case]) -> (Vec<String>, BTreeMap<String, String>) {
    let fakes: Vec<Option<Fake>> = cases.iter().map(|c| c.2.map(Fake::start)).collect();
    let refused = refused_addr();
    let mut cfg = HEAD.to_string();
    let mut addrs = BTreeMap::new();
    for ((name, lines, _), fake) in cases.iter().zip(&fakes) {
        let addr = fake.as_ref().map_or(refused, |f| f.addr);
        // `{ECHO}` in a case's lines is the port of case `port_target` (for `connect port`).
        let lines = lines.replace("{ECHO}", &echo_port(cases, &fakes).to_string());
        cfg.push_str(&format!(
            "\nbackend {name}\n{lines}    server s {{{name}}} check inter 300 rise 1 fall 1\n"
        ));
        addrs.insert(*name, addr);
    }
    let c = Contender::start(kind, &cfg, &addrs);
    for (name, ..) in cases {
        c.sink
            .wait(&format!("server {name}/s "), Duration::from_secs(10));
    }
    let mut lines: Vec<String> = Vec::new();
    for (name, ..) in cases {
        let needle = format!("Health check for server {name}/s ");
        let first = c.sink.lines().into_iter().find(|l| l.contains(&needle));
        lines.push(first.unwrap_or_else(|| format!("no line for {name}")));
    }
    let bytes = cases
        .iter()
        .zip(&fakes)
        .filter_map(|((name, ..), f)| {
            // Two checks connect to it, in either order.
            if *name == "port_target" {
                return None;
            }
            let f = f.as_ref()?;
            wait_for(|| f.first().is_some());
            let mut first = f.first().unwrap_or_default();
            // The SSL hello carries the time in seconds: only that may differ.
            if name.starts_with("ssl") && first.len() >= 15 {
                first[11..15].fill(0);
            }
            Some((name.to_string(), format!("{first:?}")))
        })
        .collect();
    (lines, bytes)
}

fn echo_port(cases: &[Case], fakes: &[Option<Fake>]) -> u16 {
    cases
        .iter()
        .zip(fakes)
        .find(|(c, _)| c.0 == "port_target")
        .and_then(|(_, f)| f.as_ref())
        .map_or(1, |f| f.addr.port())
}

/// Waits (bounded) for a fake's first connection to end.
fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn differential(cases: &[Case]) -> Vec<String> {
    let (h_lines, h_bytes) = observe(Kind::Haproxy, cases);
    let (l_lines, l_bytes) = observe(Kind::Lbtop, cases);
    assert_eq!(
        h_lines,
        l_lines,
        "health lines: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        h_lines.join("\n"),
        l_lines.join("\n")
    );
    assert_eq!(h_bytes, l_bytes, "bytes the servers received differ");
    assert!(
        h_lines.iter().all(|l| l.starts_with("<181> Health check")),
        "{h_lines:#?}"
    );
    h_lines
}

#[test]
fn tcp_check_rules_send_expect_and_report_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let redis = "    option tcp-check\n    tcp-check connect\n    tcp-check send PING\\r\\n\n    tcp-check expect string +PONG\n    tcp-check send info\\ replication\\r\\n\n    tcp-check expect string role:master\n    tcp-check send QUIT\\r\\n\n    tcp-check expect string +OK\n";
    let cases: &[Case] = &[
        ("b0", "    option tcp-check\n", Some(Script::Echo)),
        ("redis", redis, Some(Script::Redis)),
        ("refused", "    option tcp-check\n    tcp-check send foo\\r\\n\n    tcp-check expect string foo\n", None),
        ("refused_connect", "    option tcp-check\n    tcp-check connect\n    tcp-check send foo\n", None),
        ("nomatch", "    option tcp-check\n    tcp-check comment banner\n    tcp-check expect string nope\n", Some(Script::Closer)),
        ("unwanted", "    option tcp-check\n    tcp-check expect ! string hello\n", Some(Script::Closer)),
        ("regex", "    option tcp-check\n    tcp-check expect rstring ^xyz\n", Some(Script::Closer)),
        ("regex_ok", "    option tcp-check\n    tcp-check expect rstring ^hel+o\n", Some(Script::Closer)),
        ("binary", "    option tcp-check\n    tcp-check send-binary 666f6f0d0a\n    tcp-check expect binary 666f6f\n", Some(Script::Echo)),
        ("unwanted_bin", "    option tcp-check\n    tcp-check expect !binary 6865\n", Some(Script::Closer)),
        ("timeout", "    option tcp-check\n    tcp-check send foo\\r\\n\n    tcp-check comment \"wait for nope\"\n    tcp-check expect string nope\n", Some(Script::Echo)),
        ("reset", "    option tcp-check\n    tcp-check send foo\\r\\n\n    tcp-check expect string foo\n    tcp-check send bar\\r\\n\n    tcp-check expect string foo\n", Some(Script::Echo)),
        ("connect_only", "    option tcp-check\n    tcp-check connect\n", Some(Script::Echo)),
        ("empty", "    option tcp-check\n    tcp-check expect string x\n", Some(Script::Shut)),
        ("empty_after_send", "    option tcp-check\n    tcp-check send foo\n    tcp-check comment \"the reply\"\n    tcp-check expect string x\n", Some(Script::HangUp)),
        ("port_target", "", Some(Script::Echo)),
        ("other_port", "    option tcp-check\n    tcp-check connect port {ECHO}\n    tcp-check send foo\n    tcp-check expect string foo\n", None),
    ];
    let lines = differential(cases);
    for want in [
        "<181> Health check for server b0/s succeeded, reason: Layer4 check passed, check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server redis/s succeeded, reason: Layer7 check passed, code: 0, info: \"(tcp-check)\", check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server refused/s failed, reason: Layer4 connection problem, info: \"Connection refused at initial connection step of tcp-check\", check duration: Nms, status: 0/1 DOWN.",
        "<181> Health check for server nomatch/s failed, reason: Layer7 invalid response, info: \"TCPCHK did not match content 'nope' at step 2 comment: banner\", check duration: Nms, status: 0/1 DOWN.",
        "<181> Health check for server timeout/s failed, reason: Layer7 timeout, info: \" at step 3 of tcp-check (expect string 'nope') comment: 'wait for nope'\", check duration: Nms, status: 0/1 DOWN.",
    ] {
        assert!(lines.contains(&want.to_string()), "{want}\nnot in\n{lines:#?}");
    }
}

#[test]
fn redis_and_smtp_checks_send_and_report_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let cases: &[Case] = &[
        ("b0", "    option redis-check\n", Some(Script::Redis)),
        (
            "redis_err",
            "    option redis-check\n",
            Some(Script::ErrClose),
        ),
        ("redis_refused", "    option redis-check\n", None),
        (
            "redis_silent",
            "    option redis-check\n",
            Some(Script::Silent),
        ),
        (
            "smtp",
            "    option smtpchk EHLO lb.example.com\n",
            Some(Script::Smtp),
        ),
        ("smtp_default", "    option smtpchk\n", Some(Script::Smtp)),
        (
            "smtp_nobanner",
            "    option smtpchk\n",
            Some(Script::Closer),
        ),
        ("smtp_err", "    option smtpchk\n", Some(Script::ErrClose)),
        ("smtp_shut", "    option smtpchk\n", Some(Script::Shut)),
        (
            "redis_hangup",
            "    option redis-check\n",
            Some(Script::HangUp),
        ),
    ];
    let lines = differential(cases);
    for want in [
        "<181> Health check for server b0/s succeeded, reason: Layer7 check passed, code: 0, info: \"Redis server is ok\", check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server redis_err/s failed, reason: Layer7 wrong status, code: 0, info: \"-ERR nope\", check duration: Nms, status: 0/1 DOWN.",
        "<181> Health check for server smtp/s succeeded, reason: Layer7 check passed, code: 221, info: \"bye\", check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server smtp_shut/s failed, reason: Layer7 invalid response, info: \"TCPCHK got an empty response at step 2\", check duration: Nms, status: 0/1 DOWN.",
    ] {
        assert!(lines.contains(&want.to_string()), "{want}\nnot in\n{lines:#?}");
    }
}

#[test]
fn ssl_hello_checks_send_and_report_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let hello = "    option ssl-hello-chk\n";
    let cases: &[Case] = &[
        (
            "ssl_hs",
            hello,
            Some(Script::ReplyClose(b"\x16\x03\x01\x00\x02\x02\x00")),
        ),
        (
            "ssl_alert",
            hello,
            Some(Script::Reply(b"\x15\x03\x01\x00\x02\x02\x28")),
        ),
        ("ssl_one_close", hello, Some(Script::ReplyClose(b"\x16"))),
        ("ssl_one_open", hello, Some(Script::Reply(b"\x16"))),
        (
            "ssl_http",
            hello,
            Some(Script::Reply(b"HTTP/1.0 400 Bad\r\n\r\n")),
        ),
        (
            "ssl_app_data",
            hello,
            Some(Script::ReplyClose(b"\x17\x03\x03\x00\x00")),
        ),
        ("ssl_hangup", hello, Some(Script::HangUp)),
        ("ssl_silent", hello, Some(Script::Silent)),
        ("ssl_refused", hello, None),
        // The last check option written wins.
        (
            "ssl_last",
            "    option httpchk GET /healthz\n    option ssl-hello-chk\n",
            Some(Script::ReplyClose(b"\x16\x03\x01\x00\x02\x02\x00")),
        ),
    ];
    let lines = differential(cases);
    for want in [
        "<181> Health check for server ssl_hs/s succeeded, reason: Layer6 check passed, check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server ssl_http/s failed, reason: Layer6 invalid response, check duration: Nms, status: 0/1 DOWN.",
        "<181> Health check for server ssl_hangup/s failed, reason: Layer6 invalid response, info: \"TCPCHK got an empty response at step 2\", check duration: Nms, status: 0/1 DOWN.",
    ] {
        assert!(lines.contains(&want.to_string()), "{want}\nnot in\n{lines:#?}");
    }
}

/// Whether `ss` lists an established socket matching `filter` with a keep-alive timer: the
/// kernel shows `timer:(keepalive,...)` exactly for sockets with SO_KEEPALIVE set.
fn keepalive_on(filter: &str) -> bool {
    let out = std::process::Command::new("ss")
        .args(["-tnoH", "state", "established", filter])
        .output()
        .expect("run ss");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.trim().is_empty(), "no socket for {filter}");
    text.contains("timer:(keepalive")
}

/// (client side, server side) keep-alive of one proxied TCP session under `option`.
fn keepalive_sides(kind: Kind, option: &str) -> (bool, bool) {
    let echo = Fake::start(Script::Echo);
    let cfg = format!(
        "global\n    log {{LOG}} local6 debug\n\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nlisten l\n    bind 127.0.0.1:{{PORT}}\n{option}    server s {{echo}}\n"
    );
    let c = Contender::start(kind, &cfg, &BTreeMap::from([("echo", echo.addr)]));
    let mut client = TcpStream::connect(c.addr()).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.write_all(b"x").unwrap();
    let mut one = [0u8; 1];
    client.read_exact(&mut one).unwrap();
    let client_side = keepalive_on(&format!("( sport = :{} )", c.port));
    let server_side = keepalive_on(&format!("( dport = :{} )", echo.addr.port()));
    (client_side, server_side)
}

#[test]
fn tcpka_options_set_keepalive_on_the_sides_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    for (option, want) in [
        ("", (false, false)),
        ("    option clitcpka\n", (true, false)),
        ("    option srvtcpka\n", (false, true)),
        ("    option tcpka\n", (true, true)),
    ] {
        let haproxy = keepalive_sides(Kind::Haproxy, option);
        let lbtop = keepalive_sides(Kind::Lbtop, option);
        assert_eq!(haproxy, want, "HAProxy with {option:?}");
        assert_eq!(lbtop, haproxy, "lbtop with {option:?}");
    }
}

#[test]
fn mysql_and_ldap_checks_send_and_report_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let cases: &[Case] = &[
        ("b0", "    option mysql-check\n", Some(Script::Mysql(true))),
        (
            "mysql_user",
            "    option mysql-check user haproxy_check\n",
            Some(Script::Mysql(true)),
        ),
        (
            "mysql_denied",
            "    option mysql-check user haproxy_check post-41\n",
            Some(Script::Mysql(false)),
        ),
        (
            "mysql_pre41",
            "    option mysql-check user haproxy_check pre-41\n",
            Some(Script::Mysql(true)),
        ),
        (
            "mysql_not",
            "    option mysql-check\n",
            Some(Script::Closer),
        ),
        ("mysql_refused", "    option mysql-check user x\n", None),
        ("ldap", "    option ldap-check\n", Some(Script::Ldap(0))),
        (
            "ldap_denied",
            "    option ldap-check\n",
            Some(Script::Ldap(49)),
        ),
        ("ldap_not", "    option ldap-check\n", Some(Script::Closer)),
        (
            "ldap_silent",
            "    option ldap-check\n",
            Some(Script::Silent),
        ),
    ];
    let lines = differential(cases);
    for want in [
        "<181> Health check for server b0/s succeeded, reason: Layer7 check passed, code: 0, info: \"8.0.19\", check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server ldap/s succeeded, reason: Layer7 check passed, code: 0, info: \"Success\", check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server mysql_denied/s failed, reason: Layer7 wrong status, code: 1045, info: \"#28000Access denied for user 'haproxy_check'\", check duration: Nms, status: 0/1 DOWN.",
        "<181> Health check for server ldap_denied/s failed, reason: Layer7 wrong status, code: 49, info: \"See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9\", check duration: Nms, status: 0/1 DOWN.",
    ] {
        assert!(lines.contains(&want.to_string()), "{want}\nnot in\n{lines:#?}");
    }
}

#[test]
fn pgsql_check_sends_and_reports_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    const FATAL: &[u8] = b"E\x00\x00\x00\x2cSFATAL\x00C28000\x00Mno pg_hba.conf entry\x00\x00";
    let check = "    option pgsql-check user postgres\n";
    let cases: &[Case] = &[
        ("b0", check, Some(Script::Reply(b"R\0\0\0\x08\0\0\0\0"))),
        (
            "md5",
            check,
            Some(Script::Reply(b"R\0\0\0\x0c\0\0\0\x05salt")),
        ),
        ("sasl", check, Some(Script::Reply(b"R\0\0\0\x17\0\0\0\x0a"))),
        (
            "kerberos",
            check,
            Some(Script::Reply(b"R\0\0\0\x08\0\0\0\x01")),
        ),
        ("fatal", check, Some(Script::Reply(FATAL))),
        ("closer", check, Some(Script::Closer)),
        ("silent", check, Some(Script::Silent)),
    ];
    let lines = differential(cases);
    for want in [
        "<181> Health check for server b0/s succeeded, reason: Layer7 check passed, code: 0, info: \"PostgreSQL server is ok\", check duration: Nms, status: 1/1 UP.",
        "<181> Health check for server kerberos/s failed, reason: Layer7 wrong status, code: 0, info: \"PostgreSQL unknown error\", check duration: Nms, status: 0/1 DOWN.",
        "<181> Health check for server fatal/s failed, reason: Layer7 invalid response, info: \"FATAL\", check duration: Nms, status: 0/1 DOWN.",
    ] {
        assert!(lines.contains(&want.to_string()), "{want}\nnot in\n{lines:#?}");
    }
}
