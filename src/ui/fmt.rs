//! Small text helpers shared by the views.

use crate::events::{BackendSnap, CheckSnap};
use std::time::Duration;

/// Bytes in binary units, short enough for a table cell: `512B`, `1.5K`, `12.3M`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1}{}", UNITS[unit])
}

/// Bytes per second: `0B`, `12.5K` (the `/s` is in the column title).
pub fn byte_rate(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| bytes(r.round() as u64))
}

/// Uptime the way HAProxy's stats page writes it: `0d 1h02m03s`.
pub fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    format!(
        "{}d {}h{:02}m{:02}s",
        s / 86_400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// A time span as the stats page's `lastchg` reads: `5s`, `2m05s`, `1h02m`, `3d04h`.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, s / 60 % 60),
        _ => format!("{}d{:02}h", s / 86_400, s / 3600 % 24),
    }
}

/// A rate with one decimal; `-` before there are two samples to compare.
pub fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.1}"))
}

/// A rate for a narrow cell: `5.2`, `1234`, `12.1k`.
pub fn compact_rate(r: f32) -> String {
    match r {
        r if r >= 9_999.5 => format!("{:.1}k", r / 1000.0),
        r if r >= 999.95 => format!("{r:.0}"),
        r => format!("{r:.1}"),
    }
}

/// A latency: `850µs`, `3.2ms`, `120ms`, `1.50s`; `-` without samples.
pub fn latency(d: Option<Duration>) -> String {
    let Some(d) = d else {
        return "-".to_string();
    };
    let us = d.as_micros();
    if us < 1000 {
        format!("{us}µs")
    } else if us < 10_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else if us < 1_000_000 {
        format!("{}ms", us / 1000)
    } else {
        format!("{:.2}s", us as f64 / 1e6)
    }
}

/// The last check, with its code and duration: `L7OK 200 in 3ms`, `L4CON in 0ms`.
pub fn check(c: &CheckSnap) -> String {
    match c.code {
        Some(code) => format!("{} {code} in {}ms", c.kind.short(), c.duration.as_millis()),
        None => format!("{} in {}ms", c.kind.short(), c.duration.as_millis()),
    }
}

/// The last check without its duration, for a narrow column: `L7OK 200`, `L4CON`.
pub fn check_short(c: &CheckSnap) -> String {
    match c.code {
        Some(code) => format!("{} {code}", c.kind.short()),
        None => c.kind.short().to_string(),
    }
}

/// A backend's badge, in words that stand without colour and cannot be read as a server's
/// `UP 1/2` (up, with a failing check): `hoge 1 of 2 up`, and `hoge DOWN 0 of 2 up` when
/// the backend itself is down (no usable server), as its BACKEND row says.
pub fn backend_badge(b: &BackendSnap) -> (String, bool) {
    let up = super::status::backend_up(b);
    let count = format!("{} of {} up", b.up_count(), b.servers.len());
    if up {
        (count, true)
    } else {
        (format!("DOWN {count}"), false)
    }
}

/// Counts with thousands kept short: `999`, `12.3k`, `4.5M`.
pub fn count(n: u64) -> String {
    match n {
        0..=99_999 => n.to_string(),
        100_000..=9_999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline, right-aligned in `width` cells (history fills from the right, like a
/// strip chart). Zero is blank so idle stretches read as gaps; anything else gets a bar.
pub fn sparkline(values: &[f32], max: f32, width: usize) -> String {
    let shown = &values[values.len().saturating_sub(width)..];
    let mut s = " ".repeat(width - shown.len());
    for &v in shown {
        if v <= 0.0 || max <= 0.0 {
            s.push(' ');
        } else {
            let level = ((v / max) * (BARS.len() as f32 - 1.0)).round() as usize;
            s.push(BARS[level.min(BARS.len() - 1)]);
        }
    }
    s
}

/// A gauge as text, `width` cells: the filled part and the rest.
pub fn gauge(ratio: f64, width: usize) -> (String, String) {
    let filled = if ratio > 0.0 {
        ((ratio.min(1.0) * width as f64).ceil() as usize).clamp(1, width)
    } else {
        0
    };
    ("█".repeat(filled), "░".repeat(width - filled))
}

/// Cuts a string to at most `width` characters, marking the cut with `…`.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::CheckKind;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes(0), "0B");
        assert_eq!(bytes(1023), "1023B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0M");
        assert_eq!(byte_rate(None), "-");
        assert_eq!(byte_rate(Some(2048.4)), "2.0K");
    }

    #[test]
    fn haproxy_uptime_and_ages() {
        assert_eq!(uptime(Duration::from_secs(3723)), "0d 1h02m03s");
        assert_eq!(uptime(Duration::from_secs(90_061)), "1d 1h01m01s");
        assert_eq!(age(Duration::from_secs(5)), "5s");
        assert_eq!(age(Duration::from_secs(125)), "2m05s");
        assert_eq!(age(Duration::from_secs(3723)), "1h02m");
        assert_eq!(age(Duration::from_secs(90_061)), "1d01h");
    }

    #[test]
    fn latencies() {
        assert_eq!(latency(None), "-");
        assert_eq!(latency(Some(Duration::from_micros(850))), "850µs");
        assert_eq!(latency(Some(Duration::from_micros(3_250))), "3.2ms");
        assert_eq!(latency(Some(Duration::from_millis(120))), "120ms");
        assert_eq!(latency(Some(Duration::from_millis(1500))), "1.50s");
    }

    #[test]
    fn checks_carry_code_and_duration() {
        let c = CheckSnap::new(CheckKind::L7Sts, Some(404), Duration::from_millis(2));
        assert_eq!(check(&c), "L7STS 404 in 2ms");
        let c = CheckSnap::new(CheckKind::L4Con, None, Duration::ZERO);
        assert_eq!(check(&c), "L4CON in 0ms");
    }

    #[test]
    fn sparklines_and_gauges() {
        assert_eq!(sparkline(&[0.0, 1.0, 8.0], 8.0, 5), "   ▂█");
        assert_eq!(sparkline(&[1.0; 10], 1.0, 3), "███");
        assert_eq!(gauge(0.0, 4), (String::new(), "░░░░".to_string()));
        assert_eq!(gauge(0.01, 4).0, "█");
        assert_eq!(gauge(2.0, 4).0, "████");
        assert_eq!(clip("hoge_l4/web10", 8), "hoge_l4…");
        assert_eq!(count(123_456), "123.5k");
        assert_eq!(compact_rate(5.25), "5.2");
        assert_eq!(compact_rate(1234.4), "1234");
        assert_eq!(compact_rate(12_131.2), "12.1k");
    }
}
