//! `stats admin`: the page's form, posted back, changes servers' states as the runtime
//! commands do. The answer is HAProxy's 303 to `<uri>;st=<result>` (docs/haproxy-semantics.md
//! §18): DONE (all applied), PART (some), NONE (nothing to do), ERRP (a bad parameter),
//! EXCD (the form is too large).

use super::{proxies, StatsRt};
use crate::engine::h1::bufs::Input;
use crate::engine::h1::head::{Framing, Head};
use crate::engine::l7::relay::read_into;
use crate::engine::stream::Stream;
use crate::events::{AdminState, Command, ServerId};
use std::time::Duration;

/// The actions lbtop can carry out, with the words the page's menu shows.
pub const ACTIONS: [(&str, &str); 5] = [
    ("ready", "Set state to READY"),
    ("drain", "Set state to DRAIN"),
    ("maint", "Set state to MAINT"),
    ("dhlth", "Health: disable checks"),
    ("ehlth", "Health: enable checks"),
];

/// The results of an action, with the message the page then shows.
pub const RESULTS: [(&str, &str); 6] = [
    ("DONE", "Action processed successfully."),
    ("PART", "Action not processed for some servers."),
    ("NONE", "Nothing has changed."),
    (
        "ERRP",
        "Action not processed because of invalid parameters.",
    ),
    (
        "EXCD",
        "Action not processed: the buffer couldn't store all the data.",
    ),
    ("DENY", "Action denied."),
];

/// The largest form lbtop reads; a larger one is HAProxy's EXCD.
const MAX_FORM: u64 = 16 * 1024;

/// Reads the posted form (a `Content-Length` body) and applies it; returns the result word
/// and whether the body was read whole (else the connection must close).
pub async fn post(
    stats: &StatsRt,
    (stream, input): (&mut Stream, &mut Input),
    head: &Head,
    limit: Option<Duration>,
) -> (&'static str, bool) {
    let len = match head.framing {
        Framing::None => return ("NONE", true),
        Framing::Length(n) if n <= MAX_FORM => n as usize,
        Framing::Length(_) => return ("EXCD", false),
        Framing::Chunked => return ("ERRP", false),
    };
    while input.pending().len() < len {
        match read_into(stream, input, limit).await {
            Ok(0) | Err(_) => return ("ERRP", false),
            Ok(_) => {}
        }
    }
    let form = String::from_utf8_lossy(&input.pending()[..len]).into_owned();
    input.consume(len);
    (apply(stats, &form), true)
}

/// What a form asks for, applied to the engine.
fn apply(stats: &StatsRt, form: &str) -> &'static str {
    let Some(shared) = stats.view.get().and_then(std::sync::Weak::upgrade) else {
        return "ERRP";
    };
    let fields = decode(form);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let servers: Vec<&str> = fields
        .iter()
        .filter(|(n, _)| n == "s")
        .map(|(_, v)| v.as_str())
        .collect();
    let (Some(b), Some(action)) = (get("b"), get("action")) else {
        return "NONE";
    };
    if servers.is_empty() {
        return "NONE";
    }
    let cfg = &shared.config;
    let listed = proxies(cfg);
    let backend = match b.strip_prefix('#') {
        Some(id) => listed.iter().find(|p| p.iid.to_string() == id),
        None => listed.iter().find(|p| p.name == b),
    }
    .and_then(|p| p.backend);
    let (Some(backend), Some(command)) = (backend, action_of(action)) else {
        return "ERRP";
    };
    let (mut done, mut failed) = (0, 0);
    for name in servers {
        let Some(server) = cfg.backends[backend]
            .servers
            .iter()
            .position(|s| s.name == name)
        else {
            failed += 1;
            continue;
        };
        let id = ServerId { backend, server };
        if super::super::apply(&shared, &command(id)).is_ok() {
            done += 1;
        }
    }
    match (done, failed) {
        (0, 0) => "NONE",
        (0, _) => "ERRP",
        (_, 0) => "DONE",
        _ => "PART",
    }
}

fn action_of(action: &str) -> Option<fn(ServerId) -> Command> {
    Some(match action {
        "ready" => |server| Command::SetAdmin {
            server,
            state: AdminState::Ready,
        },
        "drain" => |server| Command::SetAdmin {
            server,
            state: AdminState::Drain,
        },
        "maint" => |server| Command::SetAdmin {
            server,
            state: AdminState::Maint,
        },
        "dhlth" => |server| Command::SetChecks {
            server,
            enabled: false,
        },
        "ehlth" => |server| Command::SetChecks {
            server,
            enabled: true,
        },
        _ => return None,
    })
}

/// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte.
fn decode(form: &str) -> Vec<(String, String)> {
    form.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        assert_eq!(
            decode("s=a&s=b+c&action=maint&b=%233"),
            [("s", "a"), ("s", "b c"), ("action", "maint"), ("b", "#3")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(unescape("%zz%4"), "%zz%4");
        assert!(action_of("hrunn").is_none() && action_of("maint").is_some());
    }
}
