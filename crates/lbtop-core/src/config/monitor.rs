//! `monitor-uri <uri>` and `monitor fail if|unless <condition>`: a frontend answers a health
//! probe itself, 200 or (when a `fail` condition holds) 503, before any `http-request` rule,
//! and logs nothing for it (docs/haproxy-semantics.md §38).

use super::acl::Cond;

#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// The URI answered: compared with the request's path (query included) when it starts
    /// with `/`, and with the whole request target too.
    pub uri: String,
    /// Line of `monitor-uri`, for messages.
    pub line: usize,
    /// The `monitor fail` conditions, in order: the first that holds makes the answer 503.
    pub fail: Vec<Cond>,
}

impl Monitor {
    /// Whether a request for `target` (its request-line target) is a monitor request.
    pub fn matches(&self, target: &[u8]) -> bool {
        let uri = self.uri.as_bytes();
        target == uri || (uri.first() == Some(&b'/') && path_of(target) == uri)
    }
}

/// The path of a request target, query string included: from the first `/` after the
/// authority of an absolute URI (`http://host/p?q` gives `/p?q`), or the target itself.
fn path_of(target: &[u8]) -> &[u8] {
    let Some(scheme_end) = target.windows(3).position(|w| w == b"://") else {
        return target;
    };
    let rest = &target[scheme_end + 3..];
    match rest.iter().position(|&b| b == b'/') {
        Some(at) => &rest[at..],
        None => b"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_path_with_its_query_and_absolute_targets() {
        let m = Monitor {
            uri: "/healthz".into(),
            line: 1,
            fail: Vec::new(),
        };
        assert!(m.matches(b"/healthz"));
        assert!(m.matches(b"http://a/healthz"));
        assert!(!m.matches(b"/healthz?x=1"));
        assert!(!m.matches(b"/healthz/"));
        assert!(!m.matches(b"/other"));
        let whole = Monitor {
            uri: "*".into(),
            ..m
        };
        assert!(whole.matches(b"*") && !whole.matches(b"/*"));
    }
}
