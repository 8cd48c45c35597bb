//! Time values and the injectable clock.

use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A UTC instant with millisecond precision; stored in documents as epoch milliseconds and
/// serialised as RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<Self, HydrateError> {
        match doc.get(obj, &prop)? {
            Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
                automerge::ScalarValue::Timestamp(ms) | automerge::ScalarValue::Int(ms) => {
                    Ok(Self::from_millis(*ms))
                }
                other => Err(HydrateError::unexpected(
                    "a timestamp",
                    format!("{other:?}"),
                )),
            },
            _ => Err(HydrateError::unexpected(
                "a timestamp",
                "nothing".to_string(),
            )),
        }
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
