//! The model of `option tcp-check` rule sets and of the protocol checks HAProxy builds from
//! rules of its own (`option redis-check`, `option smtpchk`): docs/haproxy-semantics.md §1.7.

/// One `tcp-check` rule, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpRule {
    /// `tcp-check connect [port <n>]`: (re)connect, to another port when given.
    Connect { port: Option<u16> },
    /// `tcp-check send <string>` (escapes already read by the tokenizer).
    Send(String),
    /// `tcp-check send-binary <hex>`.
    SendBinary(Vec<u8>),
    /// `tcp-check expect [!] string|rstring|binary <pattern>`.
    Expect(TcpExpect),
    /// `tcp-check comment <text>`: names the next rule in failure messages.
    Comment(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpExpect {
    /// `!`: the check fails when the pattern is found.
    pub inverse: bool,
    pub kind: ExpectKind,
    /// As written (hex digits for `binary`).
    pub pattern: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectKind {
    String,
    Rstring,
    Binary,
}

impl ExpectKind {
    pub const NAMES: [&'static str; 3] = ["string", "rstring", "binary"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn from_name(name: &str) -> Option<ExpectKind> {
        let all = [Self::String, Self::Rstring, Self::Binary];
        all.into_iter().find(|k| k.as_str() == name)
    }
}

/// A protocol check: HAProxy's own rule set for a server protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoCheck {
    /// `option redis-check`: `PING` as a RESP array, `+PONG` expected.
    Redis,
    /// `option smtpchk [HELO|EHLO <domain>]`: the greeting (`HELO localhost` by default).
    Smtp { hello: String },
    /// `option mysql-check [user <name> [post-41|pre-41]]`: the handshake, and with a user a
    /// login then `QUIT`.
    Mysql { user: Option<String>, pre41: bool },
    /// `option ldap-check`: an anonymous LDAPv3 bind.
    Ldap,
    /// `option pgsql-check user <name>`: a startup message, then an authentication request.
    Pgsql { user: String },
    /// `option ssl-hello-chk`: an SSLv3 client hello; a reply that starts as a TLS record
    /// (handshake or alert) passes at layer 6.
    SslHello,
}

impl ProtoCheck {
    /// The `option` line that sets it.
    pub fn option_words(&self) -> String {
        match self {
            ProtoCheck::Redis => "redis-check".into(),
            ProtoCheck::Smtp { hello } if hello == "HELO localhost" => "smtpchk".into(),
            ProtoCheck::Smtp { hello } => format!("smtpchk {hello}"),
            ProtoCheck::Mysql { user: None, .. } => "mysql-check".into(),
            ProtoCheck::Mysql {
                user: Some(u),
                pre41,
            } => format!(
                "mysql-check user {}{}",
                crate::config::export::quote_word(u),
                if *pre41 { " pre-41" } else { "" }
            ),
            ProtoCheck::Ldap => "ldap-check".into(),
            ProtoCheck::SslHello => "ssl-hello-chk".into(),
            ProtoCheck::Pgsql { user } => format!(
                "pgsql-check user {}",
                crate::config::export::quote_word(user)
            ),
        }
    }
}

/// Hex digits to bytes; `None` for an odd count or a non-hex digit.
pub fn parse_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// Bytes as upper-case hex, as HAProxy dumps a binary pattern.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
