//! Clients that do not play by the rules. Each must be cut by the timeout that governs it (or
//! at once), measured from the moment that timeout starts; anything they receive may name
//! only their own requests.

use super::ctx::{send, Ctx, Done, Rng, OVERTIME, SLACK};
use super::normal::{check, Ask};
use super::wire::{self, Reader};
use std::future::pending;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpSocket;

pub const KINDS: &[&str] = &[
    "slowloris",
    "idle",
    "cl-short-close",
    "cl-short-halfclose",
    "cl-short-silent",
    "bad-chunk",
    "cl-plus-te",
    "huge-head",
    "1000-headers",
    "never-reads",
    "rst-mid-request",
    "halfclose-after-head",
    "garbage",
    "pipeline-partial",
];

const RAW_CAP: usize = 256 * 1024;

pub async fn run(ctx: &Ctx, kind: &str, rng: &mut Rng) -> Result<Done, String> {
    match kind {
        "slowloris" => slowloris(ctx, rng).await,
        "idle" => idle(ctx).await,
        "cl-short-close" => cl_short(ctx, rng, Short::Close).await,
        "cl-short-halfclose" => cl_short(ctx, rng, Short::HalfClose).await,
        "cl-short-silent" => cl_short(ctx, rng, Short::Silent).await,
        "bad-chunk" => bad_chunk(ctx, rng).await,
        "cl-plus-te" => cl_plus_te(ctx, rng).await,
        "huge-head" => huge_head(ctx, rng).await,
        "1000-headers" => many_headers(ctx).await,
        "never-reads" => never_reads(ctx).await,
        "rst-mid-request" => rst_mid_request(ctx, rng).await,
        "halfclose-after-head" => halfclose_after_head(ctx, rng).await,
        "garbage" => garbage(ctx, rng).await,
        "pipeline-partial" => pipeline_partial(ctx, rng).await,
        _ => unreachable!("{kind}"),
    }
}

/// Reads until lbtop ends the connection, which it must within `bound` of `from`; what came
/// may name only `own` requests.
async fn cut_within(
    ctx: &Ctx,
    r: &mut Reader<OwnedReadHalf>,
    from: Instant,
    bound: Duration,
    own: &[u64],
) -> Result<Done, String> {
    let closed = r.until_closed(from + bound + OVERTIME).await;
    if let Some(other) = wire::foreign(&r.raw, own) {
        return Err(format!(
            "LEAK: a hostile connection of {} got {}",
            wire::token(own[0]),
            ctx.name(other)
        ));
    }
    let end = closed.map_err(|e| {
        format!(
            "{e} {:.1?} after its timeout started (bound {bound:.1?}); got {:?}",
            from.elapsed(),
            String::from_utf8_lossy(&r.raw[..r.raw.len().min(120)])
        )
    })?;
    Ok(Done {
        answered: 0,
        life: Some(end - from),
        bound: Some(bound),
    })
}

/// Writes `first`, then (if any) one byte of `drip` every `every`, for as long as the socket
/// takes them; never finishes, so it is raced against the reader.
async fn dribble(
    mut w: tokio::net::tcp::OwnedWriteHalf,
    first: Vec<u8>,
    drip: &[u8],
    every: Duration,
) -> Result<Done, String> {
    if w.write_all(&first).await.is_ok() {
        for &b in drip.iter().cycle().take(400) {
            tokio::time::sleep(every).await;
            if w.write_all(&[b]).await.is_err() {
                break;
            }
        }
    }
    pending().await
}

/// A head that never ends: one byte every 200 ms. `timeout http-request` runs from the accept.
async fn slowloris(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let start = Instant::now();
    let (rd, wr) = ctx.connect().await?.into_split();
    let id = ctx.id();
    let first = format!("GET /t/{} HTTP/1.1\r\nhost: soak\r\n", wire::token(id));
    let every = Duration::from_millis(rng.range(100, 300));
    let mut r = Reader::new(rd, RAW_CAP);
    let bound = ctx.t.http_request + SLACK;
    let own = [id];
    tokio::select! {
        done = cut_within(ctx, &mut r, start, bound, &own) => done,
        never = dribble(wr, first.into_bytes(), b"x-slow: aaaaaaaaaaaaaaa", every) => never,
    }
}

/// Connects and says nothing.
async fn idle(ctx: &Ctx) -> Result<Done, String> {
    let start = Instant::now();
    let (rd, _wr) = ctx.connect().await?.into_split();
    let mut r = Reader::new(rd, RAW_CAP);
    cut_within(ctx, &mut r, start, ctx.t.http_request + SLACK, &[0]).await
}

enum Short {
    Close,
    HalfClose,
    Silent,
}

/// `Content-Length: 10` and fewer bytes, then a close, a half-close, or silence.
async fn cl_short(ctx: &Ctx, rng: &mut Rng, then: Short) -> Result<Done, String> {
    let s = ctx.connect().await?;
    let id = ctx.id();
    let mut bytes = format!(
        "POST /t/{} HTTP/1.1\r\nhost: soak\r\nx-id: {}\r\ncontent-length: 10\r\n\r\n",
        wire::token(id),
        wire::token(id)
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b'b', rng.range(0, 9) as usize));
    let (rd, mut wr) = s.into_split();
    send(&mut wr, &bytes).await?;
    let sent = Instant::now();
    let mut r = Reader::new(rd, RAW_CAP);
    // The body can never be whole: a client that closed has aborted; a silent one is cut by
    // `timeout client` (or by `timeout server` if lbtop waits on the server meanwhile).
    let bound = ctx.t.client.max(ctx.t.server) + SLACK;
    match then {
        Short::Close => {
            drop((r, wr));
            Ok(Done::default())
        }
        Short::HalfClose => {
            wr.shutdown().await.map_err(|e| format!("shutdown: {e}"))?;
            cut_within(ctx, &mut r, sent, bound, &[id]).await
        }
        Short::Silent => cut_within(ctx, &mut r, sent, bound, &[id]).await,
    }
}

/// Chunked request bodies with broken framing.
async fn bad_chunk(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let s = ctx.connect().await?;
    let id = ctx.id();
    let broken: &[&str] = &[
        "zz\r\nhello\r\n0\r\n\r\n",
        "-5\r\nhello\r\n0\r\n\r\n",
        "fffffffffffffffffffff\r\nhello\r\n",
        "5\r\nhelloXX0\r\n\r\n",
        "5 5\r\nhello\r\n0\r\n\r\n",
        "\r\n\r\n\r\n",
    ];
    let body = broken[rng.next() as usize % broken.len()];
    let bytes = format!(
        "POST /t/{} HTTP/1.1\r\nhost: soak\r\nx-id: {}\r\ntransfer-encoding: chunked\r\n\r\n{body}",
        wire::token(id),
        wire::token(id)
    );
    let (rd, mut wr) = s.into_split();
    send(&mut wr, bytes.as_bytes()).await?;
    let sent = Instant::now();
    let mut r = Reader::new(rd, RAW_CAP);
    cut_within(ctx, &mut r, sent, ctx.t.client + SLACK, &[id]).await
}

/// Both `Content-Length` and `Transfer-Encoding` (the chunked body wins; the connection must
/// close after the answer), followed by a request a length-reading hop would see differently.
async fn cl_plus_te(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let s = ctx.connect().await?;
    let id = ctx.id();
    let next = ctx.id();
    let smuggled = if rng.percent(50) {
        format!(
            "GET /t/{} HTTP/1.1\r\nhost: soak\r\n\r\n",
            wire::token(next)
        )
    } else {
        String::new()
    };
    let bytes = format!(
        "POST /t/{} HTTP/1.1\r\nhost: soak\r\nx-id: {}\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n{smuggled}",
        wire::token(id),
        wire::token(id)
    );
    let (rd, mut wr) = s.into_split();
    send(&mut wr, bytes.as_bytes()).await?;
    let sent = Instant::now();
    let mut r = Reader::new(rd, RAW_CAP);
    cut_within(ctx, &mut r, sent, ctx.t.server + SLACK, &[id, next]).await
}

/// A 70 KB head: one huge header, or seventy of 1 KB.
async fn huge_head(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let start = Instant::now();
    let (rd, wr) = ctx.connect().await?.into_split();
    let id = ctx.id();
    let mut head = format!("GET /t/{} HTTP/1.1\r\nhost: soak\r\n", wire::token(id));
    if rng.percent(50) {
        head.push_str(&format!("x-big: {}\r\n", "a".repeat(70 * 1024)));
    } else {
        for i in 0..70 {
            head.push_str(&format!("x-big-{i}: {}\r\n", "b".repeat(1010)));
        }
    }
    head.push_str("\r\n");
    let mut r = Reader::new(rd, RAW_CAP);
    let bound = ctx.t.http_request + SLACK;
    let own = [id];
    tokio::select! {
        done = cut_within(ctx, &mut r, start, bound, &own) => done,
        never = dribble(wr, head.into_bytes(), b"", Duration::ZERO) => never,
    }
}

/// A thousand headers, in a head small enough (14 KB) that only their number is wrong.
async fn many_headers(ctx: &Ctx) -> Result<Done, String> {
    let start = Instant::now();
    let (rd, wr) = ctx.connect().await?.into_split();
    let id = ctx.id();
    let mut head = format!("GET /t/{} HTTP/1.1\r\nhost: soak\r\n", wire::token(id));
    for i in 0..1000 {
        head.push_str(&format!("x-h{i:04}: v\r\n"));
    }
    head.push_str("\r\n");
    let mut r = Reader::new(rd, RAW_CAP);
    let bound = ctx.t.http_request + SLACK;
    let own = [id];
    tokio::select! {
        done = cut_within(ctx, &mut r, start, bound, &own) => done,
        never = dribble(wr, head.into_bytes(), b"", Duration::ZERO) => never,
    }
}

const NEVER_READ_SIZE: usize = 16 << 20;

/// Asks for 16 MiB with a 4 KiB receive buffer and reads nothing: lbtop's writes stall, and
/// `timeout client` must cut it (`cD`). The client cannot see the close without reading, so
/// it waits that long plus slack, then drains: it must meet the end well before 16 MiB.
async fn never_reads(ctx: &Ctx) -> Result<Done, String> {
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .set_recv_buffer_size(4096)
        .map_err(|e| e.to_string())?;
    let connect = tokio::time::timeout(Duration::from_secs(5), socket.connect(ctx.addr));
    let s = match connect.await {
        Ok(Ok(s)) => s,
        _ => return Err("connect failed".into()),
    };
    let ask = Ask {
        id: ctx.id(),
        size: NEVER_READ_SIZE,
        delay: 0,
        chunked: false,
        gap: 0,
        trail: false,
    };
    let (rd, mut wr) = s.into_split();
    send(&mut wr, &ask.head("GET", "HTTP/1.1", "")).await?;
    let sent = Instant::now();
    tokio::time::sleep(ctx.t.client + SLACK).await;
    let mut r = Reader::new(rd, RAW_CAP);
    let drain = Duration::from_secs(3);
    let bound = ctx.t.client + SLACK + drain;
    let closed = r.until_closed(Instant::now() + drain).await;
    if let Some(other) = wire::foreign(&r.raw, &[ask.id]) {
        return Err(format!(
            "LEAK: {} got {}",
            wire::token(ask.id),
            ctx.name(other)
        ));
    }
    match closed {
        Ok(end) if r.received < NEVER_READ_SIZE as u64 => Ok(Done {
            answered: 0,
            life: Some(end - sent),
            bound: Some(bound),
        }),
        Ok(_) => Err(format!(
            "a client that read nothing for {:.1?} still got the whole 16 MiB",
            ctx.t.client + SLACK
        )),
        Err(e) => Err(format!(
            "{e} {:.1?} after it stopped reading ({} bytes drained)",
            sent.elapsed(),
            r.received
        )),
    }
}

/// Resets (SO_LINGER 0) at a random point of a request: mid-head, mid-body, while the server
/// thinks, or mid-answer.
async fn rst_mid_request(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let mut s = ctx.connect().await?;
    let id = ctx.id();
    let tok = wire::token(id);
    match rng.next() % 5 {
        0 => {
            send(
                &mut s,
                format!("GET /t/{tok} HTTP/1.1\r\nhost: so").as_bytes(),
            )
            .await?
        }
        1 => {
            let head = format!(
                "POST /t/{tok} HTTP/1.1\r\nhost: soak\r\nx-id: {tok}\r\ncontent-length: 100000\r\n\r\n"
            );
            send(&mut s, head.as_bytes()).await?;
            send(&mut s, &wire::upload(id, 30_000)).await?;
        }
        2 => {
            let head = format!("POST /t/{tok} HTTP/1.1\r\nhost: soak\r\nx-id: {tok}\r\ntransfer-encoding: chunked\r\n\r\n400\r\n");
            send(&mut s, head.as_bytes()).await?;
            send(&mut s, &wire::upload(id, 300)).await?;
        }
        3 => {
            let head =
                format!("GET /t/{tok}?delay=800 HTTP/1.1\r\nhost: soak\r\nx-id: {tok}\r\n\r\n");
            send(&mut s, head.as_bytes()).await?;
        }
        _ => {
            let head =
                format!("GET /t/{tok}?size=1048576 HTTP/1.1\r\nhost: soak\r\nx-id: {tok}\r\n\r\n");
            send(&mut s, head.as_bytes()).await?;
            let mut r = Reader::new(s, RAW_CAP);
            let _ = r.fill(Instant::now() + Duration::from_secs(5)).await;
            if let Some(other) = wire::foreign(&r.raw, &[id]) {
                return Err(format!("LEAK: {tok} got {}", ctx.name(other)));
            }
            s = r.io;
        }
    }
    tokio::time::sleep(Duration::from_millis(rng.range(0, 100))).await;
    s.set_zero_linger().map_err(|e| e.to_string())?;
    drop(s);
    Ok(Done::default())
}

/// A whole request, then the client's side of the connection shut: the answer still comes
/// (HAProxy answers a half-closed client) and then the close.
async fn halfclose_after_head(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let s = ctx.connect().await?;
    let ask = Ask::small(ctx, rng);
    let (rd, mut wr) = s.into_split();
    send(&mut wr, &ask.head("GET", "HTTP/1.1", "")).await?;
    wr.shutdown().await.map_err(|e| format!("shutdown: {e}"))?;
    let shut = Instant::now();
    let mut r = Reader::new(rd, RAW_CAP);
    let mut done = cut_within(ctx, &mut r, shut, ctx.t.server + SLACK, &[ask.id]).await?;
    if !r.raw.is_empty() {
        // Whatever came must be the exact answer.
        let mut again = Reader::new(&r.raw[..], 0);
        let reply = wire::reply(&mut again, Instant::now() + Duration::from_secs(1))
            .await
            .map_err(|e| format!("{}: {e}", wire::token(ask.id)))?;
        check(ctx, &reply, &ask, &[])?;
        done.answered = 1;
    }
    Ok(done)
}

/// Bytes that are no request: binary noise, or a request line followed by it.
async fn garbage(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let start = Instant::now();
    let (rd, wr) = ctx.connect().await?.into_split();
    let len = rng.range(1, 2048) as usize;
    let mut bytes: Vec<u8> = if rng.percent(50) {
        b"GET / HTTP/1.1\r\n".to_vec()
    } else {
        Vec::new()
    };
    bytes.extend((0..len).map(|_| (rng.next() >> 24) as u8));
    if rng.percent(50) {
        bytes.extend_from_slice(b"\r\n\r\n");
    }
    let mut r = Reader::new(rd, RAW_CAP);
    let bound = ctx.t.http_request + SLACK;
    tokio::select! {
        done = cut_within(ctx, &mut r, start, bound, &[0]) => done,
        never = dribble(wr, bytes, b"", Duration::ZERO) => never,
    }
}

/// Two whole requests and the start of a third in one write: two exact answers, then the
/// third head's `timeout http-request`.
async fn pipeline_partial(ctx: &Ctx, rng: &mut Rng) -> Result<Done, String> {
    let (rd, mut wr) = ctx.connect().await?.into_split();
    let asks = [Ask::small(ctx, rng), Ask::small(ctx, rng)];
    let third = ctx.id();
    let mut bytes = Vec::new();
    for ask in &asks {
        bytes.extend(ask.head("GET", "HTTP/1.1", ""));
    }
    bytes.extend(
        format!(
            "GET /t/{} HTTP/1.1\r\nhost: soak\r\nx-pa",
            wire::token(third)
        )
        .as_bytes(),
    );
    send(&mut wr, &bytes).await?;
    let mut r = Reader::new(rd, RAW_CAP);
    for ask in &asks {
        let reply = wire::reply(&mut r, Instant::now() + ask.wait())
            .await
            .map_err(|e| format!("{}: {e}", wire::token(ask.id)))?;
        check(ctx, &reply, ask, &[])?;
    }
    let answered = Instant::now();
    let own = [asks[0].id, asks[1].id, third];
    let mut done = cut_within(ctx, &mut r, answered, ctx.t.http_request + SLACK, &own).await?;
    done.answered = 2;
    drop(wr);
    Ok(done)
}

/// Opens `n` slowloris and idle connections at once, each checked like its kind, so memory
/// is measured under many concurrent partial heads.
pub async fn swarm(ctx: std::sync::Arc<Ctx>, seed: u64, n: usize) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let ctx = ctx.clone();
        set.spawn(async move {
            let mut rng = Rng::new(seed ^ i as u64);
            let (kind, done) = if i % 2 == 0 {
                ("slowloris", slowloris(&ctx, &mut rng).await)
            } else {
                ("idle", idle(&ctx).await)
            };
            ctx.record(kind, done);
        });
    }
    while set.join_next().await.is_some() {}
}

/// For the end of the run: one plain request.
pub async fn simple_get(ctx: &Ctx) -> Result<(), String> {
    let mut r = Reader::new(ctx.connect().await?, RAW_CAP);
    let ask = Ask {
        id: ctx.id(),
        size: 100,
        delay: 0,
        chunked: false,
        gap: 0,
        trail: false,
    };
    send(
        &mut r.io,
        &ask.head("GET", "HTTP/1.1", "connection: close\r\n"),
    )
    .await?;
    let reply = wire::reply(&mut r, Instant::now() + Duration::from_secs(5))
        .await
        .map_err(|e| e.to_string())?;
    check(ctx, &reply, &ask, &[])
}
