//! "Did you mean ...?": the one near-miss rule behind every suggestion lbtop makes, for
//! HAProxy keywords, TOML keys and values, and `[ui.keys]` action names.

/// The candidate a small edit away from `word` (ignoring case and `_` vs `-`), if any: at most
/// two edits, and at most half of the longer word. Of equally close candidates the first wins,
/// so tables list their most common names first.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let w = norm(word);
    let best = candidates
        .iter()
        .map(|c| (edit_distance(&w, &norm(c)), *c))
        .min_by_key(|&(d, _)| d);
    match best {
        Some((d, c)) if d <= 2 && d * 2 <= c.len().max(w.len()) && c != word => Some(c),
        _ => None,
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("inter", "inter"), 0);
        assert_eq!(edit_distance("inetr", "inter"), 1, "a swap is one edit");
        assert_eq!(edit_distance("iner", "inter"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn only_near_misses_are_suggested() {
        let names = ["inter", "rise", "fall"];
        assert_eq!(closest("inetr", &names), Some("inter"));
        assert_eq!(closest("RISE", &names), Some("rise"), "case is ignored");
        assert_eq!(closest("xyz", &names), None);
        assert_eq!(closest("a", &["b"]), None, "half the word changed");
        assert_eq!(
            closest("rise", &names),
            None,
            "an exact match is no suggestion"
        );
        assert_eq!(
            closest("default_server", &["default-server"]),
            Some("default-server")
        );
        assert_eq!(
            closest("fal", &["fail", "fall"]),
            Some("fail"),
            "the first wins a tie"
        );
    }
}
