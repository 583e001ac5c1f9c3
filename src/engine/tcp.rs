//! L4: relay bytes between the client and one server for the life of the connection.

use super::balance::PickKey;
use super::connect::{connect, ConnectError};
use super::frontend::FrontendRt;
use crate::events::Termination;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::net::TcpStream;

pub async fn serve(mut client_stream: TcpStream, client: SocketAddr, fe: Arc<FrontendRt>) {
    let began = Instant::now();
    let mut record = fe.new_record(client, SystemTime::now(), None);
    let key = PickKey {
        source: Some(client.ip()),
        path: None,
    };
    let attempt = connect(&fe.backend, key, fe.retry_policy()).await;
    record.retries = attempt.retries;
    record.redispatched = attempt.redispatched;
    record.server = attempt.assigned.as_ref().map(|a| a.server);
    record.timers[1] = attempt.waited.as_millis() as i64;
    let mut server_stream = match attempt.result {
        Ok(stream) => stream,
        Err(e) => {
            record.termination = match e {
                ConnectError::Timeout => Termination::new(b's', b'C'),
                _ => Termination::new(b'S', b'C'),
            };
            record.timers[4] = began.elapsed().as_millis() as i64;
            fe.finish(record);
            return;
        }
    };
    record.timers[2] = attempt.connect_time.as_millis() as i64;
    let _ = client_stream.set_nodelay(true);
    // copy_bidirectional forwards a FIN from either side as a write shutdown on the other,
    // so half-closed connections finish their work.
    let copied = tokio::io::copy_bidirectional(&mut client_stream, &mut server_stream).await;
    let (up, down) = match copied {
        Ok(pair) => pair,
        Err(_) => {
            record.termination = Termination::new(b'C', b'D');
            (0, 0)
        }
    };
    record.bytes_in = up;
    record.bytes_out = down;
    record.timers[4] = began.elapsed().as_millis() as i64;
    if let Some(a) = &attempt.assigned {
        let counters = &fe.backend.servers[a.server].counters;
        counters.bytes_in.fetch_add(up, Relaxed);
        counters.bytes_out.fetch_add(down, Relaxed);
        counters.latency.record(began.elapsed());
    }
    drop(attempt.assigned);
    fe.finish(record);
}
