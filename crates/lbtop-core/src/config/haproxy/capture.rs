//! `capture request|response header <name> len <n>`, `capture cookie <name> len <n>` and
//! `log-format <fmt>` (docs/haproxy-semantics.md §25).

use super::sections::{Ctx, Settings};
use super::table::Stmt;
use super::{Parser, Res};
use crate::config::{Capture, Frontend, LineFormat, Mode};

/// `capture ...`, in HAProxy's words when malformed.
pub(super) fn capture(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let a: Vec<&str> = st.args.iter().map(String::as_str).collect();
    let bad = |m: &str| p.err_in(st.no, ctx, m);
    match a.as_slice() {
        ["cookie", name, "len", len, ..] => {
            let len = capture_len(len).ok_or_else(|| bad(&bad_len("capture cookie", len)))?;
            if let Some(old) = &s.captures.cookie {
                p.warn(
                    st.no,
                    format!(
                        "{}: 'capture cookie {name}' replaces 'capture cookie {}': HAProxy keeps \
                         only the last one",
                        ctx.who, old.name
                    ),
                );
            }
            s.captures.cookie = Some(Capture {
                name: name.to_string(),
                len,
            });
        }
        ["cookie", ..] => return Err(bad("'capture' expects 'cookie' <cookie_name> 'len' <len>")),
        [side @ ("request" | "response"), "header", rest @ ..] => {
            let what = format!("'capture {side}'");
            let [name, "len", len, extra @ ..] = rest else {
                return Err(bad(&format!(
                    "{what} expects 'header' <header_name> 'len' <len>"
                )));
            };
            if let Some(extra) = extra.first() {
                return Err(bad(&format!(
                    "{what} cannot handle unexpected argument '{extra}'"
                )));
            }
            let len = capture_len(len).ok_or_else(|| bad(&bad_len(&what, len)))?;
            let c = Capture {
                name: name.to_string(),
                len,
            };
            match *side {
                "request" => s.captures.request.push(c),
                _ => s.captures.response.push(c),
            }
        }
        _ => {
            return Err(bad(
                "'capture' expects 'cookie' or 'request header' or 'response header'",
            ))
        }
    }
    Ok(())
}

/// HAProxy reads the length with `atol`, so `len abc` is 0 there: lbtop asks for a number.
fn capture_len(word: &str) -> Option<usize> {
    word.parse().ok()
}

fn bad_len(what: &str, got: &str) -> String {
    format!("{what} expects a length in bytes after 'len', got '{got}'")
}

/// `log-format <fmt>`: replaces `option httplog`/`tcplog` written before it, and is replaced
/// by them when written after (measured: no warning either way).
pub(super) fn log_format(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let fmt = match st.args {
        [one] => one,
        [] => return Err(p.err_in(st.no, ctx, "log-format expects an argument")),
        _ => {
            return Err(p.err_in(
                st.no,
                ctx,
                "log-format expects only one argument, don't forget to escape spaces!",
            ))
        }
    };
    let compiled = LineFormat::compile_in(fmt, st.no, &|n| p.env.get(n))
        .map_err(|m| p.err_in(st.no, ctx, format!("failed to parse log-format : {m}")))?;
    s.options.log_format = Some(compiled);
    s.options.httplog = false;
    s.options.tcplog = false;
    s.own_log_format = Some("log-format");
    Ok(())
}

impl Parser<'_> {
    /// A TCP frontend's `log-format` may not use HTTP variables: checked once the mode is
    /// known, as HAProxy does at the end of loading.
    pub(super) fn check_log_format(&mut self, f: &Frontend, who: &str) {
        let Some(lf) = &f.options.log_format else {
            return;
        };
        if let (Mode::Tcp, Some(var)) = (f.mode, lf.http_var()) {
            self.errors.push(self.err(
                lf.line,
                format!(
                    "{who}: failed to parse log-format : format variable '{var}' is reserved \
                     for HTTP mode"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigErrors};
    use std::path::Path;

    fn load(body: &str) -> Result<Config, ConfigErrors> {
        let text =
            format!("defaults\n    mode http\n{body}\nbackend be\n    server s 127.0.0.1:1\n");
        Config::parse_all(Path::new("c.cfg"), &text)
    }

    fn fe(body: &str) -> Config {
        load(&format!(
            "frontend fe\n    bind 127.0.0.1:1\n    default_backend be\n{body}"
        ))
        .unwrap()
    }

    #[test]
    fn the_last_of_httplog_tcplog_and_log_format_wins() {
        let c = fe("    option httplog\n    log-format \"%ci\"");
        let o = &c.frontends[0].options;
        assert!(!o.httplog && o.log_format.as_ref().unwrap().source == "%ci");
        let c = fe("    log-format \"%ci\"\n    option tcplog");
        let o = &c.frontends[0].options;
        assert!(o.tcplog && o.log_format.is_none());
        // From defaults, until the frontend says otherwise.
        let c = load("    log-format \"%ci %b\"\nfrontend fe\n    bind 127.0.0.1:1\n    default_backend be\nfrontend g\n    bind 127.0.0.1:2\n    default_backend be\n    option httplog").unwrap();
        assert_eq!(c.frontends[0].options.log_format.as_ref().unwrap().line, 3);
        assert!(c.frontends[1].options.httplog && c.frontends[1].options.log_format.is_none());
    }

    #[test]
    fn captures_keep_their_order_and_the_last_cookie() {
        let c = fe("    capture request header Host len 20\n    capture response header X len 0\n    capture request header X-A len 5\n    capture cookie A len 9\n    capture cookie B len 3");
        let caps = &c.frontends[0].captures;
        let names: Vec<&str> = caps.request.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Host", "X-A"]);
        assert_eq!(caps.response[0].len, 0);
        assert_eq!(caps.cookie.as_ref().unwrap().name, "B");
        assert!(c
            .warnings
            .iter()
            .any(|w| w.line == 10 && w.message.contains("replaces")));
        let e = load("    capture request header X len 3").unwrap_err();
        assert!(
            e.errors[0]
                .message
                .contains("not allowed in 'defaults' section"),
            "{e:?}"
        );
        let e = load("frontend fe\n    bind 127.0.0.1:1\n    capture request header X len many")
            .unwrap_err();
        assert!(e.errors[0].message.contains("got 'many'"), "{e:?}");
    }
}
