//! A backend's stick table at run time (docs/haproxy-semantics.md §24): keys taken from
//! requests by the `stick` rules, each naming the server that last served it, forgotten after
//! `expire` without use; a full table forgets its least recently used entry (or, with
//! `nopurge`, takes no new one).

use crate::config::acl::Cond;
use crate::config::{Backend, Fetch, KeyType, StickWhen};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct StickRt {
    key: KeyType,
    size: usize,
    expire: Option<Duration>,
    nopurge: bool,
    /// `option persist`: an entry naming a DOWN server still sends the request there.
    persist: bool,
    rules: Vec<(StickWhen, Fetch)>,
    /// What each rule reads, in rule order.
    fetches: Vec<Fetch>,
    /// Each rule's `if`/`unless`, in rule order.
    conds: Vec<Option<Cond>>,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    entries: HashMap<Box<[u8]>, Entry>,
    /// Entries by last use, oldest first.
    by_use: BTreeMap<u64, Box<[u8]>>,
    uses: u64,
}

struct Entry {
    server: usize,
    used: u64,
    touched: Instant,
}

/// What a request offers the rules: its client's address, and for each rule the value of
/// the header or cookie it reads (`None` for `src`, or when the request has none).
pub struct Sample<'a> {
    pub src: IpAddr,
    pub values: &'a [Option<Vec<u8>>],
    /// Bit `i` set: rule `i`'s condition does not hold for this request (see
    /// [`StickRt::skipped`]).
    pub skip: u64,
}

impl StickRt {
    pub fn new(cfg: &Backend) -> Option<StickRt> {
        let t = cfg.stick_table.as_ref()?;
        Some(StickRt {
            key: t.key,
            size: t.size as usize,
            expire: t.expire,
            nopurge: t.nopurge,
            persist: cfg.options.persist,
            rules: cfg
                .stick_rules
                .iter()
                .map(|r| (r.when, r.fetch.clone()))
                .collect(),
            fetches: cfg.stick_rules.iter().map(|r| r.fetch.clone()).collect(),
            conds: cfg.stick_rules.iter().map(|r| r.cond.clone()).collect(),
            table: Mutex::default(),
        })
    }

    /// The rules whose condition does not hold, by `holds`, as [`Sample::skip`] wants them
    /// (the config takes at most 64 rules).
    pub fn skipped(&self, holds: impl Fn(&Cond) -> bool) -> u64 {
        self.conds
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| !holds(c)))
            .fold(0, |m, (i, _)| m | 1 << i)
    }

    /// What the rules read, in rule order: what the request head is searched for.
    pub fn fetches(&self) -> &[Fetch] {
        &self.fetches
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key_of(&self, rule: usize, s: &Sample<'_>) -> Option<Box<[u8]>> {
        if rule < 64 && s.skip & (1 << rule) != 0 {
            return None;
        }
        let value = match &self.rules[rule].1 {
            Fetch::Src => return convert_ip(self.key, s.src),
            _ => s.values.get(rule)?.as_deref()?,
        };
        convert_text(self.key, value)
    }

    /// The server the first `stick on`/`stick match` rule with a live entry names, if `up`
    /// says it may take the request (or `option persist`).
    pub fn lookup(&self, s: &Sample<'_>, up: impl Fn(usize) -> bool) -> Option<usize> {
        let now = Instant::now();
        for (i, (when, _)) in self.rules.iter().enumerate() {
            if !when.matches() {
                continue;
            }
            let Some(key) = self.key_of(i, s) else {
                continue;
            };
            let found = {
                let mut t = self.table();
                t.live(&key, self.expire, now).map(|e| e.server)
            };
            if let Some(server) = found.filter(|&sv| self.persist || up(sv)) {
                return Some(server);
            }
        }
        None
    }

    /// Notes that the request went to `server`, under the key of the first storing rule that
    /// has one (one table, one entry per request, as HAProxy stores it).
    pub fn store(&self, s: &Sample<'_>, server: usize) {
        let now = Instant::now();
        let key = (0..self.rules.len())
            .filter(|&i| self.rules[i].0.stores())
            .find_map(|i| self.key_of(i, s));
        let Some(key) = key else {
            return;
        };
        let mut t = self.table();
        t.forget_expired(self.expire, now);
        if !t.entries.contains_key(&key) && t.entries.len() >= self.size {
            if self.nopurge {
                return;
            }
            t.forget_oldest();
        }
        t.put(key, server, now);
    }
}

impl Table {
    fn live(&mut self, key: &[u8], expire: Option<Duration>, now: Instant) -> Option<&Entry> {
        let stale = self
            .entries
            .get(key)
            .is_some_and(|e| expire.is_some_and(|x| now.duration_since(e.touched) >= x));
        if stale {
            if let Some(e) = self.entries.remove(key) {
                self.by_use.remove(&e.used);
            }
        }
        self.entries.get(key)
    }

    fn forget_expired(&mut self, expire: Option<Duration>, now: Instant) {
        let Some(x) = expire else {
            return;
        };
        while let Some((_, key)) = self.by_use.first_key_value() {
            let old = self
                .entries
                .get(key)
                .is_some_and(|e| now.duration_since(e.touched) >= x);
            if !old {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, key)) = self.by_use.pop_first() {
            self.entries.remove(&key);
        }
    }

    fn put(&mut self, key: Box<[u8]>, server: usize, now: Instant) {
        self.uses += 1;
        let used = self.uses;
        if let Some(old) = self.entries.get(&key) {
            self.by_use.remove(&old.used);
        }
        self.by_use.insert(used, key.clone());
        self.entries.insert(
            key,
            Entry {
                server,
                used,
                touched: now,
            },
        );
    }
}

/// A client address as a key of the table's type.
fn convert_ip(key: KeyType, ip: IpAddr) -> Option<Box<[u8]>> {
    let v4 = match ip {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(a) => a.to_ipv4_mapped(),
    };
    Some(match key {
        KeyType::Ip => v4?.octets().into(),
        KeyType::Ipv6 => match ip {
            IpAddr::V4(a) => a.to_ipv6_mapped().octets().into(),
            IpAddr::V6(a) => a.octets().into(),
        },
        KeyType::Integer => u32::from(v4?).to_be_bytes().into(),
        KeyType::String { len } => {
            let text = ip.to_string().into_bytes();
            text[..text.len().min(len)].into()
        }
    })
}

/// A header or cookie value as a key of the table's type.
fn convert_text(key: KeyType, value: &[u8]) -> Option<Box<[u8]>> {
    match key {
        KeyType::String { len } => Some(value[..value.len().min(len)].into()),
        KeyType::Integer => {
            let text = std::str::from_utf8(value).ok()?.trim();
            Some(text.parse::<i64>().ok()?.to_be_bytes().into())
        }
        KeyType::Ip | KeyType::Ipv6 => {
            let ip: IpAddr = std::str::from_utf8(value).ok()?.trim().parse().ok()?;
            convert_ip(key, ip)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(size: usize, expire: Option<Duration>, nopurge: bool) -> StickRt {
        StickRt {
            key: KeyType::String { len: 32 },
            size,
            expire,
            nopurge,
            persist: false,
            rules: vec![(StickWhen::On, Fetch::Header("x".into()))],
            fetches: vec![Fetch::Header("x".into())],
            conds: vec![None],
            table: Mutex::default(),
        }
    }

    fn sample(v: &[Option<Vec<u8>>]) -> Sample<'_> {
        Sample {
            src: IpAddr::from([127, 0, 0, 1]),
            values: v,
            skip: 0,
        }
    }

    #[test]
    fn a_full_table_forgets_its_least_recently_used_entry() {
        let t = rt(2, None, false);
        let [a, b, c] = [b"a", b"b", b"c"].map(|k| vec![Some(k.to_vec())]);
        t.store(&sample(&a), 0);
        t.store(&sample(&b), 1);
        t.store(&sample(&a), 0);
        t.store(&sample(&c), 2);
        let up = |_| true;
        assert_eq!(t.lookup(&sample(&a), up), Some(0));
        assert_eq!(t.lookup(&sample(&b), up), None);
        assert_eq!(t.lookup(&sample(&c), up), Some(2));
        let full = rt(1, None, true);
        full.store(&sample(&a), 0);
        full.store(&sample(&b), 1);
        assert_eq!(full.lookup(&sample(&b), up), None);
        assert_eq!(full.lookup(&sample(&a), up), Some(0));
    }

    #[test]
    fn an_unused_entry_expires() {
        let t = rt(10, Some(Duration::ZERO), false);
        let a = vec![Some(b"a".to_vec())];
        t.store(&sample(&a), 0);
        assert_eq!(t.lookup(&sample(&a), |_| true), None);
    }

    #[test]
    fn keys_convert_as_the_table_types_them() {
        let ip = IpAddr::from([10, 0, 0, 1]);
        assert_eq!(&*convert_ip(KeyType::Ip, ip).unwrap(), &[10, 0, 0, 1]);
        assert_eq!(convert_ip(KeyType::Ipv6, ip).unwrap().len(), 16);
        assert_eq!(
            &*convert_text(KeyType::String { len: 2 }, b"abc").unwrap(),
            b"ab"
        );
        assert!(convert_text(KeyType::Integer, b"x").is_none());
        assert!(convert_text(KeyType::Ip, b"10.0.0.1").is_some());
    }
}
