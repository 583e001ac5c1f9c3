//! `unique-id-format <fmt>` and `unique-id-header <name>` (docs/haproxy-semantics.md §25).

use super::sections::{Ctx, Settings};
use super::table::Stmt;
use super::{Parser, Res};
use crate::config::LineFormat;

/// `unique-id-format <fmt>`: compiled as a `log-format`, with only the variables known when
/// the request head is in (HAProxy accepts any and writes what it has then: `-1`, `<NOSRV>`).
pub(super) fn unique_id_format(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let fmt = one_arg(p, st, ctx, "unique-id-format")?;
    let compiled = LineFormat::compile_in(fmt, st.no, &|n| p.env.get(n)).map_err(|m| {
        p.err_in(
            st.no,
            ctx,
            format!("failed to parse unique-id-format : {m}"),
        )
    })?;
    if let Some(var) = compiled.late_var() {
        return Err(p.err_in(
            st.no,
            ctx,
            format!(
                "unique-id-format: format variable '{var}' is not supported by lbtop there: \
                 the ID is written when the request head is in, before '{var}' is known"
            ),
        ));
    }
    s.options.unique_id_format = Some(compiled);
    Ok(())
}

/// `unique-id-header <name>`: the header added to the request for the server.
pub(super) fn unique_id_header(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let name = one_arg(p, st, ctx, "unique-id-header")?;
    if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(p.err_in(
            st.no,
            ctx,
            format!("unique-id-header: '{name}' is not a valid header name"),
        ));
    }
    s.options.unique_id_header = Some(name.to_string());
    Ok(())
}

/// HAProxy's own words when the argument is missing (measured for `unique-id-format ""`).
fn one_arg<'s>(p: &Parser, st: &'s Stmt, ctx: &Ctx, kw: &str) -> Res<&'s str> {
    match &st.args {
        [one] if !one.is_empty() => Ok(one),
        [_, _, ..] => Err(p.err_in(
            st.no,
            ctx,
            format!("{kw} expects only one argument, don't forget to escape spaces!"),
        )),
        _ => Err(p.err_in(st.no, ctx, format!("{kw} expects an argument."))),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigErrors};
    use std::path::Path;

    fn load(body: &str) -> Result<Config, ConfigErrors> {
        let text = format!(
            "defaults\n    mode http\nfrontend fe\n    bind 127.0.0.1:1\n    default_backend be\n\
             {body}\nbackend be\n    server s 127.0.0.1:1\n"
        );
        Config::parse_all(Path::new("c.cfg"), &text)
    }

    #[test]
    fn loads_the_format_and_the_header() {
        let c = load("    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid\n    unique-id-header X-Unique-ID").unwrap();
        let o = &c.frontends[0].options;
        assert_eq!(
            o.unique_id_format.as_ref().unwrap().source,
            "%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid"
        );
        assert_eq!(o.unique_id_header.as_deref(), Some("X-Unique-ID"));
    }

    #[test]
    fn refuses_what_is_not_known_yet_naming_the_line() {
        for (body, words) in [
            ("    unique-id-format %ST", "'ST'"),
            ("    unique-id-format %s", "'s'"),
            ("    unique-id-format \"\"", "expects an argument."),
            ("    unique-id-format a b", "only one argument"),
            ("    unique-id-header", "expects an argument."),
            ("    unique-id-format %zz", "no such format variable"),
        ] {
            let e = load(body).unwrap_err().to_string();
            assert!(e.contains("c.cfg:6") && e.contains(words), "{body}: {e}");
        }
    }
}
