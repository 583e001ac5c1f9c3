//! `http-response <action> ... [if|unless <cond>]`: one row per action HAProxy 2.6 has.
//! lbtop runs the rewriting ones, `allow`, and `deny` and `return`, which answer in place
//! of the server (docs/haproxy-semantics.md §21.4); the others are refused naming the line.

use super::http_edit as edit;
use super::http_request::{action, read_from, unsupported, ActionFn};
use super::table::Row;
use crate::config::acl::LoadCtx;
use crate::config::HttpAction;

pub(super) static ACTIONS: &[Row<ActionFn>] = &[
    action("add-header", edit::add_header),
    action("set-header", edit::set_header),
    action("del-header", edit::del_header),
    action("replace-header", edit::replace_header),
    action("replace-value", edit::replace_value),
    action("set-status", edit::set_status),
    action("allow", |w, _| match w.first() {
        Some(x) => Err(format!(
            "'http-response allow' takes no argument, got '{x}'"
        )),
        None => Ok(HttpAction::Allow),
    }),
    action("deny", |w, ctx| super::http_request::deny_rule(w, ctx, 502)),
    unsupported("redirect"),
    action("return", |w, ctx| {
        super::http_request::return_rule(w, ctx, ("return", 200)).map(HttpAction::Return)
    }),
    unsupported("set-var"),
    unsupported("set-var-fmt"),
    unsupported("unset-var"),
    unsupported("capture"),
    unsupported("set-log-level"),
    unsupported("set-nice"),
    unsupported("set-tos"),
    unsupported("set-mark"),
    unsupported("set-timeout"),
    unsupported("silent-drop"),
    unsupported("track-sc0"),
    unsupported("track-sc1"),
    unsupported("track-sc2"),
    unsupported("sc-inc-gpc0"),
    unsupported("sc-inc-gpc1"),
    unsupported("sc-set-gpt0"),
    unsupported("add-acl"),
    unsupported("del-acl"),
    unsupported("set-map"),
    unsupported("del-map"),
    unsupported("cache-store"),
    unsupported("send-spoe-group"),
    unsupported("strict-mode"),
    unsupported("wait-for-body"),
];

/// Reads an `http-response` action: its name then its words.
pub(super) fn read_action(words: &[String], ctx: &LoadCtx) -> Result<HttpAction, String> {
    read_from(ACTIONS, "http-response", words, ctx)
}
