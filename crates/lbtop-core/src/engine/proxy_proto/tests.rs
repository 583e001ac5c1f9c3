use super::*;

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn proxied(src: &str, dst: &str) -> Header {
    Header::Proxied(Addrs {
        src: a(src),
        dst: a(dst),
    })
}

#[test]
fn v1_tcp4_and_tcp6() {
    let h = b"PROXY TCP4 10.1.2.3 10.9.9.9 5555 80\r\nGET / HTTP/1.0\r\n\r\n";
    assert_eq!(parse(h), Ok((proxied("10.1.2.3:5555", "10.9.9.9:80"), 38)));
    let h = b"PROXY TCP6 ::1 2001:db8::2 1 65535\r\nrest";
    assert_eq!(
        parse(h),
        Ok((proxied("[::1]:1", "[2001:db8::2]:65535"), 36))
    );
    // HAProxy ignores what follows a fifth space in a TCP6 line.
    let h = b"PROXY TCP6 ::1 ::2 1 2 extra\r\n";
    assert_eq!(parse(h), Ok((proxied("[::1]:1", "[::2]:2"), h.len())));
    assert_eq!(parse(b"PROXY UNKNOWN\r\nGET"), Ok((Header::Local, 15)));
    // Port 0 passes, as in HAProxy 2.6.
    let h = b"PROXY TCP4 1.2.3.4 1.2.3.4 0 2\r\n";
    assert_eq!(parse(h), Ok((proxied("1.2.3.4:0", "1.2.3.4:2"), h.len())));
}

#[test]
fn v1_refusals() {
    use Error::*;
    for (input, want) in [
        (&b"PROXY"[..], Truncated),
        (b"PROXY TCP4 1.2", Truncated),
        (b"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r", Truncated),
        (b"PROXY TC", Truncated),
        (b"PROXY UNKNOWN\r", Truncated),
        (b"PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n", Invalid),
        (b"PROXY TCP4 1.2.3.999 1.2.3.4 1 2\r\n", Invalid),
        (b"PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n", Invalid),
        (b"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n\n", Invalid),
        (b"PROXY TCP4 1.2.3.4 1.2.3.4 1x 2\r\n", Invalid),
        (b"PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n", Invalid),
        (b"PROXY TCP6 ::1 ::1 1\r\n", Invalid),
        (b"PROXY TCP6 ::1 ::1 1 2\rx", Invalid),
        (b"PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", BadProto),
        (b"PROXY UNKNOWN 1.2.3.4\r\n", BadProto),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", NotHeader),
        (b"GET / HTTP/1.1\r", Truncated),
        (b"GET / HTTP/1.1\r\n", NotHeader),
        (b"hello", Truncated),
    ] {
        assert_eq!(
            parse(input),
            Err(want),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let long = [&b"PROXY TCP4 "[..], &[b'1'; 120]].concat();
    assert_eq!(parse(&long), Err(Truncated));
}

fn v2_raw(cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut h = V2_SIG.to_vec();
    h.extend_from_slice(&[cmd, fam]);
    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
    h.extend_from_slice(body);
    h
}

#[test]
fn v2_reads_what_v2_writes() {
    for (src, dst) in [
        ("10.4.5.6:4444", "10.7.7.7:8080"),
        ("[2001:db8::1]:1", "[::1]:443"),
    ] {
        let addrs = Addrs {
            src: a(src),
            dst: a(dst),
        };
        let mut h = v2(Some(addrs));
        let len = h.len();
        h.extend_from_slice(b"GET /");
        assert_eq!(parse(&h), Ok((Header::Proxied(addrs), len)));
        let line = v1(Some(addrs));
        assert_eq!(parse(&line), Ok((Header::Proxied(addrs), line.len())));
    }
    assert_eq!(parse(&v2(None)), Ok((Header::Local, 16)));
    assert_eq!(parse(&v1(None)), Ok((Header::Local, 15)));
}

#[test]
fn the_bytes_haproxy_writes() {
    let addrs = Addrs {
        src: a("10.1.2.3:5555"),
        dst: a("10.9.9.9:80"),
    };
    assert_eq!(v1(Some(addrs)), b"PROXY TCP4 10.1.2.3 10.9.9.9 5555 80\r\n");
    assert_eq!(
        v2(Some(addrs)),
        b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\x0a\x01\x02\x03\x0a\x09\x09\x09\x15\xb3\x00\x50"
    );
    assert_eq!(v2(None), b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00");
    let mixed = Addrs {
        src: a("127.0.0.1:1"),
        dst: a("[::1]:2"),
    };
    assert_eq!(v1(Some(mixed)), b"PROXY TCP6 ::ffff:127.0.0.1 ::1 1 2\r\n");
}

#[test]
fn v2_refusals_and_families() {
    use Error::*;
    let inet4 = [10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2];
    assert_eq!(parse(&v2_raw(0x21, 0x11, &inet4[..8])), Err(Invalid));
    assert_eq!(parse(&v2_raw(0x22, 0x11, &inet4)), Err(Invalid));
    assert_eq!(parse(&v2_raw(0x11, 0x11, &inet4)), Err(NotHeader));
    let h = v2_raw(0x21, 0x11, &inet4);
    assert_eq!(parse(&h[..h.len() - 1]), Err(Truncated));
    assert_eq!(parse(&h[..15]), Err(Truncated));
    // Other families are refused, as HAProxy 2.6 refuses them (measured: UDP, unspecified).
    assert_eq!(parse(&v2_raw(0x21, 0x12, &inet4)), Err(Invalid));
    assert_eq!(parse(&v2_raw(0x21, 0x00, &[])), Err(Invalid));
    assert_eq!(parse(&v2_raw(0x21, 0x31, &[0; 216])), Err(Invalid));
    // LOCAL ignores whatever the header holds.
    assert_eq!(parse(&v2_raw(0x20, 0x11, &inet4)), Ok((Header::Local, 28)));
    // TLVs: they must tile the header exactly.
    let with = |tlvs: &[u8]| v2_raw(0x21, 0x11, &[&inet4[..], tlvs].concat());
    assert!(parse(&with(&[0xe0, 0, 2, b'h', b'i'])).is_ok());
    assert_eq!(parse(&with(&[0xe0, 0, 3, b'h', b'i'])), Err(Invalid));
    assert_eq!(parse(&with(&[0xe0, 0])), Err(Invalid));
    assert_eq!(parse(&with(&[0x05, 0, 129])), Err(Invalid));
}

#[test]
fn v2_crc32c_is_checked() {
    let inet4 = [10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2];
    let mut h = v2_raw(
        0x21,
        0x11,
        &[&inet4[..], &[0x03, 0, 4, 0, 0, 0, 0]].concat(),
    );
    // CRC32C of the header with a zero checksum field (RFC 3720 polynomial, reflected).
    let mut crc = !0u32;
    for &b in &h {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    let n = h.len();
    h[n - 4..].copy_from_slice(&(!crc).to_be_bytes());
    assert!(parse(&h).is_ok());
    h[n - 1] ^= 1;
    assert_eq!(parse(&h), Err(Error::Invalid));
}

#[test]
fn no_input_panics() {
    // Every prefix and a byte flipped anywhere in a few valid headers.
    let seeds = [
        b"PROXY TCP4 10.1.2.3 10.9.9.9 5555 80\r\n".to_vec(),
        b"PROXY TCP6 ::1 ::2 1 2\r\n".to_vec(),
        v2(Some(Addrs {
            src: a("[::1]:1"),
            dst: a("[::2]:2"),
        })),
    ];
    for s in &seeds {
        for n in 0..=s.len() {
            let _ = parse(&s[..n]);
        }
        for i in 0..s.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut m = s.clone();
                m[i] ^= flip;
                let _ = parse(&m);
            }
        }
    }
}
