//! `set maxconn frontend` and `set maxconn global`: the limits of the accept path changed at
//! run time, with HAProxy 2.6's answers, measured (docs/haproxy-semantics.md §32). A lower
//! limit leaves running connections alone and holds new ones in the backlog until the count
//! is below it; a higher one lets waiting clients in at once.

use super::{Cmd, Level, Shared};

pub(crate) static ROWS: &[Cmd] = &[
    Cmd {
        words: &["set", "maxconn", "frontend"],
        help: "set maxconn frontend <frontend> <value> : change a frontend's maxconn setting",
        level: Level::Admin,
        run: set_frontend,
    },
    Cmd {
        words: &["set", "maxconn", "global"],
        help: "set maxconn global <value>              : change the per-process maxconn setting",
        level: Level::Admin,
        run: set_global,
    },
];

/// C's `atoi`, as HAProxy reads the value: leading digits (0 without any), cut to an `int`.
fn atoi(word: &str) -> i64 {
    let (n, _) = super::server::leading_int(word);
    // `(int)strtol(...)`: the low 32 bits of the saturated long.
    i64::from(n.unwrap_or(0) as i32)
}

/// `set maxconn frontend <name> <n>`: 0 admits nobody until raised again.
fn set_frontend(shared: &Shared, args: &[&str]) -> String {
    let Some(name) = args.first().filter(|n| !n.is_empty()) else {
        return "A frontend name is expected.\n\n".into();
    };
    let Some(fe) = shared.frontends.iter().find(|f| f.name == *name) else {
        return "No such frontend.\n\n".into();
    };
    let Some(value) = args.get(1).filter(|v| !v.is_empty()) else {
        return "Integer value expected.\n\n".into();
    };
    let Ok(n) = u32::try_from(atoi(value)) else {
        return "Value out of range.\n\n".into();
    };
    fe.limit.resize(n);
    "\n".into()
}

/// `set maxconn global <n>`: at most the configured `maxconn`; 0 (or no number) brings that
/// back.
fn set_global(shared: &Shared, args: &[&str]) -> String {
    let Some(value) = args.first().filter(|v| !v.is_empty()) else {
        return "Expects an integer value.\n\n".into();
    };
    let n = atoi(value);
    if n > i64::from(shared.maxconn) {
        return "Value out of range.\n\n".into();
    }
    let n = u32::try_from(n)
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(shared.maxconn);
    shared.global.resize(n);
    "\n".into()
}

#[cfg(test)]
mod tests {
    use super::atoi;

    #[test]
    fn values_read_as_atoi_reads_them() {
        let cases = [("7", 7), ("x", 0), ("5abc", 5), ("-1", -1), (" 12", 12)];
        for (word, n) in cases {
            assert_eq!(atoi(word), n, "{word}");
        }
        // strtol saturates, then the cast to int keeps the low 32 bits.
        assert_eq!(atoi("99999999999"), 1215752191);
        assert_eq!(atoi("99999999999999999999"), -1);
    }
}
