//! A small, strict DNS message codec for what a `resolvers` section asks: one A or AAAA
//! question over UDP, and the addresses in its answer (RFC 1035 §4). Every byte of an answer
//! is hostile: lengths are checked, compression pointers may only point backwards and are
//! followed a bounded number of times, and an answer must carry our id and our question.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const HEADER: usize = 12;
/// A name is at most 255 bytes on the wire (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;

/// What an answer to our question says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// NOERROR: the addresses of the asked type (maybe none).
    Addrs(Vec<IpAddr>),
    /// NXDOMAIN: the name does not exist.
    NxDomain,
    /// REFUSED.
    Refused,
    /// Any other response code.
    Other(u8),
}

/// The query for `name` (dotted, no trailing dot needed) of type `qtype`, recursion desired.
pub fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(HEADER + name.len() + 6);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let start = out.len();
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("'{name}' is not a valid DNS name"));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    if out.len() - start > MAX_NAME {
        return Err(format!("'{name}' is too long for a DNS name"));
    }
    Ok(())
}

/// Reads the answer to the query [`encode_query`] made with `id`, `name` and `qtype`.
pub fn decode_answer(msg: &[u8], id: u16, name: &str, qtype: u16) -> Result<Answer, String> {
    let r = Reader { msg };
    let word = |at: usize| r.u16(at);
    if word(0)? != id {
        return Err("answer id does not match the query".into());
    }
    let flags = word(2)?;
    if flags & 0x8000 == 0 {
        return Err("not a response".into());
    }
    if flags & 0x0200 != 0 {
        return Err("truncated answer".into());
    }
    if word(4)? != 1 {
        return Err("answer does not carry exactly one question".into());
    }
    let ancount = word(6)?;
    let (qname, mut at) = r.name(HEADER)?;
    if !qname.eq_ignore_ascii_case(name.trim_end_matches('.'))
        || word(at)? != qtype
        || word(at + 2)? != CLASS_IN
    {
        return Err("answer is not about the question asked".into());
    }
    at += 4;
    match (flags & 0x000f) as u8 {
        0 => {}
        3 => return Ok(Answer::NxDomain),
        5 => return Ok(Answer::Refused),
        rcode => return Ok(Answer::Other(rcode)),
    }
    let mut addrs = Vec::new();
    for _ in 0..ancount {
        let (_, next) = r.name(at)?;
        let (rtype, class, len) = (word(next)?, word(next + 2)?, usize::from(word(next + 8)?));
        let data = r.slice(next + 10, len)?;
        at = next + 10 + len;
        if class != CLASS_IN || rtype != qtype {
            continue; // a CNAME on the way, or another type: the addresses follow it
        }
        addrs.push(match (rtype, data.len()) {
            (TYPE_A, 4) => IpAddr::V4(Ipv4Addr::new(data[0], data[1], data[2], data[3])),
            (TYPE_AAAA, 16) => IpAddr::V6(Ipv6Addr::from(
                <[u8; 16]>::try_from(data).expect("16 bytes"),
            )),
            _ => return Err("address record of the wrong length".into()),
        });
    }
    Ok(Answer::Addrs(addrs))
}

struct Reader<'a> {
    msg: &'a [u8],
}

impl Reader<'_> {
    fn slice(&self, at: usize, len: usize) -> Result<&[u8], String> {
        at.checked_add(len)
            .and_then(|end| self.msg.get(at..end))
            .ok_or_else(|| "answer too short".to_string())
    }

    fn u16(&self, at: usize) -> Result<u16, String> {
        let b = self.slice(at, 2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// The dotted name at `at`, and where the message goes on after it.
    fn name(&self, mut at: usize) -> Result<(String, usize), String> {
        let mut name = String::new();
        let mut after = None;
        let mut wire = 0;
        loop {
            let len = *self.slice(at, 1)?.first().expect("one byte");
            match len & 0xc0 {
                0x00 if len == 0 => break,
                0x00 => {
                    let label = self.slice(at + 1, usize::from(len))?;
                    wire += 1 + label.len();
                    if wire > MAX_NAME {
                        return Err("name too long".into());
                    }
                    if !name.is_empty() {
                        name.push('.');
                    }
                    name.extend(label.iter().map(|&c| char::from(c)));
                    at += 1 + usize::from(len);
                }
                0xc0 => {
                    let target = usize::from(self.u16(at)? & 0x3fff);
                    // Only backwards: a loop cannot form, and the walk ends.
                    if target >= at {
                        return Err("compression pointer does not point back".into());
                    }
                    after.get_or_insert(at + 2);
                    at = target;
                }
                _ => return Err("unknown label type".into()),
            }
        }
        Ok((name, after.unwrap_or(at + 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: u16, rcode: u16, name: &str, qtype: u16, rdatas: &[&[u8]]) -> Vec<u8> {
        let mut m = encode_query(id, name, qtype).unwrap();
        m[2] = 0x81;
        m[3] = 0x80 | rcode as u8;
        m[7] = rdatas.len() as u8;
        for d in rdatas {
            m.extend_from_slice(&[0xc0, 12]);
            m.extend_from_slice(&qtype.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 5, 0, d.len() as u8]);
            m.extend_from_slice(d);
        }
        m
    }

    #[test]
    fn a_query_is_a_header_and_one_question() {
        let q = encode_query(0x1234, "app.test", TYPE_A).unwrap();
        assert_eq!(
            q,
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03app\x04test\x00\x00\x01\x00\x01"
        );
        assert!(encode_query(1, "a..b", TYPE_A).is_err());
        assert!(encode_query(1, &"a".repeat(64), TYPE_A).is_err());
        assert!(encode_query(1, &["abc"; 70].join("."), TYPE_A).is_err());
    }

    #[test]
    fn answers_give_their_addresses_in_order() {
        let m = answer(
            7,
            0,
            "app.test",
            TYPE_A,
            &[&[127, 0, 0, 2], &[127, 0, 0, 3]],
        );
        let want = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
        assert_eq!(
            decode_answer(&m, 7, "APP.test.", TYPE_A),
            Ok(Answer::Addrs(want))
        );
        let six = answer(7, 0, "app.test", TYPE_AAAA, &[&[0; 16]]);
        let want = vec!["::".parse().unwrap()];
        assert_eq!(
            decode_answer(&six, 7, "app.test", TYPE_AAAA),
            Ok(Answer::Addrs(want))
        );
    }

    #[test]
    fn response_codes() {
        let nx = answer(7, 3, "app.test", TYPE_A, &[]);
        assert_eq!(
            decode_answer(&nx, 7, "app.test", TYPE_A),
            Ok(Answer::NxDomain)
        );
        let refused = answer(7, 5, "app.test", TYPE_A, &[]);
        assert_eq!(
            decode_answer(&refused, 7, "app.test", TYPE_A),
            Ok(Answer::Refused)
        );
        let fail = answer(7, 2, "app.test", TYPE_A, &[]);
        assert_eq!(
            decode_answer(&fail, 7, "app.test", TYPE_A),
            Ok(Answer::Other(2))
        );
    }

    #[test]
    fn answers_to_another_question_are_refused() {
        let m = answer(7, 0, "app.test", TYPE_A, &[&[127, 0, 0, 2]]);
        assert!(decode_answer(&m, 8, "app.test", TYPE_A).is_err());
        assert!(decode_answer(&m, 7, "other.test", TYPE_A).is_err());
        assert!(decode_answer(&m, 7, "app.test", TYPE_AAAA).is_err());
        let query = encode_query(7, "app.test", TYPE_A).unwrap();
        assert!(decode_answer(&query, 7, "app.test", TYPE_A).is_err());
    }

    #[test]
    fn hostile_answers_are_errors_not_panics() {
        let good = answer(7, 0, "app.test", TYPE_A, &[&[127, 0, 0, 2]]);
        for cut in 0..good.len() {
            assert!(decode_answer(&good[..cut], 7, "app.test", TYPE_A).is_err());
        }
        let mut wrong_len = answer(7, 0, "app.test", TYPE_A, &[&[127, 0, 0]]);
        assert!(decode_answer(&wrong_len, 7, "app.test", TYPE_A).is_err());
        // A pointer to itself.
        wrong_len.truncate(HEADER);
        wrong_len.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(decode_answer(&wrong_len, 7, "app.test", TYPE_A).is_err());
        let mut truncated = good.clone();
        truncated[2] |= 0x02;
        assert!(decode_answer(&truncated, 7, "app.test", TYPE_A).is_err());
    }
}
