//! `log-format <fmt>`: HAProxy's custom traffic line, tokenized and checked once at load into a
//! list of items, so writing a line only walks the list (docs/haproxy-semantics.md §25).

use super::log_sample::LogSample;

/// A frontend's `capture` lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Captures {
    /// `capture request header <name> len <n>`, in the file's order.
    pub request: Vec<Capture>,
    /// `capture response header <name> len <n>`.
    pub response: Vec<Capture>,
    /// `capture cookie <name> len <n>` (the last one written).
    pub cookie: Option<Capture>,
}

/// One capture: a header name (or the start of a cookie name) and how many bytes to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub name: String,
    pub len: usize,
}

impl Captures {
    pub fn is_empty(&self) -> bool {
        self.request.is_empty() && self.response.is_empty() && self.cookie.is_none()
    }
}

/// A compiled `log-format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFormat {
    /// As written (after the config tokenizer), for `lbtop export`.
    pub source: String,
    /// The line it was written on, for the mode check at the end of loading.
    pub line: usize,
    pub items: Vec<Item>,
}

/// One piece of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Text(String),
    /// One or more spaces: a single separator, written only after something non-empty.
    Space,
    Var(Var, Flags),
    /// `%[fetch,conv...]`.
    Sample(Box<LogSample>, Flags),
}

/// `%{+Q}`, `%{+X}`, `%{+E}`: quote strings, hexadecimal addresses and ports, backslash-escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    pub quote: bool,
    pub hex: bool,
    pub escape: bool,
}

/// The `%` variables lbtop fills (HAProxy 2.6's manual, section 8.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    ClientIp,
    ClientPort,
    FrontendIp,
    FrontendPort,
    ServerIp,
    ServerPort,
    /// `%bi`/`%bp`: the source of the connection to the server.
    BackendSourceIp,
    BackendSourcePort,
    AcceptDate,
    RequestDate,
    RequestDateGmt,
    RequestDateLocal,
    AcceptDateGmt,
    AcceptDateLocal,
    AcceptUnix,
    AcceptMillis,
    Handshake,
    Idle,
    TimeRequest,
    TimeQuest,
    TimeWait,
    TimeConnect,
    TimeResponse,
    TimeActive,
    TimeTotal,
    TimeData,
    Term,
    TermCookie,
    Status,
    BytesOut,
    BytesIn,
    Backend,
    Frontend,
    FrontendTransport,
    Server,
    Request,
    Method,
    Path,
    Uri,
    PathOnly,
    Query,
    Version,
    CookieReq,
    CookieResp,
    CapReq,
    CapReqList,
    CapResp,
    CapRespList,
    ProcessConns,
    FrontendConns,
    BackendConns,
    ServerConns,
    Retries,
    ServerQueue,
    BackendQueue,
    UniqueId,
    Pid,
    Hostname,
    RequestCounter,
    LogCounter,
    /// `%o`: sets the flags of the variables after it.
    Defaults,
    SslCipher,
    SslVersion,
}

/// The names, whether HAProxy reserves the variable for HTTP mode, and the variable.
const VARS: &[(&str, bool, Var)] = &[
    ("ci", false, Var::ClientIp),
    ("cp", false, Var::ClientPort),
    ("fi", false, Var::FrontendIp),
    ("fp", false, Var::FrontendPort),
    ("bi", false, Var::BackendSourceIp),
    ("bp", false, Var::BackendSourcePort),
    ("si", false, Var::ServerIp),
    ("sp", false, Var::ServerPort),
    ("t", false, Var::AcceptDate),
    ("tr", true, Var::RequestDate),
    ("trg", true, Var::RequestDateGmt),
    ("trl", true, Var::RequestDateLocal),
    ("T", false, Var::AcceptDateGmt),
    ("Tl", false, Var::AcceptDateLocal),
    ("Ts", false, Var::AcceptUnix),
    ("ms", false, Var::AcceptMillis),
    ("Th", false, Var::Handshake),
    ("Ti", true, Var::Idle),
    ("TR", true, Var::TimeRequest),
    ("Tq", true, Var::TimeQuest),
    ("Tw", false, Var::TimeWait),
    ("Tc", false, Var::TimeConnect),
    ("Tr", true, Var::TimeResponse),
    ("Ta", true, Var::TimeActive),
    ("Tt", false, Var::TimeTotal),
    ("Td", false, Var::TimeData),
    ("ts", false, Var::Term),
    ("tsc", false, Var::TermCookie),
    ("ST", false, Var::Status),
    ("B", false, Var::BytesOut),
    ("U", false, Var::BytesIn),
    ("b", false, Var::Backend),
    ("f", false, Var::Frontend),
    ("ft", false, Var::FrontendTransport),
    ("s", false, Var::Server),
    ("r", true, Var::Request),
    ("HM", true, Var::Method),
    ("HP", true, Var::Path),
    ("HU", true, Var::Uri),
    ("HPO", true, Var::PathOnly),
    ("HQ", true, Var::Query),
    ("HV", true, Var::Version),
    ("CC", true, Var::CookieReq),
    ("CS", true, Var::CookieResp),
    ("hr", false, Var::CapReq),
    ("hrl", false, Var::CapReqList),
    ("hs", false, Var::CapResp),
    ("hsl", false, Var::CapRespList),
    ("ac", false, Var::ProcessConns),
    ("fc", false, Var::FrontendConns),
    ("bc", false, Var::BackendConns),
    ("sc", false, Var::ServerConns),
    ("rc", false, Var::Retries),
    ("sq", false, Var::ServerQueue),
    ("bq", false, Var::BackendQueue),
    ("ID", false, Var::UniqueId),
    ("pid", false, Var::Pid),
    ("H", false, Var::Hostname),
    ("rt", false, Var::RequestCounter),
    ("lc", false, Var::LogCounter),
    ("o", false, Var::Defaults),
    ("sslc", false, Var::SslCipher),
    ("sslv", false, Var::SslVersion),
];

impl Var {
    fn name(self) -> &'static str {
        VARS.iter().find(|v| v.2 == self).map_or("?", |v| v.0)
    }

    /// Known when the request head is in, before any server: the connection's addresses,
    /// the accept date, the counters and names of the process and frontend.
    fn known_at_head(self) -> bool {
        use Var::*;
        matches!(
            self,
            ClientIp
                | ClientPort
                | FrontendIp
                | FrontendPort
                | AcceptDate
                | AcceptDateGmt
                | AcceptDateLocal
                | AcceptUnix
                | AcceptMillis
                | Frontend
                | FrontendTransport
                | Pid
                | Hostname
                | RequestCounter
                | SslCipher
                | SslVersion
        )
    }

    /// HAProxy refuses it in a TCP proxy ("reserved for HTTP mode").
    pub fn http_only(self) -> bool {
        VARS.iter().any(|v| v.2 == self && v.1)
    }
}

/// HAProxy 2.6's `option httplog` and `option tcplog` formats, as log-formats.
pub const HTTPLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc \
                           %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
/// `option httpslog`: httplog, then the connection's errors and TLS details.
pub const HTTPSLOG: &str = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc \
                            %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r \
                            %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/\
                            %[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";
pub const TCPLOG: &str = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

impl LineFormat {
    /// Tokenizes `source` as HAProxy does; errors are worded as HAProxy's, after
    /// "failed to parse log-format : ".
    pub fn compile(source: &str, line: usize) -> Result<LineFormat, String> {
        LineFormat::compile_in(source, line, &|n| std::env::var(n).ok())
    }

    /// As [`LineFormat::compile`], with `env()` read from `env` (the environment as an
    /// haproxy.cfg's `setenv` lines left it).
    pub fn compile_in(
        source: &str,
        line: usize,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<LineFormat, String> {
        let items = tokenize(source, env)?;
        Ok(LineFormat {
            source: source.to_string(),
            line,
            items,
        })
    }

    /// The first variable not known yet when the request head is in, for `unique-id-format`.
    pub fn late_var(&self) -> Option<&str> {
        self.items.iter().find_map(|i| match i {
            Item::Var(v, _) if !v.known_at_head() => Some(v.name()),
            Item::Sample(s, _) if !s.known_at_head() => Some(s.text.as_str()),
            _ => None,
        })
    }

    /// Whether a line needs the server connection's source (`%bi`, `%bp`): only then is it
    /// read (one `getsockname` per request).
    pub fn wants_backend_source(&self) -> bool {
        self.items.iter().any(|i| {
            matches!(
                i,
                Item::Var(Var::BackendSourceIp | Var::BackendSourcePort, _)
            )
        })
    }

    /// The first variable HAProxy would refuse in a TCP proxy.
    pub fn http_var(&self) -> Option<&'static str> {
        self.items.iter().find_map(|i| match i {
            Item::Var(v, _) if v.http_only() => Some(v.name()),
            _ => None,
        })
    }
}

fn tokenize(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut text = String::new();
    let mut defaults = Flags::default();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            ' ' => {
                flush(&mut text, &mut items);
                if items.last() != Some(&Item::Space) {
                    items.push(Item::Space);
                }
            }
            '%' if rest.starts_with('%') => {
                text.push('%');
                rest = &rest[1..];
            }
            '%' => {
                flush(&mut text, &mut items);
                let (item, after) = variable(rest, defaults, env)?;
                rest = after;
                match item {
                    Item::Var(Var::Defaults, flags) => defaults = flags,
                    item => items.push(item),
                }
            }
            c => text.push(c),
        }
    }
    flush(&mut text, &mut items);
    Ok(items)
}

fn flush(text: &mut String, items: &mut Vec<Item>) {
    if !text.is_empty() {
        items.push(Item::Text(std::mem::take(text)));
    }
}

/// After a `%`: `{flags}`, then a name or a `[sample]`; the item and what follows it.
fn variable<'s>(
    s: &'s str,
    defaults: Flags,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Item, &'s str), String> {
    let (flags, rest) = match s.strip_prefix('{') {
        Some(inner) => {
            let Some(end) = inner.find('}') else {
                return Err(format!("truncated line after '{inner}'"));
            };
            (flags_of(&inner[..end], defaults), &inner[end + 1..])
        }
        None => (defaults, s),
    };
    if let Some(expr) = rest.strip_prefix('[') {
        let end = expr.find(']');
        let inner = &expr[..end.unwrap_or(expr.len())];
        return match end {
            _ if inner.is_empty() => {
                Err("failed to parse sample expression <> : missing fetch method".into())
            }
            None => Err(format!("missing ']' after '{inner}'")),
            Some(end) => {
                let sample = LogSample::parse(inner, expr, env)?;
                Ok((Item::Sample(Box::new(sample), flags), &expr[end + 1..]))
            }
        };
    }
    let len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = &rest[..len];
    if name.is_empty() {
        return Err(match s.strip_prefix('{') {
            Some(_)
                if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) =>
            {
                format!(
                    "parse argument modifier without variable name near '%{}'",
                    &s[..s.len() - rest.len()]
                )
            }
            _ if rest.is_empty() => "truncated line after '%'".into(),
            _ => "no such format variable ''. If you wanted to emit the '%' character \
                  verbatim, you need to use '%%'"
                .into(),
        });
    }
    match VARS.iter().find(|v| v.0 == name) {
        Some(v) => Ok((Item::Var(v.2, flags), &rest[len..])),
        None => Err(format!(
            "no such format variable '{name}'. If you wanted to emit the '%' character \
             verbatim, you need to use '%%'"
        )),
    }
}

/// `+Q,-X,+E`: HAProxy takes each comma-separated `+NAME`/`-NAME` and skips unknown names.
fn flags_of(spec: &str, mut flags: Flags) -> Flags {
    for part in spec.split(',') {
        let (on, name) = match part.as_bytes().first() {
            Some(b'+') => (true, &part[1..]),
            Some(b'-') => (false, &part[1..]),
            _ => continue,
        };
        match name {
            "Q" => flags.quote = on,
            "X" => flags.hex = on,
            "E" => flags.escape = on,
            _ => {}
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        LineFormat::compile(s, 1).unwrap_err()
    }

    #[test]
    fn tokenizes_as_haproxy() {
        let f = LineFormat::compile("  a  b%%c %{+Q}ci:%cp%{+Q,-Q,+X}ST", 1).unwrap();
        let q = Flags {
            quote: true,
            ..Flags::default()
        };
        let x = Flags {
            hex: true,
            ..Flags::default()
        };
        assert_eq!(
            f.items,
            vec![
                Item::Space,
                Item::Text("a".into()),
                Item::Space,
                Item::Text("b%c".into()),
                Item::Space,
                Item::Var(Var::ClientIp, q),
                Item::Text(":".into()),
                Item::Var(Var::ClientPort, Flags::default()),
                Item::Var(Var::Status, x),
            ]
        );
        // `%o` sets the flags of what follows; unknown flags are skipped.
        let f = LineFormat::compile("%{+Q}o%b %{+Z}f", 1).unwrap();
        assert_eq!(f.items[0], Item::Var(Var::Backend, q));
        assert_eq!(f.items[2], Item::Var(Var::Frontend, q));
        assert!(LineFormat::compile(HTTPLOG, 1).is_ok());
        assert!(LineFormat::compile(TCPLOG, 1).unwrap().http_var().is_none());
        assert_eq!(
            LineFormat::compile(HTTPLOG, 1).unwrap().http_var(),
            Some("tr")
        );
    }

    #[test]
    fn hostile_formats_are_errors_in_haproxy_words() {
        assert_eq!(err("abc%"), "truncated line after '%'");
        assert_eq!(err("%{+Q"), "truncated line after '+Q'");
        assert_eq!(err("%{"), "truncated line after ''");
        assert_eq!(
            err("%{+Q}"),
            "parse argument modifier without variable name near '%{+Q}'"
        );
        for empty in ["%[", "%[]"] {
            assert_eq!(
                err(empty),
                "failed to parse sample expression <> : missing fetch method"
            );
        }
        assert_eq!(err("x%[src"), "missing ']' after 'src'");
        assert!(err("%[url]").contains("needs 'HTTP request headers'"));
        assert!(matches!(
            LineFormat::compile("%{+Q}[ssl_fc_sni,lower]", 1)
                .unwrap()
                .items[0],
            Item::Sample(_, Flags { quote: true, .. })
        ));
        assert!(err("%zz").starts_with("no such format variable 'zz'."));
        assert!(err("%ci1").starts_with("no such format variable 'ci1'."));
        assert!(LineFormat::compile("%bi:%bp", 1)
            .unwrap()
            .wants_backend_source());
        assert!(!LineFormat::compile(HTTPLOG, 1)
            .unwrap()
            .wants_backend_source());
        assert!(err("%-").starts_with("no such format variable ''"));
        for s in ["%", "%{}", "%{,,,}x", "%{+Q}}", "%é", "é%", "%{é}", "%[é"] {
            let _ = LineFormat::compile(s, 1);
        }
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = format!("{HTTPLOG} %{{+Q,-X}}o %[src] %%{{+E}}hrl %H");
        let alphabet = "%{}[]+-,QXEo \\\"é".as_bytes();
        crate::config::testkit::for_mutations(base.as_bytes(), 0x10f0, alphabet, 5000, |m| {
            let text = String::from_utf8_lossy(m);
            if let Ok(f) = LineFormat::compile(&text, 1) {
                let _ = f.http_var();
            }
        });
    }
}
