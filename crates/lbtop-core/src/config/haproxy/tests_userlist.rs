//! `userlist` sections: what they load into, and their errors and warnings with the lines
//! HAProxy 2.6.12 names (measured with `haproxy -c`).

use super::*;
use crate::auth::crypt::Scheme;
use crate::config::Password;

fn env(_: &str) -> Option<String> {
    None
}

fn ok(text: &str) -> Config {
    parse_with_env(Path::new("u.cfg"), text, &env).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn fails(text: &str, line: usize, want: &str) {
    match parse_with_env(Path::new("u.cfg"), text, &env) {
        Ok(_) => panic!("expected an error in:\n{text}"),
        Err(e) => {
            assert_eq!(e.line, line, "wrong line for: {e}");
            assert!(e.to_string().starts_with("u.cfg:"), "{e}");
            assert!(e.message.contains(want), "{e} does not mention {want:?}");
        }
    }
}

const BACKEND: &str = "backend b\n    server s 127.0.0.1:80\n";

#[test]
fn users_groups_and_passwords_load() {
    let c = ok(&format!(
        "userlist L1\n    group G1 users tiger,scott\n    group G2 users xdb,scott\n    \
         user tiger password $6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.\n    \
         user scott insecure-password elgato\n    user xdb insecure-password hello groups G1\n\
         userlist L2\n    group G1\n    user tiger insecure-password x groups G1\n{BACKEND}"
    ));
    let lists = &c.global.userlists;
    assert_eq!(lists.len(), 2);
    let l1 = &lists[0];
    assert_eq!((l1.name.as_str(), l1.line), ("L1", 1));
    let groups: Vec<&str> = l1.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["G1", "G2"]);
    let tiger = l1.user("tiger").unwrap();
    assert_eq!(tiger.line, 4);
    assert!(matches!(&tiger.password, Password::Hash(h) if h.scheme == Scheme::Sha512));
    assert_eq!(tiger.groups, ["G1"]);
    assert_eq!(l1.user("scott").unwrap().groups, ["G1", "G2"]);
    // Said on both lines: once.
    assert_eq!(l1.user("xdb").unwrap().groups, ["G1", "G2"]);
    assert_eq!(
        l1.user("scott").unwrap().password,
        Password::Insecure("elgato".into())
    );
    assert_eq!(lists[1].user("tiger").unwrap().groups, ["G1"]);
    assert!(lists[1].user("tiger").unwrap().password.matches("x"));
}

#[test]
fn duplicates_are_ignored_with_haproxys_warning() {
    let c = ok(&format!(
        "userlist u\n    user a insecure-password x\n    user a insecure-password y\n    \
         group g\n    group g users a\n{BACKEND}"
    ));
    let has = |line: usize, text: &str| {
        c.warnings
            .iter()
            .any(|w| w.line == line && w.message.contains(text))
    };
    assert!(has(3, "ignoring duplicated user 'a' in userlist 'u'."));
    assert!(has(5, "ignoring duplicated group 'g' in userlist 'u'."));
    let u = &c.global.userlists[0];
    assert!(u.user("a").unwrap().password.matches("x"));
    // The ignored group line's members are ignored with it.
    assert!(u.user("a").unwrap().groups.is_empty());
}

#[test]
fn errors_name_the_line() {
    fails("userlist\n", 1, "'userlist' expects <name> as arguments.");
    fails("userlist u\n    group\n", 2, "'group' expects <name>");
    fails("userlist u\n    user\n", 2, "'user' expects <name>");
    fails(
        "userlist u\n    bogus x\n",
        2,
        "unknown keyword 'bogus' in 'users' section",
    );
    fails("userlist u\n    usr a\n", 2, "did you mean 'user'?");
    fails(
        "userlist u\n    group g members a\n",
        2,
        "'group' only supports 'users' option.",
    );
    fails(
        "userlist u\n    user a insecure-password x pass y\n",
        2,
        "'user' only supports 'password', 'insecure-password' and 'groups' options.",
    );
    fails("userlist u\n    user a\n", 2, "user 'a' has no 'password'");
    fails(
        "userlist u\n    user a password\n",
        2,
        "'password' expects a crypt(3) hash",
    );
    fails(
        "userlist u\n    user a password abJnggxhB/yWI\n",
        2,
        "DES crypt",
    );
    fails(
        "userlist u\n    user a password $9$x$y\n",
        2,
        "'$9$' is not supported",
    );
    fails(
        "userlist u\n    user a password $6$salt$short\n",
        2,
        "not a well-formed SHA-512-crypt",
    );
    fails(
        "userlist u\n    user a insecure-password x\nuserlist u\n",
        3,
        "userlist 'u' is already declared at line 1",
    );
}

#[test]
fn memberships_must_name_a_user_and_a_group_of_the_list() {
    fails(
        &format!("userlist u\n    group g users zz\n    user a insecure-password x\n{BACKEND}"),
        2,
        "userlist 'u': no such user 'zz' specified in group 'g'",
    );
    fails(
        &format!(
            "userlist u\n    group g\n    user a insecure-password x groups g,nope\n{BACKEND}"
        ),
        3,
        "userlist 'u': no such group 'nope' specified in user 'a'",
    );
    // A group of another list does not count.
    fails(
        &format!(
            "userlist u\n    group g\nuserlist v\n    user a insecure-password x groups g\n{BACKEND}"
        ),
        4,
        "no such group 'g' specified in user 'a'",
    );
    // Empty lists are allowed, as in HAProxy.
    ok(&format!(
        "userlist u\n    group g users\n    user a insecure-password x groups\n{BACKEND}"
    ));
}

#[test]
fn lines_after_a_refused_userlist_header_are_not_read_as_errors() {
    let e = parse_all_with_env(
        Path::new("u.cfg"),
        "userlist\n    user a insecure-password x\n    bogus\nbackend b\n    server s 127.0.0.1:80\n",
        &env,
    )
    .unwrap_err();
    assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
}
