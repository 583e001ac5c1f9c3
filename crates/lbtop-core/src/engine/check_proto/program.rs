//! A check as a list of steps, built from `tcp-check` rules or from a protocol option, and the
//! words HAProxy logs for each outcome (measured against HAProxy 2.6, docs §1.7).

use crate::config::{parse_hex, ExpectKind, ProtoCheck, TcpExpect, TcpRule};
use crate::events::CheckKind;
use regex::bytes::Regex;

pub struct Program {
    pub steps: Vec<Step>,
    /// A protocol check: HAProxy's messages then name no step.
    proto: bool,
    /// HAProxy reports it at layer 6 (`ssl-hello-chk`): a pass is L6OK without info, a
    /// timeout L6TOUT.
    pub layer6: bool,
}

pub struct Step {
    pub action: Action,
    /// HAProxy's step number: the rule's place among the written rules (comments count);
    /// 0 for the connect HAProxy adds before rules that do not start with one.
    index: usize,
    /// The `tcp-check comment` written before this rule.
    comment: Option<String>,
}

pub enum Action {
    Connect {
        port: Option<u16>,
    },
    Send(Vec<u8>),
    /// The SSLv3 client hello of `ssl-hello-chk`, stamped with the time it is sent.
    SendSslHello,
    Expect(Box<Expect>),
    Comment,
}

pub struct Expect {
    pub(super) inverse: bool,
    pub(super) matcher: Matcher,
    /// Bytes to wait for before judging; `None`: a mismatch waits for more data.
    pub(super) min_recv: Option<usize>,
    pub error_kind: CheckKind,
    pub(super) on_error: Msg,
    pub(super) on_success: Option<Msg>,
    /// The reply's first three digits are the status code (SMTP).
    pub(super) status_code: bool,
}

pub(super) enum Matcher {
    Bytes(Vec<u8>, ExpectKind),
    Regex(Regex),
    /// The reply starts with these bytes (`rbinary ^30` in HAProxy's LDAP rule set).
    Starts(Vec<u8>),
    /// A protocol reply HAProxy judges with code of its own (proto.rs).
    Custom(super::proto::Custom),
}

/// What a failing or passing expect says in `info:`.
pub(super) enum Msg {
    /// HAProxy's generic "TCPCHK did not match content ..." text.
    Default {
        step: usize,
        comment: Option<String>,
    },
    Text(&'static str),
    /// The NUL-terminated text `skip` bytes in (MySQL's server version).
    CString {
        skip: usize,
    },
    /// The reply from `skip` bytes in, leading spaces trimmed when `trim`, cut at the first
    /// CR or LF.
    Reply {
        skip: usize,
        trim: bool,
    },
}

pub enum Verdict {
    Wait,
    Pass,
    Fail(String),
    /// A protocol's own failure: its status, code and `info:` (none when empty).
    FailWith(CheckKind, u16, String),
}

impl Program {
    pub fn from_rules(rules: &[TcpRule]) -> Program {
        let mut steps = Vec::new();
        let starts_with_connect = rules
            .iter()
            .find(|r| !matches!(r, TcpRule::Comment(_)))
            .is_some_and(|r| matches!(r, TcpRule::Connect { .. }));
        if !starts_with_connect {
            steps.push(Step::new(Action::Connect { port: None }, 0, None));
        }
        let mut comment = None;
        for (i, rule) in rules.iter().enumerate() {
            let index = i + 1;
            let action = match rule {
                TcpRule::Comment(text) => {
                    comment = Some(text.clone());
                    Action::Comment
                }
                TcpRule::Connect { port } => Action::Connect { port: *port },
                TcpRule::Send(text) => Action::Send(text.as_bytes().to_vec()),
                TcpRule::SendBinary(bytes) => Action::Send(bytes.clone()),
                TcpRule::Expect(e) => Action::Expect(Box::new(Expect::written(e, index, &comment))),
            };
            let own = match action {
                Action::Comment => None,
                _ => comment.take(),
            };
            steps.push(Step::new(action, index, own));
        }
        Program {
            steps,
            proto: false,
            layer6: false,
        }
    }

    pub fn proto(proto: &ProtoCheck) -> Program {
        // HAProxy numbers its rules from 1; the redis and LDAP sets start with a send, so the
        // connect before them is its own (step 0), the others write theirs (step 1).
        let first = match proto {
            ProtoCheck::Redis | ProtoCheck::Ldap | ProtoCheck::SslHello => 0,
            _ => 1,
        };
        let steps = match proto {
            ProtoCheck::Redis => vec![
                Action::Connect { port: None },
                Action::Send(b"*1\r\n$4\r\nPING\r\n".to_vec()),
                Action::Expect(Box::new(Expect {
                    on_success: Some(Msg::Text("Redis server is ok")),
                    ..Expect::proto(Matcher::Bytes(b"+PONG\r\n".to_vec(), ExpectKind::String))
                })),
            ],
            ProtoCheck::Smtp { hello } => vec![
                Action::Connect { port: None },
                Action::Expect(Box::new(Expect {
                    error_kind: CheckKind::L7Rsp,
                    status_code: false,
                    on_error: Msg::Reply {
                        skip: 0,
                        trim: false,
                    },
                    ..smtp_reply("^[0-9]{3}[ \r]")
                })),
                Action::Expect(Box::new(smtp_reply("^2[0-9]{2}[ \r]"))),
                Action::Send(format!("{hello}\r\n").into_bytes()),
                Action::Expect(Box::new(smtp_reply("^2[0-9]{2}[- \r]"))),
                Action::Send(b"QUIT\r\n".to_vec()),
                Action::Expect(Box::new(Expect {
                    on_success: Some(Msg::Reply {
                        skip: 4,
                        trim: true,
                    }),
                    ..smtp_reply("^2[0-9]{2}[- \r]")
                })),
            ],
            ProtoCheck::Mysql { user, pre41 } => super::proto::mysql(user.as_deref(), *pre41),
            ProtoCheck::Ldap => super::proto::ldap(),
            ProtoCheck::SslHello => super::proto::ssl_hello(),
            ProtoCheck::Pgsql { user } => super::proto::pgsql(user),
        };
        Program {
            steps: steps
                .into_iter()
                .enumerate()
                .map(|(i, a)| Step::new(a, i + first, None))
                .collect(),
            proto: true,
            layer6: matches!(proto, ProtoCheck::SslHello),
        }
    }

    /// `info:` of a failure that is not an expect's verdict: a refused connect or a timeout.
    pub fn failure_info(&self, step: &Step, base: Option<String>) -> Option<String> {
        if self.proto {
            return base;
        }
        let mut at = match (&step.action, step.index) {
            (Action::Connect { .. }, 0) => " at initial connection step of tcp-check".to_string(),
            (action, n) => format!(" at step {n} of tcp-check ({})", action.describe()),
        };
        if let Some(c) = &step.comment {
            at.push_str(&format!(" comment: '{c}'"));
        }
        Some(format!("{}{at}", base.unwrap_or_default()))
    }

    /// `info:` when the server closed before sending a byte of the reply an expect waits for.
    pub fn empty_response(&self, step: &Step) -> String {
        let mut s = format!("TCPCHK got an empty response at step {}", step.index);
        if let Some(c) = &step.comment {
            s.push_str(&format!(" comment: '{c}'"));
        }
        s
    }

    /// The result of a run whose every step passed, `last` being the last step run.
    pub fn success(&self, last: Option<&Step>, buf: &[u8]) -> (CheckKind, Option<String>) {
        if self.layer6 {
            return (CheckKind::L6Ok, None);
        }
        let tcp_check = Some("(tcp-check)".to_string());
        match last.map(|s| (&s.action, s.index)) {
            Some((Action::Connect { .. }, 0)) => (CheckKind::L4Ok, None),
            Some((Action::Connect { .. }, _)) => (CheckKind::L4Ok, tcp_check),
            Some((Action::Expect(e), _)) => match &e.on_success {
                Some(msg) => (CheckKind::L7Ok, Some(msg.render(buf))),
                None => (CheckKind::L7Ok, tcp_check),
            },
            _ => (CheckKind::L7Ok, tcp_check),
        }
    }
}

impl Step {
    fn new(action: Action, index: usize, comment: Option<String>) -> Step {
        Step {
            action,
            index,
            comment,
        }
    }
}

impl Action {
    /// How HAProxy names a step in a timeout message.
    fn describe(&self) -> String {
        match self {
            Action::Connect { .. } => "connect".into(),
            Action::Send(_) | Action::SendSslHello => "send".into(),
            Action::Comment => "comment".into(),
            Action::Expect(e) => match &e.matcher {
                Matcher::Regex(_) | Matcher::Starts(_) => "expect regex".into(),
                Matcher::Custom(_) => "expect custom function".into(),
                Matcher::Bytes(p, kind) => {
                    format!("expect {} '{}'", kind.as_str(), String::from_utf8_lossy(p))
                }
            },
        }
    }
}

fn smtp_reply(pattern: &str) -> Expect {
    Expect {
        min_recv: Some(4),
        status_code: true,
        on_error: Msg::Reply {
            skip: 4,
            trim: true,
        },
        ..Expect::proto(Matcher::Regex(
            Regex::new(pattern).expect("a valid pattern"),
        ))
    }
}

impl Expect {
    pub(super) fn proto(matcher: Matcher) -> Expect {
        Expect {
            inverse: false,
            matcher,
            min_recv: None,
            error_kind: CheckKind::L7Sts,
            on_error: Msg::Reply {
                skip: 0,
                trim: false,
            },
            on_success: None,
            status_code: false,
        }
    }

    /// A written `tcp-check expect`; the parser has checked its pattern.
    fn written(e: &TcpExpect, step: usize, comment: &Option<String>) -> Expect {
        let matcher = match e.kind {
            // The parser refuses an invalid pattern, so the fallback is never taken.
            ExpectKind::Rstring => Regex::new(&e.pattern).map_or_else(
                |_| Matcher::Bytes(e.pattern.as_bytes().to_vec(), ExpectKind::String),
                Matcher::Regex,
            ),
            ExpectKind::Binary => Matcher::Bytes(
                parse_hex(&e.pattern).unwrap_or_default(),
                ExpectKind::Binary,
            ),
            ExpectKind::String => Matcher::Bytes(e.pattern.as_bytes().to_vec(), ExpectKind::String),
        };
        Expect {
            inverse: e.inverse,
            matcher,
            min_recv: None,
            error_kind: CheckKind::L7Rsp,
            on_error: Msg::Default {
                step,
                comment: comment.clone(),
            },
            on_success: None,
            status_code: false,
        }
    }

    /// HAProxy's judgement of the reply so far (`last_read`: no more will come).
    pub fn eval(&self, buf: &[u8], last_read: bool) -> Verdict {
        if let Matcher::Custom(c) = &self.matcher {
            return c.eval(buf, last_read);
        }
        if !last_read {
            let short = match &self.matcher {
                Matcher::Bytes(p, _) => buf.len() < p.len(),
                _ => false,
            };
            if short || self.min_recv.is_some_and(|min| buf.len() < min) {
                return Verdict::Wait;
            }
        }
        let found = match &self.matcher {
            Matcher::Bytes(p, _) => p.is_empty() || buf.windows(p.len()).any(|w| w == p.as_slice()),
            Matcher::Regex(r) => r.is_match(buf),
            Matcher::Starts(p) => buf.starts_with(p),
            Matcher::Custom(_) => false,
        };
        if !found && !last_read && self.min_recv.is_none() {
            return Verdict::Wait;
        }
        if found != self.inverse {
            return Verdict::Pass;
        }
        Verdict::Fail(self.error_text(buf, found))
    }

    fn error_text(&self, buf: &[u8], found: bool) -> String {
        let Msg::Default { step, comment } = &self.on_error else {
            return self.on_error.render(buf);
        };
        let what = match &self.matcher {
            Matcher::Regex(_) | Matcher::Starts(_) => "(regex)".to_string(),
            Matcher::Custom(_) => "(custom function)".to_string(),
            Matcher::Bytes(_, ExpectKind::Binary) => "(binary)".to_string(),
            Matcher::Bytes(p, _) => format!("'{}'", String::from_utf8_lossy(p)),
        };
        let verb = if found {
            "matched unwanted"
        } else {
            "did not match"
        };
        let mut s = format!("TCPCHK {verb} content {what} at step {step}");
        if let Some(c) = comment {
            s.push_str(&format!(" comment: {c}"));
        }
        s
    }

    /// The status code this expect reads from the reply, when it reads one.
    pub fn code(&self, buf: &[u8]) -> Option<u16> {
        if let Matcher::Custom(c) = &self.matcher {
            return c.code(buf);
        }
        if !self.status_code {
            return None;
        }
        let digits = buf.get(..3)?;
        std::str::from_utf8(digits).ok()?.parse().ok()
    }
}

impl Msg {
    fn render(&self, buf: &[u8]) -> String {
        match self {
            Msg::Default { .. } => "(tcp-check)".into(),
            Msg::Text(t) => (*t).into(),
            Msg::CString { skip } => {
                let rest = buf.get(*skip..).unwrap_or_default();
                let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                String::from_utf8_lossy(&rest[..end]).into_owned()
            }
            Msg::Reply { skip, trim } => {
                let mut rest = buf.get(*skip..).unwrap_or_default();
                if *trim {
                    while let [b' ', tail @ ..] = rest {
                        rest = tail;
                    }
                }
                let end = rest
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(rest.len());
                String::from_utf8_lossy(&rest[..end]).into_owned()
            }
        }
    }
}
