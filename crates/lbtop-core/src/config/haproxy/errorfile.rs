//! `errorfile <code> <file>`: HAProxy reads the file when it starts and refuses a file it
//! cannot open, a status it does not handle, or bytes that are not an HTTP response
//! (docs/haproxy-semantics.md §3.9).

use crate::config::ErrorFile;

/// The statuses HAProxy 2.6 takes an `errorfile` for.
pub(super) const STATUSES: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
];

/// Reads `errorfile <code> <path>`'s file; the message says what is wrong, as HAProxy does.
pub(super) fn read_errorfile(code: &str, path: &str) -> Result<ErrorFile, String> {
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|c| STATUSES.contains(c))
        .ok_or_else(|| format!("errorfile : status code '{code}' not handled"))?;
    let bytes = std::fs::read(path)
        .map_err(|e| format!("errorfile : error opening file '{path}' ({e})"))?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => {
            return Err(format!(
                "errorfile : unable to parse '{path}' as an HTTP response (a status line, \
                 headers and an empty line)"
            ))
        }
    }
    Ok(ErrorFile {
        status,
        path: path.to_string(),
        bytes,
    })
}
