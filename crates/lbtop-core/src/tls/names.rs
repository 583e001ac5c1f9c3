//! OpenSSL's cipher names (`ciphers`, `ciphersuites`) and the rustls suites they mean. Only
//! the suites rustls has can be spoken; the rest are reported so the parser can warn.

use rustls::CipherSuite as S;

/// TLSv1.2 suites by OpenSSL name.
const TLS12: &[(&str, S)] = &[
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

/// TLSv1.3 suites: OpenSSL and IANA share these names.
const TLS13: &[(&str, S)] = &[
    ("TLS_AES_128_GCM_SHA256", S::TLS13_AES_128_GCM_SHA256),
    ("TLS_AES_256_GCM_SHA384", S::TLS13_AES_256_GCM_SHA384),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        S::TLS13_CHACHA20_POLY1305_SHA256,
    ),
];

/// The suites a `ciphers` list names, in its order, and the names rustls has no suite for.
/// `None` (rustls's own list) when nothing in it is a suite rustls has.
pub fn map_ciphers(list: Option<&str>) -> (Option<Vec<S>>, Vec<String>) {
    map(list, TLS12)
}

/// The same for `ciphersuites` (TLSv1.3).
pub fn map_ciphersuites(list: Option<&str>) -> (Option<Vec<S>>, Vec<String>) {
    map(list, TLS13)
}

/// The OpenSSL name of a suite rustls agreed (HAProxy's `%sslc`); `""` for one outside
/// both tables, which rustls does not offer.
pub fn openssl_name(suite: S) -> &'static str {
    TLS12
        .iter()
        .chain(TLS13)
        .find(|(_, s)| *s == suite)
        .map_or("", |(n, _)| n)
}

fn map(list: Option<&str>, table: &[(&str, S)]) -> (Option<Vec<S>>, Vec<String>) {
    let Some(list) = list else {
        return (None, Vec::new());
    };
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let words = list.split([':', ',', ' ']).filter(|w| !w.is_empty());
    for w in words {
        // `!X`, `-X` and `+X` remove or move suites: there is nothing to add for them.
        if w.starts_with(['!', '-', '+']) {
            continue;
        }
        match table.iter().find(|(n, _)| n.eq_ignore_ascii_case(w)) {
            Some((_, s)) if !found.contains(s) => found.push(*s),
            Some(_) => {}
            None => missing.push(w.to_string()),
        }
    }
    ((!found.is_empty()).then_some(found), missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_names_map_to_rustls_suites() {
        let (found, missing) = map_ciphers(Some(
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:!aNULL",
        ));
        assert_eq!(found, Some(vec![S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]));
        assert_eq!(missing, ["DHE-RSA-AES128-GCM-SHA256"]);
        let (found, missing) =
            map_ciphersuites(Some("TLS_AES_256_GCM_SHA384:TLS_AES_128_CCM_SHA256"));
        assert_eq!(found, Some(vec![S::TLS13_AES_256_GCM_SHA384]));
        assert_eq!(missing, ["TLS_AES_128_CCM_SHA256"]);
        assert_eq!(map_ciphers(Some("HIGH")).0, None);
    }

    #[test]
    fn every_suite_rustls_speaks_has_its_openssl_name() {
        for s in rustls::crypto::ring::ALL_CIPHER_SUITES {
            assert_ne!(openssl_name(s.suite()), "", "{:?}", s.suite());
        }
        assert_eq!(
            openssl_name(S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
            "ECDHE-RSA-AES256-GCM-SHA384"
        );
        assert_eq!(
            openssl_name(S::TLS13_AES_256_GCM_SHA384),
            "TLS_AES_256_GCM_SHA384"
        );
    }
}
