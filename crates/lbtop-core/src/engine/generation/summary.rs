//! The one line a reload prints to say what changed: `reload: +1 server, 1 weight changed`,
//! or `reload: no change`.

use crate::config::Config;

/// What differs between the configuration in force and the one read again.
pub fn describe(old: &Config, new: &Config) -> String {
    let mut parts = Vec::new();
    let named = |c: &Config| -> (Vec<String>, Vec<String>) {
        let fes = c.frontends.iter().map(|f| f.name.clone()).collect();
        let bes = c.backends.iter().filter(|b| !b.implicit);
        (fes, bes.map(|b| b.name.clone()).collect())
    };
    let (old_fe, old_be) = named(old);
    let (new_fe, new_be) = named(new);
    added_removed(&mut parts, &old_fe, &new_fe, "frontend");
    added_removed(&mut parts, &old_be, &new_be, "backend");
    let binds = |c: &Config| -> Vec<String> {
        let all = c.frontends.iter().flat_map(|f| &f.binds);
        all.map(|b| b.addr.to_string()).collect()
    };
    added_removed(&mut parts, &binds(old), &binds(new), "bind");
    let servers = |c: &Config| -> Vec<String> {
        let all = c.backends.iter().flat_map(|b| {
            b.servers
                .iter()
                .map(move |s| format!("{}/{}", b.name, s.name))
        });
        all.collect()
    };
    added_removed(&mut parts, &servers(old), &servers(new), "server");
    let (mut weights, mut addrs) = (0, 0);
    for b in &new.backends {
        let Some(ob) = old.backends.iter().find(|o| o.name == b.name) else {
            continue;
        };
        for s in &b.servers {
            if let Some(os) = ob.servers.iter().find(|o| o.name == s.name) {
                weights += usize::from(os.weight != s.weight);
                addrs += usize::from(os.addr != s.addr);
            }
        }
    }
    changed(&mut parts, weights, "weight");
    changed(&mut parts, addrs, "address");
    if parts.is_empty() && body(old) != body(new) {
        parts.push("other settings changed".into());
    }
    match parts.is_empty() {
        true => "reload: no change".into(),
        false => format!("reload: {}", parts.join(", ")),
    }
}

/// `+2 servers`, `-1 backend`: names in `new` and not in `old`, and the other way round.
fn added_removed(parts: &mut Vec<String>, old: &[String], new: &[String], what: &str) {
    let added = new.iter().filter(|n| !old.contains(n)).count();
    let removed = old.iter().filter(|o| !new.contains(o)).count();
    for (sign, n) in [('+', added), ('-', removed)] {
        if n > 0 {
            parts.push(format!("{sign}{n} {what}{}", plural(n, what)));
        }
    }
}

/// `1 weight changed`, `2 addresses changed`.
fn changed(parts: &mut Vec<String>, n: usize, what: &str) {
    if n > 0 {
        parts.push(format!("{n} {what}{} changed", plural(n, what)));
    }
}

fn plural(n: usize, what: &str) -> &'static str {
    match (n, what.ends_with('s')) {
        (1, _) => "",
        (_, true) => "es",
        (_, false) => "s",
    }
}

/// The configuration as `lbtop export` writes it, without its comments (which carry line
/// numbers that move when nothing else does).
fn body(c: &Config) -> String {
    let text = c.to_haproxy_cfg();
    let lines = text.lines().filter(|l| !l.trim_start().starts_with('#'));
    lines.collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &str) -> Config {
        Config::parse(Path::new("r.cfg"), text).unwrap()
    }

    const BASE: &str = "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n\
                        backend be\n    server a 127.0.0.1:9001 weight 10\n    server b 127.0.0.1:9002\n";

    #[test]
    fn counts_what_changed_in_words() {
        let old = cfg(BASE);
        assert_eq!(describe(&old, &cfg(BASE)), "reload: no change");
        let new = BASE.replace("weight 10", "weight 20") + "    server c 127.0.0.1:9003\n";
        assert_eq!(
            describe(&old, &cfg(&new)),
            "reload: +1 server, 1 weight changed"
        );
        let new = BASE.replace("    server b 127.0.0.1:9002\n", "") + "    timeout server 5s\n";
        assert_eq!(describe(&old, &cfg(&new)), "reload: -1 server");
        let new = BASE.to_string() + "    timeout server 5s\n";
        assert_eq!(describe(&old, &cfg(&new)), "reload: other settings changed");
        let new = BASE.replace("9001", "9011").replace("9002", "9012");
        assert_eq!(describe(&old, &cfg(&new)), "reload: 2 addresses changed");
    }
}
