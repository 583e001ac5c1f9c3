//! `help` and the answer to an unknown command, built as HAProxy 2.6 builds them from the
//! commands lbtop has (docs/haproxy-semantics.md §27.1): the commands whose first words
//! match, or the closest ones by a letter-pair likeness, sorted, then `help`/`prompt`/`quit`.

use super::{Cmd, TABLES};

/// HAProxy compares at most this many words, and proposes at most this many look-alikes.
const MAX_WORDS: usize = 5;
const MAX_MATCHES: usize = 5;

const TRAILER: &str =
    "  help [<command>]                        : list matching or all commands\n  \
prompt                                  : toggle interactive mode with prompt\n  \
quit                                    : disconnect\n\n";

/// Commands without a row of their own that still count as names.
const SESSION_NAMES: &[&[&str]] = &[&["help"], &["prompt"], &["quit"]];

/// `help [<words>]`.
pub(super) fn help(args: &[&str]) -> String {
    listing(args, true)
}

/// What a line that names no command gets.
pub(super) fn unknown(args: &[&str]) -> String {
    listing(args, false)
}

fn rows() -> impl Iterator<Item = &'static Cmd> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// How many leading words of `args` some command's name matches exactly.
fn matched_words(args: &[&str]) -> usize {
    let names = rows().map(|c| c.words).chain(SESSION_NAMES.iter().copied());
    names
        .map(|w| w.iter().zip(args).take_while(|(a, b)| a == b).count())
        .max()
        .unwrap_or(0)
}

fn listing(args: &[&str], is_help: bool) -> String {
    let length = matched_words(args);
    let mut out = String::from(match (is_help, length, args.first()) {
        (true, _, _) => "The following commands are valid at this level:\n",
        (false, 0, None) => "Unknown command. Please enter one of the following commands only:\n",
        _ => "Unknown command, but maybe one of the following ones is a better match:\n",
    });
    let candidates: Vec<&Cmd> = rows()
        .filter(|c| !c.help.is_empty() && c.words.len() >= length)
        .filter(|c| c.words[..length] == args[..length])
        .collect();
    let mut entries = match args.get(length) {
        Some(_) => closest(&candidates, &args[length..], length),
        None => Vec::new(),
    };
    if entries.is_empty() {
        entries = candidates.iter().map(|c| c.help).collect();
    }
    entries.sort_unstable();
    entries.dedup();
    for e in entries {
        out.push_str("  ");
        out.push_str(e);
        out.push('\n');
    }
    out.push_str(TRAILER);
    out
}

/// The look-alikes of the unmatched words `rest`, best first, as HAProxy keeps them: at most
/// five, each closer than 2.5 times the letters compared, none past 2.5 times the best.
fn closest(candidates: &[&Cmd], rest: &[&str], length: usize) -> Vec<&'static str> {
    let rest = &rest[..rest.len().min(MAX_WORDS)];
    let mut best: Vec<(usize, &'static str)> = Vec::new();
    for c in candidates {
        let theirs = &c.words[length..c.words.len().min(MAX_WORDS)];
        let total: usize = rest.iter().chain(theirs).map(|w| w.len()).sum();
        let dist = distance(&fingerprint(rest), &fingerprint(theirs));
        let worst = best.get(MAX_MATCHES - 1).map_or(usize::MAX, |b| b.0);
        if dist < 5 * total / 2 && dist < worst {
            let at = best.iter().position(|b| b.0 > dist).unwrap_or(best.len());
            best.insert(at, (dist, c.help));
            best.truncate(MAX_MATCHES);
        }
    }
    let first = best.first().map_or(0, |b| b.0);
    best.into_iter()
        .take_while(|b| b.0 <= 5 * first / 2)
        .map(|b| b.1)
        .collect()
}

/// Counts of each pair of letter classes (a..z, digit, other; word edges count as other).
fn fingerprint(words: &[&str]) -> Vec<u8> {
    let class = |c: u8| match c.to_ascii_lowercase() {
        c @ b'a'..=b'z' => usize::from(c - b'a' + 1),
        b'0'..=b'9' => 27,
        _ => 28,
    };
    let mut fp = vec![0u8; 1024];
    for w in words {
        let mut from = 28;
        for &c in w.as_bytes() {
            let to = class(c);
            fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
            from = to;
        }
        fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1);
    }
    fp
}

fn distance(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as usize).sum()
}
