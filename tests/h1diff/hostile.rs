//! Hostile-server cases: the client sends plain requests and the origin answers the first one
//! with a generated bad response (framing tricks, 1xx, 101, extra or missing bytes, closes,
//! stalls), and the second one normally.

use super::generate::Rng;

/// What the origin does when answering one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Act {
    Send(Vec<u8>),
    SleepMs(u64),
    /// Close the connection (the rest of the script is dropped).
    Close,
}

/// The client's side of a hostile case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// `GET /1`, wait for quiet, `GET /2` (Connection: close), read to the end.
    Gets,
    /// `HEAD /1`, then `GET /2`.
    Head,
    /// `POST /1` with `Content-Length: 10` and only 3 body bytes, wait for quiet, then the 7
    /// remaining bytes followed by `GET /2`.
    EarlyPost,
    /// `GET /1` asking for a websocket upgrade, then `GET /2`.
    Upgrade,
    /// `POST /1` with a full 5-byte body, then `GET /2`.
    Post,
    /// `GET /1` on a first connection (kept open); then a second client sends `GET /b1`, waits,
    /// and `GET /b2` (which may reuse the first client's pooled server connection); then the
    /// first client sends `GET /2`.
    TwoClients,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub flow: Flow,
    /// The origin's script for the first request it receives in the case.
    pub first: Vec<Act>,
    /// Answer the first request as soon as its head is read, before its body.
    pub early: bool,
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The hostile response number `id`.
pub fn plan(seed: u64, id: u64, tricks: &mut Vec<String>) -> Plan {
    let mut rng = Rng::new(seed ^ id.wrapping_mul(0xE703_7ED1_A0B4_28DB) ^ 0x5EED);
    let flow = *rng.weighted(&[
        (8, Flow::Gets),
        (2, Flow::Head),
        (2, Flow::EarlyPost),
        (1, Flow::Upgrade),
        (2, Flow::Post),
        (2, Flow::TwoClients),
    ]);
    tricks.push(format!("flow-{flow:?}").to_lowercase());
    let tag = "x-req: 1\r\n";
    let (label, kind) = *rng.weighted(&[
        (3, ("resp-cl+te", 0)),
        (2, ("resp-te+cl", 1)),
        (2, ("resp-two-cl-different", 2)),
        (1, ("resp-two-cl-equal", 3)),
        (2, ("resp-cl-n,n", 4)),
        (2, ("resp-cl-plus", 5)),
        (1, ("resp-cl-leading-zero", 6)),
        (1, ("resp-cl-huge", 7)),
        (3, ("resp-chunk-size-junk", 8)),
        (2, ("resp-chunk-overflow", 9)),
        (2, ("resp-chunk-ext-trailer", 10)),
        (3, ("resp-te-gzip", 11)),
        (2, ("resp-te-gzip-chunked", 12)),
        (1, ("resp-te-chunked-gzip", 13)),
        (1, ("resp-te-identity", 14)),
        (1, ("resp-te-Chunked", 15)),
        (3, ("resp-100-then-200", 16)),
        (2, ("resp-103-then-200", 17)),
        (1, ("resp-102x2-then-200", 18)),
        (3, ("resp-101-unasked", 19)),
        (3, ("resp-longer-than-cl", 20)),
        (3, ("resp-two-responses", 21)),
        (3, ("resp-late-unsolicited", 22)),
        (3, ("resp-close-mid-body", 23)),
        (2, ("resp-close-mid-chunk", 24)),
        (2, ("resp-close-delimited", 25)),
        (1, ("resp-http/1.0", 26)),
        (2, ("resp-bare-lf", 27)),
        (1, ("resp-204-with-body", 28)),
        (1, ("resp-304-with-cl", 29)),
        (1, ("resp-status-2000", 30)),
        (1, ("resp-status-099", 31)),
        (1, ("resp-no-reason", 32)),
        (2, ("resp-garbage", 33)),
        (1, ("resp-obs-fold", 34)),
        (1, ("resp-nul-in-value", 35)),
        (2, ("resp-space-before-colon", 36)),
        (2, ("resp-header-count", 37)),
        (2, ("resp-head-size", 38)),
        (1, ("resp-connection-close", 39)),
        (1, ("resp-hop-by-hop", 40)),
        (3, ("resp-close-without-answer", 41)),
        (2, ("resp-close-mid-head", 42)),
        (2, ("resp-slow-then-answer", 43)),
        (2, ("resp-trickle-body", 44)),
        (1, ("resp-1xx-with-cl-body", 45)),
        (1, ("resp-chunk-bare-lf", 46)),
        (1, ("resp-http/0.9", 47)),
    ]);
    tricks.push(label.into());
    let ok = |body: &str| {
        b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}content-length: {}\r\n\r\n{body}",
            body.len()
        ))
    };
    let first: Vec<Act> = match kind {
        0 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")))],
        1 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n5\r\nhello\r\n0\r\n\r\n")))],
        2 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!")))],
        3 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")))],
        4 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 5,5\r\n\r\nhello")))],
        5 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: +5\r\n\r\nhello")))],
        6 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 005\r\n\r\nhello")))],
        7 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 18446744073709551621\r\n\r\nhello")))],
        8 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n")))],
        9 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n")))],
        10 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nx-t: 1\r\n\r\n")))],
        11 => vec![
            Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: gzip\r\n\r\nhello"))),
            Act::Close,
        ],
        12 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")))],
        13 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n")))],
        14 => vec![
            Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: identity\r\n\r\nhello"))),
            Act::Close,
        ],
        15 => vec![Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")))],
        16 => {
            let mut v = b("HTTP/1.1 100 Continue\r\n\r\n");
            v.extend(ok("hello"));
            vec![Act::Send(v)]
        }
        17 => {
            let mut v = b("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");
            v.extend(ok("hello"));
            vec![Act::Send(v)]
        }
        18 => {
            let mut v = b("HTTP/1.1 102 Processing\r\n\r\n");
            v.extend(b("HTTP/1.1 102 Processing\r\n\r\n"));
            v.extend(ok("hello"));
            vec![
                Act::Send(v[..27].to_vec()),
                Act::SleepMs(30),
                Act::Send(v[27..].to_vec()),
            ]
        }
        19 => vec![Act::Send(b(&format!(
            "HTTP/1.1 101 Switching Protocols\r\n{tag}Connection: Upgrade\r\nUpgrade: foo\r\n\r\nRAWBYTES"
        )))],
        20 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}Content-Length: 5\r\n\r\nhelloEXTRA-BYTES"
        )))],
        21 => {
            let mut v = ok("hello");
            v.extend(b(
                "HTTP/1.1 200 OK\r\nx-req: EVIL\r\ncontent-length: 4\r\n\r\nevil",
            ));
            vec![Act::Send(v)]
        }
        22 => vec![
            Act::Send(ok("hello")),
            Act::SleepMs(60),
            Act::Send(b(
                "HTTP/1.1 200 OK\r\nx-req: LATE\r\ncontent-length: 4\r\n\r\nlate",
            )),
        ],
        23 => vec![
            Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}Content-Length: 10\r\n\r\nhel"))),
            Act::SleepMs(20),
            Act::Close,
        ],
        24 => vec![
            Act::Send(b(&format!(
                "HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked\r\n\r\n5\r\nhel"
            ))),
            Act::SleepMs(20),
            Act::Close,
        ],
        25 => vec![
            Act::Send(b(&format!("HTTP/1.1 200 OK\r\n{tag}\r\nuntil-close"))),
            Act::Close,
        ],
        26 => vec![Act::Send(b(&format!(
            "HTTP/1.0 200 OK\r\n{tag}Content-Length: 5\r\n\r\nhello"
        )))],
        27 => vec![Act::Send(b(
            "HTTP/1.1 200 OK\nx-req: 1\nContent-Length: 5\n\nhello",
        ))],
        28 => vec![Act::Send(b(&format!(
            "HTTP/1.1 204 No Content\r\n{tag}Content-Length: 5\r\n\r\nhello"
        )))],
        29 => vec![Act::Send(b(&format!(
            "HTTP/1.1 304 Not Modified\r\n{tag}Content-Length: 5\r\n\r\n"
        )))],
        30 => vec![Act::Send(b(&format!(
            "HTTP/1.1 2000 OK\r\n{tag}Content-Length: 5\r\n\r\nhello"
        )))],
        31 => vec![Act::Send(b(&format!(
            "HTTP/1.1 099 X\r\n{tag}Content-Length: 5\r\n\r\nhello"
        )))],
        32 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200\r\n{tag}Content-Length: 5\r\n\r\nhello"
        )))],
        33 => vec![Act::Send(b("NOT HTTP AT ALL\r\n\r\n")), Act::Close],
        34 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}x-a: 1\r\n 2\r\nContent-Length: 5\r\n\r\nhello"
        )))],
        35 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}x-a: 1\x002\r\nContent-Length: 5\r\n\r\nhello"
        )))],
        36 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}Content-Length : 5\r\n\r\nhello"
        )))],
        37 => {
            let n = 97 + rng.below(7);
            let extra: String = (0..n.saturating_sub(2)).map(|i| format!("x-h{i}: v\r\n")).collect();
            tricks.push(format!("resp-header-count-{n}"));
            vec![Act::Send(b(&format!(
                "HTTP/1.1 200 OK\r\n{tag}{extra}Content-Length: 5\r\n\r\nhello"
            )))]
        }
        38 => {
            let (x, y) = (rng.below(200), rng.below(200));
            let size = *rng.weighted(&[(2, 15200 + x), (1, 16300 + y)]);
            tricks.push(format!("resp-head-size-{}", size / 100 * 100));
            let pad = "p".repeat(size.saturating_sub(60));
            vec![Act::Send(b(&format!(
                "HTTP/1.1 200 OK\r\n{tag}x-pad: {pad}\r\nContent-Length: 5\r\n\r\nhello"
            )))]
        }
        39 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}Content-Length: 5\r\nConnection: close\r\n\r\nhello"
        )))],
        40 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}Content-Length: 5\r\nConnection: x-foo, keep-alive\r\nKeep-Alive: timeout=1\r\nx-foo: 1\r\nProxy-Connection: x\r\nUpgrade: h2\r\n\r\nhello"
        )))],
        41 => vec![Act::Close],
        42 => vec![Act::Send(b("HTTP/1.1 200 OK\r\nx-req: 1\r\nConte")), Act::Close],
        43 => vec![Act::SleepMs(900), Act::Send(ok("slow"))],
        44 => {
            // Head at once, then the body one byte per 250 ms: never inactive for 600 ms, but
            // longer than `timeout server` in total.
            let mut acts = vec![Act::Send(b(&format!(
                "HTTP/1.1 200 OK\r\n{tag}Content-Length: 4\r\n\r\n"
            )))];
            for c in ["a", "b", "c", "d"] {
                acts.push(Act::SleepMs(250));
                acts.push(Act::Send(b(c)));
            }
            acts
        }
        45 => {
            let mut v = b("HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\nabc");
            v.extend(ok("hello"));
            vec![Act::Send(v)]
        }
        46 => vec![Act::Send(b(&format!(
            "HTTP/1.1 200 OK\r\n{tag}Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"
        )))],
        _ => vec![Act::Send(b("hello world\n")), Act::Close],
    };
    let early = flow == Flow::EarlyPost;
    Plan { flow, first, early }
}
