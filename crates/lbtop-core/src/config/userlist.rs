//! `userlist` sections: users with a password or a crypt(3) hash, and groups of them, for
//! `http-request auth` and the `http_auth`/`http_auth_group` fetches
//! (docs/haproxy-semantics.md §26).

use crate::auth::crypt::CryptHash;
use crate::auth::{basic_credentials, same_secret};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Userlist {
    pub name: String,
    pub line: usize,
    /// In file order.
    pub groups: Vec<UserGroup>,
    /// In file order.
    pub users: Vec<User>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroup {
    pub name: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub line: usize,
    pub password: Password,
    /// Every group the user is in, whether the `user` line or a `group ... users` line said
    /// so, in the order of the `group` lines.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    /// `insecure-password <text>`.
    Insecure(String),
    /// `password <crypt(3) hash>`.
    Hash(CryptHash),
}

impl Password {
    /// Whether `given` is this password.
    pub fn matches(&self, given: &str) -> bool {
        match self {
            Password::Insecure(p) => same_secret(p.as_bytes(), given.as_bytes()),
            Password::Hash(h) => h.verify(given.as_bytes()),
        }
    }
}

impl Userlist {
    pub fn new(name: String, line: usize) -> Userlist {
        Userlist {
            name,
            line,
            groups: Vec::new(),
            users: Vec::new(),
        }
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The user an `Authorization` header value logs in as, if its Basic credentials name a
    /// user of this list with the right password (HAProxy's `http_auth(<userlist>)`).
    pub fn authenticate(&self, authorization: &[u8]) -> Option<&User> {
        let (name, password) = basic_credentials(authorization)?;
        self.user(&name).filter(|u| u.password.matches(&password))
    }
}

impl Userlist {
    /// The section as haproxy.cfg, for `lbtop export`: groups first (HAProxy needs nothing
    /// in that order, but a reader does), each user with its groups.
    pub(super) fn export(&self, out: &mut String) {
        use super::export::quote_word;
        use std::fmt::Write as _;
        let _ = writeln!(out, "userlist {}", self.name);
        for g in &self.groups {
            let _ = writeln!(out, "    group {}", quote_word(&g.name));
        }
        for u in &self.users {
            let password = match &u.password {
                Password::Insecure(p) => format!("insecure-password {}", quote_word(p)),
                Password::Hash(h) => format!("password {}", quote_word(&h.text)),
            };
            let _ = write!(out, "    user {} {password}", quote_word(&u.name));
            if !u.groups.is_empty() {
                let _ = write!(out, " groups {}", quote_word(&u.groups.join(",")));
            }
            out.push('\n');
        }
    }
}

impl User {
    /// `http_auth_group(<userlist>) <group>`: whether this user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Userlist {
        let mut l = Userlist::new("admins".into(), 1);
        l.users.push(User {
            name: "alice".into(),
            line: 2,
            password: Password::Hash(
                CryptHash::parse("$5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3")
                    .unwrap(),
            ),
            groups: vec!["ops".into()],
        });
        l.users.push(User {
            name: "bob".into(),
            line: 3,
            password: Password::Insecure("secret".into()),
            groups: Vec::new(),
        });
        l
    }

    #[test]
    fn basic_credentials_log_in_as_a_user_with_the_right_password() {
        let l = list();
        // alice:hunter2, bob:secret, bob:wrong, carol:secret
        let alice = l.authenticate(b"Basic YWxpY2U6aHVudGVyMg==").unwrap();
        assert_eq!(alice.name, "alice");
        assert!(alice.in_group("ops") && !alice.in_group("dev"));
        assert_eq!(
            l.authenticate(b"basic Ym9iOnNlY3JldA==").unwrap().name,
            "bob"
        );
        assert!(l.authenticate(b"Basic Ym9iOndyb25n").is_none());
        assert!(l.authenticate(b"Basic Y2Fyb2w6c2VjcmV0").is_none());
        assert!(l.authenticate(b"Digest x").is_none());
    }
}
