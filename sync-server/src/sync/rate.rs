//! A per-device limit on sync rounds (DESIGN §6): a token bucket per device, so one phone
//! stuck in a loop cannot take the cores from every other device. A device's normal day —
//! a round every few minutes, a fresh device paging through its snapshots — never meets it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Rounds a device may make in one burst.
pub const BURST: f64 = 60.0;
/// Rounds per second a device earns back.
pub const PER_SECOND: f64 = 10.0;

/// Token buckets of the devices that have synced since the server started.
#[derive(Default)]
pub struct RoundLimit {
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RoundLimit {
    /// Takes one round for `device` at `now`; `Err(wait)` when it must first wait that long.
    pub fn take(&self, device: Uuid, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(device).or_insert(Bucket {
            tokens: BURST,
            at: now,
        });
        let earned = now.saturating_duration_since(bucket.at).as_secs_f64() * PER_SECOND;
        bucket.tokens = (bucket.tokens + earned).min(BURST);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / PER_SECOND))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_rounds_come_back_at_the_rate() {
        let limit = RoundLimit::default();
        let (phone, other) = (Uuid::now_v7(), Uuid::now_v7());
        let start = Instant::now();
        for _ in 0..BURST as usize {
            assert_eq!(limit.take(phone, start), Ok(()));
        }
        let wait = limit.take(phone, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert_eq!(
            limit.take(other, start),
            Ok(()),
            "other devices are not affected"
        );
        // After the wait, one round; earned rounds never exceed the burst.
        assert_eq!(limit.take(phone, start + wait), Ok(()));
        assert!(limit.take(phone, start + wait).is_err());
        let later = start + Duration::from_secs(3_600);
        for _ in 0..BURST as usize {
            assert_eq!(limit.take(phone, later), Ok(()));
        }
        assert!(limit.take(phone, later).is_err());
    }
}
