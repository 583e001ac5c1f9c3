//! `monitor-uri`, `monitor fail` and the removed `monitor-net`, worded as HAProxy 2.6
//! words their errors (docs/haproxy-semantics.md §38).

use super::sections::{Ctx, Settings};
use super::table::Stmt;
use super::{Parser, Res};
use crate::config::Monitor;

/// `monitor-uri <uri>`: the last one wins; `defaults` hand it on.
pub(super) fn monitor_uri(_: &mut Parser, st: &Stmt, _: &Ctx, s: &mut Settings) -> Res<()> {
    let fail = s.monitor.take().map(|m| m.fail).unwrap_or_default();
    s.monitor = Some(Monitor {
        uri: st.arg().to_string(),
        line: st.no,
        fail,
    });
    Ok(())
}

/// `monitor fail if|unless <condition>`, compiled against the ACLs defined so far.
pub(super) fn monitor(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    if st.arg() != "fail" {
        return Err(p.err_in(st.no, ctx, "'monitor' only supports 'fail'."));
    }
    let words = &st.args[1..];
    let required = "'monitor fail' requires either 'if' or 'unless' followed by a condition.";
    if !matches!(words.first().map(String::as_str), Some("if" | "unless")) || words.len() < 2 {
        return Err(p.err_in(st.no, ctx, required));
    }
    let cond = super::rules::cond(&|n| p.env.get(n), s, st.no, words).map_err(|m| {
        let m = format!("error detected while parsing a 'monitor fail' condition : {m}.");
        p.err_in(st.no, ctx, m)
    })?;
    let Some(cond) = cond else {
        return Err(p.err_in(st.no, ctx, required));
    };
    // Without a `monitor-uri` yet, the condition waits for one (HAProxy keeps it too).
    let m = s.monitor.get_or_insert_with(|| Monitor {
        uri: String::new(),
        line: st.no,
        fail: Vec::new(),
    });
    m.fail.push(cond);
    Ok(())
}

/// `monitor-net` is gone from HAProxy 2.6, which says what to write instead.
pub(super) fn monitor_net(p: &mut Parser, st: &Stmt, ctx: &Ctx, _: &mut Settings) -> Res<()> {
    Err(p.err_in(
        st.no,
        ctx,
        format!(
            "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 \
             if {{ src {} }}' instead.",
            st.arg()
        ),
    ))
}
