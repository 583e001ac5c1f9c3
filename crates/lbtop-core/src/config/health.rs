//! What a health check sends and what its response must show: `option httpchk`,
//! `http-check send` and `http-check expect`; `tcp-check` rules and protocol checks are in
//! tcp_check.rs.

/// What a health check sends and expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    /// A TCP connect (HAProxy's default when no `option httpchk`).
    Tcp,
    Http(HttpCheck),
    /// `option tcp-check` with its `tcp-check` rules (none: a plain connect).
    Rules(Vec<super::TcpRule>),
    /// `option redis-check`, `option smtpchk`.
    Proto(super::ProtoCheck),
}

/// `option httpchk <method> <uri> <version>` plus headers; with no `expect` rule, 200-399
/// passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    pub method: String,
    pub path: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    /// `http-check send ... body <text>`: sent after the head, with its `content-length`.
    pub body: String,
    /// `http-check expect` rules, tried in order on the one response; all must pass.
    pub expect: Vec<Expect>,
}

/// One `http-check expect [!] <match> <pattern> [comment <text>]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// `!`: the rule passes when the match fails.
    pub negate: bool,
    pub what: ExpectMatch,
    /// Its own `comment`, or that of the `http-check comment` rule before it.
    pub comment: Option<String>,
}

/// What an `expect` rule looks at. Patterns are kept as written (checked at load).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectMatch {
    /// `status 200,300-399`: inclusive ranges of codes.
    Status(String),
    /// `rstatus <regex>` on the three digits.
    Rstatus(String),
    /// `string <text>` found in the body.
    String(String),
    /// `rstring <regex>` on the body.
    Rstring(String),
}

impl ExpectMatch {
    /// The keyword and its pattern, as written in a config.
    pub fn words(&self) -> (&'static str, &str) {
        match self {
            ExpectMatch::Status(p) => ("status", p),
            ExpectMatch::Rstatus(p) => ("rstatus", p),
            ExpectMatch::String(p) => ("string", p),
            ExpectMatch::Rstring(p) => ("rstring", p),
        }
    }

    /// Whether it reads the body (else the status line is enough).
    pub fn needs_body(&self) -> bool {
        matches!(self, ExpectMatch::String(_) | ExpectMatch::Rstring(_))
    }
}

/// The ranges of a `status` pattern (`200`, `200-299`, `200,302`), or why it is not one.
pub fn status_ranges(p: &str) -> Result<Vec<(u16, u16)>, String> {
    p.split(',')
        .map(|part| {
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            let code = |w: &str| {
                w.parse::<u16>()
                    .map_err(|_| format!("'{p}' is not a list of status codes or ranges"))
            };
            Ok((code(lo)?, code(hi)?))
        })
        .collect()
}

impl Default for HttpCheck {
    fn default() -> Self {
        // Bare `option httpchk` sends `OPTIONS / HTTP/1.0`.
        HttpCheck {
            method: "OPTIONS".into(),
            path: "/".into(),
            version: "HTTP/1.0".into(),
            headers: Vec::new(),
            body: String::new(),
            expect: Vec::new(),
        }
    }
}
