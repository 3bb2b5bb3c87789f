//! Prometheus metrics of a cache without a metrics dependency: a lock-free latency histogram
//! and the text exposition format (version 0.0.4) for `cache_hits_total`, `cache_misses_total`
//! and `cache_latency_seconds`, the names the trading services' dashboards use.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (100 µs … 2.5 s).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A cumulative latency histogram over [`LATENCY_BUCKETS`]; observing is a few atomic adds.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Non-cumulative counts per bucket, plus one for `+Inf`.
    counts: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_ns
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Sum of all observations.
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.sum_ns.load(Ordering::Relaxed))
    }

    /// The upper bound of the bucket holding the `q` quantile (as Prometheus'
    /// `histogram_quantile` would bound it); `None` before any observation, `Duration::MAX`
    /// when it lies above the largest bucket.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(match LATENCY_BUCKETS.get(i) {
                    Some(b) => Duration::from_secs_f64(*b),
                    None => Duration::MAX,
                });
            }
        }
        Some(Duration::MAX)
    }

    /// Appends this histogram as the Prometheus family `name` with `labels` (`k="v",…`).
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        cumulative += self.counts[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum().as_secs_f64());
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// A label value escaped for the exposition format (`\`, `"` and newlines).
pub fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_exposition() {
        let h = Histogram::default();
        assert_eq!(h.quantile(0.99), None);
        for _ in 0..98 {
            h.observe(Duration::from_micros(300));
        }
        h.observe(Duration::from_millis(7));
        h.observe(Duration::from_secs(9));
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile(0.5), Some(Duration::from_secs_f64(0.0005)));
        assert_eq!(h.quantile(0.99), Some(Duration::from_secs_f64(0.01)));
        assert_eq!(h.quantile(1.0), Some(Duration::MAX));
        let mut text = String::new();
        h.render(&mut text, "cache_latency_seconds", "cache=\"a\"");
        assert!(text.contains("cache_latency_seconds_bucket{cache=\"a\",le=\"0.0005\"} 98\n"));
        assert!(text.contains("cache_latency_seconds_bucket{cache=\"a\",le=\"+Inf\"} 100\n"));
        assert!(text.contains("cache_latency_seconds_count{cache=\"a\"} 100\n"));
        assert_eq!(label_value("a\"b\\"), "a\\\"b\\\\");
    }
}
