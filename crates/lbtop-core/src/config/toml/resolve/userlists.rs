//! `[[userlist]]`: HAProxy's `userlist` sections (docs/haproxy-semantics.md §26). Groups are
//! declared on the list and joined from the user's table; every name is used once.

use super::super::raw::{RawUser, RawUserlist};
use super::{Res, Resolver};
use crate::auth::crypt::CryptHash;
use crate::config::{Password, User, UserGroup, Userlist};
use std::collections::HashMap;
use toml::Spanned;

impl Resolver<'_> {
    /// Every `[[userlist]]` table, each name used once.
    pub(super) fn userlists(&self, raw: &[Spanned<RawUserlist>]) -> Res<Vec<Userlist>> {
        let mut seen = HashMap::new();
        let mut out = Vec::with_capacity(raw.len());
        for u in raw {
            self.name(&u.get_ref().name, "userlist")?;
            self.unique(&mut seen, &u.get_ref().name, "userlist")?;
            out.push(self.one_userlist(u)?);
        }
        Ok(out)
    }

    fn one_userlist(&self, raw: &Spanned<RawUserlist>) -> Res<Userlist> {
        let u = raw.get_ref();
        let who = format!("userlist '{}'", u.name.get_ref());
        let mut out = Userlist::new(u.name.get_ref().clone(), self.line(raw.span().start));
        let mut seen = HashMap::new();
        for g in &u.groups {
            self.unique(&mut seen, g, &format!("{who}: group"))?;
            out.groups.push(UserGroup {
                name: g.get_ref().clone(),
                line: self.line(g.span().start),
            });
        }
        let mut seen = HashMap::new();
        for user in &u.user {
            self.unique(&mut seen, &user.get_ref().name, &format!("{who}: user"))?;
            let one = self.one_user(user, &who, &out.groups)?;
            out.users.push(one);
        }
        Ok(out)
    }

    fn one_user(&self, raw: &Spanned<RawUser>, who: &str, groups: &[UserGroup]) -> Res<User> {
        let u = raw.get_ref();
        let name = u.name.get_ref();
        let who = format!("{who}: user '{name}'");
        let password = match (&u.password, &u.insecure_password) {
            (Some(hash), None) => Password::Hash(
                CryptHash::parse(hash.get_ref())
                    .map_err(|m| self.at(hash, format!("{who}: {m}")))?,
            ),
            (None, Some(text)) => Password::Insecure(text.get_ref().clone()),
            (Some(_), Some(text)) => {
                return Err(self.at(
                    text,
                    format!("{who}: 'password' and 'insecure-password' exclude each other"),
                ))
            }
            (None, None) => {
                return Err(self.at(
                    &u.name,
                    format!("{who} needs 'password' (a crypt(3) hash) or 'insecure-password'"),
                ))
            }
        };
        let mut mine = Vec::new();
        for g in &u.groups {
            if !groups.iter().any(|x| x.name == *g.get_ref()) {
                return Err(self.at(
                    g,
                    format!(
                        "{who}: no such group '{}' (list it in the userlist's 'groups')",
                        g.get_ref()
                    ),
                ));
            }
            if !mine.contains(g.get_ref()) {
                mine.push(g.get_ref().clone());
            }
        }
        mine.sort_by_key(|g| groups.iter().position(|x| x.name == *g));
        Ok(User {
            name: name.clone(),
            line: self.line(raw.span().start),
            password,
            groups: mine,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Password};
    use std::path::Path;

    const BACKEND: &str = "\n[[backend]]\nname = \"b\"\n\n[[backend.server]]\nname = \"s\"\naddress = \"127.0.0.1:80\"\n";

    fn parse(text: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(Path::new("u.toml"), &format!("{text}{BACKEND}"))
    }

    #[test]
    fn userlist_tables_are_haproxy_userlists() {
        let c = parse(
            r#"
[[userlist]]
name = "admins"
groups = ["ops", "dev"]

[[userlist.user]]
name = "alice"
password = "$5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3"
groups = ["dev", "ops"]

[[userlist.user]]
name = "bob"
insecure-password = "secret"
"#,
        )
        .unwrap();
        let l = &c.global.userlists[0];
        assert_eq!((l.name.as_str(), l.line), ("admins", 2));
        let alice = l.user("alice").unwrap();
        assert_eq!(alice.groups, ["ops", "dev"]);
        assert!(alice.password.matches("hunter2"));
        assert_eq!(
            l.user("bob").unwrap().password,
            Password::Insecure("secret".into())
        );
        // The same list written as haproxy.cfg reads back the same.
        let back = Config::parse(Path::new("e.cfg"), &c.to_haproxy_cfg()).unwrap();
        let mut want = c.global.userlists.clone();
        want[0].line = back.global.userlists[0].line;
        for (w, b) in want[0]
            .groups
            .iter_mut()
            .zip(&back.global.userlists[0].groups)
        {
            w.line = b.line;
        }
        for (w, b) in want[0]
            .users
            .iter_mut()
            .zip(&back.global.userlists[0].users)
        {
            w.line = b.line;
        }
        assert_eq!(back.global.userlists, want);
    }

    #[test]
    fn userlist_errors_name_the_line() {
        let fails = |text: &str, line: usize, want: &str| {
            let e = parse(text).map(|_| ()).unwrap_err();
            assert_eq!(e.line, line, "{e}");
            assert!(e.message.contains(want), "{e} does not mention {want:?}");
        };
        fails(
            "[[userlist]]\nname = \"u\"\n[[userlist.user]]\nname = \"a\"\n",
            4,
            "user 'a' needs 'password'",
        );
        fails(
            "[[userlist]]\nname = \"u\"\n[[userlist.user]]\nname = \"a\"\npassword = \"abJnggxhB/yWI\"\n",
            5,
            "DES crypt",
        );
        fails(
            "[[userlist]]\nname = \"u\"\n[[userlist.user]]\nname = \"a\"\ninsecure-password = \"x\"\ngroups = [\"nope\"]\n",
            6,
            "no such group 'nope'",
        );
        fails(
            "[[userlist]]\nname = \"u\"\n[[userlist.user]]\nname = \"a\"\ninsecure-password = \"x\"\n[[userlist.user]]\nname = \"a\"\ninsecure-password = \"y\"\n",
            7,
            "user 'a' is already defined at line 4",
        );
        fails(
            "[[userlist]]\nname = \"u\"\n[[userlist]]\nname = \"u\"\n",
            4,
            "userlist 'u' is already defined",
        );
    }
}
