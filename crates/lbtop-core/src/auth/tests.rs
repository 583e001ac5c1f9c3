//! Hashes made on Debian 12 with `openssl passwd -1/-5/-6`, `mkpasswd` and perl's `crypt`
//! (libxcrypt), the crypt(3) HAProxy 2.6 calls there.

use super::crypt::{CryptHash, Scheme};
use super::{basic_credentials, same_secret};

const MADE_HERE: &[(&str, &str, Scheme)] = &[
    ("$1$saltsalt$ZliGyAN3DciDHEkDboonh/", "hunter2", Scheme::Md5),
    ("$1$ab$rn6aQS/o7141mj179E/zA.", "", Scheme::Md5),
    (
        "$1$12345678$yLppq.aqtfjKiej5RWDLq/",
        "a much longer password than sixteen bytes",
        Scheme::Md5,
    ),
    (
        "$5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3",
        "hunter2",
        Scheme::Sha256,
    ),
    (
        "$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.",
        "hunter2",
        Scheme::Sha512,
    ),
    (
        "$6$rounds=10000$saltsaltsalt$uxYOVa4Zd/SUVE3UjEKLotV2RGe2QmMzsWMv3nNwzD18cR30JVYzZ9FK.XTni.hAWjBcMSG05GxyW6Jja4VL/.",
        "hunter2",
        Scheme::Sha512,
    ),
    (
        "$2b$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.",
        "hunter2",
        Scheme::Bcrypt,
    ),
    // perl's crypt (glibc) with a $2y$ salt.
    (
        "$2y$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.",
        "hunter2",
        Scheme::Bcrypt,
    ),
    (
        "$2a$05$Nj.kcxI2ZQ7FrYHyr/P1huJgUHwyizF0q7fMN9uBF2qTUmmksFBgy",
        "hunter2",
        Scheme::Bcrypt,
    ),
    (
        "$y$j9T$4C053wiTV5.jfA3LtGBwB.$rhEz9uWTsnXCItkbdLh0DC9Bk3.f8Q8eBp4sGz4DOK3",
        "hunter2",
        Scheme::Yescrypt,
    ),
];

#[test]
fn hashes_made_by_openssl_and_mkpasswd_check() {
    for (text, password, scheme) in MADE_HERE {
        let hash = CryptHash::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(hash.scheme, *scheme, "{text}");
        assert!(
            hash.verify(password.as_bytes()),
            "{text}: the right password"
        );
        assert!(!hash.verify(b"hunter3"), "{text}: a wrong password");
        assert!(!hash.verify(format!("{password}x").as_bytes()), "{text}");
    }
}

#[test]
fn hashes_lbtop_cannot_check_are_refused_with_the_reason() {
    let des = CryptHash::parse("1hoiNIDGQsOQo").unwrap_err();
    assert!(des.contains("DES crypt"), "{des}");
    let unknown = CryptHash::parse("$9$abc$def").unwrap_err();
    assert!(unknown.contains("'$9$' is not supported"), "{unknown}");
    let clear = CryptHash::parse("secret").unwrap_err();
    assert!(clear.contains("insecure-password"), "{clear}");
    for broken in [
        "$1$saltsalt$short",
        "$1$toolongsalt$ZliGyAN3DciDHEkDboonh/",
        "$5$saltsalt$",
        "$6$rounds=x$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.",
        "$2b$99$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.",
        "$2b$05$abc",
        "$y$j9T$salt",
        "$",
        "",
    ] {
        let e = CryptHash::parse(broken).unwrap_err();
        assert!(!e.is_empty(), "{broken}");
    }
}

#[test]
fn basic_credentials_read_as_haproxy_reads_them() {
    // "bob:secret", measured with HAProxy 2.6.12: any case of the scheme, extra spaces.
    for value in [
        "Basic Ym9iOnNlY3JldA==",
        "basic Ym9iOnNlY3JldA==",
        "BASIC   Ym9iOnNlY3JldA==",
        " Basic Ym9iOnNlY3JldA== ",
    ] {
        assert_eq!(
            basic_credentials(value.as_bytes()),
            Some(("bob".into(), "secret".into())),
            "{value}"
        );
    }
    // The password keeps every ':' after the first.
    assert_eq!(
        basic_credentials(b"Basic Ym9iOnNlOmNyZXQ="),
        Some(("bob".into(), "se:cret".into()))
    );
    assert_eq!(
        basic_credentials(b"Basic dTo="),
        Some(("u".into(), "".into()))
    );
    for bad in [
        "Basic Ym9iOnNlY3JldA",
        "Bearer Ym9iOnNlY3JldA==",
        "Basic",
        "Basic !!!",
        "Basic Ym9i",
        "",
    ] {
        assert_eq!(basic_credentials(bad.as_bytes()), None, "{bad}");
    }
    assert_eq!(basic_credentials(b"Basic \xff"), None);
}

#[test]
fn secrets_compare_whole() {
    assert!(same_secret(b"secret", b"secret"));
    assert!(!same_secret(b"secret", b"secre"));
    assert!(!same_secret(b"secret", b"secreT"));
    assert!(same_secret(b"", b""));
}
