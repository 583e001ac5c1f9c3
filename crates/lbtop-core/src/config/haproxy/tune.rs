//! `tune.*` in `global`: each tunes HAProxy's own internals (its buffers, pools, schedulers,
//! TLS caches, Lua), none of which lbtop has, so each loads with a warning naming its line.
//! The names are those HAProxy 2.6 (as packaged, without QUIC or zlib) accepts; any other
//! `tune.` word is refused as unknown, as HAProxy does.

use super::table::{Args, Row, Sections, Status, Stmt};
use super::{Parser, Res};

type TuneFn = fn(&mut Parser, &Stmt) -> Res<()>;

const WHY: &str = "it tunes HAProxy's internals, which lbtop does not have";

const fn tune(name: &'static str, args: Args) -> Row<TuneFn> {
    Row {
        name,
        args,
        sections: Sections::GLOBAL,
        status: Status::Ignored(WHY),
        how: |_, _| Ok(()),
    }
}

const ONE: Args = Args::Count(1, 1);

pub(super) static TUNE: &[Row<TuneFn>] = &[
    tune("tune.buffers.limit", ONE),
    tune("tune.buffers.reserve", ONE),
    tune("tune.bufsize", ONE),
    tune("tune.chksize", ONE),
    tune("tune.comp.maxlevel", ONE),
    tune("tune.fail-alloc", ONE),
    tune("tune.fd.edge-triggered", ONE),
    tune("tune.h2.header-table-size", ONE),
    tune("tune.h2.initial-window-size", ONE),
    tune("tune.h2.max-concurrent-streams", ONE),
    tune("tune.h2.max-frame-size", ONE),
    tune("tune.http.cookielen", ONE),
    tune("tune.http.logurilen", ONE),
    tune("tune.http.maxhdr", ONE),
    tune("tune.idle-pool.shared", ONE),
    tune("tune.idletimer", ONE),
    tune("tune.listener.multi-queue", ONE),
    tune("tune.lua.forced-yield", ONE),
    tune("tune.lua.maxmem", ONE),
    tune("tune.lua.service-timeout", ONE),
    tune("tune.lua.session-timeout", ONE),
    tune("tune.lua.task-timeout", ONE),
    tune("tune.maxaccept", ONE),
    tune("tune.maxpollevents", ONE),
    tune("tune.maxrewrite", ONE),
    tune("tune.pattern.cache-size", ONE),
    tune("tune.peers.max-updates-at-once", ONE),
    tune("tune.pipesize", ONE),
    tune("tune.pool-high-fd-ratio", ONE),
    tune("tune.pool-low-fd-ratio", ONE),
    tune("tune.rcvbuf.client", ONE),
    tune("tune.rcvbuf.server", ONE),
    tune("tune.recv_enough", ONE),
    tune("tune.runqueue-depth", ONE),
    tune("tune.sched.low-latency", ONE),
    tune("tune.sndbuf.client", ONE),
    tune("tune.sndbuf.server", ONE),
    tune("tune.ssl.cachesize", ONE),
    tune("tune.ssl.capture-buffer-size", ONE),
    tune("tune.ssl.capture-cipherlist-size", ONE),
    tune("tune.ssl.default-dh-param", ONE),
    tune("tune.ssl.force-private-cache", Args::Count(0, 0)),
    tune("tune.ssl.hard-maxrecord", ONE),
    tune("tune.ssl.keylog", ONE),
    tune("tune.ssl.lifetime", ONE),
    tune("tune.ssl.maxrecord", ONE),
    tune("tune.ssl.ssl-ctx-cache-size", ONE),
    tune("tune.vars.check-max-size", ONE),
    tune("tune.vars.global-max-size", ONE),
    tune("tune.vars.proc-max-size", ONE),
    tune("tune.vars.reqres-max-size", ONE),
    tune("tune.vars.sess-max-size", ONE),
    tune("tune.vars.txn-max-size", ONE),
];
