//! Clients that play by the rules. Every answer must carry its own request's id, in the path's
//! echo (`x-id`), the header's echo (`x-hdr-id`) and the body, with status 200 and the exact
//! body; an id of any other request anywhere on the connection is a leak between users.

use super::ctx::{send, Ctx, Done, Rng, OVERTIME, SLACK};
use super::wire::{self, Reader, Reply};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

pub const KINDS: &[(&str, u64)] = &[
    ("keepalive-gets", 28),
    ("post-sized", 15),
    ("post-chunked", 15),
    ("pipelined", 15),
    ("http1.0", 10),
    ("slow-upload", 7),
    ("late-answer", 6),
];

/// Normal connections keep everything they receive for the leak scan.
const RAW_CAP: usize = 4 << 20;

/// One request: its id and how the origin should answer it.
#[derive(Debug, Clone)]
pub struct Ask {
    pub id: u64,
    pub size: usize,
    pub delay: u64,
    pub chunked: bool,
    pub gap: u64,
    /// The origin adds the start of an unasked second answer (see `origin`).
    pub trail: bool,
}

impl Ask {
    /// Mostly small and quick; some multi-KB and a few 256 KiB bodies, chunked or sized; a few
    /// slow answers (a late head, or a body in bursts), all well within `timeout server`; a
    /// few answers trailed by unasked bytes.
    pub fn random(ctx: &Ctx, rng: &mut Rng) -> Ask {
        let size = match rng.next() % 100 {
            0..=14 => 0,
            15..=54 => rng.range(1, 300),
            55..=84 => rng.range(300, 8000),
            85..=96 => rng.range(8000, 70_000),
            _ => 256 * 1024,
        } as usize;
        let chunked = rng.percent(40);
        let server_ms = ctx.t.server.as_millis() as u64;
        let delay = if rng.percent(6) {
            rng.range(100, server_ms * 6 / 10)
        } else {
            0
        };
        let gap = if rng.percent(5) {
            rng.range(100, server_ms * 3 / 10)
        } else {
            0
        };
        let ask = Ask {
            id: ctx.id(),
            size,
            delay,
            chunked,
            gap,
            trail: rng.percent(3),
        };
        if ask.trail {
            ctx.trailed(ask.id);
        }
        ask
    }

    pub fn small(ctx: &Ctx, rng: &mut Rng) -> Ask {
        Ask {
            id: ctx.id(),
            size: rng.range(0, 2000) as usize,
            delay: 0,
            chunked: rng.percent(40),
            gap: 0,
            trail: false,
        }
    }

    pub fn path(&self) -> String {
        format!(
            "/t/{}?size={}&delay={}&chunked={}&gap={}&trail={}",
            wire::token(self.id),
            self.size,
            self.delay,
            u8::from(self.chunked),
            self.gap,
            u8::from(self.trail)
        )
    }

    /// The request head; `extra` are more header lines, each ending in CRLF.
    pub fn head(&self, method: &str, version: &str, extra: &str) -> Vec<u8> {
        format!(
            "{method} {} {version}\r\nhost: soak\r\nx-id: {}\r\nuser-agent: soak\r\n{extra}\r\n",
            self.path(),
            wire::token(self.id)
        )
        .into_bytes()
    }

    /// How long the answer may take to arrive whole.
    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.delay + 3 * self.gap) + Duration::from_secs(10)
    }
}

/// The answer must be the origin's answer to exactly this request, with this body sent.
pub fn check(ctx: &Ctx, reply: &Reply, ask: &Ask, sent: &[u8]) -> Result<(), String> {
    let me = wire::token(ask.id);
    if let Some(other) = wire::foreign(&reply.bytes(), &[ask.id]) {
        return Err(format!(
            "LEAK: the answer to {me} carries {}: {:?}",
            ctx.name(other),
            reply.head.lines().take(2).collect::<Vec<_>>().join(" | ")
        ));
    }
    if reply.status != 200 {
        return Err(format!(
            "{me}: status {} instead of 200 ({:?})",
            reply.status,
            reply.head.lines().next().unwrap_or("")
        ));
    }
    for name in ["x-id", "x-hdr-id"] {
        if reply.header(name) != Some(me.as_str()) {
            return Err(format!("{me}: {name} is {:?}", reply.header(name)));
        }
    }
    let want = wire::answer_body(ask.id, ask.size, sent.len() as u64, wire::fnv(sent));
    if reply.body != want {
        let at = reply
            .body
            .iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .unwrap_or(reply.body.len().min(want.len()));
        return Err(format!(
            "{me}: body of {} bytes, expected {} (first difference at byte {at})",
            reply.body.len(),
            want.len()
        ));
    }
    Ok(())
}

/// Reads the answer to `ask` and checks it.
async fn answer(
    ctx: &Ctx,
    r: &mut Reader<TcpStream>,
    ask: &Ask,
    sent: &[u8],
) -> Result<(), String> {
    let before = r.raw.len();
    let reply = wire::reply(r, Instant::now() + ask.wait())
        .await
        .map_err(|e| {
            let got = &r.raw[before.min(r.raw.len())..];
            format!(
                "{}: {e} after {} bytes of its answer: {:?}",
                wire::token(ask.id),
                got.len(),
                String::from_utf8_lossy(&got[..got.len().min(160)])
            )
        })?;
    check(ctx, &reply, ask, sent)
}

/// Says where on its connection a failed request was, and what came before it.
fn context(e: String, i: u64, n: u64, previous: &Option<(Ask, Instant)>) -> String {
    match previous {
        Some((ask, at)) => format!(
            "{e} (request {} of {n} on its connection, sent right after the answer to {:?}, which came {:.1?} before)",
            i + 1,
            ask,
            at.elapsed()
        ),
        None => format!("{e} (request {} of {n} on its connection)", i + 1),
    }
}

/// After the last answer the connection must end within `bound`: nothing more may arrive
/// (a stray answer would be someone else's), and then the close.
async fn ends(
    r: &mut Reader<TcpStream>,
    from: Instant,
    bound: Duration,
) -> Result<Instant, String> {
    let before = r.received;
    let closed = r.until_closed(from + bound + OVERTIME).await;
    if r.received > before {
        return Err(format!(
            "{} unexpected bytes after the last answer: {:?}",
            r.received - before,
            String::from_utf8_lossy(&r.raw[r.raw.len().saturating_sub(200)..])
        ));
    }
    closed.map_err(|e| format!("{e} {:.1?} after the last answer", from.elapsed()))
}

/// Every id on the connection must be one of its own requests'.
fn scan(ctx: &Ctx, raw: &[u8], ids: &[u64]) -> Result<(), String> {
    match wire::foreign(raw, ids) {
        Some(other) => Err(format!(
            "LEAK: a connection of {} got {}",
            ids.iter()
                .map(|&i| wire::token(i))
                .collect::<Vec<_>>()
                .join(","),
            ctx.name(other)
        )),
        None => Ok(()),
    }
}

pub async fn run(ctx: &Ctx, kind: &str, rng: &mut Rng) -> Result<Done, String> {
    match kind {
        "keepalive-gets" => keepalive_gets(ctx, rng).await,
        "post-sized" | "post-chunked" => posts(ctx, rng, kind == "post-chunked").await,
        "pipelined" => pipelined(ctx, rng).await,
        "http1.0" => http10(ctx, rng).await,
        "slow-upload" => slow_upload(ctx, rng).await,
        "late-answer" => late_answer(ctx, rng).await,
        _ => unreachable!("{kind}"),
    }
}

/// The end of a normal connection: after `connection: close` it closes at once (within
/// `SLACK`), else after `timeout http-keep-alive`.
fn end_bound(ctx: &Ctx, closed_by_request: bool) -> Duration {
    if closed_by_request {
        SLACK
    } else {
        ctx.t.keep_alive + SLACK
    }
}

async fn keepalive_gets(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let n = rng.range(2, 6);
    let close = rng.percent(50);
    let mut ids = Vec::new();
    let mut previous = None;
    for i in 0..n {
        let ask = Ask::random(ctx, rng);
        ids.push(ask.id);
        let extra = if close && i + 1 == n {
            "connection: close\r\n"
        } else {
            ""
        };
        send(&mut r.io, &ask.head("GET", "HTTP/1.1", extra)).await?;
        answer(ctx, &mut r, &ask, &[])
            .await
            .map_err(|e| context(e, i, n, &previous))?;
        previous = Some((ask, Instant::now()));
    }
    let last = Instant::now();
    let bound = end_bound(ctx, close);
    let end = ends(&mut r, last, bound).await?;
    scan(ctx, &r.raw, &ids)?;
    Ok(Done {
        answered: n,
        life: Some(end - last),
        bound: Some(bound),
    })
}

/// A request body in chunks of random sizes, ending with the last chunk.
fn chunk_up(body: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let n = (rng.range(1, 9000) as usize).min(body.len() - at);
        let mut piece = format!("{n:x}\r\n").into_bytes();
        piece.extend_from_slice(&body[at..at + n]);
        piece.extend_from_slice(b"\r\n");
        pieces.push(piece);
        at += n;
    }
    pieces.push(b"0\r\n\r\n".to_vec());
    pieces
}

/// `pieces` sent one write at a time with short pauses, or all at once.
async fn send_pieces(
    w: &mut TcpStream,
    pieces: &[Vec<u8>],
    rng: &mut Rng,
    pause: bool,
) -> Result<(), String> {
    if !pause {
        return send(w, &pieces.concat()).await;
    }
    for piece in pieces {
        send(w, piece).await?;
        tokio::time::sleep(Duration::from_millis(rng.range(0, 40))).await;
    }
    Ok(())
}

async fn posts(ctx: &Ctx, rng: &mut Rng, chunked: bool) -> Result<Done, String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let n = rng.range(1, 3);
    let close = rng.percent(50);
    let mut ids = Vec::new();
    let mut previous = None;
    for i in 0..n {
        let mut ask = Ask::random(ctx, rng);
        ask.size = ask.size.min(8000);
        ids.push(ask.id);
        let len = match rng.next() % 10 {
            0 => 0,
            1..=6 => rng.range(1, 5000),
            _ => rng.range(5000, 100_000),
        } as usize;
        let body = wire::upload(ask.id, len);
        let mut extra = if chunked {
            "transfer-encoding: chunked\r\n".to_string()
        } else {
            format!("content-length: {len}\r\n")
        };
        if close && i + 1 == n {
            extra.push_str("connection: close\r\n");
        }
        let mut pieces = vec![ask.head("POST", "HTTP/1.1", &extra)];
        if chunked {
            pieces.extend(chunk_up(&body, rng));
        } else {
            pieces.extend(
                body.chunks(rng.range(1000, 40_000) as usize)
                    .map(<[u8]>::to_vec),
            );
        }
        let pause = rng.percent(30);
        send_pieces(&mut r.io, &pieces, rng, pause).await?;
        answer(ctx, &mut r, &ask, &body)
            .await
            .map_err(|e| context(e, i, n, &previous))?;
        previous = Some((ask, Instant::now()));
    }
    let last = Instant::now();
    let bound = end_bound(ctx, close);
    let end = ends(&mut r, last, bound).await?;
    scan(ctx, &r.raw, &ids)?;
    Ok(Done {
        answered: n,
        life: Some(end - last),
        bound: Some(bound),
    })
}

/// Several requests in one write (some with bodies), the last closing; answers in order.
async fn pipelined(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let n = rng.range(3, 6) as usize;
    let mut asks = Vec::new();
    let mut wire_bytes = Vec::new();
    for i in 0..n {
        let mut ask = Ask::random(ctx, rng);
        ask.size = ask.size.min(20_000);
        let close = if i + 1 == n {
            "connection: close\r\n"
        } else {
            ""
        };
        let body = if rng.percent(30) {
            wire::upload(ask.id, rng.range(1, 3000) as usize)
        } else {
            Vec::new()
        };
        if body.is_empty() {
            wire_bytes.extend(ask.head("GET", "HTTP/1.1", close));
        } else {
            let extra = format!("content-length: {}\r\n{close}", body.len());
            wire_bytes.extend(ask.head("POST", "HTTP/1.1", &extra));
            wire_bytes.extend_from_slice(&body);
        }
        asks.push((ask, body));
    }
    // In one write, or cut at a random place into two.
    let cut = if rng.percent(50) {
        rng.range(1, wire_bytes.len() as u64 - 1) as usize
    } else {
        wire_bytes.len()
    };
    send(&mut r.io, &wire_bytes[..cut]).await?;
    if cut < wire_bytes.len() {
        tokio::time::sleep(Duration::from_millis(rng.range(1, 30))).await;
        send(&mut r.io, &wire_bytes[cut..]).await?;
    }
    for (ask, body) in &asks {
        answer(ctx, &mut r, ask, body).await?;
    }
    let last = Instant::now();
    let end = ends(&mut r, last, SLACK).await?;
    let ids: Vec<u64> = asks.iter().map(|(a, _)| a.id).collect();
    scan(ctx, &r.raw, &ids)?;
    Ok(Done {
        answered: n as u64,
        life: Some(end - last),
        bound: Some(SLACK),
    })
}

/// An HTTP/1.0 request without keep-alive: the answer is sized or ends with the close, never
/// chunked.
async fn http10(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let ask = Ask::random(ctx, rng);
    send(&mut r.io, &ask.head("GET", "HTTP/1.0", "")).await?;
    let reply = wire::reply(&mut r, Instant::now() + ask.wait())
        .await
        .map_err(|e| format!("{}: {e}", wire::token(ask.id)))?;
    if reply.chunked {
        return Err(format!(
            "{}: a chunked answer to an HTTP/1.0 client",
            wire::token(ask.id)
        ));
    }
    check(ctx, &reply, &ask, &[])?;
    let last = Instant::now();
    let end = ends(&mut r, last, SLACK).await?;
    scan(ctx, &r.raw, &[ask.id])?;
    Ok(Done {
        answered: 1,
        life: Some(end - last),
        bound: Some(SLACK),
    })
}

/// An upload that takes longer than `timeout server` in all, in pieces each well within
/// `timeout client`: the server is waiting on the client, so neither timeout may cut it.
async fn slow_upload(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let ask = Ask::small(ctx, rng);
    let gap = ctx.t.client / 5;
    let pieces = (ctx.t.server.as_millis() * 14 / 10 / gap.as_millis()) as usize + 1;
    let body = wire::upload(ask.id, pieces * 1000);
    let chunked = rng.percent(50);
    let extra = if chunked {
        "transfer-encoding: chunked\r\nconnection: close\r\n".to_string()
    } else {
        format!("content-length: {}\r\nconnection: close\r\n", body.len())
    };
    let began = Instant::now();
    send(&mut r.io, &ask.head("POST", "HTTP/1.1", &extra)).await?;
    for (i, piece) in body.chunks(1000).enumerate() {
        if i > 0 {
            tokio::time::sleep(gap).await;
        }
        let mut bytes = piece.to_vec();
        if chunked {
            bytes = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
        }
        if i + 1 == pieces && chunked {
            bytes.extend_from_slice(b"0\r\n\r\n");
        }
        if let Err(e) = send(&mut r.io, &bytes).await {
            // Cut short: say what lbtop answered, if anything.
            let said = wire::reply(&mut r, Instant::now() + Duration::from_secs(1))
                .await
                .map_or_else(
                    |_| "nothing".to_string(),
                    |reply| reply.head.lines().next().unwrap_or("").to_string(),
                );
            return Err(format!(
                "{}: upload cut at piece {}/{pieces}, {:.1?} in, every piece {gap:?} apart ({e}); lbtop answered {said:?}",
                wire::token(ask.id),
                i + 1,
                began.elapsed()
            ));
        }
    }
    answer(ctx, &mut r, &ask, &body).await?;
    let last = Instant::now();
    let end = ends(&mut r, last, SLACK).await?;
    scan(ctx, &r.raw, &[ask.id])?;
    Ok(Done {
        answered: 1,
        life: Some(end - last),
        bound: Some(SLACK),
    })
}

/// A request the origin answers a second after `timeout server`: the client gets lbtop's 504,
/// and the origin's late answer must reach nobody. Then one more request on the same
/// connection (or a new one, if the 504 closed it), which must get its own answer.
async fn late_answer(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let mut late = Ask::small(ctx, rng);
    late.delay = (ctx.t.server + Duration::from_secs(1)).as_millis() as u64;
    send(&mut r.io, &late.head("GET", "HTTP/1.1", "")).await?;
    let reply = wire::reply(&mut r, Instant::now() + late.wait())
        .await
        .map_err(|e| format!("{} (late): {e}", wire::token(late.id)))?;
    if let Some(other) = wire::foreign(&reply.bytes(), &[late.id]) {
        return Err(format!(
            "LEAK: the 504 to {} carries {}",
            wire::token(late.id),
            ctx.name(other)
        ));
    }
    if reply.status != 504 {
        return Err(format!(
            "{}: status {} for an answer later than timeout server, expected 504",
            wire::token(late.id),
            reply.status
        ));
    }
    let mut ids = vec![late.id];
    let closed = reply
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    if closed {
        ends(&mut r, Instant::now(), SLACK).await?;
        scan(ctx, &r.raw, &ids)?;
        r = Reader::new(ctx.connect().await?, RAW_CAP);
    }
    let next = Ask::small(ctx, rng);
    ids.push(next.id);
    send(
        &mut r.io,
        &next.head("GET", "HTTP/1.1", "connection: close\r\n"),
    )
    .await?;
    answer(ctx, &mut r, &next, &[]).await.map_err(|e| {
        let on = if closed {
            "a new connection"
        } else {
            "the same one"
        };
        format!("{e} (the request after the 504, on {on})")
    })?;
    let last = Instant::now();
    let end = ends(&mut r, last, SLACK).await?;
    scan(ctx, &r.raw, &ids)?;
    Ok(Done {
        answered: 2,
        life: Some(end - last),
        bound: Some(SLACK),
    })
}
