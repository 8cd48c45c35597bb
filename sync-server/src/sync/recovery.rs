//! Devices catching up after a restore from backup: a device whose cursor belongs to a past
//! epoch of this deployment re-sends everything it holds over its next rounds, and for a
//! while its uploads are checked with [`validate_recovered`] (events in other names — the
//! server's, a department's — are checked as their authors', since the server may have lost
//! them). The window is kept in memory: it opens again if the device syncs from the old
//! epoch after a server restart.
//!
//! [`validate_recovered`]: gridwalk_shared::validate::validate_recovered

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// How long after its first round from a past epoch a device may re-send.
const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Devices in their re-send window.
#[derive(Default)]
pub struct Recovering(Mutex<HashMap<Uuid, Instant>>);

impl Recovering {
    /// `device` came back from a past epoch at `now`.
    pub fn mark(&self, device: Uuid, now: Instant) {
        if let Ok(mut open) = self.0.lock() {
            open.retain(|_, since| now.duration_since(*since) < WINDOW);
            open.entry(device).or_insert(now);
        }
    }

    /// Whether `device` is re-sending after a restore.
    pub fn active(&self, device: Uuid, now: Instant) -> bool {
        self.0
            .lock()
            .ok()
            .and_then(|open| open.get(&device).copied())
            .is_some_and(|since| now.duration_since(since) < WINDOW)
    }
}
