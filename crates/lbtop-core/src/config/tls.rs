//! TLS settings of a `bind ... ssl` line, as the model keeps them: the certificate files
//! (with `crt-base` already applied) and the protocol options, folded with the global
//! `ssl-default-bind-*` lines so `lbtop export` writes each bind whole
//! (docs/haproxy-semantics.md §22).

/// The TLS versions rustls speaks. HAProxy's SSLv3, TLSv1.0 and TLSv1.1 have no rustls
/// counterpart: the parser warns and leaves them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl TlsVersion {
    /// HAProxy's name for it (`ssl-min-ver TLSv1.2`).
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

/// `verify` on a bind: whether clients must show a certificate signed by `ca-file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    #[default]
    None,
    Optional,
    Required,
}

impl Verify {
    pub fn name(self) -> &'static str {
        match self {
            Verify::None => "none",
            Verify::Optional => "optional",
            Verify::Required => "required",
        }
    }
}

/// A bind's TLS: present only with `ssl` on the line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindTls {
    /// Each `crt`: a PEM file (certificate, chain, key; or the key in `<file>.key`) or a
    /// directory of them, in the line's order. The first certificate loaded is the default
    /// one, served without SNI or for a name no certificate has.
    pub crts: Vec<String>,
    /// `alpn`: the protocols offered, in order (`h2` is dropped in HTTP mode: lbtop speaks
    /// HTTP/1.1 only).
    pub alpn: Option<Vec<String>>,
    /// The lowest and highest versions spoken (`ssl-min-ver`, `ssl-max-ver`, `no-tlsv1x`,
    /// `force-tlsv1x`); `None` leaves rustls's bound (TLSv1.2, TLSv1.3).
    pub min: Option<TlsVersion>,
    pub max: Option<TlsVersion>,
    /// `ciphers` (TLSv1.2) and `ciphersuites` (TLSv1.3), OpenSSL's names as written.
    pub ciphers: Option<String>,
    pub ciphersuites: Option<String>,
    /// `strict-sni`: a client whose SNI no certificate names is refused.
    pub strict_sni: bool,
    /// `no-tls-tickets`: no session tickets (HAProxy and lbtop send them by default).
    pub no_tickets: bool,
    /// `prefer-client-ciphers`: the client's order wins; by default the server's does.
    pub prefer_client_ciphers: bool,
    pub verify: Verify,
    /// `ca-file`: the CAs client certificates are checked against.
    pub ca_file: Option<String>,
}

impl BindTls {
    /// The bind options that write these settings back, `ssl` first.
    pub fn words(&self) -> Vec<String> {
        let mut w = vec!["ssl".to_string()];
        for c in &self.crts {
            w.push(format!("crt {}", super::export::quote_word(c)));
        }
        if let Some(a) = &self.alpn {
            w.push(format!("alpn {}", a.join(",")));
        }
        if let Some(v) = self.min {
            w.push(format!("ssl-min-ver {}", v.name()));
        }
        if let Some(v) = self.max {
            w.push(format!("ssl-max-ver {}", v.name()));
        }
        if let Some(c) = &self.ciphers {
            w.push(format!("ciphers {}", super::export::quote_word(c)));
        }
        if let Some(c) = &self.ciphersuites {
            w.push(format!("ciphersuites {}", super::export::quote_word(c)));
        }
        let flags = [
            (self.strict_sni, "strict-sni"),
            (self.no_tickets, "no-tls-tickets"),
            (self.prefer_client_ciphers, "prefer-client-ciphers"),
        ];
        w.extend(flags.iter().filter(|f| f.0).map(|f| f.1.to_string()));
        if self.verify != Verify::None {
            w.push(format!("verify {}", self.verify.name()));
        }
        if let Some(ca) = &self.ca_file {
            w.push(format!("ca-file {}", super::export::quote_word(ca)));
        }
        w
    }
}

/// How a `server ... ssl` line names the server to it (`sni`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSni {
    /// `sni str(<name>)`: always this name.
    Fixed(String),
    /// `sni req.hdr(host)`: the request's Host header (without its port).
    HostHeader,
}

impl ServerSni {
    /// The two forms lbtop reads; HAProxy takes any sample expression.
    pub fn parse(expr: &str) -> Option<ServerSni> {
        if let Some(name) = expr.strip_prefix("str(").and_then(|r| r.strip_suffix(')')) {
            return (!name.is_empty()).then(|| ServerSni::Fixed(name.to_string()));
        }
        matches!(
            expr,
            "req.hdr(host)" | "hdr(host)" | "req.hdr(Host)" | "hdr(Host)"
        )
        .then_some(ServerSni::HostHeader)
    }

    pub fn words(&self) -> String {
        match self {
            ServerSni::Fixed(n) => format!("sni str({n})"),
            ServerSni::HostHeader => "sni req.hdr(host)".into(),
        }
    }
}

/// TLS to a server: `ssl` and what goes with it (`verify`, `ca-file`, `sni`, `alpn`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerTls {
    /// `ssl`: traffic to the server is TLS.
    pub enabled: bool,
    /// `verify none` is `Some(false)`, `verify required` `Some(true)`; `None` is HAProxy's
    /// default, required (`ssl-server-verify`).
    pub verify: Option<bool>,
    pub ca_file: Option<String>,
    pub sni: Option<ServerSni>,
    pub alpn: Option<Vec<String>>,
}

impl ServerTls {
    /// Whether the server's certificate is checked against `ca-file`.
    pub fn verifies(&self) -> bool {
        self.verify != Some(false)
    }

    /// The server-line words that write these settings back (`verify`, `sni`, ... are kept
    /// without `ssl` too: `check-ssl` uses them).
    pub fn words(&self) -> Option<String> {
        let mut w = Vec::new();
        if self.enabled {
            w.push("ssl".to_string());
        }
        match self.verify {
            Some(true) => w.push("verify required".into()),
            Some(false) => w.push("verify none".into()),
            None => {}
        }
        if let Some(ca) = &self.ca_file {
            w.push(format!("ca-file {}", super::export::quote_word(ca)));
        }
        if let Some(s) = &self.sni {
            w.push(s.words());
        }
        if let Some(a) = &self.alpn {
            w.push(format!("alpn {}", a.join(",")));
        }
        (!w.is_empty()).then(|| w.join(" "))
    }
}
