//! The keywords of `defaults`, `frontend`, `backend` and `listen` sections. `option`,
//! `timeout`, `http-check`, `server` and `default-server` hand their words to their own
//! families, and `bind` its options to [`super::bind`]; `acl` or `http-request` would slot in
//! the same way, as rows here reading with their own tables.

use super::super::values::{balance_hdr, int};
use super::capture::{capture, log_format};
use super::errorfile::{read_errorfile, ErrorDirective};
use super::global::log_target;
use super::rules;
use super::sections::{Ctx, Settings};
use super::table::{find, names, suggest, with_sections, Args, Row, Sections, Status, Stmt};
use super::unique_id::{unique_id_format, unique_id_header};
use super::{Parser, Res};
use crate::config::{Balance, HashType, HttpReuse, Mode, Server};

/// How a proxy keyword is read: into the settings of the section being read (`ctx`).
type ProxyFn = fn(&mut Parser, &Stmt, &Ctx, &mut Settings) -> Res<()>;

const MAX: i64 = u32::MAX as i64;

const fn kw(name: &'static str, args: Args, sections: Sections, how: ProxyFn) -> Row<ProxyFn> {
    Row {
        name,
        args,
        sections,
        status: Status::Implemented,
        how,
    }
}

const fn unsupported(name: &'static str) -> Row<ProxyFn> {
    Row {
        status: Status::Unsupported,
        ..kw(name, Args::Any, Sections::PROXIES, nothing)
    }
}

use Sections as S;

/// The keywords of proxy sections: those lbtop reads, then those it refuses.
pub(super) static PROXY: &[Row<ProxyFn>] = &[
    kw("mode", Args::One("http or tcp"), S::PROXIES, mode),
    kw(
        "http-reuse",
        Args::One("never, safe, aggressive or always"),
        S::BE,
        http_reuse,
    ),
    kw("log", Args::Any, S::PROXIES, log),
    kw(
        "log-tag",
        Args::One("a tag for use in syslog"),
        S::PROXIES,
        log_tag,
    ),
    kw("option", Args::Any, S::PROXIES, option),
    kw("no", Args::Any, S::PROXIES, no),
    // HAProxy's `default option x` puts back the built-in value.
    unsupported("default"),
    kw("http-check", Args::Any, S::BE, http_check),
    kw("tcp-check", Args::Any, S::BE, tcp_check),
    kw("retries", Args::One("an integer"), S::BE, retries),
    kw("timeout", Args::Any, S::PROXIES, timeout),
    kw("maxconn", Args::One("an integer"), FE_MAXCONN, maxconn),
    kw("balance", Args::Any, S::BE, balance),
    kw("hash-type", Args::Any, S::BE, hash_type),
    kw(
        "load-server-state-from-file",
        Args::One("'global', 'local' or 'none'"),
        S::BE.says_elsewhere("'load-server-state-from-file' ignored: it has no servers"),
        super::server_state::load_server_state,
    ),
    kw(
        "server-state-file-name",
        Args::Count(0, 1),
        S::BACKENDS,
        super::server_state::server_state_file_name,
    ),
    kw(
        "default_backend",
        Args::One("a backend name"),
        S::FE,
        default_backend,
    ),
    kw(
        "default-server",
        Args::Any,
        S::BE.refused_elsewhere(),
        default_server,
    ),
    kw("bind", Args::Any, S::FRONTENDS, bind),
    kw("stats", Args::Any, S::PROXIES, stats),
    kw("server", Args::Any, S::BACKENDS.refused_elsewhere(), server),
    kw(
        "server-template",
        Args::Any,
        S::BACKENDS.refused_elsewhere(),
        server_template,
    ),
    Row {
        status: Status::Ignored("lbtop's stats page does not show proxy descriptions"),
        ..kw("description", Args::Any, S::PROXIES, nothing)
    },
    kw("contimeout", Args::Any, S::PROXIES, old_timeout),
    kw("clitimeout", Args::Any, S::PROXIES, old_timeout),
    kw("srvtimeout", Args::Any, S::PROXIES, old_timeout),
    kw("acl", Args::Any, S::NAMED, rules::acl),
    kw("use_backend", Args::Any, S::FRONTENDS, rules::use_backend),
    kw("use-server", Args::Any, S::BACKENDS, rules::use_server),
    kw("http-request", Args::Any, S::NAMED, rules::http_request),
    kw("redirect", Args::Any, S::NAMED, rules::redirect_kw),
    kw("http-response", Args::Any, S::NAMED, rules::http_response),
    unsupported("http-after-response"),
    unsupported("http-error"),
    kw(
        "tcp-request",
        Args::Any,
        S::NAMED,
        super::tcp_request::tcp_request,
    ),
    unsupported("tcp-response"),
    // A frontend's table (for tracking counters) is refused by `stick_table` itself.
    kw("stick-table", Args::Any, S::PROXIES, stick_table),
    kw("stick", Args::Any, S::BACKENDS, stick),
    kw("cookie", Args::Any, S::BE, cookie),
    unsupported("hash-balance-factor"),
    Row {
        status: Status::Ignored(
            "it sets the load at which 'minconn' grows to 'maxconn', and lbtop has no \
             'minconn' (it is refused): without one, HAProxy does nothing with it either",
        ),
        ..kw(
            "fullconn",
            Args::One("an integer"),
            S::BE.hint_elsewhere(". Maybe you want 'maxconn' instead ?"),
            nothing,
        )
    },
    kw("errorfile", Args::Count(2, 2), S::PROXIES, errorfile),
    kw("errorfiles", Args::Any, S::PROXIES, errorfiles),
    unsupported("errorloc"),
    unsupported("errorloc302"),
    unsupported("errorloc303"),
    kw(
        "monitor-uri",
        Args::One("an URI"),
        S::FE,
        super::monitor::monitor_uri,
    ),
    kw("monitor", Args::Any, S::FRONTENDS, super::monitor::monitor),
    kw(
        "monitor-net",
        Args::Any,
        S::PROXIES,
        super::monitor::monitor_net,
    ),
    kw("capture", Args::Any, S::FRONTENDS, capture),
    kw(
        "compression",
        Args::Any,
        S::PROXIES,
        super::compression::compression,
    ),
    unsupported("id"),
    unsupported("disabled"),
    unsupported("enabled"),
    unsupported("grace"),
    kw("unique-id-format", Args::Any, S::FE, unique_id_format),
    kw("unique-id-header", Args::Any, S::FE, unique_id_header),
    kw(
        "log-format",
        Args::Any,
        S::FE.says_elsewhere("'log-format' directive is ignored in backends"),
        log_format,
    ),
    unsupported("log-format-sd"),
    unsupported("error-log-format"),
    unsupported("http-send-name-header"),
    unsupported("source"),
    unsupported("dispatch"),
    unsupported("persist"),
    unsupported("ignore-persist"),
    unsupported("force-persist"),
    unsupported("email-alert"),
    unsupported("external-check"),
    unsupported("filter"),
    unsupported("rate-limit"),
    unsupported("declare"),
    unsupported("backlog"),
    unsupported("max-keep-alive-queue"),
];

/// A backend's `maxconn` is HAProxy's `fullconn` business; lbtop points at servers instead.
const FE_MAXCONN: Sections =
    S::FE.hint_elsewhere(" (lbtop limits servers with 'server ... maxconn')");

impl Parser<'_> {
    /// A statement of a `defaults`, `frontend`, `backend` or `listen` section, applied to the
    /// section's settings `s`.
    pub(super) fn proxy_statement(
        &mut self,
        no: usize,
        w: &[String],
        ctx: &Ctx,
        s: &mut Settings,
    ) -> Res<()> {
        let kw = w[0].as_str();
        let st = Stmt {
            no,
            kw,
            args: &w[1..],
        };
        let Some(row) = find(PROXY, kw) else {
            return Err(self.err(
                no,
                format!(
                    "unknown keyword '{kw}' in '{}' section{}",
                    ctx.kind.as_str(),
                    suggest(kw, &with_sections(names(PROXY)))
                ),
            ));
        };
        if row.status == Status::Unsupported {
            let m = match kw {
                "default" => "'default option ...' is not supported by lbtop (leave the line \
                              out to keep the defaults' value, or use 'option' / 'no option')"
                    .to_string(),
                _ => format!("'{kw}' is not supported by lbtop"),
            };
            return Err(self.err_in(no, ctx, m));
        }
        if !self.applies(no, ctx, row.sections, kw)? {
            return Ok(());
        }
        let what = format!("'{kw}'");
        row.args
            .check(st.args, &what)
            .map_err(|m| self.err_in(no, ctx, m))?;
        (row.how)(self, &st, ctx, s)?;
        if let Some(w) = row.status.warning(&what) {
            self.warn(no, w);
        }
        Ok(())
    }
}

/// Reads nothing: the row's status says what happens.
fn nothing(_: &mut Parser, _: &Stmt, _: &Ctx, _: &mut Settings) -> Res<()> {
    Ok(())
}

fn mode(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    s.mode = Some(match st.arg() {
        "http" => Mode::Http,
        "tcp" => Mode::Tcp,
        m => {
            return Err(p.err_in(
                st.no,
                ctx,
                format!(
                    "unknown proxy mode '{m}' (lbtop supports 'http' and 'tcp'){}",
                    suggest(m, &["http", "tcp"])
                ),
            ))
        }
    });
    Ok(())
}

fn http_reuse(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let word = st.arg();
    s.options.http_reuse = HttpReuse::from_name(word).ok_or_else(|| {
        p.err_in(
            st.no,
            ctx,
            format!("'http-reuse' expects never, safe, aggressive or always, got '{word}'"),
        )
    })?;
    Ok(())
}

/// `log global`, or a target of the proxy's own.
fn log(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    if st.arg() == "global" {
        if let Some(extra) = st.args.get(1) {
            return Err(p.err_in(
                st.no,
                ctx,
                format!("'log global' takes no argument, got '{extra}'"),
            ));
        }
        s.log_global = true;
    } else {
        s.log
            .push(log_target(st.args).map_err(|m| p.err_in(st.no, ctx, m))?);
    }
    Ok(())
}

/// `log-tag <tag>`: the program name this proxy's syslog headers carry.
fn log_tag(_: &mut Parser, st: &Stmt, _: &Ctx, s: &mut Settings) -> Res<()> {
    s.log_tag = Some(st.arg().to_string());
    Ok(())
}

fn option(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    p.option(st.no, st.args, s, ctx, false)
}

/// HAProxy's `no` modifier: lbtop has `no option ...` and `no log`.
fn no(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    match st.arg() {
        "option" => p.option(st.no, &st.args[1..], s, ctx, true),
        "log" if st.args.len() == 1 => {
            s.log_global = false;
            s.log.clear();
            Ok(())
        }
        "log" => Err(p.err_in(st.no, ctx, "'no log' does not expect arguments")),
        target => Err(p.err_in(
            st.no,
            ctx,
            format!("'no {target}': lbtop supports 'no' only as 'no option ...' and 'no log'"),
        )),
    }
}

fn stats(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    p.proxy_stats(st.no, st.args, ctx, s)
}

fn http_check(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    p.http_check(st.no, st.args, s, ctx)
}

fn tcp_check(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    p.tcp_check(st, s, ctx)
}

fn retries(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    s.options.retries = int(st.arg(), "'retries'", 0, MAX).map_err(|m| p.err_in(st.no, ctx, m))?;
    Ok(())
}

fn timeout(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    p.timeout(st.no, st.args, s, ctx)
}

/// `contimeout`, `clitimeout`, `srvtimeout`: read as the `timeout` they became.
fn old_timeout(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let (kw, name) = match st.kw {
        "contimeout" => ("contimeout", "connect"),
        "clitimeout" => ("clitimeout", "client"),
        _ => ("srvtimeout", "server"),
    };
    p.warn(
        st.no,
        format!(
            "'{kw}' is the pre-1.5 form of 'timeout {name}' (HAProxy 2.1 and later refuse it); \
             lbtop reads it as 'timeout {name}'"
        ),
    );
    let mut t = vec![name.to_string()];
    t.extend(st.args.iter().cloned());
    p.timeout(st.no, &t, s, ctx)
}

fn maxconn(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    s.maxconn = Some(int(st.arg(), "'maxconn'", 1, MAX).map_err(|m| p.err_in(st.no, ctx, m))?);
    Ok(())
}

fn balance(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    s.balance = Some(balance_words(st.args).map_err(|m| p.err_in(st.no, ctx, m))?);
    Ok(())
}

fn hash_type(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    s.hash_type = HashType::parse(st.args).map_err(|m| p.err_in(st.no, ctx, m))?;
    Ok(())
}

fn default_backend(_: &mut Parser, st: &Stmt, _: &Ctx, s: &mut Settings) -> Res<()> {
    s.default_backend = Some((st.arg().to_string(), st.no));
    Ok(())
}

fn default_server(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let mut template = s.default_server.clone();
    p.default_server(st.no, st.args, ctx, &mut template)?;
    s.default_server = template;
    Ok(())
}

/// `bind <addr>[,<addr>...] [<option>]...`: any number per frontend, as in HAProxy.
fn bind(p: &mut Parser, st: &Stmt, ctx: &Ctx, _: &mut Settings) -> Res<()> {
    let binds = p.bind(st.no, st.args, ctx)?;
    let Some(i) = ctx.proxy else {
        return Ok(()); // `Sections::FRONTENDS` keeps `bind` out of `defaults`.
    };
    for b in &binds {
        let used = p.proxies[i]
            .binds
            .iter()
            .find(|o| b.id.is_some() && o.id == b.id);
        if let (Some(id), Some(other)) = (b.id, used) {
            return Err(p.err_in(
                st.no,
                ctx,
                format!(
                    "'bind': id {id} is already used by the bind at line {}",
                    other.line
                ),
            ));
        }
    }
    p.proxies[i].binds.extend(binds);
    Ok(())
}

/// `server <name> <ip:port> [<parameter>]...`.
fn server(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let server = p.server(st.no, st.args, ctx, &s.default_server)?;
    add_server(p, st, ctx, server)
}

fn server_template(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    for server in p.server_template(st.no, st.args, ctx, &s.default_server)? {
        add_server(p, st, ctx, server)?;
    }
    Ok(())
}

fn add_server(p: &mut Parser, st: &Stmt, ctx: &Ctx, server: Server) -> Res<()> {
    let Some(i) = ctx.proxy else {
        return Ok(()); // `Sections::BACKENDS` keeps servers out of `defaults`.
    };
    if let Some(first) = p.proxies[i].servers.iter().find(|x| x.name == server.name) {
        return Err(p.err_in(
            st.no,
            ctx,
            format!(
                "another server named '{}' was already defined at line {}, please use \
                 distinct names",
                server.name, first.line
            ),
        ));
    }
    p.proxies[i].servers.push(server);
    Ok(())
}

/// `balance <algorithm> [<arguments>]`.
fn balance_words(args: &[String]) -> Result<(Balance, Option<String>), String> {
    let supported = "'balance' only supports 'roundrobin', 'static-rr', 'leastconn', 'first', \
                     'source', 'uri', 'random' and 'hdr(<name>)'";
    let Some(algo) = args.first().map(String::as_str) else {
        return Err(format!("{supported}; it needs one"));
    };
    let plain = [
        Balance::RoundRobin,
        Balance::StaticRr,
        Balance::LeastConn,
        Balance::First,
        Balance::Source,
        Balance::Uri,
        Balance::Random,
    ];
    let result = if let Some(b) = plain.iter().find(|b| b.as_str() == algo) {
        (*b, None)
    } else if algo == "random(2)" {
        (Balance::Random, None)
    } else if let Some(arg) = algo.strip_prefix("hdr(") {
        balance_hdr(arg).map_err(|m| format!("'balance {algo}': {m}"))?
    } else if ["url_param", "hash"].contains(&algo)
        || algo.starts_with("rdp-cookie")
        || algo.starts_with("random(")
    {
        return Err(format!("'balance {algo}' is not supported by lbtop"));
    } else {
        let names: Vec<&str> = plain.iter().map(|b| b.as_str()).chain(["hdr"]).collect();
        return Err(format!(
            "{supported} (got '{algo}'){}",
            suggest(algo, &names)
        ));
    };
    if let Some(extra) = args.get(1) {
        return Err(format!(
            "'balance {algo} {extra}': options of the algorithm are not supported by lbtop"
        ));
    }
    Ok(result)
}

/// `cookie <name> <mode> [<option>]...` (docs/haproxy-semantics.md §24).
fn cookie(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let (cookie, warnings) =
        crate::config::parse_cookie(st.args, st.no).map_err(|m| p.err_in(st.no, ctx, m))?;
    for w in warnings {
        p.warn(st.no, w);
    }
    s.cookie = Some(cookie);
    Ok(())
}

/// `stick-table type <type> size <n> [expire <t>] [nopurge]` (docs/haproxy-semantics.md §24).
fn stick_table(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    use super::sections::Kind;
    let refused = match ctx.kind {
        Kind::Defaults => Some("'stick-table' is not supported in 'defaults' section."),
        Kind::Frontend => Some(
            "'stick-table' in a frontend (a table for tracking counters) is not supported by \
             lbtop: it keeps no counters",
        ),
        _ => None,
    };
    if let Some(m) = refused {
        return Err(p.err_in(st.no, ctx, m));
    }
    if let Some(first) = &s.stick_table {
        let (name, line) = (ctx.who.split('\'').nth(1).unwrap_or(""), first.line);
        return Err(p.err(
            st.no,
            format!(
                "stick-table name '{name}' conflicts with table declared in {} at line {line}.",
                ctx.who
            ),
        ));
    }
    let table = crate::config::parse_table(st.args, st.no).map_err(|m| p.err_in(st.no, ctx, m))?;
    s.stick_table = Some(table);
    Ok(())
}

/// `stick on|match|store-request <fetch> [if|unless <condition>]`.
fn stick(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    if s.stick_rules.len() == 64 {
        return Err(p.err_in(
            st.no,
            ctx,
            "lbtop takes at most 64 'stick' rules per backend",
        ));
    }
    let (rule, when) = super::rules::split_cond(st.args);
    let mut rule = crate::config::parse_rule(rule, st.no).map_err(|m| p.err_in(st.no, ctx, m))?;
    rule.cond = super::rules::cond(&|n| p.env.get(n), s, st.no, when).map_err(|m| {
        p.err_in(
            st.no,
            ctx,
            format!("'stick': error detected while parsing sticking condition : {m}"),
        )
    })?;
    s.stick_rules.push(rule);
    Ok(())
}

/// `errorfile <code> <file>`: the file is read now, as HAProxy reads it at start.
fn errorfile(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let file = read_errorfile(&st.args[0], &st.args[1]).map_err(|m| p.err_in(st.no, ctx, m))?;
    s.errors.push(ErrorDirective::File(file));
    Ok(())
}

/// `errorfiles <name> [<code> ...]`: an `http-errors` section's files (resolved at the end).
fn errorfiles(p: &mut Parser, st: &Stmt, ctx: &Ctx, s: &mut Settings) -> Res<()> {
    let d = super::errorfile::errorfiles(st.no, st.args).map_err(|m| p.err_in(st.no, ctx, m))?;
    s.errors.push(d);
    Ok(())
}
