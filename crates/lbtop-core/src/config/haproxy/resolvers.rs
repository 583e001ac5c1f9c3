//! `resolvers <name>` sections: the name servers that servers naming the section ask again
//! while running, and how long answers hold (docs/haproxy-semantics.md §19).

use super::super::values::int;
use super::addr::fixed_addr;
use super::table::{find, names, suggest, Args, Row, Sections, Status, Stmt};
use super::{Parser, Res};
use crate::config::{parse_duration, Nameserver, Resolvers};
use std::time::Duration;

/// How a `resolvers` keyword is read into its section.
type ResolversFn = fn(&mut Resolvers, &Stmt) -> Result<(), String>;

const fn kw(name: &'static str, args: Args, how: ResolversFn) -> Row<ResolversFn> {
    Row {
        name,
        args,
        // `sections` is for proxy keywords; these are only ever looked up in a resolvers section.
        sections: Sections::GLOBAL,
        status: Status::Implemented,
        how,
    }
}

/// The keywords of a `resolvers` section.
pub(super) static RESOLVERS: &[Row<ResolversFn>] =
    &[
        kw("nameserver", Args::Any, nameserver),
        kw("hold", Args::Any, hold),
        kw("timeout", Args::Any, timeout),
        kw("resolve_retries", Args::One("<nb> as argument"), retries),
        Row {
            status: Status::Ignored(
                "lbtop asks without EDNS0, so answers are at most 512 bytes (tens of addresses)",
            ),
            ..kw(
                "accepted_payload_size",
                Args::One("<nb> as argument"),
                payload,
            )
        },
        Row {
            status: Status::Unsupported,
            ..kw("parse-resolv-conf", Args::None, |_, _| Ok(()))
        },
        kw("resolution_pool_size", Args::Any, |_, _| {
            Err("'resolution_pool_size' directive is not supported anymore (it never appeared in a \
             stable release)"
            .into())
        }),
    ];

/// `nameserver <id> <ip:port>`, `udp@` allowed.
fn nameserver(r: &mut Resolvers, st: &Stmt) -> Result<(), String> {
    let [name, addr] = st.args else {
        return Err("'nameserver' expects <name> and <addr>[:<port>] as arguments".into());
    };
    if addr.starts_with("tcp@") {
        return Err(format!(
            "'nameserver {name}': DNS over TCP ('{addr}') is not supported by lbtop"
        ));
    }
    let bare = addr.strip_prefix("udp@").unwrap_or(addr);
    let addr = fixed_addr(bare).map_err(|m| format!("'nameserver {name}': address {m}"))?;
    if r.nameservers.iter().any(|n| n.name == *name) {
        return Err(format!(
            "nameserver '{name}' has same name as another nameserver in this section"
        ));
    }
    r.nameservers.push(Nameserver {
        name: name.clone(),
        addr,
    });
    Ok(())
}

/// `hold <status> <time>`.
fn hold(r: &mut Resolvers, st: &Stmt) -> Result<(), String> {
    let [event, time] = st.args else {
        return Err("'hold' expects an <event> and a <time> as arguments".into());
    };
    let d = duration(time, "hold")?;
    let h = &mut r.hold;
    *match event.as_str() {
        "valid" => &mut h.valid,
        "nx" => &mut h.nx,
        "other" => &mut h.other,
        "refused" => &mut h.refused,
        "timeout" => &mut h.timeout,
        "obsolete" => &mut h.obsolete,
        _ => {
            return Err(format!(
                "'hold' unknown <event>: '{event}', expects either 'nx', 'timeout', 'valid', \
                 'obsolete' or 'other'"
            ))
        }
    } = d;
    Ok(())
}

/// `timeout resolve|retry <time>`.
fn timeout(r: &mut Resolvers, st: &Stmt) -> Result<(), String> {
    let which = st.arg();
    let slot = match which {
        "resolve" => &mut r.resolve,
        "retry" => &mut r.retry,
        _ => {
            return Err(format!(
                "'timeout' expects 'retry' or 'resolve' and <time> as arguments got '{which}'"
            ))
        }
    };
    let [_, time] = st.args else {
        return Err(format!("'timeout {which}' expects <time> as argument"));
    };
    let d = duration(time, &format!("timeout {which}"))?;
    if d.is_zero() {
        return Err(format!("'timeout {which}' must be greater than 0"));
    }
    *slot = d;
    Ok(())
}

fn retries(r: &mut Resolvers, st: &Stmt) -> Result<(), String> {
    // 0 is allowed, as in HAProxy: the name is never asked, every resolution times out.
    r.retries = int(st.arg(), "'resolve_retries'", 0, 1000)?;
    Ok(())
}

fn payload(r: &mut Resolvers, st: &Stmt) -> Result<(), String> {
    r.accepted_payload_size = Some(int(st.arg(), "'accepted_payload_size'", 512, 65535)?);
    Ok(())
}

fn duration(v: &str, what: &str) -> Result<Duration, String> {
    parse_duration(v).map_err(|m| format!("'{what}': {m}"))
}

impl Parser<'_> {
    /// `resolvers <name>`: a new section, read by [`Parser::resolvers_statement`].
    pub(super) fn open_resolvers(&mut self, no: usize, args: &[String]) -> Res<usize> {
        let [name] = args else {
            return Err(self.err(no, "'resolvers' expects exactly one name as argument"));
        };
        self.check_name(no, "resolvers", name)?;
        if let Some(r) = self.global.resolvers.iter().find(|r| r.name == *name) {
            return Err(self.err(
                no,
                format!(
                    "resolvers '{name}' has same name as another resolvers (declared at line {})",
                    r.line
                ),
            ));
        }
        self.global.resolvers.push(Resolvers::new(name.clone(), no));
        Ok(self.global.resolvers.len() - 1)
    }

    pub(super) fn resolvers_statement(&mut self, no: usize, i: usize, w: &[String]) -> Res<()> {
        // A name server's address expands `$NAME` and `${NAME}` outside quotes too, as a
        // server's does (HAProxy accepts `nameserver dns ${DNS}:53`).
        let mut w = w.to_vec();
        if let ("nameserver", Some(addr)) = (w[0].as_str(), w.get(2)) {
            w[2] = self.env.expand(addr);
        }
        let kw = w[0].as_str();
        let st = Stmt {
            no,
            kw,
            args: &w[1..],
        };
        let Some(row) = find(RESOLVERS, kw) else {
            return Err(self.err(
                no,
                format!(
                    "unknown keyword '{kw}' in 'resolvers' section{}",
                    suggest(kw, &names(RESOLVERS))
                ),
            ));
        };
        if row.status == Status::Unsupported {
            return Err(self.err(no, format!("resolvers: '{kw}' is not supported by lbtop")));
        }
        let what = format!("resolvers '{}': '{kw}'", self.global.resolvers[i].name);
        row.args
            .check(st.args, &what)
            .map_err(|m| self.err(no, m))?;
        (row.how)(&mut self.global.resolvers[i], &st).map_err(|m| self.err(no, m))?;
        if let Some(w) = row.status.warning(&what) {
            self.warn(no, w);
        }
        Ok(())
    }

    /// Every server naming a `resolvers` section finds it (HAProxy checks this after reading),
    /// and HAProxy's warning for a section with no name server.
    pub(super) fn check_resolvers(&mut self) {
        let empty: Vec<(usize, String)> = (self.global.resolvers.iter())
            .filter(|r| r.nameservers.is_empty())
            .map(|r| {
                (
                    r.line,
                    format!("resolvers '{}' has no nameservers configured!", r.name),
                )
            })
            .collect();
        for (line, message) in empty {
            self.warn(line, message);
        }
        for p in &self.proxies {
            for s in &p.servers {
                let Some(name) = &s.resolvers else { continue };
                if !self.global.resolvers.iter().any(|r| r.name == *name) {
                    let e = self.err(
                        s.line,
                        format!(
                            "{} '{}', server '{}': unable to find required resolvers '{name}'",
                            p.kind.as_str(),
                            p.name,
                            s.name
                        ),
                    );
                    self.errors.push(e);
                }
            }
        }
    }
}
