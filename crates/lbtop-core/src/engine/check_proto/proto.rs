//! The MySQL and LDAP checks: HAProxy's rule sets for them, whose replies it judges with code
//! of its own rather than a pattern (docs/haproxy-semantics.md §1.7).

use super::program::{Action, Expect, Matcher, Msg, Verdict};
use crate::events::CheckKind;

pub enum Custom {
    /// MySQL's initial handshake packet.
    MysqlHandshake,
    /// The packet after the handshake: OK, or an error packet.
    MysqlOk,
    /// An LDAPv3 bind response.
    LdapBind,
    /// A PostgreSQL authentication request of a kind HAProxy accepts.
    PgsqlAuth,
}

/// `option mysql-check [user <name> [post-41|pre-41]]`.
pub fn mysql(user: Option<&str>, pre41: bool) -> Vec<Action> {
    let version = || Some(Msg::CString { skip: 5 });
    let mut steps = vec![Action::Connect { port: None }];
    if let Some(user) = user {
        steps.push(Action::Send(login(user, pre41)));
    }
    steps.push(Action::Expect(Box::new(Expect {
        on_success: user.is_none().then(version).flatten(),
        ..Expect::proto(Matcher::Custom(Custom::MysqlHandshake))
    })));
    if user.is_some() {
        steps.push(Action::Expect(Box::new(Expect {
            on_success: version(),
            ..Expect::proto(Matcher::Custom(Custom::MysqlOk))
        })));
    }
    steps
}

/// The login packet HAProxy sends for `user`, then a `COM_QUIT` packet.
fn login(user: &str, pre41: bool) -> Vec<u8> {
    let mut body: Vec<u8> = if pre41 {
        vec![0x00, 0x80, 0x00, 0x00, 0x01]
    } else {
        let mut b = vec![0x00, 0x82, 0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x21];
        b.extend_from_slice(&[0u8; 23]);
        b
    };
    body.extend_from_slice(user.as_bytes());
    body.extend_from_slice(&[0x00, 0x00]);
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut packet = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, 1];
    packet.extend_from_slice(&body);
    packet.extend_from_slice(&[0x01, 0x00, 0x00, 0x00, 0x01]);
    packet
}

/// `option ldap-check`: an anonymous bind, then its response.
pub fn ldap() -> Vec<Action> {
    const BIND: [u8; 14] = [
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00,
    ];
    vec![
        Action::Connect { port: None },
        Action::Send(BIND.to_vec()),
        Action::Expect(Box::new(Expect {
            min_recv: Some(14),
            error_kind: CheckKind::L7Rsp,
            on_error: Msg::Text("Not LDAPv3 protocol"),
            ..Expect::proto(Matcher::Starts(vec![0x30]))
        })),
        Action::Expect(Box::new(Expect {
            on_success: Some(Msg::Text("Success")),
            ..Expect::proto(Matcher::Custom(Custom::LdapBind))
        })),
    ]
}

/// `option pgsql-check user <name>`: a protocol 3.0 startup message naming the user; an error
/// message (`E`) fails with its severity as info, an authentication request passes.
pub fn pgsql(user: &str) -> Vec<Action> {
    let len = u32::try_from(15 + user.len()).unwrap_or(u32::MAX);
    let mut startup = len.to_be_bytes().to_vec();
    startup.extend_from_slice(&[0x00, 0x03, 0x00, 0x00]);
    startup.extend_from_slice(b"user\0");
    startup.extend_from_slice(user.as_bytes());
    startup.extend_from_slice(&[0, 0]);
    vec![
        Action::Connect { port: None },
        Action::Send(startup),
        Action::Expect(Box::new(Expect {
            inverse: true,
            min_recv: Some(5),
            error_kind: CheckKind::L7Rsp,
            on_error: Msg::CString { skip: 6 },
            ..Expect::proto(Matcher::Starts(b"E".to_vec()))
        })),
        Action::Expect(Box::new(Expect {
            on_success: Some(Msg::Text("PostgreSQL server is ok")),
            ..Expect::proto(Matcher::Custom(Custom::PgsqlAuth))
        })),
    ]
}

/// `R`, a length, then an authentication kind HAProxy 2.6 takes as a live server (measured:
/// 0, 2-7, 9 and 10 pass; 1, 8 and 11 do not).
fn pgsql_auth(buf: &[u8], last_read: bool) -> Verdict {
    if buf.len() < 9 && !last_read {
        return Verdict::Wait;
    }
    let ok = buf.len() >= 9
        && buf[0] == b'R'
        && buf[1..4] == [0, 0, 0]
        && buf[5..8] == [0, 0, 0]
        && matches!(buf[8], 0 | 2..=7 | 9 | 10);
    if ok {
        Verdict::Pass
    } else {
        Verdict::FailWith(CheckKind::L7Sts, 0, "PostgreSQL unknown error".into())
    }
}

impl Custom {
    pub fn eval(&self, buf: &[u8], last_read: bool) -> Verdict {
        match self {
            Custom::MysqlHandshake => mysql_packet(buf, 0, last_read),
            Custom::MysqlOk => mysql_packet(buf, 4 + packet_len(buf, 0), last_read),
            Custom::LdapBind => ldap_bind(buf),
            Custom::PgsqlAuth => pgsql_auth(buf, last_read),
        }
    }

    /// The status code a passing reply sets.
    pub fn code(&self, buf: &[u8]) -> Option<u16> {
        match self {
            Custom::LdapBind => Some(u16::from(at(buf, ldap_lengths(buf).1 + 9))),
            _ => None,
        }
    }
}

fn at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

/// A MySQL packet's length: three little-endian bytes at `off`.
fn packet_len(buf: &[u8], off: usize) -> usize {
    usize::from(at(buf, off))
        | usize::from(at(buf, off + 1)) << 8
        | usize::from(at(buf, off + 2)) << 16
}

/// The MySQL packet at `off`: whole, and not an error packet (`0xff` first).
fn mysql_packet(buf: &[u8], off: usize, last_read: bool) -> Verdict {
    let truncated = buf.len() < off + 4 || buf.len() < off + packet_len(buf, off) + 4;
    if truncated {
        return if last_read {
            Verdict::FailWith(CheckKind::L7Rsp, 0, String::new())
        } else {
            Verdict::Wait
        };
    }
    if buf.get(off + 4) == Some(&0xff) {
        let code = u16::from(at(buf, off + 5)) | u16::from(at(buf, off + 6)) << 8;
        let rest = buf.get(off + 7..).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let info = String::from_utf8_lossy(&rest[..end]).into_owned();
        return Verdict::FailWith(CheckKind::L7Sts, code, info);
    }
    Verdict::Pass
}

/// The long-form length bytes of the LDAPMessage and of the bindResponse, as HAProxy reads
/// them: (message's, message's + response's).
fn ldap_lengths(buf: &[u8]) -> (usize, usize) {
    let long = |b: u8| {
        if b & 0x80 != 0 {
            usize::from(b & 0x7f)
        } else {
            0
        }
    };
    let msg = long(at(buf, 1));
    (msg, msg + long(at(buf, msg + 6)))
}

fn ldap_bind(buf: &[u8]) -> Verdict {
    let not_ldap = || Verdict::FailWith(CheckKind::L7Rsp, 0, "Not LDAPv3 protocol".into());
    let (msg, both) = ldap_lengths(buf);
    if msg > 2 || buf.get(2 + msg..6 + msg) != Some(&[0x02, 0x01, 0x01, 0x61][..]) {
        return not_ldap();
    }
    if both > 4 || buf.get(7 + both..9 + both) != Some(&[0x0a, 0x01][..]) {
        return not_ldap();
    }
    match at(buf, both + 9) {
        0 => Verdict::Pass,
        code => Verdict::FailWith(
            CheckKind::L7Sts,
            u16::from(code),
            "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9".into(),
        ),
    }
}

/// `option ssl-hello-chk`: an SSLv3 client hello, then a reply whose first byte opens a TLS
/// handshake (0x16) or alert (0x15) record; HAProxy waits for 5 bytes unless the server closes
/// first, and judges at layer 6 (docs/haproxy-semantics.md §1.7).
pub fn ssl_hello() -> Vec<Action> {
    let record = regex::bytes::Regex::new(r"(?-u)^[\x15\x16]").expect("a valid pattern");
    vec![
        Action::Connect { port: None },
        Action::SendSslHello,
        Action::Expect(Box::new(Expect {
            min_recv: Some(5),
            error_kind: CheckKind::L6Rsp,
            on_error: Msg::Text(""),
            ..Expect::proto(Matcher::Regex(record))
        })),
    ]
}

/// The hello HAProxy 2.6 sends (measured byte for byte): an SSLv3 record and client hello
/// whose random is the time `now` (seconds, big-endian) and `HAPROXYSSLCHK\n` twice, no
/// session, 39 old cipher suites and no compression.
pub fn ssl_hello_bytes(now: u32) -> Vec<u8> {
    let mut hello = vec![
        0x16, 0x03, 0x00, 0x00, 0x79, 0x01, 0x00, 0x00, 0x75, 0x03, 0x00,
    ];
    hello.extend_from_slice(&now.to_be_bytes());
    hello.extend_from_slice(b"HAPROXYSSLCHK\nHAPROXYSSLCHK\n");
    hello.extend_from_slice(&[0x00, 0x00, 0x4e]);
    let suites = (0x0001..=0x001b_u16).chain(0x002f..=0x003a);
    for suite in suites {
        hello.extend_from_slice(&suite.to_be_bytes());
    }
    hello.extend_from_slice(&[0x01, 0x00]);
    hello
}

/// [`ssl_hello_bytes`] for the time now.
pub fn hello_now() -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    ssl_hello_bytes(now)
}

#[cfg(test)]
mod tests {
    /// The bytes HAProxy 2.6.12 sent at 0x6b0a5eb6 (docs/haproxy-semantics.md §1.7).
    #[test]
    fn the_ssl_hello_is_haproxys() {
        let measured = "16030000790100007503006b0a5eb6484150524f585953534c43484b0a484150524f585953534c43484b0a00004e000100020003000400050006000700080009000a000b000c000d000e000f0010001100120013001400150016001700180019001a001b002f0030003100320033003400350036003700380039003a0100";
        let ours: String = super::ssl_hello_bytes(0x6b0a_5eb6)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(ours, measured);
    }
}
