//! Differential tests for TLS on `bind` lines: the same haproxy.cfg to real HAProxy 2.6 and to
//! lbtop, with certificates made here by rcgen (written to a temporary directory, never
//! checked in), the same TLS clients (rustls, which accepts any certificate and reports the
//! one it was served); which certificate each SNI gets, what comes back and the log lines
//! must match (ports and timers masked).
//!
//! Skips, loudly, only when `haproxy` is not installed; `.ci/run` installs it.

mod common;
#[path = "common/contender.rs"]
mod contender;

use contender::{haproxy_available, Contender, Kind, LBTOP};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const GLOBAL: &str = "global\n    log {LOG} local6 debug\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

/// Test certificates: `a` names `a.example` and `*.a.test`, `b` names `b.example` and
/// `*.b.test`; each file holds the certificate and its key, as HAProxy takes them.
struct Certs {
    dir: tempfile::TempDir,
    a: Vec<u8>,
    b: Vec<u8>,
}

fn make(names: &[&str]) -> (String, String, Vec<u8>) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    (
        made.cert.pem(),
        made.signing_key.serialize_pem(),
        made.cert.der().to_vec(),
    )
}

impl Certs {
    fn new() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let (a_pem, a_key, a) = make(&["a.example", "*.a.test"]);
        let (b_pem, b_key, b) = make(&["b.example", "*.b.test"]);
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        write("a.pem", format!("{a_pem}{a_key}"));
        write("b.pem", format!("{b_pem}{b_key}"));
        // A directory whose first file by name is b's.
        std::fs::create_dir(dir.path().join("dir")).unwrap();
        write("dir/1-b.pem", format!("{b_pem}{b_key}"));
        write("dir/2-a.pem", format!("{a_pem}{a_key}"));
        // The key beside the certificate, in `<file>.key`.
        write("split.pem", a_pem.clone());
        write("split.pem.key", a_key.clone());
        // Broken ones.
        write("mismatch.pem", format!("{a_pem}{b_key}"));
        write("nokey.pem", a_pem);
        write("garbage.pem", "not a certificate\n".into());
        Certs { dir, a, b }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Which test certificate `der` is.
    fn which(&self, der: &[u8]) -> &'static str {
        if der == self.a {
            "a"
        } else if der == self.b {
            "b"
        } else {
            "other"
        }
    }
}

/// Accepts any certificate: the tests look at which one was served.
#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn client_config(sni: bool, alpn: &[&str]) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    config.enable_sni = sni;
    config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Arc::new(config)
}

/// Connects over TLS with `sni` (none when `None`), sends `request` and reads to the close:
/// the certificate served, the ALPN protocol agreed and the answer's first line (or how the
/// handshake failed).
fn tls_exchange(
    to: SocketAddr,
    sni: Option<&str>,
    alpn: &[&str],
    request: &[u8],
) -> (Vec<u8>, String, String) {
    let name = ServerName::try_from(sni.unwrap_or("unused.example").to_string()).unwrap();
    let conn = ClientConnection::new(client_config(sni.is_some(), alpn), name).unwrap();
    let tcp = TcpStream::connect(to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    if let Err(e) = tls.write_all(request) {
        return (Vec::new(), String::new(), format!("failed: {:?}", e.kind()));
    }
    let mut got = Vec::new();
    let read = tls.read_to_end(&mut got);
    let served = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default();
    let alpn = tls
        .conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "-".into());
    let first = match read {
        Ok(_) | Err(_) if !got.is_empty() => String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        Ok(_) => "closed".into(),
        Err(e) => format!("failed: {:?}", e.kind()),
    };
    (served, alpn, first)
}

/// An origin answering every request `ok` and closing.
fn origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut got = Vec::new();
                let mut chunk = [0u8; 4096];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n",
                );
            });
        }
    });
    addr
}

/// Runs `scenario` against HAProxy, then lbtop, each in front of its own origin `o1`, and
/// checks that both transcripts match. `{CERTS}` in the template is the certificates' folder.
fn same<F>(what: &str, template: &str, certs: &Certs, scenario: F) -> Vec<String>
where
    F: Fn(&Contender) -> Vec<String>,
{
    let template = template.replace("{CERTS}", &certs.dir.path().display().to_string());
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let servers = BTreeMap::from([("o1", origin())]);
        let c = Contender::start(kind, &template, &servers);
        scenario(&c)
    });
    assert_eq!(
        haproxy,
        lbtop,
        "{what}: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
    haproxy
}

/// The log lines after the first `from` once `needle` arrived, `%ac/%fc/...` masked.
fn lines_after(c: &Contender, from: usize, needle: &str) -> Vec<String> {
    c.sink.wait(needle, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    c.sink
        .lines_from(from)
        .into_iter()
        .map(|l| {
            l.split(' ')
                .map(|w| {
                    let parts: Vec<&str> = w.split('/').collect();
                    let counts = parts.len() == 5
                        && parts
                            .iter()
                            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                    if counts {
                        "CONNS"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

const GET: &[u8] = b"GET /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

#[test]
fn sni_picks_the_certificate_and_no_sni_gets_the_first() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem crt {{CERTS}}/b.pem\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    let seen = same("SNI", &template, &certs, |c| {
        let from = c.sink.count();
        let mut seen = Vec::new();
        let snis = [
            None,
            Some("a.example"),
            Some("B.EXAMPLE"),
            Some("x.b.test"),
            Some("y.x.b.test"),
            Some("www.a.test"),
            Some("unknown.example"),
        ];
        for sni in snis {
            let (served, _, first) = tls_exchange(c.addr(), sni, &[], GET);
            seen.push(format!("{sni:?}: {} {first}", certs.which(&served)));
        }
        seen.extend(lines_after(c, from, "GET /x"));
        seen
    });
    assert!(
        seen.contains(&"None: a HTTP/1.1 200 OK".to_string()),
        "{seen:#?}"
    );
    assert!(
        seen.contains(&"Some(\"x.b.test\"): b HTTP/1.1 200 OK".to_string()),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|l| l.contains(" fe~ be/s1 ")), "{seen:#?}");
}

#[test]
fn a_directory_and_a_key_beside_its_certificate_load_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/dir\n    bind 127.0.0.1:{{PORT2}} ssl crt {{CERTS}}/split.pem\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    let port2 = common::free_port();
    let template = template.replace("{PORT2}", &port2.to_string());
    let seen = same("crt forms", &template, &certs, |c| {
        let mut seen = Vec::new();
        for sni in [None, Some("a.example")] {
            let (served, _, first) = tls_exchange(c.addr(), sni, &[], GET);
            seen.push(format!("dir {sni:?}: {} {first}", certs.which(&served)));
        }
        let split = SocketAddr::from(([127, 0, 0, 1], port2));
        let (served, _, first) = tls_exchange(split, None, &[], GET);
        seen.push(format!("split: {} {first}", certs.which(&served)));
        seen
    });
    assert_eq!(seen[0], "dir None: b HTTP/1.1 200 OK", "{seen:#?}");
}

#[test]
fn plain_http_and_silent_clients_on_a_tls_bind_are_logged_as_haproxy_logs_them() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem alpn h2,http/1.1\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    same("plain on TLS", &template, &certs, |c| {
        let from = c.sink.count();
        let mut seen = Vec::new();
        // Plain HTTP: the handshake fails and nothing comes back.
        let mut s = TcpStream::connect(c.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(GET).unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        seen.push(format!("plain request: {} bytes back", got.len()));
        // A client that connects and closes.
        drop(TcpStream::connect(c.addr()).unwrap());
        c.sink.wait("during SSL handshake", Duration::from_secs(5));
        // A client offering only http/1.1 agrees on it with both. (One offering h2 too gets
        // h2 from HAProxy and http/1.1 from lbtop, which has no HTTP/2: not compared.)
        let (_, alpn, first) = tls_exchange(c.addr(), Some("a.example"), &["http/1.1"], GET);
        seen.push(format!("alpn http/1.1: {alpn} {first}"));
        seen.extend(lines_after(c, from, "GET /x"));
        seen
    });
}

#[test]
fn tls_in_tcp_mode_relays_the_plaintext() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nlisten fe\n    mode tcp\n    option tcplog\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    server s1 {{o1}}\n"
    );
    let seen = same("TLS in TCP mode", &template, &certs, |c| {
        let from = c.sink.count();
        let (served, _, first) = tls_exchange(c.addr(), None, &[], GET);
        let mut seen = vec![format!("{} {first}", certs.which(&served))];
        seen.extend(lines_after(c, from, " fe~ "));
        seen
    });
    assert!(seen.iter().any(|l| l.contains(" fe~ fe/s1 ")), "{seen:#?}");
}

/// `haproxy -c` and `lbtop check` on one config: whether each accepts it, and its output.
fn check_both(cfg: &str) -> [(bool, String); 2] {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.cfg");
    std::fs::write(&path, cfg).unwrap();
    let run = |cmd: &str, args: &[&str]| {
        let out = std::process::Command::new(cmd)
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    [
        run("haproxy", &["-c", "-f"]),
        run(LBTOP, &["check", "--config"]),
    ]
}

#[test]
fn certificate_problems_are_load_errors_in_haproxys_words() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let p = |n: &str| certs.path(n).display().to_string();
    let cases = [
        (
            "mismatch.pem",
            "inconsistencies between private key and certificate loaded",
        ),
        ("nokey.pem", "No Private Key found in"),
        ("garbage.pem", "unable to load certificate from file"),
        ("missing.pem", "unable to stat SSL certificate from file"),
    ];
    for (file, words) in cases {
        let cfg = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend fe\n    bind 127.0.0.1:{} ssl crt {}\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:1\n",
            common::free_port(),
            p(file)
        );
        let [(h_ok, h_out), (l_ok, l_out)] = check_both(&cfg);
        assert!(
            !h_ok && !l_ok,
            "{file}: both refuse\nHAProxy: {h_out}\nlbtop: {l_out}"
        );
        for (who, out) in [("HAProxy", &h_out), ("lbtop", &l_out)] {
            assert!(out.contains(words), "{file}: {who} says {words:?}:\n{out}");
        }
        assert!(
            l_out.contains("t.cfg:8: ") && l_out.contains(&p(file)),
            "{l_out}"
        );
    }
}

#[test]
fn settings_haproxy_refuses_are_refused() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let a = certs.path("a.pem").display().to_string();
    for (opts, words) in [
        (
            "verify required",
            "verify is enabled but no CA file specified",
        ),
        ("ssl-min-ver TLSv1.4", "'TLSv1.4' : unknown ssl/tls version"),
    ] {
        let cfg = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend fe\n    bind 127.0.0.1:{} ssl crt {a} {opts}\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:1\n",
            common::free_port()
        );
        let [(h_ok, h_out), (l_ok, l_out)] = check_both(&cfg);
        assert!(
            !h_ok && !l_ok,
            "{opts}: both refuse\nHAProxy: {h_out}\nlbtop: {l_out}"
        );
        assert!(
            h_out.contains(words) && l_out.contains(words),
            "{opts}:\n{h_out}\n{l_out}"
        );
    }
}

/// A CA, and a server certificate for `origin.example` it signed: (CA PEM, server chain,
/// server key).
fn origin_certs() -> (
    String,
    Vec<CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rcgen::{DistinguishedName, DnType};
    let named = |cn: &str| {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        dn
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: OpenSSL takes a certificate whose subject is its issuer for a root.
    ca_params.distinguished_name = named("lbtop test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["origin.example".to_string()]).unwrap();
    leaf.distinguished_name = named("origin.example");
    let leaf = leaf.signed_by(&key, &issuer).unwrap();
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    (ca.pem(), vec![leaf.der().clone()], der.into())
}

/// A TLS origin: answers each request `200` with the SNI it was asked for in `x-sni`, and
/// closes.
fn tls_origin(
    chain: Vec<CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = StreamOwned::new(conn, tcp);
                let mut got = Vec::new();
                let mut chunk = [0u8; 4096];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&chunk[..n]),
                    }
                }
                let sni = tls.conn.server_name().unwrap_or("-").to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nx-sni: {sni}\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n"
                );
                let _ = tls.write_all(answer.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    addr
}

/// Sends `request` in clear and returns the status line and the `x-sni` header.
fn plain_exchange(to: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got);
    let status = text.lines().next().unwrap_or("closed").to_string();
    let sni = text
        .lines()
        .find_map(|l| l.strip_prefix("x-sni: "))
        .unwrap_or("");
    format!("{status} sni={sni}")
}

#[test]
fn ssl_servers_get_tls_with_the_sni_asked_and_certificates_checked() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let (ca, chain, key) = origin_certs();
    std::fs::write(certs.path("ca.pem"), ca).unwrap();
    // Three frontends, one per way of naming the server: no SNI, a fixed one, the Host.
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend none\n\nfrontend fe2\n    bind 127.0.0.1:{{P2}}\n    default_backend fixed\n\nfrontend fe3\n    bind 127.0.0.1:{{P3}}\n    default_backend checked\n\nbackend none\n    server s1 {{o1}} ssl verify none\n\nbackend fixed\n    server s1 {{o1}} ssl verify none sni str(origin.example)\n\nbackend checked\n    server s1 {{o1}} ssl verify required ca-file {{CERTS}}/ca.pem sni req.hdr(host)\n"
    );
    let (p2, p3) = (common::free_port(), common::free_port());
    let template = template
        .replace("{P2}", &p2.to_string())
        .replace("{P3}", &p3.to_string())
        .replace("{CERTS}", &certs.dir.path().display().to_string());
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let servers = BTreeMap::from([("o1", tls_origin(chain.clone(), key.clone_key()))]);
        let c = Contender::start(kind, &template, &servers);
        let from = c.sink.count();
        let at = |p: u16| SocketAddr::from(([127, 0, 0, 1], p));
        let get =
            |host: &str| format!("GET /x HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
        let mut seen = vec![
            format!("no sni: {}", plain_exchange(c.addr(), &get("a"))),
            format!("fixed: {}", plain_exchange(at(p2), &get("a"))),
            format!(
                "host, valid: {}",
                plain_exchange(at(p3), &get("origin.example"))
            ),
            format!(
                "host, wrong name: {}",
                plain_exchange(at(p3), &get("other.example"))
            ),
        ];
        // Four request lines, the last two alike: wait for the count.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let requests = || {
            let lines = c.sink.lines_from(from);
            lines.iter().filter(|l| l.contains("GET /x")).count()
        };
        while requests() < 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Sorted: each line is told apart by its frontend and status, and a session's line
        // is written when its connections close, which may come in either order.
        let mut lines = lines_after(&c, from, "GET /x");
        lines.sort();
        seen.extend(lines);
        seen
    });
    assert_eq!(
        haproxy,
        lbtop,
        "ssl servers: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
    assert_eq!(haproxy[1], "fixed: HTTP/1.1 200 OK sni=origin.example");
}

/// An origin that reads what comes first (a ClientHello) and closes: a FIN, never a reset
/// (which unread bytes would cause).
fn closing_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.read(&mut [0u8; 16384]);
            let _ = s.shutdown(std::net::Shutdown::Write);
            let _ = s.read(&mut [0u8; 16384]);
        }
    });
    addr
}

#[test]
fn checks_of_ssl_servers_speak_tls_and_mark_servers_as_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    let (_, chain, key) = origin_certs();
    // HTTP checks over TLS (inherited from `ssl`), a TLS-only check (`check-ssl`, Layer6),
    // and a server that closes before any handshake.
    let template = format!(
        "{GLOBAL}    timeout check 5s\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend be\n\nbackend be\n    option httpchk GET /health\n    server tls {{o1}} ssl verify none check inter 300ms\n    server closes {{o2}} ssl verify none check inter 300ms fall 1\n\nbackend be4\n    server l4 {{o1}} check-ssl verify none check inter 300ms\n"
    );
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let servers = BTreeMap::from([
            ("o1", tls_origin(chain.clone(), key.clone_key())),
            ("o2", closing_origin()),
        ]);
        let c = Contender::start(kind, &template, &servers);
        c.sink
            .wait("Server be/closes is DOWN", Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(1000));
        let mut lines: Vec<String> = c
            .sink
            .lines()
            .into_iter()
            .filter(|l| l.contains("Server ") || l.contains("Health check"))
            .map(|l| contender::mask_message(&l))
            .collect();
        lines.sort();
        lines.dedup();
        let get = "GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n";
        lines.push(format!("request: {}", plain_exchange(c.addr(), get)));
        lines
    });
    assert_eq!(
        haproxy,
        lbtop,
        "checks: HAProxy (left) and lbtop (right) differ\nHAProxy:\n{}\nlbtop:\n{}",
        haproxy.join("\n"),
        lbtop.join("\n")
    );
}

/// A TLS origin that keeps the SNI of each handshake (`-` for none) and answers a request
/// `200`, or closes after the handshake when none comes (a Layer 6 check).
fn sni_recorder(
    chain: Vec<CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> (SocketAddr, Arc<std::sync::Mutex<Vec<String>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            while conn.is_handshaking() {
                if conn.complete_io(&mut tcp).is_err() {
                    break;
                }
            }
            if conn.is_handshaking() {
                continue;
            }
            let sni = conn.server_name().unwrap_or("-").to_string();
            keep.lock().unwrap().push(sni);
            let mut tls = StreamOwned::new(conn, tcp);
            let mut chunk = [0u8; 4096];
            if matches!(tls.read(&mut chunk), Ok(n) if n > 0) {
                let answer = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = tls.write_all(answer.as_bytes());
            }
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (addr, seen)
}

/// Checks send the SNI of `check-sni` and no other: not the server's `sni` (which is for
/// traffic), as HAProxy 2.6 does (docs/haproxy-semantics.md §22.4).
#[test]
fn checks_send_the_sni_of_check_sni_only_as_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    let (_, chain, key) = origin_certs();
    let template = format!(
        "{GLOBAL}    timeout check 5s\n\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    \
         default_backend a\n\n\
         backend a\n    option httpchk GET /health\n    \
         server s {{a}} ssl verify none sni str(traffic.example) check inter 300ms\n\n\
         backend b\n    option httpchk GET /health\n    \
         server s {{b}} ssl verify none sni str(traffic.example) check check-sni check.example inter 300ms\n\n\
         backend c\n    server s {{c}} verify none check check-ssl check-sni only.example inter 300ms\n"
    );
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let origins: Vec<_> = (0..3)
            .map(|_| sni_recorder(chain.clone(), key.clone_key()))
            .collect();
        let servers = BTreeMap::from([
            ("a", origins[0].0),
            ("b", origins[1].0),
            ("c", origins[2].0),
        ]);
        let _c = Contender::start(kind, &template, &servers);
        let mut firsts = Vec::new();
        for (_, seen) in &origins {
            for _ in 0..250 {
                if !seen.lock().unwrap().is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            firsts.push(seen.lock().unwrap().first().cloned().unwrap_or_default());
        }
        firsts
    });
    assert_eq!(haproxy, ["-", "check.example", "only.example"]);
    assert_eq!(haproxy, lbtop, "check SNIs: HAProxy (left), lbtop (right)");
}

/// `option ssl-hello-chk` against a real TLS server (rustls, which answers the SSLv3 hello
/// with an alert) and against a plain HTTP one: the same health lines from both proxies.
#[test]
fn ssl_hello_checks_of_a_real_tls_server_pass_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let (_, chain, key) = origin_certs();
    let template = format!(
        "{GLOBAL}    option log-health-checks\n    timeout check 2s\n\n\
         frontend fe\n    bind 127.0.0.1:{{PORT}}\n    default_backend tls\n\n\
         backend tls\n    option ssl-hello-chk\n    server s {{tls}} check inter 300ms rise 1 fall 1\n\n\
         backend plain\n    option ssl-hello-chk\n    server s {{plain}} check inter 300ms rise 1 fall 1\n"
    );
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let servers = BTreeMap::from([
            ("tls", tls_origin(chain.clone(), key.clone_key())),
            ("plain", plain_origin()),
        ]);
        let c = Contender::start(kind, &template, &servers);
        ["tls", "plain"].map(|b| {
            let needle = format!("Health check for server {b}/s ");
            let lines = c.sink.wait(&needle, Duration::from_secs(10));
            let first = lines.into_iter().find(|l| l.contains(&needle));
            contender::mask_message(&first.unwrap_or_default())
        })
    });
    assert!(
        haproxy[0].contains("tls/s succeeded, reason: Layer6 check passed"),
        "{haproxy:?}"
    );
    assert!(
        haproxy[1].contains("plain/s failed, reason: Layer6 invalid response"),
        "{haproxy:?}"
    );
    assert_eq!(
        haproxy, lbtop,
        "health lines: HAProxy (left), lbtop (right)"
    );
}

/// A plain HTTP server: `400` to whatever it reads, then a close.
fn plain_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 1024];
            if matches!(s.read(&mut buf), Ok(n) if n > 0) {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            }
        }
    });
    addr
}

/// A TLS client presenting `cert` (a chain and its key), without SNI.
fn with_client_cert(
    cert: Option<(
        Vec<CertificateDer<'static>>,
        rustls::pki_types::PrivateKeyDer<'static>,
    )>,
) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)));
    let mut config = match cert {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = false;
    Arc::new(config)
}

/// Sends `GET` with `config` and returns the answer's first line, or `failed`.
fn exchange_with(to: SocketAddr, config: Arc<ClientConfig>) -> String {
    let name = ServerName::try_from("unused.example").unwrap();
    let conn = ClientConnection::new(config, name).unwrap();
    let tcp = TcpStream::connect(to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    let mut got = Vec::new();
    match tls.write_all(GET).and_then(|_| tls.read_to_end(&mut got)) {
        _ if !got.is_empty() => String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        _ => "failed".into(),
    }
}

#[test]
fn client_certificates_are_checked_against_the_ca_file() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let (ca, chain, key) = origin_certs();
    std::fs::write(certs.path("ca.pem"), ca).unwrap();
    let stranger = rcgen::generate_simple_self_signed(vec!["x.example".to_string()]).unwrap();
    let stranger_key =
        rustls::pki_types::PrivatePkcs8KeyDer::from(stranger.signing_key.serialize_der());
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem verify required ca-file {{CERTS}}/ca.pem\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    let seen = same("client certificates", &template, &certs, |c| {
        let from = c.sink.count();
        let signed = Some((chain.clone(), key.clone_key()));
        let unknown = Some((
            vec![stranger.cert.der().clone()],
            stranger_key.clone_key().into(),
        ));
        let seen = vec![
            format!("none: {}", exchange_with(c.addr(), with_client_cert(None))),
            format!(
                "signed by the CA: {}",
                exchange_with(c.addr(), with_client_cert(signed))
            ),
            format!(
                "signed by nobody: {}",
                exchange_with(c.addr(), with_client_cert(unknown))
            ),
        ];
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while c.sink.lines_from(from).len() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut lines = lines_after(c, from, "SSL");
        lines.sort();
        seen.into_iter().chain(lines).collect()
    });
    assert_eq!(seen[1], "signed by the CA: HTTP/1.1 200 OK", "{seen:#?}");
    assert!(
        seen.iter()
            .any(|l| l.ends_with("SSL client certificate not trusted")),
        "{seen:#?}"
    );
}

/// `log-format` on a TLS bind: `%ft` is the frontend's name with `~` (inside `+Q`'s quotes),
/// `%f` the bare name; captures and the persistence cookie's flags read as in clear.
#[test]
fn log_format_names_a_tls_frontend_as_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let http = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    log-format \"%f %ft %{{+Q}}ft %b/%s %ST %tsc %hr\"\n    capture request header host len 10\n    default_backend be\n\nbackend be\n    cookie SRV insert\n    server s1 {{o1}} cookie c1\n"
    );
    let tcp = format!(
        "{GLOBAL}\nlisten fe\n    mode tcp\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    log-format \"%f %ft %{{+Q}}ft %b/%s %ts\"\n    server s1 {{o1}}\n"
    );
    for (what, template) in [("log-format, http", http), ("log-format, tcp", tcp)] {
        let seen = same(what, &template, &certs, |c| {
            let from = c.sink.count();
            let (_, _, first) = tls_exchange(c.addr(), Some("a.example"), &[], GET);
            let mut seen = vec![first];
            seen.extend(lines_after(c, from, "fe~"));
            seen
        });
        assert!(
            seen.iter().any(|l| l.contains(" fe fe~ \"fe~\" ")),
            "{seen:?}"
        );
    }
}

/// A TLS 1.2 exchange (the client offers no 1.3): the answer's first line.
fn tls12_exchange(to: SocketAddr, sni: &str, request: &[u8]) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(sni.to_string()).unwrap();
    let conn = ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    let mut got = Vec::new();
    if tls.write_all(request).is_ok() {
        let _ = tls.read_to_end(&mut got);
    }
    String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or("closed")
        .to_string()
}

/// `option httpslog` and the TLS samples of a `log-format` (`%sslv`, `%sslc`, `ssl_fc_*`,
/// `%[ssl_fc_err,hex]`) over TLS 1.3 and 1.2, with and without SNI, on a TLS bind and on a
/// clear one beside it, in HTTP and in TCP mode: the same lines as HAProxy's.
#[test]
fn httpslog_and_tls_samples_log_as_haproxy_does() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let samples = "%ft %[ssl_fc] %[ssl_fc_sni] %{+Q}[ssl_fc_sni] %[ssl_fc_protocol] %[ssl_fc_cipher] %[ssl_fc_is_resumed] %[fc_err] %[ssl_fc_err,hex] %[ssl_c_err] %[ssl_c_ca_err] %sslv %sslc %{+Q}sslv %[ssl_fc_sni,upper]";
    let http = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    bind 127.0.0.1:{{PORT2}}\n    option httpslog\n    capture request header host len 10\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    let fmt = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    bind 127.0.0.1:{{PORT2}}\n    log-format \"{samples}\"\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    );
    let tcp = format!(
        "{GLOBAL}\nlisten fe\n    mode tcp\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    bind 127.0.0.1:{{PORT2}}\n    log-format \"{samples}\"\n    server s1 {{o1}}\n"
    );
    // The clear bind's port, picked free here (both proxies bind it in turn).
    let clear = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for (what, template) in [
        ("httpslog", http),
        ("samples, http", fmt),
        ("samples, tcp", tcp),
    ] {
        let template = template.replace("{PORT2}", &clear.port().to_string());
        let seen = same(what, &template, &certs, |c| {
            let from = c.sink.count();
            let (_, _, a) = tls_exchange(c.addr(), Some("a.example"), &[], GET);
            let (_, _, b) = tls_exchange(c.addr(), None, &[], GET);
            let d = tls12_exchange(c.addr(), "x.a.test", GET);
            let e = plain_exchange(
                clear,
                "GET /c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            );
            let mut seen = vec![a, b, d, e.lines().next().unwrap_or("").to_string()];
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while c.sink.count() < from + 4 && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let mut lines = lines_after(c, from, " fe");
            lines.sort();
            seen.extend(lines);
            seen
        });
        eprintln!("{what}:\n  {}", seen.join("\n  "));
        assert!(
            seen.iter().any(|l| l.contains("TLSv1.2")),
            "{what}: {seen:?}"
        );
    }
}

/// The status line and the `location` and `x-be` headers of an answer.
fn summary(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let status = text.lines().next().unwrap_or("closed").to_string();
    let header = |name: &str| {
        text.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| "-".into())
    };
    format!(
        "{status} location={} x-be={}",
        header("location"),
        header("x-be")
    )
}

/// Sends `request` over TLS with `sni` and reads the whole answer (to the close).
fn tls_answer(to: SocketAddr, sni: Option<&str>, request: &[u8]) -> String {
    let name = ServerName::try_from(sni.unwrap_or("unused.example").to_string()).unwrap();
    let conn = ClientConnection::new(client_config(sni.is_some(), &[]), name).unwrap();
    let tcp = TcpStream::connect(to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(request).unwrap();
    let mut got = Vec::new();
    let _ = tls.read_to_end(&mut got);
    summary(&got)
}

/// `ssl_fc` and `ssl_fc_sni` in conditions: one frontend with a clear and a TLS bind sends
/// clear requests to https (`redirect scheme https if !{ ssl_fc }`), lets TLS ones through,
/// and routes by the name the client asked for (`-i`: any case).
#[test]
fn ssl_fc_redirects_clear_requests_and_ssl_fc_sni_routes() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}}\n    bind 127.0.0.1:{{PORT2}} ssl crt {{CERTS}}/a.pem crt {{CERTS}}/b.pem\n    log-format \"%ft %b/%s %ST %{{+Q}}r\"\n    redirect scheme https if !{{ ssl_fc }}\n    use_backend b if {{ ssl_fc_sni -i b.example }}\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n\nbackend b\n    http-response set-header x-be b\n    server s1 {{o1}}\n"
    );
    let port2 = common::free_port();
    let template = template.replace("{PORT2}", &port2.to_string());
    let tls_at = SocketAddr::from(([127, 0, 0, 1], port2));
    let seen = same("ssl_fc", &template, &certs, |c| {
        let from = c.sink.count();
        let mut clear = TcpStream::connect(c.addr()).unwrap();
        clear
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        clear.write_all(GET).unwrap();
        let mut got = Vec::new();
        let _ = clear.read_to_end(&mut got);
        let mut seen = vec![format!("clear: {}", summary(&got))];
        for sni in [None, Some("a.example"), Some("B.EXAMPLE")] {
            seen.push(format!("{sni:?}: {}", tls_answer(tls_at, sni, GET)));
        }
        // All four lines, sorted (they may land in any order).
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while c.sink.lines_from(from).len() < 4 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut lines = c.sink.lines_from(from);
        lines.sort();
        seen.extend(lines);
        seen
    });
    assert!(
        seen.contains(&"clear: HTTP/1.1 302 Found location=https://x/x x-be=-".to_string()),
        "{seen:#?}"
    );
    assert!(
        seen.contains(&"Some(\"a.example\"): HTTP/1.1 200 OK location=- x-be=-".to_string()),
        "{seen:#?}"
    );
    assert!(
        seen.contains(&"Some(\"B.EXAMPLE\"): HTTP/1.1 200 OK location=- x-be=b".to_string()),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|l| l.contains("fe~ b/s1 200")), "{seen:#?}");
    assert!(
        seen.iter().any(|l| l.contains("fe fe/<NOSRV> 302")),
        "{seen:#?}"
    );
}

/// An origin that answers any request `101` (`upgrade: foo`) and then echoes what it reads.
fn upgrading_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut got = Vec::new();
                let mut chunk = [0u8; 4096];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n";
                if s.write_all(head).is_err() {
                    return;
                }
                loop {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if s.write_all(&chunk[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A `101` through a TLS bind: the tunnel carries the plaintext both ways, as in clear, and
/// is logged with `fe~` and status 101.
#[test]
fn a_101_tunnel_through_a_tls_bind_relays_as_haproxy() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nfrontend fe\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    log-format \"%ft %b/%s %ST %{{+Q}}r\"\n    default_backend be\n\nbackend be\n    server s1 {{o1}}\n"
    )
    .replace("{CERTS}", &certs.dir.path().display().to_string());
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let servers = BTreeMap::from([("o1", upgrading_origin())]);
        let c = Contender::start(kind, &template, &servers);
        let from = c.sink.count();
        let name = ServerName::try_from("a.example").unwrap();
        let conn = ClientConnection::new(client_config(true, &[]), name).unwrap();
        let tcp = TcpStream::connect(c.addr()).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = StreamOwned::new(conn, tcp);
        let ask = b"GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n";
        tls.write_all(ask).unwrap();
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n\r\n") && tls.read(&mut byte).unwrap_or(0) == 1 {
            got.push(byte[0]);
        }
        let status = String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or("closed")
            .to_string();
        tls.write_all(b"ping over tls\n").unwrap();
        let mut echo = [0u8; 14];
        let echoed = tls.read_exact(&mut echo).is_ok();
        tls.conn.send_close_notify();
        let _ = tls.flush();
        let _ = tls.sock.shutdown(std::net::Shutdown::Write);
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
        c.sink.wait(" 101 ", Duration::from_secs(5));
        let mut seen = vec![
            status,
            format!("echoed {echoed}: {}", String::from_utf8_lossy(&echo)),
        ];
        seen.extend(c.sink.lines_from(from));
        seen
    });
    assert_eq!(haproxy, lbtop, "HAProxy (left) and lbtop (right) differ");
    assert_eq!(
        haproxy[0], "HTTP/1.1 101 Switching Protocols",
        "{haproxy:#?}"
    );
    assert!(haproxy[1].starts_with("echoed true"), "{haproxy:#?}");
    assert!(
        haproxy.iter().any(|l| l.contains("fe~ be/s1 101")),
        "{haproxy:#?}"
    );
}

/// An origin that reads until the proxy closes its half, then keeps the connection open.
fn holding_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let mut chunk = [0u8; 4096];
                while matches!(s.read(&mut chunk), Ok(n) if n > 0) {}
                std::thread::sleep(Duration::from_secs(8));
            });
        }
    });
    addr
}

/// TLS in TCP mode: a client that closes its half (close_notify, then its FIN) half-closes
/// the server connection, and `timeout server-fin` ends the session, as in clear.
#[test]
fn a_tls_client_half_close_takes_server_fin_as_in_haproxy() {
    if !haproxy_available() {
        return;
    }
    let certs = Certs::new();
    let template = format!(
        "{GLOBAL}\nlisten fe\n    mode tcp\n    option tcplog\n    timeout server-fin 1s\n    bind 127.0.0.1:{{PORT}} ssl crt {{CERTS}}/a.pem\n    server s1 {{o1}}\n"
    )
    .replace("{CERTS}", &certs.dir.path().display().to_string());
    let [haproxy, lbtop] = [Kind::Haproxy, Kind::Lbtop].map(|kind| {
        let servers = BTreeMap::from([("o1", holding_origin())]);
        let c = Contender::start(kind, &template, &servers);
        let name = ServerName::try_from("a.example").unwrap();
        let conn = ClientConnection::new(client_config(true, &[]), name).unwrap();
        let tcp = TcpStream::connect(c.addr()).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = StreamOwned::new(conn, tcp);
        tls.write_all(b"hi").unwrap();
        let began = std::time::Instant::now();
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        tls.sock.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
        let secs = began.elapsed().as_secs_f64();
        assert!(
            (0.9..2.0).contains(&secs),
            "{kind:?} ended after {secs:.2}s"
        );
        c.sink.wait(" sD ", Duration::from_secs(5));
        c.settled_lines()
    });
    assert_eq!(haproxy, lbtop, "HAProxy (left) and lbtop (right) differ");
    assert!(
        haproxy.iter().any(|l| l.contains("fe~ fe/s1")),
        "{haproxy:#?}"
    );
}
