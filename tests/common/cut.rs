//! What "no number or name is cut" means on a screen of the lab: every HTTP status code is
//! three digits, every address parses and keeps its whole port (one of the configured
//! `ports`, or five digits: the lab's free ports and clients' ephemeral ones), every server
//! name is a configured one or ends in `…`, and every backend badge reads whole (`N of M up`).

use std::net::SocketAddr;

/// The problems found on `screen`, one per line; empty when nothing is cut.
pub fn problems(screen: &str, names: &[&str], ports: &[u16]) -> Vec<String> {
    let mut found = Vec::new();
    for (y, line) in screen.lines().enumerate() {
        let mut say = |what: String| found.push(format!("row {y}: {what}: {line}"));
        for marker in ["L7OK ", "L7STS ", "L7RSP ", "code: "] {
            for digits in after(line, marker) {
                if !digits.is_empty() && digits.len() != 3 {
                    say(format!("status code {marker}{digits}"));
                }
            }
        }
        for port in after(line, "127.0.0.1:") {
            let addr = format!("127.0.0.1:{port}");
            match addr.parse::<SocketAddr>() {
                Ok(a) if a.port() >= 10_000 || ports.contains(&a.port()) => {}
                _ => say(format!("address {addr}")),
            }
        }
        for rest in line.split("web").skip(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let name = format!("web{digits}");
            let marked = rest[digits.len()..].starts_with('…');
            if !digits.is_empty() && !marked && !names.contains(&name.as_str()) {
                say(format!("server name {name}"));
            }
        }
        for rest in line.split(" of ").skip(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() && !rest[digits.len()..].starts_with(" up") {
                say(format!("badge … of {digits}"));
            }
        }
        for name in ["hoge ", "hoge_l4 "] {
            for rest in line.split(name).skip(1) {
                let starts_number = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
                let badge = rest.split_once(" up").map(|(b, _)| b);
                let whole = badge.is_some_and(|b| b.contains(" of "));
                if starts_number && !whole {
                    say(format!("badge {name}{rest}"));
                }
            }
        }
    }
    found
}

/// The runs of digits right after each `marker` in `line`.
fn after<'a>(line: &'a str, marker: &str) -> Vec<&'a str> {
    line.match_indices(marker)
        .map(|(i, _)| {
            let rest = &line[i + marker.len()..];
            let end = rest
                .char_indices()
                .find(|(_, c)| !c.is_ascii_digit())
                .map_or(rest.len(), |(i, _)| i);
            &rest[..end]
        })
        .collect()
}

/// The screen without the events strip (from its ` events (` title to the footer's two
/// lines): HAProxy's own health lines there say `status: 2/2 UP.` of a server's checks.
pub fn without_strip(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(start) = lines.iter().position(|l| l.contains(" events (")) else {
        return screen.to_string();
    };
    let footer = lines.len().saturating_sub(2);
    lines[..start]
        .iter()
        .chain(&lines[footer.max(start)..])
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}
