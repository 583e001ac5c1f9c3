//! After a `101 Switching Protocols`: the response head goes to the client, then bytes pass
//! both ways as they come, as in TCP mode, until both sides have closed or nothing has moved
//! for `timeout tunnel` (docs/haproxy-semantics.md §23). The server connection is never
//! pooled after it.

use super::proxy::Client;
use super::relay::{write_within, ServerConn};
use super::session::Session;
use crate::engine::backend::Counters;
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::bufs;
use crate::engine::h1::bufs::Input;
use crate::engine::l4::activity::IdleLimits;
use crate::engine::l4::tcp::{self, Activity};
use crate::engine::stream::Stream;
use crate::events::Termination;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// After a `101`: the tunnel, logged when it ends (status 101, its bytes in `%B` and `%U`
/// after the head's). Neither connection takes another request.
pub(super) async fn upgraded(
    fe: &FrontendRt,
    client: &mut Client<'_>,
    mut session: Session<'_>,
    mut server: ServerConn,
    mut out: Vec<u8>,
) -> bool {
    let counters = &fe.backend.servers[session.server].counters;
    let idle = fe.idle_limits();
    let input = &mut *client.input;
    let tunneled = tunnel(client.stream, input, &mut server, &mut out, idle, counters);
    let flags = match crate::engine::live::or_killed(tunneled).await {
        Ok(t) => {
            session.tunneled(t.up, t.down);
            t.flags
        }
        // Ended by the server going DOWN, as a relayed body is (`DD`).
        Err(cause) => Termination::new(cause, b'D'),
    };
    bufs::give(out);
    session.end(flags, None);
    false
}

/// How a tunnel ended, and the bytes it carried each way (not counting the `101` head),
/// already added to the server's counters.
pub(super) struct Tunneled {
    pub(super) flags: Termination,
    /// From the client.
    pub(super) up: u64,
    /// From the server.
    pub(super) down: u64,
}

/// Sends `out` (the `101` head) and whatever the server sent behind it, then the bytes the
/// client sent behind its request (held until now, as HAProxy holds them), then relays.
/// `idle` holds the tunnel's idle limits. Bytes are added to the
/// server's live counters as they move.
pub(super) async fn tunnel(
    client: &mut Stream,
    client_input: &mut Input,
    server: &mut ServerConn,
    out: &mut Vec<u8>,
    idle: IdleLimits,
    counters: &Counters,
) -> Tunneled {
    let activity = Activity::new(Instant::now());
    let drained = drain(
        client,
        client_input,
        server,
        out,
        idle.base.0,
        (&activity, counters),
    );
    let flags = match drained.await {
        Ok(()) => relay(client, &mut server.stream, counters, &activity, idle).await,
        Err(flags) => flags,
    };
    Tunneled {
        flags,
        up: activity.up.load(Relaxed),
        down: activity.down.load(Relaxed),
    }
}

/// Writes what is already buffered on either side, counted as the relay counts the rest: in
/// `activity`, and live on the server's counters.
async fn drain(
    client: &mut Stream,
    client_input: &mut Input,
    server: &mut ServerConn,
    out: &mut Vec<u8>,
    limit: Option<Duration>,
    (activity, counters): (&Activity, &Counters),
) -> Result<(), Termination> {
    let down = server.input.pending().len();
    out.extend_from_slice(server.input.pending());
    server.input.consume(down);
    server.input.release();
    activity.down.fetch_add(down as u64, Relaxed);
    counters.bytes_out.fetch_add(down as u64, Relaxed);
    write_within(client, out, limit)
        .await
        .map_err(|e| timed_out_or(e, b'C'))?;
    out.clear();
    let up = client_input.pending().len();
    if up > 0 {
        activity.up.fetch_add(up as u64, Relaxed);
        counters.bytes_in.fetch_add(up as u64, Relaxed);
        write_within(&mut server.stream, client_input.pending(), limit)
            .await
            .map_err(|e| timed_out_or(e, b'S'))?;
        client_input.consume(up);
    }
    client_input.release();
    activity.touch();
    Ok(())
}

fn timed_out_or(e: std::io::Error, side: u8) -> Termination {
    match e.kind() {
        std::io::ErrorKind::TimedOut => Termination::new(side.to_ascii_lowercase(), b'D'),
        _ => Termination::new(side, b'D'),
    }
}

async fn relay(
    client: &mut Stream,
    server: &mut Stream,
    counters: &Counters,
    activity: &Activity,
    idle: IdleLimits,
) -> Termination {
    tokio::select! {
        relayed = tcp::relay(client, server, counters, activity) => match relayed {
            Ok(()) => Termination::NORMAL,
            Err(side) => Termination::new(side, b'D'),
        },
        flags = activity.expire(&idle) => flags,
    }
}
