//! `%[sample]` in a `log-format` (docs/haproxy-semantics.md §25.3). HAProxy 2.6 allows there
//! only the fetches whose value is still known when the line is written: the connection's
//! addresses and TLS, the proxy and server names, the captures, the method and the server's
//! status. A fetch that reads request or response headers is refused with HAProxy's words.
//! The value is taken from the finished session's record, then the converters run.

use super::acl::{split_sample, Conv, Fetch, LoadCtx};

/// One `%[...]` of a format, read once at load.
#[derive(Debug, Clone)]
pub struct LogSample {
    pub fetch: LogFetch,
    pub convs: Vec<Conv>,
    /// As written, for errors and `lbtop export`.
    pub text: String,
}

/// Two samples are the same when written the same (converters hold regexes and maps).
impl PartialEq for LogSample {
    fn eq(&self, o: &LogSample) -> bool {
        self.text == o.text
    }
}

impl Eq for LogSample {}

/// The fetches a log line can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFetch {
    Src,
    SrcPort,
    Dst,
    DstPort,
    FeName,
    FeId,
    BeName,
    BeId,
    SrvName,
    SrvId,
    /// The status of the server's response; none when lbtop wrote the answer (measured).
    Status,
    Method,
    SslFc,
    SslFcSni,
    SslFcProtocol,
    SslFcCipher,
    SslFcIsResumed,
    /// `fc_err`: 0 for every session that is logged (the connection worked).
    FcErr,
    /// `ssl_fc_err`, `ssl_c_err`, `ssl_c_ca_err`: 0 over TLS (a failed handshake or a
    /// refused certificate ends before any session), none in clear (measured).
    SslErr,
    CaptureReqHdr(usize),
    CaptureResHdr(usize),
    CaptureReqMethod,
    CaptureReqUri,
    CaptureReqVer,
    Str(String),
    /// `env(NAME)`: read at load, after the file's `setenv` lines.
    Env(Option<String>),
    Hostname,
    UniqueId,
    /// `uuid([4])`: a new random UUID at each line (or ID).
    Uuid,
}

type Build = fn(&str, &[String], &dyn Fn(&str) -> Option<String>) -> Result<LogFetch, String>;

/// The fetches by name: one row each.
const FETCHES: &[(&str, Build)] = &[
    ("src", |n, a, _| bare(n, a, LogFetch::Src)),
    ("src_port", |n, a, _| bare(n, a, LogFetch::SrcPort)),
    ("dst", |n, a, _| bare(n, a, LogFetch::Dst)),
    ("dst_port", |n, a, _| bare(n, a, LogFetch::DstPort)),
    ("fe_name", |n, a, _| bare(n, a, LogFetch::FeName)),
    ("fe_id", |n, a, _| bare(n, a, LogFetch::FeId)),
    ("be_name", |n, a, _| bare(n, a, LogFetch::BeName)),
    ("be_id", |n, a, _| bare(n, a, LogFetch::BeId)),
    ("srv_name", |n, a, _| bare(n, a, LogFetch::SrvName)),
    ("srv_id", |n, a, _| bare(n, a, LogFetch::SrvId)),
    ("status", |n, a, _| bare(n, a, LogFetch::Status)),
    ("method", |n, a, _| bare(n, a, LogFetch::Method)),
    ("ssl_fc", |n, a, _| bare(n, a, LogFetch::SslFc)),
    ("ssl_fc_sni", |n, a, _| bare(n, a, LogFetch::SslFcSni)),
    ("ssl_fc_protocol", |n, a, _| {
        bare(n, a, LogFetch::SslFcProtocol)
    }),
    ("ssl_fc_cipher", |n, a, _| bare(n, a, LogFetch::SslFcCipher)),
    ("ssl_fc_is_resumed", |n, a, _| {
        bare(n, a, LogFetch::SslFcIsResumed)
    }),
    ("fc_err", |n, a, _| bare(n, a, LogFetch::FcErr)),
    ("ssl_fc_err", |n, a, _| bare(n, a, LogFetch::SslErr)),
    ("ssl_c_err", |n, a, _| bare(n, a, LogFetch::SslErr)),
    ("ssl_c_ca_err", |n, a, _| bare(n, a, LogFetch::SslErr)),
    ("capture.req.hdr", |n, a, _| {
        Ok(LogFetch::CaptureReqHdr(slot(n, a)?))
    }),
    ("capture.res.hdr", |n, a, _| {
        Ok(LogFetch::CaptureResHdr(slot(n, a)?))
    }),
    ("capture.req.method", |n, a, _| {
        bare(n, a, LogFetch::CaptureReqMethod)
    }),
    ("capture.req.uri", |n, a, _| {
        bare(n, a, LogFetch::CaptureReqUri)
    }),
    ("capture.req.ver", |n, a, _| {
        bare(n, a, LogFetch::CaptureReqVer)
    }),
    ("str", |n, a, _| Ok(LogFetch::Str(one(n, a)?))),
    ("env", |n, a, env| Ok(LogFetch::Env(env(&one(n, a)?)))),
    ("hostname", |n, a, _| bare(n, a, LogFetch::Hostname)),
    ("unique-id", |n, a, _| bare(n, a, LogFetch::UniqueId)),
    ("uuid", |n, a, _| match a {
        [] => Ok(LogFetch::Uuid),
        [v] if v == "4" => Ok(LogFetch::Uuid),
        [v] => Err(format!(
            "invalid args in fetch method '{n}' : Unsupported UUID version: '{v}'."
        )),
        _ => Err(format!("fetch method '{n}' takes at most one argument")),
    }),
];

fn bare(name: &str, args: &[String], f: LogFetch) -> Result<LogFetch, String> {
    match args {
        [] => Ok(f),
        _ => Err(format!("fetch method '{name}' does not take arguments")),
    }
}

fn one(name: &str, args: &[String]) -> Result<String, String> {
    match args {
        [a] => Ok(a.clone()),
        _ => Err(format!("fetch method '{name}' expects one argument")),
    }
}

fn slot(name: &str, args: &[String]) -> Result<usize, String> {
    match args {
        [] => Ok(0),
        [a] => a
            .parse()
            .map_err(|_| format!("fetch method '{name}' expects a capture slot, got '{a}'")),
        _ => Err(format!(
            "fetch method '{name}' expects at most one argument"
        )),
    }
}

impl LogSample {
    /// `inner` is what stands between `%[` and `]`; `rest` is the format from `%[` on, which
    /// HAProxy quotes in its refusal.
    pub fn parse(
        inner: &str,
        rest: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<LogSample, String> {
        let (name, args, convs) = split_sample(inner)?;
        let Some((_, build)) = FETCHES.iter().find(|(n, _)| *n == name) else {
            return Err(not_here(name, &args, rest));
        };
        Ok(LogSample {
            fetch: build(name, &args, env)?,
            convs,
            text: inner.to_string(),
        })
    }

    /// Known when the request head is in, for `unique-id-format`.
    pub fn known_at_head(&self) -> bool {
        use LogFetch::*;
        matches!(
            self.fetch,
            Src | SrcPort
                | Dst
                | DstPort
                | FeName
                | FeId
                | SslFc
                | SslFcSni
                | SslFcProtocol
                | SslFcCipher
                | SslFcIsResumed
                | FcErr
                | SslErr
                | Str(_)
                | Env(_)
                | Hostname
                | Uuid
        )
    }
}

/// The error for a fetch a log line cannot read: HAProxy's for one that needs headers, lbtop's
/// own for one it knows elsewhere or not at all.
fn not_here(name: &str, args: &[String], rest: &str) -> String {
    let ctx = LoadCtx {
        backend_of: &|_| {},
        userlist_of: &|_| {},
        response: false,
        env: &|_| None,
    };
    match Fetch::parse(name, args, &ctx) {
        // HAProxy keeps a request's variables to its log line; lbtop only while rules run.
        Ok(_) if name == "var" => format!(
            "sample fetch '{name}' is not supported by lbtop in a log-format (a request's \
             variables are not kept until the line is written)"
        ),
        Ok(f) if f.needs_request() || f.needs_response() => format!(
            "sample fetch <{rest}> may not be reliably used here because it needs 'HTTP {} \
             headers' which is not available here.",
            if f.needs_response() {
                "response"
            } else {
                "request"
            }
        ),
        Ok(_) => format!(
            "sample fetch '{name}' is not supported by lbtop in a log-format (its value is \
             not kept until the line is written)"
        ),
        Err(e) => format!("failed to parse sample expression <{rest}> : {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_log_fetches_and_refuses_header_fetches_in_haproxy_words() {
        let s = LogSample::parse("src,ipmask(16)", "src,ipmask(16)]", &|_| None).unwrap();
        assert_eq!(s.fetch, LogFetch::Src);
        assert_eq!(s.convs.len(), 1);
        assert_eq!(
            LogSample::parse("capture.req.hdr(2)", "", &|_| None)
                .unwrap()
                .fetch,
            LogFetch::CaptureReqHdr(2)
        );
        assert_eq!(
            LogSample::parse("url", "url] x", &|_| None).unwrap_err(),
            "sample fetch <url] x> may not be reliably used here because it needs 'HTTP \
             request headers' which is not available here."
        );
        assert!(LogSample::parse("res.hdr(x)", "res.hdr(x)]", &|_| None)
            .unwrap_err()
            .contains("'HTTP response headers'"));
        assert!(LogSample::parse("var(txn.a)", "", &|_| None)
            .unwrap_err()
            .contains("not supported by lbtop"));
        assert!(LogSample::parse("nosuch", "nosuch]", &|_| None)
            .unwrap_err()
            .starts_with("failed to parse sample expression <nosuch]> : unknown fetch"));
        assert!(LogSample::parse("src(1)", "", &|_| None).is_err());
        assert!(LogSample::parse("str", "", &|_| None).is_err());
        assert!(LogSample::parse("src,nosuchconv", "", &|_| None).is_err());
        assert!(LogSample::parse("src", "", &|_| None)
            .unwrap()
            .known_at_head());
        assert!(!LogSample::parse("status", "", &|_| None)
            .unwrap()
            .known_at_head());
    }
}
