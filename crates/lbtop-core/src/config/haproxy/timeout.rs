//! `timeout <name> <value>`: one row per timeout.

use super::sections::{Ctx, Settings};
use super::table::{find, names, suggest, Args, Row, Sections, Status};
use super::{Parser, Res};
use crate::config::{parse_duration, Timeouts};
use std::time::Duration;

/// Where a timeout goes: sets its field of [`Timeouts`] (`None` is "no timeout").
type TimeoutFn = fn(&mut Timeouts, Option<Duration>);

const fn timeout(name: &'static str, sections: Sections, how: TimeoutFn) -> Row<TimeoutFn> {
    Row {
        name,
        args: Args::One("a time value"),
        sections,
        status: Status::Implemented,
        how,
    }
}

pub(super) static TIMEOUTS: &[Row<TimeoutFn>] = &[
    timeout("client", Sections::FE, |t, d| t.client = d),
    timeout("server", Sections::BE, |t, d| t.server = d),
    timeout("connect", Sections::BE, |t, d| t.connect = d),
    timeout("check", Sections::BE, |t, d| t.check = d),
    timeout("queue", Sections::BE, |t, d| t.queue = d),
    timeout("http-keep-alive", Sections::PROXIES, |t, d| {
        t.http_keep_alive = d
    }),
    timeout("http-request", Sections::PROXIES, |t, d| t.http_request = d),
    timeout("tunnel", Sections::BE, |t, d| t.tunnel = d),
    timeout("tarpit", Sections::PROXIES, |t, d| t.tarpit = d),
    timeout("client-fin", Sections::FE, |t, d| t.client_fin = d),
    timeout("server-fin", Sections::BE, |t, d| t.server_fin = d),
];

impl Parser<'_> {
    /// `timeout <name> <value>`: the value is checked before the side that uses it, as
    /// HAProxy does.
    pub(super) fn timeout(
        &mut self,
        no: usize,
        args: &[String],
        s: &mut Settings,
        ctx: &Ctx,
    ) -> Res<()> {
        let name = args.first().map_or("", String::as_str);
        let Some(row) = find(TIMEOUTS, name) else {
            let names = names(TIMEOUTS);
            let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            return Err(self.err_in(
                no,
                ctx,
                format!(
                    "'timeout' supports {} (got '{name}'){}",
                    list.join(", "),
                    suggest(name, &names)
                ),
            ));
        };
        let what = format!("'timeout {name}'");
        row.args
            .check(&args[1..], &what)
            .map_err(|m| self.err_in(no, ctx, m))?;
        let d =
            parse_duration(&args[1]).map_err(|m| self.err_in(no, ctx, format!("{what}: {m}")))?;
        if !self.applies(no, ctx, row.sections, &format!("timeout {name}"))? {
            return Ok(());
        }
        // As in HAProxy, 0 means "no timeout": the same as leaving it out.
        (row.how)(&mut s.timeouts, Some(d).filter(|d| !d.is_zero()));
        if let Some(w) = row.status.warning(&what) {
            self.warn(no, w);
        }
        Ok(())
    }
}
