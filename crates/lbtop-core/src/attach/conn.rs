//! Where a node's runtime API is (a unix socket, or `host:port` / `ipv4@host:port`) and one
//! command sent to it: HAProxy answers a non-interactive connection once and closes it.

use std::fmt;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An answer bigger than this is not a stats answer; the node is treated as broken.
const MAX_ANSWER: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    Tcp(String),
}

impl Target {
    /// `ipv4@h:p`, `ipv6@h:p`, `unix@path`, a path (it has a `/`, or no `:`), or `host:port`.
    pub fn parse(text: &str) -> Result<Target, String> {
        if text.is_empty() {
            return Err("empty target".into());
        }
        if let Some(rest) = text.strip_prefix("unix@") {
            return Ok(Target::Unix(rest.into()));
        }
        let tcp = text
            .strip_prefix("ipv4@")
            .or_else(|| text.strip_prefix("ipv6@"))
            .or_else(|| text.strip_prefix("tcp@"));
        if let Some(rest) = tcp {
            return Ok(Target::Tcp(rest.to_string()));
        }
        let host_port = text
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if text.contains('/') || !host_port {
            return Ok(Target::Unix(text.into()));
        }
        Ok(Target::Tcp(text.to_string()))
    }

    /// A short name: the socket's file stem, or `host:port`.
    pub fn short_name(&self) -> String {
        match self {
            Target::Unix(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            Target::Tcp(a) => a.clone(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "{}", p.display()),
            Target::Tcp(a) => f.write_str(a),
        }
    }
}

/// Sends one command line and reads the answer to the end. No timeout here: the caller
/// bounds the whole exchange.
pub async fn ask(target: &Target, command: &str) -> Result<String, String> {
    let line = format!("{command}\n");
    match target {
        Target::Unix(path) => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", path.display()))?;
            exchange(stream, &line).await
        }
        Target::Tcp(addr) => {
            let stream = tokio::net::TcpStream::connect(addr.as_str())
                .await
                .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
            exchange(stream, &line).await
        }
    }
}

async fn exchange<S>(mut stream: S, line: &str) -> Result<String, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .write_all(line.as_bytes())
        .await
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if n == 0 {
            break;
        }
        if answer.len() + n > MAX_ANSWER {
            return Err(format!("answer larger than {} MiB", MAX_ANSWER >> 20));
        }
        answer.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let unix = |p: &str| Target::Unix(p.into());
        assert_eq!(Target::parse("/run/h1.sock"), Ok(unix("/run/h1.sock")));
        assert_eq!(Target::parse("h1.sock"), Ok(unix("h1.sock")));
        assert_eq!(Target::parse("unix@/a:1"), Ok(unix("/a:1")));
        let tcp = |a: &str| Target::Tcp(a.into());
        assert_eq!(Target::parse("127.0.0.1:9999"), Ok(tcp("127.0.0.1:9999")));
        assert_eq!(Target::parse("ipv4@lb1:9999"), Ok(tcp("lb1:9999")));
        assert_eq!(Target::parse("lb1:9999"), Ok(tcp("lb1:9999")));
        assert!(Target::parse("").is_err());
        assert_eq!(unix("/tmp/x/h2.sock").short_name(), "h2");
    }
}
