//! What a demo server answers for one path, looked up on disk at each request as Apache
//! does: a file is a 200, a folder asked without its trailing slash a 301 to the slashed
//! path, anything missing a 404. There is no built-in page: a deleted file is gone.

use bytes::Bytes;
use hyper::StatusCode;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// The page HAProxy's `option httpchk` asks for in the lab.
pub const HEALTH_PAGE: &str = "health_check.html";

/// Paths under `/slow/` (and `/slow` itself) are held this long before the answer, so the
/// lab shows a slow page in the timers (`Tr`) and in the latency columns.
pub const SLOW_DELAY: Duration = Duration::from_millis(1200);

pub fn is_slow(path: &str) -> bool {
    path == "/slow" || path.starts_with("/slow/")
}

/// The request path as a path under the root; `None` for anything that could leave it
/// (`..`, a drive prefix) or that is percent-encoded, which the demo does not decode.
pub fn resolve(path: &str) -> Option<PathBuf> {
    let rel = path.strip_prefix('/')?;
    if rel.contains('%') || rel.contains('\\') {
        return None;
    }
    let rel = Path::new(rel);
    let safe = rel.components().all(|c| matches!(c, Component::Normal(_)));
    safe.then(|| rel.to_path_buf())
}

pub enum Page {
    File { name: PathBuf, body: Bytes },
    AddSlash,
    NotFound,
}

/// Looks `rel` up under `root` now; `path` is the request path (for the trailing slash).
pub async fn look_up(root: &Path, rel: &Path, path: &str) -> Page {
    let full = root.join(rel);
    let Ok(meta) = tokio::fs::metadata(&full).await else {
        return Page::NotFound;
    };
    let file = if !meta.is_dir() {
        full
    } else if path.ends_with('/') {
        full.join("index.html")
    } else {
        return Page::AddSlash;
    };
    match tokio::fs::read(&file).await {
        Ok(data) => Page::File {
            name: file,
            body: Bytes::from(data),
        },
        Err(_) => Page::NotFound,
    }
}

/// A response's parts, before the server adds its name.
pub struct Parts {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub location: Option<String>,
    pub body: Bytes,
}

impl Page {
    pub fn into_parts(self, host: Option<&str>, path: &str) -> Parts {
        match self {
            Page::File { name, body } => Parts {
                status: StatusCode::OK,
                content_type: content_type(&name),
                location: None,
                body,
            },
            Page::AddSlash => {
                let location = match host {
                    Some(host) => format!("http://{host}{path}/"),
                    None => format!("{path}/"),
                };
                let body = error_page(
                    "301 Moved Permanently",
                    &format!("<p>The document has moved <a href=\"{location}\">here</a>.</p>"),
                );
                Parts {
                    status: StatusCode::MOVED_PERMANENTLY,
                    content_type: ERROR_TYPE,
                    location: Some(location),
                    body,
                }
            }
            Page::NotFound => Parts {
                status: StatusCode::NOT_FOUND,
                content_type: ERROR_TYPE,
                location: None,
                body: error_page(
                    "404 Not Found",
                    "<p>The requested URL was not found on this server.</p>",
                ),
            },
        }
    }
}

const ERROR_TYPE: &str = "text/html; charset=iso-8859-1";

/// Apache's shape of error page: the status as title, its reason as heading, one sentence.
fn error_page(status: &str, sentence: &str) -> Bytes {
    let reason = status.split_once(' ').map_or(status, |(_, r)| r);
    Bytes::from(format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{status}</title>\n</head><body>\n<h1>{reason}</h1>\n{sentence}\n</body></html>\n"
    ))
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        assert_eq!(resolve("/"), Some(PathBuf::new()));
        assert_eq!(resolve("/a/b.html"), Some(PathBuf::from("a/b.html")));
        for bad in ["/../etc/passwd", "/a/../../b", "/%2e%2e/x", "x", "/a\\b"] {
            assert_eq!(resolve(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_slow_folder_is_slow() {
        assert!(is_slow("/slow") && is_slow("/slow/") && is_slow("/slow/x"));
        assert!(!is_slow("/slower") && !is_slow("/"));
    }
}
