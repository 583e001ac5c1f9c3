//! One client connection: wait for a request without holding a buffer, read and check its
//! head, hand it to [`http::proxy`], and go round again for as long as both sides keep the
//! connection open.

use super::proxy::{self, Client};
use super::relay::{read_into, ReadError};
use super::{answer, pages};
use crate::engine::captures::{self, Origin};
use crate::engine::frontend::FrontendRt;
use crate::engine::h1::bufs::Input;
use crate::engine::h1::chunked::Decoder;
use crate::engine::h1::head::{self, Framing, Head, Parsed, Refusal, Rewrite};
use crate::engine::live;
use crate::engine::proxy_proto::Addrs;
use crate::engine::rules::{Decision, ReqView, Route};
use crate::engine::stream::Stream;
use crate::engine::unique_id::UniqueId;
use crate::events::Termination;
use hyper::header::HeaderValue;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::io::AsyncWriteExt;

/// How long a TLS client that reads nothing gets to take its close_notify, without
/// `timeout client`.
pub(crate) const CLOSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeadError {
    /// `timeout http-request` expired; `got` bytes had arrived.
    Timeout { got: usize },
    /// The client closed first; `got` bytes had arrived.
    Closed { got: usize },
    /// Not an HTTP/1 request head HAProxy would forward.
    Invalid(Refusal),
}

struct Conn {
    stream: Stream,
    /// The client's addresses (a PROXY header's, on an `accept-proxy` bind).
    peer: Addrs,
    /// What its TLS handshake agreed (`ssl_fc`, `ssl_fc_sni`), read once; `None` in clear.
    tls: Option<Arc<crate::tls::TlsFacts>>,
    fe: Arc<FrontendRt>,
    /// `X-Forwarded-For`, built once per connection.
    forwarded_for: Option<HeaderValue>,
    /// The current request's `unique-id-format` ID; `None` without one.
    unique_id: Option<UniqueId>,
    input: Input,
    served: u64,
    /// The server connection kept for this client alone (`http-reuse never`); boxed, so that
    /// an idle connection's task stays small in every other mode.
    own: Option<Box<super::proxy::Own>>,
}

/// Serves one client connection until it is done with; returns it for the caller to close
/// (with [`Stream::close`], given `timeout client` or [`CLOSE_LIMIT`]).
pub async fn serve(stream: Stream, peer: Addrs, fe: Arc<FrontendRt>) -> Stream {
    let accepted = (SystemTime::now(), Instant::now());
    let _ = stream.tcp().set_nodelay(true);
    let mut conn = Conn {
        forwarded_for: fe.forwarded_for(peer.src),
        tls: stream.tls(),
        stream,
        peer,
        fe,
        input: Input::default(),
        unique_id: None,
        served: 0,
        own: None,
    };
    while conn.wait_for_request(accepted).await {
        // Each phase is boxed on its own: an idle connection's task holds only the small
        // waiting state above, and a client that sends a head a byte at a time (slowloris)
        // only the reading state, never the much larger proxying one.
        let Some((head, upstream, decision)) = Box::pin(conn.next_head(accepted)).await else {
            break;
        };
        live::note_request(true);
        let keep = Box::pin(conn.forward(head, upstream, decision)).await;
        live::note_request(false);
        // Not `|| stopping`: a soft stop that began after the answer promised keep-alive
        // would close under a request already on its way; every answer made once the stop
        // began says close, and the idle wait decides for the others.
        if !keep {
            break;
        }
        conn.input.release();
    }
    if let Some(own) = conn.own.take() {
        crate::engine::pool::close_hard(own.stream);
    }
    conn.stream
}

/// After its sockets were handed on, how long an idle keep-alive connection of the old engine
/// waits for its next request: a client that is using its connection sends within it, and
/// the old engine is not kept for the whole keep-alive timeout by one that went quiet.
const HANDED_ON_GRACE: Duration = Duration::from_secs(2);

impl Conn {
    /// Waits, holding no buffer, until the client sends something. Between requests an idle
    /// client is closed silently after `timeout http-keep-alive`; before the first one,
    /// `timeout http-request` gives HAProxy's 408.
    async fn wait_for_request(&mut self, accepted: (SystemTime, Instant)) -> bool {
        if !self.input.is_empty() {
            return true;
        }
        let first = self.served == 0;
        let deadline = if first {
            self.fe.http_request_timeout().map(|t| accepted.1 + t)
        } else {
            self.fe.keep_alive_timeout().map(|t| Instant::now() + t)
        };
        // The first read happens here, so the request's state is boxed only once bytes came.
        let arrived = if first {
            self.stream.read_arrived(&mut self.input)
        } else {
            None
        };
        let limit = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let read = match arrived {
            Some(Ok(n)) => Ok(n),
            Some(Err(_)) => Err(ReadError::Failed),
            None if !first => match self.idle_read(deadline).await {
                Some(read) => read,
                None => return false,
            },
            None => read_into(&mut self.stream, &mut self.input, limit).await,
        };
        let error = match read {
            Ok(n) if n > 0 => return true,
            Err(ReadError::Timeout) => HeadError::Timeout { got: 0 },
            _ => HeadError::Closed { got: 0 },
        };
        if first {
            self.reject(error, accepted).await;
        }
        false
    }

    /// Waits for the next request on an idle keep-alive connection (`None`: close now).
    /// A soft stop with no later engine closes it at once, as HAProxy does; one that was
    /// first told to hand its sockets on (a reload, an upgrade) lets it wait for its next
    /// request, answered with `Connection: close`: closing it could cut a request already on
    /// its way, which the client would see lost (docs/haproxy-semantics.md §30). A connection
    /// that has not sent its first request is left to its timeout either way.
    async fn idle_read(&mut self, deadline: Option<Instant>) -> Option<Result<usize, ReadError>> {
        let limit = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let stop = self.fe.live.stop.clone();
        let woke = tokio::select! {
            biased;
            () = live::stop_begun(&stop) => None,
            read = read_into(&mut self.stream, &mut self.input, limit()) => Some(read),
        };
        if woke.is_some() {
            return woke;
        }
        // A request already here is served (its answer says close): closing on unread
        // bytes would reset the client and lose it.
        match self.stream.read_arrived(&mut self.input) {
            Some(Ok(n)) if n > 0 => Some(Ok(n)),
            _ if stop.handed_on() => {
                let grace = limit().map_or(HANDED_ON_GRACE, |l| l.min(HANDED_ON_GRACE));
                Some(read_into(&mut self.stream, &mut self.input, Some(grace)).await)
            }
            _ => None,
        }
    }

    /// Reads and checks one request head, and the server's version of it; `None` when the
    /// connection ends here (HAProxy's 400/408 already sent).
    async fn next_head(
        &mut self,
        accepted: (SystemTime, Instant),
    ) -> Option<(Head, Vec<u8>, Decision)> {
        // A first request is timed from the accept, later ones from their first byte.
        let began = if self.served == 0 {
            accepted
        } else {
            (SystemTime::now(), Instant::now())
        };
        let deadline = self.fe.http_request_timeout().map(|t| began.1 + t);
        // Sized once the head is complete: it lives while the server thinks, so it is not a
        // pool buffer.
        let mut upstream = Vec::new();
        if let Some(u) = &self.fe.unique_id {
            let addrs = (self.peer.src, self.peer.dst);
            self.unique_id = Some(u.render(&self.fe, addrs, accepted.0, self.tls.clone()));
        }
        let (head, decision) = match self.read_head(deadline, &mut upstream).await {
            Ok(read) => read,
            Err(e) => {
                if e == HeadError::Invalid(Refusal::Malformed) {
                    self.capture(captures::request_error(self.input.pending()));
                }
                self.reject(e, began).await;
                return None;
            }
        };
        self.served += 1;
        // A chunked body whose framing error has already arrived is refused before anything
        // reaches a server, as HAProxy refuses it.
        let body = &self.input.pending()[head.len..];
        if head.framing == Framing::Chunked && Decoder::default().finds_error(body) {
            self.capture(Some(captures::chunk_error(self.input.pending(), head.len)));
            self.input.consume(head.len);
            self.reject(HeadError::Invalid(Refusal::Malformed), began)
                .await;
            return None;
        }
        self.input.consume(head.len);
        Some((head, upstream, decision))
    }

    /// Hands one request to the balancer; returns whether the connection stays open for
    /// another.
    async fn forward(&mut self, head: Head, upstream: Vec<u8>, decision: Decision) -> bool {
        let route = match decision {
            Decision::Answer(reply) => {
                let fe = self.fe.clone();
                // A monitor request kept open had its whole body here: it is dropped.
                let drop_body = reply.monitor && reply.keep;
                let keep = answer::send(&fe, &mut self.stream, self.peer.src, &head, reply).await;
                if drop_body {
                    self.input.consume(head.content_length as usize);
                }
                return keep;
            }
            Decision::Proxy(route) => route,
            Decision::Reject => {
                self.content_reject();
                return false;
            }
        };
        for stats in &self.fe.stats {
            let addrs = (self.peer.src, self.peer.dst);
            let to = (&mut self.stream, &mut self.input, addrs);
            let answered = crate::engine::stats::answer(&self.fe, stats, to, &head, &upstream);
            if let Some(keep) = answered.await {
                return keep;
            }
        }
        // Back to the pool while the server works, unless a body or a pipelined request waits.
        self.input.release();
        let mut client = Client {
            addr: self.peer.src,
            peer: &self.peer,
            tls: self.tls.as_ref(),
            stream: &mut self.stream,
            input: &mut self.input,
            forwarded_for: self.forwarded_for.as_ref(),
            unique_id: self.unique_id.as_ref(),
            first: self.served == 1,
            body_read: head.framing == Framing::None,
            own: &mut self.own,
        };
        let fe = self.fe.clone();
        proxy::proxy(
            fe.route(route.backend),
            &mut client,
            &head,
            &upstream,
            route,
        )
        .await
    }

    async fn read_head(
        &mut self,
        deadline: Option<Instant>,
        upstream: &mut Vec<u8>,
    ) -> Result<(Head, Decision), HeadError> {
        let id = self.unique_id.as_ref().and_then(|u| u.value.as_ref());
        let rewrite = rewrite(&self.fe, self.forwarded_for.as_ref(), id);
        loop {
            match head::parse(self.input.pending(), &rewrite, upstream) {
                Parsed::Complete(mut head) => {
                    // `option httpclose`: every answer says close, and the connection ends.
                    head.keep_alive &= !self.fe.client_close();
                    let (bytes, pending) = self.input.pending().split_at(head.len);
                    let decision = match super::monitor::reply(
                        &self.fe,
                        &head,
                        bytes,
                        pending.len(),
                        &self.peer,
                    ) {
                        Some(reply) => Decision::Answer(reply),
                        None => self.decide(&mut head, upstream),
                    };
                    if let Decision::Proxy(route) = &decision {
                        let fe = self.fe.route(route.backend);
                        super::compressed::choose(fe, &mut head, upstream);
                    }
                    return Ok((head, decision));
                }
                Parsed::Invalid(why) => return Err(HeadError::Invalid(why)),
                Parsed::Partial => self.input.shrink(),
            }
            let got = self.input.pending().len();
            let limit = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            match read_into(&mut self.stream, &mut self.input, limit).await {
                Err(ReadError::Timeout) => return Err(HeadError::Timeout { got }),
                Ok(0) | Err(ReadError::Failed) => return Err(HeadError::Closed { got }),
                Ok(_) => {}
            }
        }
    }

    /// Keeps the refused request for `show errors`, when HAProxy would (`at`: the error's
    /// position).
    fn capture(&self, at: Option<usize>) {
        let Some(at) = at else { return };
        let from = Origin {
            src: self.peer.src,
            frontend: self.fe.index,
            backend: None,
            server: None,
        };
        self.fe
            .live
            .captures
            .request(from, self.input.pending(), at);
    }

    /// The header value of the current request's ID, when `unique-id-header` is set.
    fn id_value(&self) -> Option<&HeaderValue> {
        self.unique_id.as_ref()?.value.as_ref()
    }

    /// What the frontend's rules make of a checked head (nothing is looked at without
    /// rules). A request routed to another backend gets that backend's version of the head.
    fn decide(&self, head: &mut Head, upstream: &mut Vec<u8>) -> Decision {
        let Some(routing) = &self.fe.routing else {
            return Decision::Proxy(Route::default());
        };
        let bytes = &self.input.pending()[..head.len];
        // Room for every line: on the stack for the usual head.
        let count = bytes.iter().filter(|&&b| b == b'\n').count();
        let mut stack = [httparse::EMPTY_HEADER; 32];
        let mut heap;
        let lines = if count < stack.len() {
            &mut stack[..]
        } else {
            heap = vec![httparse::EMPTY_HEADER; count];
            &mut heap[..]
        };
        let (src, dst) = (self.peer.src, self.peer.dst);
        let Some(mut view) = ReqView::parse(bytes, lines, src, dst) else {
            return Decision::Proxy(Route::default());
        };
        // `ssl_fc`, `ssl_fc_sni`: what the client's TLS handshake agreed.
        view.ssl = self.tls.is_some();
        view.sni = self.tls.as_ref().and_then(|t| t.sni.as_deref());
        view.unique_id = self.unique_id.as_ref().map(|u| &*u.text);
        // With a body left to read, an answer closes the connection.
        // A soft stop closes the connection after the answer, and the answer says so.
        let keep =
            head.keep_alive && head.framing == Framing::None && !self.fe.live.stop.stopping();
        let (decision, edited) = routing.decide_edit(&view, keep, head.is_head);
        let Some(edited) = edited.filter(|_| matches!(decision, Decision::Proxy(_))) else {
            if let Some(fe) = self.fe.route_arc(route_of(&decision)) {
                let forwarded_for = fe.forwarded_for(src);
                upstream.clear();
                if let Parsed::Complete(new) = head::parse(
                    bytes,
                    &rewrite(fe, forwarded_for.as_ref(), self.id_value()),
                    upstream,
                ) {
                    take_backend_parts(head, new);
                }
            }
            return decision;
        };
        // Rewritten: the server's head is written from the rules' version, checked as a
        // client's would be (the framing lines are the client's: rules may not touch them).
        let fe = self.fe.route(route_of(&decision));
        let forwarded_for = fe.forwarded_for(src);
        let rewritten = edited.head(head.version == hyper::Version::HTTP_10);
        upstream.clear();
        match head::parse(
            &rewritten,
            &rewrite(fe, forwarded_for.as_ref(), self.id_value()),
            upstream,
        ) {
            Parsed::Complete(new) => {
                head.path = new.path.clone();
                take_backend_parts(head, new);
                decision
            }
            _ => Decision::Answer(crate::engine::rules::failed_rewrite(&view, keep)),
        }
    }

    /// A request head that never completed: HAProxy's 408 or 400 page, then close, and a log
    /// line, unless the connection was simply idle (keep-alive), or `dontlognull` hides an
    /// empty one.
    async fn reject(&mut self, error: HeadError, (start, began): (SystemTime, Instant)) {
        let (mut reply, mut flags, got) = match error {
            HeadError::Timeout { got } => (Some(pages::H1_408), Termination::new(b'c', b'R'), got),
            HeadError::Invalid(Refusal::Malformed) => {
                (Some(pages::H1_400), Termination::new(b'P', b'R'), 1)
            }
            HeadError::Invalid(Refusal::Coding) => {
                (Some(pages::H1_422), Termination::new(b'P', b'R'), 1)
            }
            HeadError::Invalid(Refusal::Payload) => {
                (Some(pages::H1_413), Termination::new(b'P', b'R'), 1)
            }
            // A client that half-closed inside a head can still read HAProxy's 400.
            HeadError::Closed { got } if got > 0 => {
                (Some(pages::H1_400), Termination::new(b'C', b'R'), got)
            }
            HeadError::Closed { got } => (None, Termination::new(b'C', b'R'), got),
        };
        if got == 0 && self.served > 0 {
            return;
        }
        // A TCP frontend upgraded by its HTTP backend logs any head that failed as `PR`, and
        // answers one closed early, an empty one too, with the 400 page (measured,
        // docs/haproxy-semantics.md §40).
        if self.fe.mode == crate::config::Mode::Tcp {
            flags = Termination::new(b'P', b'R');
            let timeout = matches!(error, HeadError::Timeout { .. });
            let quiet = got == 0 && self.fe.dontlognull();
            if !(timeout || quiet) {
                reply = Some(pages::H1_400);
            }
        }
        self.fe.counters.req_errors.fetch_add(1, Relaxed);
        if let Some(reply) = reply {
            if self.stream.write_all(reply.as_bytes()).await.is_ok() {
                let _ = self.stream.flush().await;
            }
        }
        if got == 0 && self.fe.dontlognull() {
            return;
        }
        let mut record = self.fe.new_record(self.peer.src, start, None);
        record.tls = self.tls.clone();
        record.frontend_addr = Some(self.peer.dst);
        record.status = Some(match error {
            HeadError::Timeout { .. } => 408,
            HeadError::Invalid(Refusal::Coding) => 422,
            HeadError::Invalid(Refusal::Payload) => 413,
            _ => 400,
        });
        record.termination = flags;
        // No backend was chosen: logged as the frontend's (an upgraded TCP frontend's too).
        record.by_frontend = true;
        record.timers[4] = began.elapsed().as_millis() as i64;
        self.fe.report(record, true);
    }

    /// A request a `tcp-request content reject` refused: the connection closes unanswered,
    /// counted in `dreq` and logged as HAProxy logs it, `fe/<NOSRV>`, status -1, `PR--`,
    /// `<BADREQ>` (measured, docs/haproxy-semantics.md §21.5).
    fn content_reject(&mut self) {
        self.fe.counters.denied_req.fetch_add(1, Relaxed);
        let mut record = self.fe.new_record(self.peer.src, SystemTime::now(), None);
        record.tls = self.tls.clone();
        record.frontend_addr = Some(self.peer.dst);
        record.termination = Termination::new(b'P', b'R');
        record.by_frontend = true;
        record.timers[4] = 0;
        self.fe.report(record, true);
    }
}

/// How the head is written for the server of `fe`'s backend. Decided once per request:
/// whether the watcher gets this one, with its strings.
fn rewrite<'a>(
    fe: &'a FrontendRt,
    forwarded_for: Option<&'a HeaderValue>,
    unique_id: Option<&'a HeaderValue>,
) -> Rewrite<'a> {
    let sampled = fe.sample();
    Rewrite {
        unique_id: fe
            .unique_id
            .as_ref()
            .and_then(|u| u.header.as_ref())
            .zip(unique_id),
        forwarded_for: fe.forwardfor_header().zip(forwarded_for),
        forwarded_if_none: fe.forwardfor_if_none(),
        server_close: fe.asks_server_to_close(),
        hash_uri: fe.hashes_uri(),
        hash_header: fe.hash_header(),
        request_line: sampled,
        captures: fe.captures(sampled),
        cookie: fe.backend.cookie.as_ref().map(|c| c.request()),
        stick: fe.backend.stick.as_ref().map(|s| s.fetches()),
    }
}

/// What a head parsed for the routed backend found that depends on that backend: its hash
/// key, its persistence cookie and its stick-table keys.
fn take_backend_parts(head: &mut Head, new: Head) {
    head.hash_value = new.hash_value;
    head.cookie = new.cookie;
    head.stick_values = new.stick_values;
}

fn route_of(d: &Decision) -> Option<usize> {
    match d {
        Decision::Proxy(r) => r.backend,
        Decision::Answer(_) | Decision::Reject => None,
    }
}
