//! Small text helpers shared by the views.

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

/// A rate with one decimal; `-` before there are two samples to compare.
pub fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.1}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes(0), "0B");
        assert_eq!(bytes(1023), "1023B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0M");
    }

    #[test]
    fn haproxy_uptime() {
        assert_eq!(uptime(Duration::from_secs(3723)), "0d 1h02m03s");
        assert_eq!(uptime(Duration::from_secs(90_061)), "1d 1h01m01s");
    }
}
