//! `userlist <name>` sections: `group <name> [users a,b]` and `user <name> [password <hash> |
//! insecure-password <text>] [groups g1,g2]`, as HAProxy 2.6 reads them
//! (docs/haproxy-semantics.md §26). A group may list its users and a user its groups, in any
//! order: the memberships are checked and folded into each user when the file is read.

use super::table::{find, names, suggest, Args, Row, Sections, Status, Stmt};
use super::{Parser, Res};
use crate::auth::crypt::CryptHash;
use crate::config::{Password, User, UserGroup, Userlist};

/// How a `userlist` keyword is read into its section.
type UserlistFn = fn(&mut Userlist, &Stmt) -> Result<Read, String>;

/// What a `userlist` line asked for besides its user or group.
#[derive(Default)]
struct Read {
    /// Loads with this warning.
    warning: Option<String>,
    /// `(group, user)` memberships, checked at the end.
    members: Vec<(String, String)>,
}

/// A membership a `group ... users` or `user ... groups` line asked for, checked at the end.
pub(super) struct Member {
    list: usize,
    group: String,
    user: String,
    line: usize,
    /// Said on the group's line (else on the user's): which one an error blames.
    by_group: bool,
}

const fn kw(name: &'static str, how: UserlistFn) -> Row<UserlistFn> {
    Row {
        name,
        args: Args::Any,
        // Only ever looked up in a userlist section.
        sections: Sections::GLOBAL,
        status: Status::Implemented,
        how,
    }
}

/// The keywords of a `userlist` section.
static USERLIST: &[Row<UserlistFn>] = &[kw("group", group), kw("user", user)];

/// The words of a comma-separated list (`a,b`), empty ones left out as HAProxy does.
fn list(words: &str) -> impl Iterator<Item = &str> {
    words.split(',').filter(|w| !w.is_empty())
}

fn group(u: &mut Userlist, st: &Stmt) -> Result<Read, String> {
    let Some(name) = st.args.first().filter(|n| !n.is_empty()) else {
        return Err("'group' expects <name> as arguments.".into());
    };
    let mut users = Vec::new();
    let mut rest = &st.args[1..];
    while let [option, tail @ ..] = rest {
        if option != "users" {
            return Err("'group' only supports 'users' option.".into());
        }
        users.extend(
            tail.first()
                .map(|w| list(w).map(String::from).collect::<Vec<_>>()),
        );
        rest = tail.get(1..).unwrap_or(&[]);
    }
    if u.groups.iter().any(|g| g.name == *name) {
        return Ok(Read {
            warning: Some(format!(
                "ignoring duplicated group '{name}' in userlist '{}'.",
                u.name
            )),
            members: Vec::new(),
        });
    }
    u.groups.push(UserGroup {
        name: name.clone(),
        line: st.no,
    });
    Ok(Read {
        warning: None,
        members: (users.into_iter().flatten())
            .map(|user| (name.clone(), user))
            .collect(),
    })
}

fn user(u: &mut Userlist, st: &Stmt) -> Result<Read, String> {
    let Some(name) = st.args.first().filter(|n| !n.is_empty()) else {
        return Err("'user' expects <name> as arguments.".into());
    };
    let mut password = None;
    let mut groups = Vec::new();
    let mut rest = &st.args[1..];
    while let [option, tail @ ..] = rest {
        let value = tail.first().map_or("", String::as_str);
        match option.as_str() {
            "password" => password = Some(Password::Hash(hash(name, value)?)),
            "insecure-password" => password = Some(Password::Insecure(value.to_string())),
            "groups" => groups.extend(list(value).map(String::from)),
            _ => {
                return Err(
                    "'user' only supports 'password', 'insecure-password' and 'groups' options."
                        .into(),
                )
            }
        }
        rest = tail.get(1..).unwrap_or(&[]);
    }
    let Some(password) = password else {
        return Err(format!(
            "user '{name}' has no 'password' or 'insecure-password' (HAProxy 2.6 loads such a \
             user, then drops the connection of any request that logs in as it)"
        ));
    };
    if u.user(name).is_some() {
        return Ok(Read {
            warning: Some(format!(
                "ignoring duplicated user '{name}' in userlist '{}'.",
                u.name
            )),
            members: Vec::new(),
        });
    }
    u.users.push(User {
        name: name.clone(),
        line: st.no,
        password,
        groups: Vec::new(),
    });
    Ok(Read {
        warning: None,
        members: groups.into_iter().map(|g| (g, name.clone())).collect(),
    })
}

/// `password <hash>`: a hash lbtop can check.
fn hash(user: &str, text: &str) -> Result<CryptHash, String> {
    if text.is_empty() {
        return Err(format!("user '{user}': 'password' expects a crypt(3) hash"));
    }
    CryptHash::parse(text).map_err(|m| format!("user '{user}': {m}"))
}

impl Parser<'_> {
    /// `userlist <name>`: a new section, read by [`Parser::userlist_statement`].
    pub(super) fn open_userlist(&mut self, no: usize, args: &[String]) -> Res<usize> {
        let [name] = args else {
            return Err(self.err(no, "'userlist' expects <name> as arguments."));
        };
        if let Some(u) = self.global.userlists.iter().find(|u| u.name == *name) {
            // HAProxy warns and adds the lines that follow to whichever list it read last.
            return Err(self.err(
                no,
                format!(
                    "userlist '{name}' is already declared at line {}: lbtop takes one section \
                     per name",
                    u.line
                ),
            ));
        }
        self.global.userlists.push(Userlist::new(name.clone(), no));
        Ok(self.global.userlists.len() - 1)
    }

    pub(super) fn userlist_statement(&mut self, no: usize, i: usize, w: &[String]) -> Res<()> {
        let kw = w[0].as_str();
        let st = Stmt {
            no,
            kw,
            args: &w[1..],
        };
        let Some(row) = find(USERLIST, kw) else {
            return Err(self.err(
                no,
                format!(
                    "unknown keyword '{kw}' in 'users' section{}",
                    suggest(kw, &names(USERLIST))
                ),
            ));
        };
        let read = (row.how)(&mut self.global.userlists[i], &st).map_err(|m| {
            let list = &self.global.userlists[i].name;
            self.err(no, format!("userlist '{list}': {m}"))
        })?;
        self.members
            .extend(read.members.into_iter().map(|(group, user)| Member {
                list: i,
                group,
                user,
                line: no,
                by_group: kw == "group",
            }));
        if let Some(w) = read.warning {
            self.warn(no, w);
        }
        Ok(())
    }

    /// Every membership names a group and a user of its list (HAProxy checks this after
    /// reading); each user then knows its groups, in the order of the `group` lines.
    pub(super) fn check_userlists(&mut self) {
        for m in std::mem::take(&mut self.members) {
            let list = &self.global.userlists[m.list];
            let found_group = list.groups.iter().any(|g| g.name == m.group);
            let found_user = list.user(&m.user).is_some();
            let missing = match (found_group, found_user, m.by_group) {
                (_, false, true) => Some(format!(
                    "userlist '{}': no such user '{}' specified in group '{}'",
                    list.name, m.user, m.group
                )),
                (false, _, false) => Some(format!(
                    "userlist '{}': no such group '{}' specified in user '{}'",
                    list.name, m.group, m.user
                )),
                _ => None,
            };
            if let Some(message) = missing {
                let e = self.err(m.line, message);
                self.errors.push(e);
                continue;
            }
            let list = &mut self.global.userlists[m.list];
            if let Some(u) = list.users.iter_mut().find(|u| u.name == m.user) {
                if !u.groups.contains(&m.group) {
                    u.groups.push(m.group);
                }
            }
        }
        for list in &mut self.global.userlists {
            let order: Vec<String> = list.groups.iter().map(|g| g.name.clone()).collect();
            for u in &mut list.users {
                u.groups
                    .sort_by_key(|g| order.iter().position(|o| o == g).unwrap_or(usize::MAX));
            }
        }
    }
}
