//! The HTML stats page: HAProxy's layout in our own markup: the process header, the colour
//! legend, the display options, then a table per proxy with HAProxy's columns, whose cells
//! are the CSV's fields ([`super::csv`]), so both always agree.

use super::admin::{ACTIONS, RESULTS};
use super::csv::{self, Row};
use super::serve::Flags;
use super::Proxy;
use crate::config::{Config, StatsPage};
use crate::events::Snapshot;
use std::fmt::Write as _;

/// HAProxy's column groups: a title and the CSV fields under it, with their headings.
const GROUPS: [(&str, &[(&str, &str)]); 8] = [
    (
        "Queue",
        &[("qcur", "Cur"), ("qmax", "Max"), ("qlimit", "Limit")],
    ),
    (
        "Session rate",
        &[("rate", "Cur"), ("rate_max", "Max"), ("rate_lim", "Limit")],
    ),
    (
        "Sessions",
        &[
            ("scur", "Cur"),
            ("smax", "Max"),
            ("slim", "Limit"),
            ("stot", "Total"),
            ("lbtot", "LbTot"),
            ("lastsess", "Last"),
        ],
    ),
    ("Bytes", &[("bin", "In"), ("bout", "Out")]),
    ("Denied", &[("dreq", "Req"), ("dresp", "Resp")]),
    (
        "Errors",
        &[("ereq", "Req"), ("econ", "Conn"), ("eresp", "Resp")],
    ),
    ("Warnings", &[("wretr", "Retr"), ("wredis", "Redis")]),
    (
        "Server",
        &[
            ("status", "Status"),
            ("check_status", "LastChk"),
            ("weight", "Wght"),
            ("act", "Act"),
            ("bck", "Bck"),
            ("chkfail", "Chk"),
            ("chkdown", "Dwn"),
            ("downtime", "Dwntme"),
            ("throttle", "Thrtle"),
        ],
    ),
];

/// HAProxy's row colours (the legend's classes).
const STYLE: &str = "body{font-family:arial,helvetica,sans-serif;font-size:12px;}
th,td{font-size:10px;}
h1{font-size:x-large;margin-bottom:0.5em;}
h2{font-size:x-large;font-weight:bold;font-style:italic;color:#6020a0;margin:0;}
h3{font-size:16px;font-weight:bold;color:#b00040;background:#e8e8d0;margin:0;}
.titre{background:#20D0D0;color:#000000;font-weight:bold;text-align:center;}
.frontend,.backend{background:#e8e8d0;}
.active_down,.backup_down{background:#ff9090;}
.active_going_up{background:#ffd020;}
.active_going_down{background:#ffffa0;}
.active_up{background:#c0ffc0;}
.active_nolb{background:#20a0ff;}
.active_draining{background:#20a0FF;}
.active_no_check,.backup_no_check{background:#e0e0e0;}
.backup_going_up{background:#ff80ff;}
.backup_going_down{background:#c060ff;}
.backup_up{background:#b0d0ff;}
.backup_nolb{background:#90b0e0;}
.backup_draining{background:#cc9900;}
.maintain{background:#c07820;}
table.tbl{border-collapse:collapse;border-style:none;}
table.tbl td{text-align:right;border:1px solid gray;padding:2px 3px;white-space:nowrap;}
table.tbl th{border:1px solid gray;}
table.tbl th.pxname{background:#b00040;color:#ffff40;font-weight:bold;padding:2px 3px;}
table.tbl th.empty{border-style:none;background:white;}
table.lgd{border-collapse:collapse;}
table.lgd td{border:1px solid gray;padding:2px;}
table.lgd td.noborder{border-style:none;white-space:nowrap;}
";

/// The legend: a row class and what it means.
const LEGEND: [(&str, &str); 10] = [
    ("active_up", "active UP"),
    ("backup_up", "backup UP"),
    ("active_going_down", "active UP, going down"),
    ("backup_going_down", "backup UP, going down"),
    ("active_going_up", "active DOWN, going up"),
    ("backup_going_up", "backup DOWN, going up"),
    ("active_down", "active or backup DOWN"),
    ("active_no_check", "not checked"),
    ("maintain", "active or backup DOWN for maintenance (MAINT)"),
    (
        "active_draining",
        "active or backup SOFT STOPPED for maintenance",
    ),
];

/// Whether `;up` hides this row: a server that is down or in maintenance.
pub fn hidden(row: &Row) -> bool {
    let status = row.get("status");
    row.get("type") == "2" && (status.starts_with("DOWN") || status == "MAINT")
}

pub fn render(
    cfg: &Config,
    snap: &Snapshot,
    proxies: &[Proxy],
    page: &StatsPage,
    flags: Flags,
) -> String {
    let mut o = String::with_capacity(16 * 1024);
    o.push_str("<!DOCTYPE html>\n<html><head><title>Statistics Report for lbtop</title>\n");
    o.push_str("<meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n");
    if let (Some(d), false) = (page.refresh, flags.norefresh) {
        let _ = writeln!(
            o,
            "<meta http-equiv=\"refresh\" content=\"{}\">",
            d.as_secs()
        );
    }
    let _ = writeln!(
        o,
        "<style type=\"text/css\">\n{STYLE}</style></head>\n<body>"
    );
    process_info(&mut o, snap, page);
    options(&mut o, page);
    if let Some((_, text)) = flags
        .st
        .and_then(|st| RESULTS.iter().find(|(w, _)| *w == st))
    {
        let _ = writeln!(
            o,
            "<p><div class=active_up><a href=\"{}\">[X]</a> {text}</div>",
            esc(&page.uri)
        );
    }
    for p in proxies {
        proxy_table(&mut o, cfg, snap, p, page, flags);
    }
    o.push_str("</body></html>\n");
    o
}

fn process_info(o: &mut String, snap: &Snapshot, page: &StatsPage) {
    if page.hide_version {
        o.push_str("<h1>lbtop</h1>\n");
    } else {
        let _ = writeln!(o, "<h1>lbtop version {}</h1>", env!("CARGO_PKG_VERSION"));
    }
    let _ = write!(o, "<h2>Statistics Report for pid {}", std::process::id());
    if let Some(node) = &page.show_node {
        let _ = write!(o, " on {}", esc(&node_name(node)));
    }
    o.push_str("</h2>\n");
    if let Some(desc) = page.show_desc.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(o, "<h2>{}</h2>", esc(desc));
    }
    let up = snap.uptime.as_secs();
    let _ = writeln!(
        o,
        "<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n\
         <table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n\
         <p><b>pid = </b> {}<br>\n<b>uptime = </b> {}d {}h{:02}m{:02}s<br>\n\
         <b>maxconn = </b> {}<br>\ncurrent conns = {}<br>\n</td><td align=\"center\" nowrap>",
        std::process::id(),
        up / 86400,
        up / 3600 % 24,
        up / 60 % 60,
        up % 60,
        snap.maxconn,
        snap.cur_conns
    );
    o.push_str("<table class=\"lgd\"><tr>\n");
    for (i, (class, text)) in LEGEND.iter().enumerate() {
        let _ = write!(
            o,
            "<td class=\"{class}\">&nbsp;</td><td class=\"noborder\">{text} </td>"
        );
        if i % 2 == 1 {
            o.push_str("</tr><tr>\n");
        }
    }
    o.push_str("</tr></table>\nNote: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>");
}

fn options(o: &mut String, page: &StatsPage) {
    let uri = esc(&page.uri);
    let _ = writeln!(
        o,
        "<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul>\n\
         <li><a href=\"{uri};up\">Hide 'DOWN' servers</a><br>\n\
         <li><a href=\"{uri};norefresh\">Disable refresh</a><br>\n\
         <li><a href=\"{uri}\">Refresh now</a><br>\n\
         <li><a href=\"{uri};csv;norefresh\">CSV export</a><br>\n\
         </ul></td></tr></table>"
    );
}

fn proxy_table(
    o: &mut String,
    cfg: &Config,
    snap: &Snapshot,
    p: &Proxy,
    page: &StatsPage,
    flags: Flags,
) {
    let name = esc(&p.name);
    let form = flags.admin && p.backend.is_some();
    if form {
        o.push_str("<form method=\"post\">\n");
    }
    let _ = writeln!(
        o,
        "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" \
         width=\"10%\"><a name=\"{name}\"></a><a href=\"#{name}\">{name}</a></th>\
         <th class=\"empty\" width=\"90%\">{}</th></tr>\n</table>",
        legend_of(cfg, p, page)
    );
    o.push_str("<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th rowspan=2></th>");
    for (title, cols) in GROUPS {
        let _ = write!(o, "<th colspan={}>{title}</th>", cols.len());
    }
    o.push_str("</tr>\n<tr class=\"titre\">");
    for (_, cols) in GROUPS {
        for (_, heading) in cols {
            let _ = write!(o, "<th>{heading}</th>");
        }
    }
    o.push_str("</tr>\n");
    let mut rows = csv::rows(cfg, snap, p);
    if flags.up {
        csv::tally(&mut rows);
    }
    for row in rows {
        if !(flags.up && hidden(&row)) {
            table_row(o, &row, form);
        }
    }
    o.push_str("</table><p>\n");
    if form {
        admin_controls(o, p);
    }
}

/// With `show-legends`: the proxy's mode and, for a backend, its balance algorithm.
fn legend_of(cfg: &Config, p: &Proxy, page: &StatsPage) -> String {
    if !page.show_legends {
        return String::new();
    }
    let mut s = String::new();
    if let Some(b) = p.backend.map(|i| &cfg.backends[i]) {
        let _ = write!(s, "mode {}, balance {}", b.mode, b.balance.as_str());
    } else if let Some(f) = p.frontend.map(|i| &cfg.frontends[i]) {
        let _ = write!(s, "mode {}", f.mode);
    }
    s
}

/// The admin form's menu under a backend's table.
fn admin_controls(o: &mut String, p: &Proxy) {
    o.push_str("Choose the action to perform on the checked servers : <select name=action>\n");
    o.push_str("<option value=\"\"></option>\n");
    for (value, text) in ACTIONS {
        let _ = writeln!(o, "<option value=\"{value}\">{text}</option>");
    }
    let _ = writeln!(
        o,
        "</select><input type=\"hidden\" name=\"b\" value=\"#{}\">\n\
         &nbsp;<input type=\"submit\" value=\"Apply\"></form>",
        p.iid
    );
}

fn table_row(o: &mut String, row: &Row, form: bool) {
    let sv = row.get("svname");
    let (class, label) = match row.get("type") {
        "0" => ("frontend".to_string(), "Frontend"),
        "1" => ("backend".to_string(), "Backend"),
        _ => (server_class(row), sv),
    };
    let label = esc(label);
    let check = if form && row.get("type") == "2" {
        format!("<input type=\"checkbox\" name=\"s\" value=\"{label}\">")
    } else {
        String::new()
    };
    let _ = write!(o, "<tr class=\"{class}\"><td class=ac>{check}{label}</td>");
    for (_, cols) in GROUPS {
        for (field, _) in cols {
            let _ = write!(o, "<td>{}</td>", esc(row.get(field)));
        }
    }
    o.push_str("</tr>\n");
}

/// The legend class a server's row is painted with.
fn server_class(row: &Row) -> String {
    let status = row.get("status");
    if status == "MAINT" {
        return "maintain".into();
    }
    let side = if row.get("bck") == "1" {
        "backup"
    } else {
        "active"
    };
    let state = match status.split(' ').next().unwrap_or("") {
        "UP" if status.contains('/') => "going_down",
        "UP" => "up",
        "DOWN" if status.contains('/') => "going_up",
        "DOWN" => "down",
        "DRAIN" => "draining",
        "NOLB" => "nolb",
        _ => "no_check",
    };
    format!("{side}_{state}")
}

/// `show-node` without a name shows the host's.
fn node_name(node: &str) -> String {
    if !node.is_empty() {
        return node.to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
