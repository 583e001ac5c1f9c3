//! Re-resolving server host names while running, for servers with `resolvers <name>`
//! (docs/haproxy-semantics.md §17). Servers that ask the same section for the same name of
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
use tokio::time::{sleep, Instant};

/// One server asking.
pub struct Requester {
    pub backend: Arc<BackendRt>,
    pub server: usize,
    pub host: String,
    pub allow_dup_ip: bool,
}

/// One name asked of one section, and the servers that share the answer, in file order.
pub struct Resolution {
    pub resolvers: Resolvers,
    pub name: String,
    pub prefer: Prefer,
    pub requesters: Vec<Requester>,
}

/// Where an answer came from, as the change line says it: `dns/ns1`, or `DNS cache` for the
/// servers after the first that share a resolution (measured).
pub(super) enum By<'a> {
    Nameserver(&'a str, &'a str),
    Cache,
}

/// The resolutions of every server with a host name and `resolvers`.
pub fn plans(config: &Config, backends: &[Arc<BackendRt>]) -> Vec<Resolution> {
    let mut plans: Vec<Resolution> = Vec::new();
    for (b, be) in config.backends.iter().enumerate() {
        for (i, s) in be.servers.iter().enumerate() {
            let (Some(host), Some(section)) = (&s.host, &s.resolvers) else {
                continue;
            };
            let Some(r) = config.global.resolvers.iter().find(|r| r.name == *section) else {
                continue;
            };
            let prefer = s.resolve_prefer.unwrap_or(Prefer::Ipv6);
            let name = host.name.to_ascii_lowercase();
            let requester = Requester {
                backend: backends[b].clone(),
                server: i,
                host: host.name.clone(),
                allow_dup_ip: s.allow_dup_ip,
            };
            let same = |p: &&mut Resolution| {
                p.resolvers.name == r.name && p.name == name && p.prefer == prefer
            };
            match plans.iter_mut().find(same) {
                Some(p) => p.requesters.push(requester),
                None => plans.push(Resolution {
                    resolvers: r.clone(),
                    name,
                    prefer,
                    requesters: vec![requester],
                }),
            }
        }
    }
    plans
}

/// Runs one resolution forever.
pub async fn run(res: Resolution, global_log: Option<Arc<ProxyLog>>) {
    let r = &res.resolvers;
    let mut last_valid = Instant::now();
    // The address each server took from an answer, and when each address was last answered.
    let mut taken: Vec<Option<IpAddr>> = vec![None; res.requesters.len()];
    let mut seen: Vec<(IpAddr, Instant)> = Vec::new();
    // Every `timeout resolve`, whatever `hold valid` says (measured: with `hold valid 10s`
    // HAProxy still asks every second).
    loop {
        let outcome = resolve(&res).await;
        let now = Instant::now();
        match outcome {
            Ok((addrs, ns)) => {
                last_valid = now;
                let mut answer = with_obsolete(&addrs, &mut seen, now, r.hold.obsolete);
                for k in 0..res.requesters.len() {
                    let by = match k {
                        0 => By::Nameserver(&r.name, ns),
                        _ => By::Cache,
                    };
                    let log = global_log.as_deref();
                    apply::new_answer(&res, k, &mut taken, &mut answer, &by, log);
                }
            }
            Err((hold, reason)) if now - last_valid > hold => {
                for (k, req) in res.requesters.iter().enumerate() {
                    taken[k] = None;
                    apply::lost(req, reason);
                }
            }
            Err(_) => {}
        }
        sleep(r.resolve).await;
    }
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
async fn resolve(res: &Resolution) -> Result<(Vec<IpAddr>, &str), (Duration, &'static str)> {
    let (first, second) = match res.prefer {
        Prefer::Ipv6 => (TYPE_AAAA, TYPE_A),
        Prefer::Ipv4 => (TYPE_A, TYPE_AAAA),
    };
    let hold = &res.resolvers.hold;
    let mut empty = false;
    for qtype in [first, second] {
        match ask(&res.resolvers, &res.name, qtype).await {
            Outcome::Answered(Answer::Addrs(a), ns) if !a.is_empty() => {
                return Ok((a, ns.name.as_str()))
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
