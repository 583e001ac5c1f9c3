//! HTTP Basic authentication as HAProxy does it (docs/haproxy-semantics.md §26): reading the
//! `Authorization: Basic ...` header, and checking a password against a `userlist` user's
//! `insecure-password` or `crypt(3)` hash ([`crypt`]). The stats page (`stats auth`) and the
//! `http_auth(<userlist>)` fetch share the decoder.

pub mod crypt;
mod md5crypt;

use base64::Engine as _;
use subtle::ConstantTimeEq;

/// The user and password of an `Authorization` header value, as HAProxy reads it: the
/// scheme `Basic` in any case, spaces before the token skipped, standard base64 with its
/// padding, split at the first `:`. `None` for anything else (HAProxy then asks again).
pub fn basic_credentials(value: &[u8]) -> Option<(String, String)> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// `a == b` in a time that does not depend on where they differ (a password compared with
/// what a client sent).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests;
