//! Server selection, reproducing HAProxy's orders (docs/haproxy-semantics.md §2).
//!
//! The balancer only sees server positions and effective weights; weight 0 means "not usable"
//! (down, maintenance, drain or weight set to 0). Active and backup servers form two groups: backups
//! serve only when no active server is usable, and then only the first one unless `allbackups`.

mod hash;

use crate::config::{Balance, HashType};
use hash::{full_hash, hash, uri_hash, Ring};
pub use hash::{sdbm, source_hash};
use std::net::IpAddr;

/// HAProxy scales user weights by 16 internally; the orders depend on it.
const WEIGHT_SCALE: u32 = 16;
const EWEIGHT_MAX: u32 = 256 * WEIGHT_SCALE;

/// What a request offers to hash on.
#[derive(Debug, Clone, Copy, Default)]
pub struct PickKey<'a> {
    pub source: Option<IpAddr>,
    pub path: Option<&'a str>,
    /// The value of the `balance hdr(<name>)` header, when present.
    pub header: Option<&'a [u8]>,
    /// A server a `use-server` rule chose: taken whenever it is usable.
    pub forced: Option<usize>,
    /// `option prefer-last-server`: the server the client's kept connection goes to, taken
    /// while it is usable and has room.
    pub last: Option<usize>,
}

pub struct Balancer {
    algo: Balance,
    /// Effective weights, scaled by [`WEIGHT_SCALE`] as HAProxy's `eweight`.
    weights: Vec<u32>,
    backup: Vec<bool>,
    all_backups: bool,
    fwrr: [Fwrr; 2],
    map: StaticMap,
    hash_type: HashType,
    /// The consistent-hash ring, rebuilt with the map.
    ring: Ring,
    least: Vec<usize>,
    rng: u64,
}

impl Balancer {
    /// `servers` gives each server's (weight, backup) in configuration order; all start usable
    /// unless their weight is 0.
    pub fn new(algo: Balance, servers: &[(u32, bool)], all_backups: bool) -> Balancer {
        let n = servers.len();
        let mut b = Balancer {
            algo,
            weights: vec![0; n],
            backup: servers.iter().map(|s| s.1).collect(),
            all_backups,
            fwrr: [Fwrr::new(n), Fwrr::new(n)],
            map: StaticMap::default(),
            hash_type: HashType::default(),
            ring: Ring::default(),
            least: (0..n).collect(),
            rng: 0x9E37_79B9_7F4A_7C15,
        };
        for (i, &(w, _)) in servers.iter().enumerate() {
            b.set_weight(i, w);
        }
        // The first window opens now, as HAProxy opens it when it loads: a server that comes
        // back before the first pick is placed against it.
        for group in &mut b.fwrr {
            group.cw = group.nw;
            group.pos = group.nw;
        }
        b
    }

    /// Uses `hash_type` for `source`, `uri` and `hdr`.
    pub fn with_hash(mut self, hash_type: HashType) -> Balancer {
        self.hash_type = hash_type;
        self.map.dirty = true;
        self
    }

    /// Changes a server's effective weight; 0 takes it out of rotation.
    pub fn set_weight(&mut self, server: usize, weight: u32) {
        self.set_eweight(server, weight * WEIGHT_SCALE);
    }

    /// Changes a server's effective weight in HAProxy's scaled units (a user weight times
    /// [`WEIGHT_SCALE`], less while it warms up after `slowstart`); 0 takes it out of rotation.
    pub fn set_eweight(&mut self, server: usize, eweight: u32) {
        let old = self.weights[server];
        if old == eweight {
            return;
        }
        self.weights[server] = eweight;
        let group = &mut self.fwrr[usize::from(self.backup[server])];
        match (old, eweight) {
            (0, _) => group.add(server, eweight, !group.started()),
            (_, 0) => group.remove(server, old),
            _ => group.reweigh(server, eweight),
        }
        // Leastconn requeues a server whose weight changed behind the others of equal load.
        if eweight > 0 {
            self.least.retain(|&i| i != server);
            self.least.push(server);
        }
        self.map.dirty = true;
    }

    /// Whether this algorithm follows weight changes as they happen (HAProxy's dynamic
    /// algorithms), and so ramps a server up during `slowstart`. `static-rr` and the map-based
    /// hashes build a fixed map and take a server at its full weight.
    pub fn ramps(&self) -> bool {
        match self.algo {
            Balance::StaticRr => false,
            Balance::Source | Balance::Uri | Balance::Hdr => self.hash_type.consistent,
            Balance::RoundRobin | Balance::LeastConn | Balance::First | Balance::Random => true,
        }
    }

    /// Whether any server is usable.
    pub fn any_usable(&self) -> bool {
        self.weights.iter().any(|&w| w > 0)
    }

    /// Whether server `i` is usable (UP, or going down, with a weight).
    pub fn usable(&self, i: usize) -> bool {
        self.weights.get(i).is_some_and(|&w| w > 0)
    }

    /// HAProxy's `nbsrv`: the usable active servers, or without any, the usable backups
    /// (only the first of them serves unless `option allbackups`).
    pub fn usable_count(&self) -> u32 {
        let count = |backup: bool| {
            let group = |&(w, b): &(&u32, &bool)| *w > 0 && *b == backup;
            self.weights.iter().zip(&self.backup).filter(group).count() as u32
        };
        match (count(false), count(true)) {
            (0, b) if b > 0 && !self.all_backups => 1,
            (0, b) => b,
            (a, _) => a,
        }
    }

    /// Picks a server. `busy(i)` reports servers at their connection limit, which are skipped;
    /// `load(i)` is the server's current sessions, for leastconn and random.
    pub fn pick(
        &mut self,
        key: PickKey<'_>,
        busy: &dyn Fn(usize) -> bool,
        load: &dyn Fn(usize) -> u64,
    ) -> Option<usize> {
        let use_backup = !self.group_usable(false);
        if use_backup && !self.all_backups {
            return self.first_backup(busy);
        }
        let in_group = |b: &Balancer, i: usize| b.backup[i] == use_backup && b.weights[i] > 0;
        match self.algo {
            Balance::RoundRobin => self.fwrr[usize::from(use_backup)].next(busy),
            Balance::StaticRr => self.static_rr(use_backup, busy),
            Balance::LeastConn => self.least_conn(use_backup, busy, load),
            Balance::First => (0..self.weights.len()).find(|&i| in_group(self, i) && !busy(i)),
            Balance::Source => match key.source {
                Some(ip) => self.hashed(use_backup, source_hash(ip)),
                None => self.fwrr[usize::from(use_backup)].next(busy),
            },
            Balance::Uri => match key.path {
                Some(path) => self.hashed(use_backup, uri_hash(path, self.hash_type.function)),
                None => self.fwrr[usize::from(use_backup)].next(busy),
            },
            Balance::Random => self.random(use_backup, busy, load),
            // An absent header falls back to round robin, as in HAProxy.
            Balance::Hdr => match key.header {
                Some(value) => self.hashed(use_backup, hash(self.hash_type.function, value)),
                None => self.fwrr[usize::from(use_backup)].next(busy),
            },
        }
    }

    fn group_usable(&self, backup: bool) -> bool {
        (0..self.weights.len()).any(|i| self.backup[i] == backup && self.weights[i] > 0)
    }

    fn first_backup(&self, busy: &dyn Fn(usize) -> bool) -> Option<usize> {
        let first = (0..self.weights.len()).find(|&i| self.backup[i] && self.weights[i] > 0)?;
        (!busy(first)).then_some(first)
    }

    fn static_rr(&mut self, backup: bool, busy: &dyn Fn(usize) -> bool) -> Option<usize> {
        self.refresh_map(backup);
        let len = self.map.slots.len();
        for _ in 0..len {
            let server = self.map.slots[self.map.next % len];
            self.map.next = (self.map.next + 1) % len;
            if !busy(server) {
                return Some(server);
            }
        }
        None
    }

    /// The server for a key's hash (mixed first with `avalanche`): `consistent` looks it up on
    /// the ring, map-based takes it modulo the map.
    fn hashed(&mut self, backup: bool, hash: u32) -> Option<usize> {
        self.refresh_map(backup);
        let hash = if self.hash_type.avalanche {
            full_hash(hash)
        } else {
            hash
        };
        if self.hash_type.consistent {
            return self.ring.lookup(hash);
        }
        let len = self.map.slots.len();
        if len == 0 {
            return None;
        }
        Some(self.map.slots[hash as usize % len])
    }

    fn refresh_map(&mut self, backup: bool) {
        if self.map.dirty || self.map.backup != backup {
            let weights: Vec<u32> = (0..self.weights.len())
                .map(|i| {
                    if self.backup[i] == backup {
                        self.weights[i]
                    } else {
                        0
                    }
                })
                .collect();
            self.map.rebuild(&weights);
            self.map.backup = backup;
            if self.hash_type.consistent {
                self.ring = Ring::build(&weights);
            }
        }
    }

    fn least_conn(
        &mut self,
        backup: bool,
        busy: &dyn Fn(usize) -> bool,
        load: &dyn Fn(usize) -> u64,
    ) -> Option<usize> {
        // HAProxy's key: 0 when idle, else (sessions+1)*4096/eweight; equal keys rotate.
        let key = |i: usize| match load(i) {
            0 => 0,
            n => (n + 1) * u64::from(EWEIGHT_MAX) / u64::from(self.weights[i]),
        };
        let (pos, _) = self
            .least
            .iter()
            .enumerate()
            .filter(|&(_, &i)| self.backup[i] == backup && self.weights[i] > 0 && !busy(i))
            .min_by_key(|&(pos, &i)| (key(i), pos))?;
        let server = self.least.remove(pos);
        self.least.push(server);
        Some(server)
    }

    fn random(
        &mut self,
        backup: bool,
        busy: &dyn Fn(usize) -> bool,
        load: &dyn Fn(usize) -> u64,
    ) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.weights.len())
            .filter(|&i| self.backup[i] == backup && self.weights[i] > 0 && !busy(i))
            .collect();
        let total: u64 = candidates.iter().map(|&i| u64::from(self.weights[i])).sum();
        if total == 0 {
            return None;
        }
        // Two weighted draws; the less loaded relative to its weight wins (random(2)).
        let mut draw = || {
            let mut at = self.next_random() % total;
            for &i in &candidates {
                let w = u64::from(self.weights[i]);
                if at < w {
                    return i;
                }
                at -= w;
            }
            candidates[candidates.len() - 1]
        };
        let (a, b) = (draw(), draw());
        let score = |i: usize| load(i) * 256 * u64::from(WEIGHT_SCALE) / u64::from(self.weights[i]);
        Some(if score(b) < score(a) { b } else { a })
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: plenty for spreading load, and deterministic in tests.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// HAProxy's "fast weighted round robin" for one group (active or backup).
struct Fwrr {
    /// Position in the current window.
    pos: u32,
    /// Total weight of the current window.
    cw: u32,
    /// Total weight of usable servers, for the next window.
    nw: u32,
    npos: Vec<u32>,
    /// Where the server last took its turn, to move its next one when its weight changes.
    lpos: Vec<u32>,
    rem: Vec<u32>,
    ew: Vec<u32>,
    /// Servers not picked yet in this cycle, heaviest first.
    init: Vec<usize>,
    /// Servers scheduled in this window, by position.
    cur: Vec<(u64, usize)>,
    /// Servers pushed to the next window, heaviest first.
    next: Vec<usize>,
}

impl Fwrr {
    fn new(n: usize) -> Fwrr {
        Fwrr {
            pos: 0,
            cw: 0,
            nw: 0,
            npos: vec![0; n],
            lpos: vec![0; n],
            rem: vec![0; n],
            ew: vec![0; n],
            init: Vec::new(),
            cur: Vec::new(),
            next: Vec::new(),
        }
    }

    fn started(&self) -> bool {
        self.cw != 0
    }

    /// A server becomes usable. Before the first pick, it simply joins the initial order.
    fn add(&mut self, s: usize, ew: u32, at_start: bool) {
        self.ew[s] = ew;
        self.nw += ew;
        if at_start {
            insert_by_weight(&mut self.init, s, &self.ew);
            return;
        }
        self.npos[s] = self.pos + (self.nw + self.cw - self.pos.min(self.nw + self.cw)) / ew;
        self.queue(s);
    }

    fn remove(&mut self, s: usize, ew: u32) {
        self.init.retain(|&i| i != s);
        self.next.retain(|&i| i != s);
        self.cur.retain(|&(_, i)| i != s);
        self.nw -= ew;
        self.ew[s] = 0;
    }

    /// A usable server's weight changes. Still waiting for its first turn, it only moves in
    /// the initial order; otherwise its next turn is recomputed from its last one at the new
    /// step, never later than it was, and not before the next two positions.
    fn reweigh(&mut self, s: usize, ew: u32) {
        self.nw = self.nw - self.ew[s] + ew;
        self.ew[s] = ew;
        if let Some(at) = self.init.iter().position(|&i| i == s) {
            self.init.remove(at);
            insert_by_weight(&mut self.init, s, &self.ew);
            return;
        }
        if let Some(at) = self.next.iter().position(|&i| i == s) {
            self.next.remove(at);
            self.npos[s] += self.cw;
        }
        self.cur.retain(|&(_, i)| i != s);
        let prev = self.npos[s];
        let step = self.nw / ew;
        self.npos[s] = (self.lpos[s] + step).min(prev);
        self.rem[s] = 0;
        if self.npos[s] < self.pos + 2 {
            self.npos[s] = self.pos + step;
        }
        self.queue(s);
    }

    fn next(&mut self, busy: &dyn Fn(usize) -> bool) -> Option<usize> {
        if self.cw == 0 {
            self.cw = self.nw;
            self.pos = self.nw;
        }
        let mut skipped = Vec::new();
        let mut switched = false;
        let chosen = loop {
            let Some(s) = self.take() else {
                if switched {
                    break None;
                }
                switched = true;
                std::mem::swap(&mut self.init, &mut self.next);
                self.cw = self.nw;
                self.pos = self.cw;
                continue;
            };
            self.advance(s);
            if !busy(s) {
                break Some(s);
            }
            skipped.push(s);
        };
        if let Some(s) = chosen {
            self.queue(s);
        }
        for s in skipped {
            self.queue(s);
        }
        chosen
    }

    /// Removes and returns the server due now: the current window's head if its turn has come,
    /// else the heaviest server not yet started, else the head anyway.
    fn take(&mut self) -> Option<usize> {
        let head_due = self
            .cur
            .first()
            .is_some_and(|&(_, s)| self.npos[s] <= self.pos);
        if !head_due && !self.init.is_empty() {
            let s = self.init.remove(0);
            self.npos[s] = 0;
            self.rem[s] = 0;
            return Some(s);
        }
        if self.cur.is_empty() {
            return None;
        }
        Some(self.cur.remove(0).1)
    }

    fn advance(&mut self, s: usize) {
        let ew = self.ew[s];
        if self.npos[s] == 0 {
            self.npos[s] = self.pos;
        }
        self.lpos[s] = self.npos[s];
        self.npos[s] += self.nw / ew;
        self.rem[s] += self.nw % ew;
        if self.rem[s] >= ew {
            self.rem[s] -= ew;
            self.npos[s] += 1;
        }
        self.pos += 1;
    }

    fn queue(&mut self, s: usize) {
        if self.npos[s] >= 2 * self.cw || self.npos[s] >= self.cw + self.nw {
            self.npos[s] = self.npos[s].saturating_sub(self.cw);
            insert_by_weight(&mut self.next, s, &self.ew);
        } else {
            let key = 256 * u64::from(self.npos[s])
                + u64::from((EWEIGHT_MAX + self.rem[s] - self.ew[s]) / WEIGHT_SCALE);
            let at = self.cur.partition_point(|&(k, _)| k <= key);
            self.cur.insert(at, (key, s));
        }
    }
}

/// Heaviest first; equal weights keep arrival order.
fn insert_by_weight(set: &mut Vec<usize>, s: usize, ew: &[u32]) {
    let at = set.partition_point(|&i| ew[i] >= ew[s]);
    set.insert(at, s);
}

/// The static map behind `static-rr` and the map-based hashes.
#[derive(Default)]
struct StaticMap {
    slots: Vec<usize>,
    next: usize,
    dirty: bool,
    backup: bool,
}

impl StaticMap {
    fn rebuild(&mut self, weights: &[u32]) {
        self.dirty = false;
        self.slots.clear();
        let g = weights.iter().copied().filter(|&w| w > 0).fold(0, gcd);
        if g == 0 {
            return;
        }
        let w: Vec<i64> = weights.iter().map(|&x| i64::from(x / g)).collect();
        let total: i64 = w.iter().sum();
        let mut score = vec![0i64; w.len()];
        for _ in 0..total {
            let mut best: Option<(i64, usize)> = None;
            for i in (0..w.len()).filter(|&i| w[i] > 0) {
                score[i] += w[i];
                let v = (score[i] + total).div_euclid(total);
                if best.is_none_or(|(bv, _)| v > bv) {
                    best = Some((v, i));
                }
            }
            let (_, winner) = best.expect("some server has weight");
            score[winner] -= total;
            self.slots.push(winner);
        }
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(algo: Balance, weights: &[u32], n: usize) -> String {
        let servers: Vec<(u32, bool)> = weights.iter().map(|&w| (w, false)).collect();
        let mut b = Balancer::new(algo, &servers, false);
        (0..n)
            .map(|_| {
                let s = b.pick(PickKey::default(), &|_| false, &|_| 0).unwrap();
                (b'a' + s as u8) as char
            })
            .collect()
    }

    /// A server back from DOWN at 1/16 of its weight (`slowstart`) gets one pick in 17 under
    /// roundrobin, then its share as the weight grows; static maps ignore the ramp.
    #[test]
    fn scaled_weights_set_the_share() {
        let mut b = Balancer::new(Balance::RoundRobin, &[(1, false), (1, false)], false);
        b.set_eweight(1, 0);
        b.pick(PickKey::default(), &|_| false, &|_| 0);
        b.set_eweight(1, 1);
        let picks = |b: &mut Balancer, n| {
            (0..n)
                .filter(|_| b.pick(PickKey::default(), &|_| false, &|_| 0) == Some(1))
                .count()
        };
        // It joins at the end of the current window, then takes its place in each one.
        picks(&mut b, 17);
        assert_eq!(picks(&mut b, 17 * 4), 4);
        b.set_eweight(1, 16);
        assert_eq!(picks(&mut b, 32), 16);
        assert!(b.ramps());
        let static_rr = Balancer::new(Balance::StaticRr, &[(1, false)], false);
        assert!(!static_rr.ramps());
        let map = Balancer::new(Balance::Source, &[(1, false)], false);
        assert!(!map.ramps());
    }

    #[test]
    fn roundrobin_matches_haproxy_orders() {
        assert_eq!(order(Balance::RoundRobin, &[3, 1], 8), "aaabaaab");
        assert_eq!(order(Balance::RoundRobin, &[2, 3], 5), "bbaba");
        assert_eq!(
            order(Balance::RoundRobin, &[5, 2, 1], 16),
            "aabaacab".repeat(2)
        );
        assert_eq!(
            order(Balance::RoundRobin, &[1, 2, 3], 12),
            "cbcacb".repeat(2)
        );
        assert_eq!(
            order(Balance::RoundRobin, &[7, 3, 2], 24),
            "aabacabaaabc".repeat(2)
        );
        assert_eq!(order(Balance::RoundRobin, &[1, 1, 1], 6), "abcabc");
        assert_eq!(order(Balance::RoundRobin, &[1, 1], 6), "ababab");
    }

    #[test]
    fn static_rr_matches_haproxy_orders() {
        assert_eq!(
            order(Balance::StaticRr, &[5, 2, 1], 16),
            "aabaabac".repeat(2)
        );
        assert_eq!(order(Balance::StaticRr, &[1, 2, 3], 6), "acbcbc");
        assert_eq!(order(Balance::StaticRr, &[7, 3, 2], 12), "aababcaaabac");
    }

    #[test]
    fn down_server_is_skipped_and_returns() {
        let mut b = Balancer::new(Balance::RoundRobin, &[(1, false), (1, false)], false);
        let pick = |b: &mut Balancer| b.pick(PickKey::default(), &|_| false, &|_| 0);
        assert_eq!(pick(&mut b), Some(0));
        b.set_weight(1, 0);
        assert_eq!((pick(&mut b), pick(&mut b)), (Some(0), Some(0)));
        b.set_weight(0, 0);
        assert_eq!(pick(&mut b), None);
        assert!(!b.any_usable());
        b.set_weight(0, 1);
        b.set_weight(1, 1);
        let seen: Vec<_> = (0..4).filter_map(|_| pick(&mut b)).collect();
        assert!(seen.contains(&0) && seen.contains(&1), "{seen:?}");
    }

    #[test]
    fn backups_only_when_no_active_server() {
        let servers = [(1, false), (1, true), (1, true)];
        let mut b = Balancer::new(Balance::RoundRobin, &servers, false);
        let pick = |b: &mut Balancer| b.pick(PickKey::default(), &|_| false, &|_| 0);
        assert_eq!(pick(&mut b), Some(0));
        b.set_weight(0, 0);
        assert_eq!((pick(&mut b), pick(&mut b)), (Some(1), Some(1)));
        let mut all = Balancer::new(Balance::RoundRobin, &servers, true);
        all.set_weight(0, 0);
        let got: Vec<_> = (0..4)
            .filter_map(|_| all.pick(PickKey::default(), &|_| false, &|_| 0))
            .collect();
        assert_eq!(got, vec![1, 2, 1, 2]);
    }

    #[test]
    fn busy_servers_are_skipped() {
        let mut b = Balancer::new(Balance::RoundRobin, &[(1, false), (1, false)], false);
        for _ in 0..4 {
            assert_eq!(b.pick(PickKey::default(), &|i| i == 0, &|_| 0), Some(1));
        }
    }

    #[test]
    fn hashes_match_haproxy() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(source_hash(ip), 2_130_706_433);
        let mut b = Balancer::new(Balance::Source, &[(1, false); 3], false);
        let key = PickKey {
            source: Some(ip),
            ..PickKey::default()
        };
        assert_eq!(b.pick(key, &|_| false, &|_| 0), Some(2));
        let mut u = Balancer::new(Balance::Uri, &[(1, false); 3], false);
        let by_uri = |b: &mut Balancer, p: &str| {
            let key = PickKey {
                path: Some(p),
                ..PickKey::default()
            };
            (b'a' + b.pick(key, &|_| false, &|_| 0).unwrap() as u8) as char
        };
        let got: String = ["/x", "/y", "/z", "/x?q=1", "/p1", "/p2", "/p3", "/p4"]
            .iter()
            .map(|p| by_uri(&mut u, p))
            .collect();
        assert_eq!(got, "cabccabc");
    }

    #[test]
    fn hdr_hashes_the_value_and_falls_back_to_roundrobin() {
        let mut b = Balancer::new(Balance::Hdr, &[(1, false); 3], false);
        let by = |b: &mut Balancer, v: Option<&[u8]>| {
            let key = PickKey {
                header: v,
                ..PickKey::default()
            };
            (b'a' + b.pick(key, &|_| false, &|_| 0).unwrap() as u8) as char
        };
        // docs/haproxy-semantics.md §2.4: `k1`->a, `k2`->b, none->a,b,c.
        assert_eq!(by(&mut b, Some(b"k1")), 'a');
        assert_eq!(by(&mut b, Some(b"k2")), 'b');
        let none: String = (0..3).map(|_| by(&mut b, None)).collect();
        assert_eq!(none, "abc");
    }

    #[test]
    fn leastconn_prefers_idle_then_rotates() {
        let mut b = Balancer::new(Balance::LeastConn, &[(1, false); 3], false);
        let busy_ab = |i: usize| if i < 2 { 1 } else { 0 };
        assert_eq!(b.pick(PickKey::default(), &|_| false, &busy_ab), Some(2));
        let got: Vec<_> = (0..3)
            .filter_map(|_| b.pick(PickKey::default(), &|_| false, &|_| 0))
            .collect();
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[test]
    fn first_fills_in_order() {
        let mut b = Balancer::new(Balance::First, &[(1, false); 3], false);
        assert_eq!(b.pick(PickKey::default(), &|_| false, &|_| 0), Some(0));
        assert_eq!(b.pick(PickKey::default(), &|i| i == 0, &|_| 0), Some(1));
    }
}
