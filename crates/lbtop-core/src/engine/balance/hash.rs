//! The hashes behind `balance source|uri|hdr` and `hash-type` (docs/haproxy-semantics.md
//! §2.5): HAProxy's four hash functions, its avalanche mix, and the consistent-hash ring.

use crate::config::HashFn;
use std::net::IpAddr;

/// User weights are scaled by this; a consistent ring has this many points per weight unit.
const WEIGHT_SCALE: u32 = 16;
/// The span of point numbers one server's points are drawn from (256 weights x 16).
const POINTS_RANGE: u32 = 256 * WEIGHT_SCALE;

/// `balance source` for IPv4 hashes the address as a 32-bit integer; IPv6 XORs its four words.
pub fn source_hash(ip: IpAddr) -> u32 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(v6) => {
            let w = u128::from(v6);
            (w as u32) ^ ((w >> 32) as u32) ^ ((w >> 64) as u32) ^ ((w >> 96) as u32)
        }
    }
}

/// `balance uri`: the path up to `?`, hashed with `f`.
pub fn uri_hash(uri: &str, f: HashFn) -> u32 {
    let path = uri.split('?').next().unwrap_or(uri);
    hash(f, path.as_bytes())
}

pub fn hash(f: HashFn, bytes: &[u8]) -> u32 {
    match f {
        HashFn::Sdbm => sdbm(bytes),
        HashFn::Djb2 => djb2(bytes),
        HashFn::Wt6 => wt6(bytes),
        HashFn::Crc32 => crc32(bytes),
    }
}

/// HAProxy's default hash function.
pub fn sdbm(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |h, &c| {
        u32::from(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

fn djb2(bytes: &[u8]) -> u32 {
    bytes.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

fn wt6(bytes: &[u8]) -> u32 {
    let (mut h0, mut h1) = (0xa53c_965a_u32, 0x5ca6_953a_u32);
    let (mut step0, mut step1) = (6u32, 18u32);
    for &c in bytes {
        let t = u32::from(c);
        h0 = !(h0 ^ t);
        h1 = !(h1.wrapping_add(t));
        let t = h1.rotate_left(step0);
        h1 = h0.rotate_left(step1);
        h0 = t;
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        step0 = t & 0x1f;
        step1 = t >> 11;
    }
    h0 ^ h1
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut h = !0u32;
    for &c in bytes {
        h ^= u32::from(c);
        for _ in 0..8 {
            h = (h >> 1) ^ if h & 1 == 1 { 0xedb8_8320 } else { 0 };
        }
    }
    !h
}

/// Bob Jenkins' full avalanche integer hash, then a multiply that spreads the result over
/// the whole ring, as HAProxy mixes a hash for `avalanche` and places ring points.
pub fn full_hash(a: u32) -> u32 {
    let mut a = a;
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    a.wrapping_mul(3_221_225_473)
}

/// The consistent-hash ring of one group: each server's points, sorted by key.
#[derive(Default)]
pub struct Ring {
    points: Vec<(u32, usize)>,
}

impl Ring {
    /// `weights[i]` is server i's user weight, 0 when it is out of the group or unusable.
    /// Server i's id is i + 1, as HAProxy numbers servers in file order.
    pub fn build(weights: &[u32]) -> Ring {
        let mut points = Vec::new();
        for (i, &w) in weights.iter().enumerate() {
            let id = u32::try_from(i + 1).unwrap_or(u32::MAX);
            for node in 0..w.saturating_mul(WEIGHT_SCALE) {
                let key = full_hash(id.wrapping_mul(POINTS_RANGE).wrapping_add(node));
                points.push((key, i));
            }
        }
        points.sort_by_key(|&(key, _)| key);
        Ring { points }
    }

    /// The server whose point is closest to `hash`, the one before it on a tie.
    pub fn lookup(&self, hash: u32) -> Option<usize> {
        let n = self.points.len();
        if n == 0 {
            return None;
        }
        let at = self.points.partition_point(|&(key, _)| key < hash);
        let next = self.points[at % n];
        let prev = self.points[(at + n - 1) % n];
        let to_prev = hash.wrapping_sub(prev.0);
        let to_next = next.0.wrapping_sub(hash);
        Some(if to_prev <= to_next { prev.1 } else { next.1 })
    }
}
