//! `bind <addr>[,<addr>...] [<option>]...`: the addresses (lists and port ranges expand to one
//! [`Bind`] each) and one row per bind option, as HAProxy's `bind_kws`.

use super::super::values::int;
use super::names::bind_targets;
use super::sections::Ctx;
use super::ssl::SSL_BIND;
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::Bind;

/// How a bind option is read: a flag, or one value (with how messages name it).
#[derive(Clone, Copy)]
pub(super) enum BindKw {
    Flag(fn(&mut Bind)),
    Value(fn(&mut Bind, &str, &str) -> Result<(), String>),
}

const fn flag(name: &'static str, set: fn(&mut Bind)) -> Row<BindKw> {
    Row {
        name,
        args: Args::None,
        sections: Sections::FRONTENDS,
        status: Status::Implemented,
        how: BindKw::Flag(set),
    }
}

const fn value(
    name: &'static str,
    read: fn(&mut Bind, &str, &str) -> Result<(), String>,
) -> Row<BindKw> {
    Row {
        args: Args::One("an argument"),
        how: BindKw::Value(read),
        ..flag(name, |_| {})
    }
}

const fn ignored(name: &'static str, why: &'static str) -> Row<BindKw> {
    Row {
        status: Status::Ignored(why),
        ..value(name, |_, _, _| Ok(()))
    }
}

/// Refused; [`refusal`] says why.
const fn unsupported(name: &'static str, args: Args) -> Row<BindKw> {
    Row {
        status: Status::Unsupported,
        args,
        ..flag(name, |_| {})
    }
}

const ONE: Args = Args::One("an argument");
const MAX: i64 = u32::MAX as i64;

/// The bind options: those lbtop reads, then those it refuses.
pub(super) static BIND: &[Row<BindKw>] = &[
    flag("accept-proxy", |b| b.accept_proxy = true),
    value("name", |b, v, _| {
        b.name = Some(v.to_string());
        Ok(())
    }),
    value("id", |b, v, what| {
        int(v, what, 1, i64::from(i32::MAX)).map(|n| b.id = Some(n))
    }),
    value("backlog", |b, v, what| {
        int(v, what, 1, MAX).map(|n| b.backlog = Some(n))
    }),
    value("maxconn", |b, v, what| {
        int(v, what, 1, MAX).map(|n| b.maxconn = Some(n))
    }),
    flag("v4v6", |b| b.v6only = Some(false)),
    flag("v6only", |b| b.v6only = Some(true)),
    flag("defer-accept", |b| b.defer_accept = true),
    flag("tfo", |b| b.tfo = true),
    ignored(
        "process",
        "lbtop is one process, and each bind listens in every worker thread",
    ),
    ignored(
        "thread",
        "each bind listens in every lbtop worker thread (set their number with 'nbthread')",
    ),
    unsupported("transparent", Args::None),
    unsupported("interface", ONE),
    unsupported("namespace", ONE),
    unsupported("mss", ONE),
    unsupported("tcp-ut", ONE),
    unsupported("accept-netscaler-cip", ONE),
    unsupported("proto", ONE),
    unsupported("mode", ONE),
    unsupported("user", ONE),
    unsupported("uid", ONE),
    unsupported("group", ONE),
    unsupported("gid", ONE),
    unsupported("level", ONE),
    unsupported("severity-output", ONE),
    unsupported("expose-fd", ONE),
    unsupported("nice", ONE),
];

/// Why lbtop refuses a bind option.
fn refusal(kw: &str) -> String {
    let why = {
        match kw {
            "transparent" => "lbtop binds only addresses of this machine (no IP_TRANSPARENT)",
            "interface" => "lbtop does not bind to a network interface; bind its address",
            "expose-fd" => "it belongs on the 'stats socket' line (global section)",
            "user" | "uid" | "group" | "gid" | "mode" | "level" | "severity-output" => {
                "it applies to unix sockets and the stats socket, which lbtop does \
                              not listen on"
            }
            _ => "lbtop does not support it",
        }
    };
    format!("bind option '{kw}' is not supported: {why}")
}

impl Parser<'_> {
    /// `bind` in a frontend or listen section: every socket it names, with its options.
    pub(super) fn bind(&mut self, no: usize, args: &[String], ctx: &Ctx) -> Res<Vec<Bind>> {
        let Some(addr) = args.first() else {
            return Err(self.err_in(no, ctx, "'bind' expects an address"));
        };
        // HAProxy expands `$VAR` in addresses, quoted or not.
        let addrs = bind_targets(&self.env.expand(addr))
            .map_err(|m| self.err_in(no, ctx, format!("'bind' {m}")))?;
        let mut template = Bind {
            line: no,
            ..Bind::new(addrs[0])
        };
        let mut tls = self.ssl.bind.clone();
        let mut ssl = false;
        let mut words = args[1..].iter();
        while let Some(key) = words.next() {
            let what = format!("'bind {addr}': '{key}'");
            if let Some(row) = find(SSL_BIND, key) {
                ssl |= key == "ssl";
                self.ssl_option((no, ctx, addr), row, &mut words, &mut tls)?;
                continue;
            }
            let Some(row) = find(BIND, key) else {
                let mut all = names(BIND);
                all.extend(names(SSL_BIND));
                return Err(self.err_in(
                    no,
                    ctx,
                    format!("{what}: unknown bind option{}", suggest(key, &all)),
                ));
            };
            if row.status == Status::Unsupported {
                return Err(self.err_in(no, ctx, refusal(key)));
            }
            let value: Vec<String> = words.by_ref().take(row.args.taken()).cloned().collect();
            row.args
                .check(&value, &what)
                .map_err(|m| self.err_in(no, ctx, m))?;
            match row.how {
                BindKw::Flag(set) => set(&mut template),
                BindKw::Value(read) => {
                    let v = value.first().map_or("", String::as_str);
                    read(&mut template, v, &what).map_err(|m| self.err_in(no, ctx, m))?;
                }
            }
            if let Some(w) = row.status.warning(&what) {
                self.warn(no, w);
            }
        }
        template.tls = self.bind_tls((no, ctx, addr), ssl, tls)?;
        if template.id.is_some() && addrs.len() > 1 {
            return Err(self.err_in(
                no,
                ctx,
                format!("'bind {addr}': 'id' can only be used with a single socket"),
            ));
        }
        Ok(addrs
            .into_iter()
            .map(|a| Bind {
                addr: a,
                ..template.clone()
            })
            .collect())
    }
}
