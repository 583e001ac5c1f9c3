//! The TOML front end's tests: whole files in, a `Config` or a `file:line: message` out.

use super::messages::{did_you_mean, fields_of, table_kind};
use super::parse;
use super::raw::{RawConfig, RawOptions, RawServer, RawTimeouts};
use crate::config::values::parse_net;
use crate::config::{
    Balance, Config, ConfigError, DemoTraffic, ForwardFor, HealthCheck, HttpCheck, IpNet,
    LogFormat, LogTarget, Mode, Options, StatsSocket, Timeouts, UiConfig,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn default_config_path() -> PathBuf {
    crate::config::testkit::repo_root().join("config.toml")
}

fn ok(text: &str) -> Config {
    parse(Path::new("t.toml"), text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

/// Parses `text`, expects an error at `line` whose message contains every `want`.
fn fails(text: &str, line: usize, want: &[&str]) -> ConfigError {
    let e = match parse(Path::new("t.toml"), text) {
        Ok(_) => panic!("expected an error in:\n{text}"),
        Err(e) => e,
    };
    assert_eq!(e.line, line, "wrong line for: {e}");
    for w in want {
        assert!(e.message.contains(w), "{e:?} does not mention {w:?}");
    }
    e
}

const MINIMAL: &str = r#"
[[frontend]]
name = "f"
bind = "127.0.0.1:80"
default_backend = "b"

[[backend]]
name = "b"

[[backend.server]]
name = "s"
address = "127.0.0.1:81"
"#;

#[test]
fn the_default_config_parses() {
    let path = default_config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let c = parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.source, path);
    assert_eq!(c.global.maxconn, Some(4000));
    assert!(c.warnings.is_empty());

    assert_eq!(c.frontends.len(), 2);
    let main = &c.frontends[0];
    assert_eq!(main.name, "main");
    assert_eq!(main.binds[0].addr, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(main.mode, Mode::Http);
    assert_eq!(c.backends[main.default_backend].name, "hoge");
    assert_eq!(main.maxconn, Some(3000));
    assert_eq!(main.line, 35);
    assert!(main.options.log_health_checks);
    assert!(main.options.httplog && main.options.dontlognull);
    assert!(main.options.http_server_close && main.options.redispatch);
    assert!(!main.options.tcplog);
    assert_eq!(main.options.retries, 3);
    let ff = main.options.forwardfor.as_ref().expect("forwardfor");
    assert_eq!(ff.header, "x-forwarded-for");
    assert_eq!(
        ff.except,
        Some(IpNet {
            addr: "127.0.0.1".parse().unwrap(),
            prefix: 32
        })
    );
    let s10 = Duration::from_secs(10);
    let m1 = Duration::from_secs(60);
    assert_eq!(
        main.timeouts,
        Timeouts {
            connect: Some(s10),
            client: Some(m1),
            server: Some(m1),
            check: Some(s10),
            http_request: Some(s10),
            queue: Some(m1),
            http_keep_alive: Some(s10),
            tarpit: None,
            tunnel: None,
            client_fin: None,
            server_fin: None,
        }
    );

    let l4 = &c.frontends[1];
    assert_eq!(l4.name, "main_l4");
    assert_eq!(l4.binds[0].addr, "127.0.0.1:8081".parse().unwrap());
    assert_eq!(l4.mode, Mode::Tcp);
    assert_eq!(c.backends[l4.default_backend].name, "hoge_l4");

    assert_eq!(c.backends.len(), 2);
    let hoge = &c.backends[0];
    assert_eq!(hoge.name, "hoge");
    assert_eq!(hoge.line, 48);
    assert_eq!(hoge.mode, Mode::Http);
    assert_eq!(hoge.balance, Balance::RoundRobin);
    assert_eq!(
        hoge.check,
        HealthCheck::Http(HttpCheck {
            method: "GET".into(),
            path: "/health_check.html".into(),
            version: "HTTP/1.0".into(),
            headers: vec![("User-agent".into(), "Proxy-Check".into())],
            body: String::new(),
            expect: Vec::new(),
        })
    );
    assert!(hoge.options.log_health_checks);
    assert_eq!(hoge.timeouts, main.timeouts);
    let names: Vec<&str> = hoge.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web10", "web11"]);
    for (s, (addr, line)) in hoge
        .servers
        .iter()
        .zip([("127.0.0.1:8010", 54), ("127.0.0.1:8011", 62)])
    {
        assert_eq!(s.addr, addr.parse().unwrap());
        assert_eq!(s.line, line);
        assert!(s.check);
        assert_eq!(s.inter, Duration::from_secs(3));
        assert_eq!((s.fall, s.rise, s.weight), (2, 2, 1));
        assert!(!s.backup && !s.disabled);
        assert_eq!(s.maxconn, None);
    }

    let l4b = &c.backends[1];
    assert_eq!(l4b.name, "hoge_l4");
    assert_eq!(l4b.mode, Mode::Tcp);
    assert_eq!(l4b.check, HealthCheck::Tcp);
    assert_eq!(l4b.servers.len(), 2);
    assert_eq!(l4b.servers[1].line, 85);

    let demo = c.demo.as_ref().expect("demo");
    assert_eq!(demo.servers.len(), 2);
    assert_eq!(demo.servers[0].name, "web10");
    assert_eq!(demo.servers[0].bind, "127.0.0.1:8010".parse().unwrap());
    assert_eq!(
        demo.servers[0].root,
        crate::config::testkit::repo_root().join("assets/web10")
    );
    assert_eq!(demo.servers[1].name, "web11");
    assert_eq!(demo.traffic.frontends, [0, 1]);
    assert_eq!(demo.traffic.rate, 5);
    assert!(demo.traffic.start);
    assert_eq!(c.ui.refresh, Duration::from_millis(250));
}

#[test]
fn defaults_when_unset() {
    let c = ok(MINIMAL);
    assert_eq!(c.global.maxconn, None);
    let f = &c.frontends[0];
    assert_eq!(f.mode, Mode::Tcp);
    assert_eq!(f.maxconn, None);
    assert_eq!(f.options, Options::default());
    assert_eq!(f.timeouts, Timeouts::default());
    assert_eq!(f.line, 2);
    let b = &c.backends[0];
    assert_eq!(b.mode, Mode::Tcp);
    assert_eq!(b.balance, Balance::RoundRobin);
    assert_eq!(b.check, HealthCheck::Tcp);
    assert_eq!(b.options.retries, 3);
    let s = &b.servers[0];
    assert_eq!(s.inter, Duration::from_secs(2));
    assert_eq!((s.rise, s.fall, s.weight), (2, 3, 1));
    assert!(!s.check && !s.backup && !s.disabled);
    assert_eq!(s.line, 10);
    assert_eq!(c.demo, None);
    assert_eq!(c.ui, UiConfig::default());
}

#[test]
fn empty_file_is_an_empty_config() {
    let c = ok("");
    assert!(c.frontends.is_empty() && c.backends.is_empty());
}

#[test]
fn backend_without_servers_and_other_balances() {
    let c = ok(r#"
[[backend]]
name = "a"
balance = "leastconn"
retries = 0
[[backend]]
name = "b"
balance = "static-rr"
"#);
    assert!(c.backends[0].servers.is_empty());
    assert_eq!(c.backends[0].balance, Balance::LeastConn);
    assert_eq!(c.backends[0].options.retries, 0);
    assert_eq!(c.backends[1].balance, Balance::StaticRr);
}

#[test]
fn options_and_timeouts_inherit_key_by_key() {
    let c = ok(r#"
[defaults]
mode = "http"
retries = 5
maxconn = 100

[defaults.option]
httplog = true
redispatch = true
forwardfor = true

[defaults.timeout]
connect = "5s"
client = 30000
server = "1m"
tunnel = "1h"
client-fin = "2s"
server-fin = "3s"

[[frontend]]
name = "f"
bind = "[::1]:8080"
default_backend = "b"
maxconn = 7
option = { httplog = false, dontlognull = true }
timeout = { client = "250ms" }

[[frontend]]
name = "g"
bind = "*:8081"
default_backend = "b"

[[backend]]
name = "b"
retries = 1
[backend.option]
forwardfor = { except = "10.0.0.0/255.0.0.0", header = "X-Client" }
[backend.timeout]
server = "2m"
check = 1500

[[backend]]
name = "c"
[backend.option]
forwardfor = false
"#);
    let f = &c.frontends[0];
    assert_eq!(f.binds[0].addr, "[::1]:8080".parse().unwrap());
    assert_eq!(f.mode, Mode::Http);
    assert_eq!(f.maxconn, Some(7));
    assert!(!f.options.httplog, "own false beats defaults' true");
    assert!(f.options.dontlognull && f.options.redispatch);
    assert_eq!(f.options.retries, 5);
    assert_eq!(
        f.options.forwardfor,
        Some(ForwardFor {
            except: None,
            header: "x-forwarded-for".into(),
            if_none: false,
        })
    );
    assert_eq!(f.timeouts.client, Some(Duration::from_millis(250)));
    assert_eq!(f.timeouts.connect, Some(Duration::from_secs(5)));
    assert_eq!(f.timeouts.server, Some(Duration::from_secs(60)));
    assert_eq!(f.timeouts.check, None);

    let g = &c.frontends[1];
    assert_eq!(g.binds[0].addr, "0.0.0.0:8081".parse().unwrap());
    assert_eq!(g.maxconn, Some(100));
    assert!(g.options.httplog);
    assert_eq!(g.timeouts.client, Some(Duration::from_secs(30)));

    let b = &c.backends[0];
    assert_eq!(b.options.retries, 1);
    assert!(b.options.httplog && b.options.redispatch);
    assert_eq!(
        b.options.forwardfor,
        Some(ForwardFor {
            except: Some(IpNet {
                addr: "10.0.0.0".parse().unwrap(),
                prefix: 8
            }),
            header: "x-client".into(),
            if_none: false,
        })
    );
    assert_eq!(b.timeouts.server, Some(Duration::from_secs(120)));
    assert_eq!(b.timeouts.tunnel, Some(Duration::from_secs(3600)));
    assert_eq!(b.timeouts.server_fin, Some(Duration::from_secs(3)));
    assert_eq!(
        c.frontends[0].timeouts.client_fin,
        Some(Duration::from_secs(2))
    );
    assert_eq!(b.timeouts.check, Some(Duration::from_millis(1500)));
    assert_eq!(b.timeouts.connect, Some(Duration::from_secs(5)));
    assert_eq!(b.timeouts.client, Some(Duration::from_secs(30)));

    let c2 = &c.backends[1];
    assert_eq!(
        c2.options.forwardfor, None,
        "false switches off the default"
    );
    assert_eq!(c2.options.retries, 5);
}

#[test]
fn httpchk_forms_and_inheritance() {
    let c = ok(r#"
[defaults]
httpchk = true

[[backend]]
name = "bare"

[[backend]]
name = "own"
[backend.httpchk]
path = "/up"
headers = { Zeta = "1", Host = "example.com", Alpha = "2" }

[[backend]]
name = "off"
httpchk = false
"#);
    assert_eq!(c.backends[0].check, HealthCheck::Http(HttpCheck::default()));
    let HealthCheck::Http(own) = &c.backends[1].check else {
        panic!("http check expected")
    };
    assert_eq!((own.method.as_str(), own.path.as_str()), ("OPTIONS", "/up"));
    assert_eq!(own.version, "HTTP/1.0");
    let names: Vec<&str> = own.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["Zeta", "Host", "Alpha"], "file order kept");
    assert_eq!(c.backends[2].check, HealthCheck::Tcp);
}

#[test]
fn server_settings() {
    let c = ok(r#"
[[backend]]
name = "b"
[[backend.server]]
name = "s1"
address = "[::1]:81"
weight = 0
backup = true
disabled = true
maxconn = 10
inter = 500
[[backend.server]]
name = "s2"
address = "10.0.0.1:81"
weight = 256
maxconn = 0
"#);
    let s = &c.backends[0].servers;
    assert_eq!(s[0].weight, 0);
    assert!(s[0].backup && s[0].disabled);
    assert_eq!(s[0].maxconn, Some(10));
    assert_eq!(s[0].inter, Duration::from_millis(500));
    assert_eq!(s[1].weight, 256);
    assert_eq!(s[1].maxconn, None, "maxconn 0 means no limit");
}

#[test]
fn demo_defaults_and_relative_roots() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    let abs = dir.path().join("abs");
    std::fs::create_dir(&abs).unwrap();
    let text = format!(
        "{MINIMAL}\n[demo]\n[[demo.server]]\nname = \"d\"\nbind = \"127.0.0.1:9\"\nroot = \"www\"\n\
         [[demo.server]]\nname = \"e\"\nbind = \"127.0.0.1:10\"\nroot = \"{}\"\n",
        abs.display()
    );
    let c = parse(&dir.path().join("lb.toml"), &text).unwrap();
    let demo = c.demo.unwrap();
    assert_eq!(demo.servers[0].root, dir.path().join("www"));
    assert_eq!(demo.servers[1].root, abs);
    assert_eq!(
        demo.traffic,
        DemoTraffic {
            frontends: vec![0],
            rate: 5,
            start: false
        }
    );
    let c = ok(&format!(
        "{MINIMAL}\n[demo.traffic]\nfrontends = []\nrate = 50\n"
    ));
    let demo = c.demo.unwrap();
    assert!(demo.servers.is_empty());
    assert!(demo.traffic.frontends.is_empty());
    assert_eq!(demo.traffic.rate, 50);
}

/// A root that is missing or not a folder is refused at load, naming the line and the key:
/// the demo server has no built-in pages to hide it behind.
#[test]
fn demo_root_must_be_an_existing_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file.html"), "x").unwrap();
    let path = dir.path().join("lb.toml");
    let server = |root: &str| {
        format!(
            "{MINIMAL}[[demo.server]]\nname = \"d\"\nbind = \"127.0.0.1:9\"\nroot = \"{root}\"\n"
        )
    };
    let e = parse(&path, &server("asets/web10")).unwrap_err();
    assert_eq!(e.file, path);
    assert_eq!(e.line, 16, "{e}");
    let missing = dir.path().join("asets/web10");
    assert_eq!(
        e.message,
        format!(
            "demo server 'd': 'root' {}: No such file or directory",
            missing.display()
        )
    );
    let e = parse(&path, &server("file.html")).unwrap_err();
    assert_eq!(e.line, 16, "{e}");
    let file = dir.path().join("file.html");
    assert_eq!(
        e.message,
        format!("demo server 'd': 'root' {} is not a folder", file.display())
    );
    let e = parse(&path, &server(" ")).unwrap_err();
    assert_eq!(e.message, "demo server 'd': 'root' must not be empty");
}

#[test]
fn ui_refresh() {
    assert_eq!(
        ok("[ui]\nrefresh = \"1s\"").ui.refresh,
        Duration::from_secs(1)
    );
    fails(
        "[ui]\nrefresh = \"5ms\"",
        2,
        &["'refresh'", "10ms and 10s", "5ms"],
    );
    fails("[ui]\nrefresh = 60000", 2, &["'refresh'", "1m"]);
}

#[test]
fn unknown_keys_name_the_key_and_table() {
    let text = MINIMAL.replace("address = ", "inetr = \"3s\"\naddress = ");
    let e = fails(
        &text,
        12,
        &["unknown key 'inetr' in [[backend.server]], did you mean 'inter'?"],
    );
    assert_eq!(e.to_string(), format!("t.toml:12: {}", e.message));
    fails(
        &MINIMAL.replace("bind", "bnd"),
        4,
        &["unknown key 'bnd' in [[frontend]]", "did you mean 'bind'?"],
    );
    fails(
        "[defaults]\nmode = \"http\"\nretires = 3\n",
        3,
        &["'retires'", "[defaults]", "'retries'"],
    );
    fails(
        "[defaults.option]\nlog_health_checks = true\n",
        2,
        &[
            "unknown key 'log_health_checks' in [defaults.option]",
            "'log-health-checks'",
        ],
    );
    fails(
        "[defaults.option]\nforwardfor = { except = \"127.0.0.1\", hedaer = \"x\" }\n",
        2,
        &[
            "unknown key 'hedaer' in 'forwardfor' of [defaults.option]",
            "'header'",
        ],
    );
    fails(
        &MINIMAL.replace("name = \"b\"\n", "name = \"b\"\ntimeout = { cnnect = 3 }\n"),
        9,
        &[
            "unknown key 'cnnect' in 'timeout' of [[backend]]",
            "'connect'",
        ],
    );
    fails(
        "[frontned]\n",
        1,
        &["unknown key 'frontned' in the top level", "'frontend'"],
    );
    fails(
        "[[backend]]\nname = \"b\"\n[backend.httpchk]\npth = \"/\"\n",
        4,
        &["'pth'", "[backend.httpchk]", "'path'"],
    );
    fails("[ui]\nzzz = 1\n", 2, &["unknown key 'zzz' in [ui]"]);
}

#[test]
fn type_and_syntax_errors() {
    fails(
        &MINIMAL.replace("\"s\"", "3"),
        11,
        &["'name'", "expected a string"],
    );
    fails(
        "[global]\nmaxconn = \"many\"\n",
        2,
        &["'maxconn'", "expected an integer"],
    );
    fails(
        "[global]\nmaxconn = 0\n",
        2,
        &["global: 'maxconn' must be at least 1, got 0"],
    );
    fails(
        "[defaults.option]\nhttplog = \"yes\"\n",
        2,
        &["'httplog'", "boolean"],
    );
    fails("[frontend]\nname = \"x\"\n", 1, &["[[frontend]]"]);
    fails(
        "[global]\nmaxconn = 1\nmaxconn = 2\n",
        3,
        &["duplicate key 'maxconn'"],
    );
    fails("\n\n[[backend]]\nname = \"b\n", 4, &[]);
    fails(
        "[[backend]]\nbalance = \"first\"\n",
        1,
        &["missing required key 'name' in [[backend]]"],
    );
    fails(
        "[[backend]]\nname = \"b\"\nmode = \"htp\"\n",
        3,
        &["backend 'b': 'mode'", "'htp'", "did you mean 'http'?"],
    );
    fails(
        "[[backend]]\nname = \"b\"\nbalance = \"roundrobbin\"\n",
        3,
        &["'balance'", "did you mean 'roundrobin'?"],
    );
    fails(
        "[[backend]]\nname = \"a b\"\n",
        2,
        &["'name' may only contain"],
    );
}

#[test]
fn bad_durations() {
    fails(
        &MINIMAL.replace("address = ", "inter = \"3x\"\naddress = "),
        12,
        &["backend 'b': server 's': 'inter'", "unknown time unit 'x'"],
    );
    fails(
        &MINIMAL.replace("address = ", "inter = 0\naddress = "),
        12,
        &["'inter' must be greater than 0"],
    );
    fails(
        &MINIMAL.replace("address = ", "inter = -5\naddress = "),
        12,
        &["'inter' must not be negative"],
    );
    fails(
        &MINIMAL.replace("address = ", "inter = 2.5\naddress = "),
        12,
        &["'inter'", "time value"],
    );
    fails(
        "[defaults.timeout]\nconnect = \"5s\"\nhttp-request = \"soon\"\n",
        3,
        &[
            "defaults: timeout 'http-request'",
            "'soon' is not a time value",
        ],
    );
    fails(
        "[defaults.timeout]\nclient = 0\n",
        2,
        &["timeout 'client' must be greater than 0"],
    );
}

#[test]
fn server_ranges() {
    let text = std::fs::read_to_string(default_config_path()).unwrap();
    // Give hoge's web11 (its `name` is on line 63) a weight of 300 on line 64.
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[63 - 1], "name = \"web11\"");
    lines.insert(63, "weight = 300");
    let e = fails(&lines.join("\n"), 64, &[]);
    assert_eq!(
        e.to_string(),
        "t.toml:64: backend 'hoge': server 'web11': 'weight' must be between 0 and 256, got 300"
    );

    fails(
        &MINIMAL.replace("address = ", "weight = -1\naddress = "),
        12,
        &["'weight' must be between 0 and 256, got -1"],
    );
    fails(
        &MINIMAL.replace("address = ", "fall = 0\naddress = "),
        12,
        &["'fall' must be at least 1, got 0"],
    );
    fails(
        &MINIMAL.replace("address = ", "rise = 0\naddress = "),
        12,
        &["'rise' must be at least 1"],
    );
    fails(
        &MINIMAL.replace("address = ", "maxconn = 5000000000\naddress = "),
        12,
        &["'maxconn'"],
    );
}

#[test]
fn duplicate_names() {
    fails(
        &format!("{MINIMAL}\n[[backend]]\nname = \"b\"\n"),
        15,
        &["backend 'b' is already defined at line 8"],
    );
    fails(
        &format!("{MINIMAL}\n[[frontend]]\nname = \"f\"\nbind = \"127.0.0.1:82\"\ndefault_backend = \"b\"\n"),
        15,
        &["frontend 'f' is already defined at line 3"],
    );
    fails(
        &format!("{MINIMAL}\n[[backend.server]]\nname = \"s\"\naddress = \"127.0.0.1:82\"\n"),
        15,
        &["backend 'b': server 's' is already defined at line 11"],
    );
    // The same server name in two backends is fine (config.toml does it).
    ok(&format!("{MINIMAL}\n[[backend]]\nname = \"b2\"\n[[backend.server]]\nname = \"s\"\naddress = \"127.0.0.1:82\"\n"));
}

#[test]
fn unknown_default_backend() {
    fails(
        &MINIMAL.replace("default_backend = \"b\"", "default_backend = \"bb\""),
        5,
        &["frontend 'f': 'default_backend' names unknown backend 'bb', did you mean 'b'?"],
    );
    fails(
        &format!("{MINIMAL}\n[demo.traffic]\nfrontends = [\"f\",\n  \"ff\"]\n"),
        16,
        &["unknown frontend 'ff'", "did you mean 'f'?"],
    );
    fails(
        &format!("{MINIMAL}\n[demo.traffic]\nrate = 0\n"),
        15,
        &["'rate' must be at least 1"],
    );
}

#[test]
fn mode_mismatch() {
    let e = fails(
        &MINIMAL.replace(
            "bind = \"127.0.0.1:80\"",
            "bind = \"127.0.0.1:80\"\nmode = \"http\"",
        ),
        6,
        &[],
    );
    assert!(e.message.contains("frontend 'f' is in http mode"), "{e}");
    assert!(e.message.contains("'b' is in tcp mode"), "{e}");
    // And the other way round, with http coming from [defaults].
    let text = format!(
        "[defaults]\nmode = \"http\"\n{}",
        MINIMAL.replace(
            "bind = \"127.0.0.1:80\"",
            "bind = \"127.0.0.1:80\"\nmode = \"tcp\""
        )
    );
    fails(
        &text,
        8,
        &["frontend 'f' is in tcp mode", "'b' is in http mode"],
    );
}

#[test]
fn bad_addresses() {
    fails(
        &MINIMAL.replace("127.0.0.1:80\"", "localhost:80\""),
        4,
        &["frontend 'f': 'bind' 'localhost:80' is not an ip:port"],
    );
    fails(
        &MINIMAL.replace("127.0.0.1:80\"", "127.0.0.1\""),
        4,
        &["'bind'"],
    );
    fails(
        &MINIMAL.replace("127.0.0.1:80\"", "::1:80\""),
        4,
        &["'bind'"],
    );
    fails(
        &MINIMAL.replace("127.0.0.1:81\"", "*:81\""),
        12,
        &["server 's': 'address' '*:81'"],
    );
    fails(
        &format!("{MINIMAL}[[demo.server]]\nname = \"d\"\nbind = \"nope\"\nroot = \".\"\n"),
        15,
        &["demo server 'd': 'bind'"],
    );
}

#[test]
fn bad_except_nets() {
    for (net, want) in [
        ("127.0.0.0/33", "longer than 32"),
        ("::1/129", "longer than 128"),
        ("127.0.0.0/x", "bad prefix"),
        ("127.0.0/8", "not a network"),
        ("10.0.0.0/255.0.255.0", "non-contiguous"),
    ] {
        let text = format!("[defaults]\nmode = \"http\"\n[defaults.option]\nforwardfor = {{ except = \"{net}\" }}\n");
        fails(&text, 4, &["defaults: option 'forwardfor': 'except'", want]);
    }
    assert_eq!(parse_net("::1").unwrap().prefix, 128);
    assert_eq!(parse_net("10.1.2.3").unwrap().prefix, 32);
    assert_eq!(parse_net("fd00::/8").unwrap().to_string(), "fd00::/8");
    fails(
        "[defaults.option]\nforwardfor = { header = \"X Client\" }\n",
        2,
        &["'header' 'X Client' is not a valid header name"],
    );
}

#[test]
fn logs_stats_socket_allbackups_and_server_intervals() {
    let c = ok(r#"
[global]
maxconn = 10
[[global.log]]
address = "127.0.0.1"
facility = "local6"
[[global.log]]
address = "[::1]:5514"
facility = "local0"
level = "info"
minlevel = "notice"
len = 2048
format = "rfc5424"
[global.stats-socket]
path = "/tmp/lbtop.sock"
level = "admin"
mode = "660"
expose-fd = "listeners"

[defaults]
log-global = true
[[defaults.log]]
address = "10.0.0.1"
facility = "daemon"
[defaults.option]
allbackups = true
forwardfor = { if-none = true }
clitcpka = true
srvtcpka = true
http-pretend-keepalive = true

[[frontend]]
name = "f"
bind = "127.0.0.1:80"
default_backend = "b"
log-global = false
[[frontend.log]]
address = "udp@10.0.0.2:1514"
facility = "user"

[[backend]]
name = "b"
[[backend.server]]
name = "s"
address = "127.0.0.1:81"
fastinter = "500ms"
downinter = 5000
slowstart = "1m"
[[backend.server]]
name = "t"
address = "127.0.0.1:82"
slowstart = 0
"#);
    let g = &c.global;
    assert_eq!(g.log.len(), 2);
    assert_eq!(
        g.log[0],
        LogTarget::new("127.0.0.1:514".parse().unwrap(), 22)
    );
    let l = &g.log[1];
    assert_eq!(l.addr, "[::1]:5514".parse().unwrap());
    assert_eq!((l.facility, l.max_level, l.min_level), (16, 6, 5));
    assert_eq!((l.len, l.format), (2048, Some(LogFormat::Rfc5424)));
    assert_eq!(
        g.stats_sockets,
        [StatsSocket {
            path: "/tmp/lbtop.sock".into(),
            level: "admin".into(),
            mode: Some(0o660),
            expose_fd_listeners: true,
        }]
    );
    let f = &c.frontends[0];
    assert!(!f.log_global, "own false beats defaults' true");
    let addrs: Vec<String> = f.log.iter().map(|l| l.addr.to_string()).collect();
    assert_eq!(
        addrs,
        ["10.0.0.1:514", "10.0.0.2:1514"],
        "defaults' targets first"
    );
    assert!(f.options.allbackups);
    assert!(f.options.forwardfor.as_ref().unwrap().if_none);
    let b = &c.backends[0];
    assert!(b.log_global);
    assert_eq!(b.log.len(), 1);
    assert!(b.options.allbackups);
    assert!(f.options.clitcpka && b.options.srvtcpka);
    assert!(f.options.http_pretend_keepalive && b.options.http_pretend_keepalive);
    assert_eq!(b.hash_header, None);
    let s = &b.servers[0];
    assert_eq!(s.fastinter, Some(Duration::from_millis(500)));
    assert_eq!(s.downinter, Some(Duration::from_secs(5)));
    assert_eq!(s.slowstart, Some(Duration::from_secs(60)));
    assert_eq!(b.servers[1].slowstart, None, "slowstart 0 is off");
    // The default stats level is HAProxy's.
    let c = ok("[global.stats-socket]\npath = \"/s\"\n");
    assert_eq!(c.global.stats_sockets[0].level, "operator");
}

#[test]
fn log_targets_tags_and_log_options() {
    let c = ok(r#"
[global]
log-send-hostname = "edge1"
log-tag = "lb"
[[global.log]]
address = "stdout"
facility = "local0"
format = "raw"
[[global.log]]
address = "/dev/log"
facility = "local1"

[defaults]
log-tag = "d"
[defaults.option]
dontlog-normal = true
log-separate-errors = true

[[frontend]]
name = "f"
bind = "127.0.0.1:80"
default_backend = "b"

[[backend]]
name = "b"
log-tag = "own"
"#);
    let g = &c.global;
    assert_eq!(g.log[0].addr, crate::config::LogAddr::Fd(1));
    assert_eq!(g.log[1].addr.to_string(), "/dev/log");
    assert_eq!(g.log_send_hostname.as_deref(), Some("edge1"));
    assert_eq!(g.log_tag.as_deref(), Some("lb"));
    let f = &c.frontends[0];
    assert_eq!(f.log_tag.as_deref(), Some("d"));
    assert!(f.options.dontlog_normal && f.options.log_separate_errors);
    assert_eq!(c.backends[0].log_tag.as_deref(), Some("own"));
    fails(
        "[global]\nlog-tag = \"\"\n",
        2,
        &["global: 'log-tag' expects a tag for use in syslog"],
    );
}

#[test]
fn log_and_stats_socket_errors() {
    let log = |body: &str| format!("[[global.log]]\naddress = \"127.0.0.1\"\n{body}");
    fails(
        &log("facility = \"locl6\"\n"),
        3,
        &["global: log 'facility' 'locl6' is not a syslog facility, did you mean 'local6'?"],
    );
    fails(
        &log("facility = \"local6\"\nlevel = \"debgu\"\n"),
        4,
        &["log 'level' 'debgu' is not a syslog level, did you mean 'debug'?"],
    );
    fails(
        &log("facility = \"local6\"\nminlevel = \"x\"\n"),
        4,
        &["log 'minlevel' 'x'"],
    );
    fails(
        &log("facility = \"local6\"\nlen = 10\n"),
        4,
        &["log 'len' must be between 80 and 65535, got 10"],
    );
    fails(
        &log("facility = \"local6\"\nformat = \"rfc5242\"\n"),
        4,
        &["log 'format' 'rfc5242' is unknown, did you mean 'rfc5424'?"],
    );
    fails(
        &log("facilty = \"local6\"\n"),
        3,
        &["unknown key 'facilty' in [[global.log]], did you mean 'facility'?"],
    );
    fails(
        "[[backend]]\nname = \"b\"\n[[backend.log]]\naddress = \"1.2.3.4\"\nfacility = \"user\"\nlevle = \"x\"\n",
        6,
        &["unknown key 'levle' in [[backend.log]], did you mean 'level'?"],
    );
    fails(
        "[[global.log]]\naddress = \"tcp@1.2.3.4:514\"\nfacility = \"user\"\n",
        2,
        &["global: log 'address' 'tcp@1.2.3.4:514': lbtop sends logs to stdout"],
    );
    fails(
        "[[global.log]]\naddress = \"127.0.0.1\"\n",
        1,
        &["missing required key 'facility'"],
    );
    fails(
        "[global.stats-socket]\npath = \"/s\"\nmode = \"999\"\n",
        3,
        &["global: stats-socket 'mode' '999' is not an octal permission mode"],
    );
    fails(
        "[global.stats-socket]\npath = \"/s\"\nlevel = \"admn\"\n",
        3,
        &["stats-socket 'level'", "did you mean 'admin'?"],
    );
    fails(
        "[global.stats-socket]\npath = \"/s\"\nexpose-fd = \"all\"\n",
        3,
        &["global: stats-socket 'expose-fd' only supports \"listeners\", got 'all'"],
    );
    fails(
        "[global.stats-socket]\npath = \"\"\n",
        2,
        &["stats-socket 'path' must not be empty"],
    );
    fails(
        "[global.stats-socket]\npath = \"/s\"\nmod = \"600\"\n",
        3,
        &["unknown key 'mod' in [global.stats-socket], did you mean 'mode'?"],
    );
    fails(
        "[[backend]]\nname = \"b\"\nbalance = \"hdr()\"\n",
        3,
        &["requires an http header field name"],
    );
    fails(
        "[[backend]]\nname = \"b\"\nbalance = \"hdr(a b)\"\n",
        3,
        &["not a valid header name"],
    );
    fails(
        &MINIMAL.replace("address = ", "fastinter = 0\naddress = "),
        12,
        &["server 's': 'fastinter' must be greater than 0"],
    );
}

#[test]
fn did_you_mean_only_when_close() {
    assert_eq!(
        did_you_mean("inetr", &["inter", "rise"]),
        ", did you mean 'inter'?"
    );
    assert_eq!(did_you_mean("xyz", &["inter", "rise"]), "");
    assert_eq!(did_you_mean("a", &["b"]), "");
    assert_eq!(
        did_you_mean("HTTPLOG", &["httplog"]),
        ", did you mean 'httplog'?"
    );
}

#[test]
fn every_raw_table_is_known_for_messages() {
    // A field-set collision would make unknown-key messages name the wrong table.
    for f in [
        fields_of::<RawServer>(),
        fields_of::<RawOptions>(),
        fields_of::<RawConfig>(),
    ] {
        assert!(!f.is_empty());
        assert!(table_kind(f).is_some());
    }
    assert_eq!(table_kind(fields_of::<RawTimeouts>()), Some("timeout"));
}

#[test]
fn mutated_configs_never_panic() {
    let original = std::fs::read(default_config_path()).unwrap();
    let alphabet = b" \n=[]{}\"',.#-_0123456789aksxz/:\\\t\x7f\xc3\xa9";
    let mut rng = crate::config::testkit::Rng(0x9E37_79B9_7F4A_7C15);
    let (mut oks, mut errs) = (0, 0);
    for round in 0..400 {
        let mut bytes = original.clone();
        crate::config::testkit::mutate(&mut bytes, &mut rng, alphabet);
        let text = String::from_utf8_lossy(&bytes);
        let lines = text.lines().count() + 1;
        match parse(Path::new("fuzz.toml"), &text) {
            Ok(_) => oks += 1,
            Err(e) => {
                errs += 1;
                assert!(
                    (1..=lines).contains(&e.line),
                    "round {round}: line {} outside 1..={lines}: {e}",
                    e.line
                );
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(
        oks > 0 && errs > 0,
        "mutations should both pass and fail ({oks}/{errs})"
    );
}

#[test]
fn settings_once_not_applied_now_load_without_warning() {
    let c = ok(r#"
[defaults.option]
forwardfor = { if-none = true }

[[frontend]]
name = "f"
bind = "127.0.0.1:80"
default_backend = "b"

[[backend]]
name = "b"
[[backend.server]]
name = "s"
address = "127.0.0.1:81"
slowstart = "10s"
fastinter = "1s"
downinter = "5s"
"#);
    let messages: Vec<(usize, &str)> = c
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(messages, [], "these keys all apply now");
}

#[test]
fn server_check_address_and_session_shutdown_keys() {
    let text = r#"
[[frontend]]
name = "f"
bind = "127.0.0.1:80"
default_backend = "b"

[[backend]]
name = "b"
[[backend.server]]
name = "s"
address = "127.0.0.1:3306"
check = true
addr = "127.0.0.2"
port = 9200
maxqueue = 256
on-marked-down = "shutdown-sessions"
on-marked-up = "shutdown-backup-sessions"
"#;
    let c = ok(text);
    let s = &c.backends[0].servers[0];
    assert_eq!(s.check_addr, Some("127.0.0.2".parse().unwrap()));
    assert_eq!(s.check_port, Some(9200));
    assert!(s.shutdown_on_down && s.shutdown_backups_on_up);
    assert_eq!(s.maxqueue, Some(256));
    fails(
        &text.replace("\"shutdown-sessions\"", "\"kill\""),
        16,
        &["'on-marked-down' expects 'shutdown-sessions', got 'kill'"],
    );
    fails(&text.replace("9200", "0"), 14, &["'port'"]);
    fails(
        &text.replace("\"127.0.0.2\"", "\"db\""),
        13,
        &["invalid IP address 'db'"],
    );
}

#[test]
fn a_bind_may_list_several_addresses() {
    let c = ok("[[frontend]]\nname = \"f\"\nbind = \"127.0.0.1:8080,[::1]:8080, *:9000\"\ndefault_backend = \"b\"\n\n[[backend]]\nname = \"b\"\n");
    let addrs: Vec<String> = c.frontends[0]
        .binds
        .iter()
        .map(|b| b.addr.to_string())
        .collect();
    assert_eq!(addrs, ["127.0.0.1:8080", "[::1]:8080", "0.0.0.0:9000"]);
    fails(
        "[[frontend]]\nname = \"f\"\nbind = \"127.0.0.1:8080,nowhere\"\ndefault_backend = \"b\"\n\n[[backend]]\nname = \"b\"\n",
        3,
        &["'nowhere' is not an ip:port address"],
    );
}

/// A server `address` may be a host name, resolved once at load by the system resolver (as
/// HAProxy's default `init-addr last,libc`); one that does not resolve names its line.
#[test]
fn a_server_address_may_be_a_host_name() {
    let c = ok(&MINIMAL.replace("127.0.0.1:81", "localhost:81"));
    let s = &c.backends[0].servers[0];
    assert_eq!(s.addr, "127.0.0.1:81".parse().unwrap());
    assert_eq!(s.host.as_ref().map(|h| h.name.as_str()), Some("localhost"));
    assert!(c.to_haproxy_cfg().contains("    server s localhost:81\n"));
    fails(
        &MINIMAL.replace("127.0.0.1:81", "nosuchhost.invalid:81"),
        12,
        &["backend 'b': server 's': 'address': could not resolve address 'nosuchhost.invalid'"],
    );
}

/// `[[resolvers]]` is HAProxy's `resolvers` section, and a server's `resolvers`,
/// `resolve-prefer` and `resolve-opts` its keywords: the same model, exported back as such.
#[test]
fn resolvers_tables_are_haproxy_resolvers_sections() {
    let text = r#"
[[resolvers]]
name = "dns"
nameserver = [{ name = "ns1", address = "127.0.0.1:5353" }, { name = "ns2", address = "udp@127.0.0.2:53" }]
hold = { valid = "3s", nx = "7s" }
timeout = { resolve = "2s" }
resolve-retries = 5

[[backend]]
name = "b"

[[backend.server]]
name = "s"
address = "nosuchhost.invalid:80"
resolvers = "dns"
resolve-prefer = "ipv4"
resolve-opts = "allow-dup-ip"
"#;
    let c = ok(text);
    let r = &c.global.resolvers[0];
    assert_eq!(
        (r.name.as_str(), r.nameservers.len(), r.retries),
        ("dns", 2, 5)
    );
    assert_eq!(
        (r.hold.valid, r.hold.nx, r.resolve),
        (
            Duration::from_secs(3),
            Duration::from_secs(7),
            Duration::from_secs(2)
        )
    );
    let s = &c.backends[0].servers[0];
    assert!(s.unresolved() && s.allow_dup_ip);
    assert_eq!(s.resolve_prefer, Some(crate::config::Prefer::Ipv4));
    assert!(
        c.warnings.iter().any(|w| w.line == 14
            && w.message
                .contains("could not resolve address 'nosuchhost.invalid', disabling server")),
        "{:?}",
        c.warnings
    );
    let back = Config::parse(Path::new("x.cfg"), &c.to_haproxy_cfg()).unwrap();
    let mut want = c.global.resolvers.clone();
    want[0].line = back.global.resolvers[0].line;
    assert_eq!(back.global.resolvers, want);
    assert_eq!(
        crate::config::Server {
            line: s.line,
            ..back.backends[0].servers[0].clone()
        },
        *s
    );

    let with = |server: &str| {
        format!("[[resolvers]]\nname = \"dns\"\n\n[[backend]]\nname = \"b\"\n\n[[backend.server]]\nname = \"s\"\naddress = \"127.0.0.1:80\"\n{server}\n")
    };
    fails(
        &with("resolvers = \"nope\""),
        7,
        &["backend 'b', server 's': unable to find required resolvers 'nope'"],
    );
    fails(
        &with("resolve-prefer = \"ipv5\""),
        10,
        &["'resolve-prefer' expects either ipv4 or ipv6 as argument"],
    );
    fails(
        &with("resolve-opts = \"foo\""),
        10,
        &["unknown resolve-opts option 'foo'"],
    );
    fails(
        "[[resolvers]]\nname = \"d\"\ntimeout = { retry = \"0s\" }\n",
        3,
        &["resolvers 'd': 'timeout.retry' must be greater than 0"],
    );
    fails(
        "[[resolvers]]\nname = \"d\"\n[[resolvers]]\nname = \"d\"\n",
        4,
        &["resolvers 'd' is already defined at line 2"],
    );
    let c = ok("[[resolvers]]\nname = \"d\"\n");
    assert_eq!(
        c.warnings[0].message,
        "resolvers 'd' has no nameservers configured!"
    );
}

#[test]
fn log_format_and_captures() {
    let c = ok(r#"
[defaults]
mode = "http"
option = { httplog = true }

[[frontend]]
name = "f"
bind = "127.0.0.1:8080"
default_backend = "b"
log-format = "%ci [%tr] %{+Q}r %hr"
capture = { request = [{ name = "Host", len = 32 }], cookie = { name = "SID=", len = 20 } }

[[backend]]
name = "b"
"#);
    let f = &c.frontends[0];
    let lf = f.options.log_format.as_ref().expect("log-format");
    assert_eq!((lf.source.as_str(), lf.line), ("%ci [%tr] %{+Q}r %hr", 10));
    assert!(!f.options.httplog, "log-format wins over httplog");
    assert_eq!(f.captures.request.len(), 1);
    assert_eq!(f.captures.cookie.as_ref().map(|c| c.len), Some(20));
    let tcp = "[[frontend]]\nname = \"t\"\nbind = \"127.0.0.1:9\"\ndefault_backend = \"b\"\nlog-format = \"%ci %r\"\n[[backend]]\nname = \"b\"\n";
    fails(tcp, 5, &["format variable 'r' is reserved for HTTP mode"]);
    fails(
        &tcp.replace("%ci %r", "%ci%"),
        5,
        &["failed to parse log-format : truncated line after '%'"],
    );
    fails(
        &tcp.replace(
            "log-format = \"%ci %r\"",
            "capture = { response = [{ name = \"X\", len = -1 }] }",
        ),
        5,
        &["capture response 'X': 'len'"],
    );
}

#[test]
fn server_state_keys() {
    let with = |keys: &str| MINIMAL.replace("name = \"b\"\n", &format!("name = \"b\"\n{keys}"));
    let c = ok(&format!(
        "[global]\nserver-state-file = \"st\"\nserver-state-base = \"/var/state\"\n{}",
        with("load-server-state-from-file = \"local\"\nserver-state-file-name = \"b.st\"\n")
    ));
    assert_eq!(c.global.server_state.file.as_deref(), Some("st"));
    assert_eq!(
        c.backends[0].server_state.load,
        crate::config::LoadState::Local
    );
    assert_eq!(
        c.backends[0].server_state.file_name.as_deref(),
        Some("b.st")
    );
    let text = with("load-server-state-from-file = \"glob\"\n");
    let line = 1 + text.lines().position(|l| l.contains("glob")).unwrap();
    fails(
        &text,
        line,
        &["'load-server-state-from-file'", "got 'glob'"],
    );
}

#[test]
fn global_metrics_is_an_address() {
    let c = ok("[global]\nmetrics = \"127.0.0.1:9101\"\n");
    assert_eq!(c.global.metrics, Some(([127, 0, 0, 1], 9101).into()));
    assert_eq!(ok("[global]\nmaxconn = 10\n").global.metrics, None);
    fails(
        "[global]\nmetrics = \"localhost\"\n",
        2,
        &[
            "global: 'metrics' expects an address and a port",
            "'localhost'",
        ],
    );
    // Exported as HAProxy's exporter on a frontend of its own.
    let out = c.to_haproxy_cfg();
    assert!(
        out.contains("frontend lbtop-metrics\n    mode http\n    bind 127.0.0.1:9101\n"),
        "{out}"
    );
    assert!(
        out.contains("    http-request use-service prometheus-exporter if { path /metrics }\n"),
        "{out}"
    );
    let back = crate::config::Config::parse(Path::new("e.cfg"), &out)
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(back.frontends.last().unwrap().name, "lbtop-metrics");
}

#[test]
fn global_hard_stop_after_is_a_duration_and_exports() {
    let c = ok("[global]\nhard-stop-after = \"2s\"\n");
    assert_eq!(
        c.global.hard_stop_after,
        Some(std::time::Duration::from_secs(2))
    );
    assert!(c.to_haproxy_cfg().contains("    hard-stop-after 2s\n"));
    assert_eq!(ok("[global]\nmaxconn = 10\n").global.hard_stop_after, None);
}

#[test]
fn monitor_uri_and_httpclose_keys() {
    let c = ok(r#"
[defaults]
mode = "http"
[defaults.option]
httpclose = true
[[frontend]]
name = "f"
bind = "127.0.0.1:8080"
default_backend = "b"
monitor-uri = "/healthz"
[[backend]]
name = "b"
"#);
    let m = c.frontends[0].monitor.as_ref().unwrap();
    assert_eq!((m.uri.as_str(), m.line, m.fail.len()), ("/healthz", 10, 0));
    assert!(c.frontends[0].options.httpclose && c.backends[0].options.httpclose);
}

#[test]
fn disable_on_404_is_an_option_key() {
    let c = ok(&format!(
        "[defaults.option]\ndisable-on-404 = true\n{MINIMAL}"
    ));
    assert!(c.backends[0].options.disable_on_404);
    assert!(c.to_haproxy_cfg().contains("http-check disable-on-404"));
    assert!(!ok(MINIMAL).backends[0].options.disable_on_404);
}
