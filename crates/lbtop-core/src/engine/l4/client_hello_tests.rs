//! ClientHellos from rustls (the bytes a real client sends), whole, cut short, split over
//! several reads and fragmented over several records; and mutations of them, none of which
//! may panic.

use super::*;
use crate::config::testkit::for_mutations;
use rustls::pki_types::ServerName;
use std::sync::Arc;

/// The first flight of a rustls client for `name` offering `alpn`, its records at most
/// `fragment` bytes long when given.
fn client_hello(name: &str, alpn: &[&[u8]], fragment: Option<usize>) -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config.max_fragment_size = fragment;
    let server = ServerName::try_from(name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server).unwrap();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

fn complete(buf: &[u8]) -> ClientHello {
    match parse(buf) {
        Hello::Complete(h) => h,
        other => panic!("{other:?}"),
    }
}

#[test]
fn reads_a_real_client_hello() {
    let bytes = client_hello("app.example.com", &[b"h2", b"http/1.1"], None);
    let hello = complete(&bytes);
    assert_eq!(hello.sni.as_deref(), Some("app.example.com"));
    assert_eq!(hello.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert_eq!(hello.version, 0x0303);
    // An IP address is never sent as SNI.
    let hello = complete(&client_hello("192.0.2.1", &[], None));
    assert_eq!((hello.sni, hello.alpn), (None, vec![]));
}

#[test]
fn waits_for_the_whole_message_however_it_is_read() {
    let bytes = client_hello("split.example", &[], None);
    for cut in 0..bytes.len() {
        assert_eq!(parse(&bytes[..cut]), Hello::NeedMore, "cut at {cut}");
    }
    // Read in pieces of any size, the answer comes with the last byte, and bytes after the
    // hello (the client's next records) change nothing.
    let mut more = bytes.clone();
    more.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    assert_eq!(complete(&more).sni.as_deref(), Some("split.example"));
}

#[test]
fn reads_across_records_as_haproxy_does() {
    // HAProxy reads the handshake on from the first record header, taking the next record's
    // header as hello bytes: a name that is whole in the first record is found...
    let name = "fragmented.example";
    // rustls shuffles its extensions: take a hello whose name is not its record's last bytes
    // (the cut below keeps 4 bytes after it in the first record).
    let (one, sni_at) = (0..100)
        .map(|_| {
            let one = client_hello(name, &[], None);
            let at = one.windows(name.len()).position(|w| w == name.as_bytes());
            (one, at.unwrap())
        })
        .find(|(one, at)| at + name.len() + 4 <= 5 + be16(&one[3..5]) as usize)
        .expect("a hello with an extension after the name");
    let mut cut = one[..sni_at + name.len() + 4].to_vec();
    let rest = &one[cut.len()..];
    // The tail goes in a second record.
    cut.extend_from_slice(&[0x16, 0x03, 0x03, (rest.len() >> 8) as u8, rest.len() as u8]);
    cut.extend_from_slice(rest);
    let len = (sni_at + name.len() + 4 - 5) as u16;
    cut[3..5].copy_from_slice(&len.to_be_bytes());
    assert_eq!(complete(&cut).sni.as_deref(), Some(name));
    // ...and a hello cut into small records is read as one byte stream, which never holds
    // together as a hello with that name.
    let small = client_hello(name, &[], Some(64));
    assert!(small.len() > one.len(), "rustls fragmented its hello");
    let read = parse(&small);
    assert!(
        !matches!(&read, Hello::Complete(h) if h.sni.as_deref() == Some(name)),
        "{read:?}"
    );
}

#[test]
fn refuses_what_is_not_a_client_hello() {
    for (bytes, why) in [
        (&b"GET / HTTP/1.1\r\n"[..], "HTTP"),
        (&[0x16, 0x02, 0x00][..], "SSLv2-era record version"),
        (
            &[0x16, 0x03, 0x01, 0x00, 0x10][..],
            "record too short for a hello",
        ),
        (&[0x17, 0x03, 0x03][..], "application data"),
    ] {
        assert_eq!(parse(bytes), Hello::NotTls, "{why}");
    }
    // A ServerHello (type 2) in a handshake record.
    let mut bytes = client_hello("x.example", &[], None);
    bytes[5] = 2;
    assert_eq!(parse(&bytes), Hello::NotTls);
    // SSLv3 in the hello itself.
    let mut bytes = client_hello("x.example", &[], None);
    bytes[10] = 0;
    assert_eq!(parse(&bytes), Hello::NotTls);
    assert_eq!(parse(&[]), Hello::NeedMore);
    assert_eq!(parse(&[0x16]), Hello::NeedMore);
}

#[test]
fn never_panics_on_mutations() {
    let base = client_hello("mutate.example", &[b"h2"], None);
    for_mutations(
        &base,
        0x5e1ec7,
        &[0, 1, 2, 3, 0x16, 0xff, 0x7f],
        20_000,
        |m| {
            if let Hello::Complete(h) = parse(m) {
                assert!(h.sni.map_or(0, |s| s.len()) <= m.len() * 3);
            }
        },
    );
}
