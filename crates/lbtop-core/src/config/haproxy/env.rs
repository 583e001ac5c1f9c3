//! Environment variables as a configuration file sees them: the process environment, changed
//! line by line by the global `setenv`, `presetenv`, `unsetenv` and `resetenv` keywords, and
//! expanded in addresses (`bind 127.0.0.1:$PORT`, `server s1 ${HOST}:80`) as HAProxy 2.6
//! does (docs/haproxy-semantics.md §16).
//!
//! lbtop never changes its own process environment: the changes live here, so that two
//! configurations read side by side (tests) cannot see each other's.

use super::table::Stmt;
use super::{Parser, Res};
use std::collections::HashMap;

/// The process environment as the lines read so far have changed it.
pub(super) struct Env<'a> {
    process: &'a dyn Fn(&str) -> Option<String>,
    /// What the file set (`Some`) or removed (`None`).
    changed: HashMap<String, Option<String>>,
    /// `resetenv` hid every variable of the process not copied into `changed`.
    reset: bool,
}

impl<'a> Env<'a> {
    pub(super) fn new(process: &'a dyn Fn(&str) -> Option<String>) -> Env<'a> {
        Env {
            process,
            changed: HashMap::new(),
            reset: false,
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<String> {
        match self.changed.get(name) {
            Some(v) => v.clone(),
            None if self.reset => None,
            None => (self.process)(name),
        }
    }

    fn set(&mut self, name: &str, value: Option<String>) {
        self.changed.insert(name.to_string(), value);
    }

    /// HAProxy's `env_expand()`: every `$NAME` or `${NAME}` (a name is letters, digits and
    /// `_`) becomes the variable's value, empty when it is not set; quotes play no part (the
    /// words are already split), so `'127.0.0.$X':80` expands too.
    pub(super) fn expand(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (braced, name_at) = match after.strip_prefix('{') {
                Some(inner) => (true, inner),
                None => (false, after),
            };
            let len = name_at
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name_at.len());
            let name = &name_at[..len];
            if !name.is_empty() {
                out.push_str(&self.get(name).unwrap_or_default());
            }
            rest = &name_at[len..];
            if braced {
                rest = rest.strip_prefix('}').unwrap_or(rest);
            }
        }
        out.push_str(rest);
        out
    }
}

/// `setenv <name> <value>`: sets the variable for the lines after it.
pub(super) fn setenv(p: &mut Parser, st: &Stmt) -> Res<()> {
    let (name, value) = name_value(p, st)?;
    p.env.set(&name, Some(value));
    Ok(())
}

/// `presetenv <name> <value>`: as `setenv`, unless the variable is already set.
pub(super) fn presetenv(p: &mut Parser, st: &Stmt) -> Res<()> {
    let (name, value) = name_value(p, st)?;
    if p.env.get(&name).is_none() {
        p.env.set(&name, Some(value));
    }
    Ok(())
}

/// The name and value of `setenv` or `presetenv`. HAProxy takes words after the value
/// without a word (measured: `setenv A b c` sets A to `b`); lbtop says it passes over them.
fn name_value(p: &mut Parser, st: &Stmt) -> Res<(String, String)> {
    let [name, value, extra @ ..] = st.args else {
        return Err(p.err(
            st.no,
            format!("global: '{}' expects a name and a value", st.kw),
        ));
    };
    if !extra.is_empty() {
        p.warn(
            st.no,
            format!(
                "global: '{}' takes a name and a value; '{}' after them is ignored, as HAProxy \
                 ignores it",
                st.kw,
                extra.join(" ")
            ),
        );
    }
    Ok((name.clone(), value.clone()))
}

/// `unsetenv <name>...`.
pub(super) fn unsetenv(p: &mut Parser, st: &Stmt) -> Res<()> {
    if st.args.is_empty() {
        return Err(p.err(
            st.no,
            "global: 'unsetenv' expects at least one variable name",
        ));
    }
    for name in st.args {
        p.env.set(name, None);
    }
    Ok(())
}

/// `resetenv [<name>...]`: removes every variable but those named.
pub(super) fn resetenv(p: &mut Parser, st: &Stmt) -> Res<()> {
    let kept: Vec<(String, Option<String>)> =
        st.args.iter().map(|n| (n.clone(), p.env.get(n))).collect();
    p.env.changed.clear();
    p.env.reset = true;
    for (name, value) in kept {
        p.env.set(&name, value);
    }
    Ok(())
}
