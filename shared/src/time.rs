//! Time values and the injectable clock.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A UTC instant with millisecond precision; stored in documents as epoch milliseconds and
/// serialised as RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch (clamped to the epoch if invalid).
    pub fn from_millis(millis: i64) -> Self {
        Self(
            Utc.timestamp_millis_opt(millis)
                .single()
                .unwrap_or_default(),
        )
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The time of a new event: `now`, but 1 ms after `latest` when that is not earlier
    /// (events fold in time order, and a clock may lag the ones already there).
    pub fn next_after(latest: Option<Timestamp>, now: Timestamp) -> Timestamp {
        match latest {
            Some(latest) if latest >= now => Timestamp::from_millis(latest.millis() + 1),
            _ => now,
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self::from_millis(value.timestamp_millis())
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}",
            self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.millis())
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(millis: i64) -> Result<Self, HydrateError> {
        Ok(Self::from_millis(millis))
    }

    fn hydrate_int(millis: i64) -> Result<Self, HydrateError> {
        Ok(Self::from_millis(millis))
    }
}

/// Source of the current time and of new ids; injectable so tests are deterministic.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from(Utc::now())
    }
}

/// A new record or event id (UUID v7: time-ordered).
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::*;
    use autosurgeon::{hydrate, reconcile};

    #[derive(Debug, PartialEq, Reconcile, Hydrate)]
    struct Times {
        at: Timestamp,
        maybe: Option<Timestamp>,
        never: Option<Timestamp>,
    }

    #[test]
    fn timestamps_round_trip_plain_and_optional() {
        let value = Times {
            at: Timestamp::from_millis(1_790_000_000_123),
            maybe: Some(Timestamp::from_millis(1_790_000_999_000)),
            never: None,
        };
        let mut doc = automerge::AutoCommit::new();
        reconcile(&mut doc, &value).unwrap();
        let back: Times = hydrate(&doc).unwrap();
        assert_eq!(back, value);
        assert_eq!(value.at.to_string(), "2026-09-21T14:13:20.123Z");
    }
}
