//! Tab at the `:` prompt: the command words of the runtime API (from the stats socket's own
//! table of commands), then backend and server names where a command takes them
//! (`set server ho<Tab>` → `hoge`, `hoge/w<Tab>` → `hoge/web1`, listing web10 and web11),
//! and the words that follow `set server <bk>/<srv>`.

use crate::engine::cli;

/// The words `set server <bk>/<srv>` takes next, as HAProxy 2.6's usage message lists them.
const SET_SERVER: &[&str] = &[
    "addr",
    "agent",
    "agent-addr",
    "agent-port",
    "agent-send",
    "check-addr",
    "check-port",
    "fqdn",
    "health",
    "ssl",
    "state",
    "weight",
];

/// The line after Tab, and the choices (shown short) when there are several.
pub fn complete(line: &str, backends: &[(String, Vec<String>)]) -> (String, Vec<String>) {
    let (head, word) = match line.rfind(' ') {
        Some(i) => line.split_at(i + 1),
        None => ("", line),
    };
    let before: Vec<&str> = head.split_whitespace().collect();
    let found = candidates(&before, word, backends);
    match found.as_slice() {
        [] => (line.to_string(), Vec::new()),
        [one] => (format!("{head}{one}"), Vec::new()),
        many => {
            let common = common_prefix(many.iter().map(|c| c.trim_end()));
            let shown = many.iter().map(|c| short(c)).collect();
            (format!("{head}{common}"), shown)
        }
    }
}

/// What `word` may become after the words `before`, each with what follows it (a space, or
/// `/` after a backend that a server name follows).
fn candidates(before: &[&str], word: &str, backends: &[(String, Vec<String>)]) -> Vec<String> {
    let mut out: Vec<String> = command_words()
        .filter(|w| w.len() > before.len() && w[..before.len()] == *before)
        .map(|w| w[before.len()])
        .filter(|next| next.starts_with(word))
        .map(|next| format!("{next} "))
        .collect();
    out.sort();
    out.dedup();
    if !out.is_empty() {
        return out;
    }
    let Some((name, help)) = command_of(before) else {
        return out;
    };
    let args = &before[name.len()..];
    let words: Vec<String> = match (name, args) {
        (["set", "server"], [_]) => SET_SERVER.iter().map(|w| w.to_string()).collect(),
        (["set", "server"], [_, "state"]) => words(&["ready", "drain", "maint"]),
        (["set", "server"], [_, "health" | "agent"]) => words(&["up", "stopping", "down"]),
        (_, []) if takes_server(name, help) => return servers(word, backends),
        (_, []) if help.contains("<backend>") || help.contains("<px>") => {
            backends.iter().map(|(b, _)| b.clone()).collect()
        }
        _ => Vec::new(),
    };
    words
        .into_iter()
        .filter(|w| w.starts_with(word))
        .map(|w| format!("{w} "))
        .collect()
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

/// Command names as `help` lists them, and `help` itself.
fn command_words() -> impl Iterator<Item = &'static [&'static str]> {
    cli::commands()
        .filter(|(_, help)| !help.is_empty())
        .map(|(w, _)| w)
        .chain(std::iter::once(&["help"][..]))
}

/// The longest command name that `before` starts with, and its help line.
fn command_of(before: &[&str]) -> Option<(&'static [&'static str], &'static str)> {
    cli::commands()
        .filter(|(w, _)| w.len() <= before.len() && before[..w.len()] == **w)
        .max_by_key(|(w, _)| w.len())
}

/// Commands whose first argument is `<backend>/<server>`; HAProxy's help leaves it out for
/// `enable`/`disable health|agent|server`.
fn takes_server(name: &[&str], help: &str) -> bool {
    help.contains("<bk>/<srv>")
        || matches!(name, ["enable" | "disable", "health" | "agent" | "server"])
}

/// `ba` → backends named so, each followed by `/`; `back/s` → that backend's servers.
fn servers(word: &str, backends: &[(String, Vec<String>)]) -> Vec<String> {
    match word.split_once('/') {
        Some((b, s)) => backends
            .iter()
            .filter(|(name, _)| name == b)
            .flat_map(|(_, servers)| servers)
            .filter(|name| name.starts_with(s))
            .map(|name| format!("{b}/{name} "))
            .collect(),
        None => backends
            .iter()
            .filter(|(name, servers)| name.starts_with(word) && !servers.is_empty())
            .map(|(name, _)| format!("{name}/"))
            .collect(),
    }
}

fn common_prefix<'a>(mut words: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = words.next() else {
        return String::new();
    };
    let mut len = first.len();
    for w in words {
        len = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_string()
}

/// A choice as listed: a server without its backend, no trailing space.
fn short(choice: &str) -> String {
    let choice = choice.trim_end();
    match choice.rsplit_once('/') {
        Some((_, server)) if !server.is_empty() => server.to_string(),
        _ => choice.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Vec<(String, Vec<String>)> {
        let servers = vec!["web10".to_string(), "web11".to_string()];
        vec![
            ("hoge".to_string(), servers.clone()),
            ("hoge_l4".to_string(), servers),
        ]
    }

    fn tab(line: &str) -> (String, Vec<String>) {
        complete(line, &lab())
    }

    #[test]
    fn command_words_complete_from_the_sockets_table() {
        let (line, choices) = tab("sh");
        assert_eq!(
            (line.as_str(), choices),
            ("sh", vec!["show".into(), "shutdown".into()])
        );
        assert_eq!(tab("sho").0, "show ");
        assert_eq!(tab("show serv"), ("show servers ".into(), vec![]));
        assert_eq!(
            tab("show servers s"),
            ("show servers state ".into(), vec![])
        );
        let (line, choices) = tab("show s");
        assert_eq!(line, "show s");
        assert!(choices.contains(&"stat".to_string()), "{choices:?}");
        assert!(choices.contains(&"servers".to_string()), "{choices:?}");
        assert_eq!(tab("he"), ("help ".into(), vec![]));
        assert_eq!(tab("disable he"), ("disable health ".into(), vec![]));
    }

    #[test]
    fn backend_and_server_names() {
        let both = vec!["hoge/".to_string(), "hoge_l4/".to_string()];
        assert_eq!(tab("set server ho"), ("set server hoge".into(), both));
        assert_eq!(
            tab("set server hoge_"),
            ("set server hoge_l4/".into(), vec![])
        );
        let servers = vec!["web10".to_string(), "web11".to_string()];
        assert_eq!(
            tab("set server hoge/w"),
            ("set server hoge/web1".into(), servers)
        );
        assert_eq!(
            tab("disable health hoge/web11"),
            ("disable health hoge/web11 ".into(), vec![])
        );
        assert_eq!(
            tab("set server hoge/web11 st"),
            ("set server hoge/web11 state ".into(), vec![])
        );
        assert_eq!(
            tab("set server hoge/web11 state d"),
            ("set server hoge/web11 state drain ".into(), vec![])
        );
        // `show servers state [<backend>]` takes a backend alone.
        assert_eq!(
            tab("show servers state hoge_"),
            ("show servers state hoge_l4 ".into(), vec![])
        );
        assert_eq!(tab("set server nope/"), ("set server nope/".into(), vec![]));
        assert_eq!(tab("bogus x"), ("bogus x".into(), vec![]));
    }
}
