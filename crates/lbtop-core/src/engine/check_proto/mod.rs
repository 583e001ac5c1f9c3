//! `option tcp-check` rule sets and the protocol checks HAProxy builds as rule sets of its own
//! (`option redis-check`, `option smtpchk`): docs/haproxy-semantics.md §1.7. A check is a
//! [`Program`] of steps run on one connection; its result reads as HAProxy logs it.

mod program;
mod proto;

use super::check::{outcome, CheckPlan};
use super::state::CheckOutcome;
use crate::config::HealthCheck;
use crate::events::CheckKind;
use program::{Action, Expect, Program, Step};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at};

/// HAProxy reads a check's reply into one buffer of this size; a full buffer ends the read.
const BUF_SIZE: usize = 16 * 1024;

/// The program of a check this module runs; `None` for the plain and HTTP checks.
pub fn compile(check: &HealthCheck) -> Option<Program> {
    match check {
        HealthCheck::Rules(rules) => Some(Program::from_rules(rules)),
        HealthCheck::Proto(proto) => Some(Program::proto(proto)),
        _ => None,
    }
}

/// What one run has so far: the connection, the reply buffer, the step the run is at.
struct Run {
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// The peer closed (or the buffer is full): no more data will come.
    last_read: bool,
    /// The next expect must read first (after a send or a connect).
    must_read: bool,
    /// The step that set the status code (HAProxy's `check->code`).
    code: u16,
    /// An expect found the connection closed with nothing read.
    empty_reply: bool,
}

/// Runs `program` once against `addr`.
pub async fn probe(addr: SocketAddr, program: &Program, plan: &CheckPlan) -> CheckOutcome {
    let start = Instant::now();
    // As the plain checks (check.rs): the connect is bounded by min(connect, inter) with
    // `timeout check`, the whole check by `timeout check` (else inter).
    let (connect_limit, total) = match plan.check_timeout {
        Some(check) => (
            plan.connect_timeout.unwrap_or(plan.inter).min(plan.inter),
            check,
        ),
        None => (plan.inter, plan.inter),
    };
    let deadline = tokio::time::Instant::from_std(start + total);
    let mut run = Run {
        stream: None,
        buf: Vec::new(),
        last_read: false,
        must_read: true,
        code: 0,
        empty_reply: false,
    };
    let mut last: Option<&Step> = None;
    for step in &program.steps {
        // As HAProxy, the code is the one the last step run set.
        run.code = 0;
        let result = match &step.action {
            Action::Comment => continue,
            Action::Connect { port } => run.connect(addr, *port, connect_limit).await,
            Action::Send(bytes) => run.send(bytes, deadline).await,
            Action::SendSslHello => run.send(&proto::hello_now(), deadline).await,
            Action::Expect(e) => run.expect(e, deadline).await,
        };
        if let Err((kind, info)) = result {
            let kind = match kind {
                CheckKind::L7Tout if program.layer6 => CheckKind::L6Tout,
                kind => kind,
            };
            let info = match (&step.action, kind) {
                // Closed before a byte of the reply came: HAProxy's own words, step included.
                (Action::Expect(_), _) if run.empty_reply => Some(program.empty_response(step)),
                (Action::Expect(_), CheckKind::L7Rsp | CheckKind::L7Sts) => info,
                _ => program.failure_info(step, info),
            };
            return outcome(kind, Some(run.code), info, start).with_head(&run.buf);
        }
        last = Some(step);
    }
    let (kind, info) = program.success(last, &run.buf);
    outcome(kind, Some(run.code), info, start).with_head(&run.buf)
}

type StepResult = Result<(), (CheckKind, Option<String>)>;

impl Run {
    async fn connect(
        &mut self,
        addr: SocketAddr,
        port: Option<u16>,
        limit: Duration,
    ) -> StepResult {
        self.stream = None;
        self.buf.clear();
        self.last_read = false;
        self.must_read = true;
        let addr = SocketAddr::new(addr.ip(), port.unwrap_or(addr.port()));
        match timeout(limit, TcpStream::connect(addr)).await {
            Err(_) => Err((CheckKind::L4Tout, None)),
            Ok(Err(e)) => Err((CheckKind::L4Con, Some(super::check::connect_error(&e)))),
            Ok(Ok(s)) => {
                self.stream = Some(s);
                Ok(())
            }
        }
    }

    /// Writes `bytes`; as HAProxy, the reply buffer starts afresh after a send.
    async fn send(&mut self, bytes: &[u8], deadline: tokio::time::Instant) -> StepResult {
        self.buf.clear();
        self.must_read = true;
        let Some(stream) = self.stream.as_mut() else {
            return Err((CheckKind::SockErr, None));
        };
        match timeout_at(deadline, stream.write_all(bytes)).await {
            Err(_) => Err((CheckKind::L7Tout, None)),
            Ok(Err(e)) => Err((CheckKind::SockErr, Some(strerror(&e)))),
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn expect(&mut self, e: &Expect, deadline: tokio::time::Instant) -> StepResult {
        if self.must_read {
            self.read(deadline).await?;
            self.must_read = false;
            // Closed with nothing read: judged before any pattern, as HAProxy does.
            if self.buf.is_empty() && self.last_read {
                self.empty_reply = true;
                return Err((e.error_kind, None));
            }
        }
        loop {
            match e.eval(&self.buf, self.last_read) {
                program::Verdict::Wait => self.read(deadline).await?,
                program::Verdict::Pass => {
                    if let Some(code) = e.code(&self.buf) {
                        self.code = code;
                    }
                    return Ok(());
                }
                program::Verdict::FailWith(kind, code, info) => {
                    self.code = code;
                    return Err((kind, Some(info).filter(|i| !i.is_empty())));
                }
                program::Verdict::Fail(info) => {
                    self.code = e.code(&self.buf).unwrap_or(0);
                    return Err((e.error_kind, Some(info).filter(|i| !i.is_empty())));
                }
            }
        }
    }

    /// Reads once more into the buffer; the end of the stream or a full buffer sets
    /// `last_read`.
    async fn read(&mut self, deadline: tokio::time::Instant) -> StepResult {
        if self.last_read {
            return Ok(());
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err((CheckKind::SockErr, None));
        };
        let mut chunk = [0u8; 4096];
        let room = (BUF_SIZE - self.buf.len()).min(chunk.len());
        match timeout_at(deadline, stream.read(&mut chunk[..room])).await {
            Err(_) => Err((CheckKind::L7Tout, None)),
            // A reset after some reply: HAProxy judges what it has; before any, it is the error.
            Ok(Err(e)) if self.buf.is_empty() => Err((CheckKind::SockErr, Some(strerror(&e)))),
            Ok(Err(_)) | Ok(Ok(0)) => {
                self.last_read = true;
                Ok(())
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                self.last_read = self.buf.len() >= BUF_SIZE;
                Ok(())
            }
        }
    }
}

/// The system's text for a socket error, as HAProxy logs it (`Connection reset by peer`).
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
