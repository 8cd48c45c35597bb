//! A fixed-bucket latency histogram, as Prometheus histograms count: each bucket holds the
//! observations at or below its bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, seconds: from a fast reconnect round to a slow first sync.
pub const BOUNDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Observations counted per bucket, with their count and sum.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    /// Sum of observations, microseconds.
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Cumulative counts per bound (as `le` buckets report them), the total and the sum in
    /// seconds.
    pub fn read(&self) -> (Vec<(f64, u64)>, u64, f64) {
        let mut running = 0;
        let cumulative = BOUNDS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, bucket)| {
                running += bucket.load(Ordering::Relaxed);
                (*bound, running)
            })
            .collect();
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        (cumulative, count, sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_the_slowest_only_counts_in_inf() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(70));
        h.observe(Duration::from_secs(60));
        let (buckets, count, sum) = h.read();
        assert_eq!(buckets[0], (0.005, 1));
        assert_eq!(buckets[4], (0.1, 2));
        assert_eq!(buckets.last(), Some(&(30.0, 2)));
        assert_eq!(count, 3);
        assert!((sum - 60.073).abs() < 1e-6, "{sum}");
    }
}
