//! A clock the test moves by hand, for phones whose work happened on other days.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::NaiveDate;
use gridwalk_shared::time::{Clock, Timestamp};

/// A clock the test moves by hand (Beijing time).
pub struct HandClock(AtomicI64);

impl Clock for HandClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

impl HandClock {
    /// A clock on `day` at `hh:mm` Beijing time.
    pub fn at(day: NaiveDate, hh: u32, mm: u32) -> Self {
        let clock = Self(AtomicI64::new(0));
        clock.set(day, hh, mm);
        clock
    }

    /// Sets it to `day` at `hh:mm` Beijing time.
    pub fn set(&self, day: NaiveDate, hh: u32, mm: u32) {
        let local = day.and_hms_opt(hh, mm, 0).expect("valid time");
        let ms = local.and_utc().timestamp_millis() - 8 * 3_600_000;
        self.0.store(ms, Ordering::SeqCst);
    }
}
