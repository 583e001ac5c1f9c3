//! `tcp-request inspect-delay`: hold a new TCP connection's first bytes until what a rule
//! needs has arrived (a whole ClientHello for `req.ssl_sni`), or until the delay runs out,
//! the client closes, or the buffer is full, whichever comes first; then the rules run with
//! what is there, as HAProxy runs them (docs/haproxy-semantics.md §23.4). The bytes read stay
//! in the buffer: they must go to the server before anything else.

use super::client_hello::{self, Hello};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Held bytes are capped at HAProxy's buffer size (`tune.bufsize`): a hello larger than
/// that never completes there either.
pub const MAX_HELD: usize = 16 * 1024;

/// Why inspection stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspected<T> {
    /// `decide` gave an answer.
    Ready(T),
    /// The delay ran out first.
    Expired,
    /// The client closed (or its connection failed) first.
    Closed,
    /// [`MAX_HELD`] bytes are held and `decide` still wants more.
    Full,
}

/// Reads from `client` into `held` until `decide` answers (`Some`), within `delay`. A zero
/// delay reads nothing: `decide` sees only what is already held.
pub async fn inspect<R, T>(
    client: &mut R,
    held: &mut Vec<u8>,
    delay: Duration,
    decide: impl Fn(&[u8]) -> Option<T>,
) -> Inspected<T>
where
    R: AsyncRead + Unpin,
{
    if let Some(answer) = decide(held) {
        return Inspected::Ready(answer);
    }
    if delay.is_zero() {
        return Inspected::Expired;
    }
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        if held.len() >= MAX_HELD {
            return Inspected::Full;
        }
        let room = MAX_HELD - held.len();
        let mut limited = (&mut *client).take(room as u64);
        match tokio::time::timeout_at(deadline, limited.read_buf(held)).await {
            Err(_) => return Inspected::Expired,
            Ok(Ok(0)) | Ok(Err(_)) => return Inspected::Closed,
            Ok(Ok(_)) => {}
        }
        if let Some(answer) = decide(held) {
            return Inspected::Ready(answer);
        }
    }
}

/// Waits for a ClientHello (`req.ssl_sni`): `Ready` with [`Hello::Complete`] or
/// [`Hello::NotTls`] as soon as the bytes say which.
pub async fn client_hello<R: AsyncRead + Unpin>(
    client: &mut R,
    held: &mut Vec<u8>,
    delay: Duration,
) -> Inspected<Hello> {
    inspect(client, held, delay, |b| match client_hello::parse(b) {
        Hello::NeedMore => None,
        known => Some(known),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A minimal hello for `name`: TLS 1.2, one cipher, no compression, one extension.
    fn hello(name: &str) -> Vec<u8> {
        let n = name.len();
        let mut sni = vec![0, 0];
        sni.extend_from_slice(&((n + 5) as u16).to_be_bytes());
        sni.extend_from_slice(&((n + 3) as u16).to_be_bytes());
        sni.push(0);
        sni.extend_from_slice(&(n as u16).to_be_bytes());
        sni.extend_from_slice(name.as_bytes());
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        body.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        body.extend_from_slice(&sni);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut record = vec![0x16, 3, 1];
        record.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        record.extend_from_slice(&hs);
        record
    }

    fn sni(r: &Inspected<Hello>) -> Option<&str> {
        match r {
            Inspected::Ready(Hello::Complete(h)) => h.sni.as_deref(),
            _ => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn answers_once_the_hello_is_whole() {
        let bytes = hello("in.pieces");
        let (mut client, mut proxy) = tokio::io::duplex(64 * 1024);
        let writer = tokio::spawn(async move {
            for piece in bytes.chunks(7) {
                client.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            client
        });
        let began = tokio::time::Instant::now();
        let mut held = Vec::new();
        let got = client_hello(&mut proxy, &mut held, Duration::from_secs(60)).await;
        assert_eq!(sni(&got), Some("in.pieces"));
        assert_eq!(
            held,
            hello("in.pieces"),
            "every byte read is held for the server"
        );
        assert!(began.elapsed() < Duration::from_secs(60));
        drop(writer.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn the_delay_bounds_the_wait() {
        let (mut client, mut proxy) = tokio::io::duplex(1024);
        let bytes = hello("never.whole");
        client.write_all(&bytes[..20]).await.unwrap();
        let began = tokio::time::Instant::now();
        let mut held = Vec::new();
        let got = client_hello(&mut proxy, &mut held, Duration::from_secs(5)).await;
        assert_eq!(got, Inspected::Expired);
        assert_eq!(began.elapsed(), Duration::from_secs(5));
        assert_eq!(held.len(), 20);
        // A client that closes ends the wait at once; HTTP is known at its first byte.
        drop(client);
        let got = client_hello(&mut proxy, &mut held, Duration::from_secs(5)).await;
        assert_eq!(got, Inspected::Closed);
        let (mut client, mut proxy) = tokio::io::duplex(1024);
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let got = client_hello(&mut proxy, &mut Vec::new(), Duration::from_secs(5)).await;
        assert_eq!(got, Inspected::Ready(Hello::NotTls));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_delay_and_a_full_buffer_decide_with_what_is_held() {
        let (_client, mut proxy) = tokio::io::duplex(1024);
        let mut held = hello("held.already");
        let got = client_hello(&mut proxy, &mut held, Duration::ZERO).await;
        assert_eq!(sni(&got), Some("held.already"));
        let mut partial = held[..10].to_vec();
        let got = client_hello(&mut proxy, &mut partial, Duration::ZERO).await;
        assert_eq!(got, Inspected::Expired);
        // A record announcing more than the buffer holds.
        let (mut client, mut proxy) = tokio::io::duplex(64 * 1024);
        let mut huge = vec![0x16, 3, 1, 0xff, 0xff, 1, 0xff, 0xff, 0xff];
        huge.resize(MAX_HELD + 100, 0);
        client.write_all(&huge).await.unwrap();
        let mut held = Vec::new();
        let got = client_hello(&mut proxy, &mut held, Duration::from_secs(5)).await;
        assert_eq!((got, held.len()), (Inspected::Full, MAX_HELD));
    }
}
