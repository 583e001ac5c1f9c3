//! HAProxy's own answers, byte for byte: the error pages it sends when it refuses a request or
//! cannot get an answer from a server (docs/haproxy-semantics.md §3.8), and how its log counts
//! them.

use crate::engine::h1::response;
use hyper::{StatusCode, Version};

/// The H1 layer's own answers to a request head that never completed: mixed-case headers,
/// and the connection closes.
pub const H1_408: &str = "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
pub const H1_413: &str = "HTTP/1.1 413 Payload Too Large\r\nContent-length: 106\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n";
pub const H1_422: &str = "HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n";
pub const H1_400: &str = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";

pub fn error_response(out: &mut Vec<u8>, status: StatusCode, keep: bool, version: Version) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(haproxy_reason(status).as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in error_headers(status) {
        crate::engine::h1::head::header_line(out, name.as_bytes(), value.as_bytes());
    }
    response::connection_header(out, keep, version, Version::HTTP_11);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(error_page(status).as_bytes());
}

/// The headers of HAProxy's own error responses, lower-cased like everything it relays.
fn error_headers(status: StatusCode) -> [(&'static str, String); 3] {
    [
        ("content-length", error_page(status).len().to_string()),
        ("cache-control", "no-cache".to_string()),
        ("content-type", "text/html".to_string()),
    ]
}

/// `%B` of an error page, counted the way HAProxy counts a head (see `Response::log_bytes`):
/// its 503 logs 217.
pub fn error_bytes(status: StatusCode) -> u64 {
    let start_line = 21 + "HTTP/1.1".len() + 3 + haproxy_reason(status).len();
    let headers: usize = error_headers(status)
        .iter()
        .map(|(n, v)| n.len() + v.len())
        .sum();
    (start_line + headers + error_page(status).len()) as u64
}

/// The reason phrases HAProxy writes on its own errors (`504 Gateway Time-out`).
pub fn haproxy_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        504 => "Gateway Time-out",
        408 => "Request Time-out",
        400 => "Bad request",
        407 => "Unauthorized",
        _ => status.canonical_reason().unwrap_or(""),
    }
}

/// The reason phrase of an answer HAProxy builds for a `return` (or a `deny` with return's
/// options): its own table, measured on 2.6 for every status below (`302 Moved
/// Temporarily`, `502 Bad Gateway or Proxy Error`), then the class for the others.
pub fn return_reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested range unsatisfiable",
        417 => "Expectation failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Method failure",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        499 => "client has closed connection",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway or Proxy Error",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "HTTP Version not supported",
        506 => "Variant also negotiate",
        507 => "Insufficient storage",
        508 => "Loop detected",
        510 => "Not extended",
        511 => "Network authentication required",
        520 => "Web server is returning an unknown error",
        _ => match status / 100 {
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
}

/// HAProxy's built-in error pages (docs/haproxy-semantics.md §3.8).
pub fn error_page(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200 => "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n",
        400 => "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n",
        401 => "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
        403 => "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n",
        404 => "<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n",
        405 => "<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n",
        407 => "<html><body><h1>407 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
        410 => "<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n",
        413 => "<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n",
        425 => "<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n",
        429 => "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n",
        500 => "<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n",
        501 => "<html><body><h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n",
        408 => "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
        502 => "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n",
        504 => "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n",
        _ => "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n",
    }
}

/// An `errorfile`, ready to send as HAProxy sends one (docs/haproxy-semantics.md §3.9): its
/// status line as written, its header names lower-cased (an HTTP/1.0 file's `Connection`
/// dropped, that version closing anyway), its body; the connection closes after it.
pub struct CustomPage {
    pub head: Vec<u8>,
    pub body: Vec<u8>,
    /// `%B`: counted as HAProxy counts the file's message (every header, `Connection` too).
    pub log_bytes: u64,
}

impl CustomPage {
    /// `None` for bytes that are not an HTTP response (the config loader refuses those).
    pub fn new(raw: &[u8]) -> Option<CustomPage> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(len) = response.parse(raw).ok()? else {
            return None;
        };
        let line_end = raw.iter().position(|&b| b == b'\n')?;
        let status_line = raw[..line_end]
            .strip_suffix(b"\r")
            .unwrap_or(&raw[..line_end]);
        let reason = response.reason.unwrap_or("");
        let version = response.version.unwrap_or(1);
        let mut head = status_line.to_vec();
        head.extend_from_slice(b"\r\n");
        let mut counted = 21 + "HTTP/1.1".len() + 3 + reason.len();
        for h in response.headers.iter() {
            counted += h.name.len() + h.value.len();
            if version == 0 && h.name.eq_ignore_ascii_case("connection") {
                continue;
            }
            let name = h.name.to_ascii_lowercase();
            crate::engine::h1::head::header_line(&mut head, name.as_bytes(), h.value);
        }
        head.extend_from_slice(b"\r\n");
        let body = raw[len..].to_vec();
        Some(CustomPage {
            head,
            log_bytes: (counted + body.len()) as u64,
            body,
        })
    }
}
