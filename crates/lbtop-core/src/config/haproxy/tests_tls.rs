//! TLS keywords: how `bind ... ssl`, the global `ssl-*` lines and `server ... ssl` read, warn,
//! refuse, and write back through `lbtop export`. Certificates are made here by rcgen.

use crate::config::{Config, ServerSni, TlsVersion, Verify};
use std::path::Path;

/// A folder with `a.pem` (certificate and key) and `ca.pem` (the certificate alone).
fn certs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["a.example".to_string()]).unwrap();
    let (cert, key) = (made.cert.pem(), made.signing_key.serialize_pem());
    std::fs::write(dir.path().join("a.pem"), format!("{cert}{key}")).unwrap();
    std::fs::write(dir.path().join("ca.pem"), cert).unwrap();
    dir
}

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("t.cfg"), text).map_err(|e| e.to_string())
}

fn with_bind(dir: &Path, opts: &str) -> String {
    format!(
        "frontend f\n    bind 127.0.0.1:8443 ssl crt {}/a.pem {opts}\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n",
        dir.display()
    )
}

#[test]
fn tls_settings_round_trip_through_export() {
    let dir = certs();
    let d = dir.path().display();
    let text = format!(
        "global
    crt-base {d}
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256
frontend f
    bind 127.0.0.1:8443 ssl crt a.pem crt {d}/a.pem alpn http/1.1 strict-sni prefer-client-ciphers ciphersuites TLS_AES_128_GCM_SHA256 verify optional ca-file {d}/ca.pem
    bind 127.0.0.1:8444 ssl crt a.pem force-tlsv13
    default_backend b
backend b
    server s 127.0.0.1:443 ssl verify none sni str(x.example) alpn http/1.1
    server t 127.0.0.1:444 ssl ca-file {d}/ca.pem sni req.hdr(host)
"
    );
    let c = parse(&text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let tls = c.frontends[0].binds[0].tls.as_deref().unwrap();
    assert_eq!(tls.crts, [format!("{d}/a.pem"), format!("{d}/a.pem")]);
    assert_eq!(tls.min, Some(TlsVersion::Tls12));
    assert!(tls.no_tickets && tls.strict_sni && tls.prefer_client_ciphers);
    assert_eq!(tls.ciphers.as_deref(), Some("ECDHE-RSA-AES128-GCM-SHA256"));
    assert_eq!(tls.verify, Verify::Optional);
    let second = c.frontends[0].binds[1].tls.as_deref().unwrap();
    assert_eq!(
        (second.min, second.max),
        (Some(TlsVersion::Tls13), Some(TlsVersion::Tls13))
    );
    let s = &c.backends[0].servers;
    assert_eq!(s[0].tls.sni, Some(ServerSni::Fixed("x.example".into())));
    assert_eq!(s[1].tls.sni, Some(ServerSni::HostHeader));
    let out = c.to_haproxy_cfg();
    let back = parse(&out).unwrap_or_else(|e| panic!("{e}\n---\n{out}"));
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    let tls = |c: &Config| {
        c.frontends[0]
            .binds
            .iter()
            .map(|b| b.tls.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(tls(&c), tls(&back), "\n{out}");
    let servers = |c: &Config| {
        c.backends[0]
            .servers
            .iter()
            .map(|s| s.tls.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(servers(&c), servers(&back), "\n{out}");
}

#[test]
fn what_rustls_lacks_loads_with_a_warning_naming_the_line() {
    let dir = certs();
    for (opts, says) in [
        (
            "ssl-min-ver TLSv1.0",
            "the lowest version spoken is TLSv1.2",
        ),
        ("no-sslv3", "ignored: rustls never speaks SSLv3"),
        (
            "ciphers ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256",
            "no suite for DHE-RSA-AES128-GCM-SHA256",
        ),
        ("ciphers HIGH:!aNULL", "rustls's default suites are used"),
        ("alpn h2,http/1.1", "lbtop has no HTTP/2"),
        ("ecdhe secp384r1", "rustls negotiates its own groups"),
    ] {
        let c = parse(&with_bind(dir.path(), opts)).unwrap();
        let w: Vec<String> = c
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.line, w.message))
            .collect();
        assert!(
            w.iter().any(|w| w.starts_with("2: ") && w.contains(says)),
            "{opts}: {w:?}"
        );
    }
}

#[test]
fn tls_settings_lbtop_cannot_honour_are_refused() {
    let dir = certs();
    let d = dir.path().display();
    for (opts, says) in [
        (
            format!("crt-list {d}/list.txt"),
            "'crt-list' is not supported",
        ),
        ("ssl-max-ver TLSv1.1".into(), "no version would be left"),
        ("force-tlsv11".into(), "'force-tlsv11' is not supported"),
        (
            "verify required".into(),
            "verify is enabled but no CA file specified",
        ),
        (
            "ssl-min-ver TLSv1.4".into(),
            "'TLSv1.4' : unknown ssl/tls version",
        ),
    ] {
        let e = parse(&with_bind(dir.path(), &opts)).unwrap_err();
        assert!(e.contains("t.cfg:2") && e.contains(says), "{opts}: {e}");
    }
    let server = |opts: &str| {
        format!("frontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n    server s 127.0.0.1:443 {opts}\n")
    };
    let e = parse(&server("ssl")).unwrap_err();
    assert!(
        e.contains("t.cfg:5")
            && e.contains("'server b/s' : verify is enabled by default but no CA file specified"),
        "{e}"
    );
    let e = parse(&server("ssl verify none sni req.hdr(x-name)")).unwrap_err();
    assert!(
        e.contains("'sni str(<name>)' or 'sni req.hdr(host)'"),
        "{e}"
    );
    let ok = parse(&format!(
        "global\n    ssl-server-verify none\n{}",
        server("ssl")
    ))
    .unwrap();
    assert_eq!(ok.backends[0].servers[0].tls.verify, Some(false));
}

#[test]
fn crt_without_ssl_leaves_the_bind_plain_with_a_warning() {
    let dir = certs();
    let text = format!(
        "frontend f\n    bind 127.0.0.1:8443 crt {}/a.pem\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n",
        dir.path().display()
    );
    let c = parse(&text).unwrap();
    assert!(c.frontends[0].binds[0].tls.is_none());
    assert!(
        c.warnings
            .iter()
            .any(|w| w.message.contains("the bind stays plain TCP")),
        "{:?}",
        c.warnings
    );
}
