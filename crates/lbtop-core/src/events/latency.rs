//! A lock-free latency histogram: the data path adds with one atomic increment, the dashboard
//! reads percentiles from a copy. Buckets are logarithmic (4 per power of two, from 1 µs to
//! about 17 minutes), so any percentile is within about 19% of the true value.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const SUB: usize = 4;
const OCTAVES: usize = 30;
pub const BUCKETS: usize = SUB * OCTAVES;

#[derive(Debug)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    /// Every recorded time added up, in microseconds (a Prometheus histogram's `_sum`).
    sum_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_us: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn record(&self, d: Duration) {
        let us = d.as_micros() as u64;
        self.buckets[bucket_of(us)].fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
    }

    pub fn snapshot(&self) -> Latency {
        Latency {
            buckets: self.buckets.iter().map(|b| b.load(Relaxed)).collect(),
            sum_us: self.sum_us.load(Relaxed),
        }
    }
}

fn bucket_of(us: u64) -> usize {
    if us < SUB as u64 {
        return us as usize;
    }
    let octave = 63 - us.leading_zeros() as usize; // floor(log2)
    let sub = ((us >> (octave - 2)) & 0b11) as usize;
    (SUB * (octave - 1) + sub).min(BUCKETS - 1)
}

/// The upper bound of a bucket, in microseconds.
fn bucket_top(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let octave = i / SUB + 1;
    let sub = (i % SUB) as u64;
    ((SUB as u64 + sub + 1) << (octave - 2)) - 1
}

/// A copy of a histogram's counts, for percentiles; mergeable across servers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Latency {
    buckets: Vec<u64>,
    sum_us: u64,
}

impl Latency {
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The q-quantile (0.5 for p50), as the upper bound of its bucket; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Duration::from_micros(bucket_top(i)));
            }
        }
        None
    }

    pub fn merge(&mut self, other: &Latency) {
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.sum_us += other.sum_us;
    }

    /// What was recorded after `earlier` (a copy of the same histogram taken before).
    pub fn since(&self, earlier: &Latency) -> Latency {
        let buckets = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, &n)| n.saturating_sub(earlier.buckets.get(i).copied().unwrap_or(0)))
            .collect();
        Latency {
            buckets,
            sum_us: self.sum_us.saturating_sub(earlier.sum_us),
        }
    }

    /// The recorded times added up, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_us as f64 / 1e6
    }

    /// The counts one bucket per power of two (4, 8, 16... µs), as (upper bound in seconds,
    /// count in that bucket alone), the last one unbounded (infinity): the exported
    /// histogram's buckets.
    pub fn octaves(&self) -> Vec<(f64, u64)> {
        let mut out: Vec<(f64, u64)> = (0..OCTAVES)
            .map(|o| {
                let group = self.buckets.iter().skip(o * SUB).take(SUB);
                (
                    (bucket_top(o * SUB + SUB - 1) + 1) as f64 / 1e6,
                    group.sum(),
                )
            })
            .collect();
        // The last bucket takes every longer time too.
        if let Some(last) = out.last_mut() {
            last.0 = f64::INFINITY;
        }
        out
    }

    /// A histogram from raw bucket counts (fixtures and tests).
    pub fn from_samples(samples: &[Duration]) -> Latency {
        let h = Histogram::default();
        for &s in samples {
            h.record(s);
        }
        h.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_cover_their_values() {
        let mut last = 0;
        for us in [
            0u64, 1, 3, 4, 5, 7, 8, 100, 1_000, 65_535, 1_000_000, 60_000_000,
        ] {
            let b = bucket_of(us);
            assert!(b >= last, "{us}");
            assert!(
                bucket_top(b) >= us,
                "{us} in bucket {b} top {}",
                bucket_top(b)
            );
            if b > 0 {
                assert!(bucket_top(b - 1) < us, "{us}");
            }
            last = b;
        }
    }

    #[test]
    fn percentiles_are_close() {
        let samples: Vec<Duration> = (1..=1000).map(Duration::from_micros).collect();
        let l = Latency::from_samples(&samples);
        assert_eq!(l.count(), 1000);
        let p50 = l.quantile(0.5).unwrap().as_micros() as f64;
        let p99 = l.quantile(0.99).unwrap().as_micros() as f64;
        assert!((500.0..=600.0).contains(&p50), "{p50}");
        assert!((990.0..=1180.0).contains(&p99), "{p99}");
        assert_eq!(Latency::default().quantile(0.5), None);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = Latency::from_samples(&[Duration::from_millis(1)]);
        a.merge(&Latency::from_samples(&[Duration::from_millis(100)]));
        assert_eq!(a.count(), 2);
        assert!(a.quantile(1.0).unwrap() >= Duration::from_millis(100));
    }
}

#[cfg(test)]
mod since_tests {
    use super::*;

    #[test]
    fn since_keeps_only_the_later_samples() {
        let before = Latency::from_samples(&[Duration::from_millis(1); 10]);
        let mut after = before.clone();
        after.merge(&Latency::from_samples(&[Duration::from_millis(100); 3]));
        let d = after.since(&before);
        assert_eq!(d.count(), 3);
        assert!(d.quantile(0.5).unwrap() >= Duration::from_millis(100));
        assert_eq!(before.since(&before).quantile(0.5), None);
    }
}
