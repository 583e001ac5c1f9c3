//! Re-resolving server host names while running, for servers with `resolvers <name>`
//! (docs/haproxy-semantics.md §19). Servers that ask the same section for the same name of
//! the same family share one resolution, as in HAProxy: one question every `timeout resolve`,
//! and the answer shared out among them.

mod apply;
mod ask;

use super::backend::BackendRt;
use super::log_out::ProxyLog;
use crate::config::{Config, Prefer, Resolvers};
use crate::dns::{Answer, TYPE_A, TYPE_AAAA};
use ask::{ask, Outcome};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::{sleep, Instant};

/// One server asking.
pub struct Requester {
    pub backend: Arc<BackendRt>,
    pub server: usize,
    pub host: String,
    pub allow_dup_ip: bool,
}

/// A `resolvers` section and the names it asks, all at once every `timeout resolve`, as
/// HAProxy's one task per section does: the answers are applied together, in file order.
pub struct Section {
    pub resolvers: Arc<Resolvers>,
    pub resolutions: Vec<Resolution>,
}

/// One name asked of one section, and the servers that share the answer, in file order.
pub struct Resolution {
    pub name: String,
    pub prefer: Prefer,
    pub requesters: Vec<Requester>,
    /// When it last had a valid answer (the start counts as one).
    last_valid: Instant,
    /// The address each requester took from an answer.
    taken: Vec<Option<IpAddr>>,
    /// When each address was last answered, for `hold obsolete`.
    seen: Vec<(IpAddr, Instant)>,
}

/// Where an answer came from, as the change line says it: `dns/ns1`, or `DNS cache` for the
/// servers after the first that share a resolution (measured).
pub(super) enum By<'a> {
    Nameserver(&'a str, &'a str),
    Cache,
}

/// The sections that servers with a host name and `resolvers` ask.
pub fn plans(config: &Config, backends: &[Arc<BackendRt>]) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for (b, be) in config.backends.iter().enumerate() {
        for (i, s) in be.servers.iter().enumerate() {
            let (Some(host), Some(name)) = (&s.host, &s.resolvers) else {
                continue;
            };
            let Some(r) = config.global.resolvers.iter().find(|r| r.name == *name) else {
                continue;
            };
            let section = match sections.iter().position(|x| x.resolvers.name == r.name) {
                Some(k) => &mut sections[k],
                None => {
                    sections.push(Section {
                        resolvers: Arc::new(r.clone()),
                        resolutions: Vec::new(),
                    });
                    sections.last_mut().expect("just pushed")
                }
            };
            let prefer = s.resolve_prefer.unwrap_or(Prefer::Ipv6);
            let name = host.name.to_ascii_lowercase();
            let requester = Requester {
                backend: backends[b].clone(),
                server: i,
                host: host.name.clone(),
                allow_dup_ip: s.allow_dup_ip,
            };
            let list = &mut section.resolutions;
            match list
                .iter_mut()
                .find(|p| p.name == name && p.prefer == prefer)
            {
                Some(p) => {
                    p.requesters.push(requester);
                    p.taken.push(None);
                }
                None => list.push(Resolution {
                    name,
                    prefer,
                    requesters: vec![requester],
                    last_valid: Instant::now(),
                    taken: vec![None],
                    seen: Vec::new(),
                }),
            }
        }
    }
    sections
}

/// Runs one section forever: every `timeout resolve`, whatever `hold valid` says (measured:
/// with `hold valid 10s` HAProxy still asks every second).
pub async fn run(mut section: Section, global_log: Option<Arc<ProxyLog>>) {
    let r = section.resolvers.clone();
    loop {
        let mut asks = JoinSet::new();
        for (i, res) in section.resolutions.iter().enumerate() {
            let (r, name, prefer) = (r.clone(), res.name.clone(), res.prefer);
            asks.spawn(async move { (i, resolve(&r, &name, prefer).await) });
        }
        let mut outcomes: Vec<Option<Resolved>> =
            section.resolutions.iter().map(|_| None).collect();
        while let Some(Ok((i, outcome))) = asks.join_next().await {
            outcomes[i] = Some(outcome);
        }
        // Checks of servers that left MAINT start once every answer is applied.
        let mut woken = Vec::new();
        for (res, outcome) in section.resolutions.iter_mut().zip(outcomes) {
            if let Some(outcome) = outcome {
                woken.extend(apply_outcome(&r, res, outcome, global_log.as_deref()));
            }
        }
        for req in woken {
            req.backend.servers[req.server].wake.notify_one();
        }
        sleep(r.resolve).await;
    }
}

/// An answer's addresses and the name server that gave them, or the `hold` that applies to
/// the failure and HAProxy's reason for it.
type Resolved = Result<(Vec<IpAddr>, String), (Duration, &'static str)>;

/// Applies one resolution's outcome; returns the requesters that left MAINT.
fn apply_outcome<'a>(
    r: &Resolvers,
    res: &'a mut Resolution,
    outcome: Resolved,
    log: Option<&ProxyLog>,
) -> Vec<&'a Requester> {
    let now = Instant::now();
    let mut woken = Vec::new();
    match outcome {
        Ok((addrs, ns)) => {
            res.last_valid = now;
            let mut answer = with_obsolete(&addrs, &mut res.seen, now, r.hold.obsolete);
            for k in 0..res.requesters.len() {
                let by = match k {
                    0 => By::Nameserver(&r.name, &ns),
                    _ => By::Cache,
                };
                let reqs = &res.requesters;
                if apply::new_answer(reqs, k, &mut res.taken, &mut answer, &by, log) {
                    woken.push(&res.requesters[k]);
                }
            }
        }
        Err((hold, reason)) if now - res.last_valid > hold => {
            for (k, req) in res.requesters.iter().enumerate() {
                res.taken[k] = None;
                apply::lost(req, reason);
            }
        }
        Err(_) => {}
    }
    woken
}

/// The answer, then the addresses earlier answers gave that are younger than `hold obsolete`
/// (HAProxy keeps a record that left the answer that long).
fn with_obsolete(
    addrs: &[IpAddr],
    seen: &mut Vec<(IpAddr, Instant)>,
    now: Instant,
    obsolete: Duration,
) -> Vec<IpAddr> {
    seen.retain(|(ip, t)| !addrs.contains(ip) && now - *t < obsolete);
    let kept: Vec<IpAddr> = seen.iter().map(|(ip, _)| *ip).collect();
    seen.extend(addrs.iter().map(|&ip| (ip, now)));
    addrs.iter().copied().chain(kept).collect()
}

/// Asks for the preferred family, then the other when the answer holds no address of it (as
/// HAProxy falls back from AAAA to A). The failure is the `hold` that applies and the reason
/// HAProxy gives when it takes the servers out (measured).
async fn resolve(r: &Resolvers, name: &str, prefer: Prefer) -> Resolved {
    let (first, second) = match prefer {
        Prefer::Ipv6 => (TYPE_AAAA, TYPE_A),
        Prefer::Ipv4 => (TYPE_A, TYPE_AAAA),
    };
    let hold = &r.hold;
    let mut empty = false;
    for qtype in [first, second] {
        match ask(r, name, qtype).await {
            Outcome::Answered(Answer::Addrs(a), ns) if !a.is_empty() => {
                return Ok((a, ns.name.clone()))
            }
            Outcome::Answered(Answer::Addrs(_), _) => empty = true,
            Outcome::Answered(Answer::NxDomain, _) => return Err((hold.nx, "DNS NX status")),
            Outcome::Answered(Answer::Refused, _) => {
                return Err((hold.refused, "DNS refused status"))
            }
            Outcome::Answered(Answer::Other(_), _) => break,
            Outcome::Timeout if !empty => return Err((hold.timeout, "DNS timeout status")),
            Outcome::Timeout => break,
        }
    }
    Err((hold.other, "unspecified DNS error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_that_left_the_answer_stays_for_hold_obsolete() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let t0 = Instant::now();
        let mut seen = Vec::new();
        let hold = Duration::from_secs(5);
        let first = with_obsolete(&[ip("127.0.0.2"), ip("127.0.0.3")], &mut seen, t0, hold);
        assert_eq!(first, [ip("127.0.0.2"), ip("127.0.0.3")]);
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(
            with_obsolete(&[ip("127.0.0.4")], &mut seen, t1, hold),
            [ip("127.0.0.4"), ip("127.0.0.2"), ip("127.0.0.3")]
        );
        let t2 = t0 + Duration::from_secs(6);
        assert_eq!(
            with_obsolete(&[ip("127.0.0.4")], &mut seen, t2, hold),
            [ip("127.0.0.4")]
        );
        // Without `hold obsolete` (0s, the default) only the answer counts.
        let mut seen = Vec::new();
        with_obsolete(&[ip("127.0.0.2")], &mut seen, t0, Duration::ZERO);
        assert_eq!(
            with_obsolete(&[ip("127.0.0.3")], &mut seen, t1, Duration::ZERO),
            [ip("127.0.0.3")]
        );
    }
}
