//! Reading `tcp-check` rules, the protocol check options, the keep-alive options and
//! `hash-type`.

use crate::config::{
    Config, ExpectKind, HashFn, HashType, HealthCheck, ProtoCheck, TcpExpect, TcpRule,
};
use std::path::Path;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("t.cfg"), text).map_err(|e| e.to_string())
}

fn backend(body: &str) -> String {
    format!("defaults\n    mode tcp\nfrontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n{body}    server s 127.0.0.1:1 check\n")
}

fn check(body: &str) -> HealthCheck {
    parse(&backend(body)).unwrap().backends[0].check.clone()
}

fn error(body: &str) -> String {
    parse(&backend(body)).unwrap_err()
}

#[test]
fn tcp_check_rules_are_read_in_order() {
    let c = check(
        "    option tcp-check\n    tcp-check comment hi\n    tcp-check connect port 6379\n    tcp-check send PING\\r\\n\n    tcp-check send-binary 0d0a\n    tcp-check expect ! rstring ^-ERR\n    tcp-check expect !binary 2b\n",
    );
    let expect = |inverse, kind, pattern: &str| {
        TcpRule::Expect(TcpExpect {
            inverse,
            kind,
            pattern: pattern.into(),
        })
    };
    assert_eq!(
        c,
        HealthCheck::Rules(vec![
            TcpRule::Comment("hi".into()),
            TcpRule::Connect { port: Some(6379) },
            TcpRule::Send("PING\r\n".into()),
            TcpRule::SendBinary(vec![13, 10]),
            expect(true, ExpectKind::Rstring, "^-ERR"),
            expect(true, ExpectKind::Binary, "2b"),
        ])
    );
    assert_eq!(check("    option tcp-check\n"), HealthCheck::Rules(vec![]));
}

#[test]
fn rules_come_from_defaults_unless_the_section_writes_its_own() {
    let text = "defaults\n    mode tcp\n    option tcp-check\n    tcp-check send a\nbackend b1\n    server s 127.0.0.1:1 check\nbackend b2\n    tcp-check send b\n    server s 127.0.0.1:1 check\nfrontend f\n    bind 127.0.0.1:80\n    default_backend b1\n";
    let c = parse(text).unwrap();
    let rules = |i: usize| c.backends[i].check.clone();
    assert_eq!(
        rules(0),
        HealthCheck::Rules(vec![TcpRule::Send("a".into())])
    );
    assert_eq!(
        rules(1),
        HealthCheck::Rules(vec![TcpRule::Send("b".into())])
    );
}

#[test]
fn rules_without_option_tcp_check_are_ignored_with_haproxys_warning() {
    let c = parse(&backend("    tcp-check send x\n")).unwrap();
    assert_eq!(c.backends[0].check, HealthCheck::Tcp);
    assert!(
        c.warnings.iter().any(|w| w.line == 7
            && w.message
                == "backend 'b' uses tcp-check rules without 'option tcp-check', so the rules are ignored"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn bad_rules_name_the_line_and_the_rule() {
    for (body, want) in [
        ("    tcp-check foo\n", "t.cfg:7: backend 'b': 'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect'"),
        ("    tcp-check send\n", "t.cfg:7: backend 'b': 'tcp-check send' : 'string' expects a send as argument"),
        ("    tcp-check expect\n", "'tcp-check expect' : expects at least a matching pattern as arguments"),
        ("    tcp-check expect strin x\n", "but got 'strin' as argument"),
        ("    tcp-check expect string\n", "'string' expects a <pattern> as argument"),
        ("    tcp-check expect rstring (\n", "regex '(' is invalid"),
        ("    tcp-check send-binary zz\n", "'zz' invalid binary string"),
        ("    tcp-check connect port 0\n", "expects a valid TCP port (from range 1 to 65535)"),
        ("    tcp-check comment\n", "'tcp-check comment' : expects a string as argument"),
        ("    tcp-check send-lf x\n", "'tcp-check send-lf' is not supported by lbtop"),
        ("    tcp-check send x\n    tcp-check connect\n", "first step MUST also be a 'connect'"),
    ] {
        let e = error(body);
        assert!(e.contains(want), "{e}\nwanted: {want}");
    }
}

#[test]
fn protocol_check_options() {
    assert_eq!(
        check("    option redis-check\n"),
        HealthCheck::Proto(ProtoCheck::Redis)
    );
    assert_eq!(
        check("    option httpchk\n    option ssl-hello-chk\n"),
        HealthCheck::Proto(ProtoCheck::SslHello)
    );
    let smtp = |hello: &str| {
        HealthCheck::Proto(ProtoCheck::Smtp {
            hello: hello.into(),
        })
    };
    assert_eq!(check("    option smtpchk\n"), smtp("HELO localhost"));
    assert_eq!(
        check("    option smtpchk EHLO mx.example\n"),
        smtp("EHLO mx.example")
    );
    // Anything but HELO/EHLO falls back to the default greeting, as in HAProxy.
    assert_eq!(check("    option smtpchk FOO x\n"), smtp("HELO localhost"));
    let mysql = |user: Option<&str>, pre41| {
        HealthCheck::Proto(ProtoCheck::Mysql {
            user: user.map(Into::into),
            pre41,
        })
    };
    assert_eq!(check("    option mysql-check\n"), mysql(None, false));
    assert_eq!(
        check("    option mysql-check user hc\n"),
        mysql(Some("hc"), false)
    );
    assert_eq!(
        check("    option mysql-check user hc pre-41\n"),
        mysql(Some("hc"), true)
    );
    assert_eq!(
        check("    option ldap-check\n"),
        HealthCheck::Proto(ProtoCheck::Ldap)
    );
    assert_eq!(
        check("    option pgsql-check user pg\n"),
        HealthCheck::Proto(ProtoCheck::Pgsql { user: "pg".into() })
    );
    for (body, want) in [
        (
            "    option pgsql-check\n",
            "'option pgsql-check' expects 'user <username>' as argument",
        ),
        (
            "    option pgsql-check usr x\n",
            "'option pgsql-check' only supports optional values: 'user'",
        ),
        (
            "    option pgsql-check user x y\n",
            "cannot handle unexpected argument 'y'",
        ),
    ] {
        assert!(error(body).contains(want), "{}", error(body));
    }
    assert!(
        error("    option mysql-check usr hc\n").contains("only supports optional values: 'user'")
    );
    assert!(error("    option mysql-check user hc v5\n")
        .contains("only supports 'post-41' and 'pre-41'"));
    // The last check option wins.
    assert_eq!(
        check("    option redis-check\n    option httpchk\n    option tcp-check\n"),
        HealthCheck::Rules(vec![])
    );
    assert!(matches!(
        check("    option tcp-check\n    option httpchk\n"),
        HealthCheck::Http(_)
    ));
}

#[test]
fn keep_alive_options_apply_to_the_sides_a_section_has() {
    let text = "defaults\n    mode tcp\n    option tcpka\nfrontend f\n    bind 127.0.0.1:80\n    default_backend b\n    option srvtcpka\nbackend b\n    no option srvtcpka\n    option clitcpka\n    server s 127.0.0.1:1\n";
    let c = parse(text).unwrap();
    let (fe, be) = (&c.frontends[0].options, &c.backends[0].options);
    assert!(fe.clitcpka);
    assert!(!be.srvtcpka);
    assert!(c
        .warnings
        .iter()
        .any(|w| w.line == 7 && w.message.contains("srvtcpka")));
    assert!(c
        .warnings
        .iter()
        .any(|w| w.line == 10 && w.message.contains("clitcpka")));
    assert!(parse(&backend("    no option tcpka\n"))
        .unwrap_err()
        .contains("negation/default is not supported for option 'tcpka'"));
}

#[test]
fn hash_type_words() {
    let ht = |body: &str| parse(&backend(body)).unwrap().backends[0].hash_type;
    assert_eq!(ht(""), HashType::default());
    assert_eq!(
        ht("    hash-type consistent\n"),
        HashType {
            consistent: true,
            function: HashFn::Sdbm,
            avalanche: true
        }
    );
    assert_eq!(
        ht("    hash-type map-based crc32 avalanche\n"),
        HashType {
            consistent: false,
            function: HashFn::Crc32,
            avalanche: true
        }
    );
    assert!(!ht("    hash-type consistent sdbm\n").avalanche);
    for (body, want) in [
        (
            "    hash-type foo\n",
            "'hash-type' only supports 'consistent' and 'map-based'",
        ),
        (
            "    hash-type consistent none\n",
            "only supports 'sdbm', 'djb2', 'crc32', or 'wt6'",
        ),
        (
            "    hash-type map-based sdbm foo\n",
            "only supports 'avalanche' as a modifier",
        ),
    ] {
        let e = error(body);
        assert!(e.contains(want) && e.starts_with("t.cfg:7:"), "{e}");
    }
}

#[test]
fn internal_options_load_with_a_warning_naming_the_line() {
    let c = parse(&backend(
        "    option splice-auto\n    no option http-no-delay\n",
    ))
    .unwrap();
    for (line, name) in [
        (7, "'option splice-auto' ignored: "),
        (8, "'option http-no-delay' ignored: "),
    ] {
        assert!(
            c.warnings
                .iter()
                .any(|w| w.line == line && w.message.starts_with(name)),
            "{:?}",
            c.warnings
        );
    }
}
