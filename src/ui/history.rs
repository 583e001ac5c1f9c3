//! Rates from successive snapshots: the current rate per frontend, backend and server (over
//! about a second), and a few minutes of history in 5-second buckets for the sparklines.

use crate::config::Mode;
use crate::events::{ServerId, Snapshot};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Rates are taken over about this long, so one busy tick does not make the number jump.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);
/// One sparkline cell.
pub const BUCKET: Duration = Duration::from_secs(5);
/// Ten minutes of history; a sparkline shows as much of it as fits.
pub const BUCKETS_KEPT: usize = 120;

/// A row that has a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Frontend(usize),
    Backend(usize),
    Server(ServerId),
}

/// One series' counters: sessions (HTTP frontends: requests), bytes in, bytes out.
pub type Count = [u64; 3];
/// Per second, in the same order.
pub type Rate = [f64; 3];

/// Where each series sits in the flat vectors: frontends, backends, then servers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Shape {
    frontends: usize,
    servers: Vec<usize>,
}

impl Shape {
    fn of(snap: &Snapshot) -> Shape {
        Shape {
            frontends: snap.frontends.len(),
            servers: snap.backends.iter().map(|b| b.servers.len()).collect(),
        }
    }

    fn index(&self, s: Series) -> Option<usize> {
        let backends = self.servers.len();
        match s {
            Series::Frontend(f) => (f < self.frontends).then_some(f),
            Series::Backend(b) => (b < backends).then_some(self.frontends + b),
            Series::Server(id) => {
                let n = *self.servers.get(id.backend)?;
                (id.server < n).then(|| {
                    self.frontends
                        + backends
                        + self.servers[..id.backend].iter().sum::<usize>()
                        + id.server
                })
            }
        }
    }
}

fn counts(snap: &Snapshot) -> Vec<Count> {
    let mut v = Vec::new();
    for f in &snap.frontends {
        let n = match f.mode {
            Mode::Http => f.total_requests,
            Mode::Tcp => f.total_conns,
        };
        v.push([n, f.bytes_in, f.bytes_out]);
    }
    for b in &snap.backends {
        let (bin, bout) = b
            .servers
            .iter()
            .fold((0, 0), |(i, o), s| (i + s.bytes_in, o + s.bytes_out));
        v.push([b.total_sessions, bin, bout]);
    }
    for b in &snap.backends {
        for s in &b.servers {
            v.push([s.total_sessions, s.bytes_in, s.bytes_out]);
        }
    }
    v
}

fn rates_between(first: &[Count], last: &[Count], secs: f64) -> Vec<Option<Rate>> {
    last.iter()
        .enumerate()
        .map(|(i, now)| {
            let then = first.get(i)?;
            // Counters only grow; a smaller one means a restart, not negative traffic.
            Some(std::array::from_fn(|k| {
                now[k].saturating_sub(then[k]) as f64 / secs
            }))
        })
        .collect()
}

#[derive(Debug, Default)]
pub struct Meter {
    shape: Shape,
    /// Recent counters, oldest first, for the current rates.
    window: VecDeque<(Instant, Vec<Count>)>,
    rates: Vec<Option<Rate>>,
    /// Where the bucket being filled started.
    bucket: Option<(Instant, Vec<Count>)>,
    /// Session rate per series, one entry per finished bucket, oldest first.
    history: VecDeque<Vec<f32>>,
}

impl Meter {
    /// Takes a snapshot's counters. Returns whether any rate changed.
    pub fn sample(&mut self, snap: &Snapshot, now: Instant) -> bool {
        let shape = Shape::of(snap);
        if shape != self.shape {
            *self = Meter {
                shape,
                ..Meter::default()
            };
        }
        let counts = counts(snap);
        self.sample_history(&counts, now);
        self.window.push_back((now, counts));
        // Keep one sample at least a window old as the baseline; drop anything older.
        while self.window.len() > 2 && now.duration_since(self.window[1].0) >= RATE_WINDOW {
            self.window.pop_front();
        }
        let (first_at, first) = &self.window[0];
        let (last_at, last) = &self.window[self.window.len() - 1];
        let secs = last_at.duration_since(*first_at).as_secs_f64();
        let rates = if secs > 0.0 {
            rates_between(first, last, secs)
        } else if self.window.len() == 1 {
            Vec::new()
        } else {
            return false;
        };
        let changed = rates != self.rates;
        self.rates = rates;
        changed
    }

    fn sample_history(&mut self, counts: &[Count], now: Instant) {
        let Some((start, then)) = &self.bucket else {
            self.bucket = Some((now, counts.to_vec()));
            return;
        };
        let elapsed = now.duration_since(*start);
        if elapsed < BUCKET {
            return;
        }
        let secs = elapsed.as_secs_f64();
        let point = counts
            .iter()
            .zip(then)
            .map(|(n, t)| (n[0].saturating_sub(t[0]) as f64 / secs) as f32)
            .collect();
        self.history.push_back(point);
        if self.history.len() > BUCKETS_KEPT {
            self.history.pop_front();
        }
        self.bucket = Some((now, counts.to_vec()));
    }

    /// Per second: sessions (or requests), bytes in, bytes out. `None` until two samples.
    pub fn rate(&self, s: Series) -> Option<Rate> {
        *self.rates.get(self.shape.index(s)?)?
    }

    /// The last `n` buckets of a series' session rate, oldest first (fewer early on).
    pub fn history(&self, s: Series, n: usize) -> Vec<f32> {
        let Some(i) = self.shape.index(s) else {
            return Vec::new();
        };
        let skip = self.history.len().saturating_sub(n);
        self.history
            .iter()
            .skip(skip)
            .map(|p| p.get(i).copied().unwrap_or(0.0))
            .collect()
    }

    /// How much history exists.
    pub fn span(&self) -> Duration {
        BUCKET * self.history.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_survive_counter_resets_and_new_series() {
        let first = vec![[10, 0, 0], [50, 0, 0]];
        let last = vec![[30, 4, 0], [40, 0, 0], [7, 0, 0]];
        let r = rates_between(&first, &last, 2.0);
        assert_eq!(r, vec![Some([10.0, 2.0, 0.0]), Some([0.0, 0.0, 0.0]), None]);
    }

    #[test]
    fn shape_indexes_every_row_once() {
        let shape = Shape {
            frontends: 2,
            servers: vec![2, 3],
        };
        let id = |backend, server| Series::Server(ServerId { backend, server });
        let all = [
            Series::Frontend(0),
            Series::Frontend(1),
            Series::Backend(0),
            Series::Backend(1),
            id(0, 0),
            id(0, 1),
            id(1, 0),
            id(1, 1),
            id(1, 2),
        ];
        for (i, s) in all.into_iter().enumerate() {
            assert_eq!(shape.index(s), Some(i), "{s:?}");
        }
        assert_eq!(shape.index(id(1, 3)), None);
        assert_eq!(shape.index(Series::Frontend(2)), None);
    }
}
