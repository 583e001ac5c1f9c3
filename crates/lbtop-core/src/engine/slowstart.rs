//! `slowstart`: after a server comes back UP (checks passing again, or leaving maintenance; not
//! at start), its weight ramps up over the slow-start period instead of jumping to full
//! (docs/haproxy-semantics.md, "Slow start").
//!
//! As in HAProxy, the period counts in whole seconds (rounded up), the weight is a multiple of
//! the user weight in sixteenths, and it moves once a second: `1 + 16 * elapsed / period`
//! sixteenths after `elapsed` whole seconds, full once `elapsed` reaches the period.

use crate::events::Ramp;
use std::time::{Duration, Instant};

/// The scale of effective weights: a server at full weight has `weight * SCALE`.
pub const SCALE: u32 = 16;
/// How often the weight moves.
const STEP: Duration = Duration::from_secs(1);

/// The share of its weight, in sixteenths, that a server has `elapsed` whole seconds into a
/// slow start of `period` seconds; `None` once it is over.
pub fn sixteenths(period: u32, elapsed: u64) -> Option<u32> {
    let period64 = u64::from(period);
    if period == 0 || elapsed >= period64 {
        return None;
    }
    let w = (u64::from(SCALE) * elapsed + period64) / period64;
    Some(u32::try_from(w).unwrap_or(SCALE))
}

/// One server's slow start: its period and, while it ramps, when it came back UP.
#[derive(Debug, Clone, Copy, Default)]
pub struct Warmup {
    /// The period in whole seconds; 0 is off.
    period: u32,
    since: Option<Instant>,
}

impl Warmup {
    pub fn new(slowstart: Option<Duration>) -> Warmup {
        let ms = slowstart.map_or(0, |d| d.as_millis());
        let period = u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX);
        Warmup {
            period,
            since: None,
        }
    }

    /// The server just came back UP.
    pub fn start(&mut self, now: Instant) {
        if self.period > 0 {
            self.since = Some(now);
        }
    }

    /// The server went down or into maintenance: a later return starts afresh.
    pub fn stop(&mut self) {
        self.since = None;
    }

    fn elapsed(&self, now: Instant) -> Option<u64> {
        self.since
            .map(|since| now.saturating_duration_since(since).as_secs())
    }

    /// The server's share of its weight now, in sixteenths (16 when not ramping).
    pub fn share(&self, now: Instant) -> u32 {
        self.elapsed(now)
            .and_then(|e| sixteenths(self.period, e))
            .unwrap_or(SCALE)
    }

    /// When the weight moves next, if it still ramps; forgets a ramp that is over.
    pub fn next_step(&mut self, now: Instant) -> Option<Instant> {
        let since = self.since?;
        let elapsed = self.elapsed(now)?;
        if sixteenths(self.period, elapsed).is_none() {
            self.since = None;
            return None;
        }
        let steps = u32::try_from(elapsed + 1).unwrap_or(u32::MAX);
        Some(since + STEP * steps)
    }

    /// Whether the server is part-way through its ramp.
    pub fn ramping(&self, now: Instant) -> bool {
        self.elapsed(now)
            .is_some_and(|e| sixteenths(self.period, e).is_some())
    }
}

/// What HAProxy's stats show for a server of user weight `weight` at `share` sixteenths: the
/// `weight` column rounded up, and the `throttle` percentage (100 at user weight 0).
pub fn ramp(weight: u32, share: u32) -> Ramp {
    let eweight = weight * share;
    let throttle = match weight {
        0 => 100,
        w => (100 * eweight + SCALE - 1) / (SCALE * w),
    };
    Ramp {
        weight: eweight.div_ceil(SCALE),
        throttle,
        eweight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_second_ramp_in_sixteenths() {
        let steps: Vec<_> = (0..6).map(|e| sixteenths(4, e)).collect();
        assert_eq!(
            steps,
            [Some(1), Some(5), Some(9), Some(13), None, None],
            "(16 * elapsed + period) / period, full at the period"
        );
    }

    #[test]
    fn ten_second_ramp_rounds_down() {
        let steps: Vec<_> = (0..10).map(|e| sixteenths(10, e).unwrap()).collect();
        assert_eq!(steps, [1, 2, 4, 5, 7, 9, 10, 12, 13, 15]);
        assert_eq!(sixteenths(10, 10), None);
        assert_eq!(sixteenths(0, 0), None, "period 0 is off");
    }

    #[test]
    fn period_rounds_up_to_whole_seconds() {
        assert_eq!(Warmup::new(Some(Duration::from_millis(1500))).period, 2);
        assert_eq!(Warmup::new(Some(Duration::from_millis(1))).period, 1);
        assert_eq!(Warmup::new(None).period, 0);
    }

    #[test]
    fn ramp_moves_once_a_second_then_ends() {
        let t0 = Instant::now();
        let mut w = Warmup::new(Some(Duration::from_secs(4)));
        assert_eq!(w.share(t0), SCALE, "not ramping before it comes back UP");
        w.start(t0);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(w.share(at(0)), 1);
        assert_eq!(w.share(at(999)), 1);
        assert_eq!(w.share(at(1000)), 5);
        assert_eq!(w.share(at(3999)), 13);
        assert_eq!(w.share(at(4000)), SCALE);
        assert_eq!(w.next_step(at(10)), Some(at(1000)));
        assert_eq!(w.next_step(at(2500)), Some(at(3000)));
        assert!(w.ramping(at(3999)));
        assert_eq!(w.next_step(at(4000)), None);
        assert!(!w.ramping(at(100)), "the ramp is forgotten once over");
    }

    /// As HAProxy 2.6 showed them for `weight 10`, `slowstart 4s`, once a second.
    #[test]
    fn stats_columns_match_haproxy() {
        let cols: Vec<(u32, u32)> = [1, 5, 9, 13]
            .map(|share| ramp(10, share))
            .iter()
            .map(|r| (r.weight, r.throttle))
            .collect();
        assert_eq!(cols, [(1, 6), (4, 31), (6, 56), (9, 81)]);
        let full = ramp(10, SCALE);
        assert_eq!((full.weight, full.throttle, full.eweight), (10, 100, 160));
        assert_eq!(ramp(0, 5).throttle, 100);
    }

    #[test]
    fn stop_ends_the_ramp_and_off_never_starts() {
        let t0 = Instant::now();
        let mut w = Warmup::new(Some(Duration::from_secs(4)));
        w.start(t0);
        w.stop();
        assert_eq!(w.share(t0), SCALE);
        let mut off = Warmup::new(None);
        off.start(t0);
        assert_eq!(off.share(t0), SCALE);
        assert_eq!(off.next_step(t0), None);
    }
}
