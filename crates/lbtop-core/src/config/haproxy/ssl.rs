//! TLS on `bind` lines: one row per option of HAProxy's `bind_kws` that speaks TLS, the
//! global `ssl-default-bind-*` lines that every `ssl` bind starts from, and `crt-base` /
//! `ca-base` (docs/haproxy-semantics.md §22).

use super::sections::Ctx;
use super::table::{Args, Row, Sections, Status, Stmt};
use super::{Parser, Res};
use crate::config::{BindTls, Server, TlsVersion, Verify};
use crate::tls::{map_ciphers, map_ciphersuites};

/// What the global section says every `ssl` bind starts from.
#[derive(Debug, Clone)]
pub(super) struct SslDefaults {
    pub(super) crt_base: Option<String>,
    pub(super) ca_base: Option<String>,
    pub(super) bind: BindTls,
    /// `ssl-server-verify`: whether servers' certificates are checked by default (they are).
    pub(super) server_verify: bool,
}

impl Default for SslDefaults {
    fn default() -> Self {
        SslDefaults {
            crt_base: None,
            ca_base: None,
            bind: BindTls::default(),
            server_verify: true,
        }
    }
}

impl SslDefaults {
    /// `base/path` for a relative path when a base is set, as HAProxy joins them.
    fn join(base: &Option<String>, path: &str) -> String {
        match base {
            Some(b) if !path.starts_with('/') => format!("{}/{path}", b.trim_end_matches('/')),
            _ => path.to_string(),
        }
    }
}

/// Reads one option into the bind's TLS settings; `Ok(Some(w))` loads with warning `w`.
pub(super) type SslFn = fn(&mut BindTls, &str, &SslDefaults) -> Result<Option<String>, String>;

const fn row(name: &'static str, args: Args, how: SslFn) -> Row<SslFn> {
    Row {
        name,
        args,
        sections: Sections::FRONTENDS,
        status: Status::Implemented,
        how,
    }
}

const fn ignored(name: &'static str, args: Args, why: &'static str) -> Row<SslFn> {
    Row {
        status: Status::Ignored(why),
        ..row(name, args, |_, _, _| Ok(None))
    }
}

const fn unsupported(name: &'static str, args: Args) -> Row<SslFn> {
    Row {
        status: Status::Unsupported,
        ..row(name, args, |_, _, _| Ok(None))
    }
}

const ONE: Args = Args::One("an argument");
const NONE: Args = Args::None;
const OLD: &str = "rustls never speaks SSLv3, TLSv1.0 or TLSv1.1";

/// The TLS options of `bind`. `ssl` itself is read by the bind parser.
pub(super) static SSL_BIND: &[Row<SslFn>] = &[
    row("ssl", NONE, |_, _, _| Ok(None)),
    row("crt", ONE, |t, v, d| {
        t.crts.push(SslDefaults::join(&d.crt_base, v));
        Ok(None)
    }),
    row("ca-file", ONE, |t, v, d| {
        t.ca_file = Some(SslDefaults::join(&d.ca_base, v));
        Ok(None)
    }),
    row("alpn", ONE, alpn),
    row("verify", ONE, |t, v, _| {
        t.verify = match v {
            "none" => Verify::None,
            "optional" => Verify::Optional,
            "required" => Verify::Required,
            _ => {
                return Err(format!(
                    "'verify' expects 'none', 'optional' or 'required', got '{v}'"
                ))
            }
        };
        Ok(None)
    }),
    row("ciphers", ONE, |t, v, _| {
        t.ciphers = Some(v.to_string());
        Ok(cipher_warning("ciphers", v, map_ciphers(Some(v))))
    }),
    row("ciphersuites", ONE, |t, v, _| {
        t.ciphersuites = Some(v.to_string());
        Ok(cipher_warning("ciphersuites", v, map_ciphersuites(Some(v))))
    }),
    row("ssl-min-ver", ONE, |t, v, _| {
        match version(v)? {
            Some(ver) => t.min = Some(ver),
            None => {
                t.min = None;
                return Ok(Some(format!(
                    "'ssl-min-ver {v}': {OLD}; the lowest version spoken is TLSv1.2"
                )));
            }
        }
        Ok(None)
    }),
    row("ssl-max-ver", ONE, |t, v, _| match version(v)? {
        Some(ver) => {
            t.max = Some(ver);
            Ok(None)
        }
        None => Err(format!(
            "'ssl-max-ver {v}': {OLD}, so no version would be left"
        )),
    }),
    row("no-tlsv12", NONE, |t, _, _| {
        t.min = Some(TlsVersion::Tls13);
        Ok(None)
    }),
    row("no-tlsv13", NONE, |t, _, _| {
        t.max = Some(TlsVersion::Tls12);
        Ok(None)
    }),
    row("force-tlsv12", NONE, |t, _, _| {
        (t.min, t.max) = (Some(TlsVersion::Tls12), Some(TlsVersion::Tls12));
        Ok(None)
    }),
    row("force-tlsv13", NONE, |t, _, _| {
        (t.min, t.max) = (Some(TlsVersion::Tls13), Some(TlsVersion::Tls13));
        Ok(None)
    }),
    row("strict-sni", NONE, |t, _, _| {
        t.strict_sni = true;
        Ok(None)
    }),
    row("no-tls-tickets", NONE, |t, _, _| {
        t.no_tickets = true;
        Ok(None)
    }),
    row("prefer-client-ciphers", NONE, |t, _, _| {
        t.prefer_client_ciphers = true;
        Ok(None)
    }),
    ignored("no-sslv3", NONE, OLD),
    ignored("no-tlsv10", NONE, OLD),
    ignored("no-tlsv11", NONE, OLD),
    ignored(
        "npn",
        ONE,
        "rustls has no NPN (ALPN replaced it): nothing is offered that way",
    ),
    ignored(
        "curves",
        ONE,
        "rustls negotiates its own groups (X25519, P-256, P-384)",
    ),
    ignored(
        "ecdhe",
        ONE,
        "rustls negotiates its own groups (X25519, P-256, P-384)",
    ),
    ignored(
        "allow-0rtt",
        NONE,
        "lbtop takes no TLS 1.3 early data: clients send their request after the handshake",
    ),
    unsupported("crt-list", ONE),
    unsupported("crl-file", ONE),
    unsupported("crt-ignore-err", ONE),
    unsupported("ca-ignore-err", ONE),
    unsupported("force-sslv3", NONE),
    unsupported("force-tlsv10", NONE),
    unsupported("force-tlsv11", NONE),
    unsupported("tls-ticket-keys", ONE),
    unsupported("generate-certificates", NONE),
    unsupported("ca-sign-file", ONE),
    unsupported("ca-sign-pass", ONE),
    unsupported("ssl-reuse", NONE),
];

/// Why lbtop refuses a TLS bind option.
pub(super) fn refusal(kw: &str) -> String {
    let why = match kw {
        "crt-list" => {
            "list each certificate with its own 'crt' (lbtop picks among them by their \
             names); per-certificate SNI filters and options are not read"
        }
        "crt-ignore-err" | "ca-ignore-err" => {
            "lbtop cannot ignore chosen client-certificate errors; use 'verify optional'"
        }
        "force-sslv3" | "force-tlsv10" | "force-tlsv11" => OLD,
        _ => "lbtop does not support it",
    };
    format!("bind option '{kw}' is not supported: {why}")
}

/// `TLSv1.2` and `TLSv1.3`; `None` for the versions rustls lacks.
fn version(v: &str) -> Result<Option<TlsVersion>, String> {
    match v {
        "TLSv1.2" => Ok(Some(TlsVersion::Tls12)),
        "TLSv1.3" => Ok(Some(TlsVersion::Tls13)),
        "SSLv3" | "TLSv1.0" | "TLSv1.1" => Ok(None),
        _ => Err(format!("'{v}' : unknown ssl/tls version")),
    }
}

fn alpn(t: &mut BindTls, v: &str, _: &SslDefaults) -> Result<Option<String>, String> {
    let list: Vec<String> = v.split(',').map(str::to_string).collect();
    if list.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(format!("'alpn {v}': a protocol name is empty or too long"));
    }
    let h2 = list.iter().any(|p| p == "h2");
    t.alpn = Some(list);
    Ok(h2.then(|| {
        format!(
            "'alpn {v}': lbtop has no HTTP/2: in 'mode http' h2 is not offered (clients \
             that offer http/1.1 too use it); in 'mode tcp' it is offered and relayed"
        )
    }))
}

/// The warning for names in a cipher list that rustls has no suite for.
fn cipher_warning(
    kw: &str,
    v: &str,
    (found, missing): (Option<Vec<rustls::CipherSuite>>, Vec<String>),
) -> Option<String> {
    if found.is_none() {
        return Some(format!(
            "'{kw} {v}': none of these is a suite rustls has; rustls's default suites are \
             used"
        ));
    }
    (!missing.is_empty()).then(|| {
        format!(
            "'{kw}': rustls has no suite for {}: left out",
            missing.join(", ")
        )
    })
}

impl Parser<'_> {
    /// One TLS option of a `bind` line, with the words it takes.
    pub(super) fn ssl_option<'w>(
        &mut self,
        (no, ctx, addr): (usize, &Ctx, &str),
        row: &Row<SslFn>,
        words: &mut impl Iterator<Item = &'w String>,
        tls: &mut BindTls,
    ) -> Res<()> {
        let what = format!("'bind {addr}': '{}'", row.name);
        if row.status == Status::Unsupported {
            return Err(self.err_in(no, ctx, refusal(row.name)));
        }
        let value: Vec<String> = words.take(row.args.taken()).cloned().collect();
        row.args
            .check(&value, &what)
            .map_err(|m| self.err_in(no, ctx, m))?;
        let v = value.first().map_or("", String::as_str);
        let said = (row.how)(tls, v, &self.ssl).map_err(|m| self.err_in(no, ctx, m))?;
        if let Some(w) = said {
            self.warn(no, format!("'bind {addr}': {w}"));
        }
        if let Some(w) = row.status.warning(&what) {
            self.warn(no, w);
        }
        Ok(())
    }

    /// A bind's TLS once its line is read: without `ssl` none (a `crt` alone leaves the
    /// bind plain, as in HAProxy); with it, every certificate loaded now, so a bad one is an
    /// error naming this line.
    pub(super) fn bind_tls(
        &mut self,
        (no, ctx, addr): (usize, &Ctx, &str),
        ssl: bool,
        tls: BindTls,
    ) -> Res<Option<Box<BindTls>>> {
        if !ssl {
            if tls.crts.len() > self.ssl.bind.crts.len() {
                self.warn(
                    no,
                    format!(
                        "'bind {addr}': 'crt' without 'ssl': the bind stays plain TCP, as \
                         in HAProxy"
                    ),
                );
            }
            return Ok(None);
        }
        if tls.crts.is_empty() {
            return Err(self.err_in(
                no,
                ctx,
                format!("'bind {addr}': 'ssl' needs a certificate ('crt <file or directory>')"),
            ));
        }
        if tls.verify != Verify::None && tls.ca_file.is_none() {
            return Err(self.err_in(
                no,
                ctx,
                format!("verify is enabled but no CA file specified for bind '{addr}'"),
            ));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        for crt in &tls.crts {
            let loaded = crate::tls::certs::load_crt(crt)
                .map_err(|m| self.err_in(no, ctx, format!("'bind {addr}' : {m}")))?;
            for l in &loaded {
                if let Some(w) = l.expired(now) {
                    self.warn(no, format!("'bind {addr}': {w}"));
                }
            }
        }
        if let Some(ca) = &tls.ca_file {
            crate::tls::certs::load_ca(ca)
                .map_err(|m| self.err_in(no, ctx, format!("'bind {addr}' : {m}")))?;
        }
        Ok(Some(Box::new(tls)))
    }
}

/// `crt-base <dir>` and `ca-base <dir>`.
pub(super) fn crt_base(p: &mut Parser, st: &Stmt) -> Res<()> {
    let dir = Some(st.arg().to_string());
    match st.kw {
        "crt-base" => p.ssl.crt_base = dir,
        _ => p.ssl.ca_base = dir,
    }
    Ok(())
}

/// `ssl-default-bind-ciphers`, `ssl-default-bind-ciphersuites`: as `ciphers` and
/// `ciphersuites` on every `ssl` bind that sets none.
pub(super) fn default_bind_ciphers(p: &mut Parser, st: &Stmt) -> Res<()> {
    let kw = match st.kw {
        "ssl-default-bind-ciphers" => "ciphers",
        _ => "ciphersuites",
    };
    let mut tls = p.ssl.bind.clone();
    let row = super::table::find(SSL_BIND, kw).expect("a row of SSL_BIND");
    match (row.how)(&mut tls, st.arg(), &p.ssl) {
        Ok(warning) => {
            if let Some(w) = warning {
                p.warn(st.no, format!("global: '{}': {w}", st.kw));
            }
            p.ssl.bind = tls;
            Ok(())
        }
        Err(m) => Err(p.err(st.no, format!("global: '{}': {m}", st.kw))),
    }
}

/// `ssl-default-bind-options <option>...`: bind options every `ssl` bind starts with.
pub(super) fn default_bind_options(p: &mut Parser, st: &Stmt) -> Res<()> {
    let mut tls = p.ssl.bind.clone();
    let mut words = st.args.iter();
    while let Some(key) = words.next() {
        let what = format!("global: 'ssl-default-bind-options': '{key}'");
        let row = match super::table::find(SSL_BIND, key) {
            Some(r) if !matches!(r.name, "crt" | "ca-file" | "ssl" | "crt-list") => r,
            _ => return Err(p.err(st.no, format!("{what}: not a default bind option"))),
        };
        if row.status == Status::Unsupported {
            return Err(p.err(st.no, refusal(key)));
        }
        let value: Vec<String> = words.by_ref().take(row.args.taken()).cloned().collect();
        row.args.check(&value, &what).map_err(|m| p.err(st.no, m))?;
        let v = value.first().map_or("", String::as_str);
        match (row.how)(&mut tls, v, &p.ssl) {
            Ok(Some(w)) => p.warn(st.no, format!("global: 'ssl-default-bind-options': {w}")),
            Ok(None) => {}
            Err(m) => return Err(p.err(st.no, format!("{what}: {m}"))),
        }
        if let Some(w) = row.status.warning(&what) {
            p.warn(st.no, w);
        }
    }
    p.ssl.bind = tls;
    Ok(())
}

/// HAProxy's refusal of a TLS server whose certificate is to be checked against nothing.
const NO_CA: &str = "verify is enabled by default but no CA file specified. If you're running \
     on a LAN where you're certain to trust the server's certificate, please set an explicit \
     'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the \
     global section to disable server-side verifications by default.";

impl Parser<'_> {
    /// A server line's TLS once it is read: `ssl-server-verify` for a `verify` it does not
    /// set, HAProxy's refusal of `verify required` without a `ca-file`, and the CA file
    /// loaded now so a bad one is an error naming this line.
    pub(super) fn server_tls(&mut self, no: usize, s: &mut Server, at: &str) -> Res<()> {
        if !s.tls.enabled && s.check_ssl != Some(true) {
            return Ok(());
        }
        if s.tls.verify.is_none() && !self.ssl.server_verify {
            s.tls.verify = Some(false);
        }
        if s.tls.verifies() {
            let Some(ca) = &s.tls.ca_file else {
                return Err(self.err(no, format!("{at} : {NO_CA}")));
            };
            crate::tls::certs::load_ca(ca).map_err(|m| self.err(no, format!("{at} : {m}")))?;
        }
        Ok(())
    }
}

/// `ssl-server-verify none|required`: whether `server ... ssl` lines check certificates by
/// default.
pub(super) fn server_verify(p: &mut Parser, st: &Stmt) -> Res<()> {
    p.ssl.server_verify = match st.arg() {
        "required" => true,
        "none" => false,
        v => {
            return Err(p.err(
                st.no,
                format!("global: 'ssl-server-verify' expects 'none' or 'required', got '{v}'"),
            ))
        }
    };
    Ok(())
}
