//! `http_auth(<userlist>)` at run time: a request's `Authorization` value checked against a
//! userlist. A crypt hash (bcrypt, yescrypt, sha512crypt) is slow on purpose, and the check
//! runs on the connection's worker, so each distinct value is checked once and its outcome
//! kept (a bounded cache: full, it starts again empty). A value is a user's name and password,
//! so the same value always gets the same answer from an unchanging userlist.

use crate::config::{User, Userlist};
use std::collections::HashMap;
use std::sync::Mutex;

/// Values kept per userlist before the cache is emptied.
const KEPT: usize = 4096;

pub struct Auth {
    lists: Vec<Userlist>,
    /// Per list: `Authorization` value → the index of its user, or `None` for a refusal.
    seen: Vec<Mutex<HashMap<Vec<u8>, Option<usize>>>>,
}

impl Auth {
    pub fn new(lists: &[Userlist]) -> Auth {
        Auth {
            lists: lists.to_vec(),
            seen: lists.iter().map(|_| Mutex::default()).collect(),
        }
    }

    /// The user of list `name` whose credentials `header` holds, if the password is right.
    pub fn user(&self, name: &str, header: &[u8]) -> Option<&User> {
        let i = self.lists.iter().position(|l| l.name == name)?;
        let list = &self.lists[i];
        let known = self.seen[i].lock().ok()?.get(header).copied();
        let index = match known {
            Some(index) => index,
            None => {
                let found = list.authenticate(header);
                let index = found.and_then(|u| list.users.iter().position(|x| x == u));
                let mut seen = self.seen[i].lock().ok()?;
                if seen.len() >= KEPT {
                    seen.clear();
                }
                seen.insert(header.to_vec(), index);
                index
            }
        };
        list.users.get(index?)
    }
}
