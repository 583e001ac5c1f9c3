//! The HAProxy parser's tests: words, sections, every keyword family, and its messages.

use super::super::values::{log_addr, octal_mode, parse_net};
use super::addr::{bind_addrs, fixed_addr, server_addr};
use super::*;
use crate::config::{
    ForwardFor, HttpCheck, LogAddr, LogFormat, LogTarget, Server, StatsSocket, Timeouts,
};
use std::net::SocketAddr;
use std::time::Duration;

fn env(name: &str) -> Option<String> {
    match name {
        "PORT" => Some("8080".into()),
        "ADDRS" => Some("a  b\tc".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

fn words(line: &str) -> Vec<String> {
    tokenize_line(line, &env).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

fn word_err(line: &str) -> String {
    match tokenize_line(line, &env) {
        Ok(w) => panic!("{line:?} should fail, gave {w:?}"),
        Err(e) => e,
    }
}

fn ok(text: &str) -> Config {
    parse_with_env(Path::new("t.cfg"), text, &env).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

/// Parses `text`, expects an error at `line` whose message contains every `want`.
fn fails(text: &str, line: usize, want: &[&str]) -> ConfigError {
    let e = match parse_with_env(Path::new("t.cfg"), text, &env) {
        Ok(_) => panic!("expected an error in:\n{text}"),
        Err(e) => e,
    };
    assert_eq!(e.line, line, "wrong line for: {e}");
    for w in want {
        assert!(e.message.contains(w), "{e} does not mention {w:?}");
    }
    e
}

fn warned(c: &Config, line: usize, want: &str) {
    assert!(
        c.warnings
            .iter()
            .any(|w| w.line == line && w.message.contains(want)),
        "no warning {want:?} at line {line} in {:#?}",
        c.warnings
    );
}

/// A frontend and a backend around `body` (which goes into the backend).
fn with_backend(body: &str) -> String {
    format!("frontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n{body}")
}

// -- words ----------------------------------------------------------------------------

#[test]
fn blanks_separate_words() {
    assert_eq!(words("  mode \t http  "), ["mode", "http"]);
    assert_eq!(words("a\x0bb\x0cc"), ["a", "b", "c"]);
    assert!(words("").is_empty());
    assert!(words("   \t").is_empty());
}

#[test]
fn comments_start_at_a_hash_outside_quotes() {
    assert!(words("# comment").is_empty());
    assert!(words("   ## ロードバランサの動作モード。").is_empty());
    assert_eq!(words("mode http # trailing"), ["mode", "http"]);
    assert_eq!(words("abc#def"), ["abc"]);
    assert_eq!(words("\"a#b\" 'c#d' e\\#f"), ["a#b", "c#d", "e#f"]);
}

#[test]
fn quotes_group_and_may_sit_inside_a_word() {
    assert_eq!(words("a \"b c\" d"), ["a", "b c", "d"]);
    assert_eq!(words("a 'b c' d"), ["a", "b c", "d"]);
    assert_eq!(words("x\"y z\"w"), ["xy zw"]);
    assert_eq!(words("\"it's\" 'say \"hi\"'"), ["it's", "say \"hi\""]);
    // An empty word counts, except at the end of the line.
    assert_eq!(words("a \"\" b"), ["a", "", "b"]);
    assert_eq!(words("a ''"), ["a"]);
    assert_eq!(words("a \"\"   "), ["a", ""]);
}

#[test]
fn backslash_escapes() {
    assert_eq!(
        words(r"User-agent:\ Proxy-Check"),
        ["User-agent: Proxy-Check"]
    );
    assert_eq!(
        words(r"HTTP/1.0\r\nUser-agent:\ Proxy-Check"),
        ["HTTP/1.0\r\nUser-agent: Proxy-Check"]
    );
    assert_eq!(words(r"a\tb"), ["a\tb"]);
    assert_eq!(words(r"a\\b"), [r"a\b"]);
    assert_eq!(words(r#"a\"b \'c"#), ["a\"b", "'c"]);
    assert_eq!(words(r"\x41\x6a"), ["Aj"]);
    // Not escapes: the backslash stays.
    assert_eq!(words(r"\1 \q a\"), [r"\1", r"\q", r"a\"]);
    // `\$` is an escape only inside double quotes.
    assert_eq!(words(r#"\$ "\$""#), [r"\$", "$"]);
    // Single quotes protect everything.
    assert_eq!(words(r"'a\ b\n$X'"), [r"a\ b\n$X"]);
    // Inside double quotes escapes still apply.
    assert_eq!(words(r#""a\"b\n""#), ["a\"b\n"]);
}

#[test]
fn a_carriage_return_ends_the_line() {
    assert_eq!(words("mode http\r"), ["mode", "http"]);
    assert_eq!(words("mode http\rjunk"), ["mode", "http"]);
}

#[test]
fn environment_variables_expand_inside_double_quotes_only() {
    assert_eq!(words("bind \":$PORT\""), ["bind", ":8080"]);
    assert_eq!(words("bind \":${PORT}\""), ["bind", ":8080"]);
    assert_eq!(words("x $PORT '$PORT'"), ["x", "$PORT", "$PORT"]);
    assert_eq!(words("x \"$NOPE\" y"), ["x", "", "y"]);
    assert_eq!(
        words("x \"${NOPE-dflt}\" \"${PORT-9}\""),
        ["x", "dflt", "8080"]
    );
    assert_eq!(words("x \"${ADDRS[*]}\" y"), ["x", "a", "b", "c", "y"]);
    assert_eq!(words("x \"${ADDRS}\""), ["x", "a  b\tc"]);
    assert_eq!(words("x \"[$EMPTY]\""), ["x", "[]"]);
    let lookup = |n: &str| (n == ".LINE").then(|| "7".to_string());
    assert_eq!(
        tokenize_line("x \"${.LINE}\"", &lookup).unwrap(),
        ["x", "7"]
    );
}

#[test]
fn word_errors() {
    assert!(word_err("a \"b").contains("unmatched double quote at column 3"));
    assert!(word_err("a 'b").contains("unmatched single quote at column 3"));
    assert!(word_err(r"a \x4").contains("'\\x' escape at column 3"));
    assert!(word_err(r"a \xzz").contains("two hex digits"));
    assert!(word_err(r"a \xff").contains("not valid UTF-8"));
    assert!(word_err("a \"$1\"").contains("does not start a variable name"));
    assert!(word_err("a \"${X\"").contains("unmatched '{'"));
    assert!(word_err("a \"${X-y\"").contains("unmatched '{'"));
    assert!(word_err("a \"${X[1]}\"").contains("[*]"));
    assert!(word_err("a \"${.NOPE}\"").contains("unknown internal variable '.NOPE'"));
    assert!(word_err("a\0b").contains("NUL byte at column 2"));
    let many = vec!["w"; 65].join(" ");
    assert!(word_err(&many).contains("too many words"));
    assert_eq!(words(&vec!["w"; 64].join(" ")).len(), 64);
}

#[test]
fn haproxy_syntax_is_recognised() {
    let p = |s: &str| Path::new(s).to_path_buf();
    assert!(is_haproxy(&p("x.cfg"), "[global]\n"));
    assert!(is_haproxy(&p("x"), "# hi\n\n  global\n"));
    assert!(is_haproxy(&p("x.conf"), "frontend main\n"));
    assert!(is_haproxy(&p("x.toml"), "#c\nbackend b\n"));
    assert!(!is_haproxy(&p("x.toml"), "[global]\nmaxconn = 1\n"));
    assert!(!is_haproxy(&p("x.toml"), "global = 1\n"));
    assert!(!is_haproxy(&p("x"), ""));
    // And Config::parse dispatches on it.
    let c = Config::parse(Path::new("lb.conf"), "backend b\n").unwrap();
    assert_eq!(c.backends[0].name, "b");
    assert!(Config::parse(Path::new("lb.cfg"), "[global]\n").is_err());
}

// -- the seed ---------------------------------------------------------------------------

#[test]
fn the_seed_loads_byte_for_byte() {
    let Some(path) = crate::config::testkit::seed_path("haproxy.cfg") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let text = std::str::from_utf8(&bytes).expect("the seed is UTF-8");
    assert!(text.contains("##ロードバランサの動作モード。"));
    let c = parse_with_env(&path, text, &|_| None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c, Config::load(&path).unwrap());

    assert_eq!(c.global.maxconn, Some(4000));
    assert_eq!(c.global.nbthread, None);
    assert_eq!(
        c.global.log,
        [LogTarget {
            addr: "127.0.0.1:514".parse().unwrap(),
            facility: 22,
            max_level: 7,
            min_level: 0,
            len: 1024,
            format: None,
        }]
    );
    assert_eq!(c.global.log[0].facility_name(), "local6");
    assert_eq!(
        c.global.stats_sockets,
        [StatsSocket {
            path: "/var/lib/haproxy/stats".into(),
            level: "operator".into(),
            mode: None,
            expose_fd_listeners: false,
        }]
    );

    assert_eq!(c.frontends.len(), 1);
    let main = &c.frontends[0];
    assert_eq!(main.name, "main");
    assert_eq!(main.line, 58);
    assert_eq!(main.binds[0].addr, "0.0.0.0:80".parse().unwrap());
    assert_eq!(main.mode, Mode::Http);
    assert_eq!(c.backends[main.default_backend].name, "hoge");
    assert_eq!(main.maxconn, Some(3000));
    assert!(main.log_global && main.log.is_empty());
    assert!(main.options.httplog && main.options.dontlognull);
    assert!(!main.options.tcplog);
    assert!(main.options.http_server_close);

    let s10 = Some(Duration::from_secs(10));
    let m1 = Some(Duration::from_secs(60));
    let timeouts = Timeouts {
        connect: s10,
        client: m1,
        server: m1,
        check: s10,
        http_request: s10,
        queue: m1,
        http_keep_alive: s10,
        tarpit: None,
        tunnel: None,
        client_fin: None,
        server_fin: None,
    };
    assert_eq!(main.timeouts, timeouts);

    assert_eq!(c.backends.len(), 1);
    let hoge = &c.backends[0];
    assert_eq!((hoge.name.as_str(), hoge.line), ("hoge", 64));
    assert_eq!(hoge.mode, Mode::Http);
    assert_eq!(hoge.balance, Balance::RoundRobin);
    assert_eq!(hoge.hash_header, None);
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
    let o = &hoge.options;
    assert!(o.log_health_checks && o.http_server_close && o.redispatch);
    assert!(!o.allbackups);
    assert_eq!(o.retries, 3);
    assert_eq!(
        o.forwardfor,
        Some(ForwardFor {
            except: Some(parse_net("127.0.0.0/8").unwrap()),
            header: "x-forwarded-for".into(),
            if_none: false,
        })
    );
    assert_eq!(hoge.timeouts, timeouts);
    assert!(hoge.log_global);
    for (s, (name, addr, line)) in hoge.servers.iter().zip([
        ("web10", "192.168.33.10:80", 66),
        ("web11", "192.168.33.11:80", 67),
    ]) {
        assert_eq!(s.name, name);
        assert_eq!(s.addr, addr.parse().unwrap());
        assert_eq!(s.line, line);
        assert!(s.check);
        assert_eq!(s.inter, Duration::from_millis(3000));
        assert_eq!((s.fall, s.rise, s.weight), (2, 2, 1));
        assert!(!s.backup && !s.disabled);
        assert_eq!(
            (s.maxconn, s.fastinter, s.downinter, s.slowstart),
            (None, None, None, None)
        );
    }
    assert_eq!(hoge.servers.len(), 2);
    assert_eq!(c.demo, None);
    assert_eq!(c.ui, UiConfig::default());

    let lines: Vec<(usize, &str)> = c
        .warnings
        .iter()
        .map(|w| (w.line, w.message.split(':').next().unwrap_or("")))
        .collect();
    assert_eq!(
        lines,
        [
            (16, "'chroot' ignored"),
            (17, "'pidfile' ignored"),
            (19, "'user' ignored"),
            (20, "'group' ignored"),
            (21, "'daemon' ignored"),
            (40, "'option httpchk' "),
            (58, "frontend 'main'"),
        ]
    );
    warned(
        &c,
        40,
        "hiding headers or body at the end of the version string is deprecated",
    );
    warned(&c, 58, "('*:80') is deprecated HAProxy 1.x syntax");
    warned(&c, 58, "lbtop reads it as 'bind *:80'");
}

#[test]
fn the_loopback_seed_is_the_seed_on_loopback() {
    let (Some(seed), Some(loopback)) = (
        crate::config::testkit::seed_path("haproxy.cfg"),
        crate::config::testkit::seed_path("haproxy-loopback.cfg"),
    ) else {
        return;
    };
    let a = Config::load(&seed).unwrap();
    let b = Config::load(&loopback).unwrap();
    assert_eq!(
        b.frontends[0].binds[0].addr,
        "127.0.0.1:8080".parse().unwrap()
    );
    assert_eq!(
        b.global.log[0].addr,
        LogAddr::Udp("127.0.0.1:5514".parse().unwrap())
    );
    assert_eq!(b.global.stats_sockets[0].path, "/tmp/lbtop-seed.sock");
    let ports = [8010, 8011];
    for (s, port) in b.backends[0].servers.iter().zip(ports) {
        assert_eq!(s.addr, SocketAddr::from(([127, 0, 0, 1], port)));
    }
    // Only pidfile and the httpchk form are left to warn about.
    let msgs: Vec<usize> = b.warnings.iter().map(|w| w.line).collect();
    assert_eq!(msgs, [17, 40]);

    // Everything else is the same.
    let mut a2 = a.clone();
    a2.source = b.source.clone();
    a2.warnings = b.warnings.clone();
    a2.global.log = b.global.log.clone();
    a2.global.stats_sockets = b.global.stats_sockets.clone();
    a2.frontends[0].binds = b.frontends[0].binds.clone();
    a2.frontends[0].line = b.frontends[0].line;
    a2.backends[0].line = b.backends[0].line;
    for (x, y) in a2.backends[0]
        .servers
        .iter_mut()
        .zip(&b.backends[0].servers)
    {
        x.addr = y.addr;
        x.line = y.line;
    }
    assert_eq!(a2, b);
}

// -- keywords -----------------------------------------------------------------------------

#[test]
fn global_keywords() {
    let c = ok("global
    log 127.0.0.1:5514 len 2048 format rfc5424 local0 info notice
    log udp@10.0.0.1 user
    log ipv6@::1 local7 emerg
    maxconn 100
    nbthread 4
    stats socket ipv4@127.0.0.1:9999 level admin mode 0600 expose-fd listeners
    stats timeout 30s
    stats maxconn 5
    uid 99
    node n1
    description two words
    ulimit-n 1000
    ssl-dh-param-file /etc/ssl/dh.pem
");
    let g = &c.global;
    assert_eq!(g.maxconn, Some(100));
    assert_eq!(g.nbthread, Some(4));
    assert_eq!(g.log.len(), 3);
    let l = &g.log[0];
    assert_eq!(l.addr, LogAddr::Udp("127.0.0.1:5514".parse().unwrap()));
    assert_eq!((l.len, l.format), (2048, Some(LogFormat::Rfc5424)));
    assert_eq!((l.facility, l.max_level, l.min_level), (16, 6, 5));
    let l = &g.log[1];
    assert_eq!(l.addr, LogAddr::Udp("10.0.0.1:514".parse().unwrap()));
    assert_eq!(
        (l.facility, l.max_level, l.min_level, l.len),
        (1, 7, 0, 1024)
    );
    assert_eq!(g.log[2].addr, LogAddr::Udp("[::1]:514".parse().unwrap()));
    assert_eq!(g.log[2].max_level, 0);
    assert_eq!(
        g.stats_sockets,
        [StatsSocket {
            path: "ipv4@127.0.0.1:9999".into(),
            level: "admin".into(),
            mode: Some(0o600),
            expose_fd_listeners: true,
        }]
    );
    assert_eq!(g.stats_timeout, Some(std::time::Duration::from_secs(30)));
    assert_eq!(g.stats_maxconn, Some(5));
    for (line, what) in [
        (10, "'uid' ignored"),
        (11, "'node' ignored"),
        (12, "'description' ignored"),
        (13, "'ulimit-n' ignored"),
        (14, "'ssl-dh-param-file' ignored"),
    ] {
        warned(&c, line, what);
    }
    assert_eq!(c.warnings.len(), 5);
}

#[test]
fn proxy_keywords_and_defaults_folding() {
    let c = ok("defaults
    mode http
    log global
    option httplog
    option forwardfor header X-Real-IP if-none
    option httpclose
    option allbackups
    retries 5
    timeout client 5s
    timeout connect 0
    timeout tunnel 1h
    contimeout 4s
    maxconn 10
    balance leastconn
    default-server inter 1s fall 5
    option log-health-checks
frontend f1
    bind :8080
    log 10.0.0.1 local0
    default_backend b1
frontend f2
    bind ipv6@:::8081
    mode tcp
    option tcplog
    option http-keep-alive
    no log
    maxconn 20
    default_backend t1
backend b1
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2 check weight 5 inter 2s backup maxconn 0 disabled slowstart 0
    server s3 127.0.0.1:3 fastinter 100ms downinter 9s slowstart 30s maxconn 8 no-check enabled
backend t1
    mode tcp
    balance random
    no option allbackups
    no option log-health-checks
    option redispatch
    server s 127.0.0.1:3 check
");
    // `timeout tunnel` is used (docs/haproxy-semantics.md §23): no warning.
    assert_eq!(
        c.backends[0].timeouts.tunnel,
        Some(std::time::Duration::from_secs(3600))
    );
    warned(
        &c,
        12,
        "'contimeout' is the pre-1.5 form of 'timeout connect'",
    );
    assert_eq!(c.warnings.len(), 1, "{:#?}", c.warnings);

    let f1 = &c.frontends[0];
    assert_eq!(f1.binds[0].addr, "0.0.0.0:8080".parse().unwrap());
    assert_eq!((f1.mode, f1.maxconn), (Mode::Http, Some(10)));
    assert!(f1.options.httplog && f1.options.httpclose && !f1.options.http_server_close);
    assert_eq!(
        f1.options.forwardfor,
        Some(ForwardFor {
            except: None,
            header: "x-real-ip".into(),
            if_none: true
        })
    );
    assert_eq!(f1.timeouts.client, Some(Duration::from_secs(5)));
    assert_eq!(
        f1.timeouts.connect,
        Some(Duration::from_secs(4)),
        "contimeout"
    );
    assert!(f1.log_global);
    assert_eq!(f1.log.len(), 1);
    assert_eq!(f1.log[0].facility_name(), "local0");

    let f2 = &c.frontends[1];
    assert_eq!(f2.binds[0].addr, "[::]:8081".parse().unwrap());
    assert_eq!((f2.mode, f2.maxconn), (Mode::Tcp, Some(20)));
    assert!(f2.options.tcplog && !f2.options.httplog);
    assert!(
        !f2.options.http_server_close && !f2.options.httpclose,
        "http-keep-alive undoes httpclose"
    );
    assert!(!f2.log_global && f2.log.is_empty(), "no log");
    assert_eq!(c.backends[f2.default_backend].name, "t1");

    let b1 = &c.backends[0];
    assert_eq!(b1.mode, Mode::Http);
    assert_eq!(b1.balance, Balance::LeastConn);
    assert_eq!(b1.options.retries, 5);
    assert!(b1.options.allbackups && b1.options.log_health_checks);
    assert_eq!(b1.check, HealthCheck::Tcp);
    let s = &b1.servers;
    assert_eq!(
        (s[0].inter, s[0].fall, s[0].check),
        (Duration::from_secs(1), 5, false)
    );
    assert_eq!(
        (s[1].inter, s[1].weight, s[1].maxconn),
        (Duration::from_secs(2), 5, None)
    );
    assert!(s[1].check && s[1].backup && s[1].disabled);
    assert_eq!(s[1].slowstart, None, "slowstart 0 is off");
    assert_eq!(s[2].fastinter, Some(Duration::from_millis(100)));
    assert_eq!(s[2].downinter, Some(Duration::from_secs(9)));
    assert_eq!(s[2].slowstart, Some(Duration::from_secs(30)));
    assert_eq!(s[2].maxconn, Some(8));
    assert!(!s[2].check && !s[2].disabled);
    assert_eq!(
        (s[2].inter, s[2].fall),
        (Duration::from_secs(1), 5),
        "default-server"
    );

    let t1 = &c.backends[1];
    assert_eq!(t1.balance, Balance::Random);
    assert!(!t1.options.allbackups && !t1.options.log_health_checks);
    assert!(t1.options.redispatch);
}

/// Every keyword is one row, once: a name twice in a table would make the second row dead.
#[test]
fn every_keyword_is_one_row() {
    fn unique<F>(table: &str, rows: &[table::Row<F>]) {
        let names = table::names(rows);
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{table}: '{n}' has two rows");
        }
    }
    unique("global", global::GLOBAL);
    unique("stats", global::STATS);
    unique("stats socket", global::SOCKET_OPTIONS);
    unique("proxy", proxy::PROXY);
    unique("option", option::OPTIONS);
    unique("option forwardfor", option::FORWARDFOR);
    unique("timeout", timeout::TIMEOUTS);
    unique("server", server::SERVER);
    unique("http-check", http_check::RULES);
}

/// A server keyword's row says how it is read, how `lbtop export` writes it and how
/// `lbtop check` shows it: whatever a keyword changes in a server shows in both, and the
/// export reads back the same.
#[test]
fn every_server_keyword_is_written_back_by_export_and_check() {
    let server = |params: &str| {
        let text = format!(
            "resolvers none\nfrontend f\n    bind :80\n    default_backend b\nbackend b\n    server s 127.0.0.1:81 check {params}\n"
        );
        ok(&text).backends[0].servers[0].clone()
    };
    let base = server("");
    let mut tried = 0;
    for row in server::SERVER {
        // Refused, or checked and dropped with a warning: nothing to write back.
        if matches!(
            row.status,
            table::Status::Unsupported | table::Status::Ignored(_)
        ) {
            continue;
        }
        // A value that differs from the defaults: a time, else an integer, else a word.
        let params = match row.args {
            table::Args::One(_) => [
                "7s",
                "7",
                "none",
                "127.0.0.7",
                "shutdown-sessions",
                "shutdown-backup-sessions",
                "ipv4",
                "allow-dup-ip",
                "str(x.example)",
                "http/1.1",
            ]
            .iter()
            .map(|v| format!("{} {v}", row.name))
            .find(|p| {
                // `none` is also the name of a resolvers section.
                let text = format!("resolvers none\nbackend b\n    server s 127.0.0.1:81 {p}\n");
                parse_with_env(Path::new("t.cfg"), &text, &env).is_ok()
            })
            .unwrap_or_else(|| panic!("'{}' takes none of the sample values", row.name)),
            // TLS without a CA file to check against is refused: say `verify none`.
            _ if matches!(row.name, "ssl" | "check-ssl") => format!("{} verify none", row.name),
            _ => row.name.to_string(),
        };
        let s = server(&params);
        if s == base {
            continue; // `check`, `no-backup`, ... : what the server already was
        }
        tried += 1;
        assert_ne!(
            export_server(&s),
            export_server(&base),
            "export of '{params}'"
        );
        assert_ne!(
            describe_server(&s),
            describe_server(&base),
            "check of '{params}'"
        );
        let exported = format!(
            "resolvers none\nbackend b\n    server {}\n",
            [s.name.clone(), s.addr.to_string()]
                .into_iter()
                .chain(export_server(&s))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let back = ok(&exported).backends[0].servers[0].clone();
        assert_eq!(
            Server {
                line: s.line,
                ..back
            },
            s,
            "'{params}' exported as {exported:?}"
        );
    }
    assert!(tried >= 10, "only {tried} server keywords changed a server");
}

/// Keywords that used to load with a "not applied yet" warning now apply, wherever they are
/// written, and load without one; the values stay for `lbtop export`.
#[test]
fn keywords_once_not_applied_now_load_without_warning() {
    let c = ok("defaults
    option forwardfor if-none
    default-server slowstart 10s
frontend f
    bind :80
    option forwardfor except 127.0.0.0/8 if-none header X-Client
    default_backend b
backend b
    server a 127.0.0.1:1 check slowstart 1m
    server b 127.0.0.1:2 check fastinter 500ms
    server c 127.0.0.1:3 check downinter 5s
    server d 127.0.0.1:4 check inter 1s
");
    let messages: Vec<(usize, &str)> = c
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(messages, [], "these keywords all apply now");
    // Kept in the model, so the export still says them to HAProxy.
    assert!(c.frontends[0].options.forwardfor.as_ref().unwrap().if_none);
    let s = &c.backends[0].servers;
    assert_eq!(s[0].slowstart, Some(Duration::from_secs(60)));
    assert_eq!(s[1].fastinter, Some(Duration::from_millis(500)));
    assert_eq!(s[2].downinter, Some(Duration::from_secs(5)));
    assert_eq!(
        s[3].slowstart,
        Some(Duration::from_secs(10)),
        "from default-server"
    );
}

#[test]
fn every_defaults_section_starts_afresh() {
    let c = ok("defaults
    mode http
    retries 7
frontend a
    bind :1
    default_backend a
backend a
defaults named
    timeout connect 3s
backend b
defaults
    mode http
backend c from named
backend d
defaults other from named
    retries 1
backend e from other
defaults named2 from other
backend f from named2
");
    let b = |n: &str| c.backend(n).unwrap();
    assert_eq!((b("a").mode, b("a").options.retries), (Mode::Http, 7));
    assert_eq!(c.frontends[0].mode, Mode::Http);
    assert_eq!((b("b").mode, b("b").options.retries), (Mode::Tcp, 3));
    assert_eq!(b("b").timeouts.connect, Some(Duration::from_secs(3)));
    assert_eq!(
        b("c").mode,
        Mode::Tcp,
        "from named, not from the last defaults"
    );
    assert_eq!(b("c").timeouts.connect, Some(Duration::from_secs(3)));
    assert_eq!((b("d").mode, b("d").timeouts.connect), (Mode::Http, None));
    assert_eq!(b("e").options.retries, 1);
    assert_eq!(b("e").timeouts.connect, Some(Duration::from_secs(3)));
    assert_eq!(b("f").options.retries, 1);

    fails(
        "defaults named\nbackend b from namd\n",
        2,
        &["defaults section 'namd' not found", "did you mean 'named'?"],
    );
    fails("backend b from\n", 1, &["needs a defaults name"]);
    fails(
        "defaults x\ndefaults x\n",
        2,
        &["'x' is already defined at line 1"],
    );
    fails(
        "backend b\ndefaults later\nbackend c from later extra\n",
        3,
        &["unexpected 'extra' after 'from later'"],
    );
}

#[test]
fn listen_is_a_frontend_and_a_backend() {
    let c = ok("listen web
    bind 127.0.0.1:80
    mode http
    balance source
    server a 127.0.0.1:81
listen other 127.0.0.1:90
    mode http
    default_backend web
frontend web2
    bind 127.0.0.1:82
    mode http
    default_backend other
");
    assert_eq!(c.frontends.len(), 3);
    assert_eq!(c.backends.len(), 2);
    let web = &c.frontends[0];
    assert_eq!((web.name.as_str(), web.mode), ("web", Mode::Http));
    assert_eq!(c.backends[web.default_backend].name, "web");
    assert_eq!(c.backends[0].balance, Balance::Source);
    assert_eq!(c.backends[0].servers[0].name, "a");
    // In tcp mode, `listen other` is upgraded to HTTP by `web`, as HAProxy does, unless a
    // rule of its own reads the connection first.
    ok("listen web\n    bind :1\n    mode http\nlisten other :2\n    default_backend web\n");
    fails(
        "listen web\n    bind :1\n    mode http\nlisten other :2\n    tcp-request content accept\n    default_backend web\n",
        6,
        &["tcp listen 'other' tries to use incompatible http backend 'web' (line 1)"],
    );
    warned(&c, 6, "an address on the 'listen' line");
    let other = &c.frontends[1];
    assert_eq!(c.backends[other.default_backend].name, "web");
    // A frontend and a backend may share a name, a listen and either may not.
    fails(
        "listen x\n    bind :1\nfrontend x\n",
        3,
        &["frontend 'x' has the same name as listen 'x' declared at line 1"],
    );
    fails(
        "backend x\nlisten x\n",
        2,
        &["listen 'x' has the same name as backend 'x' declared at line 1"],
    );
}

#[test]
fn http_checks_follow_haproxy_rule_sets() {
    // Observed on HAProxy 2.6 (bytes received by the server):
    let c = ok("defaults
    mode http
    option httpchk GET /d HTTP/1.0\\r\\nX:\\ y
backend b0
    option httpchk GET /a HTTP/1.1
    http-check send hdr Host x
backend b1
    http-check send meth POST uri /b
    option httpchk GET /a
backend b2
    http-check send uri /c
backend b3
    http-check send hdr Z w
backend b4
    option httpchk
    http-check send meth GET
backend b5
    option httpchk /only
backend b6
backend b7
    option tcp-check
");
    let req = |n: &str| match &c.backend(n).unwrap().check {
        HealthCheck::Http(h) => {
            let mut s = format!("{} {} {}", h.method, h.path, h.version);
            for (k, v) in &h.headers {
                s.push_str(&format!(" [{k}: {v}]"));
            }
            s
        }
        HealthCheck::Tcp | HealthCheck::Rules(_) => "tcp".into(),
        HealthCheck::Proto(p) => p.option_words(),
    };
    // `GET /a HTTP/1.1\r\nhost: x`
    assert_eq!(req("b0"), "GET /a HTTP/1.1 [Host: x]");
    // `option httpchk` after `http-check send` replaces it: `GET /a HTTP/1.0`
    assert_eq!(req("b1"), "GET /a HTTP/1.0");
    // A proxy's own rules do not start from its defaults' request: `OPTIONS /c HTTP/1.0`
    assert_eq!(req("b2"), "OPTIONS /c HTTP/1.0");
    assert_eq!(req("b3"), "OPTIONS / HTTP/1.0 [Z: w]");
    assert_eq!(req("b4"), "GET / HTTP/1.0");
    assert_eq!(req("b5"), "OPTIONS /only HTTP/1.0");
    // Nothing of its own: the defaults' whole request, legacy headers included.
    assert_eq!(req("b6"), "GET /d HTTP/1.0 [X: y]");
    assert_eq!(req("b7"), "tcp");
    // The defaults' legacy form warned once, on its line.
    warned(&c, 3, "hiding headers or body");

    let c = ok(&with_backend(
        "    option httpchk HEAD /hc HTTP/1.1\\r\\nHost:\\ example.com\\r\\nX-A:b\\r\\n\n",
    ));
    let HealthCheck::Http(h) = &c.backends[0].check else {
        panic!()
    };
    assert_eq!(
        h.headers,
        [
            ("Host".to_string(), "example.com".to_string()),
            ("X-A".to_string(), "b".to_string())
        ]
    );
    warned(&c, 5, "'option httpchk' : hiding headers");

    // Rules without `option httpchk` are ignored, as HAProxy warns.
    let c = ok(&with_backend("    http-check send meth GET\n"));
    assert_eq!(c.backends[0].check, HealthCheck::Tcp);
    warned(
        &c,
        5,
        "backend 'b' uses http-check rules without 'option httpchk'",
    );

    fails(
        &with_backend(
            "    option httpchk\n    http-check send meth GET\n    http-check send uri /x\n",
        ),
        7,
        &["already has one at line 6"],
    );
    fails(
        &with_backend("    option httpchk a b c d\n"),
        5,
        &["unexpected argument 'd'"],
    );
    fails(
        &with_backend("    option httpchk GET / HTTP/1.0\\r\\nbad\n"),
        5,
        &["hidden header 'bad' has no ':'"],
    );
    fails(
        &with_backend("    option httpchk GET / HTTP/1.0\\r\\n\\r\\nbody\n"),
        5,
        &["body is not supported"],
    );
    fails(
        &with_backend("    http-check send hdr Host\n"),
        5,
        &["'hdr' expects <name> and <value>"],
    );
    fails(
        &with_backend("    http-check send mthe GET\n"),
        5,
        &["got 'mthe'", "did you mean 'meth'?"],
    );
    fails(
        &with_backend("    http-check connect port 80\n"),
        5,
        &["'http-check connect' is not supported by lbtop"],
    );
    fails(
        &with_backend("    http-check send hdr \"Bad Name\" x\n"),
        5,
        &["not a valid header name"],
    );
}

#[test]
fn process_and_tune_keywords_load_with_a_warning_naming_their_line() {
    let c = ok(&format!(
        "global\n    tune.ssl.default-dh-param 2048\n    tune.ssl.force-private-cache\n    \
         master-worker\n    quiet\n    maxpipes 100\n    cpu-map auto:1/1-4 0-3\n    \
         hard-stop-after 30s\n    spread-checks 5\n    stats bind-process all\n{}",
        with_backend("")
    ));
    warned(&c, 10, "'stats bind-process' ignored: lbtop is one process");
    warned(
        &c,
        2,
        "'tune.ssl.default-dh-param' ignored: it tunes HAProxy's internals",
    );
    warned(&c, 3, "'tune.ssl.force-private-cache' ignored");
    warned(&c, 4, "'master-worker' ignored: lbtop runs as one process");
    warned(&c, 5, "'quiet' ignored");
    warned(&c, 6, "'maxpipes' ignored");
    warned(&c, 7, "'cpu-map' ignored: lbtop does not pin");
    assert!(
        c.warnings.iter().all(|w| w.line != 8 && w.line != 9),
        "{:#?}",
        c.warnings
    );
    assert_eq!(c.global.hard_stop_after, Some(Duration::from_secs(30)));
    assert!(c.to_haproxy_cfg().contains("    hard-stop-after 30s\n"));
    assert_eq!(c.global.spread_checks, 5);
    assert!(c.to_haproxy_cfg().contains("    spread-checks 5\n"));
    let c = ok("frontend f\n    bind :80\n    fullconn 10\n    default_backend b\nbackend b\n    fullconn 100\n");
    warned(&c, 3, "'fullconn' ignored because frontend 'f' has no backend capability. Maybe you want 'maxconn' instead ?");
    warned(
        &c,
        6,
        "'fullconn' ignored: it sets the load at which 'minconn' grows",
    );
    // Every name HAProxy 2.6 knows loads.
    for row in super::tune::TUNE {
        let value = if row.name == "tune.ssl.force-private-cache" {
            ""
        } else {
            " 1"
        };
        ok(&format!(
            "global\n    {}{value}\n{}",
            row.name,
            with_backend("")
        ));
    }
}

#[test]
fn maxqueue_warns_only_where_haproxy_would_use_a_server_queue() {
    let c = ok(&with_backend(
        "    server a 127.0.0.1:81 maxconn 250 maxqueue 256\n    server b 127.0.0.1:82 maxqueue 0\n",
    ));
    let s = &c.backends[0].servers;
    assert_eq!((s[0].maxqueue, s[1].maxqueue), (Some(256), None));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    assert!(c.to_haproxy_cfg().contains("maxqueue 256"));
    let c = ok(&with_backend(
        "    balance source\n    server a 127.0.0.1:81 maxqueue 5\n",
    ));
    warned(
        &c,
        6,
        "'maxqueue' is accepted but lbtop does not apply it yet: with 'balance source'",
    );
}

#[test]
fn on_error_and_error_limit_load_with_a_warning() {
    let c = ok(&with_backend(
        "    server a 127.0.0.1:81 check on-error mark-down error-limit 5\n",
    ));
    warned(
        &c,
        5,
        "server 'a': 'on-error' ignored: it acts on the errors that 'observe' counts",
    );
    warned(&c, 5, "server 'a': 'error-limit' ignored");
    fails(
        &with_backend("    server a 127.0.0.1:81 on-error explode\n"),
        5,
        &["'on-error' expects one of 'fastinter'"],
    );
}

#[test]
fn errorfile_is_read_at_load_and_named_on_errors() {
    let dir = std::env::temp_dir().join(format!("lbtop-errorfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("503.http");
    std::fs::write(
        &good,
        "HTTP/1.0 503 Service Unavailable\r\nX: y\r\n\r\nsorry\n",
    )
    .unwrap();
    let bad = dir.join("bad.http");
    std::fs::write(&bad, "not http at all\n").unwrap();
    let (good, bad) = (good.display().to_string(), bad.display().to_string());
    std::fs::write(format!("{good}.old"), "HTTP/1.0 503 Old\r\n\r\n").unwrap();
    let c = ok(&format!(
        "defaults\n    mode http\n    errorfile 503 {good}.old\n    errorfile 503 {good}\n{}",
        with_backend("")
    ));
    let files = &c.backends[0].options.errorfiles;
    assert_eq!(
        files.len(),
        1,
        "a later errorfile for a status replaces the earlier"
    );
    assert_eq!(
        files[0].bytes,
        b"HTTP/1.0 503 Service Unavailable\r\nX: y\r\n\r\nsorry\n"
    );
    assert!(c
        .to_haproxy_cfg()
        .contains(&format!("    errorfile 503 {good}\n")));
    fails(
        &format!("defaults\n    errorfile 503 {bad}\n"),
        2,
        &["unable to parse", "as an HTTP response"],
    );
    fails(
        "defaults\n    errorfile 503 /nonexistent/503.http\n",
        2,
        &["errorfile : error opening file '/nonexistent/503.http'"],
    );
    fails(
        &format!("defaults\n    errorfile 599 {good}\n"),
        2,
        &["errorfile : status code '599' not handled"],
    );
    fails("defaults\n    errorfile 503\n", 2, &["'errorfile'"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn http_check_expect_rules_and_comments() {
    use crate::config::{Expect, ExpectMatch};
    let c = ok("defaults
    mode http
    option httpchk GET /d
    http-check expect status 200
backend b0
backend b1
    option httpchk GET /x
    http-check comment c1
    http-check expect ! rstatus ^5
    http-check expect string ok comment own
backend b2
    http-check expect rstring \"^up\"
    option httpchk HEAD /y
backend b3
    option httpchk
    http-check comment c2
    http-check send meth GET body \"a b\"
    http-check expect status 200-299,302
");
    let expects = |n: &str| match &c.backend(n).unwrap().check {
        HealthCheck::Http(h) => h.expect.clone(),
        other => panic!("{n} is {other:?}"),
    };
    let e = |negate, what, comment: Option<&str>| Expect {
        negate,
        what,
        comment: comment.map(String::from),
    };
    // Nothing of its own: the defaults' rules, expect included.
    assert_eq!(
        expects("b0"),
        [e(false, ExpectMatch::Status("200".into()), None)]
    );
    // A comment rule covers the rules after it; a rule's own comment wins.
    assert_eq!(
        expects("b1"),
        [
            e(true, ExpectMatch::Rstatus("^5".into()), Some("c1")),
            e(false, ExpectMatch::String("ok".into()), Some("own")),
        ]
    );
    // `option httpchk` after an expect gives the request and keeps the expect.
    assert_eq!(
        expects("b2"),
        [e(false, ExpectMatch::Rstring("^up".into()), None)]
    );
    let HealthCheck::Http(h) = &c.backend("b2").unwrap().check else {
        panic!()
    };
    assert_eq!((h.method.as_str(), h.path.as_str()), ("HEAD", "/y"));
    let HealthCheck::Http(h) = &c.backend("b3").unwrap().check else {
        panic!()
    };
    assert_eq!(h.body, "a b");
    // A request between them ends the comment's reach (measured on HAProxy 2.6).
    assert_eq!(
        expects("b3"),
        [e(false, ExpectMatch::Status("200-299,302".into()), None)]
    );

    // `lbtop export` writes the rules back: the same checks load again.
    let again = ok(&c.to_haproxy_cfg());
    for b in &c.backends {
        assert_eq!(again.backend(&b.name).unwrap().check, b.check, "{}", b.name);
    }

    // Its own rules without a request: HAProxy would send nothing and time out.
    fails(
        "defaults\n    mode http\n    option httpchk GET /d\nbackend b\n    server s 127.0.0.1:81 check\n    http-check expect status 200\n",
        6,
        &["send no request", "option httpchk"],
    );
    for (rule, want) in [
        ("http-check expect status 2xx", "not a list of status codes"),
        ("http-check expect rstring (", "invalid regex '('"),
        (
            "http-check expect min-recv 10 string x",
            "'http-check expect ... min-recv' is not supported",
        ),
        ("http-check expect statu 200", "did you mean 'status'?"),
        ("http-check expect status", "'status' expects an argument"),
        ("http-check expect", "expects a pattern"),
        ("http-check expect status 200 string x", "only one pattern"),
        ("http-check comment", "expects a string"),
    ] {
        fails(
            &with_backend(&format!("    option httpchk\n    {rule}\n")),
            6,
            &[want],
        );
    }
}

#[test]
fn keywords_a_side_cannot_use_are_ignored_with_haproxys_warning() {
    let c = ok("defaults
    mode http
    retries 4
frontend f
    bind :80
    retries 9
    balance first
    option redispatch
    option httpchk
    http-check send meth GET
    timeout server 3s
    option log-health-checks
    option allbackups
    default_backend b
backend b
    maxconn 5
    timeout client 3s
    default_backend b
    option dontlognull
    option httplog
    option tcplog
    bind :81
");
    for (line, what) in [
        (
            6,
            "'retries' ignored because frontend 'f' has no backend capability",
        ),
        (7, "'balance' ignored"),
        (8, "'redispatch' ignored"),
        (9, "'httpchk' ignored"),
        (10, "'http-check' ignored"),
        (11, "'timeout server' ignored because frontend 'f'"),
        (12, "'log-health-checks' ignored"),
        (13, "'allbackups' ignored"),
        (
            16,
            "'maxconn' ignored because backend 'b' has no frontend capability",
        ),
        (17, "'timeout client' ignored because backend 'b'"),
        (18, "'default_backend' ignored"),
        (19, "'dontlognull' ignored"),
        (
            20,
            "backend 'b' : 'option httplog' directive is ignored in backends",
        ),
        (21, "'option tcplog' directive is ignored in backends"),
        (22, "'bind' ignored because backend 'b'"),
    ] {
        warned(&c, line, what);
    }
    assert_eq!(c.warnings.len(), 15);
    let f = &c.frontends[0];
    assert_eq!(
        f.options.retries, 4,
        "the frontend's own retries is ignored"
    );
    assert!(!f.options.redispatch && f.timeouts.server.is_none());
    let b = &c.backends[0];
    assert!(b.timeouts.client.is_none() && !b.options.httplog && !b.options.dontlognull);
    fails(
        "frontend f\n    bind :1\n    server s 127.0.0.1:1\n",
        3,
        &["'server' not allowed because frontend 'f' has no backend capability"],
    );
    // Refused in the same words as 'server', naming the frontend once.
    let e = fails("frontend f\n    default-server check\n", 2, &[]);
    assert_eq!(
        e.message,
        "'default-server' not allowed because frontend 'f' has no backend capability"
    );
    fails(
        "defaults\n    bind :80\n",
        2,
        &["'bind' not allowed in 'defaults' section"],
    );
    fails(
        "defaults\n    server s 127.0.0.1:1\n",
        2,
        &["'server' not allowed in 'defaults' section"],
    );
}

#[test]
fn httplog_and_tcplog_override_each_other() {
    let c = ok("defaults\n    option httplog\n    option tcplog\n");
    warned(
        &c,
        3,
        "'option tcplog' overrides previous 'option httplog' in 'defaults' section",
    );
    let c = ok("defaults\n    option httplog\nfrontend f\n    bind :1\n    option tcplog\n    default_backend b\nbackend b\n");
    assert!(c.warnings.is_empty(), "inherited: no warning");
    assert!(c.frontends[0].options.tcplog && !c.frontends[0].options.httplog);
}

#[test]
fn addresses() {
    let bind = |s: &str| {
        let all = bind_addrs(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        all.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(bind("127.0.0.1:80"), "127.0.0.1:80");
    assert_eq!(bind("*:80"), "0.0.0.0:80");
    assert_eq!(bind(":80"), "0.0.0.0:80");
    assert_eq!(bind("ipv4@:80"), "0.0.0.0:80");
    assert_eq!(bind("[::1]:80"), "[::1]:80");
    assert_eq!(bind("::1:80"), "[::1]:80");
    assert_eq!(bind(":::80"), "[::]:80");
    assert_eq!(bind("ipv6@:80"), "[::]:80");
    assert_eq!(bind("tcp@10.1.2.3:0"), "10.1.2.3:0");
    assert_eq!(bind("1.2.3.4:80-82"), "1.2.3.4:80,1.2.3.4:81,1.2.3.4:82");
    assert_eq!(bind(":80,[::1]:81"), "0.0.0.0:80,[::1]:81");
    assert_eq!(bind("ipv6@:8000-8001"), "[::]:8000,[::]:8001");
    for (bad, why) in [
        ("127.0.0.1", "has no port"),
        ("127.0.0.1:", "has no port"),
        ("localhost:80", "does not resolve host names"),
        ("1.2.3.4:81-80", "invalid port range 81-80"),
        ("1.2.3.4:0-2", "invalid port range 0-2"),
        ("1.2.3.4:80-x", "invalid port 'x'"),
        ("1.2.3.4:+1", "port range or offset"),
        ("1.2.3.4:70000", "invalid port '70000'"),
        (":80,localhost:81", "does not resolve host names"),
        (
            "/run/x.sock",
            "is a unix socket; lbtop listens on TCP addresses only",
        ),
        ("unix@/run/x.sock", "is a unix socket"),
        ("fd@3", "TCP addresses only"),
        ("ipv4@[::1]:80", "IPv4 prefix on an IPv6 address"),
        ("ipv6@127.0.0.1:80", "IPv6 prefix on an IPv4 address"),
    ] {
        let e = bind_addrs(bad).expect_err(bad);
        assert!(e.contains(why), "{bad}: {e}");
    }
    let read = |s: &str| server_addr(s).map(|(a, off)| format!("{a} {off:?}"));
    for (s, want) in [
        ("192.168.33.10:80", "192.168.33.10:80 None"),
        ("ipv6@::1:8080", "[::1]:8080 None"),
        // The address the client reached: 0.0.0.0 here.
        ("*:80", "0.0.0.0:80 None"),
        (":80", "0.0.0.0:80 None"),
        // The port the client reached, plus an offset.
        ("10.0.0.1", "10.0.0.1:0 Some(0)"),
        ("[::1]", "[::1]:0 Some(0)"),
        ("*", "0.0.0.0:0 Some(0)"),
        ("10.0.0.1:0", "10.0.0.1:0 Some(0)"),
        ("10.0.0.1:+100", "10.0.0.1:0 Some(100)"),
        ("10.0.0.1:-10", "10.0.0.1:0 Some(-10)"),
        ("ipv6@::1:+1", "[::1]:0 Some(1)"),
    ] {
        assert_eq!(read(s).as_deref(), Ok(want), "{s}");
    }
    for (bad, why) in [
        ("10.0.0.1:+x", "invalid port offset '+x'"),
        ("10.0.0.1:+70000", "invalid port offset"),
        ("10.0.0.1:80-90", "port range"),
        ("/run/s.sock", "TCP servers only"),
    ] {
        let e = server_addr(bad).expect_err(bad);
        assert!(e.contains(why), "{bad}: {e}");
    }
    assert!(fixed_addr("*:53")
        .unwrap_err()
        .contains("not an IP address: '*'"));
    assert!(fixed_addr(":53").unwrap_err().contains("has no address"));
    assert!(fixed_addr("10.0.0.1").unwrap_err().contains("has no port"));
    assert_eq!(log_addr("127.0.0.1").unwrap().to_string(), "127.0.0.1:514");
    assert_eq!(log_addr("stdout"), Ok(LogAddr::Fd(1)));
    assert_eq!(log_addr("fd@2"), Ok(LogAddr::Fd(2)));
    assert_eq!(log_addr("fd@7").unwrap().to_string(), "fd@7");
    assert_eq!(log_addr("/dev/log"), Ok(LogAddr::Unix("/dev/log".into())));
    assert_eq!(log_addr("unix@/a b").unwrap().to_string(), "/a b");
    assert_eq!(log_addr("unix@rel").unwrap().to_string(), "unix@rel");
    assert_eq!(
        log_addr("udp@127.0.0.1:5514").unwrap().to_string(),
        "127.0.0.1:5514"
    );
    assert_eq!(log_addr("[::1]").unwrap().to_string(), "[::1]:514");
    assert_eq!(log_addr("[::1]:9").unwrap().to_string(), "[::1]:9");
    for bad in ["abns@x", "ring@buf", "tcp@1.2.3.4:514"] {
        assert!(
            log_addr(bad)
                .unwrap_err()
                .contains("not to a stream socket"),
            "{bad}"
        );
    }
    for bad in ["fd@", "fd@x", "fd@-1", "fd@+1"] {
        assert!(
            log_addr(bad)
                .unwrap_err()
                .contains("is not a valid integer in 'fd@"),
            "{bad}"
        );
    }
    assert_eq!(octal_mode("600"), Ok(0o600));
    assert_eq!(octal_mode("0660"), Ok(0o660));
    for bad in ["999", "", "-1", "+7", "77777", "6x"] {
        assert!(octal_mode(bad).is_err(), "{bad}");
    }
}

#[test]
fn errors_name_the_line_the_keyword_and_the_closest_keyword() {
    let e = fails(
        "global\n    maxconn 10\n\ndefaults\n    optoin httplog\n",
        5,
        &[],
    );
    assert_eq!(
        e.to_string(),
        "t.cfg:5: unknown keyword 'optoin' in 'defaults' section; did you mean 'option'?"
    );
    let e = fails(
        &with_backend("    server web10 127.0.0.1:80 check inetr 3s\n"),
        5,
        &[],
    );
    assert_eq!(
        e.message,
        "backend 'b': server 'web10': unknown keyword 'inetr'; did you mean 'inter'?"
    );
    let cases: &[(&str, usize, &[&str])] = &[
            ("global\n  chrot /x\n", 2, &["unknown keyword 'chrot' in 'global' section; did you mean 'chroot'?"]),
            ("\n# c\nmode http\n", 3, &["unknown keyword 'mode' out of section"]),
            ("frontnd x\n", 1, &["out of section; did you mean 'frontend'?"]),
            ("frontend f\n    bnid :80\n", 2, &["in 'frontend' section; did you mean 'bind'?"]),
            ("backend b\n    xyzzy 1\n", 2, &["unknown keyword 'xyzzy' in 'backend' section"]),
            ("defaults\n    option httplgo\n", 2, &["unknown option 'httplgo'; did you mean 'httplog'?"]),
            ("defaults\n    option checkcache\n", 2, &["'option checkcache' is not supported by lbtop"]),
            ("defaults\n    option disable-on-404\n", 2, &["unknown option 'disable-on-404'"]),
            ("frontend f\n    acl a bool(yes)\n", 2, &["Expects 'true', 'false', '0' or '1' in ACL expression 'bool(yes)'."]),
            ("backend b\n    http-check disable-on-404 x\n", 2, &["'http-check' cannot handle unexpected argument 'x'."]),
            ("defaults\n    no option httplog\n", 2, &["negation/default is not supported for option 'httplog'"]),
            ("defaults\n    no mode\n", 2, &["'no mode'"]),
            ("defaults\n    default option redispatch\n", 2, &["'default option ...' is not supported"]),
            ("defaults\n    no option forwardfor\n", 2, &["negation/default is not supported for option 'forwardfor'"]),
            ("defaults\n    option\n", 2, &["'option' expects an option name"]),
            ("defaults\n    option dontlognull x\n", 2, &["cannot handle unexpected argument 'x'"]),
            ("defaults\n    timeout conect 5s\n", 2, &["'timeout' supports", "(got 'conect'); did you mean 'connect'?"]),
            ("defaults\n    timeout client\n", 2, &["'timeout client' expects a time value"]),
            ("defaults\n    timeout client 5s 6s\n", 2, &["unexpected argument '6s'"]),
            ("defaults\n    timeout check 10S\n", 2, &["'timeout check'", "unknown time unit 'S'"]),
            ("defaults\n    clitimeout soon\n", 2, &["'timeout client'", "not a time value"]),
            ("defaults\n    balance roundrobbin\n", 2, &["'balance' only supports", "did you mean 'roundrobin'?"]),
            ("defaults\n    balance\n", 2, &["'balance' only supports"]),
            ("defaults\n    balance uri whole\n", 2, &["options of the algorithm are not supported"]),
            ("defaults\n    balance url_param id\n", 2, &["'balance url_param' is not supported"]),
            ("defaults\n    balance hdr()\n", 2, &["requires an http header field name"]),
            ("defaults\n    mode htp\n", 2, &["unknown proxy mode 'htp'", "did you mean 'http'?"]),
            ("defaults\n    mode health\n", 2, &["unknown proxy mode 'health'"]),
            ("defaults\n    retries -1\n", 2, &["'retries' must be at least 0, got -1"]),
            ("defaults\n    retries x\n", 2, &["'retries' expects an integer, got 'x'"]),
            ("defaults\n    maxconn 0\n", 2, &["'maxconn' must be at least 1, got 0"]),
            ("defaults\n    maxconn 99999999999\n", 2, &["'maxconn' must be at least 1"]),
            ("defaults\n    log 127.0.0.1 local9\n", 2, &["unknown log facility 'local9'", "did you mean 'local0'?"]),
            ("defaults\n    log 127.0.0.1 local0 bogus\n", 2, &["unknown optional log level 'bogus'"]),
            ("defaults\n    log 127.0.0.1 local0 info notice extra\n", 2, &["unexpected argument 'extra'"]),
            ("defaults\n    log 127.0.0.1 format raw len 100 local0\n", 2, &["unknown log facility 'len'"]),
            ("defaults\n    log 127.0.0.1 len 10 local0\n", 2, &["'len' must be between 80 and 65535, got 10"]),
            ("defaults\n    log 127.0.0.1 format json local0\n", 2, &["unknown log format 'json'"]),
            ("defaults\n    log 127.0.0.1 sample 1:2 local0\n", 2, &["'sample' (sending only some of the messages) is not supported by lbtop"]),
            ("defaults\n    log 127.0.0.1\n", 2, &["expects <address> and <facility>"]),
            ("defaults\n    log fd@x local0\n", 2, &["log: address file descriptor 'x' is not a valid integer in 'fd@x'"]),
            ("defaults\n    log ring@r local0\n", 2, &["not to a stream socket, a ring"]),
            ("defaults\n    log stdout\n", 2, &["expects <address> and <facility>"]),
            ("defaults\n    log\n", 2, &["expects <address> and <facility>"]),
            ("defaults\n    log stdout local8\n", 2, &["unknown log facility 'local8'", "did you mean 'local0'?"]),
            ("defaults\n    log stdout format rfc3146 local0\n", 2, &["unknown log format 'rfc3146'", "did you mean 'rfc3164'?"]),
            ("defaults\n    log stdout format\n", 2, &["'format' expects a format name"]),
            ("defaults\n    log-tag\n", 2, &["'log-tag' expects a tag for use in syslog"]),
            ("defaults\n    log-tag a b\n", 2, &["'log-tag' cannot handle unexpected argument 'b'"]),
            ("global\n    log-tag\n", 2, &["'log-tag' expects a tag for use in syslog"]),
            ("defaults\n    no log x\n", 2, &["'no log' does not expect arguments"]),
            ("defaults\n    option dontlog-normal x\n", 2, &["cannot handle unexpected argument 'x'"]),
            ("defaults\n    log localhost local0\n", 2, &["does not resolve host names"]),
            ("defaults\n    log global x\n", 2, &["'log global' takes no argument"]),
            ("defaults\n    option forwardfor except\n", 2, &["expects <address>[/mask]"]),
            ("defaults\n    option forwardfor except 10.0.0.0/33\n", 2, &["prefix longer than 32"]),
            ("defaults\n    option forwardfor bogus\n", 2, &["only supports optional values"]),
            ("defaults\n    option forwardfor header\n", 2, &["expects <header_name>"]),
            ("defaults\n    use_backend b if x\n", 2, &["'use_backend' not allowed in 'defaults' section"]),
            ("defaults\n    acl a src 1.2.3.4\n", 2, &["'acl' not allowed in 'defaults' section"]),
            ("frontend f\n    use_backend b if x\n", 2, &["error detected while parsing switching rule : no such ACL : 'x'."]),
            ("frontend f\n    acl a path_reg (\n", 2, &["error detected while parsing ACL 'a' : regex '(' is invalid"]),
            ("frontend f\n    http-request set-foo x\n", 2, &["'http-request' expects allow, deny, tarpit, redirect, return", "got 'set-foo'"]),
            ("frontend f\n    http-request capture req.hdr(a) len 5\n", 2, &["'http-request capture' is not supported by lbtop"]),
            ("frontend f\n    http-request set-header X-A \"\"\n", 2, &["'http-request set-header' rule : expects exactly 2 arguments."]),
            ("frontend f\n    http-request set-header Content-Length 5\n", 2, &["lbtop does not let rules change 'content-length'"]),
            ("frontend f\n    http-response del-header con -m beg\n", 2, &["'http-response del-header' rule", "change 'content-length'"]),
            ("frontend f\n    http-request set-header X-A \"a\\r\\nX-B: 1\"\n", 2, &["refuses a control byte (0x0d)"]),
            ("frontend f\n    http-request set-header X:A b\n", 2, &["'X:A' is not a valid header name"]),
            ("frontend f\n    http-request replace-path ^/a\n", 2, &["expects exactly 2 arguments."]),
            ("frontend f\n    http-request set-path\n", 2, &["expects exactly 1 argument <format>."]),
            ("frontend f\n    http-response set-status 42\n", 2, &["expects an integer status code between 100 and 999."]),
            ("frontend f\n    http-response set-header X-P %[path]\n", 2, &["sample fetch <path> may not be reliably used here because it needs 'HTTP request headers'"]),
            ("frontend f\n    http-request set-header X-S %[status]\n", 2, &["needs 'HTTP response headers'"]),
            ("frontend f\n    http-response redirect location /x\n", 2, &["'http-response redirect' is not supported by lbtop"]),
            ("backend b\n    http-response deny deny_status 451\n", 2, &["status code '451' not handled by default"]),
            ("frontend f\n    http-request auth realm\n", 2, &["expects 'realm' followed by the realm name"]),
            ("frontend f\n    bind :80\n    http-request auth unless { http_auth(nope) }\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n", 3, &["unable to find userlist 'nope'"]),
            ("frontend f\n    http-request deny deny_status 302\n", 2, &["status code '302' not handled"]),
            ("frontend f\n    redirect foo /x\n", 2, &["(was 'foo')"]),
            ("frontend f\n    http-request redirect\n", 2, &["redirection type expected"]),
            ("frontend f\n    http-request redirect location /x code 305\n", 2, &["unsupported HTTP code '305'"]),
            ("frontend f\n    http-request return status 200 string abc\n", 2, &["a content type must be defined"]),
            ("defaults\n    default_backend\n", 2, &["'default_backend' expects a backend name"]),
            ("defaults\n    default-server chekc\n", 2, &["default-server: unknown keyword 'chekc'; did you mean 'check'?"]),
            ("global\n    maxconn 1\n    maxconn 2\n", 3, &["'maxconn' already specified at line 2"]),
            ("global\n    nbthread 0\n", 2, &["'nbthread' must be between 1 and 64, got 0"]),
            ("global\n    chroot\n", 2, &["'chroot' expects one argument"]),
            ("global\n    daemon now\n", 2, &["'daemon' expects no argument"]),
            ("global\n    uid x\n", 2, &["'uid' expects an integer"]),
            ("global\n    log global\n", 2, &["'log global' is meaningless in the global section"]),
            ("global\n    stats socket\n", 2, &["expects an address or a path"]),
            ("global\n    stats socket /s level god\n", 2, &["'level' only supports"]),
            ("global\n    stats socket /s mode 999\n", 2, &["'999' is not an octal permission mode"]),
            ("global\n    stats socket /s level\n", 2, &["'level' expects"]),
            ("global\n    stats socket /s bogus 1\n", 2, &["unknown keyword 'bogus'"]),
            ("global\n    stats socket /s expose-fd all\n", 2, &["'expose-fd' only supports 'listeners' (got 'all')"]),
            ("global\n    stats timeout 0\n", 2, &["'stats timeout' expects a positive value"]),
            ("global\n    stats sockt /a\n", 2, &["'stats sockt'", "did you mean 'socket'?"]),
            ("global\n    tune.bufsiz 1\n", 2, &["unknown keyword 'tune.bufsiz'", "did you mean 'tune.bufsize'?"]),
            ("global\n    tune.bufsize\n", 2, &["'tune.bufsize' expects one argument"]),
            ("global\n    nbproc 1\n", 2, &["'nbproc' is not supported any more since HAProxy 2.5"]),
            ("global\n    spread-checks 60\n", 2, &["'spread-checks' must be between 0 and 50, got 60"]),
            ("global\n    spread-checks\n", 2, &["'spread-checks' expects an integer argument (0..50)"]),
            ("global\n    hard-stop-after x\n", 2, &["'hard-stop-after'"]),
            ("global\n    quiet 1\n", 2, &["'quiet' expects no argument"]),
            ("global\n    maxpipes lots\n", 2, &["'maxpipes' expects an integer"]),
            ("global\n    cpu-map 1\n", 2, &["'cpu-map' expects"]),
            ("global x\n", 1, &["'global' takes no argument"]),
            ("peers p\n", 1, &["'peers' sections are not supported"]),
            (".if defined(X)\n", 1, &["conditional blocks"]),
            ("frontend\n", 1, &["'frontend' needs a name"]),
            ("frontend a!b\n", 1, &["character '!' is not permitted in frontend name 'a!b'"]),
            ("defaults a b\n", 1, &["'defaults' takes at most a name"]),
            ("backend b extra\n", 1, &["takes only a name"]),
            ("frontend f 1.2.3.4:80 1.2.3.4:81\n", 1, &["expected one address after the name"]),
            ("frontend f nosuch.invalid:80\n", 1, &["frontend 'f': address invalid address: 'nosuch.invalid' in 'nosuch.invalid:80'"]),
            ("frontend f\n    bind nosuch.invalid:80\n", 2, &["frontend 'f': 'bind' invalid address: 'nosuch.invalid' in 'nosuch.invalid:80'"]),
            ("frontend f\n    bind :80 ssl crt /x.pem\n", 2, &["'bind :80' : unable to stat SSL certificate from file '/x.pem' : No such file or directory."]),
            ("frontend f\n    bind :80 transparent\n", 2, &["'transparent' is not supported: lbtop binds only addresses of this machine"]),
            ("frontend f\n    bind :80 acept-proxy\n", 2, &["'acept-proxy': unknown bind option; did you mean 'accept-proxy'?"]),
            ("frontend f\n    bind :80 name\n", 2, &["'bind :80': 'name' expects an argument"]),
            ("frontend f\n    bind :80 backlog x\n", 2, &["'backlog' expects an integer, got 'x'"]),
            ("frontend f\n    bind :80-81 id 3\n", 2, &["'id' can only be used with a single socket"]),
            ("frontend f\n    bind :80 id 3\n    bind :81 id 3\n", 3, &["id 3 is already used by the bind at line 2"]),
            ("frontend f\n    bind /run/a.sock\n", 2, &["'/run/a.sock' is a unix socket"]),
            ("frontend f\n    bind\n", 2, &["'bind' expects an address"]),
            ("frontend f\n    bind 127.0.0.1\n", 2, &["'bind' '127.0.0.1' has no port"]),
            ("\n\nfrontend f\n    default_backend b\nbackend b\n", 3, &["frontend 'f' has no 'bind' line"]),
            ("frontend f\n    bind :1\n    default_backend hog\nbackend hoge\n", 3, &["unable to find required default_backend: 'hog'; did you mean 'hoge'?"]),
            ("frontend f\n    bind :1\n    default_backend f\n", 3, &["unable to find required default_backend: 'f'"]),
            ("frontend f\n    bind :1\n    mode http\n    default_backend b\nbackend b\n", 4, &["http frontend 'f' tries to use incompatible tcp backend 'b' (line 5) as its default backend (see 'mode')"]),
            ("frontend f\n    bind :1\n    use_backend b if TRUE\n    default_backend b\nbackend b\n    mode http\n", 4, &["tcp frontend 'f'", "HAProxy would upgrade the connection, lbtop does it only for a frontend with no 'use_backend'"]),
            ("frontend f\n  bind :1\n  default_backend b\nbackend b\n  server s 1.2.3.4:80\n  server s 1.2.3.4:81\n", 6, &["another server named 's' was already defined at line 5"]),
            ("backend b\n    server s\n", 2, &["expects <name> and <addr>:<port>"]),
            ("backend b\n    server s 1.2.3.4 check\n", 2, &["backend 'b': server 's' has neither service port nor check port"]),
            ("backend b\n    server s nosuchhost.invalid\n", 2, &["server 's': could not resolve address 'nosuchhost.invalid'"]),
            ("backend b\n    server s nosuchhost.invalid:80\n", 2, &["backend 'b': server 's': could not resolve address 'nosuchhost.invalid'"]),
            ("backend b\n    server s/x 1.2.3.4:80\n", 2, &["not permitted in server name 's/x'"]),
            ("backend b\n    server s 1.2.3.4:80 weight 300\n", 2, &["backend 'b': server 's': 'weight' must be between 0 and 256, got 300"]),
            ("backend b\n    server s 1.2.3.4:80 weight\n", 2, &["'weight' expects an argument"]),
            ("backend b\n    server s 1.2.3.4:80 inter 0\n", 2, &["'inter' must be greater than 0"]),
            ("backend b\n    server s 1.2.3.4:80 inter 3x\n", 2, &["'inter'", "unknown time unit 'x'"]),
            ("backend b\n    server s 1.2.3.4:80 fastinter 0\n", 2, &["'fastinter' must be greater than 0"]),
            ("backend b\n    server s 1.2.3.4:80 fall 0\n", 2, &["'fall' must be at least 1, got 0"]),
            ("backend b\n    server s 1.2.3.4:80 rise 0\n", 2, &["'rise' must be at least 1"]),
            ("backend b\n    server s 1.2.3.4:80 maxconn -1\n", 2, &["'maxconn' must be at least 0, got -1"]),
            ("backend b\n    server s 1.2.3.4:80 minconn 1\n", 2, &["'minconn' is not supported by lbtop"]),
            ("backend b\n    cookie S insert rewrite\n", 2, &["backend 'b': cookie 'rewrite', 'insert' and 'prefix' modes are incompatible."]),
            ("backend b\n    cookie S rewrite indirect\n", 2, &["cookie 'rewrite' and 'indirect' modes are incompatible."]),
            ("backend b\n    cookie S\n", 2, &["passive mode) is not supported by lbtop"]),
            ("backend b\n    cookie S insert maxidle 5s\n", 2, &["'cookie ... maxidle' is not supported by lbtop"]),
            ("backend b\n    cookie S insert attr a;b\n", 2, &["character '%x3B' is not permitted"]),
            ("backend b\n    cookie\n", 2, &["'cookie' expects <cookie_name> as argument."]),
            ("backend b\n    stick on src\n", 2, &["Proxy 'b': unable to find stick-table 'b'."]),
            ("backend b\n    stick-table type ip size 1 store gpc0\n", 2, &["'store' is not supported by lbtop"]),
            ("backend b\n    stick-table type ip\n", 2, &["stick-table: missing size."]),
            ("backend b\n    stick-table type bogus size 1\n", 2, &["stick-table: unknown type 'bogus'."]),
            ("backend b\n    stick-table type ip size 1\n    stick on src if nope\n", 3, &["'stick': error detected while parsing sticking condition : no such ACL : 'nope'"]),
            ("backend b\n    stick-table type ip size 1\n    stick on src table x\n", 3, &["'table') is not supported"]),
            ("backend b\n    stick-table type ip size 1\n    stick on req.hdr(x)\n", 3, &["'mode tcp' does not have"]),
            ("backend b\n    stick-table type ip size 1\n    stick on dst\n", 3, &["got 'dst'"]),
            ("backend b\n    server s 1.2.3.4:80 chekc\n", 2, &["unknown keyword 'chekc'; did you mean 'check'?"]),
            ("backend b\n    server s 1.2.3.4:80 zzz\n", 2, &["unknown keyword 'zzz'"]),
            ("defaults\n    mode \"http\n", 2, &["unmatched double quote at column 10"]),
            ("defaults\n    mode h\\x7\n", 2, &["'\\x' escape"]),
        ];
    for (text, line, want) in cases {
        fails(text, *line, want);
    }
    // The closest keyword is offered only when it is close.
    let e = fails("backend b\n    server s 1.2.3.4:80 zzz\n", 2, &[]);
    assert!(!e.message.contains("did you mean"), "{e}");
}

#[test]
fn environment_variables_reach_the_config() {
    let c = ok("frontend f\n    bind \":${PORT}\"\n    default_backend b\nbackend b\n    server s \"127.0.0.1:${NOPE-81}\"\n");
    assert_eq!(c.frontends[0].binds[0].addr.port(), 8080);
    assert_eq!(c.backends[0].servers[0].addr.port(), 81);
    // `${.LINE}` is `5`, which is no server keyword: the error proves it expanded.
    let e = fails(
        "backend b\n\n    server s 1.2.3.4:80 \"x${.LINE}\"\n",
        3,
        &[],
    );
    assert!(e.message.contains("unknown keyword 'x3'"), "{e}");
}

#[test]
fn an_empty_file_is_an_empty_config() {
    let c = ok("");
    assert!(c.frontends.is_empty() && c.backends.is_empty() && c.warnings.is_empty());
    let c = ok("global\ndefaults\n");
    assert_eq!(c.global.maxconn, None);
}

#[test]
fn mutated_seeds_never_panic() {
    let original = match crate::config::testkit::seed_path("haproxy.cfg") {
        Some(p) => std::fs::read(p).unwrap(),
        // Without the seed, mutate the export of lbtop's own config instead.
        None => {
            let p = crate::config::testkit::repo_root().join("config.toml");
            Config::load(&p).unwrap().to_haproxy_cfg().into_bytes()
        }
    };
    let alphabet = b" \t\n\r\"'\\#$:{}[]*@-_/.0123456789abksx\x00\x7f\xc3\xa9";
    let mut rng = crate::config::testkit::Rng(0x9E37_79B9_7F4A_7C15);
    let (mut oks, mut errs) = (0, 0);
    for round in 0..600 {
        let mut bytes = original.clone();
        crate::config::testkit::mutate(&mut bytes, &mut rng, alphabet);
        let text = String::from_utf8_lossy(&bytes);
        let lines = text.split('\n').count();
        match parse_with_env(Path::new("fuzz.cfg"), &text, &env) {
            Ok(c) => {
                oks += 1;
                for w in &c.warnings {
                    assert!((1..=lines).contains(&w.line), "round {round}: {w:?}");
                }
                // Whatever loads exports to something that loads the same way.
                let again = parse_with_env(Path::new("again.cfg"), &c.to_haproxy_cfg(), &env);
                assert!(again.is_ok(), "round {round}: {:?}", again.err());
            }
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
fn several_binds_with_their_options() {
    let c = ok("frontend f\n    bind 127.0.0.1:80,127.0.0.1:90-91 accept-proxy name edge\n    bind :::81 v6only id 7 backlog 10 maxconn 5\n    bind :82 process 1 thread 1\n    default_backend b\nbackend b\n    server s 127.0.0.1:1 send-proxy-v2 check-send-proxy\n");
    let binds = &c.frontends[0].binds;
    let addrs: Vec<String> = binds.iter().map(|b| b.addr.to_string()).collect();
    assert_eq!(
        addrs,
        [
            "127.0.0.1:80",
            "127.0.0.1:90",
            "127.0.0.1:91",
            "[::]:81",
            "0.0.0.0:82"
        ]
    );
    assert!(binds[..3]
        .iter()
        .all(|b| b.accept_proxy && b.name.as_deref() == Some("edge") && b.line == 2));
    let b = &binds[3];
    assert_eq!(
        (b.v6only, b.id, b.backlog, b.maxconn),
        (Some(true), Some(7), Some(10), Some(5))
    );
    assert!(!b.accept_proxy);
    assert_eq!(
        crate::config::Bind::labels(binds),
        ["edge", "edge", "edge", "7", "5"]
    );
    let s = &c.backends[0].servers[0];
    assert_eq!(
        (s.send_proxy, s.check_send_proxy),
        (Some(crate::config::ProxyVersion::V2), true)
    );
    let warned: Vec<&str> = c.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(
        warned[0].contains("'bind :82': 'process' ignored: lbtop is one process"),
        "{warned:?}"
    );
}

#[test]
fn log_plumbing_keywords() {
    let c = ok("global
    log stdout format raw local0
    log /dev/log local1 notice
    log fd@3 len 200 format short local2 info err
    log-send-hostname
    log-tag gtag
defaults
    log global
    log-tag dtag
    option dontlog-normal
    option log-separate-errors
frontend f
    bind 127.0.0.1:80
    default_backend b
backend b
    log-tag own
    option dontlog-normal
backend b2
    no log
");
    let g = &c.global;
    assert_eq!(g.log[0].addr, LogAddr::Fd(1));
    assert_eq!(g.log[0].format, Some(LogFormat::Raw));
    assert_eq!(g.log[1].addr, LogAddr::Unix("/dev/log".into()));
    assert_eq!((g.log[1].format, g.log[1].max_level), (None, 5));
    let l = &g.log[2];
    assert_eq!(
        (l.addr.clone(), l.len, l.format),
        (LogAddr::Fd(3), 200, Some(LogFormat::Short))
    );
    assert_eq!((l.max_level, l.min_level), (6, 3));
    assert_eq!(g.log_send_hostname.as_deref(), Some(""));
    assert_eq!(g.log_tag.as_deref(), Some("gtag"));
    let f = &c.frontends[0];
    assert_eq!(
        f.log_tag.as_deref(),
        Some("dtag"),
        "inherited from defaults"
    );
    assert!(f.log_global && f.options.dontlog_normal && f.options.log_separate_errors);
    assert_eq!(c.backends[0].log_tag.as_deref(), Some("own"));
    assert!(!c.backends[1].log_global, "no log");
    // HAProxy's own capability warning, as for dontlognull.
    warned(
        &c,
        17,
        "'dontlog-normal' ignored because backend 'b' has no frontend capability",
    );
    // Errors name the file, the line and the keyword.
    for (text, line, full) in [
        (
            "defaults\n    log stdout local8\n",
            2,
            "t.cfg:2: defaults: log: unknown log facility 'local8'; did you mean 'local0'?",
        ),
        (
            "global\n    log\n",
            2,
            "t.cfg:2: global: 'log' expects <address> and <facility> as arguments (e.g. log 127.0.0.1 local0)",
        ),
        (
            "frontend f\n    bind :80\n    log stdout format jsn local0\n",
            3,
            "t.cfg:3: frontend 'f': log: unknown log format 'jsn' (one of local, rfc3164, rfc5424, priority, short, timed, iso, raw)",
        ),
    ] {
        assert_eq!(fails(text, line, &[]).to_string(), full);
    }
    // HAProxy reads only the first word of log-send-hostname.
    let c = ok("global\n    log-send-hostname a b\n");
    assert_eq!(c.global.log_send_hostname.as_deref(), Some("a"));
}

// -- host names, init-addr, server-template, environment ---------------------------------

fn servers_of(body: &str) -> Vec<Server> {
    ok(&with_backend(body)).backends[0].servers.clone()
}

#[test]
fn a_host_name_resolves_at_start_and_is_kept() {
    let s = &servers_of("    server s1 localhost:8081\n")[0];
    assert_eq!(s.addr, "127.0.0.1:8081".parse::<SocketAddr>().unwrap());
    let host = s.host.as_ref().unwrap();
    assert_eq!((host.name.as_str(), host.resolved), ("localhost", true));
    assert!(!s.starts_in_maint());
    // An IP address has no host name.
    assert!(servers_of("    server s1 127.0.0.1:1\n")[0].host.is_none());
}

#[test]
fn init_addr_methods_are_tried_in_order() {
    let c = ok(&with_backend(
        "    server a nosuchhost.invalid:80 init-addr none
    server b nosuchhost.invalid:80 init-addr last,libc,none
    server c nosuchhost.invalid:80 init-addr libc,127.0.0.9
    server d nosuchhost.invalid:80 init-addr last,none
    server e localhost:80 init-addr none,libc
    server f localhost:80 init-addr libc,none
",
    ));
    let s = &c.backends[0].servers;
    for i in [0, 1, 3, 4] {
        assert!(s[i].starts_in_maint(), "{}", s[i].name);
        assert_eq!(s[i].addr.port(), 80);
    }
    assert_eq!(s[2].addr, "127.0.0.9:80".parse::<SocketAddr>().unwrap());
    assert!(!s[2].starts_in_maint() && !s[5].starts_in_maint());
    // HAProxy's warnings: only where the system resolver failed first.
    warned(
        &c,
        6,
        "server 'b': could not resolve address 'nosuchhost.invalid', disabling server",
    );
    warned(&c, 7, "server 'c': could not resolve address 'nosuchhost.invalid', falling back to configured address");
    assert_eq!(c.warnings.len(), 2, "{:#?}", c.warnings);
}

#[test]
fn init_addr_and_name_errors_name_the_line_and_the_server() {
    let b = |body: &str| format!("backend b\n{body}");
    fails(
        &b("    server s nosuchhost.invalid:80 init-addr libc\n"),
        2,
        &["server 's': could not resolve address 'nosuchhost.invalid'"],
    );
    fails(
        &b("    server s nosuchhost.invalid:80 init-addr last\n"),
        2,
        &["server 's': no method found to resolve address 'nosuchhost.invalid'"],
    );
    fails(
        &b("    server s 127.0.0.1:80 init-addr bogus\n"),
        2,
        &["server 's': 'init-addr': unknown init-addr method 'bogus'"],
    );
    fails(
        &b("    server s localhost:80-90\n"),
        2,
        &["server 's': address 'localhost:80-90'"],
    );
    fails(&b("    default-server init-addr none\n    server s 1.2.3.4:1\n    server t nosuchhost.invalid:1 init-addr libc\n"), 4, &["server 't': could not resolve"]);
    // `default-server init-addr` applies to the servers after it.
    let s = servers_of("    default-server init-addr none\n    server s nosuchhost.invalid:1\n");
    assert!(s[0].starts_in_maint());
}

#[test]
fn server_template_makes_numbered_servers() {
    let s = servers_of(
        "    server-template web 3 localhost:81 check weight 5
    server-template api 2-3 127.0.0.1:82
    server-template x 2 nosuchhost.invalid:83 init-addr none
",
    );
    let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web1", "web2", "web3", "api2", "api3", "x1", "x2"]);
    assert!(s[..3]
        .iter()
        .all(|s| s.check && s.weight == 5 && s.addr.port() == 81));
    assert!(s[..3]
        .iter()
        .all(|s| s.host.as_ref().unwrap().name == "localhost"));
    assert!(s[5].starts_in_maint() && s[6].starts_in_maint());
    let b = |body: &str| format!("backend b\n{body}");
    for (bad, want) in [
        (
            "    server-template t 0 localhost:80\n",
            "wrong server-template number or range arg '0'",
        ),
        (
            "    server-template t 3-1 localhost:80\n",
            "wrong server-template number or range arg '3-1'",
        ),
        (
            "    server-template t x localhost:80\n",
            "wrong server-template number or range arg 'x'",
        ),
        (
            "    server-template t 2\n",
            "'server-template' expects <prefix> <nb | range> <addr>[:<port>]",
        ),
        (
            "    server-template t 2 nosuchhost.invalid:80\n",
            "server 't1': could not resolve address",
        ),
    ] {
        fails(&b(bad), 2, &[want]);
    }
    fails(
        &b("    server t2 127.0.0.1:1\n    server-template t 2 localhost:80\n"),
        3,
        &["another server named 't2' was already defined at line 2"],
    );
    // HAProxy reads the count with strtol(): trailing words are ignored.
    assert_eq!(
        servers_of("    server-template t 1-2-3 localhost:80\n").len(),
        2
    );
}

#[test]
fn variables_expand_in_addresses_quoted_or_not() {
    let c = ok("global
    setenv HOST localhost
    setenv P 81
frontend f
    bind 127.0.0.1:$PORT
    default_backend b
backend b
    server s1 ${HOST}:$P
    server s2 '127.0.0.$P':80
    server s3 \"127.0.0.1:${P}\"
    server s4 127.0.0.1:1$NOPE${NOPE}2
");
    assert_eq!(c.frontends[0].binds[0].addr.port(), 8080);
    let s = &c.backends[0].servers;
    let addrs: Vec<String> = s.iter().map(|s| s.addr.to_string()).collect();
    assert_eq!(
        addrs,
        [
            "127.0.0.1:81",
            "127.0.0.81:80",
            "127.0.0.1:81",
            "127.0.0.1:12"
        ]
    );
    assert_eq!(s[0].host.as_ref().unwrap().name, "localhost");
}

/// HAProxy resolves a `bind` name at start too (`bind localhost:8080` listens on 127.0.0.1).
#[test]
fn a_bind_host_name_resolves_at_start() {
    let c = ok("frontend f\n    bind localhost:$PORT\n    default_backend b\nbackend b\n");
    assert_eq!(
        c.frontends[0].binds[0].addr,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
}

#[test]
fn setenv_and_friends_apply_in_file_order() {
    let port = |text: &str| ok(text).frontends[0].binds[0].addr.port();
    let cfg = |global: &str| {
        format!("global\n{global}frontend f\n    bind \"127.0.0.1:${{A}}${{PORT}}\"\n    default_backend b\nbackend b\n")
    };
    // PORT is 8080 in the test environment.
    assert_eq!(port(&cfg("    setenv A 1\n")), 18080);
    assert_eq!(port(&cfg("    presetenv A 1\n    presetenv A 2\n")), 18080);
    assert_eq!(port(&cfg("    presetenv PORT 9\n")), 8080);
    assert_eq!(port(&cfg("    setenv PORT 9\n    setenv A 1\n")), 19);
    assert_eq!(port(&cfg("    setenv A 1\n    unsetenv A\n")), 8080);
    assert_eq!(port(&cfg("    setenv A 1\n    resetenv PORT\n")), 8080);
    assert_eq!(
        port(&cfg("    setenv A 1\n    resetenv A\n    setenv PORT 2\n")),
        12
    );
    // Before the setenv line, the variable is not set yet.
    let c = ok("frontend f\n    bind 127.0.0.1:1$A\n    default_backend b\nbackend b\nglobal\n    setenv A 2\n");
    assert_eq!(c.frontends[0].binds[0].addr.port(), 1);
    fails(
        "global\n    setenv A\n",
        2,
        &["global: 'setenv' expects a name and a value"],
    );
    fails(
        "global\n    presetenv\n",
        2,
        &["global: 'presetenv' expects a name and a value"],
    );
    fails(
        "global\n    unsetenv\n",
        2,
        &["global: 'unsetenv' expects at least one variable name"],
    );
    let c = ok(&cfg("    setenv A 3 4\n"));
    assert_eq!(c.frontends[0].binds[0].addr.port(), 38080);
    warned(
        &c,
        2,
        "global: 'setenv' takes a name and a value; '4' after them is ignored",
    );
}

#[test]
fn a_resolvers_section_is_read_with_haproxy_defaults() {
    let c = ok("resolvers dns\n    nameserver ns1 127.0.0.1:5353\n    nameserver ns2 udp@[::1]:53\n    hold valid 2s\n    hold obsolete 5s\n    timeout resolve 250ms\n    resolve_retries 2\n    accepted_payload_size 8192\n");
    let r = &c.global.resolvers[0];
    assert_eq!(r.name, "dns");
    let ns: Vec<String> = r
        .nameservers
        .iter()
        .map(|n| format!("{} {}", n.name, n.addr))
        .collect();
    assert_eq!(ns, ["ns1 127.0.0.1:5353", "ns2 [::1]:53"]);
    assert_eq!(
        (r.hold.valid, r.hold.nx, r.hold.obsolete),
        (
            Duration::from_secs(2),
            Duration::from_secs(30),
            Duration::from_secs(5)
        )
    );
    assert_eq!(
        (r.resolve, r.retry, r.retries),
        (Duration::from_millis(250), Duration::from_secs(1), 2)
    );
    warned(
        &c,
        8,
        "resolvers 'dns': 'accepted_payload_size' ignored: lbtop asks without EDNS0",
    );
}

#[test]
fn resolvers_errors_say_what_haproxy_says() {
    let b = |body: &str| format!("backend b\n{body}");
    let r = |body: &str| format!("resolvers dns\n{body}\n");
    fails(
        &r("    nameserver ns1"),
        2,
        &["'nameserver' expects <name> and <addr>[:<port>] as arguments"],
    );
    fails(
        &r("    nameserver ns1 tcp@127.0.0.1:53"),
        2,
        &["DNS over TCP"],
    );
    fails(&r("    hold foo 1s"), 2, &["'hold' unknown <event>: 'foo', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'"]);
    fails(
        &r("    hold valid"),
        2,
        &["'hold' expects an <event> and a <time> as arguments"],
    );
    fails(
        &r("    timeout foo 1s"),
        2,
        &["'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'foo'"],
    );
    fails(
        &r("    timeout resolve"),
        2,
        &["'timeout resolve' expects <time> as argument"],
    );
    fails(
        &r("    bogus 1"),
        2,
        &["unknown keyword 'bogus' in 'resolvers' section"],
    );
    fails(
        &r("    parse-resolv-conf"),
        2,
        &["'parse-resolv-conf' is not supported by lbtop"],
    );
    fails(
        &r("    resolution_pool_size 1"),
        2,
        &["not supported anymore"],
    );
    fails("resolvers\n", 1, &["'resolvers' expects exactly one name"]);
    fails(
        &r("    nameserver a 127.0.0.1:53\n    nameserver a 127.0.0.1:54"),
        3,
        &["nameserver 'a' has same name as another nameserver"],
    );
    fails(
        "resolvers dns\nresolvers dns\n",
        2,
        &["resolvers 'dns' has same name as another resolvers (declared at line 1)"],
    );
    warned(
        &ok("resolvers dns\n    hold valid 1s\n"),
        1,
        "resolvers 'dns' has no nameservers configured!",
    );
    fails(
        "backend b\n    server s 127.0.0.1:80 resolvers nope\n",
        2,
        &["backend 'b', server 's': unable to find required resolvers 'nope'"],
    );
    fails(
        &b("    server s 127.0.0.1:80 resolve-prefer ipv5\n"),
        2,
        &["'resolve-prefer' expects either ipv4 or ipv6 as argument"],
    );
    fails(&b("    server s 127.0.0.1:80 resolve-opts foo\n"), 2, &["unknown resolve-opts option 'foo', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'"]);
    fails(
        &b("    server s 127.0.0.1:80 resolve-net 10.0.0.0/8\n"),
        2,
        &["'resolve-net' is not supported by lbtop"],
    );
}

#[test]
fn with_resolvers_a_name_that_does_not_resolve_starts_in_maint() {
    let c = ok("resolvers dns\n    nameserver ns1 127.0.0.1:5353\nbackend b\n    server s nosuchhost.invalid:80 resolvers dns\n    server t localhost:80 resolvers dns resolve-prefer ipv4\n");
    let s = &c.backends[0].servers;
    assert!(s[0].unresolved() && s[0].starts_in_maint());
    assert_eq!(s[0].resolvers.as_deref(), Some("dns"));
    warned(
        &c,
        4,
        "server 's': could not resolve address 'nosuchhost.invalid', disabling server",
    );
    assert!(!s[1].unresolved());
    assert_eq!(s[1].resolve_prefer, Some(crate::config::Prefer::Ipv4));
}

// -- stickiness ---------------------------------------------------------------------

/// A `listen` section in `mode` around `body`, which starts at line 4.
fn listen(mode: &str, body: &str) -> String {
    format!("listen b\n    mode {mode}\n    bind 127.0.0.1:80\n{body}")
}

#[test]
fn cookies_are_read_and_ignored_with_haproxy_warnings_outside_http() {
    let c = ok(&listen(
        "http",
        "    cookie SRV insert indirect nocache domain abc\n    server s 127.0.0.1:80 cookie c1\n",
    ));
    let b = &c.backends[0];
    let cookie = b.cookie.as_ref().unwrap();
    assert_eq!(
        (cookie.name.as_str(), cookie.indirect, cookie.nocache),
        ("SRV", true, true)
    );
    assert_eq!(b.servers[0].cookie.as_deref(), Some("c1"));
    warned(&c, 4, "domain 'abc' contains no embedded dot");
    let c = ok(&listen(
        "tcp",
        "    cookie SRV insert\n    server s 127.0.0.1:80 cookie c1\n",
    ));
    warned(
        &c,
        4,
        "cookie will be ignored for listen 'b' (needs 'mode http').",
    );
    warned(
        &c,
        5,
        "listen 'b' : ignoring cookie for server 's' as HTTP mode is disabled.",
    );
    assert!(c.backends[0].cookie.is_none() && c.backends[0].servers[0].cookie.is_none());
    // `default-server` gives its cookie to the servers after it.
    let c = ok(&listen(
        "http",
        "    cookie S prefix\n    default-server cookie d\n    server s 127.0.0.1:80\n",
    ));
    assert_eq!(c.backends[0].servers[0].cookie.as_deref(), Some("d"));
}

#[test]
fn stick_tables_and_rules_are_read() {
    let c = ok(&listen(
        "http",
        "    stick-table type string len 8 size 1k expire 30s\n    stick on src\n    stick match hdr(x)\n    stick store-request cook(u)\n    server s 127.0.0.1:80\n",
    ));
    let b = &c.backends[0];
    let t = b.stick_table.as_ref().unwrap();
    assert_eq!(t.size, 1024);
    assert_eq!(t.key, crate::config::KeyType::String { len: 8 });
    let fetches: Vec<String> = b.stick_rules.iter().map(|r| r.fetch.words()).collect();
    assert_eq!(fetches, ["src", "req.hdr(x)", "req.cook(u)"]);
    fails(
        &listen(
            "tcp",
            "    stick-table type ip size 1\n    stick-table type ip size 2\n",
        ),
        5,
        &["conflicts with table declared in listen 'b' at line 4."],
    );
    fails(
        "defaults\n    stick on src\n",
        2,
        &["'stick' not allowed in 'defaults' section"],
    );
    fails(
        "defaults\n    stick-table type ip size 1\n",
        2,
        &["'stick-table' is not supported in 'defaults' section."],
    );
    fails(
        "frontend f\n    bind 127.0.0.1:80\n    stick-table type ip size 1 store conn_cur\n",
        3,
        &[
            "frontend 'f': 'stick-table' in a frontend",
            "is not supported by lbtop",
        ],
    );
}

// -- server state file (docs/haproxy-semantics.md §27.3) ------------------------------

#[test]
fn server_state_keywords() {
    fails(
        "global\n    server-state-file\n",
        2,
        &["'server-state-file' expect one argument: a file path."],
    );
    fails(
        "global\n    server-state-base\n",
        2,
        &["'server-state-base'"],
    );
    fails(
        &with_backend("    load-server-state-from-file bogus\n"),
        5,
        &["'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'bogus'"],
    );
    fails(
        &with_backend("    server-state-file-name a b\n"),
        5,
        &["'server-state-file-name'"],
    );
    let c = ok(&format!(
        "global\n    server-state-file s\n    server-state-base /b\ndefaults\n    \
         load-server-state-from-file local\n{}",
        with_backend("    server-state-file-name\n")
    ));
    assert_eq!(
        c.backends[0].server_state.load,
        crate::config::LoadState::Local
    );
    assert_eq!(c.backends[0].server_state.file_name, None);
    assert_eq!(c.global.server_state.file.as_deref(), Some("s"));
    // In a frontend it has nothing to load: warned, as HAProxy does.
    let c = ok("frontend f\n    bind 127.0.0.1:80\n    load-server-state-from-file global\n    default_backend b\nbackend b\n");
    warned(&c, 3, "load-server-state-from-file");
}

/// `monitor-uri` and `monitor fail`, with HAProxy 2.6's messages (measured with `haproxy -c`).
#[test]
fn monitor_keywords_and_their_messages() {
    let fe = |body: &str| {
        format!(
            "defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:80\n{body}    \
             default_backend b\nbackend b\n"
        )
    };
    let c = ok(&format!(
        "defaults\n    monitor-uri /inherited\n{}",
        fe("    acl dead nbsrv(b) lt 1\n    monitor fail if dead\n").replace("defaults\n", "")
    ));
    let m = c.frontends[0].monitor.as_ref().unwrap();
    assert_eq!((m.uri.as_str(), m.line), ("/inherited", 2));
    assert_eq!(m.fail[0].to_string(), "if dead");
    fails(
        &fe("    monitor foo\n"),
        5,
        &["'monitor' only supports 'fail'."],
    );
    fails(
        &fe("    monitor fail\n"),
        5,
        &["'monitor fail' requires either 'if' or 'unless' followed by a condition."],
    );
    fails(
        &fe("    monitor fail if nope\n"),
        5,
        &["no such ACL : 'nope'"],
    );
    fails(
        &fe("    monitor-uri\n"),
        5,
        &["'monitor-uri' expects an URI"],
    );
    fails(
        "defaults\n    monitor fail if TRUE\n",
        2,
        &["'monitor' not allowed in 'defaults' section"],
    );
    fails(
        &fe("    monitor-net 10.0.0.0/8\n"),
        5,
        &[
            "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 \
           if { src 10.0.0.0/8 }' instead.",
        ],
    );
    let c = ok(&format!("{}    monitor-uri /x\n", fe("")));
    warned(
        &c,
        7,
        "'monitor-uri' ignored because backend 'b' has no frontend capability",
    );
    let c = ok(
        "frontend f\n    bind 127.0.0.1:80\n    monitor-uri /x\n    default_backend b\nbackend b\n",
    );
    warned(
        &c,
        3,
        "monitor-uri will be ignored for frontend 'f' (needs 'mode http').",
    );
    assert!(c.frontends[0].monitor.is_none());
}

/// `compression`, with HAProxy 2.6's messages (measured with `haproxy -c`).
#[test]
fn compression_keywords_and_their_messages() {
    use crate::config::Algo;
    let c = ok(
        "defaults\n    mode http\n    compression algo gzip\n    compression offload\n\
        frontend f\n    bind 127.0.0.1:80\n    compression algo deflate raw-deflate\n    \
        compression type text/html\n    compression type application/json\n    \
        default_backend b\nbackend b\n    compression offload\n",
    );
    warned(
        &c,
        4,
        "'compression' : 'offload' ignored in 'defaults' section.",
    );
    let f = c.frontends[0].options.compression.as_ref().unwrap();
    assert_eq!(f.algos, [Algo::Gzip, Algo::Deflate, Algo::RawDeflate]);
    assert_eq!(f.types, ["text/html", "application/json"]);
    assert!(!f.offload);
    let b = c.backends[0].options.compression.as_ref().unwrap();
    assert!(b.offload && b.algos == [Algo::Gzip]);
    let one = |line: &str| with_backend(&format!("    {line}\n"));
    fails(
        &one("compression"),
        5,
        &["'compression' expects 'algo', 'type' or 'offload'"],
    );
    fails(
        &one("compression algo-req gzip"),
        5,
        &["expects 'algo', 'type' or 'offload'"],
    );
    fails(
        &one("compression algo br"),
        5,
        &["'compression' : 'br' is not a supported algorithm."],
    );
    fails(
        &one("compression algo"),
        5,
        &["'compression' expects <algorithm>."],
    );
    fails(
        &one("compression type"),
        5,
        &["'compression' expects <type>."],
    );
}

// -- issue 11: long-tail keywords ------------------------------------------------------

/// HAProxy 2.6 reads `inter 1s[` as `1s` and warns about the rest (measured); `1mx` is one
/// minute. A value with no unit before the junk (`3x`) stays an error (tested above).
#[test]
fn a_check_timer_with_junk_after_its_unit_warns() {
    let c = ok(&with_backend(
        "    server s 127.0.0.1:80 check inter 1s[ fastinter 1mx\n",
    ));
    let s = &c.backends[0].servers[0];
    assert_eq!(s.inter, Duration::from_secs(1));
    assert_eq!(s.fastinter, Some(Duration::from_secs(60)));
    warned(
        &c,
        5,
        "'inter': unexpected character '[' after the timer value '1s['",
    );
    warned(
        &c,
        5,
        "'fastinter': unexpected character 'x' after the timer value '1mx'",
    );
}

#[test]
fn a_nameserver_address_expands_variables() {
    let c = ok("resolvers dns\n    nameserver a ${EMPTY}127.0.0.1:${PORT}\n    nameserver b 127.0.0.2:$PORT\n");
    let r = &c.global.resolvers[0];
    assert_eq!(r.nameservers[0].addr.to_string(), "127.0.0.1:8080");
    assert_eq!(r.nameservers[1].addr.to_string(), "127.0.0.2:8080");
}

#[test]
fn tcp_smart_options_and_the_http_client_are_ignored_with_a_warning() {
    let c = ok(&format!(
        "global\n    httpclient.resolvers.prefer ipv4\n{}    option tcp-smart-accept\n    option tcp-smart-connect\n",
        "listen l\n    bind 127.0.0.1:80\n    server s 127.0.0.1:81\n"
    ));
    warned(&c, 2, "'httpclient.resolvers.prefer' ignored");
    warned(&c, 6, "'option tcp-smart-accept' ignored");
    warned(&c, 7, "'option tcp-smart-connect' ignored");
}

/// `http-check disable-on-404` is a proxy flag: inherited from `defaults`, exported, and
/// read without `option httpchk` (HAProxy accepts it there and it never applies).
#[test]
fn disable_on_404_is_a_flag_inherited_and_exported() {
    let c = ok("defaults\n    http-check disable-on-404\nbackend b\n    option httpchk\n    server a 127.0.0.1:81 check\nbackend c\n    server a 127.0.0.1:82\n");
    assert!(c.backends.iter().all(|b| b.options.disable_on_404));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    let out = c.to_haproxy_cfg();
    assert!(out.contains("    http-check disable-on-404\n"), "{out}");
    let again = ok(&out);
    assert!(again.backends.iter().all(|b| b.options.disable_on_404));
    assert!(
        !ok(&with_backend("    server a 127.0.0.1:81\n")).backends[0]
            .options
            .disable_on_404
    );
}

/// A stick rule's condition loads and is written back by `lbtop export`.
#[test]
fn stick_rule_conditions_round_trip() {
    let c = ok(&with_backend(
        "    acl skip req.hdr(x-skip) -m found\n    stick-table type ip size 10\n    \
         stick on src unless skip\n    server a 127.0.0.1:81\n",
    ));
    let rule = &c.backends[0].stick_rules[0];
    assert_eq!(
        rule.cond.as_ref().map(|c| c.words.join(" ")),
        Some("unless skip".into())
    );
    let out = c.to_haproxy_cfg();
    assert!(out.contains("    stick on src unless skip\n"), "{out}");
    assert!(ok(&out).backends[0].stick_rules[0].cond.is_some());
}
