//! Userlists against real HAProxy 2.6: `lbtop export` writes a userlist with a user of every
//! hash scheme lbtop checks; real HAProxy reads that export behind `http-request auth`, and
//! for each set of credentials the login HAProxy grants (crypt(3) from glibc/libxcrypt) is the
//! one lbtop's own check grants on the same export. HAProxy's 401 is compared byte for byte
//! with the answer lbtop builds for it.
//!
//! Skips, loudly, only when `haproxy` is not installed.

mod common;
#[path = "common/contender.rs"]
mod contender;

use contender::{haproxy_available, Contender, Kind};
use hyper::Version;
use lbtop::config::Config;
use lbtop::engine::l7::reply::unauthorized;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// Hashes made with `openssl passwd` and `mkpasswd` on Debian 12; every password is `hunter2`
/// but the clear-text ones.
const USERLIST: &str = r#"userlist admins
    group ops users md5,sha256
    group dev
    user md5 password $1$saltsalt$ZliGyAN3DciDHEkDboonh/
    user sha256 password $5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3 groups dev
    user sha512 password $6$rounds=10000$saltsaltsalt$uxYOVa4Zd/SUVE3UjEKLotV2RGe2QmMzsWMv3nNwzD18cR30JVYzZ9FK.XTni.hAWjBcMSG05GxyW6Jja4VL/.
    user bcrypt password $2b$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.
    user yescrypt password $y$j9T$4C053wiTV5.jfA3LtGBwB.$rhEz9uWTsnXCItkbdLh0DC9Bk3.f8Q8eBp4sGz4DOK3
    user plain insecure-password "two words # and a \"quote\""

backend unused
    server s 127.0.0.1:1
"#;

/// What the exported userlist is put behind in HAProxy.
const FRONTEND: &str = "
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend guarded
    bind 127.0.0.1:{PORT}
    http-request auth realm \"Our Realm\" unless { http_auth(admins) }
    http-request return status 200 content-type text/plain string ok
";

const CREDENTIALS: &[(&str, &str)] = &[
    ("md5", "hunter2"),
    ("md5", "hunter3"),
    ("sha256", "hunter2"),
    ("sha256", ""),
    ("sha512", "hunter2"),
    ("sha512", "Hunter2"),
    ("bcrypt", "hunter2"),
    ("bcrypt", "hunter22"),
    ("yescrypt", "hunter2"),
    ("yescrypt", "hunter"),
    ("plain", "two words # and a \"quote\""),
    ("plain", "two words"),
    ("nobody", "hunter2"),
];

fn export(source: &Path) -> String {
    let out = Command::new(LBTOP)
        .args(["export", "--config"])
        .arg(source)
        .output()
        .expect("run lbtop export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One request on a fresh connection with `Connection: close`; everything HAProxy answers.
fn ask(addr: SocketAddr, authorization: Option<&str>) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    let request = format!("GET / HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n");
    s.write_all(request.as_bytes()).expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read: {e}"),
        }
        assert!(Instant::now() < deadline, "HAProxy did not close");
    }
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

#[test]
fn haproxy_reading_the_export_logs_in_whom_lbtop_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("users.cfg");
    std::fs::write(&source, USERLIST).unwrap();
    let exported = export(&source);
    assert!(exported.contains("\nuserlist admins\n"), "{exported}");
    let ours = Config::parse(Path::new("export.cfg"), &exported).expect("lbtop reads its export");
    let list = &ours.global.userlists[0];
    assert_eq!(list.user("sha256").unwrap().groups, ["ops", "dev"]);
    if !haproxy_available() {
        return;
    }
    let haproxy = Contender::start(
        Kind::Haproxy,
        &format!("{exported}{FRONTEND}"),
        &BTreeMap::new(),
    );
    let mut granted = 0;
    for (user, password) in CREDENTIALS {
        let header = basic(user, password);
        let answer = ask(haproxy.addr(), Some(&header));
        let theirs = answer.starts_with(b"HTTP/1.1 200 ");
        let mine = list.authenticate(header.as_bytes()).is_some();
        assert_eq!(
            mine, theirs,
            "{user}:{password}: lbtop {mine}, HAProxy {theirs}"
        );
        granted += usize::from(mine);
    }
    assert_eq!(granted, 6, "each user logs in with its own password only");
    // No credentials: HAProxy's 401, the bytes lbtop builds for it.
    let answer = ask(haproxy.addr(), None);
    let expected = unauthorized("Our Realm", false, Version::HTTP_11);
    assert_eq!(
        String::from_utf8_lossy(&answer),
        String::from_utf8_lossy(&expected)
    );
}
